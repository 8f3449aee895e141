"""Gluon under ``npx.set_np()``: blocks take and return mx.np arrays, Parameter.data() and losses are mx.np
arrays, Trainer and autograd work; D2L-style training loops give MXNet 1.9.1's numbers (fixtures of
tests/mxnet/data/np_make_fixtures.py) and the same numbers as the mx.nd loop. With set_np off, NDArray."""
from __future__ import annotations

import os
import sys

import numpy as onp
import pytest

import unidl_mxnet as mx
from unidl_mxnet import autograd, gluon, np, npx
from unidl_mxnet.gluon import nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data"))
import np_loops  # noqa: E402
from np_check import FIX  # noqa: E402


@pytest.fixture(autouse=True)
def _np_mode():
    npx.set_np()
    yield
    npx.reset_np()


def _mlp():
    net = nn.Sequential()
    net.add(nn.Dense(3, activation="relu"), nn.Dense(2))
    net.initialize(mx.init.Normal(0.01))
    return net


def test_blocks_params_and_losses_are_np_arrays():
    net = _mlp()
    y = net(np.random.uniform(size=(4, 5)))
    assert type(y) is np.ndarray and y.shape == (4, 2) and y.dtype == onp.float32
    w = net[0].weight
    assert type(w.data()) is np.ndarray and type(w.grad()) is np.ndarray
    assert type(w.list_data()[0]) is np.ndarray
    l = gluon.loss.SoftmaxCrossEntropyLoss()(y, np.array([0, 1, 0, 1]))
    assert type(l) is np.ndarray and l.shape == (4,)
    assert type(l.mean()) is np.ndarray and l.mean().shape == ()  # a 0-d mean, as MXNet's np
    l2 = gluon.loss.L2Loss()(y, np.zeros((4, 2)))
    assert type(l2) is np.ndarray and l2.shape == (4,)


def test_nd_stays_nd_and_reset_restores_ndarray():
    assert type(mx.nd.ones(2)) is mx.nd.NDArray  # mx.nd keeps its semantics under set_np (as MXNet)
    net = _mlp()
    net(np.ones((1, 5)))
    npx.reset_np()
    out = net(mx.nd.ones((2, 5)))
    assert type(out) is mx.nd.NDArray
    # a Parameter keeps the array type it was created with (MXNet 1.9.1: still mx.np.ndarray after reset_np)
    assert type(net[0].weight.data()) is np.ndarray
    fresh = _mlp()
    fresh(mx.nd.ones((1, 5)))
    assert type(fresh[0].weight.data()) is mx.nd.NDArray


def test_trainer_step_and_save_load(tmp_path):
    net = _mlp()
    X, label = np.random.uniform(size=(4, 5)), np.array([0, 1, 0, 1])
    net(X)
    before = net[1].weight.data().asnumpy()
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.5})
    with autograd.record():
        l = gluon.loss.SoftmaxCrossEntropyLoss()(net(X), label)
    l.backward()
    g = net[1].weight.grad().asnumpy()
    trainer.step(4)
    onp.testing.assert_allclose(net[1].weight.data().asnumpy(), before - 0.5 * g / 4, rtol=1e-6, atol=1e-7)
    f = str(tmp_path / "mlp.params")
    net.save_parameters(f)
    net2 = _mlp()
    net2.load_parameters(f)
    assert type(net2[1].weight.data()) is np.ndarray
    onp.testing.assert_array_equal(net2(X).asnumpy(), net(X).asnumpy())


def test_custom_blocks_with_np_code():
    class MLP(nn.Block):  # D2L 5.1 style
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.hidden = nn.Dense(4, activation="relu")
            self.out = nn.Dense(2)

        def forward(self, X):
            return self.out(npx.relu(self.hidden(X)) + np.ones(4))

    class Scale(nn.HybridBlock):  # F is mx.nd; F.np / F.npx as in MXNet 1.9
        def hybrid_forward(self, F, x):
            return F.np.dot(x, F.np.ones((2, 2))) + F.npx.relu(x)

    net = MLP()
    net.initialize()
    y = net(np.ones((3, 5)))
    assert type(y) is np.ndarray and y.shape == (3, 2)
    z = Scale()(np.array([[1.0, -2.0]]))
    assert type(z) is np.ndarray
    onp.testing.assert_array_equal(z.asnumpy(), [[0.0, -1.0]])


def test_linear_regression_loop_matches_mxnet_and_nd():
    losses, w, b = np_loops.linreg(mx, True)
    onp.testing.assert_allclose(losses, FIX["loop/linreg/losses"], rtol=1e-5)
    onp.testing.assert_allclose(w, FIX["loop/linreg/weight"], rtol=1e-5)
    onp.testing.assert_allclose(b, FIX["loop/linreg/bias"], rtol=1e-5)
    npx.reset_np()
    nd_losses, nd_w, nd_b = np_loops.linreg(mx, False)
    onp.testing.assert_array_equal(nd_losses, losses)  # same core arithmetic either way
    onp.testing.assert_array_equal(nd_w, w)
    onp.testing.assert_array_equal(nd_b, b)


def test_softmax_regression_loop_matches_mxnet_and_nd():
    losses, accs, w, b = np_loops.softmax_regression(mx, True)
    onp.testing.assert_allclose(losses, FIX["loop/softmax/losses"], rtol=1e-5)
    onp.testing.assert_array_equal(accs, FIX["loop/softmax/accs"])
    onp.testing.assert_allclose(w, FIX["loop/softmax/weight"], rtol=1e-4, atol=1e-6)
    onp.testing.assert_allclose(b, FIX["loop/softmax/bias"], rtol=1e-4, atol=1e-6)
    npx.reset_np()
    nd_losses, nd_accs, nd_w, nd_b = np_loops.softmax_regression(mx, False)
    onp.testing.assert_array_equal(nd_losses, losses)
    onp.testing.assert_array_equal(nd_accs, accs)
    onp.testing.assert_array_equal(nd_w, w)


def test_mlp_from_scratch_loop_matches_mxnet():
    losses, W1 = np_loops.mlp_scratch(mx)
    onp.testing.assert_allclose(losses, FIX["loop/mlp/losses"], rtol=1e-5)
    onp.testing.assert_allclose(W1, FIX["loop/mlp/W1"], rtol=1e-4, atol=1e-6)
