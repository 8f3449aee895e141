"""Reductions against NumPy: forward on generated shapes/axes, gradients by finite differences."""
from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import unidl
from unidl import ops
from unidl.kernels import OPS, namespace
from unidl.testing import assert_grad_close, grad_norm_fn
from unidl.testing.strategies import arrays, float_dtypes, shapes


ALL_DTYPES = (np.float32, np.float64, np.int32, np.int64)


@st.composite
def array_and_axis(draw, dtype=None, min_side=0, max_side=4, min_dims=0, allow_tuple=True, dtypes=None):
    shp = draw(shapes(min_dims=min_dims, max_dims=4, min_side=min_side, max_side=max_side))
    dt = dtype or draw(st.sampled_from(dtypes) if dtypes else float_dtypes())
    a = draw(arrays(dt, shp))
    nd = len(shp)
    if nd == 0 or draw(st.booleans()):
        axis = None
    elif allow_tuple and draw(st.booleans()):
        axis = tuple(draw(st.lists(st.integers(-nd, nd - 1), min_size=1, max_size=nd,
                                   unique_by=lambda i: i % nd)))
    else:
        axis = draw(st.integers(-nd, nd - 1))
    return a, axis, draw(st.booleans())


def _reduced_size(a, axis):
    return a.size if axis is None else int(np.prod([a.shape[i] for i in np.atleast_1d(axis)]))


def _tol(dt):
    return dict(rtol=1e-4, atol=1e-4) if np.dtype(dt) == np.float32 else dict(rtol=1e-10, atol=1e-10)


SIMPLE = {"sum": np.sum, "mean": np.mean, "prod": np.prod, "var": np.var, "std": np.std}


@pytest.mark.parametrize("name", sorted(SIMPLE))
@given(case=array_and_axis(min_side=0, dtypes=ALL_DTYPES))
def test_forward_matches_numpy(name, case):
    a, axis, keep = case
    with warnings.catch_warnings():  # mean/var/std of an empty reduction are NaN with a warning, as NumPy
        warnings.simplefilter("ignore", RuntimeWarning)
        got = getattr(ops, name)(unidl.tensor(a), axis=axis, keepdims=keep)
        want = SIMPLE[name](a, axis=axis, keepdims=keep)
    assert got.shape == np.shape(want)
    assert got.dtype == np.asarray(want).dtype
    np.testing.assert_allclose(got.numpy(), want, **_tol(a.dtype))


@pytest.mark.parametrize("name", ["max", "min"])
@given(case=array_and_axis(min_side=0, dtypes=ALL_DTYPES))
def test_max_min_match_numpy(name, case):
    a, axis, keep = case
    if _reduced_size(a, axis) == 0:
        with pytest.raises(unidl.OpError, match=rf"{name}: .*empty.*{re.escape(str(a.shape))}"):
            getattr(ops, name)(unidl.tensor(a), axis=axis, keepdims=keep)
        return
    got = getattr(ops, name)(unidl.tensor(a), axis=axis, keepdims=keep)
    want = getattr(np, name)(a, axis=axis, keepdims=keep)
    assert got.dtype == want.dtype
    np.testing.assert_array_equal(got.numpy(), want)


def test_max_of_empty_is_an_op_error():
    with pytest.raises(unidl.OpError, match=r"max.*\(0, 3\)"):
        ops.max(unidl.zeros((0, 3)))
    with pytest.raises(unidl.OpError, match="min"):
        ops.min(unidl.zeros((0, 3)), axis=0)
    assert ops.max(unidl.zeros((0, 3)), axis=1).shape == (0,)
    assert ops.sum(unidl.zeros((0, 3))).numpy() == 0
    assert ops.prod(unidl.zeros((0, 3))).numpy() == 1


