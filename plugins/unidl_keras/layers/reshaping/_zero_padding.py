"""The shared implementation of ZeroPadding1D/2D/3D (private)."""
from __future__ import annotations

from typing import Any, Dict, Tuple

from unidl import ops

from ...backend import config
from ..layer import Layer
from ._padding_utils import check_ndim, spatial_axes


class _ZeroPadding(Layer):
    """Zero padding of ``n`` spatial dims (the shared implementation of ZeroPadding1D/2D/3D)."""

    _n = 1

    def __init__(self, padding: Tuple[Tuple[int, int], ...], data_format: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.padding = padding
        self.data_format = config.standardize_data_format(data_format)
        self.supports_masking = False

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
