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

Once the backward no longer needs Y, a forward whose Y feeds nothing but that max-pool pools first:

    Q = max_pool(X_pre)                 # X_pre: the relu's input, transposed as X was
    P = relu(Q)

which is eager's P bit for bit: the maximum where it is positive, and +0 where it is not (the host relu maps
-0 to +0, so eager's Y holds no -0 either; checked once per process). The folded backward then takes X_pre:
in a window whose maximum is positive its first maximum sits where Y's did; in any other window every
element gets ``G * 0`` whichever element is hit. Where the backward falls back to eager's calls it computes
``relu(X_pre)`` for them.
"""
from __future__ import annotations

import functools
from typing import Any, Callable, Dict, List, NamedTuple, Optional, Sequence, Tuple

import numpy as np

from . import kernels as _kernels

__all__ = ["fuse_backward", "fuse_forward", "slots_read"]

_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))


def _builtin(name: str, device_type: str) -> bool:
    cands = _kernels.KERNELS.candidates(name, device_type)
    return bool(cands) and all(e.plugin in _kernels.BUILTIN_PLUGINS for e in cands)


def _count(spec: Any, out: Dict[int, int]) -> None:
    tag = spec[0]
    if tag == "s":
        out[spec[1]] = out.get(spec[1], 0) + 1
    elif tag == "l":
        for s in spec[2]:
            _count(s, out)
    elif tag == "d":
        for _, s in spec[1]:
            _count(s, out)


def slots_read(specs: Sequence[Any] = (), calls: Sequence[Any] = ()) -> Dict[int, int]:
    """How many times each slot is read by the argument specs ``specs`` (None entries skipped) and by the
    operands and attributes of the recorded ``calls``."""
    out: Dict[int, int] = {}
    for spec in specs:
        if spec is not None:
            _count(spec, out)
    for _, (args, kw), _ in calls:
        for spec in list(args) + [a for _, a in kw]:
            _count(spec, out)
    return out


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


class _Kernels:
    """The kernels the rewritten calls run: resolved once, or through the op tables while a trace or the profiler
    is open (so it sees each kernel)."""

    NAMES = ("max_pool", "max_pool_grad", "relu", "relu_grad")

    def __init__(self, device_type: str) -> None:
        self.device_type = device_type
        self.ops = [_kernels.OPS[n] for n in self.NAMES]
        self.fns = [_kernels.resolve(op, device_type) for op in self.ops]

    def get(self) -> List[Callable[..., Any]]:
        if _kernels.TRACING.wrap is not None:
            return [op.kernel(self.device_type) for op in self.ops]
        return self.fns


class _FusedPoolGrad:
    """``max_pool_grad`` with the following ``relu_grad`` folded in front of it when the replay's arrays allow;
    returns (gradient, folded). ``pre_relu``: ``x`` is the relu's input (the forward pooled it first), so the
    eager calls, where they run, take ``relu(x)``."""

    def __init__(self, device_type: str) -> None:
        self.k = _Kernels(device_type)

    def __call__(self, x: Any, p: Any, g: Any, pre_relu: bool, *, kernel: Sequence[int], stride: Sequence[int],
                 padding: Any) -> Tuple[Any, bool]:
        _, mpg, relu, rg = self.k.get()
        if _foldable(x, p, g, kernel):
            if g.strides != p.strides:  # one memory order (max_pool_grad would copy g so too): contiguous loops
                g_ = np.empty_like(p)
                g_[...] = g
                g = g_
            return mpg(x, p, rg(g, p), kernel=kernel, stride=stride, padding=padding), True
        return mpg(relu(x) if pre_relu else x, p, g, kernel=kernel, stride=stride, padding=padding), False

    def finish(self, a: Any, y: Any, fused: Tuple[Any, bool], pre_relu: bool) -> Any:
        """The ``relu_grad(a, y)`` of the eager record (``y`` the relu's input when ``pre_relu``): ``a`` itself when
        it was folded, in the memory order eager's result has (y's)."""
        _, _, relu, rg = self.k.get()
        if not fused[1]:
            return rg(a, relu(y) if pre_relu else y)
        if a.strides == y.strides:
            return a
        r = np.empty_like(y)
        r[...] = a
        return r


class _PoolFirst:
    """The forward's ``max_pool(relu(x))`` computed as ``max_pool(x)`` (the ``relu`` follows as its own call):
    the same maximum where it is positive and +0 elsewhere once relu has run. ``x`` not laid out densely (then a
    pooled result could take another memory order than eager's) goes through ``relu`` first, as eager did."""

    def __init__(self, device_type: str) -> None:
        self.k = _Kernels(device_type)
        self.dense: Dict[Tuple[Any, ...], bool] = {}  # (type, shape, strides) -> whether such an x is dense

    def __call__(self, x: Any, **kw: Any) -> Any:
        pool, _, relu, _ = self.k.get()
        key = (type(x), x.shape, x.strides)
        dense = self.dense.get(key)
        if dense is None:
            dense = self.dense[key] = _dense(x)
        return pool(x if dense else relu(x), **kw)


def _dense(a: Any) -> bool:
    """Whether ``a`` fills its memory without gaps in some axis order (so a NumPy result takes its strides)."""
    if type(a) is not np.ndarray:
        return False
    if a.flags.c_contiguous or a.flags.f_contiguous:
        return True
    step = a.itemsize
    for n, st in sorted(((n, abs(st)) for n, st in zip(a.shape, a.strides) if n != 1), key=lambda t: t[1]):
        if st != step:
            return False
        step *= n
    return True


@functools.lru_cache(maxsize=None)
def _relu_keeps_positive_zero() -> bool:
    """The host relu (``maximum(x, +0)``) gives +0 for -0 on every length NumPy's loops treat differently: the
    forward rewrite relies on it (eager's relu output then holds no -0)."""
    for dt in _FLOATS:
        for n in range(1, 18):
            if np.signbit(np.maximum(np.full(n, -0.0, dt), dt.type(0))).any():
                return False
    return True


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
                  outside_reads: Sequence[int], next_slot: int) -> Tuple[List[Any], List["Site"]]:
    """``calls`` (a recorded backward) with each relu / max-pool gradient pair rewritten as described in the
    module docstring, and the sites rewritten; ``fwd_calls`` is the forward record, ``outside_reads`` the slots
    read other than by ``calls`` (the gradients handed out), ``next_slot`` the first slot number no record uses
    (new helper slots count on from there). The input lists are left as they are."""
    if device_type != "cpu" or not all(_builtin(n, device_type) for n in _Kernels.NAMES):
        return list(calls), []
    made = {c[2]: c for c in list(fwd_calls) + list(calls)}
    reads = slots_read(calls=calls)
    for s in outside_reads:
        reads[s] = reads.get(s, 0) + 2
    out = list(calls)
    index = {c[2]: i for i, c in enumerate(out)}
    fused: Optional[_FusedPoolGrad] = None
    sites: List[Site] = []
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
        p_slot = _plain_slot(m_args[1])
        pool = made.get(p_slot)
        if pool is None or _op_name(pool[0]) != "max_pool" or pool[1][0] != [m_args[0]] or any(
                not _same_const(dict(pool[1][1]).get(k), attrs[k]) for k in ("kernel", "stride", "padding")):
            continue  # P is not this input's max-pool (a max_pool_grad called by hand)
        fused = fused or _FusedPoolGrad(device_type)
        h = next_slot
        next_slot += 1
        m_slot = m_call[2]
        out[index[m_slot]] = (("fn", fused), (list(m_args) + [("c", False)], m_kw), h)
        for j, (w2, (a2, k2), o2) in enumerate(out):  # M's one reader takes the tuple's first item
            if any(_plain_slot(x) == m_slot for x in a2):
                out[j] = (w2, ([("s", h, (0,)) if _plain_slot(x) == m_slot else x for x in a2], k2), o2)
        a_spec = out[i][1][0][0]
        out[i] = (("fn", fused.finish), ([a_spec, args[1], ("s", h, ()), ("c", False)], []), r_slot)
        sites.append(Site(y_slot, _plain_slot(m_args[0]), p_slot, h, r_slot))
        del index[m_slot]
    return out, sites


