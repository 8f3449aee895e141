"""``keras.layers.MaxPooling1D``."""
from __future__ import annotations

from typing import Any, Optional

from .base_pooling import BasePooling


class MaxPooling1D(BasePooling):
    """Maximum over windows of ``pool_size`` moved by ``strides`` along steps.

    Args:
        pool_size: an int or 1 ints (default 2).
        strides: an int, 1 ints, or None (= pool_size).
        padding: 'valid' (windows inside the input) or 'same' (output size ``ceil(n / strides)``, padding
            split as TensorFlow does, the odd extra on the high side).
        data_format: 'channels_last' or 'channels_first' (None: ``keras.config.image_data_format()``).

    Input shape: channels_last (batch, steps, channels); channels_first (batch, channels, steps).
    Output shape: the same layout with the pooled spatial sizes
    (``(n - pool_size) // strides + 1`` for 'valid').
    """

    def __init__(self, pool_size: Any = 2, strides: Any = None, padding: str = "valid", data_format: Optional[str] = None,
                 name: Optional[str] = None, **kwargs: Any) -> None:
        super().__init__(pool_size, strides, pool_dimensions=1, pool_mode="max", padding=padding,
                         data_format=data_format, name=name, **kwargs)
