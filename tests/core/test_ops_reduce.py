"""Reductions against NumPy: forward on generated shapes/axes, gradients by finite differences."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import unidl
from unidl import ops
from unidl.kernels import OPS, namespace
from unidl.testing import assert_grad_close, grad_norm_fn
from unidl.testing.strategies import arrays, float_dtypes, shapes


@st.composite
def array_and_axis(draw, dtype=None, min_side=0, max_side=4, min_dims=0, allow_tuple=True):
    shp = draw(shapes(min_dims=min_dims, max_dims=4, min_side=min_side, max_side=max_side))
    dt = dtype or draw(float_dtypes())
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


def _tol(dt):
    return dict(rtol=1e-4, atol=1e-4) if np.dtype(dt) == np.float32 else dict(rtol=1e-10, atol=1e-10)


SIMPLE = {"sum": np.sum, "mean": np.mean, "prod": np.prod, "var": np.var, "std": np.std}


@pytest.mark.parametrize("name", sorted(SIMPLE))
@given(case=array_and_axis(min_side=1))
def test_forward_matches_numpy(name, case):
    a, axis, keep = case
    got = getattr(ops, name)(unidl.tensor(a), axis=axis, keepdims=keep)
    want = SIMPLE[name](a, axis=axis, keepdims=keep)
    assert got.shape == np.shape(want)
    assert got.dtype == np.asarray(want).dtype
    np.testing.assert_allclose(got.numpy(), want, **_tol(a.dtype))


@pytest.mark.parametrize("name", ["max", "min"])
@given(case=array_and_axis(min_side=1))
def test_max_min_match_numpy(name, case):
    a, axis, keep = case
    got = getattr(ops, name)(unidl.tensor(a), axis=axis, keepdims=keep)
    want = getattr(np, name)(a, axis=axis, keepdims=keep)
    np.testing.assert_array_equal(got.numpy(), want)


@given(case=array_and_axis(min_side=0))
def test_sum_and_prod_of_empty_follow_numpy(case):
    a, axis, keep = case
    np.testing.assert_allclose(ops.sum(unidl.tensor(a), axis, keep).numpy(), np.sum(a, axis=axis, keepdims=keep))
    np.testing.assert_allclose(ops.prod(unidl.tensor(a), axis, keep).numpy(), np.prod(a, axis=axis, keepdims=keep),
                               rtol=1e-4)


def test_max_of_empty_is_an_op_error():
    with pytest.raises(unidl.OpError, match=r"max.*\(0, 3\)"):
        ops.max(unidl.zeros((0, 3)))
    with pytest.raises(unidl.OpError, match="min"):
        ops.min(unidl.zeros((0, 3)), axis=0)
    assert ops.max(unidl.zeros((0, 3)), axis=1).shape == (0,)


@given(a=arrays(np.int64, shapes(min_dims=1, min_side=1)), keep=st.booleans())
def test_integer_inputs(a, keep):
    t = unidl.tensor(a)
    np.testing.assert_array_equal(ops.sum(t, -1, keep).numpy(), np.sum(a, -1, keepdims=keep))
    np.testing.assert_array_equal(ops.max(t, 0, keep).numpy(), np.max(a, 0, keepdims=keep))
    np.testing.assert_allclose(ops.mean(t).numpy(), np.mean(a))


@pytest.mark.parametrize("name", ["argmax", "argmin"])
@given(case=array_and_axis(min_side=1, allow_tuple=False))
def test_argmax_argmin(name, case):
    a, axis, keep = case
    got = getattr(ops, name)(unidl.tensor(a), axis=axis, keepdims=keep)
    want = getattr(np, name)(a, axis=axis)
    if keep:
        want = np.expand_dims(want, axis) if axis is not None else np.reshape(want, (1,) * a.ndim)
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got.numpy(), want)


def test_argmax_refuses_tuple_axis_and_empty():
    with pytest.raises(unidl.OpError, match="argmax"):
        ops.argmax(unidl.ones((2, 3)), axis=(0, 1))
    with pytest.raises(unidl.OpError, match="argmin.*empty"):
        ops.argmin(unidl.zeros((0,)))


@given(case=array_and_axis(min_side=1), ddof=st.integers(0, 1))
def test_var_std_ddof(case, ddof):
    a, axis, keep = case
    n = a.size if axis is None else int(np.prod([a.shape[i] for i in np.atleast_1d(axis)]))
    assume(n > ddof)
    np.testing.assert_allclose(ops.var(unidl.tensor(a), axis, keep, ddof=ddof).numpy(),
                               np.var(a, axis=axis, keepdims=keep, ddof=ddof), **_tol(a.dtype))
    np.testing.assert_allclose(ops.std(unidl.tensor(a), axis, keep, ddof=ddof).numpy(),
                               np.std(a, axis=axis, keepdims=keep, ddof=ddof), **_tol(a.dtype))


def _np_logsumexp(a, axis, keep):
    m = np.max(a, axis=axis, keepdims=True)
    out = np.log(np.sum(np.exp(a - m), axis=axis, keepdims=True)) + m
    return out if keep else np.squeeze(out, axis=axis) if axis is not None else out.reshape(())


@given(case=array_and_axis(min_side=1))
def test_logsumexp_kernel_and_composite(case):
    a, axis, keep = case
    want = _np_logsumexp(a, axis, keep)
    got = ops.logsumexp(unidl.tensor(a), axis, keep)
    np.testing.assert_allclose(got.numpy(), want, **_tol(a.dtype))
    axes = None if axis is None else tuple(sorted(i % a.ndim for i in np.atleast_1d(axis)))
    comp = OPS["logsumexp"].composite(namespace("cpu"), a, axis=axes, keepdims=keep)
    np.testing.assert_allclose(comp, want, **_tol(a.dtype))


def test_logsumexp_is_stable_for_large_values():
    a = np.array([1000.0, 1000.0], np.float32)
    np.testing.assert_allclose(ops.logsumexp(unidl.tensor(a)).numpy(), 1000 + np.log(2), rtol=1e-6)
    assert np.isneginf(ops.logsumexp(unidl.tensor(np.array([-np.inf, -np.inf]))).numpy())


@given(a=arrays(np.float64, shapes(min_dims=1, max_side=5)), data=st.data(), rev=st.booleans())
def test_cumsum(a, data, rev):
    axis = data.draw(st.integers(-a.ndim, a.ndim - 1))
    got = ops.cumsum(unidl.tensor(a), axis, reverse=rev).numpy()
    want = np.flip(np.cumsum(np.flip(a, axis), axis), axis) if rev else np.cumsum(a, axis)
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(ops.cumsum(unidl.tensor(a)).numpy(), np.cumsum(a), rtol=1e-10, atol=1e-10)


@given(a=arrays(np.bool_, shapes(min_dims=1)), keep=st.booleans())
def test_all_any(a, keep):
    np.testing.assert_array_equal(ops.all(unidl.tensor(a), -1, keep).numpy(), np.all(a, -1, keepdims=keep))
    np.testing.assert_array_equal(ops.any(unidl.tensor(a), None, keep).numpy(), np.any(a, keepdims=keep))


@pytest.mark.parametrize("ord_", [1, 2, np.inf])
@given(case=array_and_axis(min_side=1))
def test_norm(ord_, case):
    a, axis, keep = case
    want = np.linalg.norm(a.reshape(-1), ord_) if axis is None else None
    got = ops.norm(unidl.tensor(a), ord_, axis, keep)
    if axis is None:
        np.testing.assert_allclose(got.numpy().reshape(()), want, **_tol(a.dtype))
    else:
        r = np.abs(a)
        ref = {1: lambda: r.sum(axis=axis, keepdims=keep), 2: lambda: np.sqrt((r * r).sum(axis=axis, keepdims=keep)),
               np.inf: lambda: r.max(axis=axis, keepdims=keep)}[ord_]()
        np.testing.assert_allclose(got.numpy(), ref, **_tol(a.dtype))


def test_bad_axis_names_op_and_shape():
    with pytest.raises(unidl.OpError, match=r"mean.*axis 2 is out of range.*\(3, 4\)|mean.*axis 2"):
        ops.mean(unidl.ones((3, 4)), axis=2)
    with pytest.raises(unidl.OpError, match="repeated"):
        ops.sum(unidl.ones((3, 4)), axis=(0, -2))
    with pytest.raises(unidl.OpError, match="norm.*ord"):
        ops.norm(unidl.ones(3), ord=3)


# -- gradients ---------------------------------------------------------------------------------------

@st.composite
def small_case(draw):
    shp = draw(shapes(min_dims=1, max_dims=3, min_side=1, max_side=3))
    a = draw(arrays(np.float64, shp, -2, 2))
    nd = len(shp)
    axis = None if draw(st.booleans()) else draw(st.integers(-nd, nd - 1))
    return a, axis, draw(st.booleans())


@pytest.mark.parametrize("name", ["sum", "mean", "var", "logsumexp"])
@given(case=small_case())
@settings(max_examples=10)
def test_smooth_gradients(name, case):
    a, axis, keep = case
    assert_grad_close(lambda t: getattr(ops, name)(t, axis=axis, keepdims=keep), a, rtol=1e-5, atol=1e-6)


@given(case=small_case())
@settings(max_examples=10)
def test_std_prod_gradients(case):
    a, axis, keep = case
    a = np.where(np.abs(a) < 0.1, 0.5, a)
    assume(np.all(np.std(a, axis=axis) > 1e-2))
    assert_grad_close(lambda t: ops.std(t, axis=axis, keepdims=keep), a, rtol=1e-5, atol=1e-6)
    assert_grad_close(lambda t: ops.prod(t, axis=axis, keepdims=keep), a, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", ["max", "min"])
@given(case=small_case())
@settings(max_examples=10)
def test_max_min_gradients_without_ties(name, case):
    a, axis, keep = case
    a = a + np.arange(a.size).reshape(a.shape) * 1e-3  # distinct values: no ties
    assert_grad_close(lambda t: getattr(ops, name)(t, axis=axis, keepdims=keep), a, rtol=1e-5, atol=1e-6)


def test_max_gradient_is_shared_among_ties():
    x = unidl.tensor([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]], requires_grad=True)
    with unidl.record():
        y = ops.max(x, axis=1)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), [[0, 0.5, 0.5], [1 / 3, 1 / 3, 1 / 3]])


def test_prod_gradient_with_zeros():
    a = np.array([[2.0, 0.0, 3.0], [0.0, 0.0, 4.0], [1.0, 2.0, 5.0]])
    x = unidl.tensor(a, requires_grad=True)
    with unidl.record():
        y = ops.prod(x, axis=1)
    y.backward()
    want = np.array([[0, 6, 0], [0, 0, 0], [10, 5, 2]], float)
    np.testing.assert_allclose(x.grad.numpy(), want)


def test_cumsum_and_norm_gradients():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((3, 4))
    for rev in (False, True):
        assert_grad_close(lambda t: ops.cumsum(t, 1, reverse=rev), a)
    assert_grad_close(lambda t: ops.cumsum(t), a)
    for o in (1, 2, np.inf):
        assert_grad_close(lambda t: ops.norm(t, o, axis=1), a)
    x = unidl.zeros(3, dtype="float64").requires_grad_()
    with unidl.record():
        y = ops.norm(x)
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), 0)


def test_second_order():
    a = np.random.default_rng(1).standard_normal((2, 3))
    for fn in (lambda t: ops.logsumexp(t, 1), lambda t: ops.var(t, 0), lambda t: ops.mean(ops.multiply(t, t))):
        assert_grad_close(grad_norm_fn(fn), a, rtol=1e-4, atol=1e-6)
