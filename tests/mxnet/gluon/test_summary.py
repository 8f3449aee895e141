"""Block.summary: the text printed for three models equals what the real MXNet 1.9.1 prints for the same
models (tests/mxnet/data/layers_summary_mxnet191.txt, written by tests/mxnet/data/layers_make_fixtures.py),
including deferred-init Symbol rows, shared parameters, nested outputs and non-trainable counts."""
from __future__ import annotations

import os
import sys

import pytest

import unidl_mxnet as mx

DATA = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data")
sys.path.insert(0, DATA)
import summary_models  # noqa: E402


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


MODELS = summary_models.models(mx)


@pytest.mark.parametrize("name", list(MODELS))
def test_summary_text_equals_mxnet(name, capsys):
    for earlier in list(MODELS)[:list(MODELS).index(name)]:
        MODELS[earlier]()  # the fixture script built these first: block names count on from them
    net, inputs = MODELS[name]()
    net.initialize()
    net.summary(*inputs)
    assert capsys.readouterr().out == EXPECTED[name]


def test_summary_leaves_the_block_unchanged_and_runs_again(capsys):
    net, (x,) = MODELS["mlp"]()
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
    net, (x,) = MODELS["mlp"]()
    with pytest.raises(Exception, match="not been initialized"):
        net.summary(x)
    assert all("forward" not in b.__dict__ for b in [net, net[0], net[0].act])
