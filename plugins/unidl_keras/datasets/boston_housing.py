"""Boston Housing regression data from the cached ``boston_housing.npz`` (13 features, price in k$).

As Keras: the rows are shuffled with ``np.random.RandomState(seed)`` and the first
``int(n * (1 - test_split))`` become the training split. The npz holds plain arrays and is read with
``allow_pickle=False``.
"""
from __future__ import annotations

from typing import Tuple

import numpy as np

from ._cache import TF_DATASETS, get_file

Split = Tuple[np.ndarray, np.ndarray]


def load_data(path: str = "boston_housing.npz", test_split: float = 0.2, seed: int = 113) -> Tuple[Split, Split]:
    """``(x_train, y_train), (x_test, y_test)``: x of shape (N, 13), y of shape (N,)."""
    if not (0 <= test_split < 1):
        raise ValueError(f"Invalid `test_split` argument: {test_split}. It must be between 0 and 1 "
                         "(exclusive of 1).")
    local = get_file(fname=path, origin=TF_DATASETS + "boston_housing.npz")
    with np.load(local, allow_pickle=False) as f:
        x, y = f["x"], f["y"]
    order = np.arange(len(x))
    np.random.RandomState(seed).shuffle(order)
    x, y = x[order], y[order]
    n_train = int(len(x) * (1 - test_split))
    return (np.array(x[:n_train]), np.array(y[:n_train])), (np.array(x[n_train:]), np.array(y[n_train:]))
