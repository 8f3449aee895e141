"""batch_norm and layer_norm against NumPy formulas; running statistics; gradients of every input."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import unidl
from unidl import ops
from unidl.testing import assert_grad_close, grad_norm_fn
from unidl.testing.strategies import arrays, float_dtypes, shapes


def _tol(dt):
    return dict(rtol=1e-4, atol=1e-4) if np.dtype(dt) == np.float32 else dict(rtol=1e-10, atol=1e-10)


def np_batch_norm(x, gamma, beta, mean, var, axis, eps):
    ps = [1] * x.ndim
    ps[axis] = x.shape[axis]
    y = (x - mean.reshape(ps)) / np.sqrt(var.reshape(ps) + eps)
    if gamma is not None:
        y = y * gamma.reshape(ps)
    if beta is not None:
        y = y + beta.reshape(ps)
    return y


second_order = grad_norm_fn  # squared norm of the first n_wrt input gradients, for double backward


@st.composite
def bn_case(draw, max_side=4, max_dims=4):
    shp = draw(shapes(min_dims=1, max_dims=max_dims, max_side=max_side))
    axis = draw(st.integers(-len(shp), len(shp) - 1))
    return shp, axis


# -- batch_norm --------------------------------------------------------------------------------------

@given(case=bn_case(), dt=float_dtypes(), affine=st.booleans(), momentum=st.floats(0, 1), data=st.data())
def test_batch_norm_training_matches_numpy_and_updates_running_stats(case, dt, affine, momentum, data):
    shp, axis = case
    c = shp[axis]
    x = data.draw(arrays(dt, shp, -5, 5))
    gamma = data.draw(arrays(dt, (c,), -2, 2)) if affine else None
    beta = data.draw(arrays(dt, (c,), -2, 2)) if affine else None
    rm0 = data.draw(arrays(dt, (c,), -1, 1))
    rv0 = data.draw(arrays(dt, (c,), 0.5, 2))
    rm, rv = unidl.tensor(rm0), unidl.tensor(rv0)
    t = lambda a: None if a is None else unidl.tensor(a)  # noqa: E731
    got = ops.batch_norm(unidl.tensor(x), t(gamma), t(beta), rm, rv, axis=axis, training=True,
                         momentum=momentum, eps=1e-3)
    red = tuple(i for i in range(x.ndim) if i != axis % x.ndim)
    x64 = x.astype(np.float64)
    n = max(int(np.prod([shp[i] for i in red])), 1)  # (an empty reduction: no NaN warning)
    mean = x64.sum(axis=red) / n
    var = ((x64 - mean.reshape([c if i == axis % x.ndim else 1 for i in range(x.ndim)])) ** 2).sum(axis=red) / n
    assert got.shape == x.shape and got.dtype == x.dtype
    np.testing.assert_allclose(got.numpy(), np_batch_norm(x64, gamma, beta, mean, var, axis, 1e-3), **_tol(dt))
    if x.size:
        np.testing.assert_allclose(rm.numpy(), momentum * rm0 + (1 - momentum) * mean, **_tol(dt))
        np.testing.assert_allclose(rv.numpy(), momentum * rv0 + (1 - momentum) * var, **_tol(dt))
    else:  # no batch statistics to learn from
        np.testing.assert_array_equal(rm.numpy(), rm0)
        np.testing.assert_array_equal(rv.numpy(), rv0)
    assert rm.dtype == dt and rv.dtype == dt


@given(case=bn_case(), dt=float_dtypes(), data=st.data())
def test_batch_norm_inference_uses_running_stats(case, dt, data):
    shp, axis = case
    c = shp[axis]
    x = data.draw(arrays(dt, shp, -5, 5))
    gamma, beta = data.draw(arrays(dt, (c,), -2, 2)), data.draw(arrays(dt, (c,), -2, 2))
    rm0, rv0 = data.draw(arrays(dt, (c,), -1, 1)), data.draw(arrays(dt, (c,), 0.5, 2))
    rm, rv = unidl.tensor(rm0), unidl.tensor(rv0)
    got = ops.batch_norm(unidl.tensor(x), unidl.tensor(gamma), unidl.tensor(beta), rm, rv, axis=axis,
                         training=False, eps=1e-5)
    np.testing.assert_allclose(got.numpy(), np_batch_norm(x.astype(np.float64), gamma, beta, rm0, rv0, axis, 1e-5),
                               **_tol(dt))
    np.testing.assert_array_equal(rm.numpy(), rm0)
    np.testing.assert_array_equal(rv.numpy(), rv0)


def test_batch_norm_training_follows_record_mode_and_is_not_recorded():
    rng = np.random.default_rng(0)
    x = unidl.tensor(rng.standard_normal((4, 3)), requires_grad=True)
    rm, rv = unidl.zeros(3, dtype="float64"), unidl.ones(3, dtype="float64")
    with unidl.record():  # train_mode=True: batch statistics
        y = ops.batch_norm(x, None, None, rm, rv, axis=-1)
    np.testing.assert_allclose(y.numpy().mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(rm.numpy(), 0.1 * x.numpy().mean(axis=0))
    assert not rm.requires_grad and rm._node is None and not rv.requires_grad and rv._node is None
    y2 = ops.batch_norm(x, None, None, rm, rv, axis=-1)  # outside record: inference
    np.testing.assert_allclose(y2.numpy(), (x.numpy() - rm.numpy()) / np.sqrt(rv.numpy() + 1e-5))


@settings(max_examples=10)
@given(case=bn_case(max_side=3, max_dims=3), data=st.data())
def test_batch_norm_training_grad_all_inputs(case, data):
    shp, axis = case
    c = shp[axis]
    x = data.draw(arrays(np.float64, shp, -2, 2))
    g, b = data.draw(arrays(np.float64, (c,), -2, 2)), data.draw(arrays(np.float64, (c,), -2, 2))
    fn = lambda x_, g_, b_: ops.batch_norm(x_, g_, b_, None, None, axis=axis, training=True, eps=1e-3)  # noqa: E731
    assert_grad_close(fn, x, g, b, rtol=1e-4, atol=1e-6)


@settings(max_examples=10)
@given(case=bn_case(max_side=3, max_dims=3), data=st.data())
def test_batch_norm_inference_grad_all_inputs(case, data):
    shp, axis = case
    c = shp[axis]
    x = data.draw(arrays(np.float64, shp, -2, 2))
    g, b = data.draw(arrays(np.float64, (c,), -2, 2)), data.draw(arrays(np.float64, (c,), -2, 2))
    rm = unidl.tensor(data.draw(arrays(np.float64, (c,), -1, 1)))
    rv = unidl.tensor(data.draw(arrays(np.float64, (c,), 0.5, 2)))
    fn = lambda x_, g_, b_: ops.batch_norm(x_, g_, b_, rm, rv, axis=axis, training=False)  # noqa: E731
    assert_grad_close(fn, x, g, b)


def test_batch_norm_grad_without_affine_nchw():
    x = np.random.default_rng(1).standard_normal((3, 2, 2, 2))
    assert_grad_close(lambda t: ops.batch_norm(t, None, None, None, None, training=True), x, rtol=1e-4, atol=1e-6)


def test_batch_norm_second_order():
    rng = np.random.default_rng(2)
    fn = second_order(lambda x, g: ops.batch_norm(x, g, None, None, None, training=True), n_wrt=2)
    assert_grad_close(fn, rng.standard_normal((4, 3)), rng.standard_normal(3), rtol=1e-4, atol=1e-5)


def test_batch_norm_errors():
    x = unidl.tensor(np.zeros((2, 3, 4)))
    with pytest.raises(unidl.OpError,
                       match=r"batch_norm: gamma must have shape \(3,\) to match x, got \(4,\).*\(2, 3, 4\), \(4,\)"):
        ops.batch_norm(x, unidl.tensor(np.ones(4)), None, None, None, training=True)
    with pytest.raises(unidl.OpError, match=r"batch_norm: running_var must have shape \(4,\)"):
        ops.batch_norm(x, None, None, unidl.tensor(np.zeros(4)), unidl.tensor(np.ones(3)), axis=-1, training=True)
    with pytest.raises(unidl.OpError, match=r"batch_norm: inference needs running_mean and running_var.*\(2, 3, 4\)"):
        ops.batch_norm(x, None, None, None, None, training=False)
    with pytest.raises(unidl.OpError, match=r"batch_norm: axis 3 is out of range"):
        ops.batch_norm(x, None, None, None, None, axis=3, training=True)
    with pytest.raises(unidl.OpError, match=r"batch_norm: needs a floating-point tensor"):
        ops.batch_norm(unidl.tensor(np.zeros((2, 3), dtype=np.int32)), None, None, None, None, training=True)


# -- layer_norm --------------------------------------------------------------------------------------

@st.composite
def ln_case(draw, max_side=4, max_dims=4):
    shp = draw(shapes(min_dims=1, max_dims=max_dims, max_side=max_side))
    axes = draw(st.lists(st.integers(0, len(shp) - 1), min_size=1, max_size=len(shp), unique=True))
    if draw(st.booleans()):
        axes = [a - len(shp) for a in axes]
    return shp, tuple(axes)


@given(case=ln_case(), dt=float_dtypes(), affine=st.booleans(), data=st.data())
def test_layer_norm_matches_numpy(case, dt, affine, data):
    shp, axes = case
    norm = sorted(a % len(shp) for a in axes)
    pshape = tuple(shp[a] for a in norm)
    x = data.draw(arrays(dt, shp, -5, 5))
    gamma = data.draw(arrays(dt, pshape, -2, 2)) if affine else None
    beta = data.draw(arrays(dt, pshape, -2, 2)) if affine else None
    got = ops.layer_norm(unidl.tensor(x), None if gamma is None else unidl.tensor(gamma),
                         None if beta is None else unidl.tensor(beta), axes=axes, eps=1e-3)
    x64 = x.astype(np.float64)
    n = max(int(np.prod([shp[a] for a in norm])), 1)  # (an empty reduction: no NaN warning)
    m = x64.sum(axis=tuple(norm), keepdims=True) / n
    v = ((x64 - m) ** 2).sum(axis=tuple(norm), keepdims=True) / n
    want = (x64 - m) / np.sqrt(v + 1e-3)
    bshape = tuple(d if i in norm else 1 for i, d in enumerate(shp))
    if affine:
        want = want * gamma.reshape(bshape) + beta.reshape(bshape)
    assert got.shape == x.shape and got.dtype == x.dtype
    np.testing.assert_allclose(got.numpy(), want, **_tol(dt))


@settings(max_examples=10)
@given(case=ln_case(max_side=3, max_dims=3), data=st.data())
def test_layer_norm_grad_all_inputs(case, data):
    shp, axes = case
    pshape = tuple(shp[a] for a in sorted(a % len(shp) for a in axes))
    x = data.draw(arrays(np.float64, shp, -2, 2))
    g, b = data.draw(arrays(np.float64, pshape, -2, 2)), data.draw(arrays(np.float64, pshape, -2, 2))
    assert_grad_close(lambda x_, g_, b_: ops.layer_norm(x_, g_, b_, axes=axes, eps=1e-3), x, g, b,
                      rtol=1e-4, atol=1e-6)


def test_layer_norm_default_last_axis_and_second_order():
    rng = np.random.default_rng(4)
    x = rng.standard_normal((3, 4))
    got = ops.layer_norm(unidl.tensor(x))
    np.testing.assert_allclose(got.numpy(), (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + 1e-5))
    fn = second_order(lambda x_, g_: ops.layer_norm(x_, g_, None), n_wrt=2)
    assert_grad_close(fn, x, rng.standard_normal(4), rtol=1e-4, atol=1e-5)


def test_layer_norm_errors():
    x = unidl.tensor(np.zeros((2, 3, 4)))
    with pytest.raises(unidl.OpError,
                       match=r"layer_norm: gamma must have shape \(4,\) to match x, got \(3,\).*\(2, 3, 4\)"):
        ops.layer_norm(x, unidl.tensor(np.ones(3)))
    with pytest.raises(unidl.OpError, match=r"layer_norm: beta must have shape \(3, 4\)"):
        ops.layer_norm(x, None, unidl.tensor(np.ones(4)), axes=(-2, -1))
    with pytest.raises(unidl.OpError, match=r"layer_norm: axis -4 is out of range"):
        ops.layer_norm(x, axes=(-4,))
    with pytest.raises(unidl.OpError, match=r"layer_norm: needs at least one axis"):
        ops.layer_norm(x, axes=())
