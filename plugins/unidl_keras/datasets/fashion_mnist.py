"""Fashion-MNIST from the cached IDX files in ``datasets/fashion-mnist`` (28x28 uint8 images)."""
from __future__ import annotations

import gzip
import os
from typing import Tuple

import numpy as np

from ._cache import TF_DATASETS, get_file

FILES = ("train-labels-idx1-ubyte.gz", "train-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz",
         "t10k-images-idx3-ubyte.gz")


def _read(path: str, offset: int) -> np.ndarray:
    with gzip.open(path, "rb") as f:
        return np.frombuffer(f.read(), np.uint8, offset=offset)


def load_data() -> Tuple[Tuple[np.ndarray, np.ndarray], Tuple[np.ndarray, np.ndarray]]:
    """``(x_train, y_train), (x_test, y_test)``: x uint8 (N, 28, 28), y uint8 (N,).

    Reads the four gzipped IDX files from ``<cache>/datasets/fashion-mnist/``; a missing one raises an
    error naming its URL and where to place it.
    """
    base = TF_DATASETS + "fashion-mnist/"
    paths = [get_file(fname=name, origin=base + name, cache_subdir=os.path.join("datasets", "fashion-mnist"))
             for name in FILES]
    y_train = _read(paths[0], 8)
    x_train = _read(paths[1], 16).reshape(len(y_train), 28, 28)
    y_test = _read(paths[2], 8)
    x_test = _read(paths[3], 16).reshape(len(y_test), 28, 28)
    return (x_train, y_train), (x_test, y_test)
