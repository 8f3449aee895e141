"""Special functions and matrix functions: erfinv, inv, slogdet, logdet.

Backward passes are written with ops: ``erfinv'(x) = sqrt(pi)/2 * exp(erfinv(x)^2)``; ``inv``'s gradient is
``-A^-T g A^-T``; ``slogdet``'s (of the log-magnitude) is ``A^-T``, so they differentiate again.
"""
from __future__ import annotations

import math
from typing import Tuple

from ..errors import OpError
from ._core import Tensor, unary, defop

__all__ = ["erfinv", "inv", "slogdet", "logdet"]

ERFINV = defop("erfinv", doc="inverse error function (NaN outside [-1, 1], +-inf at +-1)")
INV = defop("inv", doc="inverse of square matrices over the last two axes")
SLOGDET = defop("slogdet", doc="sign and log|det| of square matrices, stacked on a new leading axis")

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
