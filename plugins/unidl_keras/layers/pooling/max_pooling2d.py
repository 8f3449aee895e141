"""``keras.layers.MaxPooling2D``."""
from __future__ import annotations

from typing import Any, Optional

from .base_pooling import BasePooling


class MaxPooling2D(BasePooling):
    """Maximum over windows of ``pool_size`` moved by ``strides`` along (rows, cols).

    Args:
        pool_size: an int or 2 ints (default (2, 2)).
        strides: an int, 2 ints, or None (= pool_size).
        padding: 'valid' (windows inside the input) or 'same' (output size ``ceil(n / strides)``, padding
            split as TensorFlow does, the odd extra on the high side).
        data_format: 'channels_last' or 'channels_first' (None: ``keras.config.image_data_format()``).

    Input shape: channels_last (batch, rows, cols, channels); channels_first (batch, channels, rows, cols).
    Output shape: the same layout with the pooled spatial sizes
    (``(n - pool_size) // strides + 1`` for 'valid').
    """

    def __init__(self, pool_size: Any = (2, 2), strides: Any = None, padding: str = "valid", data_format: Optional[str] = None,
                 name: Optional[str] = None, **kwargs: Any) -> None:
        super().__init__(pool_size, strides, pool_dimensions=2, pool_mode="max", padding=padding,
                         data_format=data_format, name=name, **kwargs)
