"""``keras.activations``: activation functions by name, computed with :mod:`unidl.ops`.

Every function maps a tensor to one of the same shape (``glu`` halves ``axis``) and follows Keras 3's
formula and defaults (``gelu`` exact, ``leaky_relu`` slope 0.2, ``hard_sigmoid = relu6(x + 3) / 6``).
"""
from __future__ import annotations

from typing import Any, Callable, Dict

from unidl import ops
from unidl.tensor import Tensor

from ..backend.common import convert_to_tensor

_SELU_ALPHA = 1.6732632423543772
_SELU_SCALE = 1.0507009873554805


_t = convert_to_tensor  # ``x`` as a tensor (one call fewer than a function around it)


def linear(x: Any) -> Any:
    """Identity."""
    return x


def relu(x: Any, negative_slope: float = 0.0, max_value: Any = None, threshold: float = 0.0) -> Any:
    """Rectified linear unit, with Keras's options.

    ``x`` where ``x > threshold`` (else 0), clipped to ``[0, max_value]`` when ``max_value`` is set;
    then ``negative_slope * (x - threshold)`` is added where ``x < threshold``.
    """
    if not isinstance(x, Tensor):
        x = _t(x)
    if negative_slope == 0.0 and max_value is None and threshold == 0.0:
        return ops.relu(x)
    if threshold != 0.0:
        pos = ops.where(ops.greater(x, threshold), x, ops.zeros_like(x))
    else:
        pos = ops.relu(x)
    if max_value is not None:
        pos = ops.clip(pos, 0.0, float(max_value))
    if negative_slope != 0.0:
        pos = ops.subtract(pos, ops.multiply(ops.relu(ops.subtract(threshold, x)), float(negative_slope)))
    return pos


def relu6(x: Any) -> Any:
    """``min(max(x, 0), 6)``."""
    return ops.clip(_t(x), 0.0, 6.0)


def leaky_relu(x: Any, negative_slope: float = 0.2) -> Any:
    """``x`` for ``x >= 0``, else ``negative_slope * x``."""
    return ops.leaky_relu(_t(x), negative_slope)


def elu(x: Any, alpha: float = 1.0) -> Any:
    """``x`` for ``x > 0``, else ``alpha * (exp(x) - 1)``."""
    return ops.elu(_t(x), alpha)


def selu(x: Any) -> Any:
    """``scale * elu(x, alpha)`` with the self-normalising constants (alpha ~ 1.6733, scale ~ 1.0507)."""
    return ops.selu(_t(x))


def celu(x: Any, alpha: float = 1.0) -> Any:
    """``max(x, 0) + min(alpha * (exp(x / alpha) - 1), 0)``."""
    x = _t(x)
    a = float(alpha)
    neg = ops.multiply(ops.expm1(ops.divide(ops.minimum(x, 0.0), a)), a)
    return ops.add(ops.relu(x), neg)


def sigmoid(x: Any) -> Any:
    """``1 / (1 + exp(-x))``."""
    return ops.sigmoid(_t(x))


def hard_sigmoid(x: Any) -> Any:
    """Piecewise-linear sigmoid: ``relu6(x + 3) / 6`` (0 below -3, 1 above 3)."""
    return ops.hard_sigmoid(_t(x), 1.0 / 6.0, 0.5)


def log_sigmoid(x: Any) -> Any:
    """``log(sigmoid(x)) = -softplus(-x)``."""
    return ops.negative(ops.softplus(ops.negative(_t(x))))


def tanh(x: Any) -> Any:
    """Hyperbolic tangent."""
    return ops.tanh(_t(x))


def hard_tanh(x: Any) -> Any:
    """``clip(x, -1, 1)``."""
    return ops.clip(_t(x), -1.0, 1.0)


def tanh_shrink(x: Any) -> Any:
    """``x - tanh(x)``."""
    x = _t(x)
    return ops.subtract(x, ops.tanh(x))


def softplus(x: Any) -> Any:
    """``log(1 + exp(x))``, computed stably."""
    return ops.softplus(_t(x))


def softsign(x: Any) -> Any:
    """``x / (1 + |x|)``."""
    x = _t(x)
    return ops.divide(x, ops.add(ops.abs(x), 1.0))


def silu(x: Any) -> Any:
    """``x * sigmoid(x)`` (also named swish)."""
    return ops.silu(_t(x))


swish = silu


def hard_silu(x: Any) -> Any:
    """``x * hard_sigmoid(x)`` (also named hard_swish)."""
    x = _t(x)
    return ops.multiply(x, hard_sigmoid(x))


