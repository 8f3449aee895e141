"""``mx.image``: decoding (``imread``, ``imdecode``) and array-level image helpers of MXNet 1.9.1
(``imresize``, crops, ``resize_short``, ``random_size_crop``, ``color_normalize``) on (H, W, C) NDArrays.

Decoding uses Pillow (the optional ``unidl[image]`` extra) where MXNet uses OpenCV: PNG pixels are identical;
JPEG pixels may differ by a few levels between the two libjpeg builds. EXIF orientation is ignored, as in
MXNet. Interpolation codes are OpenCV's: 0 nearest, 1 bilinear, 2 bicubic, 3 area, 4 Lanczos; the helpers
also take 9 (auto: bicubic to enlarge, area to shrink, else bilinear) and 10 (random 0-4).
"""
from __future__ import annotations

import io
import math
from typing import Any, Optional, Sequence, Tuple, Union

import numpy as np

import unidl.random as _urandom

from . import ndarray as nd
from .base import MXNetError, unsupported_attrs
from .gluon.data.vision._resize import resize as _resize
from .ndarray.ndarray import NDArray

__getattr__ = unsupported_attrs("mxnet.image", {n: "unidl_mxnet does not implement the legacy DataIter image "
                                                   "pipeline; use gluon.data.vision.ImageRecordDataset / "
                                                   "ImageFolderDataset with a DataLoader"
                                                for n in ("ImageIter", "ImageDetIter", "CreateAugmenter",
                                                          "CreateDetAugmenter")})

__all__ = ["imread", "imdecode", "imresize", "fixed_crop", "center_crop", "random_crop", "random_size_crop",
           "resize_short", "scale_down", "color_normalize", "imrotate", "random_rotate"]

_PILLOW_HINT = "install it with `pip install Pillow` (or `pip install unidl[image]`)"


def _pillow(op: str) -> Any:
    """``PIL.Image``, or an ImportError naming ``op`` and how to install Pillow."""
    try:
        from PIL import Image
    except ImportError:
        raise ImportError(f"{op}: reading and writing image files needs Pillow, which is not installed; "
                          f"{_PILLOW_HINT}") from None
    return Image


def _to_gray(rgb: np.ndarray, png: bool) -> np.ndarray:
    """RGB -> gray as OpenCV's decoders do it; (H, W) uint8. PNG goes through libpng's converter
    (0.299 R + 0.587 G in 15-bit fixed point, truncated); other formats through OpenCV's cvtColor
    (14-bit fixed point, rounded)."""
    r, g, b = (rgb[..., i].astype(np.int64) for i in range(3))
    if png:
        return ((r * 9797 + g * 19234 + b * 3737) >> 15).astype(np.uint8)
    return ((r * 4899 + g * 9617 + b * 1868 + (1 << 13)) >> 14).astype(np.uint8)


def decode_array(buf: bytes, flag: int = 1, to_rgb: bool = True, op: str = "mx.image.imdecode") -> np.ndarray:
    """Decode image file bytes to a host (H, W, 3) uint8 array (RGB, or BGR when ``to_rgb`` is false), or
    (H, W, 1) grayscale when ``flag`` is 0. Data-pipeline code shared by ``recordio`` and the datasets."""
    Image = _pillow(op)
    if int(flag) < 0:
        raise MXNetError(f"{op}: flag must be 0 (grayscale) or 1 (color), got {flag}")
    try:
        img = Image.open(io.BytesIO(bytes(buf)))
        if int(flag) == 0 and img.format == "JPEG":
            img.draft("L", img.size)  # libjpeg's own luma output, what OpenCV's grayscale decode returns
        img.load()
    except Exception as err:  # Pillow raises UnidentifiedImageError, OSError, SyntaxError, ... on bad data
        raise MXNetError(f"{op}: Decoding failed. Invalid image file ({len(buf)} bytes: {err})") from None
    mode = img.mode
    if mode in ("I;16", "I;16B", "I;16L", "I"):  # 16-bit gray: OpenCV keeps the high byte
        gray = (np.asarray(img).astype(np.int64) >> 8).clip(0, 255).astype(np.uint8)
        rgb = None
    elif mode in ("L", "LA", "1"):
        gray = np.asarray(img.convert("L"), dtype=np.uint8)
        rgb = None
    else:
        rgb = np.asarray(img.convert("RGB"), dtype=np.uint8)
        gray = None
    if int(flag) == 0:
        out = (gray if gray is not None else _to_gray(rgb, img.format == "PNG"))[:, :, None]
        return np.ascontiguousarray(out)
    if rgb is None:
        rgb = np.repeat(gray[:, :, None], 3, axis=2)
    if not to_rgb:
        rgb = rgb[:, :, ::-1]
    return np.ascontiguousarray(rgb)


