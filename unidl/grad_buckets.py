"""Gradient buckets reduced over the ranks while backward runs (data-parallel overlap).

A :class:`GradientBucketer` owns a fixed list of leaf tensors (a model's parameters, in parameter order) and
cuts it into buckets once, from the parameters' order, sizes and dtypes alone, so every rank holds the same
plan (checked across the ranks when the bucketer is made): walking the parameters from last to first (the
order backward usually produces their gradients), a bucket takes parameters of one dtype until it holds at
least ``cap_bytes`` (``UNIDL_DIST_BUCKET_MB``, default 25 MB); the partial buckets left at the end close in
dtype order.

During backward the autograd engine reports each parameter whose gradient is final
(:func:`unidl.autograd.register_grad_ready`); the bucketer copies it into its bucket's flat buffer, and as
soon as a bucket has all its members it posts the bucket's non-blocking reduction
(:class:`unidl.distributed.FlatReduction`: reduce-scatter, rank-order sum, allgather, on communicators of
its own). Buckets are posted in plan order: a bucket that fills before an earlier one waits for it, so every
rank posts the same sequence whatever order its gradients arrive in. When backward returns, parameters that
got no gradient are taken as they are (their current ``.grad``, or none) and the remaining buckets are posted.
:meth:`GradientBucketer.finish` (the optimizer step) completes every bucket and returns the reduced
gradients. Each element is summed in rank order exactly as :func:`unidl.distributed.allreduce_many` sums it,
so the overlapped result is bitwise the result of reducing after backward.

Each bucket carries one extra element per member: 1 where the rank had a gradient, 0 where ``.grad`` was
None, so after the sum every rank knows how many ranks had each gradient (all: reduced; none: None; some: a
:class:`DistributedError` on every rank).

:meth:`finish` returns None (the caller then reduces the old way, after backward) when overlap could not
apply to this step: no backward reported since the last step, a member with ``grad_req='add'`` (gradients
accumulate over several backward passes, so none is final before the step), or, with ``verify=True``, a
gradient changed after it was copied (a second backward, or the script clipped or replaced ``.grad`` between
backward and the step). The ranks agree on that last case with a one-byte allgather, so all of them fall
back together.

GPU parameters are not bucketed: the buffers are host arrays posted as non-blocking MPI requests, and the
faces reduce GPU gradients after backward. The NCCL path of :mod:`unidl.distributed` (GPU arrays) is a blocking
call that waits for its stream; overlapping it would need device buckets and a communication stream of their
own.
"""
from __future__ import annotations

import atexit
import hashlib
import threading
import weakref
from typing import Any, Callable, List, Optional, Sequence

import numpy as np

from . import autograd
from . import distributed as dist

__all__ = ["GradientBucketer", "plan_buckets"]

# A test hook: when set, called as trace(event, index) for "ready" (member index), "post" / "done" (bucket
# index), "end" (backward returned, -1), "finish" (-1) and "fallback" (-1).
trace: Optional[Callable[[str, int], None]] = None
# Steps reduced with overlap and steps handed back to the caller, over all bucketers of this process.
stats = {"rounds": 0, "fallbacks": 0}

_IDLE, _OPEN, _DISABLED = 0, 1, 2
_LIVE: "weakref.WeakSet[GradientBucketer]" = weakref.WeakSet()
_UINT = {1: np.uint8, 2: np.uint16, 4: np.uint32, 8: np.uint64}


def plan_buckets(sizes: Sequence[int], dtypes: Sequence[Any], cap_bytes: int) -> List[List[int]]:
    """Member indices of each bucket, in posting order: from the last index to the first, one dtype per
    bucket, a bucket closed once it holds at least ``cap_bytes``; the partial buckets close last, in dtype
    order. Depends on ``sizes`` (elements), ``dtypes`` and ``cap_bytes`` only."""
    buckets: List[List[int]] = []
    open_: dict = {}
    for i in reversed(range(len(sizes))):
        dt = np.dtype(dtypes[i])
        cur = open_.setdefault(dt.str, [[], 0])
        cur[0].append(i)
        cur[1] += int(sizes[i]) * dt.itemsize
        if cur[1] >= cap_bytes:
            buckets.append(cur[0])
            del open_[dt.str]
    for key in sorted(open_):
        buckets.append(open_[key][0])
    return buckets


