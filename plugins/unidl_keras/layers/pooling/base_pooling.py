"""Shared base of the ``MaxPooling*D``/``AveragePooling*D`` layers.

Computed by :func:`unidl.ops.max_pool` / :func:`unidl.ops.avg_pool` (channels-first, the ops the
Gluon pooling layers call), with exact transposes at the boundary for channels_last inputs.
'same' padding follows TensorFlow (output ``ceil(n / strides)``, the odd extra padding on the high
side); average pooling then divides by the number of real input elements in each window (the
padding is not counted), as Keras does.
"""
from __future__ import annotations

from typing import Any, Dict, Optional

from unidl import ops

from ...backend import config
from ..convolutional.base_conv import (check_input_rank, conv_output_length, same_pads, spatial_shape,
                                       standardize_padding, standardize_tuple, with_spatial)
from ..layer import Layer


def to_channels_first(x: Any, nd: int) -> Any:
    return ops.transpose(x, (0, nd + 1) + tuple(range(1, nd + 1)))


def to_channels_last(x: Any, nd: int) -> Any:
    return ops.transpose(x, (0,) + tuple(range(2, nd + 2)) + (1,))


class BasePooling(Layer):
    """N-d max or average pooling over windows of ``pool_size``.

    Args:
        pool_dimensions: number of spatial dims.
        pool_mode: 'max' or 'average'.
        pool_size: an int or ``pool_dimensions`` ints.
        strides: an int, ints, or None (= ``pool_size``).
        padding: 'valid' or 'same' (case-insensitive).
        data_format: 'channels_last' or 'channels_first' (None: ``keras.config.image_data_format()``).
    """

    def __init__(self, pool_size: Any, strides: Any, pool_dimensions: int, pool_mode: str = "max",
                 padding: str = "valid", data_format: Optional[str] = None, name: Optional[str] = None,
                 **kwargs: Any) -> None:
        super().__init__(name=name, **kwargs)
        self.pool_dimensions = pool_dimensions
        self.pool_mode = pool_mode
        self.pool_size = standardize_tuple(pool_size, pool_dimensions, "pool_size")
        self.strides = self.pool_size if strides is None else standardize_tuple(strides, pool_dimensions, "strides")
        self.padding = standardize_padding(padding)
        self.data_format = config.standardize_data_format(data_format)
        self._build_at_init()  # stateless: built at construction, as in Keras

    def _spatial_out(self, input_shape: Any) -> Any:
        out = tuple(conv_output_length(n, k, self.padding, s, 1)
                    for n, k, s in zip(spatial_shape(input_shape, self.data_format), self.pool_size, self.strides))
        if any(o is not None and o <= 0 for o in out):
            raise ValueError(f"Computed output size would be zero or negative for layer \"{self.name}\". Received: "
                             f"`inputs.shape={tuple(input_shape)}`, `pool_size={self.pool_size}`, "
                             f"`strides={self.strides}`, `padding={self.padding}`.")
        return out

    def compute_output_shape(self, input_shape: Any) -> Any:
        check_input_rank(self, input_shape, self.pool_dimensions + 2)
        c = input_shape[-1] if self.data_format == "channels_last" else input_shape[1]
        return with_spatial(input_shape, self._spatial_out(input_shape), c, self.data_format)

    def call(self, inputs: Any) -> Any:
        nd = self.pool_dimensions
        check_input_rank(self, inputs.shape, nd + 2)
        self._spatial_out(inputs.shape)
        x = to_channels_first(inputs, nd) if self.data_format == "channels_last" else inputs
        pads: Any = 0
        if self.padding == "same":
            pads = same_pads(x.shape[2:], self.pool_size, self.strides)
        if self.pool_mode == "max":
            y = ops.max_pool(x, self.pool_size, self.strides, pads)
        else:
            y = ops.avg_pool(x, self.pool_size, self.strides, pads, count_include_pad=False)
        return to_channels_last(y, nd) if self.data_format == "channels_last" else y

    def get_config(self) -> Dict[str, Any]:
        cfg = super().get_config()
        cfg.update({"pool_size": self.pool_size, "padding": self.padding, "strides": self.strides,
                    "data_format": self.data_format})
        return cfg
