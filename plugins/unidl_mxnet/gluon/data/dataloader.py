"""``mx.gluon.data.DataLoader``: mini-batches from a Dataset.

Batches are always assembled in the calling process. ``num_workers > 0`` is accepted for compatibility
and loads in-process too: unidl's generator and autograd state are per-process, and running transforms
in the caller keeps ``mx.random.seed`` reproducibility exact (a worker pool would interleave draws).
"""
from __future__ import annotations

from typing import Any, Callable, Iterator, Optional

import numpy as np

from ... import ndarray as nd
from ...ndarray.ndarray import NDArray
from ...util import is_np_array
from . import sampler as _sampler


def default_batchify_fn(data: list) -> Any:
    """Merge a list of samples into a batch.

    NDArray samples are stacked (batch axis first); tuple samples are batched field by field and give a
    list of batches; anything else (numbers, NumPy arrays) goes through ``np.asarray`` and becomes an
    NDArray of the same dtype. Under NumPy mode (``npx.set_np()``) batches are ``mx.np.ndarray``.
    """
    first = data[0]
    if isinstance(first, NDArray):
        return _np_module().stack(data) if is_np_array() else nd.stack(*data)
    if isinstance(first, tuple):
        return [default_batchify_fn(list(field)) for field in zip(*data)]
    arr = np.asarray(data)
    return _np_module().array(arr, dtype=arr.dtype) if is_np_array() else nd.array(arr, dtype=arr.dtype)


def _np_module() -> Any:
    from ... import numpy as mx_np  # under npx.set_np() batches are mx.np arrays, as in MXNet

    return mx_np


#: MXNet batches into shared memory for worker processes; loading is in-process here, so it is the same.
default_mp_batchify_fn = default_batchify_fn


class DataLoader:
    """Loads mini-batches from ``dataset``.

    Give either ``batch_size`` (with optional ``shuffle`` or ``sampler`` and ``last_batch`` in
    'keep'/'discard'/'rollover', default 'keep') or a ``batch_sampler`` yielding index lists.
    ``batchify_fn`` merges a list of samples (default: :func:`default_batchify_fn`).
    ``num_workers``, ``pin_memory``, ``prefetch``, ``thread_pool``, ``timeout`` and ``auto_reload`` are
    accepted for compatibility; loading runs in the calling process.
    """

    def __init__(self, dataset: Any, batch_size: Optional[int] = None, shuffle: bool = False,
                 sampler: Any = None, last_batch: Optional[str] = None, batch_sampler: Any = None,
                 batchify_fn: Optional[Callable[[list], Any]] = None, num_workers: int = 0,
                 pin_memory: bool = False, pin_device_id: int = 0, prefetch: Optional[int] = None,
                 thread_pool: bool = False, timeout: int = 120, auto_reload: bool = False) -> None:
        if timeout <= 0:
            raise AssertionError(f"timeout must be positive, given {timeout}")
        self._dataset = dataset
        if batch_sampler is None:
            if batch_size is None:
                raise ValueError("batch_size must be specified unless batch_sampler is specified")
            if sampler is None:
                n = len(dataset)
                sampler = _sampler.RandomSampler(n) if shuffle else _sampler.SequentialSampler(n)
            elif shuffle:
                raise ValueError("shuffle must not be specified if sampler is specified")
            batch_sampler = _sampler.BatchSampler(sampler, batch_size, last_batch if last_batch else "keep")
        elif batch_size is not None or shuffle or sampler is not None or last_batch is not None:
            raise ValueError("batch_size, shuffle, sampler and last_batch must not be specified if "
                             "batch_sampler is specified.")
        self._batch_sampler = batch_sampler
        self._num_workers = max(int(num_workers), 0)
        self._batchify_fn = default_batchify_fn if batchify_fn is None else batchify_fn

    def __iter__(self) -> Iterator[Any]:
        dataset, batchify = self._dataset, self._batchify_fn
        for batch in self._batch_sampler:
            yield batchify([dataset[i] for i in batch])

    def __len__(self) -> int:
        return len(self._batch_sampler)


__all__ = ["DataLoader"]
