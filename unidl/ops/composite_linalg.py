"""Composites of the linear-algebra, spectral, random and segment ops: einsum, the exact integer GEMMs,
FFTs, inv, slogdet, random permutations and integers, segment reductions and the FTRL update.
Conventions as in ``composite_basic``.
"""
from __future__ import annotations

import functools
import math

import numpy as np

from .composite_basic import _clip, _count, arange, composite, full

_M64 = (1 << 64) - 1


def _xp(K):
    from ..devices import DEVICES

    return DEVICES.types[K._device_type].xp


def _to_host(K, x):
    """``x`` copied to the host (synchronises with the device)."""
    from ..devices import DEVICES

    return np.asarray(DEVICES.types[K._device_type].to_host(x))


def _const(K, a):
    """A host NumPy constant (index tables, twiddle factors) on K's device."""
    return _xp(K).asarray(a)


# -- einsum ------------------------------------------------------------------------------------------
def _einsum_terms(subscripts, shapes):
    """The input terms and the output term of ``subscripts`` as lists of labels, '...' expanded into
    labels of its own (right-aligned across operands, as NumPy broadcasts them); implicit output: the
    labels that appear once, in character order, after the '...' dims."""
    s = subscripts.replace(" ", "")
    lhs, arrow, out = s.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise ValueError(f"einsum: {len(terms)} term(s) in {subscripts!r} for {len(shapes)} operand(s)")
    ell_nd = []
    for t, shp in zip(terms, shapes):
        core = t.replace("...", "")
        ell_nd.append(len(shp) - len(core) if "..." in t else 0)
        if ell_nd[-1] < 0 or ("..." not in t and len(t) != len(shp)):
            raise ValueError(f"einsum: term {t!r} does not match an operand of {len(shp)} dimension(s)")
    ne = max(ell_nd, default=0)
    ell = [("...", i) for i in range(ne)]

    def expand(t, k):
        if "..." not in t:
            return list(t)
        a, _, b = t.partition("...")
        return list(a) + ell[ne - k:] + list(b)

    labels = [expand(t, k) for t, k in zip(terms, ell_nd)]
    if arrow:
        out_l = expand(out, ne) if "..." in out else list(out)
    else:
        chars = [c for t in terms for c in t if c != "."]
        out_l = ell + sorted(c for c in set(chars) if chars.count(c) == 1)
    return labels, out_l


def _sum_axes(K, x, axes):
    """``x`` summed over ``axes`` in x's own dtype (NumPy's sum widens bools and small integers: cast back,
    which wraps as an einsum accumulating in the dtype does; a bool sum becomes 'any')."""
    if not axes:
        return x
    s = K.sum(x, axis=tuple(axes))
    return K.astype(s, x.dtype) if s.dtype != x.dtype else s


def _diagonal(K, x, lab):
    """Repeated labels of one operand reduced to their diagonal (the repeated axes moved last, then one
    gather with a shared arange)."""
    while len(set(lab)) != len(lab):
        c = next(c for c in lab if lab.count(c) > 1)
        pos = [i for i, d in enumerate(lab) if d == c]
        rest = [i for i in range(len(lab)) if i not in pos]
        x = K.transpose(x, tuple(rest + pos))
        n = min(x.shape[len(rest):])
        ar = arange(K, n)
        x = K.getitem(x, (Ellipsis,) + (ar,) * len(pos))
        lab = [lab[i] for i in rest] + [c]
    return x, lab


