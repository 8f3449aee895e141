"""More elementwise math: two-argument float functions (arctan2, hypot, copysign, nextafter, fmax,
fmin, fmod, heaviside, ldexp, logaddexp, logaddexp2), integer and bit ops (bitwise and/or/xor/not,
shifts, gcd, lcm), cbrt, signbit, i0, a dtype reinterpretation (``bitcast``) and composites built
from existing ops (deg2rad, rad2deg, isposinf, isneginf, sinc, angle, isclose).

Each primitive is one NumPy/CuPy ufunc-like kernel (``unidl.xpkernels.elementwise_extra``).
Binary ops broadcast as NumPy does and accept a Python scalar on either side, like
:mod:`.elementwise`; gradients are summed back to each input's shape. Shapes: (...), (...) ->
broadcast shape; unary ops keep the shape.
"""
from __future__ import annotations

import math
from typing import Any

from ..creation import ones_like, zeros_like
from ..dtypes import as_dtype
from ..errors import OpError
from ._core import Tensor, as_tensor_like, binary, defop, operand, unary
from .elementwise import (abs, add, divide, equal, greater, isinf, isnan, less, less_equal, logical_and,
                          logical_not, logical_or, multiply, negative, power, sin, square, subtract, trunc,
                          where, exp)
from .reduce import unbroadcast

__all__ = ["arctan2", "hypot", "copysign", "nextafter", "fmax", "fmin", "fmod", "heaviside", "ldexp",
           "logaddexp", "logaddexp2", "bitwise_and", "bitwise_or", "bitwise_xor", "bitwise_not", "left_shift",
           "right_shift", "gcd", "lcm", "cbrt", "signbit", "i0", "bitcast", "deg2rad", "rad2deg", "isposinf",
           "isneginf", "sinc", "angle", "isclose"]

ARCTAN2 = defop("arctan2", doc="the angle of the point (b, a) in (-pi, pi], broadcasting")
HYPOT = defop("hypot", doc="sqrt(a**2 + b**2) without overflow, broadcasting")
COPYSIGN = defop("copysign", doc="|a| with the sign (bit) of b, broadcasting")
NEXTAFTER = defop("nextafter", doc="the next float after a towards b, broadcasting", differentiable=False)
FMAX = defop("fmax", doc="elementwise larger of a and b, ignoring NaN, broadcasting")
FMIN = defop("fmin", doc="elementwise smaller of a and b, ignoring NaN, broadcasting")
FMOD = defop("fmod", doc="a mod b with the sign of a (C fmod), broadcasting")
HEAVISIDE = defop("heaviside", doc="0 where a < 0, b where a == 0, 1 where a > 0", differentiable=False)
LDEXP = defop("ldexp", doc="a * 2**b for integer b, broadcasting")
LOGADDEXP = defop("logaddexp", doc="log(exp(a) + exp(b)) without overflow, broadcasting")
LOGADDEXP2 = defop("logaddexp2", doc="log2(2**a + 2**b) without overflow, broadcasting")
BITWISE_AND = defop("bitwise_and", doc="a & b of integers or bools", differentiable=False)
BITWISE_OR = defop("bitwise_or", doc="a | b of integers or bools", differentiable=False)
BITWISE_XOR = defop("bitwise_xor", doc="a ^ b of integers or bools", differentiable=False)
BITWISE_NOT = defop("bitwise_not", doc="~x of integers or bools", differentiable=False)
LEFT_SHIFT = defop("left_shift", doc="a << b of integers", differentiable=False)
RIGHT_SHIFT = defop("right_shift", doc="a >> b of integers (arithmetic for signed types)", differentiable=False)
GCD = defop("gcd", doc="greatest common divisor of integers (non-negative)", differentiable=False)
LCM = defop("lcm", doc="least common multiple of integers (non-negative)", differentiable=False)
CBRT = defop("cbrt", doc="real cube root")
SIGNBIT = defop("signbit", doc="True where the sign bit is set (-0.0 and negative NaN included)",
                differentiable=False)
I0 = defop("i0", doc="the modified Bessel function of the first kind, order 0", differentiable=False)
BITCAST = defop("bitcast", doc="the same bytes read as another dtype (last axis rescaled)", differentiable=False)

_PI = math.pi
_DEG = math.pi / 180.0


