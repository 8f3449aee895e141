"""``keras.Variable``: a unidl Tensor leaf that a layer or optimizer owns.

A Variable *is* a :class:`unidl.Tensor` (a subclass), so every core op, ``keras.ops`` function and
Python operator takes it directly and autograd writes its gradient to ``.grad``; ``assign`` swaps its
backend array in place, so references held by models and optimizers stay valid.
"""
from __future__ import annotations

import contextlib
import threading
from typing import Any, Callable, Iterator, Optional, Sequence

import numpy as np

import unidl
from unidl.dtypes import is_floating
from unidl.nn import layouts
from unidl.tensor import Tensor, _to_backend
from unidl.devices import default_device

from . import config
from .name_scope import current_path


class Variable(Tensor):
    """A named, assignable tensor.

    Args:
        initializer: an array-like initial value, or a callable ``initializer(shape, dtype)``
            (then ``shape`` is required).
        shape: the shape (only needed with a callable initializer).
        dtype: the dtype name; default: the initial value's float type, or ``floatx()``.
        trainable: whether the optimizer updates it (and autograd records it).
        name: the short name (``'kernel'``); ``path`` is the name-scope path at creation plus the name
            (``'sequential/dense/kernel'``, see ``backend.name_scope``).
    """

    __slots__ = ("name", "path", "_trainable", "regularizer", "constraint", "_initializer", "aggregation",
                 "synchronization", "overwrite_with_gradient", "_order")

    def __init__(self, initializer: Any, shape: Optional[Sequence[int]] = None, dtype: Any = None,
                 trainable: bool = True, autocast: bool = True, aggregation: str = "none",
                 synchronization: str = "auto", name: Optional[str] = None, **kwargs: Any) -> None:
        self.name = name or "variable"
        parent = current_path()
        self.path = f"{parent}/{self.name}" if parent else self.name
        self.regularizer = None
        self.constraint = None
        self.aggregation = aggregation
        self.synchronization = synchronization
        self.overwrite_with_gradient = False
        self._order = None  # memory order (unidl.nn.layouts), set by layers through _lay_out
        self._initializer = initializer
        if callable(initializer):
            if shape is None:
                raise ValueError(f"Variable '{self.name}': when `initializer` is a callable, `shape` must be "
                                 "given; received shape=None")
            dt = config.standardize_dtype(dtype)
            _charge(self.name, shape, dt)
            value = initializer(tuple(int(d) for d in shape), dtype=dt)
        else:
            value = initializer
            dt = None if dtype is None else config.standardize_dtype(dtype)
            if dt is None:
                probe = value.dtype if hasattr(value, "dtype") else np.asarray(value).dtype
                dt = config.floatx() if np.dtype(probe).kind == "f" and not hasattr(value, "dtype") else np.dtype(probe).name
        dev = default_device()
        data = _to_backend(value, dt, dev)
        if shape is not None and tuple(data.shape) != tuple(int(d) for d in shape):
            raise ValueError(f"Variable '{self.name}': initial value has shape {tuple(data.shape)}, "
                             f"expected {tuple(shape)}")
        self.data = _own(data, value)
        self.device = dev
        self.grad = None
        self.grad_req = "write"
        self._node = None
        self._trainable = bool(trainable)
        self.requires_grad = self._trainable and is_floating(self.data.dtype)

    # -- Keras API -----------------------------------------------------------------------------------
    @property
    def trainable(self) -> bool:
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        self._trainable = bool(value)
        self.requires_grad = self._trainable and is_floating(self.data.dtype)

    @property
    def value(self) -> Tensor:
        """The current value (this tensor itself: it is the value)."""
        return self

    def numpy(self) -> np.ndarray:
        return np.array(self.device.kind.to_host(self.data), copy=True, order="C")

    def assign(self, value: Any) -> "Variable":
        """Replace the value in place; the shape must match (Keras's rule)."""
        arr = _to_backend(value, self.data.dtype, self.device)
        if tuple(arr.shape) != tuple(self.data.shape):
            raise ValueError(f"The shape of the target variable and the shape of the target value in "
                             f"`variable.assign(value)` must match. variable.shape={self.shape}, "
                             f"Received: value.shape={tuple(arr.shape)}. Target variable: {self.path}")
        if self._order is not None:
            arr = layouts.relayout(arr, self._order)  # copies into the canonical memory order
        self.data = _own(arr, value)
        return self

    def _lay_out(self, kind: str) -> "Variable":
        """Keep this variable in the core's canonical memory order for ``kind`` (``unidl.nn.layouts``),
        shown in Keras's axis order (a permuted view: shape, values and the API stay Keras's); returns self."""
        return self._set_order(layouts.memory_order(kind, "io", self.ndim))

    def _set_order(self, order: Any) -> "Variable":
        """Keep this variable's memory in ``order`` (shown axes, outermost first; None = C order)."""
        self._order = order
        if order is not None:
            self.data = layouts.relayout(self.data, order)
        return self

    def assign_add(self, value: Any) -> "Variable":
        with unidl.no_grad():
            return self.assign(unidl.ops.add(self._plain(), self._operand(value)))

    def assign_sub(self, value: Any) -> "Variable":
        with unidl.no_grad():
            return self.assign(unidl.ops.subtract(self._plain(), self._operand(value)))

    def _operand(self, value: Any) -> Any:
        if isinstance(value, (Tensor, int, float)):
            return value
        return Tensor._from_any(value, self.device, self.data.dtype)

    def _plain(self) -> Tensor:
        return Tensor._from_any(self.data, self.device)

    def __repr__(self) -> str:
        return (f"<Variable path={self.path}, shape={self.shape}, dtype={self.dtype}, "
                f"value={np.array2string(self.numpy(), threshold=20)}>")

    def __reduce__(self):
        """Pickles as its value (a NumPy array on the host) and its settings, as Keras's Variables do."""
        return (_unpickle_variable, (self.numpy(), str(self.dtype), self.trainable, self.name, self.path,
                                     self.aggregation, self.synchronization))


