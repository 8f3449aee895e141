"""An example third-party kernel plugin: its own ``relu``, ``add`` and ``sum`` kernels on "cpu".

Registered with a higher priority than ``unidl_cpu``, so they win for these three ops; every
other op keeps running on ``unidl_cpu``'s kernels. ``sum`` declines (``unidl.Decline``) integer
inputs, which then fall through to the next kernel in priority order.

Check it with ``unidl conform --plugin unidl_example_kernels --suite kernels``.
"""
from __future__ import annotations

import numpy as np

import unidl

PRIORITY = 10


def relu(x: np.ndarray) -> np.ndarray:
    """max(x, 0) elementwise, NaN kept; -0.0 becomes +0.0, as the reference kernel gives it."""
    out = x.copy()
    np.copyto(out, x.dtype.type(0), where=x <= 0)
    return out


def add(a, b):
    """a + b with broadcasting (either may be a Python scalar)."""
    return np.add(a, b)


def sum_(x: np.ndarray, axis=None, keepdims: bool = False) -> np.ndarray:
    """Sum over ``axis`` (a tuple of non-negative ints or None); integer inputs are declined."""
    if x.dtype.kind != "f":
        raise unidl.Decline()
    return np.asarray(np.add.reduce(x, axis=axis, keepdims=keepdims))


@unidl.hookimpl
def unidl_register_kernels(registry):
    registry.add("relu", "cpu", relu, priority=PRIORITY)
    registry.add("add", "cpu", add, priority=PRIORITY)
    registry.add("sum", "cpu", sum_, priority=PRIORITY)
