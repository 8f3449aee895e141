"""Composites of the integer and bit-level ops: bitwise and/or/xor/not, shifts, floor division and
remainders, fmax/fmin, gcd/lcm, float8 rounding, nonzero and argsort. Conventions as in ``composite_basic``.

The tier has no bitwise op but ``right_shift``, ``bitcast`` and ``astype``: the bits of each byte y are
read as ``(y >> j) - 2 * (y >> (j + 1))`` and put back with multiplications by powers of two; shifts are
multiplications in the unsigned view (integer arithmetic wraps modulo 2**n, as the bit operations do). Integer division runs in float64 where
that is exact (up to 32 bits) and as float64 estimates with exact integer corrections for 64 bits; float
remainders are exact (a long division by the divisor scaled by powers of two). Everything follows NumPy's
ufunc loops (the reference kernels), special values and integer division by zero included.
"""
from __future__ import annotations

import math

import numpy as np

from .composite_basic import _count, arange, composite, full

_F64 = np.dtype(np.float64)
_U64 = np.dtype(np.uint64)
_I64 = np.dtype(np.int64)


# -- operands ---------------------------------------------------------------------------------------
def _is_array(v):
    return hasattr(v, "shape") and hasattr(v, "dtype") and not isinstance(v, np.generic)


def _operands(K, ufunc, a, b):
    """``a``, ``b`` as arrays of the dtypes NumPy's ``ufunc`` loop takes, and the loop's result dtype. A
    Python scalar is weak (NEP 50: it takes the array's dtype); NumPy scalars and bools are strong."""
    def spec(v):
        if hasattr(v, "dtype"):
            return np.dtype(v.dtype)
        return np.dtype(np.bool_) if isinstance(v, bool) else type(v)

    ta, tb, to = getattr(np, ufunc).resolve_dtypes((spec(a), spec(b), None))
    return _as(K, a, ta), _as(K, b, tb), to


def _as(K, v, dt):
    if _is_array(v):
        return v if v.dtype == dt else K.astype(v, dt)
    return full(K, (), v, dt)


def _shape2(a, b):
    return tuple(np.broadcast_shapes(a.shape, b.shape))


def _unsigned(dt):
    return np.dtype(f"u{np.dtype(dt).itemsize}")


def _view(K, x, dt):
    """``x`` reinterpreted as ``dt`` of the same item size (0-d kept 0-d)."""
    if x.dtype == dt:
        return x
    if x.ndim == 0:
        return K.reshape(K.bitcast(K.reshape(x, (1,)), dt), ())
    return K.bitcast(x, dt)


def _signbit(K, x):
    """The sign bit of floats (-0.0 and negative NaN included), read from an integer view."""
    return K.less(_view(K, x, np.dtype(f"i{x.dtype.itemsize}")), 0)


def _isnan(K, x):
    return K.equal(K.equal(x, x), False)


def _not(K, m):
    return K.equal(m, False)


def _or(K, a, b):
    return K.where(a, True, b)


def _and(K, a, b):
    return K.where(a, b, False)


def _signed_zero(K, neg, dt):
    return K.where(neg, dt.type(-0.0), dt.type(0.0))


def _compute_float(dt):
    """Where NumPy computes a float dtype's divmod: float16 (and bfloat16) through float32."""
    return np.dtype(np.float32) if dt.itemsize < 4 else dt


def _plan(dt):
    """The dtype whose exponent range bounds an fmod's long division: float16 its own, bfloat16 float32's."""
    return dt if dt == np.float16 else _compute_float(dt)


# -- bitwise ops ------------------------------------------------------------------------------------
def _bytes(K, x):
    """``x``'s bytes: uint8, shape ``x.shape + (itemsize,)``."""
    return K.bitcast(K.reshape(x, x.shape + (1,)), np.uint8)


def _bytewise(K, a, b, combine):
    """``combine`` applied to the bits of the bytes of a and b (same shape and dtype), bit by bit: bit j of
    a byte y is (y >> j) - 2 * (y >> (j + 1)); the results are put back with weights 2**j."""
    ra, rb = _bytes(K, a), _bytes(K, b)
    acc = None
    for j in range(8):
        ha, hb = K.right_shift(ra, np.uint8(1)), K.right_shift(rb, np.uint8(1))
        c = combine(K.subtract(ra, K.multiply(ha, np.uint8(2))), K.subtract(rb, K.multiply(hb, np.uint8(2))))
        acc = c if acc is None else K.add(acc, K.multiply(c, np.uint8(1 << j)))  # distinct bits: no carry
        ra, rb = ha, hb
    return K.reshape(K.bitcast(acc, a.dtype), a.shape)


