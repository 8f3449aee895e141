"""``keras.layers.Cropping3D``."""
from __future__ import annotations

from typing import Any

from .cropping1d import _Cropping
from ._padding_utils import pairs


class Cropping3D(_Cropping):
    """Crops the three spatial dims of volumes.

    Args:
        cropping: an int, a tuple of 3 ints (symmetric per dim) or 3 pairs ``(start, end)``.
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.

    Input shape: 5D. Output shape: 5D with cropped spatial dims.
    """

    _n = 3

    def __init__(self, cropping: Any = ((1, 1), (1, 1), (1, 1)), data_format: Any = None, **kwargs: Any) -> None:
        super().__init__(pairs(cropping, 3, "cropping"), data_format, **kwargs)
