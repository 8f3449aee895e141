"""Gluon BatchNorm, LayerNorm and Embedding against NumPy formulas, with MXNet's defaults."""
from __future__ import annotations

import numpy as np

from unidl_mxnet import autograd, gluon, nd
from unidl_mxnet.gluon import nn


def test_batchnorm_training_inference_and_running_stats():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((8, 3, 4, 4)).astype(np.float32) * 2 + 1
    bn = nn.BatchNorm()
    bn.initialize()
    assert [p.split("_", 1)[1] for p in bn.collect_params().keys()] == ["gamma", "beta", "running_mean",
                                                                        "running_var"]
    with autograd.record():
        y = bn(nd.array(x))
    mean, var = x.mean(axis=(0, 2, 3)), x.var(axis=(0, 2, 3))
    want = (x - mean[None, :, None, None]) / np.sqrt(var[None, :, None, None] + 1e-5)
    np.testing.assert_allclose(y.asnumpy(), want, rtol=1e-4, atol=1e-4)
    # as MXNet 1.9.1: the forward under record() leaves the running statistics; backward updates them
    assert not bn.running_mean.data().asnumpy().any() and (bn.running_var.data().asnumpy() == 1).all()
    y.backward()
    np.testing.assert_allclose(bn.running_mean.data().asnumpy(), 0.1 * mean, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(bn.running_var.data().asnumpy(), 0.9 + 0.1 * var, rtol=1e-5)
    rm, rv = bn.running_mean.data().asnumpy(), bn.running_var.data().asnumpy()
    y_inf = bn(nd.array(x))  # not recording: inference uses the running statistics
    np.testing.assert_allclose(y_inf.asnumpy(), (x - rm[None, :, None, None]) / np.sqrt(rv[None, :, None, None] + 1e-5),
                               rtol=1e-4, atol=1e-4)
    assert bn.running_mean.grad_req == "null" and bn.gamma.grad_req == "write"


def test_batchnorm_trains_gamma_beta():
    bn = nn.BatchNorm(in_channels=2)
    bn.initialize()
    trainer = gluon.Trainer(bn.collect_params(), "sgd", {"learning_rate": 0.5})
    x = nd.array(np.random.default_rng(1).standard_normal((16, 2)))
    with autograd.record():
        loss = (bn(x) * nd.array([[1.0, -1.0]])).sum()
    loss.backward()
    trainer.step(16)
    g = bn.beta.data().asnumpy()
    np.testing.assert_allclose(g, [-0.5, 0.5], rtol=1e-5)  # d loss / d beta = (16, -16) / 16 * lr


def test_layernorm_and_embedding():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((3, 5)).astype(np.float32)
    ln = nn.LayerNorm()
    ln.initialize()
    y = ln(nd.array(x)).asnumpy()
    want = (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + 1e-5)
    np.testing.assert_allclose(y, want, rtol=1e-4, atol=1e-5)
    emb = nn.Embedding(10, 4)
    emb.initialize()
    idx = np.array([[1, 3], [3, 9]], np.float32)
    out = emb(nd.array(idx))
    w = emb.weight.data().asnumpy()
    np.testing.assert_array_equal(out.asnumpy(), w[idx.astype(int)])
    with autograd.record():
        s = emb(nd.array(idx)).sum()
    s.backward()
    counts = np.bincount(idx.astype(int).ravel(), minlength=10)[:, None] * np.ones((1, 4))
    np.testing.assert_array_equal(emb.weight.grad().asnumpy(), counts)


def test_batchnorm_repr_names_fix_gamma_and_global_stats():
    # MXNet 1.9.1's strings
    assert repr(nn.BatchNorm(in_channels=2)) == ("BatchNorm(axis=1, eps=1e-05, momentum=0.9, fix_gamma=False, "
                                                 "use_global_stats=False, in_channels=2)")
    assert repr(nn.BatchNorm(in_channels=2, use_global_stats=True, scale=False)) == (
        "BatchNorm(axis=1, eps=1e-05, momentum=0.9, fix_gamma=True, use_global_stats=True, in_channels=2)")


def test_batchnorm_validation_pass_under_record_leaves_running_statistics():
    """A forward-only pass under record() (a common validation loop) changes nothing; one backward updates once."""
    bn = nn.BatchNorm(in_channels=3)
    bn.initialize()
    x = nd.array(np.random.default_rng(2).standard_normal((8, 3)).astype(np.float32) + 3)
    for _ in range(3):
        with autograd.record():
            bn(x)
    assert not bn.running_mean.data().asnumpy().any()
    with autograd.record():
        y = bn(x)
    y.backward()
    np.testing.assert_allclose(bn.running_mean.data().asnumpy(), 0.1 * x.asnumpy().mean(axis=0), rtol=1e-5)
