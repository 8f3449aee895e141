"""Indexing ops (getitem/setitem, index_add, take, take_along_axis, scatter_add, pick, gather_nd,
one_hot) against NumPy, with gradients by finite differences."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import unidl
from unidl import ops
from unidl.errors import GraphError, OpError
from unidl.testing import assert_grad_close
from unidl.testing.strategies import arrays, shapes, small_float64

VALUE_DTYPES = (np.float32, np.float64, np.int64)


def _as_form(arr: np.ndarray, form: str):
    """An index array in one of the forms a user may pass: list, NumPy array or Tensor."""
    if form == "list" and (arr.size or arr.ndim == 1):  # an empty nested list loses its shape
        return arr.tolist()
    if form == "tensor":
        return unidl.tensor(arr)
    return arr


# -- key strategies --------------------------------------------------------------------------------

@st.composite
def advanced_keys(draw, max_dims=3, max_side=4):
    """(shape, NumPy key, user key): integer arrays (broadcasting together) mixed with ints, slices,
    None and Ellipsis; the user key holds the same arrays as lists, NumPy arrays or Tensors."""
    shape = draw(shapes(min_dims=1, max_dims=max_dims, max_side=max_side))
    ishape = draw(shapes(min_dims=0, max_dims=2, min_side=0, max_side=3))
    npkey, ukey = [], []
    n_used = draw(st.integers(1, len(shape)))
    for n in shape[:n_used]:
        kind = draw(st.sampled_from(["slice", "int", "array", "array"]))
        if kind == "int" and n > 0:
            i = draw(st.integers(-n, n - 1))
            npkey.append(i)
            ukey.append(i)
        elif kind == "array" and (n > 0 or 0 in ishape):
            s = tuple(d if draw(st.booleans()) else 1 for d in ishape)
            if n > 0:
                arr = draw(hnp.arrays(np.int64, s, elements=st.integers(-n, n - 1)))
            else:
                arr = np.zeros(ishape, np.int64)
            npkey.append(arr)
            ukey.append(_as_form(arr, draw(st.sampled_from(["list", "np", "tensor"]))))
        else:
            sl = draw(st.slices(n))
            npkey.append(sl)
            ukey.append(sl)
    if not any(isinstance(k, np.ndarray) for k in npkey):
        arr = np.zeros((0,), np.int64) if shape[0] == 0 else np.array([0, -1, 0])
        npkey[0] = arr
        ukey[0] = _as_form(arr, draw(st.sampled_from(["np", "tensor"])))
    extra = draw(st.sampled_from([None, "none", "ellipsis"]))
    if extra is not None:
        tok = None if extra == "none" else Ellipsis
        # an Ellipsis before the last component would move the components after it to other axes
        short = tok is Ellipsis and len(npkey) < len(shape)
        pos = len(npkey) if short else draw(st.integers(0, len(npkey)))
        npkey.insert(pos, tok)
        ukey.insert(pos, tok)
    return shape, tuple(npkey), tuple(ukey)


@st.composite
def mask_keys(draw, max_dims=3, max_side=4):
    """(shape, NumPy key, user key) with one bool mask over consecutive dims, ints/slices around it."""
    shape = draw(shapes(min_dims=1, max_dims=max_dims, max_side=max_side))
    k = draw(st.integers(1, len(shape)))
    start = draw(st.integers(0, len(shape) - k))
    mask = draw(hnp.arrays(np.bool_, shape[start:start + k]))
    npkey, ukey = [], []
    for n in shape[:start]:
        if n > 0 and draw(st.booleans()):
            i = draw(st.integers(-n, n - 1))
        else:
            i = draw(st.slices(n))
        npkey.append(i)
        ukey.append(i)
    npkey.append(mask)
    ukey.append(_as_form(mask, draw(st.sampled_from(["list", "np", "tensor"]))))
    if start + k < len(shape) and draw(st.booleans()):
        sl = draw(st.slices(shape[start + k]))
        npkey.append(sl)
        ukey.append(sl)
    return shape, tuple(npkey), tuple(ukey)


def _grad_shapes(max_dims=3):
    return shapes(min_dims=1, max_dims=max_dims, max_side=3)


# -- getitem ---------------------------------------------------------------------------------------

@given(shape=shapes(min_dims=0, max_dims=4), dt=st.sampled_from(VALUE_DTYPES), data=st.data())
def test_getitem_basic_matches_numpy(shape, dt, data):
    x = data.draw(arrays(dt, shape))
    key = data.draw(hnp.basic_indices(shape, min_dims=0, allow_newaxis=True, allow_ellipsis=True))
    got = unidl.tensor(x)[key]
    want = x[key]
    assert got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_array_equal(got.numpy(), want)


@settings(max_examples=15)
@given(shape=_grad_shapes(), data=st.data())
def test_getitem_basic_grad(shape, data):
    x = data.draw(small_float64(shape))
    key = data.draw(hnp.basic_indices(shape, min_dims=0, allow_newaxis=True, allow_ellipsis=True))
    assert_grad_close(lambda t: t[key], x)


@given(case=advanced_keys(), dt=st.sampled_from(VALUE_DTYPES), data=st.data())
def test_getitem_advanced_matches_numpy(case, dt, data):
    shape, npkey, ukey = case
    x = data.draw(arrays(dt, shape))
    got = ops.getitem(unidl.tensor(x), ukey)
    want = x[npkey]
    assert got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_array_equal(got.numpy(), want)


@settings(max_examples=15)
@given(case=advanced_keys(max_side=3), data=st.data())
def test_getitem_advanced_grad(case, data):
    shape, npkey, ukey = case
    x = data.draw(small_float64(shape))
    assert_grad_close(lambda t: t[ukey], x)


@given(case=mask_keys(), dt=st.sampled_from(VALUE_DTYPES), data=st.data())
def test_getitem_bool_mask_matches_numpy(case, dt, data):
    shape, npkey, ukey = case
    x = data.draw(arrays(dt, shape))
    got = unidl.tensor(x)[ukey]
    want = x[npkey]
    assert got.shape == want.shape
    np.testing.assert_array_equal(got.numpy(), want)


@settings(max_examples=15)
@given(case=mask_keys(max_side=3), data=st.data())
def test_getitem_bool_mask_grad(case, data):
    shape, npkey, ukey = case
    x = data.draw(small_float64(shape))
    assert_grad_close(lambda t: t[ukey], x)


def test_getitem_duplicate_indices_accumulate():
    x = unidl.tensor(np.arange(12.0).reshape(3, 4), requires_grad=True)
    with unidl.record():
        y = x[[0, 2, 0, 0], 1:]
    y.backward(unidl.ones_like(y))
    want = np.zeros((3, 4))
    np.add.at(want, (np.array([0, 2, 0, 0]), slice(1, None)), 1.0)
    np.testing.assert_array_equal(x.grad.numpy(), want)
    assert want[0, 1] == 3.0


@settings(max_examples=20)
@given(n=st.integers(1, 6), width=st.sampled_from([1, 33, 40]), k=st.integers(0, 120), data=st.data())
def test_row_scatter_gradients_match_add_at(n, width, k, data):
    """Wide rows take a sort-based scatter path instead of add.at: getitem and take gradients."""
    idx = data.draw(hnp.arrays(np.int64, (k,), elements=st.integers(-n, n - 1)))
    if data.draw(st.booleans()):
        idx[:] = idx[0] if k else 0  # one index repeated: the add.at fallback
    x = unidl.tensor(np.zeros((n, width)), requires_grad=True)
    xt = unidl.tensor(np.zeros((2, n, width)), requires_grad=True)
    g = np.random.default_rng(k).standard_normal((k, width))
    with unidl.record():
        y = x[idx]
        yt = ops.take(xt, idx, axis=1)
    y.backward(unidl.tensor(g))
    gt = np.stack([g, 2 * g], axis=0)
    yt.backward(unidl.tensor(gt))
    want = np.zeros((n, width))
    np.add.at(want, idx, g)
    np.testing.assert_allclose(x.grad.numpy(), want, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(xt.grad.numpy(), np.stack([want, 2 * want]), rtol=1e-12, atol=1e-12)


def test_row_scatter_out_of_range_raises():
    x = unidl.tensor(np.zeros((3, 40)))
    for bad in ([0, 0, 3], [0, -4, 1]):
        with pytest.raises(OpError, match=r"index_add:.*index"):
            ops.index_add(x, (np.array(bad), slice(None)), unidl.tensor(np.ones((3, 40))))


def test_getitem_tensor_syntax_and_int_tensor_keys():
    a = np.arange(24.0).reshape(2, 3, 4)
    x = unidl.tensor(a)
    np.testing.assert_array_equal(x[1].numpy(), a[1])
    np.testing.assert_array_equal(x[..., ::-1].numpy(), a[..., ::-1])
    np.testing.assert_array_equal(x[:, None, 1].numpy(), a[:, None, 1])
    np.testing.assert_array_equal(x[unidl.tensor([1, 0]), :, unidl.tensor([-1, 3])].numpy(), a[[1, 0], :, [-1, 3]])
    np.testing.assert_array_equal(x[x > 10.0].numpy(), a[a > 10.0])
    np.testing.assert_array_equal(x[unidl.tensor(1)].numpy(), a[1])
    np.testing.assert_array_equal(x[np.int64(-1), 2].numpy(), a[-1, 2])
    assert x[1, 2, 3].shape == () and x[1, 2, 3].item() == a[1, 2, 3]
    assert x[[]].shape == a[[]].shape
    assert [r.shape for r in x] == [(3, 4), (3, 4)]


def test_getitem_double_backward():
    key = (np.array([0, 1, 1, 2]), slice(None, None, -1))

    def f(t):
        t.requires_grad = True
        with unidl.record():
            y = t[key]
            w = unidl.tensor(np.random.default_rng(1).standard_normal(y.shape))
            (gx,) = unidl.autograd.grad(ops.sum(ops.multiply(ops.multiply(y, y), w)), [t], create_graph=True)
        return ops.multiply(gx, gx)

    assert_grad_close(f, np.random.default_rng(0).standard_normal((3, 4)))


@pytest.mark.parametrize("key, frag", [
    (5, "index 5"), (-4, "index -4"), ((0, 4), "index 4"), ([0, 7], "index 7"),
    ((slice(None), np.array([-5])), "index -5"), (np.array([True, False]), "boolean"),
])
def test_getitem_out_of_range_raises_operror(key, frag):
    x = unidl.tensor(np.zeros((3, 4)))
    with pytest.raises(OpError) as ei:
        x[key]
    msg = str(ei.value)
    assert msg.startswith("getitem:") and frag in msg and "(3, 4)" in msg


def test_getitem_bad_key_types():
    x = unidl.tensor(np.zeros((3, 4)))
    with pytest.raises(OpError, match=r"getitem:.*float"):
        x[np.array([0.5])]
    with pytest.raises(OpError, match=r"getitem:.*\(3, 4\)"):
        x[1.5]
    with pytest.raises(OpError, match="getitem"):
        x[0, 0, 0]


# -- index_add -------------------------------------------------------------------------------------

@given(case=advanced_keys(max_side=3), data=st.data())
def test_index_add_matches_numpy_and_grad(case, data):
    shape, npkey, ukey = case
    x = data.draw(small_float64(shape))
    sel_shape = x[npkey].shape
    vshape = data.draw(st.sampled_from([sel_shape, sel_shape[1:], ()]))
    v = data.draw(small_float64(vshape))
    want = x.copy()
    np.add.at(want, npkey, v)
    got = ops.index_add(unidl.tensor(x), ukey, unidl.tensor(v))
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-12, atol=1e-12)
    if x.size <= 30 and v.size <= 30:
        assert_grad_close(lambda a, b: ops.index_add(a, ukey, b), x, v)


@settings(max_examples=10)
@given(shape=_grad_shapes(), data=st.data())
def test_index_add_basic_key(shape, data):
    x = data.draw(small_float64(shape))
    key = data.draw(hnp.basic_indices(shape, min_dims=0, allow_newaxis=True, allow_ellipsis=True))
    v = data.draw(small_float64(x[key].shape))
    want = x.copy()
    want[key] += v
    np.testing.assert_allclose(ops.index_add(unidl.tensor(x), key, unidl.tensor(v)).numpy(), want)
    assert_grad_close(lambda a, b: ops.index_add(a, key, b), x, v)


# -- setitem ---------------------------------------------------------------------------------------

@given(case=advanced_keys(), data=st.data())
def test_setitem_matches_numpy(case, data):
    shape, npkey, ukey = case
    x = data.draw(arrays(np.float32, shape))
    sel = x[npkey].shape
    v = data.draw(arrays(np.float64, data.draw(st.sampled_from([sel, sel[1:], ()]))))
    form = data.draw(st.sampled_from(["tensor", "np", "scalar"]))
    want = x.copy()
    t = unidl.tensor(x)
    if form == "scalar":
        want[npkey] = 2.5
        t[ukey] = 2.5
    else:
        want[npkey] = v
        t[ukey] = unidl.tensor(v) if form == "tensor" else v
    assert t.dtype == np.float32
    np.testing.assert_array_equal(t.numpy(), want)


def test_setitem_basic_and_mask():
    a = np.arange(12.0).reshape(3, 4)
    x = unidl.tensor(a)
    x[1, ::-2] = unidl.tensor([10.0, 20.0])
    x[x > 9.5] = 0.0
    x[..., None, 0] = [[7.0], [8.0], [9.0]]
    want = a.copy()
    want[1, ::-2] = [10.0, 20.0]
    want[want > 9.5] = 0.0
    want[..., None, 0] = [[7.0], [8.0], [9.0]]
    np.testing.assert_array_equal(x.numpy(), want)


def test_setitem_refuses_recorded_tensors_but_allows_updates_outside_record():
    w = unidl.tensor(np.zeros((2, 3)), requires_grad=True)
    with unidl.record():
        with pytest.raises(GraphError, match="setitem: in-place assignment .*not supported"):
            w[0] = 1.0
        y = unidl.tensor(np.zeros(3))
        v = unidl.tensor(np.ones(3), requires_grad=True)
        with pytest.raises(GraphError, match="setitem"):
            y[:] = v
    w[0] = 1.0  # optimizer-style update outside record
    np.testing.assert_array_equal(w.numpy(), [[1, 1, 1], [0, 0, 0]])


def test_setitem_errors():
    x = unidl.tensor(np.zeros((3, 4)))
    with pytest.raises(OpError, match=r"setitem:.*index 3.*\(3, 4\)"):
        x[3] = 1.0
    with pytest.raises(OpError, match=r"setitem:.*\(3, 4\)"):
        x[0] = np.ones(5)


# -- take ------------------------------------------------------------------------------------------

@st.composite
def take_cases(draw, max_dims=3, max_side=4):
    shape = draw(shapes(min_dims=0, max_dims=max_dims, max_side=max_side))
    axis = draw(st.none() | (st.integers(-len(shape), len(shape) - 1) if shape else st.none()))
    n = int(np.prod(shape)) if axis is None else shape[axis]
    mode = draw(st.sampled_from(["raise", "wrap", "clip"]))
    ishape = draw(shapes(min_dims=0, max_dims=2, max_side=3))
    if n == 0:
        ishape = ishape[:-1] + (0,) if ishape else (0,)
        idx = np.zeros(ishape, np.int64)
    else:
        lo, hi = (-n, n - 1) if mode == "raise" else (-3 * n, 3 * n)
        idx = draw(hnp.arrays(np.int64, ishape, elements=st.integers(lo, hi)))
    return shape, axis, mode, idx


@given(case=take_cases(), dt=st.sampled_from(VALUE_DTYPES), form=st.sampled_from(["np", "tensor", "list"]),
       data=st.data())
def test_take_matches_numpy(case, dt, form, data):
    shape, axis, mode, idx = case
    x = data.draw(arrays(dt, shape))
    got = ops.take(unidl.tensor(x), _as_form(idx, form), axis=axis, mode=mode)
    want = np.take(x, idx, axis=axis, mode=mode)
    assert got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_array_equal(got.numpy(), want)


@settings(max_examples=20)
@given(case=take_cases(max_side=3), data=st.data())
def test_take_grad(case, data):
    shape, axis, mode, idx = case
    x = data.draw(small_float64(shape))
    assert_grad_close(lambda t: ops.take(t, idx, axis=axis, mode=mode), x)


def test_take_duplicates_and_double_backward():
    x = unidl.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    with unidl.record():
        y = ops.take(x, [2, 2, -1, 0], axis=1)
    y.backward(unidl.ones_like(y))
    np.testing.assert_array_equal(x.grad.numpy(), [[1, 0, 3], [1, 0, 3]])

    def f(t):
        t.requires_grad = True
        with unidl.record():
            y = ops.take(t, unidl.tensor([[4, 4], [-7, 1]]), mode="wrap")
            (gx,) = unidl.autograd.grad(ops.sum(ops.multiply(y, y)), [t], create_graph=True)
        return gx

    assert_grad_close(f, np.random.default_rng(0).standard_normal((2, 3)))


def test_take_errors():
    x = unidl.tensor(np.zeros((3, 4)))
    with pytest.raises(OpError) as ei:
        ops.take(x, [1, 4], axis=1)
    assert "take" in str(ei.value) and "index 4" in str(ei.value) and "(3, 4)" in str(ei.value)
    with pytest.raises(OpError, match=r"take:.*index -13"):
        ops.take(x, [-13])
    with pytest.raises(OpError, match=r"take:.*axis 2 is out of range"):
        ops.take(x, [0], axis=2)
    with pytest.raises(OpError, match=r"take:.*mode"):
        ops.take(x, [0], mode="nearest")
    with pytest.raises(OpError, match=r"take:.*integer.*float"):
        ops.take(x, unidl.tensor([0.0]))
    with pytest.raises(OpError, match=r"take:.*empty"):
        ops.take(unidl.tensor(np.zeros((3, 0))), [0], axis=1, mode="clip")
    assert ops.take(x, [], axis=0).shape == (0, 4)


def test_take_is_a_tensor_method():
    x = unidl.tensor(np.arange(5.0))
    np.testing.assert_array_equal(x.take([4, 0]).numpy(), [4.0, 0.0])


# -- take_along_axis / scatter_add / pick ----------------------------------------------------------

@st.composite
def along_axis_cases(draw, max_dims=3, max_side=4, modes=("raise", "wrap", "clip")):
    shape = draw(shapes(min_dims=1, max_dims=max_dims, max_side=max_side))
    axis = draw(st.integers(-len(shape), len(shape) - 1))
    ax = axis % len(shape)
    mode = draw(st.sampled_from(modes))
    k = draw(st.integers(0, 4))
    ishape = tuple(k if i == ax else (d if draw(st.integers(0, 3)) else 1) for i, d in enumerate(shape))
    n = shape[ax]
    if n == 0:
        ishape = tuple(0 if i == ax else d for i, d in enumerate(ishape))
        idx = np.zeros(ishape, np.int64)
    else:
        lo, hi = (-n, n - 1) if mode == "raise" else (-2 * n, 2 * n)
        idx = draw(hnp.arrays(np.int64, ishape, elements=st.integers(lo, hi)))
    return shape, axis, mode, idx


def _np_mode(idx, n, mode):
    if mode == "wrap":
        return idx % n if n else idx
    if mode == "clip":
        return np.clip(idx, 0, max(n - 1, 0))
    return idx


@given(case=along_axis_cases(), dt=st.sampled_from(VALUE_DTYPES), data=st.data())
def test_take_along_axis_matches_numpy(case, dt, data):
    shape, axis, mode, idx = case
    x = data.draw(arrays(dt, shape))
    got = ops.take_along_axis(unidl.tensor(x), unidl.tensor(idx), axis, mode=mode)
    want = np.take_along_axis(x, _np_mode(idx, shape[axis], mode), axis)
    assert got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_array_equal(got.numpy(), want)


@settings(max_examples=20)
@given(case=along_axis_cases(max_side=3), data=st.data())
def test_take_along_axis_grad(case, data):
    shape, axis, mode, idx = case
    x = data.draw(small_float64(shape))
    assert_grad_close(lambda t: ops.take_along_axis(t, idx, axis, mode=mode), x)


def test_take_along_axis_flat_and_errors():
    a = np.arange(6.0).reshape(2, 3)
    x = unidl.tensor(a)
    np.testing.assert_array_equal(ops.take_along_axis(x, [5, -6, 0], None).numpy(),
                                  np.take_along_axis(a, np.array([5, -6, 0]), None))
    assert_grad_close(lambda t: ops.take_along_axis(t, np.array([5, 5, 0]), None), a)
    with pytest.raises(OpError, match=r"take_along_axis:.*same number of dimensions.*\(2, 3\), \(3,\)"):
        ops.take_along_axis(x, [0, 1, 2], 1)
    with pytest.raises(OpError, match=r"take_along_axis:.*index 3.*\(2, 3\)"):
        ops.take_along_axis(x, [[0], [3]], 1)
    with pytest.raises(OpError, match=r"take_along_axis:.*dimension 0 has size 3"):
        ops.take_along_axis(x, np.zeros((3, 1), np.int64), 1)


def _picked_shape(x_shape, idx_shape, ax):
    """The shape take_along_axis picks: the index's size on ``ax``, elsewhere the broadcast size."""
    return np.broadcast_shapes(tuple(1 if i == ax else d for i, d in enumerate(x_shape)),
                               tuple(1 if i == ax else d for i, d in enumerate(idx_shape)))[:ax] + \
        (idx_shape[ax],) + np.broadcast_shapes(x_shape[ax + 1:], idx_shape[ax + 1:])


