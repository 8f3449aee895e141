"""``gluon.loss``: per-sample losses as MXNet computes them (mean over all but the batch axis), with
``weight`` and ``sample_weight``. The loss math is :mod:`unidl.nn.losses` (shared with the Keras
frontend); this module keeps MXNet's argument order, label reshaping, weighting and reduction.
"""
from __future__ import annotations

from typing import Any, Optional

from unidl import ops
from unidl.nn import losses as _losses
from unidl.nn import losses_extra as _lx

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
        axis = self._axis if self._axis >= 0 else pred.ndim + self._axis
        if pred.ndim == 2 and axis == 1 and self._batch_axis == 0 and sample_weight is None and self._weight is None:
            # (N, C) scores, unweighted: MXNet's mean over the kept size-1 class axis is each sample's loss itself
            # (a sum of one term, divided by 1: the same bits), so the per-sample loss is the result
            return wrap(per_sample)
        # the class axis kept as size 1, so sample weights broadcast as in MXNet
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


class KLDivLoss(Loss):
    """``label * (log(label + 1e-12) - pred)`` **summed** over the non-batch axes (MXNet 1.9). ``pred`` holds
    log-probabilities (``from_logits=True``, the default) or logits (``from_logits=False``: ``log_softmax``
    along ``axis`` first). Shapes: pred, label (N, ...) -> (N,)."""

    def __init__(self, from_logits: bool = True, axis: int = -1, weight: Optional[float] = None,
                 batch_axis: int = 0, **kwargs: Any) -> None:
        super().__init__(weight, batch_axis, **kwargs)
        self._from_logits, self._axis = from_logits, axis

    def hybrid_forward(self, F: Any, pred: NDArray, label: NDArray, sample_weight: Optional[NDArray] = None) -> NDArray:
        lp = pred._t if self._from_logits else ops.log_softmax(pred._t, axis=self._axis)
        loss = wrap(_lx.kl_divergence_log_input(label._t, lp))
        return nd.sum(_apply_weighting(loss, self._weight, sample_weight), axis=self._batch_axis, exclude=True)


class HuberLoss(Loss):
    """Smoothed L1: with ``a = |label - pred|``, ``a - rho/2`` where ``a > rho`` else ``a^2 / (2 rho)``,
    averaged per sample. Shapes: pred (N, ...), label reshaped to pred's shape -> (N,)."""

    def __init__(self, rho: float = 1, weight: Optional[float] = None, batch_axis: int = 0, **kwargs: Any) -> None:
        super().__init__(weight, batch_axis, **kwargs)
        self._rho = rho

    def hybrid_forward(self, F: Any, pred: NDArray, label: NDArray, sample_weight: Optional[NDArray] = None) -> NDArray:
        loss = wrap(_losses.smooth_l1(_reshape_like(label, pred)._t, pred._t, rho=self._rho, axis=None))
        return self._mean(_apply_weighting(loss, self._weight, sample_weight))


class HingeLoss(Loss):
    """``max(0, margin - pred * label)`` averaged per sample; labels in {-1, 1}. Shapes: (N, ...) -> (N,)."""

    def __init__(self, margin: float = 1, weight: Optional[float] = None, batch_axis: int = 0,
                 **kwargs: Any) -> None:
        super().__init__(weight, batch_axis, **kwargs)
        self._margin = margin

    def hybrid_forward(self, F: Any, pred: NDArray, label: NDArray, sample_weight: Optional[NDArray] = None) -> NDArray:
        loss = wrap(_losses.hinge(_reshape_like(label, pred)._t, pred._t, margin=self._margin, axis=None))
        return self._mean(_apply_weighting(loss, self._weight, sample_weight))


