"""``gluon.loss``: per-sample losses as MXNet computes them (mean over all but the batch axis), with
``weight`` and ``sample_weight``. The loss math is :mod:`unidl.nn.losses` (shared with the Keras
frontend); this module keeps MXNet's argument order, label reshaping, weighting and reduction.
"""
from __future__ import annotations

from typing import Any, Optional

from unidl import ops
from unidl.nn import losses as _losses

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
        loss = wrap(_losses.l2_loss(_reshape_like(label, pred)._t, pred._t, axis=None))  # carries the 1/2
        return self._mean(_apply_weighting(loss, self._weight, sample_weight))


class L1Loss(Loss):
    """``weight * |pred - label|`` averaged per sample."""

    def __init__(self, weight: Optional[float] = None, batch_axis: int = 0, **kwargs: Any) -> None:
        super().__init__(weight, batch_axis, **kwargs)

    def hybrid_forward(self, F: Any, pred: NDArray, label: NDArray, sample_weight: Optional[NDArray] = None) -> NDArray:
        loss = wrap(_losses.mean_absolute_error(_reshape_like(label, pred)._t, pred._t, axis=None))
        return self._mean(_apply_weighting(loss, self._weight, sample_weight))


class SoftmaxCrossEntropyLoss(Loss):
    """Softmax cross-entropy along ``axis``: integer labels (``sparse_label``) or label distributions;
    ``from_logits=True`` takes log-probabilities as ``pred``."""

    def __init__(self, axis: int = -1, sparse_label: bool = True, from_logits: bool = False,
                 weight: Optional[float] = None, batch_axis: int = 0, **kwargs: Any) -> None:
        super().__init__(weight, batch_axis, **kwargs)
        self._axis, self._sparse_label, self._from_logits = axis, sparse_label, from_logits

    def hybrid_forward(self, F: Any, pred: NDArray, label: NDArray, sample_weight: Optional[NDArray] = None) -> NDArray:
        per_sample = _losses.softmax_ce(label._t, pred._t, axis=self._axis, sparse_label=self._sparse_label,
                                        from_log_probs=self._from_logits)
        # the class axis kept as size 1, so sample weights broadcast as in MXNet
        axis = self._axis if self._axis >= 0 else pred.ndim + self._axis
        loss = wrap(ops.expand_dims(per_sample, axis))
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
        loss = wrap(_losses.sigmoid_bce(label._t, pred._t, from_sigmoid=self._from_sigmoid,
                                        pos_weight=None if pos_weight is None else pos_weight._t, axis=None))
        return self._mean(_apply_weighting(loss, self._weight, sample_weight))


SigmoidBCELoss = SigmoidBinaryCrossEntropyLoss

__all__ = ["Loss", "L2Loss", "L1Loss", "SoftmaxCrossEntropyLoss", "SoftmaxCELoss",
           "SigmoidBinaryCrossEntropyLoss", "SigmoidBCELoss"]
