"""``keras.layers.ZeroPadding1D`` (and the argument helpers the other reshaping layers share)."""
from __future__ import annotations

from typing import Any, Dict, Sequence, Tuple

from unidl import ops

from ...backend import config
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


class _ZeroPadding(Layer):
    """Zero padding of ``n`` spatial dims (the shared implementation of ZeroPadding1D/2D/3D)."""

    _n = 1

    def __init__(self, padding: Tuple[Tuple[int, int], ...], data_format: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.padding = padding
        self.data_format = config.standardize_data_format(data_format)
        self.supports_masking = False
        self.built = True

    def _width(self, ndim: int) -> Tuple[Tuple[int, int], ...]:
        axes = spatial_axes(self.data_format, self._n)
        width = [(0, 0)] * ndim
        for ax, p in zip(axes, self.padding):
            width[ax] = tuple(p)
        return tuple(width)

    def call(self, inputs: Any) -> Any:
        check_ndim(self, inputs.shape, self._n + 2)
        return ops.pad(inputs, self._width(inputs.ndim))

    def compute_output_shape(self, input_shape: Any) -> Any:
        check_ndim(self, input_shape, self._n + 2)
        out = list(input_shape)
        for i, (a, b) in enumerate(self._width(len(out))):
            if out[i] is not None:
                out[i] += a + b
        return tuple(out)

    def get_config(self) -> Dict[str, Any]:
        cfg = super().get_config()
        cfg.update({"padding": self.padding if self._n > 1 else self.padding[0], "data_format": self.data_format})
        return cfg


class ZeroPadding1D(_ZeroPadding):
    """Pads the steps axis of a sequence with zeros.

    Args:
        padding: an int (both sides) or a tuple ``(left, right)`` of non-negative ints.
        data_format: ``'channels_last'`` (batch, steps, features), default, or ``'channels_first'``
            (batch, features, steps).

    Input shape: 3D. Output shape: 3D with ``steps + left + right`` steps.
    """

    _n = 1

    def __init__(self, padding: Any = 1, data_format: Any = None, **kwargs: Any) -> None:
        super().__init__((standardize_tuple(padding, 2, "padding", allow_zero=True),), data_format, **kwargs)
