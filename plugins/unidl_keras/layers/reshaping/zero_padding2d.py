"""``keras.layers.ZeroPadding2D``."""
from __future__ import annotations

from typing import Any

from ._padding_utils import pairs
from ._zero_padding import _ZeroPadding


class ZeroPadding2D(_ZeroPadding):
    """Pads the rows and columns of images with zeros.

    Args:
        padding: an int (all four sides), a tuple of 2 ints ``(rows, cols)`` (symmetric), or
            ``((top, bottom), (left, right))``.
        data_format: ``'channels_last'`` (batch, rows, cols, channels), default, or ``'channels_first'``.

    Input shape: 4D. Output shape: 4D with padded rows and cols.
    """

    _n = 2

    def __init__(self, padding: Any = (1, 1), data_format: Any = None, **kwargs: Any) -> None:
        super().__init__(pairs(padding, 2, "padding"), data_format, **kwargs)
