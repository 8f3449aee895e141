"""Loss math beyond :mod:`unidl.nn.losses`, same conventions (per sample, ``(y_true, y_pred)``,
framework-neutral; callers reduce over the batch)."""
from __future__ import annotations

import math
from typing import Any

from .. import ops
from ..tensor import Tensor
from .losses import EPSILON, Axis, _bce_logits, _mean, _one_axis, _pair, _pred, binary_crossentropy

__all__ = ["binary_focal_crossentropy", "logistic_loss", "kl_divergence_log_input", "triplet_loss", "poisson_nll",
           "cosine_embedding_loss", "sdml_loss"]

#: the epsilon MXNet adds inside ``log(label + eps)`` (KLDivLoss) and to the norm product (CosineEmbeddingLoss)
MXNET_EPS = 1e-12


def binary_focal_crossentropy(y_true: Any, y_pred: Any, *, apply_class_balancing: bool = False, alpha: float = 0.25,
                              gamma: float = 2.0, from_logits: bool = False, label_smoothing: float = 0.0,
                              axis: Axis = -1, epsilon: float = EPSILON) -> Tensor:
    """Keras ``binary_focal_crossentropy`` (Lin et al. 2017), averaged over ``axis``.

    With ``t`` the (smoothed: ``t (1 - s) + s / 2``) label and ``p`` the probability
    (``sigmoid(y_pred)`` when ``from_logits``), the elementwise loss is
    ``(1 - p_t)^gamma * bce(t, p)`` where ``p_t = t p + (1 - t)(1 - p)`` and ``bce`` is the clipped
    binary crossentropy of :func:`unidl.nn.losses.binary_crossentropy`; ``apply_class_balancing``
    multiplies by ``alpha t + (1 - alpha)(1 - t)``.
    Shapes: (...) -> mean over ``axis`` (``None``: elementwise).
    """
    t, p = _pair(y_true, y_pred)
    if label_smoothing:
        s = float(label_smoothing)
        t = ops.add(ops.multiply(t, 1.0 - s), 0.5 * s)
    if from_logits:
        p = ops.sigmoid(p)
    bce = binary_crossentropy(t, p, axis=None, epsilon=epsilon)
    p_t = ops.add(ops.multiply(t, p), ops.multiply(ops.subtract(1.0, t), ops.subtract(1.0, p)))
    loss = ops.multiply(ops.power(ops.subtract(1.0, p_t), float(gamma)), bce)
    if apply_class_balancing:
        a = float(alpha)
        loss = ops.multiply(ops.add(ops.multiply(t, a), ops.multiply(ops.subtract(1.0, t), 1.0 - a)), loss)
    return _mean(loss, axis)


# -- MXNet flavours ----------------------------------------------------------------------------------------

def logistic_loss(y_true: Any, y_pred: Any, *, label_format: str = "signed", axis: Axis = -1) -> Tensor:
    """MXNet ``LogisticLoss``: ``relu(x) - x t + log(1 + exp(-|x|))`` on logits ``x`` (the stable binary
    cross-entropy), with labels ``t`` in {0, 1} (``label_format='binary'``) or {-1, 1} (``'signed'``,
    mapped to ``(t + 1) / 2``). Shapes: (...) -> mean over ``axis`` (``None``: elementwise)."""
    if label_format not in ("signed", "binary"):
        raise ValueError(f"label_format can only be signed or binary, got {label_format!r}")
    t, p = _pair(y_true, y_pred)
    if label_format == "signed":
        t = ops.multiply(ops.add(t, 1.0), 0.5)
    return _mean(_bce_logits(t, p), axis)


def kl_divergence_log_input(y_true: Any, log_pred: Any, *, epsilon: float = MXNET_EPS) -> Tensor:
    """MXNet ``KLDivLoss`` elementwise term ``t * (log(t + eps) - log_pred)`` with ``log_pred`` holding
    log-probabilities (the caller sums it over the non-batch axes). Shapes: (...) -> same."""
    t, lp = _pair(y_true, log_pred)
    return ops.multiply(t, ops.subtract(ops.log(ops.add(t, float(epsilon))), lp))


def triplet_loss(anchor: Any, positive: Any, negative: Any, *, margin: float = 1.0, axis: Axis = -1) -> Tensor:
    """MXNet ``TripletLoss``: ``relu(sum((positive - anchor)^2 - (negative - anchor)^2, axis) + margin)``.
    Shapes: three arrays of one shape (...) -> the shape without ``axis`` (an int or a tuple of ints)."""
    a = _pred(anchor)
    pos, _ = _pair(positive, a)
    neg, _ = _pair(negative, a)
    if pos.shape != a.shape or neg.shape != a.shape:
        raise ValueError(f"triplet_loss: anchor, positive and negative must have one shape, got {a.shape}, "
                         f"{pos.shape} and {neg.shape}")
    d = ops.subtract(ops.square(ops.subtract(pos, a)), ops.square(ops.subtract(neg, a)))
    return ops.relu(ops.add(ops.sum(d, axis=axis), float(margin)))


