"""Rewrites of a captured backward that keep its results bitwise those of eager execution.

A captured plan normally replays the kernel calls eager execution issued. One pattern is worth rewriting:
the backward of ``relu`` followed by ``max_pool`` (every conv / relu / pool stack),

    M = max_pool_grad(X, P, G)          # X = Y or a transposed view of it, P = max_pool(X)
    R = relu_grad(A, Y)                 # A = M or transposed back, Y = relu(...)

costs two passes over the full-size map. With non-overlapping windows (stride == kernel, no padding) it
equals

    R = max_pool_grad(X, P, relu_grad(G, P))     # relu_grad on the pooled (smaller) map

bit for bit, given that every Y is >= 0 (a relu output) and nothing is NaN: in a window whose maximum P is
positive, the first maximum of Y is where it was and ``relu_grad`` multiplies it by 1 either way; every
other element becomes ``G * 0`` with G's sign in both forms (``relu_grad`` of a relu output multiplies by
+0 or 1), and so does a whole window whose maximum is 0; elements outside every window are +0 in both. A
NaN in Y breaks that (eager puts NaN only where Y is NaN), so each replay checks P and the elements outside
the windows for NaN and otherwise runs the eager calls. Only the built-in kernels on the host (whose
``relu_grad`` multiplies by exactly +0 or 1) are rewritten; a plugin's kernels replay as recorded.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from . import kernels as _kernels

__all__ = ["fuse_backward"]

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def _builtin(name: str, device_type: str) -> bool:
    cands = _kernels.KERNELS.candidates(name, device_type)
    return bool(cands) and all(e.plugin in _kernels.BUILTIN_PLUGINS for e in cands)


def count_reads(spec: Any, out: Dict[int, int]) -> None:
    """Add 1 to ``out[slot]`` for each slot the argument spec ``spec`` reads."""
    tag = spec[0]
    if tag == "s":
        out[spec[1]] = out.get(spec[1], 0) + 1
    elif tag == "l":
        for s in spec[2]:
            count_reads(s, out)
    elif tag == "d":
        for _, s in spec[1]:
            count_reads(s, out)


def _op_name(what: Any) -> Optional[str]:
    return what[1].name if what[0] == "op" else None


def _transpose_axes(call: Any) -> Optional[Tuple[int, ...]]:
    """The permutation of a recorded ``transpose`` of one slot array, else None."""
    what, (args, kw), _ = call
    if _op_name(what) != "transpose" or not args or args[0][0] != "s" or args[0][2]:
        return None
    axes = args[1] if len(args) > 1 else dict(kw).get("axes")
    if axes is None or axes[0] != "c" or axes[1] is None:
        return None
    return tuple(int(a) for a in axes[1])


def _plain_slot(spec: Any) -> Optional[int]:
    return spec[1] if spec[0] == "s" and not spec[2] else None


class _FusedPoolGrad:
    """``max_pool_grad`` with the following ``relu_grad`` folded in front of it when the replay's arrays allow;
    returns (gradient, folded)."""

    def __init__(self, device_type: str) -> None:
        self.device_type = device_type
        self.mpg_op, self.rg_op = _kernels.OPS["max_pool_grad"], _kernels.OPS["relu_grad"]
        self.mpg = _kernels.resolve(self.mpg_op, device_type)
        self.rg = _kernels.resolve(self.rg_op, device_type)

    def kernels(self) -> Tuple[Callable[..., Any], Callable[..., Any]]:
        if _kernels.TRACING.wrap is not None:  # a trace or the profiler sees each kernel
            return self.mpg_op.kernel(self.device_type), self.rg_op.kernel(self.device_type)
        return self.mpg, self.rg

    def __call__(self, x: Any, p: Any, g: Any, *, kernel: Sequence[int], stride: Sequence[int],
                 padding: Any) -> Tuple[Any, bool]:
        mpg, rg = self.kernels()
        if _foldable(x, p, g, kernel):
            if g.strides != p.strides:  # one memory order (max_pool_grad would copy g so too): contiguous loops
                g_ = np.empty_like(p)
                g_[...] = g
                g = g_
            return mpg(x, p, rg(g, p), kernel=kernel, stride=stride, padding=padding), True
        return mpg(x, p, g, kernel=kernel, stride=stride, padding=padding), False

    def finish(self, a: Any, y: Any, fused: Tuple[Any, bool]) -> Any:
        """The ``relu_grad(a, y)`` of the eager record: ``a`` itself when it was folded (in y's memory order, as
        eager's result)."""
        if not fused[1]:
            return self.kernels()[1](a, y)
        if a.strides == y.strides:
            return a
        r = np.empty_like(y)
        r[...] = a
        return r


def _foldable(x: Any, p: Any, g: Any, kernel: Sequence[int]) -> bool:
    if not (type(x) is np.ndarray and type(p) is np.ndarray and type(g) is np.ndarray):
        return False
    if x.dtype not in _FLOATS or p.dtype != x.dtype or g.dtype != x.dtype or p.shape != g.shape or not p.size:
        return False
    if np.isnan(p.max()):
        return False
    for d, (n, k, o) in enumerate(zip(x.shape[2:], kernel, p.shape[2:])):
        if o * k < n:  # the elements past the last window: a NaN there stays NaN in eager's relu_grad
            rest = x[(slice(None),) * (2 + d) + (slice(o * k, None),)]
            if np.isnan(rest.max()):
                return False
    return True


def fuse_backward(fwd_calls: Sequence[Any], calls: Sequence[Any], device_type: str,
                  outside_reads: Sequence[int], next_slot: int) -> List[Any]:
    """``calls`` (a recorded backward) with each relu / max-pool gradient pair rewritten as described in the
    module docstring; ``fwd_calls`` is the forward record, ``outside_reads`` the slots read other than by
    ``calls`` (the gradients handed out), ``next_slot`` the first slot number no record uses (new helper slots
    count on from there). The input list is left as it is."""
    if device_type != "cpu" or not all(_builtin(n, device_type) for n in ("relu", "relu_grad", "max_pool_grad")):
        return list(calls)
    made = {c[2]: c for c in list(fwd_calls) + list(calls)}
    reads: Dict[int, int] = {}
    for _, (args, kw), _ in calls:
        for s in list(args) + [s for _, s in kw]:
            count_reads(s, reads)
    for s in outside_reads:
        reads[s] = reads.get(s, 0) + 2
    out = list(calls)
    index = {c[2]: i for i, c in enumerate(out)}
    fused: Optional[_FusedPoolGrad] = None
    for i, (what, (args, kw), r_slot) in enumerate(calls):
        if _op_name(what) != "relu_grad" or len(args) != 2 or kw:
            continue
        a_slot, y_slot = _plain_slot(args[0]), _plain_slot(args[1])
        if a_slot is None or y_slot is None or y_slot not in made or _op_name(made[y_slot][0]) != "relu":
            continue
        # A back to M through transposes each read once (by this chain)
        back: List[Tuple[int, ...]] = []
        s = a_slot
        while s in index and reads.get(s, 0) == 1 and _transpose_axes(out[index[s]]) is not None:
            back.append(_transpose_axes(out[index[s]]))
            s = out[index[s]][1][0][0][1]
        if s not in index or reads.get(s, 0) != 1 or _op_name(out[index[s]][0]) != "max_pool_grad":
            continue
        m_call = out[index[s]]
        m_args, m_kw = m_call[1]
        attrs = dict(m_kw)
        if len(m_args) != 3 or set(attrs) != {"kernel", "stride", "padding"} \
                or any(a[0] != "c" for a in attrs.values()):
            continue
        k_, st, pad = attrs["kernel"][1], attrs["stride"][1], attrs["padding"][1]
        if tuple(k_) != tuple(st) or any(lo or hi for lo, hi in pad):
            continue
        # X back to Y through transposes
        x_slot = _plain_slot(m_args[0])
        fwd_perm: List[Tuple[int, ...]] = []
        while x_slot is not None and x_slot != y_slot and x_slot in made and _transpose_axes(made[x_slot]) is not None:
            fwd_perm.append(_transpose_axes(made[x_slot]))
            x_slot = made[x_slot][1][0][0][1]
        if x_slot != y_slot or not _aligned(fwd_perm[::-1], back[::-1]):
            continue
        fused = fused or _FusedPoolGrad(device_type)
        h = next_slot
        next_slot += 1
        m_slot = m_call[2]
        out[index[m_slot]] = (("fn", fused), (m_args, m_kw), h)
        for j, (w2, (a2, k2), o2) in enumerate(out):  # M's one reader takes the tuple's first item
            if any(_plain_slot(x) == m_slot for x in a2):
                out[j] = (w2, ([("s", h, (0,)) if _plain_slot(x) == m_slot else x for x in a2], k2), o2)
        a_spec = out[i][1][0][0]
        out[i] = (("fn", fused.finish), ([a_spec, args[1], ("s", h, ())], []), r_slot)
        del index[m_slot]
    return out


def _aligned(to_x: Sequence[Tuple[int, ...]], to_a: Sequence[Tuple[int, ...]]) -> bool:
    """Whether transposing Y by ``to_x`` (in order) and the result by ``to_a`` (in order) is the identity: A and
    Y then index the same elements."""
    n = len(to_x[0]) if to_x else len(to_a[0]) if to_a else 0
    order = list(range(n))
    for perm in list(to_x) + list(to_a):
        if len(perm) != len(order):
            return False
        order = [order[p] for p in perm]
    return order == list(range(n))
