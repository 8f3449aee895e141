"""Gluon blocks and parameters: MXNet naming, deferred initialization, initializers, Dense, training."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import unidl_mxnet as mx
from unidl_mxnet import autograd, gluon, nd
from unidl_mxnet.gluon import nn


def _fresh_names(monkeypatch):
    from unidl_mxnet.gluon import block

    monkeypatch.setattr(block, "_global_counter", {})


def test_prefix_naming_follows_mxnet(monkeypatch):
    _fresh_names(monkeypatch)
    d0, d1 = nn.Dense(3), nn.Dense(4)
    assert (d0.prefix, d1.prefix, d0.name) == ("dense0_", "dense1_", "dense0")
    assert d0.weight.name == "dense0_weight" and d0.bias.name == "dense0_bias"
    net = nn.Sequential()
    with net.name_scope():
        net.add(nn.Dense(5), nn.Dense(6))
    assert list(net.collect_params().keys()) == ["sequential0_dense0_weight", "sequential0_dense0_bias",
                                                 "sequential0_dense1_weight", "sequential0_dense1_bias"]
    assert nn.Dense(2, prefix="mydense_").weight.name == "mydense_weight"
    assert list(net.collect_params(".*weight").keys()) == ["sequential0_dense0_weight", "sequential0_dense1_weight"]


def test_subclassed_block_registers_children(monkeypatch):
    _fresh_names(monkeypatch)

    class MLP(gluon.Block):
        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            with self.name_scope():
                self.hidden = nn.Dense(8, activation="relu")
                self.out = nn.Dense(2)

        def forward(self, x):
            return self.out(self.hidden(x))

    net = MLP()
    assert net.hidden.name == "mlp0_dense0"
    net.initialize()
    assert net(nd.ones((3, 5))).shape == (3, 2)
    assert set(net.collect_params().keys()) == {"mlp0_dense0_weight", "mlp0_dense0_bias", "mlp0_dense1_weight",
                                                "mlp0_dense1_bias"}


def test_deferred_initialization():
    d = nn.Dense(4)
    d.initialize()
    with pytest.raises(gluon.DeferredInitializationError, match="deferred"):
        d.weight.data()
    y = d(nd.ones((2, 3, 5)))  # flatten=True: in_units = 15
    assert y.shape == (2, 4) and d.weight.shape == (4, 15)
    assert d.weight.data().shape == (4, 15)


def test_uninitialized_and_reinitialize_messages():
    d = nn.Dense(4, in_units=3)
    with pytest.raises(mx.MXNetError, match="has not been initialized"):
        d.weight.data()
    d.initialize()
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        d.initialize()
    assert any("already initialized" in str(x.message) for x in w)
    d.initialize(mx.init.One(), force_reinit=True)
    np.testing.assert_array_equal(d.weight.data().asnumpy(), np.ones((4, 3)))
    np.testing.assert_array_equal(d.bias.data().asnumpy(), np.zeros(4))  # the bias keeps its own 'zeros'


def test_dense_matches_formula():
    rng = np.random.default_rng(0)
    d = nn.Dense(3, activation="tanh", in_units=4)
    d.initialize()
    w, b = rng.standard_normal((3, 4)).astype(np.float32), rng.standard_normal(3).astype(np.float32)
    d.weight.set_data(nd.array(w))
    d.bias.set_data(nd.array(b))
    x = rng.standard_normal((5, 4)).astype(np.float32)
    np.testing.assert_allclose(d(nd.array(x)).asnumpy(), np.tanh(x @ w.T + b), rtol=1e-5, atol=1e-6)
    nf = nn.Dense(3, flatten=False, in_units=4)
    nf.initialize()
    assert nf(nd.ones((2, 7, 4))).shape == (2, 7, 3)


def test_default_uniform_and_xavier_statistics():
    mx.random.seed(0)
    d = nn.Dense(400, in_units=300)
    d.initialize()
    w = d.weight.data().asnumpy()
    assert np.abs(w).max() <= 0.07 and abs(w.std() - 0.07 / np.sqrt(3)) < 2e-3
    d.initialize(mx.init.Xavier(rnd_type="gaussian", factor_type="in", magnitude=2), force_reinit=True)
    w = d.weight.data().asnumpy()
    assert abs(w.std() - np.sqrt(2 / 300)) < 2e-3
    d.initialize(mx.init.Xavier(), force_reinit=True)
    limit = np.sqrt(3 / ((300 + 400) / 2))
    w = d.weight.data().asnumpy()
    assert np.abs(w).max() <= limit and np.abs(w).max() > 0.95 * limit
    with pytest.raises(mx.MXNetError, match="cannot be applied to vector"):
        mx.init.Xavier()("b", nd.zeros((3,)))


def test_same_seed_same_initial_weights():
    def build():
        mx.random.seed(7)
        d = nn.Dense(5, in_units=4)
        d.initialize(mx.init.Xavier())
        return d.weight.data().asnumpy()

    np.testing.assert_array_equal(build(), build())


def test_dropout_only_in_training():
    layer = nn.Dropout(0.5)
    x = nd.ones((100, 100))
    np.testing.assert_array_equal(layer(x).asnumpy(), x.asnumpy())
    with autograd.record():
        y = layer(x).asnumpy()
    assert set(np.unique(y)) <= {0.0, 2.0} and 0.4 < (y == 0).mean() < 0.6


def test_mlp_trains_with_trainer_and_softmax_ce():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((256, 20)).astype(np.float32)
    Y = (X @ rng.standard_normal((20, 4))).argmax(1)
    mx.random.seed(0)
    net = nn.Sequential()
    with net.name_scope():
        net.add(nn.Dense(32, activation="relu"), nn.Dense(4))
    net.initialize(mx.init.Xavier())
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    trainer = gluon.Trainer(net.collect_params(), "adam", {"learning_rate": 0.01})
    for _ in range(20):
        for i in range(0, 256, 64):
            x, y = nd.array(X[i:i + 64]), nd.array(Y[i:i + 64])
            with autograd.record():
                loss = loss_fn(net(x), y)
            loss.backward()
            trainer.step(64)
    acc = (nd.argmax(net(nd.array(X)), axis=1).asnumpy() == Y).mean()
    assert acc > 0.9


def test_trainer_refuses_stale_gradients():
    d = nn.Dense(2, in_units=3)
    d.initialize()
    trainer = gluon.Trainer(d.collect_params(), "sgd", {"learning_rate": 0.1})
    with autograd.record():
        loss = d(nd.ones((1, 3))).sum()
    loss.backward()
    trainer.step(1)
    with pytest.raises(mx.MXNetError, match="has not been updated by backward"):
        trainer.step(1)
    trainer.step(1, ignore_stale_grad=True)
    with pytest.raises(ValueError, match="list or dict of Parameters"):
        gluon.Trainer(d, "sgd")
    with pytest.raises(mx.MXNetError, match="Cannot find optimizer"):
        gluon.Trainer(d.collect_params(), "nosuch")
