"""Running one sample through a device's kernel and the reference kernel, and comparing the results.

The reference is the shared kernel built with NumPy (``unidl.xpkernels.numpy_kernels``: what the ``cpu``
plugin registers), taken directly rather than resolved, so a third-party plugin that overrides ops *on cpu*
is still compared with NumPy, and so is a cpu plugin told to register only the primitive tier
(``UNIDL_CPU_KERNELS=primitives``). :func:`reference_cpu` makes every op on "cpu" use those kernels for a while
(for the reference side of gradient checks, whose backward runs many ops).
"""
from __future__ import annotations

import contextlib
import functools
import warnings
from dataclasses import dataclass
from typing import Any, Callable, Iterator, List, Optional, Sequence, Tuple

import numpy as np

import unidl
from unidl.kernels import KERNELS, OPS, describe, namespace
from unidl.testing.cases import GRAD, OpCase, Sample, Tol, to_tensors
from unidl.xpkernels import numpy_kernels

REFERENCE_PLUGIN = "cpu"
REFERENCE_DEVICE = "cpu"

IDENTICAL, WITHIN, FAIL = "identical", "within tol", "FAIL"


class ConformanceFailure(AssertionError):
    """A kernel disagrees with the reference; the message names op, device, plugin, inputs, difference."""


@dataclass
class Outcome:
    """Result of comparing one output (or the worst of several)."""

    status: str
    max_abs: float = 0.0
    max_ulp: float = 0.0
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.status != FAIL

    def worst(self, other: "Outcome") -> "Outcome":
        rank = {IDENTICAL: 0, WITHIN: 1, FAIL: 2}
        best = self if rank[self.status] >= rank[other.status] else other
        return Outcome(best.status, max(self.max_abs, other.max_abs), max(self.max_ulp, other.max_ulp),
                       best.message or other.message)


def reference_kernel(op: str) -> Callable[..., Any]:
    """The NumPy reference kernel of ``op`` (else the one the reference plugin registered on cpu)."""
    ref = numpy_kernels().get(op)
    if ref is not None:
        return ref
    for e in KERNELS.candidates(op, REFERENCE_DEVICE):
        if e.plugin == REFERENCE_PLUGIN:
            return e.fn
    raise LookupError(f"the reference plugin '{REFERENCE_PLUGIN}' has no kernel for op '{op}'")


def reference_and_composite(op: str, *args: Any, **kw: Any) -> List[Any]:
    """``[reference result, composite result]`` of ``op`` on cpu for raw inputs ``args``/``kw``, each the value
    returned or the exception raised (numeric warnings silenced): how a composite is held to its kernel."""
    from unidl.plugins import ensure_loaded

    ensure_loaded()
    comp, ns = OPS[op].composite, namespace(REFERENCE_DEVICE)
    out: List[Any] = []
    for fn in (reference_kernel(op), lambda *a, **k: comp(ns, *a, **k)):
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            try:
                out.append(fn(*args, **kw))
            except Exception as e:  # noqa: BLE001 - the caller compares the two sides
                out.append(e)
    return out


def case_kernels(case: OpCase, device: str) -> Tuple[Callable[..., Any], Callable[..., Any]]:
    """(the function run on ``device``, the reference function) for ``case``'s forward check: the op's
    kernels, or what ``case.compose`` builds from each side's kernels."""
    def dev(op: str) -> Callable[..., Any]:
        return OPS[op].kernel(device)

    if case.compose is None:
        return dev(case.op), reference_kernel(case.op)
    return case.compose(dev), case.compose(reference_kernel)