def _contract(K, a, la, b, lb, keep):
    """Operands ``a`` (labels ``la``) and ``b`` contracted by one batched matmul: the labels both share and
    ``keep`` needs are batch dims, the other shared ones are summed; the result's labels are returned."""
    batch = [c for c in la if c in lb and c in keep]
    contr = [c for c in la if c in lb and c not in keep]
    fa = [c for c in la if c not in lb]
    fb = [c for c in lb if c not in la]
    da, db = dict(zip(la, a.shape)), dict(zip(lb, b.shape))
    size = {c: max(da[c], db[c]) if da[c] != 1 and db[c] != 1 else da[c] * db[c] for c in batch + contr}
    at = K.transpose(a, tuple(la.index(c) for c in batch + fa + contr))
    bt = K.transpose(b, tuple(lb.index(c) for c in batch + contr + fb))
    at = K.broadcast_to(at, tuple(size[c] for c in batch) + tuple(da[c] for c in fa) + tuple(size[c] for c in contr))
    bt = K.broadcast_to(bt, tuple(size[c] for c in batch + contr) + tuple(db[c] for c in fb))
    nb, nc = _count([size[c] for c in batch], None), _count([size[c] for c in contr], None)
    na, nf = _count([da[c] for c in fa], None), _count([db[c] for c in fb], None)
    lead = (nb,) if batch else ()
    r = K.matmul(K.reshape(at, lead + (na, nc)), K.reshape(bt, lead + (nc, nf)))
    shape = tuple(size[c] for c in batch) + tuple(da[c] for c in fa) + tuple(db[c] for c in fb)
    return K.reshape(r, shape), batch + fa + fb


def _einsum_compute(K, ops, subscripts):
    labels, out = _einsum_terms(subscripts, [x.shape for x in ops])
    arrs = []
    for x, lab in zip(ops, labels):
        arrs.append(_diagonal(K, x, list(lab)))
    # labels found in one operand only and not in the output are summed out first
    for i, (x, lab) in enumerate(arrs):
        elsewhere = set(out).union(*[set(l2) for j, (_, l2) in enumerate(arrs) if j != i])
        drop = [k for k, c in enumerate(lab) if c not in elsewhere]
        arrs[i] = (_sum_axes(K, x, drop), [c for c in lab if c in elsewhere])
    x, lab = arrs[0]
    for i in range(1, len(arrs)):
        b, lb = arrs[i]
        keep = set(out).union(*[set(l2) for _, l2 in arrs[i + 1:]])
        x, lab = _contract(K, x, lab, b, lb, keep)
    x = _sum_axes(K, x, [k for k, c in enumerate(lab) if c not in out])
    lab = [c for c in lab if c in out]
    if lab != out:
        x = K.transpose(x, tuple(lab.index(c) for c in out))
    return x


@composite("einsum", reordered=True, via_float32=True)
def _einsum(K, *operands, subscripts):
    """Diagonals of repeated labels, singly used labels summed, then a left-to-right chain of batched
    matmuls (NumPy's einsum sums its own way: within the reduction tolerance; integers exactly).
    bfloat16 and float16 are computed in float32 and rounded back, as the kernel's float32 loop."""
    rdt = np.result_type(*[x.dtype for x in operands])
    cdt = np.dtype(np.float32) if rdt.kind == "V" or rdt == np.float16 else rdt
    ops = [x if x.dtype == cdt else K.astype(x, cdt) for x in operands]
    r = _einsum_compute(K, ops, subscripts)
    return r if r.dtype == rdt else K.astype(r, rdt)


# -- exact integer products --------------------------------------------------------------------------
@composite("int_matmul")
def _int_matmul(K, a, b):
    # the kernel's float64 GEMM: integer sums below 2**53 are exact in any order
    f = np.float64
    return K.astype(K.matmul(K.astype(a, f), K.astype(b, f)), np.int32)


@composite("int_einsum")
def _int_einsum(K, a, b, subscripts):
    f = np.float64
    return K.astype(K.einsum(K.astype(a, f), K.astype(b, f), subscripts=subscripts), np.int32)


# -- FFTs: DFT matrices (float64 twiddles) by matmul, four-step splits for long transforms -----------
_DIRECT = 256  # up to this length (or a prime length) a transform is one matmul with the DFT matrix


@functools.lru_cache(maxsize=64)
def _twiddle(rows, cols, n, sign):
    """cos and ``sign`` * sin of 2 pi r c / n for r < rows, c < cols (host float64, angles reduced mod n)."""
    rc = (np.arange(rows, dtype=np.int64)[:, None] * np.arange(cols, dtype=np.int64)[None, :]) % n
    ang = rc.astype(np.float64) * (2.0 * math.pi / n)
    return np.cos(ang), sign * np.sin(ang)


