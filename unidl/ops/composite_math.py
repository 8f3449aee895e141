"""Composites of the elementwise math functions outside the primitive tier: inverse trigonometric and
hyperbolic functions, cbrt, hypot, erfinv, i0, logaddexp2, ldexp, heaviside, copysign, signbit, round,
nextafter. Conventions as in ``composite_basic``.

The transcendental ones compute in float64 from ``exp``, ``log1p``, ``sqrt`` and an arctangent written here
(argument halving and a Taylor series) and round back once: float32 directly, 16-bit floats through float32
as NumPy's float16 loops (and ml_dtypes' bfloat16 ones) do. They agree with the reference kernel within the
op's tolerance (``reordered``). The sign, bit and rounding ops (copysign, signbit, nextafter, heaviside,
ldexp, round) and erfinv (the reference kernel's own steps) give the kernel's bits.

Binary ops take a Python scalar on either side, as the kernels do; the output dtype is the one NumPy's
ufunc gives for the operands (asked of NumPy on 0-d stand-ins: host work only, no device data read).
"""
from __future__ import annotations

import math

import numpy as np

from .composite_basic import _c, composite, full

_F64 = np.dtype(np.float64)
_F32 = np.dtype(np.float32)
_PI = math.pi
_PI_2 = math.pi / 2
_LN2 = math.log(2.0)
_LOG2E = 1.0 / math.log(2.0)
_INF, _NAN = float("inf"), float("nan")


# -- dtypes and operands ----------------------------------------------------------------------------
def _is_float(dt) -> bool:
    return dt.kind == "f" or (dt.kind == "V" and dt.itemsize == 2)  # bfloat16 (ml_dtypes) has kind "V"


def _unary_dtype(dt):
    """The dtype a NumPy float ufunc gives for ``dt``: itself for floats, float16/32/64 for bool and integers."""
    return dt if _is_float(dt) else np.result_type(dt, np.float16)


def _stand_in(v):
    return np.zeros((), v.dtype) if hasattr(v, "dtype") and not isinstance(v, np.generic) else v


def _binary_dtype(ufunc, a, b):
    """The output dtype of ``ufunc(a, b)`` (NEP 50: a Python scalar takes the array's dtype). Raises as the
    kernel would for operands the ufunc has no loop for (ldexp of a float exponent, an int out of range)."""
    with np.errstate(all="ignore"):
        return np.dtype(ufunc(_stand_in(a), _stand_in(b)).dtype)


def _operand(K, v, dt):
    """``v`` (an array or a scalar) as an array of ``dt`` on K's device."""
    if hasattr(v, "shape") and not isinstance(v, np.generic):
        return v if v.dtype == dt else K.astype(v, dt)
    return full(K, (), v, dt)


def _to64(K, x):
    return x if x.dtype == _F64 else K.astype(x, _F64)


def _back(K, y, dt):
    """A float64 result rounded to ``dt``; 16-bit floats through float32 (NumPy's half loops and ml_dtypes'
    bfloat16 ones compute in float32 and round that)."""
    if dt == _F64:
        return y
    if dt.itemsize <= 2:
        y = K.astype(y, _F32)
    return K.astype(y, dt)


def _unary(K, x, fn):
    """``fn`` (float64 in, float64 out) applied to ``x`` with the output dtype of a NumPy float ufunc."""
    return _back(K, fn(K, _to64(K, x)), _unary_dtype(x.dtype))


def _binary(K, ufunc, a, b, fn):
    dt = _binary_dtype(ufunc, a, b)
    return _back(K, fn(K, _to64(K, _operand(K, a, dt)), _to64(K, _operand(K, b, dt))), dt)


def _odd(K, x, r):
    """``r`` computed from ``|x|`` given the sign of ``x`` (-r for x < 0; ±0 kept as they are; NaN stays)."""
    return K.where(K.less(x, 0.0), K.negative(r), K.where(K.equal(x, 0.0), x, r))


def _int_of(dt):
    return np.dtype({8: np.int64, 4: np.int32, 2: np.int16}[dt.itemsize])


