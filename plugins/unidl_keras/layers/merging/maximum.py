"""``keras.layers.Maximum`` / ``maximum`` (and the masked running reduction Minimum shares)."""
from __future__ import annotations

from typing import Any, Callable, List

from unidl import ops

from .base_merge import Merge, _functional, expand_mask


def masked_reduce(fn: Callable[[Any, Any], Any], inputs: List[Any], masks: List[Any]) -> Any:
    """Fold ``fn`` over the inputs; masked entries are skipped (an entry masked in every input keeps
    the first input's value), as Keras 3's Maximum/Minimum."""
    out = inputs[0]
    if all(m is None for m in masks):
        for x in inputs[1:]:
            out = fn(out, x)
        return out
    seen = None if masks[0] is None else expand_mask(masks[0], out)
    for x, m in zip(inputs[1:], masks[1:]):
        both = fn(out, x)
        if m is None:
            out = both if seen is None else ops.where(seen, both, x)
            seen = None
            continue
        m = expand_mask(m, x)
        if seen is None:
            out = ops.where(m, both, out)
        else:
            out = ops.where(m, ops.where(seen, both, x), out)
            seen = ops.logical_or(seen, m)
    return out


class Maximum(Merge):
    """Elementwise maximum of a list of tensors (masked entries are ignored).

    Input shape: a list of tensors of compatible shapes. Output shape: their broadcast shape.
    """

    def _merge(self, inputs: List[Any], masks: List[Any]) -> Any:
        return masked_reduce(ops.maximum, inputs, masks)


def maximum(inputs: Any, **kwargs: Any) -> Any:
    """Functional form of :class:`Maximum`: ``maximum([x1, x2, ...])``."""
    return _functional(Maximum, inputs, **kwargs)