class SquaredHingeLoss(Loss):
    """``max(0, margin - pred * label)^2`` averaged per sample; labels in {-1, 1}. Shapes: (N, ...) -> (N,)."""

    def __init__(self, margin: float = 1, weight: Optional[float] = None, batch_axis: int = 0,
                 **kwargs: Any) -> None:
        super().__init__(weight, batch_axis, **kwargs)
        self._margin = margin

    def hybrid_forward(self, F: Any, pred: NDArray, label: NDArray, sample_weight: Optional[NDArray] = None) -> NDArray:
        loss = wrap(_losses.squared_hinge(_reshape_like(label, pred)._t, pred._t, margin=self._margin, axis=None))
        return self._mean(_apply_weighting(loss, self._weight, sample_weight))


class LogisticLoss(Loss):
    """Logistic loss on logits ``pred``: ``log(1 + exp(-pred * label))`` for labels in {-1, 1}
    (``label_format='signed'``) or the binary cross-entropy for labels in {0, 1} (``'binary'``),
    averaged per sample. Shapes: (N, ...) -> (N,)."""

    def __init__(self, weight: Optional[float] = None, batch_axis: int = 0, label_format: str = "signed",
                 **kwargs: Any) -> None:
        super().__init__(weight, batch_axis, **kwargs)
        if label_format not in ("signed", "binary"):
            raise ValueError(f"label_format can only be signed or binary, recieved {label_format}.")
        self._label_format = label_format

    def hybrid_forward(self, F: Any, pred: NDArray, label: NDArray, sample_weight: Optional[NDArray] = None) -> NDArray:
        loss = wrap(_lx.logistic_loss(_reshape_like(label, pred)._t, pred._t, label_format=self._label_format,
                                      axis=None))
        return self._mean(_apply_weighting(loss, self._weight, sample_weight))


class TripletLoss(Loss):
    """``relu(sum((positive - pred)^2 - (negative - pred)^2) + margin)`` with the sum over the non-batch
    axes. Shapes: pred, positive, negative (N, ...) -> (N,). No ``sample_weight`` (as MXNet)."""

    def __init__(self, margin: float = 1, weight: Optional[float] = None, batch_axis: int = 0,
                 **kwargs: Any) -> None:
        super().__init__(weight, batch_axis, **kwargs)
        self._margin = margin

    def hybrid_forward(self, F: Any, pred: NDArray, positive: NDArray, negative: NDArray) -> NDArray:
        pos, neg = _reshape_like(positive, pred), _reshape_like(negative, pred)
        axes = _losses.non_batch_axes(pred.ndim, self._batch_axis)
        loss = wrap(_lx.triplet_loss(pred._t, pos._t, neg._t, margin=self._margin, axis=axes))
        return _apply_weighting(loss, self._weight, None)


class PoissonNLLLoss(Loss):
    """Poisson negative log-likelihood: ``exp(pred) - target * pred`` (``from_logits=True``, pred = log rate)
    or ``pred - target * log(pred + epsilon)``; ``compute_full`` adds Stirling's approximation of
    ``log(target!)`` where target > 1. MXNet 1.9 returns the **mean over every element** (a 1-element
    array), not a per-sample loss. Shapes: pred (N, ...), target reshaped to pred's shape -> (1,)."""

    def __init__(self, weight: Optional[float] = None, from_logits: bool = True, batch_axis: int = 0,
                 compute_full: bool = False, **kwargs: Any) -> None:
        super().__init__(weight, batch_axis, **kwargs)
        self._from_logits, self._compute_full = from_logits, compute_full

    def hybrid_forward(self, F: Any, pred: NDArray, target: NDArray, sample_weight: Optional[NDArray] = None,
                       epsilon: float = 1e-08) -> NDArray:
        loss = wrap(_lx.poisson_nll(_reshape_like(target, pred)._t, pred._t, from_logits=self._from_logits,
                                    compute_full=self._compute_full, epsilon=epsilon))
        return nd.mean(_apply_weighting(loss, self._weight, sample_weight))