def _view(K, x, dt):
    """``x``'s bits read as ``dt`` of the same item size (the shape restated: a device's view of a 0-d array may
    come back 1-d)."""
    return K.reshape(K.bitcast(x, dt), x.shape)


def _signbit_of(K, x):
    """The sign bit of float ``x`` (set for -0.0 and negative NaNs): the bits read as a signed integer."""
    return K.less(_view(K, x, _int_of(x.dtype)), 0)


# -- arctangent -------------------------------------------------------------------------------------
_ATAN_TERMS = 12  # after two halvings |t| <= tan(pi/16): t**25/25 is below 2**-56 of t


def _atan_unit(K, t):
    """atan(t) for float64 |t| <= 1 (or NaN): two halvings atan(t) = 2 atan(t / (1 + sqrt(1 + t*t))), then
    the Taylor series t - t**3/3 + t**5/5 - ... in Horner form, times 4. Below 2**-27 atan(t) rounds to t
    (kept as it is, so tiny and subnormal t lose no bits to the halvings)."""
    t0 = t
    for _ in range(2):
        t = K.divide(t, K.add(K.sqrt(K.add(K.multiply(t, t), 1.0)), 1.0))
    z = K.multiply(t, t)
    p = full(K, (), (-1.0) ** _ATAN_TERMS / (2 * _ATAN_TERMS + 1), _F64)
    for k in range(_ATAN_TERMS - 1, 0, -1):
        p = K.add(K.multiply(p, z), (-1.0) ** k / (2 * k + 1))
    r = K.multiply(K.add(t, K.multiply(K.multiply(t, z), p)), 4.0)
    return K.where(K.less(K.abs(t0), 2.0 ** -27), t0, r)


def _atan(K, x):
    """atan(x) in float64: atan(x) = ±pi/2 - atan(1/x) for |x| > 1."""
    big = K.greater(K.abs(x), 1.0)
    t = K.where(big, K.divide(1.0, K.where(big, x, 1.0)), x)
    r = _atan_unit(K, t)
    r = K.where(big, K.subtract(K.where(K.greater(x, 0.0), _PI_2, -_PI_2), r), r)
    return K.where(K.equal(x, 0.0), x, r)  # -0.0 stays


def _atan2(K, y, x):
    """atan2(y, x) in float64 from atan(min/max) of the magnitudes, then the octant and the signs (sign bits,
    so ±0 and ±inf give C99's atan2 values)."""
    ay, ax = K.abs(y), K.abs(x)
    lo, hi = K.minimum(ay, ax), K.maximum(ay, ax)
    both_inf = K.equal(lo, _INF)  # the diagonal: q = 1
    q = K.divide(K.where(both_inf, 1.0, lo), K.where(K.where(both_inf, True, K.equal(hi, 0.0)), 1.0, hi))
    r = _atan_unit(K, q)
    r = K.where(K.greater(ay, ax), K.subtract(_PI_2, r), r)
    r = K.where(_signbit_of(K, x), K.subtract(_PI, r), r)
    return K.where(_signbit_of(K, y), K.negative(r), r)


def _sqrt_1mx2(K, x):
    """sqrt(1 - x*x) as sqrt((1 - x)(1 + x)): 1 - x is exact near 1; NaN for |x| > 1."""
    return K.sqrt(K.multiply(K.subtract(1.0, x), K.add(1.0, x)))


@composite("arctan", reordered=True)
def _arctan(K, x):
    return _unary(K, x, _atan)


@composite("arcsin", reordered=True)
def _arcsin(K, x):
    return _unary(K, x, lambda K, x: _atan2(K, x, _sqrt_1mx2(K, x)))


@composite("arccos", reordered=True)
def _arccos(K, x):
    return _unary(K, x, lambda K, x: _atan2(K, _sqrt_1mx2(K, x), x))


@composite("arctan2", reordered=True)
def _arctan2(K, a, b):
    return _binary(K, np.arctan2, a, b, _atan2)


# -- hyperbolic functions and their inverses ------------------------------------------------------------
_HUGE = 2.0 ** 28  # from here sqrt(1 + x*x) is |x| in float64
_EXP_SPLIT = 22.0  # from here exp(-x) is below 2**-63 of exp(x)


