"""``gluon.loss``: per-sample losses as MXNet computes them (mean over all but the batch axis), with
``weight`` and ``sample_weight``. Written with ``mx.nd`` operators, themselves :mod:`unidl.ops`.
"""
from __future__ import annotations

from typing import Any, Optional

from unidl import ops

from .. import ndarray as nd
from ..ndarray.ndarray import NDArray, wrap
from .block import HybridBlock


def _apply_weighting(loss: NDArray, weight: Optional[float], sample_weight: Optional[NDArray]) -> NDArray:
    if sample_weight is not None:
        loss = loss * sample_weight
    if weight is not None:
        loss = loss * weight
    return loss


def _reshape_like(label: NDArray, pred: NDArray) -> NDArray:
    return label.reshape(pred.shape) if label.shape != pred.shape else label


class Loss(HybridBlock):
    """Base class: ``weight`` scales the loss, ``batch_axis`` is kept by the final mean."""

    def __init__(self, weight: Optional[float], batch_axis: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._weight, self._batch_axis = weight, batch_axis

    def _mean(self, loss: NDArray) -> NDArray:
        return nd.mean(loss, axis=self._batch_axis, exclude=True)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(batch_axis={self._batch_axis}, w={self._weight})"


class L2Loss(Loss):
    """``weight/2 * (pred - label)**2`` averaged per sample (note the 1/2)."""

    def __init__(self, weight: float = 1.0, batch_axis: int = 0, **kwargs: Any) -> None:
        super().__init__(weight, batch_axis, **kwargs)

    def hybrid_forward(self, F: Any, pred: NDArray, label: NDArray, sample_weight: Optional[NDArray] = None) -> NDArray:
        loss = F.square(_reshape_like(label, pred) - pred)
        return self._mean(_apply_weighting(loss, self._weight / 2, sample_weight))


class L1Loss(Loss):
    """``weight * |pred - label|`` averaged per sample."""

    def __init__(self, weight: Optional[float] = None, batch_axis: int = 0, **kwargs: Any) -> None:
        super().__init__(weight, batch_axis, **kwargs)

    def hybrid_forward(self, F: Any, pred: NDArray, label: NDArray, sample_weight: Optional[NDArray] = None) -> NDArray:
        loss = F.abs(_reshape_like(label, pred) - pred)
        return self._mean(_apply_weighting(loss, self._weight, sample_weight))


class SoftmaxCrossEntropyLoss(Loss):
    """Softmax cross-entropy along ``axis``: integer labels (``sparse_label``) or label distributions;
    ``from_logits=True`` takes log-probabilities as ``pred``."""

    def __init__(self, axis: int = -1, sparse_label: bool = True, from_logits: bool = False,
                 weight: Optional[float] = None, batch_axis: int = 0, **kwargs: Any) -> None:
        super().__init__(weight, batch_axis, **kwargs)
        self._axis, self._sparse_label, self._from_logits = axis, sparse_label, from_logits

    def hybrid_forward(self, F: Any, pred: NDArray, label: NDArray, sample_weight: Optional[NDArray] = None) -> NDArray:
        if self._sparse_label and not self._from_logits:
            # one fused core op (log-softmax and pick, fused backward); the class axis kept as size 1 so
            # sample weights broadcast as in MXNet
            lab = label._t
            if lab.ndim == pred.ndim:  # labels given as (N, 1): drop the class axis
                lab = ops.squeeze(lab, self._axis)
            fused = ops.softmax_cross_entropy(pred._t, lab, axis=self._axis, sparse=True)
            loss = wrap(ops.expand_dims(fused, self._axis if self._axis >= 0 else fused.ndim + 1 + self._axis))
        else:
            logp = pred if self._from_logits else F.log_softmax(pred, axis=self._axis)
            if self._sparse_label:
                loss = -F.pick(logp, label, axis=self._axis, keepdims=True)
            else:
                loss = -F.sum(logp * _reshape_like(label, logp), axis=self._axis, keepdims=True)
        return self._mean(_apply_weighting(loss, self._weight, sample_weight))


SoftmaxCELoss = SoftmaxCrossEntropyLoss


class SigmoidBinaryCrossEntropyLoss(Loss):
    """Binary cross-entropy on logits (stable form) or, with ``from_sigmoid``, on probabilities."""

    def __init__(self, from_sigmoid: bool = False, weight: Optional[float] = None, batch_axis: int = 0,
                 **kwargs: Any) -> None:
        super().__init__(weight, batch_axis, **kwargs)
        self._from_sigmoid = from_sigmoid

    def hybrid_forward(self, F: Any, pred: NDArray, label: NDArray, sample_weight: Optional[NDArray] = None,
                       pos_weight: Optional[NDArray] = None) -> NDArray:
        label = _reshape_like(label, pred)
        if not self._from_sigmoid:
            loss = F.relu(pred) - pred * label + F.Activation(-F.abs(pred), act_type="softrelu")
        else:
            eps = 1e-12
            loss = -(F.log(pred + eps) * label + F.log(1.0 - pred + eps) * (1.0 - label))
        return self._mean(_apply_weighting(loss, self._weight, sample_weight))


SigmoidBCELoss = SigmoidBinaryCrossEntropyLoss

__all__ = ["Loss", "L2Loss", "L1Loss", "SoftmaxCrossEntropyLoss", "SoftmaxCELoss",
           "SigmoidBinaryCrossEntropyLoss", "SigmoidBCELoss"]
