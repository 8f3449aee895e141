"""Keras masks ride along with tensors (Keras 3 sets ``tensor._keras_mask``). unidl Tensors have
fixed slots, so the mask of a tensor is kept here, keyed by identity and dropped with the tensor."""
from __future__ import annotations

import weakref
from typing import Any, Dict, Tuple

_MASKS: Dict[int, Tuple[Any, Any]] = {}


def _drop(key: int):
    def cb(_ref):
        _MASKS.pop(key, None)
    return cb


def set_mask(x: Any, mask: Any) -> None:
    """Attach ``mask`` (a bool Tensor or None) to tensor ``x``."""
    if x is None or not hasattr(x, "__weakref__"):
        return
    key = id(x)
    if mask is None:
        _MASKS.pop(key, None)
        return
    _MASKS[key] = (weakref.ref(x, _drop(key)), mask)


def get_mask(x: Any) -> Any:
    """The mask attached to ``x``, or None (also for lists: a list of masks when any is set)."""
    if isinstance(x, (list, tuple)):
        ms = [get_mask(v) for v in x]
        return ms if any(m is not None for m in ms) else None
    e = _MASKS.get(id(x))
    if e is None or e[0]() is not x:
        return None
    return e[1]
