"""Helpers the dropout/noise layers share: rate check, seed -> generator, noise shape (private)."""
from __future__ import annotations

from typing import Any, Optional, Sequence, Tuple

import unidl


def check_rate(rate: Any, name: str = "rate") -> float:
    """``rate`` as a float in [0, 1], or Keras's error."""
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0 <= rate <= 1:
        raise ValueError(f"Invalid value received for argument `{name}`. Expected a float value between 0 and 1. "
                         f"Received: {name}={rate}")
    return float(rate)


def make_generator(seed: Optional[int]) -> Optional[unidl.random.Generator]:
    """None (draw from unidl's default generator) or a generator of its own for an int ``seed``."""
    if seed is None:
        return None
    if type(seed).__name__ == "SeedGenerator":
        from ...random import generator_of

        return generator_of(seed)
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ValueError(f"Argument `seed` must be an int, a keras.random.SeedGenerator or None. Received: seed={seed!r}")
    return unidl.random.Generator(seed)


def concrete_noise_shape(noise_shape: Optional[Sequence[Any]], x: Any) -> Optional[Tuple[int, ...]]:
    """``noise_shape`` with its None entries taken from ``x``'s shape."""
    if noise_shape is None:
        return None
    if len(noise_shape) != x.ndim:
        raise ValueError(f"`noise_shape` {tuple(noise_shape)} must have the rank of the input, whose shape is "
                         f"{tuple(x.shape)}")
    return tuple(d if n is None else int(n) for n, d in zip(noise_shape, x.shape))
