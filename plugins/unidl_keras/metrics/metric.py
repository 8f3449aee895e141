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
from ..backend.common import convert_to_tensor, snake_case, unique_name
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
        # as Keras's tracker: Variables and Metrics assigned as attributes (also inside lists, tuples and
        # dicts, nested) join this metric's state
        if name not in ("_variables", "_metrics"):
            self._track(value)
        object.__setattr__(self, name, value)

    def _track(self, value: Any) -> None:
        if isinstance(value, Metric):
            metrics = self.__dict__.setdefault("_metrics", [])
            if value is not self and all(m is not value for m in metrics):
                metrics.append(value)
        elif isinstance(value, Variable):
            own = self.__dict__.setdefault("_variables", [])
            if all(v is not value for v in own):
                own.append(value)
        elif isinstance(value, dict):
            for v in value.values():
                self._track(v)
        elif isinstance(value, (list, tuple)):
            for v in value:
                self._track(v)

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

    # -- stateless forms (the state passed in and returned; the Variables are left as they were) -------------
    def _check_state_list(self, metric_variables: Any) -> List[Variable]:
        own = self.variables
        if len(metric_variables) != len(own):
            raise ValueError("Argument `metric_variables` must be a list of tensors corresponding 1:1 to "
                             f"{type(self).__name__}().variables. Received list with length {len(metric_variables)}, "
                             f"but expected {len(own)} variables.")
        return own

    def _stateless(self, values: Optional[List[Any]], fn: Callable[[], Any]) -> Any:
        own = self.variables
        saved = [v.numpy().copy() for v in own]
        try:
            if values is not None:
                for v, value in zip(own, values):
                    if value is not v:
                        v.assign(value)
            out = fn()
            new = [convert_to_tensor(v.numpy().copy()) for v in own]
        finally:
            for v, value in zip(own, saved):
                v.assign(value)
        return out, new

    def stateless_update_state(self, metric_variables: Any, *args: Any, **kwargs: Any) -> List[Any]:
        """:meth:`update_state` on the given state values; returns the new values (one per :attr:`variables`)."""
        self._check_state_list(metric_variables)
        return self._stateless(list(metric_variables), lambda: self.update_state(*args, **kwargs))[1]

    def stateless_result(self, metric_variables: Any) -> Any:
        """:meth:`result` computed from the given state values."""
        self._check_state_list(metric_variables)
        return self._stateless(list(metric_variables), self.result)[0]

    def stateless_reset_state(self) -> List[Any]:
        """The state values :meth:`reset_state` would leave (the Variables keep theirs)."""
        return self._stateless(None, self.reset_state)[1]

    # -- config --------------------------------------------------------------------------------------
    def get_config(self) -> Dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype}

    @classmethod
    def from_config(cls, config: Dict[str, Any]) -> "Metric":
        return cls(**config)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}>"

    __str__ = __repr__
