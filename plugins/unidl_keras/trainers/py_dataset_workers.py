"""Reading a ``PyDataset``'s batches ahead, in order, with its ``workers`` (Keras 3's enqueuer semantics).

``workers > 1`` reads batches in a thread pool; ``use_multiprocessing=True`` (with ``workers >= 1``)
reads them in forked worker processes (batches come back pickled, so they should be NumPy arrays or
Python data). At most ``max_queue_size`` batches (at least ``workers``) are in flight, and they are
yielded in index order whatever order the workers finish in.
"""
from __future__ import annotations

import multiprocessing
import os
from collections import deque
from concurrent.futures import Executor, ProcessPoolExecutor, ThreadPoolExecutor
from typing import Any, Iterable, Iterator

_DATASET: Any = None  # the dataset inside a forked worker process


def _init_worker(dataset: Any) -> None:
    global _DATASET
    _DATASET = dataset


def _fetch(index: int) -> Any:
    return _DATASET[index]


def uses_workers(dataset: Any) -> bool:
    """Whether ``dataset`` asks for parallel reading, as Keras decides it."""
    workers = int(getattr(dataset, "workers", 1) or 0)
    return workers > 1 or (workers > 0 and bool(getattr(dataset, "use_multiprocessing", False)))


def _executor(dataset: Any) -> Executor:
    workers = int(dataset.workers)
    if getattr(dataset, "use_multiprocessing", False) and hasattr(os, "fork"):
        # fork: the workers inherit the dataset object as it is now (as Keras's pool initializer gives it)
        return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"),
                                   initializer=_init_worker, initargs=(dataset,))
    return ThreadPoolExecutor(workers, thread_name_prefix="py_dataset")


def ordered_batches(dataset: Any, indices: Iterable[int]) -> Iterator[Any]:
    """``dataset[i]`` for each index in order, read ahead by the dataset's workers."""
    ex = _executor(dataset)
    fetch = _fetch if isinstance(ex, ProcessPoolExecutor) else dataset.__getitem__
    ahead = max(int(getattr(dataset, "max_queue_size", 10) or 0), int(dataset.workers), 1)
    pending: deque = deque()
    try:
        it = iter(indices)
        for i in it:
            pending.append(ex.submit(fetch, int(i)))
            if len(pending) >= ahead:
                break
        while pending:
            batch = pending.popleft().result()
            for i in it:
                pending.append(ex.submit(fetch, int(i)))
                break
            yield batch
    finally:
        for f in pending:
            f.cancel()
        ex.shutdown(wait=True, cancel_futures=True)