def _bitwise(K, ufunc, a, b, combine, logical):
    a, b, dt = _operands(K, ufunc, a, b)
    if dt == np.bool_:
        return logical(a, b)
    if dt.kind not in "iu":
        raise TypeError(f"{ufunc} expects integers or bools, got {dt}")
    shape = _shape2(a, b)
    return _bytewise(K, K.broadcast_to(a, shape), K.broadcast_to(b, shape), combine)


@composite("bitwise_and")
def _bitwise_and(K, a, b):
    return _bitwise(K, "bitwise_and", a, b, K.multiply, lambda x, y: _and(K, x, y))


@composite("bitwise_or")
def _bitwise_or(K, a, b):
    return _bitwise(K, "bitwise_or", a, b, K.maximum, lambda x, y: _or(K, x, y))


@composite("bitwise_xor")
def _bitwise_xor(K, a, b):
    return _bitwise(K, "bitwise_xor", a, b, lambda x, y: K.subtract(K.maximum(x, y), K.minimum(x, y)),
                    lambda x, y: _not(K, K.equal(x, y)))


@composite("bitwise_not")
def _bitwise_not(K, x):
    k = x.dtype.kind
    if k == "b":
        return _not(K, x)
    if k == "u":
        return K.subtract(x.dtype.type(np.iinfo(x.dtype).max), x)
    if k == "i":
        return K.subtract(K.negative(x), x.dtype.type(1))  # ~x = -x - 1, wrapping
    raise TypeError(f"bitwise_not expects integers or bools, got {x.dtype}")


@composite("left_shift")
def _left_shift(K, a, b):
    """a * 2**b in the unsigned view (wraps as the shift does); 0 where b is negative or >= the bit width
    (NumPy's rule: the count is compared as an unsigned number)."""
    a, b, dt = _operands(K, "left_shift", a, b)
    if dt.kind not in "iu":
        raise TypeError(f"left_shift expects integers, got {dt}")
    ut = _unsigned(dt)
    width = 8 * dt.itemsize
    s = K.minimum(K.astype(b, _U64), np.uint64(width))  # a negative count reads as a huge one
    p = K.power(ut.type(2), K.astype(s, ut))  # 2**width wraps to 0
    return _view(K, K.multiply(_view(K, a, ut), p), dt)


# -- integer division -------------------------------------------------------------------------------
def _udivmod64(K, ua, ub):
    """Quotient and remainder of uint64 ``ua`` by uint64 ``ub`` (> 0): two float64 estimates, each a
    little low so the remainders stay non-negative (at most 2*ub + 2**14 after the first), then one exact
    correction."""
    c = np.float64(1.0 - 2.0 ** -50)
    bf = K.astype(ub, _F64)
    q1 = K.astype(K.floor(K.multiply(K.divide(K.astype(ua, _F64), bf), c)), _U64)
    r = K.subtract(ua, K.multiply(q1, ub))
    q2 = K.astype(K.floor(K.multiply(K.divide(K.astype(r, _F64), bf), c)), _U64)
    r = K.subtract(r, K.multiply(q2, ub))
    low = K.less(r, ub)
    q = K.where(low, K.add(q1, q2), K.add(K.add(q1, q2), np.uint64(1)))
    return q, K.where(low, r, K.subtract(r, ub))


def _magnitude(K, x):
    """|x| as uint64 (|INT64_MIN| = 2**63) and whether x < 0."""
    ux = K.astype(x, _U64)
    if x.dtype.kind == "u":
        return ux, None
    neg = K.less(x, 0)
    return K.where(neg, K.subtract(np.uint64(0), ux), ux), neg