hard_swish = hard_silu


def gelu(x: Any, approximate: bool = False) -> Any:
    """Gaussian error linear unit: ``x * Phi(x)`` (exact, with erf), or the tanh approximation."""
    return ops.gelu(_t(x), approximate=bool(approximate))


def mish(x: Any) -> Any:
    """``x * tanh(softplus(x))``."""
    x = _t(x)
    return ops.multiply(x, ops.tanh(ops.softplus(x)))


def exponential(x: Any) -> Any:
    """``exp(x)``."""
    return ops.exp(_t(x))


def softmax(x: Any, axis: int = -1) -> Any:
    """``exp(x) / sum(exp(x), axis)``."""
    return ops.softmax(_t(x), axis=axis)


def log_softmax(x: Any, axis: int = -1) -> Any:
    """``x - logsumexp(x, axis)``."""
    return ops.log_softmax(_t(x), axis=axis)


def glu(x: Any, axis: int = -1) -> Any:
    """Gated linear unit: split ``axis`` in halves ``a, b``; ``a * sigmoid(b)``. Shape: ``axis`` halves."""
    x = _t(x)
    n = x.shape[axis]
    if n % 2:
        raise ValueError(f"axis size must be divisible by 2. Received: x.shape={tuple(x.shape)} with axis={axis}")
    a, b = ops.split(x, 2, axis=axis)
    return ops.multiply(a, ops.sigmoid(b))


def soft_shrink(x: Any, threshold: float = 0.5) -> Any:
    """``x - threshold`` above ``threshold``, ``x + threshold`` below ``-threshold``, else 0."""
    x = _t(x)
    th = float(threshold)
    return ops.where(ops.greater(x, th), ops.subtract(x, th),
                     ops.where(ops.less(x, -th), ops.add(x, th), ops.zeros_like(x)))


def hard_shrink(x: Any, threshold: float = 0.5) -> Any:
    """``x`` where ``|x| > threshold``, else 0."""
    x = _t(x)
    return ops.where(ops.greater(ops.abs(x), float(threshold)), x, ops.zeros_like(x))


def squareplus(x: Any, b: float = 4) -> Any:
    """``(x + sqrt(x^2 + b)) / 2``."""
    x = _t(x)
    return ops.divide(ops.add(x, ops.sqrt(ops.add(ops.square(x), float(b)))), 2.0)


def sparse_plus(x: Any) -> Any:
    """0 for ``x <= -1``, ``(x + 1)^2 / 4`` for ``-1 < x < 1``, ``x`` for ``x >= 1``."""
    x = _t(x)
    mid = ops.divide(ops.square(ops.add(x, 1.0)), 4.0)
    return ops.where(ops.less_equal(x, -1.0), ops.zeros_like(x), ops.where(ops.greater_equal(x, 1.0), x, mid))


def sparse_sigmoid(x: Any) -> Any:
    """0 for ``x <= -1``, ``(x + 1) / 2`` in between, 1 for ``x >= 1``."""
    return ops.clip(ops.divide(ops.add(_t(x), 1.0), 2.0), 0.0, 1.0)


def threshold(x: Any, threshold: float, default_value: float) -> Any:
    """``x`` where ``x > threshold``, else ``default_value``."""
    x = _t(x)
    return ops.where(ops.greater(x, threshold), x, ops.full_like(x, default_value))


_BY_NAME: Dict[str, Callable[..., Any]] = {
    f.__name__: f for f in (linear, relu, relu6, leaky_relu, elu, selu, celu, sigmoid, hard_sigmoid, log_sigmoid,
                            tanh, hard_tanh, tanh_shrink, softplus, softsign, silu, hard_silu, gelu, mish,
                            exponential, softmax, log_softmax, glu, soft_shrink, hard_shrink, squareplus,
                            sparse_plus, sparse_sigmoid, threshold)}
_BY_NAME.update({"swish": silu, "hard_swish": hard_silu})

__all__ = sorted(_BY_NAME) + ["get", "serialize", "deserialize"]


def serialize(fn: Any) -> Any:
    """The registered name of a built-in activation, else a function config dict."""
    name = getattr(fn, "__name__", None)
    if name in _BY_NAME and _BY_NAME[name] is fn:
        return name
    return {"module": getattr(fn, "__module__", None), "class_name": "function", "config": name,
            "registered_name": name}


def deserialize(config: Any, custom_objects: Any = None) -> Callable[..., Any]:
    """An activation function from :func:`serialize`'s output (name or config dict)."""
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
