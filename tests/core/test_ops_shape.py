"""Shape ops (expand_dims, squeeze, flatten, swapaxes, moveaxis, concatenate, stack, split, slice,
slice_axis, pad, tile, repeat, flip) compared with plain NumPy, gradients by finite differences
(double backward where the backward uses ops of its own), and the errors bad input raises."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import unidl
from unidl import ops
from unidl.devices import Device
from unidl.tensor import wrap
from unidl.testing import assert_grad_close
from unidl.testing.gradcheck import grad_norm_fn
from unidl.testing.strategies import arrays, float_dtypes, shapes, small_float64

# Gradient checks keep inputs at <= 27 elements (central differences cost two forwards per element).
small_shapes = shapes(max_dims=3, max_side=3)
GRAD = settings(max_examples=10, deadline=None)


def _t(a, **kw):
    return unidl.tensor(a, **kw)


def _check(got, want):
    """Same values, shape and dtype as NumPy's result."""
    got = got.numpy() if isinstance(got, unidl.Tensor) else got
    assert got.shape == want.shape
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got, want)


def _raises(fn, op, *fragments):
    with pytest.raises(unidl.OpError) as ei:
        fn()
    msg = str(ei.value)
    assert msg.startswith(f"{op}:"), msg
    for f in fragments:
        assert f in msg, msg
    return msg


@st.composite
def array_and_axis(draw, min_dims=1, max_dims=4, max_side=4, dtype=None, lo=-10, hi=10):
    shape = draw(shapes(min_dims=min_dims, max_dims=max_dims, max_side=max_side))
    dt = dtype or draw(float_dtypes())
    x = draw(arrays(dt, shape, lo, hi))
    nd = len(shape)
    axis = draw(st.integers(-nd, nd - 1)) if nd else 0
    return x, axis


# -- expand_dims / squeeze / flatten / swapaxes / moveaxis ----------------------------------------

@given(shapes(max_dims=4), st.data())
def test_expand_dims_matches_numpy(shape, data):
    x = np.arange(math.prod(shape), dtype=np.float32).reshape(shape)
    k = data.draw(st.integers(1, 3))
    out_nd = len(shape) + k
    axes = data.draw(st.lists(st.integers(-out_nd, out_nd - 1), min_size=k, max_size=k,
                              unique_by=lambda a: a % out_nd))
    _check(ops.expand_dims(_t(x), tuple(axes)), np.expand_dims(x, tuple(axes)))
    one = data.draw(st.integers(-len(shape) - 1, len(shape)))
    _check(ops.expand_dims(_t(x), one), np.expand_dims(x, one))


@GRAD
@given(small_shapes.flatmap(small_float64), st.data())
def test_expand_dims_squeeze_grad(x, data):
    axis = data.draw(st.integers(-x.ndim - 1, x.ndim))
    assert_grad_close(lambda t: ops.squeeze(ops.expand_dims(t, axis), axis) * ops.expand_dims(t, axis).sum(),
                      x)
    assert_grad_close(lambda t: ops.expand_dims(t, axis), x)


@given(shapes(max_dims=5, max_side=3), st.data())
def test_squeeze_matches_numpy(shape, data):
    x = np.arange(math.prod(shape), dtype=np.float64).reshape(shape)
    _check(ops.squeeze(_t(x)), np.squeeze(x))
    ones = [i for i, d in enumerate(shape) if d == 1]
    if ones:
        pick = data.draw(st.lists(st.sampled_from(ones), min_size=1, unique=True))
        neg = tuple(a - len(shape) if data.draw(st.booleans()) else a for a in pick)
        _check(ops.squeeze(_t(x), neg), np.squeeze(x, neg))
        _check(ops.squeeze(_t(x), neg[0]), np.squeeze(x, neg[0]))
    big = [i for i, d in enumerate(shape) if d != 1]
    if big:
        _raises(lambda: ops.squeeze(_t(x), big[0]), "squeeze", f"axis {big[0]}", str(shape))


@GRAD
@given(shapes(max_dims=4, max_side=3).filter(lambda s: math.prod(s) <= 27).flatmap(small_float64))
def test_squeeze_grad(x):
    assert_grad_close(ops.squeeze, x)