@pytest.mark.parametrize("name", ["argmax", "argmin"])
@given(case=array_and_axis(min_side=0, allow_tuple=False, dtypes=ALL_DTYPES))
def test_argmax_argmin(name, case):
    a, axis, keep = case
    if _reduced_size(a, axis) == 0:
        with pytest.raises(unidl.OpError, match=rf"{name}: .*empty.*{re.escape(str(a.shape))}"):
            getattr(ops, name)(unidl.tensor(a), axis=axis, keepdims=keep)
        return
    got = getattr(ops, name)(unidl.tensor(a), axis=axis, keepdims=keep)
    want = getattr(np, name)(a, axis=axis)
    if keep:
        want = np.expand_dims(want, axis) if axis is not None else np.reshape(want, (1,) * a.ndim)
    assert got.dtype == np.int64
    assert got.shape == want.shape
    np.testing.assert_array_equal(got.numpy(), want)


def test_argmax_refuses_tuple_axis_and_is_not_differentiable():
    with pytest.raises(unidl.OpError, match=r"argmax.*\(2, 3\)"):
        ops.argmax(unidl.ones((2, 3)), axis=(0, 1))
    x = unidl.tensor([1.0, 3.0, 2.0], requires_grad=True)
    with unidl.record():
        i = ops.argmax(x)
    assert not i.requires_grad and int(i.numpy()) == 1


