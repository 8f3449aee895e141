"""``keras.layers.LeakyReLU``."""
from __future__ import annotations

import warnings
from typing import Any, Dict

from unidl import ops

from ..layer import Layer


class LeakyReLU(Layer):
    """``f(x) = x`` for ``x >= 0``, ``negative_slope * x`` otherwise.

    Args:
        negative_slope: the slope for negative inputs (>= 0, default 0.3). The Keras 2 name
            ``alpha`` is accepted with a deprecation warning.

    Input shape: any. Output shape: the same as the input.
    """

    def __init__(self, negative_slope: float = 0.3, **kwargs: Any) -> None:
        if "alpha" in kwargs:
            negative_slope = kwargs.pop("alpha")
            warnings.warn("Argument `alpha` is deprecated. Use `negative_slope` instead.", UserWarning, stacklevel=2)
        super().__init__(**kwargs)
        if negative_slope is None or negative_slope < 0:
            raise ValueError("The negative_slope value of a Leaky ReLU layer cannot be None or negative value. "
                             f"Expected a float. Received: negative_slope={negative_slope}")
        self.negative_slope = negative_slope
        self.supports_masking = True
        self.built = True
        self._build_at_init()

    def call(self, inputs: Any) -> Any:
        return ops.leaky_relu(inputs, negative_slope=float(self.negative_slope))

    def compute_output_shape(self, input_shape: Any) -> Any:
        return tuple(input_shape)

    def get_config(self) -> Dict[str, Any]:
        cfg = super().get_config()
        cfg["negative_slope"] = self.negative_slope
        return cfg
