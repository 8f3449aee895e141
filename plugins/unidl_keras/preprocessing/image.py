"""``keras.preprocessing.image``: image file helpers (Pillow needed to read or write files)."""
from __future__ import annotations

from typing import Any, Optional

from ..utils.image_utils import array_to_img, img_to_array, load_img, save_img

__all__ = ["array_to_img", "img_to_array", "load_img", "save_img", "smart_resize"]


def smart_resize(x: Any, size: Any, interpolation: str = "bilinear", data_format: str = "channels_last",
                 backend_module: Any = None) -> Any:
    """Resize to ``size`` after a centred crop to the target aspect ratio (``keras.ops.image.resize`` with
    ``crop_to_aspect_ratio=True``)."""
    from ..ops.image import resize

    return resize(x, size, interpolation=interpolation, crop_to_aspect_ratio=True, data_format=data_format)