@given(case=array_and_axis(min_side=1, dtypes=ALL_DTYPES), ddof=st.integers(0, 2))
def test_var_std_ddof(case, ddof):
    a, axis, keep = case
    assume(_reduced_size(a, axis) > ddof)
    tol = _tol(a.dtype) if a.dtype == np.float32 else dict(rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(ops.var(unidl.tensor(a), axis, keep, ddof=ddof).numpy(),
                               np.var(a, axis=axis, keepdims=keep, ddof=ddof), **tol)
    np.testing.assert_allclose(ops.std(unidl.tensor(a), axis, keep, ddof=ddof).numpy(),
                               np.std(a, axis=axis, keepdims=keep, ddof=ddof), **tol)


def _np_logsumexp(a, axis, keep):
    a = a.astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        m = np.max(a, axis=axis, keepdims=True) if a.size else np.zeros((1,) * a.ndim)
        m = np.where(np.isfinite(m), m, 0)
        out = np.log(np.sum(np.exp(a - m), axis=axis, keepdims=True)) + m
    return out if keep else np.squeeze(out, axis=axis) if axis is not None else out.reshape(())


def _axes(a, axis):
    return None if axis is None else tuple(sorted(i % a.ndim for i in np.atleast_1d(axis)))


@given(case=array_and_axis(min_side=0))
def test_logsumexp_kernel_and_composite(case):
    a, axis, keep = case
    want = _np_logsumexp(a, axis, keep)
    with np.errstate(divide="ignore"):  # log(0) of an empty reduction is -inf
        got = ops.logsumexp(unidl.tensor(a), axis, keep)
        comp = OPS["logsumexp"].composite(namespace("cpu"), a, axis=_axes(a, axis), keepdims=keep)
    assert got.dtype == a.dtype and comp.dtype == a.dtype
    assert got.shape == want.shape == comp.shape
    np.testing.assert_allclose(got.numpy(), want, **_tol(a.dtype))
    np.testing.assert_allclose(comp, want, **_tol(a.dtype))


@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_logsumexp_is_stable_for_large_and_infinite_values(dt):
    a = np.array([[1000.0, 1000.0], [-1000.0, -1001.0], [-np.inf, -np.inf], [np.inf, 1.0]], dt)
    want = np.array([1000 + np.log(2), -1000 + np.log1p(np.exp(-1.0)), -np.inf, np.inf])
    with np.errstate(divide="ignore"):
        got = ops.logsumexp(unidl.tensor(a), axis=-1).numpy()
        comp = OPS["logsumexp"].composite(namespace("cpu"), a, axis=(1,), keepdims=False)
    np.testing.assert_allclose(got, want, rtol=1e-6)
    np.testing.assert_allclose(comp, want, rtol=1e-6)


@given(data=st.data(), dt=st.sampled_from(ALL_DTYPES), rev=st.booleans())
def test_cumsum(data, dt, rev):
    a = data.draw(arrays(dt, shapes(min_dims=1, max_side=5)))
    axis = data.draw(st.integers(-a.ndim, a.ndim - 1))
    got = ops.cumsum(unidl.tensor(a), axis, reverse=rev)
    want = np.flip(np.cumsum(np.flip(a, axis), axis), axis) if rev else np.cumsum(a, axis)
    assert got.dtype == want.dtype and got.shape == want.shape
    np.testing.assert_allclose(got.numpy(), want, **_tol(a.dtype))
    np.testing.assert_allclose(ops.cumsum(unidl.tensor(a)).numpy(), np.cumsum(a), **_tol(a.dtype))


def test_cumsum_of_0d():
    np.testing.assert_array_equal(ops.cumsum(unidl.tensor(3.0), 0).numpy(), np.cumsum(np.array(3.0), axis=0))


@given(case=array_and_axis(min_side=0, dtypes=(np.bool_, np.int64, np.float64)))
def test_all_any(case):
    a, axis, keep = case
    for name in ("all", "any"):
        got = getattr(ops, name)(unidl.tensor(a), axis, keep)
        want = getattr(np, name)(a, axis=axis, keepdims=keep)
        assert got.dtype == np.bool_
        np.testing.assert_array_equal(got.numpy(), want)


def _np_norm(a, ord_, axis, keep):
    a = np.abs(a.astype(np.float64) if a.dtype.kind != "f" else a)
    if ord_ == 1:
        return a.sum(axis=axis, keepdims=keep)
    if ord_ == 2:
        return np.sqrt((a * a).sum(axis=axis, keepdims=keep))
    return a.max(axis=axis, keepdims=keep, initial=0)


@pytest.mark.parametrize("ord_", [1, 2, np.inf])
@given(case=array_and_axis(min_side=0, dtypes=ALL_DTYPES))
def test_norm(ord_, case):
    a, axis, keep = case
    got = ops.norm(unidl.tensor(a), ord_, axis, keep)
    want = _np_norm(a, ord_, axis, keep)
    assert got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_allclose(got.numpy(), want, **_tol(a.dtype))
    if axis is None and a.ndim and a.size:  # NumPy's own vector norm of the flattened input
        np.testing.assert_allclose(got.numpy(), np.linalg.norm(a.reshape(-1), ord_), **_tol(a.dtype))


@pytest.mark.parametrize("name", ["sum", "mean", "max", "min", "prod", "var", "std", "logsumexp", "all", "any",
                                  "norm", "argmax", "argmin", "cumsum"])
def test_bad_axis_names_op_and_shape(name):
    x = unidl.ones((3, 4))
    fn = getattr(ops, name)
    for bad in (2, -3):
        with pytest.raises(unidl.OpError, match=rf"^{name}: axis {bad} is out of range.*\(3, 4\)"):
            fn(x, axis=bad)
    if name not in ("argmax", "argmin", "cumsum"):
        with pytest.raises(unidl.OpError, match=rf"^{name}: axis 0 repeated.*\(3, 4\)"):
            fn(x, axis=(0, -2))


def test_norm_bad_ord():
    with pytest.raises(unidl.OpError, match=r"norm: ord must be 1, 2 or inf.*\(3,\)"):
        ops.norm(unidl.ones(3), ord=3)


def test_tensor_methods():
    a = np.arange(6.0).reshape(2, 3)
    t = unidl.tensor(a)
    np.testing.assert_allclose(t.sum(axis=-1).numpy(), a.sum(-1))
    np.testing.assert_allclose(t.mean(0, keepdims=True).numpy(), a.mean(0, keepdims=True))
    np.testing.assert_allclose(t.max().numpy(), a.max())


# -- gradients ---------------------------------------------------------------------------------------

@st.composite
def small_case(draw, values=None):
    shp = draw(shapes(min_dims=1, max_dims=3, min_side=1, max_side=3))
    a = draw(arrays(np.float64, shp, -2, 2)) if values is None else draw(
        hnp.arrays(np.float64, shp, elements=st.sampled_from(values)))
    nd = len(shp)
    r = draw(st.integers(0, 2))
    if r == 0:
        axis = None
    elif r == 1:
        axis = draw(st.integers(-nd, nd - 1))
    else:
        axis = tuple(draw(st.lists(st.integers(-nd, nd - 1), min_size=1, max_size=nd, unique_by=lambda i: i % nd)))
    return a, axis, draw(st.booleans())


def _distinct(a):
    """``a`` with no two entries equal (nor equal in magnitude): no ties for max/min/inf-norm."""
    return a + (np.arange(a.size).reshape(a.shape) + 1) * 1e-2 * np.where(a >= 0, 1, -1)


@pytest.mark.parametrize("name", ["sum", "mean", "var", "logsumexp"])
@given(case=small_case())
@settings(max_examples=10)
def test_smooth_gradients(name, case):
    a, axis, keep = case
    assert_grad_close(lambda t: getattr(ops, name)(t, axis=axis, keepdims=keep), a, rtol=1e-5, atol=1e-6)


@given(case=small_case(), ddof=st.integers(0, 1))
@settings(max_examples=10)
def test_std_var_ddof_gradients(case, ddof):
    a, axis, keep = case
    a = _distinct(a)
    assume(_reduced_size(a, axis) > ddof)
    assume(np.all(np.std(a, axis=axis) > 1e-2))
    assert_grad_close(lambda t: ops.std(t, axis=axis, keepdims=keep, ddof=ddof), a, rtol=1e-5, atol=1e-6)
    assert_grad_close(lambda t: ops.var(t, axis=axis, keepdims=keep, ddof=ddof), a, rtol=1e-5, atol=1e-6)


@given(case=small_case(values=[-2.0, -1.0, -0.5, 0.0, 0.0, 0.5, 1.5, 2.0]))
@settings(max_examples=15)
def test_prod_gradient_with_and_without_zeros(case):
    # prod is linear in each entry, so central differences are exact even at zeros
    a, axis, keep = case
    assert_grad_close(lambda t: ops.prod(t, axis=axis, keepdims=keep), a, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("name", ["max", "min"])
@given(case=small_case())
@settings(max_examples=10)
def test_max_min_gradients_without_ties(name, case):
    a, axis, keep = case
    assert_grad_close(lambda t: getattr(ops, name)(t, axis=axis, keepdims=keep), _distinct(a), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", ["max", "min"])
def test_max_min_gradient_is_shared_among_ties(name):
    a = np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]])
    x = unidl.tensor(a if name == "max" else -a, requires_grad=True)
    with unidl.record():
        y = getattr(ops, name)(x, axis=1)
    y.backward(unidl.tensor([1.0, 6.0]))
    np.testing.assert_allclose(x.grad.numpy(), [[0, 0.5, 0.5], [2, 2, 2]])


