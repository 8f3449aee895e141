"""``keras.layers.AlphaDropout``."""
from __future__ import annotations

from typing import Any, Dict, Optional, Sequence

import unidl
from unidl import ops

from ..layer import Layer
from ._dropout_utils import check_rate, concrete_noise_shape, make_generator

_ALPHA = 1.6732632423543772848170429916717
_SCALE = 1.0507009873554804934193349852946


class AlphaDropout(Layer):
    """Dropout that keeps the mean and variance of SELU activations: in training, dropped entries are
    set to ``-alpha * scale`` and the result is affinely corrected (``a * x + b``); identity otherwise.

    Args:
        rate: the drop probability, in [0, 1).
        noise_shape: the mask shape (None entries take the input's dims).
        seed: an int for a generator of the layer's own; None: unidl's default generator.

    Call args: ``inputs``, ``training``.
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
        self._build_at_init()

    def call(self, inputs: Any, training: Any = False) -> Any:
        if not (training and 0 < self.rate < 1):
            return inputs
        shape = concrete_noise_shape(self.noise_shape, inputs) or inputs.shape
        u = unidl.random.uniform(0.0, 1.0, shape=shape, dtype=inputs.dtype, device=inputs.device,
                                 generator=self.generator)
        kept = ops.astype(ops.greater_equal(u, self.rate), inputs.dtype)
        alpha_p = -_ALPHA * _SCALE
        a = ((1.0 - self.rate) * (1.0 + self.rate * alpha_p ** 2)) ** -0.5
        b = -a * alpha_p * self.rate
        x = ops.add(ops.multiply(inputs, kept), ops.multiply(ops.subtract(1.0, kept), alpha_p))
        return ops.add(ops.multiply(x, a), b)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return tuple(input_shape)

    def get_config(self) -> Dict[str, Any]:
        cfg = super().get_config()
        cfg.update({"rate": self.rate, "seed": self.seed, "noise_shape": self.noise_shape})
        return cfg
