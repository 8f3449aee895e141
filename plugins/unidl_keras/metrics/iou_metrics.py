"""Intersection-over-union metrics from a running confusion matrix: ``IoU``, ``MeanIoU``, ``BinaryIoU``,
``OneHotIoU``, ``OneHotMeanIoU``."""
from __future__ import annotations

import warnings
from typing import Any, Dict, Optional, Sequence

import numpy as np

from unidl import ops
from unidl.creation import eye as unit_diagonal
from unidl.tensor import Tensor

from ..backend import config
from ..backend.common import convert_to_tensor
from .metric import Metric


def confusion_matrix(labels: Any, predictions: Any, num_classes: int, weights: Any = None,
                     dtype: Any = "int32") -> Tensor:
    """The (num_classes, num_classes) matrix whose [i, j] sums the weights (1 each by default) of the entries
    with label ``i`` predicted ``j``. labels, predictions, weights: (N,)."""
    lab = ops.astype(convert_to_tensor(labels), "int64")
    pred = ops.astype(convert_to_tensor(predictions), "int64")
    n = int(num_classes)
    rows = ops.one_hot(lab, n, dtype="float64")
    cols = ops.one_hot(pred, n, dtype="float64")
    if weights is not None:
        cols = ops.multiply(cols, ops.expand_dims(ops.astype(convert_to_tensor(weights), "float64"), 1))
    return ops.astype(ops.matmul(ops.transpose(rows), cols), config.standardize_dtype(dtype))


class _IoUBase(Metric):
    """Accumulates the confusion matrix ``total_confusion_matrix`` (num_classes, num_classes) over updates.

    Labels and predictions are class ids (``sparse_y_true`` / ``sparse_y_pred``) or, when False, scores whose
    argmax along ``axis`` is taken. Entries outside [0, num_classes) or labelled ``ignore_class`` are skipped.
    The default dtype is ``"int"`` (weights are then truncated to integers, with a warning for float weights).
    """

    def __init__(self, num_classes: int, name: Optional[str] = None, dtype: Any = None,
                 ignore_class: Optional[int] = None, sparse_y_true: bool = True, sparse_y_pred: bool = True,
                 axis: int = -1) -> None:
        super().__init__(name=name, dtype=dtype or "int")
        self._direction = "up"
        self.num_classes = num_classes
        self.ignore_class = ignore_class
        self.sparse_y_true = sparse_y_true
        self.sparse_y_pred = sparse_y_pred
        self.axis = axis
        self.total_cm = self.add_variable(shape=(num_classes, num_classes), initializer="zeros",
                                          dtype=self.dtype, name="total_confusion_matrix")

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        if not self.sparse_y_true:
            y_true = ops.argmax(convert_to_tensor(y_true), axis=self.axis)
        if not self.sparse_y_pred:
            y_pred = ops.argmax(convert_to_tensor(y_pred), axis=self.axis)
        t = ops.reshape(convert_to_tensor(y_true, dtype=self.dtype), (-1,))
        p = ops.reshape(convert_to_tensor(y_pred, dtype=self.dtype), (-1,))
        if sample_weight is None:
            sample_weight = 1
        elif "float" in str(getattr(sample_weight, "dtype", "")) and "int" in str(self.dtype):
            warnings.warn("You are passing weight as `float`, but dtype is `int`. This may result in an incorrect "
                          "weight due to type casting Consider using integer weights.")
        sw = convert_to_tensor(sample_weight, dtype=self.dtype)
        if sw.ndim > 1:
            sw = ops.reshape(sw, (-1,))
        sw = ops.broadcast_to(sw, t.shape)
        n = self.num_classes
        ok = ops.logical_and(ops.logical_and(ops.greater_equal(t, 0), ops.less(t, n)),
                             ops.logical_and(ops.greater_equal(p, 0), ops.less(p, n)))
        if self.ignore_class is not None:
            ok = ops.logical_and(ok, ops.not_equal(t, self.ignore_class))
        zero = ops.zeros_like(t)
        t = ops.where(ok, t, zero)
        p = ops.where(ok, p, zero)
        sw = ops.where(ok, sw, ops.zeros_like(sw))
        cm = confusion_matrix(t, p, n, weights=sw, dtype=self.dtype)
        self.total_cm.assign(ops.add(self.total_cm._plain(), cm))


