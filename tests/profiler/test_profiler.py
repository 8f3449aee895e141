"""unidl.profiler: the Chrome trace it writes (valid JSON, op names, kernels, shapes, phases, nesting,
durations), zero cost when off, pause/resume, and the summary table."""
from __future__ import annotations

import json

import numpy as np
import pytest

import unidl
import unidl.profiler as prof
from unidl import kernels, ops


@pytest.fixture(autouse=True)
def _clean():
    prof.stop()
    prof.reset()
    yield
    prof.stop()
    prof.reset()


def _step():
    x = unidl.tensor(np.arange(12, dtype=np.float32).reshape(3, 4) / 10, requires_grad=True)
    w = unidl.tensor(np.ones((4, 2), np.float32), requires_grad=True)
    with unidl.record():
        loss = ops.sum(ops.tanh(ops.matmul(x, w)))
    loss.backward()
    return x, w


def _kernels(evs, name=None, phase=None):
    return [e for e in evs if e.get("cat", "").startswith("kernel") and (name is None or e["name"] == name)
            and (phase is None or e["args"]["phase"] == phase)]


def _inside(inner, outer):
    return (inner["tid"] == outer["tid"] and outer["ts"] <= inner["ts"]
            and inner["ts"] + inner["dur"] <= outer["ts"] + outer["dur"] + 1e-3)


def test_trace_file_is_valid_chrome_json(tmp_path):
    path = tmp_path / "t.json"
    with prof.profile(str(path)):
        with prof.scope("step"):
            _step()
    data = json.loads(path.read_text())
    assert data["displayTimeUnit"] == "ms"
    evs = data["traceEvents"]
    assert any(e["ph"] == "M" and e["name"] == "process_name" for e in evs)
    for e in evs:
        assert {"ph", "name", "pid"} <= set(e)
        if e["ph"] == "X":
            assert isinstance(e["ts"], float) and e["dur"] > 0 and "tid" in e


def test_kernel_events_carry_op_kernel_shapes_dtypes_device_phase():
    with prof.profile():
        _step()
    evs = prof.events()
    (mm,) = _kernels(evs, "matmul", "forward")
    assert mm["args"]["shapes"] == [[3, 4], [4, 2]]
    assert mm["args"]["dtypes"] == ["float32", "float32"]
    assert mm["args"]["device"] == "cpu" and mm["args"]["op"] == "matmul"
    assert mm["args"]["kernel"].startswith("cpu:")
    assert _kernels(evs, "tanh", "forward")
    bwd = _kernels(evs, phase="backward")
    assert {e["name"] for e in bwd} >= {"matmul"}  # dx = g w^T, dw = x^T g
    assert all(e["cat"] == "kernel,backward" for e in bwd)


def test_nesting_scope_contains_kernels_and_backward_contains_its_kernels():
    with prof.profile():
        with prof.scope("outer"):
            with prof.scope("inner"):
                _step()
    evs = prof.events()
    outer = next(e for e in evs if e["name"] == "outer")
    inner = next(e for e in evs if e["name"] == "inner")
    back = next(e for e in evs if e["name"] == "backward" and e["cat"] == "autograd")
    assert _inside(inner, outer) and _inside(back, inner)
    assert all(_inside(k, inner) for k in _kernels(evs))
    assert all(_inside(k, back) for k in _kernels(evs, phase="backward"))
    assert not any(_inside(k, back) for k in _kernels(evs, phase="forward"))
    # sorted by start, an enclosing range before what it encloses
    xs = [e for e in evs if e["ph"] == "X"]
    assert xs == sorted(xs, key=lambda e: (e["ts"], -e["dur"]))
    assert xs[0]["name"] == "outer"


def test_zero_cost_when_off_kernels_unwrapped():
    _step()
    assert kernels.OPS["matmul"].table["cpu"].__name__ != "timed"
    with prof.profile():
        _step()
        assert kernels.OPS["matmul"].table["cpu"].__name__ == "timed"
    assert "cpu" not in kernels.OPS["matmul"].table  # caches dropped at stop
    _step()
    assert kernels.OPS["matmul"].table["cpu"].__name__ != "timed"  # re-resolved unwrapped: no per-call cost
    assert unidl.autograd._run.__name__ == "_run"
    n = len(prof.events())
    _step()
    assert len(prof.events()) == n  # nothing recorded after stop


def test_pause_resume_and_reset():
    prof.start()
    prof.pause()
    _step()
    assert not _kernels(prof.events())
    prof.resume()
    _step()
    prof.stop()
    assert _kernels(prof.events(), "matmul")
    prof.reset()
    assert not _kernels(prof.events())


def test_gzip_and_summary(tmp_path):
    import gzip

    with prof.profile(str(tmp_path / "t.json.gz")):
        for _ in range(3):
            _step()
    data = json.loads(gzip.open(tmp_path / "t.json.gz").read())
    assert _kernels(data["traceEvents"], "tanh")
    stats = prof.aggregate()
    assert stats[("kernel", "tanh")]["count"] == 3 and stats[("kernel", "tanh")]["total"] > 0
    table = prof.summary()
    assert "kernel,backward" in table and "tanh" in table
    with pytest.raises(ValueError):
        prof.summary(sort_by="bogus")


def test_composes_with_an_open_kernel_trace():
    from unidl.trace import kernel_trace

    with kernel_trace() as calls:
        with prof.profile():
            _step()
    assert any(c.op == "matmul" for c in calls)
    assert _kernels(prof.events(), "matmul")


def test_threads_get_their_own_track():
    import threading

    with prof.profile():
        _step()
        t = threading.Thread(target=_step)
        t.start()
        t.join()
    tids = {e["tid"] for e in _kernels(prof.events())}
    assert len(tids) == 2
