"""Activation functions: sigmoid, relu, softplus, leaky_relu, elu, selu, gelu, silu, hard_sigmoid.

Elementwise like :mod:`unidl.ops.elementwise` (their kernels live in the NumPy plugin's elementwise
family); kept apart so each module stays small. Backwards use the output where that is cheaper
(sigmoid, relu and tanh sit on the LSTM and MLP hot paths).
"""
from __future__ import annotations

import math
from numbers import Real
from typing import Any

from ..errors import OpError
from ._core import Tensor, binary, defop, unary
from .elementwise import add, erfc, exp, greater, less, logical_and, multiply, square, subtract, tanh, where

__all__ = ["sigmoid", "relu", "relu_grad", "softplus", "leaky_relu", "elu", "selu", "gelu", "silu", "hard_sigmoid"]

_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
SQRT_HALF = math.sqrt(0.5)
SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
GELU_TANH_C = 0.044715
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946

SIGMOID = defop("sigmoid", doc="1 / (1 + e**-x), stable for large |x|")
RELU = defop("relu", doc="max(x, 0)")
RELU_GRAD = defop("relu_grad", doc="g * step(out) for relu's output out >= 0 (NaN where out is NaN)")
SOFTPLUS = defop("softplus", doc="log(1 + e**x), stable")
LEAKY_RELU = defop("leaky_relu", doc="x if x > 0 else negative_slope * x")
ELU = defop("elu", doc="x if x > 0 else alpha * (e**x - 1)")
SELU = defop("selu", doc="scale * elu(x, alpha) with the self-normalising constants")
GELU = defop("gelu", doc="x * Phi(x) (exact, or the tanh approximation)")
SILU = defop("silu", doc="x * sigmoid(x)")
HARD_SIGMOID = defop("hard_sigmoid", doc="clip(alpha * x + beta, 0, 1)")


def _number(op: str, name: str, v: Any, x: Tensor) -> float:
    if isinstance(v, bool) or not isinstance(v, Real):
        raise OpError(op, f"{name} must be a real number, got {type(v).__name__} {v!r:.40}", shapes=(x.shape,))
    return float(v)


def _sigmoid_bwd(node, out, g):
    return (multiply(g, multiply(out, subtract(1, out))),)


def sigmoid(x: Tensor) -> Tensor:
    """Elementwise logistic sigmoid ``1 / (1 + e**-x)``; no overflow for large ``|x|``.

    Gradient ``s * (1 - s)`` computed from the output ``s``.
    """
    return unary(SIGMOID, _sigmoid_bwd, x)


def _relu_bwd(node, out, g):
    return (relu_grad(g, out.detach()),)  # a constant mask: relu has no second derivative


def _relu_grad_bwd(node, out, gg):
    return relu_grad(gg, node.parents[1]), None  # linear in g; the mask is a constant


def relu_grad(g: Tensor, out: Tensor) -> Tensor:
    """The gradient through ``relu``, given its output ``out`` (>= 0, or NaN): ``g * sign(out)``, i.e. ``g``
    where ``out > 0``, ``g * 0`` where ``out == 0``, NaN where ``out`` is NaN (a NaN input gets a NaN
    gradient, as MXNet's relu_grad, never a silent 0). One fused kernel instead of ``multiply(g, sign(out))``
    (same bits). Shapes: g, out (...) alike (or broadcastable) -> (...)."""
    return binary(RELU_GRAD, _relu_grad_bwd, g, out)


def relu(x: Tensor) -> Tensor:
    """Elementwise ``max(x, 0)`` (NaN propagates). Gradient 1 where ``x > 0``, 0 where ``x <= 0``, NaN at NaN."""
    return unary(RELU, _relu_bwd, x)


def _softplus_bwd(node, out, g):
    return (multiply(g, sigmoid(node.parents[0])),)


def softplus(x: Tensor) -> Tensor:
    """Elementwise ``log(1 + e**x)``, computed without overflow. Gradient ``sigmoid(x)``."""
    return unary(SOFTPLUS, _softplus_bwd, x)


def _leaky_relu_bwd(node, out, g):
    return (where(greater(node.parents[0], 0), g, multiply(g, node.saved["negative_slope"])),)