@functools.lru_cache(maxsize=32)
def _dft_block(n, inverse):
    """The real (2n, 2n) matrix M with [yr, yi] = [xr, xi] @ M for y the DFT of x (exp(-+2 pi i t k / n))."""
    c, s = _twiddle(n, n, n, 1.0 if inverse else -1.0)
    return np.block([[c, s], [-s, c]])


def _factor(n):
    """A factor f of n with f <= n // f, as close to sqrt(n) as there is (None for a prime)."""
    for f in range(math.isqrt(n), 1, -1):
        if n % f == 0:
            return f
    return None


def _cmul(K, ar, ai, br, bi):
    return K.subtract(K.multiply(ar, br), K.multiply(ai, bi)), K.add(K.multiply(ai, br), K.multiply(ar, bi))


@functools.lru_cache(maxsize=16)
def _chirp(n, m, inverse):
    """Bluestein's tables for length n through a length-m convolution: w_t = exp(-+ i pi t^2 / n) (t < n)
    and the DFT of the conjugate chirp laid out circularly (host float64; t^2 reduced mod 2n)."""
    sign = 1.0 if inverse else -1.0
    t = np.arange(n, dtype=np.int64)
    ang = ((t * t) % (2 * n)).astype(np.float64) * (math.pi / n)
    w = np.cos(ang) + 1j * sign * np.sin(ang)
    b = np.zeros(m, dtype=np.complex128)
    b[:n] = np.conj(w)
    b[m - n + 1:] = np.conj(w[1:])[::-1]
    fb = np.fft.fft(b)
    return w.real.copy(), w.imag.copy(), fb.real.copy(), fb.imag.copy()


def _bluestein(K, xr, xi, inverse):
    """A DFT of prime length n as a circular convolution with a chirp, through power-of-two DFTs:
    X_k = w_k sum_t (x_t w_t) conj(w_(k - t)), since t k = (t^2 + k^2 - (k - t)^2) / 2."""
    n = xr.shape[-1]
    m = 1 << (2 * n - 2).bit_length()
    wr, wi, br, bi = (_const(K, a) for a in _chirp(n, m, inverse))
    ar, ai = (_fit(K, v, m) for v in _cmul(K, xr, xi, wr, wi))
    ar, ai = _dft(K, ar, ai, False)
    cr, ci = _dft(K, *_cmul(K, ar, ai, br, bi), True)
    cr, ci = (K.multiply(K.getitem(v, (Ellipsis, slice(0, n))), 1.0 / m) for v in (cr, ci))
    return _cmul(K, cr, ci, wr, wi)


def _dft(K, xr, xi, inverse):
    """The unscaled complex DFT of ``xr + i xi`` (float64) along the last axis."""
    n = xr.shape[-1]
    f = _factor(n) if n > _DIRECT else None
    if f is None and n > _DIRECT:
        return _bluestein(K, xr, xi, inverse)
    if f is None:
        y = K.matmul(K.concatenate(xr, xi, axis=xr.ndim - 1), _const(K, _dft_block(n, inverse)))
        return (K.getitem(y, (Ellipsis, slice(0, n))), K.getitem(y, (Ellipsis, slice(n, 2 * n))))
    # four-step: t = n2 t1 + t2, k = k1 + n1 k2; DFT over t1, twiddle by w_n^(t2 k1), DFT over t2
    n1, n2 = f, n // f
    lead = xr.shape[:-1]
    nl = len(lead)
    swap = tuple(range(nl)) + (nl + 1, nl)
    xr, xi = (K.transpose(K.reshape(v, lead + (n1, n2)), swap) for v in (xr, xi))  # [..., t2, t1]
    ur, ui = _dft(K, xr, xi, inverse)  # [..., t2, k1]
    c, s = _twiddle(n2, n1, n, 1.0 if inverse else -1.0)
    ur, ui = _cmul(K, ur, ui, _const(K, c), _const(K, s))
    yr, yi = _dft(K, K.transpose(ur, swap), K.transpose(ui, swap), inverse)  # [..., k1, k2]
    return tuple(K.reshape(K.transpose(v, swap), lead + (n,)) for v in (yr, yi))


def _pair(K, yr, yi, dt):
    y = K.concatenate(K.reshape(yr, (1,) + yr.shape), K.reshape(yi, (1,) + yi.shape), axis=0)
    return K.astype(y, dt)