def _int_divmod(K, a, b, dt, want):
    """floor_divide ('floor'), mod ('mod') or fmod ('fmod') of integers of dtype ``dt``; 0 where b == 0
    (NumPy's result), INT_MIN // -1 wraps to INT_MIN."""
    zero = K.equal(b, 0)
    if dt.itemsize <= 4:
        # exact in float64: a non-integral a/b is at least 1/|b| from an integer, far more than an ulp
        af, bf = K.astype(a, _F64), K.astype(K.where(zero, dt.type(1), b), _F64)
        t = K.divide(af, bf)
        if want == "fmod":
            q = K.where(K.less(t, 0), K.negative(K.floor(K.negative(t))), K.floor(t))
        else:
            q = K.floor(t)
        if want == "floor":
            res = K.astype(K.astype(q, _I64), dt)  # via int64: 2**31 wraps to INT32_MIN
        else:
            res = K.astype(K.subtract(af, K.multiply(q, bf)), dt)
        return K.where(zero, dt.type(0), res)
    ua, na = _magnitude(K, a)
    ub, nb = _magnitude(K, K.where(zero, dt.type(1), b))
    q, r = _udivmod64(K, ua, ub)
    if dt.kind == "u":
        out = q if want == "floor" else r
    elif want == "fmod":
        out = K.where(na, K.subtract(np.uint64(0), r), r)
    else:
        differ = _not(K, K.equal(na, nb))
        if want == "floor":
            up = K.add(q, K.astype(_and(K, differ, _not(K, K.equal(r, 0))), _U64))
            out = K.where(differ, K.subtract(np.uint64(0), up), q)
        else:
            m = K.where(_and(K, differ, _not(K, K.equal(r, 0))), K.subtract(ub, r), r)
            out = K.where(nb, K.subtract(np.uint64(0), m), m)
    return K.where(zero, dt.type(0), _view(K, out, dt))


# -- float remainders -------------------------------------------------------------------------------
def _fmod_steps(dt):
    """(the step exponents k, whether the divisor is split) of an exact fmod of ``dt`` in float64: each step
    takes up to ``chunk`` quotient bits, few enough that their product with the divisor is exact."""
    fi = np.finfo(dt)
    p = fi.nmant + 1
    span = (fi.maxexp + 1) - (fi.minexp - fi.nmant)  # log2 of the largest |a| / smallest |b|, rounded up
    split = p > 26
    chunk = 26 if split else 53 - p
    top = max(0, math.ceil((span - chunk) / chunk))
    return [chunk * m for m in range(top, -1, -1)], split


def _scale(K, x, k):
    """x * 2**k (k >= 0), exact unless it overflows."""
    while k > 0:
        s = min(k, 1000)
        x = K.multiply(x, np.float64(2.0 ** s))
        k -= s
    return x


def _hi26(K, b):
    """``b`` (float64 >= 0) with the low 27 bits of its significand cleared (26 significant bits at most)."""
    u = _view(K, b, _U64)
    return _view(K, K.multiply(K.right_shift(u, np.uint64(27)), np.uint64(1 << 27)), _F64)


def _fmod_abs(K, r, b, dt):
    """fmod(r, b) for finite r >= 0 and finite b > 0 given in float64 (values of ``dt``), exactly.

    A long division by b * 2**k for falling k: q = floor(r / (b 2**k)) has at most ``chunk`` bits, so
    q * b 2**k is exact (float64 divisors split into two halves, the product's rounding error recovered by
    TwoSum), r - q b 2**k is exact, and a q one too large (the quotient rounded up to an integer) is undone.
    """
    ks, split = _fmod_steps(dt)
    bh = _hi26(K, b) if split else None
    bl = K.subtract(b, bh) if split else None
    for k in ks:
        bk = _scale(K, b, k)
        q = K.floor(K.divide(r, bk))  # b 2**k = inf (overflow): q = 0
        pos = K.greater(q, 0)
        if split:
            ph = K.where(pos, K.multiply(q, _scale(K, bh, k)), 0.0)
            pl = K.where(pos, K.multiply(q, _scale(K, bl, k)), 0.0)
            p = K.add(ph, pl)
            z = K.subtract(p, ph)
            e = K.add(K.subtract(ph, K.subtract(p, z)), K.subtract(pl, z))  # ph + pl - p, exactly
            rem = K.subtract(K.subtract(r, p), e)
        else:
            rem = K.subtract(r, K.where(pos, K.multiply(q, bk), 0.0))
        r = K.where(K.less(rem, 0), K.add(rem, bk), rem)
    return r


