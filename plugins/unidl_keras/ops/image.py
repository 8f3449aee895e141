"""``keras.ops.image``: resize, affine_transform, extract_patches (math in :mod:`unidl.nn.image`).

Images are (batch, height, width, channels) for ``data_format='channels_last'`` (the default, from
``image_data_format()``) or channels-first; a single image (rank 3) is accepted and returned unbatched.
Integer images are computed in float32 and cast back (rounded), as Keras does.
"""
from __future__ import annotations

from typing import Any, List, Optional, Tuple

import numpy as np

from unidl import ops as U
from unidl.nn import image as _img
from unidl.tensor import Tensor

from ..backend import config
from ._dtypes import cast_to, is_floating, to_tensor
from .node import symbolic

__all__: List[str] = []


def _export(fn):
    __all__.append(fn.__name__)
    return symbolic(fn)


def _pair(v: Any, name: str) -> Tuple[int, int]:
    if isinstance(v, (int, np.integer)):
        return int(v), int(v)
    v = tuple(int(a) for a in v)
    if len(v) != 2:
        raise ValueError(f"Argument `{name}` must be an int or a tuple of two ints. Received: {name}={v}")
    return v


def _to_nhwc(op: str, images: Any, data_format: Optional[str]) -> Tuple[Tensor, bool, bool, Any]:
    """(float NHWC tensor, was unbatched, channels_first, original dtype)."""
    x = to_tensor(images)
    if x.ndim not in (3, 4):
        raise ValueError(f"Invalid images rank: expected rank 3 (single image) or rank 4 (batch of images). "
                         f"Received input with shape: images.shape={tuple(x.shape)}")
    dtype = x.dtype
    if not is_floating(dtype):
        x = cast_to(x, "float32")
    unbatched = x.ndim == 3
    if unbatched:
        x = U.expand_dims(x, 0)
    cf = (data_format or config.image_data_format()) == "channels_first"
    if cf:
        x = U.transpose(x, (0, 2, 3, 1))
    return x, unbatched, cf, dtype


def _from_nhwc(x: Tensor, unbatched: bool, cf: bool, dtype: Any) -> Tensor:
    if cf:
        x = U.transpose(x, (0, 3, 1, 2))
    if unbatched:
        x = U.squeeze(x, 0)
    if not is_floating(dtype):
        x = cast_to(U.round(x), np.dtype(dtype).name)
    return x


@_export
def resize(images: Any, size: Any, interpolation: str = "bilinear", antialias: bool = False,
           crop_to_aspect_ratio: bool = False, pad_to_aspect_ratio: bool = False, fill_mode: str = "constant",
           fill_value: float = 0.0, data_format: Optional[str] = None) -> Tensor:
    """Resize images to ``size`` = (height, width) (bilinear or nearest, half-pixel centres)."""
    if interpolation not in ("bilinear", "nearest"):
        raise ValueError(f"Invalid value for argument `interpolation`. unidl supports 'bilinear' and 'nearest'. "
                         f"Received: interpolation={interpolation}")
    if antialias and interpolation == "bilinear":
        raise NotImplementedError("keras.ops.image.resize: antialias=True is not supported by unidl yet")
    if pad_to_aspect_ratio and crop_to_aspect_ratio:
        raise ValueError("Only one of `pad_to_aspect_ratio` & `crop_to_aspect_ratio` can be `True`.")
    if fill_mode != "constant":
        raise ValueError(f"Invalid value for argument `fill_mode`. Only `'constant'` is supported. "
                         f"Received: fill_mode={fill_mode}")
    if len(tuple(size)) != 2:
        raise ValueError(f"Argument `size` must be a tuple of two elements (height, width). Received: size={size}")
    th, tw = int(size[0]), int(size[1])
    x, unbatched, cf, dtype = _to_nhwc("resize", images, data_format)
    h, w = x.shape[1], x.shape[2]
    if crop_to_aspect_ratio:
        ch = max(min(h, int(float(w * th) / tw)), 1)
        cw = max(min(w, int(float(h * tw) / th)), 1)
        hs, ws = int(float(h - ch) / 2), int(float(w - cw) / 2)
        x = x[:, hs:hs + ch, ws:ws + cw, :]
    elif pad_to_aspect_ratio:
        ph = max(h, int(float(w * th) / tw))
        pw = max(w, int(float(h * tw) / th))
        hs, ws = int(float(ph - h) / 2), int(float(pw - w) / 2)
        if hs > 0 or ws > 0:
            x = U.pad(x, ((0, 0), (hs, hs), (ws, ws), (0, 0)), constant_value=fill_value)
    return _from_nhwc(_img.resize(x, (th, tw), interpolation), unbatched, cf, dtype)


@_export
def affine_transform(images: Any, transform: Any, interpolation: str = "bilinear", fill_mode: str = "constant",
                     fill_value: float = 0, data_format: Optional[str] = None) -> Tensor:
    """Warp images by 8-parameter projective transforms ``[a0, a1, a2, b0, b1, b2, c0, c1]`` (one per image)."""
    if interpolation not in _img.INTERPOLATIONS:
        raise ValueError(f"Invalid value for argument `interpolation`. Expected of one {set(_img.INTERPOLATIONS)}. "
                         f"Received: interpolation={interpolation}")
    if fill_mode not in _img.FILL_MODES:
        raise ValueError(f"Invalid value for argument `fill_mode`. Expected of one {set(_img.FILL_MODES)}. "
                         f"Received: fill_mode={fill_mode}")
    t = transform.numpy() if isinstance(transform, Tensor) else np.asarray(transform)
    if t.ndim not in (1, 2):
        raise ValueError(f"Invalid transform rank: expected rank 1 (single transform) or rank 2 (batch of "
                         f"transforms). Received input with shape: transform.shape={t.shape}")
    x, unbatched, cf, dtype = _to_nhwc("affine_transform", images, data_format)
    out = _img.affine_transform(x, t, interpolation, fill_mode, fill_value)
    return _from_nhwc(out, unbatched, cf, dtype)


@_export
def extract_patches(images: Any, size: Any, strides: Any = None, dilation_rate: Any = 1, padding: str = "valid",
                    data_format: Optional[str] = None) -> Tensor:
    """Patches of ``size`` (int or (h, w)) every ``strides`` (default: ``size``), each flattened to the last axis."""
    size = _pair(size, "size")
    strides = size if strides is None else _pair(strides, "strides")
    if _pair(dilation_rate, "dilation_rate") != (1, 1):
        raise NotImplementedError("keras.ops.image.extract_patches: dilation_rate > 1 is not supported by unidl")
    x, unbatched, cf, dtype = _to_nhwc("extract_patches", images, data_format)
    return _from_nhwc(_img.extract_patches(x, size, strides, padding), unbatched, cf, dtype)
