"""Composite definitions of non-primitive ops, written once from the primitive tier.

A composite ``fn(K, *arrays, **attrs)`` computes an op's forward from other ops' kernels, reached as
``K.<op>`` on the same device type, and takes exactly the arguments of the op's kernel. It runs where
a device has no kernel for the op (``unidl.kernels.resolve``); a fused kernel registered for the op
overrides it. :func:`composite` attaches one to its op (in ``unidl.kernels.OPS``), so the op module
stays as it is; ``unidl.primitives`` lists the tier these are written in.

Where a composite follows the reference kernel's operation order (same ops on the same operands) it
gives the same bits; ``tests/plugins/test_composites.py`` checks each against ``unidl_cpu``.

This module: elementwise and reduction ops, softmax family, normalisation, dropout and random
distributions, embedding and shape ops. ``composite_extra.py`` holds more of those, ``composite_nn.py``
conv, pooling and the LSTM recurrence, ``composite_optim.py`` the optimizer rules (one branch per
framework ``form``: the framework's formula lives in the core, not in a kernel).
"""
from __future__ import annotations

import math
from typing import Any, Callable, Optional, Sequence, Tuple

import numpy as np

from ..kernels import OPS, _ensure_ops_defined

__all__ = ["composite", "full"]


def composite(name: str, reordered: bool = False, via_float32: bool = False,
              arrays: Optional[int] = None) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Attach the decorated function as op ``name``'s composite (an op's own composite is kept).

    ``reordered=True``: the composite computes in another order than the reference kernel (another
    formula, a series, another GEMM), so it and any kernel overriding it agree within the op's tolerance
    rather than bitwise (``unidl.primitives.COMPOSITE_REORDERED``).

    ``via_float32=True``: the op's reference kernel is ``unidl.dtypes.via_float32(f, arrays)`` (bfloat16 computed
    in float32, rounded back once); the op runs the composite under the same rule
    (:func:`unidl.dtypes.composite_via_float32`). The decorated function itself is returned unwrapped (other
    composites call it as a helper on arrays already widened)."""

    def deco(fn: Callable[..., Any]) -> Callable[..., Any]:
        _ensure_ops_defined()
        if reordered:
            from ..primitives import COMPOSITE_REORDERED

            COMPOSITE_REORDERED.add(name)
        op = OPS.get(name)
        if op is not None and op.composite is None:
            if via_float32:
                from ..dtypes import composite_via_float32

                op.composite = composite_via_float32(fn, arrays)
            else:
                op.composite = fn
            op.table.clear()
        return fn

    return deco


def full(K: Any, shape: Sequence[int], value: Any, dtype: Any) -> Any:
    """A new array of ``shape`` filled with ``value`` on K's device (array creation is the device's array
    namespace's job, as for ``unidl.zeros``, not an op)."""
    from ..devices import DEVICES

    return DEVICES.types[K._device_type].xp.full(tuple(shape), value, dtype=np.dtype(dtype))


def arange(K: Any, n: int, dtype: Any = np.int64) -> Any:
    from ..devices import DEVICES

    return DEVICES.types[K._device_type].xp.arange(n, dtype=np.dtype(dtype))


def _check_range(K: Any, idx: Any, n: int, what: str) -> None:
    """Raise IndexError, as the cpu kernels do, unless every element of integer ``idx`` is in [0, n): its min
    and max are reduced on the device and read to the host together (one small copy, a synchronisation)."""
    if not idx.size:
        return
    from ..devices import DEVICES

    ends = K.concatenate(K.reshape(K.min(idx), (1,)), K.reshape(K.max(idx), (1,)), axis=0)
    lo, hi = (int(v) for v in np.asarray(DEVICES.types[K._device_type].to_host(ends)))
    if lo < 0 or hi >= n:
        raise IndexError(f"{what} in [0, {n}), got values in [{lo}, {hi}]")


def _c(x: Any, v: float) -> Any:
    """``v`` as a scalar of x's dtype (a strong scalar: NumPy 1.x and 2.x promote alike)."""
    return x.dtype.type(v)