def _fmod_float(K, a, b, plan=None):
    """C's fmod (exact): the sign of a; NaN where a is inf or NaN, b is NaN or b == 0; a where b is inf.
    ``plan``: the dtype whose range sizes the long division (a float16 computed in float32: float16's)."""
    dt = a.dtype
    wa, wb = (a, b) if dt == _F64 else (K.astype(a, _F64), K.astype(b, _F64))
    absa, absb = K.abs(wa), K.abs(wb)
    bad = _or(K, _or(K, _isnan(K, wa), _isnan(K, wb)), _or(K, K.equal(absa, np.inf), K.equal(wb, 0)))
    keep = _and(K, K.equal(absb, np.inf), _not(K, bad))
    skip = _or(K, bad, keep)
    with np.errstate(over="ignore", invalid="ignore"):  # b 2**k overflowing (and times 0) is expected
        r = _fmod_abs(K, K.where(skip, 0.0, absa), K.where(skip, 1.0, absb), plan or dt)
    r = K.where(_signbit(K, wa), K.negative(r), r)
    r = K.where(keep, wa, K.where(bad, np.nan, r))
    return r if dt == _F64 else K.astype(r, dt)


def _float_divmod(K, a, b, want):
    """NumPy's divmod of floats (npy_divmod): mod = fmod moved to b's sign, div = (a - mod) / b snapped
    to an integer; b == 0 gives fmod's NaN and a / b."""
    dt = a.dtype
    ct = _compute_float(dt)
    if ct != dt:
        a, b = K.astype(a, ct), K.astype(b, ct)
    t = ct.type
    mod = _fmod_float(K, a, b, _plan(dt))
    bz = K.equal(b, 0)
    nz = _not(K, K.equal(mod, 0))  # NaN counts as non-zero
    adj = _and(K, nz, _not(K, K.equal(K.less(b, 0), K.less(mod, 0))))
    if want == "mod":
        out = K.where(nz, K.where(adj, K.add(mod, b), mod), _signed_zero(K, K.less(b, 0), ct))
        out = K.where(bz, mod, out)
    else:
        div = K.divide(K.subtract(a, mod), b)
        div = K.where(adj, K.subtract(div, t(1)), div)
        fl = K.floor(div)
        fl = K.where(K.greater(K.subtract(div, fl), t(0.5)), K.add(fl, t(1)), fl)
        q = K.divide(a, b)
        out = K.where(K.equal(div, 0), _signed_zero(K, _signbit(K, q), ct), fl)
        out = K.where(bz, q, out)
    return out if ct == dt else K.astype(out, dt)


def _division(K, ufunc, a, b, want):
    a, b, dt = _operands(K, ufunc, a, b)
    if dt.kind in "iu":
        return _int_divmod(K, a, b, dt, want)
    if dt.kind == "b":
        raise TypeError(f"{ufunc} has no bool loop")
    if want == "fmod":
        ct = _compute_float(dt)
        if ct == dt:
            return _fmod_float(K, a, b)
        return K.astype(_fmod_float(K, K.astype(a, ct), K.astype(b, ct), _plan(dt)), dt)
    return _float_divmod(K, a, b, want)


@composite("floor_divide")
def _floor_divide(K, a, b):
    return _division(K, "floor_divide", a, b, "floor")


@composite("mod")
def _mod(K, a, b):
    return _division(K, "remainder", a, b, "mod")


@composite("fmod")
def _fmod(K, a, b):
    return _division(K, "fmod", a, b, "fmod")


# -- fmax / fmin ------------------------------------------------------------------------------------
def _fpick(K, ufunc, a, b):
    a, b, dt = _operands(K, ufunc, a, b)
    if dt.kind not in "fV":
        return K.maximum(a, b) if ufunc == "fmax" else K.minimum(a, b)
    # (a >= b or b is NaN) ? a : b: a tie (+0 vs -0) gives the first operand, as the reference kernel
    wins = _or(K, K.greater(a, b) if ufunc == "fmax" else K.less(a, b), K.equal(a, b))
    return K.where(_or(K, wins, _isnan(K, b)), a, b)


