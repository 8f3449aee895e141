"""``keras.layers.ELU``."""
from __future__ import annotations

from typing import Any, Dict

from unidl import ops

from ..layer import Layer


class ELU(Layer):
    """Exponential linear unit: ``x`` for ``x > 0``, ``alpha * (exp(x) - 1)`` otherwise.

    Args:
        alpha: the scale of the negative part (default 1.0).

    Input shape: any. Output shape: the same as the input.
    """

    def __init__(self, alpha: float = 1.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.alpha = alpha
        self.supports_masking = True
        self.built = True
        self._build_at_init()

    def call(self, inputs: Any) -> Any:
        return ops.elu(inputs, alpha=float(self.alpha))

    def compute_output_shape(self, input_shape: Any) -> Any:
        return tuple(input_shape)

    def get_config(self) -> Dict[str, Any]:
        cfg = super().get_config()
        cfg["alpha"] = self.alpha
        return cfg
