"""Host-side image resampling with OpenCV's ``cv::resize`` arithmetic (what MXNet's image ops call).

Interpolation codes are OpenCV's, which MXNet passes through: 0 nearest, 1 bilinear, 2 bicubic, 3 area,
4 Lanczos (8x8). Pixel centres map as ``src = (dst + 0.5) * (src_size / dst_size) - 0.5``. uint8 images use
OpenCV's fixed point (11-bit weights, integer rounding), so bilinear and nearest match MXNet's bytes exactly and
bicubic, area and Lanczos match within 1 level (rounding ties); float images use float32 weights.
Data-pipeline code: NumPy on host arrays.
"""
from __future__ import annotations

from typing import Tuple

import numpy as np

from ....base import MXNetError

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


def _apply_linear(img: np.ndarray, xt: Tuple[np.ndarray, np.ndarray, np.ndarray],
                  yt: Tuple[np.ndarray, np.ndarray, np.ndarray]) -> np.ndarray:
    """Two-tap separable resampling with OpenCV's linear arithmetic, given (i0, i1, w) per axis."""
    x0, x1, wx = xt
    y0, y1, wy = yt
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


def resize_bilinear(img: np.ndarray, out_h: int, out_w: int) -> np.ndarray:
    """Bilinear resize of an (H, W, C) array to (out_h, out_w, C); uint8 stays uint8, floats stay float."""
    h, w = img.shape[:2]
    return _apply_linear(img, _linear_taps(w, out_w, True), _linear_taps(h, out_h, False))


def _area_linear_taps(src: int, dst: int, clamp_weight: bool) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """OpenCV's INTER_AREA taps when enlarging: linear taps whose weight is the overlap of pixel cells."""
    scale = src / dst
    inv = dst / src
    d = np.arange(dst, dtype=np.float64)
    i0 = np.floor(d * scale).astype(np.int64)
    f = ((d + 1) - (i0 + 1) * inv).astype(np.float32)
    w = np.where(f <= 0, np.float32(0), f - np.floor(f)).astype(np.float32)
    if clamp_weight:
        high = i0 >= src - 1
        w[high] = 0.0
        i0 = np.where(high, src - 1, i0)
    i1 = np.clip(i0 + 1, 0, src - 1)
    return np.clip(i0, 0, src - 1), i1, w


def _area_tab(src: int, dst: int) -> Tuple[np.ndarray, np.ndarray]:
    """Source indices and float32 weights (dst, taps) of OpenCV's INTER_AREA shrink: each output pixel
    averages the source cells it covers, partial cells weighted by their covered fraction."""
    scale = src / dst
    rows = []
    for dx in range(dst):
        f1 = dx * scale
        f2 = f1 + scale
        cell = min(scale, src - f1)
        s1, s2 = int(np.ceil(f1)), int(np.floor(f2))
        s2 = min(s2, src - 1)
        s1 = min(s1, s2)
        taps = []
        if s1 - f1 > 1e-3:
            taps.append((s1 - 1, (s1 - f1) / cell))
        taps += [(s, 1.0 / cell) for s in range(s1, s2)]
        if f2 - s2 > 1e-3:
            taps.append((s2, min(min(f2 - s2, 1.0), cell) / cell))
        rows.append(taps)
    n = max(len(t) for t in rows)
    idx = np.zeros((dst, n), np.int64)
    wts = np.zeros((dst, n), np.float32)
    for dx, taps in enumerate(rows):
        for k, (s, a) in enumerate(taps):
            idx[dx, k], wts[dx, k] = s, a
    return idx, wts


