"""``keras.layers.Masking``."""
from __future__ import annotations

from typing import Any, Dict

from unidl import ops

from ..layer import Layer


class Masking(Layer):
    """Masks timesteps whose features all equal ``mask_value``.

    The output mask (consumed by later layers) is ``any(inputs != mask_value, axis=-1)``; masked
    timesteps of the output are zeroed.

    Args:
        mask_value: the value that marks a padded timestep (default 0.0).

    Input shape: (batch, timesteps, features) (any rank >= 2). Output shape: the same.
    """

    def __init__(self, mask_value: float = 0.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.mask_value = mask_value
        self.supports_masking = True
        self.built = True
        self._build_at_init()

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> Any:
        return ops.any(ops.not_equal(inputs, self.mask_value), axis=-1)

    def call(self, inputs: Any) -> Any:
        keep = ops.any(ops.not_equal(inputs, self.mask_value), axis=-1, keepdims=True)
        return ops.multiply(inputs, ops.astype(keep, inputs.dtype))

    def compute_output_shape(self, input_shape: Any) -> Any:
        return tuple(input_shape)

    def get_config(self) -> Dict[str, Any]:
        cfg = super().get_config()
        cfg["mask_value"] = self.mask_value
        return cfg
