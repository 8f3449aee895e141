"""Deferred index checks: validate indices on the device without stopping it.

A host-side check (``int(idx.max())``) waits for the GPU on every call. Instead a check computes
"any index out of range" on the device and ORs it into a small flag array; the flags are read
(one small copy) the next time the host waits for the device anyway: when a result is copied to
the host (``Tensor.numpy()``, ``float(loss)``) or on ``synchronize``. A set flag raises IndexError
there, naming the op and the valid range (as CUDA reports a kernel's fault at the next sync).
Until then the offending op's output is undefined (indices are clipped so nothing reads out of
bounds). Written against ``xp``, so the tests run it with NumPy.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional

#: Distinct messages tracked separately; further ones share the last slot.
SLOTS = 64


class DeferredChecks:
    """Device-side flags of failed index checks, raised at the next host synchronisation."""

    def __init__(self, xp: Any) -> None:
        self.xp = xp
        self.flags: Optional[Any] = None
        self.messages: List[str] = []
        self.slot: Dict[str, int] = {}
        self.armed = False

    def _slot(self, message: str) -> int:
        s = self.slot.get(message)
        if s is None:
            if len(self.messages) < SLOTS:
                s = len(self.messages)
                self.messages.append(message)
            else:
                s = SLOTS - 1
                self.messages[s] = "an index op: indices out of range"
            self.slot[message] = s
        return s

    def flag(self, bad: Any, message: str) -> None:
        """Record (on the device) that ``bad`` (a 0-d bool array) is true, with ``message``."""
        xp = self.xp
        if self.flags is None:
            self.flags = xp.zeros(SLOTS, dtype=xp.bool_)
        s = self._slot(message)
        view = self.flags[s:s + 1]
        xp.logical_or(view, bad, out=view)
        self.armed = True

    def check_range(self, idx: Any, lo: int, hi: int, message: str) -> None:
        """Flag ``message`` unless every element of ``idx`` is in [lo, hi)."""
        if idx.size:
            xp = self.xp
            self.flag(xp.any(xp.logical_or(idx < lo, idx >= hi)), message)

    def bounds_check(self, idx: Any, n: int, axis: Optional[int]) -> None:
        """The ``bounds_check`` hook of ``unidl.xpkernels.index``: indices must be in [-n, n)."""
        where = f"axis {axis}" if axis is not None else "the flattened input"
        self.check_range(idx, -n, n, f"index out of bounds for {where} with size {n}")

    def raise_pending(self) -> None:
        """Read the flags (a host sync) if any check ran since the last read; raise on a failure."""
        if not self.armed:
            return
        self.armed = False
        host = self.flags.get() if hasattr(self.flags, "get") else self.flags
        hit = [self.messages[i] for i in range(len(self.messages)) if bool(host[i])]
        if hit:
            self.flags[...] = False
            raise IndexError("an earlier op on the GPU got out-of-range indices (detected at this "
                             "synchronisation; results since then are undefined): " + "; ".join(hit))
