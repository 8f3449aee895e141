"""More elementwise ``keras.ops`` (``keras.ops.numpy``): arctan2, hypot, nextafter, fmax, fmin, fmod,
heaviside, ldexp, logaddexp2, the bitwise ops and shifts, gcd, lcm, angle, cbrt, deg2rad, rad2deg,
fabs, isneginf, isposinf, signbit, sinc, isreal, i0 and view (``isclose``'s body is here too).

The math is :mod:`unidl.ops` (``unidl.ops.elementwise_extra``); this module applies Keras 3's dtype
rules (see :mod:`._dtypes`: results as Keras's ``result_type``; "float" ops give floatx for ints) and
argument checks. Elementwise ops broadcast symbolic shapes as Keras does (:mod:`._broadcast`).
Imported by :mod:`.numpy`, which re-exports every name in this module's ``__all__``.
"""
from __future__ import annotations

from typing import Any, List

import numpy as np

from unidl import ops as U
from unidl.tensor import Tensor

from ..backend import config
from . import _dtypes
from . import numpy as _np
from ._broadcast import symbolic_broadcast
from ._dtypes import operands, result_type, to_tensor
from .node import symbolic

__all__: List[str] = []

_SMALL_INTS = ("int8", "int16", "int32", "uint8", "uint16", "uint32")


def _public(name: str) -> None:
    # ``keras.ops.numpy`` (imported while it runs: its ``__all__`` exists) and so ``keras.ops`` list it too
    __all__.append(name)
    if name not in _np.__all__:
        _np.__all__.append(name)


def _export(fn):
    _public(fn.__name__)
    return symbolic(fn)


def _export_ew(fn):
    _public(fn.__name__)
    return symbolic_broadcast(fn)


def _is_float(dt: np.dtype) -> bool:
    return dt.kind == "f" or dt.name == "bfloat16"


def _float_type(*xs: Any) -> np.dtype:
    """Keras's ``result_type(*xs, float)``: the result type when floating, else floatx."""
    dt = result_type(*xs)
    return dt if _is_float(dt) else np.dtype(config.floatx())


def _cast2(x1: Any, x2: Any, dt: np.dtype) -> list:
    return operands(x1, x2, dtype=dt)


def _int_to_float(dt: np.dtype, with_bool: bool = False) -> np.dtype:
    """Keras's rule of hypot/heaviside/cbrt: int8..uint32 give floatx, int64 gives float64."""
    if dt.name in _SMALL_INTS or with_bool and dt.kind == "b":
        return np.dtype(config.floatx())
    if dt.name in ("int64", "uint64"):
        return np.dtype("float64")
    return dt


# -- two-argument float functions -----------------------------------------------------------------------

@_export_ew
def arctan2(x1: Any, x2: Any) -> Tensor:
    """Elementwise ``arctan(x1 / x2)`` in the quadrant of ``(x2, x1)``; ints give floatx. Shapes broadcast."""
    return U.arctan2(*_cast2(x1, x2, _float_type(x1, x2)))


@_export_ew
def hypot(x1: Any, x2: Any) -> Tensor:
    """Elementwise ``sqrt(x1**2 + x2**2)``; int8..uint32 give floatx, int64 float64. Shapes broadcast."""
    return U.hypot(*_cast2(x1, x2, _int_to_float(result_type(x1, x2), with_bool=True)))


@_export_ew
def nextafter(x1: Any, x2: Any) -> Tensor:
    """The next float after ``x1`` towards ``x2``; ints give floatx. Shapes broadcast."""
    return U.nextafter(*_cast2(x1, x2, _float_type(x1, x2)))


@_export_ew
def fmax(x1: Any, x2: Any) -> Tensor:
    """Elementwise maximum, ignoring NaNs (NaN only where both are). Shapes broadcast."""
    return U.fmax(*operands(x1, x2))


@_export_ew
def fmin(x1: Any, x2: Any) -> Tensor:
    """Elementwise minimum, ignoring NaNs (NaN only where both are). Shapes broadcast."""
    return U.fmin(*operands(x1, x2))


@_export_ew
def fmod(x1: Any, x2: Any) -> Tensor:
    """Elementwise remainder with the sign of ``x1`` (C ``fmod``); bools give int32. Shapes broadcast."""
    dt = result_type(x1, x2)
    return U.fmod(*_cast2(x1, x2, np.dtype("int32") if dt.kind == "b" else dt))


