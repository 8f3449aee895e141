"""Indexing: getitem/setitem (NumPy basic and advanced indexing), index_add, take, take_along_axis,
scatter_add, gather_nd, pick, one_hot.

Keys are normalised in the op functions: a tuple whose array components (Tensors, lists, NumPy
arrays) are raw integer or bool arrays on the indexed tensor's device. Gradients of the gathers are
scatter-adds into zeros of the input's shape (repeated indices accumulate); the scatter-adds'
gradients are the matching gathers, so every gradient differentiates again.
"""
from __future__ import annotations

from typing import Any, Optional, Tuple

import numpy as np

from ..autograd import STATE
from ..capture import effect as _effect
from ..dtypes import as_dtype, default_float
from ..errors import DeviceMismatchError, GraphError, OpError
from ._core import Tensor, apply, apply_multi, defop, unary
from .reduce import normalize_axis, unbroadcast

__all__ = ["getitem", "setitem", "index_add", "take", "take_along_axis", "scatter_add", "gather_nd", "pick",
           "one_hot", "nonzero"]

GETITEM = defop("getitem", doc="x[key], NumPy basic and advanced indexing")
INDEX_ADD = defop("index_add", doc="copy of x with values added at x[key]; repeated indices accumulate")
TAKE = defop("take", doc="elements of x at indices along an axis (NumPy take, modes raise/wrap/clip)")
TAKE_GRAD = defop("take_grad", doc="scatter-add of take's output gradient into zeros of the input shape")
TAKE_ALONG_AXIS = defop("take_along_axis", doc="x picked by same-rank indices along an axis (NumPy)")
SCATTER_ADD = defop("scatter_add", doc="copy of x with updates added at same-rank indices along an axis")
ONE_HOT = defop("one_hot", doc="one-hot encoding along a new last axis", differentiable=False)

_MODES = ("raise", "wrap", "clip")


# -- keys ----------------------------------------------------------------------------------------

def _index_array(op: str, x: Tensor, k: Any) -> Any:
    """An array-like key component as a raw integer or bool array on ``x``'s device."""
    dev = x.device
    if isinstance(k, Tensor):
        if k.device is not dev:
            raise DeviceMismatchError(op, f"index tensor is on {k.device}, the indexed tensor on {dev}",
                                      shapes=(x.shape, k.shape))
        arr = k.data
    elif isinstance(k, dev.xp.ndarray):
        arr = k
    else:
        arr = np.asarray(k)
        if arr.dtype.kind == "f" and arr.size == 0:  # x[[]] is an empty integer index in NumPy
            arr = arr.astype(np.intp)
        if arr.dtype.kind in "iub" and dev.xp is not np:
            arr = dev.kind.from_host(arr, dev.index)
    if arr.dtype.kind not in "iub":
        raise OpError(op, f"index arrays must be integer or bool, got dtype {arr.dtype} with shape {arr.shape}",
                      shapes=(x.shape,))
    return arr


def _normalize_key(op: str, x: Tensor, key: Any) -> Tuple[tuple, bool]:
    """``key`` as a tuple the kernels take, and whether it is basic (ints/slices/None/Ellipsis only)."""
    if not isinstance(key, tuple):
        key = (key,)
    out = []
    basic = True
    for k in key:
        t = type(k)
        if t is int or t is slice or k is None or k is Ellipsis:
            out.append(k)
        elif isinstance(k, (bool, np.bool_)):
            out.append(bool(k))  # a scalar bool is a 0-d mask: advanced
            basic = False
        elif isinstance(k, (int, np.integer, slice)):
            out.append(k if isinstance(k, slice) else int(k))
        else:
            out.append(_index_array(op, x, k))
            basic = False
    return tuple(out), basic


def _describe_key(key: tuple) -> str:
    parts = []
    for k in key:
        if hasattr(k, "shape") and hasattr(k, "dtype"):
            parts.append(f"{k.dtype} array of shape {tuple(k.shape)}")
        else:
            parts.append(repr(k))
    return "[" + ", ".join(parts) + "]"


