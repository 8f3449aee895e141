"""Regression metrics: running means of per-sample errors, and RMSE."""
from __future__ import annotations

from typing import Any, Dict

from unidl import ops
from unidl.tensor import Tensor

from ..backend.common import convert_to_tensor
from ..losses import losses as L
from ..losses.loss import squeeze_or_expand_to_same_rank
from .metric import Metric
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


class R2Score(Metric):
    """Coefficient of determination ``1 - SS_res / SS_tot`` per output column of 2-d (batch, outputs) inputs.

    Args:
        class_aggregation: ``"uniform_average"`` (mean over columns), ``"variance_weighted_average"``
            (weighted by each column's total variance) or None (one score per column).
        num_regressors: > 0 gives the adjusted R2 ``1 - (1 - R2)(n - 1) / (n - p - 1)`` with ``n`` the number
            of entries seen (falls back to R2 with a warning when ``p >= n - 1``).
    State: ``num_samples``, then (on the first update) ``squared_sum``, ``sum``, ``residual``, ``count`` per column.
    """

    def __init__(self, class_aggregation: Any = "uniform_average", num_regressors: int = 0, name: str = "r2_score",
                 dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)
        self._direction = "up"
        valid = (None, "uniform_average", "variance_weighted_average")
        if class_aggregation not in valid:
            raise ValueError(f"Invalid value for argument `class_aggregation`. Expected one of {valid}. "
                             f"Received: class_aggregation={class_aggregation}")
        if num_regressors < 0:
            raise ValueError("Invalid value for argument `num_regressors`. Expected a value >= 0. "
                             f"Received: num_regressors={num_regressors}")
        self.class_aggregation = class_aggregation
        self.num_regressors = num_regressors
        self.num_samples = self.add_variable(shape=(), initializer="zeros", name="num_samples")
        self._built = False

    def _build(self, y_true_shape: Any, y_pred_shape: Any) -> None:
        if len(y_pred_shape) != 2 or len(y_true_shape) != 2:
            raise ValueError("R2Score expects 2D inputs with shape (batch_size, output_dim). Received input shapes: "
                             f"y_pred.shape={tuple(y_pred_shape)} and y_true.shape={tuple(y_true_shape)}.")
        if y_pred_shape[-1] is None or y_true_shape[-1] is None:
            raise ValueError("R2Score expects 2D inputs with shape (batch_size, output_dim), with output_dim fully "
                             f"defined (not None). Received input shapes: y_pred.shape={tuple(y_pred_shape)} and "
                             f"y_true.shape={tuple(y_true_shape)}.")
        n = int(y_pred_shape[-1])
        self.squared_sum = self.add_variable(shape=(n,), initializer="zeros", name="squared_sum")
        self.sum = self.add_variable(shape=(n,), initializer="zeros", name="sum")
        self.total_mse = self.add_variable(shape=(n,), initializer="zeros", name="residual")
        self.count = self.add_variable(shape=(n,), initializer="zeros", name="count")
        self._built = True

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        t = convert_to_tensor(y_true, dtype=self.dtype)
        p = convert_to_tensor(y_pred, dtype=self.dtype)
        t, p = squeeze_or_expand_to_same_rank(t, p)
        if not self._built:
            self._build(t.shape, p.shape)
        sw = convert_to_tensor(1 if sample_weight is None else sample_weight, dtype=self.dtype)
        if sw.ndim == 1:
            sw = ops.expand_dims(sw, 1)
        sw = ops.broadcast_to(sw, t.shape)
        wt = ops.multiply(t, sw)
        self.sum.assign(ops.add(self.sum._plain(), ops.sum(wt, axis=0)))
        self.squared_sum.assign(ops.add(self.squared_sum._plain(), ops.sum(ops.multiply(t, wt), axis=0)))
        self.total_mse.assign(ops.add(self.total_mse._plain(),
                                      ops.sum(ops.multiply(ops.square(ops.subtract(t, p)), sw), axis=0)))
        self.count.assign(ops.add(self.count._plain(), ops.sum(sw, axis=0)))
        self.num_samples.assign(ops.add(self.num_samples._plain(), float(t.size)))

    def result(self) -> Tensor:
        import warnings

        s, c = self.sum._plain(), self.count._plain()
        mean = ops.divide(s, c)
        total = ops.subtract(self.squared_sum._plain(), ops.multiply(s, mean))
        raw = ops.subtract(1.0, ops.divide(self.total_mse._plain(), total))
        raw = ops.where(ops.isinf(raw), ops.zeros_like(raw), raw)
        if self.class_aggregation == "uniform_average":
            r2 = ops.mean(raw)
        elif self.class_aggregation == "variance_weighted_average":
            r2 = ops.divide(ops.sum(ops.multiply(total, raw)), ops.sum(total))
        else:
            r2 = raw
        if self.num_regressors != 0:
            n = float(self.num_samples.numpy())
            p = float(self.num_regressors)
            if p > n - 1:
                warnings.warn("More independent predictors than datapoints in adjusted R2 score. Falling back to "
                              "standard R2 score.", stacklevel=2)
            elif p == n - 1:
                warnings.warn("Division by zero in Adjusted R2 score. Falling back to standard R2 score.",
                              stacklevel=2)
            else:
                r2 = ops.subtract(1.0, ops.divide(ops.multiply(ops.subtract(1.0, r2), n - 1.0), n - p - 1.0))
        return r2

    def get_config(self) -> Dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype, "class_aggregation": self.class_aggregation,
                "num_regressors": self.num_regressors}
