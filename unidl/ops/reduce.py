"""Reductions: sum, mean, max, min, prod, argmax/argmin, var/std, logsumexp, cumsum.

``axis`` is None (all axes), an int or a tuple of ints (negative counts from the end); ``keepdims``
keeps reduced axes as size 1. Kernels receive ``axis`` already normalised to a tuple of
non-negative ints (or None) and must return arrays (not NumPy scalars).
"""
from __future__ import annotations

from typing import Any, Optional, Sequence, Tuple, Union

from ..errors import OpError
from ._core import Tensor, defop, unary

__all__ = ["sum", "unbroadcast", "normalize_axis"]

Axis = Union[None, int, Sequence[int]]

SUM = defop("sum", doc="sum over axes")


def normalize_axis(op: str, axis: Axis, ndim: int) -> Optional[Tuple[int, ...]]:
    """``axis`` as a sorted tuple of non-negative ints (None stays None); errors name ``op``."""
    if axis is None:
        return None
    axes = (axis,) if isinstance(axis, int) or hasattr(axis, "__index__") else tuple(axis)
    out = []
    for a in axes:
        a = int(a)
        if not -ndim <= a < max(ndim, 1) or (ndim == 0 and a not in (0, -1)):
            raise OpError(op, f"axis {a} is out of range for a tensor of {ndim} dimension(s); "
                          f"expected -{ndim} <= axis < {ndim}")
        a = a % ndim if ndim else 0
        if a in out:
            raise OpError(op, f"axis {a} repeated in {axis!r}")
        out.append(a)
    return tuple(sorted(out))


def _restore_reduced(g: Tensor, in_shape: Tuple[int, ...], axes: Optional[Tuple[int, ...]],
                     keepdims: bool) -> Tensor:
    """Broadcast a reduction's gradient back to the input shape."""
    from .shape import broadcast_to, reshape

    if not keepdims:
        if axes is None:
            kshape = (1,) * len(in_shape)
        else:
            kshape = tuple(1 if i in axes else d for i, d in enumerate(in_shape))
        g = reshape(g, kshape)
    return broadcast_to(g, in_shape)


def _sum_bwd(node, out, g):
    x = node.parents[0]
    a = node.saved
    return (_restore_reduced(g, x.shape, a["axis"], a["keepdims"]),)


def sum(x: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """Sum of elements over ``axis``. Shape: (...) -> reduced shape."""
    return unary(SUM, _sum_bwd, x, axis=normalize_axis("sum", axis, x.ndim), keepdims=bool(keepdims))


def unbroadcast(g: Tensor, shape: Tuple[int, ...]) -> Tensor:
    """Sum ``g`` down to ``shape`` (the inverse of broadcasting ``shape`` to ``g.shape``)."""
    gs = g.shape
    if gs == shape:
        return g
    from .shape import reshape

    lead = len(gs) - len(shape)
    axes = tuple(range(lead)) + tuple(i + lead for i, d in enumerate(shape) if d == 1 and gs[i + lead] != 1)
    r = sum(g, axis=axes) if axes else g
    return reshape(r, shape) if r.shape != shape else r