def test_prod_gradient_with_zeros():
    a = np.array([[2.0, 0.0, 3.0], [0.0, 0.0, 4.0], [1.0, 2.0, 5.0]])
    x = unidl.tensor(a, requires_grad=True)
    with unidl.record():
        y = ops.prod(x, axis=1)
    y.backward()
    want = np.array([[0, 6, 0], [0, 0, 0], [10, 5, 2]], float)
    np.testing.assert_allclose(x.grad.numpy(), want)


@given(data=st.data(), rev=st.booleans())
@settings(max_examples=10)
def test_cumsum_gradient(data, rev):
    a = data.draw(arrays(np.float64, shapes(min_dims=1, max_dims=3, min_side=1, max_side=3), -2, 2))
    axis = data.draw(st.integers(-a.ndim, a.ndim - 1))
    assert_grad_close(lambda t: ops.cumsum(t, axis, reverse=rev), a)
    assert_grad_close(lambda t: ops.cumsum(t), a)


@pytest.mark.parametrize("ord_", [1, 2, np.inf])
@given(case=small_case())
@settings(max_examples=10)
def test_norm_gradients(ord_, case):
    a, axis, keep = case
    a = _distinct(np.where(np.abs(a) < 0.05, 0.5, a))  # away from the kinks of |x| and from ties
    assert_grad_close(lambda t: ops.norm(t, ord_, axis=axis, keepdims=keep), a, rtol=1e-5, atol=1e-6)


