"""``mx.gluon.data.vision.transforms``: image transforms as Blocks (call them on an NDArray).

Images are HWC (or NHWC batches) before ``ToTensor`` and CHW (NCHW) after it, as in MXNet.
Sizes are given as ``(width, height)``, MXNet's order. Random transforms draw from unidl's generator
(``mx.random.seed`` makes them reproducible).
"""
from __future__ import annotations

from typing import Any, Sequence, Tuple, Union

import numpy as np

import unidl.random as _urandom

from .... import ndarray as nd
from ....base import MXNetError
from ....ndarray.ndarray import NDArray
from ...block import Block, HybridBlock
from ...nn import HybridSequential, Sequential
from ._resize import resize as _resize

Size = Union[int, Sequence[int]]


def _check_image(op: str, x: Any) -> NDArray:
    if not isinstance(x, NDArray):
        raise TypeError(f"{op}: expected an NDArray image, got {type(x).__name__}")
    if x.ndim not in (3, 4):
        raise MXNetError(f"{op}: input image must have shape (height, width, channels) or "
                         f"(N, height, width, channels), but got {x.shape}")
    return x


def _per_image(x: NDArray, fn: Any) -> NDArray:
    """Apply a host function to an HWC image or to each image of an NHWC batch; back to an NDArray."""
    host = x.asnumpy()
    out = fn(host) if host.ndim == 3 else np.stack([fn(im) for im in host])
    return nd.array(out, ctx=x.context, dtype=out.dtype)


class Compose(Sequential):
    """Runs ``transforms`` in order (runs of consecutive HybridBlocks are grouped in a HybridSequential)."""

    def __init__(self, transforms: Sequence[Any]) -> None:
        super().__init__()
        run: list = []
        for t in list(transforms) + [None]:
            if isinstance(t, HybridBlock):
                run.append(t)
                continue
            if len(run) == 1:
                self.add(run[0])
            elif run:
                group = HybridSequential()
                group.add(*run)
                self.add(group)
            run = []
            if t is not None:
                self.add(t)


class Cast(HybridBlock):
    """Casts the input to ``dtype`` (default float32); any shape."""

    def __init__(self, dtype: Any = "float32") -> None:
        super().__init__()
        self._dtype = dtype

    def hybrid_forward(self, F: Any, x: NDArray) -> NDArray:
        return x.astype(self._dtype)


class ToTensor(HybridBlock):
    """(H, W, C) [or (N, H, W, C)] image in [0, 255] -> float32 (C, H, W) [(N, C, H, W)] in [0, 1]."""

    def hybrid_forward(self, F: Any, x: NDArray) -> NDArray:
        _check_image("ToTensor", x)
        y = x.astype("float32") / 255.0
        return F.transpose(y, axes=(2, 0, 1) if x.ndim == 3 else (0, 3, 1, 2))


def _channel_values(op: str, name: str, v: Any, channels: int, shape: tuple) -> Any:
    vals = [float(v)] if np.isscalar(v) else [float(e) for e in v]
    if len(vals) not in (1, channels):
        raise MXNetError(f"{op}: invalid {name} for input with shape {shape}: {name} must have either 1 or "
                         f"{channels} elements, but got {vals}")
    return vals


class Normalize(HybridBlock):
    """``out[c] = (x[c] - mean[c]) / std[c]`` for a float (C, H, W) or (N, C, H, W) tensor; ``mean`` and
    ``std`` are scalars or one value per channel."""

    def __init__(self, mean: Any = 0.0, std: Any = 1.0) -> None:
        super().__init__()
        self._mean = mean
        self._std = std

    def hybrid_forward(self, F: Any, x: NDArray) -> NDArray:
        _check_image("Normalize", x)
        caxis = 0 if x.ndim == 3 else 1
        c = x.shape[caxis]
        bshape = (c, 1, 1) if x.ndim == 3 else (1, c, 1, 1)
        mean = _channel_values("Normalize", "mean", self._mean, c, x.shape)
        std = _channel_values("Normalize", "std", self._std, c, x.shape)
        # integer images are normalised in float32 and cast back (truncating), as MXNet's kernel does
        floating = np.issubdtype(np.dtype(x.dtype), np.floating)
        work = x if floating else x.astype("float32")
        mean = F.array(np.broadcast_to(np.asarray(mean, np.float32), (c,)).reshape(bshape), ctx=x.context,
                       dtype=work.dtype)
        std = F.array(np.broadcast_to(np.asarray(std, np.float32), (c,)).reshape(bshape), ctx=x.context,
                      dtype=work.dtype)
        out = (work - mean) / std
        return out if floating else out.astype(x.dtype)


