"""``mx.np.random``: NumPy-style draws from unidl's deterministic generator (seeded by ``mx.random.seed``,
also available here as ``seed``). Float draws are float32 by default, integer draws int64, as MXNet 1.9.
"""
from __future__ import annotations

from typing import Any, Optional

import numpy as _onp

import unidl
import unidl.random as _r
from unidl import ops
from unidl.tensor import Tensor

from ..base import MXNetError
from ..context import Context, current_context
from ..ndarray.ndarray import NDArray
from ..random import seed  # noqa: F401  (np.random.seed is mx.random.seed)
from . import _dtypes as D
from ._op import _tensor
from .multiarray import _wrap, ndarray


def _dev(ctx: Optional[Context]):
    return (ctx or current_context()).unidl_device


def _size(size: Any) -> tuple:
    if size is None:
        return ()
    return (int(size),) if isinstance(size, (int, _onp.integer)) else tuple(int(d) for d in size)


def _float(dtype: Any) -> _onp.dtype:
    dt = D.as_dtype(dtype)
    if dt.kind != "f":
        raise MXNetError(f"random: dtype must be a float type, got {dt}")
    return dt


def uniform(low: float = 0.0, high: float = 1.0, size: Any = None, dtype: Any = None,
            ctx: Optional[Context] = None, out: Any = None) -> ndarray:
    """Draws from [low, high). Shape ``size`` (0-d when None); float32 by default."""
    return _wrap(_r.uniform(float(low), float(high), _size(size), dtype=_float(dtype), device=_dev(ctx)))


def normal(loc: float = 0.0, scale: float = 1.0, size: Any = None, dtype: Any = None,
           ctx: Optional[Context] = None, out: Any = None) -> ndarray:
    """Gaussian draws with mean ``loc`` and standard deviation ``scale``; float32 by default."""
    return _wrap(_r.normal(float(loc), float(scale), _size(size), dtype=_float(dtype), device=_dev(ctx)))


def rand(*size: int, **kwargs: Any) -> ndarray:
    """Uniform [0, 1) draws of shape ``size``."""
    return uniform(size=size, **kwargs)


def randn(*size: int, **kwargs: Any) -> ndarray:
    """Standard normal draws of shape ``size``."""
    return normal(size=size, **kwargs)


def randint(low: int, high: Optional[int] = None, size: Any = None, dtype: Any = None,
            ctx: Optional[Context] = None, out: Any = None) -> ndarray:
    """Integers in [low, high) ([0, low) when ``high`` is None); int64 by default."""
    if high is None:
        low, high = 0, low
    if high <= low:
        raise ValueError(f"randint: low >= high ({low} >= {high})")
    dt = D.INT64 if dtype is None else _onp.dtype(dtype)
    return _wrap(_r.randint(int(low), int(high), _size(size), dtype=dt, device=_dev(ctx)))


def choice(a: Any, size: Any = None, replace: bool = True, p: Any = None, ctx: Optional[Context] = None,
           out: Any = None) -> ndarray:
    """Samples from ``range(a)`` (an int) or from the 1-D array ``a``, optionally with probabilities ``p``."""
    pool = None
    if isinstance(a, (int, _onp.integer)):
        n = int(a)
    else:
        pool = _tensor(a, "random.choice")
        if pool.ndim != 1:
            raise ValueError(f"random.choice: a must be 1-dimensional, got shape {pool.shape}")
        n = pool.shape[0]
    if n <= 0:
        raise ValueError("random.choice: a must be greater than 0")
    shape = _size(size)
    count = int(_onp.prod(shape)) if shape else 1
    dev = _dev(ctx) if pool is None else pool.device
    if p is not None:
        if not replace:
            raise MXNetError("random.choice: replace=False with p is not supported")
        probs = _tensor(p, "random.choice")
        if probs.shape != (n,):
            raise ValueError(f"random.choice: p must have shape ({n},), got {probs.shape}")
        cdf = ops.cumsum(ops.astype(probs, _onp.float64), axis=0)
        u = _r.uniform(0.0, 1.0, (count, 1), dtype=_onp.float64, device=dev)
        idx = ops.sum(ops.astype(ops.greater_equal(u, ops.reshape(cdf, (1, n))), D.INT64), axis=1)
        idx = ops.minimum(idx, n - 1)
    elif replace:
        idx = _r.randint(0, n, (count,), dtype=D.INT64, device=dev)
    else:
        if count > n:
            raise ValueError("random.choice: cannot take a larger sample than population when replace=False")
        idx = ops.getitem(_r.permutation(n, device=dev), slice(0, count))
        idx = ops.astype(idx, D.INT64)
    res = idx if pool is None else ops.take(pool, idx, axis=0)
    return _wrap(ops.reshape(res, shape))


def multinomial(n: int, pvals: Any, size: Any = None) -> ndarray:
    """Counts of ``n`` draws among ``len(pvals)`` categories with probabilities ``pvals`` (an ``mx.np``
    array or a flat list; the last one takes what the others leave): int64 of shape ``size + (K,)``."""
    if isinstance(pvals, _onp.ndarray):
        raise ValueError("numpy ndarray is not supported!")
    if not isinstance(pvals, NDArray) and any(isinstance(v, (list, tuple)) for v in pvals):
        raise ValueError("object too deep for desired array")
    if isinstance(pvals, NDArray):
        p = pvals._t
    else:  # a Python sequence: double precision, as MXNet's operator parameter
        p = Tensor._from_any(_onp.asarray(pvals, dtype=_onp.float64), _dev(None))
    if p.ndim != 1:
        raise MXNetError(f"random.multinomial: pvals must be 1-dimensional, got shape {p.shape}")
    n = int(n)
    if n < 0:
        raise MXNetError(f"random.multinomial: n must be >= 0, got {n}")
    k = p.shape[0]
    shape = _size(size)
    dev = p.device
    cdf = ops.cumsum(p, axis=0)  # accumulated in pvals' dtype, as MXNet checks the total
    if k and float(ops.getitem(cdf, -1).numpy()) > 1.0 + 1e-12:
        total = float(ops.getitem(cdf, -1).numpy())
        raise MXNetError(f"random.multinomial: sum(pvals[:-1]) > 1.0 (the probabilities sum to {total:g})")
    if k == 0 or n == 0 or 0 in shape:
        return _wrap(unidl.zeros(shape + (k,), dtype=D.INT64, device=dev))
    # draw j is in category c when cdf[c-1] <= u < cdf[c]; ge[c] counts the draws in category c or later
    cdf, p = ops.astype(cdf, _onp.float64), ops.astype(p, _onp.float64)
    starts = ops.subtract(cdf, p)  # exclusive cumulative sums, starts[0] = 0
    u = _r.uniform(0.0, 1.0, shape + (n, 1), dtype=_onp.float64, device=dev)
    ge = ops.sum(ops.astype(ops.greater_equal(u, starts), D.INT64), axis=-2)  # shape + (K,)
    nxt = ops.concatenate([ops.getitem(ge, (Ellipsis, slice(1, None))),
                           unidl.zeros(shape + (1,), dtype=D.INT64, device=dev)], axis=-1)
    return _wrap(ops.subtract(ge, nxt))


def shuffle(x: ndarray) -> None:
    """Shuffle ``x`` in place along its first axis."""
    if not hasattr(x, "_t"):
        raise TypeError(f"random.shuffle: expected an mx.np.ndarray, got {type(x).__name__}")
    ops.setitem(x._t, Ellipsis, _r.shuffle(x._t.detach(), axis=0))


__all__ = ["seed", "uniform", "normal", "rand", "randn", "randint", "choice", "shuffle", "multinomial"]
