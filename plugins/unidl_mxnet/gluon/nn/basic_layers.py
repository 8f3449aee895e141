"""``gluon.nn`` basic layers: Sequential, HybridSequential, Dense, Dropout, Flatten, Lambda, HybridLambda
(``Activation`` lives in :mod:`.activations`, as in MXNet, and is re-exported here)."""
from __future__ import annotations

import warnings

from typing import Any, Optional

import numpy as np

from unidl import autograd as _ag
from unidl import ops

from ... import ndarray as _nd
from ...base import MXNetError, check_positive
from ...ndarray.ops import FullyConnected as _nd_FullyConnected  # (mx.nd's without the out= wrapper)
from ...ndarray.ndarray import NDArray, wrap
from ..block import Block, HybridBlock
from .activations import Activation


class Sequential(Block):
    """Blocks run one after another (``add`` appends)."""

    def add(self, *blocks: Block) -> None:
        for b in blocks:
            self.register_child(b)

    def forward(self, x: Any, *args: Any) -> Any:
        for b in self._children.values():
            x = b(x, *args) if args else b(x)
            args = ()
        return x

    def __getitem__(self, key: Any) -> Any:
        layers = list(self._children.values())[key]
        if isinstance(layers, list):
            net = type(self)(prefix=self._prefix)
            with net.name_scope():
                net.add(*layers)
            return net
        return layers

    def __len__(self) -> int:
        return len(self._children)

    def hybridize(self, active: bool = True, **kwargs: Any) -> None:
        """Hybridize the HybridBlock children; warns (as MXNet) when all children are HybridBlocks."""
        if not isinstance(self, HybridBlock) and self._children and \
                all(isinstance(c, HybridBlock) for c in self._children.values()):
            warnings.warn(f"All children of this Sequential layer '{self.prefix}' are HybridBlocks. Consider using "
                          "HybridSequential for the best performance.", stacklevel=2)
        super().hybridize(active, **kwargs)


class HybridSequential(Sequential, HybridBlock):
    """Sequential of HybridBlocks (runs imperatively; ``hybridize`` keeps results identical)."""

    forward = Sequential.forward


class Dense(HybridBlock):
    """Fully connected layer: ``activation(x @ weight.T + bias)`` with weight (units, in_units).

    ``flatten=True`` (default) collapses all input axes but the first; ``in_units=0`` infers the input
    size at the first call.
    """

    def __init__(self, units: int, activation: Optional[str] = None, use_bias: bool = True, flatten: bool = True,
                 dtype: Any = "float32", weight_initializer: Any = None, bias_initializer: Any = "zeros",
                 in_units: int = 0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if units != 0:  # MXNet accepts units=0 at creation (the weight's shape then stays unknown)
            check_positive("Dense", units=units)
        with self.name_scope():
            self._units, self._in_units, self._flatten = units, in_units, flatten
            self.weight = self.params.get("weight", shape=(units, in_units), init=weight_initializer,
                                          dtype=dtype, allow_deferred_init=True)._lay_out("dense")
            self.bias = self.params.get("bias", shape=(units,), init=bias_initializer, dtype=dtype,
                                        allow_deferred_init=True) if use_bias else None
            self.act = Activation(activation, prefix=activation + "_") if activation is not None else None

    def infer_shape(self, x: Any, *args: Any) -> None:
        in_units = int(np.prod(x.shape[1:])) if self._flatten else x.shape[-1]
        self.weight.shape = (self._units, in_units)

    def hybrid_forward(self, F: Any, x: Any, weight: Any, bias: Any = None) -> Any:
        fc = _nd_FullyConnected if F is _nd else F.FullyConnected
        out = fc(x, weight, bias, no_bias=bias is None, num_hidden=self._units, flatten=self._flatten)
        return self.act(out) if self.act is not None else out

    def __repr__(self) -> str:
        shape = self.weight.shape
        act = f"Activation({self.act._act_type})" if self.act is not None else "linear"
        return f"Dense({shape[1] if shape[1] else None} -> {shape[0]}, {act})"


class Dropout(HybridBlock):
    """Zeroes a fraction ``rate`` of the inputs while training (kept ones scaled by 1/(1-rate));
    ``axes`` share one mask along those axes."""

    def __init__(self, rate: float, axes: Any = (), **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not 0 <= rate <= 1:
            raise MXNetError(f"Dropout: rate must be in [0, 1], got {rate}")
        self._rate, self._axes = rate, tuple(axes)

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        if self._rate == 0 or not _ag.is_training():
            return x
        noise = None
        if self._axes:
            noise = tuple(1 if i in self._axes else d for i, d in enumerate(x.shape))
        return wrap(ops.dropout(x._t, self._rate, training=True, noise_shape=noise))

    def __repr__(self) -> str:
        return f"Dropout(p = {self._rate}, axes={self._axes})"


class Flatten(HybridBlock):
    """(N, ...) -> (N, prod(...))."""

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return F.flatten(x)

    def __repr__(self) -> str:
        return "Flatten"


def _function_name(fn: Any) -> str:
    return getattr(fn, "__name__", type(fn).__name__)


class Lambda(Block):
    """Wraps a function as a Block: the name of an ``mx.nd`` operator (``Lambda('tanh')``) or a callable
    ``function(*args)``. Shapes: whatever the function does."""

    def __init__(self, function: Any, prefix: Optional[str] = None) -> None:
        super().__init__(prefix=prefix)
        if isinstance(function, str):
            from ... import ndarray as nd

            if not hasattr(nd, function):
                raise AssertionError(f"Function name {function} is not found in ndarray.")
            self._func_impl = getattr(nd, function)
        elif callable(function):
            self._func_impl = function
        else:
            raise ValueError(f"Unrecognized function in lambda: {function} of type {type(function)}")

    def forward(self, *args: Any) -> Any:
        return self._func_impl(*args)

    def __repr__(self) -> str:
        return f"Lambda({_function_name(self._func_impl)})"


class HybridLambda(HybridBlock):
    """Wraps a function as a HybridBlock: an operator name available in ``mx.nd`` (``HybridLambda('tanh')``)
    or a callable ``function(F, x, *args)`` (``F`` is ``mx.nd``)."""

    def __init__(self, function: Any, prefix: Optional[str] = None) -> None:
        super().__init__(prefix=prefix)
        if isinstance(function, str):
            from ... import ndarray as nd

            if not hasattr(nd, function):
                raise AssertionError(f"Function name {function} is not found in symbol/ndarray.")
            op = getattr(nd, function)
            self._func = lambda F, *args: op(*args)
            self._func_name = function
        elif callable(function):
            self._func = function
            self._func_name = _function_name(function)
        else:
            raise ValueError(f"Unrecognized function in lambda: {function} of type {type(function)}")

    def hybrid_forward(self, F: Any, x: Any, *args: Any) -> Any:
        return self._func(F, x, *args)

    def __repr__(self) -> str:
        return f"HybridLambda({self._func_name})"


__all__ = ["Sequential", "HybridSequential", "Dense", "Activation", "Dropout", "Flatten", "Lambda", "HybridLambda",
           "NDArray"]