def poisson_nll(y_true: Any, y_pred: Any, *, from_logits: bool = True, compute_full: bool = False,
                epsilon: float = 1e-8) -> Tensor:
    """MXNet ``PoissonNLLLoss`` elementwise: ``exp(x) - t x`` for log-rates ``x`` (``from_logits``), else
    ``p - t log(p + eps)`` for rates ``p``; ``compute_full`` adds Stirling's term
    ``t log t - t + 0.5 log(2 pi t)`` where ``t > 1``. Shapes: (...) -> same."""
    t, p = _pair(y_true, y_pred)
    if from_logits:
        loss = ops.subtract(ops.exp(p), ops.multiply(t, p))
    else:
        loss = ops.subtract(p, ops.multiply(t, ops.log(ops.add(p, float(epsilon)))))
    if compute_full:
        big = ops.greater(t, 1.0)
        safe = ops.where(big, t, ops.ones_like(t))  # the term is 0 for t <= 1; avoid log(0) there
        stirling = ops.add(ops.subtract(ops.multiply(safe, ops.log(safe)), safe),
                           ops.multiply(ops.log(ops.multiply(safe, 2.0 * math.pi)), 0.5))
        loss = ops.add(loss, ops.where(big, stirling, ops.zeros_like(t)))
    return loss


def cosine_embedding_loss(x1: Any, x2: Any, label: Any, *, margin: float = 0.0, axis: int = -1,
                          epsilon: float = MXNET_EPS) -> Tensor:
    """MXNet ``CosineEmbeddingLoss``: with ``c = <x1, x2> / max(|x1| |x2|, eps)`` along ``axis``,
    ``1 - c`` where ``label == 1``, ``max(0, c - margin)`` where ``label == -1``, 0 otherwise.
    Shapes: x1, x2 (..., D, ...), label shaped like them without ``axis`` -> that shape."""
    a, b = _pair(x1, x2)
    ax = _one_axis(axis, b)
    t = label if isinstance(label, Tensor) else Tensor._from_any(label, b.device)
    want = b.shape[:ax] + b.shape[ax + 1:]
    if tuple(t.shape) != want:
        t = ops.reshape(t, want)
    t = ops.astype(t, b.dtype) if t.dtype != b.dtype else t
    norms = ops.multiply(ops.sqrt(ops.sum(ops.square(a), axis=ax)), ops.sqrt(ops.sum(ops.square(b), axis=ax)))
    c = ops.divide(ops.sum(ops.multiply(a, b), axis=ax), ops.maximum(norms, float(epsilon)))
    zero = ops.zeros_like(c)
    pos = ops.where(ops.equal(t, 1.0), ops.subtract(1.0, c), zero)
    neg = ops.maximum(zero, ops.multiply(ops.astype(ops.equal(t, -1.0), c.dtype), ops.subtract(c, float(margin))))
    return ops.add(pos, neg)


def sdml_loss(x1: Any, x2: Any, *, smoothing_parameter: float = 0.3) -> Tensor:
    """MXNet ``SDMLLoss`` (smoothed deep metric learning): row ``i`` of ``x1`` should be nearest to row ``i``
    of ``x2``. With ``d_ij = |x1_i - x2_j|^2`` and smoothed identity labels (``1 - s`` on the diagonal,
    ``s / (N - 1)`` elsewhere), the loss of row ``i`` is ``KL(labels_i || softmax(-d_i))``.
    Shapes: x1, x2 (N, D) with N >= 2 -> (N,)."""
    a, b = _pair(x1, x2)
    if a.ndim != 2 or a.shape != b.shape or a.shape[0] < 2:
        raise ValueError(f"sdml_loss: expected x1 and x2 of one shape (N, D) with N >= 2, got {a.shape} and "
                         f"{b.shape}")
    n = a.shape[0]
    d = ops.sum(ops.square(ops.subtract(ops.expand_dims(a, 1), ops.expand_dims(b, 0))), axis=2)
    log_p = ops.log_softmax(ops.negative(d), axis=1)
    s = float(smoothing_parameter)
    from ..creation import eye

    gold = ops.astype(eye(n, device=a.device), a.dtype)
    labels = ops.add(ops.multiply(gold, 1.0 - s), ops.multiply(ops.subtract(1.0, gold), s / (n - 1)))
    return ops.sum(kl_divergence_log_input(labels, log_p), axis=1)
