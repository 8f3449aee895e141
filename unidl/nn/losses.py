"""Loss math, per sample and framework-neutral: no batch reduction (callers reduce).

Conventions (all functions):

- Arguments are ``(y_true, y_pred)`` in that order, also for the MXNet flavours (whose Gluon
  classes call ``(pred, label)``: the frontend swaps them). ``y_true`` is cast to ``y_pred``'s
  dtype unless it holds integer class indices (sparse losses).
- ``axis`` says which axes are reduced *within a sample*. Elementwise losses (MSE, MAE, Huber,
  log-cosh, hinge, binary crossentropy, Poisson, ``l2_loss``, ``sigmoid_bce``, ...) take the
  **mean** over ``axis``: an int, a tuple of ints, or ``None`` for no reduction (the elementwise
  loss). Keras reduces over the last axis (``axis=-1``, the default); MXNet's ``Loss`` blocks
  average over every axis except the batch axis (pass :func:`non_batch_axes`), after applying
  ``sample_weight`` to the elementwise loss (call with ``axis=None``, weight, then reduce).
- Distribution losses (crossentropies, KL, categorical hinge, cosine similarity) reduce over the
  class/feature ``axis`` (one int) and return ``y_pred``'s shape without it.
- ``epsilon`` is Keras's fuzz factor (``keras.config.epsilon()``, 1e-7 by default); the Keras
  frontend passes the configured value.
"""
from __future__ import annotations

import math
from typing import Any, Sequence, Tuple, Union

from .. import ops
from ..errors import OpError
from ..ops._core import as_tensor_like
from ..tensor import Tensor

__all__ = ["EPSILON", "non_batch_axes", "categorical_crossentropy", "sparse_categorical_crossentropy",
           "binary_crossentropy", "mean_squared_error", "mean_absolute_error",
           "mean_absolute_percentage_error", "mean_squared_logarithmic_error", "huber", "log_cosh",
           "kl_divergence", "hinge", "squared_hinge", "categorical_hinge", "cosine_similarity", "poisson",
           "l2_loss", "sigmoid_bce", "softmax_ce", "smooth_l1"]

#: Keras's default fuzz factor (``keras.config.epsilon()``).
EPSILON = 1e-7
#: The epsilon MXNet's ``SigmoidBinaryCrossEntropyLoss(from_sigmoid=True)`` adds inside its logs.
MXNET_BCE_EPS = 1e-12
_LOG2 = math.log(2.0)

Axis = Union[int, Sequence[int], None]


# -- helpers ---------------------------------------------------------------------------------------

def non_batch_axes(ndim: int, batch_axis: int = 0) -> Tuple[int, ...]:
    """Every axis of an ``ndim``-d loss except ``batch_axis``: what MXNet's losses average over
    (``F.mean(loss, axis=batch_axis, exclude=True)``). ``()`` for a 1-d loss."""
    b = batch_axis + ndim if batch_axis < 0 else batch_axis
    return tuple(i for i in range(ndim) if i != b)


def _pred(y_pred: Any) -> Tensor:
    if isinstance(y_pred, Tensor):
        return y_pred
    from ..creation import tensor

    return tensor(y_pred)


def _pair(y_true: Any, y_pred: Any) -> Tuple[Tensor, Tensor]:
    """``(y_true, y_pred)`` as Tensors, ``y_true`` cast to ``y_pred``'s dtype (as Keras does)."""
    p = _pred(y_pred)
    t = as_tensor_like(y_true, p)
    if t.dtype != p.dtype:
        t = ops.astype(t, p.dtype)
    return t, p


def _mean(x: Tensor, axis: Axis) -> Tensor:
    """Mean over ``axis`` (None or () keeps ``x`` as is)."""
    if axis is None or (not isinstance(axis, int) and len(tuple(axis)) == 0):
        return x
    return ops.mean(x, axis=axis)


def _one_axis(axis: Any, x: Tensor) -> int:
    if isinstance(axis, bool) or not hasattr(axis, "__index__"):
        raise ValueError(f"axis must be one int for this loss, got {axis!r}")
    axis = int(axis)
    if not -x.ndim <= axis < x.ndim:
        raise ValueError(f"axis {axis} out of range for a {x.ndim}-d y_pred of shape {x.shape}")
    return axis + x.ndim if axis < 0 else axis


