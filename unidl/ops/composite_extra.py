"""More composites from the primitive tier: activations, min/argmin, variance, rounding, logical ops, gathers
and tiling, and the scale/RMSprop updates. Conventions as in ``composite_basic`` (operation order of the
reference kernel wherever that is possible, so results are bitwise equal)."""
from __future__ import annotations

import numpy as np

from .activation import SELU_ALPHA, SELU_SCALE
from .composite_basic import _c, _count, _float, _truth, arange, composite, full


def _float_of(x):
    return np.result_type(x.dtype, np.float16) if x.dtype.kind != "f" else x.dtype


def _asf(K, x):
    return x if x.dtype.kind == "f" else K.astype(x, _float_of(x))


# -- activations ------------------------------------------------------------------------------------
@composite("leaky_relu", via_float32=True, arrays=1)
def _leaky_relu(K, x, negative_slope):
    x = _asf(K, x)
    return K.where(K.greater(x, _c(x, 0)), x, K.multiply(x, _c(x, negative_slope)))


@composite("elu", via_float32=True, arrays=1)
def _elu(K, x, alpha):
    x = _asf(K, x)
    return K.where(K.greater(x, _c(x, 0)), x, K.multiply(_c(x, alpha), K.expm1(K.minimum(x, _c(x, 0)))))


@composite("selu", via_float32=True, arrays=1)
def _selu(K, x):
    x = _asf(K, x)
    neg = K.multiply(_c(x, SELU_ALPHA), K.expm1(K.minimum(x, _c(x, 0))))
    return K.multiply(_c(x, SELU_SCALE), K.where(K.greater(x, _c(x, 0)), x, neg))


@composite("softplus", via_float32=True, arrays=1)
def _softplus(K, x):
    # logaddexp(0, x) = max(x, 0) + log1p(exp(-|x|)); x itself where that is inf or nan
    x = _asf(K, x)
    y = K.add(K.maximum(x, _c(x, 0)), K.log1p(K.exp(K.negative(K.abs(x)))))
    return K.where(K.equal(K.subtract(x, x), _c(x, 0)), y, K.maximum(x, _c(x, 0)))


@composite("hard_sigmoid", via_float32=True, arrays=1)
def _hard_sigmoid(K, x, alpha, beta):
    x = _asf(K, x)
    y = K.add(K.multiply(x, _c(x, alpha)), _c(x, beta))
    return K.minimum(K.maximum(y, _c(x, 0)), _c(x, 1))


# -- reductions -------------------------------------------------------------------------------------
def _flip_order(K, x):
    """A value order reversed without overflow: -x for floats, ~x (= -x - 1) for signed, MAX - x for unsigned,
    not x for bool."""
    k = x.dtype.kind
    if k == "f":
        return K.negative(x)
    if k == "b":
        return K.equal(x, False)
    if k == "u":
        return K.subtract(x.dtype.type(np.iinfo(x.dtype).max), x)
    return K.subtract(K.negative(x), x.dtype.type(1))


@composite("min")
def _min(K, x, axis=None, keepdims=False):
    return _flip_order(K, K.max(_flip_order(K, x), axis=axis, keepdims=keepdims))


@composite("argmin")
def _argmin(K, x, axis=None, keepdims=False):
    return K.argmax(_flip_order(K, x), axis=axis, keepdims=keepdims)


@composite("var", via_float32=True, arrays=1)
def _var(K, x, axis=None, keepdims=False, ddof=0):
    # NumPy's order: mean = sum / n, d = x - mean, sum(d * d) / (n - ddof)
    x = _float(K, x)
    n = _count(x.shape, axis)
    mean = K.divide(K.sum(x, axis=axis, keepdims=True), _c(x, n))
    d = K.subtract(x, mean)
    s = K.sum(K.multiply(d, d), axis=axis, keepdims=keepdims)
    return K.divide(s, _c(s, max(n - ddof, 0)))


@composite("std", via_float32=True, arrays=1)
def _std(K, x, axis=None, keepdims=False, ddof=0):
    return K.sqrt(_var(K, x, axis=axis, keepdims=keepdims, ddof=ddof))


# -- elementwise ------------------------------------------------------------------------------------
@composite("isinf")
def _isinf(K, x):
    if x.dtype.kind not in "fc":
        return K.equal(K.equal(x, x), False)
    return K.equal(K.abs(x), np.inf)


@composite("ceil")
def _ceil(K, x):
    return K.negative(K.floor(K.negative(x)))


@composite("trunc")
def _trunc(K, x):
    return K.where(K.less(x, 0), _ceil(K, x), K.floor(x))


