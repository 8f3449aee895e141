"""Statistics, searching and arrangement composites: NaN-ignoring reductions, quantiles, histograms,
correlation, polynomial/Kronecker products, rotations, symmetric padding, windows and ranges with
tensor endpoints.

Every function here is written with other :mod:`unidl.ops`, so any device that runs those runs these
and autograd differentiates them where the math allows (values picked by sorting go through
``take_along_axis``). Functions whose output *shape* depends on values (:func:`unique`,
:func:`bincount`) read the values they need on the host; their indices are not differentiable.
Inputs are Tensors of the dtype the caller wants the math done in (frontends apply their own dtype
rules first).
"""
from __future__ import annotations

import math
from typing import Any, Optional, Sequence, Tuple

import numpy as np

from ..dtypes import is_floating
from ..errors import OpError
from ..tensor import Tensor
from . import arrange as _ar
from . import elementwise as E
from . import index as _ix
from . import linalg as _la
from . import reduce as R
from . import shape as S

__all__ = ["nansum", "nanmean", "nanvar", "nanstd", "nanmax", "nanmin", "nanprod", "nanargmax", "nanargmin",
           "quantile", "ptp", "corrcoef", "correlate", "trapezoid", "vander", "kron", "diagflat", "rot90",
           "histogram", "bincount", "searchsorted", "unique", "isin", "unravel_index", "pad_symmetric",
           "ramp", "cross", "window", "bessel_i0", "slogdet"]

Axis = Any


def _arange(n: int, like: Tensor, dtype: Any = None) -> Tensor:
    from ..creation import arange

    return arange(0, n, 1, dtype=dtype or like.dtype, device=like.device)


def _full(shape: Tuple[int, ...], value: Any, like: Tensor, dtype: Any = None) -> Tensor:
    from ..creation import full

    return full(shape, value, dtype=dtype or like.dtype, device=like.device)


def _zeros_like(x: Tensor) -> Tensor:
    from ..creation import zeros_like

    return zeros_like(x)


def _ones_like(x: Tensor) -> Tensor:
    from ..creation import ones_like

    return ones_like(x)


def _axes(op: str, x: Tensor, axis: Axis) -> Optional[Tuple[int, ...]]:
    return R.normalize_axis(op, axis, x.ndim, x.shape)


# -- NaN-ignoring reductions -----------------------------------------------------------------------

def _fill_nan(x: Tensor, value: Any) -> Tensor:
    if not is_floating(x.dtype):
        return x
    return E.where(E.isnan(x), _full((), value, x), x)


