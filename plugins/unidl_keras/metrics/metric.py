"""``keras.metrics.Metric``: a stateful accumulator whose state lives in non-trainable Variables.

``update_state(...)`` folds one batch into the state; ``result()`` reads the value; ``reset_state()``
zeroes the state (``evaluate``/``fit`` call it per epoch); ``metric(...)`` = update + result.
Subclasses' ``update_state``/``result``/``reset_state`` run with autograd off (metrics never record).
"""
from __future__ import annotations

import functools
from typing import Any, Callable, Dict, List, Optional

import unidl
from unidl import ops

from ..backend import config
from ..backend.common import snake_case, unique_name
from ..backend.variable import Variable


def _no_grad(fn: Callable[..., Any]) -> Callable[..., Any]:
    if getattr(fn, "_metric_no_grad", False):
        return fn

    @functools.wraps(fn)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        with unidl.no_grad():
            return fn(*args, **kwargs)

    wrapped._metric_no_grad = True  # type: ignore[attr-defined]
    return wrapped


class Metric:
    """Base class of Keras metrics.

    Args:
        dtype: the dtype of the state and result (default ``keras.config.floatx()``).
        name: the metric name (default: the snake-cased class name, made unique).
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for meth in ("update_state", "result", "reset_state"):
            if meth in cls.__dict__:
                setattr(cls, meth, _no_grad(cls.__dict__[meth]))

    def __init__(self, dtype: Any = None, name: Optional[str] = None) -> None:
        object.__setattr__(self, "_variables", [])
        object.__setattr__(self, "_metrics", [])
        self.name = name or unique_name(snake_case(type(self).__name__))
        self._dtype = config.standardize_dtype(getattr(dtype, "compute_dtype", dtype) or config.floatx())

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, Metric) and value not in self.__dict__.get("_metrics", []):
            self.__dict__.setdefault("_metrics", []).append(value)
        object.__setattr__(self, name, value)

    # -- state ---------------------------------------------------------------------------------------
    @property
    def dtype(self) -> str:
        return self._dtype

    def add_variable(self, shape: Any = (), initializer: Any = "zeros", dtype: Any = None,
                     aggregation: str = "sum", name: Optional[str] = None) -> Variable:
        """A non-trainable state Variable of ``shape``, initialised by ``initializer`` (name, instance,
        callable ``(shape, dtype)``) and tracked in :attr:`variables`."""
        from .. import initializers

        init = initializers.get(initializer if initializer is not None else "zeros")
        shape = tuple(int(d) for d in (shape if isinstance(shape, (tuple, list)) else (shape,)))
        dt = config.standardize_dtype(dtype or self.dtype)
        var = Variable(init, shape=shape, dtype=dt, trainable=False, aggregation=aggregation,
                       name=name or "variable")
        var.path = f"{self.name}/{var.name}"
        self._variables.append(var)
        return var

    def add_weight(self, shape: Any = (), initializer: Any = None, dtype: Any = None,
                   name: Optional[str] = None) -> Variable:
        """Alias of :meth:`add_variable` (Keras-2 spelling)."""
        return self.add_variable(shape=shape, initializer=initializer, dtype=dtype, name=name)

    @property
    def variables(self) -> List[Variable]:
        """This metric's state Variables, then those of the metrics it holds."""
        out = list(self._variables)
        for m in self._metrics:
            out.extend(m.variables)
        return out

    # -- protocol ------------------------------------------------------------------------------------
    def update_state(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError(f"{type(self).__name__} must implement `update_state`")

    def result(self) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement `result`")

    def reset_state(self) -> None:
        """Set every state Variable back to zeros."""
        with unidl.no_grad():
            for v in self.variables:
                v.assign(ops.zeros_like(v._plain()))

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.update_state(*args, **kwargs)
        return self.result()

    # -- config --------------------------------------------------------------------------------------
    def get_config(self) -> Dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config: Dict[str, Any]) -> "Metric":
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}>"

    __str__ = __repr__
