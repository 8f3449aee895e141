"""Kernel-call traces: the exact sequence of kernel calls a computation issues, with operand layouts.

Two computations that issue the same *arithmetic* kernel calls — the same op, attributes, dtypes,
logical shapes and memory strides of every operand (which fix a GEMM's transpose flags) — give the
same bits on every CPU and BLAS, because a kernel's result depends on nothing else. That is how the
twin tier proves a Keras model and its Gluon twin identical without depending on the machine that
runs it::

    with unidl.trace.kernel_trace() as calls:
        y = model(x)
    print(unidl.trace.format_trace(calls))

Opening a trace drops the resolved-kernel caches and wraps every kernel resolved while it is open;
closing it drops them again, so the per-op hot path has no tracing cost outside a trace. A trace is
process-wide (every thread's calls are recorded) and one is open at a time: it is a test and
conformance tool, not a profiler.
"""
from __future__ import annotations

import contextlib
import threading
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator, List, Optional, Sequence, Tuple

from . import kernels as _kernels

__all__ = ["KernelCall", "kernel_trace", "arithmetic", "format_trace", "first_difference", "DATA_MOVEMENT",
           "elementwise_ops"]

#: ops that only move or select values (exact on every machine): they are recorded, but two traces are
#: compared on the arithmetic calls alone (a face may view a parameter through a transpose where its twin
#: does not, at no cost and with no effect on any value)
DATA_MOVEMENT = frozenset({"transpose", "reshape", "broadcast_to", "concatenate", "stack", "flip", "getitem",
                           "slice", "pad", "repeat", "tile", "take", "take_along_axis"})

_LOCK = threading.Lock()


@dataclass(frozen=True)
class KernelCall:
    """One kernel call: the op, its positional operands and its keyword attributes, each described by
    :func:`describe` (arrays as ``(dtype, shape, strides in elements)``)."""

    op: str
    operands: Tuple[Any, ...]
    attrs: Tuple[Tuple[str, Any], ...]

    def __str__(self) -> str:
        ops = ", ".join(_fmt(o) for o in self.operands)
        attrs = "".join(f", {k}={_fmt(v)}" for k, v in self.attrs)
        return f"{self.op}({ops}{attrs})"


def describe(v: Any) -> Any:
    """A hashable description of a kernel argument: arrays by dtype, shape and element strides (the
    memory layout, which fixes BLAS transpose flags); sequences element-wise; other values by repr."""
    strides = getattr(v, "strides", None)
    if strides is not None and hasattr(v, "dtype") and hasattr(v, "shape"):
        item = v.dtype.itemsize or 1
        return ("array", v.dtype.str, tuple(v.shape), tuple(s // item for s in strides))
    if isinstance(v, (list, tuple)):
        return tuple(describe(x) for x in v)
    if isinstance(v, dict):
        return tuple(sorted((str(k), describe(x)) for k, x in v.items()))
    if isinstance(v, float):
        return ("float", v.hex())  # the exact value: 0.1 and 0.1000000001 are different arithmetic
    return (type(v).__name__, repr(v))


def _fmt(d: Any) -> str:
    if isinstance(d, tuple) and len(d) == 4 and d[0] == "array":
        return f"{d[1]}{list(d[2])}@{list(d[3])}"
    if isinstance(d, tuple) and len(d) == 2 and isinstance(d[0], str) and isinstance(d[1], str):
        return d[1] if d[0] != "float" else repr(float.fromhex(d[1]))
    if isinstance(d, tuple):
        return "(" + ", ".join(_fmt(x) for x in d) + ")"
    return repr(d)


@contextlib.contextmanager
def kernel_trace() -> Iterator[List[KernelCall]]:
    """Record every kernel call made inside the block into the yielded list (in call order; a kernel
    that calls other ops' kernels, as a composite does, is listed before them)."""
    if not _LOCK.acquire(blocking=False):
        raise RuntimeError("unidl.trace.kernel_trace: a trace is already open (one at a time)")
    calls: List[KernelCall] = []

    def wrap(op: "_kernels.OpDef", fn: Callable[..., Any]) -> Callable[..., Any]:
        name = op.name

        def traced(*args: Any, **kw: Any) -> Any:
            calls.append(KernelCall(name, tuple(describe(a) for a in args),
                                    tuple(sorted((k, describe(v)) for k, v in kw.items()))))
            return fn(*args, **kw)

        return traced

    try:
        _kernels.invalidate()
        _kernels.TRACING.wrap = wrap
        yield calls
    finally:
        _kernels.TRACING.wrap = None
        _kernels.invalidate()
        _LOCK.release()


def elementwise_ops() -> frozenset:
    """Ops whose result element i depends only on element i of each operand (elementwise math,
    activations, the in-place optimizer updates): for these only the memory order of the operands
    matters, not which logical axis is which."""
    from .ops import activation, elementwise, optim

    return frozenset(v.name for m in (elementwise, activation, optim) for v in vars(m).values()
                     if isinstance(v, _kernels.OpDef))


def _memory_order(d: Any) -> Any:
    """An array description with its axes sorted outermost-first by stride (a permuted view of C-contiguous
    memory becomes that memory's description)."""
    if isinstance(d, tuple) and len(d) == 4 and d[0] == "array":
        axes = sorted(range(len(d[2])), key=lambda i: -abs(d[3][i]) if d[2][i] > 1 else 0)
        return ("array", d[1], tuple(d[2][i] for i in axes), tuple(d[3][i] for i in axes))
    if isinstance(d, tuple):
        return tuple(_memory_order(x) for x in d)
    return d


def arithmetic(calls: Iterable[KernelCall], drop_attrs_of: Sequence[str] = ()) -> List[KernelCall]:
    """The calls that compute (``DATA_MOVEMENT`` dropped), in a form two faces can be compared in:
    elementwise calls with operands in memory order, and the attributes of the ops named in
    ``drop_attrs_of`` dropped (the optimizer updates, whose formula a frontend picks: see
    ``unidl.nn.optim``)."""
    ew = elementwise_ops()
    out = []
    for c in calls:
        if c.op in DATA_MOVEMENT:
            continue
        if c.op in ew:
            c = KernelCall(c.op, _memory_order(c.operands), () if c.op in drop_attrs_of else c.attrs)
        out.append(c)
    return out


def first_difference(a: Sequence[KernelCall], b: Sequence[KernelCall]) -> Optional[str]:
    """None when the traces are equal, else where and how they first differ (with a little context)."""
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            before = f" after {a[i - 1]}" if i else ""
            return f"call {i}{before}: {x}  vs  {y}"
    if len(a) != len(b):
        n = min(len(a), len(b))
        longer, which = (a, "first") if len(a) > len(b) else (b, "second")
        return f"the {which} trace has {abs(len(a) - len(b))} more call(s), starting with {longer[n]}"
    return None


def format_trace(calls: Iterable[KernelCall]) -> str:
    """One call a line."""
    return "\n".join(str(c) for c in calls)