# -- getitem / index_add / setitem ---------------------------------------------------------------

def _getitem_bwd(node, out, g):
    key, basic = node.saved
    return (_index_add(None, g, key, basic, node.parents[0].shape),)


def _getitem(x: Tensor, key: tuple, basic: bool) -> Tensor:
    try:
        return unary(GETITEM, _getitem_bwd, x, (key, basic), key=key)
    except OpError as e:
        raise OpError("getitem", f"{_strip(e)} for index {_describe_key(key)}", shapes=(x.shape,)) from e


def getitem(x: Tensor, key: Any) -> Tensor:
    """``x[key]`` exactly as NumPy indexes (``Tensor.__getitem__``).

    ``key``: ints, slices (any step), None, Ellipsis, integer index arrays (lists, NumPy arrays, int
    Tensors) and bool masks (NumPy arrays, bool Tensors), alone or in a tuple. Basic keys give a view
    on cpu. The gradient scatters ``g`` into zeros of ``x.shape``; repeated indices accumulate.
    Shape: (...) -> NumPy's result shape.
    """
    if not isinstance(x, Tensor):
        raise OpError("getitem", f"expected a unidl Tensor, got {type(x).__name__}")
    k, basic = _normalize_key("getitem", x, key)
    return _getitem(x, k, basic)


def _index_add_bwd(node, out, g):
    x, values = node.parents[0], node.parents[1]
    key, basic = node.saved["key"], node.saved["basic"]
    gv = None
    if values is not None and values.requires_grad:
        gv = unbroadcast(_getitem(g, key, basic), values.shape)
    return (g if x is not None else None), gv


def _index_add(x: Optional[Tensor], values: Tensor, key: tuple, basic: bool, shape: Tuple[int, ...]) -> Tensor:
    attrs = {"key": key, "shape": shape, "basic": basic}
    try:
        return apply(INDEX_ADD, _index_add_bwd, (x, values), attrs)
    except OpError as e:
        raise OpError("index_add", f"{_strip(e)} for index {_describe_key(key)}",
                      shapes=(shape, values.shape)) from e


def index_add(x: Tensor, key: Any, values: Any) -> Tensor:
    """A copy of ``x`` with ``values`` added at ``x[key]``; repeated indices accumulate (``x.at[key].add``).

    Shapes: x (...), values broadcastable to ``x[key].shape`` -> x.shape. Differentiable in both.
    """
    if not isinstance(x, Tensor):
        raise OpError("index_add", f"expected a unidl Tensor, got {type(x).__name__}")
    k, basic = _normalize_key("index_add", x, key)
    values = _same_device_value("index_add", x, values)
    if values.dtype != x.dtype:
        from .elementwise import astype

        values = astype(values, x.dtype)
    return _index_add(x, values, k, basic, x.shape)


def _same_device_value(op: str, x: Tensor, v: Any) -> Tensor:
    if isinstance(v, Tensor):
        if v.device is not x.device:
            raise DeviceMismatchError(op, f"value is on {v.device}, the indexed tensor on {x.device}",
                                      shapes=(x.shape, v.shape))
        return v
    return Tensor._from_any(v, x.device, x.dtype)


def _assign(dst: Any, key: Any, value: Any) -> None:
    dst[key] = value


