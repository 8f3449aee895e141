"""``keras.layers.Resizing``."""
from __future__ import annotations

from typing import Any, Dict, Optional

from ....ops import image as kimage
from .base_image_preprocessing_layer import BaseImagePreprocessingLayer, sized_output_shape


class Resizing(BaseImagePreprocessingLayer):
    """Resize images to (height, width) (``keras.ops.image.resize``); the same in training and inference.

    Input: (batch, H, W, C) or (H, W, C) (channels_last), output (…, height, width, C).
    """

    def __init__(self, height: int, width: int, interpolation: str = "bilinear", crop_to_aspect_ratio: bool = False,
                 pad_to_aspect_ratio: bool = False, fill_mode: str = "constant", fill_value: float = 0.0,
                 antialias: bool = False, data_format: Optional[str] = None, **kwargs: Any) -> None:
        super().__init__(data_format=data_format, **kwargs)
        self.height, self.width = int(height), int(width)
        self.interpolation = interpolation
        self.crop_to_aspect_ratio = crop_to_aspect_ratio
        self.pad_to_aspect_ratio = pad_to_aspect_ratio
        self.fill_mode = fill_mode
        self.fill_value = fill_value
        self.antialias = antialias

    def transform_images(self, x, training):
        return kimage.resize(x, (self.height, self.width), interpolation=self.interpolation,
                             antialias=self.antialias, crop_to_aspect_ratio=self.crop_to_aspect_ratio,
                             pad_to_aspect_ratio=self.pad_to_aspect_ratio, fill_mode=self.fill_mode,
                             fill_value=self.fill_value, data_format="channels_last")

    def compute_output_shape(self, input_shape: Any) -> Any:
        return sized_output_shape(input_shape, self.height, self.width, self.data_format)

    def get_config(self) -> Dict[str, Any]:
        cfg = super().get_config()
        cfg.update({"height": self.height, "width": self.width, "interpolation": self.interpolation,
                    "crop_to_aspect_ratio": self.crop_to_aspect_ratio,
                    "pad_to_aspect_ratio": self.pad_to_aspect_ratio, "fill_mode": self.fill_mode,
                    "fill_value": self.fill_value, "antialias": self.antialias})
        return cfg