@given(shapes(min_dims=0, max_dims=5, max_side=3), st.data())
def test_flatten_matches_numpy(shape, data):
    x = np.arange(math.prod(shape), dtype=np.float32).reshape(shape)
    nd = len(shape)
    if nd >= 1:  # the default: (N, rest) as Keras/Gluon Flatten; a 1-d (N,) becomes (N, 1)
        _check(ops.flatten(_t(x)), x.reshape(shape[0], math.prod(shape[1:])))
    _check(ops.flatten(_t(x), 0), x.reshape(-1) if x.size else x.reshape(0))
    s = data.draw(st.integers(0, nd))
    e = data.draw(st.integers(max(s - 1, 0 if nd else -1), nd - 1))  # e=-1 as an argument is the last axis
    want = x.reshape(shape[:s] + (math.prod(shape[s:e + 1]),) + shape[e + 1:])
    s_arg = s - nd if s < nd and data.draw(st.booleans()) else s
    e_arg = e - nd if e >= 0 and data.draw(st.booleans()) else e
    _check(ops.flatten(_t(x), s_arg, e_arg), want)


def test_flatten_method_and_errors():
    x = np.arange(24.0).reshape(2, 3, 4)
    _check(_t(x).flatten(), x.reshape(2, 12))
    assert ops.flatten(_t(np.arange(5.0))).shape == (5, 1)
    _raises(lambda: ops.flatten(_t(x), 2, 0), "flatten", "start_axis=2", "(2, 3, 4)")
    _raises(lambda: ops.flatten(_t(x), 5), "flatten", "(2, 3, 4)")
    _raises(lambda: ops.flatten(_t(np.float64(1.0))), "flatten", "()")


@GRAD
@given(small_shapes.flatmap(small_float64))
def test_flatten_grad(x):
    assert_grad_close(lambda t: ops.flatten(t, 0), x)
    if x.ndim:
        assert_grad_close(ops.flatten, x)


@given(array_and_axis(), st.data())
def test_swapaxes_moveaxis_match_numpy(xa, data):
    x, a = xa
    nd = x.ndim
    b = data.draw(st.integers(-nd, nd - 1))
    _check(ops.swapaxes(_t(x), a, b), np.swapaxes(x, a, b))
    _check(_t(x).swapaxes(b, a), np.swapaxes(x, b, a))
    _check(ops.moveaxis(_t(x), a, b), np.moveaxis(x, a, b))
    k = data.draw(st.integers(0, nd))
    src = data.draw(st.permutations(range(nd)))[:k]
    dst = data.draw(st.permutations(range(nd)))[:k]
    src = [s - nd if data.draw(st.booleans()) else s for s in src]
    _check(ops.moveaxis(_t(x), src, dst), np.moveaxis(x, src, dst))


@GRAD
@given(small_shapes.filter(lambda s: len(s) >= 2).flatmap(small_float64))
def test_swapaxes_moveaxis_grad(x):
    assert_grad_close(lambda t: ops.swapaxes(t, 0, -1), x)
    assert_grad_close(lambda t: ops.moveaxis(t, 0, -1), x)


def test_axis_errors_name_op_and_shape():
    x = _t(np.zeros((2, 3)))
    _raises(lambda: ops.expand_dims(x, 3), "expand_dims", "axis 3", "(2, 3)")
    _raises(lambda: ops.expand_dims(x, (0, -4)), "expand_dims", "repeated", "(2, 3)")
    _raises(lambda: ops.squeeze(x, 2), "squeeze", "axis 2", "(2, 3)")
    _raises(lambda: ops.swapaxes(x, 0, 2), "swapaxes", "axis 2", "(2, 3)")
    _raises(lambda: ops.moveaxis(x, (0, 1), 0), "moveaxis", "same number", "(2, 3)")
    _raises(lambda: ops.moveaxis(x, 0, 1.5), "moveaxis", "integer", "(2, 3)")
    _raises(lambda: ops.flip(x, (1, 1)), "flip", "repeated", "(2, 3)")


# -- concatenate / stack --------------------------------------------------------------------------

@st.composite
def concat_case(draw, max_side=4, max_k=4):
    base = draw(shapes(min_dims=1, max_dims=3, max_side=max_side))
    nd = len(base)
    axis = draw(st.integers(-nd, nd - 1))
    k = draw(st.integers(1, max_k))
    sizes = draw(st.lists(st.integers(0, max_side), min_size=k, max_size=k))
    dt = draw(float_dtypes())
    xs = []
    for n in sizes:
        s = list(base)
        s[axis] = n
        xs.append(draw(arrays(dt, tuple(s), -2, 2)))
    return xs, axis


