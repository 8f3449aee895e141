"""nn ops (softmax, log_softmax, softmax_cross_entropy, embedding, linear) against NumPy formulas."""
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
    return dict(rtol=1e-5, atol=1e-6) if np.dtype(dt) == np.float32 else dict(rtol=1e-12, atol=1e-12)


def np_log_softmax(x, axis):
    m = x.max(axis=axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


def second_order(fn):
    """Squared norm of ``fn``'s gradient w.r.t. its first input, for double backward."""
    return grad_norm_fn(fn, n_wrt=1)


@st.composite
def shape_and_axis(draw, max_side=5, max_dims=4):
    shp = draw(shapes(min_dims=1, max_dims=max_dims, max_side=max_side))
    axis = draw(st.integers(-len(shp), len(shp) - 1))
    return shp, axis


# -- softmax / log_softmax ----------------------------------------------------------------------------

@given(sa=shape_and_axis(), dt=float_dtypes(), data=st.data())
def test_softmax_matches_numpy(sa, dt, data):
    shp, axis = sa
    x = data.draw(arrays(dt, shp, -50, 50))
    got = ops.softmax(unidl.tensor(x), axis=axis)
    assert got.shape == x.shape and got.dtype == x.dtype
    if x.size:
        np.testing.assert_allclose(got.numpy(), np.exp(np_log_softmax(x.astype(np.float64), axis)), **_tol(dt))
        np.testing.assert_allclose(got.numpy().sum(axis=axis), 1.0, rtol=1e-5)


@given(sa=shape_and_axis(), dt=float_dtypes(), data=st.data())
def test_log_softmax_matches_numpy(sa, dt, data):
    shp, axis = sa
    x = data.draw(arrays(dt, shp, -50, 50))
    got = ops.log_softmax(unidl.tensor(x), axis=axis)
    assert got.shape == x.shape and got.dtype == x.dtype
    if x.size:
        np.testing.assert_allclose(got.numpy(), np_log_softmax(x.astype(np.float64), axis),
                                   rtol=1e-5, atol=1e-4 if dt == np.float32 else 1e-12)


def test_softmax_is_stable_for_large_inputs():
    x = np.array([[1000.0, 1000.0, -1000.0], [-1e4, 0.0, 1e4]])
    np.testing.assert_allclose(ops.softmax(unidl.tensor(x)).numpy(), [[0.5, 0.5, 0.0], [0.0, 0.0, 1.0]])
    np.testing.assert_allclose(ops.log_softmax(unidl.tensor(x)).numpy()[0, :2], np.log(0.5))
    assert np.isfinite(ops.log_softmax(unidl.tensor(x)).numpy()).all()


@settings(max_examples=10)
@given(sa=shape_and_axis(max_side=3, max_dims=3), data=st.data())
def test_softmax_and_log_softmax_grad(sa, data):
    shp, axis = sa
    x = data.draw(arrays(np.float64, shp, -3, 3))
    assert_grad_close(lambda t: ops.softmax(t, axis=axis), x)
    assert_grad_close(lambda t: ops.log_softmax(t, axis=axis), x)


@pytest.mark.parametrize("fn", [ops.softmax, ops.log_softmax])
def test_softmax_second_order(fn):
    x = np.random.default_rng(0).standard_normal((3, 4))
    assert_grad_close(second_order(lambda t: fn(t, axis=0)), x, rtol=1e-4, atol=1e-6)


def test_softmax_methods():
    x = np.random.default_rng(0).standard_normal((2, 3))
    np.testing.assert_allclose(unidl.tensor(x).softmax(0).numpy(), ops.softmax(unidl.tensor(x), 0).numpy())
    np.testing.assert_allclose(unidl.tensor(x).log_softmax().numpy(), np_log_softmax(x, -1))


def test_softmax_errors():
    with pytest.raises(unidl.OpError, match=r"softmax: axis 2 is out of range"):
        ops.softmax(unidl.tensor(np.ones((2, 3))), axis=2)
    with pytest.raises(unidl.OpError, match=r"log_softmax: needs a floating-point tensor.*\(2, 3\)"):
        ops.log_softmax(unidl.tensor(np.ones((2, 3), dtype=np.int64)))
    with pytest.raises(unidl.OpError, match=r"softmax: needs a tensor with at least 1 dimension"):
        ops.softmax(unidl.tensor(1.0))


# -- softmax_cross_entropy ----------------------------------------------------------------------------

@st.composite
def ce_case(draw, max_side=4, min_classes=1):
    shp = draw(shapes(min_dims=1, max_dims=3, max_side=max_side))
    axis = draw(st.integers(-len(shp), len(shp) - 1))
    ax = axis % len(shp)
    c = draw(st.integers(min_classes, max_side))
    shp = shp[:ax] + (c,) + shp[ax + 1:]
    lshape = shp[:ax] + shp[ax + 1:]
    labels = draw(arrays(np.int64, lshape, 0, c - 1))
    return shp, axis, labels


@given(case=ce_case(), dt=float_dtypes(), data=st.data())
def test_sparse_cross_entropy_matches_numpy(case, dt, data):
    shp, axis, labels = case
    x = data.draw(arrays(dt, shp, -20, 20))
    got = ops.softmax_cross_entropy(unidl.tensor(x), unidl.tensor(labels), axis=axis)
    lp = np_log_softmax(x.astype(np.float64), axis)
    want = -np.squeeze(np.take_along_axis(lp, np.expand_dims(labels, axis), axis=axis), axis=axis)
    assert got.shape == labels.shape and got.dtype == x.dtype
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-5, atol=1e-4 if dt == np.float32 else 1e-12)