def _sinh64(K, x):
    # |x| < 22: with e = expm1(|x|), sinh = (e + e / (e + 1)) / 2; beyond, (w / 2) * w with w = exp(|x| / 2)
    a = K.abs(x)
    e = K.expm1(K.minimum(a, _EXP_SPLIT))
    near = K.multiply(K.add(e, K.divide(e, K.add(e, 1.0))), 0.5)
    w = K.exp(K.multiply(a, 0.5))
    return _odd(K, x, K.where(K.less(a, _EXP_SPLIT), near, K.multiply(K.multiply(w, 0.5), w)))


def _cosh64(K, x):
    a = K.abs(x)
    e = K.exp(K.minimum(a, _EXP_SPLIT))
    near = K.multiply(K.add(e, K.divide(1.0, e)), 0.5)
    w = K.exp(K.multiply(a, 0.5))
    return K.where(K.less(a, _EXP_SPLIT), near, K.multiply(K.multiply(w, 0.5), w))


def _arcsinh64(K, x):
    # log1p(a + a*a / (1 + sqrt(1 + a*a))) (no cancellation near 0); log(a) + log 2 for huge a
    a = K.abs(x)
    s = K.minimum(a, _HUGE)
    s2 = K.multiply(s, s)
    near = K.log1p(K.add(s, K.divide(s2, K.add(K.sqrt(K.add(s2, 1.0)), 1.0))))
    far = K.add(K.log(K.maximum(a, _HUGE)), _LN2)
    return _odd(K, x, K.where(K.greater(a, _HUGE), far, near))


def _arccosh64(K, x):
    # with t = x - 1 (exact near 1): log1p(t + sqrt(t (t + 2))); log(x) + log 2 for huge x; NaN below 1
    t = K.subtract(K.minimum(K.maximum(x, 1.0), _HUGE), 1.0)
    near = K.log1p(K.add(t, K.sqrt(K.multiply(t, K.add(t, 2.0)))))
    far = K.add(K.log(K.maximum(x, _HUGE)), _LN2)
    r = K.where(K.greater(x, _HUGE), far, near)
    return K.where(K.less(x, 1.0), _NAN, K.where(K.equal(x, x), r, x))


def _arctanh64(K, x):
    # log1p(2a / (1 - a)) / 2: 1 - a is exact near 1; inf at 1, NaN beyond
    a = K.abs(x)
    return _odd(K, x, K.multiply(K.log1p(K.divide(K.multiply(a, 2.0), K.subtract(1.0, a))), 0.5))


@composite("sinh", reordered=True)
def _sinh(K, x):
    return _unary(K, x, _sinh64)


@composite("cosh", reordered=True)
def _cosh(K, x):
    return _unary(K, x, _cosh64)


@composite("arcsinh", reordered=True)
def _arcsinh(K, x):
    return _unary(K, x, _arcsinh64)


@composite("arccosh", reordered=True)
def _arccosh(K, x):
    return _unary(K, x, _arccosh64)


@composite("arctanh", reordered=True)
def _arctanh(K, x):
    return _unary(K, x, _arctanh64)


# -- roots, norms, logs ---------------------------------------------------------------------------------
def _cbrt64(K, x):
    # y = exp(log(a) / 3), then one Newton step y + (a / y**2 - y) / 3; 0, inf and NaN pass through
    a = K.abs(x)
    ok = K.where(K.greater(a, 0.0), K.less(a, _INF), False)
    s = K.where(ok, a, 1.0)
    y = K.exp(K.divide(K.log(s), 3.0))
    y = K.add(y, K.divide(K.subtract(K.divide(s, K.multiply(y, y)), y), 3.0))
    return _odd(K, x, K.where(ok, y, a))


@composite("cbrt", reordered=True)
def _cbrt(K, x):
    return _unary(K, x, _cbrt64)