def test_norm2_gradient_at_zero_is_zero():
    x = unidl.tensor(np.zeros((2, 3)), requires_grad=True)
    with unidl.record():
        y = ops.norm(x, 2, axis=1)
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), 0)
    assert not np.any(np.isnan(x.grad.numpy()))


@pytest.mark.parametrize("fn", [
    lambda t: ops.logsumexp(t, 1), lambda t: ops.var(t, 0, ddof=1), lambda t: ops.std(t, -1),
    lambda t: ops.mean(ops.multiply(t, t)), lambda t: ops.prod(t, 1), lambda t: ops.norm(t, 2, axis=0),
    lambda t: ops.max(ops.multiply(t, t), axis=1), lambda t: ops.cumsum(ops.multiply(t, t), 1, reverse=True),
])
def test_second_order(fn):
    a = np.array([[0.3, -1.2, 0.8], [1.5, 0.1, -0.7]])
    assert_grad_close(grad_norm_fn(fn), a, rtol=1e-4, atol=1e-6)


def _hessian_vector_fn(fn, seed=5):
    """``x -> sum(grad(sum(fn(x) * w)) * v)``: its gradient is the Hessian times ``v``, which is
    non-zero at inputs where the gradient itself is 0 (unlike the gradient's squared norm)."""
    def h(t):
        t.requires_grad = True
        rng = np.random.default_rng(seed)
        with unidl.record():
            y = fn(t)
            w = unidl.tensor(rng.standard_normal(y.shape))
            (gx,) = unidl.autograd.grad(ops.sum(ops.multiply(y, w)), [t], create_graph=True)
        return ops.sum(ops.multiply(gx, unidl.tensor(rng.standard_normal(t.shape))))

    return h


@pytest.mark.parametrize("a", [
    np.array([[0.0, 1.5, -2.0, 0.7], [0.0, 0.0, 1.3, -0.4], [2.0, 0.0, 0.0, -1.0]]),
    np.array([[0.3, -1.2, 0.0], [1.5, 0.1, -0.7]]),
    np.array([[0.3, 0.0, 0.0], [1.5, 0.1, -0.7]]),
])
def test_prod_second_order_with_zeros(a):
    # the Hessian of prod is exact with up to two zeros per reduced group (row 3 of the first case
    # has three: its Hessian is 0, also exact)
    assert_grad_close(_hessian_vector_fn(lambda t: ops.prod(t, axis=1)), a, rtol=1e-5, atol=1e-6)
    assert_grad_close(_hessian_vector_fn(lambda t: ops.prod(t, axis=0, keepdims=True)), a, rtol=1e-5, atol=1e-6)


@st.composite
def small_case_tuple_axis(draw):
    shp = draw(shapes(min_dims=2, max_dims=3, min_side=1, max_side=3))
    nd = len(shp)
    a = draw(arrays(np.float64, shp, -2, 2))
    axis = tuple(draw(st.lists(st.integers(-nd, nd - 1), min_size=1, max_size=nd, unique_by=lambda i: i % nd)))
    return a, axis, draw(st.booleans())


@given(case=small_case_tuple_axis(), ddof=st.integers(0, 1))
@settings(max_examples=10)
def test_gradients_over_tuple_axes(case, ddof):
    a, axis, keep = case
    a = np.where(np.abs(a) < 0.1, 0.5, a)  # away from the kinks of |x| (norms) at 0
    a = a + np.arange(a.size).reshape(a.shape) * 1e-3  # distinct values: no ties for max/min/norm-inf
    assume(_reduced_size(a, axis) > ddof)
    for fn in (lambda t: ops.mean(t, axis, keep), lambda t: ops.logsumexp(t, axis, keep),
               lambda t: ops.max(t, axis, keep), lambda t: ops.min(t, axis, keep),
               lambda t: ops.var(t, axis, keep, ddof=ddof), lambda t: ops.norm(t, 1, axis, keep),
               lambda t: ops.norm(t, 2, axis, keep), lambda t: ops.norm(t, np.inf, axis, keep)):
        assert_grad_close(fn, a, rtol=1e-5, atol=1e-6)
    if np.all(np.std(a, axis=axis) > 1e-2):
        assert_grad_close(lambda t: ops.std(t, axis, keep, ddof=ddof), a, rtol=1e-5, atol=1e-6)


