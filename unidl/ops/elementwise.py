"""Elementwise math, activations, comparisons, logical ops, where/clip/maximum/minimum, and casts.

Binary ops broadcast as NumPy does; their backward sums the gradient back to each input's shape
(:func:`unbroadcast`). Python scalars are constants (no gradient) and keep the tensor's dtype.
Every op here maps shape (...) -> (...) (binary ops: the broadcast shape of their inputs).
Backward functions are written with ops; the activations on hot paths (relu, sigmoid, tanh)
differentiate through their output, which costs fewer ops than recomputing from the input.
"""
from __future__ import annotations

import math
from typing import Any

from ..creation import zeros_like
from ..dtypes import as_dtype, is_floating
from ..errors import OpError
from ._core import Tensor, apply, as_tensor_like, binary, defop, device_of, operand, scalar_types, unary
from .reduce import unbroadcast

__all__ = ["add", "subtract", "multiply", "divide", "floor_divide", "mod", "power", "pow", "negative",
           "exp", "log", "abs", "sign", "square", "sqrt", "reciprocal", "expm1", "log1p", "log2", "log10",
           "sin", "cos", "tan", "tanh", "erf", "erfc", "maximum", "minimum", "clip", "floor", "ceil", "round",
           "trunc", "where", "equal", "not_equal", "greater", "greater_equal", "less", "less_equal",
           "logical_and", "logical_or", "logical_xor", "logical_not", "isnan", "isinf", "isfinite", "astype",
           "arcsin", "arccos", "arctan", "sinh", "cosh", "arcsinh", "arccosh", "arctanh"]

_LN2 = math.log(2.0)
_LN10 = math.log(10.0)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
#: SELU constants (Klambauer et al. 2017).

ADD = defop("add", doc="a + b, broadcasting")
SUB = defop("subtract", doc="a - b, broadcasting")
MUL = defop("multiply", doc="a * b, broadcasting")
DIV = defop("divide", doc="a / b (true division), broadcasting")
NEG = defop("negative", doc="-x")
EXP = defop("exp", doc="e**x")
LOG = defop("log", doc="natural logarithm")


def _add_bwd(node, out, g):
    a, b = node.parents
    gs = g.data.shape
    return (None if a is None else (g if a.data.shape == gs else unbroadcast(g, a.shape)),
            None if b is None else (g if b.data.shape == gs else unbroadcast(g, b.shape)))


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


FLOOR_DIV = defop("floor_divide", doc="floor(a / b), broadcasting (not differentiable)", differentiable=False)
MOD = defop("mod", doc="a mod b with the sign of b (Python's %), broadcasting")
POW = defop("power", doc="a ** b, broadcasting")


def floor_divide(a: Any, b: Any) -> Tensor:
    """Elementwise ``a // b`` (floor division) with broadcasting; not differentiable."""
    return binary(FLOOR_DIV, None, a, b)


def _mod_bwd(node, out, g):
    a, b = node.parents
    ga = gb = None
    if a is not None and a.requires_grad:
        ga = unbroadcast(g, a.shape)
    if b is not None and b.requires_grad:
        # a mod b = a - b*floor(a/b), and floor is locally constant
        q = floor(divide(operand(node, 0), b))
        gb = unbroadcast(negative(multiply(g, q)), b.shape)
    return ga, gb


def mod(a: Any, b: Any) -> Tensor:
    """Elementwise ``a % b`` (result has the sign of ``b``, as Python and ``numpy.mod``), broadcasting.

    Gradient: 1 for ``a``, ``-floor(a / b)`` for ``b`` (the jumps where ``a / b`` is an integer are
    ignored).
    """
    return binary(MOD, _mod_bwd, a, b)