def _hypot64(K, a, b):
    # hi * sqrt(1 + (lo/hi)**2) (no overflow); inf where either is infinite, the other NaN or not (C99)
    aa, ab = K.abs(a), K.abs(b)
    lo, hi = K.minimum(aa, ab), K.maximum(aa, ab)
    q = K.divide(K.where(K.equal(hi, _INF), 0.0, lo), K.where(K.greater(hi, 0.0), hi, 1.0))
    r = K.multiply(hi, K.sqrt(K.add(K.multiply(q, q), 1.0)))
    inf = K.where(K.equal(aa, _INF), True, K.equal(ab, _INF))
    return K.where(inf, _INF, r)


@composite("hypot", reordered=True)
def _hypot(K, a, b):
    return _binary(K, np.hypot, a, b, _hypot64)


def _logaddexp2_64(K, a, b):
    # max + log2(1 + 2**-|a - b|); a + 1 where a == b (equal infinities included)
    m = K.maximum(a, b)
    same = K.equal(a, b)
    d = K.abs(K.subtract(K.where(same, 0.0, a), K.where(same, 0.0, b)))  # (no inf - inf)
    y = K.add(m, K.multiply(K.log1p(K.power(2.0, K.negative(d))), _LOG2E))
    return K.where(same, K.add(a, 1.0), y)


@composite("logaddexp2", reordered=True)
def _logaddexp2(K, a, b):
    return _binary(K, np.logaddexp2, a, b, _logaddexp2_64)


# -- i0 -------------------------------------------------------------------------------------------------
_I0_SPLIT = 20.0
_I0_SERIES = 36  # terms of sum (x*x/4)**k / (k!)**2 for |x| <= 20
_I0_ASYMPTOTIC = 28  # terms of the asymptotic series in 1/x for |x| > 20


def _i0_64(K, x):
    """I0 in float64: its power series for |x| <= 20; beyond, exp(x) / sqrt(2 pi x) * sum c_k / x**k with
    c_k = c_{k-1} (2k - 1)**2 / (8k). exp(x) comes first, so I0 overflows where exp does (as NumPy's)."""
    a = K.abs(x)
    s = K.minimum(a, _I0_SPLIT)
    q = K.multiply(K.multiply(s, s), 0.25)
    p = full(K, (), 1.0, _F64)
    for k in range(_I0_SERIES, 0, -1):
        p = K.add(K.divide(K.multiply(p, q), float(k * k)), 1.0)
    b = K.maximum(a, _I0_SPLIT)
    u = K.divide(1.0, b)
    coef = [1.0]
    for k in range(1, _I0_ASYMPTOTIC + 1):
        coef.append(coef[-1] * (2 * k - 1) ** 2 / (8 * k))
    h = full(K, (), coef[-1], _F64)
    for c in reversed(coef[:-1]):
        h = K.add(K.multiply(h, u), c)
    far = K.multiply(K.exp(b), K.divide(K.multiply(h, 1.0 / math.sqrt(2.0 * _PI)), K.sqrt(b)))
    r = K.where(K.greater(a, _I0_SPLIT), far, p)
    return K.where(K.equal(a, _INF), _NAN, r)  # NumPy's i0(inf) is inf/inf


@composite("i0", reordered=True)
def _i0(K, x):
    dt = x.dtype
    if not _is_float(dt):
        return _i0_64(K, _to64(K, x))  # NumPy's i0 of bool and integers is float64
    r = K.astype(_i0_64(K, _to64(K, x)), dt) if dt != _F64 else _i0_64(K, x)
    if dt.kind == "f" and dt.itemsize < 8:
        # NumPy evaluates float16/float32 in their own precision: inf where exp(|x|) overflows there
        a = K.abs(x)
        over = K.where(K.equal(K.exp(a), _c(x, _INF)), K.less(a, _c(x, _INF)), False)
        r = K.where(over, _c(x, _INF), r)
    return r


