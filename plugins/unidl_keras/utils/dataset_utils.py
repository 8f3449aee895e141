"""The batched datasets the ``keras.utils.*_dataset_*`` helpers return, and ``split_dataset``.

Keras returns ``tf.data.Dataset`` objects; unidl has no TensorFlow, so these helpers return a
:class:`BatchDataset`: a ``keras.utils.PyDataset`` (``fit``/``evaluate``/``predict`` take it) with the
few ``tf.data`` methods example scripts call on such datasets (``take``, ``map``, ``prefetch``,
``cache``, ``cardinality``). Batch elements are host arrays (:class:`BatchArray`, a NumPy array that
also has TF's ``.numpy()``), numeric or ``str``.
"""
from __future__ import annotations

from typing import Any, Callable, List, Optional, Sequence, Tuple

import numpy as np

from .py_dataset import PyDataset


class BatchArray(np.ndarray):
    """A NumPy array with ``.numpy()`` (what scripts call on the TF tensors a ``tf.data`` batch holds)."""

    def numpy(self) -> np.ndarray:
        return np.asarray(self)


def _as_batch_value(a: Any) -> Any:
    return np.ascontiguousarray(a).view(BatchArray)


class BatchDataset(PyDataset):
    """Batches made on demand by ``make(i)`` for i in ``range(n)`` (optionally mapped by ``fn``)."""

    def __init__(self, n: int, make: Callable[[int], Any], fn: Optional[Callable[..., Any]] = None) -> None:
        super().__init__()
        self._n, self._make, self._fn = int(n), make, fn
        self.class_names: Optional[List[str]] = None
        self.file_paths: Optional[List[str]] = None

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, index: int) -> Any:
        if not -self._n <= index < self._n:
            raise IndexError(f"batch index {index} out of range for a dataset of {self._n} batches")
        b = self._make(index % self._n)
        if self._fn is not None:
            b = self._fn(*b) if isinstance(b, tuple) else self._fn(b)
        return b

    def __iter__(self):
        for i in range(self._n):
            yield self[i]

    # -- the tf.data methods scripts use ------------------------------------------------------------------
    def take(self, count: int) -> "BatchDataset":
        """The first ``count`` batches (all of them for ``count=-1``)."""
        n = self._n if count is None or count < 0 else min(int(count), self._n)
        out = BatchDataset(n, self.__getitem__)
        out.class_names = self.class_names
        return out

    def map(self, fn: Callable[..., Any], num_parallel_calls: Any = None, deterministic: Any = None) -> "BatchDataset":
        """A dataset whose batches are ``fn(*batch)`` (tuples are unpacked, as ``tf.data`` does)."""
        out = BatchDataset(self._n, self.__getitem__, fn)
        out.class_names = self.class_names
        return out

    def prefetch(self, buffer_size: Any = None) -> "BatchDataset":
        return self

    def cache(self, filename: str = "") -> "BatchDataset":
        return self

    def cardinality(self) -> int:
        return self._n


def make_array_dataset(arrays: Sequence[Any], batch_size: Optional[int], shuffle: bool = False,
                       seed: Optional[int] = None) -> BatchDataset:
    """Batches of aligned arrays ``(a[idx], b[idx], ...)``; ``batch_size=None`` yields single samples."""
    n = len(arrays[0])
    order = np.arange(n)
    if shuffle:
        order = np.random.default_rng(seed).permutation(n)
    bs = batch_size or 1
    count = -(-n // bs)

    def make(i: int) -> Any:
        idx = order[i * bs:(i + 1) * bs] if batch_size else order[i]
        parts = tuple(_as_batch_value(np.asarray(a)[idx]) for a in arrays)
        return parts if len(parts) > 1 else parts[0]

    return BatchDataset(count, make)


def split_dataset(dataset: Any, left_size: Any = None, right_size: Any = None, shuffle: bool = False,
                  seed: Optional[int] = None, preferred_backend: Optional[str] = None) -> Tuple[Any, Any]:
    """Split arrays (or a tuple/list of aligned arrays) into two parts, as ``keras.utils.split_dataset``.

    Sizes are fractions in (0, 1) or sample counts; one may be None (the rest). NumPy inputs give NumPy
    outputs (a tuple of arrays stays a tuple).
    """
    arrays = list(dataset) if isinstance(dataset, (tuple, list)) else [dataset]
    arrays = [np.asarray(a) for a in arrays]
    n = len(arrays[0])
    if any(len(a) != n for a in arrays):
        raise ValueError(f"Received arrays of different lengths: {[len(a) for a in arrays]}")
    if left_size is None and right_size is None:
        raise ValueError("At least one of the `left_size` or `right_size` must be specified. "
                         "Received: left_size=None and right_size=None")

    def count(s: Any, name: str) -> Optional[int]:
        if s is None:
            return None
        if isinstance(s, float):
            if not 0 < s < 1:
                raise ValueError(f"`{name}` should be a float in (0, 1) or an int. Received: {name}={s}")
            return int(round(s * n)) if name == "left_size" else int(round(s * n))
        if not 0 <= s <= n:
            raise ValueError(f"`{name}` must be at most the dataset size {n}. Received: {name}={s}")
        return int(s)

    left, right = count(left_size, "left_size"), count(right_size, "right_size")
    if left is None:
        left = n - right
    if right is None:
        right = n - left
    if left + right > n:
        raise ValueError(f"The sum of `left_size` and `right_size` should be smaller than the total dataset size "
                         f"{n}. Received: left_size={left} and right_size={right}")
    order = np.random.default_rng(seed).permutation(n) if shuffle else np.arange(n)
    li, ri = order[:left], order[left:left + right]
    lhs = tuple(a[li] for a in arrays)
    rhs = tuple(a[ri] for a in arrays)
    if not isinstance(dataset, (tuple, list)):
        return lhs[0], rhs[0]
    return lhs, rhs
