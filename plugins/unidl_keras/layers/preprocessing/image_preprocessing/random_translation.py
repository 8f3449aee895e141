"""``keras.layers.RandomTranslation``."""
from __future__ import annotations

from typing import Any, Dict, Optional

import numpy as np

from unidl.nn import image as _img

from .base_image_preprocessing_layer import BaseImagePreprocessingLayer, check_fill
from .random_zoom import _range


class RandomTranslation(BaseImagePreprocessingLayer):
    """In training, shift each image by random fractions of its height and width; identity otherwise.

    ``height_factor=0.2`` shifts by a random amount in [-20%, +20%] of the height (same for width).
    """

    def __init__(self, height_factor: Any, width_factor: Any, fill_mode: str = "reflect",
                 interpolation: str = "bilinear", seed: Optional[int] = None, fill_value: float = 0.0,
                 data_format: Optional[str] = None, **kwargs: Any) -> None:
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        check_fill(type(self).__name__, fill_mode, interpolation)
        self.height_factor, self.width_factor = height_factor, width_factor
        self.height_lower, self.height_upper = _range("height_factor", height_factor)
        self.width_lower, self.width_upper = _range("width_factor", width_factor)
        self.fill_mode, self.interpolation, self.fill_value = fill_mode, interpolation, fill_value

    def transform_images(self, x, training):
        if not training:
            return x
        b, h, w, _ = x.shape
        dh = self._uniform(self.height_lower, self.height_upper, (b,)) * np.float32(h)
        dw = self._uniform(self.width_lower, self.width_upper, (b,)) * np.float32(w)
        one, z = np.ones(b, np.float32), np.zeros(b, np.float32)
        t = np.stack([one, z, -dw, z, one, -dh, z, z], axis=1).astype(np.float32)
        return _img.affine_transform(x, t, self.interpolation, self.fill_mode, self.fill_value)

    def get_config(self) -> Dict[str, Any]:
        cfg = super().get_config()
        cfg.update({"height_factor": self.height_factor, "width_factor": self.width_factor,
                    "fill_mode": self.fill_mode, "interpolation": self.interpolation, "seed": self.seed,
                    "fill_value": self.fill_value})
        return cfg