def _np_scatter_add(x, idx, upd, axis, mode):
    """Reference by loops: out[..., idx[p], ...] += upd[p] over every position p of the picked shape."""
    out = x.copy()
    ax = axis % x.ndim
    picked = _picked_shape(x.shape, idx.shape, ax)
    idx_b = np.broadcast_to(_np_mode(idx, x.shape[ax], mode), picked)
    upd_b = np.broadcast_to(upd, picked)
    for p in np.ndindex(*picked):
        q = list(p)
        q[ax] = idx_b[p]
        out[tuple(q)] += upd_b[p]
    return out


@given(case=along_axis_cases(), data=st.data())
def test_scatter_add_matches_numpy(case, data):
    shape, axis, mode, idx = case
    x = data.draw(small_float64(shape))
    ax = axis % len(shape)
    picked = _picked_shape(shape, idx.shape, ax)
    ushape = data.draw(st.sampled_from([picked, picked[1:], ()]))
    u = data.draw(small_float64(ushape))
    got = ops.scatter_add(unidl.tensor(x), unidl.tensor(idx), unidl.tensor(u), axis, mode=mode)
    assert got.shape == x.shape
    np.testing.assert_allclose(got.numpy(), _np_scatter_add(x, idx, u, axis, mode), rtol=1e-12, atol=1e-12)