def _sparse_labels(y_true: Any, y_pred: Tensor, ax: int) -> Tensor:
    """Integer labels shaped like ``y_pred`` without ``ax``; a size-1 ``ax`` is squeezed (Keras)."""
    t = y_true if isinstance(y_true, Tensor) else Tensor._from_any(y_true, y_pred.device)
    if t.ndim == y_pred.ndim and t.shape[ax] == 1:
        t = ops.squeeze(t, ax)
    want = y_pred.shape[:ax] + y_pred.shape[ax + 1:]
    if t.shape != want:
        raise ValueError(f"sparse labels must have shape {want} (y_pred {y_pred.shape} without axis {ax}), "
                         f"got {t.shape}")
    return t


def _log_probs(y_pred: Tensor, ax: int, epsilon: float) -> Tensor:
    """Keras's probability path: renormalise along ``ax``, clip to [eps, 1-eps], log."""
    p = ops.divide(y_pred, ops.sum(y_pred, axis=ax, keepdims=True))
    return ops.log(ops.clip(p, epsilon, 1.0 - epsilon))


def _bce_logits(t: Tensor, x: Tensor) -> Tensor:
    """``max(x, 0) - x t + log(1 + e^-|x|)``, written with ``where`` so the gradient at ``x = 0``
    is the true ``sigmoid(0) - t`` (``relu``/``abs`` would give ``-t`` there)."""
    pos = ops.greater_equal(x, 0)
    zero = ops.zeros_like(x)
    return ops.add(ops.subtract(ops.where(pos, x, zero), ops.multiply(x, t)),
                   ops.softplus(ops.where(pos, ops.negative(x), x)))


def _l2_normalize(x: Tensor, ax: int, epsilon: float) -> Tensor:
    """Keras's ``normalize(x, axis, order=2)``: ``x * min(rsqrt(sum(x^2)), 1/eps)``, computed as
    ``x / sqrt(max(sum(x^2), eps^2))`` so a zero vector gives 0 with a finite gradient."""
    ss = ops.sum(ops.square(x), axis=ax, keepdims=True)
    return ops.divide(x, ops.sqrt(ops.maximum(ss, epsilon * epsilon)))


# -- crossentropies --------------------------------------------------------------------------------

def categorical_crossentropy(y_true: Any, y_pred: Any, *, from_logits: bool = False, label_smoothing: float = 0.0,
                             axis: int = -1, epsilon: float = EPSILON) -> Tensor:
    """Keras ``categorical_crossentropy``: ``-sum(y_true * log p, axis)``.

    ``from_logits``: ``log p = log_softmax(y_pred, axis)``. Otherwise ``y_pred`` holds
    probabilities: ``p = clip(y_pred / sum(y_pred, axis), eps, 1 - eps)``. ``label_smoothing``
    ``s`` replaces ``y_true`` by ``y_true (1 - s) + s / C``.
    Shapes: y_true, y_pred (..., C, ...) -> y_pred's shape without ``axis``.
    """
    t, p = _pair(y_true, y_pred)
    ax = _one_axis(axis, p)
    if label_smoothing:
        s = float(label_smoothing)
        t = ops.add(ops.multiply(t, 1.0 - s), s / p.shape[ax])
    logp = ops.log_softmax(p, ax) if from_logits else _log_probs(p, ax, epsilon)
    return ops.negative(ops.sum(ops.multiply(t, logp), axis=ax))


def sparse_categorical_crossentropy(y_true: Any, y_pred: Any, *, from_logits: bool = False, axis: int = -1,
                                    epsilon: float = EPSILON) -> Tensor:
    """Keras ``sparse_categorical_crossentropy``: ``-log p[label]`` along ``axis``.

    ``y_true``: integer class indices in ``[0, C)`` shaped like ``y_pred`` without ``axis`` (a
    trailing size-1 class axis is squeezed, as Keras does; integral floats are accepted).
    ``from_logits`` uses the fused, stable :func:`unidl.ops.softmax_cross_entropy`; otherwise
    ``y_pred`` holds probabilities, renormalised and clipped to [eps, 1 - eps] as in
    :func:`categorical_crossentropy`.
    Shapes: y_true (...), y_pred (..., C, ...) -> y_pred's shape without ``axis``.
    """
    p = _pred(y_pred)
    ax = _one_axis(axis, p)
    t = _sparse_labels(y_true, p, ax)
    if from_logits:
        return ops.softmax_cross_entropy(p, t, axis=ax, sparse=True)
    try:   # an out-of-range label is an error, as in Keras (pick's default, MXNet's 'clip', would hide it)
        return ops.negative(ops.pick(_log_probs(p, ax, epsilon), t, axis=ax, mode="raise"))
    except OpError as e:
        raise OpError("sparse_categorical_crossentropy", f"labels must be class indices in [0, {p.shape[ax]}) "
                      f"({e})", shapes=(t.shape, p.shape)) from None