def setitem(x: Tensor, key: Any, value: Any) -> None:
    """``x[key] = value`` in place (``Tensor.__setitem__``), NumPy semantics (value broadcast and cast).

    Not recorded by autograd: inside ``record()`` it refuses tensors that take part in the graph;
    build a new tensor with ``where``, ``index_add`` or ``concatenate`` instead.
    """
    if not isinstance(x, Tensor):
        raise OpError("setitem", f"expected a unidl Tensor, got {type(x).__name__}")
    if STATE.recording and (x.requires_grad or (isinstance(value, Tensor) and value.requires_grad)):
        raise GraphError(
            f"setitem: in-place assignment on a tensor recorded by autograd is not supported (tensor of shape "
            f"{x.shape}); build a new tensor instead, e.g. with where(mask, value, x), index_add or concatenate"
        )
    k, _ = _normalize_key("setitem", x, key)
    if isinstance(value, Tensor):
        if value.device is not x.device:
            raise DeviceMismatchError("setitem", f"value is on {value.device}, the tensor on {x.device}",
                                      shapes=(x.shape, value.shape))
        v = value.data
    elif isinstance(value, (int, float, bool, complex, np.generic)):
        v = value
    else:
        v = Tensor._from_any(value, x.device, x.dtype).data
    try:
        _effect(_assign, x.data, k, v)
    except Exception as e:  # noqa: BLE001 - the backend's indexing/broadcast/read-only errors
        raise OpError("setitem", f"{type(e).__name__}: {e}; for index {_describe_key(k)} and value of shape "
                      f"{tuple(getattr(v, 'shape', ()))}", shapes=(x.shape,)) from e


# -- take ----------------------------------------------------------------------------------------

def _check_mode(op: str, mode: str) -> None:
    if mode not in _MODES:
        raise OpError(op, f"mode must be one of {_MODES}, got {mode!r}")


def _int_index_tensor(op: str, x: Tensor, indices: Any, allow_float: bool = False) -> Tensor:
    if not isinstance(indices, Tensor):
        indices = Tensor._from_any(np.asarray(indices), x.device)
    elif indices.device is not x.device:
        raise DeviceMismatchError(op, f"indices are on {indices.device}, the input on {x.device}",
                                  shapes=(x.shape, indices.shape))
    kind = indices.dtype.kind
    if kind == "f" and indices.size == 0:
        kind = "i"
        indices = Tensor._from_any(indices.data.astype(np.int64), x.device)
    if kind == "f" and allow_float:
        from .elementwise import astype

        return astype(indices, np.int64)  # truncates toward zero, as MXNet's float indices
    if kind not in "iu":
        raise OpError(op, f"indices must be an integer tensor, got dtype {indices.dtype}",
                      shapes=(x.shape, indices.shape), dtypes=(x.dtype, indices.dtype))
    return indices


def _take_bwd(node, out, g):
    x, indices = node.parents[0], node.saved["indices"]
    a = node.saved
    return (apply(TAKE_GRAD, _take_grad_bwd, (g, indices),
                  {"shape": x.shape, "axis": a["axis"], "mode": a["mode"]}), None)


def _take_grad_bwd(node, out, g):
    a = node.saved
    return (_take(g, node.parents[1], a["axis"], a["mode"]), None)


def _take(x: Tensor, indices: Tensor, axis: Optional[int], mode: str) -> Tensor:
    attrs = {"axis": axis, "mode": mode}
    return apply(TAKE, _take_bwd, (x, indices), attrs, saved={"axis": axis, "mode": mode, "indices": indices})


def take(x: Tensor, indices: Any, axis: Optional[int] = None, mode: str = "raise") -> Tensor:
    """Elements of ``x`` at integer ``indices`` along ``axis`` (the flattened ``x`` when None), as ``np.take``.

    ``mode``: 'raise' (negative indices count from the end; out of range raises), 'wrap' (modulo the
    axis size) or 'clip' (clamped to ``[0, n-1]``, so negative indices give 0; MXNet's default).
    Shapes: x (..., n, ...), indices (*I) -> x.shape[:axis] + I + x.shape[axis+1:] (I when axis is None).
    """
    if not isinstance(x, Tensor):
        raise OpError("take", f"expected a unidl Tensor, got {type(x).__name__}")
    _check_mode("take", mode)
    idx = _int_index_tensor("take", x, indices)
    if axis is not None:
        if x.ndim == 0:
            raise OpError("take", f"axis {axis} given for a 0-d tensor", shapes=(x.shape, idx.shape))
        axis = normalize_axis("take", axis, x.ndim)[0]
    n = x.size if axis is None else x.shape[axis]
    if n == 0 and idx.size:
        raise OpError("take", f"cannot take {idx.size} index(es) from an empty "
                      f"{'tensor' if axis is None else f'axis {axis}'}", shapes=(x.shape, idx.shape))
    return _take(x, idx, axis, mode)


