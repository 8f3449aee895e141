"""CTC decoding: greedy (best path) and beam search, framework-neutral.

Greedy decoding is tensor ops. Beam search is a search: its bookkeeping (paths, de-duplication, pruning)
depends on values at every step, so it runs on a host copy of the log-probabilities, one sample at a
time, as Keras's PyTorch backend does. It follows that backend's algorithm step for step (the port of
JAX's fixed-size beam search): classes are flipped so ties break alike, each step extends every beam
by every class, merges equal paths (hash-sorted de-duplication) in log space keeping separate
"ended in blank" and "ended in a label" scores, and keeps the ``beam_width`` best. Decoded paths hold
-1 for blanks/padding.
"""
from __future__ import annotations

from typing import Any, Optional, Tuple

import numpy as np

from .. import ops
from ..creation import tensor
from ..tensor import Tensor

__all__ = ["ctc_greedy_decode", "ctc_beam_search_decode"]

_PAD = -1
_KNUTH = np.int64(2654435769)


def _as_int_lengths(sequence_lengths: Any, like: Tensor) -> Tensor:
    t = sequence_lengths if isinstance(sequence_lengths, Tensor) else tensor(np.asarray(sequence_lengths),
                                                                             device=like.device)
    return ops.astype(t, "int32")


def ctc_greedy_decode(inputs: Tensor, sequence_lengths: Any, merge_repeated: bool = True,
                      mask_index: Optional[int] = None) -> Tuple[Tensor, Tensor]:
    """Best-path decoding of ``inputs`` (B, T, C) scores: the arg-max class per frame, frames past each
    sequence length blanked, repeats merged (when ``merge_repeated``), blanks (``mask_index``, default
    ``C - 1``) dropped to the end as -1. Returns ``(decoded (1, B, T) int32, -sum of the max scores (B, 1))``."""
    b, t, c = inputs.shape
    mask = c - 1 if mask_index is None else int(mask_index)
    lens = _as_int_lengths(sequence_lengths, inputs)
    idx = ops.astype(ops.argmax(inputs, axis=-1), "int32")
    scores = ops.max(inputs, axis=-1)
    steps = ops.reshape(tensor(np.arange(t, dtype=np.int32), device=inputs.device), (1, t))
    past = ops.greater_equal(steps, ops.reshape(lens, (b, 1)))
    idx = ops.where(past, ops.full_like(idx, mask), idx)
    scores = ops.where(past, ops.zeros_like(scores), scores)
    if merge_repeated and t > 1:
        rep = ops.equal(idx[:, 1:], idx[:, :-1])
        rep = ops.concatenate([ops.zeros_like(rep[:, :1]), rep], axis=1)
        idx = ops.where(rep, ops.full_like(idx, mask), idx)
    blank = ops.equal(idx, mask)
    idx = ops.where(blank, ops.full_like(idx, _PAD), idx)
    order = ops.where(blank, ops.full_like(ops.broadcast_to(steps, (b, t)), t), ops.broadcast_to(steps, (b, t)))
    order = ops.argsort(order, -1)  # blanks to the end, the rest in time order
    idx = ops.take_along_axis(idx, order, -1)
    return ops.expand_dims(idx, 0), ops.negative(ops.sum(scores, axis=1, keepdims=True))


def _unique_padded(paths: np.ndarray, size: int) -> Tuple[np.ndarray, np.ndarray]:
    n, t = paths.shape
    p = paths.astype(np.int64) + 1
    with np.errstate(over="ignore"):
        powers = _KNUTH ** np.arange(t, dtype=np.int64)
        hashes = (p * powers).sum(axis=1)
    order = np.argsort(hashes, kind="stable")
    sp, sh = paths[order], hashes[order]
    dup = (sh[1:] == sh[:-1]) & (sp[1:] == sp[:-1]).all(axis=1)
    first = np.concatenate([[True], ~dup])
    inverse = np.empty(n, dtype=np.int64)
    inverse[order] = np.cumsum(first) - 1
    unique = sp[first]
    if unique.shape[0] < size:
        unique = np.concatenate([unique, np.full((size - unique.shape[0], t), _PAD, dtype=unique.dtype)])
    return unique, inverse


