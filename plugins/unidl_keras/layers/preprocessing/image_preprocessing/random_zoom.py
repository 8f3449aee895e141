"""``keras.layers.RandomZoom``."""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from ._random_affine import RandomAffineLayer


class RandomZoom(RandomAffineLayer):
    """In training, zoom each image by a random factor about its centre; identity otherwise.

    A positive factor zooms out, a negative one zooms in (``height_factor=0.2``: height scaled by a
    random value in [80%, 120%] of the view). ``width_factor=None`` keeps the aspect ratio.
    """

    _WIDTH_OPTIONAL = True

    def __init__(self, height_factor: Any, width_factor: Any = None, fill_mode: str = "reflect",
                 interpolation: str = "bilinear", seed: Optional[int] = None, fill_value: float = 0.0,
                 data_format: Optional[str] = None, **kwargs: Any) -> None:
        super().__init__(height_factor, width_factor, fill_mode, interpolation, seed, fill_value, data_format,
                         **kwargs)

    def _transforms(self, b: int, h: int, w: int) -> np.ndarray:
        hz = self._uniform(1.0 + self.height_lower, 1.0 + self.height_upper, (b,))
        wz = hz if self.width_factor is None else self._uniform(1.0 + self.width_lower, 1.0 + self.width_upper, (b,))
        z = np.zeros(b, np.float32)
        return np.stack([wz, z, (np.float32(w) - 1) / 2 * (1 - wz), z, hz, (np.float32(h) - 1) / 2 * (1 - hz), z, z],
                        axis=1).astype(np.float32)