def encode_array(img: np.ndarray, img_fmt: str = ".jpg", quality: int = 95, op: str = "mx.recordio.pack_img",
                 channel_order: str = "BGR") -> bytes:
    """Encode a host (H, W), (H, W, 1), (H, W, 3) or (H, W, 4) uint8 array as JPEG or PNG bytes.

    ``channel_order`` says how 3/4-channel arrays are laid out ("BGR" is OpenCV's, which ``pack_img`` takes).
    For JPEG ``quality`` is 0-100; for PNG it is the zlib compression level 0-9 (OpenCV's meaning).
    """
    Image = _pillow(op)
    img = np.asarray(img)
    if img.dtype != np.uint8:
        raise MXNetError(f"{op}: expected a uint8 image, got dtype {img.dtype}")
    if img.ndim == 3 and img.shape[2] == 1:
        img = img[:, :, 0]
    if img.ndim not in (2, 3) or (img.ndim == 3 and img.shape[2] not in (3, 4)):
        raise MXNetError(f"{op}: expected an (H, W), (H, W, 1), (H, W, 3) or (H, W, 4) image, got shape {img.shape}")
    if img.ndim == 3 and channel_order == "BGR":
        img = np.concatenate([img[:, :, 2::-1], img[:, :, 3:]], axis=2)
    fmt = img_fmt.lower().lstrip(".")
    pil = Image.fromarray(np.ascontiguousarray(img))
    out = io.BytesIO()
    if fmt in ("jpg", "jpeg"):
        if pil.mode == "RGBA":
            pil = pil.convert("RGB")
        pil.save(out, format="JPEG", quality=int(quality))
    elif fmt == "png":
        level = 3 if quality is None else int(quality)
        if not 0 <= level <= 9:
            level = 3
        pil.save(out, format="PNG", compress_level=level)
    else:
        raise MXNetError(f"{op}: unsupported image format {img_fmt!r}; expected '.jpg', '.jpeg' or '.png'")
    return out.getvalue()


def _wrap(out: np.ndarray, ctx: Any = None) -> NDArray:
    return nd.array(out, ctx=ctx, dtype=out.dtype) if ctx is not None else nd.array(out, dtype=out.dtype)


def imdecode(buf: Union[bytes, bytearray, np.ndarray, NDArray], flag: int = 1, to_rgb: bool = True,
             out: Optional[NDArray] = None, **kwargs: Any) -> NDArray:
    """Decode image file bytes (JPEG, PNG, ...) to an (H, W, 3) uint8 NDArray, RGB unless ``to_rgb`` is
    false (BGR); ``flag=0`` gives grayscale (H, W, 1). Needs Pillow."""
    if isinstance(buf, NDArray):
        buf = buf.asnumpy().astype(np.uint8).tobytes()
    elif isinstance(buf, np.ndarray):
        buf = buf.astype(np.uint8, copy=False).tobytes()
    elif not isinstance(buf, (bytes, bytearray)):
        raise ValueError("buf must be of type bytes, bytearray or numpy.ndarray,"
                         "if you would like to input type str, please convert to bytes")
    res = _wrap(decode_array(buf, flag, bool(to_rgb), "mx.image.imdecode"))
    if out is not None:
        out[:] = res
        return out
    return res


def imread(filename: str, flag: int = 1, to_rgb: bool = True, out: Optional[NDArray] = None,
           **kwargs: Any) -> NDArray:
    """Read and decode an image file: (H, W, 3) uint8 NDArray (RGB by default), (H, W, 1) when ``flag=0``.
    Needs Pillow."""
    _pillow("mx.image.imread")
    try:
        with open(filename, "rb") as f:
            buf = f.read()
    except OSError as err:
        raise MXNetError(f"mx.image.imread: {filename!r} couldn't open file: {err.strerror or err}") from None
    res = _wrap(decode_array(buf, flag, bool(to_rgb), f"mx.image.imread({filename!r})"))
    if out is not None:
        out[:] = res
        return out
    return res


def _image(op: str, src: Any) -> NDArray:
    if not isinstance(src, NDArray):
        raise TypeError(f"mx.image.{op}: expected an NDArray image, got {type(src).__name__}")
    if src.ndim != 3:
        raise MXNetError(f"mx.image.{op}: expected an (H, W, C) image, got shape {src.shape}")
    return src