@composite("fft", reordered=True)
def _fft(K, re, im, axes, inverse):
    """Per axis, the DFT as a matmul with its float64 matrix (long axes split four-step); float64
    throughout, rounded to the input dtype once."""
    f = np.float64
    yr, yi = K.astype(re, f), K.astype(im, f)
    total = 1
    for ax in axes:
        ax = ax % re.ndim
        n = re.shape[ax]
        if n < 1:
            raise ValueError(f"Invalid number of FFT data points ({n}) specified.")
        total *= n
        nd = yr.ndim
        perm = tuple(i for i in range(nd) if i != ax) + (ax,)
        back = tuple(perm.index(i) for i in range(nd))
        yr, yi = _dft(K, K.transpose(yr, perm), K.transpose(yi, perm), inverse)
        yr, yi = K.transpose(yr, back), K.transpose(yi, back)
    if inverse and total != 1:
        yr, yi = K.multiply(yr, 1.0 / total), K.multiply(yi, 1.0 / total)
    return _pair(K, yr, yi, re.dtype)


def _fit(K, x, n):
    """``x`` cropped or zero-padded at the end of its last axis to length ``n``."""
    m = x.shape[-1]
    if m > n:
        return K.getitem(x, (Ellipsis, slice(0, n)))
    if m < n:
        return K.concatenate(x, full(K, x.shape[:-1] + (n - m,), 0, x.dtype), axis=x.ndim - 1)
    return x


