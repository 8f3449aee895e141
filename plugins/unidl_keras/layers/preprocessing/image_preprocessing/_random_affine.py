"""The shared part of ``RandomTranslation`` and ``RandomZoom``: Keras's height/width factor ranges, the fill
options, and a training-time warp of each image by a per-image (B, 8) projective transform."""
from __future__ import annotations

from typing import Any, Dict, Optional, Tuple

import numpy as np

from unidl.nn import image as _img

from .base_image_preprocessing_layer import BaseImagePreprocessingLayer, check_fill


def factor_range(name: str, factor: Any) -> Tuple[float, float]:
    """``(lower, upper)`` from a float ``f`` (``(-f, f)``) or a pair; both must lie in [-1, 1]."""
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


class RandomAffineLayer(BaseImagePreprocessingLayer):
    """Base of the layers that warp each image by a random transform in training (identity otherwise).

    Subclasses implement ``_transforms(batch, height, width)``: the (B, 8) float32 transforms. ``width_factor``
    may be None only where ``_WIDTH_OPTIONAL`` is true.
    """

    _WIDTH_OPTIONAL = False

    def __init__(self, height_factor: Any, width_factor: Any, fill_mode: str, interpolation: str,
                 seed: Optional[int], fill_value: float, data_format: Optional[str], **kwargs: Any) -> None:
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        check_fill(type(self).__name__, fill_mode, interpolation)
        self.height_factor, self.width_factor = height_factor, width_factor
        self.height_lower, self.height_upper = factor_range("height_factor", height_factor)
        if width_factor is not None or not self._WIDTH_OPTIONAL:
            self.width_lower, self.width_upper = factor_range("width_factor", width_factor)
        self.fill_mode, self.interpolation, self.fill_value = fill_mode, interpolation, fill_value

    def _transforms(self, batch: int, height: int, width: int) -> np.ndarray:  # pragma: no cover - abstract
        raise NotImplementedError

    def transform_images(self, x, training):
        if not training:
            return x
        b, h, w, _ = x.shape
        return _img.affine_transform(x, self._transforms(b, h, w), self.interpolation, self.fill_mode,
                                     self.fill_value)

    def get_config(self) -> Dict[str, Any]:
        cfg = super().get_config()
        cfg.update({"height_factor": self.height_factor, "width_factor": self.width_factor,
                    "fill_mode": self.fill_mode, "interpolation": self.interpolation, "seed": self.seed,
                    "fill_value": self.fill_value})
        return cfg