def test_min_gradient_is_shared_among_ties():
    x = unidl.tensor([[1.0, 1.0, 3.0, 1.0], [0.5, 2.0, 2.0, 4.0]], requires_grad=True)
    with unidl.record():
        y = ops.min(x, axis=-1, keepdims=True)
    y.backward(unidl.tensor([[3.0], [2.0]]))
    np.testing.assert_allclose(x.grad.numpy(), [[1, 1, 0, 1], [2, 0, 0, 0]])
    x = unidl.tensor([2.0, 5.0, 5.0], requires_grad=True)  # full reduction
    with unidl.record():
        y = ops.max(x)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [0, 0.5, 0.5])


@pytest.mark.parametrize("axis", [None, 0, -1, (0, 1)])
def test_prod_gradient_with_zeros_by_finite_differences(axis):
    # prod is linear in each input, so central differences are exact also at zeros
    a = np.array([[2.0, 0.0, 3.0], [0.0, 0.0, 4.0], [1.0, -2.0, 0.5]])
    assert_grad_close(lambda t: ops.prod(t, axis=axis), a)
    assert_grad_close(lambda t: ops.prod(t, axis=axis, keepdims=True), np.array([[0.0, 1.5], [2.0, -1.0]]))
    # second order: the gradient is a polynomial, so its finite differences are exact too
    assert_grad_close(grad_norm_fn(lambda t: ops.prod(t, axis=axis)), a, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_norm_gradient_at_zero_is_zero(dt):
    x = unidl.tensor(np.array([[0.0, 0.0], [3.0, 4.0]], dt), requires_grad=True)
    with unidl.record():
        y = ops.norm(x, axis=1)
    y.backward()
    assert x.grad.dtype == dt
    np.testing.assert_allclose(x.grad.numpy(), [[0, 0], [0.6, 0.8]], rtol=1e-6)


def test_cumsum_gradient_is_reversed_cumsum():
    x = unidl.tensor(np.ones((2, 3)), requires_grad=True)
    with unidl.record():
        y = ops.cumsum(x, -1)
    g = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    y.backward(unidl.tensor(g))
    np.testing.assert_allclose(x.grad.numpy(), np.flip(np.cumsum(np.flip(g, 1), 1), 1))


def test_logsumexp_gradient_is_softmax():
    a = np.array([[1000.0, 1000.0, 999.0], [-5.0, 0.0, 2.0]])
    x = unidl.tensor(a, requires_grad=True)
    with unidl.record():
        y = ops.logsumexp(x, axis=1)
    y.backward()
    e = np.exp(a - a.max(1, keepdims=True))
    np.testing.assert_allclose(x.grad.numpy(), e / e.sum(1, keepdims=True), rtol=1e-12)


def test_second_order_of_prod_std_norm_max():
    rng = np.random.default_rng(2)
    a = rng.uniform(0.5, 2.0, (2, 3)) * np.sign(rng.standard_normal((2, 3)))
    for fn in (lambda t: ops.prod(t, 1), lambda t: ops.std(t, -1, ddof=1), lambda t: ops.norm(t, 2, axis=1),
               lambda t: ops.max(ops.multiply(t, t), 0), lambda t: ops.cumsum(ops.multiply(t, t), 1)):
        assert_grad_close(grad_norm_fn(fn), a, rtol=1e-4, atol=1e-6)


def test_size_one_and_size_zero_gradients():
    assert_grad_close(lambda t: ops.var(t, axis=0, keepdims=True), np.array([[1.5, -0.5]]))
    assert_grad_close(lambda t: ops.max(t, axis=-1), np.array([[0.3], [-1.2]]))
    x = unidl.tensor(np.zeros((0, 3)), requires_grad=True)
    with unidl.record():
        y = ops.sum(x, axis=0)
    y.backward()
    assert x.grad.shape == (0, 3)
