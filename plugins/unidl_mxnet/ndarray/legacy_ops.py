"""Older ``mx.nd`` operators and helpers: ``choose_element_0index``, ``fill_element_0index``,
``onehot_encode``, ``crop``, ``from_numpy``, ``from_dlpack`` / ``to_dlpack_for_*`` and ``cast_storage``.
Each is an MXNet 1.9.1 name over :mod:`unidl.ops`.
"""
from __future__ import annotations

from typing import Any, Optional, Sequence

import numpy as np

import unidl
from unidl import ops
from unidl.tensor import Tensor

from ..base import MXNetError
from .ndarray import NDArray, from_dlpack, to_dlpack_for_read, to_dlpack_for_write, to_stype, wrap

__all__ = ["split_v2", "choose_element_0index", "fill_element_0index", "onehot_encode", "crop", "from_numpy", "from_dlpack",
           "to_dlpack_for_read", "to_dlpack_for_write", "cast_storage"]


def _rows_index(op: str, data: NDArray, index: NDArray) -> Tensor:
    if not isinstance(data, NDArray) or data.ndim != 2:
        raise MXNetError(f"{op}: expected a 2-d NDArray, got {getattr(data, 'shape', type(data).__name__)}")
    if not isinstance(index, NDArray) or index.shape != (data.shape[0],):
        raise MXNetError(f"{op}: index must be an NDArray of shape ({data.shape[0]},) for data of shape "
                         f"{data.shape}, got {getattr(index, 'shape', type(index).__name__)}")
    return ops.astype(index._t, np.int64)


def split_v2(ary: NDArray, indices_or_sections: Any, axis: int = 0, squeeze_axis: bool = False,
             out: Any = None, name: Optional[str] = None) -> Any:
    """Split along ``axis`` into equal sections (an int, which must divide the axis) or at the given indices
    (NumPy's ``split``); ``squeeze_axis`` drops the axis from sections of size 1. A list of NDArrays."""
    n = ary.shape[axis]
    if isinstance(indices_or_sections, (int, np.integer)):
        k = int(indices_or_sections)
        if k < 1 or n % k:
            raise MXNetError(f"split_v2: axis {axis} of shape {ary.shape} cannot be split into {k} equal sections")
        bounds = [i * (n // k) for i in range(k + 1)]
    else:
        bounds = [0] + [int(i) for i in indices_or_sections] + [n]
    parts = []
    for b, e in zip(bounds[:-1], bounds[1:]):
        p = ops.slice_axis(ary._t, axis, b, max(b, e))
        if squeeze_axis and p.shape[axis] == 1:
            p = ops.squeeze(p, axis)
        parts.append(wrap(p))
    if out is not None:
        outs = list(out) if isinstance(out, (list, tuple)) else [out]
        return [_out(r, o) for r, o in zip(parts, outs)]
    return parts


def choose_element_0index(data: NDArray, index: NDArray, axis: int = -1, keepdims: bool = False,
                          mode: str = "clip", out: Optional[NDArray] = None, name: Optional[str] = None) -> NDArray:
    """``data[i, index[i]]`` for every row i of a 2-d ``data`` (the old name of ``pick``)."""
    idx = _rows_index("choose_element_0index", data, index)
    res = wrap(ops.pick(data._t, idx, axis=axis, keepdims=keepdims, mode=mode))
    return _out(res, out)


def fill_element_0index(lhs: NDArray, mhs: NDArray, rhs: NDArray, out: Optional[NDArray] = None,
                        name: Optional[str] = None) -> NDArray:
    """A copy of 2-d ``lhs`` with ``lhs[i, rhs[i]] = mhs[i]`` for every row i."""
    idx = _rows_index("fill_element_0index", lhs, rhs)
    if not isinstance(mhs, NDArray) or mhs.shape != (lhs.shape[0],):
        raise MXNetError(f"fill_element_0index: values must be an NDArray of shape ({lhs.shape[0]},), got "
                         f"{getattr(mhs, 'shape', type(mhs).__name__)}")
    res = ops.add(lhs._t.detach(), lhs._t.dtype.type(0))
    rows = unidl.arange(lhs.shape[0], dtype=np.int64, device=lhs._t.device)
    vals = mhs._t if mhs._t.dtype == lhs._t.dtype else ops.astype(mhs._t, lhs._t.dtype)
    ops.setitem(res, (rows, idx), vals.detach())
    return _out(wrap(res), out)


def onehot_encode(indices: NDArray, out: NDArray) -> NDArray:
    """Write the one-hot rows of ``indices`` into ``out`` (N, depth) and return ``out`` (the old ``one_hot``)."""
    if not isinstance(out, NDArray) or out.ndim != 2 or not isinstance(indices, NDArray) \
            or indices.shape != (out.shape[0],):
        raise MXNetError(f"onehot_encode: expected indices of shape (N,) and out of shape (N, depth), got "
                         f"{getattr(indices, 'shape', None)} and {getattr(out, 'shape', None)}")
    hot = ops.one_hot(ops.astype(indices._t, np.int64), out.shape[1], 1.0, 0.0, out._t.dtype)
    ops.setitem(out._t, Ellipsis, hot)
    return out


def crop(data: NDArray, begin: Sequence[Any] = (), end: Sequence[Any] = (), step: Sequence[Any] = (),
         out: Optional[NDArray] = None, name: Optional[str] = None) -> NDArray:
    """The old name of ``slice``: ``data[begin:end:step]`` per axis (``None`` = the whole axis)."""
    from .ops import slice as _slice

    return _out(_slice(data, begin, end, step), out)


def from_numpy(ndarray: np.ndarray, zero_copy: bool = True) -> NDArray:
    """An NDArray on the CPU with ``ndarray``'s values and dtype. ``zero_copy``: share the memory (the NumPy
    array must be C-contiguous and becomes read-only, as MXNet now owns it; writes through the NDArray
    show up in it)."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"from_numpy expects a numpy.ndarray, got {type(ndarray).__name__}")
    dev = unidl.device("cpu")
    if not zero_copy:
        return _keep0d(Tensor._from_any(np.array(ndarray, copy=True, order="C"), dev))
    if not ndarray.flags["C_CONTIGUOUS"]:
        raise ValueError("Only c-contiguous arrays are supported for zero-copy")
    if not ndarray.flags.writeable:  # handed to from_numpy before: it owns its memory, so it can be reopened
        try:
            ndarray.flags.writeable = True
        except ValueError:
            pass
    shared = ndarray.view()  # stays writable after the source is marked read-only
    ndarray.flags.writeable = False
    return _keep0d(Tensor._from_any(shared, dev))


def cast_storage(data: NDArray, stype: str, out: Optional[NDArray] = None, name: Optional[str] = None) -> NDArray:
    """A copy of ``data`` with storage type ``stype`` ('default', 'csr' or 'row_sparse')."""
    return _out(to_stype(data, stype), out)


def _keep0d(t: Tensor) -> NDArray:
    a = object.__new__(NDArray)
    a._t = t
    return a


from .ops import _to_out as _out  # noqa: E402  (MXNet's out=: write into out and return it)
