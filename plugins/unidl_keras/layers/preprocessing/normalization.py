"""``keras.layers.Normalization``."""
from __future__ import annotations

from typing import Any, Dict, Optional, Sequence

import numpy as np

from unidl import ops as U
from unidl.tensor import Tensor

from ...backend import config
from ...ops._dtypes import cast_to, to_tensor
from ..layer import Layer
from ._adapt_utils import batches


class Normalization(Layer):
    """Feature-wise ``(x - mean) / max(sqrt(variance), epsilon())``, with statistics given or learned by ``adapt``.

    Args:
        axis: the axis (or axes) that keep separate statistics (default -1: per feature); None: one
            mean and variance for everything.
        mean, variance: fixed statistics (broadcast against the kept axes); else call ``adapt(data)``.
        invert: apply the inverse map ``mean + x * sqrt(variance)``.
    Input: (..., features). Output: the same shape, float.
    """

    def __init__(self, axis: Any = -1, mean: Any = None, variance: Any = None, invert: bool = False,
                 **kwargs: Any) -> None:
        kwargs.setdefault("autocast", False)
        super().__init__(**kwargs)
        if axis is None:
            axis = ()
        elif isinstance(axis, int):
            axis = (axis,)
        else:
            axis = tuple(axis)
        self.axis = axis
        if (mean is not None) != (variance is not None):
            raise ValueError(f"When setting values directly, both `mean` and `variance` must be set. "
                             f"Received: mean {mean} and variance {variance}")
        self.input_mean, self.input_variance = mean, variance
        self.invert = invert
        self.supports_masking = True

    def build(self, input_shape: Any) -> None:
        if input_shape is None:
            return
        ndim = len(input_shape)
        if any(a < -ndim or a >= ndim for a in self.axis):
            raise ValueError(f"All `axis` values must be in the range [-ndim, ndim). Received inputs with "
                             f"ndim={ndim}, while axis={self.axis}")
        self._build_input_shape = tuple(input_shape)
        self._keep_axis = tuple(sorted(a % ndim for a in self.axis))
        for d in self._keep_axis:
            if input_shape[d] is None:
                raise ValueError(f"All `axis` values to be kept must have a known shape. Received axis={self.axis}, "
                                 f"inputs.shape={tuple(input_shape)}, with unknown axis at index {d}")
        self._reduce_axis = tuple(d for d in range(ndim) if d not in self._keep_axis)
        self._broadcast_shape = tuple(input_shape[d] if d in self._keep_axis else 1 for d in range(ndim))
        shape = tuple(input_shape[d] for d in self._keep_axis)
        self._mean_and_var_shape = shape
        if self.input_mean is None:
            self.adapt_mean = self.add_weight(name="mean", shape=shape, initializer="zeros", trainable=False)
            self.adapt_variance = self.add_weight(name="variance", shape=shape, initializer="ones", trainable=False)
            self.count = self.add_weight(name="count", shape=(), dtype="int64", initializer="zeros", trainable=False)
            self._set_stats(np.zeros(shape), np.ones(shape))
        else:
            mean = np.asarray(self.input_mean, dtype=np.float64)
            var = np.asarray(self.input_variance, dtype=np.float64)
            if mean.ndim:
                exp = [1] * ndim
                for i in range(1, mean.ndim + 1):
                    exp[self._keep_axis[-i]] = mean.shape[-i]
                mean, var = mean.reshape(exp), var.reshape(exp)
            self._mean = np.broadcast_to(mean, self._broadcast_shape).astype(self.compute_dtype)
            self._var = np.broadcast_to(var, self._broadcast_shape).astype(self.compute_dtype)
        self.built = True

    def _set_stats(self, mean: np.ndarray, var: np.ndarray) -> None:
        self._mean = np.asarray(mean, dtype=self.compute_dtype).reshape(self._broadcast_shape)
        self._var = np.asarray(var, dtype=self.compute_dtype).reshape(self._broadcast_shape)

    def adapt(self, data: Any) -> None:
        """Learn the mean and (population) variance of ``data`` (an array, or an iterable of batches)."""
        total_mean = total_var = None
        total_count = 0
        for batch in batches(data, "Normalization"):
            if not self.built:
                self.build(batch.shape)
            elif any(batch.shape[d] != self._build_input_shape[d] for d in self._keep_axis):
                raise ValueError(f"The layer was built with input_shape={self._build_input_shape}, but adapt() is "
                                 f"being called with data with an incompatible shape, data.shape={batch.shape}")
            b = batch.astype(np.float64)
            bm, bv = b.mean(axis=self._reduce_axis), b.var(axis=self._reduce_axis)
            n = int(np.prod([batch.shape[d] for d in self._reduce_axis])) if self._reduce_axis else 1
            if total_mean is None:
                total_mean, total_var, total_count = bm, bv, n
                continue
            total_count += n
            w = n / total_count
            new_mean = total_mean * (1 - w) + bm * w
            total_var = (total_var + (total_mean - new_mean) ** 2) * (1 - w) + (bv + (bm - new_mean) ** 2) * w
            total_mean = new_mean
        if self.input_mean is not None:
            raise ValueError("adapt() cannot be called on a Normalization layer built with fixed `mean` and `variance`.")
        self.adapt_mean.assign(total_mean.astype(self.compute_dtype))
        self.adapt_variance.assign(total_var.astype(self.compute_dtype))
        self._set_stats(total_mean, total_var)

    def finalize_state(self) -> None:
        if self.input_mean is None and self.built:
            self._set_stats(self.adapt_mean.numpy(), self.adapt_variance.numpy())

    def call(self, inputs: Any) -> Any:
        x = to_tensor(inputs)
        if x.dtype != np.dtype(self.compute_dtype):
            x = cast_to(x, self.compute_dtype)
        if self.input_mean is None:
            self.finalize_state()  # weights may have been loaded or assigned since adapt()
        mean = Tensor._from_any(self._mean, x.device)
        std = U.maximum(U.sqrt(Tensor._from_any(self._var, x.device)), config.epsilon())
        if self.invert:
            return U.add(mean, U.multiply(x, std))
        return U.divide(U.subtract(x, mean), std)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return tuple(input_shape)

    def get_config(self) -> Dict[str, Any]:
        cfg = super().get_config()
        m, v = self.input_mean, self.input_variance
        cfg.update({"axis": self.axis, "invert": self.invert,
                    "mean": np.asarray(m).tolist() if m is not None else None,
                    "variance": np.asarray(v).tolist() if v is not None else None})
        return cfg
