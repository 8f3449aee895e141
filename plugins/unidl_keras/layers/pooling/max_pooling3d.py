"""``keras.layers.MaxPooling3D``."""
from __future__ import annotations

from typing import Any, Optional

from .base_pooling import BasePooling


class MaxPooling3D(BasePooling):
    """Maximum over windows of ``pool_size`` moved by ``strides`` along (dim1, dim2, dim3).

    Args:
        pool_size: an int or 3 ints (default (2, 2, 2)).
        strides: an int, 3 ints, or None (= pool_size).
        padding: 'valid' (windows inside the input) or 'same' (output size ``ceil(n / strides)``, padding
            split as TensorFlow does, the odd extra on the high side).
        data_format: 'channels_last' or 'channels_first' (None: ``keras.config.image_data_format()``).

    Input shape: channels_last (batch, dim1, dim2, dim3, channels); channels_first (batch, channels, dim1, dim2, dim3).
    Output shape: the same layout with the pooled spatial sizes
    (``(n - pool_size) // strides + 1`` for 'valid').
    """

    def __init__(self, pool_size: Any = (2, 2, 2), strides: Any = None, padding: str = "valid", data_format: Optional[str] = None,
                 name: Optional[str] = None, **kwargs: Any) -> None:
        super().__init__(pool_size, strides, pool_dimensions=3, pool_mode="max", padding=padding,
                         data_format=data_format, name=name, **kwargs)
