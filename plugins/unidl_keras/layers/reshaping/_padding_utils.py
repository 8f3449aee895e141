"""Argument helpers the reshaping layers share (padding/cropping specs, rank checks, spatial axes) (private)."""
from __future__ import annotations

from typing import Any, Sequence, Tuple

from ..layer import Layer


def standardize_tuple(value: Any, n: int, name: str, allow_zero: bool = False) -> Tuple[int, ...]:
    """``value`` (an int or ``n`` ints) as a tuple of ``n`` ints, each >= 0 (``allow_zero``) or > 0."""
    msg = f"The `{name}` argument must be a tuple of {n} integers. Received {name}={value}"
    if isinstance(value, int) and not isinstance(value, bool):
        out: Tuple[int, ...] = (value,) * n
    else:
        try:
            out = tuple(value)
        except TypeError:
            raise ValueError(msg) from None
        if len(out) != n or not all(isinstance(v, int) and not isinstance(v, bool) for v in out):
            raise ValueError(msg)
    bad = {v for v in out if v < 0 or (v == 0 and not allow_zero)}
    if bad:
        req = "`value >= 0`" if allow_zero else "`value > 0`"
        raise ValueError(f"{msg}, including values {bad} that do not satisfy {req}")
    return out


def pairs(value: Any, n: int, name: str) -> Tuple[Tuple[int, int], ...]:
    """A padding/cropping spec for ``n`` spatial dims: an int, ``n`` ints (symmetric), or ``n`` pairs."""
    if isinstance(value, int) and not isinstance(value, bool):
        return tuple(standardize_tuple(value, 2, name, allow_zero=True) for _ in range(n))
    if not isinstance(value, (list, tuple)):
        raise ValueError(f"`{name}` should be either an int, a tuple of {n} ints or a tuple of {n} tuples of 2 "
                         f"ints. Received: {name}={value}.")
    if len(value) != n:
        words = {2: "two", 3: "three"}
        raise ValueError(f"`{name}` should have {words.get(n, n)} elements. Received: {name}={value}.")
    return tuple(standardize_tuple(v, 2, f"{i}th entry of {name}", allow_zero=True) for i, v in enumerate(value))


def check_ndim(layer: Layer, shape: Sequence[Any], ndim: int) -> None:
    """Keras's InputSpec(ndim=...) error, naming the layer and the shape received."""
    if len(shape) != ndim:
        raise ValueError(f"Input 0 of layer '{layer.name}' is incompatible with the layer: expected ndim={ndim}, "
                         f"found ndim={len(shape)}. Full shape received: {tuple(shape)}")


def spatial_axes(data_format: str, n: int) -> Tuple[int, ...]:
    return tuple(range(1, n + 1)) if data_format == "channels_last" else tuple(range(2, n + 2))
