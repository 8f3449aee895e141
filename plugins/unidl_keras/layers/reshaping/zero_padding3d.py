"""``keras.layers.ZeroPadding3D``."""
from __future__ import annotations

from typing import Any

from ._padding_utils import pairs
from ._zero_padding import _ZeroPadding


class ZeroPadding3D(_ZeroPadding):
    """Pads the three spatial dims of volumes with zeros.

    Args:
        padding: an int, a tuple of 3 ints (symmetric per dim), or 3 pairs ``(before, after)``.
        data_format: ``'channels_last'`` (batch, d1, d2, d3, channels), default, or ``'channels_first'``.

    Input shape: 5D. Output shape: 5D with padded spatial dims.
    """

    _n = 3

    def __init__(self, padding: Any = ((1, 1), (1, 1), (1, 1)), data_format: Any = None, **kwargs: Any) -> None:
        super().__init__(pairs(padding, 3, "padding"), data_format, **kwargs)
