"""Correlation metrics: Pearson and concordance correlation along an axis, and their running means."""
from __future__ import annotations

from typing import Any, Dict

from unidl import ops
from unidl.tensor import Tensor

from ..backend import config
from ..backend.common import convert_to_tensor
from ..losses.loss import squeeze_or_expand_to_same_rank
from .reduction_metrics import MeanMetricWrapper


def _pair(y_true: Any, y_pred: Any):
    p = convert_to_tensor(y_pred)
    if p.dtype.kind != "f":
        p = ops.astype(p, config.floatx())
    t = convert_to_tensor(y_true, dtype=p.dtype)
    return squeeze_or_expand_to_same_rank(t, p)


def pearson_correlation(y_true: Any, y_pred: Any, axis: int = -1) -> Tensor:
    """Pearson correlation along ``axis``: ``mean(z(y_true) * z(y_pred))`` with ``z`` the standard score.
    Shapes: (B, ..., D) -> (B, ...)."""
    t, p = _pair(y_true, y_pred)
    t = ops.subtract(t, ops.mean(t, axis=axis, keepdims=True))
    p = ops.subtract(p, ops.mean(p, axis=axis, keepdims=True))
    t = ops.divide(t, ops.std(t, axis=axis, keepdims=True))
    p = ops.divide(p, ops.std(p, axis=axis, keepdims=True))
    return ops.mean(ops.multiply(t, p), axis=axis)


def concordance_correlation(y_true: Any, y_pred: Any, axis: int = -1) -> Tensor:
    """Lin's concordance correlation along ``axis``, in Keras 3.15.1's form::

        mean(2 (y_true - mean(y_pred)) (y_pred - mean(y_pred)) / (var(y_true) + var(y_pred)
             + (mean(y_true) - mean(y_pred))^2 + eps))

    Shapes: (B, ..., D) -> (B, ...)."""
    t, p = _pair(y_true, y_pred)
    t_mean = ops.mean(t, axis=axis, keepdims=True)
    p_mean = ops.mean(p, axis=axis, keepdims=True)
    t_var = ops.var(ops.subtract(t, t_mean), axis=axis, keepdims=True)
    p_var = ops.var(ops.subtract(p, p_mean), axis=axis, keepdims=True)
    covar = ops.multiply(ops.subtract(t, p_mean), ops.subtract(p, p_mean))
    norm = ops.add(ops.add(t_var, p_var), ops.square(ops.subtract(t_mean, p_mean)))
    return ops.mean(ops.divide(ops.multiply(covar, 2.0), ops.add(norm, config.epsilon())), axis=axis)


class PearsonCorrelation(MeanMetricWrapper):
    """The running mean of :func:`pearson_correlation` along ``axis``."""

    def __init__(self, name: str = "pearson_correlation", dtype: Any = None, axis: int = -1) -> None:
        super().__init__(pearson_correlation, name=name, dtype=dtype, axis=axis)
        self.axis = axis
        self._direction = "up"

    def get_config(self) -> Dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype, "axis": self.axis}


class ConcordanceCorrelation(MeanMetricWrapper):
    """The running mean of :func:`concordance_correlation` along ``axis``."""

    def __init__(self, name: str = "concordance_correlation", dtype: Any = None, axis: int = -1) -> None:
        super().__init__(concordance_correlation, name=name, dtype=dtype, axis=axis)
        self.axis = axis
        self._direction = "up"

    def get_config(self) -> Dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype, "axis": self.axis}
