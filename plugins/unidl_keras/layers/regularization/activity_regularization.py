"""``keras.layers.ActivityRegularization``."""
from __future__ import annotations

from typing import Any, Dict

from ... import regularizers
from ..layer import Layer


class ActivityRegularization(Layer):
    """Returns its input and adds ``(l1 * sum|x| + l2 * sum x^2) / batch_size`` to ``losses``.

    Args:
        l1: the L1 factor (>= 0). l2: the L2 factor (>= 0).

    Input shape: any. Output shape: the same.
    """

    def __init__(self, l1: float = 0.0, l2: float = 0.0, **kwargs: Any) -> None:
        kwargs.pop("activity_regularizer", None)
        super().__init__(activity_regularizer=regularizers.L1L2(l1=l1, l2=l2), **kwargs)
        self.l1 = l1
        self.l2 = l2
        self.supports_masking = True
        self.built = True
        self._build_at_init()

    def call(self, inputs: Any) -> Any:
        return inputs

    def compute_output_shape(self, input_shape: Any) -> Any:
        return tuple(input_shape)

    def get_config(self) -> Dict[str, Any]:
        cfg = super().get_config()
        cfg.pop("activity_regularizer", None)
        cfg.update({"l1": self.l1, "l2": self.l2})
        return cfg
