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
from typing import Any, Callable, Iterable, Iterator, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from . import kernels as _kernels

__all__ = ["KernelCall", "kernel_trace", "arithmetic", "format_trace", "first_difference", "DATA_MOVEMENT",
           "elementwise_ops"]

#: ops that only move, select or exactly convert values (the same bits on every machine, whatever the
#: layout of their operands): they are recorded, but two traces are compared on the arithmetic calls alone
#: (a face may view a parameter through a transpose where its twin does not, at no cost and with no effect
#: on any value; a gradient scattered into zeros is exact). ``astype`` is correctly rounded everywhere.
DATA_MOVEMENT = frozenset({"transpose", "reshape", "broadcast_to", "concatenate", "stack", "flip", "getitem",
                           "slice", "slice_grad", "pad", "repeat", "tile", "take", "take_along_axis", "embedding",
                           "astype"})


def _exact(c: "KernelCall") -> bool:
    if c.op in DATA_MOVEMENT:
        return True
    # a basic-indexing gradient scattered into fresh zeros (no accumulation, no overlap)
    return c.op == "index_add" and c.operands[:1] == (None,) and ("basic", ("bool", "True")) in c.attrs

_LOCK = threading.Lock()


@dataclass(frozen=True)
class KernelCall:
    """One kernel call: the op, its positional operands and its keyword attributes, each described by
    :func:`describe` (arrays as ``(dtype, shape, strides in elements)``)."""

    op: str
    operands: Tuple[Any, ...]
    attrs: Tuple[Tuple[str, Any], ...]
    #: 0 for a call an op made; n > 0 for a call made inside another kernel (a composite's ``K.<op>`` calls)
    depth: int = 0

    def __str__(self) -> str:
        ops = ", ".join(_fmt(o) for o in self.operands)
        attrs = "".join(f", {k}={_fmt(v)}" for k, v in self.attrs)
        return f"{self.op}({ops}{attrs})"


