"""unidl.nn.losses against NumPy formulas written out here; gradients by finite differences
(inputs kept away from clipping boundaries and kinks)."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import unidl
from unidl.nn import losses as L
from unidl.testing import assert_grad_close

EPS = 1e-7


def T(a):
    return unidl.tensor(np.asarray(a))


def rng(seed=0):
    return np.random.default_rng(seed)


def probs(r, shape, axis=-1):
    p = r.uniform(0.05, 1.0, shape)
    return p / p.sum(axis=axis, keepdims=True)


def log_softmax(x, axis=-1):
    m = x.max(axis=axis, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=axis, keepdims=True))


shapes = st.tuples(st.integers(1, 4), st.integers(1, 5))


def close(got, want, rtol=1e-5, atol=1e-6):
    np.testing.assert_allclose(np.asarray(got.numpy(), np.float64), want, rtol=rtol, atol=atol)


# -- crossentropies --------------------------------------------------------------------------------

@given(shape=shapes, seed=st.integers(0, 1000), ls=st.sampled_from([0.0, 0.1]))
def test_categorical_crossentropy(shape, seed, ls):
    r = rng(seed)
    t = probs(r, shape)
    p = r.uniform(0.0, 2.0, shape)  # unnormalised on purpose: Keras renormalises
    tt = t * (1 - ls) + ls / shape[-1]
    q = np.clip(p / p.sum(-1, keepdims=True), EPS, 1 - EPS)
    close(L.categorical_crossentropy(T(t), T(p), label_smoothing=ls), -(tt * np.log(q)).sum(-1))
    x = r.normal(size=shape) * 3
    close(L.categorical_crossentropy(T(t), T(x), from_logits=True, label_smoothing=ls),
          -(tt * log_softmax(x)).sum(-1))


def test_categorical_crossentropy_clipping_and_axis():
    t = np.float32([[1, 0, 0]])
    p = np.float32([[0.0, 0.5, 0.5]])
    want = -np.log(np.float32(EPS))
    close(L.categorical_crossentropy(T(t), T(p)), [want], rtol=1e-5)
    r = rng(1)
    t3, x3 = probs(r, (2, 4, 3), axis=1), r.normal(size=(2, 4, 3))
    close(L.categorical_crossentropy(T(t3), T(x3), from_logits=True, axis=1),
          -(t3 * log_softmax(x3, 1)).sum(1))


def test_categorical_crossentropy_grad():
    r = rng(2)
    t, p, x = probs(r, (3, 4)), probs(r, (3, 4)), r.normal(size=(3, 4))
    assert_grad_close(lambda a, b: L.categorical_crossentropy(a, b), t, p)
    assert_grad_close(lambda a, b: L.categorical_crossentropy(a, b, from_logits=True), t, x)


@given(shape=shapes, seed=st.integers(0, 1000))
def test_sparse_categorical_crossentropy(shape, seed):
    r = rng(seed)
    n, c = shape
    lab = r.integers(0, c, n)
    x = r.normal(size=shape) * 3
    want = -log_softmax(x)[np.arange(n), lab]
    close(L.sparse_categorical_crossentropy(T(lab), T(x), from_logits=True), want)
    close(L.sparse_categorical_crossentropy(T(lab[:, None]), T(x), from_logits=True), want)  # (N, 1) labels
    p = r.uniform(0.0, 1.0, shape)
    q = np.clip(p / p.sum(-1, keepdims=True), EPS, 1 - EPS)
    close(L.sparse_categorical_crossentropy(T(lab), T(p)), -np.log(q[np.arange(n), lab]))


def test_sparse_categorical_crossentropy_axis_and_grad():
    r = rng(3)
    x = r.normal(size=(2, 5, 3))
    lab = r.integers(0, 5, (2, 3))
    want = -np.take_along_axis(log_softmax(x, 1), lab[:, None, :], 1)[:, 0, :]
    close(L.sparse_categorical_crossentropy(T(lab), T(x), from_logits=True, axis=1), want)
    assert_grad_close(lambda a, b: L.sparse_categorical_crossentropy(b, a, from_logits=True, axis=1), x, lab,
                      wrt=[0])
    p = probs(r, (4, 3))
    assert_grad_close(lambda a, b: L.sparse_categorical_crossentropy(b, a), p, r.integers(0, 3, 4), wrt=[0])
    with pytest.raises(ValueError):
        L.sparse_categorical_crossentropy(T(np.zeros(3, int)), T(x))


@given(shape=shapes, seed=st.integers(0, 1000), ls=st.sampled_from([0.0, 0.2]))
def test_binary_crossentropy(shape, seed, ls):
    r = rng(seed)
    t = r.integers(0, 2, shape).astype(np.float64)
    tt = t * (1 - ls) + 0.5 * ls
    p = r.uniform(0, 1, shape)
    p.flat[0] = 0.0  # clipped
    o = np.clip(p, EPS, 1 - EPS)
    close(L.binary_crossentropy(T(t), T(p), label_smoothing=ls),
          -(tt * np.log(o) + (1 - tt) * np.log(1 - o)).mean(-1))
    x = r.normal(size=shape) * 5
    x.flat[0] = 200.0  # stable for large logits
    want = np.maximum(x, 0) - x * tt + np.log1p(np.exp(-np.abs(x)))
    close(L.binary_crossentropy(T(t), T(x), from_logits=True, label_smoothing=ls), want.mean(-1))
    close(L.binary_crossentropy(T(t), T(x), from_logits=True, label_smoothing=ls, axis=None), want)


def test_binary_crossentropy_grad():
    r = rng(4)
    t = r.uniform(0, 1, (3, 4))
    assert_grad_close(lambda a, b: L.binary_crossentropy(a, b), t, r.uniform(0.1, 0.9, (3, 4)))
    x = r.normal(size=(3, 4))
    x[0, 0] = 0.0  # the true gradient sigmoid(0) - t at a zero logit
    assert_grad_close(lambda a, b: L.binary_crossentropy(a, b, from_logits=True), t, x)


# -- regression ------------------------------------------------------------------------------------

def _reg_data(shape, seed):
    r = rng(seed)
    return r.normal(size=shape), r.normal(size=shape)


@given(shape=shapes, seed=st.integers(0, 1000))
def test_regression_losses(shape, seed):
    t, p = _reg_data(shape, seed)
    e = p - t
    close(L.mean_squared_error(T(t), T(p)), (e ** 2).mean(-1))
    close(L.mean_absolute_error(T(t), T(p)), np.abs(e).mean(-1))
    close(L.mean_absolute_percentage_error(T(t), T(p)),
          100 * np.abs((t - p) / np.maximum(np.abs(t), EPS)).mean(-1), rtol=1e-5)
    close(L.mean_squared_logarithmic_error(T(t), T(p)),
          ((np.log(np.maximum(p, EPS) + 1) - np.log(np.maximum(t, EPS) + 1)) ** 2).mean(-1))
    for d in (0.5, 1.0, 2.0):
        a = np.abs(e)
        close(L.huber(T(t), T(p), delta=d), np.where(a <= d, 0.5 * e ** 2, d * a - 0.5 * d * d).mean(-1))
        close(L.smooth_l1(T(t), T(p), rho=d), np.where(a > d, a - 0.5 * d, 0.5 / d * a ** 2).mean(-1))
    close(L.log_cosh(T(t), T(p)), np.log(np.cosh(e)).mean(-1))
    pp = np.abs(p) + 0.1
    close(L.poisson(T(t), T(pp)), (pp - t * np.log(pp + EPS)).mean(-1))
    close(L.l2_loss(T(t), T(p)), (0.5 * e ** 2).mean(-1))


def test_reduction_axes():
    t, p = _reg_data((2, 3, 4), 5)
    close(L.mean_squared_error(T(t), T(p), axis=None), (t - p) ** 2)
    close(L.mean_squared_error(T(t), T(p), axis=(1, 2)), ((t - p) ** 2).mean((1, 2)))
    close(L.l2_loss(T(t), T(p), axis=L.non_batch_axes(3)), (0.5 * (t - p) ** 2).mean((1, 2)))
    assert L.non_batch_axes(1) == () and L.non_batch_axes(3, batch_axis=1) == (0, 2)
    close(L.l2_loss(T(t[:, 0, 0]), T(p[:, 0, 0]), axis=L.non_batch_axes(1)), 0.5 * (t - p)[:, 0, 0] ** 2)


def test_log_cosh_is_stable():
    x = np.float32([[1e4, -1e4, 0.0]])
    got = L.log_cosh(T(np.zeros_like(x)), T(x), axis=None).numpy()
    assert np.all(np.isfinite(got))
    np.testing.assert_allclose(got, np.abs(x) - np.log(2) * (x != 0), rtol=1e-6)


@pytest.mark.parametrize("name,kw", [
    ("mean_squared_error", {}), ("mean_absolute_error", {}), ("mean_absolute_percentage_error", {}),
    ("mean_squared_logarithmic_error", {}), ("huber", {"delta": 0.7}), ("smooth_l1", {"rho": 0.7}),
    ("log_cosh", {}), ("l2_loss", {}), ("poisson", {})])
def test_regression_grads(name, kw):
    r = rng(6)
    t = r.uniform(0.5, 2.0, (3, 4))
    p = t + r.choice([-1, 1], (3, 4)) * r.uniform(0.1, 1.5, (3, 4))  # |e| away from 0 and the delta kink
    p = np.where(np.abs(np.abs(p - t) - 0.7) < 0.05, p + 0.2, p)
    if name in ("poisson", "mean_squared_logarithmic_error"):
        p = np.abs(p) + 0.1
    f = getattr(L, name)
    assert_grad_close(lambda a, b: f(a, b, **kw), t, p, wrt=[1])


# -- distributions ---------------------------------------------------------------------------------

@given(shape=shapes, seed=st.integers(0, 1000))
def test_kl_divergence(shape, seed):
    r = rng(seed)
    t, p = probs(r, shape), probs(r, shape)
    t.flat[0] = 0.0  # clipped to eps
    tc, pc = np.clip(t, EPS, 1), np.clip(p, EPS, 1)
    close(L.kl_divergence(T(t), T(p)), (tc * np.log(tc / pc)).sum(-1))


def test_kl_grad():
    r = rng(7)
    assert_grad_close(lambda a, b: L.kl_divergence(a, b), probs(r, (3, 4)), probs(r, (3, 4)))


@given(shape=shapes, seed=st.integers(0, 1000))
def test_cosine_similarity(shape, seed):
    r = rng(seed)
    t, p = r.normal(size=shape), r.normal(size=shape)

    def n(x):
        return x / np.sqrt(np.maximum((x ** 2).sum(-1, keepdims=True), EPS ** 2))

    close(L.cosine_similarity(T(t), T(p)), -(n(t) * n(p)).sum(-1))


def test_cosine_similarity_zero_vector_and_axis():
    t = np.float32([[0, 1], [1, 1], [1, 1], [0, 0]])
    p = np.float32([[1, 0], [1, 1], [-1, -1], [1, 2]])
    close(L.cosine_similarity(T(t), T(p)), [0.0, -1.0, 1.0, 0.0], atol=1e-6)
    r = rng(8)
    t3, p3 = r.normal(size=(2, 4, 3)), r.normal(size=(2, 4, 3))
    nt, np_ = t3 / np.linalg.norm(t3, axis=1, keepdims=True), p3 / np.linalg.norm(p3, axis=1, keepdims=True)
    close(L.cosine_similarity(T(t3), T(p3), axis=1), -(nt * np_).sum(1))
    assert_grad_close(lambda a, b: L.cosine_similarity(a, b, axis=1), t3, p3)
    # a zero vector gets a finite gradient
    x = unidl.tensor(np.zeros((1, 3)), requires_grad=True)
    with unidl.record():
        y = L.cosine_similarity(T(np.ones((1, 3))), x)
    y.backward()
    assert np.all(np.isfinite(x.grad.numpy()))


# -- margins ---------------------------------------------------------------------------------------

@given(shape=shapes, seed=st.integers(0, 1000))
def test_hinges(shape, seed):
    r = rng(seed)
    t = r.choice([-1.0, 1.0], shape)
    p = r.normal(size=shape) * 2
    close(L.hinge(T(t), T(p)), np.maximum(1 - t * p, 0).mean(-1))
    close(L.squared_hinge(T(t), T(p)), (np.maximum(1 - t * p, 0) ** 2).mean(-1))
    close(L.hinge(T(t), T(p), margin=0.5), np.maximum(0.5 - t * p, 0).mean(-1))
    b = (t > 0).astype(np.float64)  # 0/1 labels: converted only with binary_labels=True
    close(L.hinge(T(b), T(p), binary_labels=True), np.maximum(1 - t * p, 0).mean(-1))
    close(L.hinge(T(b), T(p)), np.maximum(1 - b * p, 0).mean(-1))
    close(L.squared_hinge(T(b), T(p), binary_labels=True), (np.maximum(1 - t * p, 0) ** 2).mean(-1))


def test_hinge_binary_conversion_is_all_or_nothing():
    t = np.float32([[0, 1, -1]])  # not all 0/1: left as is
    p = np.float32([[0.3, -0.2, 0.5]])
    close(L.hinge(T(t), T(p), binary_labels=True), np.maximum(1 - t * p, 0).mean(-1))


@given(shape=shapes, seed=st.integers(0, 1000))
def test_categorical_hinge(shape, seed):
    r = rng(seed)
    n, c = shape
    t = np.eye(c)[r.integers(0, c, n)]
    p = r.normal(size=shape)
    pos = (t * p).sum(-1)
    neg = ((1 - t) * p).max(-1)
    close(L.categorical_hinge(T(t), T(p)), np.maximum(neg - pos + 1, 0))


def test_margin_grads():
    r = rng(9)
    t = r.choice([-1.0, 1.0], (3, 4))
    p = t * r.uniform(-1.5, 0.8, (3, 4))  # 1 - t p in [0.2, 2.5]: off the kink
    assert_grad_close(lambda a, b: L.hinge(a, b), t, p, wrt=[1])
    assert_grad_close(lambda a, b: L.squared_hinge(a, b), t, p, wrt=[1])
    oh = np.eye(4)[[0, 1, 2]]
    pc = np.array([[0.1, 0.9, -0.3, 0.2], [0.5, 0.4, 1.5, -1.0], [0.0, 0.3, 2.0, 0.7]])
    assert_grad_close(lambda a, b: L.categorical_hinge(a, b), oh, pc, wrt=[1])


# -- MXNet flavours --------------------------------------------------------------------------------

@given(shape=shapes, seed=st.integers(0, 1000))
def test_sigmoid_bce(shape, seed):
    r = rng(seed)
    t = r.uniform(0, 1, shape)
    x = r.normal(size=shape) * 4
    w = r.uniform(0.5, 3.0, shape[-1:])
    want = np.maximum(x, 0) - x * t + np.log1p(np.exp(-np.abs(x)))
    close(L.sigmoid_bce(T(t), T(x)), want.mean(-1))
    lw = 1 + (w - 1) * t
    want_w = x - x * t + lw * (np.log1p(np.exp(-np.abs(x))) + np.maximum(-x, 0))
    close(L.sigmoid_bce(T(t), T(x), pos_weight=T(w)), want_w.mean(-1))
    p = 1 / (1 + np.exp(-x))
    e = 1e-12
    close(L.sigmoid_bce(T(t), T(p), from_sigmoid=True),
          (-(np.log(p + e) * t + np.log(1 - p + e) * (1 - t))).mean(-1), rtol=1e-5)
    close(L.sigmoid_bce(T(t), T(p), from_sigmoid=True, pos_weight=T(w)),
          (-(np.log(p + e) * t * w + np.log(1 - p + e) * (1 - t))).mean(-1), rtol=1e-5)


def test_sigmoid_bce_grads():
    r = rng(10)
    t, x, w = r.uniform(0, 1, (3, 4)), r.normal(size=(3, 4)), r.uniform(0.5, 2, (4,))
    x[0, 0] = 0.0
    assert_grad_close(lambda a, b: L.sigmoid_bce(a, b), t, x)
    assert_grad_close(lambda a, b, c: L.sigmoid_bce(a, b, pos_weight=c), t, x + 0.01, w)
    assert_grad_close(lambda a, b: L.sigmoid_bce(a, b, from_sigmoid=True), t, r.uniform(0.1, 0.9, (3, 4)))


def test_softmax_ce():
    r = rng(11)
    x = r.normal(size=(4, 5)) * 2
    lab = r.integers(0, 5, 4)
    ls = log_softmax(x)
    close(L.softmax_ce(T(lab), T(x)), -ls[np.arange(4), lab])
    close(L.softmax_ce(T(lab.astype(np.float32)), T(x)), -ls[np.arange(4), lab])  # MXNet's float labels
    close(L.softmax_ce(T(lab), T(ls), from_log_probs=True), -ls[np.arange(4), lab])
    d = probs(r, (4, 5))
    close(L.softmax_ce(T(d), T(x), sparse_label=False), -(d * ls).sum(-1))
    close(L.softmax_ce(T(d), T(ls), sparse_label=False, from_log_probs=True), -(d * ls).sum(-1))
    x3 = r.normal(size=(2, 5, 3))
    lab3 = r.integers(0, 5, (2, 3))
    want = -np.take_along_axis(log_softmax(x3, 1), lab3[:, None, :], 1)[:, 0, :]
    close(L.softmax_ce(T(lab3), T(x3), axis=1), want)
    assert_grad_close(lambda a, b: L.softmax_ce(b, a), x, lab, wrt=[0])
    assert_grad_close(lambda a, b: L.softmax_ce(b, a, sparse_label=False), x, d)
    assert_grad_close(lambda a, b: L.softmax_ce(b, a, from_log_probs=True), ls, lab, wrt=[0])


def test_dtype_follows_prediction():
    t = np.float64([[0.0, 1.0]])
    p = np.float32([[0.3, 0.6]])
    out = L.mean_squared_error(T(t), T(p))
    assert out.dtype == np.float32
    assert L.binary_crossentropy(T(t), T(p)).dtype == np.float32
    assert L.mean_squared_error(t, T(p)).dtype == np.float32  # plain arrays accepted for y_true
