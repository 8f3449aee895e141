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
from . import _color
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
    """Output (height, width) for MXNet's ``size`` (int or (w, h)) and ``keep_ratio``. As in MXNet, a bad size
    is refused when the transform runs (MXNetError), not when it is built."""
    if isinstance(size, (int, np.integer)):
        if size <= 0:
            raise MXNetError(f"{op}: size should be greater than 0, got {size}")
        if not keep_ratio:
            return int(size), int(size)
        if h > w:
            return int(h * size / w), int(size)
        return int(size), int(w * size / h)
    size = tuple(size)
    if len(size) not in (1, 2):
        raise MXNetError(f"{op}: size must be an int or a (width, height) pair, got {size} "
                         f"({len(size)} values)")
    if len(size) == 1:
        return _resize_shape(op, size[0], keep_ratio, h, w)
    if size[0] <= 0 or size[1] <= 0:
        raise MXNetError(f"{op}: width and height should be greater than 0, got (width, height) = {size}")
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


class CropResize(HybridBlock):
    """The ``width`` x ``height`` window at column ``x``, row ``y`` of an (H, W, C) image or (N, H, W, C) batch,
    then resized to ``size`` (int or (w, h)) when given, with ``interpolation`` (default 1, bilinear)."""

    def __init__(self, x: int, y: int, width: int, height: int, size: Any = None, interpolation: Any = None) -> None:
        super().__init__()
        self._x, self._y, self._width, self._height = x, y, width, height
        self._size = size
        self._interpolation = 1 if interpolation is None else interpolation

    def hybrid_forward(self, F: Any, x: NDArray) -> NDArray:
        _check_image("CropResize", x)
        h, w = x.shape[-3], x.shape[-2]
        x0, y0, cw, ch = self._x, self._y, self._width, self._height
        if x0 < 0 or y0 < 0 or cw < 1 or ch < 1 or x0 + cw > w or y0 + ch > h:
            raise MXNetError(f"CropResize: window x={x0}, y={y0}, width={cw}, height={ch} does not fit in an image "
                             f"of shape {x.shape}")
        out = x[y0:y0 + ch, x0:x0 + cw] if x.ndim == 3 else x[:, y0:y0 + ch, x0:x0 + cw]
        if not self._size:
            return out
        oh, ow = _resize_shape("CropResize", self._size, False, ch, cw)
        return _per_image(out, lambda im: _resize(np.ascontiguousarray(im), oh, ow, self._interpolation,
                                                  "CropResize"))


class RandomResizedCrop(Block):
    """Crop a random window of an (H, W, C) image (area fraction in ``scale``, aspect ratio log-uniform in
    ``ratio``) and resize it to ``size`` (int or (w, h)); after 10 failed draws, a centre crop. Draws come from
    unidl's generator (``mx.random.seed``)."""

    def __init__(self, size: Size, scale: Tuple[float, float] = (0.08, 1.0),
                 ratio: Tuple[float, float] = (3.0 / 4.0, 4.0 / 3.0), interpolation: int = 1) -> None:
        super().__init__()
        if isinstance(size, (int, np.integer)):
            size = (size, size)
        self._args = (tuple(size), scale, ratio, interpolation)

    def forward(self, x: NDArray) -> NDArray:
        from .... import image

        _check_image("RandomResizedCrop", x)
        if x.ndim != 3:
            raise MXNetError(f"RandomResizedCrop: expected an (H, W, C) image, got shape {x.shape}")
        return image.random_size_crop(x, *self._args)[0]


def _check_float32(x: Any) -> None:
    if not isinstance(x, NDArray) or np.dtype(x.dtype) != np.float32:
        raise TypeError("This transformation only supports float32. Consider calling it after ToTensor")


class Rotate(Block):
    """Rotate a float32 (C, H, W) image or (N, C, H, W) batch by ``rotation_degrees`` about the centre, keeping
    the shape (uncovered pixels are 0); ``zoom_in`` / ``zoom_out`` as in ``mx.image.imrotate``."""

    def __init__(self, rotation_degrees: float, zoom_in: bool = False, zoom_out: bool = False) -> None:
        super().__init__()
        self._args = (rotation_degrees, zoom_in, zoom_out)

    def forward(self, x: NDArray) -> NDArray:
        from .... import image

        _check_float32(x)
        return image.imrotate(x, *self._args)


class RandomRotation(Block):
    """With probability ``rotate_with_proba``, :class:`Rotate` by an angle uniform in ``angle_limits``
    (lower, upper) degrees; unidl's generator."""

    def __init__(self, angle_limits: Tuple[float, float], zoom_in: bool = False, zoom_out: bool = False,
                 rotate_with_proba: float = 1.0) -> None:
        super().__init__()
        lower, upper = angle_limits
        if lower >= upper:
            raise ValueError("`angle_limits` must be an ordered tuple")
        if rotate_with_proba < 0 or rotate_with_proba > 1:
            raise ValueError("Probability of rotating the image should be between 0 and 1")
        self._args = (angle_limits, zoom_in, zoom_out)
        self._rotate_with_proba = rotate_with_proba

    def forward(self, x: NDArray) -> NDArray:
        from .... import image

        if float(_urandom.uniform(0.0, 1.0, ()).item()) > self._rotate_with_proba:
            return x
        _check_float32(x)
        return image.random_rotate(x, *self._args)