def _pow_bwd(node, out, g):
    a, b = node.parents
    av, bv = operand(node, 0), operand(node, 1)
    ga = gb = None
    if a is not None and a.requires_grad:
        if b is None:  # scalar exponent: the common case, special-cased to keep it cheap and exact
            if bv == 0:
                d = zeros_like(a)
            elif bv == 1:
                d = None
            elif bv == 2:
                d = multiply(a, 2)
            else:
                d = multiply(power(a, bv - 1), bv)
        else:
            d = multiply(power(av, subtract(b, 1)), b)
        ga = unbroadcast(g if d is None else multiply(g, d), a.shape)
    if b is not None and b.requires_grad:
        if a is None and av > 0:
            lg: Any = math.log(av)
        else:
            at = as_tensor_like(av, b)
            # d(a**b)/db = a**b * log(a); taken as 0 at a == 0 (where a**b is 0 or 1 for b >= 0)
            lg = log(where(equal(at, 0), 1, at))
        gb = unbroadcast(multiply(g, multiply(out, lg)), b.shape)
    return ga, gb


def power(a: Any, b: Any) -> Tensor:
    """Elementwise ``a ** b`` with broadcasting; either side may be a Python scalar.

    Gradients: ``b * a**(b-1)`` for ``a`` and ``a**b * log(a)`` for ``b`` (0 where ``a == 0``).
    Integer tensors raised to negative integer powers raise OpError (as NumPy).
    """
    return binary(POW, _pow_bwd, a, b)


pow = power  # noqa: A001  (the method name Tensor.pow binds to)


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


# -- unary math ------------------------------------------------------------------------------------

ABS = defop("abs", doc="|x|")
SIGN = defop("sign", doc="-1, 0 or 1 by the sign of x")
SQUARE = defop("square", doc="x * x")
SQRT = defop("sqrt", doc="square root")
RECIPROCAL = defop("reciprocal", doc="1 / x")
EXPM1 = defop("expm1", doc="e**x - 1, accurate near 0")
LOG1P = defop("log1p", doc="log(1 + x), accurate near 0")
LOG2 = defop("log2", doc="base-2 logarithm")
LOG10 = defop("log10", doc="base-10 logarithm")
SIN = defop("sin", doc="sine")
COS = defop("cos", doc="cosine")
TAN = defop("tan", doc="tangent")
TANH = defop("tanh", doc="hyperbolic tangent")
ERF = defop("erf", doc="the error function")
ERFC = defop("erfc", doc="the complementary error function 1 - erf(x)")


def _abs_bwd(node, out, g):
    return (multiply(g, sign(node.parents[0])),)


def abs(x: Tensor) -> Tensor:  # noqa: A001
    """Elementwise ``|x|``. Gradient ``sign(x)`` (0 at 0)."""
    return unary(ABS, _abs_bwd, x)


def _zero_bwd(node, out, g):
    return (zeros_like(g),)


def sign(x: Tensor) -> Tensor:
    """Elementwise sign: -1, 0 or 1 (NaN stays NaN). Gradient 0."""
    return unary(SIGN, _zero_bwd, x)


def _square_bwd(node, out, g):
    return (multiply(g, multiply(node.parents[0], 2)),)


def square(x: Tensor) -> Tensor:
    """Elementwise ``x * x``."""
    return unary(SQUARE, _square_bwd, x)


def _sqrt_bwd(node, out, g):
    return (divide(g, multiply(out, 2)),)


def sqrt(x: Tensor) -> Tensor:
    """Elementwise square root (NaN for negative inputs). Gradient ``1 / (2 sqrt(x))``."""
    return unary(SQRT, _sqrt_bwd, x)


def _reciprocal_bwd(node, out, g):
    return (negative(multiply(g, square(out))),)


def reciprocal(x: Tensor) -> Tensor:
    """Elementwise ``1 / x`` (integer inputs give a float result)."""
    return unary(RECIPROCAL, _reciprocal_bwd, x)


def _expm1_bwd(node, out, g):
    return (multiply(g, add(out, 1)),)


def expm1(x: Tensor) -> Tensor:
    """Elementwise ``e**x - 1``, accurate for small ``x``."""
    return unary(EXPM1, _expm1_bwd, x)


def _log1p_bwd(node, out, g):
    return (divide(g, add(node.parents[0], 1)),)


def log1p(x: Tensor) -> Tensor:
    """Elementwise ``log(1 + x)``, accurate for small ``x``."""
    return unary(LOG1P, _log1p_bwd, x)


def _log2_bwd(node, out, g):
    return (divide(g, multiply(node.parents[0], _LN2)),)


