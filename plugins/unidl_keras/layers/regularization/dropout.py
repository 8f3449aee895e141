"""``keras.layers.Dropout``."""
from __future__ import annotations

from typing import Any, Dict, Optional, Sequence, Tuple

import unidl
from unidl import ops

from ..layer import Layer


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


class Dropout(Layer):
    """Inverted dropout: in training, zeroes each entry with probability ``rate`` and scales the
    rest by ``1 / (1 - rate)``; identity otherwise. Computed with the core ``ops.dropout`` (as
    Gluon's Dropout).

    Args:
        rate: the drop probability, in [0, 1].
        noise_shape: the shape of the binary mask (broadcast over the input; None entries take the
            input's dims), e.g. ``(batch, 1, features)`` to drop the same features at every step.
        seed: an int for a generator of the layer's own; None draws from unidl's default generator.

    Call args: ``inputs``, ``training`` (dropout only when True).
    Input shape: any. Output shape: the same.
    """

    def __init__(self, rate: float, noise_shape: Optional[Sequence[Any]] = None, seed: Optional[int] = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rate = check_rate(rate)
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)
        self.seed = seed
        self.generator = make_generator(seed)
        self.supports_masking = True
        self.built = True

    def _noise_shape(self, inputs: Any) -> Optional[Tuple[int, ...]]:
        return concrete_noise_shape(self.noise_shape, inputs)

    def call(self, inputs: Any, training: Any = False) -> Any:
        if training and self.rate > 0:
            return ops.dropout(inputs, self.rate, training=True, generator=self.generator,
                               noise_shape=self._noise_shape(inputs))
        return inputs

    def compute_output_shape(self, input_shape: Any) -> Any:
        return tuple(input_shape)

    def get_config(self) -> Dict[str, Any]:
        cfg = super().get_config()
        cfg.update({"rate": self.rate, "seed": self.seed, "noise_shape": self.noise_shape})
        return cfg
