"""``keras.layers.Minimum`` / ``minimum``."""
from __future__ import annotations

from typing import Any, List

from unidl import ops

from .base_merge import _functional, Merge
from .maximum import masked_reduce


class Minimum(Merge):
    """Elementwise minimum of a list of tensors (masked entries are ignored).

    Input shape: a list of tensors of compatible shapes. Output shape: their broadcast shape.
    """

    def _merge(self, inputs: List[Any], masks: List[Any]) -> Any:
        return masked_reduce(ops.minimum, inputs, masks)


def minimum(inputs: Any, **kwargs: Any) -> Any:
    """Functional form of :class:`Minimum`: ``minimum([x1, x2, ...])``."""
    return _functional(Minimum, inputs, **kwargs)
