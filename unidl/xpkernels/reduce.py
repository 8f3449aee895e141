"""Reduction kernels. ``axis`` arrives normalised (tuple of non-negative ints, or None).

Sums, means, products and moments of bfloat16 accumulate in float32 and round back once, as JAX and
PyTorch do (:func:`unidl.dtypes.via_float32`); max/min/arg* are exact in bfloat16.
"""
from __future__ import annotations

from typing import Any, Callable, Dict

from unidl.dtypes import via_float32


def kernels(xp: Any) -> Dict[str, Callable[..., Any]]:
    asarray = xp.asarray

    if getattr(xp, "__name__", "") == "numpy":
        # np.sum / np.max / np.min on an ndarray are these reductions behind a Python-level dispatch layer
        add_reduce, max_reduce, min_reduce = xp.add.reduce, xp.maximum.reduce, xp.minimum.reduce
    else:
        add_reduce, max_reduce, min_reduce = xp.sum, xp.max, xp.min

    def sum_(x, axis=None, keepdims=False):
        return asarray(add_reduce(x, axis=axis, keepdims=keepdims))

    def mean(x, axis=None, keepdims=False):
        return asarray(xp.mean(x, axis=axis, keepdims=keepdims))

    def max_(x, axis=None, keepdims=False):
        return asarray(max_reduce(x, axis=axis, keepdims=keepdims))

    def min_(x, axis=None, keepdims=False):
        return asarray(min_reduce(x, axis=axis, keepdims=keepdims))

    def prod(x, axis=None, keepdims=False):
        return asarray(xp.prod(x, axis=axis, keepdims=keepdims))

    def argmax(x, axis=None, keepdims=False):
        r = xp.argmax(x, axis=axis)
        if keepdims:
            r = xp.expand_dims(r, axis) if axis is not None else xp.reshape(r, (1,) * x.ndim)
        return asarray(r).astype(xp.int64)

    def argmin(x, axis=None, keepdims=False):
        r = xp.argmin(x, axis=axis)
        if keepdims:
            r = xp.expand_dims(r, axis) if axis is not None else xp.reshape(r, (1,) * x.ndim)
        return asarray(r).astype(xp.int64)

    def argsort(x, axis=-1, descending=False):
        if not descending:
            return xp.argsort(x, axis=axis, kind="stable").astype(xp.int64)
        # stable descending: sort the reversed axis ascending, map back, reverse the order
        n = x.shape[axis]
        rev = xp.argsort(xp.flip(x, axis), axis=axis, kind="stable")
        return xp.flip((n - 1) - rev, axis).astype(xp.int64)

    def var(x, axis=None, keepdims=False, ddof=0):
        return asarray(xp.var(x, axis=axis, keepdims=keepdims, ddof=ddof))

    def std(x, axis=None, keepdims=False, ddof=0):
        return asarray(xp.std(x, axis=axis, keepdims=keepdims, ddof=ddof))

    def logsumexp(x, axis=None, keepdims=False):
        m = xp.max(x, axis=axis, keepdims=True) if x.size else xp.zeros((1,) * x.ndim, x.dtype)
        m = xp.where(xp.isfinite(m), m, 0).astype(x.dtype)
        out = xp.log(xp.sum(xp.exp(x - m), axis=axis, keepdims=True)) + m
        if not keepdims:
            out = xp.squeeze(out, axis=axis) if axis is not None else xp.reshape(out, ())
        return asarray(out)

    def cumsum(x, axis=0, reverse=False):
        if reverse:
            return xp.flip(xp.cumsum(xp.flip(x, axis), axis=axis), axis)
        return xp.cumsum(x, axis=axis)

    def all_(x, axis=None, keepdims=False):
        return asarray(xp.all(x, axis=axis, keepdims=keepdims))

    def any_(x, axis=None, keepdims=False):
        return asarray(xp.any(x, axis=axis, keepdims=keepdims))

    def norm(x, axis=None, keepdims=False, ord=2):
        if x.dtype.kind not in "fc":  # as numpy.linalg.norm: integer and bool inputs give float64
            x = x.astype(xp.float64)
        a = xp.abs(x)
        if ord == 1:
            r = xp.sum(a, axis=axis, keepdims=keepdims)
        elif ord == 2:
            r = xp.sqrt(xp.sum(a * a, axis=axis, keepdims=keepdims))
        elif a.size == 0 or (axis is not None and any(x.shape[i] == 0 for i in axis)):
            # the inf-norm of an empty vector is 0 (max of |x| has no identity; 0 is its lower bound)
            r = xp.sum(a, axis=axis, keepdims=keepdims)
        else:
            r = xp.max(a, axis=axis, keepdims=keepdims)
        return asarray(r)

    w = via_float32
    return {"sum": w(sum_, 1), "mean": w(mean, 1), "max": max_, "min": min_, "prod": w(prod, 1), "argmax": argmax,
            "argmin": argmin, "argsort": argsort, "var": w(var, 1), "std": w(std, 1), "logsumexp": w(logsumexp, 1),
            "cumsum": w(cumsum, 1), "all": all_, "any": any_, "norm": w(norm, 1)}
