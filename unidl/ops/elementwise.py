"""Elementwise math, comparisons, where/clip/maximum/minimum, and casts.

Binary ops broadcast as NumPy does; their backward sums the gradient back to each input's shape
(:func:`unbroadcast`). Python scalars are constants (no gradient) and keep the tensor's dtype.
"""
from __future__ import annotations

from typing import Any

from ._core import Tensor, binary, defop, operand, unary
from .reduce import unbroadcast

__all__ = ["add", "subtract", "multiply", "divide", "negative", "exp", "log"]

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
