"""``keras.layers.Identity``."""
from __future__ import annotations

from typing import Any

from ..layer import Layer


class Identity(Layer):
    """Returns its input unchanged (a placeholder layer); masks pass through.

    Input shape: any. Output shape: the same as the input.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.supports_masking = True
        self.built = True
        self._build_at_init()

    def call(self, inputs: Any) -> Any:
        return inputs

    def compute_output_spec(self, inputs: Any, *args: Any, **kwargs: Any) -> Any:
        from ...backend.keras_tensor import KerasTensor
        from ...utils import tree

        return tree.map_structure(lambda t: KerasTensor(t.shape, t.dtype, sparse=t.sparse), inputs)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape
