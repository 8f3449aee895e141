"""``keras.layers.Subtract`` / ``subtract``."""
from __future__ import annotations

from typing import Any, List

from unidl import ops

from .base_merge import Merge, _functional


class Subtract(Merge):
    """``inputs[0] - inputs[1]`` (exactly two inputs, broadcast as Keras's merge rule).

    Input shape: a list of 2 tensors. Output shape: their broadcast shape.
    """

    _min_inputs = 2
    _max_inputs = 2

    def _merge(self, inputs: List[Any], masks: List[Any]) -> Any:
        return ops.subtract(inputs[0], inputs[1])


def subtract(inputs: Any, **kwargs: Any) -> Any:
    """Functional form of :class:`Subtract`: ``subtract([x1, x2])``."""
    return _functional(Subtract, inputs, **kwargs)
