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


def shuffle(data: Any) -> Any:
    """A copy of ``data`` with its first axis shuffled."""
    from .ndarray.ndarray import wrap

    return wrap(_r.shuffle(data._t))


__all__ = ["seed", "uniform", "normal", "randn", "randint", "shuffle", "unidl"]
