"""Smoke run of benchmarks/bench_lstm.py's W3 (issue 15): both unidl faces and PyTorch run the step, the table and
goal lines print, and ``--profile`` writes one valid Chrome trace per face. No timings checked."""
from __future__ import annotations

import json

BENCH_MODULE = "bench_lstm"  # the ``bench`` fixture (conftest.py) imports it


def test_w3_table(bench, capsys):
    timings = bench.w3_main(rounds=1, inner=1)
    out = capsys.readouterr().out
    assert "W3: LSTM T=35 b32 64->128" in out
    assert {"unidl gluon (W3)", "unidl keras train_on_batch (W3)"} <= set(timings)
    if "pytorch eager (W3)" in timings:
        assert out.count("PyTorch eager (") == 2  # one goal line per face


def test_w3_profile(bench, tmp_path, capsys):
    bench.w3_profile(str(tmp_path / "w3.json"), steps=2)
    for face in ("gluon", "keras"):
        evs = json.loads((tmp_path / f"w3-{face}.json").read_text())["traceEvents"]
        names = {e["name"] for e in evs if e.get("cat", "").startswith("kernel")}
        sgd = "sgd_update" if face == "keras" else "sgd_update_rescaled"  # each face's form of the rule
        assert {"lstm_sequence", "lstm_sequence_grad", "matmul", sgd} <= names
        assert [e["name"] for e in evs if e.get("cat") == "scope"] == ["step 0", "step 1"]
    assert "lstm_sequence_grad" in capsys.readouterr().out