def _float(K: Any, x: Any) -> Any:
    return x if x.dtype.kind in "fc" else K.astype(x, np.float64 if x.dtype.itemsize > 2 else np.float32)


# -- elementwise ------------------------------------------------------------------------------------
@composite("square")
def _square(K, x):
    return K.multiply(x, x)


@composite("relu_grad")
def _relu_grad(K, g, y):
    return K.multiply(g, K.sign(y))


@composite("isfinite")
def _isfinite(K, x):
    if x.dtype.kind not in "fc":
        return K.equal(x, x)
    return K.equal(K.subtract(x, x), _c(x, 0))  # inf - inf and nan - nan are nan


@composite("isnan")
def _isnan(K, x):
    e = K.equal(x, x)
    return K.equal(e, False)


@composite("logical_not")
def _logical_not(K, x):
    return K.equal(x, 0) if x.dtype != np.bool_ else K.equal(x, False)


@composite("not_equal")
def _not_equal(K, a, b):
    return K.equal(K.equal(a, b), False)


@composite("greater_equal")
def _greater_equal(K, a, b):
    return K.where(K.greater(a, b), True, K.equal(a, b))


@composite("less_equal")
def _less_equal(K, a, b):
    return K.where(K.less(a, b), True, K.equal(a, b))


def _truth(K: Any, v: Any) -> Any:
    """``v``'s truth values as a bool array on K's device; a Python or NumPy scalar operand (the ops take
    one, as ``logical_and(True, t)``) becomes a 0-d array."""
    if isinstance(v, (bool, int, float, complex, np.generic)):
        return full(K, (), bool(v), np.bool_)
    return K.astype(v, np.bool_)


@composite("logical_and")
def _logical_and(K, a, b):
    return K.where(_truth(K, a), _truth(K, b), False)


@composite("logical_or")
def _logical_or(K, a, b):
    return K.where(_truth(K, a), True, _truth(K, b))


@composite("reciprocal")
def _reciprocal(K, x):
    x = _float(K, x)
    return K.divide(_c(x, 1), x)


@composite("relu")
def _relu(K, x):
    return K.maximum(x, _c(x, 0))


@composite("sigmoid", via_float32=True, arrays=1)
def _sigmoid(K, x):
    # the reference kernel's order: e = exp(-|x|) in (0, 1], r = 1/(1+e), x >= 0 ? r : e*r
    x = _float(K, x)
    e = K.exp(K.negative(K.abs(x)))
    r = K.divide(_c(e, 1), K.add(e, _c(e, 1)))
    return K.where(K.greater_equal(x, _c(x, 0)), r, K.multiply(e, r))


@composite("silu", via_float32=True, arrays=1)
def _silu(K, x):
    return K.multiply(x, _sigmoid(K, x))


def _clip(K, x, a_min=None, a_max=None):
    if a_min is not None:
        x = K.maximum(x, a_min)
    if a_max is not None:
        x = K.minimum(x, a_max)
    return x


# -- reductions -------------------------------------------------------------------------------------
def _count(shape: Sequence[int], axis: Optional[Sequence[int]]) -> int:
    n = 1
    for i, d in enumerate(shape):
        if axis is None or i in axis:
            n *= d
    return n


@composite("mean", via_float32=True, arrays=1)
def _mean(K, x, axis=None, keepdims=False):
    x = _float(K, x)
    s = K.sum(x, axis=axis, keepdims=keepdims)
    return K.divide(s, _c(s, _count(x.shape, axis)))


# -- softmax family and cross entropy ---------------------------------------------------------------
@composite("softmax", via_float32=True, arrays=1)
def _softmax(K, x, axis):
    if x.size == 0:
        return full(K, x.shape, 0, x.dtype)
    e = K.exp(K.subtract(x, K.max(x, axis=axis, keepdims=True)))
    return K.divide(e, K.sum(e, axis=axis, keepdims=True))


@composite("log_softmax", via_float32=True, arrays=1)
def _log_softmax(K, x, axis):
    if x.size == 0:
        return full(K, x.shape, 0, x.dtype)
    z = K.subtract(x, K.max(x, axis=axis, keepdims=True))
    return K.subtract(z, K.log(K.sum(K.exp(z), axis=axis, keepdims=True)))