# -- take_along_axis / scatter_add / pick --------------------------------------------------------

def _along_axis_shape(op: str, x_shape: Tuple[int, ...], idx_shape: Tuple[int, ...], axis: Optional[int],
                      other: Tuple[Tuple[int, ...], ...] = ()) -> Tuple[int, ...]:
    """Validate same-rank indices against ``x_shape``; returns the picked shape."""
    shapes = (x_shape, idx_shape) + other
    if axis is None:
        if len(idx_shape) != 1:
            raise OpError(op, "with axis=None the indices must be 1-D (they index the flattened input)",
                          shapes=shapes)
        return idx_shape
    if len(idx_shape) != len(x_shape):
        raise OpError(op, f"indices must have the same number of dimensions as the input ({len(x_shape)}), "
                      f"got {len(idx_shape)}", shapes=shapes)
    out = []
    for i, (n, m) in enumerate(zip(x_shape, idx_shape)):
        if i == axis:
            out.append(m)
        elif n == m or m == 1 or n == 1:
            out.append(n if m == 1 else m)
        else:
            raise OpError(op, f"indices dimension {i} has size {m}, which does not broadcast with the "
                          f"input's size {n}", shapes=shapes)
    return tuple(out)


def _along_axis_args(op: str, x: Tensor, indices: Any, axis: Optional[int], mode: str,
                     allow_float: bool = False) -> Tuple[Tensor, Optional[int]]:
    if not isinstance(x, Tensor):
        raise OpError(op, f"expected a unidl Tensor, got {type(x).__name__}")
    _check_mode(op, mode)
    idx = _int_index_tensor(op, x, indices, allow_float)
    if axis is not None:
        if x.ndim == 0:
            raise OpError(op, f"axis {axis} given for a 0-d tensor", shapes=(x.shape, idx.shape))
        axis = normalize_axis(op, axis, x.ndim)[0]
    return idx, axis


def _take_along_axis_bwd(node, out, g):
    a = node.saved
    return (_scatter_add(None, a["indices"], g, a["axis"], a["mode"], node.parents[0].shape), None)


def _take_along_axis(x: Tensor, idx: Tensor, axis: Optional[int], mode: str) -> Tensor:
    return apply(TAKE_ALONG_AXIS, _take_along_axis_bwd, (x, idx), {"axis": axis, "mode": mode},
                 saved={"axis": axis, "mode": mode, "indices": idx})


NONZERO = defop("nonzero", doc="indices of the non-zero entries, one int64 array per axis (row-major order)",
                differentiable=False)


def nonzero(x: Tensor) -> Tuple[Tensor, ...]:
    """The indices of ``x``'s non-zero entries in row-major order: one int64 tensor per axis.

    Shapes: x (d0, ..., dk) -> k+1 tensors of shape (n,), n = the number of non-zero entries
    (a 0-d ``x`` counts as shape (1,)). Not differentiable.
    """
    if not isinstance(x, Tensor):
        raise OpError("nonzero", f"expected a unidl Tensor, got {type(x).__name__}")
    return apply_multi(NONZERO, (x,))


def take_along_axis(x: Tensor, indices: Any, axis: Optional[int], mode: str = "raise") -> Tensor:
    """``np.take_along_axis``: ``out[..., j, ...] = x[..., indices[..., j, ...], ...]`` along ``axis``.

    ``indices`` has ``x``'s rank; other dims broadcast with ``x``'s. axis=None: 1-D indices into the
    flattened ``x``. ``mode`` as in :func:`take` ('raise' is NumPy's behaviour).
    Shapes: x (..., n, ...), indices (..., k, ...) -> (..., k, ...).
    """
    idx, axis = _along_axis_args("take_along_axis", x, indices, axis, mode)
    _along_axis_shape("take_along_axis", x.shape, idx.shape, axis)
    n = x.size if axis is None else x.shape[axis]
    if n == 0 and idx.size:
        raise OpError("take_along_axis", "cannot pick from an empty axis", shapes=(x.shape, idx.shape))
    return _take_along_axis(x, idx, axis, mode)