def _unpickle_variable(value: np.ndarray, dtype: str, trainable: bool, name: str, path: str, aggregation: str,
                       synchronization: str) -> Variable:
    if not isinstance(value, np.ndarray) or (value.dtype.kind not in "biufc" and not is_floating(value.dtype)):
        raise TypeError(f"Variable '{name}': a pickled variable's value must be a numeric NumPy array, "
                        f"received {type(value).__name__}")
    v = Variable(value, dtype=dtype, trainable=trainable, name=name, aggregation=aggregation,
                 synchronization=synchronization)
    v.path = path
    return v


class _Budget(threading.local):
    """Bytes that variables created in this thread may still take (None: no limit), set while a model is
    rebuilt from a file (``allocation_budget``): a hostile config cannot make the loader allocate without
    bound."""

    left: Optional[int] = None
    source = ""


_BUDGET = _Budget()


def _charge(name: str, shape: Sequence[int], dtype: Any) -> None:
    if _BUDGET.left is None:
        return
    n = 1
    for d in shape:
        n *= max(int(d), 0)
    nbytes = n * np.dtype(dtype).itemsize
    if nbytes > _BUDGET.left:
        raise ValueError(f"Variable '{name}' of shape {tuple(shape)} would take {nbytes} bytes, more than "
                         f"{_BUDGET.source} can hold ({_BUDGET.left} bytes left of the loader's budget)")
    _BUDGET.left -= nbytes


@contextlib.contextmanager
def allocation_budget(nbytes: int, source: str) -> Iterator[None]:
    """While a model is rebuilt from ``source``: its variables may take ``nbytes`` in all, else ValueError."""
    saved = (_BUDGET.left, _BUDGET.source)
    _BUDGET.left, _BUDGET.source = int(nbytes), source
    try:
        yield
    finally:
        _BUDGET.left, _BUDGET.source = saved


def _own(arr: Any, value: Any) -> Any:
    """``arr`` (converted from ``value``) as a variable's own storage: a copy when it still shares memory with
    the caller's array or tensor, as Keras copies (training must never write into a caller's NumPy array)."""
    src = value.data if isinstance(value, Tensor) else value
    if arr is src:
        return arr.copy(order="K")
    if type(src) is type(arr) and getattr(arr, "base", None) is not None:
        xp = np if isinstance(arr, np.ndarray) else None
        if xp is not None and np.may_share_memory(arr, src):
            return arr.copy(order="K")
    return arr


def is_variable(x: Any) -> bool:
    return isinstance(x, Variable)
