"""In-memory data iterators with MXNet 1.9.1's batching rules.

``NDArrayIter`` batches arrays along the batch axis; the last, short batch is padded with samples from
the start (``last_batch_handle='pad'``, ``DataBatch.pad`` says how many), dropped (``'discard'``) or
carried into the next epoch (``'roll_over'``). ``shuffle=True`` reorders the data at every ``reset()``
with unidl's seeded generator (``mx.random.seed``), so runs are repeatable.
"""
from __future__ import annotations

from collections import OrderedDict, namedtuple
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

import unidl.random as _urandom

from ..base import MXNetError, unsupported_attrs
from .. import ndarray as _nd
from ..ndarray.ndarray import NDArray


class DataDesc(namedtuple("DataDesc", ["name", "shape"])):
    """Name, shape, dtype and layout of one input of a data iterator (a ``(name, shape)`` tuple)."""

    def __new__(cls, name: str, shape: Sequence[int], dtype: Any = np.float32, layout: str = "NCHW"):
        ret = super().__new__(cls, name, shape)
        ret.dtype = dtype
        ret.layout = layout
        return ret

    def __repr__(self) -> str:
        return f"DataDesc[{self.name},{self.shape},{self.dtype},{self.layout}]"

    @staticmethod
    def get_batch_axis(layout: Optional[str]) -> int:
        """Index of ``'N'`` in ``layout`` (0 when the layout is None)."""
        return 0 if layout is None else layout.find("N")

    @staticmethod
    def get_list(shapes: Sequence[Tuple[str, tuple]], types: Optional[Sequence[Tuple[str, Any]]]) -> List["DataDesc"]:
        """``DataDesc`` list from ``[(name, shape)]`` and optional ``[(name, dtype)]``."""
        if types is None:
            return [DataDesc(x[0], x[1]) for x in shapes]
        tmap = dict(types)
        return [DataDesc(x[0], x[1], tmap[x[0]]) for x in shapes]


class DataBatch:
    """One batch: ``data`` and ``label`` (lists of NDArrays), ``pad`` (padding samples at the end),
    ``index``, ``bucket_key``, ``provide_data`` / ``provide_label``."""

    def __init__(self, data: Any, label: Any = None, pad: Optional[int] = None, index: Any = None,
                 bucket_key: Any = None, provide_data: Any = None, provide_label: Any = None) -> None:
        if data is not None and not isinstance(data, (list, tuple)):
            raise MXNetError(f"DataBatch: data must be a list of NDArrays, got {type(data).__name__}")
        if label is not None and not isinstance(label, (list, tuple)):
            raise MXNetError(f"DataBatch: label must be a list of NDArrays, got {type(label).__name__}")
        self.data, self.label, self.pad, self.index = data, label, pad, index
        self.bucket_key, self.provide_data, self.provide_label = bucket_key, provide_data, provide_label

    def __str__(self) -> str:
        data = [d.shape for d in self.data]
        label = [lb.shape for lb in self.label] if self.label else None
        return f"{type(self).__name__}: data shapes: {data} label shapes: {label}"


class DataIter:
    """Base class of data iterators: ``for batch in it``, ``reset()``, ``next()``; subclasses define
    ``iter_next`` and ``getdata`` / ``getlabel`` / ``getpad`` / ``getindex``."""

    def __init__(self, batch_size: int = 0) -> None:
        self.batch_size = batch_size

    def __iter__(self) -> "DataIter":
        return self

    def reset(self) -> None:
        pass

    def next(self) -> DataBatch:
        if self.iter_next():
            return DataBatch(data=self.getdata(), label=self.getlabel(), pad=self.getpad(), index=self.getindex())
        raise StopIteration

    def __next__(self) -> DataBatch:
        return self.next()

    def iter_next(self) -> bool:
        pass

    def getdata(self) -> Any:
        pass

    def getlabel(self) -> Any:
        pass

    def getindex(self) -> Any:
        return None

    def getpad(self) -> Any:
        pass


