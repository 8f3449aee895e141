"""``keras.layers.UpSampling2D``: nearest or bilinear upsampling of images."""
from __future__ import annotations

from typing import Any, Dict

import numpy as np

import unidl
from unidl import ops

from ...backend import config
from ..layer import Layer
from ._padding_utils import check_ndim, spatial_axes, standardize_tuple

_INTERPOLATIONS = ("nearest", "bilinear", "bicubic")
_CUBIC_A = -0.75  # the cubic-convolution coefficient of Keras's torch backend (torch.nn.functional.interpolate)


def _bilinear_axis(x: Any, axis: int, size: int) -> Any:
    """Upsample ``x`` by ``size`` along ``axis`` with half-pixel linear interpolation (edges clamped)."""
    n = x.shape[axis]
    src = (np.arange(n * size) + 0.5) / size - 0.5  # where each output sample falls on the input grid
    src = np.clip(src, 0.0, n - 1)
    lo = np.floor(src).astype(np.int64)
    hi = np.minimum(lo + 1, n - 1)
    w_shape = [1] * x.ndim
    w_shape[axis] = n * size
    w = unidl.tensor((src - lo).astype(x.dtype).reshape(w_shape), device=x.device)  # constant weights
    x0 = ops.take(x, lo, axis=axis)
    x1 = ops.take(x, hi, axis=axis)
    return ops.add(x0, ops.multiply(ops.subtract(x1, x0), w))


def _bicubic_axis(x: Any, axis: int, size: int) -> Any:
    """Upsample ``x`` by ``size`` along ``axis`` with half-pixel cubic convolution (4 taps, A=-0.75,
    taps past the edges read the edge sample)."""
    n = x.shape[axis]
    src = (np.arange(n * size) + 0.5) / size - 0.5
    base = np.floor(src)
    t = src - base
    a = _CUBIC_A
    weights = (((a * (t + 1) - 5 * a) * (t + 1) + 8 * a) * (t + 1) - 4 * a,
               ((a + 2) * t - (a + 3)) * t * t + 1,
               ((a + 2) * (1 - t) - (a + 3)) * (1 - t) * (1 - t) + 1,
               ((a * (2 - t) - 5 * a) * (2 - t) + 8 * a) * (2 - t) - 4 * a)
    w_shape = [1] * x.ndim
    w_shape[axis] = n * size
    out = None
    for k, w in enumerate(weights):
        idx = np.clip(base.astype(np.int64) - 1 + k, 0, n - 1)
        term = ops.multiply(ops.take(x, idx, axis=axis),
                            unidl.tensor(w.astype(x.dtype).reshape(w_shape), device=x.device))
        out = term if out is None else ops.add(out, term)
    return out


class UpSampling2D(Layer):
    """Upsamples rows and columns by ``size``.

    Args:
        size: an int or a tuple ``(rows, cols)`` of positive ints (default (2, 2)).
        data_format: ``'channels_last'`` (default) or ``'channels_first'``.
        interpolation: ``'nearest'`` (repeat, default), ``'bilinear'`` or ``'bicubic'`` (half-pixel
            centers, as ``keras.ops.image.resize`` without antialiasing on Keras's torch backend).

    Input shape: 4D. Output shape: 4D with ``rows * size[0]`` rows and ``cols * size[1]`` cols.
    """

    def __init__(self, size: Any = (2, 2), data_format: Any = None, interpolation: str = "nearest",
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.size = standardize_tuple(size, 2, "size")
        self.data_format = config.standardize_data_format(data_format)
        if not isinstance(interpolation, str) or interpolation.lower() not in _INTERPOLATIONS:
            raise ValueError(f"UpSampling2D layer '{self.name}': `interpolation` must be one of {_INTERPOLATIONS} "
                             f"(other Keras methods are not supported here). Received: interpolation={interpolation!r}")
        self.interpolation = interpolation.lower()

    def call(self, inputs: Any) -> Any:
        check_ndim(self, inputs.shape, 4)
        x = inputs
        for ax, s in zip(spatial_axes(self.data_format, 2), self.size):
            if s == 1:
                continue
            if self.interpolation == "nearest":
                x = ops.repeat(x, s, axis=ax)
            elif self.interpolation == "bilinear":
                x = _bilinear_axis(x, ax, s)
            else:
                x = _bicubic_axis(x, ax, s)
        return x

    def compute_output_shape(self, input_shape: Any) -> Any:
        check_ndim(self, input_shape, 4)
        out = list(input_shape)
        for ax, s in zip(spatial_axes(self.data_format, 2), self.size):
            out[ax] = None if out[ax] is None else out[ax] * s
        return tuple(out)

    def get_config(self) -> Dict[str, Any]:
        cfg = super().get_config()
        cfg.update({"size": self.size, "data_format": self.data_format, "interpolation": self.interpolation})
        return cfg
