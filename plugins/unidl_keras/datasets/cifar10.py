"""CIFAR-10 from the cached ``cifar-10-batches-py`` folder (python pickles of 32x32 colour images).

The pickles are read with :mod:`._safe_pickle` (NumPy arrays, dicts, lists and bytes only), never
with a plain ``pickle.load``.
"""
from __future__ import annotations

import os
from typing import Dict, Tuple

import numpy as np

from ..backend import config
from . import _safe_pickle
from ..utils.file_utils import extract_archive
from ._cache import keras_home, missing_file_error

ORIGIN = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
DIRNAME = "cifar-10-batches-py"


def load_batch(fpath: str, label_key: str = "labels") -> Tuple[np.ndarray, np.ndarray]:
    """One CIFAR batch file: data uint8 (N, 3, 32, 32) and labels (N,)."""
    with open(fpath, "rb") as f:
        d = _safe_pickle.load(f, encoding="bytes")
    if not isinstance(d, dict):
        raise ValueError(f"{fpath} is not a CIFAR batch (expected a pickled dict)")
    d = {k.decode("utf8") if isinstance(k, bytes) else k: v for k, v in d.items()}
    data = np.asarray(d["data"], dtype=np.uint8)
    labels = np.asarray(d[label_key])
    return data.reshape(data.shape[0], 3, 32, 32), labels


def cached_dir(dirname: str, archive: str, marker: str, origin: str, holds: str) -> str:
    """The cached folder ``dirname`` holding file ``marker`` (several layouts Keras versions leave); an
    ``archive`` (.tar.gz) placed in the cache is unpacked there first. Else a missing-file error naming
    ``origin`` and what the folder ``holds``."""
    root = os.path.join(keras_home(), "datasets")
    cands = (os.path.join(root, dirname), os.path.join(root, dirname, dirname),
             os.path.join(root, dirname + "_extracted", dirname))
    for cand in cands:
        if os.path.isfile(os.path.join(cand, marker)):
            return cand
    path = os.path.join(root, archive)
    if os.path.isfile(path):
        extract_archive(path, root, "tar")
        if os.path.isfile(os.path.join(cands[0], marker)):
            return cands[0]
    raise missing_file_error(os.path.join(root, dirname), f"{origin} (unpack it so that the folder holds {holds})")


def _batches_dir() -> str:
    """The folder holding data_batch_1..5 and test_batch."""
    return cached_dir(DIRNAME, "cifar-10-python.tar.gz", "test_batch", ORIGIN,
                      "data_batch_1 ... data_batch_5 and test_batch")


def load_data() -> Tuple[Tuple[np.ndarray, np.ndarray], Tuple[np.ndarray, np.ndarray]]:
    """``(x_train, y_train), (x_test, y_test)``: x uint8 (N, 32, 32, 3) for channels_last (the default;
    (N, 3, 32, 32) for channels_first), y uint8 (N, 1); 50,000 train and 10,000 test images."""
    path = _batches_dir()
    parts: Dict[str, Tuple[np.ndarray, np.ndarray]] = {}
    for i in range(1, 6):
        name = f"data_batch_{i}"
        fpath = os.path.join(path, name)
        if not os.path.isfile(fpath):
            raise missing_file_error(fpath, ORIGIN)
        parts[name] = load_batch(fpath)
    x_train = np.concatenate([parts[f"data_batch_{i}"][0] for i in range(1, 6)])
    y_train = np.concatenate([parts[f"data_batch_{i}"][1] for i in range(1, 6)]).astype(np.uint8)
    x_test, y_test = load_batch(os.path.join(path, "test_batch"))
    y_train = y_train.reshape(len(y_train), 1)
    y_test = y_test.astype(np.uint8).reshape(len(y_test), 1)
    if config.image_data_format() == "channels_last":
        x_train = x_train.transpose(0, 2, 3, 1)
        x_test = x_test.transpose(0, 2, 3, 1)
    return (x_train, y_train), (x_test, y_test)