@settings(max_examples=20)
@given(case=along_axis_cases(max_side=3), data=st.data())
def test_scatter_add_grad(case, data):
    shape, axis, mode, idx = case
    x = data.draw(small_float64(shape))
    ax = axis % len(shape)
    picked = _picked_shape(shape, idx.shape, ax)
    u = data.draw(small_float64(picked))
    assert_grad_close(lambda a, b: ops.scatter_add(a, idx, b, axis, mode=mode), x, u)


def test_scatter_add_duplicates_flat_and_errors():
    x = np.zeros((2, 3))
    got = ops.scatter_add(unidl.tensor(x), [[0, 0], [2, 2]], unidl.tensor([[1.0, 2.0], [3.0, 4.0]]), 1)
    np.testing.assert_array_equal(got.numpy(), [[3, 0, 0], [0, 0, 7]])
    flat = ops.scatter_add(unidl.tensor(x), [5, 5, -6], unidl.tensor([1.0, 1.0, 4.0]), None)
    np.testing.assert_array_equal(flat.numpy(), [[4, 0, 0], [0, 0, 2]])
    assert_grad_close(lambda a, b: ops.scatter_add(a, np.array([5, 5, 0]), b, None), x, np.ones(3))
    with pytest.raises(OpError, match=r"scatter_add:.*updates of shape \(3,\).*\(2, 2\)"):
        ops.scatter_add(unidl.tensor(x), [[0, 0], [1, 1]], unidl.tensor(np.ones(3)), 1)
    with pytest.raises(OpError, match=r"scatter_add:.*index 3.*\(2, 3\)"):
        ops.scatter_add(unidl.tensor(x), [[3], [0]], unidl.tensor(np.ones((2, 1))), 1)