@composite("fmax")
def _fmax(K, a, b):
    return _fpick(K, "fmax", a, b)


@composite("fmin")
def _fmin(K, a, b):
    return _fpick(K, "fmin", a, b)


# -- gcd / lcm --------------------------------------------------------------------------------------
def _euclid_rounds(bits):
    """Division steps Euclid's algorithm can need on numbers below 2**bits (Lame: log_phi), two to spare."""
    return int(math.ceil(bits * math.log(2) / math.log((1 + math.sqrt(5)) / 2))) + 2


def _abs_unsigned(K, x, dt):
    """|x| in the unsigned type of x's width (|INT_MIN| = 2**(n-1), as NumPy's wrapping negation gives)."""
    if dt.kind == "i":
        x = K.where(K.less(x, 0), K.negative(x), x)
    return _view(K, x, _unsigned(dt))


def _gcd_parts(K, a, b, ufunc):
    a, b, dt = _operands(K, ufunc, a, b)
    if dt.kind not in "iu":
        raise TypeError(f"{ufunc} expects integers, got {dt}")
    ua, ub = _abs_unsigned(K, a, dt), _abs_unsigned(K, b, dt)
    shape = _shape2(ua, ub)
    ua, ub = K.broadcast_to(ua, shape), K.broadcast_to(ub, shape)
    wide = dt.itemsize == 8
    x, y = (ua, ub) if wide else (K.astype(ua, _F64), K.astype(ub, _F64))  # exact below 2**53
    zero = x.dtype.type(0)
    for _ in range(_euclid_rounds(8 * dt.itemsize)):
        nz = _not(K, K.equal(y, 0))
        ys = K.where(nz, y, x.dtype.type(1))
        if wide:
            _, r = _udivmod64(K, x, ys)
        else:
            r = K.subtract(x, K.multiply(K.floor(K.divide(x, ys)), ys))
        x, y = K.where(nz, y, x), K.where(nz, r, zero)
    return x, ua, ub, dt, wide


@composite("gcd")
def _gcd(K, a, b):
    """Euclid's algorithm on |a|, |b| (unsigned), as many vectorised rounds as the width can need."""
    g, _, _, dt, wide = _gcd_parts(K, a, b, "gcd")
    return _view(K, g if wide else K.astype(g, _unsigned(dt)), dt)


@composite("lcm")
def _lcm(K, a, b):
    """|a| / gcd * |b| in the unsigned type (wrapping), 0 where the gcd is 0."""
    g, ua, ub, dt, wide = _gcd_parts(K, a, b, "lcm")
    ut = _unsigned(dt)
    gz = K.equal(g, 0)
    if wide:
        q, _ = _udivmod64(K, ua, K.where(gz, np.uint64(1), g))
    else:
        q = K.astype(K.floor(K.divide(K.astype(ua, _F64), K.where(gz, 1.0, g))), ut)
    return _view(K, K.where(gz, ut.type(0), K.multiply(q, ub)), dt)


# -- float8 rounding --------------------------------------------------------------------------------
@composite("float8_round")
def _float8_round(K, x, mbits, emin):
    """The kernel's rounding to multiples of q = 2**(max(e, emin) - mbits), e the binade of |x|, ties to even,
    in float64 (exact for every input dtype): e from the exponent field, q built from its bits; inf and NaN
    pass through."""
    dt = x.dtype
    w = x if dt == _F64 else K.astype(x, _F64)
    fin = K.less(K.abs(w), np.inf)
    w0 = K.where(fin, w, 0.0)
    e = K.subtract(K.astype(K.right_shift(_view(K, K.abs(w0), _U64), np.uint64(52)), _I64), np.int64(1023))
    k = K.subtract(K.maximum(e, np.int64(emin)), np.int64(mbits))  # in [emin - mbits, 1023 - mbits]
    inv_q = _view(K, K.multiply(K.astype(K.subtract(np.int64(1023), k), _U64), np.uint64(1 << 52)), _F64)
    q = _view(K, K.multiply(K.astype(K.add(k, np.int64(1023)), _U64), np.uint64(1 << 52)), _F64)
    v = K.multiply(w0, inv_q)  # exact, |v| < 2**(mbits + 1)
    h = K.add(v, 0.5)
    r = K.floor(h)
    odd = K.equal(K.subtract(r, K.multiply(K.floor(K.multiply(r, 0.5)), 2.0)), 1.0)
    r = K.where(_and(K, K.equal(h, r), odd), K.subtract(r, 1.0), r)  # a tie rounds to the even neighbour
    r = K.where(K.equal(r, 0), _signed_zero(K, _signbit(K, v), _F64), r)  # -0.3 rounds to -0.0
    y = K.where(fin, K.multiply(r, q), w)
    return y if dt == _F64 else K.astype(y, dt)


