"""``keras.layers.GaussianNoise``."""
from __future__ import annotations

from typing import Any, Dict, Optional

import unidl
from unidl import ops

from ..layer import Layer
from ._dropout_utils import check_rate, make_generator


class GaussianNoise(Layer):
    """Adds zero-mean Gaussian noise of standard deviation ``stddev`` in training; identity otherwise.

    Args:
        stddev: the noise standard deviation (in [0, 1], as Keras checks).
        seed: an int for a generator of the layer's own; None: unidl's default generator.

    Call args: ``inputs``, ``training``.
    Input shape: any. Output shape: the same.
    """

    def __init__(self, stddev: float, seed: Optional[int] = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.stddev = check_rate(stddev, "stddev")
        self.seed = seed
        self.generator = make_generator(seed)
        self.supports_masking = True
        self.built = True
        self._build_at_init()

    def call(self, inputs: Any, training: Any = False) -> Any:
        if training and self.stddev > 0:
            noise = unidl.random.normal(0.0, self.stddev, shape=inputs.shape, dtype=inputs.dtype,
                                        device=inputs.device, generator=self.generator)
            return ops.add(inputs, noise)
        return inputs

    def compute_output_shape(self, input_shape: Any) -> Any:
        return tuple(input_shape)

    def get_config(self) -> Dict[str, Any]:
        cfg = super().get_config()
        cfg.update({"stddev": self.stddev, "seed": self.seed})
        return cfg
