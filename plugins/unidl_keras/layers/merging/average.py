"""``keras.layers.Average`` / ``average``."""
from __future__ import annotations

from typing import Any, List

from unidl import ops

from .base_merge import Merge, _functional


class Average(Merge):
    """Elementwise mean of a list of tensors.

    Input shape: a list of tensors of compatible shapes. Output shape: their broadcast shape.
    """

    def _merge(self, inputs: List[Any], masks: List[Any]) -> Any:
        out = inputs[0]
        for x in inputs[1:]:
            out = ops.add(out, x)
        return ops.divide(out, float(len(inputs)))


def average(inputs: Any, **kwargs: Any) -> Any:
    """Functional form of :class:`Average`: ``average([x1, x2, ...])``."""
    return _functional(Average, inputs, **kwargs)
