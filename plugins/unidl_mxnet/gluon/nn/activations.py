"""``gluon.nn`` activation blocks (MXNet's ``gluon/nn/activations.py``): Activation, LeakyReLU, PReLU,
ELU, SELU, GELU, Swish. The math is :mod:`unidl.ops` (and :func:`unidl.nn.layers_extra.prelu`)."""
from __future__ import annotations

from typing import Any

from unidl import ops
from unidl.nn import layers_extra as _lx

from ... import ndarray as _nd
from ...base import MXNetError
from ...ndarray.ops import Activation as _nd_Activation  # (mx.nd's without the out= wrapper)
from ...initializer import Constant
from ...ndarray.ndarray import wrap
from ..block import HybridBlock


class _Leaf(HybridBlock):
    """A block without children whose repr is MXNet's default ``Name(\\n\\n)``."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}(\n\n)"


class Activation(HybridBlock):
    """An activation by name (``relu``, ``sigmoid``, ``tanh``, ``softrelu``, ``softsign``); the block is
    named after the activation (``relu0_``), as in MXNet. Shape: any -> same."""

    def __init__(self, activation: str, **kwargs: Any) -> None:
        self._act_type = activation
        self._instance_alias = activation
        super().__init__(**kwargs)

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        act = _nd_Activation if F is _nd else F.Activation
        return act(x, act_type=self._act_type)

    def __repr__(self) -> str:
        return f"Activation({self._act_type})"


class LeakyReLU(HybridBlock):
    """``x`` where ``x >= 0`` else ``alpha * x``; ``alpha >= 0``. Shape: any -> same."""

    def __init__(self, alpha: float, **kwargs: Any) -> None:
        if not alpha >= 0:
            raise AssertionError("Slope coefficient for LeakyReLU must be no less than 0.")
        super().__init__(**kwargs)
        self._alpha = alpha

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return wrap(ops.leaky_relu(x._t, float(self._alpha)))

    def __repr__(self) -> str:
        return f"LeakyReLU({self._alpha})"


class PReLU(_Leaf):
    """Leaky ReLU with a learned slope ``alpha`` of shape (in_channels,): one slope shared by all
    elements (``in_channels=1``, the default) or one per channel (axis 1 of the input).
    ``alpha`` starts at ``Constant(0.25)``. Shape: (N, C, ...) -> same."""

    def __init__(self, alpha_initializer: Any = Constant(0.25), in_channels: int = 1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        with self.name_scope():
            self.alpha = self.params.get("alpha", shape=(in_channels,), init=alpha_initializer)

    def hybrid_forward(self, F: Any, x: Any, alpha: Any) -> Any:
        a = alpha._t
        n = a.shape[0]
        if n != 1:
            if x.ndim < 2 or x.shape[1] != n:
                raise MXNetError(f"PReLU: alpha has {n} channels but the input of shape {x.shape} has "
                                 f"{x.shape[1] if x.ndim > 1 else None} on axis 1; expected in_channels=1 or "
                                 "the size of axis 1")
            a = ops.reshape(a, (n,) + (1,) * (x.ndim - 2))
        return wrap(_lx.prelu(x._t, a))


class ELU(_Leaf):
    """``x`` where ``x > 0`` else ``alpha * (exp(x) - 1)`` (alpha 1.0). Shape: any -> same."""

    def __init__(self, alpha: float = 1.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._alpha = alpha

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return wrap(ops.elu(x._t, float(self._alpha)))


class SELU(_Leaf):
    """Scaled ELU with the fixed constants of Klambauer et al. (2017). Shape: any -> same."""

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return wrap(ops.selu(x._t))


class GELU(_Leaf):
    """``x * Phi(x)`` with the exact (erf) normal CDF, as MXNet 1.9. Shape: any -> same."""

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return wrap(ops.gelu(x._t, approximate=False))


class Swish(_Leaf):
    """``x * sigmoid(beta * x)`` (beta 1.0). Shape: any -> same."""

    def __init__(self, beta: float = 1.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._beta = beta

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return wrap(_lx.swish(x._t, float(self._beta)))


__all__ = ["Activation", "LeakyReLU", "PReLU", "ELU", "SELU", "GELU", "Swish"]