def _get_interp_method(interp: int, sizes: Tuple[int, ...] = ()) -> int:
    """MXNet's interp resolution for the helpers: 9 picks by the resize direction, 10 picks at random."""
    if interp == 9:
        if sizes:
            oh, ow, nh, nw = sizes
            if nh > oh and nw > ow:
                return 2
            if nh < oh and nw < ow:
                return 3
            return 1
        return 2
    if interp == 10:
        return int(_urandom.randint(0, 5, ()).item())
    if interp not in (0, 1, 2, 3, 4):
        raise ValueError("Unknown interp method %d" % interp)
    return interp


def imresize(src: NDArray, w: int, h: int, interp: int = 1, out: Optional[NDArray] = None,
             **kwargs: Any) -> NDArray:
    """Resize an (H, W, C) image to (h, w, C) with OpenCV interpolation code ``interp`` (0-4); dtype kept."""
    _image("imresize", src)
    res = _resize(src.asnumpy(), int(h), int(w), interp, "mx.image.imresize")
    res = nd.array(res, ctx=src.context, dtype=res.dtype)
    if out is not None:
        out[:] = res
        return out
    return res


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
    if x0 < 0 or y0 < 0 or w < 1 or h < 1 or x0 + w > W or y0 + h > H:
        raise MXNetError(f"mx.image.fixed_crop: window x0={x0}, y0={y0}, w={w}, h={h} does not fit in an image of "
                         f"shape {src.shape}")
    out = src[y0:y0 + h, x0:x0 + w]
    if size is not None and (w, h) != tuple(size):
        out = imresize(out, size[0], size[1], interp=_get_interp_method(interp, (h, w, size[1], size[0])))
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


def random_size_crop(src: NDArray, size: Sequence[int], area: Any, ratio: Sequence[float], interp: int = 2,
                     **kwargs: Any) -> Tuple[NDArray, Tuple[int, int, int, int]]:
    """A crop covering a random fraction ``area`` (float min, or (min, max)) of the image with a random aspect
    ratio in ``ratio`` (log-uniform), resized to ``size`` (w, h); after 10 failed draws, :func:`center_crop`.
    Returns the image and the crop's ``(x0, y0, w, h)``. Draws come from unidl's generator."""
    _image("random_size_crop", src)
    h, w = src.shape[:2]
    if "min_area" in kwargs:
        area = kwargs.pop("min_area")
    if kwargs:
        raise TypeError(f"mx.image.random_size_crop: unexpected keyword arguments {sorted(kwargs)}")
    if isinstance(area, (int, float)):
        area = (area, 1.0)
    log_ratio = (math.log(ratio[0]), math.log(ratio[1]))
    for _ in range(10):
        target = float(_urandom.uniform(area[0], area[1], (), dtype="float64").item()) * h * w
        new_ratio = math.exp(float(_urandom.uniform(log_ratio[0], log_ratio[1], (), dtype="float64").item()))
        new_w = int(round(math.sqrt(target * new_ratio)))
        new_h = int(round(math.sqrt(target / new_ratio)))
        if 0 < new_w <= w and 0 < new_h <= h:
            x0 = int(_urandom.randint(0, w - new_w + 1, ()).item())
            y0 = int(_urandom.randint(0, h - new_h + 1, ()).item())
            return fixed_crop(src, x0, y0, new_w, new_h, tuple(size), interp), (x0, y0, new_w, new_h)
    return center_crop(src, size, interp)


def resize_short(src: NDArray, size: int, interp: int = 2) -> NDArray:
    """Resize so the shorter edge is ``size``, keeping the aspect ratio."""
    _image("resize_short", src)
    h, w = src.shape[:2]
    if h > w:
        new_h, new_w = size * h // w, size
    else:
        new_h, new_w = size, size * w // h
    return imresize(src, new_w, new_h, interp=_get_interp_method(interp, (h, w, new_h, new_w)))


def color_normalize(src: NDArray, mean: Any, std: Any = None) -> NDArray:
    """``(src - mean) / std`` (``std`` optional), broadcasting over the channel axis."""
    if mean is not None:
        src = src - mean
    if std is not None:
        src = src / std
    return src