def _init_data(data: Any, allow_empty: bool, default_name: str) -> List[Tuple[str, NDArray]]:
    """``[(name, NDArray)]`` sorted by name from an array, a list of arrays or a dict of them."""
    if data is None:
        if not allow_empty:
            raise MXNetError("NDArrayIter: data must not be None")
        data = []
    if isinstance(data, (np.ndarray, NDArray)):
        data = [data]
    if isinstance(data, (list, tuple)):
        if not data and not allow_empty:
            raise MXNetError("NDArrayIter: data must hold at least one array, got an empty list")
        if len(data) == 1:
            data = OrderedDict([(default_name, data[0])])
        else:
            data = OrderedDict((f"_{i}_{default_name}", d) for i, d in enumerate(data))
    if not isinstance(data, dict):
        raise TypeError("NDArrayIter: input must be an NDArray, numpy.ndarray, a list of them or a dict with them "
                        f"as values; got {type(data).__name__}")
    out: Dict[str, NDArray] = {}
    for k, v in data.items():
        if not isinstance(v, NDArray):
            try:
                v = _nd.array(v)
            except Exception:  # noqa: BLE001 - reported as the type MXNet names
                raise TypeError(f"NDArrayIter: invalid type {type(v).__name__!r} for {k}, should be NDArray or "
                                "numpy.ndarray") from None
        out[k] = v
    return sorted(out.items())