@composite("logical_xor")
def _logical_xor(K, a, b):
    return K.equal(K.equal(_truth(K, a), _truth(K, b)), False)


# -- gathers and tiling -----------------------------------------------------------------------------
@composite("take_along_axis")
def _take_along_axis(K, x, indices, axis, mode):
    if axis is None:
        return K.take(K.reshape(x, (x.size,)), indices, axis=0, mode=mode)
    n = x.shape[axis]
    idx = K.take(arange(K, n), indices, axis=0, mode=mode) if n else indices  # raise/wrap/clip as take does
    return K.getitem(x, _grid_key(K, x.shape, idx, axis))


@composite("one_hot")
def _one_hot(K, indices, depth, on_value, off_value, dtype):
    if indices.dtype.kind not in "iu":
        indices = K.astype(indices, np.int64)
    hit = K.equal(K.reshape(indices, indices.shape + (1,)), arange(K, depth))
    if on_value == 1 and off_value == 0:
        return K.astype(hit, dtype)
    dt = np.dtype(dtype)
    return K.where(hit, full(K, (), on_value, dt), full(K, (), off_value, dt))


@composite("tile")
def _tile(K, x, reps):
    reps = tuple(reps)
    n = max(len(reps), x.ndim)
    shape = (1,) * (n - x.ndim) + tuple(x.shape)
    reps = (1,) * (n - len(reps)) + reps
    inter = tuple(v for d in shape for v in (1, d))
    big = tuple(v for r, d in zip(reps, shape) for v in (r, d))
    return K.reshape(K.broadcast_to(K.reshape(x, inter), big), tuple(r * d for r, d in zip(reps, shape)))


@composite("repeat")
def _repeat(K, x, repeats, axis):
    if axis is None:
        x, axis = K.reshape(x, (x.size,)), 0
    idx = np.repeat(np.arange(x.shape[axis]), repeats if isinstance(repeats, int) else list(repeats))
    from ..devices import DEVICES

    return K.take(x, DEVICES.types[K._device_type].xp.asarray(idx), axis=axis, mode="raise")


# -- updates ----------------------------------------------------------------------------------------
@composite("scale_update")
def _scale_update(K, x, s):
    if hasattr(s, "dtype") and getattr(s, "ndim", 0):
        s = K.reshape(s, ())
    return (K.multiply(x, K.astype(s, x.dtype) if hasattr(s, "dtype") else x.dtype.type(s)),)


# -- a few more elementwise and logical reductions ------------------------------------------------------
def _weak(s, like):
    """A Python scalar as ``like``'s scalar type where NumPy 2 (NEP 50) would keep ``like``'s dtype."""
    dt = like.dtype
    if type(s) is float and dt.kind == "f":
        return dt.type(s)
    if type(s) is int and dt.kind in "iuf":
        if dt.kind == "f":
            return dt.type(s)
        info = np.iinfo(dt)
        if info.min <= s <= info.max:
            return dt.type(s)
    return s


@composite("clip", via_float32=True, arrays=1)
def _clip(K, x, lo, hi):
    # NumPy's clip: x below lo becomes lo, then above hi becomes hi (lo > hi gives hi; -0.0 and nan stay)
    if lo is not None:
        lo = _weak(lo, x)
        x = K.where(K.less(x, lo), lo, x)
    if hi is not None:
        hi = _weak(hi, x)
        x = K.where(K.greater(x, hi), hi, x)
    return x


@composite("any")
def _any(K, x, axis=None, keepdims=False):
    return K.greater(K.sum(K.astype(K.astype(x, np.bool_), np.int64), axis=axis, keepdims=keepdims), 0)


@composite("all")
def _all(K, x, axis=None, keepdims=False):
    misses = K.astype(K.equal(K.astype(x, np.bool_), False), np.int64)
    return K.equal(K.sum(misses, axis=axis, keepdims=keepdims), 0)


@composite("tan")
def _tan(K, x):
    x = _asf(K, x)
    return K.divide(K.sin(x), K.cos(x))


@composite("logaddexp")
def _logaddexp(K, a, b):
    # max + log1p(exp(-|a - b|)); equal infinities (a - b is nan) give a
    m = K.maximum(a, b)
    d = K.subtract(a, b)
    y = K.add(m, K.log1p(K.exp(K.negative(K.abs(d)))))
    return K.where(K.equal(d, d), y, m)


# -- scatters, contractions, pooling's gather, shuffles, signSGD --------------------------------------------
def _grid_key(K, shape, idx, axis):
    """The fancy-index key that picks ``idx`` (already valid) along ``axis`` and every position of ``shape``
    (the input's) elsewhere; a size-1 dim of the input or of ``idx`` broadcasts against the other's."""
    nd = len(shape)
    return tuple(idx if i == axis else K.reshape(arange(K, d), (1,) * i + (d,) + (1,) * (nd - i - 1))
                 for i, d in enumerate(shape))