def _same_const(a: Any, b: Any) -> bool:
    return a is not None and a[0] == "c" and b[0] == "c" and a[1] == b[1]


class Site(NamedTuple):
    """One rewritten relu / max-pool backward: the relu's output slot, the pooled input's slot (the relu output
    or a transposed view of it), the pooled output's slot, the fused call's slot and the finishing call's."""
    y: int
    x: int
    p: int
    fused: int
    finish: int


def fuse_forward(fwd_calls: Sequence[Any], calls: Sequence[Any], sites: Sequence[Site], device_type: str,
                 outside_reads: Sequence[int]) -> Optional[Tuple[List[Any], List[Any], frozenset]]:
    """Where a site's relu output feeds only its max-pool (directly or through transposes) and the rewritten
    backward: the forward pools first and runs relu on the pooled map (``_PoolFirst``), the relu's output slot
    holding the pooled input, and the backward's calls read the relu's input. Returns the (forward, backward)
    call lists and the relu output slots rewritten, or None where nothing changed. ``outside_reads``: forward
    slots read other than by the two lists (outputs, state writes)."""
    if not sites or not _relu_keeps_positive_zero():
        return None
    fwd, bwd = list(fwd_calls), list(calls)
    fidx = {c[2]: i for i, c in enumerate(fwd)}
    bidx = {c[2]: i for i, c in enumerate(bwd)}
    reads, breads = slots_read(calls=fwd), slots_read(calls=bwd)
    outside = set(outside_reads)
    pool_first: Optional[_PoolFirst] = None
    done = set()
    for site in sites:
        relu_call = fwd[fidx[site.y]]
        xc = _plain_slot(relu_call[1][0][0]) if len(relu_call[1][0]) == 1 and not relu_call[1][1] else None
        chain = []  # the transposes from the relu output to the pooled input
        s = site.x
        while s != site.y:
            chain.append(s)
            s = fwd[fidx[s]][1][0][0][1]
        chain.reverse()
        pool_i = fidx[site.p]
        pool_call = fwd[pool_i]
        if xc is None or _plain_slot(pool_call[1][0][0]) != site.x or "out_size" not in dict(pool_call[1][1]):
            continue
        own = [site.y] + chain
        if outside.intersection(own) or any(reads.get(s, 0) != 1 for s in own):
            continue  # the relu output (or a view of it) is read elsewhere in the forward
        # the rewritten backward reads the relu output once (finish) and the pooled input once (the fused call),
        # one slot when there are no transposes
        want = {site.y: 1, site.x: 1} if chain else {site.y: 2}
        if any(breads.get(s, 0) != want.get(s, 0) for s in own):
            continue
        pool_first = pool_first or _PoolFirst(device_type)
        relu_i = fidx[site.y]
        if chain:  # the first transpose takes the relu's input
            t_i = fidx[chain[0]]
            w_, (a_, k_), o_ = fwd[t_i]
            fwd[t_i] = (w_, ([("s", xc, ())] + list(a_[1:]), k_), o_)
        x_now = site.x if chain else xc
        _, (pa, pk), _ = pool_call
        fwd[pool_i] = (("fn", pool_first), ([("s", x_now, ())] + list(pa[1:]), pk), site.y)  # pooled in y's slot
        fwd.insert(pool_i + 1, (relu_call[0], ([("s", site.y, ())], []), site.p))
        fwd[relu_i] = None
        fidx = {c[2]: i for i, c in enumerate(fwd) if c is not None}
        w_, (a_, k_), o_ = bwd[bidx[site.fused]]
        bwd[bidx[site.fused]] = (w_, ([("s", x_now, ())] + list(a_[1:3]) + [("c", True)], k_), o_)
        w_, (a_, k_), o_ = bwd[bidx[site.finish]]
        bwd[bidx[site.finish]] = (w_, ([a_[0], ("s", xc, ()), a_[2], ("c", True)], k_), o_)
        done.add(site.y)
    if not done:
        return None
    return [c for c in fwd if c is not None], bwd, frozenset(done)


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
