"""``keras.layers.RandomContrast``."""
from __future__ import annotations

from typing import Any, Dict, Optional

from unidl import ops as U
from unidl.tensor import Tensor

from .base_image_preprocessing_layer import BaseImagePreprocessingLayer


class RandomContrast(BaseImagePreprocessingLayer):
    """In training, scale each image's deviation from its per-channel mean by a random factor in
    ``[1 - lower, 1 + upper]`` and clip to ``value_range``; identity otherwise."""

    _FACTOR_BOUNDS = (0.0, 1.0)

    def __init__(self, factor: Any, value_range: Any = (0, 255), seed: Optional[int] = None, **kwargs: Any) -> None:
        super().__init__(factor=factor, seed=seed, **kwargs)
        self.value_range = tuple(value_range)

    def _set_factor(self, factor: Any) -> None:
        if isinstance(factor, (tuple, list)):
            if len(factor) != 2:
                raise ValueError(f"`factor` must be a float or a tuple of two floats. Received: factor={factor}")
            lower, upper = float(factor[0]), float(factor[1])
        else:
            lower = upper = float(factor)
        if lower < 0 or upper < 0 or lower > 1:
            raise ValueError(f"`factor` argument cannot have negative values or values greater than 1. "
                             f"Received: factor={factor}")
        self.factor = (lower, upper)

    def transform_images(self, x, training):
        if not training:
            return x
        b = x.shape[0]
        f = self._uniform(1.0 - self.factor[0], 1.0 + self.factor[1], (b,)).reshape(b, 1, 1, 1)
        mean = U.mean(x, axis=(1, 2), keepdims=True)
        out = U.add(U.multiply(U.subtract(x, mean), Tensor._from_any(f.astype(x.dtype), x.device)), mean)
        return U.clip(out, float(self.value_range[0]), float(self.value_range[1]))

    def get_config(self) -> Dict[str, Any]:
        cfg = super().get_config()
        cfg.update({"factor": self.factor, "value_range": self.value_range, "seed": self.seed})
        return cfg
