"""``keras.layers.UpSampling3D``."""
from __future__ import annotations

from typing import Any, Dict

from unidl import ops

from ...backend import config
from ..layer import Layer
from ._padding_utils import check_ndim, spatial_axes, standardize_tuple


class UpSampling3D(Layer):
    """Repeats the three spatial dims by ``size`` (nearest neighbour).

    Args:
        size: an int or a tuple of 3 positive ints (default (2, 2, 2)).
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.

    Input shape: 5D. Output shape: 5D with each spatial dim multiplied by its factor.
    """

    def __init__(self, size: Any = (2, 2, 2), data_format: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.size = standardize_tuple(size, 3, "size")
        self.data_format = config.standardize_data_format(data_format)

    def call(self, inputs: Any) -> Any:
        check_ndim(self, inputs.shape, 5)
        x = inputs
        for ax, s in zip(spatial_axes(self.data_format, 3), self.size):
            if s != 1:
                x = ops.repeat(x, s, axis=ax)
        return x

    def compute_output_shape(self, input_shape: Any) -> Any:
        check_ndim(self, input_shape, 5)
        out = list(input_shape)
        for ax, s in zip(spatial_axes(self.data_format, 3), self.size):
            out[ax] = None if out[ax] is None else out[ax] * s
        return tuple(out)

    def get_config(self) -> Dict[str, Any]:
        cfg = super().get_config()
        cfg.update({"size": self.size, "data_format": self.data_format})
        return cfg