def _resize_shape(op: str, size: Size, keep_ratio: bool, h: int, w: int) -> Tuple[int, int]:
    """Output (height, width) for MXNet's ``size`` (int or (w, h)) and ``keep_ratio``."""
    if isinstance(size, (int, np.integer)):
        if not keep_ratio:
            return int(size), int(size)
        if h > w:
            return int(h * size / w), int(size)
        return int(size), int(w * size / h)
    size = tuple(size)
    if len(size) != 2:
        raise ValueError(f"{op}: size must be an int or a (width, height) pair, got {size}")
    return int(size[1]), int(size[0])


class Resize(HybridBlock):
    """Resize an (H, W, C) image or (N, H, W, C) batch to ``size``: an int (square, or the short edge when
    ``keep_ratio``) or ``(width, height)``. ``interpolation`` 1 = bilinear (default), 0 = nearest."""

    def __init__(self, size: Size, keep_ratio: bool = False, interpolation: int = 1) -> None:
        super().__init__()
        self._size = size
        self._keep = keep_ratio
        self._interpolation = interpolation

    def hybrid_forward(self, F: Any, x: NDArray) -> NDArray:
        _check_image("Resize", x)
        h, w = x.shape[-3], x.shape[-2]
        oh, ow = _resize_shape("Resize", self._size, self._keep, h, w)
        return _per_image(x, lambda im: _resize(im, oh, ow, self._interpolation, "Resize"))


def _scale_down(src_wh: Tuple[int, int], size: Tuple[int, int]) -> Tuple[int, int]:
    """The largest crop of ``size``'s aspect ratio that fits in the source (both as (w, h))."""
    sw, sh = src_wh
    w, h = size
    if sh < h:
        w, h = float(w * sh) / h, sh
    if sw < w:
        w, h = sw, float(h * sw) / w
    return int(w), int(h)


class CenterCrop(Block):
    """Crop the centre of an (H, W, C) image to ``size`` (int or (w, h)); an image smaller than ``size``
    is cropped to the size's aspect ratio and scaled up."""

    def __init__(self, size: Size, interpolation: int = 1) -> None:
        super().__init__()
        self._size = (int(size), int(size)) if isinstance(size, (int, np.integer)) else tuple(int(s) for s in size)
        self._interpolation = interpolation

    def forward(self, x: NDArray) -> NDArray:
        _check_image("CenterCrop", x)
        if x.ndim != 3:
            raise MXNetError(f"CenterCrop: expected an (H, W, C) image, got shape {x.shape}")
        h, w = x.shape[0], x.shape[1]
        cw, ch = _scale_down((w, h), self._size)
        x0, y0 = int((w - cw) / 2), int((h - ch) / 2)

        def crop(im: np.ndarray) -> np.ndarray:
            out = im[y0:y0 + ch, x0:x0 + cw]
            if (cw, ch) != self._size:
                out = _resize(out, self._size[1], self._size[0], self._interpolation, "CenterCrop")
            return np.ascontiguousarray(out)

        return _per_image(x, crop)


class _RandomFlip(HybridBlock):
    _axis = 0
    _op = ""

    def hybrid_forward(self, F: Any, x: NDArray) -> NDArray:
        _check_image(self._op, x)
        if float(_urandom.uniform(0.0, 1.0, ()).item()) < 0.5:
            return F.flip(x, axis=self._axis + x.ndim - 3)
        return x.copy()


class RandomFlipLeftRight(_RandomFlip):
    """Flip an (H, W, C) image (or a whole NHWC batch) left-right with probability 0.5."""

    _axis, _op = 1, "RandomFlipLeftRight"


class RandomFlipTopBottom(_RandomFlip):
    """Flip an (H, W, C) image (or a whole NHWC batch) top-bottom with probability 0.5."""

    _axis, _op = 0, "RandomFlipTopBottom"


__all__ = ["Compose", "Cast", "ToTensor", "Normalize", "Resize", "CenterCrop", "RandomFlipLeftRight",
           "RandomFlipTopBottom"]
