"""Override tier: ``test_override[<case>-<device>]``: a kernel registered for an op that has a composite in
the core is an override of that composite and must give its numbers on the device: bitwise, except for the
ops in ``unidl.primitives.COMPOSITE_REORDERED`` (within the op's tolerance). So a fast kernel cannot change
the numbers silently. Inputs one side refuses (a kernel checks values the composite does not read) are
skipped.
"""
from __future__ import annotations

from typing import Any

from hypothesis import given, strategies as st

from unidl.kernels import OPS, namespace
from unidl.primitives import COMPOSITE_REORDERED
from unidl.testing.cases import Gen, OpCase, tolerance

from .harness import IDENTICAL, ConformanceFailure, Outcome, compare_outputs, kernel_path, run_kernel


def test_override(override_case: OpCase, unidl_conformance: Any, request: Any) -> None:
    sess, case = unidl_conformance, override_case
    device, path = sess.device, kernel_path(override_case.op, sess.device)
    op = OPS[case.op]
    kernel = op.kernel(device)
    ns = namespace(device)
    composite = lambda *a, **k: op.composite(ns, *a, **k)  # noqa: E731
    tol, exact = tolerance(case.op), case.op not in COMPOSITE_REORDERED

    @given(st.data())
    def check(data: Any) -> None:
        sample = case.gen(Gen(data, "forward", case.special))
        want, want_err = run_kernel(composite, sample, device)
        got, got_err = run_kernel(kernel, sample, device)
        if want_err is not None or got_err is not None:
            return
        outcome = compare_outputs(want, got, tol)
        if outcome.ok and exact and outcome.status != IDENTICAL:
            outcome = Outcome("FAIL", outcome.max_abs, outcome.max_ulp,
                              "not bitwise equal to the composite, which fixes the operation order")
        sess.report.record(case.id, "composite", outcome.status, op=case.op, kernel=path, max_abs=outcome.max_abs,
                           max_ulp=outcome.max_ulp, detail=f"{outcome.message}; inputs: {sample!r}"
                           if outcome.message else "", test=request.node.nodeid)
        if not outcome.ok:
            raise ConformanceFailure(f"op '{case.op}' (case {case.id}) on '{device}': the kernel ({path}) differs "
                                     f"from the op's composite: {outcome.message}\ninputs: {sample!r}")

    check()
