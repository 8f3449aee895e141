"""``keras.layers.Reshape``."""
from __future__ import annotations

import math
from typing import Any, Dict, Sequence, Tuple

from unidl import ops

from ..layer import Layer


class Reshape(Layer):
    """Reshapes every dim but the batch dim to ``target_shape``.

    Args:
        target_shape: the new shape without the batch dim; one entry may be -1 (inferred).

    Input shape: (batch, ...). Output shape: (batch,) + target_shape.
    """

    def __init__(self, target_shape: Sequence[int], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(target_shape, int) or not isinstance(target_shape, (list, tuple)):
            raise TypeError(f"Reshape layer '{self.name}': `target_shape` must be a tuple of ints. "
                            f"Received: target_shape={target_shape!r}")
        target_shape = tuple(target_shape)
        if any(isinstance(d, int) and not isinstance(d, bool) and d < -1 for d in target_shape):
            raise ValueError("Each dimension in `target_shape` must be a non-negative integer, or `-1` for a single "
                             f"unknown dimension. Received: target_shape={target_shape}.")
        if sum(1 for d in target_shape if d == -1) > 1:
            raise ValueError("There must be at most one unknown dimension (-1) in `target_shape`. "
                             f"Received: target_shape={target_shape}.")
        if any(not isinstance(d, int) or isinstance(d, bool) for d in target_shape):
            raise ValueError(f"Reshape layer '{self.name}': `target_shape` entries must be ints (-1 for one unknown "
                             f"dimension). Received: target_shape={target_shape}")
        self.target_shape = target_shape
        self.built = True

    def _resolve(self, in_shape: Sequence[Any]) -> Tuple[Any, ...]:
        known = [d for d in self.target_shape if d != -1]
        if any(d is None for d in in_shape):
            if -1 not in self.target_shape:
                return self.target_shape
            return tuple(None if d == -1 else d for d in self.target_shape)
        total, want = math.prod(in_shape), math.prod(known)
        if -1 in self.target_shape:
            if want == 0 or total % want:
                raise ValueError("The total size of the tensor must be unchanged, however, the input size cannot by "
                                 "divided by the specified dimensions in target_shape. Received: "
                                 f"input_shape={tuple(in_shape)}, target_shape={self.target_shape}")
            return tuple(total // want if d == -1 else d for d in self.target_shape)
        if total != want:
            raise ValueError("The total size of the tensor must be unchanged. Received: "
                             f"input_shape={tuple(in_shape)}, target_shape={self.target_shape}")
        return self.target_shape

    def call(self, inputs: Any) -> Any:
        return ops.reshape(inputs, (inputs.shape[0],) + self._resolve(inputs.shape[1:]))

    def compute_output_shape(self, input_shape: Any) -> Any:
        return (input_shape[0],) + self._resolve(tuple(input_shape[1:]))

    def get_config(self) -> Dict[str, Any]:
        cfg = super().get_config()
        cfg["target_shape"] = self.target_shape
        return cfg