class NDArrayIter(DataIter):
    """Batches of in-memory arrays.

    ``data`` / ``label``: an array (N, ...), a list of arrays or a dict ``name -> array`` (all with N
    samples along the layout's ``'N'`` axis). Batches are ``DataBatch`` objects whose ``data`` / ``label``
    hold one (batch_size, ...) NDArray per input, in name order. ``last_batch_handle``: ``'pad'``,
    ``'discard'`` or ``'roll_over'``.
    """

    def __init__(self, data: Any, label: Any = None, batch_size: int = 1, shuffle: bool = False,
                 last_batch_handle: str = "pad", data_name: str = "data", label_name: str = "softmax_label",
                 layout: str = "NCHW") -> None:
        super().__init__(batch_size)
        if last_batch_handle not in ("pad", "discard", "roll_over"):
            raise MXNetError(f"NDArrayIter: last_batch_handle must be 'pad', 'discard' or 'roll_over', got "
                             f"{last_batch_handle!r}")
        if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise MXNetError(f"NDArrayIter: batch_size must be a positive integer, got {batch_size!r}")
        self.layout = layout
        self._axis = max(layout.find("N"), 0)
        self.data = _init_data(data, allow_empty=False, default_name=data_name)
        self.label = _init_data(label, allow_empty=True, default_name=label_name)
        self.num_data = self.data[0][1].shape[self._axis]
        for k, v in self.data + self.label:
            if v.shape[self._axis] != self.num_data:
                raise MXNetError(f"NDArrayIter: every input needs {self.num_data} samples along axis {self._axis} "
                                 f"(as {self.data[0][0]!r}), but {k!r} has shape {v.shape}")
        self.idx = np.arange(self.num_data)
        self.shuffle = shuffle
        self.last_batch_handle = last_batch_handle
        self.cursor = -self.batch_size
        self._cache_data: Optional[list] = None
        self._cache_label: Optional[list] = None
        self.reset()
        self.data_list = [x[1] for x in self.data] + [x[1] for x in self.label]
        self.num_source = len(self.data_list)

    def _descs(self, source) -> List[DataDesc]:
        return [DataDesc(k, tuple(v.shape[:self._axis]) + (self.batch_size,) + tuple(v.shape[self._axis + 1:]),
                         v.dtype, layout=self.layout) for k, v in source]

    @property
    def provide_data(self) -> List[DataDesc]:
        """Name, per-batch shape, dtype and layout of each data input."""
        return self._descs(self.data)

    @property
    def provide_label(self) -> List[DataDesc]:
        """Name, per-batch shape, dtype and layout of each label input."""
        return self._descs(self.label)

    def hard_reset(self) -> None:
        """Back to the start, forgetting data carried over by ``roll_over``."""
        if self.shuffle:
            self._shuffle_data()
        self.cursor = -self.batch_size
        self._cache_data = self._cache_label = None

    def reset(self) -> None:
        """Back to the start of the data (reshuffled when ``shuffle``; ``roll_over`` keeps the leftover)."""
        if self.shuffle:
            self._shuffle_data()
        if self.last_batch_handle == "roll_over" and self.num_data - self.batch_size < self.cursor < self.num_data:
            self.cursor = self.cursor - self.num_data - self.batch_size
        else:
            self.cursor = -self.batch_size

    def iter_next(self) -> bool:
        self.cursor += self.batch_size
        return self.cursor < self.num_data

    def next(self) -> DataBatch:
        if not self.iter_next():
            raise StopIteration
        data, label = self.getdata(), self.getlabel()
        if data[0].shape[self._axis] != self.batch_size:  # a short last batch: discard or keep for roll_over
            self._cache_data, self._cache_label = data, label
            raise StopIteration
        return DataBatch(data=data, label=label, pad=self.getpad(), index=None)

    def _slice(self, source, start: int = 0, end: Optional[int] = None) -> list:
        end = self.num_data if end is None else end
        return [_nd.slice_axis(v, self._axis, start, end) for _, v in source]

    def _concat(self, first: list, second: list) -> list:
        if not first or not second:
            return first or second
        return [_nd.concat(a, b, dim=self._axis) for a, b in zip(first, second)]

    def _batchify(self, source) -> list:
        if self.cursor >= self.num_data:
            raise MXNetError("NDArrayIter: the iterator is exhausted; call reset()")
        if self.last_batch_handle == "roll_over" and -self.batch_size < self.cursor < 0:
            cache = self._cache_data if self._cache_data is not None else self._cache_label
            if cache is None:
                raise MXNetError("NDArrayIter: roll_over has no data carried from the previous epoch")
            second = self._slice(source, end=self.cursor + self.batch_size)
            if self._cache_data is not None:
                self._cache_data = None
            else:
                self._cache_label = None
            return self._concat(cache, second)
        if self.last_batch_handle == "pad" and self.cursor + self.batch_size > self.num_data:
            pad = self.batch_size - self.num_data + self.cursor
            first = self._slice(source, start=self.cursor)
            if pad > self.num_data:  # a batch larger than the data: wrap around as often as needed
                reps = [1] * (source[0][1].ndim if source else 1)
                reps[self._axis] = pad // self.num_data
                second = [_nd.tile(v, reps) for v in self._slice(source)]
                if pad % self.num_data:
                    second = self._concat(second, self._slice(source, end=pad % self.num_data))
            else:
                second = self._slice(source, end=pad)
            return self._concat(first, second)
        return self._slice(source, self.cursor, min(self.cursor + self.batch_size, self.num_data))

    def getdata(self) -> List[NDArray]:
        return self._batchify(self.data)

    def getlabel(self) -> List[NDArray]:
        return self._batchify(self.label)

    def getpad(self) -> int:
        if self.last_batch_handle == "pad" and self.cursor + self.batch_size > self.num_data:
            return self.cursor + self.batch_size - self.num_data
        if self.last_batch_handle == "roll_over" and -self.batch_size < self.cursor < 0:
            return -self.cursor
        return 0

    def _shuffle_data(self) -> None:
        perm = _urandom.permutation(self.num_data).numpy()
        self.idx = self.idx[perm]
        order = _nd.array(perm, dtype="int64")
        self.data = [(k, _nd.take(v, order, axis=self._axis)) for k, v in self.data]
        self.label = [(k, _nd.take(v, order, axis=self._axis)) for k, v in self.label]
        self.data_list = [x[1] for x in self.data] + [x[1] for x in self.label]


class _BatchHoldingIter(DataIter):
    """An iterator whose ``iter_next`` stores the batch in ``current_batch``; the getters read it."""

    current_batch: Optional[DataBatch]

    def getdata(self):
        return self.current_batch.data

    def getlabel(self):
        return self.current_batch.label

    def getindex(self):
        return self.current_batch.index

    def getpad(self):
        return self.current_batch.pad


