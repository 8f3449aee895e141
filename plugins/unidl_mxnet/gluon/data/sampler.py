"""``mx.gluon.data`` samplers: iterables of dataset indices (or of index batches).

Shuffling draws from unidl's Philox generator, so ``mx.random.seed(s)`` makes a ``RandomSampler`` (and a
``DataLoader(shuffle=True)``) give the same order on every run.
"""
from __future__ import annotations

from typing import Any, Callable, Iterator, List

import unidl.random as _urandom

_LAST_BATCH = ("keep", "discard", "rollover")


class Sampler:
    """Base class: subclasses define ``__iter__`` (the indices) and ``__len__``."""

    def __iter__(self) -> Iterator[Any]:
        raise NotImplementedError(f"{type(self).__name__} must implement __iter__")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must implement __len__")


class SequentialSampler(Sampler):
    """Indices ``start, start + 1, ..., start + length - 1`` in order."""

    def __init__(self, length: int, start: int = 0) -> None:
        self._length = int(length)
        self._start = int(start)

    def __iter__(self) -> Iterator[int]:
        return iter(range(self._start, self._start + self._length))

    def __len__(self) -> int:
        return self._length


class RandomSampler(Sampler):
    """A fresh random permutation of ``range(length)`` on every iteration (unidl generator)."""

    def __init__(self, length: int) -> None:
        self._length = int(length)

    def __iter__(self) -> Iterator[int]:
        order = _urandom.permutation(self._length).numpy()
        return iter(int(i) for i in order)

    def __len__(self) -> int:
        return self._length


class FilterSampler(Sampler):
    """Indices of the samples of ``dataset`` for which ``fn(sample)`` is true (evaluated once, eagerly)."""

    def __init__(self, fn: Callable[[Any], bool], dataset: Any) -> None:
        self._fn = fn
        self._dataset = dataset
        self._indices = [i for i in range(len(dataset)) if fn(dataset[i])]

    def __iter__(self) -> Iterator[int]:
        return iter(self._indices)

    def __len__(self) -> int:
        return len(self._indices)


def _check_last_batch(last_batch: Any) -> str:
    if last_batch not in _LAST_BATCH:
        raise ValueError(f"last_batch must be one of 'keep', 'discard', or 'rollover', but got {last_batch}")
    return last_batch


class BatchSampler(Sampler):
    """Groups the indices of ``sampler`` into lists of ``batch_size``.

    ``last_batch``: 'keep' yields the short final batch, 'discard' drops it, 'rollover' carries its indices
    into the first batch of the next iteration.
    """

    def __init__(self, sampler: Any, batch_size: int, last_batch: str = "keep") -> None:
        if int(batch_size) <= 0:
            raise ValueError(f"BatchSampler: batch_size must be a positive integer, got {batch_size}")
        self._sampler = sampler
        self._batch_size = int(batch_size)
        self._last_batch = _check_last_batch(last_batch)
        self._prev: List[Any] = []

    def __iter__(self) -> Iterator[List[Any]]:
        batch, self._prev = self._prev, []
        for i in self._sampler:
            batch.append(i)
            if len(batch) == self._batch_size:
                yield batch
                batch = []
        if batch:
            if self._last_batch == "keep":
                yield batch
            elif self._last_batch == "rollover":
                self._prev = batch

    def __len__(self) -> int:
        n, b = len(self._sampler), self._batch_size
        if self._last_batch == "keep":
            return (n + b - 1) // b
        if self._last_batch == "discard":
            return n // b
        return (len(self._prev) + n) // b


__all__ = ["Sampler", "SequentialSampler", "RandomSampler", "FilterSampler", "BatchSampler"]