@given(case=along_axis_cases(modes=("wrap", "clip")), keepdims=st.booleans(), float_index=st.booleans(),
       data=st.data())
def test_pick_matches_numpy(case, keepdims, float_index, data):
    shape, axis, mode, _ = case
    ax = axis % len(shape)
    n = shape[ax]
    ishape = shape[:ax] + shape[ax + 1:]
    if n == 0 and int(np.prod(ishape)):
        return  # nothing to pick from
    idx = data.draw(hnp.arrays(np.int64, ishape, elements=st.integers(-2 * n - 1, 2 * n + 1)))
    x = data.draw(arrays(np.float32, shape))
    want = np.take_along_axis(x, np.expand_dims(_np_mode(idx, n, mode), ax), ax)
    want = want if keepdims else np.squeeze(want, ax)
    uidx = unidl.tensor(idx.astype(np.float32) if float_index else idx)
    if data.draw(st.booleans()):
        uidx = uidx.reshape(np.expand_dims(idx, ax).shape)
    got = ops.pick(unidl.tensor(x), uidx, axis=axis, keepdims=keepdims, mode=mode)
    assert got.shape == want.shape
    np.testing.assert_array_equal(got.numpy(), want)


@settings(max_examples=15)
@given(case=along_axis_cases(max_side=3, modes=("clip",)), keepdims=st.booleans(), data=st.data())
def test_pick_grad(case, keepdims, data):
    shape, axis, mode, _ = case
    ax = axis % len(shape)
    n = shape[ax]
    ishape = shape[:ax] + shape[ax + 1:]
    if n == 0 and int(np.prod(ishape)):
        return
    idx = data.draw(hnp.arrays(np.int64, ishape, elements=st.integers(-1, n + 1)))
    x = data.draw(small_float64(shape))
    assert_grad_close(lambda t: ops.pick(t, idx, axis=axis, keepdims=keepdims), x)


