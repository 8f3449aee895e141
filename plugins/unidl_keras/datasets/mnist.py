"""MNIST digits from the cached ``mnist.npz`` (60,000 train and 10,000 test 28x28 uint8 images)."""
from __future__ import annotations

from typing import Tuple

import numpy as np

from ._cache import TF_DATASETS, get_file


def load_data(path: str = "mnist.npz") -> Tuple[Tuple[np.ndarray, np.ndarray], Tuple[np.ndarray, np.ndarray]]:
    """``(x_train, y_train), (x_test, y_test)``: x uint8 (N, 28, 28), y uint8 (N,).

    ``path``: the file name in the Keras cache's ``datasets`` folder (or an absolute path). A missing
    file raises an error naming its URL and where to place it; nothing is downloaded.
    """
    origin = TF_DATASETS + "mnist.npz"
    local = get_file(fname=path, origin=origin)
    with np.load(local, allow_pickle=False) as f:
        return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])
