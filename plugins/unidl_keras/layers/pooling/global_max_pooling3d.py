"""``keras.layers.GlobalMaxPooling3D``."""
from __future__ import annotations

from typing import Any, Optional

from .base_global_pooling import BaseGlobalPooling


class GlobalMaxPooling3D(BaseGlobalPooling):
    """Maximum over all (dim1, dim2, dim3) positions of each channel.

    Args:
        data_format: 'channels_last' or 'channels_first' (None: ``keras.config.image_data_format()``).
        keepdims: keep the spatial dims with size 1 (default False).

    Input shape: (batch, d1, d2, d3, channels) or (batch, channels, d1, d2, d3).
    Output shape: (batch, channels); with keepdims (batch, 1, 1, 1, channels) or (batch, channels, 1, 1, 1).
    """

    def __init__(self, data_format: Optional[str] = None, keepdims: bool = False, **kwargs: Any) -> None:
        super().__init__(pool_dimensions=3, pool_mode="max", data_format=data_format, keepdims=keepdims,
                         **kwargs)
