"""Elementwise math, comparisons, where/clip/maximum/minimum, and casts.

Binary ops broadcast as NumPy does; their backward sums the gradient back to each input's shape
(:func:`unbroadcast`). Python scalars are constants (no gradient) and keep the tensor's dtype.
"""
from __future__ import annotations

from typing import Any

from ..creation import zeros_like
from ..dtypes import as_dtype, is_floating
from ._core import Tensor, apply, binary, defop, operand, unary
from .reduce import unbroadcast

__all__ = ["add", "subtract", "multiply", "divide", "negative", "exp", "log", "where", "equal", "not_equal",
           "greater", "greater_equal", "less", "less_equal", "astype"]

ADD = defop("add", doc="a + b, broadcasting")
SUB = defop("subtract", doc="a - b, broadcasting")
MUL = defop("multiply", doc="a * b, broadcasting")
DIV = defop("divide", doc="a / b (true division), broadcasting")
NEG = defop("negative", doc="-x")
EXP = defop("exp", doc="e**x")
LOG = defop("log", doc="natural logarithm")


def _add_bwd(node, out, g):
    a, b = node.parents
    return (None if a is None else unbroadcast(g, a.shape),
            None if b is None else unbroadcast(g, b.shape))


def add(a: Any, b: Any) -> Tensor:
    """Elementwise ``a + b`` with broadcasting. Shapes: (...), (...) -> broadcast shape."""
    return binary(ADD, _add_bwd, a, b)


def _sub_bwd(node, out, g):
    a, b = node.parents
    return (None if a is None else unbroadcast(g, a.shape),
            None if b is None else unbroadcast(negative(g), b.shape))


def subtract(a: Any, b: Any) -> Tensor:
    """Elementwise ``a - b`` with broadcasting."""
    return binary(SUB, _sub_bwd, a, b)


def _mul_bwd(node, out, g):
    a, b = node.parents
    return (None if a is None or not a.requires_grad else unbroadcast(multiply(g, operand(node, 1)), a.shape),
            None if b is None or not b.requires_grad else unbroadcast(multiply(g, operand(node, 0)), b.shape))


def multiply(a: Any, b: Any) -> Tensor:
    """Elementwise ``a * b`` with broadcasting."""
    return binary(MUL, _mul_bwd, a, b)


def divide(a: Any, b: Any) -> Tensor:
    """Elementwise true division ``a / b`` with broadcasting."""
    return binary(DIV, _div_bwd, a, b)


def _div_bwd(node, out, g):
    a, b = node.parents
    ga = gb = None
    if a is not None and a.requires_grad:
        ga = unbroadcast(divide(g, operand(node, 1)), a.shape)
    if b is not None and b.requires_grad:
        # d(a/b)/db = -a/b**2 = -out/b
        gb = unbroadcast(negative(divide(multiply(g, out), b)), b.shape)
    return ga, gb


def _neg_bwd(node, out, g):
    return (negative(g),)


def negative(x: Tensor) -> Tensor:
    """Elementwise ``-x``."""
    return unary(NEG, _neg_bwd, x)


def _exp_bwd(node, out, g):
    return (multiply(g, out),)


def exp(x: Tensor) -> Tensor:
    """Elementwise ``e**x``."""
    return unary(EXP, _exp_bwd, x)


def _log_bwd(node, out, g):
    return (divide(g, node.parents[0]),)


def log(x: Tensor) -> Tensor:
    """Elementwise natural logarithm."""
    return unary(LOG, _log_bwd, x)


WHERE = defop("where", doc="cond ? a : b, broadcasting")


def _where_bwd(node, out, g):
    cond, a, b = node.parents
    zero = zeros_like(g)
    return (None,
            None if a is None else unbroadcast(where(cond, g, zero), a.shape),
            None if b is None else unbroadcast(where(cond, zero, g), b.shape))


def where(cond: Tensor, a: Any, b: Any) -> Tensor:
    """Elementwise ``a`` where ``cond`` is true, else ``b`` (all three broadcast)."""
    return apply(WHERE, _where_bwd, (cond, a, b))


def _comparison(name: str, doc: str):
    op = defop(name, doc=doc, differentiable=False)

    def compare(a: Any, b: Any) -> Tensor:
        return binary(op, None, a, b)

    compare.__name__ = name
    compare.__doc__ = f"Elementwise ``{doc}`` as a bool tensor (not differentiable)."
    return compare


equal = _comparison("equal", "a == b")
not_equal = _comparison("not_equal", "a != b")
greater = _comparison("greater", "a > b")
greater_equal = _comparison("greater_equal", "a >= b")
less = _comparison("less", "a < b")
less_equal = _comparison("less_equal", "a <= b")

ASTYPE = defop("astype", doc="cast to a dtype")


def _astype_bwd(node, out, g):
    return (astype(g, node.parents[0].dtype),)


def astype(x: Tensor, dtype: Any) -> Tensor:
    """``x`` cast to ``dtype`` (itself when already that dtype); gradients flow between float dtypes."""
    dt = as_dtype(dtype)
    if dt == x.dtype:
        return x
    return unary(ASTYPE, _astype_bwd if is_floating(dt) else None, x, dtype=dt)
