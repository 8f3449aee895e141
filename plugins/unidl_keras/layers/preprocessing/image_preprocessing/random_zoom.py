"""``keras.layers.RandomZoom``."""
from __future__ import annotations

from typing import Any, Dict, Optional, Tuple

import numpy as np

from unidl.nn import image as _img

from .base_image_preprocessing_layer import BaseImagePreprocessingLayer, check_fill


def _range(name: str, factor: Any) -> Tuple[float, float]:
    if isinstance(factor, (tuple, list)):
        if len(factor) != 2:
            raise ValueError(f"`{name}` must be a float or a tuple of two floats. Received: {name}={factor}")
        lower, upper = float(factor[0]), float(factor[1])
    else:
        lower, upper = -float(factor), float(factor)
    if abs(lower) > 1.0 or abs(upper) > 1.0 or lower < -1.0:
        raise ValueError(f"The `{name}` argument should be a number (or a list of two numbers) in the range "
                         f"[-1.0, 1.0]. Received: factor={factor}")
    return lower, upper


class RandomZoom(BaseImagePreprocessingLayer):
    """In training, zoom each image by a random factor about its centre; identity otherwise.

    A positive factor zooms out, a negative one zooms in (``height_factor=0.2``: height scaled by a
    random value in [80%, 120%] of the view). ``width_factor=None`` keeps the aspect ratio.
    """

    def __init__(self, height_factor: Any, width_factor: Any = None, fill_mode: str = "reflect",
                 interpolation: str = "bilinear", seed: Optional[int] = None, fill_value: float = 0.0,
                 data_format: Optional[str] = None, **kwargs: Any) -> None:
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        check_fill(type(self).__name__, fill_mode, interpolation)
        self.height_factor, self.width_factor = height_factor, width_factor
        self.height_lower, self.height_upper = _range("height_factor", height_factor)
        if width_factor is not None:
            self.width_lower, self.width_upper = _range("width_factor", width_factor)
        self.fill_mode, self.interpolation, self.fill_value = fill_mode, interpolation, fill_value

    def transform_images(self, x, training):
        if not training:
            return x
        b, h, w, _ = x.shape
        hz = self._uniform(1.0 + self.height_lower, 1.0 + self.height_upper, (b,))
        wz = hz if self.width_factor is None else self._uniform(1.0 + self.width_lower, 1.0 + self.width_upper, (b,))
        z = np.zeros(b, np.float32)
        t = np.stack([wz, z, (np.float32(w) - 1) / 2 * (1 - wz), z, hz, (np.float32(h) - 1) / 2 * (1 - hz), z, z],
                     axis=1).astype(np.float32)
        return _img.affine_transform(x, t, self.interpolation, self.fill_mode, self.fill_value)

    def get_config(self) -> Dict[str, Any]:
        cfg = super().get_config()
        cfg.update({"height_factor": self.height_factor, "width_factor": self.width_factor,
                    "fill_mode": self.fill_mode, "interpolation": self.interpolation, "seed": self.seed,
                    "fill_value": self.fill_value})
        return cfg
