"""``keras.layers.UpSampling1D``."""
from __future__ import annotations

from typing import Any, Dict

from unidl import ops

from ..layer import Layer
from ._padding_utils import check_ndim


class UpSampling1D(Layer):
    """Repeats each step ``size`` times along the steps axis.

    Args:
        size: the repeat factor (positive int, default 2).

    Input shape: (batch, steps, features). Output shape: (batch, steps * size, features).
    """

    def __init__(self, size: int = 2, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(size, bool) or not isinstance(size, int):
            raise TypeError(f"Expected an integer value for `size`, got {type(size)}.")
        if size <= 0:
            raise ValueError(f"Argument `size` should be a positive integer. Received: size={size}")
        self.size = size

    def call(self, inputs: Any) -> Any:
        check_ndim(self, inputs.shape, 3)
        return ops.repeat(inputs, self.size, axis=1)

    def compute_output_shape(self, input_shape: Any) -> Any:
        check_ndim(self, input_shape, 3)
        steps = None if input_shape[1] is None else input_shape[1] * self.size
        return (input_shape[0], steps, input_shape[2])

    def get_config(self) -> Dict[str, Any]:
        cfg = super().get_config()
        cfg["size"] = self.size
        return cfg
