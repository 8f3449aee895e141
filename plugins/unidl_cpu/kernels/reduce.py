"""Reduction kernels. ``axis`` arrives normalised (tuple of non-negative ints, or None)."""
from __future__ import annotations

from typing import Any, Callable, Dict


def kernels(xp: Any) -> Dict[str, Callable[..., Any]]:
    asarray = xp.asarray

    def sum_(x, axis=None, keepdims=False):
        return asarray(xp.sum(x, axis=axis, keepdims=keepdims))

    return {"sum": sum_}
