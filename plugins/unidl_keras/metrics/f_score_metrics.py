"""F-scores: ``FBetaScore`` and ``F1Score`` over 2-d (batch, classes) inputs."""
from __future__ import annotations

from typing import Any, Dict, Optional

from unidl import ops
from unidl.tensor import Tensor

from ..backend import config
from ..backend.common import convert_to_tensor
from .metric import Metric


class FBetaScore(Metric):
    """``(1 + beta^2) * precision * recall / (beta^2 * precision + recall)`` per class.

    Args:
        average: None (one score per class), ``"micro"`` (global counts), ``"macro"`` (mean over classes) or
            ``"weighted"`` (mean weighted by each class's support).
        beta: a positive Python float.
        threshold: predictions above it count as positive; None: each row's maximum (if non-zero) is positive.
    State (created on the first update): ``true_positives``, ``false_positives``, ``false_negatives``,
    ``intermediate_weights``, per class (scalars with ``"micro"``).
    """

    def __init__(self, average: Optional[str] = None, beta: float = 1.0, threshold: Optional[float] = None,
                 name: str = "fbeta_score", dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)
        self._direction = "up"
        if average not in (None, "micro", "macro", "weighted"):
            raise ValueError("Invalid `average` argument value. Expected one of: {None, 'micro', 'macro', "
                             f"'weighted'}}. Received: average={average}")
        if not isinstance(beta, float):
            raise ValueError("Invalid `beta` argument value. It should be a Python float. "
                             f"Received: beta={beta} of type '{type(beta)}'")
        if beta <= 0.0:
            raise ValueError(f"Invalid `beta` argument value. It should be > 0. Received: beta={beta}")
        if threshold is not None:
            if not isinstance(threshold, float):
                raise ValueError("Invalid `threshold` argument value. It should be a Python float. "
                                 f"Received: threshold={threshold} of type '{type(threshold)}'")
            if threshold > 1.0 or threshold <= 0.0:
                raise ValueError("Invalid `threshold` argument value. It should verify 0 < threshold <= 1. "
                                 f"Received: threshold={threshold}")
        self.average = average
        self.beta = beta
        self.threshold = threshold
        self.axis = None if average == "micro" else 0
        self._built = False

    def _build(self, y_true_shape: Any, y_pred_shape: Any) -> None:
        if len(y_pred_shape) != 2 or len(y_true_shape) != 2:
            raise ValueError("FBetaScore expects 2D inputs with shape (batch_size, output_dim). Received input "
                             f"shapes: y_pred.shape={tuple(y_pred_shape)} and y_true.shape={tuple(y_true_shape)}.")
        if y_pred_shape[-1] is None or y_true_shape[-1] is None:
            raise ValueError("FBetaScore expects 2D inputs with shape (batch_size, output_dim), with output_dim fully "
                             f"defined (not None). Received input shapes: y_pred.shape={tuple(y_pred_shape)} and "
                             f"y_true.shape={tuple(y_true_shape)}.")
        shape = () if self.average == "micro" else (int(y_pred_shape[-1]),)
        self.true_positives = self.add_variable(shape=shape, initializer="zeros", name="true_positives")
        self.false_positives = self.add_variable(shape=shape, initializer="zeros", name="false_positives")
        self.false_negatives = self.add_variable(shape=shape, initializer="zeros", name="false_negatives")
        self.intermediate_weights = self.add_variable(shape=shape, initializer="zeros", name="intermediate_weights")
        self._built = True

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        t = convert_to_tensor(y_true, dtype=self.dtype)
        p = convert_to_tensor(y_pred, dtype=self.dtype)
        if not self._built:
            self._build(t.shape, p.shape)
        if self.threshold is None:
            top = ops.max(p, axis=-1, keepdims=True)
            p = ops.logical_and(ops.greater_equal(p, top), ops.greater(ops.abs(p), 1e-9))
        else:
            p = ops.greater(p, float(self.threshold))
        p = ops.astype(p, t.dtype)
        sw = None if sample_weight is None else ops.expand_dims(convert_to_tensor(sample_weight, dtype=self.dtype), 1)

        def wsum(val: Tensor) -> Tensor:
            return ops.sum(val if sw is None else ops.multiply(val, sw), axis=self.axis)

        not_p, not_t = ops.subtract(1.0, p), ops.subtract(1.0, t)
        for var, val in ((self.true_positives, ops.multiply(p, t)), (self.false_positives, ops.multiply(p, not_t)),
                         (self.false_negatives, ops.multiply(not_p, t)), (self.intermediate_weights, t)):
            var.assign(ops.add(var._plain(), wsum(val)))

    def result(self) -> Tensor:
        eps = config.epsilon()
        tp, fp, fn = self.true_positives._plain(), self.false_positives._plain(), self.false_negatives._plain()
        precision = ops.divide(tp, ops.add(ops.add(tp, fp), eps))
        recall = ops.divide(tp, ops.add(ops.add(tp, fn), eps))
        b2 = float(self.beta) ** 2
        mean = ops.divide(ops.multiply(precision, recall), ops.add(ops.add(ops.multiply(precision, b2), recall), eps))
        f = ops.multiply(mean, 1.0 + b2)
        if self.average == "weighted":
            w = self.intermediate_weights._plain()
            return ops.sum(ops.multiply(f, ops.divide(w, ops.add(ops.sum(w), eps))))
        if self.average is not None:
            return ops.mean(f)
        return f

    def get_config(self) -> Dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype, "average": self.average, "beta": self.beta,
                "threshold": self.threshold}


class F1Score(FBetaScore):
    """The F-score with ``beta = 1``: the harmonic mean of precision and recall (see :class:`FBetaScore`)."""

    def __init__(self, average: Optional[str] = None, threshold: Optional[float] = None, name: str = "f1_score",
                 dtype: Any = None) -> None:
        super().__init__(average=average, beta=1.0, threshold=threshold, name=name, dtype=dtype)

    def get_config(self) -> Dict[str, Any]:
        cfg = super().get_config()
        del cfg["beta"]
        return cfg