def _operands(node: Any, out: Tensor) -> tuple:
    """Both inputs of a binary node as Tensors (a scalar input becomes a 0-d tensor of ``out``'s dtype)."""
    return as_tensor_like(operand(node, 0), out), as_tensor_like(operand(node, 1), out)


def _wants(p: Any) -> bool:
    return p is not None and p.requires_grad


# -- two-argument float functions ------------------------------------------------------------------

def _arctan2_bwd(node, out, g):
    a, b = node.parents
    av, bv = _operands(node, out)
    den = add(square(av), square(bv))
    return (unbroadcast(divide(multiply(g, bv), den), a.shape) if _wants(a) else None,
            unbroadcast(negative(divide(multiply(g, av), den)), b.shape) if _wants(b) else None)


def arctan2(a: Any, b: Any) -> Tensor:
    """Elementwise ``arctan(a / b)`` in the quadrant of the point ``(b, a)``, in ``[-pi, pi]``.

    Gradients: ``b / (a**2 + b**2)`` for ``a`` and ``-a / (a**2 + b**2)`` for ``b`` (NaN at the origin).
    """
    return binary(ARCTAN2, _arctan2_bwd, a, b)


def _hypot_bwd(node, out, g):
    a, b = node.parents
    av, bv = _operands(node, out)
    r = divide(g, out)
    return (unbroadcast(multiply(r, av), a.shape) if _wants(a) else None,
            unbroadcast(multiply(r, bv), b.shape) if _wants(b) else None)


def hypot(a: Any, b: Any) -> Tensor:
    """Elementwise ``sqrt(a**2 + b**2)``, without intermediate overflow. Gradients ``a / out``, ``b / out``."""
    return binary(HYPOT, _hypot_bwd, a, b)


def _copysign_bwd(node, out, g):
    a, b = node.parents
    if not _wants(a):
        return None, None
    av, _ = _operands(node, out)
    same = equal(signbit(av), signbit(out))
    return unbroadcast(where(same, g, negative(g)), a.shape), None


def copysign(a: Any, b: Any) -> Tensor:
    """Elementwise ``|a|`` with the sign bit of ``b``. Gradient ``+-1`` for ``a`` (the sign flip), 0 for ``b``."""
    return binary(COPYSIGN, _copysign_bwd, a, b)


def nextafter(a: Any, b: Any) -> Tensor:
    """Elementwise the next representable float after ``a`` in the direction of ``b`` (not differentiable)."""
    return binary(NEXTAFTER, None, a, b)


def _pick_bwd(node, out, g, keep_a):
    a, b = node.parents
    zero = zeros_like(g)
    return (unbroadcast(where(keep_a, g, zero), a.shape) if _wants(a) else None,
            unbroadcast(where(keep_a, zero, g), b.shape) if _wants(b) else None)


def _fmax_bwd(node, out, g):
    av, bv = _operands(node, out)
    # a wins where a >= b, and wherever b is NaN (fmax ignores the NaN)
    return _pick_bwd(node, out, g, logical_or(logical_not(less(av, bv)), isnan(bv)))


def fmax(a: Any, b: Any) -> Tensor:
    """Elementwise larger of ``a`` and ``b``; a NaN loses to a number (NaN only where both are NaN).

    The gradient goes to ``a`` where ``a >= b`` or ``b`` is NaN, to ``b`` elsewhere.
    """
    return binary(FMAX, _fmax_bwd, a, b)


def _fmin_bwd(node, out, g):
    av, bv = _operands(node, out)
    return _pick_bwd(node, out, g, logical_or(logical_not(greater(av, bv)), isnan(bv)))


def fmin(a: Any, b: Any) -> Tensor:
    """Elementwise smaller of ``a`` and ``b``; a NaN loses to a number (NaN only where both are NaN).

    The gradient goes to ``a`` where ``a <= b`` or ``b`` is NaN, to ``b`` elsewhere.
    """
    return binary(FMIN, _fmin_bwd, a, b)


def _fmod_bwd(node, out, g):
    a, b = node.parents
    gb = None
    if _wants(b):
        av, bv = _operands(node, out)
        # fmod(a, b) = a - b * trunc(a / b); trunc is locally constant
        gb = unbroadcast(negative(multiply(g, trunc(divide(av, bv)))), b.shape)
    return (unbroadcast(g, a.shape) if _wants(a) else None), gb


