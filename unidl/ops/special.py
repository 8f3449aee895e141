"""Special functions, matrix functions and segment reductions: erfinv, inv, slogdet, logdet, segment_reduce.

Backward passes are written with ops: ``erfinv'(x) = sqrt(pi)/2 * exp(erfinv(x)^2)``; ``inv``'s gradient is
``-A^-T g A^-T``; ``slogdet``'s (of the log-magnitude) is ``A^-T``; a segment sum's is the gathered output
gradient, a segment max/min's goes to the rows equal to their segment's result (shared evenly among ties),
a segment product's is the product of the other rows; so they differentiate again.
"""
from __future__ import annotations

import math
from typing import Tuple

from ..errors import OpError
from ._core import Tensor, apply, defop, unary

__all__ = ["erfinv", "inv", "slogdet", "logdet", "segment_reduce"]

ERFINV = defop("erfinv", doc="inverse error function (NaN outside [-1, 1], +-inf at +-1)")
INV = defop("inv", doc="inverse of square matrices over the last two axes")
SLOGDET = defop("slogdet", doc="sign and log|det| of square matrices, stacked on a new leading axis")
SEGMENT_REDUCE = defop("segment_reduce", doc="rows of data reduced (sum, prod, max, min) per segment id; ids out "
                                             "of range dropped, empty segments hold the identity")

_SQRT_PI_OVER_2 = math.sqrt(math.pi) / 2.0


def _erfinv_bwd(node, out, g):
    from .elementwise import exp, multiply, square

    return (multiply(g, multiply(exp(square(out)), _SQRT_PI_OVER_2)),)


def erfinv(x: Tensor) -> Tensor:
    """Elementwise inverse of ``erf`` on [-1, 1]. Shape: unchanged."""
    if not isinstance(x, Tensor):
        raise OpError("erfinv", f"expected a unidl Tensor, got {type(x).__name__}")
    return unary(ERFINV, _erfinv_bwd, x)


def _square_check(op: str, x: Tensor) -> None:
    if not isinstance(x, Tensor):
        raise OpError(op, f"expected a unidl Tensor, got {type(x).__name__}")
    if x.ndim < 2 or x.shape[-1] != x.shape[-2]:
        raise OpError(op, f"expected square matrices in the last two axes, got shape {x.shape}", shapes=(x.shape,))
    if x.dtype.kind != "f":
        raise OpError(op, f"expected a float tensor, got {x.dtype}", shapes=(x.shape,), dtypes=(x.dtype,))


def _mT(x: Tensor) -> Tensor:
    from .shape import swapaxes

    return swapaxes(x, -1, -2)


def _inv_bwd(node, out, g):
    from .elementwise import negative
    from .linalg import matmul

    t = _mT(out)
    return (negative(matmul(matmul(t, g), t)),)


def inv(x: Tensor) -> Tensor:
    """The inverse of each square matrix in the last two axes. Shape: (..., n, n) -> (..., n, n)."""
    _square_check("inv", x)
    return unary(INV, _inv_bwd, x)


def _slogdet_bwd(node, out, g):
    from .elementwise import multiply
    from .index import getitem
    from .shape import expand_dims

    x = node.parents[0]
    gl = getitem(g, 1)  # the sign is piecewise constant: no gradient
    return (multiply(expand_dims(expand_dims(gl, -1), -1), _mT(inv(x))),)


def slogdet(x: Tensor) -> Tuple[Tensor, Tensor]:
    """``(sign, log|det|)`` of each square matrix in the last two axes. Shape: (..., n, n) -> 2 x (...)."""
    from .index import getitem

    _square_check("slogdet", x)
    out = unary(SLOGDET, _slogdet_bwd, x)
    return getitem(out, 0), getitem(out, 1)


def logdet(x: Tensor) -> Tensor:
    """``log(det(x))`` of each square matrix (NaN where the determinant is negative, -inf where it is 0),
    as ``torch.logdet``. Shape: (..., n, n) -> (...)."""
    from .elementwise import less, where
    from ..creation import full_like

    sign, logabs = slogdet(x)
    return where(less(sign, 0), full_like(logabs, float("nan")), logabs)


def _segment_reduce_bwd(node, out, g):
    from .elementwise import (astype, divide, equal, greater_equal, less, logical_and, logical_not, multiply,
                              not_equal, where)
    from .index import take
    from .shape import reshape

    data, ids = node.parents[0], node.saved["ids"]
    kind, n = node.saved["kind"], node.saved["num_segments"]
    if n == 0:  # every row was dropped
        from ..creation import zeros_like

        return zeros_like(data), None
    valid = logical_and(greater_equal(ids, 0), less(ids, n))
    safe = where(valid, ids, 0)
    rows = (data.shape[0],) + (1,) * (data.ndim - 1)
    vmask = reshape(valid, rows)
    gr = take(g, safe, axis=0)
    if kind == "sum":
        return where(vmask, gr, 0.0), None
    res = take(out, safe, axis=0)
    if kind in ("max", "min"):
        hit = logical_and(equal(data, res), vmask)
        ties = take(segment_reduce(astype(hit, data.dtype), ids, n, "sum"), safe, axis=0)
        return where(hit, divide(gr, where(hit, ties, 1.0)), 0.0), None
    # prod: the product of the other rows (zeros handled: one zero gets the others' product, others get 0)
    nonzero = not_equal(data, 0)
    zeros = take(segment_reduce(astype(logical_and(logical_not(nonzero), vmask), data.dtype), ids, n, "sum"),
                 safe, axis=0)
    p_nz = take(segment_reduce(where(nonzero, data, 1.0), ids, n, "prod"), safe, axis=0)
    others = where(nonzero, where(equal(zeros, 0), divide(res, where(nonzero, data, 1.0)), 0.0),
                   where(equal(zeros, 1), p_nz, 0.0))
    return where(vmask, multiply(gr, others), 0.0), None


def segment_reduce(data: Tensor, segment_ids: Tensor, num_segments: int, kind: str = "sum") -> Tensor:
    """Rows of ``data`` reduced per segment id (``kind``: 'sum', 'prod', 'max', 'min') into ``num_segments``
    rows; ids outside ``[0, num_segments)`` are dropped and empty segments hold the identity (0, 1,
    -inf/+inf, an integer dtype's lowest/highest). Shapes: (N, ...), (N,) -> (num_segments, ...)."""
    from .elementwise import astype

    if kind not in ("sum", "prod", "max", "min"):
        raise OpError("segment_reduce", f"kind must be 'sum', 'prod', 'max' or 'min', got {kind!r}")
    if not isinstance(data, Tensor) or not isinstance(segment_ids, Tensor):
        raise OpError("segment_reduce", "expected unidl Tensors for data and segment_ids")
    if segment_ids.ndim != 1 or data.ndim < 1 or segment_ids.shape[0] != data.shape[0]:
        raise OpError("segment_reduce", f"segment_ids must be 1-D with data's leading length; got data "
                                        f"{data.shape}, segment_ids {segment_ids.shape}",
                      shapes=(data.shape, segment_ids.shape))
    ids = segment_ids if segment_ids.dtype.kind in "iu" else astype(segment_ids, "int64")
    n = int(num_segments)
    bwd = _segment_reduce_bwd if data.dtype.kind == "f" else None
    return apply(SEGMENT_REDUCE, bwd, (data, ids), {"num_segments": n, "kind": kind},
                 saved={"ids": ids, "kind": kind, "num_segments": n})