@given(case=ce_case(), dt=float_dtypes(), data=st.data())
def test_dense_cross_entropy_matches_numpy(case, dt, data):
    shp, axis, _ = case
    x = data.draw(arrays(dt, shp, -20, 20))
    p = data.draw(arrays(dt, shp, 0, 1))
    got = ops.softmax_cross_entropy(unidl.tensor(x), unidl.tensor(p), axis=axis, sparse=False)
    want = -(p.astype(np.float64) * np_log_softmax(x.astype(np.float64), axis)).sum(axis=axis)
    assert got.shape == want.shape
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-5, atol=1e-3 if dt == np.float32 else 1e-11)


@settings(max_examples=10)
@given(case=ce_case(max_side=3), data=st.data())
def test_cross_entropy_grad(case, data):
    shp, axis, labels = case
    x = data.draw(arrays(np.float64, shp, -3, 3))
    assert_grad_close(lambda t, l: ops.softmax_cross_entropy(t, l, axis=axis), x, labels, wrt=[0])
    p = data.draw(arrays(np.float64, shp, 0, 1))
    assert_grad_close(lambda t, q: ops.softmax_cross_entropy(t, q, axis=axis, sparse=False), x, p)


def test_cross_entropy_grad_is_softmax_minus_onehot():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((4, 3))
    y = np.array([0, 2, 1, 2])
    g = rng.standard_normal(4)
    t = unidl.tensor(x, requires_grad=True)
    with unidl.record():
        loss = ops.softmax_cross_entropy(t, unidl.tensor(y))
    loss.backward(unidl.tensor(g))
    p = np.exp(np_log_softmax(x, 1))
    p[np.arange(4), y] -= 1
    np.testing.assert_allclose(t.grad.numpy(), p * g[:, None], rtol=1e-12)


@given(n=st.integers(1, 40), c=st.integers(1, 12), seed=st.integers(0, 2 ** 16))
def test_sparse_cross_entropy_2d_bitwise_formula(n, c, seed):
    """(N, C) logits, the common case: the loss is bitwise ``lse - z[label]`` and its gradient bitwise
    ``(softmax - onehot) * g``, each computed as its formula says (max-shifted, float32 throughout)."""
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal((n, c)) * 10).astype(np.float32)
    labels = rng.integers(0, c, n)
    g = rng.standard_normal(n).astype(np.float32)
    t = unidl.tensor(x, requires_grad=True)
    with unidl.record():
        loss = ops.softmax_cross_entropy(t, unidl.tensor(labels))
    loss.backward(unidl.tensor(g))
    z = x - x.max(axis=1, keepdims=True)
    lse = np.log(np.exp(z).sum(axis=1, keepdims=True))
    want = np.squeeze(lse - np.take_along_axis(z, labels[:, None], axis=1), axis=1)
    assert loss.numpy().tobytes() == want.tobytes()
    e = np.exp(z)
    p = e / e.sum(axis=1, keepdims=True)
    p -= np.arange(c)[None, :] == labels[:, None]
    p *= g[:, None]
    assert t.grad.numpy().tobytes() == p.tobytes()


def test_cross_entropy_second_order():
    rng = np.random.default_rng(2)
    y = unidl.tensor(np.array([0, 2, 1]))
    assert_grad_close(second_order(lambda t: ops.softmax_cross_entropy(t, y)), rng.standard_normal((3, 3)),
                      rtol=1e-4, atol=1e-6)
    q = unidl.tensor(rng.random((3, 3)))
    assert_grad_close(second_order(lambda t: ops.softmax_cross_entropy(t, q, sparse=False)),
                      rng.standard_normal((3, 3)), rtol=1e-4, atol=1e-6)


def test_cross_entropy_accepts_integral_float_labels():
    x = np.random.default_rng(3).standard_normal((3, 4))
    a = ops.softmax_cross_entropy(unidl.tensor(x), unidl.tensor(np.array([1.0, 0.0, 3.0])))
    b = ops.softmax_cross_entropy(unidl.tensor(x), unidl.tensor(np.array([1, 0, 3])))
    np.testing.assert_allclose(a.numpy(), b.numpy())


