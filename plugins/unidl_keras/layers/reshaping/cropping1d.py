"""``keras.layers.Cropping1D`` (and the cropping implementation Cropping2D/3D share)."""
from __future__ import annotations

from typing import Any, Dict, Sequence, Tuple

from unidl import ops

from ...backend import config
from ..layer import Layer
from ._padding_utils import check_ndim, spatial_axes, standardize_tuple


class _Cropping(Layer):
    """Crops ``n`` spatial dims (the shared implementation of Cropping1D/2D/3D)."""

    _n = 1

    def __init__(self, cropping: Tuple[Tuple[int, int], ...], data_format: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.cropping = cropping
        self.data_format = config.standardize_data_format(data_format)

    def _check(self, shape: Sequence[Any]) -> None:
        check_ndim(self, shape, self._n + 2)
        for ax, (a, b) in zip(spatial_axes(self.data_format, self._n), self.cropping):
            if shape[ax] is not None and shape[ax] - a - b <= 0:
                if self._n == 1:
                    raise ValueError(f"`cropping` parameter of `Cropping1D` layer must be smaller than the input "
                                     f"length. Received: input_shape={tuple(shape)}, cropping={self.cropping[0]}")
                raise ValueError("Values in `cropping` argument should be smaller than the corresponding spatial "
                                 f"dimension of the input. Received: input_shape={tuple(shape)}, "
                                 f"cropping={self.cropping}")

    def call(self, inputs: Any) -> Any:
        self._check(inputs.shape)
        key = [slice(None)] * inputs.ndim
        for ax, (a, b) in zip(spatial_axes(self.data_format, self._n), self.cropping):
            key[ax] = slice(a, inputs.shape[ax] - b)
        return ops.getitem(inputs, tuple(key))

    def compute_output_shape(self, input_shape: Any) -> Any:
        self._check(input_shape)
        out = list(input_shape)
        for ax, (a, b) in zip(spatial_axes(self.data_format, self._n), self.cropping):
            if out[ax] is not None:
                out[ax] -= a + b
        return tuple(out)

    def get_config(self) -> Dict[str, Any]:
        cfg = super().get_config()
        cfg.update({"cropping": self.cropping, "data_format": self.data_format})
        return cfg


class Cropping1D(_Cropping):
    """Crops the steps axis of a sequence: ``inputs[:, start:steps - end, :]``.

    Args:
        cropping: an int (both ends) or a tuple ``(start, end)`` of non-negative ints.

    Input shape: (batch, steps, features). Output shape: (batch, steps - start - end, features).
    """

    _n = 1

    def __init__(self, cropping: Any = (1, 1), **kwargs: Any) -> None:
        super().__init__((standardize_tuple(cropping, 2, "cropping", allow_zero=True),), "channels_last", **kwargs)

    def get_config(self) -> Dict[str, Any]:
        cfg = Layer.get_config(self)
        cfg["cropping"] = self.cropping[0]
        return cfg