def log2(x: Tensor) -> Tensor:
    """Elementwise base-2 logarithm."""
    return unary(LOG2, _log2_bwd, x)


def _log10_bwd(node, out, g):
    return (divide(g, multiply(node.parents[0], _LN10)),)


def log10(x: Tensor) -> Tensor:
    """Elementwise base-10 logarithm."""
    return unary(LOG10, _log10_bwd, x)


def _sin_bwd(node, out, g):
    return (multiply(g, cos(node.parents[0])),)


def sin(x: Tensor) -> Tensor:
    """Elementwise sine (radians)."""
    return unary(SIN, _sin_bwd, x)


def _cos_bwd(node, out, g):
    return (negative(multiply(g, sin(node.parents[0]))),)


def cos(x: Tensor) -> Tensor:
    """Elementwise cosine (radians)."""
    return unary(COS, _cos_bwd, x)


def _tan_bwd(node, out, g):
    return (multiply(g, add(square(out), 1)),)


def tan(x: Tensor) -> Tensor:
    """Elementwise tangent (radians). Gradient ``1 + tan(x)**2``."""
    return unary(TAN, _tan_bwd, x)


def _tanh_bwd(node, out, g):
    return (multiply(g, subtract(1, square(out))),)


def tanh(x: Tensor) -> Tensor:
    """Elementwise hyperbolic tangent. Gradient ``1 - tanh(x)**2`` (from the output)."""
    return unary(TANH, _tanh_bwd, x)


def _erf_bwd(node, out, g):
    x = node.parents[0]
    return (multiply(g, multiply(exp(negative(square(x))), _TWO_OVER_SQRT_PI)),)


def erf(x: Tensor) -> Tensor:
    """Elementwise error function ``2/sqrt(pi) * integral_0^x exp(-t**2) dt``.

    Computed with W. J. Cody's rational approximations (about 1e-16 relative error in float64).
    """
    return unary(ERF, _erf_bwd, x)


def _erfc_bwd(node, out, g):
    x = node.parents[0]
    return (multiply(g, multiply(exp(negative(square(x))), -_TWO_OVER_SQRT_PI)),)


def erfc(x: Tensor) -> Tensor:
    """Elementwise ``1 - erf(x)``, accurate where ``erf(x)`` is close to 1 (large ``x``)."""
    return unary(ERFC, _erfc_bwd, x)


# -- maximum, minimum, clip ------------------------------------------------------------------------

MAXIMUM = defop("maximum", doc="elementwise larger of a and b, broadcasting")
MINIMUM = defop("minimum", doc="elementwise smaller of a and b, broadcasting")
CLIP = defop("clip", doc="x limited to [min, max]")


def _select_bwd(node, g, mask):
    a, b = node.parents
    zero = zeros_like(g)
    return (None if a is None or not a.requires_grad else unbroadcast(where(mask, g, zero), a.shape),
            None if b is None or not b.requires_grad else unbroadcast(where(mask, zero, g), b.shape))


def _maximum_bwd(node, out, g):
    return _select_bwd(node, g, greater_equal(operand(node, 0), operand(node, 1)))


def maximum(a: Any, b: Any) -> Tensor:
    """Elementwise larger of ``a`` and ``b`` with broadcasting (NaN propagates).

    Ties: the whole gradient goes to ``a`` where ``a >= b`` (to ``b`` only where ``a < b``).
    """
    return binary(MAXIMUM, _maximum_bwd, a, b)


def _minimum_bwd(node, out, g):
    return _select_bwd(node, g, less_equal(operand(node, 0), operand(node, 1)))


def minimum(a: Any, b: Any) -> Tensor:
    """Elementwise smaller of ``a`` and ``b`` with broadcasting (NaN propagates).

    Ties: the whole gradient goes to ``a`` where ``a <= b`` (to ``b`` only where ``a > b``).
    """
    return binary(MINIMUM, _minimum_bwd, a, b)


def _clip_bwd(node, out, g):
    x, lo, hi = node.parents[0], node.saved[0], node.saved[1]
    if lo is None:
        inside = less_equal(x, hi)
    elif hi is None:
        inside = greater_equal(x, lo)
    else:
        inside = logical_and(greater_equal(x, lo), less_equal(x, hi))
    return (unbroadcast(where(inside, g, zeros_like(g)), x.shape), None, None)