def binary_crossentropy(y_true: Any, y_pred: Any, *, from_logits: bool = False, label_smoothing: float = 0.0,
                        axis: Axis = -1, epsilon: float = EPSILON) -> Tensor:
    """Keras ``binary_crossentropy``, averaged over ``axis``.

    Probabilities: ``o = clip(y_pred, eps, 1 - eps)``, ``-(t log o + (1 - t) log(1 - o))``.
    ``from_logits``: the stable ``max(x, 0) - x t + log(1 + exp(-|x|))``. ``label_smoothing``
    ``s``: ``t (1 - s) + s / 2``.
    Shapes: (...) -> mean over ``axis`` (``None``: elementwise).
    """
    t, p = _pair(y_true, y_pred)
    if label_smoothing:
        s = float(label_smoothing)
        t = ops.add(ops.multiply(t, 1.0 - s), 0.5 * s)
    if from_logits:
        return _mean(_bce_logits(t, p), axis)
    o = ops.clip(p, epsilon, 1.0 - epsilon)
    bce = ops.add(ops.multiply(t, ops.log(o)), ops.multiply(ops.subtract(1.0, t), ops.log(ops.subtract(1.0, o))))
    return _mean(ops.negative(bce), axis)


# -- regression ------------------------------------------------------------------------------------

def mean_squared_error(y_true: Any, y_pred: Any, *, axis: Axis = -1) -> Tensor:
    """``mean((y_true - y_pred)^2, axis)``. Shapes: (...) -> mean over ``axis``."""
    t, p = _pair(y_true, y_pred)
    return _mean(ops.square(ops.subtract(t, p)), axis)


def mean_absolute_error(y_true: Any, y_pred: Any, *, axis: Axis = -1) -> Tensor:
    """``mean(|y_true - y_pred|, axis)`` (also MXNet's ``L1Loss``). Shapes: (...) -> mean over ``axis``."""
    t, p = _pair(y_true, y_pred)
    return _mean(ops.abs(ops.subtract(t, p)), axis)


def mean_absolute_percentage_error(y_true: Any, y_pred: Any, *, axis: Axis = -1,
                                   epsilon: float = EPSILON) -> Tensor:
    """Keras MAPE: ``100 * mean(|(t - p) / max(|t|, eps)|, axis)``. Shapes: (...) -> mean over ``axis``."""
    t, p = _pair(y_true, y_pred)
    d = ops.abs(ops.divide(ops.subtract(t, p), ops.maximum(ops.abs(t), epsilon)))
    return ops.multiply(_mean(d, axis), 100.0)


def mean_squared_logarithmic_error(y_true: Any, y_pred: Any, *, axis: Axis = -1,
                                   epsilon: float = EPSILON) -> Tensor:
    """Keras MSLE: ``mean((log(max(p, eps) + 1) - log(max(t, eps) + 1))^2, axis)``."""
    t, p = _pair(y_true, y_pred)
    a = ops.log(ops.add(ops.maximum(p, epsilon), 1.0))
    b = ops.log(ops.add(ops.maximum(t, epsilon), 1.0))
    return _mean(ops.square(ops.subtract(a, b)), axis)


def huber(y_true: Any, y_pred: Any, *, delta: float = 1.0, axis: Axis = -1) -> Tensor:
    """Keras ``huber``: with ``e = y_pred - y_true``, ``0.5 e^2`` where ``|e| <= delta``, else
    ``delta |e| - 0.5 delta^2``; mean over ``axis``. (MXNet's ``HuberLoss(rho)`` is
    :func:`smooth_l1`, which equals this divided by ``delta``.)"""
    t, p = _pair(y_true, y_pred)
    d = float(delta)
    if d <= 0:
        raise ValueError(f"delta must be positive, got {delta}")
    e = ops.subtract(p, t)
    a = ops.abs(e)
    quad = ops.multiply(ops.square(e), 0.5)
    lin = ops.subtract(ops.multiply(a, d), 0.5 * d * d)
    return _mean(ops.where(ops.less_equal(a, d), quad, lin), axis)


