"""Every composite definition in the core equals the native cpu kernel of its op on the op's conformance cases:
bitwise where the composite follows the kernel's operation order (all but the im2col convolutions, whose GEMM
sums in another order), within the op's tolerance otherwise."""
from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

import unidl  # noqa: F401
from unidl.kernels import OPS, namespace
from unidl.primitives import COMPOSITE_REORDERED, PRIMITIVES, composite_deps
from unidl.testing.cases import Gen, all_cases, tolerance
from unidl_conformance.kernels.harness import IDENTICAL, compare_outputs, reference_kernel, run_kernel

#: composites that compute in another order than the kernel (checked within the op's tolerance)
REORDERED = COMPOSITE_REORDERED

_CASES = [c for c in all_cases() if OPS[c.op].composite is not None and c.compose is None]


def test_composites_cover_what_the_twins_use():
    have = {name for name, op in OPS.items() if op.composite is not None}
    for name in ("softmax", "log_softmax", "logsumexp", "relu", "sigmoid", "layer_norm", "batch_norm", "dropout",
                 "max_pool", "avg_pool", "conv", "softmax_cross_entropy", "sgd_update", "adam_update",
                 "lstm_sequence", "embedding"):
        assert name in have


def test_composites_are_written_in_ops():
    for name, op in OPS.items():
        if op.composite is not None:
            deps = composite_deps(name)
            assert deps and deps <= set(OPS), (name, deps)
    assert not {n for n in PRIMITIVES if OPS[n].composite is not None}, "a primitive has no composite"


@pytest.mark.parametrize("case", _CASES, ids=[c.id for c in _CASES])
def test_composite_equals_native_kernel(case):
    comp = OPS[case.op].composite
    ns = namespace("cpu")
    fn = lambda *a, **k: comp(ns, *a, **k)  # noqa: E731
    ref, tol = reference_kernel(case.op), tolerance(case.op)

    @settings(max_examples=15, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(st.data())
    def check(data):
        sample = case.gen(Gen(data, "forward", case.special))
        want, want_err = run_kernel(ref, sample, "cpu")
        got, got_err = run_kernel(fn, sample, "cpu")
        if want_err is not None or got_err is not None:
            # the composite may accept what the kernel refuses (it does not read values on the host to check them)
            assert got_err is None or want_err is not None, f"composite raised {got_err!r} on {sample!r}"
            return
        out = compare_outputs(want, got, tol)
        assert out.ok, f"{out.message}; inputs {sample!r}"
        if case.op not in REORDERED:
            assert out.status == IDENTICAL, f"not bitwise equal: max abs {out.max_abs}; inputs {sample!r}"

    check()


_COMPOSED = [c for c in all_cases() if OPS[c.op].composite is not None and c.compose is not None]


@pytest.mark.parametrize("case", _COMPOSED, ids=[c.id for c in _COMPOSED])
def test_composed_composites_equal_native_kernels(case):
    """Cases run through ``case.compose`` (the LSTM forward and its grad on the forward's workspace): every op
    it calls runs its composite where it has one, against the reference kernels; masked steps, reversed
    sequences and float64 included (the grad's GEMM layout and its 0/1 mask products give the kernel's bits)."""
    ns = namespace("cpu")

    def composite_of(op):
        comp = OPS[op].composite
        return (lambda *a, **k: comp(ns, *a, **k)) if comp is not None else reference_kernel(op)  # noqa: E731

    fn, ref, tol = case.compose(composite_of), case.compose(reference_kernel), tolerance(case.op)

    @settings(max_examples=60, deadline=None, database=None, derandomize=True,
              suppress_health_check=list(HealthCheck))
    @given(st.data())
    def check(data):
        sample = case.gen(Gen(data, "forward", case.special))
        want, want_err = run_kernel(ref, sample, "cpu")
        got, got_err = run_kernel(fn, sample, "cpu")
        assert (want_err is None) == (got_err is None), (want_err, got_err, sample)
        if want_err is not None:
            return
        out = compare_outputs(want, got, tol)
        assert out.ok, f"{out.message}; inputs {sample!r}"
        if case.op not in REORDERED:
            assert out.status == IDENTICAL, f"not bitwise equal: max abs {out.max_abs}; inputs {sample!r}"

    check()
