"""``mx.nd`` sorting: ``topk``, ``sort``, ``argsort``, ``argmax_channel``.

MXNet conventions kept here: indices come back as float32 unless ``dtype`` says otherwise; the order
is stable (ties keep their input order, also when descending); ``axis=None`` works on the flattened
array; ``k < 1`` in ``topk`` selects the whole axis. Values (``sort``, ``topk`` 'value'/'both') are
differentiable: the gradient goes back to the positions the values came from.
"""
from __future__ import annotations

from typing import Any, List, Optional, Union

import numpy as np

from unidl import ops

from ..base import MXNetError
from .ndarray import NDArray, wrap

_RET_TYPES = ("indices", "value", "both", "mask")


def _prep(op: str, data: NDArray, axis: Optional[int]):
    """``data``'s tensor (flattened when ``axis`` is None) and the axis as a non-negative int."""
    if not isinstance(data, NDArray):
        raise MXNetError(f"{op}: data must be an NDArray, got {type(data).__name__}")
    x = data._t
    if axis is None:
        return ops.reshape(x, (-1,)), 0
    if not isinstance(axis, (int, np.integer)) or not -x.ndim <= axis < x.ndim:
        raise MXNetError(f"{op}: axis {axis!r} is out of range for an array of shape {data.shape}; expected "
                         f"an int in [-{x.ndim}, {x.ndim})")
    return x, int(axis) % x.ndim


def _index_dtype(op: str, dtype: Any) -> np.dtype:
    try:
        return np.dtype(dtype)
    except TypeError:
        raise MXNetError(f"{op}: unknown dtype {dtype!r} for the indices") from None


def _order(x, axis: int, ascending: bool):
    return ops.argsort(x, axis=axis, descending=not ascending)


def topk(data: NDArray, axis: Optional[int] = -1, k: int = 1, ret_typ: str = "indices", is_ascend: bool = False,
         dtype: Any = "float32") -> Union[NDArray, List[NDArray]]:
    """The ``k`` largest (``is_ascend``: smallest) entries along ``axis``.

    Shapes: data (..., n, ...) -> (..., k, ...) for 'indices' and 'value', [value, indices] for 'both';
    'mask' gives data's shape with 1 at the selected positions (data's dtype). Indices are ``dtype``.
    """
    if ret_typ not in _RET_TYPES:
        raise MXNetError(f"topk: ret_typ must be one of {', '.join(_RET_TYPES)}, got {ret_typ!r}")
    x, ax = _prep("topk", data, axis)
    n = x.shape[ax]
    k = int(k)
    if k < 1:
        k = n
    if k > n:
        raise MXNetError(f"topk: k={k} is larger than the size {n} of axis {axis} of an array of shape "
                         f"{data.shape}")
    idx = ops.slice_axis(_order(x, ax, bool(is_ascend)), ax, 0, k)
    if ret_typ == "mask":
        moved = ops.moveaxis(idx, ax, -1)
        hot = ops.sum(ops.one_hot(moved, n, dtype=x.dtype), axis=-2)
        if hot.dtype != x.dtype:  # NumPy's sum widens small integers; the mask keeps data's dtype
            hot = ops.astype(hot, x.dtype)
        return wrap(ops.reshape(ops.moveaxis(hot, -1, ax), data.shape))  # axis None: data's shape too
    dt = _index_dtype("topk", dtype)
    if ret_typ == "indices":
        return wrap(ops.astype(idx, dt))
    values = wrap(ops.take_along_axis(x, idx, axis=ax))
    if ret_typ == "value":
        return values
    return [values, wrap(ops.astype(idx, dt))]


def sort(data: NDArray, axis: Optional[int] = -1, is_ascend: bool = True) -> NDArray:
    """``data`` sorted along ``axis`` (flattened when None); stable. Shape: unchanged (1-d when None)."""
    x, ax = _prep("sort", data, axis)
    return wrap(ops.take_along_axis(x, _order(x, ax, bool(is_ascend)), axis=ax))


def argsort(data: NDArray, axis: Optional[int] = -1, is_ascend: bool = True, dtype: Any = "float32") -> NDArray:
    """Indices that sort ``data`` along ``axis`` (stable), as ``dtype`` (float32 by default)."""
    x, ax = _prep("argsort", data, axis)
    return wrap(ops.astype(_order(x, ax, bool(is_ascend)), _index_dtype("argsort", dtype)))


def argmax_channel(data: NDArray) -> NDArray:
    """Index of the maximum along the last axis, in ``data``'s dtype. Shape: (..., C) -> (...)."""
    if not isinstance(data, NDArray) or data.ndim < 1:
        raise MXNetError(f"argmax_channel: expected an NDArray with at least 1 dim, got "
                         f"{getattr(data, 'shape', type(data).__name__)}")
    return wrap(ops.astype(ops.argmax(data._t, axis=-1), data._t.dtype))


__all__ = ["topk", "sort", "argsort", "argmax_channel"]
