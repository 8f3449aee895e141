"""``keras.initializers.Initializer``: the base class (``initializer(shape, dtype=None) -> Tensor``)."""
from __future__ import annotations

from typing import Any, Dict


class Initializer:
    """Base class: ``initializer(shape, dtype=None) -> Tensor``."""

    def __call__(self, shape: Any, dtype: Any = None) -> Any:
        raise NotImplementedError

    def get_config(self) -> Dict[str, Any]:
        return {}

    @classmethod
    def from_config(cls, config: Dict[str, Any]) -> "Initializer":
        return cls(**config)

    def clone(self) -> "Initializer":
        return type(self).from_config(self.get_config())
