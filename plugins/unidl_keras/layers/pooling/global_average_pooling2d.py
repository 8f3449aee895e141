"""``keras.layers.GlobalAveragePooling2D``."""
from __future__ import annotations

from typing import Any, Optional

from .base_global_pooling import BaseGlobalPooling


class GlobalAveragePooling2D(BaseGlobalPooling):
    """Mean over all (rows, cols) positions of each channel.

    Args:
        data_format: 'channels_last' or 'channels_first' (None: ``keras.config.image_data_format()``).
        keepdims: keep the spatial dims with size 1 (default False).

    Input shape: (batch, rows, cols, channels) or (batch, channels, rows, cols).
    Output shape: (batch, channels); with keepdims (batch, 1, 1, channels) or (batch, channels, 1, 1).
    """

    def __init__(self, data_format: Optional[str] = None, keepdims: bool = False, **kwargs: Any) -> None:
        super().__init__(pool_dimensions=2, pool_mode="average", data_format=data_format, keepdims=keepdims,
                         **kwargs)
