"""Smoke run of benchmarks/bench_gluon.py: ``--quick`` (tiny sizes, one round), no real MXNet, no timings checked."""
from __future__ import annotations

import importlib.util
import json
import math
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_gluon.py"
LABELS = ("MLP 784-256-128-10 b8", "LeNet CNN 1x28x28 b4", "LSTM T5 b4 64->128 TNC")
COLUMNS = ("unidl_mxnet", "mxnet 1.9.1", "pytorch eager")


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bench_gluon_smoke", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _rows(text: str) -> dict:
    return {label: line for line in text.splitlines() for label in LABELS if line.strip().startswith(label)}


def test_quick_run_prints_three_rows_and_writes_json(bench, tmp_path, capsys):
    out_path = tmp_path / "gluon.json"
    bench.main(["--quick", "--mxnet-python", "", "--json", str(out_path)])
    text = capsys.readouterr().out
    header = next(line for line in text.splitlines() if line.strip().startswith("model"))
    assert all(c in header for c in COLUMNS) and "unidl/mxnet" in header and "unidl/torch" in header
    rows = _rows(text)
    assert set(rows) == set(LABELS)
    for line in rows.values():
        assert "not available" in line  # the MXNet column, left out here
    assert "threads: OMP_NUM_THREADS=" in text and "MXNET_ENGINE_TYPE=" in text
    data = json.loads(out_path.read_text())
    assert set(data["results"]) == set(LABELS)
    for row in data["results"].values():
        u = row["unidl_mxnet"]
        assert math.isfinite(u["best_ms"]) and 0 < u["best_ms"] <= u["median_ms"]
        assert row["mxnet 1.9.1"] == "not available"
        assert isinstance(row["pytorch eager"], dict) or row["pytorch eager"] == "not available"
    assert data["settings"]["quick"] is True and data["settings"]["rounds"] == 1
    assert "mxnet 1.9.1" in data["notes"]


def test_broken_mxnet_interpreter_is_reported_not_raised(bench, capsys):
    # this interpreter has no mxnet: the worker dies at import; the column says why and the rest still runs
    res = bench.run_benchmark(["--quick", "--models", "mlp", "--no-torch", "--mxnet-python", sys.executable])
    text = capsys.readouterr().out
    assert "mxnet 1.9.1: not available" in text and "mxnet" in res["notes"]["mxnet 1.9.1"].lower()
    row = res["results"]["MLP 784-256-128-10 b8"]
    assert row["mxnet 1.9.1"] == "not available" and row["pytorch eager"] == "not available"
    assert row["unidl_mxnet"]["best_ms"] > 0


def test_unknown_model_is_refused(bench):
    with pytest.raises(SystemExit):
        bench.run_benchmark(["--quick", "--models", "mlp,resnet"])
