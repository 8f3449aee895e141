"""Block.summary: the text printed for three models equals what the real MXNet 1.9.1 prints for the same
models (tests/mxnet/data/layers_summary_mxnet191.txt, written by tests/mxnet/data/layers_make_fixtures.py),
including deferred-init Symbol rows, shared parameters, nested outputs and non-trainable counts."""
from __future__ import annotations

import os

import pytest

from unidl_mxnet import gluon, nd
from unidl_mxnet.gluon import nn, rnn
from unidl_mxnet.gluon.contrib import nn as cnn

DATA = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data")


def _expected():
    text = open(os.path.join(DATA, "layers_summary_mxnet191.txt")).read()
    out = {}
    for chunk in text.split("== ")[1:]:
        name, body = chunk.split("\n", 1)
        out[name] = body
    return out


EXPECTED = _expected()


@pytest.fixture(autouse=True)
def _fresh_names(monkeypatch):
    from unidl_mxnet.gluon import block

    monkeypatch.setattr(block, "_global_counter", {})


def mlp():
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Dense(32, activation="relu"), nn.Dropout(0.5), nn.Dense(10))
    return net, (nd.ones((2, 20)),)


def cnn_model():
    nn.HybridSequential()  # the fixture script built the mlp first: this one is hybridsequential1_
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Conv2D(8, 3, padding=1, activation="relu"), nn.BatchNorm(), nn.MaxPool2D(),
                nn.Conv2DTranspose(4, 2, strides=2), nn.PReLU(), nn.GlobalAvgPool2D(), nn.Flatten(), nn.Dense(10))
    return net, (nd.ones((1, 3, 16, 16)),)


class Shared(gluon.Block):
    """A shared Dense used twice, a concurrent branch and an LSTM returning states."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.dense = nn.Dense(6, in_units=6)
            self.branch = cnn.HybridConcurrent(axis=1)
            self.branch.add(nn.Dense(3), cnn.Identity())
            self.lstm = rnn.LSTM(5, layout="NTC")

    def forward(self, x):
        y = self.dense(self.dense(x))
        y = self.branch(y)
        out, states = self.lstm(y.expand_dims(1), self.lstm.begin_state(batch_size=x.shape[0]))
        return out, states


@pytest.mark.parametrize("name, make", [("mlp", mlp), ("cnn", cnn_model),
                                        ("shared", lambda: (Shared(), (nd.ones((2, 6)),)))])
def test_summary_text_equals_mxnet(name, make, capsys):
    net, inputs = make()
    net.initialize()
    net.summary(*inputs)
    assert capsys.readouterr().out == EXPECTED[name]


def test_summary_leaves_the_block_unchanged_and_runs_again(capsys):
    net, (x,) = mlp()
    net.initialize()
    net.summary(x)
    first = capsys.readouterr().out
    assert "Symbol" in first  # the deferred-init trace row, as MXNet prints it
    assert all("forward" not in b.__dict__ for b in [net, net[0], net[0].act, net[1], net[2]])
    net.summary(x)
    second = capsys.readouterr().out
    assert "Symbol" not in second and "Dense-2" in second and "Total params: 1002" in second
    assert net(x).shape == (2, 10)


def test_summary_of_uninitialized_net_raises():
    net, (x,) = mlp()
    with pytest.raises(Exception, match="not been initialized"):
        net.summary(x)
    assert all("forward" not in b.__dict__ for b in [net, net[0], net[0].act])
