"""``keras.layers.Activation``."""
from __future__ import annotations

from typing import Any, Dict

from ... import activations
from ..layer import Layer


class Activation(Layer):
    """Applies an activation function elementwise.

    Args:
        activation: a name (``'relu'``), a config dict or a callable.

    Input shape: any. Output shape: the same as the input.
    """

    def __init__(self, activation: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.activation = activations.get(activation)
        self.supports_masking = True
        self.built = True
        self._build_at_init()

    def call(self, inputs: Any) -> Any:
        return self.activation(inputs)

    def get_config(self) -> Dict[str, Any]:
        cfg = super().get_config()
        cfg["activation"] = activations.serialize(self.activation)
        return cfg
