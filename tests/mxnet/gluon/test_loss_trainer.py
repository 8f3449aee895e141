"""Gluon losses and optimizer update rules against their formulas written in NumPy."""
from __future__ import annotations

import numpy as np
import pytest

import unidl_mxnet as mx
from unidl_mxnet import autograd, gluon, nd

RNG = np.random.default_rng(0)


def _np_log_softmax(z):
    m = z.max(-1, keepdims=True)
    return z - m - np.log(np.exp(z - m).sum(-1, keepdims=True))


def test_softmax_ce_sparse_dense_and_from_logits():
    z = RNG.standard_normal((4, 5)).astype(np.float32)
    y = np.array([0, 3, 1, 4])
    want = -_np_log_softmax(z)[np.arange(4), y]
    got = gluon.loss.SoftmaxCrossEntropyLoss()(nd.array(z), nd.array(y))
    assert got.shape == (4,)
    np.testing.assert_allclose(got.asnumpy(), want, rtol=1e-5)
    col = gluon.loss.SoftmaxCrossEntropyLoss()(nd.array(z), nd.array(y[:, None]))  # labels as (N, 1)
    np.testing.assert_allclose(col.asnumpy(), want, rtol=1e-5)
    dense = np.eye(5)[y].astype(np.float32)
    got = gluon.loss.SoftmaxCrossEntropyLoss(sparse_label=False)(nd.array(z), nd.array(dense))
    np.testing.assert_allclose(got.asnumpy(), want, rtol=1e-5)
    got = gluon.loss.SoftmaxCELoss(from_logits=True)(nd.array(_np_log_softmax(z)), nd.array(y))
    np.testing.assert_allclose(got.asnumpy(), want, rtol=1e-5)
    sw = np.array([[1.0], [0.0], [2.0], [1.0]], np.float32)
    got = gluon.loss.SoftmaxCrossEntropyLoss(weight=0.5)(nd.array(z), nd.array(y), nd.array(sw))
    np.testing.assert_allclose(got.asnumpy(), 0.5 * want * sw[:, 0], rtol=1e-5)


@pytest.mark.parametrize("sparse", [True, False])
def test_softmax_ce_unweighted_2d_is_the_weighted_path_bit_for_bit(sparse):
    """(N, C) scores without weights return each sample's loss directly; with sample weights of one the loss
    goes through MXNet's mean over the kept class axis: the same bits, loss and gradient, shape (N,)."""
    z = (RNG.standard_normal((6, 5)) * 4).astype(np.float32)
    y = np.array([0, 3, 1, 4, 4, 2])
    label = nd.array(y) if sparse else nd.array(np.eye(5)[y].astype(np.float32))
    results = []
    for sw in (None, nd.ones((6, 1))):
        x = nd.array(z)
        x.attach_grad()
        loss_fn = gluon.loss.SoftmaxCrossEntropyLoss(sparse_label=sparse)
        with autograd.record():
            loss = loss_fn(x, label) if sw is None else loss_fn(x, label, sw)
        loss.backward()
        assert loss.shape == (6,)
        results.append((loss.asnumpy().tobytes(), x.grad.asnumpy().tobytes()))
    assert results[0] == results[1]


def test_l2_has_the_half_and_l1():
    p = RNG.standard_normal((3, 4)).astype(np.float32)
    t = RNG.standard_normal((3, 4)).astype(np.float32)
    np.testing.assert_allclose(gluon.loss.L2Loss()(nd.array(p), nd.array(t)).asnumpy(),
                               0.5 * ((p - t) ** 2).mean(1), rtol=1e-5)
    np.testing.assert_allclose(gluon.loss.L1Loss()(nd.array(p), nd.array(t)).asnumpy(), np.abs(p - t).mean(1),
                               rtol=1e-5)
    flat = gluon.loss.L2Loss()(nd.array(p[:, :1]), nd.array(t[:, 0]))  # label (N,) against pred (N, 1)
    np.testing.assert_allclose(flat.asnumpy(), 0.5 * (p[:, 0] - t[:, 0]) ** 2, rtol=1e-5)


def test_sigmoid_bce_logits_and_probabilities():
    z = RNG.standard_normal((3, 2)).astype(np.float32) * 3
    y = (RNG.random((3, 2)) > 0.5).astype(np.float32)
    p = 1 / (1 + np.exp(-z))
    want = -(y * np.log(p) + (1 - y) * np.log(1 - p)).mean(1)
    np.testing.assert_allclose(gluon.loss.SigmoidBCELoss()(nd.array(z), nd.array(y)).asnumpy(), want, rtol=1e-5)
    np.testing.assert_allclose(gluon.loss.SigmoidBCELoss(from_sigmoid=True)(nd.array(p), nd.array(y)).asnumpy(),
                               want, rtol=1e-4)


def _one_param_trainer(optimizer, params, w0):
    p = gluon.Parameter("w", shape=w0.shape)
    p.initialize(mx.init.Zero())
    p.set_data(nd.array(w0))
    return p, gluon.Trainer([p], optimizer, params)


def _step(p, trainer, g, batch):
    with autograd.record():
        loss = (p.data() * nd.array(g)).sum()  # d loss / d w = g
    loss.backward()
    trainer.step(batch)


def test_sgd_momentum_wd_matches_formula():
    w0 = RNG.standard_normal(5).astype(np.float32)
    p, tr = _one_param_trainer("sgd", {"learning_rate": 0.1, "momentum": 0.9, "wd": 0.01}, w0)
    w, mom = w0.astype(np.float64), np.zeros(5)
    for _ in range(3):
        g = RNG.standard_normal(5).astype(np.float32)
        _step(p, tr, g, batch=4)
        mom = 0.9 * mom - 0.1 * 0.01 * w - 0.1 * (g / 4)
        w = w + mom
    np.testing.assert_allclose(p.data().asnumpy(), w, rtol=1e-5, atol=1e-6)


def test_plain_sgd_with_clipping():
    w0 = RNG.standard_normal(4).astype(np.float32)
    p, tr = _one_param_trainer("sgd", {"learning_rate": 0.5, "clip_gradient": 0.1}, w0)
    g = np.array([1.0, -1.0, 0.05, -0.02], np.float32)
    _step(p, tr, g, batch=1)
    np.testing.assert_allclose(p.data().asnumpy(), w0 - 0.5 * np.clip(g, -0.1, 0.1), rtol=1e-6)


def test_adam_matches_formula():
    w0 = RNG.standard_normal(6).astype(np.float32)
    p, tr = _one_param_trainer("adam", {"learning_rate": 0.01, "wd": 0.001}, w0)
    w, m, v = w0.astype(np.float64), np.zeros(6), np.zeros(6)
    for t in range(1, 4):
        g = RNG.standard_normal(6).astype(np.float32)
        _step(p, tr, g, batch=2)
        gg = g / 2 + 0.001 * w
        m = 0.9 * m + 0.1 * gg
        v = 0.999 * v + 0.001 * gg ** 2
        lr = 0.01 * np.sqrt(1 - 0.999 ** t) / (1 - 0.9 ** t)
        w = w - lr * m / (np.sqrt(v) + 1e-8)
    np.testing.assert_allclose(p.data().asnumpy(), w, rtol=1e-5, atol=1e-6)


def test_learning_rate_get_set():
    p, tr = _one_param_trainer("sgd", {"learning_rate": 0.2}, np.zeros(2, np.float32))
    assert tr.learning_rate == pytest.approx(0.2)
    tr.set_learning_rate(0.05)
    assert tr.learning_rate == pytest.approx(0.05)