@_export_ew
def heaviside(x1: Any, x2: Any) -> Tensor:
    """Step function: 0 where ``x1 < 0``, ``x2`` where ``x1 == 0``, 1 where ``x1 > 0``. Shapes broadcast."""
    return U.heaviside(*_cast2(x1, x2, _int_to_float(result_type(x1, x2), with_bool=True)))


@_export_ew
def ldexp(x1: Any, x2: Any) -> Tensor:
    """Elementwise ``x1 * 2**x2`` for an integer ``x2``; the result is floating. Shapes broadcast."""
    e = to_tensor(x2)
    if e.dtype.kind not in "iu":
        raise TypeError(f"ldexp exponent must be an integer type. Received: x2 dtype={e.dtype}")
    dt = _float_type(x1, x2)
    m = _dtypes.cast_to(to_tensor(x1), dt)
    return U.ldexp(m, e if e.dtype.itemsize >= 4 else _dtypes.cast_to(e, "int32"))


@_export_ew
def logaddexp2(x1: Any, x2: Any) -> Tensor:
    """``log2(2**x1 + 2**x2)`` without overflow; ints give floatx. Shapes broadcast."""
    return U.logaddexp2(*_cast2(x1, x2, _float_type(x1, x2)))


# -- bits and integers ----------------------------------------------------------------------------------

def _bitwise(core_fn, name: str, doc: str):
    def fn(x: Any, y: Any) -> Tensor:
        return core_fn(*operands(x, y))

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc + " Integer or bool inputs; shapes broadcast."
    return _export_ew(fn)


bitwise_and = _bitwise(U.bitwise_and, "bitwise_and", "Elementwise ``x & y``.")
bitwise_or = _bitwise(U.bitwise_or, "bitwise_or", "Elementwise ``x | y``.")
bitwise_xor = _bitwise(U.bitwise_xor, "bitwise_xor", "Elementwise ``x ^ y``.")
gcd = _bitwise(U.gcd, "gcd", "Elementwise greatest common divisor.")
lcm = _bitwise(U.lcm, "lcm", "Elementwise least common multiple.")


def _shift(core_fn, name: str, doc: str):
    def fn(x: Any, y: Any) -> Tensor:
        if isinstance(y, (int, np.integer)) and not isinstance(y, bool):
            t = to_tensor(x)
            return core_fn(t, t.dtype.type(y))
        return core_fn(*operands(x, y))

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc + " A Python int ``y`` keeps ``x``'s dtype; shapes broadcast."
    return _export_ew(fn)


bitwise_left_shift = _shift(U.left_shift, "bitwise_left_shift", "Elementwise ``x << y``.")
bitwise_right_shift = _shift(U.right_shift, "bitwise_right_shift", "Elementwise ``x >> y``.")
left_shift = _shift(U.left_shift, "left_shift", "Elementwise ``x << y`` (as ``bitwise_left_shift``).")
right_shift = _shift(U.right_shift, "right_shift", "Elementwise ``x >> y`` (as ``bitwise_right_shift``).")


@_export_ew
def bitwise_invert(x: Any) -> Tensor:
    """Elementwise ``~x`` (logical not for bools). Shape: unchanged."""
    return U.bitwise_not(to_tensor(x))


@_export_ew
def bitwise_not(x: Any) -> Tensor:
    """Elementwise ``~x`` (as ``bitwise_invert``). Shape: unchanged."""
    return U.bitwise_not(to_tensor(x))


# -- unary ------------------------------------------------------------------------------------------------

def _float_of_keras(dt: np.dtype) -> np.dtype:
    """Keras's rule of angle/sinc: floats keep their dtype, everything else gives floatx."""
    return dt if _is_float(dt) else np.dtype(config.floatx())


def _cast(x: Any, dt: Any) -> Tensor:
    return _dtypes.cast_to(to_tensor(x), dt)


@_export
def angle(x: Any) -> Tensor:
    """The argument of ``x`` as a complex number: pi for negatives, 0 otherwise (unidl tensors are real)."""
    t = to_tensor(x)
    return U.angle(_cast(t, _float_of_keras(t.dtype)))


