"""``keras.utils.load_img`` / ``img_to_array`` / ``array_to_img`` / ``save_img`` (Pillow needed for files)."""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from ..backend import config


def _pil(api: str) -> Any:
    from .directory_dataset_utils import _require_pillow

    return _require_pillow(api)


def load_img(path: Any, color_mode: str = "rgb", target_size: Any = None, interpolation: str = "nearest",
             keep_aspect_ratio: bool = False) -> Any:
    """A PIL image from ``path``, converted to ``color_mode`` and resized to ``target_size`` (h, w)."""
    Image = _pil("keras.utils.load_img")
    img = Image.open(path)
    mode = {"grayscale": "L", "rgba": "RGBA", "rgb": "RGB"}.get(color_mode)
    if mode is None:
        raise ValueError('color_mode must be "grayscale", "rgb", or "rgba"')
    if img.mode != mode:
        img = img.convert(mode)
    if target_size is not None:
        size = (int(target_size[1]), int(target_size[0]))
        if img.size != size:
            methods = {"nearest": Image.NEAREST, "bilinear": Image.BILINEAR, "bicubic": Image.BICUBIC}
            if interpolation not in methods:
                raise ValueError(f"Invalid interpolation method {interpolation} specified. Supported methods are "
                                 f"{', '.join(methods)}")
            if keep_aspect_ratio:
                w, h = img.size
                cw = min(w, int(h * size[0] / size[1]))
                ch = min(h, int(w * size[1] / size[0]))
                left, top = (w - cw) // 2, (h - ch) // 2
                img = img.crop((left, top, left + cw, top + ch))
            img = img.resize(size, methods[interpolation])
    return img


def img_to_array(img: Any, data_format: Optional[str] = None, dtype: Optional[str] = None) -> np.ndarray:
    """(h, w, channels) float array of a PIL image (channels first for data_format="channels_first")."""
    x = np.asarray(img, dtype=dtype or config.floatx())
    if x.ndim == 2:
        x = x[..., None]
    if x.ndim != 3:
        raise ValueError(f"Unsupported image shape: {x.shape}")
    if (data_format or config.image_data_format()) == "channels_first":
        x = x.transpose(2, 0, 1)
    return x


def array_to_img(x: Any, data_format: Optional[str] = None, scale: bool = True, dtype: Optional[str] = None) -> Any:
    """A PIL image from an (h, w, c) array (scaled to [0, 255] when ``scale``)."""
    Image = _pil("keras.utils.array_to_img")
    x = np.asarray(x.numpy() if hasattr(x, "numpy") else x, dtype=np.float64)
    if x.ndim != 3:
        raise ValueError(f"Expected image array to have rank 3 (single image). Got array with shape: {x.shape}")
    if (data_format or config.image_data_format()) == "channels_first":
        x = x.transpose(1, 2, 0)
    if scale:
        x = x - x.min()
        m = x.max()
        if m != 0:
            x = x / m
        x = x * 255
    modes = {1: "L", 3: "RGB", 4: "RGBA"}
    if x.shape[2] not in modes:
        raise ValueError(f"Unsupported channel number: {x.shape[2]}")
    arr = x.astype(np.uint8)
    return Image.fromarray(arr[..., 0] if x.shape[2] == 1 else arr, modes[x.shape[2]])


def save_img(path: Any, x: Any, data_format: Optional[str] = None, file_format: Optional[str] = None,
             scale: bool = True, **kwargs: Any) -> None:
    """Write an image array to ``path`` (through a temporary file renamed into place)."""
    import io

    from unidl.io.atomic import write_bytes_atomic

    img = array_to_img(x, data_format=data_format, scale=scale)
    fmt = file_format or str(path).rsplit(".", 1)[-1].upper().replace("JPG", "JPEG")
    buf = io.BytesIO()
    img.save(buf, format=fmt, **kwargs)
    write_bytes_atomic(path, buf.getvalue())