@given(concat_case())
def test_concatenate_matches_numpy(case):
    xs, axis = case
    _check(ops.concatenate([_t(x) for x in xs], axis), np.concatenate(xs, axis))
    _check(ops.concatenate(tuple(_t(x) for x in xs), axis=None), np.concatenate([x.ravel() for x in xs]))


@GRAD
@given(concat_case(max_side=2, max_k=3))
def test_concatenate_grad(case):
    xs, axis = case
    assert_grad_close(lambda *ts: ops.concatenate(list(ts), axis), *xs)


def test_concatenate_double_backward():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((2, 3)), rng.standard_normal((1, 3))
    assert_grad_close(grad_norm_fn(lambda x, y: ops.square(ops.concatenate([x, y], 0))), a, b)


def test_concatenate_promotes_dtypes_and_grads_keep_input_dtype():
    a = _t(np.ones((2,), np.float32), requires_grad=True)
    b = _t(np.ones((3,), np.float64), requires_grad=True)
    with unidl.record():
        y = ops.concatenate([a, b])
    assert y.dtype == np.float64
    y.backward(_t(np.arange(5.0)))
    assert a.grad.dtype == np.float32 and b.grad.dtype == np.float64
    np.testing.assert_array_equal(a.grad.numpy(), [0, 1])
    np.testing.assert_array_equal(b.grad.numpy(), [2, 3, 4])
    _check(ops.concatenate([_t(np.arange(2)), _t(np.arange(2))]), np.concatenate([np.arange(2)] * 2))


@given(shapes(max_dims=3), st.integers(1, 4), st.data())
def test_stack_matches_numpy(shape, k, data):
    nd = len(shape)
    axis = data.draw(st.integers(-nd - 1, nd))
    xs = [data.draw(arrays(np.float32, shape)) for _ in range(k)]
    _check(ops.stack([_t(x) for x in xs], axis), np.stack(xs, axis))


@GRAD
@given(small_shapes.filter(lambda s: math.prod(s) <= 10), st.integers(1, 3), st.data())
def test_stack_grad(shape, k, data):
    axis = data.draw(st.integers(-len(shape) - 1, len(shape)))
    xs = [data.draw(small_float64(shape)) for _ in range(k)]
    assert_grad_close(lambda *ts: ops.stack(list(ts), axis), *xs)


def test_stack_double_backward():
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((2, 2)), rng.standard_normal((2, 2))
    assert_grad_close(grad_norm_fn(lambda x, y: ops.square(ops.stack([x, y], -1))), a, b)


def test_concatenate_stack_errors_name_all_shapes():
    a, b, c = _t(np.zeros((2, 3))), _t(np.zeros((2, 4))), _t(np.zeros((3, 3)))
    _raises(lambda: ops.concatenate([a, b, c], 0), "concatenate", "(2, 3)", "(2, 4)", "(3, 3)")
    _raises(lambda: ops.concatenate([a, _t(np.zeros(3))]), "concatenate", "dimensions", "(2, 3)", "(3,)")
    _raises(lambda: ops.concatenate([a, c], 2), "concatenate", "axis 2", "(2, 3)", "(3, 3)")
    _raises(lambda: ops.concatenate([_t(1.0), _t(2.0)]), "concatenate", "0-d")
    _raises(lambda: ops.concatenate([]), "concatenate", "at least one")
    _raises(lambda: ops.concatenate(a), "concatenate", "list")
    _raises(lambda: ops.concatenate([a, np.zeros((2, 3))]), "concatenate", "ndarray")
    _raises(lambda: ops.stack([a, b, c]), "stack", "same shape", "(2, 3)", "(2, 4)", "(3, 3)")
    _raises(lambda: ops.stack([a, a], 3), "stack", "axis 3", "(2, 3)")


def test_concatenate_stack_device_mismatch():
    a = _t(np.zeros((2, 3)))
    other = Device(a.device.kind, 7)  # a distinct device object of the same kind
    b = wrap(np.zeros((1, 3)), other)
    for op in (ops.concatenate, ops.stack):
        msg = _raises(lambda: op([a, b]), op.__name__, "devices", "(2, 3)", "(1, 3)")
        assert str(other) in msg
    with pytest.raises(unidl.errors.DeviceMismatchError):
        ops.concatenate([a, b])


# -- split -----------------------------------------------------------------------------------------