def test_pick_defaults_flat_and_errors():
    a = np.arange(6.0).reshape(2, 3)
    x = unidl.tensor(a)
    np.testing.assert_array_equal(ops.pick(x, unidl.tensor([2.0, 7.0])).numpy(), [2.0, 5.0])  # clip
    np.testing.assert_array_equal(ops.pick(x, [4, -1, 1], axis=0, mode="wrap").numpy(),
                                  a[np.array([4, -1, 1]) % 2, np.arange(3)])
    np.testing.assert_array_equal(ops.pick(x, [[5, 9]], axis=None).numpy(), [[5.0, 5.0]])
    with pytest.raises(OpError, match=r"pick:.*\(2, 3\), \(3,\)"):
        ops.pick(x, [0, 1, 2], axis=1)
    with pytest.raises(OpError, match=r"pick:.*index 3"):
        ops.pick(x, [3, 0], mode="raise")


# -- gather_nd -------------------------------------------------------------------------------------

@settings(max_examples=20)
@given(shape=_grad_shapes(), data=st.data())
def test_gather_nd_matches_numpy_and_grad(shape, data):
    m = data.draw(st.integers(1, len(shape)))
    jshape = data.draw(shapes(min_dims=0, max_dims=2, max_side=3))
    if 0 in shape[:m]:
        jshape = (0,)
        idx = np.zeros((m,) + jshape, np.int64)
    else:
        idx = np.stack([data.draw(hnp.arrays(np.int64, jshape, elements=st.integers(-n, n - 1)))
                        for n in shape[:m]])
    x = data.draw(small_float64(shape))
    got = ops.gather_nd(unidl.tensor(x), unidl.tensor(idx))
    want = x[tuple(idx)]
    assert got.shape == want.shape
    np.testing.assert_array_equal(got.numpy(), want)
    assert_grad_close(lambda t: ops.gather_nd(t, idx), x)


