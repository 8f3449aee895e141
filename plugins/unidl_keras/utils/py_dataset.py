"""``keras.utils.PyDataset`` (alias ``Sequence``): a Python object that yields whole batches.

Subclasses implement ``__len__`` (the number of batches per epoch) and ``__getitem__(index)``
returning a batch ``x``, ``(x, y)`` or ``(x, y, sample_weight)``; ``on_epoch_end`` runs after each
epoch (and ``on_epoch_begin`` before it). With ``workers > 1`` the trainer reads batches ahead in a thread
pool, with ``use_multiprocessing=True`` in forked processes, at most ``max_queue_size`` in flight, always
yielded in index order (:mod:`unidl_keras.trainers.py_dataset_workers`). ``fit`` shuffles the batch
order unless ``shuffle=False``, as Keras does.
"""
from __future__ import annotations

from typing import Any, Iterator, Optional


class PyDataset:
    """Base class of batch-producing datasets (Keras 3 ``PyDataset``).

    Args:
        workers: how many threads (or processes) read batches ahead; 1 reads them in the calling thread.
        use_multiprocessing: read in forked worker processes instead of threads.
        max_queue_size: the most batches read ahead.
    """

    def __init__(self, workers: int = 1, use_multiprocessing: bool = False, max_queue_size: int = 10) -> None:
        self._workers = int(workers)
        self._use_multiprocessing = bool(use_multiprocessing)
        self._max_queue_size = int(max_queue_size)

    @property
    def workers(self) -> int:
        return getattr(self, "_workers", 1)

    @workers.setter
    def workers(self, value: int) -> None:
        self._workers = int(value)

    @property
    def use_multiprocessing(self) -> bool:
        return getattr(self, "_use_multiprocessing", False)

    @use_multiprocessing.setter
    def use_multiprocessing(self, value: bool) -> None:
        self._use_multiprocessing = bool(value)

    @property
    def max_queue_size(self) -> int:
        return getattr(self, "_max_queue_size", 10)

    @max_queue_size.setter
    def max_queue_size(self, value: int) -> None:
        self._max_queue_size = int(value)

    def __getitem__(self, index: int) -> Any:
        """The batch at ``index`` (0 <= index < len(self))."""
        raise NotImplementedError(f"{type(self).__name__} must implement `__getitem__`")

    def __len__(self) -> int:
        """The number of batches per epoch."""
        n = self.num_batches
        if n is None:
            raise NotImplementedError(f"{type(self).__name__} must implement `__len__` or `num_batches`")
        return int(n)

    @property
    def num_batches(self) -> Optional[int]:
        """The number of batches (``len(self)``; None when the subclass defines neither)."""
        if type(self).__len__ is not PyDataset.__len__:
            return len(self)
        return None

    def on_epoch_begin(self) -> None:
        """Called before each epoch."""

    def on_epoch_end(self) -> None:
        """Called after each epoch (e.g. to reshuffle)."""

    def __iter__(self) -> Iterator[Any]:
        """The batches of one epoch in order."""
        for i in range(len(self)):
            yield self[i]


Sequence = PyDataset