def test_cross_entropy_errors():
    x = unidl.tensor(np.zeros((3, 4)))
    with pytest.raises(unidl.OpError, match=r"softmax_cross_entropy: labels must be class indices.*\(3, 4\), \(4,\)"):
        ops.softmax_cross_entropy(x, unidl.tensor(np.zeros(4, dtype=np.int64)))
    with pytest.raises(unidl.OpError, match=r"softmax_cross_entropy: .*labels must be class indices in \[0, 4\)"):
        ops.softmax_cross_entropy(x, unidl.tensor(np.array([0, 4, 1])))
    with pytest.raises(unidl.OpError, match=r"softmax_cross_entropy: .*in \[0, 4\)"):
        ops.softmax_cross_entropy(x, unidl.tensor(np.array([0, -1, 1])))
    with pytest.raises(unidl.OpError, match=r"softmax_cross_entropy: labels must be shaped like logits"):
        ops.softmax_cross_entropy(x, unidl.tensor(np.zeros((3, 3))), sparse=False)
    with pytest.raises(unidl.OpError, match=r"softmax_cross_entropy: labels must be integer"):
        ops.softmax_cross_entropy(x, unidl.tensor(np.zeros(3, dtype=bool)))


# -- embedding ---------------------------------------------------------------------------------------

@given(ishape=shapes(0, 3, max_side=4), v=st.integers(1, 5), d=st.integers(0, 3), dt=float_dtypes(), data=st.data())
def test_embedding_matches_numpy(ishape, v, d, dt, data):
    idx = data.draw(arrays(np.int64, ishape, 0, v - 1))
    w = data.draw(arrays(dt, (v, d)))
    got = ops.embedding(unidl.tensor(idx), unidl.tensor(w))
    assert got.shape == ishape + (d,) and got.dtype == w.dtype
    np.testing.assert_array_equal(got.numpy(), w[idx])


@settings(max_examples=10)
@given(ishape=shapes(0, 2, max_side=4), v=st.integers(1, 4), d=st.integers(0, 3), data=st.data())
def test_embedding_grad_accumulates_duplicates(ishape, v, d, data):
    idx = data.draw(arrays(np.int64, ishape, 0, v - 1))
    w = data.draw(arrays(np.float64, (v, d), -2, 2))
    assert_grad_close(lambda i, t: ops.embedding(i, t), idx, w, wrt=[1])
    # explicit scatter-add reference
    g = np.random.default_rng(0).standard_normal(ishape + (d,))
    t = unidl.tensor(w, requires_grad=True)
    with unidl.record():
        out = ops.embedding(unidl.tensor(idx), t)
    out.backward(unidl.tensor(g))
    want = np.zeros_like(w)
    np.add.at(want, idx.reshape(-1), g.reshape(idx.size, d))
    np.testing.assert_allclose(t.grad.numpy(), want, rtol=1e-12)


def test_embedding_second_order():
    idx = unidl.tensor(np.array([[0, 2], [2, 2]]))
    w = np.random.default_rng(4).standard_normal((3, 2))
    assert_grad_close(second_order(lambda t: ops.multiply(ops.embedding(idx, t), ops.embedding(idx, t))), w,
                      rtol=1e-4, atol=1e-6)


def test_embedding_errors():
    w = unidl.tensor(np.zeros((3, 2)))
    with pytest.raises(unidl.OpError, match=r"embedding: .*indices must be in \[0, 3\).*\(2,\), \(3, 2\)"):
        ops.embedding(unidl.tensor(np.array([0, 3])), w)
    with pytest.raises(unidl.OpError, match=r"embedding: .*in \[0, 3\)"):
        ops.embedding(unidl.tensor(np.array([-1])), w)
    with pytest.raises(unidl.OpError, match=r"embedding: indices must be integer"):
        ops.embedding(unidl.tensor(np.array([True])), w)


# -- linear ------------------------------------------------------------------------------------------

@settings(max_examples=10)
@given(lead=shapes(0, 2, max_side=3), i=st.integers(0, 3), o=st.integers(1, 3), bias=st.booleans(), data=st.data())
def test_linear_matches_numpy_and_grad(lead, i, o, bias, data):
    x = data.draw(arrays(np.float64, lead + (i,), -2, 2))
    w = data.draw(arrays(np.float64, (i, o), -2, 2))
    b = data.draw(arrays(np.float64, (o,), -2, 2))
    args = (x, w, b) if bias else (x, w)
    got = ops.linear(*[unidl.tensor(a) for a in args])
    np.testing.assert_allclose(got.numpy(), x @ w + (b if bias else 0), rtol=1e-12, atol=1e-12)
    assert_grad_close(ops.linear, *args)


def test_linear_errors():
    x = unidl.tensor(np.zeros((2, 3)))
    with pytest.raises(unidl.OpError,
                       match=r"linear: the last dim of x must equal weight's 'in' dim 4.*\(2, 3\), \(4, 5\)"):
        ops.linear(x, unidl.tensor(np.zeros((4, 5))))
    with pytest.raises(unidl.OpError, match=r"linear: bias must have shape \(5,\)"):
        ops.linear(x, unidl.tensor(np.zeros((3, 5))), unidl.tensor(np.zeros(4)))
    with pytest.raises(unidl.OpError, match=r"linear: weight must be a 2-D"):
        ops.linear(x, unidl.tensor(np.zeros(3)))