def smooth_l1(y_true: Any, y_pred: Any, *, rho: float = 1.0, axis: Axis = -1) -> Tensor:
    """MXNet ``HuberLoss(rho)``: with ``a = |y_true - y_pred|``, ``a - rho/2`` where ``a > rho``,
    else ``a^2 / (2 rho)``; mean over ``axis``."""
    t, p = _pair(y_true, y_pred)
    r = float(rho)
    if r <= 0:
        raise ValueError(f"rho must be positive, got {rho}")
    a = ops.abs(ops.subtract(t, p))
    return _mean(ops.where(ops.greater(a, r), ops.subtract(a, 0.5 * r), ops.multiply(ops.square(a), 0.5 / r)), axis)


def log_cosh(y_true: Any, y_pred: Any, *, axis: Axis = -1) -> Tensor:
    """Keras ``log_cosh``: ``log(cosh(e))``, ``e = y_pred - y_true``, computed stably as
    ``e + softplus(-2 e) - log 2``; mean over ``axis``."""
    t, p = _pair(y_true, y_pred)
    e = ops.subtract(p, t)
    return _mean(ops.subtract(ops.add(e, ops.softplus(ops.multiply(e, -2.0))), _LOG2), axis)


def poisson(y_true: Any, y_pred: Any, *, axis: Axis = -1, epsilon: float = EPSILON) -> Tensor:
    """Keras ``poisson``: ``mean(y_pred - y_true * log(y_pred + eps), axis)``."""
    t, p = _pair(y_true, y_pred)
    return _mean(ops.subtract(p, ops.multiply(t, ops.log(ops.add(p, epsilon)))), axis)


# -- distributions ---------------------------------------------------------------------------------

def kl_divergence(y_true: Any, y_pred: Any, *, axis: int = -1, epsilon: float = EPSILON) -> Tensor:
    """Keras ``kl_divergence``: ``t = clip(y_true, eps, 1)``, ``p = clip(y_pred, eps, 1)``,
    ``sum(t * log(t / p), axis)``. Shapes: (..., C, ...) -> without ``axis``."""
    t, p = _pair(y_true, y_pred)
    ax = _one_axis(axis, p)
    t = ops.clip(t, epsilon, 1.0)
    p = ops.clip(p, epsilon, 1.0)
    return ops.sum(ops.multiply(t, ops.log(ops.divide(t, p))), axis=ax)


def cosine_similarity(y_true: Any, y_pred: Any, *, axis: int = -1, epsilon: float = EPSILON) -> Tensor:
    """Keras ``cosine_similarity`` loss: ``-sum(l2n(y_true) * l2n(y_pred), axis)`` with
    ``l2n(x) = x / max(||x||, eps)`` along ``axis`` (a zero vector gives 0).
    Shapes: (..., D, ...) -> without ``axis``."""
    t, p = _pair(y_true, y_pred)
    ax = _one_axis(axis, p)
    return ops.negative(ops.sum(ops.multiply(_l2_normalize(t, ax, epsilon), _l2_normalize(p, ax, epsilon)),
                                axis=ax))


# -- margins ---------------------------------------------------------------------------------------

def _signed(t: Tensor) -> Tensor:
    """Keras's ``convert_binary_labels_to_hinge``: if every label is 0 or 1, map to -1/+1 (on device)."""
    is_binary = ops.all(ops.logical_or(ops.equal(t, 0), ops.equal(t, 1)))
    return ops.where(is_binary, ops.subtract(ops.multiply(t, 2.0), 1.0), t)


def hinge(y_true: Any, y_pred: Any, *, margin: float = 1.0, binary_labels: bool = False,
          axis: Axis = -1) -> Tensor:
    """``mean(max(margin - y_true * y_pred, 0), axis)`` with labels in {-1, 1}.

    ``binary_labels=True`` (Keras's behaviour; the Keras frontend passes it) first maps 0/1 labels
    to -1/+1 when *all* labels are 0 or 1. MXNet's ``HingeLoss(margin)`` passes ``margin``.
    """
    t, p = _pair(y_true, y_pred)
    if binary_labels:
        t = _signed(t)
    return _mean(ops.maximum(ops.subtract(float(margin), ops.multiply(t, p)), 0.0), axis)


def squared_hinge(y_true: Any, y_pred: Any, *, margin: float = 1.0, binary_labels: bool = False,
                  axis: Axis = -1) -> Tensor:
    """``mean(max(margin - y_true * y_pred, 0)^2, axis)``; ``binary_labels`` as :func:`hinge`."""
    t, p = _pair(y_true, y_pred)
    if binary_labels:
        t = _signed(t)
    return _mean(ops.square(ops.maximum(ops.subtract(float(margin), ops.multiply(t, p)), 0.0)), axis)