class ResizeIter(_BatchHoldingIter):
    """Makes ``data_iter`` yield exactly ``size`` batches per epoch (restarting it, or stopping early)."""

    def __init__(self, data_iter: DataIter, size: int, reset_internal: bool = True) -> None:
        super().__init__()
        self.data_iter, self.size, self.reset_internal = data_iter, size, reset_internal
        self.cur = 0
        self.current_batch: Optional[DataBatch] = None
        self.provide_data = data_iter.provide_data
        self.provide_label = data_iter.provide_label
        self.batch_size = data_iter.batch_size
        if hasattr(data_iter, "default_bucket_key"):
            self.default_bucket_key = data_iter.default_bucket_key

    def reset(self) -> None:
        self.cur = 0
        if self.reset_internal:
            self.data_iter.reset()

    def iter_next(self) -> bool:
        if self.cur == self.size:
            return False
        try:
            self.current_batch = self.data_iter.next()
        except StopIteration:
            self.data_iter.reset()
            self.current_batch = self.data_iter.next()
        self.cur += 1
        return True


class PrefetchingIter(_BatchHoldingIter):
    """Combines one or more iterators into one (MXNet prefetches them on threads; unidl reads them in
    turn, which gives the same batches). ``rename_data`` / ``rename_label``: per iterator, ``{old: new}``."""

    def __init__(self, iters: Any, rename_data: Optional[list] = None, rename_label: Optional[list] = None) -> None:
        super().__init__()
        self.iters = list(iters) if isinstance(iters, (list, tuple)) else [iters]
        if not self.iters:
            raise MXNetError("PrefetchingIter: needs at least one iterator")
        self.rename_data, self.rename_label = rename_data, rename_label
        self.batch_size = self.provide_data[0][1][0]
        self.current_batch: Optional[DataBatch] = None

    @staticmethod
    def _renamed(descs_per_iter, renames) -> list:
        out = []
        for i, descs in enumerate(descs_per_iter):
            names = renames[i] if renames else {}
            for d in descs:
                if isinstance(d, DataDesc):
                    out.append(DataDesc(names.get(d.name, d.name), d.shape, d.dtype, d.layout))
                else:
                    out.append(DataDesc(names.get(d[0], d[0]), d[1]))
        return out

    @property
    def provide_data(self) -> list:
        return self._renamed([it.provide_data for it in self.iters], self.rename_data)

    @property
    def provide_label(self) -> list:
        return self._renamed([it.provide_label for it in self.iters], self.rename_label)

    def reset(self) -> None:
        for it in self.iters:
            it.reset()

    def iter_next(self) -> bool:
        batches = []
        for it in self.iters:
            try:
                batches.append(it.next())
            except StopIteration:
                batches.append(None)
        if batches[0] is None:
            if any(b is not None for b in batches):
                raise MXNetError("PrefetchingIter: the iterators hold different numbers of batches")
            return False
        if any(b is None for b in batches):
            raise MXNetError("PrefetchingIter: the iterators hold different numbers of batches")
        self.current_batch = DataBatch(sum([b.data for b in batches], []), sum([b.label or [] for b in batches], []),
                                       batches[0].pad, batches[0].index, provide_data=self.provide_data,
                                       provide_label=self.provide_label)
        return True

    def next(self) -> DataBatch:
        if self.iter_next():
            return self.current_batch
        raise StopIteration


_RECORD_FILES = ("it reads MXNet record/binary files, which unidl_mxnet does not decode; load the data into "
                 "arrays and use mx.io.NDArrayIter, or gluon.data.DataLoader over a Dataset")
__getattr__ = unsupported_attrs("mxnet.io", {n: _RECORD_FILES for n in (
    "ImageRecordIter", "ImageRecordIter_v1", "ImageRecordUInt8Iter", "ImageRecordInt8Iter", "ImageDetRecordIter",
    "MNISTIter", "CSVIter", "LibSVMIter", "MXDataIter")})