@given(array_and_axis(max_side=6), st.data())
def test_split_sections_matches_numpy(xa, data):
    x, axis = xa
    n = x.shape[axis]
    divisors = [k for k in range(1, 7) if n % k == 0]
    k = data.draw(st.sampled_from(divisors))
    got = ops.split(_t(x), k, axis)
    want = np.split(x, k, axis)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        _check(g, w)


@given(array_and_axis(max_side=6), st.lists(st.integers(-8, 8), max_size=4))
def test_split_indices_matches_numpy(xa, idx):
    x, axis = xa
    got = ops.split(_t(x), idx, axis=axis)
    want = np.split(x, idx, axis=axis)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        _check(g, w)


@GRAD
@given(array_and_axis(max_dims=3, max_side=3, dtype=np.float64, lo=-2, hi=2),
       st.lists(st.integers(-4, 4), max_size=3))
def test_split_grad(xa, idx):
    x, axis = xa
    # weight each piece differently so a gradient routed to the wrong piece shows
    assert_grad_close(lambda t: ops.concatenate([p * (i + 1.0) for i, p in enumerate(ops.split(t, idx, axis))],
                                                axis), x)
    assert_grad_close(lambda t: ops.split(t, [1], axis)[-1], x)


def test_split_errors():
    x = _t(np.zeros((5, 4)))
    msg = _raises(lambda: ops.split(x, 2), "split", "5", "2 equal sections", "(5, 4)")
    with pytest.raises(ValueError):
        np.split(np.zeros((5, 4)), 2)  # NumPy refuses the same
    assert "axis 0" in msg
    _raises(lambda: ops.split(x, 0, 1), "split", "positive", "(5, 4)")
    _raises(lambda: ops.split(x, 2, 2), "split", "axis 2", "(5, 4)")
    _raises(lambda: ops.split(_t(1.0), 1), "split", "0-d")
    assert [p.shape for p in ops.split(x, 2, -1)] == [(5, 2), (5, 2)]
    assert [p.shape for p in ops.split(x, np.array([1, 3]))] == [(1, 4), (2, 4), (2, 4)]


# -- slice / slice_axis ----------------------------------------------------------------------------

bound = st.one_of(st.none(), st.integers(-6, 6))
step_st = st.one_of(st.none(), st.integers(-3, 3).filter(lambda s: s != 0))


@st.composite
def slice_case(draw, max_dims=4, max_side=5, dtype=None):
    shape = draw(shapes(min_dims=0, max_dims=max_dims, max_side=max_side))
    k = draw(st.integers(0, len(shape)))
    begin = draw(st.lists(bound, min_size=k, max_size=k))
    end = draw(st.lists(bound, min_size=k, max_size=k))
    step = draw(st.one_of(st.none(), st.lists(step_st, min_size=k, max_size=k)))
    x = draw(arrays(dtype or draw(float_dtypes()), shape, -2, 2))
    return x, begin, end, step


def _np_slice(x, begin, end, step):
    step = step or [None] * len(begin)
    return x[tuple(slice(b, e, s) for b, e, s in zip(begin, end, step))]


@given(slice_case())
def test_slice_matches_numpy(case):
    x, begin, end, step = case
    _check(ops.slice(_t(x), begin, end, step), _np_slice(x, begin, end, step))


@GRAD
@given(slice_case(max_dims=3, max_side=3, dtype=np.float64))
def test_slice_grad(case):
    x, begin, end, step = case
    assert_grad_close(lambda t: ops.slice(t, begin, end, step), x)


def test_slice_double_backward():
    x = np.random.default_rng(2).standard_normal((4, 3))
    assert_grad_close(grad_norm_fn(lambda t: ops.square(ops.slice(t, (3, None), (0, None), (-2, 2)))), x)


@given(array_and_axis(), bound, bound)
def test_slice_axis_matches_numpy(xa, b, e):
    x, axis = xa
    key = [slice(None)] * x.ndim
    key[axis] = slice(b, e)
    _check(ops.slice_axis(_t(x), axis, b, e), x[tuple(key)])


@GRAD
@given(array_and_axis(max_dims=3, max_side=3, dtype=np.float64, lo=-2, hi=2), bound, bound)
def test_slice_axis_grad(xa, b, e):
    x, axis = xa
    assert_grad_close(lambda t: ops.slice_axis(t, axis, b, e), x)


