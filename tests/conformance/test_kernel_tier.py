"""The kernel tier of the conformance suite on cpu, run through ``unidl conform``, and its comparison rules."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from unidl.kernels import KERNELS, OPS
from unidl.plugins import ensure_loaded
from unidl.primitives import COMPOSITE_REORDERED
from unidl.testing.cases import CASES, EXACT, REDUCTION, TOLERANCES, UNCOVERED, tolerance, uncovered_ops
from unidl_conformance.kernels.harness import (FAIL, IDENTICAL, WITHIN, compare_arrays, reference_cpu,
                                               reference_kernel)
from unidl_conformance.report import Report, render

ROOT = Path(__file__).resolve().parents[2]


def _conform(tmp_path, *args, env_extra=None):
    env = dict(os.environ, CI="true")
    env.update(env_extra or {})
    out = tmp_path / "report.json"
    proc = subprocess.run([sys.executable, "-m", "unidl.cli.main", "conform", *args, "--json", str(out)],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    data = json.loads(out.read_text()) if out.exists() else None
    return proc, data


@pytest.fixture(scope="module")
def cpu_run(tmp_path_factory):
    return _conform(tmp_path_factory.mktemp("conform"), "--suite", "kernels", "--device", "cpu")


def _cpu_path(op):
    """Where ``op`` runs on cpu: the cpu plugin's kernel; where that plugin registers only the primitive tier
    (``UNIDL_CPU_KERNELS=primitives``, inherited by the ``unidl conform`` subprocess), the op's composite."""
    ensure_loaded()
    return "kernel:cpu" if any(e.plugin == "cpu" for e in KERNELS.candidates(op, "cpu")) else "composite"


def test_kernel_tier_passes_on_cpu(cpu_run):
    proc, data = cpu_run
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert data["device"] == "cpu" and data["summary"].get("FAIL", 0) == 0
    rows = {(r["case"], r["check"]): r for r in data["rows"]}
    for case in CASES:
        path = _cpu_path(case.op)
        assert rows[(case.id, "forward")]["kernel"] == path, case.id
        # cpu against its own reference kernel: identical; a composite too, unless it computes in another
        # order than the kernel (COMPOSITE_REORDERED: within the op's tolerance)
        same = ("identical",) if path == "kernel:cpu" or case.op not in COMPOSITE_REORDERED \
            else ("identical", "within tol")
        assert rows[(case.id, "forward")]["status"] in same, case.id
        if case.differentiable:
            assert rows[(case.id, "backward")]["status"] in same, case.id
            assert rows[(case.id, "gradcheck")]["status"] == "within tol"
        else:
            assert (case.id, "backward") not in rows
    not_covered = {r["case"]: r["detail"] for r in data["rows"] if r["status"] == "not covered"}
    assert not_covered == UNCOVERED
    assert "unidl conformance: device 'cpu'" in proc.stdout and "CASE" in proc.stdout


def test_every_op_has_a_case_or_a_reason():
    assert uncovered_ops() == []
    covered = {c.op for c in CASES}
    assert covered | set(UNCOVERED) == set(OPS)
    assert not covered & set(UNCOVERED), "an op with a case must not also be listed as uncovered"
    assert all(reason.strip() for reason in UNCOVERED.values())


def test_uncovered_ops_reports_a_new_op_without_a_case():
    some = [c for c in CASES if c.op != "exp"]
    assert uncovered_ops(some) == ["exp"]


def test_tolerance_table_names_only_real_ops():
    assert set(TOLERANCES) <= set(OPS)
    assert tolerance("reshape") is EXACT and tolerance("sum") is REDUCTION


def test_case_ids_are_unique():
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_exact_op_one_ulp_off_fails_with_its_size(dtype):
    ref = np.array([1.0, 2.0, -3.5], dtype=dtype)
    got = ref.copy()
    got[1] = np.nextafter(got[1], dtype(np.inf))
    o = compare_arrays(ref, got, EXACT)
    assert o.status == FAIL and o.max_ulp == 1.0
    assert o.max_abs == pytest.approx(float(np.spacing(dtype(2.0))))
    assert "index (1,)" in o.message
    assert compare_arrays(ref, got, REDUCTION).status == WITHIN


