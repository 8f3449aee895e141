"""``mx.image``: array-level image helpers of MXNet 1.9.1 (``imresize``, crops, ``resize_short``,
``color_normalize``) on (H, W, C) NDArrays.

Decoding image files (``imread``, ``imdecode``, ``ImageIter``) needs an image codec, which unidl does
not ship: those names raise an error saying so. Interpolation: 0 nearest, 1 bilinear (OpenCV's
arithmetic, as MXNet); MXNet's other modes (2 area, 3 bicubic, 4 Lanczos) raise NotImplementedError.
"""
from __future__ import annotations

from typing import Any, Optional, Sequence, Tuple

import numpy as np

import unidl.random as _urandom

from . import ndarray as nd
from .base import MXNetError, unsupported_attrs
from .gluon.data.vision._resize import resize as _resize
from .ndarray.ndarray import NDArray

_DECODE = ("decoding image files needs an image codec, which unidl does not ship; decode with another "
           "library (e.g. Pillow) into an (H, W, C) uint8 array and wrap it with mx.nd.array(..., dtype='uint8')")
__getattr__ = unsupported_attrs("mxnet.image", {n: _DECODE for n in (
    "imread", "imdecode", "ImageIter", "ImageDetIter", "CreateAugmenter", "CreateDetAugmenter")})

__all__ = ["imresize", "fixed_crop", "center_crop", "random_crop", "resize_short", "scale_down", "color_normalize"]


def _image(op: str, src: Any) -> NDArray:
    if not isinstance(src, NDArray):
        raise TypeError(f"mx.image.{op}: expected an NDArray image, got {type(src).__name__}")
    if src.ndim != 3:
        raise MXNetError(f"mx.image.{op}: expected an (H, W, C) image, got shape {src.shape}")
    return src


def _interp(op: str, interp: int) -> int:
    if interp == 2:  # MXNet's default for crops: area, which unidl lacks; upscaling keeps OpenCV's bilinear
        raise NotImplementedError(f"mx.image.{op}: interp=2 (area) is not supported by unidl_mxnet; pass interp=1 "
                                  "(bilinear) or interp=0 (nearest)")
    return interp


def imresize(src: NDArray, w: int, h: int, interp: int = 1, **kwargs: Any) -> NDArray:
    """Resize an (H, W, C) image to (h, w, C); dtype kept."""
    _image("imresize", src)
    out = _resize(src.asnumpy(), int(h), int(w), _interp("imresize", interp), "mx.image.imresize")
    return nd.array(out, ctx=src.context, dtype=out.dtype)


def scale_down(src_size: Tuple[int, int], size: Tuple[int, int]) -> Tuple[int, int]:
    """The largest (w, h) of ``size``'s aspect ratio that fits in ``src_size`` (both (w, h))."""
    w, h = size
    sw, sh = src_size
    if sh < h:
        w, h = float(w * sh) / h, sh
    if sw < w:
        w, h = sw, float(h * sw) / w
    return int(w), int(h)


def fixed_crop(src: NDArray, x0: int, y0: int, w: int, h: int, size: Optional[Tuple[int, int]] = None,
               interp: int = 2) -> NDArray:
    """The ``w`` x ``h`` window at (x0, y0), resized to ``size`` (w, h) when given and different."""
    _image("fixed_crop", src)
    H, W = src.shape[:2]
    if x0 < 0 or y0 < 0 or x0 + w > W or y0 + h > H:
        raise MXNetError(f"mx.image.fixed_crop: window x0={x0}, y0={y0}, w={w}, h={h} does not fit in an image of "
                         f"shape {src.shape}")
    out = src[y0:y0 + h, x0:x0 + w]
    if size is not None and (w, h) != tuple(size):
        out = imresize(out, size[0], size[1], interp=_interp("fixed_crop", interp))
    return out


def center_crop(src: NDArray, size: Sequence[int], interp: int = 2) -> Tuple[NDArray, Tuple[int, int, int, int]]:
    """The centred crop of ``size``'s aspect ratio (scaled to ``size`` (w, h) if smaller), and its
    ``(x0, y0, w, h)``."""
    _image("center_crop", src)
    h, w = src.shape[:2]
    new_w, new_h = scale_down((w, h), tuple(size))
    x0, y0 = int((w - new_w) / 2), int((h - new_h) / 2)
    return fixed_crop(src, x0, y0, new_w, new_h, tuple(size), interp), (x0, y0, new_w, new_h)


def random_crop(src: NDArray, size: Sequence[int], interp: int = 2) -> Tuple[NDArray, Tuple[int, int, int, int]]:
    """A crop of ``size``'s aspect ratio at a random place (unidl's generator), and its ``(x0, y0, w, h)``."""
    _image("random_crop", src)
    h, w = src.shape[:2]
    new_w, new_h = scale_down((w, h), tuple(size))
    x0 = int(_urandom.randint(0, w - new_w + 1, ()).item())
    y0 = int(_urandom.randint(0, h - new_h + 1, ()).item())
    return fixed_crop(src, x0, y0, new_w, new_h, tuple(size), interp), (x0, y0, new_w, new_h)


def resize_short(src: NDArray, size: int, interp: int = 2) -> NDArray:
    """Resize so the shorter edge is ``size``, keeping the aspect ratio."""
    _image("resize_short", src)
    h, w = src.shape[:2]
    if h > w:
        new_h, new_w = size * h // w, size
    else:
        new_h, new_w = size, size * w // h
    return imresize(src, new_w, new_h, interp=_interp("resize_short", interp))


def color_normalize(src: NDArray, mean: Any, std: Any = None) -> NDArray:
    """``(src - mean) / std`` (``std`` optional), broadcasting over the channel axis."""
    if mean is not None:
        src = src - mean
    if std is not None:
        src = src / std
    return src
