"""``keras.layers.ZeroPadding1D``."""
from __future__ import annotations

from typing import Any

from ._padding_utils import check_ndim, pairs, spatial_axes, standardize_tuple  # noqa: F401 - old import path
from ._zero_padding import _ZeroPadding


class ZeroPadding1D(_ZeroPadding):
    """Pads the steps axis of a sequence with zeros.

    Args:
        padding: an int (both sides) or a tuple ``(left, right)`` of non-negative ints.
        data_format: ``'channels_last'`` (batch, steps, features), default, or ``'channels_first'``
            (batch, features, steps).

    Input shape: 3D. Output shape: 3D with ``steps + left + right`` steps.
    """

    _n = 1

    def __init__(self, padding: Any = 1, data_format: Any = None, **kwargs: Any) -> None:
        super().__init__((standardize_tuple(padding, 2, "padding", allow_zero=True),), data_format, **kwargs)