def resize_area(img: np.ndarray, out_h: int, out_w: int) -> np.ndarray:
    """OpenCV INTER_AREA: a cell average when shrinking both axes (an exact block mean for integer
    factors), overlap-weighted linear taps otherwise."""
    h, w = img.shape[:2]
    if out_h > h or out_w > w:
        return _apply_linear(img, _area_linear_taps(w, out_w, True), _area_linear_taps(h, out_h, False))
    sx, sy = w / out_w, h / out_h
    if sx == int(sx) and sy == int(sy):  # OpenCV's fast path: integer block means
        kx, ky = int(sx), int(sy)
        blocks = img[:out_h * ky, :out_w * kx].reshape(out_h, ky, out_w, kx, -1)
        if img.dtype != np.uint8:
            return blocks.astype(np.float32).mean(axis=(1, 3)).astype(img.dtype)
        total = blocks.astype(np.int64).sum(axis=(1, 3))
        if kx == ky == 2 and img.shape[2] in (1, 3, 4):
            return ((total + 2) >> 2).astype(np.uint8)
        return np.clip(np.rint(total.astype(np.float32) * np.float32(1.0 / (kx * ky))), 0, 255).astype(np.uint8)
    xi, xw = _area_tab(w, out_w)
    yi, yw = _area_tab(h, out_h)
    src = img.astype(np.float32)
    rows = np.zeros((h, out_w, img.shape[2]), np.float32)
    for k in range(xi.shape[1]):  # accumulate tap by tap in float32, OpenCV's order
        rows += src[:, xi[:, k]] * xw[None, :, k, None]
    out = np.zeros((out_h, out_w, img.shape[2]), np.float32)
    for k in range(yi.shape[1]):
        out += rows[yi[:, k]] * yw[:, k, None, None]
    if img.dtype == np.uint8:
        return np.clip(np.rint(out), 0, 255).astype(np.uint8)
    return out.astype(img.dtype)


def _cubic_coeffs(x: np.ndarray) -> np.ndarray:
    """OpenCV's bicubic weights (a = -0.75) for fractional offsets ``x``; (n, 4) float32."""
    a = np.float32(-0.75)
    one = np.float32(1.0)
    xp = x + one
    c0 = ((a * xp - np.float32(5) * a) * xp + np.float32(8) * a) * xp - np.float32(4) * a
    c1 = ((a + np.float32(2)) * x - (a + np.float32(3))) * x * x + one
    xm = one - x
    c2 = ((a + np.float32(2)) * xm - (a + np.float32(3))) * xm * xm + one
    c3 = one - c0 - c1 - c2
    return np.stack([c0, c1, c2, c3], axis=1).astype(np.float32)