class IoU(_IoUBase):
    """Mean IoU ``TP / (TP + FP + FN)`` over ``target_class_ids`` (classes never seen are left out of the mean).

    See :class:`_IoUBase` for the inputs and the state.
    """

    def __init__(self, num_classes: int, target_class_ids: Sequence[int], name: Optional[str] = None,
                 dtype: Any = None, ignore_class: Optional[int] = None, sparse_y_true: bool = True,
                 sparse_y_pred: bool = True, axis: int = -1) -> None:
        super().__init__(name=name, num_classes=num_classes, ignore_class=ignore_class, sparse_y_true=sparse_y_true,
                         sparse_y_pred=sparse_y_pred, axis=axis, dtype=dtype)
        if max(target_class_ids) >= num_classes:
            raise ValueError(f"Target class id {max(target_class_ids)} is out of range, which is [0, {num_classes}).")
        self.target_class_ids = list(target_class_ids)

    def result(self) -> Tensor:
        cm = ops.astype(self.total_cm._plain(), "float32")
        n = self.num_classes
        eye = ops.astype(unit_diagonal(n), "float32")
        tp = ops.sum(ops.multiply(cm, eye), axis=1)
        denom = ops.subtract(ops.add(ops.sum(cm, axis=0), ops.sum(cm, axis=1)), tp)
        ids = convert_to_tensor(np.asarray(self.target_class_ids, dtype="int64"))
        tp = ops.take(tp, ids)
        denom = ops.take(denom, ids)
        valid = ops.greater(denom, 1e-9)
        num_valid = ops.sum(ops.astype(valid, "float32"))
        iou = ops.divide(tp, ops.add(denom, config.epsilon()))
        iou = ops.where(valid, iou, ops.zeros_like(iou))
        return ops.divide(ops.sum(iou, axis=self.axis), ops.add(num_valid, config.epsilon()))

    def get_config(self) -> Dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype, "num_classes": self.num_classes,
                "target_class_ids": self.target_class_ids, "ignore_class": self.ignore_class,
                "sparse_y_true": self.sparse_y_true, "sparse_y_pred": self.sparse_y_pred, "axis": self.axis}


class BinaryIoU(IoU):
    """IoU of a binary task: predictions ``>= threshold`` are class 1, the rest class 0."""

    def __init__(self, target_class_ids: Sequence[int] = (0, 1), threshold: float = 0.5, name: Optional[str] = None,
                 dtype: Any = None) -> None:
        super().__init__(num_classes=2, target_class_ids=target_class_ids, name=name, dtype=dtype)
        self.threshold = threshold

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        p = convert_to_tensor(y_pred, dtype="float32")
        p = ops.astype(ops.greater_equal(p, float(self.threshold)), self.dtype)
        super().update_state(convert_to_tensor(y_true, dtype=self.dtype), p, sample_weight)

    def get_config(self) -> Dict[str, Any]:
        return {"target_class_ids": self.target_class_ids, "threshold": self.threshold, "name": self.name,
                "dtype": self._dtype}


class MeanIoU(IoU):
    """The mean IoU over all ``num_classes`` classes."""

    def __init__(self, num_classes: int, name: Optional[str] = None, dtype: Any = None,
                 ignore_class: Optional[int] = None, sparse_y_true: bool = True, sparse_y_pred: bool = True,
                 axis: int = -1) -> None:
        super().__init__(name=name, num_classes=num_classes, target_class_ids=list(range(num_classes)), axis=axis,
                         dtype=dtype, ignore_class=ignore_class, sparse_y_true=sparse_y_true,
                         sparse_y_pred=sparse_y_pred)

    def get_config(self) -> Dict[str, Any]:
        return {"num_classes": self.num_classes, "name": self.name, "dtype": self._dtype,
                "ignore_class": self.ignore_class, "sparse_y_true": self.sparse_y_true,
                "sparse_y_pred": self.sparse_y_pred, "axis": self.axis}


class OneHotIoU(IoU):
    """:class:`IoU` with one-hot labels (and score predictions unless ``sparse_y_pred``)."""

    def __init__(self, num_classes: int, target_class_ids: Sequence[int], name: Optional[str] = None,
                 dtype: Any = None, ignore_class: Optional[int] = None, sparse_y_pred: bool = False,
                 axis: int = -1) -> None:
        super().__init__(num_classes=num_classes, target_class_ids=target_class_ids, name=name, dtype=dtype,
                         ignore_class=ignore_class, sparse_y_true=False, sparse_y_pred=sparse_y_pred, axis=axis)

    def get_config(self) -> Dict[str, Any]:
        return {"num_classes": self.num_classes, "target_class_ids": self.target_class_ids, "name": self.name,
                "dtype": self._dtype, "ignore_class": self.ignore_class, "sparse_y_pred": self.sparse_y_pred,
                "axis": self.axis}


class OneHotMeanIoU(MeanIoU):
    """:class:`MeanIoU` with one-hot labels (and score predictions unless ``sparse_y_pred``)."""

    def __init__(self, num_classes: int, name: Optional[str] = None, dtype: Any = None,
                 ignore_class: Optional[int] = None, sparse_y_pred: bool = False, axis: int = -1) -> None:
        super().__init__(num_classes=num_classes, axis=axis, name=name, dtype=dtype, ignore_class=ignore_class,
                         sparse_y_true=False, sparse_y_pred=sparse_y_pred)

    def get_config(self) -> Dict[str, Any]:
        return {"num_classes": self.num_classes, "name": self.name, "dtype": self._dtype,
                "ignore_class": self.ignore_class, "sparse_y_pred": self.sparse_y_pred, "axis": self.axis}
