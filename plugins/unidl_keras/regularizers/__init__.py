"""``keras.regularizers``: penalties on weights (or activations) added to the training loss."""
from __future__ import annotations

from typing import Any, Dict

from unidl import ops

from ..saving.object_config import deserialize_object, get_object, serialize_object
from ..backend.common import snake_case


class Regularizer:
    """Base class: ``regularizer(x) -> scalar Tensor``."""

    def __call__(self, x: Any) -> Any:
        return 0.0

    def get_config(self) -> Dict[str, Any]:
        raise NotImplementedError(f"{type(self).__name__} does not implement get_config()")

    @classmethod
    def from_config(cls, config: Dict[str, Any]) -> "Regularizer":
        return cls(**config)


def _check(name: str, v: Any) -> float:
    v = float(v)
    if v < 0 or v != v:
        raise ValueError(f"Value for argument `{name}` should be a non-negative float. Received: {name}={v}")
    return v


class L1L2(Regularizer):
    """``l1 * sum(|x|) + l2 * sum(x^2)``."""

    def __init__(self, l1: float = 0.0, l2: float = 0.0) -> None:
        self.l1, self.l2 = _check("l1", l1), _check("l2", l2)

    def __call__(self, x: Any) -> Any:
        out = None
        if self.l1:
            out = ops.multiply(ops.sum(ops.abs(x)), self.l1)
        if self.l2:
            t = ops.multiply(ops.sum(ops.square(x)), self.l2)
            out = t if out is None else ops.add(out, t)
        return out if out is not None else ops.sum(ops.multiply(x, 0.0))

    def get_config(self) -> Dict[str, Any]:
        return {"l1": self.l1, "l2": self.l2}


class L1(Regularizer):
    """``l1 * sum(|x|)`` (default 0.01)."""

    def __init__(self, l1: float = 0.01) -> None:
        self.l1 = _check("l1", l1)

    def __call__(self, x: Any) -> Any:
        return ops.multiply(ops.sum(ops.abs(x)), self.l1)

    def get_config(self) -> Dict[str, Any]:
        return {"l1": self.l1}


class L2(Regularizer):
    """``l2 * sum(x^2)`` (default 0.01)."""

    def __init__(self, l2: float = 0.01) -> None:
        self.l2 = _check("l2", l2)

    def __call__(self, x: Any) -> Any:
        return ops.multiply(ops.sum(ops.square(x)), self.l2)

    def get_config(self) -> Dict[str, Any]:
        return {"l2": self.l2}


class OrthogonalRegularizer(Regularizer):
    """``factor * mean(|offdiag(normalize(x) normalize(x)^T)|)`` over rows or columns."""

    def __init__(self, factor: float = 0.01, mode: str = "rows") -> None:
        if mode not in ("rows", "columns"):
            raise ValueError(f"Invalid value for argument `mode`. Expected one of {{'rows', 'columns'}}. "
                             f"Received: mode={mode}")
        self.factor, self.mode = _check("factor", factor), mode

    def __call__(self, x: Any) -> Any:
        if x.ndim != 2:
            raise ValueError(f"Inputs to OrthogonalRegularizer must have rank 2. Received: inputs.shape={x.shape}")
        if self.mode == "columns":
            x = ops.transpose(x)
        n = ops.sqrt(ops.maximum(ops.sum(ops.square(x), axis=1, keepdims=True), 1e-12))
        x = ops.divide(x, n)
        prod = ops.abs(ops.matmul(x, ops.transpose(x)))
        size = x.shape[0]
        off = ops.subtract(ops.sum(prod), ops.sum(ops.abs(ops.sum(ops.square(x), axis=1))))
        return ops.multiply(ops.divide(off, float(size * size - size) if size > 1 else 1.0), self.factor)

    def get_config(self) -> Dict[str, Any]:
        return {"factor": self.factor, "mode": self.mode}


l1, l2, l1_l2, orthogonal_regularizer = L1, L2, L1L2, OrthogonalRegularizer
_BY_NAME = {c.__name__: c for c in (L1, L2, L1L2, OrthogonalRegularizer)}
_BY_NAME.update({"l1": L1, "l2": L2, "l1_l2": L1L2, "orthogonal_regularizer": OrthogonalRegularizer})


def serialize(regularizer: Any) -> Any:
    return serialize_object(regularizer, "keras.regularizers", "regularizer", Regularizer)


def deserialize(config: Any, custom_objects: Any = None) -> Regularizer:
    return deserialize_object(config, _BY_NAME, "regularizer", custom_objects)


def get(identifier: Any) -> Any:
    """A regularizer from None, a name ('l1', 'l2', 'l1_l2'), a config dict, an instance or a callable."""
    return get_object(identifier, _BY_NAME, "regularizer", deserialize)
