"""``keras.layers.Add`` / ``add``."""
from __future__ import annotations

from typing import Any, List

from unidl import ops

from .base_merge import Merge, _functional, expand_mask  # noqa: F401 - expand_mask re-exported (old import path)


class Add(Merge):
    """Elementwise sum of a list of tensors (broadcast as Keras's merge rule).

    Input shape: a list of tensors of compatible shapes. Output shape: their broadcast shape.
    """

    def _merge(self, inputs: List[Any], masks: List[Any]) -> Any:
        out = inputs[0]
        for x in inputs[1:]:
            out = ops.add(out, x)
        return out


def add(inputs: Any, **kwargs: Any) -> Any:
    """Functional form of :class:`Add`: ``add([x1, x2, ...])``."""
    return _functional(Add, inputs, **kwargs)
