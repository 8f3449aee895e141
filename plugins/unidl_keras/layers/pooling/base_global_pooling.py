"""Shared base of the ``GlobalMaxPooling*D``/``GlobalAveragePooling*D`` layers.

Computed by :func:`unidl.ops.global_max_pool` / :func:`unidl.ops.global_avg_pool` (channels-first),
with exact transposes at the boundary for channels_last inputs.
"""
from __future__ import annotations

from typing import Any, Dict, Optional

from unidl import ops

from ...backend import config
from ..convolutional.base_conv import check_input_rank
from ..layer import Layer
from .base_pooling import to_channels_first, to_channels_last


class BaseGlobalPooling(Layer):
    """Max or mean over all spatial positions.

    Args:
        pool_dimensions: number of spatial dims.
        pool_mode: 'max' or 'average'.
        data_format: 'channels_last' or 'channels_first' (None: ``keras.config.image_data_format()``).
        keepdims: keep the spatial dims with size 1.
    """

    def __init__(self, pool_dimensions: int, pool_mode: str = "max", data_format: Optional[str] = None,
                 keepdims: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.pool_dimensions = pool_dimensions
        self.pool_mode = pool_mode
        self.data_format = config.standardize_data_format(data_format)
        self.keepdims = bool(keepdims)
        self._build_at_init()  # stateless: built at construction, as in Keras

    def compute_output_shape(self, input_shape: Any) -> Any:
        nd = self.pool_dimensions
        check_input_rank(self, input_shape, nd + 2)
        if self.data_format == "channels_last":
            c = input_shape[-1]
            return (input_shape[0],) + (1,) * nd + (c,) if self.keepdims else (input_shape[0], c)
        c = input_shape[1]
        return (input_shape[0], c) + (1,) * nd if self.keepdims else (input_shape[0], c)

    def call(self, inputs: Any) -> Any:
        nd = self.pool_dimensions
        check_input_rank(self, inputs.shape, nd + 2)
        last = self.data_format == "channels_last"
        x = to_channels_first(inputs, nd) if last else inputs
        fn = ops.global_max_pool if self.pool_mode == "max" else ops.global_avg_pool
        y = fn(x, keepdims=self.keepdims)
        return to_channels_last(y, nd) if last and self.keepdims else y

    def get_config(self) -> Dict[str, Any]:
        cfg = super().get_config()
        cfg.update({"data_format": self.data_format, "keepdims": self.keepdims})
        return cfg
