"""``keras.layers.Concatenate`` / ``concatenate``."""
from __future__ import annotations

from typing import Any, Dict, List

from unidl import ops

from ...backend.common import convert_to_tensor
from ..layer import Layer
from .base_merge import expand_mask


class Concatenate(Layer):
    """Concatenates a list of tensors along ``axis``; the other dims must match.

    Masks: when any input has a mask, missing masks count as all True, each mask is broadcast to
    its input, the masks are concatenated along ``axis`` and reduced with ``any`` over the last
    axis (Keras 3's rule).

    Args:
        axis: the concatenation axis (default -1).

    Input shape: a list of tensors of equal rank. Output shape: the same dims, summed along ``axis``.
    """

    def __init__(self, axis: int = -1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.axis = axis
        self.supports_masking = True

    def _shapes(self, input_shape: Any) -> List[tuple]:
        if (not isinstance(input_shape, (list, tuple)) or not input_shape
                or not isinstance(input_shape[0], (list, tuple))):
            raise ValueError("A `Concatenate` layer should be called on a list of at least 1 input. "
                             f"Received: input_shape={input_shape}")
        return [tuple(s) for s in input_shape]

    def compute_output_shape(self, input_shape: Any) -> Any:
        shapes = self._shapes(input_shape)
        rank = len(shapes[0])
        err = ValueError("A `Concatenate` layer requires inputs with matching shapes except for the concatenation "
                         f"axis. Received: input_shape={shapes}")
        if any(len(s) != rank for s in shapes):
            raise err
        if not -rank <= self.axis < rank:
            raise ValueError(f"Concatenate layer '{self.name}': axis {self.axis} is out of range for inputs of "
                             f"rank {rank}. Received: input_shape={shapes}")
        ax = self.axis % rank
        out = list(shapes[0])
        for s in shapes[1:]:
            for i, d in enumerate(s):
                if i == ax:
                    out[i] = None if out[i] is None or d is None else out[i] + d
                elif out[i] is None:
                    out[i] = d
                elif d is not None and d != out[i]:
                    raise err
        return tuple(out)

    def call(self, inputs: Any) -> Any:
        if not isinstance(inputs, (list, tuple)):
            raise ValueError("A `Concatenate` layer should be called on a list of at least 1 input. "
                             f"Received: input_shape={tuple(getattr(inputs, 'shape', ()))}")
        inputs = [convert_to_tensor(x) for x in inputs]
        self.compute_output_shape([tuple(x.shape) for x in inputs])
        return ops.concatenate(inputs, axis=self.axis)

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> Any:
        if previous_mask is None:
            return None
        if not isinstance(previous_mask, (list, tuple)) or len(previous_mask) != len(inputs):
            raise ValueError(f"Layer '{self.name}': `mask` should be a list of one mask (or None) per input. "
                             f"Received: mask={previous_mask}")
        if all(m is None for m in previous_mask):
            return None
        masks = []
        for x, m in zip(inputs, previous_mask):
            if m is None:
                masks.append(ops.ones_like(x, dtype="bool"))
            elif m.ndim < x.ndim:
                masks.append(ops.broadcast_to(expand_mask(m, x), x.shape))
            else:
                masks.append(m)
        return ops.any(ops.concatenate(masks, axis=self.axis), axis=-1)

    def get_config(self) -> Dict[str, Any]:
        cfg = super().get_config()
        cfg["axis"] = self.axis
        return cfg


def concatenate(inputs: Any, axis: int = -1, **kwargs: Any) -> Any:
    """Functional form of :class:`Concatenate`: ``concatenate([x1, x2, ...], axis=-1)``."""
    return Concatenate(axis=axis, **kwargs)(inputs)
