"""A deliberately wrong variant of the example plugin, to show what a conformance failure looks like.

Its ``add`` is one ulp off (the result is nudged towards +inf), and its ``sum`` ignores ``keepdims``. Register it on its own (never together with the good one: both use the
same priority): ``unidl conform --plugin unidl_example_kernels.wrong --suite kernels``.
"""
from __future__ import annotations

import numpy as np

import unidl

from . import PRIORITY, relu


def add_off_by_one_ulp(a, b):
    r = np.add(a, b)
    if getattr(r, "dtype", np.dtype(int)).kind == "f":
        return np.nextafter(r, r.dtype.type(np.inf))
    return r


def sum_drops_keepdims(x: np.ndarray, axis=None, keepdims: bool = False) -> np.ndarray:
    if x.dtype.kind != "f":
        raise unidl.Decline()
    return np.asarray(np.add.reduce(x, axis=axis))


@unidl.hookimpl
def unidl_register_kernels(registry):
    registry.add("relu", "cpu", relu, priority=PRIORITY)
    registry.add("add", "cpu", add_off_by_one_ulp, priority=PRIORITY)
    registry.add("sum", "cpu", sum_drops_keepdims, priority=PRIORITY)
