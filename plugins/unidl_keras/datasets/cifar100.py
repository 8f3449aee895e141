"""CIFAR-100 from the cached ``cifar-100-python`` folder (pickled ``train`` and ``test`` dicts).

Read with :mod:`._safe_pickle` (never a plain ``pickle.load``); nothing is downloaded.
"""
from __future__ import annotations

import os
from typing import Tuple

import numpy as np

from ..backend import config
from .cifar10 import cached_dir, load_batch

ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"
DIRNAME = "cifar-100-python"


def _dir() -> str:
    return cached_dir(DIRNAME, "cifar-100-python.tar.gz", "test", ORIGIN, "train and test")


def load_data(label_mode: str = "fine") -> Tuple[Tuple[np.ndarray, np.ndarray], Tuple[np.ndarray, np.ndarray]]:
    """``(x_train, y_train), (x_test, y_test)``: x uint8 (N, 32, 32, 3) (channels_last), y int64 (N, 1) with
    100 fine or 20 coarse labels; 50,000 train and 10,000 test images."""
    if label_mode not in ("fine", "coarse"):
        raise ValueError(f'`label_mode` must be one of `"fine"`, `"coarse"`. Received: label_mode={label_mode}.')
    path = _dir()
    x_train, y_train = load_batch(os.path.join(path, "train"), label_key=label_mode + "_labels")
    x_test, y_test = load_batch(os.path.join(path, "test"), label_key=label_mode + "_labels")
    y_train = np.asarray(y_train, dtype=np.int64).reshape(len(y_train), 1)
    y_test = np.asarray(y_test, dtype=np.int64).reshape(len(y_test), 1)
    if config.image_data_format() == "channels_last":
        x_train = x_train.transpose(0, 2, 3, 1)
        x_test = x_test.transpose(0, 2, 3, 1)
    return (x_train, y_train), (x_test, y_test)