def fmod(a: Any, b: Any) -> Tensor:
    """Elementwise remainder of ``a / b`` with the sign of ``a`` (C's ``fmod``; ``mod`` takes ``b``'s sign).

    Integer division by zero gives 0 (NumPy's convention). Gradients: 1 for ``a``, ``-trunc(a / b)`` for ``b``.
    """
    return binary(FMOD, _fmod_bwd, a, b)


def heaviside(a: Any, b: Any) -> Tensor:
    """Elementwise step function: 0 where ``a < 0``, ``b`` where ``a == 0``, 1 where ``a > 0``; NaN stays NaN."""
    return binary(HEAVISIDE, None, a, b)


def _ldexp_bwd(node, out, g):
    a, b = node.parents
    return (unbroadcast(ldexp(g, operand(node, 1)), a.shape) if _wants(a) else None), None


def ldexp(a: Any, b: Any) -> Tensor:
    """Elementwise ``a * 2**b`` exactly, for integer ``b``. Gradient ``2**b`` for ``a`` (``b`` is an integer)."""
    bd = getattr(b, "dtype", None)
    if bd is not None and as_dtype(bd).kind not in "iu" or isinstance(b, float):
        raise OpError("ldexp", f"the exponent must be an integer tensor or int, got dtype {bd or type(b).__name__}",
                      shapes=[getattr(x, "shape", ()) for x in (a, b) if isinstance(x, Tensor)])
    return binary(LDEXP, _ldexp_bwd, a, b)


def _logaddexp_bwd(node, out, g):
    a, b = node.parents
    av, bv = _operands(node, out)
    return (unbroadcast(multiply(g, exp(subtract(av, out))), a.shape) if _wants(a) else None,
            unbroadcast(multiply(g, exp(subtract(bv, out))), b.shape) if _wants(b) else None)


def logaddexp(a: Any, b: Any) -> Tensor:
    """Elementwise ``log(exp(a) + exp(b))`` without overflow. Gradients ``exp(a - out)``, ``exp(b - out)``."""
    return binary(LOGADDEXP, _logaddexp_bwd, a, b)


def _logaddexp2_bwd(node, out, g):
    a, b = node.parents
    av, bv = _operands(node, out)
    return (unbroadcast(multiply(g, power(2.0, subtract(av, out))), a.shape) if _wants(a) else None,
            unbroadcast(multiply(g, power(2.0, subtract(bv, out))), b.shape) if _wants(b) else None)


def logaddexp2(a: Any, b: Any) -> Tensor:
    """Elementwise ``log2(2**a + 2**b)`` without overflow. Gradients ``2**(a - out)``, ``2**(b - out)``."""
    return binary(LOGADDEXP2, _logaddexp2_bwd, a, b)


# -- integers and bits (not differentiable) ----------------------------------------------------------

def bitwise_and(a: Any, b: Any) -> Tensor:
    """Elementwise bitwise ``a & b`` of integer or bool inputs, broadcasting."""
    return binary(BITWISE_AND, None, a, b)


def bitwise_or(a: Any, b: Any) -> Tensor:
    """Elementwise bitwise ``a | b`` of integer or bool inputs, broadcasting."""
    return binary(BITWISE_OR, None, a, b)


def bitwise_xor(a: Any, b: Any) -> Tensor:
    """Elementwise bitwise ``a ^ b`` of integer or bool inputs, broadcasting."""
    return binary(BITWISE_XOR, None, a, b)


def bitwise_not(x: Tensor) -> Tensor:
    """Elementwise bitwise ``~x`` (two's complement for signed ints; ``not`` for bools)."""
    return unary(BITWISE_NOT, None, x)


def left_shift(a: Any, b: Any) -> Tensor:
    """Elementwise ``a << b`` of integers, broadcasting."""
    return binary(LEFT_SHIFT, None, a, b)


def right_shift(a: Any, b: Any) -> Tensor:
    """Elementwise ``a >> b`` of integers (sign-extending for signed types), broadcasting."""
    return binary(RIGHT_SHIFT, None, a, b)


def gcd(a: Any, b: Any) -> Tensor:
    """Elementwise greatest common divisor of integers (``gcd(0, 0) = 0``; always >= 0)."""
    return binary(GCD, None, a, b)


def lcm(a: Any, b: Any) -> Tensor:
    """Elementwise least common multiple of integers (0 if either is 0; always >= 0)."""
    return binary(LCM, None, a, b)