# -- erfinv ---------------------------------------------------------------------------------------------
@composite("erfinv", via_float32=True, arrays=1)
def _erfinv(K, x):
    """The reference kernel's steps: M. Giles' approximation, then three Newton steps on erf (erfc beyond
    0.5, where 1 - |x| is exact), in float64."""
    from ..xpkernels.special import _TWO_OVER_SQRT_PI, _W_BIG, _W_SMALL

    dt = x.dtype if _is_float(x.dtype) else _F64
    a = _to64(K, x)  # (bfloat16 arrives as float32: the op runs this composite via_float32, as its kernel)
    ax = K.abs(a)
    inside = K.less(ax, 1.0)
    t = K.where(inside, a, 0.0)
    w = K.negative(K.log(K.multiply(K.subtract(1.0, t), K.add(1.0, t))))
    ws, wb = K.subtract(w, 2.5), K.subtract(K.sqrt(K.maximum(w, 5.0)), 3.0)
    ps, pb = _W_SMALL[0], _W_BIG[0]
    for cs, cb in zip(_W_SMALL[1:], _W_BIG[1:]):
        ps = K.add(K.multiply(ps, ws), cs)
        pb = K.add(K.multiply(pb, wb), cb)
    y = K.multiply(K.where(K.less(w, 5.0), ps, pb), t)
    s = K.sign(t)
    at = K.abs(t)
    r = K.subtract(1.0, at)
    near = K.greater(at, 0.5)
    for _ in range(3):
        d = K.multiply(_TWO_OVER_SQRT_PI, K.exp(K.multiply(K.negative(y), y)))
        f = K.where(near, K.multiply(K.negative(s), K.subtract(K.erfc(K.abs(y)), r)), K.subtract(K.erf(y), t))
        pos = K.greater(d, 0.0)
        y = K.subtract(y, K.where(pos, K.divide(f, K.where(pos, d, 1.0)), 0.0))
    edge = K.where(K.greater(a, 0.0), _INF, -_INF)
    out = K.where(inside, y, K.where(K.equal(ax, 1.0), edge, _NAN))
    if dt == _F64:
        return out
    return K.astype(out, dt)


# -- signs, bits, steps ---------------------------------------------------------------------------------
@composite("signbit")
def _signbit(K, x):
    dt = x.dtype
    if _is_float(dt):
        return _signbit_of(K, x)
    if dt.kind == "i":
        return K.less(x, _c(x, 0))
    return full(K, x.shape, False, np.bool_)  # bool and unsigned: never negative


@composite("copysign")
def _copysign(K, a, b):
    """|a| with b's sign bit: abs and negative only touch the sign bit, so every bit is the kernel's."""
    dt = _binary_dtype(np.copysign, a, b)
    x, y = _operand(K, a, dt), _operand(K, b, dt)
    m = K.abs(x)
    return K.where(_signbit_of(K, y), K.negative(m), m)


@composite("heaviside")
def _heaviside(K, a, b):
    dt = _binary_dtype(np.heaviside, a, b)
    x, h = _operand(K, a, dt), _operand(K, b, dt)
    t = dt.type
    r = K.where(K.equal(x, t(0)), h, t(_NAN))
    return K.where(K.less(x, t(0)), t(0), K.where(K.greater(x, t(0)), t(1), r))


@composite("nextafter")
def _nextafter(K, a, b):
    """One step of the float's bits (read as a signed integer, +1 moves away from zero) towards ``b``; the
    smallest subnormal with b's sign from ±0. Where a == b: b, except float16, whose NumPy loop gives a."""
    dt = _binary_dtype(np.nextafter, a, b)
    x, y = _operand(K, a, dt), _operand(K, b, dt)
    it = _int_of(dt)
    one = it.type(1)
    away = K.equal(K.greater(y, x), K.greater(x, _c(x, 0)))
    bits = _view(K, x, it)
    n = _view(K, K.where(away, K.add(bits, one), K.subtract(bits, one)), dt)
    tiny = _view(K, full(K, (), 1, it), dt)
    n = K.where(K.equal(x, _c(x, 0)), K.where(K.greater(y, _c(y, 0)), tiny, K.negative(tiny)), n)
    n = K.where(K.equal(x, y), x if dt == np.float16 else y, n)
    ok = K.where(K.equal(x, x), K.equal(y, y), False)
    return K.where(ok, n, _c(x, _NAN))


