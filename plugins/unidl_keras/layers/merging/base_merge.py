"""The base of Keras's elementwise merging layers (``Merge``) and their shared helpers (private)."""
from __future__ import annotations

from typing import Any, List, Optional, Sequence

from unidl import ops

from ...backend.common import convert_to_tensor
from ..layer import Layer


def _shape_list(input_shape: Any) -> List[tuple]:
    if not isinstance(input_shape, (list, tuple)) or not input_shape or not isinstance(input_shape[0], (list, tuple)):
        raise ValueError("A merge layer should be called on a list of inputs. "
                         f"Received: input_shape={input_shape} (not a list of shapes)")
    return [tuple(s) for s in input_shape]


def _broadcast_shapes(shape1: tuple, shape2: tuple) -> tuple:
    """Right-aligned broadcast of two shapes without their batch dim (None = unknown)."""
    if len(shape1) < len(shape2):
        shape1, shape2 = shape2, shape1
    out = list(shape1[:len(shape1) - len(shape2)])
    for i, j in zip(shape1[len(shape1) - len(shape2):], shape2):
        if i is None or j is None:
            out.append(None)
        elif i == 1:
            out.append(j)
        elif j == 1 or i == j:
            out.append(i)
        else:
            raise ValueError(f"Inputs have incompatible shapes. Received shapes {shape1} and {shape2}")
    return tuple(out)


def expand_mask(mask: Any, x: Any) -> Any:
    """``mask`` with trailing unit dims added up to ``x``'s rank (so it broadcasts against ``x``)."""
    while mask.ndim < x.ndim:
        mask = ops.expand_dims(mask, -1)
    return mask


class Merge(Layer):
    """Base of the elementwise merging layers: a list of tensors of broadcast-compatible shapes
    (after the batch dim; lower-rank inputs get unit dims inserted after the batch dim) -> one tensor.
    The output mask is the logical OR of the input masks (missing masks count as all True)."""

    _min_inputs = 1
    _max_inputs: Optional[int] = None

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.supports_masking = True

    def _check_count(self, shapes: Sequence[tuple]) -> None:
        n = len(shapes)
        if self._max_inputs is not None and not self._min_inputs <= n <= self._max_inputs:
            raise ValueError(f"A `{type(self).__name__}` layer should be called on exactly {self._max_inputs} "
                             f"inputs. Received: input_shape={list(shapes)}")

    def compute_output_shape(self, input_shape: Any) -> Any:
        shapes = _shape_list(input_shape)
        self._check_count(shapes)
        batches = {s[0] for s in shapes if s} - {None}
        if len(batches) > 1:
            raise ValueError(f"Cannot merge tensors with different batch sizes. Received tensors with shapes {shapes}")
        out = shapes[0][1:] if shapes[0] else ()
        for s in shapes[1:]:
            out = _broadcast_shapes(out, s[1:] if s else ())
        batch = list(batches)[0] if batches else None
        return (batch,) + tuple(out)

    def _merge(self, inputs: List[Any], masks: List[Any]) -> Any:
        raise NotImplementedError

    def call(self, inputs: Any, mask: Any = None) -> Any:
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(f"A merge layer should be called on a list of inputs. Received: input_shape="
                             f"{tuple(getattr(inputs, 'shape', ()))} (not a list of shapes)")
        inputs = [convert_to_tensor(x) for x in inputs]
        self.compute_output_shape([tuple(x.shape) for x in inputs])
        rank = max(x.ndim for x in inputs)
        inputs = [ops.reshape(x, x.shape[:1] + (1,) * (rank - x.ndim) + x.shape[1:]) if x.ndim < rank else x
                  for x in inputs]
        masks = list(mask) if isinstance(mask, (list, tuple)) else [None] * len(inputs)
        return self._merge(inputs, masks)

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> Any:
        if previous_mask is None:
            return None
        if not isinstance(previous_mask, (list, tuple)):
            raise ValueError(f"Layer '{self.name}': `mask` should be a list. Received: mask={previous_mask}")
        if not isinstance(inputs, (list, tuple)) or len(previous_mask) != len(inputs):
            raise ValueError(f"Layer '{self.name}': `mask` should be a list of the same length as `inputs`. "
                             f"Received: {len(previous_mask)} masks")
        present = [m for m in previous_mask if m is not None]
        if not present:
            return None
        return ops.any(ops.stack(present, axis=0), axis=0)


def _functional(cls: type, inputs: Any, **kwargs: Any) -> Any:
    return cls(**kwargs)(inputs)
