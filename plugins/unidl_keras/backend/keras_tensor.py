"""``KerasTensor``: a symbolic tensor (shape with None for unknown dims, dtype) used to build
functional models. It records which layer call produced it (``_keras_history``)."""
from __future__ import annotations

from typing import Any, Optional, Sequence, Tuple

import numpy as np

from . import config
from .common import unique_name


class KerasTensor:
    """A placeholder: ``shape`` (ints and None), ``dtype`` name, optional ``sparse``/``name``.

    ``_keras_history`` is ``(layer, node_index, tensor_index)`` once a layer produced it.
    """

    def __init__(self, shape: Sequence[Optional[int]], dtype: Any = "float32", sparse: bool = False,
                 ragged: bool = False, record_history: bool = True, name: Optional[str] = None) -> None:
        if shape is None or not hasattr(shape, "__iter__"):  # Keras's standardize_shape errors
            raise ValueError("Undefined shapes are not supported." if shape is None else
                             f"Cannot convert '{shape}' to a shape.")
        self.shape: Tuple[Optional[int], ...] = tuple(None if d is None else int(d) for d in shape)
        self.dtype = config.standardize_dtype(dtype)
        self.sparse = bool(sparse)
        if ragged:
            raise ValueError("KerasTensor: ragged=True is not supported by unidl (no ragged tensors; "
                             "keras.backend.SUPPORTS_RAGGED_TENSORS is False)")
        self.ragged = False
        self.name = name or unique_name("keras_tensor")
        self._keras_history = None
        self._keras_mask_spec = None  # a KerasTensor for the mask, when the producing layer masks

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def __repr__(self) -> str:
        return f"<KerasTensor shape={self.shape}, dtype={self.dtype}, sparse={self.sparse}, name={self.name}>"

    def __array__(self, *args: Any) -> np.ndarray:
        raise ValueError("A KerasTensor is symbolic: it's a placeholder for a shape and a dtype. It doesn't have "
                         "any actual numerical value. You cannot convert it to a NumPy array.")

    def __bool__(self) -> bool:
        raise TypeError("A symbolic KerasTensor cannot be used as a Python bool.")

    # Python operators on symbolic tensors build the matching op as a layer call (keras.ops on KerasTensors).
    def _op(self, name: str, *args: Any) -> "KerasTensor":
        from .. import ops

        return getattr(ops, name)(*args)

    def __add__(self, o): return self._op("add", self, o)
    def __radd__(self, o): return self._op("add", o, self)
    def __sub__(self, o): return self._op("subtract", self, o)
    def __rsub__(self, o): return self._op("subtract", o, self)
    def __mul__(self, o): return self._op("multiply", self, o)
    def __rmul__(self, o): return self._op("multiply", o, self)
    def __truediv__(self, o): return self._op("divide", self, o)
    def __rtruediv__(self, o): return self._op("divide", o, self)
    def __matmul__(self, o): return self._op("matmul", self, o)
    def __rmatmul__(self, o): return self._op("matmul", o, self)
    def __pow__(self, o): return self._op("power", self, o)
    def __neg__(self): return self._op("negative", self)
    def __abs__(self): return self._op("abs", self)
    def __rpow__(self, o): return self._op("power", o, self)
    def __floordiv__(self, o): return self._op("floor_divide", self, o)
    def __rfloordiv__(self, o): return self._op("floor_divide", o, self)
    def __mod__(self, o): return self._op("mod", self, o)
    def __rmod__(self, o): return self._op("mod", o, self)
    def __lt__(self, o): return self._op("less", self, o)
    def __le__(self, o): return self._op("less_equal", self, o)
    def __gt__(self, o): return self._op("greater", self, o)
    def __ge__(self, o): return self._op("greater_equal", self, o)
    # as Keras: & | ^ ~ are the logical ops; == stays identity (so KerasTensors hash and compare as objects)
    def __and__(self, o): return self._op("logical_and", self, o)
    def __rand__(self, o): return self._op("logical_and", o, self)
    def __or__(self, o): return self._op("logical_or", self, o)
    def __ror__(self, o): return self._op("logical_or", o, self)
    def __xor__(self, o): return self._op("logical_xor", self, o)
    def __rxor__(self, o): return self._op("logical_xor", o, self)
    def __invert__(self): return self._op("logical_not", self)
    def __getitem__(self, key): return self._op("_getitem", self, key)
    def __hash__(self) -> int: return id(self)


def is_keras_tensor(x: Any) -> bool:
    return isinstance(x, KerasTensor)
