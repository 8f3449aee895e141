"""``keras.layers.Cropping2D``."""
from __future__ import annotations

from typing import Any

from .cropping1d import _Cropping
from ._padding_utils import pairs


class Cropping2D(_Cropping):
    """Crops the rows and columns of images.

    Args:
        cropping: an int, a tuple of 2 ints (symmetric rows, cols) or
            ``((top, bottom), (left, right))``.
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.

    Input shape: 4D. Output shape: 4D with cropped rows and cols.
    """

    _n = 2

    def __init__(self, cropping: Any = ((0, 0), (0, 0)), data_format: Any = None, **kwargs: Any) -> None:
        super().__init__(pairs(cropping, 2, "cropping"), data_format, **kwargs)