def _lanczos4_coeffs(x: np.ndarray) -> np.ndarray:
    """Normalised Lanczos (a = 4) weights for taps at offsets -3..4 from the left pixel; (n, 8) float32."""
    t = x.astype(np.float64)[:, None] + 3.0 - np.arange(8)[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        raw = (np.sin(np.pi * t) * np.sin(np.pi * t / 4.0) / (t * t)).astype(np.float32)
    exact = x < np.finfo(np.float32).eps
    raw[exact] = 0.0
    raw[exact, 3] = 1.0
    total = raw.sum(axis=1, dtype=np.float32)
    return (raw * (np.float32(1.0) / total)[:, None]).astype(np.float32)


def _kernel_taps(src: int, dst: int, ksize: int, coeffs) -> Tuple[np.ndarray, np.ndarray]:
    scale = 1.0 / (dst / src)
    f = ((np.arange(dst, dtype=np.float64) + 0.5) * scale - 0.5).astype(np.float32)
    i0 = np.floor(f)
    frac = (f - i0).astype(np.float32)
    idx = i0.astype(np.int64)[:, None] + np.arange(ksize)[None, :] - (ksize // 2 - 1)
    return np.clip(idx, 0, src - 1), coeffs(frac)


def _resize_kernel(img: np.ndarray, out_h: int, out_w: int, ksize: int, coeffs, float_rows: bool) -> np.ndarray:
    """Separable many-tap resampling (bicubic, Lanczos) with OpenCV's arithmetic; borders replicate."""
    h, w = img.shape[:2]
    xi, xc = _kernel_taps(w, out_w, ksize, coeffs)
    yi, yc = _kernel_taps(h, out_h, ksize, coeffs)
    if img.dtype != np.uint8:
        src = img.astype(np.float32)
        rows = sum(src[:, xi[:, k]] * xc[None, :, k, None] for k in range(ksize))
        out = sum(rows[yi[:, k]] * yc[:, k, None, None] for k in range(ksize))
        return out.astype(img.dtype)
    ax = np.rint(xc * np.float32(_COEF_SCALE)).astype(np.int64)
    by = np.rint(yc * np.float32(_COEF_SCALE)).astype(np.int64)
    src = img.astype(np.int64)
    rows = sum(src[:, xi[:, k]] * ax[None, :, k, None] for k in range(ksize))  # (H, out_w, C), scale 2^11
    exact = sum(rows[yi[:, k]] * by[:, k, None, None] for k in range(ksize))
    out = (exact + (1 << (2 * _COEF_BITS - 1))) >> (2 * _COEF_BITS)
    if float_rows:
        # OpenCV's SIMD vertical pass (whole groups of 8 values per row) works in float32 and rounds to even;
        # the leftover values of each row take the integer path above
        scale = np.float32(1.0 / (_COEF_SCALE * _COEF_SCALE))
        b = (by.astype(np.float32) * scale).astype(np.float32)
        acc = rows[yi[:, 0]].astype(np.float32) * b[:, 0, None, None]
        for k in range(1, ksize):
            acc = acc + rows[yi[:, k]].astype(np.float32) * b[:, k, None, None]
        n_vec = (out_w * img.shape[2]) // 8 * 8
        flat_out = out.reshape(out_h, -1)
        flat_out[:, :n_vec] = np.rint(acc.reshape(out_h, -1)[:, :n_vec])
        out = flat_out.reshape(out.shape)
    return np.clip(out, 0, 255).astype(np.uint8)


def resize_bicubic(img: np.ndarray, out_h: int, out_w: int) -> np.ndarray:
    """OpenCV INTER_CUBIC (4x4 taps, a = -0.75)."""
    return _resize_kernel(img, out_h, out_w, 4, _cubic_coeffs, True)


def resize_lanczos4(img: np.ndarray, out_h: int, out_w: int) -> np.ndarray:
    """OpenCV INTER_LANCZOS4 (8x8 taps)."""
    return _resize_kernel(img, out_h, out_w, 8, _lanczos4_coeffs, False)


def resize_nearest(img: np.ndarray, out_h: int, out_w: int) -> np.ndarray:
    """Nearest-neighbour resize (OpenCV INTER_NEAREST: ``src = floor(dst * src_size / dst_size)``)."""
    h, w = img.shape[:2]
    ys = np.minimum(np.floor(np.arange(out_h) * (h / out_h)).astype(np.int64), h - 1)
    xs = np.minimum(np.floor(np.arange(out_w) * (w / out_w)).astype(np.int64), w - 1)
    return img[ys][:, xs]


_METHODS = {1: resize_bilinear, 2: resize_bicubic, 3: resize_area, 4: resize_lanczos4}


def resize(img: np.ndarray, out_h: int, out_w: int, interpolation: int, op: str) -> np.ndarray:
    """Resize an (H, W, C) host array with OpenCV interpolation code ``interpolation`` (0-4)."""
    if out_h <= 0 or out_w <= 0:
        raise MXNetError(f"{op}: output size must be positive, got (w, h) = ({out_w}, {out_h})")
    if img.ndim != 3 or img.shape[0] == 0 or img.shape[1] == 0:
        raise ValueError(f"{op}: expected a non-empty (H, W, C) image, got shape {img.shape}")
    if (out_h, out_w) == img.shape[:2]:
        return img.copy()
    if interpolation == 0:
        return resize_nearest(img, out_h, out_w)
    fn = _METHODS.get(int(interpolation)) if float(interpolation) == int(interpolation) else None
    if fn is None:
        raise MXNetError(f"{op}: unknown interpolation method {interpolation}; expected 0 (nearest), 1 (bilinear), "
                         "2 (bicubic), 3 (area) or 4 (Lanczos)")
    return fn(img, out_h, out_w)