class CosineEmbeddingLoss(Loss):
    """For label 1: ``1 - cos(input1, input2)``; for label -1: ``max(0, cos - margin)`` (cosine over the
    last axis, norms floored at 1e-12). Shapes: input1, input2 (N, D), label (N,) -> (N, 1) (MXNet keeps
    the column)."""

    def __init__(self, weight: Optional[float] = None, batch_axis: int = 0, margin: float = 0,
                 **kwargs: Any) -> None:
        super().__init__(weight, batch_axis, **kwargs)
        self._margin = margin

    def hybrid_forward(self, F: Any, input1: NDArray, input2: NDArray, label: NDArray,
                       sample_weight: Optional[NDArray] = None) -> NDArray:
        input1 = _reshape_like(input1, input2)
        loss = wrap(_lx.cosine_embedding_loss(input1._t, input2._t, label._t, margin=self._margin))
        return _apply_weighting(loss.reshape((-1, 1)), self._weight, sample_weight)


class SDMLLoss(Loss):
    """Smoothed deep metric learning loss for two aligned batches (row i of x1 matches row i of x2):
    KL divergence between smoothed identity labels and ``softmax(-squared distances)``, per row.
    ``weight`` is stored but, as in MXNet 1.9, not applied. Shapes: x1, x2 (N, D), N >= 2 -> (N,)."""

    def __init__(self, smoothing_parameter: float = 0.3, weight: float = 1., batch_axis: int = 0,
                 **kwargs: Any) -> None:
        super().__init__(weight, batch_axis, **kwargs)
        self.smoothing_parameter = smoothing_parameter

    def hybrid_forward(self, F: Any, x1: NDArray, x2: NDArray) -> NDArray:
        if x1.shape != x2.shape:
            raise AssertionError(f"SDMLLoss: x1 and x2 must have one shape, got {x1.shape} and {x2.shape}")
        return wrap(_lx.sdml_loss(x1._t, x2._t, smoothing_parameter=self.smoothing_parameter))


class CTCLoss(Loss):
    """Connectionist temporal classification loss of unnormalised activations (softmax applied inside).

    The blank is the last class (C-1); labels are 0..C-2, padded with -1 unless ``label_lengths`` is given.
    Shapes: pred (N, T, C) for ``layout='NTC'`` or (T, N, C) for ``'TNC'``; label (N, L) (``'NT'``) or
    (L, N) (``'TN'``); optional pred_lengths, label_lengths (N,) -> loss (N,).
    """

    def __init__(self, layout: str = "NTC", label_layout: str = "NT", weight: Optional[float] = None,
                 **kwargs: Any) -> None:
        if layout not in ("NTC", "TNC"):
            raise ValueError(f"CTCLoss: only 'NTC' and 'TNC' layouts for pred are supported, got {layout!r}")
        if label_layout not in ("NT", "TN"):
            raise ValueError(f"CTCLoss: only 'NT' and 'TN' layouts for label are supported, got {label_layout!r}")
        self._layout, self._label_layout = layout, label_layout
        super().__init__(weight, label_layout.find("N"), **kwargs)

    def hybrid_forward(self, F: Any, pred: NDArray, label: NDArray, pred_lengths: Optional[NDArray] = None,
                       label_lengths: Optional[NDArray] = None, sample_weight: Optional[NDArray] = None) -> NDArray:
        if self._layout == "NTC":
            pred = nd.swapaxes(pred, 0, 1)
        if self._label_layout == "TN":
            label = nd.swapaxes(label, 0, 1)
        loss = nd.ctc_loss(pred, label, pred_lengths, label_lengths, use_data_lengths=pred_lengths is not None,
                           use_label_lengths=label_lengths is not None, blank_label="last")
        return _apply_weighting(loss, self._weight, sample_weight)


__all__ = ["Loss", "L2Loss", "L1Loss", "SoftmaxCrossEntropyLoss", "SoftmaxCELoss",
           "SigmoidBinaryCrossEntropyLoss", "SigmoidBCELoss", "KLDivLoss", "HuberLoss", "HingeLoss",
           "SquaredHingeLoss", "LogisticLoss", "TripletLoss", "PoissonNLLLoss", "CosineEmbeddingLoss", "SDMLLoss", "CTCLoss"]
