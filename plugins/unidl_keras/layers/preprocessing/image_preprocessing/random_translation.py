"""``keras.layers.RandomTranslation``."""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from ._random_affine import RandomAffineLayer


class RandomTranslation(RandomAffineLayer):
    """In training, shift each image by random fractions of its height and width; identity otherwise.

    ``height_factor=0.2`` shifts by a random amount in [-20%, +20%] of the height (same for width).
    """

    def __init__(self, height_factor: Any, width_factor: Any, fill_mode: str = "reflect",
                 interpolation: str = "bilinear", seed: Optional[int] = None, fill_value: float = 0.0,
                 data_format: Optional[str] = None, **kwargs: Any) -> None:
        super().__init__(height_factor, width_factor, fill_mode, interpolation, seed, fill_value, data_format,
                         **kwargs)

    def _transforms(self, b: int, h: int, w: int) -> np.ndarray:
        dh = self._uniform(self.height_lower, self.height_upper, (b,)) * np.float32(h)
        dw = self._uniform(self.width_lower, self.width_upper, (b,)) * np.float32(w)
        one, z = np.ones(b, np.float32), np.zeros(b, np.float32)
        return np.stack([one, z, -dw, z, one, -dh, z, z], axis=1).astype(np.float32)