# -- unary -------------------------------------------------------------------------------------------

def _cbrt_bwd(node, out, g):
    return (divide(g, multiply(square(out), 3.0)),)


def cbrt(x: Tensor) -> Tensor:
    """Elementwise real cube root (negative for negative ``x``). Gradient ``1 / (3 cbrt(x)**2)`` (inf at 0)."""
    return unary(CBRT, _cbrt_bwd, x)


def signbit(x: Tensor) -> Tensor:
    """Elementwise test of the sign bit (bool): True for negatives, ``-0.0`` and negative NaNs."""
    return unary(SIGNBIT, None, x)


def i0(x: Tensor) -> Tensor:
    """Elementwise modified Bessel function of the first kind, order 0 (even in ``x``).

    Not differentiable here: its derivative ``i1`` has no NumPy/CuPy kernel.
    """
    return unary(I0, None, x)


def bitcast(x: Tensor, dtype: Any) -> Tensor:
    """The bytes of ``x`` read as ``dtype`` (NumPy's ``ndarray.view(dtype)``). Not differentiable.

    Same item size: same shape. Otherwise the last axis is rescaled by the ratio of item sizes; that
    needs ``x`` to have at least one axis and a last axis whose byte count the new item size divides.
    """
    dt = as_dtype(dtype)
    old = x.dtype.itemsize
    if dt.itemsize != old:
        if x.ndim == 0:
            raise OpError("bitcast", f"cannot view a 0-d {x.dtype} tensor as {dt}: the item sizes differ "
                          f"({old} and {dt.itemsize} bytes); expected a tensor with at least one axis",
                          shapes=(x.shape,), dtypes=(x.dtype,))
        if (x.shape[-1] * old) % dt.itemsize:
            raise OpError("bitcast", f"cannot view the last axis ({x.shape[-1]} x {old} bytes) as {dt} "
                          f"({dt.itemsize} bytes each); expected a byte count divisible by {dt.itemsize}",
                          shapes=(x.shape,), dtypes=(x.dtype,))
    return unary(BITCAST, None, x, dtype=dt)


# -- composites ----------------------------------------------------------------------------------------

def deg2rad(x: Tensor) -> Tensor:
    """Elementwise degrees to radians, ``x * pi / 180``."""
    return multiply(x, _DEG)


def rad2deg(x: Tensor) -> Tensor:
    """Elementwise radians to degrees, ``x * 180 / pi``."""
    return multiply(x, 180.0 / math.pi)


def isposinf(x: Tensor) -> Tensor:
    """Elementwise test for ``+inf`` (bool)."""
    return logical_and(isinf(x), greater(x, 0))


def isneginf(x: Tensor) -> Tensor:
    """Elementwise test for ``-inf`` (bool)."""
    return logical_and(isinf(x), less(x, 0))


def sinc(x: Tensor) -> Tensor:
    """Elementwise normalised sinc, ``sin(pi x) / (pi x)`` and 1 at 0 (differentiable, also at 0)."""
    zero = equal(x, 0)
    px = multiply(where(zero, ones_like(x), x), _PI)
    return where(zero, ones_like(px), divide(sin(px), px))


def angle(x: Tensor) -> Tensor:
    """The argument of real ``x`` as a complex number: ``arctan2(0, x)`` (pi for negatives and -0.0, 0 else)."""
    return arctan2(zeros_like(x), x)


def isclose(a: Tensor, b: Tensor, rtol: float = 1e-5, atol: float = 1e-8, equal_nan: bool = False) -> Tensor:
    """Elementwise ``|a - b| <= atol + rtol * |b|`` (bool), as ``numpy.isclose``: infinities are close
    only to themselves, NaN only to NaN and only with ``equal_nan``. Inputs broadcast."""
    finite = logical_not(logical_or(isinf(a), isinf(b)))
    fb = where(finite, b, 0)  # infinities compared below by equality (no inf - inf)
    tol = add(multiply(abs(fb), rtol), atol)
    close = logical_and(less_equal(abs(subtract(where(finite, a, 0), fb)), tol), finite)
    close = logical_or(close, logical_and(equal(a, b), logical_not(finite)))
    if equal_nan:
        close = logical_or(close, logical_and(isnan(a), isnan(b)))
    return close