def _scatter_add_bwd(node, out, g):
    x, updates = node.parents[0], node.parents[2]
    a = node.saved
    gu = None
    if updates is not None and updates.requires_grad:
        gu = unbroadcast(_take_along_axis(g, a["indices"], a["axis"], a["mode"]), updates.shape)
    return (g if x is not None else None), None, gu


def _scatter_add(x: Optional[Tensor], idx: Tensor, updates: Tensor, axis: Optional[int], mode: str,
                 shape: Tuple[int, ...]) -> Tensor:
    return apply(SCATTER_ADD, _scatter_add_bwd, (x, idx, updates),
                 {"axis": axis, "mode": mode, "shape": shape},
                 saved={"axis": axis, "mode": mode, "indices": idx})


def scatter_add(x: Tensor, indices: Any, updates: Any, axis: Optional[int], mode: str = "raise") -> Tensor:
    """A copy of ``x`` with ``updates`` added at ``indices`` along ``axis``; repeated indices accumulate.

    The adjoint of :func:`take_along_axis`: ``out[..., indices[..., j, ...], ...] += updates[..., j, ...]``.
    ``indices`` has ``x``'s rank (other dims broadcast with ``x``'s, as ``np.put_along_axis``);
    ``updates`` broadcasts to the picked shape. axis=None scatters 1-D indices into the flattened ``x``.
    Shapes: x (..., n, ...), indices (..., k, ...), updates (..., k, ...) -> x.shape.
    Differentiable in ``x`` and ``updates``.
    """
    idx, axis = _along_axis_args("scatter_add", x, indices, axis, mode)
    updates = _same_device_value("scatter_add", x, updates)
    picked = _along_axis_shape("scatter_add", x.shape, idx.shape, axis, (updates.shape,))
    us = updates.shape
    if len(us) > len(picked) or any(u != 1 and u != p for u, p in zip(us[::-1], picked[::-1])):
        raise OpError("scatter_add", f"updates of shape {us} do not broadcast to the indexed shape {picked}",
                      shapes=(x.shape, idx.shape, us))
    n = x.size if axis is None else x.shape[axis]
    if n == 0 and idx.size:
        raise OpError("scatter_add", "cannot scatter into an empty axis", shapes=(x.shape, idx.shape, us))
    if updates.dtype != x.dtype:
        from .elementwise import astype

        updates = astype(updates, x.dtype)
    return _scatter_add(x, idx, updates, axis, mode, x.shape)


def pick(x: Tensor, index: Any, axis: Optional[int] = -1, keepdims: bool = False, mode: str = "clip") -> Tensor:
    """MXNet's ``pick``: one element of ``x`` along ``axis`` per position of ``index``.

    ``index`` has ``x``'s shape without ``axis`` (or with it as size 1); float indices are truncated.
    ``mode``: 'clip' (MXNet's default), 'wrap' or 'raise'. axis=None picks from the flattened ``x``
    (result has ``index``'s shape). Differentiable in ``x``.
    Shapes: x (..., n, ...), index (..., ...) -> (..., ...) or (..., 1, ...) with keepdims.
    """
    from .shape import reshape

    idx, ax = _along_axis_args("pick", x, index, axis, mode, allow_float=True)
    if ax is None:
        flat = reshape(x, (-1,))
        if x.size == 0 and idx.size:
            raise OpError("pick", "cannot pick from an empty tensor", shapes=(x.shape, idx.shape))
        try:
            return _take(flat, idx, None, mode)
        except OpError as e:
            raise OpError("pick", _strip(e), shapes=(x.shape, idx.shape)) from e
    ks = x.shape[:ax] + (1,) + x.shape[ax + 1:]
    given = idx.shape
    if idx.ndim == x.ndim - 1:
        idx = reshape(idx, idx.shape[:ax] + (1,) + idx.shape[ax:])
    try:
        if not (idx.ndim == x.ndim and idx.shape[ax] == 1):
            raise OpError("pick", "")
        picked = _along_axis_shape("pick", x.shape, idx.shape, ax)
    except OpError:
        raise OpError("pick", f"index must have the input's shape without axis {ax} "
                      f"({x.shape[:ax] + x.shape[ax + 1:]}) or with it as size 1 ({ks}); size-1 dims broadcast",
                      shapes=(x.shape, given)) from None
    if x.shape[ax] == 0 and idx.size:
        raise OpError("pick", f"cannot pick from the empty axis {ax}", shapes=(x.shape, idx.shape))
    try:
        out = _take_along_axis(x, idx, ax, mode)
    except OpError as e:
        raise OpError("pick", _strip(e), shapes=(x.shape, given)) from e
    return out if keepdims else reshape(out, picked[:ax] + picked[ax + 1:])


