"""Reading ``adapt()`` data: a NumPy array or tensor, a list/iterable/PyDataset of batches (private).

adapt() is host-side data-pipeline work (vocabularies, statistics), so batches come back as NumPy.
"""
from __future__ import annotations

from typing import Any, Iterator

import numpy as np

from unidl.tensor import Tensor


def _host(batch: Any) -> np.ndarray:
    if isinstance(batch, tuple):  # (x, y) batches: adapt reads x
        batch = batch[0]
    if isinstance(batch, Tensor):
        return batch.numpy()
    return np.asarray(batch)


def batches(data: Any, layer: str) -> Iterator[np.ndarray]:
    """The batches of ``data`` as host arrays (one batch for an array or tensor)."""
    if isinstance(data, (np.ndarray, Tensor)) or np.isscalar(data):
        yield _host(data)
        return
    if isinstance(data, (list, tuple)) and data and not hasattr(data[0], "shape") and not isinstance(
            data[0], (list, tuple, np.ndarray)):
        yield np.asarray(data)  # a plain list of values (strings or numbers) is one batch
        return
    if hasattr(data, "__len__") and hasattr(data, "__getitem__") and not isinstance(data, (list, tuple)):
        for i in range(len(data)):
            yield _host(data[i])
        return
    if hasattr(data, "__iter__"):
        n = 0
        for b in data:
            n += 1
            yield _host(b)
        if n == 0:
            raise ValueError(f"{layer}.adapt() received an empty iterable (no batches). Expected at least one batch.")
        return
    raise TypeError(f"Unsupported data type: {type(data)}. `{layer}.adapt` supports `np.ndarray`, tensors, "
                    f"`keras.utils.PyDataset`, and iterables of batches (e.g. list, generator).")