def _rotate_host(src: np.ndarray, degrees: np.ndarray, zoom_in: bool, zoom_out: bool) -> np.ndarray:
    """Rotate each (C, H, W) float32 image of ``src`` (N, C, H, W) about its centre by ``degrees[n]``
    (counter-clockwise for positive angles in image coordinates), sampling bilinearly with zeros outside."""
    n, c, h, w = src.shape
    f32 = np.float32
    rad = (f32(np.pi) * degrees.astype(f32) / f32(180))[:, None, None]
    hs, ws = f32((h - 1) / 2), f32((w - 1) / 2)
    ys = (np.arange(h, dtype=f32)[:, None] - hs) * np.ones((1, w), f32)
    xs = (np.arange(w, dtype=f32)[None, :] - ws) * np.ones((h, 1), f32)
    cos, sin = np.cos(rad), np.sin(rad)
    gx = (xs * cos - ys * sin) / ws
    gy = (xs * sin + ys * cos) / hs
    if zoom_in or zoom_out:
        hh, ww = f32(h), f32(w)
        rho = np.sqrt(hh * hh + ww * ww)
        ang = np.arctan(hh / ww)
        a = np.abs(rad)
        max_x = np.maximum(np.abs(rho * np.cos(ang + a)), np.abs(rho * np.cos(ang - a)))
        max_y = np.maximum(np.abs(rho * np.sin(ang + a)), np.abs(rho * np.sin(ang - a)))
        scale = (np.maximum(max_x / ww, max_y / hh) if zoom_out else np.minimum(ww / max_x, hh / max_y)).astype(f32)
        gx, gy = gx * scale, gy * scale
    x = (gx + f32(1)) * f32(w - 1) / f32(2)
    y = (gy + f32(1)) * f32(h - 1) / f32(2)
    x0, y0 = np.floor(x).astype(np.int64), np.floor(y).astype(np.int64)
    wx, wy = f32(1) - (x - x0), f32(1) - (y - y0)
    out = np.zeros_like(src)
    for dy, fy in ((0, wy), (1, f32(1) - wy)):
        for dx, fx in ((0, wx), (1, f32(1) - wx)):
            yy, xx = y0 + dy, x0 + dx
            ok = (yy >= 0) & (yy < h) & (xx >= 0) & (xx < w)
            idx = np.arange(n)[:, None, None]
            vals = src[idx, :, np.clip(yy, 0, h - 1), np.clip(xx, 0, w - 1)]  # (N, H, W, C)
            out += np.moveaxis(vals * (fy * fx * ok)[..., None], -1, 1)
    return out


def imrotate(src: NDArray, rotation_degrees: Any, zoom_in: bool = False, zoom_out: bool = False) -> NDArray:
    """Rotate a float32 (C, H, W) image, or each image of an (N, C, H, W) batch, by ``rotation_degrees``
    (a number, or one angle per image) about the centre; the shape is kept and uncovered pixels are 0.
    ``zoom_in`` scales so no padding shows, ``zoom_out`` so the whole image stays visible."""
    if zoom_in and zoom_out:
        raise ValueError("`zoom_in` and `zoom_out` cannot be both True")
    if not isinstance(src, NDArray):
        raise TypeError(f"mx.image.imrotate: expected an NDArray image, got {type(src).__name__}")
    if np.dtype(src.dtype) != np.float32:
        raise TypeError("Only `float32` images are supported by this function")
    host = src.asnumpy()
    if host.ndim == 3:
        if not isinstance(rotation_degrees, (int, float, np.number)):
            raise TypeError("When a single image is passed the rotation angle is required to be a scalar.")
        host = host[None]
    elif host.ndim != 4:
        raise ValueError("Only 3D and 4D are supported by this function")
    if isinstance(rotation_degrees, NDArray):
        rotation_degrees = rotation_degrees.asnumpy()
    degrees = np.broadcast_to(np.asarray(rotation_degrees, np.float32).reshape(-1), (host.shape[0],)) \
        if np.ndim(rotation_degrees) == 0 else np.asarray(rotation_degrees, np.float32).reshape(-1)
    if len(degrees) != host.shape[0]:
        raise ValueError("The number of images must be equal to the number of rotation angles")
    out = _rotate_host(host, degrees, zoom_in, zoom_out)
    return nd.array(out[0] if src.ndim == 3 else out, ctx=src.context, dtype=np.float32)


def random_rotate(src: NDArray, angle_limits: Sequence[float], zoom_in: bool = False,
                  zoom_out: bool = False) -> NDArray:
    """:func:`imrotate` by an angle drawn uniformly from ``angle_limits`` (one per image of a batch;
    unidl's generator)."""
    low, high = angle_limits
    if src.ndim == 3:
        deg: Any = float(_urandom.uniform(low, high, (), dtype="float64").item())
    else:
        deg = _urandom.uniform(low, high, (src.shape[0],), dtype="float64").numpy()
    return imrotate(src, deg, zoom_in=zoom_in, zoom_out=zoom_out)
