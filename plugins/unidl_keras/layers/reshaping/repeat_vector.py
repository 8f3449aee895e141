"""``keras.layers.RepeatVector``."""
from __future__ import annotations

from typing import Any, Dict

from unidl import ops

from ..layer import Layer
from ._padding_utils import check_ndim


class RepeatVector(Layer):
    """Repeats a vector ``n`` times: (batch, features) -> (batch, n, features).

    Args:
        n: the number of repetitions (int).

    Input shape: 2D (batch, features). Output shape: 3D (batch, n, features).
    """

    def __init__(self, n: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(n, bool) or not isinstance(n, int):
            raise TypeError(f"Expected an integer value for `n`, got {type(n)}.")
        if n <= 0:
            raise ValueError(f"Argument `n` should be a positive integer. Received: n={n}")
        self.n = n

    def call(self, inputs: Any) -> Any:
        check_ndim(self, inputs.shape, 2)
        return ops.repeat(ops.expand_dims(inputs, 1), self.n, axis=1)

    def compute_output_shape(self, input_shape: Any) -> Any:
        check_ndim(self, input_shape, 2)
        return (input_shape[0], self.n, input_shape[1])

    def get_config(self) -> Dict[str, Any]:
        cfg = super().get_config()
        cfg["n"] = self.n
        return cfg