def test_gather_nd_errors():
    x = unidl.tensor(np.zeros((3, 4)))
    with pytest.raises(OpError, match=r"gather_nd:.*\(3, 4\), \(3, 1\)"):
        ops.gather_nd(x, np.zeros((3, 1), np.int64))
    with pytest.raises(OpError, match=r"gather_nd:.*index 4.*\(3, 4\), \(2, 1\)"):
        ops.gather_nd(x, [[0], [4]])


# -- one_hot ---------------------------------------------------------------------------------------

@given(shape=shapes(min_dims=0, max_dims=3), depth=st.integers(0, 6),
       dt=st.sampled_from([np.float32, np.float64, np.int32, np.bool_]),
       onoff=st.sampled_from([(1, 0), (5, -1), (0.5, 0.25)]),
       idt=st.sampled_from([np.int64, np.int32, np.float32]), data=st.data())
def test_one_hot_matches_numpy(shape, depth, dt, onoff, idt, data):
    idx = data.draw(arrays(idt, shape, -3, 8).map(np.trunc if np.dtype(idt).kind == "f" else (lambda a: a)))
    on, off = onoff
    got = ops.one_hot(unidl.tensor(idx), depth, on_value=on, off_value=off, dtype=dt)
    hit = idx.astype(np.int64)[..., None] == np.arange(depth)
    want = np.where(hit, np.asarray(on).astype(dt), np.asarray(off).astype(dt))
    assert got.shape == shape + (depth,) and got.dtype == np.dtype(dt)
    np.testing.assert_array_equal(got.numpy(), want)


