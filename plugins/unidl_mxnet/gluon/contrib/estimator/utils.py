"""Argument checks shared by the Estimator and its handlers."""
from __future__ import annotations

from typing import Any, Iterable, List, Optional

from ....metric import Accuracy, CompositeEvalMetric, EvalMetric
from ...loss import SoftmaxCrossEntropyLoss


def _check_metrics(metrics: Any) -> List[EvalMetric]:
    """A list of metrics from one metric, a composite (flattened) or a list; ValueError for anything else."""
    if isinstance(metrics, CompositeEvalMetric):
        return [m for inner in metrics.metrics for m in _check_metrics(inner)]
    if isinstance(metrics, EvalMetric):
        return [metrics]
    metrics = list(metrics or [])
    if not all(isinstance(m, EvalMetric) for m in metrics):
        raise ValueError(f"metrics must be an mx.metric.EvalMetric or a list of them, got {metrics!r}")
    return metrics


def _check_handler_metric_ref(handler: Any, known: Iterable[EvalMetric]) -> None:
    """ValueError when a handler's ``*metric*`` attribute holds a metric the estimator does not update.

    Like MXNet 1.9.1, only attributes whose name contains "metric" are inspected (not ``monitor``)."""
    known = list(known)
    for attr in dir(handler):
        if "metric" not in attr:
            continue
        ref = getattr(handler, attr)
        if not ref or callable(ref) and not isinstance(ref, EvalMetric):
            continue
        for metric in ref if isinstance(ref, list) else [ref]:
            if not any(metric is k for k in known):
                raise ValueError(f"Event handler {type(handler).__name__} refers to a metric instance {metric} "
                                 "outside of the known training and validation metrics. Use the metrics from "
                                 "estimator.train_metrics and estimator.val_metrics instead.")


def _suggest_metric_for_loss(loss: Any) -> Optional[EvalMetric]:
    """The metric a loss implies when the user gives none (accuracy for softmax cross-entropy)."""
    return Accuracy() if isinstance(loss, SoftmaxCrossEntropyLoss) else None
