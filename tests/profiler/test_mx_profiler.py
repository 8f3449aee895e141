"""mx.profiler (MXNet 1.9.1's API) on unidl.profiler; behaviours checked against real MXNet 1.9.1:
set_config's argument check, set_state's states, dump() refused before any set_config, dumps() empty
without aggregate_stats, pause/resume, Domain/Task/Counter/Marker/Event events in the trace file."""
from __future__ import annotations

import json

import numpy as np
import pytest

import unidl.profiler as core
import unidl_mxnet as mx
from unidl_mxnet import profiler


@pytest.fixture(autouse=True)
def _clean():
    core.stop()
    core.reset()
    profiler._config.clear()
    profiler._config.update(profiler._DEFAULTS)
    profiler._configured[0] = False
    yield
    core.stop()
    core.reset()


def _gluon_step():
    net = mx.gluon.nn.Dense(3, in_units=4)
    net.initialize()
    trainer = mx.gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1, "momentum": 0.9})
    x = mx.nd.array(np.ones((2, 4), np.float32))
    y = mx.nd.array([0, 2])
    with mx.autograd.record():
        loss = mx.gluon.loss.SoftmaxCrossEntropyLoss()(net(x), y)
    loss.backward()
    trainer.step(2)


def test_module_and_api_surface():
    assert mx.profiler is profiler
    for name in ("set_config", "set_state", "dump", "dumps", "pause", "resume", "Domain", "Task", "Frame",
                 "Event", "Counter", "Marker", "profiler_set_config", "profiler_set_state", "dump_profile"):
        assert hasattr(profiler, name)
    assert not hasattr(profiler, "scope")  # MXNet 1.9.1 has none (2.0 added it)


def test_argument_errors_as_mxnet():
    with pytest.raises(mx.MXNetError, match="Cannot find argument 'bogus'"):
        profiler.set_config(bogus=1)
    with pytest.raises(KeyError):
        profiler.set_state("bogus")
    with pytest.raises(mx.MXNetError, match="Profiler hasn't been run"):
        profiler.dump()


def test_run_stop_dump_writes_chrome_trace(tmp_path):
    fn = str(tmp_path / "profile.json")
    profiler.set_config(profile_all=True, filename=fn)
    profiler.set_state("run")
    _gluon_step()
    profiler.set_state("stop")
    profiler.dump()
    evs = json.load(open(fn))["traceEvents"]
    names = {e["name"] for e in evs if e.get("cat", "").startswith("kernel")}
    assert {"matmul", "softmax_cross_entropy", "sgd_update_rescaled"} <= names  # the MXNet form of SGD
    assert any(e["cat"] == "kernel,backward" for e in evs if "cat" in e)
    assert all(e["dur"] > 0 for e in evs if e["ph"] == "X")


def test_dumps_needs_aggregate_stats():
    profiler.set_config(filename="unused.json")
    profiler.set_state("run")
    _gluon_step()
    profiler.set_state("stop")
    assert profiler.dumps() == ""
    profiler.set_config(aggregate_stats=True)
    table = profiler.dumps()
    assert "matmul" in table and "Total Count" in table
    stats = json.loads(profiler.dumps(format="json"))
    assert stats["Time"]["kernel"]["matmul"]["Count"] >= 1
    profiler.dumps(reset=True)
    assert "matmul" not in profiler.dumps()


def test_pause_resume():
    profiler.set_config(aggregate_stats=True)
    profiler.set_state("run")
    profiler.pause()
    mx.nd.ones((2, 2)) + 1
    profiler.resume()
    mx.nd.ones((2, 2)) * 2
    profiler.set_state("stop")
    table = profiler.dumps()
    assert "multiply" in table and "add" not in table.replace("add_", "")


def test_custom_events(tmp_path):
    fn = str(tmp_path / "p.json")
    profiler.set_config(filename=fn)
    profiler.set_state("run")
    d = profiler.Domain("dom")
    t = profiler.Task(d, "mytask")
    t.start()
    mx.nd.ones((2, 2)) - 1
    t.stop()
    c = profiler.Counter(d, "ctr", 5)
    c.increment(2)
    c += 1
    profiler.Marker(d, "mk").mark("process")
    with profiler.Event("evt"):
        pass
    profiler.set_state("stop")
    profiler.dump()
    evs = json.load(open(fn))["traceEvents"]
    task = next(e for e in evs if e["name"] == "mytask")
    assert task["ph"] == "X" and task["cat"] == "dom"
    assert [e["args"]["ctr"] for e in evs if e["name"] == "ctr"] == [5, 7, 8]
    assert any(e["name"] == "mk" and e["ph"] == "i" for e in evs)
    assert any(e["name"] == "evt" and e["cat"] == "event" for e in evs)
    inner = [e for e in evs if e.get("cat") == "kernel" and e["ts"] >= task["ts"]
             and e["ts"] + e["dur"] <= task["ts"] + task["dur"]]
    assert inner  # the subtraction's kernel nests in the task
    # dump(finished=True) ends the profile: the next dump holds only new events
    profiler.set_state("run")
    profiler.set_state("stop")
    profiler.dump()
    assert not [e for e in json.load(open(fn))["traceEvents"] if e["name"] == "mytask"]