def test_slice_errors():
    x = _t(np.zeros((2, 3)))
    _raises(lambda: ops.slice(x, (0, 0), (1, 1), (1, 0)), "slice", "step of axis 1 is 0", "(2, 3)")
    _raises(lambda: ops.slice(x, (0,), (1, 1)), "slice", "same length", "(2, 3)")
    _raises(lambda: ops.slice(x, (0, 0, 0), (1, 1, 1)), "slice", "3 axes", "(2, 3)")
    _raises(lambda: ops.slice(x, (0.5,), (1,)), "slice", "integer", "(2, 3)")
    _raises(lambda: ops.slice_axis(x, 2, 0, 1), "slice_axis", "axis 2", "(2, 3)")


# -- pad -------------------------------------------------------------------------------------------

@st.composite
def pad_case(draw, mode, max_dims=3, max_side=4, max_pad=6, dtype=None):
    min_side = 0 if mode == "constant" else 1
    shape = draw(shapes(min_dims=0, max_dims=max_dims, min_side=min_side, max_side=max_side))
    x = draw(arrays(dtype or draw(float_dtypes()), shape, -2, 2))
    form = draw(st.sampled_from(["full", "pair", "int"] if shape else ["pair", "int"]))
    if form == "full":
        width = tuple(tuple(draw(st.lists(st.integers(0, max_pad), min_size=2, max_size=2))) for _ in shape)
    elif form == "pair":
        width = tuple(draw(st.lists(st.integers(0, max_pad), min_size=2, max_size=2)))
    else:
        width = draw(st.integers(0, max_pad))
    return x, width


@pytest.mark.parametrize("mode", ["constant", "edge", "reflect"])
@given(data=st.data())
def test_pad_matches_numpy(mode, data):
    x, width = data.draw(pad_case(mode))
    if mode == "constant":
        c = data.draw(st.sampled_from([0, 1.5, -3]))
        _check(ops.pad(_t(x), width, constant_value=c), np.pad(x, width, mode="constant", constant_values=c))
    else:
        _check(ops.pad(_t(x), width, mode), np.pad(x, width, mode=mode))


@pytest.mark.parametrize("mode", ["constant", "edge", "reflect"])
@GRAD
@given(data=st.data())
def test_pad_grad(mode, data):
    x, width = data.draw(pad_case(mode, max_dims=2, max_side=4, max_pad=5, dtype=np.float64))
    assert_grad_close(lambda t: ops.pad(t, width, mode), x)


@pytest.mark.parametrize("mode", ["constant", "edge", "reflect"])
def test_pad_double_backward(mode):
    x = np.random.default_rng(3).standard_normal((3, 2))
    assert_grad_close(grad_norm_fn(lambda t: ops.square(ops.pad(t, ((4, 1), (2, 3)), mode))), x)


def test_pad_int_dtype_and_errors():
    xi = np.arange(6, dtype=np.int32).reshape(2, 3)
    _check(ops.pad(_t(xi), 1, constant_value=7), np.pad(xi, 1, constant_values=7))
    x = _t(np.zeros((2, 3)))
    _raises(lambda: ops.pad(x, -1), "pad", "negative", "(2, 3)")
    _raises(lambda: ops.pad(x, ((1, 1),) * 3), "pad", "pad_width", "(2, 3)")
    _raises(lambda: ops.pad(x, 1.5), "pad", "integer", "(2, 3)")
    _raises(lambda: ops.pad(x, 1, mode="wrap"), "pad", "mode", "(2, 3)")
    _raises(lambda: ops.pad(x, 1, constant_value=[1, 2]), "pad", "scalar", "(2, 3)")
    _raises(lambda: ops.pad(_t(np.zeros((0, 3))), 1, mode="edge"), "pad", "empty axis 0", "(0, 3)")
    _check(ops.pad(_t(np.zeros((0, 3))), ((0, 0), (1, 1)), mode="reflect"),
           np.pad(np.zeros((0, 3)), ((0, 0), (1, 1)), mode="reflect"))


# -- tile / repeat / flip --------------------------------------------------------------------------

@given(shapes(max_dims=3, max_side=3), st.lists(st.integers(0, 3), max_size=4), st.data())
def test_tile_matches_numpy(shape, reps, data):
    x = data.draw(arrays(np.float32, shape))
    _check(ops.tile(_t(x), reps), np.tile(x, reps))
    if reps:
        _check(_t(x).tile(reps[0]), np.tile(x, reps[0]))


@GRAD
@given(small_shapes.filter(lambda s: math.prod(s) <= 12).flatmap(small_float64),
       st.lists(st.integers(0, 3), max_size=4))
def test_tile_grad(x, reps):
    assert_grad_close(lambda t: ops.tile(t, reps), x)


