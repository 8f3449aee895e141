"""``keras.activations``: activation functions by name, computed with :mod:`unidl.ops`."""
from __future__ import annotations

from typing import Any, Callable, Dict

from unidl import ops


def linear(x: Any) -> Any:
    """Identity."""
    return x


def relu(x: Any, negative_slope: float = 0.0, max_value: Any = None, threshold: float = 0.0) -> Any:
    """``max(x, 0)``; with ``negative_slope``/``max_value``/``threshold`` as Keras's relu."""
    if negative_slope == 0.0 and max_value is None and threshold == 0.0:
        return ops.relu(x)
    y = ops.where(ops.greater_equal(x, threshold), x, ops.multiply(ops.subtract(x, threshold), negative_slope))
    return y if max_value is None else ops.minimum(y, max_value)


def sigmoid(x: Any) -> Any:
    return ops.sigmoid(x)


def tanh(x: Any) -> Any:
    return ops.tanh(x)


def softmax(x: Any, axis: int = -1) -> Any:
    return ops.softmax(x, axis=axis)


_BY_NAME: Dict[str, Callable[..., Any]] = {"linear": linear, "relu": relu, "sigmoid": sigmoid, "tanh": tanh,
                                          "softmax": softmax}


def serialize(fn: Any) -> Any:
    name = getattr(fn, "__name__", None)
    if name in _BY_NAME and _BY_NAME[name] is fn:
        return name
    return {"module": getattr(fn, "__module__", None), "class_name": "function", "config": name,
            "registered_name": name}


def deserialize(config: Any, custom_objects: Any = None) -> Callable[..., Any]:
    if isinstance(config, dict):
        config = config.get("config")
    return get(config if not custom_objects or config not in custom_objects else custom_objects[config])


def get(identifier: Any) -> Callable[..., Any]:
    """An activation function from None ('linear'), a name, a config dict or a callable."""
    if identifier is None:
        return linear
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        fn = _BY_NAME.get(identifier)
        if fn is None:
            raise ValueError(f"Could not interpret activation function identifier: {identifier}")
        return fn
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret activation function identifier: {identifier}")
