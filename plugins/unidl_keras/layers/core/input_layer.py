"""``keras.Input`` and ``keras.layers.InputLayer``: the entry point of a functional model."""
from __future__ import annotations

from typing import Any, Optional, Sequence, Tuple

from ...backend import config
from ...backend.keras_tensor import KerasTensor
from ..layer import Layer, Node


class InputLayer(Layer):
    """Holds the symbolic input of a model.

    Args:
        shape: the shape without the batch dim (ints or None).
        batch_size: a fixed batch size, or None.
        dtype: the input dtype (default ``floatx()``).
        input_tensor: an existing KerasTensor to use instead of creating one.
    """

    def __init__(self, shape: Optional[Sequence[Optional[int]]] = None, batch_size: Optional[int] = None,
                 dtype: Any = None, sparse: bool = False, batch_shape: Optional[Sequence[Optional[int]]] = None,
                 input_tensor: Optional[KerasTensor] = None, optional: bool = False, name: Optional[str] = None,
                 **kwargs: Any) -> None:
        if "input_shape" in kwargs:  # Keras 2 spelling
            shape = kwargs.pop("input_shape")
        if "batch_input_shape" in kwargs:
            batch_shape = kwargs.pop("batch_input_shape")
        super().__init__(name=name, dtype=dtype, **kwargs)
        if shape is not None and batch_shape is not None:
            raise ValueError("You cannot pass both `shape` and `batch_shape` at the same time.")
        if batch_shape is None:
            if shape is None and input_tensor is None:
                raise ValueError("You must pass a `shape` argument.")
            if shape is not None:
                if isinstance(shape, int):
                    shape = (shape,)
                batch_shape = (batch_size,) + tuple(shape)
            else:
                batch_shape = input_tensor.shape
        self._batch_shape = _standardize_shape(batch_shape)
        self.sparse = sparse
        self.optional = optional
        self.built = True
        if input_tensor is None:
            input_tensor = KerasTensor(self._batch_shape, dtype=self.dtype, sparse=sparse, name=self.name)
        self._input_tensor = input_tensor
        node = Node(self, (), {}, input_tensor)
        self._inbound_nodes.append(node)
        input_tensor._keras_history = (self, 0, 0)

    @property
    def batch_shape(self):
        return self._batch_shape

    def call(self, *args: Any, **kwargs: Any) -> Any:
        return args[0] if args else None

    @property
    def output(self) -> KerasTensor:
        return self._input_tensor

    def get_config(self) -> dict:
        return {"batch_shape": list(self._batch_shape), "dtype": self.dtype, "sparse": self.sparse,
                "name": self.name}

    @classmethod
    def from_config(cls, config: dict) -> "InputLayer":
        config = dict(config)
        if isinstance(config.get("dtype"), dict):
            config["dtype"] = config["dtype"].get("config", {}).get("name")
        config.pop("ragged", None)
        return cls(**config)


def Input(shape: Optional[Sequence[Optional[int]]] = None, batch_size: Optional[int] = None, dtype: Any = None,
          sparse: Optional[bool] = None, batch_shape: Optional[Sequence[Optional[int]]] = None,
          name: Optional[str] = None, tensor: Optional[KerasTensor] = None, optional: bool = False,
          **kwargs: Any) -> KerasTensor:
    """A symbolic input: ``keras.Input(shape=(784,))`` -> KerasTensor of shape (None, 784)."""
    layer = InputLayer(shape=shape, batch_size=batch_size, dtype=dtype, sparse=bool(sparse), batch_shape=batch_shape,
                       name=name, input_tensor=tensor, optional=optional, **kwargs)
    return layer.output


def _standardize_shape(shape: Any) -> Tuple[Optional[int], ...]:
    """A shape of None (unknown) and non-negative ints, or Keras's ValueError."""
    try:
        dims = tuple(shape)
    except TypeError:
        raise ValueError(f"Cannot convert '{shape}' to a shape.") from None
    out = []
    for d in dims:
        if d is None:
            out.append(None)
            continue
        if isinstance(d, bool) or not (isinstance(d, int) or hasattr(d, "__index__")):
            raise ValueError(f"Cannot convert '{shape}' to a shape. Found invalid entry '{d}' of type '{type(d)}'. ")
        if int(d) < 0:
            raise ValueError(f"Cannot convert '{shape}' to a shape. Negative dimensions are not allowed.")
        out.append(int(d))
    return tuple(out)
