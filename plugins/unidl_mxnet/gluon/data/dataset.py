"""``mx.gluon.data`` datasets: the Dataset interface and the in-memory datasets."""
from __future__ import annotations

import os
from typing import Any, Callable, Optional

from ...ndarray.ndarray import NDArray


class Dataset:
    """A sized, indexable collection of samples; subclasses implement ``__getitem__`` and ``__len__``.

    Lists, NumPy arrays and NDArrays can be used as datasets directly wherever a Dataset is expected.
    """

    def __getitem__(self, idx: int) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement __getitem__")

    def __len__(self) -> int:
        raise NotImplementedError(f"{type(self).__name__} must implement __len__")

    def filter(self, fn: Callable[[Any], bool]) -> "Dataset":
        """The samples for which ``fn(sample)`` is true (``fn`` runs once over the dataset, now)."""
        from .sampler import FilterSampler

        return _SampledDataset(self, FilterSampler(fn, self))

    def shard(self, num_shards: int, index: int) -> "Dataset":
        """Part ``index`` of ``num_shards`` contiguous parts; the first ``len % num_shards`` parts get one
        sample more than the others."""
        if num_shards <= 0:
            raise AssertionError(f"Number of shards must be greater than 0, got {num_shards}")
        if not 0 <= index < num_shards:
            raise AssertionError(f"Shard index out of bound: {index} out of {num_shards}")
        from .sampler import SequentialSampler

        base, rest = divmod(len(self), num_shards)
        start = base * index + min(index, rest)
        return _SampledDataset(self, SequentialSampler(base + (index < rest), start))

    def take(self, count: Optional[int]) -> "Dataset":
        """The first ``count`` samples (all of them when ``count`` is None or too large)."""
        from .sampler import SequentialSampler

        n = len(self)
        return _SampledDataset(self, SequentialSampler(n if count is None or count > n else count))

    def sample(self, sampler: Any) -> "Dataset":
        """The samples at the indices ``sampler`` yields (a ``gluon.data.Sampler``)."""
        from .sampler import Sampler

        if not isinstance(sampler, Sampler):
            raise TypeError(f"Invalid sampler type: {type(sampler)}. Expected gluon.data.Sampler instead.")
        return _SampledDataset(self, sampler)

    def transform(self, fn: Callable[..., Any], lazy: bool = True) -> "Dataset":
        """Each sample passed through ``fn`` (tuple samples are unpacked into ``fn(*sample)``).

        ``lazy=False`` transforms every sample now and keeps the results (do not use it with a random ``fn``).
        """
        out = _LazyTransformDataset(self, fn)
        if lazy:
            return out
        return SimpleDataset([out[i] for i in range(len(out))])

    def transform_first(self, fn: Callable[[Any], Any], lazy: bool = True) -> "Dataset":
        """Like :meth:`transform`, but only the first field of each sample (the data, not the label) goes
        through ``fn``."""
        return self.transform(_TransformFirstClosure(fn), lazy)


class SimpleDataset(Dataset):
    """Wraps any object with ``len()`` and ``[]`` (a list, an array) as a Dataset."""

    def __init__(self, data: Any) -> None:
        self._data = data

    def __len__(self) -> int:
        return len(self._data)

    def __getitem__(self, idx: int) -> Any:
        return self._data[idx]


class _LazyTransformDataset(Dataset):
    def __init__(self, data: Any, fn: Callable[..., Any]) -> None:
        self._data = data
        self._fn = fn

    def __len__(self) -> int:
        return len(self._data)

    def __getitem__(self, idx: int) -> Any:
        item = self._data[idx]
        return self._fn(*item) if isinstance(item, tuple) else self._fn(item)


class _TransformFirstClosure:
    """A picklable ``lambda x, *rest: (fn(x),) + rest``."""

    def __init__(self, fn: Callable[[Any], Any]) -> None:
        self._fn = fn

    def __call__(self, x: Any, *args: Any) -> Any:
        return (self._fn(x),) + args if args else self._fn(x)


class _SampledDataset(Dataset):
    def __init__(self, dataset: Any, sampler: Any) -> None:
        self._dataset = dataset
        self._sampler = sampler
        self._indices = list(iter(sampler))

    def __len__(self) -> int:
        return len(self._sampler)

    def __getitem__(self, idx: int) -> Any:
        return self._dataset[self._indices[idx]]


class ArrayDataset(Dataset):
    """Zips several equally long dataset-like objects: sample ``i`` is ``(a[i], b[i], ...)`` (or ``a[i]``
    alone when given one). 1-D NDArrays are kept as NumPy arrays, so their samples are scalars."""

    def __init__(self, *args: Any) -> None:
        if not args:
            raise AssertionError("ArrayDataset needs at least 1 array")
        self._length = len(args[0])
        self._data = []
        for i, data in enumerate(args):
            if len(data) != self._length:
                raise AssertionError(
                    f"All arrays must have the same length; array[0] has length {self._length} "
                    f"while array[{i + 1}] has {len(data)}.")
            if isinstance(data, NDArray) and data.ndim == 1:
                data = data.asnumpy()
            self._data.append(data)

    def __getitem__(self, idx: int) -> Any:
        if len(self._data) == 1:
            return self._data[0][idx]
        return tuple(d[idx] for d in self._data)

    def __len__(self) -> int:
        return self._length


class RecordFileDataset(Dataset):
    """The records of a RecordIO file ``filename`` (``.rec``) as raw bytes, indexed through the ``.idx`` file
    beside it (same name, ``.idx`` extension)."""

    def __init__(self, filename: str) -> None:
        from ... import recordio

        self.idx_file = os.path.splitext(filename)[0] + ".idx"
        self.filename = filename
        self._record = recordio.MXIndexedRecordIO(self.idx_file, self.filename, "r")

    def __getitem__(self, idx: int) -> bytes:
        return self._record.read_idx(self._record.keys[idx])

    def __len__(self) -> int:
        return len(self._record.keys)


__all__ = ["Dataset", "SimpleDataset", "ArrayDataset", "RecordFileDataset"]
