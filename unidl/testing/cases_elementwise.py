"""Op cases of :mod:`unidl.ops.elementwise_extra` (appended to :data:`unidl.testing.cases.CASES`)."""
from __future__ import annotations

from typing import List

import numpy as np

from unidl import ops

from .cases import BOOL, FLOATS, I32, I64, TOLERANCES, TRANSCENDENTAL, Gen, OpCase, Sample, binary, unary

_INTS = (I32, I64)
# libm-style functions: a device may be a few ulp off NumPy's
TOLERANCES.update({op: TRANSCENDENTAL for op in ("arctan2", "hypot", "logaddexp", "logaddexp2", "cbrt", "i0")})


def _ldexp(g: Gen) -> Sample:
    dt = g.dtype(FLOATS)
    sa, sb = g.shapes(2)
    return Sample((g.array(sa, dt), g.array(sb, g.choice(_INTS, "exp_dtype"), -8, 8)))


def _ints(lo: int, hi: int, with_bool: bool = False):
    def gen(g: Gen) -> Sample:
        dt = g.choice(_INTS + ((BOOL,) if with_bool else ()), "dtype")
        sa, sb = g.shapes(2)
        return Sample((g.array(sa, dt, lo, hi), g.array(sb, dt, lo, hi)))
    return gen


def _shift(g: Gen) -> Sample:
    dt = g.choice(_INTS, "dtype")
    sa, sb = g.shapes(2)
    return Sample((g.array(sa, dt, -1000, 1000), g.array(sb, dt, 0, 8)))


def _bitwise_not(g: Gen) -> Sample:
    return Sample((g.array(g.shape(), g.choice(_INTS + (BOOL,), "dtype"), -100, 100),))


def _bitcast(g: Gen) -> Sample:
    src = g.choice([np.dtype(np.int32), np.dtype(np.float32), np.dtype(np.int16), np.dtype(np.float64)], "src")
    shape = g.shape(min_dims=1, max_dims=3)
    shape = shape[:-1] + (shape[-1] * 4,)  # every target item size divides the last axis' bytes
    dst = g.choice([np.dtype(np.uint8), np.dtype(np.int16), np.dtype(np.float32), np.dtype(np.int64)], "dst")
    return Sample((g.array(shape, src, -100, 100),), {"dtype": dst})


def build() -> List[OpCase]:
    """The cases (one per primitive op; gradients checked where the op is differentiable)."""
    c: List[OpCase] = []
    for op in ("arctan2", "hypot", "logaddexp", "logaddexp2"):
        c.append(OpCase(op, binary(-4, 4, FLOATS, away_b=0.25), getattr(ops, op), special=True))
    c.append(OpCase("copysign", binary(-4, 4, FLOATS, away_b=0.25), ops.copysign, wrt=(0,), special=True))
    for op in ("fmax", "fmin"):
        c.append(OpCase(op, binary(-4, 4, FLOATS), getattr(ops, op), special=True))
    c.append(OpCase("fmod", binary(-4, 4, FLOATS, away_b=0.5), ops.fmod, special=True))
    c.append(OpCase("fmod", _ints(-20, 20), name="fmod-int"))
    c.append(OpCase("nextafter", binary(-4, 4, FLOATS), special=True))
    c.append(OpCase("heaviside", binary(-2, 2, FLOATS), special=True))
    c.append(OpCase("ldexp", _ldexp, ops.ldexp, wrt=(0,), special=True))
    for op in ("bitwise_and", "bitwise_or", "bitwise_xor"):
        c.append(OpCase(op, _ints(-1000, 1000, with_bool=True)))
    c.append(OpCase("bitwise_not", _bitwise_not))
    for op in ("left_shift", "right_shift"):
        c.append(OpCase(op, _shift))
    for op in ("gcd", "lcm"):
        c.append(OpCase(op, _ints(-60, 60)))
    c.append(OpCase("cbrt", unary(-8, 8, FLOATS, away=0.25), ops.cbrt, special=True))
    c.append(OpCase("signbit", unary(-4, 4, FLOATS), special=True))
    c.append(OpCase("i0", unary(-10, 10, FLOATS), special=True))
    c.append(OpCase("bitcast", _bitcast))
    return c