def nansum(x: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Sum over ``axis`` treating NaN as 0. Shape: reduced."""
    return R.sum(_fill_nan(x, 0), axis=axis, keepdims=keepdims)


def nanprod(x: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Product over ``axis`` treating NaN as 1. Shape: reduced."""
    return R.prod(_fill_nan(x, 1), axis=axis, keepdims=keepdims)


def _valid_count(x: Tensor, axis: Axis, keepdims: bool) -> Tensor:
    valid = E.logical_not(E.isnan(x))
    return R.sum(E.astype(valid, x.dtype), axis=axis, keepdims=keepdims)


def nanmean(x: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Mean of the non-NaN elements over ``axis`` (NaN where there are none). Float input."""
    return E.divide(nansum(x, axis, keepdims), _valid_count(x, axis, keepdims))


def nanvar(x: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Population variance of the non-NaN elements over ``axis``. Float input."""
    m = nanmean(x, axis, keepdims=True)
    nan = E.isnan(x)
    centered = E.where(nan, _zeros_like(x), E.subtract(x, m))
    return E.divide(R.sum(E.square(centered), axis=axis, keepdims=keepdims), _valid_count(x, axis, keepdims))


def nanstd(x: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Population standard deviation of the non-NaN elements over ``axis``. Float input."""
    return E.sqrt(nanvar(x, axis, keepdims))


def _nan_extreme(x: Tensor, axis: Axis, keepdims: bool, big: bool) -> Tensor:
    if not is_floating(x.dtype):
        return (R.max if big else R.min)(x, axis=axis, keepdims=keepdims)
    nan = E.isnan(x)
    clean = E.where(nan, _full((), -np.inf if big else np.inf, x), x)
    out = (R.max if big else R.min)(clean, axis=axis, keepdims=keepdims)
    return E.where(R.all(nan, axis=axis, keepdims=keepdims), _full((), np.nan, x), out)


def nanmax(x: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Maximum over ``axis`` ignoring NaN (NaN where all are NaN)."""
    return _nan_extreme(x, axis, keepdims, True)


def nanmin(x: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Minimum over ``axis`` ignoring NaN (NaN where all are NaN)."""
    return _nan_extreme(x, axis, keepdims, False)


def _nan_arg(x: Tensor, axis: Optional[int], keepdims: bool, big: bool) -> Tensor:
    fn = R.argmax if big else R.argmin
    if not is_floating(x.dtype):
        return fn(x, axis=axis, keepdims=keepdims)
    nan = E.isnan(x)
    clean = E.where(nan, _full((), -np.inf if big else np.inf, x), x)
    out = fn(clean, axis=axis, keepdims=keepdims)
    return E.where(R.all(nan, axis=axis, keepdims=keepdims), _full((), -1, out), out)


def nanargmax(x: Tensor, axis: Optional[int] = None, keepdims: bool = False) -> Tensor:
    """Index of the maximum ignoring NaN (-1 where all are NaN); int64."""
    return _nan_arg(x, axis, keepdims, True)


def nanargmin(x: Tensor, axis: Optional[int] = None, keepdims: bool = False) -> Tensor:
    """Index of the minimum ignoring NaN (-1 where all are NaN); int64."""
    return _nan_arg(x, axis, keepdims, False)


# -- quantiles -------------------------------------------------------------------------------------

_METHODS = ("linear", "lower", "higher", "midpoint", "nearest")


def quantile(x: Tensor, q: Tensor, axis: Axis = None, method: str = "linear", keepdims: bool = False,
             ignore_nan: bool = False) -> Tensor:
    """Quantiles ``q`` (in [0, 1], 0-d or 1-D, x's float dtype) of ``x`` over ``axis`` (None: all;
    several axes are taken together), with NumPy's interpolation ``method`` ('linear', 'lower',
    'higher', 'midpoint', 'nearest'). A NaN in a reduced slice gives NaN unless ``ignore_nan``, which
    takes the quantile of the non-NaN values (NaN when there are none).

    Shape: q's shape, then x's shape without the reduced axes (size 1 with ``keepdims``).
    """
    if method not in _METHODS:
        raise OpError("quantile", f"method must be one of {', '.join(_METHODS)}, got {method!r}",
                      shapes=(x.shape,))
    if q.ndim > 1:
        raise OpError("quantile", f"q must be 0-d or 1-D, got {q.ndim}-D", shapes=(x.shape, q.shape))
    axes = _axes("quantile", x, axis)
    if axes is None:
        axes = tuple(range(x.ndim))
    others = [i for i in range(x.ndim) if i not in axes]
    y = S.transpose(x, tuple(others) + tuple(axes)) if x.ndim else x
    lead = tuple(x.shape[i] for i in others)
    n = int(np.prod([x.shape[i] for i in axes], dtype=np.int64))
    y = S.reshape(y, lead + (n,))
    if n == 0:
        raise OpError("quantile", "cannot take a quantile of an empty slice", shapes=(x.shape,))
    order = R.argsort(y, -1)  # NaN sorts last
    ys = _ix.take_along_axis(y, order, -1)
    m = 1 if q.ndim == 0 else q.shape[0]
    qv = S.reshape(q, (1,) * len(lead) + (m,))
    nan = E.isnan(y)
    if ignore_nan:
        cnt = R.sum(E.astype(E.logical_not(nan), y.dtype), axis=-1, keepdims=True)
    else:
        cnt = _full((), float(n), y)
    pos = E.multiply(qv, E.subtract(cnt, 1.0))
    top = E.maximum(E.subtract(cnt, 1.0), _full((), 0.0, y))
    pos = E.minimum(E.maximum(pos, _full((), 0.0, y)), top)
    lo = E.floor(pos)
    hi = E.minimum(E.ceil(pos), top)
    shape = lead + (m,)
    lo_i = S.broadcast_to(E.astype(lo, "int64"), shape)
    hi_i = S.broadcast_to(E.astype(hi, "int64"), shape)
    if method == "nearest":
        near = S.broadcast_to(E.astype(E.round(pos), "int64"), shape)
        out = _ix.take_along_axis(ys, near, -1)
    else:
        vlo = _ix.take_along_axis(ys, lo_i, -1)
        vhi = _ix.take_along_axis(ys, hi_i, -1)
        if method == "lower":
            out = vlo
        elif method == "higher":
            out = vhi
        elif method == "midpoint":
            out = E.multiply(E.add(vlo, vhi), 0.5)
        else:
            frac = E.subtract(pos, lo)
            out = E.add(vlo, E.multiply(E.subtract(vhi, vlo), frac))
    bad = R.any(nan, axis=-1, keepdims=True) if not ignore_nan else E.equal(cnt, 0.0)
    out = E.where(bad, _full((), np.nan, out), out)
    out = S.moveaxis(out, -1, 0)  # (m, *lead)
    if keepdims:
        kshape = [m] + [1 if i in axes else d for i, d in enumerate(x.shape)]
        out = S.reshape(out, tuple(kshape))
    if q.ndim == 0:
        out = S.reshape(out, out.shape[1:])
    return out


def ptp(x: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Range ``max - min`` over ``axis``. Shape: reduced."""
    return E.subtract(R.max(x, axis=axis, keepdims=keepdims), R.min(x, axis=axis, keepdims=keepdims))


# -- correlation -----------------------------------------------------------------------------------

def corrcoef(x: Tensor) -> Tensor:
    """Pearson correlation coefficients of the rows of ``x`` (a 1-D ``x`` is one row); float input.

    Shape: (n, k) -> (n, n); (k,) -> ().
    """
    if x.ndim > 2:
        raise OpError("corrcoef", f"expected a 1-D or 2-D input, got {x.ndim}-D", shapes=(x.shape,))
    rows = S.reshape(x, (1, -1)) if x.ndim < 2 else x
    c = E.subtract(rows, R.mean(rows, axis=1, keepdims=True))
    cov = _la.matmul(c, S.transpose(c))
    d = E.sqrt(_diag_of(cov))
    out = E.divide(E.divide(cov, S.reshape(d, (-1, 1))), S.reshape(d, (1, -1)))
    out = E.clip(out, -1.0, 1.0)
    return S.reshape(out, ()) if x.ndim < 2 else out


def _diag_of(m: Tensor) -> Tensor:
    n = m.shape[0]
    eye = E.equal(S.reshape(_arange(n, m, "int64"), (n, 1)), S.reshape(_arange(n, m, "int64"), (1, n)))
    return R.sum(E.where(eye, m, _zeros_like(m)), axis=1)


def correlate(a: Tensor, v: Tensor, mode: str = "valid") -> Tensor:
    """Cross-correlation of 1-D sequences, as ``np.correlate``: ``out[k] = sum_n a[n + k] * v[n]``
    over the overlap; ``mode`` 'valid', 'same' or 'full'. Shapes: (n,), (m,) -> (max-min+1,), (n,)
    or (n+m-1,) (a leading batch of 1-D signals broadcasts)."""
    if mode not in ("valid", "same", "full"):
        raise OpError("correlate", f"mode must be 'valid', 'same' or 'full', got {mode!r}", shapes=(a.shape, v.shape))
    n, m = a.shape[-1], v.shape[-1]
    if n == 0 or m == 0:
        raise OpError("correlate", "inputs must not be empty", shapes=(a.shape, v.shape))
    batch = tuple(max(i, j) for i, j in zip(a.shape[:-1], v.shape[:-1]))
    if a.shape[:-1] != batch:
        a = S.broadcast_to(a, batch + (n,))
    if v.shape[:-1] != batch:
        v = S.broadcast_to(v, batch + (m,))
    # full correlation: out[k] for k = -(m-1) .. n-1 ; out[k] = sum_j a[k+j] v[j]
    padded = _ar.pad(a, tuple((0, 0) for _ in batch) + ((m - 1, m - 1),))
    L = n + m - 1
    idx = E.add(S.reshape(_arange(L, a, "int64"), (L, 1)), S.reshape(_arange(m, a, "int64"), (1, m)))
    windows = _ix.take(padded, S.reshape(idx, (-1,)), axis=-1)  # (..., L*m)
    windows = S.reshape(windows, batch + (L, m))
    full = R.sum(E.multiply(windows, S.expand_dims(v, -2)), axis=-1)
    if mode == "full":
        return full
    if mode == "same":
        start = (L - n) // 2
        return _ar.slice_axis(full, -1, start, start + n)
    length = max(n, m) - min(n, m) + 1
    start = (L - length) // 2
    return _ar.slice_axis(full, -1, start, start + length)


# -- integration, polynomials, products ------------------------------------------------------------

def trapezoid(y: Tensor, x: Optional[Tensor] = None, dx: Any = 1.0, axis: int = -1) -> Tensor:
    """Trapezoidal-rule integral of ``y`` along ``axis`` (sample points ``x`` or spacing ``dx``).
    Shape: ``y``'s without ``axis``."""
    ax = _axes("trapezoid", y, axis)[0]
    n = y.shape[ax]
    if n < 2:
        return R.sum(E.multiply(y, 0.0), axis=ax)
    avg = E.multiply(E.add(_ar.slice_axis(y, ax, 1, n), _ar.slice_axis(y, ax, 0, n - 1)), 0.5)
    if x is not None:
        if x.ndim == 1:
            d = E.subtract(_ar.slice_axis(x, 0, 1, n), _ar.slice_axis(x, 0, 0, n - 1))
            shape = [1] * y.ndim
            shape[ax] = n - 1
            d = S.reshape(d, tuple(shape))
        else:
            xa = R.normalize_axis("trapezoid", axis, x.ndim, x.shape)[0]
            d = E.subtract(_ar.slice_axis(x, xa, 1, n), _ar.slice_axis(x, xa, 0, n - 1))
        return R.sum(E.multiply(avg, d), axis=ax)
    return E.multiply(R.sum(avg, axis=ax), dx)


def vander(x: Tensor, n: Optional[int] = None, increasing: bool = False) -> Tensor:
    """Vandermonde matrix of 1-D ``x``: columns ``x ** (n-1) ... x ** 0`` (reversed when
    ``increasing``). Shape: (k,) -> (k, n), n = k by default."""
    k = x.shape[0]
    n = k if n is None else int(n)
    if n == 0:
        return _full((k, 0), 0, x)
    # repeated products are exact for ints and match NumPy's cumulative-product construction
    ones = _ones_like(x)
    outs = [ones]
    acc = ones
    for _ in range(n - 1):
        acc = E.multiply(acc, x)
        outs.append(acc)
    mat = _ar.stack(outs, axis=1)
    return mat if increasing else _ar.flip(mat, 1)


def kron(a: Tensor, b: Tensor) -> Tensor:
    """Kronecker product, as ``np.kron``. Shape: (a0, ...), (b0, ...) -> (a0*b0, ...) (ranks padded)."""
    nd = max(a.ndim, b.ndim)
    a = S.reshape(a, (1,) * (nd - a.ndim) + a.shape)
    b = S.reshape(b, (1,) * (nd - b.ndim) + b.shape)
    a_e = S.reshape(a, tuple(d for s in a.shape for d in (s, 1)))
    b_e = S.reshape(b, tuple(d for s in b.shape for d in (1, s)))
    out = E.multiply(a_e, b_e)
    return S.reshape(out, tuple(i * j for i, j in zip(a.shape, b.shape)))


def diagflat(x: Tensor, k: int = 0) -> Tensor:
    """The flattened ``x`` on diagonal ``k`` of a square matrix. Shape: (...) -> (n+|k|, n+|k|)."""
    v = S.reshape(x, (-1,))
    n0 = v.shape[0]
    n = n0 + abs(int(k))
    rows = S.reshape(_arange(n, v, "int64"), (n, 1))
    cols = S.reshape(_arange(n, v, "int64"), (1, n))
    on = E.equal(E.subtract(cols, rows), int(k))
    if k >= 0:
        vals = S.reshape(_ar.pad(v, ((0, k),)), (n, 1))
    else:
        vals = S.reshape(_ar.pad(v, ((0, -k),)), (1, n))
    vals = S.broadcast_to(vals, (n, n))
    return E.where(on, vals, _zeros_like(vals))


def rot90(x: Tensor, k: int = 1, axes: Tuple[int, int] = (0, 1)) -> Tensor:
    """Rotate by 90 degrees ``k`` times in the plane ``axes`` (from the first axis toward the second),
    as ``np.rot90``."""
    a0, a1 = (int(a) % x.ndim for a in axes)
    k = int(k) % 4
    if k == 0:
        return x
    if k == 2:
        return _ar.flip(x, (a0, a1))
    perm = list(range(x.ndim))
    perm[a0], perm[a1] = perm[a1], perm[a0]
    if k == 1:
        return S.transpose(_ar.flip(x, a1), tuple(perm))
    return _ar.flip(S.transpose(x, tuple(perm)), a1)


def cross(a: Tensor, b: Tensor, axis: int = -1) -> Tensor:
    """Cross product of 3-vectors (2-vectors get a zero z) along ``axis``; broadcast as NumPy.
    Shape: broadcast shape; 2-vector pairs give the scalar z component."""
    a = S.moveaxis(a, axis, -1)
    b = S.moveaxis(b, axis, -1)
    if a.shape[-1] not in (2, 3) or b.shape[-1] not in (2, 3):
        raise OpError("cross", f"incompatible dimensions for cross product (dimension must be 2 or 3), got "
                      f"{a.shape[-1]} and {b.shape[-1]}", shapes=(a.shape, b.shape))

    def comp(t: Tensor, i: int) -> Tensor:
        if i >= t.shape[-1]:
            return E.multiply(S.squeeze(_ar.slice_axis(t, -1, 0, 1), -1), 0)
        return S.squeeze(_ar.slice_axis(t, -1, i, i + 1), -1)

    a0, a1, a2 = (comp(a, i) for i in range(3))
    b0, b1, b2 = (comp(b, i) for i in range(3))
    z = E.subtract(E.multiply(a0, b1), E.multiply(a1, b0))
    if a.shape[-1] == 2 and b.shape[-1] == 2:
        return z
    xcomp = E.subtract(E.multiply(a1, b2), E.multiply(a2, b1))
    ycomp = E.subtract(E.multiply(a2, b0), E.multiply(a0, b2))
    out = _ar.stack([xcomp, ycomp, z], axis=-1)
    return S.moveaxis(out, -1, axis)


# -- counting and searching ------------------------------------------------------------------------

def histogram(x: Tensor, bins: int = 10, range: Optional[Tuple[float, float]] = None) -> Tuple[Tensor, Tensor]:  # noqa: A002
    """Counts of ``x`` (flattened) in ``bins`` equal bins over ``range`` (x's min and max by default),
    and the ``bins + 1`` edges; the last bin includes its right edge, values outside are not counted.
    Shapes: (...) -> (bins,), (bins + 1,). Counts have x's dtype."""
    v = S.reshape(x, (-1,))
    if range is None:
        lo = R.min(v) if v.shape[0] else _full((), 0.0, v)
        hi = R.max(v) if v.shape[0] else _full((), 1.0, v)
    else:
        lo, hi = _full((), range[0], v), _full((), range[1], v)
    same = E.equal(lo, hi)
    lo = E.where(same, E.subtract(lo, 0.5), lo)
    hi = E.where(same, E.add(hi, 0.5), hi)
    steps = _arange(bins + 1, v)
    edges = E.add(lo, E.multiply(E.divide(E.subtract(hi, lo), float(bins)), steps))
    width = E.divide(E.subtract(hi, lo), float(bins))
    inside_b = E.logical_and(E.greater_equal(v, lo), E.less_equal(v, hi))  # NaN is outside
    idx = E.clip(E.floor(E.divide(E.subtract(v, lo), width)), 0.0, float(max(bins - 1, 0)))
    idx = E.where(inside_b, idx, _full((), 0.0, idx))
    inside = E.astype(inside_b, v.dtype)
    counts = _ix.scatter_add(_full((bins,), 0, v), E.astype(idx, "int64"), inside, 0) if bins else _full((0,), 0, v)
    return counts, edges


def bincount(x: Tensor, weights: Optional[Tensor] = None, minlength: int = 0) -> Tensor:
    """Counts (or summed ``weights``) of each non-negative int in ``x`` along its last axis, by
    ``scatter_add``. The length, ``max(x) + 1`` or ``minlength``, is read on the host.
    Shapes: (n,) -> (L,); (b, n) -> (b, L)."""
    if x.dtype.kind not in "iu":
        raise OpError("bincount", f"expected integer input, got {x.dtype}", shapes=(x.shape,))
    if x.ndim not in (1, 2):
        raise OpError("bincount", f"expected a 1-D or 2-D input, got {x.ndim}-D", shapes=(x.shape,))
    host = x.numpy()
    if host.size and host.min() < 0:
        raise OpError("bincount", "input must be non-negative", shapes=(x.shape,))
    length = max(int(minlength), int(host.max()) + 1 if host.size else 0)
    dt = weights.dtype if weights is not None else x.dtype
    upd = weights if weights is not None else _full(x.shape, 1, x, dt)
    zeros = _full(x.shape[:-1] + (length,), 0, x, dt)
    if x.shape[-1] == 0:
        return zeros
    return _ix.scatter_add(zeros, E.astype(x, "int64"), upd, x.ndim - 1)


def searchsorted(sorted_sequence: Tensor, values: Tensor, side: str = "left") -> Tensor:
    """Insertion indices of ``values`` into the ascending 1-D ``sorted_sequence``: the count of
    elements ``< v`` ('left') or ``<= v`` ('right'), by stable sorts (O((n + m) log(n + m))).
    Shape: values'; int64."""
    if side not in ("left", "right"):
        raise OpError("searchsorted", f"side must be 'left' or 'right', got {side!r}",
                      shapes=(sorted_sequence.shape, values.shape))
    if sorted_sequence.ndim != 1:
        raise OpError("searchsorted", "sorted_sequence must be 1-D", shapes=(sorted_sequence.shape, values.shape))
    n = sorted_sequence.shape[0]
    flat = S.reshape(values, (-1,))
    m = flat.shape[0]
    if n == 0 or m == 0:
        return _full(values.shape, 0, values, "int64")
    # Merge by one stable sort: a value placed before ('left') or after ('right') equal elements of the
    # sequence lands at (its index in the sequence) + (its rank among the values).
    comb = _ar.concatenate([flat, sorted_sequence] if side == "left" else [sorted_sequence, flat], axis=0)
    pos = R.argsort(R.argsort(comb, 0), 0)
    pos_v = _ar.slice_axis(pos, 0, 0, m) if side == "left" else _ar.slice_axis(pos, 0, n, n + m)
    rank_v = R.argsort(R.argsort(flat, 0), 0)
    return S.reshape(E.subtract(pos_v, rank_v), values.shape)


def isin(elements: Tensor, test_elements: Tensor, invert: bool = False) -> Tensor:
    """Whether each element of ``elements`` occurs in ``test_elements`` (bool, ``elements``' shape), by
    sorting ``test_elements`` and searching it."""
    t = S.reshape(test_elements, (-1,))
    if t.shape[0] == 0:
        hit = _full(elements.shape, False, elements, "bool")
        return E.logical_not(hit) if invert else hit
    ts = _ix.take_along_axis(t, R.argsort(t, 0), 0)
    at = E.minimum(searchsorted(ts, elements, "left"), t.shape[0] - 1)
    hit = E.equal(S.reshape(_ix.take(ts, S.reshape(at, (-1,)), axis=0), elements.shape), elements)
    return E.logical_not(hit) if invert else hit


def unravel_index(indices: Tensor, shape: Sequence[int]) -> Tuple[Tensor, ...]:
    """The coordinates in an array of ``shape`` of flat ``indices`` (C order), one tensor per axis."""
    out = []
    rest = indices
    for d in reversed([int(s) for s in shape]):
        out.append(E.mod(rest, d))
        rest = E.floor_divide(rest, d)
    return tuple(reversed(out))


def unique(x: Tensor, return_index: bool = False, return_inverse: bool = False, return_counts: bool = False,
           axis: Optional[int] = None) -> Tuple[Tensor, ...]:
    """Sorted unique values of ``x`` (flattened, or unique slices along ``axis``), as ``np.unique``;
    the optional first indices, inverse indices and counts (int64). The number of unique values is
    found on the host; values are gathered from ``x`` with ``take``."""
    host = x.numpy()
    res = np.unique(host, return_index=True, return_inverse=True, return_counts=True, axis=axis,
                    equal_nan=False)  # each NaN is its own value
    _, first, inverse, counts = res
    from ..creation import tensor

    first_t = tensor(first.astype(np.int64), device=x.device)
    src = S.reshape(x, (-1,)) if axis is None else x
    values = _ix.take(src, first_t, axis=0 if axis is None else axis)
    out = [values]
    if return_index:
        out.append(first_t)
    if return_inverse:
        inv = inverse.astype(np.int64)
        if axis is None:
            inv = inv.reshape(host.shape) if inv.size == host.size else inv
        out.append(tensor(inv.reshape(-1) if axis is not None else inv, device=x.device))
    if return_counts:
        out.append(tensor(counts.astype(np.int64), device=x.device))
    return tuple(out)


# -- padding, ranges, windows ----------------------------------------------------------------------

def pad_symmetric(x: Tensor, pad_width: Sequence[Tuple[int, int]]) -> Tensor:
    """Pad by mirroring including the edge (``np.pad`` mode 'symmetric'); wide pads mirror again."""
    for ax, (before, after) in enumerate(pad_width):
        before, after = int(before), int(after)
        if not before and not after:
            continue
        n = x.shape[ax]
        if n == 0:
            raise OpError("pad", f"cannot pad an empty axis {ax} in mode 'symmetric'", shapes=(x.shape,))
        while before or after:
            n = x.shape[ax]
            b, a = min(before, n), min(after, n)
            parts = []
            if b:
                parts.append(_ar.flip(_ar.slice_axis(x, ax, 0, b), ax))
            parts.append(x)
            if a:
                parts.append(_ar.flip(_ar.slice_axis(x, ax, n - a, n), ax))
            x = _ar.concatenate(parts, axis=ax)
            before, after = before - b, after - a
    return x


def ramp(start: Tensor, stop: Tensor, num: int, endpoint: bool = True, axis: int = 0) -> Tuple[Tensor, Tensor]:
    """``num`` evenly spaced samples from ``start`` to ``stop`` (broadcast tensors of one float dtype)
    on a new ``axis``, and the step, as ``np.linspace``. Shapes: (...) -> samples with ``num`` inserted
    at ``axis``; step (...)."""
    start, stop = E.add(start, _zeros_like(stop)), E.add(stop, _zeros_like(start))
    div = (num - 1) if endpoint else num
    delta = E.subtract(stop, start)
    steps = _arange(num, start)
    steps = S.reshape(steps, (num,) + (1,) * start.ndim)
    if div > 0:
        step = E.divide(delta, float(div))
        out = E.add(E.multiply(E.divide(steps, float(div)), delta), start)
    else:
        step = E.multiply(delta, np.nan)
        out = E.add(E.multiply(steps, delta), start)
    if endpoint and num > 1:
        last = S.expand_dims(stop, 0)
        out = _ar.concatenate([_ar.slice_axis(out, 0, 0, num - 1), last], axis=0)
    if axis != 0:
        out = S.moveaxis(out, 0, axis)
    return out, step


def bessel_i0(x: Tensor) -> Tensor:
    """The modified Bessel function of the first kind, order 0 (Cephes's Chebyshev expansions, as
    NumPy's ``i0``). Float input; shape unchanged."""
    a = E.abs(x)
    small = E.less_equal(a, 8.0)
    y_s = E.subtract(E.multiply(a, 0.5), 2.0)
    y_l = E.subtract(E.divide(32.0, E.maximum(a, 1.0)), 2.0)
    s = E.multiply(E.exp(a), _chbevl(y_s, _I0_A))
    lg = E.divide(E.multiply(E.exp(a), _chbevl(y_l, _I0_B)), E.sqrt(E.maximum(a, 1.0)))
    return E.where(small, s, lg)


def _chbevl(x: Tensor, coef: Sequence[float]) -> Tensor:
    b0 = E.add(E.multiply(x, 0.0), coef[0])
    b1 = E.multiply(x, 0.0)
    b2 = b1
    for c in coef[1:]:
        b2 = b1
        b1 = b0
        b0 = E.add(E.subtract(E.multiply(x, b1), b2), c)
    return E.multiply(E.subtract(b0, b2), 0.5)


_I0_A = [-4.41534164647933937950E-18, 3.33079451882223809783E-17, -2.43127984654795469359E-16,
         1.71539128555513303061E-15, -1.16853328779934516808E-14, 7.67618549860493561688E-14,
         -4.85644678311192946090E-13, 2.95505266312963983461E-12, -1.72682629144155570723E-11,
         9.67580903537323691224E-11, -5.18979560163526290666E-10, 2.65982372468238665035E-9,
         -1.30002500998624804212E-8, 6.04699502254191894932E-8, -2.67079385394061173391E-7,
         1.11738753912010371815E-6, -4.41673835845875056359E-6, 1.64484480707288970893E-5,
         -5.75419501008210370398E-5, 1.88502885095841655729E-4, -5.76375574538582365885E-4,
         1.63947561694133579842E-3, -4.32430999505057594430E-3, 1.05464603945949983183E-2,
         -2.37374148058994688156E-2, 4.93052842396707084878E-2, -9.49010970480476444210E-2,
         1.71620901522208775349E-1, -3.04682672343198398683E-1, 6.76795274409476084995E-1]
_I0_B = [-7.23318048787475395456E-18, -4.83050448594418207126E-18, 4.46562142029675999901E-17,
         3.46122286769746109310E-17, -2.82762398051658348494E-16, -3.42548561967721913462E-16,
         1.77256013305652638360E-15, 3.81168066935262242075E-15, -9.55484669882830764870E-15,
         -4.15056934728722208663E-14, 1.54008621752140982691E-14, 3.85277838274214270114E-13,
         7.18012445138366623367E-13, -1.79417853150680611778E-12, -1.32158118404477131188E-11,
         -3.14991652796324136454E-11, 1.18891471078464383424E-11, 4.94060238822496958910E-10,
         3.39623202570838634515E-9, 2.26666899049817806459E-8, 2.04891858946906374183E-7,
         2.89137052083475648297E-6, 6.88975834691682398426E-5, 3.36911647825569408990E-3,
         8.04490411014108831608E-1]


def window(kind: str, n: int, like: Tensor, beta: float = 0.0) -> Tensor:
    """A symmetric window of ``n`` points (``like``'s float dtype and device): 'bartlett', 'blackman',
    'hamming', 'hanning' or 'kaiser' (with ``beta``), as NumPy's functions of those names."""
    if n <= 0:
        return _full((0,), 0.0, like)
    if n == 1:
        return _full((1,), 1.0, like)
    t = _arange(n, like)
    m = float(n - 1)
    if kind == "bartlett":
        return E.subtract(1.0, E.abs(E.subtract(E.multiply(t, 2.0 / m), 1.0)))
    ang = E.multiply(t, 2.0 * math.pi / m)
    if kind == "hamming":
        return E.subtract(0.54, E.multiply(E.cos(ang), 0.46))
    if kind == "hanning":
        return E.subtract(0.5, E.multiply(E.cos(ang), 0.5))
    if kind == "blackman":
        return E.add(E.subtract(0.42, E.multiply(E.cos(ang), 0.5)), E.multiply(E.cos(E.multiply(ang, 2.0)), 0.08))
    if kind == "kaiser":
        r = E.subtract(E.multiply(t, 2.0 / m), 1.0)
        arg = E.multiply(E.sqrt(E.maximum(E.subtract(1.0, E.square(r)), 0.0)), float(beta))
        return E.divide(bessel_i0(arg), bessel_i0(_full((), float(beta), like)))
    raise OpError("window", f"unknown window {kind!r}")


# -- determinants ----------------------------------------------------------------------------------

def slogdet(a: Tensor) -> Tuple[Tensor, Tensor]:
    """Sign and natural log of ``|det|`` of the square matrices on ``a``'s last two axes, by LU
    factorisation with partial pivoting (written with ops: differentiable in the entries away from
    pivot ties). A singular matrix gives sign 0 and ``-inf``. Float input. Shapes: (..., n, n) ->
    (...), (...)."""
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise OpError("slogdet", "expected square matrices on the last two axes", shapes=(a.shape,))
    n = a.shape[-1]
    batch = a.shape[:-2]
    sign = _full(batch, 1.0, a)
    logdet = _full(batch, 0.0, a)
    rows = _arange(n, a, "int64")
    for k in range(n):
        col = E.abs(_ar.slice_axis(_ar.slice_axis(a, -1, k, k + 1), -2, k, n))  # (..., n-k, 1)
        p = E.add(R.argmax(S.squeeze(col, -1), axis=-1), k)  # (...)
        pe = S.expand_dims(p, -1)
        # the row permutation swapping k and p
        perm = E.where(E.equal(rows, k), pe, E.where(E.equal(rows, pe), _full((), k, pe), rows))
        idx = S.broadcast_to(S.expand_dims(perm, -1), batch + (n, n))
        a = _ix.take_along_axis(a, idx, -2)
        sign = E.where(E.equal(p, k), sign, E.negative(sign))
        pivot = S.squeeze(S.squeeze(_ar.slice_axis(_ar.slice_axis(a, -2, k, k + 1), -1, k, k + 1), -1), -1)
        sign = E.multiply(sign, E.sign(pivot))
        logdet = E.add(logdet, E.log(E.abs(pivot)))
        if k < n - 1:
            safe = E.where(E.equal(pivot, 0.0), _full((), 1.0, pivot), pivot)
            below = _ar.slice_axis(a, -2, k + 1, n)  # (..., n-k-1, n)
            factor = E.divide(_ar.slice_axis(below, -1, k, k + 1), S.expand_dims(S.expand_dims(safe, -1), -1))
            top = _ar.slice_axis(a, -2, k, k + 1)  # (..., 1, n)
            a = _ar.concatenate([_ar.slice_axis(a, -2, 0, k + 1), E.subtract(below, E.multiply(factor, top))], axis=-2)
    return E.add(sign, 0.0), logdet  # + 0.0: no negative zero
