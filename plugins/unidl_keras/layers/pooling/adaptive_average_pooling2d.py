"""``keras.layers.AdaptiveAveragePooling2D``."""
from __future__ import annotations

from typing import Any, Optional

from .base_adaptive_pooling import BaseAdaptivePooling, output_size_tuple


class AdaptiveAveragePooling2D(BaseAdaptivePooling):
    """Average pooling of the rows and columns to ``output_size`` with windows computed from the input size
    (output position i of a dim of size n pools inputs ``floor(i n / o)`` .. ``ceil((i + 1) n / o) - 1``).

    Args:
        output_size: an int or a tuple of 2 ints.
        data_format: 'channels_last' or 'channels_first' (None: ``keras.config.image_data_format()``).

    Input shape: channels_last (batch, height, width, channels); channels_first (batch, channels, height, width).
    Output shape: the same layout with the spatial dims replaced by ``output_size``.
    """

    pool_mode = "average"

    def __init__(self, output_size: Any, data_format: Optional[str] = None, **kwargs: Any) -> None:
        super().__init__(output_size_tuple(output_size, 2), data_format, **kwargs)