def test_signed_zero_and_nan_rules():
    z = np.array([0.0, np.nan, np.inf], dtype=np.float32)
    assert compare_arrays(z, z.copy(), EXACT).status == IDENTICAL  # NaN equals NaN here
    neg = np.array([-0.0, np.nan, np.inf], dtype=np.float32)
    assert compare_arrays(z, neg, EXACT).status == FAIL  # -0.0 is not 0.0 for an exact op
    assert compare_arrays(z, np.array([0.0, 1.0, np.inf], np.float32), REDUCTION).status == FAIL
    assert "inf mismatch" in compare_arrays(z, np.array([0.0, np.nan, -np.inf], np.float32), REDUCTION).message


def test_shape_dtype_and_int_mismatches_fail():
    a = np.arange(4, dtype=np.int64)
    assert "dtype" in compare_arrays(a, a.astype(np.int32), EXACT).message
    assert "shape" in compare_arrays(a, a.reshape(2, 2), EXACT).message
    b = a.copy()
    b[3] = 7
    o = compare_arrays(a, b, REDUCTION)
    assert o.status == FAIL and "index (3,)" in o.message


def test_outside_tolerance_fails():
    ref = np.array([1.0, 100.0])
    got = ref * (1 + 1e-9)
    o = compare_arrays(ref, got, REDUCTION)
    assert o.status == FAIL and "rtol" in o.message and o.max_abs == pytest.approx(1e-7)


def test_reference_cpu_swaps_in_the_reference_kernels_and_restores():
    import unidl
    from unidl.kernels import KERNELS, KernelRegistry
    from unidl import plugins

    def wrong_exp(x):
        return np.exp(x) + 1

    class Wrong:
        @unidl.hookimpl
        def unidl_register_kernels(self, registry: KernelRegistry):
            registry.add("exp", "cpu", wrong_exp, priority=50)

    rec = plugins.register(Wrong(), name="test-wrong-exp")
    try:
        assert rec.status == "loaded", rec.error
        x = unidl.tensor(np.array([0.0]))
        assert unidl.ops.exp(x).numpy()[0] == 2.0
        with reference_cpu():
            assert unidl.ops.exp(x).numpy()[0] == 1.0
        assert unidl.ops.exp(x).numpy()[0] == 2.0
        assert reference_kernel("exp") is next(e.fn for e in KERNELS.candidates("exp", "cpu") if e.plugin == "cpu")
    finally:
        plugins.unregister("test-wrong-exp")
    assert unidl.ops.exp(unidl.tensor(np.array([0.0]))).numpy()[0] == 1.0


def test_report_keeps_the_worst_and_the_last_failure():
    rep = Report("cpu")
    rep.record("add", "forward", "identical", test="t")
    rep.record("add", "forward", "within tol", max_abs=1e-7, max_ulp=2, test="t")
    rep.record("add", "forward", "identical", test="t")
    row = rep.rows[("add", "forward")]
    assert (row.status, row.max_ulp) == ("within tol", 2)
    rep.record("add", "forward", "FAIL", max_abs=1.0, detail="big example", test="t")
    rep.record("add", "forward", "FAIL", max_abs=0.5, detail="minimal example", test="t")
    rep.record("add", "forward", "identical", test="t")
    row = rep.rows[("add", "forward")]
    assert (row.status, row.detail, row.max_abs) == ("FAIL", "minimal example", 0.5)
    again = Report.from_json(json.loads(json.dumps(rep.to_json())))
    assert again.rows[("add", "forward")].detail == "minimal example"
    import io

    buf = io.StringIO()
    render(again, buf)
    text = buf.getvalue()
    assert "add  " in text and "FAIL" in text and "minimal example" in text and "1 FAIL" in text


def test_plugins_add_cases_through_the_hook():
    import unidl
    from unidl import plugins
    from unidl.testing.cases import OpCase, Sample, all_cases

    extra = OpCase("exp", lambda g: Sample((np.array([0.5, -1.0]),)), unidl.ops.exp, name="exp-fixed")

    class Cases:
        @unidl.hookimpl
        def unidl_conformance_cases(self, registry):
            registry.add(extra)

    rec = plugins.register(Cases(), name="test-extra-cases")
    try:
        assert rec.status == "loaded", rec.error
        assert extra in all_cases() and [c.id for c in all_cases()].count("exp-fixed") == 1
    finally:
        plugins.unregister("test-extra-cases")
    assert extra not in all_cases()