def leaky_relu(x: Tensor, negative_slope: float = 0.2) -> Tensor:
    """Elementwise ``x`` where ``x > 0``, else ``negative_slope * x``."""
    return unary(LEAKY_RELU, _leaky_relu_bwd, x,
                 negative_slope=_number("leaky_relu", "negative_slope", negative_slope, x))


def _elu_bwd(node, out, g):
    # for x <= 0, d/dx alpha*(e**x - 1) = out + alpha
    return (where(greater(node.parents[0], 0), g, multiply(g, add(out, node.saved["alpha"]))),)


def elu(x: Tensor, alpha: float = 1.0) -> Tensor:
    """Elementwise ``x`` where ``x > 0``, else ``alpha * (e**x - 1)``."""
    return unary(ELU, _elu_bwd, x, alpha=_number("elu", "alpha", alpha, x))


def _selu_bwd(node, out, g):
    neg = multiply(g, add(out, SELU_SCALE * SELU_ALPHA))
    return (where(greater(node.parents[0], 0), multiply(g, SELU_SCALE), neg),)


def selu(x: Tensor) -> Tensor:
    """Elementwise ``scale * (x if x > 0 else alpha * (e**x - 1))`` with SELU's fixed constants
    (``SELU_ALPHA``, ``SELU_SCALE``)."""
    return unary(SELU, _selu_bwd, x)


def _gelu_bwd(node, out, g):
    x = node.parents[0]
    if node.saved["approximate"]:
        # d/dx 0.5 x (1 + t), t = tanh(u), u = c (x + k x**3):
        #   0.5 (1 + t) + 0.5 x (1 - t**2) c (1 + 3 k x**2)
        x2 = square(x)
        t = tanh(multiply(multiply(x, add(multiply(x2, GELU_TANH_C), 1)), SQRT_2_OVER_PI))
        du = multiply(add(multiply(x2, 3 * GELU_TANH_C), 1), 0.5 * SQRT_2_OVER_PI)
        d = add(multiply(add(t, 1), 0.5), multiply(multiply(x, subtract(1, square(t))), du))
    else:
        # Phi(x) + x phi(x)
        cdf = multiply(erfc(multiply(x, -SQRT_HALF)), 0.5)
        pdf = multiply(exp(multiply(square(x), -0.5)), _INV_SQRT_2PI)
        d = add(cdf, multiply(x, pdf))
    return (multiply(g, d),)


def gelu(x: Tensor, approximate: Any = False) -> Tensor:
    """Elementwise GELU ``x * Phi(x)`` (``Phi`` the standard normal CDF).

    ``approximate=True`` (or ``'tanh'``) uses ``0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x**3)))``;
    ``False`` (or ``'none'``) the exact erf form.
    """
    if isinstance(approximate, str):
        if approximate not in ("tanh", "none"):
            raise OpError("gelu", f"approximate must be a bool, 'tanh' or 'none', got {approximate!r}",
                          shapes=(getattr(x, "shape", ()),))
        approximate = approximate == "tanh"
    return unary(GELU, _gelu_bwd, x, approximate=bool(approximate))


def _silu_bwd(node, out, g):
    # d/dx x s(x) = s + x s (1 - s) = s + out (1 - s)
    s = sigmoid(node.parents[0])
    return (multiply(g, add(s, multiply(out, subtract(1, s)))),)


def silu(x: Tensor) -> Tensor:
    """Elementwise ``x * sigmoid(x)`` (a.k.a. swish)."""
    return unary(SILU, _silu_bwd, x)


def _hard_sigmoid_bwd(node, out, g):
    inside = logical_and(greater(out, 0), less(out, 1))
    return (multiply(multiply(g, node.saved["alpha"]), inside),)


def hard_sigmoid(x: Tensor, alpha: float = 0.2, beta: float = 0.5) -> Tensor:
    """Elementwise ``clip(alpha * x + beta, 0, 1)``.

    The defaults are Keras' and MXNet's; ``alpha=1/6`` gives PyTorch's ``hardsigmoid``. Gradient
    ``alpha`` where the result is strictly between 0 and 1, else 0.
    """
    return unary(HARD_SIGMOID, _hard_sigmoid_bwd, x, alpha=_number("hard_sigmoid", "alpha", alpha, x),
                 beta=_number("hard_sigmoid", "beta", beta, x))
