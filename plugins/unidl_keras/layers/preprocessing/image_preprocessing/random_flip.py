"""``keras.layers.RandomFlip``."""
from __future__ import annotations

from typing import Any, Dict, Optional

import numpy as np

from unidl import ops as U
from unidl.tensor import Tensor

from .base_image_preprocessing_layer import BaseImagePreprocessingLayer

HORIZONTAL, VERTICAL, HORIZONTAL_AND_VERTICAL = "horizontal", "vertical", "horizontal_and_vertical"


class RandomFlip(BaseImagePreprocessingLayer):
    """In training, flip each image left-right and/or up-down with probability 1/2 each; identity otherwise.

    Args:
        mode: "horizontal", "vertical" or "horizontal_and_vertical" (default).
        seed: an int for a generator of the layer's own.
    """

    def __init__(self, mode: str = HORIZONTAL_AND_VERTICAL, seed: Optional[int] = None,
                 data_format: Optional[str] = None, **kwargs: Any) -> None:
        super().__init__(data_format=data_format, seed=seed, **kwargs)
        if mode not in (HORIZONTAL, VERTICAL, HORIZONTAL_AND_VERTICAL):
            raise ValueError(f"RandomFlip layer {self.name} received an unknown mode argument {mode}")
        self.mode = mode

    def _flip(self, x: Tensor, axis: int) -> Tensor:
        b = x.shape[0]
        pick = self._uniform(0.0, 1.0, (b,)) > 0.5
        if not pick.any():
            return x
        flipped = U.flip(x, axis=axis)
        m = Tensor._from_any(pick.reshape(b, 1, 1, 1), x.device)
        return U.where(m, flipped, x)

    def transform_images(self, x, training):
        if not training:
            return x
        if self.mode in (HORIZONTAL, HORIZONTAL_AND_VERTICAL):
            x = self._flip(x, 2)
        if self.mode in (VERTICAL, HORIZONTAL_AND_VERTICAL):
            x = self._flip(x, 1)
        return x

    def get_config(self) -> Dict[str, Any]:
        cfg = super().get_config()
        cfg.update({"mode": self.mode, "seed": self.seed})
        return cfg