_LDEXP_SMALL = 400  # |exponent| past which a float32/16 result is 0 or inf for every finite mantissa
_LDEXP_BIG = 2200  # the same for float64


def _pow2(K, e):
    """2.0**e exactly for int64 e in [-1022, 1023], from the bits of the float."""
    return _view(K, K.multiply(K.add(e, np.int64(1023)), np.int64(1 << 52)), _F64)


@composite("ldexp")
def _ldexp(K, a, b):
    """a * 2**b rounded once. float16/32: in float64 (exact for every clamped exponent), then rounded.
    float64: up to three power-of-two factors, ordered so that only the last can round (growing
    exponents never round before overflow; shrinking ones are exact until the last factor, 2**-1022)."""
    dt = _binary_dtype(np.ldexp, a, b)
    x = _to64(K, _operand(K, a, dt))
    e = _operand(K, b, np.dtype(np.int64))
    if dt != _F64:
        e = K.maximum(K.minimum(e, np.int64(_LDEXP_SMALL)), np.int64(-_LDEXP_SMALL))
        return _back(K, K.multiply(x, _pow2(K, e)), dt)
    e = K.maximum(K.minimum(e, np.int64(_LDEXP_BIG)), np.int64(-_LDEXP_BIG))
    pos = K.greater(e, np.int64(0))
    # e > 0: e1 = min(e, 1023), e2 = min(e - e1, 1023), e3 = the rest (all applied growing)
    up1 = K.minimum(e, np.int64(1023))
    up2 = K.minimum(K.subtract(e, up1), np.int64(1023))
    # e <= 0: e3 = max(e, -1022) last; e2 = max(rest, -1022); e1 = what remains (>= -156)
    dn3 = K.maximum(e, np.int64(-1022))
    rest = K.subtract(e, dn3)
    dn2 = K.maximum(rest, np.int64(-1022))
    e1 = K.where(pos, up1, K.subtract(rest, dn2))
    e2 = K.where(pos, up2, dn2)
    e3 = K.where(pos, K.subtract(K.subtract(e, up1), up2), dn3)
    for k in (e1, e2, e3):
        x = K.multiply(x, _pow2(K, k))
    return x


# -- round ----------------------------------------------------------------------------------------------
def _pow10(n: int) -> float:
    """10.0**n as NumPy's round forms it: exact up to 1e8, then multiplied by 10 one step at a time."""
    if n < 9:
        return float(10 ** n)
    r = 1e9
    for _ in range(n - 9):
        r *= 10.0
    return r


def _rint(K, y):
    """Round half to even: (|y| + 2**p) - 2**p rounds at the units (p = the float's mantissa bits); values
    from 2**p on are integers already; the sign is put back (-0.0 for -0.5 < y <= -0.0)."""
    dt = y.dtype
    p = {8: 52, 4: 23}.get(dt.itemsize, 10 if dt.kind == "f" else 7)
    big = dt.type(2.0 ** p)
    a = K.abs(y)
    r = K.subtract(K.add(a, big), big)
    return K.where(K.less(a, big), _odd(K, y, r), y)


@composite("round")
def _round(K, x, decimals=0):
    """NumPy's round: rint for decimals == 0; otherwise scale by 10**|decimals|, rint, scale back (integers
    in float64 and back when decimals < 0, unchanged otherwise)."""
    dt = x.dtype
    if not _is_float(dt):
        if dt.kind == "b":
            if decimals:
                raise TypeError("round: bool input with decimals != 0 has no rounding loop (NumPy refuses it)")
            return _rint(K, K.astype(x, np.float16))
        if decimals >= 0:
            return K.astype(x, dt)  # a copy
        f = _pow10(-decimals)
        return K.astype(K.multiply(_rint(K, K.divide(_to64(K, x), f)), f), dt)
    if decimals == 0:
        return _rint(K, x)
    if decimals > 0:
        f = _c(x, _pow10(decimals))
        return K.divide(_rint(K, K.multiply(x, f)), f)
    f = _c(x, _pow10(-decimals))
    return K.multiply(_rint(K, K.divide(x, f)), f)
