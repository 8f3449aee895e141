"""``keras.layers.RandomRotation``."""
from __future__ import annotations

from typing import Any, Dict, Optional

from unidl.nn import image as _img

from .base_image_preprocessing_layer import BaseImagePreprocessingLayer, affine_matrix, check_fill


class RandomRotation(BaseImagePreprocessingLayer):
    """In training, rotate each image about its centre by a random angle in ``factor * 2π``; identity otherwise.

    Args:
        factor: a float (range ``[-factor, factor]``) or (lower, upper), as fractions of a full turn.
        fill_mode: "reflect" (default), "wrap", "constant", "nearest" or "mirror".
        interpolation: "bilinear" (default) or "nearest".
        seed: an int for a generator of the layer's own.
        fill_value: the value outside the image for fill_mode "constant".
    """

    def __init__(self, factor: Any, fill_mode: str = "reflect", interpolation: str = "bilinear",
                 seed: Optional[int] = None, fill_value: float = 0.0, value_range: Any = (0, 255),
                 data_format: Optional[str] = None, **kwargs: Any) -> None:
        super().__init__(factor=factor, data_format=data_format, seed=seed, **kwargs)
        check_fill(type(self).__name__, fill_mode, interpolation)
        self.fill_mode, self.interpolation, self.fill_value = fill_mode, interpolation, fill_value
        self.value_range = value_range

    def transform_images(self, x, training):
        if not training:
            return x
        b, h, w, _ = x.shape
        angle = self._uniform(self.factor[0] * 360.0, self.factor[1] * 360.0, (b,))
        return _img.affine_transform(x, affine_matrix(angle, h, w), self.interpolation, self.fill_mode,
                                     self.fill_value)

    def get_config(self) -> Dict[str, Any]:
        cfg = super().get_config()
        cfg.update({"factor": self.factor, "fill_mode": self.fill_mode, "interpolation": self.interpolation,
                    "seed": self.seed, "fill_value": self.fill_value, "value_range": self.value_range})
        return cfg
