"""Symbolic ``keras.ops``: an op called on a :class:`KerasTensor` becomes a layer call.

Every public op is wrapped by :func:`symbolic`. Eagerly (no KerasTensor among the arguments) the
wrapper only scans the arguments and calls the op. When a KerasTensor is found it calls an
:class:`OpLayer` holding the op function instead, so the call is recorded as a node of the
functional graph (``x = keras.Input((4,)); y = keras.ops.relu(x) * 2; keras.Model(x, y)``) and is
replayed eagerly when the model runs. Output shapes come from running the op on placeholders
(:func:`~unidl_keras.layers.layer.infer_output_spec`).
"""
from __future__ import annotations

import functools
from typing import Any, Callable, Dict, Optional

import numpy as np

from ..backend.common import snake_case, unique_name
from ..backend.keras_tensor import KerasTensor
from ..layers.layer import Layer, infer_output_spec


#: the argument types :func:`any_symbolic` looks at (or into); an eager call whose arguments are none of them
#: skips it
_MAYBE_SYMBOLIC = (KerasTensor, list, tuple, dict)


def any_symbolic(args: tuple, kwargs: Dict[str, Any]) -> bool:
    """Whether a KerasTensor is among ``args``/``kwargs`` (looking one level into lists, tuples, dicts)."""
    for a in (*args, *kwargs.values()):
        if isinstance(a, KerasTensor):
            return True
        if isinstance(a, (list, tuple)):
            for b in a:
                if isinstance(b, KerasTensor) or isinstance(b, (list, tuple)) and any(
                        isinstance(c, KerasTensor) for c in b):
                    return True
        elif isinstance(a, dict) and any(isinstance(b, KerasTensor) for b in a.values()):
            return True
    return False


class OpLayer(Layer):
    """A weightless layer that applies one ``keras.ops`` function (its node in a functional model).

    Args:
        fn: the eager op function; ``call(*args, **kwargs)`` returns ``fn(*args, **kwargs)``.
        op_name: the op's name; the layer is named after it (``relu``, ``add_1``, ...).
    """

    def __init__(self, fn: Callable[..., Any], op_name: str, spec: Optional[Callable[..., Any]] = None,
                 **kwargs: Any) -> None:
        super().__init__(name=kwargs.pop("name", None) or unique_name(snake_case(op_name)), autocast=False,
                         **kwargs)
        self.fn = fn
        self.op_name = op_name
        self.spec = spec
        self.built = True

    def call(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.pop("training", None)
        return self.fn(*args, **kwargs)

    def compute_output_spec(self, *args: Any, **kwargs: Any) -> Any:
        if self.spec is not None:  # the op states its output shapes (value-dependent or partly unknown ones)
            return self.spec(*args, **kwargs)
        with np.errstate(all="ignore"):  # placeholders are zeros: log(0), 0/0 are expected there
            return infer_output_spec(self, args, kwargs)

    def get_config(self) -> Dict[str, Any]:
        cfg = super().get_config()
        cfg["op_name"] = self.op_name
        return cfg


def symbolic(fn: Callable[..., Any], spec: Optional[Callable[..., Any]] = None) -> Callable[..., Any]:
    """Decorate an eager op so that KerasTensor arguments route it through an :class:`OpLayer`.

    ``spec``, when given, computes the output KerasTensor(s) from the same arguments instead of running the
    op on placeholders (for outputs whose shape depends on values, or stays unknown)."""
    name = fn.__name__.lstrip("_") or "op"
    return route_symbolic(fn, lambda: OpLayer(fn, name, spec))


def route_symbolic(fn: Callable[..., Any], make_layer: Callable[[], Layer]) -> Callable[..., Any]:
    """``fn`` eagerly, or through the layer ``make_layer()`` builds when an argument is symbolic."""

    @functools.wraps(fn)
    def op(*args: Any, **kwargs: Any) -> Any:
        for a in args:  # the common eager call (tensors, scalars) costs one isinstance per argument
            if isinstance(a, _MAYBE_SYMBOLIC):
                break
        else:
            if not kwargs:
                return fn(*args)
        if any_symbolic(args, kwargs):
            return make_layer()(*args, **kwargs)
        return fn(*args, **kwargs)

    op.eager = fn  # type: ignore[attr-defined]
    return op