def _classes_like(K, shape: Tuple[int, ...], axis: int) -> Any:
    n = shape[axis]
    return K.reshape(arange(K, n), tuple(n if i == axis else 1 for i in range(len(shape))))


def _expand(K, a, axis: int) -> Any:
    return K.reshape(a, a.shape[:axis] + (1,) + a.shape[axis:])


@composite("softmax_cross_entropy", via_float32=True, arrays=2)
def _softmax_cross_entropy(K, logits, labels, axis, sparse):
    out_shape = logits.shape[:axis] + logits.shape[axis + 1:]
    if logits.size == 0:
        return full(K, out_shape, 0, logits.dtype)
    z = K.subtract(logits, K.max(logits, axis=axis, keepdims=True))
    lse = K.log(K.sum(K.exp(z), axis=axis, keepdims=True))
    if sparse:
        _check_range(K, labels, logits.shape[axis], "labels must be class indices")
        hit = K.equal(_classes_like(K, logits.shape, axis), _expand(K, labels, axis))
        picked = K.sum(K.where(hit, z, _c(z, 0)), axis=axis, keepdims=True)  # one term: exact
        return K.reshape(K.subtract(lse, picked), out_shape)
    return K.negative(K.sum(K.multiply(K.subtract(z, lse), labels), axis=(axis,)))


@composite("softmax_cross_entropy_grad", via_float32=True)
def _softmax_cross_entropy_grad(K, logits, labels, g, axis):
    p = _softmax(K, logits, axis)
    if not p.size:
        return p
    hit = K.equal(_classes_like(K, logits.shape, axis), _expand(K, labels, axis))
    return K.multiply(K.subtract(p, K.astype(hit, p.dtype)), _expand(K, g, axis))


# -- normalisation ---------------------------------------------------------------------------------
@composite("norm_moments", via_float32=True, arrays=1)
def _norm_moments(K, x, axes):
    c = _c(x, 1.0 / max(_count(x.shape, axes), 1))
    mean = K.multiply(K.sum(x, axis=axes, keepdims=True), c)
    xc = K.subtract(x, mean)
    return mean, K.multiply(K.sum(K.multiply(xc, xc), axis=axes, keepdims=True), c)


def _normalize(K, x, gamma, beta, mean, var, pshape, eps):
    dt = x.dtype
    mean = K.astype(mean, dt)
    mean = K.reshape(mean, pshape) if mean.ndim != x.ndim else mean
    var = K.reshape(K.astype(var, dt), mean.shape)
    inv = K.divide(_c(x, 1), K.sqrt(K.add(var, dt.type(eps))))
    y = K.multiply(K.subtract(x, mean), inv)
    if gamma is not None:
        y = K.multiply(y, K.reshape(K.astype(gamma, dt), pshape))
    if beta is not None:
        y = K.add(y, K.reshape(K.astype(beta, dt), pshape))
    return y


composite("batch_norm", via_float32=True)(_normalize)
composite("layer_norm", via_float32=True)(_normalize)


# -- random distributions from random bits ---------------------------------------------------------
def _unit(K, shape, key, counter, dtype):
    """Floats in [0, 1): k * 2**-b from the top b bits of the Philox words (b = 11, 24, 53), exact."""
    dt = np.dtype(dtype)
    if dt == np.float64:
        b = K.random_bits(shape=shape, key=key, counter=counter, dtype=np.uint64)
        return K.multiply(K.astype(K.right_shift(b, np.uint64(11)), dt), dt.type(2.0 ** -53))
    w = K.random_bits(shape=shape, key=key, counter=counter, dtype=np.uint32)
    if dt == np.float32:
        return K.multiply(K.astype(K.right_shift(w, np.uint32(8)), dt), dt.type(2.0 ** -24))
    if dt == np.float16:
        return K.multiply(K.astype(K.right_shift(w, np.uint32(21)), dt), dt.type(2.0 ** -11))
    raise TypeError(f"unsupported float dtype {dt}")


