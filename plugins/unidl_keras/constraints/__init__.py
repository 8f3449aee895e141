"""``keras.constraints``: projections applied to a variable after each optimizer update."""
from __future__ import annotations

from typing import Any, Dict

from unidl import ops

from ..saving.object_config import deserialize_object, get_object, serialize_object
from ..backend.config import epsilon


class Constraint:
    """Base class: ``constraint(w) -> projected w``."""

    def __call__(self, w: Any) -> Any:
        return w

    def get_config(self) -> Dict[str, Any]:
        return {}

    @classmethod
    def from_config(cls, config: Dict[str, Any]) -> "Constraint":
        return cls(**config)


def _norms(w: Any, axis: Any) -> Any:
    return ops.sqrt(ops.sum(ops.square(w), axis=axis, keepdims=True))


class MaxNorm(Constraint):
    """Scale each slice along ``axis`` down to norm <= ``max_value``: ``w * clip(n, 0, m) / (eps + n)``."""

    def __init__(self, max_value: float = 2, axis: Any = 0) -> None:
        self.max_value, self.axis = max_value, axis

    def __call__(self, w: Any) -> Any:
        n = _norms(w, self.axis)
        desired = ops.clip(n, 0, self.max_value)
        return ops.multiply(w, ops.divide(desired, ops.add(n, epsilon())))

    def get_config(self) -> Dict[str, Any]:
        return {"max_value": self.max_value, "axis": self.axis}


class NonNeg(Constraint):
    """``w * (w >= 0)``."""

    def __call__(self, w: Any) -> Any:
        return ops.multiply(w, ops.astype(ops.greater_equal(w, 0.0), w.dtype))


class UnitNorm(Constraint):
    """``w / (eps + norm(w, axis))``."""

    def __init__(self, axis: Any = 0) -> None:
        self.axis = axis

    def __call__(self, w: Any) -> Any:
        return ops.divide(w, ops.add(_norms(w, self.axis), epsilon()))

    def get_config(self) -> Dict[str, Any]:
        return {"axis": self.axis}


class MinMaxNorm(Constraint):
    """Norms pushed into [min_value, max_value] at ``rate``."""

    def __init__(self, min_value: float = 0.0, max_value: float = 1.0, rate: float = 1.0, axis: Any = 0) -> None:
        self.min_value, self.max_value, self.rate, self.axis = min_value, max_value, rate, axis

    def __call__(self, w: Any) -> Any:
        n = _norms(w, self.axis)
        desired = ops.add(ops.multiply(ops.clip(n, self.min_value, self.max_value), self.rate),
                          ops.multiply(n, 1.0 - self.rate))
        return ops.multiply(w, ops.divide(desired, ops.add(n, epsilon())))

    def get_config(self) -> Dict[str, Any]:
        return {"min_value": self.min_value, "max_value": self.max_value, "rate": self.rate, "axis": self.axis}


max_norm, non_neg, unit_norm, min_max_norm = MaxNorm, NonNeg, UnitNorm, MinMaxNorm
_BY_NAME = {c.__name__: c for c in (MaxNorm, NonNeg, UnitNorm, MinMaxNorm)}
_BY_NAME.update({"max_norm": MaxNorm, "non_neg": NonNeg, "unit_norm": UnitNorm, "min_max_norm": MinMaxNorm})


def serialize(constraint: Any) -> Any:
    return serialize_object(constraint, "keras.constraints", "constraint", Constraint)


def deserialize(config: Any, custom_objects: Any = None) -> Constraint:
    return deserialize_object(config, _BY_NAME, "constraint", custom_objects)


def get(identifier: Any) -> Any:
    """A constraint from None, a name ('max_norm', 'non_neg', ...), a config dict, an instance or a callable."""
    return get_object(identifier, _BY_NAME, "constraint", deserialize)
