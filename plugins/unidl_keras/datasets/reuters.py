"""Reuters newswire topics from the cached ``reuters.npz`` (word-index sequences, 46 topic labels).

The sequences are object arrays in the npz; they are read with :mod:`._safe_pickle` (NumPy arrays
only, never an arbitrary pickled callable).
"""
from __future__ import annotations

import json
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from . import _safe_pickle
from ._cache import TF_DATASETS, get_file

#: topic names in label order (label ``i`` is ``get_label_names()[i]``)
_LABEL_NAMES = (
    "cocoa", "grain", "veg-oil", "earn", "acq", "wheat", "copper", "housing", "money-supply", "coffee",
    "sugar", "trade", "reserves", "ship", "cotton", "carcass", "crude", "nat-gas", "cpi", "money-fx",
    "interest", "gnp", "meal-feed", "alum", "oilseed", "gold", "tin", "strategic-metal", "livestock",
    "retail", "ipi", "iron-steel", "rubber", "heat", "jobs", "lei", "bop", "zinc", "orange", "pet-chem",
    "dlr", "gas", "silver", "wpi", "hog", "lead",
)


def load_data(path: str = "reuters.npz", num_words: Optional[int] = None, skip_top: int = 0,
              maxlen: Optional[int] = None, test_split: float = 0.2, seed: int = 113,
              start_char: Optional[int] = 1, oov_char: Optional[int] = 2, index_from: int = 3
              ) -> Tuple[Tuple[np.ndarray, np.ndarray], Tuple[np.ndarray, np.ndarray]]:
    """``(x_train, y_train), (x_test, y_test)``: x object arrays of int lists, y int arrays (N,).

    As Keras: all samples are shuffled with ``np.random.RandomState(seed)``; word indices are shifted
    by ``index_from`` and each sequence starts with ``start_char``; sequences of ``maxlen`` words or
    more are dropped; words outside ``[skip_top, num_words)`` become ``oov_char`` (or are removed when
    ``oov_char`` is None); the first ``int(n * (1 - test_split))`` samples are the training split.
    """
    local = get_file(fname=path, origin=TF_DATASETS + "reuters.npz")
    f = _safe_pickle.load_npz(local)
    xs, labels = f["x"], f["y"]
    order = np.arange(len(xs))
    np.random.RandomState(seed).shuffle(order)
    xs, labels = xs[order], labels[order]

    if start_char is not None:
        seqs: List[List[int]] = [[start_char] + [int(w) + index_from for w in x] for x in xs]
    else:
        seqs = [[int(w) + index_from for w in x] for x in xs]
    if maxlen:
        keep = [i for i, x in enumerate(seqs) if len(x) < maxlen]
        seqs, labels = [seqs[i] for i in keep], labels[keep]
    if not num_words:
        num_words = max(max(x) for x in seqs)
    if oov_char is not None:
        seqs = [[w if skip_top <= w < num_words else oov_char for w in x] for x in seqs]
    else:
        seqs = [[w for w in x if skip_top <= w < num_words] for x in seqs]

    n_train = int(len(seqs) * (1 - test_split))
    return ((np.array(seqs[:n_train], dtype="object"), np.array(labels[:n_train])),
            (np.array(seqs[n_train:], dtype="object"), np.array(labels[n_train:])))


def get_word_index(path: str = "reuters_word_index.json") -> Dict[str, int]:
    """The word -> index dictionary from the cached ``reuters_word_index.json``."""
    local = get_file(fname=path, origin=TF_DATASETS + "reuters_word_index.json")
    with open(local, encoding="utf8") as f:
        return json.load(f)


def get_label_names() -> Tuple[str, ...]:
    """The 46 topic names, indexed like the labels."""
    return _LABEL_NAMES