@composite("random_uniform")
def _random_uniform(K, *, shape, key, counter, dtype, low=0.0, high=1.0):
    u = _unit(K, tuple(shape), key, counter, dtype)
    if low == 0.0 and high == 1.0:
        return u
    t = u.dtype.type
    return K.add(K.multiply(u, t(high - low)), t(low))


def _std_normal(K, key, counter, n, dtype):
    """Box-Muller on ceil(n/2) pairs of uniforms, as the reference kernel orders it."""
    dt = np.dtype(dtype)
    cdt = np.dtype(np.float32) if dt == np.float16 else dt
    m = (n + 1) // 2
    u = K.reshape(_unit(K, (2 * m,), key, counter, cdt), (m, 2))
    u0, u1 = K.getitem(u, (slice(None), 0)), K.getitem(u, (slice(None), 1))
    r = K.sqrt(K.multiply(cdt.type(-2.0), K.log(K.subtract(cdt.type(1.0), u0))))
    t = K.multiply(u1, cdt.type(2.0 * math.pi))
    z = K.reshape(K.concatenate(K.reshape(K.multiply(r, K.cos(t)), (m, 1)),
                                K.reshape(K.multiply(r, K.sin(t)), (m, 1)), axis=1), (2 * m,))
    if 2 * m != n:
        z = K.getitem(z, (slice(0, n),))
    return K.astype(z, dt) if dt != cdt else z


@composite("random_normal")
def _random_normal(K, *, shape, key, counter, dtype, loc=0.0, scale=1.0, rounds=0):
    n = _count(shape, None)
    if rounds:
        z = K.reshape(_std_normal(K, key, counter, rounds * n, dtype), (rounds, n))
        first = K.argmax(K.less_equal(K.abs(z), 2), axis=0)
        z = K.getitem(z, (first, arange(K, n)))
        z = _clip(K, z, -2, 2)
    else:
        z = _std_normal(K, key, counter, n, dtype)
    z = K.reshape(z, tuple(shape))
    if loc == 0.0 and scale == 1.0:
        return z
    t = z.dtype.type
    return K.add(K.multiply(z, t(scale)), t(loc))


@composite("random_bernoulli")
def _random_bernoulli(K, p=None, *, shape, key, counter, prob=0.5, dtype=np.bool_, true_value=1.0,
                      false_value=0.0):
    shape = tuple(shape)
    w = K.random_bits(shape=shape, key=key, counter=counter, dtype=np.uint32)
    if p is not None:
        ev = K.less(K.multiply(K.astype(w, np.float64), 2.0 ** -32), p)
    else:
        t = math.ceil(prob * 2.0 ** 32)
        ev = full(K, shape, True, np.bool_) if t >= (1 << 32) else K.less(w, np.uint32(t))
    dt = np.dtype(dtype)
    if dt == np.bool_:
        return ev
    return K.where(ev, dt.type(true_value), dt.type(false_value))


@composite("dropout")
def _dropout(K, x, mask):
    return K.multiply(x, mask)


# -- embedding and shape ops -----------------------------------------------------------------------
@composite("embedding")
def _embedding(K, indices, weight):
    _check_range(K, indices, weight.shape[0], "indices must be")
    return K.take(weight, indices, axis=0, mode="raise")


@composite("embedding_grad")
def _embedding_grad(K, indices, g, num_rows):
    row = g.shape[indices.ndim:]
    flat = K.reshape(indices, (indices.size,))
    return K.index_add(None, K.reshape(g, (indices.size,) + row), (flat,), (num_rows,) + row, False)


@composite("stack")
def _stack(K, *xs, axis):
    return K.concatenate(*[K.reshape(x, x.shape[:axis] + (1,) + x.shape[axis:]) for x in xs], axis=axis)


@composite("slice")
def _slice(K, x, slices):
    return K.getitem(x, tuple(slice(*t) for t in slices))


@composite("slice_grad")
def _slice_grad(K, g, shape, slices):
    return K.index_add(None, g, tuple(slice(*t) for t in slices), tuple(shape), True)


@composite("flip")
def _flip(K, x, axis):
    axes = range(x.ndim) if axis is None else axis
    return K.getitem(x, tuple(slice(None, None, -1) if i in axes else slice(None) for i in range(x.ndim)))