@_export
def cbrt(x: Any) -> Tensor:
    """Real cube root; bools and int8..uint32 give floatx, int64 float64. Shape: unchanged."""
    t = to_tensor(x)
    return U.cbrt(_cast(t, _int_to_float(t.dtype, with_bool=True)))


def _deg_rad_dtype(dt: np.dtype) -> np.dtype:
    if dt.name in ("int64", "float64"):
        return np.dtype("float64")
    if dt.name in ("float16", "bfloat16"):
        return dt
    return np.dtype(config.floatx())


@_export
def deg2rad(x: Any) -> Tensor:
    """Degrees to radians; 16-bit floats keep their dtype, (u)int64/float64 give float64, others floatx."""
    t = to_tensor(x)
    return U.deg2rad(_cast(t, _deg_rad_dtype(t.dtype)))


@_export
def rad2deg(x: Any) -> Tensor:
    """Radians to degrees; 16-bit floats keep their dtype, (u)int64/float64 give float64, others floatx."""
    t = to_tensor(x)
    return U.rad2deg(_cast(t, _deg_rad_dtype(t.dtype)))


@_export
def fabs(x: Any) -> Tensor:
    """``|x|`` as floats (ints and bools give floatx). Shape: unchanged."""
    t = to_tensor(x)
    return U.abs(_cast(t, _float_of_keras(t.dtype)))


@_export
def isneginf(x: Any) -> Tensor:
    """True where ``x`` is ``-inf`` (bool). Shape: unchanged."""
    t = to_tensor(x)
    return U.isneginf(t) if _is_float(t.dtype) else U.zeros_like(t, dtype="bool")


@_export
def isposinf(x: Any) -> Tensor:
    """True where ``x`` is ``+inf`` (bool). Shape: unchanged."""
    t = to_tensor(x)
    return U.isposinf(t) if _is_float(t.dtype) else U.zeros_like(t, dtype="bool")


@_export
def signbit(x: Any) -> Tensor:
    """True where the sign bit of ``x`` is set (negatives, ``-0.0``), bool. Shape: unchanged."""
    t = to_tensor(x)
    return U.signbit(t) if t.dtype.kind != "b" else U.zeros_like(t, dtype="bool")


@_export
def sinc(x: Any) -> Tensor:
    """Normalised sinc ``sin(pi x) / (pi x)`` (1 at 0); ints give floatx. Shape: unchanged."""
    t = to_tensor(x)
    return U.sinc(_cast(t, _float_of_keras(t.dtype)))


@_export
def isreal(x: Any) -> Tensor:
    """True where the imaginary part is 0 (bool): everywhere for unidl's real tensors; a complex NumPy
    input is tested on its imaginary part. Shape: unchanged."""
    if isinstance(x, np.ndarray) and np.iscomplexobj(x):
        return U.equal(to_tensor(np.ascontiguousarray(x.imag)), 0)
    return U.ones_like(to_tensor(x), dtype="bool")


@_export
def i0(x: Any) -> Tensor:
    """Modified Bessel function of the first kind, order 0; (u)int64/float64 give float64, 16-bit floats
    keep their dtype, others floatx. Shape: unchanged."""
    t = to_tensor(x)
    return U.i0(_cast(t, _deg_rad_dtype(t.dtype)))


# -- closeness ------------------------------------------------------------------------------------------

def isclose_(x1: Any, x2: Any, rtol: float = 1e-5, atol: float = 1e-8, equal_nan: bool = False) -> Tensor:
    """``keras.ops.isclose`` (exported by :mod:`.numpy`): ``|x1 - x2| <= atol + rtol * |x2|`` for floats
    (infinities close only to themselves, NaNs only with ``equal_nan``), equality for ints and bools."""
    dt = result_type(x1, x2)
    a, b = to_tensor(x1, dt), to_tensor(x2, dt)
    if _is_float(dt):
        return U.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan)
    return U.equal(a, b)


# -- reinterpretation -----------------------------------------------------------------------------------

@_export
def view(x: Any, dtype: Any = None) -> Tensor:
    """The bytes of ``x`` read as ``dtype`` (the last axis rescales with the item size). Not differentiable."""
    t = to_tensor(x, x.dtype) if isinstance(x, (np.ndarray, np.generic)) else to_tensor(x)  # keep int16 etc.
    if dtype is None:
        return t
    return U.bitcast(t, config.standardize_dtype(dtype))