class _Bucket:
    __slots__ = ("index", "members", "spans", "total", "dtype", "src", "red", "pending", "posted")

    def __init__(self, index: int, members: List[int], sizes: Sequence[int], dtype: np.dtype, comms: Any) -> None:
        self.index, self.members, self.dtype = index, members, dtype
        self.spans, at = [], 0  # (start, end) of each member in src
        for m in members:
            self.spans.append((at, at + int(sizes[m])))
            at += int(sizes[m])
        self.total = at
        # the members' gradients, then one presence flag per member
        self.src = np.zeros(at + len(members), dtype=dtype)
        self.red = dist.FlatReduction(self.src, comms)
        self.pending = len(members)
        self.posted = False


class GradientBucketer:
    """Reduce the gradients of ``leaves`` over the ranks in buckets, started while backward runs.

    Args:
        leaves: the leaf tensors (parameters) whose gradients are reduced, in parameter order; on the CPU.
        op: ``'sum'`` or ``'mean'`` (the rank-order sum divided by the number of ranks).
        cap_bytes: bucket size (default :func:`unidl.distributed.bucket_cap_bytes`).
        name: what the reduction is, for error messages.
        explicit: listen only to the backward after each :meth:`arm` call (a training step that runs backward
            itself arms just before it), so a backward the script runs outside the step is ignored; else every
            backward reports (Gluon, where the script calls backward and then ``step``).

    Making one is collective (every rank must make it, with the same plan, or a DistributedError names the
    ranks' plans) and registers the autograd hooks; :meth:`close` unregisters them.
    """

    def __init__(self, leaves: Sequence[Any], op: str = "sum", cap_bytes: Optional[int] = None,
                 name: str = "gradients", explicit: bool = False) -> None:
        if op not in ("sum", "mean"):
            raise dist.DistributedError(f"GradientBucketer: op must be 'sum' or 'mean', got {op!r}")
        self.leaves = list(leaves)
        self.op, self.name = op, name
        self.cap = int(cap_bytes) if cap_bytes is not None else dist.bucket_cap_bytes()
        dist.init()
        self.size = dist.size()
        shapes = [tuple(t.shape) for t in self.leaves]
        dtypes = [np.dtype(t.data.dtype) for t in self.leaves]
        sizes = [int(np.prod(s, dtype=np.int64)) for s in shapes]
        # a parameter kept in Fortran order (a canonical layout) has its gradient in that order too: its slot
        # holds the elements in memory order, so copies and comparisons run over contiguous memory
        self._fortran = [bool(len(s) > 1 and getattr(t.data, "flags", None) is not None and t.data.flags.f_contiguous
                              and not t.data.flags.c_contiguous) for s, t in zip(shapes, self.leaves)]
        plan = plan_buckets(sizes, dtypes, self.cap)
        digest = hashlib.blake2b(repr((shapes, [d.str for d in dtypes], self._fortran)).encode(),
                                 digest_size=6).hexdigest()
        summary = ", ".join(f"{dtypes[b[0]].name}[{sum(sizes[m] for m in b)}]x{len(b)}" for b in plan)
        dist._check_same(f"{name} bucket plan", f"cap={self.cap} params#{digest} buckets=[{summary}]")
        comms = dist._bucket_comms()
        self.buckets = [_Bucket(k, b, sizes, dtypes[b[0]], comms) for k, b in enumerate(plan)]
        self._where = [(0, 0)] * len(self.leaves)  # member -> (bucket, position in bucket)
        for b in self.buckets:
            for j, m in enumerate(b.members):
                self._where[m] = (b.index, j)
        self._comms = comms
        self._shapes = shapes
        self._lock = threading.RLock()
        self._explicit = explicit
        self._armed = not explicit
        self._state = _IDLE
        self._got = [False] * len(self.leaves)
        self._src: List[Any] = [None] * len(self.leaves)  # the .grad tensor each member was copied from
        self._modified = False
        self._next = 0      # the next bucket to post
        self._done = 0      # buckets [0, _done) have completed
        self.rounds = 0     # steps reduced with overlap (for tests and benchmarks)
        self.fallbacks = 0  # steps handed back to the caller
        self._hooks = autograd.register_grad_ready(self.leaves, self._on_ready, self._on_end)
        _LIVE.add(self)

    # -- plan ----------------------------------------------------------------------------------
    @property
    def plan(self) -> List[List[int]]:
        """The member indices of each bucket, in posting order."""
        return [list(b.members) for b in self.buckets]

    @property
    def active(self) -> bool:
        """False once closed, or displaced by another bucketer registered on one of the leaves."""
        return self._hooks.active

    def matches(self, leaves: Sequence[Any]) -> bool:
        """Whether this bucketer serves exactly ``leaves`` (same tensors, shapes and dtypes) and is active."""
        if not self.active or len(leaves) != len(self.leaves):
            return False
        return all(a is b and tuple(a.shape) == s and a.data.dtype == self.buckets[self._where[i][0]].dtype
                   for i, (a, b, s) in enumerate(zip(leaves, self.leaves, self._shapes)))

    def close(self) -> None:
        """Complete whatever is in flight and unregister the hooks."""
        with self._lock:
            self._hooks.remove()
            self._drain()
            self._reset()

    # -- during backward -------------------------------------------------------------------------
    def arm(self) -> None:
        """(``explicit`` bucketers) Listen to the next backward; a step left unfinished is completed and
        dropped first."""
        with self._lock:
            if self._state != _IDLE:
                self._drain()
                self._reset()
            self._armed = True

    def _open(self) -> None:
        self._state = _OPEN
        for t in self.leaves:
            if t.grad_req != "write":
                self._state = _DISABLED
                return

    def _on_ready(self, i: int) -> None:
        with self._lock:
            if self._state == _IDLE:
                if not self._armed:
                    return
                self._open()
            if self._state != _OPEN:
                return
            if trace is not None:
                trace("ready", i)
            k, j = self._where[i]
            b = self.buckets[k]
            if self._got[i]:
                if b.posted:  # a second backward after this gradient was sent
                    self._modified = True
                    return
            else:
                self._got[i] = True
                b.pending -= 1
            self._copy(i, b, j)
            if b.pending == 0:
                self._post()
            self._progress()

    def _on_end(self) -> None:
        with self._lock:
            if self._state != _OPEN:
                return
            if trace is not None:
                trace("end", -1)
            self._flush()
            self._progress()

    def _copy(self, i: int, b: _Bucket, j: int) -> None:
        g = self.leaves[i].grad
        n = b.total
        at, end = b.spans[j]
        slot = b.src[at:end]
        self._src[i] = g
        if g is None:
            slot[...] = 0
            b.src[n + j] = 0
            return
        a = g.data if isinstance(g.data, np.ndarray) else np.asarray(g.numpy())
        self._view(slot, i)[...] = a
        b.src[n + j] = 1

    def _view(self, flat: np.ndarray, i: int) -> np.ndarray:
        """Member ``i``'s slot of a bucket buffer as an array of the leaf's shape (and memory order)."""
        shape = self._shapes[i]
        return flat.reshape(shape[::-1]).T if self._fortran[i] else flat.reshape(shape)

    def _flush(self) -> None:
        """Take every member not reported yet as it is and post every bucket."""
        for b in self.buckets[self._next:]:
            for j, m in enumerate(b.members):
                if not self._got[m]:
                    self._got[m] = True
                    b.pending -= 1
                    self._copy(m, b, j)
        self._post()

    def _post(self) -> None:
        bs = self.buckets
        while self._next < len(bs) and bs[self._next].pending == 0:
            b = bs[self._next]
            b.red.start(np.empty_like(b.src))
            b.posted = True
            if trace is not None:
                trace("post", b.index)
            self._next += 1

    def _progress(self) -> bool:
        """Test the posted reductions (so MPI moves them on); post each phase 2 in bucket order. True when every
        bucket has completed."""
        in_order = True
        for b in self.buckets[self._done:self._next]:
            r = b.red
            if r.phase == 1:
                r.test()
            if r.phase == 2 and in_order:
                r.finish_scatter()
            if r.phase == 3:
                r.test()
            if r.phase < 3:
                in_order = False  # a later bucket's phase 2 waits for this one's
        while self._done < self._next and self.buckets[self._done].red.phase == 4:
            if trace is not None:
                trace("done", self._done)
            self._done += 1
        return self._done == len(self.buckets)

    def _drain(self) -> None:
        """Complete what was posted (all ranks posted it), without posting more."""
        if self._done < self._next:
            last = self._next

            def done() -> bool:
                self._progress()
                return self._done >= last

            dist._wait_until(done, f"{self.name}: gradient bucket {self._done + 1} of {len(self.buckets)} "
                                   "(overlapped allreduce)")

    def _reset(self) -> None:
        self._state = _IDLE
        self._armed = not self._explicit
        self._modified = False
        self._next = self._done = 0
        for i in range(len(self._got)):
            self._got[i] = False
            self._src[i] = None
        for b in self.buckets:
            b.pending = len(b.members)
            b.posted = False
            b.red.phase = 0
            b.red.out = None

    # -- the step ----------------------------------------------------------------------------------
    def started(self) -> bool:
        """Whether a backward has reported gradients to reduce since the last :meth:`finish`."""
        return self._state == _OPEN

    def finish(self, verify: bool = True) -> Optional[List[Optional[np.ndarray]]]:
        """Complete this step's buckets; the reduced gradient of each leaf (a new array of the leaf's shape, or
        None where no rank had one), or None when overlap did not apply to this step (see the module doc) and
        the caller must reduce the gradients itself.

        ``verify``: check that no ``.grad`` changed after it was copied (the script ran between backward and
        this call) and agree on that across the ranks; without it, such a change is a DistributedError.
        """
        with self._lock:
            if trace is not None:
                trace("finish", -1)
            if self._state != _OPEN:
                self._reset()
                self.fallbacks += 1
                stats["fallbacks"] += 1
                return None
            self._flush()
            dist._wait_until(self._progress, f"{self.name}: gradient bucket {self._done + 1} of "
                                             f"{len(self.buckets)} (overlapped allreduce)")
            modified = self._modified
            if verify:
                modified = self._agree(modified or self._changed())
            elif modified:
                self._reset()
                raise dist.DistributedError(f"unidl.distributed: {self.name}: a gradient was written again after "
                                            "its bucket was sent (two backward passes before one step)")
            if modified:
                self._reset()
                self.fallbacks += 1
                stats["fallbacks"] += 1
                if trace is not None:
                    trace("fallback", -1)
                return None
            try:
                return self._results()
            finally:
                self._reset()
                self.rounds += 1
                stats["rounds"] += 1

    def _changed(self) -> bool:
        for b in self.buckets:
            for j, m in enumerate(b.members):
                g = self.leaves[m].grad
                if g is not self._src[m]:
                    return True
                if g is None:
                    continue
                a = g.data
                if not isinstance(a, np.ndarray) or a.dtype != b.dtype or a.shape != self._shapes[m]:
                    return True
                at, end = b.spans[j]
                slot = self._view(b.src[at:end], m)
                u = _UINT.get(a.dtype.itemsize)
                if u is None:
                    if slot.tobytes() != np.ascontiguousarray(a).tobytes():
                        return True
                elif not np.array_equal(slot.view(u), a.view(u)):
                    return True
        return False

    def _agree(self, mine: bool) -> bool:
        """Whether any rank says True (a one-byte allgather on the bucket communicator, after every bucket)."""
        MPI = dist._mpi()
        flag = np.array([1 if mine else 0], np.uint8)
        every = np.empty(self.size, np.uint8)
        req = self._comms[0].Iallgather([flag, MPI.BYTE], [every, MPI.BYTE])
        dist._wait(req, f"{self.name}: overlapped allreduce (gradients changed after backward?)")
        return bool(every.any())

    def _results(self) -> List[Optional[np.ndarray]]:
        n = self.size
        out: List[Optional[np.ndarray]] = [None] * len(self.leaves)
        for b in self.buckets:
            res = b.red.out
            flags = res[b.total:]
            if self.op == "mean":
                data = res[:b.total]
                data /= b.dtype.type(n)
            for j, m in enumerate(b.members):
                c = int(round(float(flags[j])))
                if c == 0:
                    continue
                if c != n:
                    raise dist.DistributedError(
                        f"unidl.distributed: {self.name}: parameter {m} (shape {self._shapes[m]}) has a gradient "
                        f"on {c} of {n} ranks; every rank must compute the same parameters' gradients")
                at, end = b.spans[j]
                out[m] = self._view(res[at:end], m)
        return out


@atexit.register
def _drain_at_exit() -> None:
    """Complete reductions still in flight (a backward without a step before the script ended), so MPI
    finalizes with no request pending."""
    for b in list(_LIVE):
        try:
            with b._lock:
                b._drain()
        except Exception:  # noqa: BLE001 - at exit, nothing more to do
            pass
