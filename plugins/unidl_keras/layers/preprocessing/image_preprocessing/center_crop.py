"""``keras.layers.CenterCrop``."""
from __future__ import annotations

from typing import Any, Dict, Optional

from ....ops import image as kimage
from .base_image_preprocessing_layer import BaseImagePreprocessingLayer, sized_output_shape


class CenterCrop(BaseImagePreprocessingLayer):
    """Crop the central (height, width) window; an image smaller than that is first resized with
    ``crop_to_aspect_ratio=True`` (as Keras does). Input (…, H, W, C), output (…, height, width, C)."""

    def __init__(self, height: int, width: int, data_format: Optional[str] = None, **kwargs: Any) -> None:
        super().__init__(data_format=data_format, **kwargs)
        self.height, self.width = int(height), int(width)

    def transform_images(self, x, training):
        h, w = x.shape[1], x.shape[2]
        if h >= self.height and w >= self.width:
            hs, ws = (h - self.height) // 2, (w - self.width) // 2
            return x[:, hs:hs + self.height, ws:ws + self.width, :]
        return kimage.resize(x, (self.height, self.width), crop_to_aspect_ratio=True, data_format="channels_last")

    def compute_output_shape(self, input_shape: Any) -> Any:
        return sized_output_shape(input_shape, self.height, self.width, self.data_format)

    def get_config(self) -> Dict[str, Any]:
        cfg = super().get_config()
        cfg.update({"height": self.height, "width": self.width})
        return cfg
