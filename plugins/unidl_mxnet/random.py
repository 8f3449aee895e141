"""``mx.random`` / ``mx.nd.random``: seeding and draws from unidl's deterministic generator.

``mx.random.seed(s)`` seeds the same generator ``keras.utils.set_random_seed`` seeds, so a Gluon model and
its Keras twin draw the same numbers.
"""
from __future__ import annotations

from typing import Any, Optional

import unidl
import unidl.random as _r

from .context import Context, current_context


def seed(seed_state: int, ctx: Any = "all") -> None:
    """Seed the generator (one generator serves every context, so ``ctx`` is accepted and ignored)."""
    _r.seed(int(seed_state))


def _dev(ctx: Optional[Context]):
    return (ctx or current_context()).unidl_device


def _wrap(t):
    from .ndarray.ndarray import wrap

    return wrap(t)


def _shape(shape: Any) -> tuple:
    if shape is None or shape == ():
        return (1,)
    return (shape,) if isinstance(shape, int) else tuple(shape)


def uniform(low: float = 0.0, high: float = 1.0, shape: Any = (), dtype: Any = "float32",
            ctx: Optional[Context] = None, **kwargs: Any) -> Any:
    """Uniform draws in [low, high)."""
    return _wrap(_r.uniform(low, high, _shape(shape), dtype=dtype, device=_dev(ctx)))


def normal(loc: float = 0.0, scale: float = 1.0, shape: Any = (), dtype: Any = "float32",
           ctx: Optional[Context] = None, **kwargs: Any) -> Any:
    """Normal draws with mean ``loc`` and standard deviation ``scale``."""
    return _wrap(_r.normal(loc, scale, _shape(shape), dtype=dtype, device=_dev(ctx)))


def randn(*shape: int, loc: float = 0.0, scale: float = 1.0, dtype: Any = "float32",
          ctx: Optional[Context] = None) -> Any:
    return normal(loc, scale, shape or (1,), dtype, ctx)


def randint(low: int, high: int, shape: Any = (), dtype: Any = "int32", ctx: Optional[Context] = None) -> Any:
    """Integers in [low, high)."""
    return _wrap(_r.randint(low, high, _shape(shape), dtype=dtype, device=_dev(ctx)))


def exponential(scale: float = 1.0, shape: Any = (), dtype: Any = "float32", ctx: Optional[Context] = None,
                **kwargs: Any) -> Any:
    """Exponential draws with mean ``scale`` (``-scale * log(1 - u)`` for uniform ``u``)."""
    from unidl import ops

    if float(scale) <= 0:
        from .base import MXNetError

        raise MXNetError(f"random.exponential: scale must be > 0, got {scale}")
    u = _r.uniform(0.0, 1.0, _shape(shape), dtype=dtype, device=_dev(ctx))
    return _wrap(ops.multiply(ops.log1p(ops.negative(u)), u.dtype.type(-float(scale))))


def multinomial(data: Any, shape: Any = (), get_prob: bool = False, dtype: Any = "int32", **kwargs: Any) -> Any:
    """Category draws from the probabilities ``data`` (..., K) (each row sums to 1): shape
    data.shape[:-1] + shape. ``get_prob`` also returns the log-probability of each draw."""
    from unidl import ops

    from .base import MXNetError

    p = data._t
    if p.ndim < 1 or p.shape[-1] < 1:
        raise MXNetError(f"random.multinomial: data must have shape (..., K) with K >= 1, got {p.shape}")
    extra = () if shape is None or shape == () else ((shape,) if isinstance(shape, int) else tuple(shape))
    k = p.shape[-1]
    cdf = ops.cumsum(p.detach(), axis=-1)
    lead = p.shape[:-1]
    u = _r.uniform(0.0, 1.0, lead + extra, dtype=p.dtype, device=p.device)
    cdf_b = ops.reshape(cdf, lead + (1,) * len(extra) + (k,))
    idx = ops.sum(ops.astype(ops.less_equal(cdf_b, ops.expand_dims(u, -1)), "int64"), axis=-1)
    idx = ops.clip(idx, 0, k - 1)
    out = _wrap(ops.astype(idx, dtype))
    if not get_prob:
        return out
    flat_p = ops.reshape(p, lead + (1,) * len(extra) + (k,))
    flat_p = ops.broadcast_to(flat_p, lead + extra + (k,))
    picked = ops.take_along_axis(flat_p, ops.expand_dims(idx, -1), axis=-1)
    return [out, _wrap(ops.log(ops.squeeze(picked, -1)))]


def shuffle(data: Any) -> Any:
    """A copy of ``data`` with its first axis shuffled."""
    from .ndarray.ndarray import wrap

    return wrap(_r.shuffle(data._t))


__all__ = ["seed", "uniform", "normal", "randn", "randint", "exponential", "multinomial", "shuffle", "unidl"]
