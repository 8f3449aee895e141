"""Image math shared by the frontends: resizing, affine warps and patch extraction on NHWC tensors.

The sampling positions and interpolation weights depend only on the shapes (and, for the affine
warp, on the transform parameters), so they are built on the host as small constant arrays; the
pixels themselves only go through :mod:`unidl.ops` (einsum, take_along_axis, arithmetic), so every
function here is differentiable in its image input and runs on any device.

Conventions follow Keras 3 (``keras.ops.image``): ``resize`` with half-pixel centres and no
antialiasing (bilinear: ``align_corners=False``; nearest: round-half-up of the centre, i.e.
PyTorch's ``nearest-exact``); ``affine_transform`` with Keras's 8-parameter transform
``[a0, a1, a2, b0, b1, b2, c0, c1]`` mapping an output pixel ``(x, y)`` to the input point
``((a0 x + a1 y + a2) / k, (b0 x + b1 y + b2) / k)``, ``k = c0 x + c1 y + 1``.
"""
from __future__ import annotations

from typing import Any, Sequence, Tuple

import numpy as np

from .. import ops
from ..errors import OpError
from ..tensor import Tensor

__all__ = ["resize_weights", "resize", "affine_transform", "extract_patches", "FILL_MODES", "INTERPOLATIONS"]

FILL_MODES = ("constant", "nearest", "wrap", "mirror", "reflect")
INTERPOLATIONS = ("nearest", "bilinear")


def resize_weights(in_size: int, out_size: int, interpolation: str = "bilinear") -> np.ndarray:
    """The (out_size, in_size) float64 matrix whose rows interpolate one output sample from the input.

    bilinear: source ``s = (i + 0.5) * in/out - 0.5`` clamped to ``[0, in-1]``, split between
    ``floor(s)`` and the next sample; nearest: ``min(floor((i + 0.5) * in/out), in-1)``.
    """
    if in_size < 1 or out_size < 1:
        raise OpError("resize", f"sizes must be positive, got input {in_size} and output {out_size}")
    w = np.zeros((out_size, in_size), dtype=np.float64)
    scale = in_size / out_size
    i = np.arange(out_size)
    if interpolation == "nearest":
        src = np.minimum(np.floor((i + 0.5) * scale).astype(np.int64), in_size - 1)
        w[i, src] = 1.0
        return w
    if interpolation != "bilinear":
        raise OpError("resize", f"interpolation must be one of {INTERPOLATIONS}, got {interpolation!r}")
    src = np.maximum((i + 0.5) * scale - 0.5, 0.0)
    lo = np.minimum(np.floor(src).astype(np.int64), in_size - 1)
    hi = np.minimum(lo + 1, in_size - 1)
    frac = src - lo
    np.add.at(w, (i, lo), 1.0 - frac)
    np.add.at(w, (i, hi), frac)
    return w


def _const(a: np.ndarray, like: Tensor) -> Tensor:
    return Tensor._from_any(a.astype(like.dtype), like.device)


def _check_images(op: str, x: Tensor) -> None:
    if not isinstance(x, Tensor) or x.ndim != 4:
        shape = getattr(x, "shape", None)
        raise OpError(op, f"expected a batch of images (batch, height, width, channels), got shape {shape}")


def resize(x: Tensor, size: Sequence[int], interpolation: str = "bilinear") -> Tensor:
    """Resize NHWC images ``x`` (B, H, W, C) to (B, size[0], size[1], C) (separable interpolation)."""
    _check_images("resize", x)
    oh, ow = int(size[0]), int(size[1])
    _, h, w, _ = x.shape
    out = x
    if oh != h:
        out = ops.einsum("ip,bpqc->biqc", _const(resize_weights(h, oh, interpolation), x), out)
    if ow != w:
        out = ops.einsum("jq,biqc->bijc", _const(resize_weights(w, ow, interpolation), x), out)
    return out


def _fix_index(idx: np.ndarray, size: int, fill_mode: str) -> np.ndarray:
    """Out-of-range sample indices mapped back into ``[0, size)`` as ``fill_mode`` says."""
    if fill_mode in ("constant", "nearest"):
        return np.clip(idx, 0, size - 1)
    if fill_mode == "wrap":
        return np.mod(idx, size)
    if fill_mode == "mirror":  # (d c b | a b c d | c b a)
        if size == 1:
            return np.zeros_like(idx)
        s = size - 1
        return np.abs(np.mod(idx + s, 2 * s) - s)
    # reflect: (d c b a | a b c d | d c b a)
    s = 2 * size
    return (np.abs(np.mod(2 * idx + 1 + s, 2 * s) - s) - 1) // 2