def kernel_path(op: str, device: str) -> str:
    """Where ``op`` runs on ``device``: 'kernel:<plugin>', 'composite', 'host' or 'missing'."""
    return describe(op, device)


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """No floating-point or RuntimeWarning noise: edge inputs are compared, not warned about."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


@contextlib.contextmanager
def reference_cpu() -> Iterator[None]:
    """Within the block, every op on "cpu" runs the reference plugin's kernel (or its composite)."""
    saved = {name: op.table.get(REFERENCE_DEVICE) for name, op in OPS.items()}
    ns = namespace(REFERENCE_DEVICE)
    for name, op in OPS.items():
        fn = numpy_kernels().get(name) or next(
            (e.fn for e in KERNELS.candidates(name, REFERENCE_DEVICE) if e.plugin == REFERENCE_PLUGIN), None)
        if fn is None and op.composite is not None:
            fn = functools.partial(op.composite, ns)
        if fn is not None:
            op.table[REFERENCE_DEVICE] = fn
    try:
        yield
    finally:
        for name, op in OPS.items():
            if saved[name] is None:
                op.table.pop(REFERENCE_DEVICE, None)
            else:
                op.table[REFERENCE_DEVICE] = saved[name]


def _convert(v: Any, f: Callable[[np.ndarray], Any]) -> Any:
    if isinstance(v, np.ndarray):
        return f(v)
    if isinstance(v, tuple):
        return tuple(_convert(x, f) for x in v)
    if isinstance(v, list):
        return [_convert(x, f) for x in v]
    return v


def run_kernel(fn: Callable[..., Any], sample: Sample, device: str) -> Tuple[Optional[List[np.ndarray]],
                                                                               Optional[BaseException]]:
    """Call ``fn`` on copies of the sample's arrays moved to ``device``; host outputs or the exception.

    Each call gets fresh copies, so a kernel that writes into its inputs (the optimizer updates)
    changes neither the sample nor what the other side is given.
    """
    from unidl.devices import DEVICES

    kind = DEVICES.types[device]
    put = lambda a: kind.from_host(np.array(a, copy=True), 0)  # noqa: E731 - each side gets its own copy
    args = _convert(sample.args, put)
    kwargs = {k: _convert(v, put) for k, v in sample.kwargs.items()}
    try:
        with quiet():
            out = fn(*args, **kwargs)
            kind.synchronize(0)
    except Exception as e:  # noqa: BLE001 - compared with the reference's behaviour
        return None, e
    outs = out if isinstance(out, (tuple, list)) else (out,)
    return [np.asarray(kind.to_host(o)) for o in outs], None


def _ulps(ref: np.ndarray, diff: np.ndarray) -> np.ndarray:
    spacing = np.spacing(np.abs(ref)).astype(np.float64)
    return diff / np.where(spacing > 0, spacing, np.finfo(np.float64).tiny)


def compare_arrays(ref: np.ndarray, got: np.ndarray, tol: Tol) -> Outcome:
    """Compare one output with the reference under ``tol`` (exact tolerances ask for equal bits)."""
    if got.shape != ref.shape:
        return Outcome(FAIL, message=f"shape {got.shape} != reference shape {ref.shape}")
    if got.dtype != ref.dtype:
        return Outcome(FAIL, message=f"dtype {got.dtype} != reference dtype {ref.dtype}")
    if ref.dtype.kind not in "fc":
        if np.array_equal(ref, got):
            return Outcome(IDENTICAL)
        bad = np.argwhere(ref != got)[0]
        return Outcome(FAIL, message=f"values differ at index {tuple(int(i) for i in bad)}: "
                                     f"{got[tuple(bad)]!r} != reference {ref[tuple(bad)]!r}")
    rn, gn = np.isnan(ref), np.isnan(got)
    if not np.array_equal(rn, gn):
        where = tuple(int(i) for i in np.argwhere(rn != gn)[0])
        return Outcome(FAIL, float("inf"), float("inf"),
                       f"NaN mismatch at index {where}: {got[where]!r} vs reference {ref[where]!r}")
    fin = ~rn
    same_bits = np.array_equal(ref[fin], got[fin]) and np.array_equal(np.signbit(ref[fin]), np.signbit(got[fin]))
    if same_bits:
        return Outcome(IDENTICAL)
    r64, g64 = ref.astype(np.float64), got.astype(np.float64)
    both_inf = np.isinf(r64) | np.isinf(g64)
    inf_bad = both_inf & (r64 != g64)
    with np.errstate(all="ignore"):
        diff = np.where(both_inf | rn, 0.0, np.abs(g64 - r64))
    ulp = _ulps(ref, diff)
    max_abs = float(diff.max()) if diff.size else 0.0
    max_ulp = float(ulp.max()) if ulp.size else 0.0
    if inf_bad.any():
        where = tuple(int(i) for i in np.argwhere(inf_bad)[0])
        return Outcome(FAIL, float("inf"), float("inf"), f"inf mismatch at index {where}: {got[where]!r} vs "
                                                          f"reference {ref[where]!r}")
    rtol, atol = tol.for_dtype(ref.dtype)
    if tol.exact:
        where = tuple(int(i) for i in np.argwhere((diff > 0) | (np.signbit(ref) != np.signbit(got)) & fin)[0])
        return Outcome(FAIL, max_abs, max_ulp, f"not bit-identical (exact op): at index {where} got "
                                               f"{got[where]!r}, reference {ref[where]!r}")
    bad = diff > atol + rtol * np.abs(np.where(np.isinf(r64), 0.0, r64))
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        return Outcome(FAIL, max_abs, max_ulp, f"outside rtol={rtol:g} atol={atol:g} ({tol.name}): at index "
                                               f"{where} got {got[where]!r}, reference {ref[where]!r}")
    return Outcome(WITHIN, max_abs, max_ulp)


