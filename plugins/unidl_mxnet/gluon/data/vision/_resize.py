"""Host-side image resampling with OpenCV's ``cv::resize`` arithmetic (what MXNet's image ops call).

Pixel centres map as ``src = (dst + 0.5) * (src_size / dst_size) - 0.5``. uint8 images use OpenCV's
fixed point (11-bit weights, integer rounding), so results match MXNet's bytes exactly; float images use float32
weights. Data-pipeline code: NumPy on host arrays.
"""
from __future__ import annotations

from typing import Tuple

import numpy as np

_COEF_BITS = 11
_COEF_SCALE = 1 << _COEF_BITS


def _linear_taps(src: int, dst: int, clamp_weight: bool) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Left tap index, right tap index and float32 weight of the right tap for each output position."""
    scale = 1.0 / (dst / src)
    f = ((np.arange(dst, dtype=np.float64) + 0.5) * scale - 0.5).astype(np.float32)
    i0 = np.floor(f).astype(np.int64)
    w = (f - i0.astype(np.float32)).astype(np.float32)
    if clamp_weight:  # OpenCV resets the horizontal weight at the borders
        low, high = i0 < 0, i0 >= src - 1
        w[low | high] = 0.0
        i0 = np.where(low, 0, np.where(high, src - 1, i0))
    i1 = np.clip(i0 + 1, 0, src - 1)
    i0 = np.clip(i0, 0, src - 1)
    return i0, i1, w


def _fixed(w: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    one = np.float32(1.0)
    return (np.rint((one - w) * np.float32(_COEF_SCALE)).astype(np.int64),
            np.rint(w * np.float32(_COEF_SCALE)).astype(np.int64))


def resize_bilinear(img: np.ndarray, out_h: int, out_w: int) -> np.ndarray:
    """Bilinear resize of an (H, W, C) array to (out_h, out_w, C); uint8 stays uint8, floats stay float."""
    h, w = img.shape[:2]
    x0, x1, wx = _linear_taps(w, out_w, True)
    y0, y1, wy = _linear_taps(h, out_h, False)
    if img.dtype == np.uint8:
        ax0, ax1 = _fixed(wx)
        by0, by1 = _fixed(wy)
        src = img.astype(np.int64)
        rows = src[:, x0] * ax0[None, :, None] + src[:, x1] * ax1[None, :, None]  # (H, out_w, C), scale 2^11
        # OpenCV's vectorised vertical pass (the one MXNet's build runs): rows drop 4 bits to fit int16,
        # each product keeps its high 16 bits, then a rounded shift by 2 (plain rounding of the exact
        # sum differs by 1 on ~10% of pixels)
        top = ((rows[y0] >> 4) * by0[:, None, None]) >> 16
        bottom = ((rows[y1] >> 4) * by1[:, None, None]) >> 16
        return np.clip((top + bottom + 2) >> 2, 0, 255).astype(np.uint8)
    src = img.astype(np.float32, copy=False)
    one = np.float32(1.0)
    rows = src[:, x0] * (one - wx)[None, :, None] + src[:, x1] * wx[None, :, None]
    out = rows[y0] * (one - wy)[:, None, None] + rows[y1] * wy[:, None, None]
    return out.astype(img.dtype, copy=False)


def resize_nearest(img: np.ndarray, out_h: int, out_w: int) -> np.ndarray:
    """Nearest-neighbour resize (OpenCV INTER_NEAREST: ``src = floor(dst * src_size / dst_size)``)."""
    h, w = img.shape[:2]
    ys = np.minimum(np.floor(np.arange(out_h) * (h / out_h)).astype(np.int64), h - 1)
    xs = np.minimum(np.floor(np.arange(out_w) * (w / out_w)).astype(np.int64), w - 1)
    return img[ys][:, xs]


def resize(img: np.ndarray, out_h: int, out_w: int, interpolation: int, op: str) -> np.ndarray:
    """Resize an (H, W, C) host array; ``interpolation`` 0 (nearest) or 1 (bilinear)."""
    if out_h <= 0 or out_w <= 0:
        raise ValueError(f"{op}: output size must be positive, got (w, h) = ({out_w}, {out_h})")
    if (out_h, out_w) == img.shape[:2]:
        return img.copy()
    if interpolation == 0:
        return resize_nearest(img, out_h, out_w)
    if interpolation == 1:
        return resize_bilinear(img, out_h, out_w)
    raise NotImplementedError(f"{op}: interpolation={interpolation} is not supported by unidl_mxnet "
                              "(0 = nearest and 1 = bilinear are)")