def gather_nd(x: Tensor, indices: Any) -> Tensor:
    """MXNet's ``gather_nd``: ``out[j...] = x[indices[0, j...], ..., indices[M-1, j...], ...]``.

    Shapes: x (n0, ..., n{M-1}, *R), indices (M, *J) integer -> (*J, *R). Negative indices count
    from the end. Differentiable in ``x`` (repeated indices accumulate).
    """
    if not isinstance(x, Tensor):
        raise OpError("gather_nd", f"expected a unidl Tensor, got {type(x).__name__}")
    idx = _int_index_tensor("gather_nd", x, indices)
    if idx.ndim == 0 or idx.shape[0] > x.ndim:
        raise OpError("gather_nd", f"indices must have shape (M, ...) with 1 <= M <= {x.ndim} (the input's rank)",
                      shapes=(x.shape, idx.shape))
    key = tuple(idx.data[i] for i in range(idx.shape[0]))
    try:
        return _getitem(x, key, False)
    except OpError as e:
        raise OpError("gather_nd", _strip(e), shapes=(x.shape, idx.shape)) from e


# -- one_hot -------------------------------------------------------------------------------------

def one_hot(indices: Any, depth: int, on_value: Any = 1, off_value: Any = 0, dtype: Any = default_float) -> Tensor:
    """One-hot rows: ``out[..., j] = on_value if indices[...] == j else off_value`` (not differentiable).

    Indices outside ``[0, depth)`` (negative included) give all-``off_value`` rows, as MXNet and
    TensorFlow; float indices are truncated. Shape: (...) -> (..., depth).
    """
    if not isinstance(indices, Tensor):
        from ..creation import tensor

        indices = tensor(np.asarray(indices))
    if indices.dtype.kind not in "iuf" or isinstance(depth, bool):
        raise OpError("one_hot", f"indices must be integer (or float) and depth an int, got dtype "
                      f"{indices.dtype} and depth {depth!r}", shapes=(indices.shape,))
    try:
        depth = int(depth)
    except (TypeError, ValueError):
        raise OpError("one_hot", f"depth must be an int, got {depth!r}", shapes=(indices.shape,)) from None
    if depth < 0:
        raise OpError("one_hot", f"depth must be >= 0, got {depth}", shapes=(indices.shape,))
    dt = as_dtype(dtype)
    on = np.asarray(on_value, dtype=dt).item()
    off = np.asarray(off_value, dtype=dt).item()
    return unary(ONE_HOT, None, indices, depth=depth, on_value=on, off_value=off, dtype=dt)


def _strip(e: OpError) -> str:
    """An OpError's message without its leading 'op: ' and trailing shape detail."""
    msg = str(e)
    if msg.startswith(f"{e.op}: "):
        msg = msg[len(e.op) + 2:]
    cut = msg.rfind(" (got ")
    return msg[:cut] if cut >= 0 and msg.endswith(")") else msg
