"""A trainer states file is checked whole before it replaces anything: states that do not have the structure
the optimizer keeps for the Trainer's parameters (a null state, a wrong shape, a parameter index the Trainer
lacks), or optimizer settings of the wrong kind, are refused with TrainerStatesError, and the Trainer keeps
training as before."""
from __future__ import annotations

import json

import numpy as np
import pytest

from unidl.io import mxnet_params
from unidl_mxnet import autograd, gluon, nd
from unidl_mxnet.optimizer.states_file import HEADER_KEY, TrainerStatesError


def _setup(opt="adam"):
    net = gluon.nn.Dense(3, in_units=4)
    net.initialize()
    trainer = gluon.Trainer(net.collect_params(), opt, {"learning_rate": 0.1})
    _step(net, trainer)
    return net, trainer


def _step(net, trainer):
    with autograd.record():
        loss = (net(nd.ones((2, 4))) ** 2).sum()
    loss.backward()
    trainer.step(2)


def _edit(path, fn):
    arrays, names = mxnet_params.loads(path.read_bytes(), str(path))
    i = names.index(HEADER_KEY)
    header = json.loads(bytes(arrays[i]).decode())
    fn(header)
    arrays[i] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8).copy()
    path.write_bytes(mxnet_params.dumps(arrays, names))


def _set_state(index, value):
    def fn(h):
        for e in h["states"]:
            if e[0] == index:
                e[1] = value
    return fn


def _set_attr(k, v):
    def fn(h):
        h["optimizer"]["attrs"][k] = v
    return fn


@pytest.mark.parametrize("edit, match", [
    (_set_state(0, None), r"state of parameter 0 is missing"),
    (_set_state(0, {"tuple": [None, None]}), r"state of parameter 0\[0\] is missing"),
    (lambda h: h["states"].append([7, None]), r"parameter index 7, which this Trainer does not have"),
    (_set_attr("lr", "fast"), r"attribute 'lr' is str 'fast', but the optimizer keeps a float"),
    (lambda h: h.update(states="all"), r"'states' must be a list"),
])
def test_a_states_file_that_would_break_step_is_refused_and_changes_nothing(tmp_path, edit, match):
    net, trainer = _setup()
    path = tmp_path / "t.states"
    trainer.save_states(str(path))
    before_lr = trainer.learning_rate
    before_states = dict(trainer._updaters[0].states)
    _edit(path, edit)
    with pytest.raises(TrainerStatesError, match=match):
        trainer.load_states(str(path))
    assert trainer.learning_rate == before_lr and trainer._updaters[0].states == before_states
    _step(net, trainer)      # still trains


def test_a_state_of_the_wrong_shape_is_refused(tmp_path):
    net, trainer = _setup("sgd")
    trainer2 = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1, "momentum": 0.9})
    _step(net, trainer2)
    path = tmp_path / "t.states"
    trainer2.save_states(str(path))
    other = gluon.nn.Dense(3, in_units=5)
    other.initialize()
    t3 = gluon.Trainer(other.collect_params(), "sgd", {"learning_rate": 0.1, "momentum": 0.9})
    with pytest.raises(TrainerStatesError, match=r"state of parameter \d+ is \(3, 4\) float32, but the optimizer "
                                                 r"keeps \(3, 5\) float32"):
        t3.load_states(str(path))


def test_a_good_file_still_round_trips(tmp_path):
    net, trainer = _setup()
    path = tmp_path / "t.states"
    trainer.save_states(str(path))
    t2 = gluon.Trainer(net.collect_params(), "adam", {"learning_rate": 0.5})
    t2.load_states(str(path))
    assert t2.learning_rate == trainer.learning_rate
    _step(net, t2)
