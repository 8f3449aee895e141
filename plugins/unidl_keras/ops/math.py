"""``keras.ops`` math extras: logsumexp, top_k, in_top_k, segment reductions, erf, rsqrt, norm,
extract_sequences. ``top_k`` finds its indices by a host round trip (no sort kernel in the core);
its values are gathered with ``take_along_axis`` and stay differentiable."""
from __future__ import annotations

from typing import Any, List, Optional, Tuple

import numpy as np

import unidl
from unidl import ops as U
from unidl.tensor import Tensor

from . import _dtypes
from ._dtypes import float_of, to_tensor
from .node import symbolic

__all__: List[str] = []


def _export(fn):
    __all__.append(fn.__name__)
    return symbolic(fn)


@_export
def logsumexp(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """``log(sum(exp(x)))`` over ``axis``, computed stably."""
    return U.logsumexp(float_of(to_tensor(x)), axis=axis, keepdims=keepdims)


@_export
def erf(x: Any) -> Tensor:
    """The error function."""
    return U.erf(float_of(to_tensor(x)))


@_export
def rsqrt(x: Any) -> Tensor:
    """``1 / sqrt(x)``."""
    return U.reciprocal(U.sqrt(float_of(to_tensor(x))))


@_export
def norm(x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> Tensor:  # noqa: A002
    """Vector norm (2-norm by default; ``ord`` as NumPy for vectors) over ``axis`` (all when None)."""
    x = float_of(to_tensor(x))
    if ord in (None, "euclidean", 2) and (axis is None or isinstance(axis, int) or len(axis) <= 2):
        if axis is None or isinstance(axis, int) or len(axis) == 1 or ord is None or ord == "euclidean":
            return U.sqrt(U.sum(U.square(x), axis=axis, keepdims=keepdims))
    if ord == "fro":
        return U.sqrt(U.sum(U.square(x), axis=axis, keepdims=keepdims))
    return U.norm(x, ord=ord, axis=axis, keepdims=keepdims)


@_export
def top_k(x: Any, k: int, sorted: bool = True) -> Tuple[Tensor, Tensor]:  # noqa: A002
    """The ``k`` largest entries of the last axis and their int32 indices (ties: lower index first).
    Shape: (..., n) -> (..., k), (..., k)."""
    x = to_tensor(x)
    it = U.slice_axis(U.argsort(x, -1, descending=True), -1, 0, int(k))
    return U.take_along_axis(x, it, -1), U.astype(it, "int32")


@_export
def in_top_k(targets: Any, predictions: Any, k: int) -> Tensor:
    """Whether each ``targets[i]`` is among the ``k`` highest ``predictions[i]``. Shapes: (B,), (B, C) -> (B,)."""
    p = to_tensor(predictions)
    t = U.astype(to_tensor(targets), "int64")
    score = U.take_along_axis(p, U.expand_dims(t, -1), -1)
    # as Keras (torch backend): a NaN prediction ranks above every number, and a NaN target score is
    # never in the top k (comparisons with NaN are false)
    above = U.greater(p, score)
    if p.dtype.kind == "f":
        above = U.logical_or(above, U.isnan(p))
    higher = U.sum(U.astype(above, "int32"), axis=-1)
    hit = U.less(higher, int(k))
    if p.dtype.kind == "f":
        hit = U.logical_and(hit, U.logical_not(U.isnan(U.squeeze(score, -1))))
    return hit


def _segments(segment_ids: Any, num_segments: Optional[int]) -> Tuple[Tensor, int]:
    ids = U.astype(to_tensor(segment_ids), "int64")
    if num_segments is None:
        num_segments = int(ids.numpy().max()) + 1 if ids.size else 0
    return ids, int(num_segments)


@_export
def segment_sum(data: Any, segment_ids: Any, num_segments: Optional[int] = None, sorted: bool = False) -> Tensor:  # noqa: A002
    """Sums of ``data`` rows per segment id. Shapes: (N, ...), (N,) -> (num_segments, ...).

    ``num_segments`` defaults to ``max(segment_ids) + 1`` (read on the host); rows whose id is negative
    or not below ``num_segments`` are dropped."""
    data = to_tensor(data)
    ids, n = _segments(segment_ids, num_segments)
    # ids outside [0, num_segments) (e.g. -1) are dropped, as Keras: they go to one extra row, cut off after
    ids = U.where(U.logical_and(U.greater_equal(ids, 0), U.less(ids, n)), ids, U.full_like(ids, n))
    base = unidl.zeros((n + 1,) + tuple(data.shape[1:]), dtype=data.dtype)
    return U.index_add(base, (ids,), data)[:n]


@_export
def segment_max(data: Any, segment_ids: Any, num_segments: Optional[int] = None, sorted: bool = False) -> Tensor:  # noqa: A002
    """Maxima of ``data`` rows per segment (-inf for empty segments, an integer dtype's lowest value); rows whose id
    is negative or not below ``num_segments`` are dropped. Shapes: (N, ...), (N,) -> (num_segments, ...)."""
    data = to_tensor(data)
    ids, n = _segments(segment_ids, num_segments)
    member = U.equal(U.reshape(ids, (1, -1)), U.reshape(unidl.arange(n, dtype="int64"), (-1, 1)))  # (n, N)
    member = U.reshape(member, member.shape + (1,) * (data.ndim - 1))
    low = -np.inf if data.dtype.kind == "f" else np.iinfo(data.dtype).min  # Keras (torch, JAX): -inf
    vals = U.where(member, U.expand_dims(data, 0), U.full_like(U.expand_dims(data, 0), low))
    return U.max(vals, axis=1)


@_export
def extract_sequences(x: Any, sequence_length: int, sequence_stride: int) -> Tensor:
    """Frames of the last axis. Shape: (..., n) -> (..., 1 + (n - L) // stride, L)."""
    x = to_tensor(x)
    n = x.shape[-1]
    L, s = int(sequence_length), int(sequence_stride)
    frames = [U.slice_axis(x, -1, i * s, i * s + L) for i in range(1 + (n - L) // s)]
    return U.stack(frames, axis=-2)


def __getattr__(name: str) -> Any:
    # Keras's op classes (``Cast``, ``Cumsum``, ...) exist where the function does
    import sys

    from .operation import op_class

    cls = op_class(sys.modules[__name__], name)
    if cls is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return cls