# -- nonzero and argsort ----------------------------------------------------------------------------
def _to_host(K, x):
    """``x`` copied to the host (synchronises with the device)."""
    from ..devices import DEVICES

    return np.asarray(DEVICES.types[K._device_type].to_host(x))


@composite("nonzero")
def _nonzero(K, x):
    """Each non-zero entry's coordinates scattered to its rank (a cumulative count) among them. The count
    of non-zero entries, the output length, is read on the host: this synchronises with the device."""
    if x.ndim == 0:
        x = K.reshape(x, (1,))
    shape, nd, size = x.shape, x.ndim, x.size
    hit = _not(K, K.equal(x, x.dtype.type(0))) if x.dtype != np.bool_ else x
    hit = K.reshape(hit, (size,))
    ones = K.astype(hit, _I64)
    n = int(_to_host(K, K.sum(ones))) if size else 0
    if n == 0:
        return tuple(full(K, (0,), 0, _I64) for _ in range(nd))
    slot = K.where(hit, K.subtract(K.cumsum(ones, axis=0), np.int64(1)), np.int64(n))  # the rest: slot n
    cols = []
    for i, d in enumerate(shape):
        grid = K.reshape(arange(K, d), (1,) * i + (d,) + (1,) * (nd - i - 1))
        cols.append(K.reshape(K.broadcast_to(grid, shape), (size, 1)))
    coords = K.concatenate(*cols, axis=1) if nd > 1 else cols[0]
    coords = K.where(K.reshape(hit, (size, 1)), coords, np.int64(0))
    out = K.index_add(None, coords, (slot,), (n + 1, nd), False)
    return tuple(K.getitem(out, (slice(0, n), i)) for i in range(nd))


@composite("argsort")
def _argsort(K, x, axis=-1, descending=False):
    """Ranks by comparison counting (j goes before i when it is smaller, or equal with j < i: stable; NaN
    last ascending, first descending, as the kernel's sorts), then each index placed at its rank."""
    nd = x.ndim
    axis = axis % nd
    n = x.shape[axis]
    perm = tuple(i for i in range(nd) if i != axis) + (axis,)
    xt = K.transpose(x, perm) if axis != nd - 1 else x
    lead = xt.shape[:-1]
    xi = K.reshape(xt, lead + (n, 1))
    xj = K.reshape(xt, lead + (1, n))
    earlier = K.less(K.reshape(arange(K, n), (1, n)), K.reshape(arange(K, n), (n, 1)))  # [i, j]: j < i
    first = K.greater(xj, xi) if descending else K.less(xj, xi)
    tie = K.equal(xj, xi)
    if x.dtype.kind in "fV":
        ni, nj = _isnan(K, xi), _isnan(K, xj)
        nan_first = _and(K, nj, _not(K, ni)) if descending else _and(K, ni, _not(K, nj))
        first = _or(K, first, nan_first)
        tie = _or(K, tie, _and(K, ni, nj))
    before = _or(K, first, _and(K, tie, earlier))
    m = _count(lead, None)
    rank = K.sum(K.astype(before, np.int32), axis=(len(lead) + 1,))  # the position of element i
    rank = K.reshape(K.astype(rank, _I64), (m, n))
    rows = K.broadcast_to(K.reshape(arange(K, m), (m, 1)), (m, n))
    idx = K.index_add(None, K.broadcast_to(K.reshape(arange(K, n), (1, n)), (m, n)), (rows, rank), (m, n), False)
    idx = K.reshape(idx, lead + (n,))  # out[rank_i] = i (the ranks are a permutation)
    if axis != nd - 1:
        inv = [0] * nd
        for i, p in enumerate(perm):
            inv[p] = i
        idx = K.transpose(idx, tuple(inv))
    return idx
