"""``keras.layers.UnitNormalization``."""
from __future__ import annotations

from typing import Any, Dict

from unidl import ops

from ..layer import Layer


class UnitNormalization(Layer):
    """Scales each sample to unit L2 norm over ``axis``: ``x / max(||x||_2, 1e-12)``.

    Args:
        axis: an int or a list of ints (default -1).

    Input shape: any. Output shape: the same.
    """

    def __init__(self, axis: Any = -1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(axis, (list, tuple)):
            self.axis: Any = list(axis)
        elif isinstance(axis, int) and not isinstance(axis, bool):
            self.axis = axis
        else:
            raise TypeError("Invalid value for `axis` argument: expected an int or a list/tuple of ints. "
                            f"Received: axis={axis!r}")
        self.supports_masking = True
        self.built = True
        self._build_at_init()

    def call(self, inputs: Any) -> Any:
        axes = tuple(self.axis) if isinstance(self.axis, list) else self.axis
        norm = ops.sqrt(ops.sum(ops.square(inputs), axis=axes, keepdims=True))
        return ops.divide(inputs, ops.maximum(norm, 1e-12))

    def compute_output_shape(self, input_shape: Any) -> Any:
        return tuple(input_shape)

    def get_config(self) -> Dict[str, Any]:
        cfg = super().get_config()
        cfg["axis"] = self.axis
        return cfg