def _merge_scores(inverse: np.ndarray, scores: np.ndarray, n: int) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        m = scores.max()
        out = np.zeros(n, dtype=scores.dtype)
        np.add.at(out, inverse, np.exp(scores - m))
        return np.log(out) + m


def _extend(paths: np.ndarray, scores: np.ndarray, masked: np.ndarray, x: np.ndarray, c: int,
            mask: int) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    paths = np.repeat(paths, c, axis=0)
    scores = np.repeat(scores, c)
    prev_masked = np.repeat(masked, c)
    rows = np.arange(paths.shape[0])
    tail = (paths == _PAD).argmax(axis=1)
    tails = np.where(tail == 0, _PAD, paths[rows, tail - 1])
    classes = np.arange(c, dtype=paths.dtype)
    classes[mask] = _PAD
    classes = np.tile(classes, paths.shape[0] // c)
    masked = classes == _PAD
    classes = np.where(~prev_masked & (tails == classes), _PAD, classes)
    paths[rows, tail] = classes
    return paths, scores + np.tile(x, paths.shape[0] // c), masked


def _prune(paths: np.ndarray, scores: np.ndarray, masked: np.ndarray, c: int,
           width: int) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    uniq, inv = _unique_padded(paths, 2 * c * width)
    emit = _merge_scores(inv, np.where(masked, -np.inf, scores), uniq.shape[0])
    blank = _merge_scores(inv, np.where(masked, scores, -np.inf), uniq.shape[0])
    top = np.argsort(np.logaddexp(emit, blank), kind="stable")[-width:]
    paths = np.tile(uniq[top], (2, 1))
    return paths, np.concatenate([emit[top], blank[top]]), np.repeat([False, True], width)


def ctc_beam_search_decode(inputs: Tensor, sequence_lengths: Any, beam_width: int = 100, top_paths: int = 1,
                           mask_index: Optional[int] = None) -> Tuple[Tensor, Tensor]:
    """Beam-search decoding of ``inputs`` (B, T, C) logits (log-softmaxed here). Returns ``(decoded
    (top_paths, B, T) int32 with -1 padding, log-probabilities (B, top_paths))`` of the best paths."""
    b, t, c = inputs.shape
    logp = ops.log_softmax(inputs, axis=-1).numpy()[:, :, ::-1]  # flipped classes: JAX's tie-breaking
    mask = c - (c - 1 if mask_index is None else int(mask_index)) - 1
    lens = np.asarray(_as_int_lengths(sequence_lengths, inputs).numpy()).reshape(-1)
    width, n_init = int(beam_width), min(c, int(beam_width))
    all_paths, all_scores = [], []
    for i in range(b):
        x = logp[i]
        paths = np.full((2 * width, t), _PAD, dtype=np.int32)
        best = np.argsort(x[0], kind="stable")[-n_init:]
        paths[:n_init, 0] = np.where(best == mask, _PAD, best)
        scores = np.full((2 * width,), -np.inf, dtype=logp.dtype)
        scores[:n_init] = x[0, best]
        masked = paths[:, 0] == _PAD
        for step in range(1, int(lens[i])):
            paths, scores, masked = _extend(paths, scores, masked, x[step], c, mask)
            paths, scores, masked = _prune(paths, scores, masked, c, width)
        uniq, inv = _unique_padded(paths, 2 * c * width)
        merged = _merge_scores(inv, scores, uniq.shape[0])
        top = np.argsort(merged, kind="stable")[-int(top_paths):][::-1]
        all_paths.append(uniq[top])
        all_scores.append(merged[top])
    paths = np.stack(all_paths)
    paths = np.where(paths == _PAD, _PAD, c - paths - 1).astype(np.int32).transpose(1, 0, 2)
    dev = inputs.device
    return tensor(np.ascontiguousarray(paths), device=dev), tensor(np.stack(all_scores).astype(logp.dtype), device=dev)