def clip(x: Tensor, min: Any = None, max: Any = None) -> Tensor:  # noqa: A002
    """``x`` limited to ``[min, max]`` elementwise (``min(max(x, min), max)`` as NumPy).

    Either bound may be None (unbounded) but not both; a bound may be a scalar or a Tensor that
    broadcasts with ``x`` (bounds are constants: they get no gradient). The gradient passes to ``x``
    where ``min <= x <= max`` and is 0 elsewhere.
    """
    if min is None and max is None:
        raise OpError("clip", "at least one of min and max must be given", shapes=(getattr(x, "shape", ()),))
    for name, v in (("min", min), ("max", max)):
        if v is not None and not isinstance(v, (Tensor,) + scalar_types):
            raise OpError("clip", f"{name} must be None, a scalar or a Tensor, got {type(v).__name__}",
                          shapes=(getattr(x, "shape", ()),))
    if not isinstance(x, Tensor):
        raise OpError("clip", f"expected a unidl Tensor, got {type(x).__name__}")
    lo = min.detach() if isinstance(min, Tensor) else min
    hi = max.detach() if isinstance(max, Tensor) else max
    return apply(CLIP, _clip_bwd, (x, lo, hi), saved=(lo, hi))


# -- rounding (zero gradient) ----------------------------------------------------------------------

FLOOR = defop("floor", doc="largest integer <= x")
CEIL = defop("ceil", doc="smallest integer >= x")
ROUND = defop("round", doc="round half to even, to a number of decimals")
TRUNC = defop("trunc", doc="round towards zero")


def floor(x: Tensor) -> Tensor:
    """Elementwise floor. Gradient 0."""
    return unary(FLOOR, _zero_bwd, x)


def ceil(x: Tensor) -> Tensor:
    """Elementwise ceiling. Gradient 0."""
    return unary(CEIL, _zero_bwd, x)


def round(x: Tensor, decimals: int = 0) -> Tensor:  # noqa: A001
    """Elementwise rounding to ``decimals`` places, halves to even (as ``numpy.round``). Gradient 0."""
    if decimals == 0:
        return unary(ROUND, _zero_bwd, x)
    return unary(ROUND, _zero_bwd, x, decimals=int(decimals))


def trunc(x: Tensor) -> Tensor:
    """Elementwise rounding towards zero. Gradient 0."""
    return unary(TRUNC, _zero_bwd, x)


WHERE = defop("where", doc="cond ? a : b, broadcasting")


def _where_bwd(node, out, g):
    cond, a, b = node.parents
    zero = zeros_like(g)
    return (None,
            None if a is None else unbroadcast(where(cond, g, zero), a.shape),
            None if b is None else unbroadcast(where(cond, zero, g), b.shape))


def where(cond: Tensor, a: Any, b: Any) -> Tensor:
    """Elementwise ``a`` where ``cond`` is true, else ``b`` (all three broadcast)."""
    if not isinstance(cond, Tensor):  # the backward needs cond again, so it must be recorded as a parent
        cond = Tensor._from_any(cond, device_of(a, b))
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


# -- logical and classification (not differentiable) -----------------------------------------------

def _logical(name: str, doc: str):
    op = defop(name, doc=doc, differentiable=False)

    def fn(a: Any, b: Any) -> Tensor:
        return binary(op, None, a, b)

    fn.__name__ = name
    fn.__doc__ = f"Elementwise ``{doc}`` of truth values as a bool tensor, broadcasting (not differentiable)."
    return fn


logical_and = _logical("logical_and", "a and b")
logical_or = _logical("logical_or", "a or b")
logical_xor = _logical("logical_xor", "a xor b")

LOGICAL_NOT = defop("logical_not", doc="not x", differentiable=False)
ISNAN = defop("isnan", doc="x is NaN", differentiable=False)
ISINF = defop("isinf", doc="x is +-inf", differentiable=False)
ISFINITE = defop("isfinite", doc="x is neither NaN nor +-inf", differentiable=False)


