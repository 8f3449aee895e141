"""``keras.layers.GaussianDropout``."""
from __future__ import annotations

import math
from typing import Any, Dict, Optional

import unidl
from unidl import ops

from ..layer import Layer
from ._dropout_utils import check_rate, make_generator


class GaussianDropout(Layer):
    """Multiplies by Gaussian noise of mean 1 and standard deviation ``sqrt(rate / (1 - rate))`` in
    training; identity otherwise.

    Args:
        rate: the equivalent drop probability, in [0, 1].
        seed: an int for a generator of the layer's own; None: unidl's default generator.

    Call args: ``inputs``, ``training``.
    Input shape: any. Output shape: the same.
    """

    def __init__(self, rate: float, seed: Optional[int] = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rate = check_rate(rate)
        self.seed = seed
        self.generator = make_generator(seed)
        self.supports_masking = True
        self.built = True
        self._build_at_init()

    def call(self, inputs: Any, training: Any = False) -> Any:
        if training and 0 < self.rate < 1:
            stddev = math.sqrt(self.rate / (1.0 - self.rate))
            noise = unidl.random.normal(1.0, stddev, shape=inputs.shape, dtype=inputs.dtype, device=inputs.device,
                                        generator=self.generator)
            return ops.multiply(inputs, noise)
        return inputs

    def compute_output_shape(self, input_shape: Any) -> Any:
        return tuple(input_shape)

    def get_config(self) -> Dict[str, Any]:
        cfg = super().get_config()
        cfg.update({"rate": self.rate, "seed": self.seed})
        return cfg