def test_tile_double_backward():
    x = np.random.default_rng(4).standard_normal((2, 3))
    assert_grad_close(grad_norm_fn(lambda t: ops.square(ops.tile(t, (2, 1, 2)))), x)


@given(array_and_axis(min_dims=0), st.data())
def test_repeat_matches_numpy(xa, data):
    x, axis = xa
    r = data.draw(st.integers(0, 3))
    _check(ops.repeat(_t(x), r), np.repeat(x, r))
    if x.ndim:
        _check(ops.repeat(_t(x), r, axis), np.repeat(x, r, axis))
        n = x.shape[axis]
        per = np.array(data.draw(st.lists(st.integers(0, 3), min_size=n, max_size=n)), dtype=np.intp)
        _check(ops.repeat(_t(x), list(per), axis), np.repeat(x, per, axis))
        _check(ops.repeat(_t(x), [r], axis), np.repeat(x, [r], axis))
        _check(_t(x).repeat(per, axis=axis), np.repeat(x, per, axis=axis))
    per = np.array(data.draw(st.lists(st.integers(0, 3), min_size=x.size, max_size=x.size)), dtype=np.intp)
    _check(ops.repeat(_t(x), tuple(per)), np.repeat(x, per))


@GRAD
@given(array_and_axis(max_dims=3, max_side=3, dtype=np.float64, lo=-2, hi=2), st.data())
def test_repeat_grad(xa, data):
    x, axis = xa
    r = data.draw(st.integers(0, 3))
    assert_grad_close(lambda t: ops.repeat(t, r, axis), x)
    assert_grad_close(lambda t: ops.repeat(t, r), x)
    n = x.shape[axis]
    per = data.draw(st.lists(st.integers(0, 3), min_size=n, max_size=n))
    assert_grad_close(lambda t: ops.repeat(t, per, axis), x)


@pytest.mark.parametrize("repeats", [2, [0, 2, 1]])
def test_repeat_double_backward(repeats):
    x = np.random.default_rng(5).standard_normal((2, 3))
    assert_grad_close(grad_norm_fn(lambda t: ops.square(ops.repeat(t, repeats, -1))), x)


def test_repeat_tile_errors():
    x = _t(np.zeros((2, 3)))
    _raises(lambda: ops.repeat(x, [1, 2], 1), "repeat", "2 repeats", "size 3", "(2, 3)")
    _raises(lambda: ops.repeat(x, -1, 1), "repeat", "non-negative", "(2, 3)")
    _raises(lambda: ops.repeat(x, 2, -3), "repeat", "axis -3", "(2, 3)")
    _raises(lambda: ops.repeat(x, 1.5), "repeat", "integer", "(2, 3)")
    _raises(lambda: ops.tile(x, (2, -1)), "tile", "non-negative", "(2, 3)")


@given(shapes(max_dims=4), st.data())
def test_flip_matches_numpy(shape, data):
    x = data.draw(arrays(np.float64, shape))
    _check(ops.flip(_t(x)), np.flip(x))
    nd = len(shape)
    if nd:
        axes = data.draw(st.lists(st.integers(-nd, nd - 1), max_size=nd, unique_by=lambda a: a % nd))
        _check(ops.flip(_t(x), tuple(axes)), np.flip(x, tuple(axes)) if axes else x)
        _check(_t(x).flip(axes[0] if axes else 0), np.flip(x, axes[0] if axes else 0))


@GRAD
@given(small_shapes.flatmap(small_float64))
def test_flip_grad(x):
    assert_grad_close(ops.flip, x)
    if x.ndim:
        assert_grad_close(lambda t: ops.flip(t, -1), x)


def test_flip_double_backward():
    x = np.random.default_rng(6).standard_normal((2, 3))
    assert_grad_close(grad_norm_fn(lambda t: ops.square(ops.flip(t, 0))), x)


def test_methods_and_dtypes_kept():
    x = _t(np.arange(6, dtype=np.float32).reshape(1, 2, 3))
    assert x.squeeze().shape == (2, 3)
    assert x.expand_dims(-1).shape == (1, 2, 3, 1)
    for y in (ops.pad(x, 1, "reflect"), ops.slice(x, (None, 1), (None, None)), ops.tile(x, 2),
              ops.repeat(x, 2, 1), ops.flip(x), ops.concatenate([x, x]), ops.stack([x, x]), ops.split(x, 3, 2)[0]):
        assert y.dtype == np.float32
