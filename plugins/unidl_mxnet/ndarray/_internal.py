"""``mx.nd._internal``: the internal operators MXNet's own code and tests call (slice assignment)."""
from __future__ import annotations

from typing import Any, Optional, Sequence

from unidl import ops

from ..base import MXNetError
from .ndarray import NDArray, wrap

__all__ = ["_slice_assign", "_slice_assign_scalar", "_crop_assign", "_crop_assign_scalar", "_sample_unique_zipfian"]


def _region(op: str, data: NDArray, begin: Sequence[Any], end: Sequence[Any], step: Sequence[Any]) -> tuple:
    step = tuple(step) or (None,) * len(begin)
    if len(begin) != len(end) or len(step) != len(begin) or len(begin) > data.ndim:
        raise MXNetError(f"{op}: begin {tuple(begin)}, end {tuple(end)} and step {tuple(step)} must have one entry "
                         f"per sliced axis of the array of shape {data.shape}")
    return tuple(slice(b, e, s) for b, e, s in zip(begin, end, step))


def _assign(op: str, lhs: NDArray, value: Any, begin: Sequence[Any], end: Sequence[Any], step: Sequence[Any],
            out: Optional[NDArray]) -> NDArray:
    key = _region(op, lhs, begin, end, step)
    target = out if out is not None else wrap(ops.add(lhs._t.detach(), lhs._t.dtype.type(0)))
    if out is not None and out is not lhs:
        out[:] = lhs
    target[key] = value
    return target


def _slice_assign(lhs: NDArray, rhs: NDArray, begin: Sequence[Any] = (), end: Sequence[Any] = (),
                  step: Sequence[Any] = (), out: Optional[NDArray] = None, name: Optional[str] = None) -> NDArray:
    """``lhs`` with the region ``begin:end:step`` set to ``rhs`` (into ``out``, often ``lhs`` itself)."""
    return _assign("_slice_assign", lhs, rhs, begin, end, step, out)


def _slice_assign_scalar(data: NDArray, scalar: float = 0.0, begin: Sequence[Any] = (), end: Sequence[Any] = (),
                         step: Sequence[Any] = (), out: Optional[NDArray] = None, name: Optional[str] = None) -> NDArray:
    """``data`` with the region ``begin:end:step`` set to ``scalar``."""
    return _assign("_slice_assign_scalar", data, data._t.dtype.type(scalar), begin, end, step, out)


_crop_assign = _slice_assign
_crop_assign_scalar = _slice_assign_scalar


def _sample_unique_zipfian(range_max: int, shape: Any = None, out: Any = None, **kwargs: Any) -> Any:
    """Distinct log-uniform classes per row and the draws each row took (defined with the other draws in
    :mod:`unidl_mxnet.random`)."""
    from ..random import _sample_unique_zipfian as sample

    return sample(range_max, shape=shape, out=out, **kwargs)
