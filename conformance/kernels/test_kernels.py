"""Kernel tier tests: ``test_kernel[<case>-<device>]`` (forward), ``test_kernel_grad[...]`` (backward on
the device vs the reference) and ``test_gradcheck[...]`` (reference vs float64 finite differences).

Parametrised by the conformance plugin (``pytest_generate_tests``) over the cases of the ops the
device under test has kernels for.
"""
from __future__ import annotations

from typing import Any

from hypothesis import given, strategies as st

from unidl.testing.cases import Gen, OpCase, tolerance, uncovered_ops, UNCOVERED

from .harness import (GRAD_TOL, IDENTICAL, ConformanceFailure, Outcome, case_kernels, compare_outputs, grad_run,
                      gradcheck, kernel_path, reference_cpu, run_kernel)


def _fail(case: OpCase, device: str, check: str, outcome: Outcome, sample: Any, path: str) -> ConformanceFailure:
    return ConformanceFailure(
        f"op '{case.op}' (case {case.id}) on device '{device}' [{path}] {check} differs from the NumPy reference: "
        f"{outcome.message} (max abs diff {outcome.max_abs:.3g}, max ulp {outcome.max_ulp:.3g})\n"
        f"inputs: {sample!r}")


def _detail(outcome: Outcome, sample: Any) -> str:
    """The report row's detail: the outcome's message (if any) and the inputs."""
    return f"{outcome.message}; inputs: {sample!r}" if outcome.message else f"inputs: {sample!r}"


def test_kernel(op_case: OpCase, unidl_conformance: Any, request: Any) -> None:
    sess, case = unidl_conformance, op_case
    device, path = sess.device, kernel_path(op_case.op, sess.device)
    (dev_fn, ref_fn), tol = case_kernels(case, device), tolerance(case.op)

    @given(st.data())
    def check(data: Any) -> None:
        sample = case.gen(Gen(data, "forward", case.special))
        ref, ref_err = run_kernel(ref_fn, sample, "cpu")
        got, got_err = run_kernel(dev_fn, sample, device)
        if ref_err is not None or got_err is not None:
            if ref_err is not None and got_err is not None:
                outcome = Outcome(IDENTICAL)  # both refuse the input
            else:
                err = got_err or ref_err
                who = "the kernel raised" if got_err is not None else "the reference raised but the kernel did not:"
                outcome = Outcome("FAIL", message=f"{who} {type(err).__name__}: {err}")
        else:
            outcome = compare_outputs(ref, got, tol)
        sess.report.record(case.id, "forward", outcome.status, op=case.op, kernel=path, max_abs=outcome.max_abs,
                           max_ulp=outcome.max_ulp, detail=_detail(outcome, sample),
                           test=request.node.nodeid)
        if not outcome.ok:
            raise _fail(case, device, "forward", outcome, sample, path)

    check()


def test_kernel_grad(grad_case: OpCase, unidl_conformance: Any, request: Any) -> None:
    sess, case = unidl_conformance, grad_case
    device, path = sess.device, kernel_path(grad_case.op, sess.device)

    @given(st.data())
    def check(data: Any) -> None:
        sample = case.gen(Gen(data, "backward"))
        out, grads = grad_run(case, sample, device)
        with reference_cpu():
            ref_out, ref_grads = grad_run(case, sample, "cpu")
        outcome = compare_outputs(ref_out + ref_grads, out + grads, GRAD_TOL, what="output/gradient")
        sess.report.record(case.id, "backward", outcome.status, op=case.op, kernel=path, max_abs=outcome.max_abs,
                           max_ulp=outcome.max_ulp, detail=_detail(outcome, sample),
                           test=request.node.nodeid)
        if not outcome.ok:
            raise _fail(case, device, "backward (output, then one gradient per input)", outcome, sample, path)

    check()


def test_gradcheck(grad_case: OpCase, unidl_conformance: Any, request: Any) -> None:
    sess, case = unidl_conformance, grad_case

    @given(st.data())
    def check(data: Any) -> None:
        sample = case.gen(Gen(data, "gradcheck"))
        try:
            gradcheck(case, sample)
        except AssertionError as e:
            sess.report.record(case.id, "gradcheck", "FAIL", op=case.op, kernel="kernel:cpu",
                               detail=f"{str(e).strip().splitlines()[0]}; inputs: {sample!r}",
                               test=request.node.nodeid)
            raise ConformanceFailure(f"op '{case.op}' (case {case.id}): the reference gradient differs from float64 "
                                     f"finite differences: {e}\ninputs: {sample!r}") from None
        sess.report.record(case.id, "gradcheck", "within tol", op=case.op, kernel="kernel:cpu",
                           test=request.node.nodeid)

    check()


def test_coverage(unidl_conformance: Any, request: Any) -> None:
    """Every op the device has a kernel for has a case, or a listed reason for having none."""
    sess = unidl_conformance
    for op in sess.ops():
        if op in UNCOVERED:
            sess.report.record(op, "coverage", "not covered", op=op, kernel=kernel_path(op, sess.device),
                               detail=UNCOVERED[op], test=request.node.nodeid)
    missing = sorted(set(uncovered_ops()) & set(sess.ops()))
    assert not missing, (f"ops with no conformance case and no reason in unidl.testing.cases.UNCOVERED: "
                         f"{', '.join(missing)}")
