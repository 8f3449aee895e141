"""IMDB movie-review sentiment from the cached ``imdb.npz`` (word-index sequences, 0/1 labels).

The sequences are object arrays in the npz; they are read with :mod:`._safe_pickle`.
"""
from __future__ import annotations

import json
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from . import _safe_pickle
from ._cache import TF_DATASETS, get_file


def _object_array(seqs: List[List[int]]) -> np.ndarray:
    out = np.empty(len(seqs), dtype=object)
    for i, s in enumerate(seqs):
        out[i] = s
    return out


def _drop_long(maxlen: int, xs: List[List[int]], labels: np.ndarray) -> Tuple[List[List[int]], np.ndarray]:
    keep = [i for i, x in enumerate(xs) if len(x) < maxlen]
    return [xs[i] for i in keep], labels[keep]


def load_data(path: str = "imdb.npz", num_words: Optional[int] = None, skip_top: int = 0,
              maxlen: Optional[int] = None, seed: int = 113, start_char: Optional[int] = 1,
              oov_char: Optional[int] = 2, index_from: int = 3, **kwargs: Any
              ) -> Tuple[Tuple[np.ndarray, np.ndarray], Tuple[np.ndarray, np.ndarray]]:
    """``(x_train, y_train), (x_test, y_test)``: x object arrays of int lists, y int arrays (N,).

    As Keras: each split is shuffled with ``np.random.RandomState(seed)``; word indices are shifted
    by ``index_from`` and each sequence starts with ``start_char``; sequences of ``maxlen`` words or
    more are dropped; words outside ``[skip_top, num_words)`` become ``oov_char`` (or are removed
    when ``oov_char`` is None). ``num_words`` defaults to the largest index present.
    """
    if kwargs:
        raise TypeError(f"Unrecognized keyword arguments: {sorted(kwargs)}")
    local = get_file(fname=path, origin=TF_DATASETS + "imdb.npz")
    f = _safe_pickle.load_npz(local)
    x_train, labels_train = f["x_train"], f["y_train"]
    x_test, labels_test = f["x_test"], f["y_test"]

    rng = np.random.RandomState(seed)
    idx = np.arange(len(x_train))
    rng.shuffle(idx)
    x_train, labels_train = x_train[idx], labels_train[idx]
    idx = np.arange(len(x_test))
    rng.shuffle(idx)
    x_test, labels_test = x_test[idx], labels_test[idx]

    def shift(xs: np.ndarray) -> List[List[int]]:
        if start_char is not None:
            return [[start_char] + [int(w) + index_from for w in x] for x in xs]
        return [[int(w) + index_from for w in x] for x in xs]

    tr, te = shift(x_train), shift(x_test)
    if maxlen:
        tr, labels_train = _drop_long(maxlen, tr, labels_train)
        te, labels_test = _drop_long(maxlen, te, labels_test)
        if not tr or not te:
            raise ValueError(f"After filtering for sequences shorter than maxlen={maxlen}, no sequence was kept "
                             "in the train or the test set. Increase maxlen.")
    xs = tr + te
    labels = np.concatenate([labels_train, labels_test])
    if not num_words:
        num_words = max((max(x) for x in xs if x), default=0)
    if oov_char is not None:
        xs = [[w if skip_top <= w < num_words else oov_char for w in x] for x in xs]
    else:
        xs = [[w for w in x if skip_top <= w < num_words] for x in xs]
    n = len(tr)
    return (_object_array(xs[:n]), labels[:n]), (_object_array(xs[n:]), labels[n:])


def get_word_index(path: str = "imdb_word_index.json") -> Dict[str, int]:
    """The word -> index dictionary from the cached ``imdb_word_index.json``."""
    local = get_file(fname=path, origin=TF_DATASETS + "imdb_word_index.json")
    with open(local, encoding="utf8") as f:
        return json.load(f)
