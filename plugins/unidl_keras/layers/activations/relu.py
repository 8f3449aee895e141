"""``keras.layers.ReLU``."""
from __future__ import annotations

from typing import Any, Dict, Optional

from ... import activations
from ..layer import Layer


class ReLU(Layer):
    """Rectified linear unit with optional cap, leak and threshold::

        f(x) = max_value                        if x >= max_value
        f(x) = x                                if threshold <= x < max_value
        f(x) = negative_slope * (x - threshold) otherwise

    Args:
        max_value: the cap (None: no cap); must be >= 0.
        negative_slope: slope below the threshold (>= 0, default 0).
        threshold: where the function switches (>= 0, default 0).

    Input shape: any. Output shape: the same as the input.
    """

    def __init__(self, max_value: Optional[float] = None, negative_slope: float = 0.0, threshold: float = 0.0,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if max_value is not None and max_value < 0.0:
            raise ValueError(f"max_value of a ReLU layer cannot be a negative value. Received: {max_value}")
        if negative_slope is None or negative_slope < 0.0:
            raise ValueError("negative_slope of a ReLU layer cannot be None or a negative value. "
                             f"Received: negative_slope={negative_slope}")
        if threshold is None or threshold < 0.0:
            raise ValueError(f"threshold of a ReLU layer cannot be None or a negative value. Received: threshold={threshold}")
        self.max_value = max_value
        self.negative_slope = negative_slope
        self.threshold = threshold
        self.supports_masking = True
        self.built = True
        self._build_at_init()

    def call(self, inputs: Any) -> Any:
        return activations.relu(inputs, negative_slope=self.negative_slope, max_value=self.max_value,
                                threshold=self.threshold)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return tuple(input_shape)

    def get_config(self) -> Dict[str, Any]:
        cfg = super().get_config()
        cfg.update({"max_value": self.max_value, "negative_slope": self.negative_slope, "threshold": self.threshold})
        return cfg
