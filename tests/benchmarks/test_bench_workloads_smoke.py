"""Smoke run of benchmarks/bench_workloads.py (the speed issue's W1-W4): every in-process contender runs, the
table, the goal lines and the JSON come out, and a contender that cannot run says why. No timings checked."""
from __future__ import annotations

import json

BENCH_MODULE = "bench_workloads"  # the ``bench`` fixture (conftest.py) imports it


def test_w1_w4_run_and_report(bench, tmp_path, capsys):
    out_json = tmp_path / "w.json"
    res = bench.main(["--workloads", "w1,w4", "--rounds", "1", "--inner", "1", "--warmup", "1", "--min-block-ms", "0", "--fit-batches", "2",
                      "--mxnet-python", "", "--keras-python", "", "--no-torch", "--json", str(out_json)])
    text = capsys.readouterr().out
    w1 = res["results"][bench.LABELS["w1"]]
    assert {"unidl gluon", "unidl gluon hybridized", "unidl keras fit", "unidl keras fit eager",
            "numpy by hand"} <= set(w1)
    assert all(v["best_ms"] > 0 for v in w1.values())
    assert {"unidl core", "unidl gluon", "numpy np.add"} <= set(res["results"][bench.LABELS["w4"]])
    assert "mxnet" in res["notes"] and "keras" in res["notes"]  # no interpreter given: said, not hidden
    assert "W1 unidl gluon hybridized / numpy by hand:" in text and "W2 unidl gluon hybridized" in text
    assert json.loads(out_json.read_text())["goals"] == res["goals"]


def test_goal_ratios(bench):
    ms = 1e-3
    results = {"w1": {"unidl gluon hybridized": (1.2 * ms, 0), "unidl keras fit": (1.4 * ms, 0),
                      "numpy by hand": (1.0 * ms, 0)},
               "w4": {"unidl core": (400e-6, 0), "unidl gluon": (600e-6, 0)}}
    lines = bench.goals(results)
    assert "  W1 unidl gluon hybridized / numpy by hand: 1.20x (goal <= 1.3x) meets" in lines
    assert "  W1 unidl keras fit / numpy by hand: 1.40x (goal <= 1.3x) MISSES" in lines
    assert "  W1 unidl keras fit / unidl gluon hybridized: 1.17x (goal <= 1.1x) MISSES" in lines
    assert "  W4 unidl core: 4.00 us per op (goal <= 5) meets" in lines
    assert "  W4 unidl gluon: 6.00 us per op (goal <= 5) MISSES" in lines
    assert any(line.startswith("  W2 ") and line.endswith("not measured") for line in lines)