def affine_transform(x: Tensor, transform: Any, interpolation: str = "bilinear", fill_mode: str = "constant",
                     fill_value: float = 0.0) -> Tensor:
    """Warp NHWC images ``x`` (B, H, W, C) by one transform per image ((B, 8) or (8,), host values).

    Each output pixel samples the input at the transformed point (module docstring) with
    ``interpolation`` ("nearest" or "bilinear"); points outside the image take ``fill_value``
    (fill_mode "constant") or the pixel found by "nearest", "wrap", "mirror" or "reflect".
    """
    _check_images("affine_transform", x)
    if interpolation not in INTERPOLATIONS:
        raise OpError("affine_transform", f"interpolation must be one of {INTERPOLATIONS}, got {interpolation!r}")
    if fill_mode not in FILL_MODES:
        raise OpError("affine_transform", f"fill_mode must be one of {FILL_MODES}, got {fill_mode!r}")
    b, h, w, c = x.shape
    # float32 as Keras computes the sampling points (so ties round the same way for "nearest")
    t = np.asarray(transform.numpy() if isinstance(transform, Tensor) else transform, dtype=np.float32)
    if t.ndim == 1:
        t = t[None]
    if t.shape[-1] != 8 or t.shape[0] not in (1, b):
        raise OpError("affine_transform", f"expected transforms of shape ({b}, 8) or (8,), got {t.shape}")
    t = np.broadcast_to(t, (b, 8))
    yy, xx = np.meshgrid(np.arange(h, dtype=np.float32), np.arange(w, dtype=np.float32), indexing="ij")
    a0, a1, a2, b0, b1, b2, c0, c1 = (t[:, k, None, None] for k in range(8))
    sx = (a0 * xx + a1 * yy) + a2
    sy = (b0 * xx + b1 * yy) + b2
    if np.any(c0) or np.any(c1):
        k = c0 * xx + c1 * yy + np.float32(1.0)
        sx, sy = sx / k, sy / k
    sx, sy = sx.astype(np.float64), sy.astype(np.float64)
    if interpolation == "nearest":
        # round half to even, as the reference implementations' round()
        taps_y = [(np.round(sy).astype(np.int64), np.ones_like(sy))]
        taps_x = [(np.round(sx).astype(np.int64), np.ones_like(sx))]
    else:
        fy, fx = np.floor(sy), np.floor(sx)
        taps_y = [(fy.astype(np.int64), 1.0 - (sy - fy)), (fy.astype(np.int64) + 1, sy - fy)]
        taps_x = [(fx.astype(np.int64), 1.0 - (sx - fx)), (fx.astype(np.int64) + 1, sx - fx)]
    flat = ops.reshape(x, (b, h * w, c))
    out = None
    for iy, wy in taps_y:
        for ix, wx in taps_x:
            weight = wy * wx
            valid = None
            if fill_mode == "constant":
                valid = (iy >= 0) & (iy < h) & (ix >= 0) & (ix < w)
            idx = _fix_index(iy, h, fill_mode) * w + _fix_index(ix, w, fill_mode)
            idx = np.broadcast_to(idx.reshape(b, h * w, 1), (b, h * w, c))
            vals = ops.take_along_axis(flat, Tensor._from_any(np.ascontiguousarray(idx), x.device), axis=1)
            wt = weight.reshape(b, h * w, 1)
            if valid is not None:
                v = valid.reshape(b, h * w, 1)
                vals = ops.multiply(vals, _const(v.astype(np.float64), x))
                if fill_value:
                    vals = ops.add(vals, _const((~v).astype(np.float64) * float(fill_value), x))
            term = ops.multiply(vals, _const(wt, x))
            out = term if out is None else ops.add(out, term)
    return ops.reshape(out, (b, h, w, c))


def extract_patches(x: Tensor, size: Tuple[int, int], strides: Tuple[int, int], padding: str = "valid") -> Tensor:
    """Patches of NHWC images: (B, H', W', size_h * size_w * C), each patch flattened as (row, col, channel).

    ``padding="same"`` zero-pads so that ``H' = ceil(H / stride)`` (split as Keras/TF do, extra at the end).
    """
    _check_images("extract_patches", x)
    sh, sw = int(size[0]), int(size[1])
    th, tw = int(strides[0]), int(strides[1])
    b, h, w, c = x.shape
    if padding == "same":
        oh, ow = -(-h // th), -(-w // tw)
        ph, pw = max((oh - 1) * th + sh - h, 0), max((ow - 1) * tw + sw - w, 0)
        if ph or pw:
            x = ops.pad(x, ((0, 0), (ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2), (0, 0)))
    elif padding == "valid":
        oh, ow = (h - sh) // th + 1, (w - sw) // tw + 1
        if oh < 1 or ow < 1:
            raise OpError("extract_patches", f"patches of size {(sh, sw)} do not fit images of shape {x.shape}")
    else:
        raise OpError("extract_patches", f"padding must be 'valid' or 'same', got {padding!r}")
    if (th, tw) == (sh, sw) and x.shape[1] == oh * sh and x.shape[2] == ow * sw:
        p = ops.reshape(x, (b, oh, sh, ow, sw, c))
        p = ops.transpose(p, (0, 1, 3, 2, 4, 5))
        return ops.reshape(p, (b, oh, ow, sh * sw * c))
    pieces = [x[:, i:i + th * (oh - 1) + 1:th, j:j + tw * (ow - 1) + 1:tw, :] for i in range(sh) for j in range(sw)]
    return ops.reshape(ops.stack(pieces, axis=3), (b, oh, ow, sh * sw * c))