def test_one_hot_out_of_range_rows_are_off_and_no_grad():
    got = ops.one_hot([1, -1, 3, 0], 3)
    assert got.dtype == np.float32
    np.testing.assert_array_equal(got.numpy(), [[0, 1, 0], [0, 0, 0], [0, 0, 0], [1, 0, 0]])
    with unidl.record():
        y = ops.one_hot(unidl.tensor([0, 2]), 4)
    assert not y.requires_grad
    with pytest.raises(OpError, match=r"one_hot:.*depth.*\(2,\)"):
        ops.one_hot(unidl.tensor([0, 2]), -1)
    with pytest.raises(OpError, match=r"one_hot:.*bool"):
        ops.one_hot(unidl.tensor([True]), 2)


# -- kernels on an array module that does not check bounds itself (CuPy's path) ----------------------

class _OtherXP:
    """NumPy under another name: the kernels then take the paths written for CuPy (explicit bounds
    checks, mode handling for take), which this checks against the NumPy paths."""

    __name__ = "other_xp"

    def __getattr__(self, name):
        return getattr(np, name)


def _kernel_pair():
    from unidl.xpkernels.index import kernels

    return kernels(np), kernels(_OtherXP())


@given(case=advanced_keys(), data=st.data())
def test_non_numpy_kernel_paths_getitem_index_add(case, data):
    kn, ko = _kernel_pair()
    shape, npkey, _ = case
    x = data.draw(small_float64(shape))
    np.testing.assert_array_equal(ko["getitem"](x, npkey), kn["getitem"](x, npkey))
    v = data.draw(small_float64(x[npkey].shape))
    np.testing.assert_array_equal(ko["index_add"](None, v, npkey, shape, False),
                                  kn["index_add"](None, v, npkey, shape, False))


