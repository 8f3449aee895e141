"""Gluon convolution and pooling layers against direct NumPy formulas; a small CNN trains with SGD."""
from __future__ import annotations

import numpy as np
import pytest

import unidl_mxnet as mx
from unidl_mxnet import autograd, gluon, nd
from unidl_mxnet.gluon import nn


def _np_conv2d(x, w, b, stride, pad):
    x = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    n, c, h, wd = x.shape
    o, _, kh, kw = w.shape
    oh, ow = (h - kh) // stride + 1, (wd - kw) // stride + 1
    out = np.zeros((n, o, oh, ow))
    for i in range(oh):
        for j in range(ow):
            patch = x[:, :, i * stride:i * stride + kh, j * stride:j * stride + kw]
            out[:, :, i, j] = np.tensordot(patch, w, axes=([1, 2, 3], [1, 2, 3]))
    return out + b[None, :, None, None]


def test_conv2d_matches_direct_formula_and_infers_in_channels():
    rng = np.random.default_rng(0)
    conv = nn.Conv2D(4, kernel_size=3, strides=2, padding=1)
    conv.initialize()
    x = rng.standard_normal((2, 3, 7, 7)).astype(np.float32)
    y = conv(nd.array(x))
    assert conv.weight.shape == (4, 3, 3, 3)
    w, b = conv.weight.data().asnumpy(), conv.bias.data().asnumpy()
    np.testing.assert_allclose(y.asnumpy(), _np_conv2d(x, w, b, 2, 1), rtol=1e-4, atol=1e-5)


def test_pooling_layers():
    x = np.arange(2 * 1 * 4 * 4, dtype=np.float32).reshape(2, 1, 4, 4)
    got = nn.MaxPool2D()(nd.array(x)).asnumpy()
    np.testing.assert_array_equal(got, x.reshape(2, 1, 2, 2, 2, 2).max(axis=(3, 5)))
    got = nn.AvgPool2D(pool_size=2)(nd.array(x)).asnumpy()
    np.testing.assert_allclose(got, x.reshape(2, 1, 2, 2, 2, 2).mean(axis=(3, 5)))
    g = nn.GlobalAvgPool2D()(nd.array(x))
    assert g.shape == (2, 1, 1, 1)
    np.testing.assert_allclose(g.asnumpy().ravel(), x.mean(axis=(1, 2, 3)))
    assert nn.GlobalMaxPool2D()(nd.array(x)).asnumpy().ravel().tolist() == [15, 31]


def test_layer_argument_errors():
    with pytest.raises(mx.MXNetError, match="layout 'NCWH' is not supported; only 'NCHW' and 'NHWC'"):
        nn.Conv2D(4, 3, layout="NCWH")  # MXNet 1.9.1 takes NCHW and NHWC only (AssertionError there)
    with pytest.raises(mx.MXNetError, match="kernel_size"):
        nn.Conv2D(4, (3, 3, 3))
    conv = nn.Conv2D(4, 3)
    conv.initialize()
    with pytest.raises(mx.MXNetError, match="expected input of 4 dims"):
        conv(nd.ones((2, 3, 5)))


def test_small_cnn_trains_with_sgd():
    mx.random.seed(0)
    rng = np.random.default_rng(0)
    X = rng.standard_normal((128, 1, 8, 8)).astype(np.float32)
    Y = (X[:, 0, :4].sum((1, 2)) > X[:, 0, 4:].sum((1, 2))).astype(np.float32)
    net = nn.Sequential()
    with net.name_scope():
        net.add(nn.Conv2D(channels=6, kernel_size=3, activation="relu"), nn.MaxPool2D(pool_size=2, strides=2),
                nn.Flatten(), nn.Dense(2))
    net.initialize(mx.init.Xavier())
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1})
    for _ in range(25):
        for i in range(0, 128, 32):
            with autograd.record():
                loss = loss_fn(net(nd.array(X[i:i + 32])), nd.array(Y[i:i + 32]))
            loss.backward()
            trainer.step(32)
    acc = (nd.argmax(net(nd.array(X)), axis=1).asnumpy() == Y).mean()
    assert acc > 0.85