def categorical_hinge(y_true: Any, y_pred: Any, *, axis: int = -1) -> Tensor:
    """Keras ``categorical_hinge``: ``max(max((1 - t) p, axis) - sum(t p, axis) + 1, 0)`` for
    one-hot ``t``. Shapes: (..., C, ...) -> without ``axis``."""
    t, p = _pair(y_true, y_pred)
    ax = _one_axis(axis, p)
    pos = ops.sum(ops.multiply(t, p), axis=ax)
    neg = ops.max(ops.multiply(ops.subtract(1.0, t), p), axis=ax)
    return ops.maximum(ops.add(ops.subtract(neg, pos), 1.0), 0.0)


# -- MXNet flavours --------------------------------------------------------------------------------

def l2_loss(y_true: Any, y_pred: Any, *, axis: Axis = -1) -> Tensor:
    """MXNet ``L2Loss``: ``mean(0.5 * (y_true - y_pred)^2, axis)`` (note the ½, which Keras's MSE
    lacks). MXNet's block averages over :func:`non_batch_axes`."""
    t, p = _pair(y_true, y_pred)
    return _mean(ops.multiply(ops.square(ops.subtract(t, p)), 0.5), axis)


def sigmoid_bce(y_true: Any, y_pred: Any, *, from_sigmoid: bool = False, pos_weight: Any = None,
                axis: Axis = -1) -> Tensor:
    """MXNet ``SigmoidBinaryCrossEntropyLoss``, mean over ``axis``.

    ``from_sigmoid=False`` (``y_pred`` are logits ``x``): ``max(x, 0) - x t + log(1 + exp(-|x|))``;
    with ``pos_weight`` ``w`` (broadcast with ``t``): ``x - x t + (1 + (w - 1) t)(log(1 + exp(-|x|))
    + max(-x, 0))``. ``from_sigmoid=True`` (``y_pred`` are probabilities ``p``):
    ``-(log(p + 1e-12) t [w] + log(1 - p + 1e-12)(1 - t))``. Shapes: (...) -> mean over ``axis``.
    """
    t, p = _pair(y_true, y_pred)
    w = None if pos_weight is None else as_tensor_like(pos_weight, p)
    if not from_sigmoid:
        if w is None:
            return _mean(_bce_logits(t, p), axis)
        pos = ops.greater_equal(p, 0)
        zero = ops.zeros_like(p)
        neg_abs = ops.where(pos, ops.negative(p), p)
        relu_neg = ops.where(pos, zero, ops.negative(p))
        log_weight = ops.add(ops.multiply(ops.subtract(w, 1.0), t), 1.0)
        loss = ops.add(ops.subtract(p, ops.multiply(p, t)),
                       ops.multiply(log_weight, ops.add(ops.softplus(neg_abs), relu_neg)))
        return _mean(loss, axis)
    eps = MXNET_BCE_EPS
    a = ops.multiply(ops.log(ops.add(p, eps)), t)
    if w is not None:
        a = ops.multiply(a, w)
    b = ops.multiply(ops.log(ops.add(ops.subtract(1.0, p), eps)), ops.subtract(1.0, t))
    return _mean(ops.negative(ops.add(a, b)), axis)


def softmax_ce(y_true: Any, y_pred: Any, *, axis: int = -1, sparse_label: bool = True,
               from_log_probs: bool = False) -> Tensor:
    """MXNet ``SoftmaxCrossEntropyLoss``: ``-sum(label * log_softmax(pred), axis)``.

    ``sparse_label=True``: ``y_true`` holds class indices shaped like ``y_pred`` without ``axis``
    (or with it as size 1); otherwise label distributions shaped like ``y_pred``.
    ``from_log_probs=True`` is MXNet's ``from_logits=True``: ``y_pred`` already holds
    log-probabilities, so the loss is ``-pick(y_pred, label)`` / ``-sum(y_pred * label)``.
    Otherwise the fused :func:`unidl.ops.softmax_cross_entropy` is used.
    Shapes: y_pred (..., C, ...) -> without ``axis`` (MXNet's block then averages the rest of the
    non-batch axes).
    """
    p = _pred(y_pred)
    ax = _one_axis(axis, p)
    if sparse_label:
        t = _sparse_labels(y_true, p, ax)
        if from_log_probs:
            return ops.negative(ops.pick(p, t, axis=ax))
        return ops.softmax_cross_entropy(p, t, axis=ax, sparse=True)
    t, p = _pair(y_true, p)
    if from_log_probs:
        return ops.negative(ops.sum(ops.multiply(p, t), axis=ax))
    return ops.softmax_cross_entropy(p, t, axis=ax, sparse=False)
