"""Accuracy metrics: per-sample match functions (1.0 / 0.0) and their running-mean classes."""
from __future__ import annotations

from typing import Any, Dict

from unidl import ops
from unidl.tensor import Tensor

from ..backend import config
from ..backend.common import convert_to_tensor
from ..losses.loss import squeeze_or_expand_to_same_rank
from .reduction_metrics import MeanMetricWrapper


def _float(x: Tensor) -> Tensor:
    return ops.astype(x, config.floatx())


def _pred(y_pred: Any) -> Tensor:
    p = convert_to_tensor(y_pred)
    return p if p.dtype.kind == "f" else ops.astype(p, config.floatx())


def accuracy(y_true: Any, y_pred: Any) -> Tensor:
    """1.0 where ``y_true == y_pred`` exactly, else 0.0 (same shape, after rank alignment)."""
    p = _pred(y_pred)
    t = convert_to_tensor(y_true, dtype=p.dtype)
    t, p = squeeze_or_expand_to_same_rank(t, p)
    return _float(ops.equal(t, p))


def binary_accuracy(y_true: Any, y_pred: Any, threshold: float = 0.5) -> Tensor:
    """1.0 where ``(y_pred > threshold) == y_true``: (B, ..., D) -> (B, ..., D)."""
    p = _pred(y_pred)
    t = convert_to_tensor(y_true)
    t, p = squeeze_or_expand_to_same_rank(t, p)
    hit = ops.astype(ops.greater(p, threshold), t.dtype)
    return _float(ops.equal(t, hit))


def _match_labels(labels: Tensor, y_pred: Tensor) -> Tensor:
    """1.0 where ``argmax(y_pred, -1) == labels``; ``labels`` shaped like y_pred without the last axis."""
    pred_idx = ops.argmax(y_pred, axis=-1)
    return _float(ops.equal(ops.astype(labels, y_pred.dtype), ops.astype(pred_idx, y_pred.dtype)))


def categorical_accuracy(y_true: Any, y_pred: Any) -> Tensor:
    """1.0 where ``argmax(y_true) == argmax(y_pred)`` (one-hot labels): (B, ..., C) -> (B, ...)."""
    p = _pred(y_pred)
    t = ops.argmax(convert_to_tensor(y_true), axis=-1)
    return _match_labels(t, p)


def sparse_categorical_accuracy(y_true: Any, y_pred: Any) -> Tensor:
    """1.0 where ``y_true == argmax(y_pred, -1)``: y_true (B, ...) or (B, ..., 1), y_pred (B, ..., C) -> (B, ...)."""
    p = _pred(y_pred)
    t = convert_to_tensor(y_true, dtype=p.dtype)
    squeezed_shape = None
    if t.ndim == p.ndim and t.ndim and t.shape[-1] == 1:
        squeezed_shape = t.shape
        t = ops.squeeze(t, -1)
    m = _match_labels(t, p)
    if squeezed_shape is not None:
        m = ops.reshape(m, squeezed_shape)
    if m.ndim > 1 and m.shape[-1] == 1:
        m = ops.squeeze(m, -1)
    return m


def in_top_k(targets: Tensor, predictions: Tensor, k: int) -> Tensor:
    """Bool (N,): whether ``predictions[i, targets[i]]`` is among the ``k`` largest of row i (ties count
    as in). Shapes: targets (N,) int, predictions (N, C)."""
    idx = ops.expand_dims(ops.astype(targets, "int64"), -1)
    target_score = ops.take_along_axis(predictions, idx, axis=-1)
    n_better = ops.sum(ops.astype(ops.greater(predictions, target_score), "int64"), axis=-1)
    return ops.less(n_better, int(k))


def _top_k_matches(labels: Tensor, p: Tensor, k: int) -> Tensor:
    out_shape = labels.shape
    if p.ndim > 2:
        p = ops.reshape(p, (-1, p.shape[-1]))
    if labels.ndim > 1:
        labels = ops.reshape(labels, (-1,))
    m = _float(in_top_k(labels, p, k))
    return ops.reshape(m, out_shape) if len(out_shape) > 1 else m


