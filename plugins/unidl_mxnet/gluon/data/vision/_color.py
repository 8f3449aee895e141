"""Host-side colour adjustments of (H, W, C) images with MXNet 1.9.1's arithmetic (its ``image_random`` ops).

All work in float32; results are cast back to the input dtype, uint8 by clamping to [0, 255] and truncating
(MXNet's ``saturate_cast``). Data-pipeline code: NumPy on host arrays.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np

_GRAY = np.array([0.299, 0.587, 0.114], np.float32)
# AlexNet's PCA lighting basis (eigenvalue * eigenvector), rows R, G, B
_EIG = np.array([[55.46 * -0.5675, 4.794 * 0.7192, 1.148 * 0.4009],
                 [55.46 * -0.5808, 4.794 * -0.0045, 1.148 * -0.8140],
                 [55.46 * -0.5836, 4.794 * -0.6948, 1.148 * 0.4203]]).astype(np.float32)


def _cast(val: np.ndarray, dtype: np.dtype) -> np.ndarray:
    if dtype == np.uint8:
        return np.clip(val, 0.0, 255.0).astype(np.uint8)
    return val.astype(dtype)


def adjust_brightness(img: np.ndarray, alpha: float) -> np.ndarray:
    """``img * alpha``."""
    return _cast(img.astype(np.float32) * np.float32(alpha), img.dtype)


def adjust_contrast(img: np.ndarray, alpha: float) -> np.ndarray:
    """``img * alpha + (1 - alpha) * mean gray level`` (gray = 0.299 R + 0.587 G + 0.114 B; one channel:
    the mean)."""
    a = np.float32(alpha)
    x = img.astype(np.float32)
    h, w, c = img.shape
    products = (x * _GRAY).reshape(-1) if c > 1 else x.reshape(-1)
    # MXNet sums pixel by pixel in float32; a float32 cumulative sum keeps that order
    total = np.cumsum(products, dtype=np.float32)[-1] if products.size else np.float32(0)
    mean = np.float32(total / np.float32(h * w))
    beta = (np.float32(1) - a) * mean
    return _cast(x * a + beta, img.dtype)


def adjust_saturation(img: np.ndarray, alpha: float) -> np.ndarray:
    """MXNet 1.9.1's saturation blend ``gray * (1 - alpha) + img * alpha``, where its kernel's "gray" is
    ``0.114 * B`` only (it assigns rather than sums the three weighted channels); one channel: unchanged."""
    if img.shape[2] == 1:
        return img.copy()
    a = np.float32(alpha)
    x = img.astype(np.float32)
    gray = (x[:, :, 2:3] * _GRAY[2]) * (np.float32(1) - a)
    return _cast(gray + x[:, :, :3] * a, img.dtype)


def _rgb_to_hls(r: np.ndarray, g: np.ndarray, b: np.ndarray):
    r, g, b = r / np.float32(255), g / np.float32(255), b / np.float32(255)
    vmax = np.fmax(np.fmax(r, g), b)
    vmin = np.fmin(np.fmin(r, g), b)
    diff = vmax - vmin
    l = (vmax + vmin) * np.float32(0.5)
    colour = diff > np.finfo(np.float32).eps
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.where(l < 0.5, diff / (vmax + vmin), diff / (np.float32(2) - vmax - vmin))
        d = np.float32(60) / diff
        h = np.where(vmax == r, (g - b) * d, np.where(vmax == g, (b - r) * d + np.float32(120),
                                                     (r - g) * d + np.float32(240)))
    h = np.where(h < 0, h + np.float32(360), h)
    zero = np.float32(0)
    return np.where(colour, h, zero), l, np.where(colour, s, zero)


def _hls_to_rgb(h: np.ndarray, l: np.ndarray, s: np.ndarray):
    p2 = np.where(l <= 0.5, l * (np.float32(1) + s), l + s - l * s)
    p1 = np.float32(2) * l - p2
    h = h * (np.float32(1) / np.float32(60))
    while np.any(h >= 6):  # MXNet subtracts 6 until in range; do the same so rounding matches
        h = np.where(h >= 6, h - np.float32(6), h)
    while np.any(h < 0):
        h = np.where(h < 0, h + np.float32(6), h)
    sector = np.clip(h.astype(np.int64), 0, 5)
    f = h - sector.astype(np.float32)
    tab = np.stack([p2, p1, p1 + (p2 - p1) * (np.float32(1) - f), p1 + (p2 - p1) * f])
    # which of the four values B, G, R take in each 60-degree sector
    order = np.array([[1, 3, 0], [1, 0, 2], [3, 0, 1], [0, 2, 1], [0, 1, 3], [2, 1, 0]])
    pick = order[sector]
    b, g, r = (np.take_along_axis(tab, pick[None, ..., k], 0)[0] for k in range(3))
    grey = s == 0
    r, g, b = (np.where(grey, l, v) for v in (r, g, b))
    return r * np.float32(255), g * np.float32(255), b * np.float32(255)


def adjust_hue(img: np.ndarray, alpha: float) -> np.ndarray:
    """Rotate the hue by ``alpha * 360`` degrees (through HLS); one channel: unchanged."""
    if img.shape[2] == 1:
        return img.copy()
    x = img.astype(np.float32)
    h, l, s = _rgb_to_hls(x[..., 0], x[..., 1], x[..., 2])
    h = h + np.float32(alpha) * np.float32(360)
    r, g, b = _hls_to_rgb(h, l, s)
    return _cast(np.stack([r, g, b], axis=-1), img.dtype)


def adjust_lighting(img: np.ndarray, alpha: Sequence[float]) -> np.ndarray:
    """AlexNet PCA lighting: add ``eig @ alpha`` (one offset per R, G, B channel); one channel: unchanged."""
    if img.shape[2] == 1:
        return img.copy()
    a = np.asarray(alpha, np.float32)
    pca = (_EIG[:, 0] * a[0] + _EIG[:, 1] * a[1]) + _EIG[:, 2] * a[2]
    return _cast(img.astype(np.float32) + pca, img.dtype)
