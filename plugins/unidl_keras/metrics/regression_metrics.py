"""Regression metrics: running means of per-sample errors, and RMSE."""
from __future__ import annotations

from typing import Any

from unidl import ops
from unidl.tensor import Tensor

from ..backend.common import convert_to_tensor
from ..losses import losses as L
from ..losses.loss import squeeze_or_expand_to_same_rank
from .reduction_metrics import Mean, MeanMetricWrapper


def cosine_similarity(y_true: Any, y_pred: Any, axis: int = -1) -> Tensor:
    """Cosine similarity along ``axis`` (positive: 1 = same direction): (B, ..., D) -> (B, ...)."""
    return ops.negative(L.cosine_similarity(y_true, y_pred, axis=axis))


class _Plain(MeanMetricWrapper):
    """A mean-of-function metric whose config is only name and dtype."""

    def get_config(self):
        return {"name": self.name, "dtype": self.dtype}


class MeanSquaredError(_Plain):
    """Running mean of ``mean(square(y_true - y_pred), axis=-1)``."""

    def __init__(self, name: str = "mean_squared_error", dtype: Any = None) -> None:
        super().__init__(L.mean_squared_error, name=name, dtype=dtype)


class MeanAbsoluteError(_Plain):
    """Running mean of ``mean(abs(y_true - y_pred), axis=-1)``."""

    def __init__(self, name: str = "mean_absolute_error", dtype: Any = None) -> None:
        super().__init__(L.mean_absolute_error, name=name, dtype=dtype)


class MeanAbsolutePercentageError(_Plain):
    """Running mean of the mean absolute percentage error."""

    def __init__(self, name: str = "mean_absolute_percentage_error", dtype: Any = None) -> None:
        super().__init__(L.mean_absolute_percentage_error, name=name, dtype=dtype)


class MeanSquaredLogarithmicError(_Plain):
    """Running mean of the mean squared logarithmic error."""

    def __init__(self, name: str = "mean_squared_logarithmic_error", dtype: Any = None) -> None:
        super().__init__(L.mean_squared_logarithmic_error, name=name, dtype=dtype)


class CosineSimilarity(_Plain):
    """Running mean of the cosine similarity along ``axis``."""

    def __init__(self, name: str = "cosine_similarity", dtype: Any = None, axis: int = -1) -> None:
        super().__init__(cosine_similarity, name=name, dtype=dtype, axis=axis)


class LogCoshError(_Plain):
    """Running mean of ``mean(log(cosh(y_pred - y_true)), axis=-1)``."""

    def __init__(self, name: str = "logcosh", dtype: Any = None) -> None:
        super().__init__(L.log_cosh, name=name, dtype=dtype)


class RootMeanSquaredError(Mean):
    """``sqrt`` of the running (weighted) mean of squared errors over every entry."""

    def __init__(self, name: str = "root_mean_squared_error", dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        t = convert_to_tensor(y_true, dtype=self.dtype)
        p = convert_to_tensor(y_pred, dtype=self.dtype)
        t, p = squeeze_or_expand_to_same_rank(t, p)
        super().update_state(ops.square(ops.subtract(p, t)), sample_weight=sample_weight)

    def result(self) -> Tensor:
        return ops.sqrt(super().result())

# the direction of improvement Keras gives these metrics (EarlyStopping / ModelCheckpoint mode='auto')
MeanSquaredError._direction = "down"
MeanAbsoluteError._direction = "down"
MeanAbsolutePercentageError._direction = "down"
MeanSquaredLogarithmicError._direction = "down"
RootMeanSquaredError._direction = "down"
LogCoshError._direction = "down"
CosineSimilarity._direction = "up"
