"""``keras.layers.Flatten``."""
from __future__ import annotations

import math
from typing import Any, Dict

from unidl import ops

from ...backend import config
from ..layer import Layer


class Flatten(Layer):
    """Flattens every dim but the batch dim.

    Args:
        data_format: ``'channels_last'`` (default) or ``'channels_first'``; with channels_first
            the channel axis is moved last first, so the element order matches channels_last.

    Input shape: (batch, ...) (rank >= 1). Output shape: (batch, prod(...)) ((batch, 1) for 1-D input).
    """

    def __init__(self, data_format: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.data_format = config.standardize_data_format(data_format)

    def call(self, inputs: Any) -> Any:
        if inputs.ndim == 0:
            raise ValueError(f"Input 0 of layer '{self.name}' is incompatible with the layer: expected min_ndim=1, "
                             f"found ndim=0. Full shape received: ()")
        x = inputs
        if self.data_format == "channels_first" and x.ndim > 2:
            x = ops.transpose(x, (0,) + tuple(range(2, x.ndim)) + (1,))
        return ops.reshape(x, (x.shape[0], math.prod(x.shape[1:])))

    def compute_output_shape(self, input_shape: Any) -> Any:
        if len(input_shape) == 0:
            raise ValueError(f"Input 0 of layer '{self.name}' is incompatible with the layer: expected min_ndim=1, "
                             f"found ndim=0. Full shape received: ()")
        rest = input_shape[1:]
        n = None if any(d is None for d in rest) else math.prod(rest)
        return (input_shape[0], n)

    def get_config(self) -> Dict[str, Any]:
        cfg = super().get_config()
        cfg["data_format"] = self.data_format
        return cfg