def _fix(K, indices, n, mode):
    """Indices valid for fancy indexing under ``mode`` ('raise' errors on out-of-range, as take does)."""
    return K.take(arange(K, n), indices, axis=0, mode=mode) if n or indices.size else indices


@composite("take_grad")
def _take_grad(K, g, indices, shape, axis, mode):
    shape = tuple(shape)
    if axis is None:
        size = _count(shape, None)
        flat = K.index_add(None, K.reshape(g, (g.size,)), (_fix(K, K.reshape(indices, (indices.size,)), size, mode),),
                           (size,), False)
        return K.reshape(flat, shape)
    pre, post = shape[:axis], shape[axis + 1:]
    rows = K.reshape(g, pre + (indices.size,) + post)
    idx = _fix(K, K.reshape(indices, (indices.size,)), shape[axis], mode)
    return K.index_add(None, rows, (slice(None),) * axis + (idx,), shape, False)


@composite("scatter_add")
def _scatter_add(K, x, indices, updates, axis, mode, shape):
    shape = tuple(shape)
    flat_shape = (_count(shape, None),) if axis is None else shape
    ax = 0 if axis is None else axis
    base = None if x is None else K.reshape(x, flat_shape)
    key = _grid_key(K, flat_shape, _fix(K, indices, flat_shape[ax], mode), ax)
    out = K.index_add(base, updates, key, flat_shape, False)
    return K.reshape(out, shape) if axis is None else out


@composite("tensordot", via_float32=True, arrays=2)
def _tensordot(K, a, b, axes):
    # NumPy's tensordot: both operands transposed and reshaped to matrices, one matrix product
    if isinstance(axes, int):
        axes_a, axes_b = list(range(a.ndim - axes, a.ndim)), list(range(axes))
    else:
        axes_a, axes_b = axes
        axes_a = [axes_a] if isinstance(axes_a, int) else list(axes_a)
        axes_b = [axes_b] if isinstance(axes_b, int) else list(axes_b)
    axes_a = [x % a.ndim if a.ndim else x for x in axes_a]
    axes_b = [x % b.ndim if b.ndim else x for x in axes_b]
    free_a = [i for i in range(a.ndim) if i not in axes_a]
    free_b = [i for i in range(b.ndim) if i not in axes_b]
    n_in = _count([a.shape[i] for i in axes_a], None)
    at = K.reshape(K.transpose(a, tuple(free_a + axes_a)), (_count([a.shape[i] for i in free_a], None), n_in))
    bt = K.reshape(K.transpose(b, tuple(axes_b + free_b)), (n_in, _count([b.shape[i] for i in free_b], None)))
    return K.reshape(K.matmul(at, bt), tuple(a.shape[i] for i in free_a) + tuple(b.shape[i] for i in free_b))


@composite("max_pool_gather", via_float32=True)
def _max_pool_gather(K, x, y, gg, *, kernel, stride, padding):
    """Each window's value of ``gg`` at the window's first maximum of ``x``."""
    from .composite_nn import _lowest, _pad, _pads_needed, _windows

    out = y.shape[2:]
    pads = _pads_needed(x.shape[2:], kernel, stride, padding, out)
    xp_, ggp = _pad(K, x, pads, _lowest(x.dtype)), _pad(K, gg, pads)
    res = full(K, y.shape, 0, gg.dtype)
    taken = None
    for key in _windows(kernel, stride, out):
        eq = K.equal(K.getitem(xp_, key), y)
        hit = eq if taken is None else K.where(taken, False, eq)
        taken = eq if taken is None else K.where(taken, True, eq)
        res = K.where(hit, K.getitem(ggp, key), res)
    return res


@composite("shuffle")
def _shuffle(K, x, perm, *, axis, inverse=False):
    if inverse:
        n = perm.shape[0]
        perm = K.index_add(None, arange(K, n, perm.dtype), (perm,), (n,), False)  # inv[perm[i]] = i
    return K.take(x, perm, axis=axis, mode="raise")


# -- logarithms in other bases, norms, scans and products --------------------------------------------
@composite("log2")
def _log2(K, x):
    x = _asf(K, x)
    return K.divide(K.log(x), _c(x, np.log(2.0)))


@composite("log10")
def _log10(K, x):
    x = _asf(K, x)
    return K.divide(K.log(x), _c(x, np.log(10.0)))