def top_k_categorical_accuracy(y_true: Any, y_pred: Any, k: int = 5) -> Tensor:
    """1.0 where the one-hot label's class is among the ``k`` top predictions: (B, C) -> (B,)."""
    p = _pred(y_pred)
    labels = ops.argmax(convert_to_tensor(y_true), axis=-1)
    return _top_k_matches(labels, p, k)


def sparse_top_k_categorical_accuracy(y_true: Any, y_pred: Any, k: int = 5, from_sorted_ids: bool = False) -> Tensor:
    """1.0 where the integer label is among the ``k`` top predictions: y_true (B,), y_pred (B, C) -> (B,).

    ``from_sorted_ids``: ``y_pred`` holds class ids sorted by score (best first); the label must be among
    the first ``k`` columns.
    """
    p = _pred(y_pred)
    t = convert_to_tensor(y_true)
    if from_sorted_ids:
        out_shape = t.shape
        ids = ops.reshape(p, (-1, p.shape[-1])) if p.ndim > 2 else p
        flat = ops.reshape(ops.astype(t, ids.dtype), (-1, 1))
        hit = ops.any(ops.equal(flat, ids[:, :k]), axis=1)
        m = _float(hit)
        return ops.reshape(m, out_shape) if len(out_shape) > 1 else m
    return _top_k_matches(ops.astype(t, "int64"), p, k)


class Accuracy(MeanMetricWrapper):
    """How often predictions equal labels exactly."""

    def __init__(self, name: str = "accuracy", dtype: Any = None) -> None:
        super().__init__(accuracy, name=name, dtype=dtype)

    def get_config(self) -> Dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype}


class BinaryAccuracy(MeanMetricWrapper):
    """How often ``y_pred > threshold`` matches binary labels."""

    def __init__(self, name: str = "binary_accuracy", dtype: Any = None, threshold: float = 0.5) -> None:
        super().__init__(binary_accuracy, name=name, dtype=dtype, threshold=threshold)
        self.threshold = threshold

    def get_config(self) -> Dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype, "threshold": self.threshold}


class CategoricalAccuracy(MeanMetricWrapper):
    """How often ``argmax(y_pred)`` matches the one-hot label's class."""

    def __init__(self, name: str = "categorical_accuracy", dtype: Any = None) -> None:
        super().__init__(categorical_accuracy, name=name, dtype=dtype)

    def get_config(self) -> Dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype}


class SparseCategoricalAccuracy(MeanMetricWrapper):
    """How often ``argmax(y_pred)`` matches the integer label."""

    def __init__(self, name: str = "sparse_categorical_accuracy", dtype: Any = None) -> None:
        super().__init__(sparse_categorical_accuracy, name=name, dtype=dtype)

    def get_config(self) -> Dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype}


class TopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the one-hot label's class is among the top ``k`` predictions."""

    def __init__(self, k: int = 5, name: str = "top_k_categorical_accuracy", dtype: Any = None) -> None:
        super().__init__(top_k_categorical_accuracy, name=name, dtype=dtype, k=k)
        self.k = k

    def get_config(self) -> Dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype, "k": self.k}


class SparseTopKCategoricalAccuracy(MeanMetricWrapper):
    """How often the integer label is among the top ``k`` predictions."""

    def __init__(self, k: int = 5, name: str = "sparse_top_k_categorical_accuracy", dtype: Any = None,
                 from_sorted_ids: bool = False) -> None:
        super().__init__(sparse_top_k_categorical_accuracy, name=name, dtype=dtype, k=k,
                         from_sorted_ids=from_sorted_ids)
        self.k = k
        self.from_sorted_ids = from_sorted_ids

    def get_config(self) -> Dict[str, Any]:
        cfg = {"name": self.name, "dtype": self.dtype, "k": self.k}
        if self.from_sorted_ids:
            cfg["from_sorted_ids"] = True
        return cfg

# the direction of improvement Keras gives these metrics (EarlyStopping / ModelCheckpoint mode='auto')
Accuracy._direction = "up"
BinaryAccuracy._direction = "up"
CategoricalAccuracy._direction = "up"
SparseCategoricalAccuracy._direction = "up"
TopKCategoricalAccuracy._direction = "up"
SparseTopKCategoricalAccuracy._direction = "up"