@functools.lru_cache(maxsize=32)
def _rdft_matrix(rows, n):
    """(rows, 2 (n // 2 + 1)): [cos | -sin] of 2 pi t k / n, t < rows (the input's first ``rows`` samples)."""
    c, s = _twiddle(rows, n // 2 + 1, n, -1.0)
    return np.concatenate([c, s], axis=1)


@composite("rfft", reordered=True)
def _rfft(K, x, n):
    """The non-negative bins of the DFT: one matmul with the real [cos | -sin] matrix (samples past ``n``
    cropped, missing ones left out of the matrix); long transforms through the complex DFT."""
    dt = x.dtype
    x = K.astype(x, np.float64)
    k = n // 2 + 1
    if n <= _DIRECT:
        rows = min(x.shape[-1], n)
        y = K.matmul(_fit(K, x, rows), _const(K, _rdft_matrix(rows, n)))
        return _pair(K, K.getitem(y, (Ellipsis, slice(0, k))), K.getitem(y, (Ellipsis, slice(k, 2 * k))), dt)
    x = _fit(K, x, n)
    yr, yi = _dft(K, x, full(K, x.shape, 0, x.dtype), False)
    return _pair(K, K.getitem(yr, (Ellipsis, slice(0, k))), K.getitem(yi, (Ellipsis, slice(0, k))), dt)


@functools.lru_cache(maxsize=32)
def _irdft_matrix(bins, n):
    """Rows for the real parts of ``bins`` bins, then for the imaginary parts of bins 1 .. (n + 1) // 2 - 1
    (the DC and Nyquist imaginary parts are ignored): x_t = sum of w_k (re_k cos - im_k sin)(2 pi k t / n) / n,
    w_k 1 for DC and Nyquist, 2 otherwise."""
    mid = min(bins, (n + 1) // 2)
    c, s = _twiddle(bins, n, n, -1.0)
    w = np.full((bins, 1), 2.0 / n)
    w[0] = 1.0 / n
    if n % 2 == 0 and bins > n // 2:
        w[n // 2] = 1.0 / n
    return np.concatenate([c * w, (s * w)[1:mid]], axis=0)


@composite("irfft", reordered=True)
def _irfft(K, re, im, n):
    """Real samples from the bins: one matmul with the real [w cos; -w sin] / n matrix; long transforms
    through the complex inverse DFT of the Hermitian-extended spectrum."""
    dt = re.dtype
    f = np.float64
    k = n // 2 + 1
    bins = min(re.shape[-1], k)
    mid = min(bins, (n + 1) // 2)
    re, im = K.astype(_fit(K, re, bins), f), K.astype(_fit(K, im, bins), f)
    if n <= _DIRECT:
        x = K.concatenate(re, K.getitem(im, (Ellipsis, slice(1, mid))), axis=re.ndim - 1)
        return K.astype(K.matmul(x, _const(K, _irdft_matrix(bins, n))), dt)
    re, im = _fit(K, re, k), _fit(K, im, k)
    zero = full(K, im.shape[:-1] + (1,), 0, f)
    im = K.concatenate(zero, K.getitem(im, (Ellipsis, slice(1, (n + 1) // 2))),
                       *([zero] if n % 2 == 0 else []), axis=im.ndim - 1)  # DC and Nyquist: real
    tail = (Ellipsis, slice((n - 1) // 2, 0, -1))  # bins (n - 1) // 2 .. 1, mirrored and conjugated
    zr = K.concatenate(re, K.getitem(re, tail), axis=re.ndim - 1)
    zi = K.concatenate(im, K.negative(K.getitem(im, tail)), axis=im.ndim - 1)
    yr, _ = _dft(K, zr, zi, True)
    return K.astype(K.multiply(yr, 1.0 / n), dt)


# -- inv and slogdet: elimination with partial pivoting over the batch --------------------------------
def _pivot(K, a, k, rows):
    """Row k swapped with the row (k or below) of the largest |a[:, r, k]| in each matrix of ``a`` (B, n, m);
    returns the swapped matrices and whether row k stayed (no swap)."""
    b = a.shape[0]
    col = K.getitem(a, (slice(None), slice(None), k))
    p = K.argmax(K.where(K.less(rows, k), -1.0, K.abs(col)), axis=1)  # first maximum, as LAPACK's i?amax
    pr = K.reshape(p, (b, 1))
    idx = K.where(K.equal(rows, k), pr, K.where(K.equal(rows, pr), k, rows))
    return K.getitem(a, (K.reshape(arange(K, b), (b, 1)), idx)), K.equal(p, k)


def _batched(K, x):
    """``x`` (..., n, n) as float64 matrices (B, n, n)."""
    n = x.shape[-1]
    return K.reshape(K.astype(x, np.float64), (_count(x.shape[:-2], None), n, n))


@composite("inv", reordered=True, via_float32=True, arrays=1)
def _inv(K, x):
    """Gauss-Jordan elimination with partial pivoting on [x | I] in float64. A zero pivot raises NumPy's
    LinAlgError('Singular matrix') as the reference kernel does: that test reads one flag on the host
    (synchronises)."""
    n = x.shape[-1]
    a = _batched(K, x)
    b = a.shape[0]
    if n == 0 or b == 0:
        return K.reshape(K.astype(a, x.dtype), x.shape)
    a = K.concatenate(a, K.broadcast_to(_const(K, np.eye(n)), (b, n, n)), axis=2)
    rows = K.reshape(arange(K, n), (1, n))
    singular = None
    for k in range(n):
        a, _ = _pivot(K, a, k, rows)
        piv = K.getitem(a, (slice(None), k, k))
        zero = K.equal(piv, 0.0)
        singular = zero if singular is None else K.where(zero, True, singular)
        safe = K.where(zero, 1.0, piv)  # a singular batch raises below: no division by zero on the way
        prow = K.divide(K.getitem(a, (slice(None), slice(k, k + 1))), K.reshape(safe, (b, 1, 1)))  # (B, 1, 2n)
        here = K.reshape(K.equal(rows, k), (1, n, 1))
        f = K.where(here, 0.0, K.getitem(a, (slice(None), slice(None), slice(k, k + 1))))  # (B, n, 1)
        a = K.where(here, prow, K.subtract(a, K.multiply(f, prow)))
    if bool(_to_host(K, K.max(singular))):
        raise np.linalg.LinAlgError("Singular matrix")
    return K.reshape(K.astype(K.getitem(a, (slice(None), slice(None), slice(n, 2 * n))), x.dtype), x.shape)


@composite("slogdet", reordered=True, via_float32=True, arrays=1)
def _slogdet(K, x):
    """LU elimination with partial pivoting in float64: the sign from the row swaps and the pivots' signs,
    log|det| the sum of log|pivot| in pivot order; a zero pivot gives sign 0 and -inf (LAPACK's info > 0)."""
    n = x.shape[-1]
    batch = x.shape[:-2]
    a = _batched(K, x)
    b = a.shape[0]
    sign, logabs = full(K, (b,), 1.0, np.float64), full(K, (b,), 0.0, np.float64)
    rows = K.reshape(arange(K, n), (1, n))
    singular = full(K, (b,), False, np.bool_)
    for k in range(n):
        a, same = _pivot(K, a, k, rows)
        piv = K.getitem(a, (slice(None), k, k))
        zero = K.equal(piv, 0.0)
        singular = K.where(zero, True, singular)
        keep = K.equal(same, K.equal(K.less(piv, 0.0), False))  # a swap and a negative pivot cancel
        sign = K.where(keep, sign, K.negative(sign))
        logabs = K.add(logabs, K.log(K.abs(K.where(zero, 1.0, piv))))  # zero pivots: -inf below
        if k + 1 < n:
            below = K.reshape(K.greater(rows, k), (1, n, 1))
            col = K.getitem(a, (slice(None), slice(None), slice(k, k + 1)))
            f = K.where(below, K.divide(col, K.reshape(K.where(zero, 1.0, piv), (b, 1, 1))), 0.0)
            a = K.subtract(a, K.multiply(f, K.getitem(a, (slice(None), slice(k, k + 1)))))
    sign = K.where(singular, 0.0, sign)
    logabs = K.where(singular, -np.inf, logabs)
    out = K.concatenate(K.reshape(sign, (1,) + batch), K.reshape(logabs, (1,) + batch), axis=0)
    return K.astype(out, x.dtype)


# -- random integers and permutations from the Philox stream ------------------------------------------
def _low_bits(K, x, b):
    """``x & (2**b - 1)`` for uint64 ``x`` (0 < b < 64) from a shift and a product."""
    u = np.uint64
    return K.subtract(x, K.multiply(K.right_shift(x, u(b)), u(1 << b)))


def _umod(K, x, r):
    """``x % r`` for uint64 ``x`` and a Python int 1 <= r < 2**64, exactly: two float64 quotient estimates
    made low (so the remainder never wraps), each leaving rem < rem * 2**-49 + 5 r, then subtractions."""
    u = np.uint64
    if r == 1:
        return K.multiply(x, u(0))
    if r & (r - 1) == 0:
        return _low_bits(K, x, r.bit_length() - 1)
    rf = float(r)
    for _ in range(2):
        q = K.floor(K.divide(K.astype(x, np.float64), rf))
        q = K.maximum(K.subtract(K.subtract(q, K.multiply(q, 2.0 ** -50)), 2.0), 0.0)
        x = K.subtract(x, K.multiply(K.astype(q, np.uint64), u(r)))
    for _ in range(5):
        x = K.where(K.less(x, u(r)), x, K.subtract(x, u(r)))
    return x


@composite("random_randint")
def _random_randint(K, *, shape, key, counter, low, high, dtype, rounds):
    """The kernel's rejection sampling: ``rounds`` 64-bit draws per value, the first below the largest
    multiple of the range, reduced mod the range, plus ``low`` (two's complement, wrapping)."""
    shape = tuple(shape)
    n = _count(shape, None)
    r = high - low
    x = K.reshape(K.random_bits(shape=(rounds * n,), key=key, counter=counter, dtype=np.uint64), (rounds, n))
    if r < (1 << 64):
        lim = (1 << 64) - (1 << 64) % r
        if rounds > 1 and lim < (1 << 64):
            first = K.argmax(K.less(x, np.uint64(lim)), axis=0)
            x = K.getitem(x, (first, arange(K, n)))
        else:
            x = K.getitem(x, (0,))
        x = _umod(K, x, r)
    else:
        x = K.getitem(x, (0,))
    x = K.add(x, np.uint64(low & _M64))
    return K.reshape(K.astype(K.bitcast(x, np.int64), dtype), shape)


def _bitonic_sort(K, x):
    """``x`` (1-D, length a power of two) sorted ascending by a bitonic network: merges of sorted halves
    (the second one reversed), then half-cleaners, each step one minimum and one maximum."""
    n = x.shape[0]
    k = 2
    while k <= n:
        y = K.reshape(x, (n // k, 2, k // 2))
        a, b = K.getitem(y, (slice(None), 0)), K.getitem(y, (slice(None), 1, slice(None, None, -1)))
        hi = K.getitem(K.maximum(a, b), (slice(None), slice(None, None, -1)))
        x = K.reshape(K.concatenate(K.minimum(a, b), hi, axis=1), (n,))
        j = k // 4
        while j >= 1:
            y = K.reshape(x, (n // (2 * j), 2, j))
            a, b = K.getitem(y, (slice(None), 0)), K.getitem(y, (slice(None), 1))
            x = K.reshape(K.concatenate(K.minimum(a, b), K.maximum(a, b), axis=1), (n,))
            j //= 2
        k *= 2
    return x


@composite("random_permutation")
def _random_permutation(K, *, n, key, counter, dtype=np.int64):
    """The kernel's keys (random high bits, the index in the low b bits: all distinct, so any sort agrees)
    sorted by a bitonic network, padded to a power of two with 2**64 - 1 (above every key when n is not one)."""
    n = int(n)
    if n == 0:
        return full(K, (0,), 0, dtype)
    b = max(1, (n - 1).bit_length())
    u = np.uint64
    bits = K.random_bits(shape=(n,), key=key, counter=counter, dtype=np.uint64)
    keys = K.add(K.multiply(K.right_shift(bits, u(b)), u(1 << b)), arange(K, n, np.uint64))
    m = 1 << (n - 1).bit_length()
    if m != n:
        keys = K.concatenate(keys, full(K, (m - n,), _M64, np.uint64), axis=0)
    keys = _bitonic_sort(K, keys)
    if m != n:
        keys = K.getitem(keys, (slice(0, n),))
    return K.astype(_low_bits(K, keys, b), dtype)


# -- segment reductions ------------------------------------------------------------------------------
_ONE_HOT_LIMIT = 1 << 20  # up to this many (row, segment, column) triples, prod/max/min reduce one-hot masks


def _segment_identity(dt, kind):
    if kind == "sum":
        return 0
    if kind == "prod":
        return 1
    if dt.kind in "fV":
        return -np.inf if kind == "max" else np.inf
    if dt.kind in "iu":
        info = np.iinfo(dt)
        return info.min if kind == "max" else info.max
    return kind == "min"


def _segment_masked(K, data, ids, s, kind, init):
    """Each row masked by a one-hot of its id (other segments see the identity), reduced over the rows in
    row order: the kernel's sequential scatter, as x * 1, max(x, -inf) and min(x, inf) are exact."""
    dt, rows, rest = data.dtype, data.shape[0], tuple(data.shape[1:])
    hit = K.equal(K.reshape(ids, (rows, 1) + (1,) * len(rest)),
                  K.reshape(arange(K, s, ids.dtype), (1, s) + (1,) * len(rest)))  # (rows, s, 1...)
    x = K.where(hit, K.reshape(data, (rows, 1) + rest), full(K, (), init, dt))  # (rows, s, ...)
    if kind == "prod" and dt.kind in "fV" and dt.itemsize < 4:
        # NumPy's half-precision product reduction carries float32 between elements; the kernel's scatter
        # rounds every product: multiply row by row
        out = K.getitem(x, (0,))
        for r in range(1, rows):
            out = K.multiply(out, K.getitem(x, (r,)))
        return out
    out = {"prod": K.prod, "max": K.max, "min": K.min}[kind](x, axis=(0,))
    return out if out.dtype == dt else K.astype(out, dt)


def _segment_sorted(K, data, safe, s, kind, init):
    """Rows sorted by (segment, row) with a bitonic network, a log-step segmented scan from the right
    (y_i = op(y_i, y_(i+d)) within a segment: the earlier operand first, so max/min keep NumPy's ties and
    NaN choice of the sequential scatter), and each segment's first sorted row gathered. max, min and
    integer products are exact; float products are multiplied in a tree order."""
    dt, rows, rest = data.dtype, data.shape[0], tuple(data.shape[1:])
    u = np.uint64
    b = max(1, (rows - 1).bit_length())
    seg64 = K.astype(safe, np.uint64)
    keys = K.add(K.multiply(seg64, u(1 << b)), arange(K, rows, np.uint64))
    m = 1 << (rows - 1).bit_length()
    if m != rows:
        keys = K.concatenate(keys, full(K, (m - rows,), _M64, np.uint64), axis=0)
    keys = K.getitem(_bitonic_sort(K, keys), (slice(0, rows),))
    seg = K.right_shift(keys, u(b))
    y = K.take(data, K.astype(_low_bits(K, keys, b), np.int64), axis=0, mode="raise")
    op = {"prod": K.multiply, "max": K.maximum, "min": K.minimum}[kind]
    d = 1
    while d < rows:
        later = K.concatenate(K.getitem(y, (slice(d, rows),)), full(K, (d,) + rest, init, dt), axis=0)
        same = K.equal(K.getitem(seg, (slice(d, rows),)), K.getitem(seg, (slice(0, rows - d),)))
        same = K.concatenate(same, full(K, (d,), False, np.bool_), axis=0)
        y = K.where(K.reshape(same, (rows,) + (1,) * len(rest)), op(y, later), y)
        d *= 2
    counts = K.index_add(None, full(K, (rows,), 1, np.int64), (safe,), (s + 1,), False)
    counts = K.getitem(counts, (slice(0, s),))
    start = K.subtract(K.cumsum(counts, axis=0), counts)  # each segment's first position in sorted order
    first = K.take(y, K.minimum(start, rows - 1), axis=0, mode="raise")
    has = K.reshape(K.greater(counts, 0), (s,) + (1,) * len(rest))
    return K.where(has, first, full(K, (), init, dt))


@composite("segment_reduce", reordered=True)
def _segment_reduce(K, data, ids, num_segments, kind):
    """sum: a scatter-add, bitwise (dropped rows go to one extra segment, cut off after). prod, max, min:
    one-hot masks reduced in row order where they are small (bitwise), else a sort by segment and a
    segmented scan (bitwise for max, min and integers; float products within the reduction tolerance)."""
    dt = data.dtype
    s = int(num_segments)
    rest = tuple(data.shape[1:])
    rows = data.shape[0]
    init = _segment_identity(dt, kind)
    if s == 0 or rows == 0:
        return full(K, (s,) + rest, init, dt)
    valid = K.where(K.less(ids, 0), False, K.less(ids, s))
    safe = K.where(valid, ids, s)  # dropped rows: an extra segment s
    if kind == "sum":
        out = K.index_add(None, data, (safe,), (s + 1,) + rest, False)
        return K.getitem(out, (slice(0, s),))
    if rows * s * _count(rest, None) <= _ONE_HOT_LIMIT:
        return _segment_masked(K, data, ids, s, kind, init)
    return _segment_sorted(K, data, safe, s, kind, init)


# -- FTRL-proximal (MXNet) ---------------------------------------------------------------------------
@composite("ftrl_update")
def _ftrl_update(K, p, g, z, n, *, lr, lamda1, beta, wd, rescale_grad, clip_gradient):
    """MXNet's operation order (hyper-parameters through float32 fields):
    z += g - (sqrt(n + g^2) - sqrt(n)) * w / lr; n += g^2;
    w = (sign(z) * lamda1 - z) / ((sqrt(n) + beta) / lr + wd) * (|z| > lamda1)."""
    dt = p.dtype
    T = dt.type
    F = lambda v: T(np.float32(v))  # noqa: E731
    g = K.astype(g, dt)
    lr_, l1, beta_, wd_ = F(lr), F(lamda1), F(beta), F(wd)
    gr = K.multiply(g, F(rescale_grad))
    if clip_gradient is not None:
        c = F(clip_gradient)
        gr = _clip(K, gr, -c, c)
    g2 = K.multiply(gr, gr)
    t = K.subtract(K.sqrt(K.add(n, g2)), K.sqrt(n))
    t = K.divide(K.multiply(t, p), lr_)
    z = K.add(z, K.subtract(gr, t))
    n = K.add(n, g2)
    den = K.add(K.divide(K.add(K.sqrt(n), beta_), lr_), wd_)
    num = K.subtract(K.multiply(K.astype(K.sign(z), dt), l1), z)
    num = K.multiply(K.divide(num, den), K.astype(K.greater(K.abs(z), l1), dt))
    return num, z, n
