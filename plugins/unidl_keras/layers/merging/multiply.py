"""``keras.layers.Multiply`` / ``multiply``."""
from __future__ import annotations

from typing import Any, List

from unidl import ops

from .base_merge import Merge, _functional, expand_mask


class Multiply(Merge):
    """Elementwise product of a list of tensors.

    With masks, masked entries count as 1, and positions masked in every input give 0 (Keras 3).

    Input shape: a list of tensors of compatible shapes. Output shape: their broadcast shape.
    """

    def _merge(self, inputs: List[Any], masks: List[Any]) -> Any:
        if all(m is None for m in masks):
            out = inputs[0]
            for x in inputs[1:]:
                out = ops.multiply(out, x)
            return out
        out, any_mask = None, None
        for x, m in zip(inputs, masks):
            if m is not None:
                m = expand_mask(m, x)
                x = ops.where(m, x, 1.0)
            else:
                m = ops.ones_like(x, dtype="bool")
            out = x if out is None else ops.multiply(out, x)
            any_mask = m if any_mask is None else ops.logical_or(any_mask, m)
        return ops.multiply(out, ops.astype(any_mask, out.dtype))


def multiply(inputs: Any, **kwargs: Any) -> Any:
    """Functional form of :class:`Multiply`: ``multiply([x1, x2, ...])``."""
    return _functional(Multiply, inputs, **kwargs)