@composite("norm", via_float32=True, arrays=1)
def _norm(K, x, axis=None, keepdims=False, ord=2):
    if x.dtype.kind not in "fc":
        x = K.astype(x, np.float64)
    a = K.abs(x)
    if ord == 1:
        return K.sum(a, axis=axis, keepdims=keepdims)
    if ord == 2:
        return K.sqrt(K.sum(K.multiply(a, a), axis=axis, keepdims=keepdims))
    if a.size == 0 or (axis is not None and any(x.shape[i] == 0 for i in axis)):
        return K.sum(a, axis=axis, keepdims=keepdims)
    return K.max(a, axis=axis, keepdims=keepdims)


def _along(axis, nd, sl):
    return (slice(None),) * axis + (sl,) + (slice(None),) * (nd - axis - 1)


@composite("cumsum", via_float32=True, arrays=1)
def _cumsum(K, x, axis=0, reverse=False):
    """A log-step scan (Hillis-Steele): ceil(log2 n) shifted adds. Integers exactly; floats sum in another
    order than a sequential scan (within the reduction tolerance)."""
    if reverse:
        x = K.getitem(x, _along(axis, x.ndim, slice(None, None, -1)))
    if x.dtype == np.bool_ or (x.dtype.kind in "iu" and x.dtype.itemsize < 8):
        x = K.astype(x, np.uint64 if x.dtype.kind == "u" else np.int64)  # NumPy's cumsum widens small ints
    n, shift = x.shape[axis], 1
    while shift < n:
        zeros = full(K, x.shape[:axis] + (shift,) + x.shape[axis + 1:], 0, x.dtype)
        moved = K.concatenate(zeros, K.getitem(x, _along(axis, x.ndim, slice(0, n - shift))), axis=axis)
        x = K.add(x, moved)
        shift *= 2
    return K.getitem(x, _along(axis, x.ndim, slice(None, None, -1))) if reverse else x


@composite("prod", via_float32=True, arrays=1)
def _prod(K, x, axis=None, keepdims=False):
    """Products along the axes: in sequence (NumPy's order, so underflow and 0 * inf meet as there) up to 256
    factors, by pairwise halving beyond (fewer calls, another rounding order; integers exactly)."""
    if x.dtype == np.bool_ or (x.dtype.kind in "iu" and x.dtype.itemsize < 8):
        x = K.astype(x, np.uint64 if x.dtype.kind == "u" else np.int64)
    axes = tuple(range(x.ndim)) if axis is None else tuple(axis)
    keep = [i for i in range(x.ndim) if i not in axes]
    lead = tuple(x.shape[i] for i in keep)
    m = _count([x.shape[i] for i in axes], None)
    y = K.reshape(K.transpose(x, tuple(keep) + axes), lead + (m,))
    if m == 0:
        y = full(K, lead + (1,), 1, x.dtype)
    if 1 < m <= 256:
        acc = K.getitem(y, (Ellipsis, 0))
        for i in range(1, m):
            acc = K.multiply(acc, K.getitem(y, (Ellipsis, i)))
        y = K.reshape(acc, lead + (1,))
    while y.shape[-1] > 1:
        k = y.shape[-1]
        if k % 2:
            y = K.concatenate(y, full(K, lead + (1,), 1, y.dtype), axis=len(lead))
            k += 1
        y = K.multiply(K.getitem(y, (Ellipsis, slice(0, k, 2))), K.getitem(y, (Ellipsis, slice(1, k, 2))))
    y = K.reshape(y, lead)
    if keepdims:
        y = K.reshape(y, tuple(1 if i in axes else d for i, d in enumerate(x.shape)))
    return y


@composite("pad")
def _pad(K, x, pad_width, mode, constant_value):
    """Per padded axis: constant blocks concatenated around ``x``, or a gather of the positions ``edge`` and
    ``reflect`` (repeatedly, as np.pad, for wide pads) read (``unidl.ops.arrange._pad_index``)."""
    from ..devices import DEVICES
    from .arrange import _pad_index

    xp = DEVICES.types[K._device_type].xp
    for axis, (lo, hi) in enumerate(pad_width):
        if not lo and not hi:
            continue
        n = x.shape[axis]
        if n == 0 and mode != "constant":
            raise ValueError(f"can't extend empty axis {axis} using modes other than 'constant'")
        if mode == "constant":
            parts = [full(K, x.shape[:axis] + (w,) + x.shape[axis + 1:], constant_value, x.dtype) if w else None
                     for w in (lo, hi)]
            x = K.concatenate(*[p for p in (parts[0], x, parts[1]) if p is not None], axis=axis)
        else:
            idx = xp.asarray(np.asarray(_pad_index(mode, n, lo, hi), dtype=np.int64))
            x = K.take(x, idx, axis=axis, mode="raise")
    return x
