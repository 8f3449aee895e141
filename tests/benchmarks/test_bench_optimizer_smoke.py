"""Smoke run of benchmarks/bench_optimizer.py (the optimizer step's cost per parameter): the in-process contenders
run and report µs per parameter, a framework without an interpreter is said to be missing, and the JSON comes out.
No timings checked."""
from __future__ import annotations

import json

BENCH_MODULE = "bench_optimizer"  # the ``bench`` fixture (conftest.py) imports it


def test_quick_run_reports_every_contender_per_parameter(bench, tmp_path, capsys):
    out_json = tmp_path / "opt.json"
    res = bench.main(["--rounds", "1", "--inner", "1", "--warmup", "1", "--mxnet-python", "", "--keras-python", "",
                      "--no-torch", "--json", str(out_json)])
    text = capsys.readouterr().out
    assert res["params"] == len(bench.shapes()) == 82
    assert set(res["results"]) == {"unidl gluon updater", "unidl keras apply", "numpy by hand"}
    assert all(v["best_us_per_param"] > 0 for v in res["results"].values())
    assert "no interpreter" in res["notes"]["mxnet"] and "no interpreter" in res["notes"]["keras"]
    assert "µs per parameter" in text and "unidl gluon updater" in text
    assert json.loads(out_json.read_text())["results"] == res["results"]


def test_each_contender_updates_every_parameter(bench):
    """The timed calls are real updates: each in-process contender changes every one of its parameters."""
    import numpy as np

    import unidl_keras
    import unidl_mxnet

    def values(run):
        return [np.array(p.asnumpy() if hasattr(p, "asnumpy") else p.numpy() if hasattr(p, "numpy") else p)
                for p in run.params]

    for run in (bench.gluon_runner(unidl_mxnet), bench.keras_runner(unidl_keras), bench.numpy_runner()):
        before = values(run)
        assert len(before) == 82
        assert run(2) > 0
        assert all(not np.array_equal(a, b) for a, b in zip(before, values(run)))