def _check_hwc(op: str, x: Any) -> NDArray:
    _check_image(op, x)
    if x.ndim != 3:
        raise MXNetError(f"{op}: expected an (H, W, C) image, got shape {x.shape}")
    return x


def _uniform(low: float, high: float) -> float:
    """One float32 draw in [low, high) from unidl's generator (exactly ``low`` when the range is empty)."""
    if high <= low:
        return float(np.float32(low))
    return float(_urandom.uniform(low, high, (), dtype="float32").item())


class _RandomEnhance(HybridBlock):
    _op = ""

    def __init__(self, amount: float) -> None:
        super().__init__()
        if amount < 0:
            raise ValueError(f"{self._op}: the jitter amount must be >= 0, got {amount}")
        self._args = (max(0.0, 1.0 - amount), 1.0 + amount)

    def _adjust(self, im: np.ndarray, factor: float) -> np.ndarray:
        raise NotImplementedError

    def hybrid_forward(self, F: Any, x: NDArray) -> NDArray:
        _check_hwc(self._op, x)
        factor = _uniform(*self._args)
        return _per_image(x, lambda im: self._adjust(im, factor))


class RandomBrightness(_RandomEnhance):
    """Multiply an (H, W, C) image by a factor uniform in ``[max(0, 1 - brightness), 1 + brightness]``
    (uint8 results clamp to [0, 255] and truncate, as MXNet)."""

    _op = "RandomBrightness"

    def _adjust(self, im: np.ndarray, factor: float) -> np.ndarray:
        return _color.adjust_brightness(im, factor)


class RandomContrast(_RandomEnhance):
    """Blend an (H, W, C) image with its mean gray level: ``x * f + (1 - f) * mean``, ``f`` uniform in
    ``[max(0, 1 - contrast), 1 + contrast]``."""

    _op = "RandomContrast"

    def _adjust(self, im: np.ndarray, factor: float) -> np.ndarray:
        return _color.adjust_contrast(im, factor)


class RandomSaturation(_RandomEnhance):
    """Blend an (H, W, 3) image with MXNet 1.9.1's per-pixel "gray" (``0.114 * B``, see ``_color``) by a
    factor uniform in ``[max(0, 1 - saturation), 1 + saturation]``."""

    _op = "RandomSaturation"

    def _adjust(self, im: np.ndarray, factor: float) -> np.ndarray:
        return _color.adjust_saturation(im, factor)


class RandomHue(_RandomEnhance):
    """Shift the hue of an (H, W, 3) image by ``f * 360`` degrees, ``f`` uniform in
    ``[max(0, 1 - hue), 1 + hue]`` (MXNet 1.9.1's range)."""

    _op = "RandomHue"

    def _adjust(self, im: np.ndarray, factor: float) -> np.ndarray:
        return _color.adjust_hue(im, factor)


class RandomColorJitter(HybridBlock):
    """Brightness, contrast, saturation and hue jitter in a random order; each factor is ``1 + U(-a, a)``
    for its amount ``a`` (hue: a shift of ``U(-hue, hue) * 360`` degrees); an amount of 0 skips that step."""

    def __init__(self, brightness: float = 0, contrast: float = 0, saturation: float = 0, hue: float = 0) -> None:
        super().__init__()
        self._args = (brightness, contrast, saturation, hue)

    def hybrid_forward(self, F: Any, x: NDArray) -> NDArray:
        _check_hwc("RandomColorJitter", x)
        order = [int(i) for i in _urandom.permutation(4).numpy()]
        steps = []
        fns = (_color.adjust_brightness, _color.adjust_contrast, _color.adjust_saturation, _color.adjust_hue)
        for i in order:
            amount = float(self._args[i])
            if amount > 0:
                f = _uniform(-amount, amount)
                steps.append((fns[i], f if i == 3 else float(np.float32(1.0) + np.float32(f))))

        def run(im: np.ndarray) -> np.ndarray:
            im = im.copy()
            for fn, factor in steps:
                im = fn(im, factor)
            return im

        return _per_image(x, run)


class RandomLighting(HybridBlock):
    """AlexNet-style PCA lighting noise on an (H, W, 3) image: per-channel offsets ``eig @ a`` with
    ``a ~ N(0, alpha)`` (three draws from unidl's generator)."""

    def __init__(self, alpha: float) -> None:
        super().__init__()
        self._alpha = alpha

    def hybrid_forward(self, F: Any, x: NDArray) -> NDArray:
        _check_hwc("RandomLighting", x)
        a = _urandom.normal(0.0, float(self._alpha), (3,), dtype="float32").numpy() if self._alpha > 0 \
            else np.zeros(3, np.float32)
        return _per_image(x, lambda im: _color.adjust_lighting(im, a))


class RandomApply(Sequential):
    """Apply ``transforms`` (a Block) with probability ``p`` (unidl's generator), else pass the input on."""

    def __init__(self, transforms: Any, p: float = 0.5) -> None:
        super().__init__()
        self.transforms = transforms
        self.p = p

    def forward(self, x: Any) -> Any:
        if self.p < float(_urandom.uniform(0.0, 1.0, ()).item()):
            return x
        return self.transforms(x)


__all__ = ["Compose", "Cast", "ToTensor", "Normalize", "Resize", "CenterCrop", "RandomFlipLeftRight",
           "RandomFlipTopBottom", "CropResize", "RandomResizedCrop", "Rotate", "RandomRotation", "RandomBrightness",
           "RandomContrast", "RandomSaturation", "RandomHue", "RandomColorJitter", "RandomLighting", "RandomApply"]