def describe(v: Any) -> Any:
    """A hashable description of a kernel argument: arrays by dtype, shape and element strides (the
    memory layout, which fixes BLAS transpose flags); sequences element-wise; other values by repr."""
    if isinstance(v, np.generic):
        x = v.item()
        return ("scalar", v.dtype.str, x.hex() if isinstance(x, float) else repr(x))
    # a class (a dtype given as ``np.uint32``) has ``strides``/``dtype``/``shape`` descriptors, not an array's
    strides = None if isinstance(v, type) else getattr(v, "strides", None)
    if strides is not None and hasattr(v, "dtype") and hasattr(v, "shape"):
        item = v.dtype.itemsize or 1
        return ("array", v.dtype.str, tuple(v.shape), tuple(s // item for s in strides))
    if isinstance(v, (list, tuple)):
        return tuple(describe(x) for x in v)
    if isinstance(v, dict):
        return tuple(sorted((str(k), describe(x)) for k, x in v.items()))
    if isinstance(v, float):
        return ("float", v.hex())  # the exact value: 0.1 and 0.1000000001 are different arithmetic
    if v is None:
        return None
    return (type(v).__name__, repr(v))


def _describe_args(args: Sequence[Any]) -> Tuple[Any, ...]:
    """Positional operands; a Python scalar beside an array is described as the array's dtype holds it,
    which is the value NumPy computes with (a weak scalar), so ``x * 0.5`` and ``x * float32(0.5)`` match."""
    dt = next((a.dtype for a in args if hasattr(a, "strides") and hasattr(a, "dtype")), None)
    out = []
    for a in args:
        if (dt is not None and type(a) in (int, float) and dt.kind in "fc"):  # NumPy scalars are strong: kept
            a = dt.type(a)
        out.append(describe(a))
    return tuple(out)


def _fmt(d: Any) -> str:
    if isinstance(d, tuple) and len(d) == 4 and d[0] == "array":
        return f"{d[1]}{list(d[2])}@{list(d[3])}"
    if isinstance(d, tuple) and len(d) == 3 and d[0] == "scalar":
        return f"{d[1]}:{float.fromhex(d[2]) if d[1][1] in 'fc' else d[2]}"
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
    depth = [0]  # how many traced kernels are running (a composite's inner calls are depth > 0)

    def wrap(op: "_kernels.OpDef", fn: Callable[..., Any]) -> Callable[..., Any]:
        name = op.name

        def traced(*args: Any, **kw: Any) -> Any:
            calls.append(KernelCall(name, _describe_args(args),
                                    tuple(sorted((k, describe(v)) for k, v in kw.items())), depth[0]))
            depth[0] += 1
            try:
                return fn(*args, **kw)
            finally:
                depth[0] -= 1

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

    names = set()
    for m in (elementwise, activation, optim):
        names.update(v.name for v in vars(m).values() if isinstance(v, _kernels.OpDef))
        names.update(getattr(m, "__all__", ()))
    return frozenset(names & set(_kernels.OPS))


def _is_array(d: Any) -> bool:
    return isinstance(d, tuple) and len(d) == 4 and d[0] == "array"


def _contiguous(shape: Sequence[int], strides: Sequence[int]) -> bool:
    run = 1
    for n, st in zip(shape[::-1], strides[::-1]):
        if n != 1 and st != run:
            return False
        run *= n
    return True


def _memory_order(operands: Tuple[Any, ...]) -> Tuple[Any, ...]:
    """An elementwise call's operands in memory order: every array of the full rank has its axes permuted
    as the first full (non-broadcast) one's strides order them, outermost first (so a permuted view of
    C-contiguous memory is described as that memory); when every array is then contiguous, each is its
    flat run of elements (an elementwise kernel sees (16, 2, 8) and (16, 16) contiguous arrays alike)."""
    arrays = [d for d in operands if _is_array(d)]
    if not arrays:
        return operands
    nd = max(len(d[2]) for d in arrays)
    if any(0 < len(d[2]) < nd for d in arrays):  # broadcasting by rank ties axes to positions: keep them
        return operands
    ref = next((d for d in arrays if len(d[2]) == nd and all(st or n == 1 for n, st in zip(d[2], d[3]))), None)
    if ref is None:
        return operands
    perm = sorted(range(nd), key=lambda i: (ref[2][i] == 1, -abs(ref[3][i])))
    out = []
    for d in operands:
        if _is_array(d) and len(d[2]) == nd:
            d = ("array", d[1], tuple(d[2][i] for i in perm), tuple(d[3][i] for i in perm))
        out.append(d)
    full = [d for d in out if _is_array(d) and len(d[2]) == nd]
    if nd and all(_contiguous(d[2], d[3]) for d in full):
        out = [("array", d[1], (int(np.prod(d[2])),), (1,)) if d in full else d for d in out]
    return tuple(out)


def arithmetic(calls: Iterable[KernelCall], drop_attrs_of: Sequence[str] = (),
               same_op: Optional[Mapping[str, str]] = None) -> List[KernelCall]:
    """The calls that compute (``DATA_MOVEMENT`` dropped), in a form two faces can be compared in:
    elementwise calls with operands in memory order, and the attributes of the ops named in
    ``drop_attrs_of`` dropped (the optimizer updates, whose formula a frontend picks: see
    ``unidl.nn.optim``); ``same_op`` renames ops that are one step of one rule in another form
    (``sgd_update_rescaled`` -> ``sgd_update``). Calls made inside another kernel (``depth > 0``: how a
    composite computes the op it was called for) are the device's business, not the face's, and are dropped too."""
    ew = elementwise_ops()
    rename = same_op or {}
    out = []
    for c in calls:
        if c.depth or _exact(c):
            continue
        if c.op in ew:
            c = KernelCall(c.op, _memory_order(c.operands), c.attrs)
        if c.op in drop_attrs_of:
            c = KernelCall(rename.get(c.op, c.op), c.operands, ())
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