def logical_not(x: Tensor) -> Tensor:
    """Elementwise ``not x`` as a bool tensor (also ``~x``)."""
    return unary(LOGICAL_NOT, None, x)


def isnan(x: Tensor) -> Tensor:
    """Elementwise test for NaN (bool)."""
    return unary(ISNAN, None, x)


def isinf(x: Tensor) -> Tensor:
    """Elementwise test for positive or negative infinity (bool)."""
    return unary(ISINF, None, x)


def isfinite(x: Tensor) -> Tensor:
    """Elementwise test for finite values (bool)."""
    return unary(ISFINITE, None, x)


# -- inverse trigonometric and hyperbolic functions ---------------------------------------------------------

ARCSIN = defop("arcsin", doc="inverse sine, in [-pi/2, pi/2]")
ARCCOS = defop("arccos", doc="inverse cosine, in [0, pi]")
ARCTAN = defop("arctan", doc="inverse tangent, in (-pi/2, pi/2)")
SINH = defop("sinh", doc="hyperbolic sine")
COSH = defop("cosh", doc="hyperbolic cosine")
ARCSINH = defop("arcsinh", doc="inverse hyperbolic sine")
ARCCOSH = defop("arccosh", doc="inverse hyperbolic cosine, for x >= 1")
ARCTANH = defop("arctanh", doc="inverse hyperbolic tangent, for |x| < 1")


def _arcsin_bwd(node, out, g):
    return (divide(g, sqrt(subtract(1, square(node.parents[0])))),)


def arcsin(x: Tensor) -> Tensor:
    """Elementwise inverse sine (NaN outside [-1, 1]). Gradient ``1 / sqrt(1 - x**2)``."""
    return unary(ARCSIN, _arcsin_bwd, x)


def _arccos_bwd(node, out, g):
    return (negative(divide(g, sqrt(subtract(1, square(node.parents[0]))))),)


def arccos(x: Tensor) -> Tensor:
    """Elementwise inverse cosine (NaN outside [-1, 1]). Gradient ``-1 / sqrt(1 - x**2)``."""
    return unary(ARCCOS, _arccos_bwd, x)


def _arctan_bwd(node, out, g):
    return (divide(g, add(square(node.parents[0]), 1)),)


def arctan(x: Tensor) -> Tensor:
    """Elementwise inverse tangent. Gradient ``1 / (1 + x**2)``."""
    return unary(ARCTAN, _arctan_bwd, x)


def _sinh_bwd(node, out, g):
    return (multiply(g, cosh(node.parents[0])),)


def sinh(x: Tensor) -> Tensor:
    """Elementwise hyperbolic sine. Gradient ``cosh(x)``."""
    return unary(SINH, _sinh_bwd, x)


def _cosh_bwd(node, out, g):
    return (multiply(g, sinh(node.parents[0])),)


def cosh(x: Tensor) -> Tensor:
    """Elementwise hyperbolic cosine. Gradient ``sinh(x)``."""
    return unary(COSH, _cosh_bwd, x)


def _arcsinh_bwd(node, out, g):
    return (divide(g, sqrt(add(square(node.parents[0]), 1))),)


def arcsinh(x: Tensor) -> Tensor:
    """Elementwise inverse hyperbolic sine. Gradient ``1 / sqrt(x**2 + 1)``."""
    return unary(ARCSINH, _arcsinh_bwd, x)


def _arccosh_bwd(node, out, g):
    return (divide(g, sqrt(subtract(square(node.parents[0]), 1))),)


def arccosh(x: Tensor) -> Tensor:
    """Elementwise inverse hyperbolic cosine (NaN below 1). Gradient ``1 / sqrt(x**2 - 1)``."""
    return unary(ARCCOSH, _arccosh_bwd, x)


def _arctanh_bwd(node, out, g):
    return (divide(g, subtract(1, square(node.parents[0]))),)


def arctanh(x: Tensor) -> Tensor:
    """Elementwise inverse hyperbolic tangent (NaN outside [-1, 1]). Gradient ``1 / (1 - x**2)``."""
    return unary(ARCTANH, _arctanh_bwd, x)
