"""Connectionist temporal classification (CTC) loss (Graves et al. 2006), framework-neutral.

The forward algorithm runs in log space over the blank-extended label sequence
``[blank, l1, blank, l2, ..., lL, blank]`` (length ``S = 2L + 1``), one time step at a time, using only
:mod:`unidl.ops`, so autograd gives the gradient with respect to the log-probabilities.
"""
from __future__ import annotations

from typing import Any, Optional

from .. import ops
from ..creation import tensor
from ..tensor import Tensor

__all__ = ["ctc_loss"]

#: log(0) stand-in: finite so that masked-out paths give zero (not NaN) gradients
_LOG_ZERO = -1e30


def ctc_loss(log_probs: Tensor, labels: Any, input_lengths: Optional[Any] = None,
             label_lengths: Optional[Any] = None, *, blank: int = 0) -> Tensor:
    """Negative log-likelihood of each label sequence under per-frame class log-probabilities.

    Args:
        log_probs: (T, N, C) log-probabilities (e.g. ``log_softmax`` over C), float.
        labels: (N, L) integer class ids (float allowed); entries at or beyond a sample's label length
            are ignored, whatever their value.
        input_lengths: (N,) frames used per sample (default T each); frames past it are ignored.
        label_lengths: (N,) label length per sample (default L each).
        blank: the blank class id in ``[0, C)``.

    Returns:
        (N,) ``-log p(labels | log_probs)``; about ``1e30`` where no alignment exists (labels longer
        than the frames allow).
    """
    T, N, C = log_probs.shape
    dev = log_probs.device
    lab = labels if isinstance(labels, Tensor) else tensor(labels, device=dev)
    lab = ops.astype(lab, "int64")
    if lab.ndim != 2 or lab.shape[0] != N:
        raise ValueError(f"ctc_loss: labels must have shape (N={N}, L), got {lab.shape}")
    L = lab.shape[1]
    S = 2 * L + 1
    lab_len = (tensor([L] * N, dtype="int64", device=dev) if label_lengths is None
               else ops.astype(label_lengths if isinstance(label_lengths, Tensor)
                               else tensor(label_lengths, device=dev), "int64"))
    in_len = (None if input_lengths is None
              else ops.astype(input_lengths if isinstance(input_lengths, Tensor)
                              else tensor(input_lengths, device=dev), "int64"))
    # ignored label entries become the blank, so every index into the C classes is valid
    pos = tensor(list(range(L)), dtype="int64", device=dev)
    valid = ops.less(ops.reshape(pos, (1, L)), ops.reshape(lab_len, (N, 1)))
    blanks = ops.full_like(lab, blank)
    lab = ops.where(valid, lab, blanks)
    # extended labels (N, S): blank, l1, blank, l2, ..., blank
    ext = ops.concatenate([ops.reshape(ops.stack([blanks, lab], axis=2), (N, 2 * L)),
                           ops.full_like(ops.getitem(lab, (slice(None), slice(0, 1))), blank)], axis=1) \
        if L else ops.full_like(ops.reshape(lab_len, (N, 1)), blank)
    # skipping a blank (s-2 -> s) is allowed onto a label position (odd s) whose label differs from the one
    # two back (by position, as PyTorch/cuDNN: a label entry equal to the blank id counts as a label)
    if S > 2:
        prev2 = ops.getitem(ext, (slice(None), slice(0, S - 2)))
        cur = ops.getitem(ext, (slice(None), slice(2, S)))
        odd = tensor([(s % 2 == 1) for s in range(2, S)], dtype="bool", device=dev)
        skip = ops.logical_and(ops.reshape(odd, (1, S - 2)), ops.not_equal(cur, prev2))
        skip = ops.concatenate([ops.full_like(ops.getitem(skip, (slice(None), slice(0, 2))), False), skip], axis=1)
    else:
        skip = None
    # per-frame log-probabilities of the extended labels: (T, N, S)
    lp = ops.take_along_axis(log_probs, ops.broadcast_to(ops.reshape(ext, (1, N, S)), (T, N, S)), axis=2)
    neg = ops.full_like(ops.getitem(lp, 0), _LOG_ZERO)
    s_idx = ops.reshape(tensor(list(range(S)), dtype="int64", device=dev), (1, S))
    alpha = ops.where(ops.less(s_idx, 2), ops.getitem(lp, 0), neg)
    neg1 = ops.getitem(neg, (slice(None), slice(0, 1)))
    neg2 = ops.getitem(neg, (slice(None), slice(0, min(2, S))))
    for t in range(1, T):
        a1 = ops.concatenate([neg1, ops.getitem(alpha, (slice(None), slice(0, S - 1)))], axis=1)
        terms = [alpha, a1]
        if skip is not None:
            a2 = ops.concatenate([neg2, ops.getitem(alpha, (slice(None), slice(0, S - 2)))], axis=1)
            terms.append(ops.where(skip, a2, neg))
        new = ops.add(ops.logsumexp(ops.stack(terms, axis=0), axis=0), ops.getitem(lp, t))
        if in_len is not None:  # frames past a sample's length leave its alpha unchanged
            new = ops.where(ops.less(t, ops.reshape(in_len, (N, 1))), new, alpha)
        alpha = new
    # end in the last label or the trailing blank: positions 2*len and 2*len - 1
    last = ops.reshape(ops.multiply(lab_len, 2), (N, 1))
    end_blank = ops.take_along_axis(alpha, last, axis=1)
    end_label = ops.take_along_axis(alpha, ops.maximum(ops.subtract(last, 1), 0), axis=1)
    end_label = ops.where(ops.greater(last, 0), end_label, ops.full_like(end_label, _LOG_ZERO))
    ll = ops.logsumexp(ops.concatenate([end_blank, end_label], axis=1), axis=1)
    return ops.negative(ll)