def compare_outputs(ref: Sequence[Optional[np.ndarray]], got: Sequence[Optional[np.ndarray]], tol: Tol,
                    what: str = "output") -> Outcome:
    """Compare lists of outputs (several outputs or gradients); the worst outcome wins."""
    if len(ref) != len(got):
        return Outcome(FAIL, message=f"{len(got)} {what}s, reference gives {len(ref)}")
    result = Outcome(IDENTICAL)
    for i, (r, g) in enumerate(zip(ref, got)):
        if r is None or g is None:
            if (r is None) != (g is None):
                return Outcome(FAIL, message=f"{what} {i}: {'missing' if g is None else 'unexpected'} "
                                             "compared with the reference")
            continue
        o = compare_arrays(r, g, tol)
        if not o.ok:
            o.message = f"{what} {i}: {o.message}" if len(ref) > 1 else o.message
            return result.worst(o)
        result = result.worst(o)
    return result


def grad_run(case: OpCase, sample: Sample, device: str, seed: int = 0) -> Tuple[List[np.ndarray], List[Any]]:
    """The op's output and input gradients on ``device`` for the loss ``sum(out * w)`` (fixed ``w``)."""
    wrt = case.grad_positions(sample)
    dev = unidl.device(device)
    args, leaves = to_tensors(sample, wrt, dev)
    with quiet():
        with unidl.record():
            out = case.call(*args, **sample.kwargs)
        w = np.random.default_rng(seed).standard_normal(out.shape).astype(out.dtype)
        if leaves and out.requires_grad:
            out.backward(unidl.tensor(w, device=dev))
    grads = [None if t.grad is None else np.asarray(t.grad.numpy()) for t in leaves]
    return [np.asarray(out.numpy())], grads


def gradcheck(case: OpCase, sample: Sample) -> None:
    """float64 gradient of the reference against central finite differences (raises AssertionError)."""
    from unidl.testing.gradcheck import assert_grad_close

    # Only the differentiated arrays go through assert_grad_close (it perturbs, and casts to float64,
    # every array it is given); the rest of the sample is closed over.
    pos = list(case.grad_positions(sample))
    kwargs = sample.kwargs
    consts = [unidl.tensor(a) if isinstance(a, np.ndarray) else a for a in sample.args]

    def fn(*ts: Any) -> Any:
        args = list(consts)
        for i, t in zip(pos, ts):
            args[i] = t
        return case.call(*args, **kwargs)

    rtol, atol = case.gradcheck_tol
    with reference_cpu(), quiet():
        assert_grad_close(fn, *[sample.args[i] for i in pos], rtol=rtol, atol=atol)


GRAD_TOL = GRAD
