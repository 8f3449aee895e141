"""Loss math beyond :mod:`unidl.nn.losses`, same conventions (per sample, ``(y_true, y_pred)``,
framework-neutral; callers reduce over the batch)."""
from __future__ import annotations

import math
from typing import Any

from .. import ops
from ..tensor import Tensor
from .losses import EPSILON, Axis, _bce_logits, _mean, _one_axis, _pair, _pred, binary_crossentropy

__all__ = ["binary_focal_crossentropy", "categorical_focal_crossentropy", "dice", "tversky", "circle",
           "pos_neg_masks", "categorical_generalized_cross_entropy", "logistic_loss", "kl_divergence_log_input", "triplet_loss", "poisson_nll",
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


def categorical_focal_crossentropy(y_true: Any, y_pred: Any, *, alpha: float = 0.25, gamma: float = 2.0,
                                   from_logits: bool = False, label_smoothing: float = 0.0, axis: int = -1,
                                   epsilon: float = EPSILON) -> Tensor:
    """Keras ``categorical_focal_crossentropy``: ``sum(alpha (1 - p)^gamma * (-t log p), axis)``.

    ``t`` smoothed as ``t (1 - s) + s / C``; ``p = softmax(y_pred)`` when ``from_logits``, then
    renormalised along ``axis`` and clipped to [eps, 1 - eps]. Shapes: (..., C) -> (...).
    """
    t, p = _pair(y_true, y_pred)
    if label_smoothing:
        s = float(label_smoothing)
        t = ops.add(ops.multiply(t, 1.0 - s), s / t.shape[-1])
    if from_logits:
        p = ops.softmax(p, axis=axis)
    out = ops.clip(ops.divide(p, ops.sum(p, axis=axis, keepdims=True)), float(epsilon), 1.0 - float(epsilon))
    cce = ops.multiply(ops.negative(t), ops.log(out))
    weight = ops.multiply(ops.power(ops.subtract(1.0, out), float(gamma)), float(alpha))
    return ops.sum(ops.multiply(weight, cce), axis=axis)


def dice(y_true: Any, y_pred: Any, *, axis: Axis = None, epsilon: float = EPSILON) -> Tensor:
    """Keras ``dice``: ``1 - 2 sum(t p) / (sum(t) + sum(p) + eps)`` over ``axis`` (None: all elements)."""
    t, p = _pair(y_true, y_pred)
    inter = ops.sum(ops.multiply(t, p), axis=axis)
    den = ops.add(ops.add(ops.sum(t, axis=axis), ops.sum(p, axis=axis)), float(epsilon))
    return ops.subtract(1.0, ops.divide(ops.multiply(inter, 2.0), den))


def tversky(y_true: Any, y_pred: Any, *, alpha: float = 0.5, beta: float = 0.5, axis: Axis = None,
            epsilon: float = EPSILON) -> Tensor:
    """Keras ``tversky``: ``1 - TP / (TP + alpha FP + beta FN + eps)`` with ``TP = sum(t p)``,
    ``FP = sum((1 - p) t)``, ``FN = sum(p (1 - t))`` over ``axis`` (None: all elements)."""
    t, p = _pair(y_true, y_pred)
    inter = ops.sum(ops.multiply(t, p), axis=axis)
    fp = ops.sum(ops.multiply(ops.subtract(1.0, p), t), axis=axis)
    fn = ops.sum(ops.multiply(p, ops.subtract(1.0, t)), axis=axis)
    den = ops.add(ops.add(ops.add(inter, ops.multiply(fp, float(alpha))), ops.multiply(fn, float(beta))),
                  float(epsilon))
    return ops.subtract(1.0, ops.divide(inter, den))


def pos_neg_masks(query_labels: Tensor, key_labels: Tensor, *, remove_diagonal: bool = True):
    """``(positive, negative)`` boolean (Nq, Nk) masks: same label / different label; ``remove_diagonal``
    drops the (i, i) pairs from the positives."""
    q = ops.reshape(query_labels, (-1, 1))
    k = ops.reshape(key_labels, (1, -1))
    pos = ops.equal(q, k)
    neg = ops.logical_not(pos)
    if remove_diagonal:
        from ..creation import eye

        nq, nk = pos.shape
        diag = ops.astype(eye(nq, nk, device=pos.device), "bool")
        pos = ops.logical_and(pos, ops.logical_not(diag))
    return pos, neg


def circle(y_true: Any, y_pred: Any, *, ref_labels: Any = None, ref_embeddings: Any = None,
           remove_diagonal: bool = True, gamma: float = 80.0, margin: float = 0.4) -> Tensor:
    """Keras ``circle`` loss (Sun et al. 2020) on L2-normalised embeddings ``y_pred`` (N, D) with integer
    labels ``y_true`` (N,), against ``ref_embeddings``/``ref_labels`` (default: the batch itself).

    With ``d = max(1 - y_pred ref^T, 0)``: ``p = logsumexp(-gamma max(m + d, 0) (m - d))`` over the positive
    pairs, ``n = logsumexp(gamma max(1 + m - d, 0) (1 - m - d))`` over the negatives; the loss is
    ``softplus(p + n)``. Shape: (N,). Rows without a positive or a negative pair give 0.
    """
    emb = _pred(y_pred)
    labels = ops.astype(y_true if isinstance(y_true, Tensor) else _pred(y_true), "int32")
    ref = emb if ref_embeddings is None else _pred(ref_embeddings)
    ref_lab = labels if ref_labels is None else ops.astype(_pred(ref_labels), "int32")
    m = float(margin)
    g = float(gamma)
    dist = ops.maximum(ops.subtract(1.0, ops.matmul(emb, ops.transpose(ref))), 0.0)
    pos, neg = pos_neg_masks(labels, ref_lab, remove_diagonal=remove_diagonal)
    posf = ops.astype(pos, dist.dtype)
    negf = ops.astype(neg, dist.dtype)
    pos_w = ops.maximum(ops.multiply(ops.add(dist, m), posf), 0.0)
    neg_w = ops.maximum(ops.multiply(ops.subtract(1.0 + m, dist), negf), 0.0)
    pos_wd = ops.multiply(ops.multiply(pos_w, -1.0 * g), ops.subtract(m, dist))
    neg_wd = ops.multiply(ops.multiply(neg_w, g), ops.subtract(1.0 - m, dist))
    ninf = float("-inf")
    p_loss = ops.logsumexp(ops.where(pos, pos_wd, ninf), axis=1)
    n_loss = ops.logsumexp(ops.where(neg, neg_wd, ninf), axis=1)
    return ops.softplus(ops.add(p_loss, n_loss))


def categorical_generalized_cross_entropy(y_true: Any, y_pred: Any, *, q: float) -> Tensor:
    """Keras ``categorical_generalized_cross_entropy`` (Zhang & Sabuncu 2018): ``(1 - p_y^q) / q`` with
    ``p_y`` the predicted probability of the integer label. Shapes: y_true (...), y_pred (..., C) -> (...)."""
    p = _pred(y_pred)
    lab = ops.astype(y_true if isinstance(y_true, Tensor) else _pred(y_true), "int64")
    onehot = ops.astype(ops.one_hot(lab, p.shape[-1]), p.dtype)
    py = ops.sum(ops.multiply(p, onehot), axis=-1)
    return ops.divide(ops.subtract(1.0, ops.power(py, float(q))), float(q))


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