@given(case=take_cases(), data=st.data())
def test_non_numpy_kernel_paths_take(case, data):
    kn, ko = _kernel_pair()
    shape, axis, mode, idx = case
    axis = None if axis is None else axis % len(shape)  # kernels get the axis normalised
    x = data.draw(small_float64(shape))
    y = ko["take"](x, idx, axis, mode)
    np.testing.assert_array_equal(y, np.take(x, idx, axis=axis, mode=mode))
    g = data.draw(small_float64(y.shape))
    np.testing.assert_array_equal(ko["take_grad"](g, idx, shape, axis, mode), kn["take_grad"](g, idx, shape, axis, mode))


@pytest.mark.parametrize("call, frag", [
    (lambda k, x: k["getitem"](x, (slice(None), np.array([0, 4]))), "index 4 is out of bounds for axis 1 with size 4"),
    (lambda k, x: k["getitem"](x, (None, Ellipsis, np.array([-5]))), "index -5 is out of bounds for axis 1"),
    (lambda k, x: k["getitem"](x, (np.array([True, False, True]), np.array([9]))), "index 9 is out of bounds for axis 1"),
    (lambda k, x: k["take"](x, np.array([12]), None, "raise"), "index 12 is out of bounds for the flattened input"),
    (lambda k, x: k["take_along_axis"](x, np.array([[0], [1], [-5]]), 1, "raise"), "index -5 is out of bounds"),
    (lambda k, x: k["take"](np.zeros((0, 2)), np.array([0]), 0, "wrap"), "empty axis"),
])
def test_non_numpy_kernel_paths_bounds(call, frag):
    _, ko = _kernel_pair()
    with pytest.raises(IndexError, match=frag):
        call(ko, np.zeros((3, 4)))
