"""``mx.nd.image``: the image operators behind ``gluon.data.vision.transforms`` as functions
(``to_tensor``, ``normalize``, flips, ``resize``, ``crop``). Images are (H, W, C) or (N, H, W, C)
before ``to_tensor`` and (C, H, W) / (N, C, H, W) after, as in MXNet.
"""
from __future__ import annotations

from typing import Any

from ..base import MXNetError
from .ndarray import NDArray

__all__ = ["to_tensor", "normalize", "flip_left_right", "flip_top_bottom", "random_flip_left_right",
           "random_flip_top_bottom", "resize", "crop"]


def _t():
    from ..gluon.data.vision import transforms

    return transforms


def to_tensor(data: NDArray, **kwargs: Any) -> NDArray:
    """(H, W, C) [or (N, H, W, C)] in [0, 255] -> float32 (C, H, W) [(N, C, H, W)] in [0, 1]."""
    return _t().ToTensor()(data)


def normalize(data: NDArray, mean: Any = 0.0, std: Any = 1.0, **kwargs: Any) -> NDArray:
    """``(data[c] - mean[c]) / std[c]`` for a (C, H, W) or (N, C, H, W) tensor."""
    return _t().Normalize(mean, std)(data)


def _flip(op: str, data: NDArray, axis: int) -> NDArray:
    from .ops import flip

    _t()._check_image(op, data)
    return flip(data, axis=axis + data.ndim - 3)


def flip_left_right(data: NDArray, **kwargs: Any) -> NDArray:
    """Mirror an (H, W, C) image (or NHWC batch) along the width."""
    return _flip("flip_left_right", data, 1)


def flip_top_bottom(data: NDArray, **kwargs: Any) -> NDArray:
    """Mirror an (H, W, C) image (or NHWC batch) along the height."""
    return _flip("flip_top_bottom", data, 0)


def random_flip_left_right(data: NDArray, **kwargs: Any) -> NDArray:
    """:func:`flip_left_right` with probability 0.5 (unidl's generator)."""
    return _t().RandomFlipLeftRight()(data)


def random_flip_top_bottom(data: NDArray, **kwargs: Any) -> NDArray:
    """:func:`flip_top_bottom` with probability 0.5 (unidl's generator)."""
    return _t().RandomFlipTopBottom()(data)


def resize(data: NDArray, size: Any = (), keep_ratio: bool = False, interp: int = 1, **kwargs: Any) -> NDArray:
    """Resize an (H, W, C) image or NHWC batch to ``size`` (int or (w, h)); interp 1 bilinear, 0 nearest."""
    return _t().Resize(size, keep_ratio, interp)(data)


def crop(data: NDArray, x: int, y: int, width: int, height: int, **kwargs: Any) -> NDArray:
    """The ``width`` x ``height`` window at column ``x``, row ``y`` of an (H, W, C) image or NHWC batch."""
    _t()._check_image("crop", data)
    h, w = data.shape[-3], data.shape[-2]
    if x < 0 or y < 0 or width < 1 or height < 1 or x + width > w or y + height > h:
        raise MXNetError(f"crop: window x={x}, y={y}, width={width}, height={height} does not fit in an image of "
                         f"shape {data.shape}")
    if data.ndim == 3:
        return data[y:y + height, x:x + width]
    return data[:, y:y + height, x:x + width]
