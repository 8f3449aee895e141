"""Turning what users pass to ``fit``/``evaluate``/``predict`` into batches.

Accepted: NumPy arrays (or anything array-like), unidl Tensors, lists/tuples/dicts of them (``x`` as
the model's inputs, ``y`` as its outputs), Python generators/iterators yielding ``(x,)``, ``(x, y)`` or
``(x, y, sample_weight)``, and ``keras.utils.PyDataset`` (anything with ``__len__`` and
``__getitem__`` returning such tuples). Float arrays are cast to ``floatx()`` as Keras does.
"""
from __future__ import annotations

import math
import random
from typing import Any, Iterator, Optional, Tuple

import numpy as np

import unidl
from unidl.tensor import Tensor

from ..backend import config
from ..utils import tree


def _leaf_len(x: Any) -> int:
    return int(x.shape[0]) if hasattr(x, "shape") and len(x.shape) else len(x)


def _as_array(x: Any) -> Any:
    if x is None or isinstance(x, Tensor):
        return x
    a = np.asarray(x)
    if a.dtype.kind == "f" and a.dtype != np.dtype(config.floatx()):
        a = a.astype(config.floatx())
    elif a.dtype == object:
        raise ValueError(f"Unrecognized data type: x={type(x).__name__} (of dtype object). Expected NumPy arrays, "
                         f"lists of arrays, dicts of arrays, generators or a keras.utils.PyDataset.")
    return a


def _take(x: Any, idx: Any) -> Any:
    """Rows ``idx`` (a slice or an integer index array) of ``x`` along axis 0."""
    if x is None:
        return None
    if isinstance(x, Tensor):
        if isinstance(idx, slice):
            return x[idx]
        from unidl import ops

        return ops.take(x, Tensor._from_any(np.asarray(idx, dtype=np.int64), x.device), axis=0)
    return x[idx]


def _to_tensor(a: Any) -> Any:
    """A numeric batch leaf as a unidl Tensor on the default device (the steps get tensors, as Keras's
    backends hand them); other leaves (strings for preprocessing layers, None) stay as they are."""
    if isinstance(a, np.ndarray) and a.dtype.kind in "biuf":
        return unidl.as_tensor(a)
    return a


def _pack(x: Any, y: Any, sw: Any) -> tuple:
    """A batch as Keras's data adapters hand it to the steps: ``(x,)``, ``(x, y)`` or ``(x, y, sw)``."""
    if sw is not None:
        return (x, y, sw)
    if y is not None:
        return (x, y)
    return (x,)


def unpack_x_y_sample_weight(data: Any) -> Tuple[Any, Any, Any]:
    """``(x,)``, ``(x, y)``, ``(x, y, sw)`` or ``x`` -> ``(x, y, sw)`` (missing ones None)."""
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return data, None, None
    if len(data) == 1:
        return data[0], None, None
    if len(data) == 2:
        return data[0], data[1], None
    if len(data) == 3:
        return data[0], data[1], data[2]
    raise ValueError(f"Data is expected to be in format `x`, `(x,)`, `(x, y)`, or `(x, y, sample_weight)`, "
                     f"found a tuple of length {len(data)}")


def is_array_data(x: Any) -> bool:
    leaves = tree.flatten(x)
    return bool(leaves) and all(isinstance(v, (np.ndarray, Tensor, list, tuple, float, int, np.generic))
                               or hasattr(v, "__array__") for v in leaves)


def class_weight_to_sample_weight(y: Any, class_weight: dict) -> np.ndarray:
    """Per-sample weights from ``{class: weight}`` (labels as ints or one-hot rows)."""
    if isinstance(y, (list, tuple, dict)):
        raise ValueError("`class_weight` is only supported for Models with a single output.")
    yv = y.numpy() if isinstance(y, Tensor) else np.asarray(y)
    labels = np.argmax(yv, axis=-1) if yv.ndim > 1 and yv.shape[-1] > 1 else yv.reshape(yv.shape[0], -1)[:, 0]
    labels = np.round(labels).astype(np.int64)
    missing = sorted(set(labels.tolist()) - set(int(k) for k in class_weight))
    if missing:
        raise ValueError(f"`class_weight` must contain all classes in the data. The classes {set(missing)} exist in "
                         f"the data but not in `class_weight`.")
    w = np.array([class_weight[int(c)] for c in labels], dtype=config.floatx())
    return w


class ArrayBatches:
    """Batches of in-memory arrays: ``len()`` batches per epoch, reshuffled each epoch when asked."""

    def __init__(self, x: Any, y: Any = None, sample_weight: Any = None, batch_size: Optional[int] = None,
                 shuffle: Any = False, steps: Optional[int] = None) -> None:
        self.x = tree.map_structure(_as_array, x)
        self.y = tree.map_structure(_as_array, y) if y is not None else None
        self.sample_weight = tree.map_structure(_as_array, sample_weight) if sample_weight is not None else None
        sizes = {_leaf_len(v) for v in tree.flatten((self.x, self.y, self.sample_weight)) if v is not None}
        if len(sizes) > 1:
            desc = {name: sorted({_leaf_len(v) for v in tree.flatten(d) if v is not None})
                    for name, d in (("x", self.x), ("y", self.y), ("sample_weight", self.sample_weight))
                    if d is not None}
            raise ValueError(f"Data cardinality is ambiguous. Make sure all arrays contain the same number of "
                             f"samples. Sizes: {desc}")
        self.num_samples = sizes.pop() if sizes else 0
        self.batch_size = int(batch_size) if batch_size else 32
        if self.batch_size <= 0:
            raise ValueError(f"`batch_size` must be a positive integer; received batch_size={batch_size}")
        self.shuffle = shuffle
        full = int(math.ceil(self.num_samples / self.batch_size)) if self.num_samples else 0
        self.full = full
        self.steps = full if steps is None else min(int(steps), full) if full else int(steps)
        # steps_per_epoch below one pass over the data: as Keras, epochs take the next batches of one continuing
        # pass, and an epoch that reaches the pass's end stops there (the next epoch starts a new pass)
        self._cursor, self._order = 0, None

    def __len__(self) -> int:
        return self.steps

    def _batch(self, i: int, order: Any) -> tuple:
        n, bs = self.num_samples, self.batch_size
        lo, hi = i * bs, min((i + 1) * bs, n)
        idx = order[lo:hi] if order is not None else slice(lo, hi)
        take = (lambda a, idx=idx: _to_tensor(_take(a, idx)))
        return _pack(tree.map_structure(take, self.x),
                     tree.map_structure(take, self.y) if self.y is not None else None,
                     tree.map_structure(take, self.sample_weight) if self.sample_weight is not None else None)

    def epoch(self) -> Iterator[tuple]:
        """The batches of one epoch, each ``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)``."""
        n = self.num_samples
        if 0 < self.steps < self.full:
            for _ in range(self.steps):
                if self._cursor == 0:
                    self._order = np.random.permutation(n) if self.shuffle else None
                if self._cursor >= self.full:
                    self._cursor = 0
                    return
                i = self._cursor
                self._cursor += 1
                yield self._batch(i, self._order)
            if self._cursor >= self.full:
                self._cursor = 0
            return
        order = np.random.permutation(n) if self.shuffle else None
        for i in range(self.steps):
            if i * self.batch_size >= n:
                return
            yield self._batch(i, order)

    def split(self, validation_split: float) -> Tuple["ArrayBatches", Tuple[Any, Any, Any]]:
        """Keras's ``validation_split``: the last fraction of the samples (before any shuffling)."""
        if not 0.0 < validation_split < 1.0:
            raise ValueError(f"`validation_split` must be between 0 and 1 (exclusive); received {validation_split}")
        at = int(self.num_samples * (1.0 - validation_split))
        if at == 0 or at == self.num_samples:
            raise ValueError(f"Training data contains {self.num_samples} samples, which is not sufficient to split it "
                             f"into a validation and training set as specified by `validation_split={validation_split}`. "
                             f"Either provide more data, or a different value for the `validation_split` argument.")
        first = lambda a: _take(a, slice(0, at)) if not isinstance(a, Tensor) else a[0:at]  # noqa: E731
        last = lambda a: _take(a, slice(at, None)) if not isinstance(a, Tensor) else a[at:]  # noqa: E731
        m = lambda f, d: tree.map_structure(f, d) if d is not None else None  # noqa: E731
        train = ArrayBatches(m(first, self.x), m(first, self.y), m(first, self.sample_weight), self.batch_size,
                             self.shuffle)
        return train, (m(last, self.x), m(last, self.y), m(last, self.sample_weight))


class DatasetBatches:
    """Batches from a ``PyDataset``-like object (``__len__``/``__getitem__``) or a generator."""

    def __init__(self, data: Any, steps: Optional[int] = None, shuffle: bool = False,
                 class_weight: Optional[dict] = None) -> None:
        self.data = data
        self.indexable = hasattr(data, "__getitem__") and hasattr(data, "__len__") and not isinstance(data, (list, tuple))
        self._iter = None if self.indexable else iter(data)
        self.num_batches: Optional[int] = None  # None: an infinite PyDataset (num_batches None) or a generator
        if self.indexable:
            n = data.num_batches if hasattr(data, "num_batches") else len(data)
            self.num_batches = None if n is None else int(n)
            self.steps = (n if steps is None else min(int(steps), n)) if n is not None else steps
        else:
            self.steps = steps
        self.shuffle = shuffle
        self.class_weight = class_weight  # per batch, from its targets (Keras's class-weight map over a dataset)
        self.exhausted = False

    def __len__(self) -> Optional[int]:  # type: ignore[override]
        return self.steps

    def epoch(self) -> Iterator[tuple]:
        """The batches of one epoch, each ``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)``."""
        if self.indexable:
            if self.num_batches is None:  # infinite: indices 0, 1, ... up to steps_per_epoch
                order = list(range(self.steps)) if self.steps is not None else None
            else:
                order = list(range(self.num_batches))
            if order is None:
                import itertools

                if hasattr(self.data, "on_epoch_begin"):
                    self.data.on_epoch_begin()
                for j in itertools.count():
                    yield self._standardize(self.data[j])
                return
            if self.shuffle:  # as Keras: the batch order, with Python's global RNG (seeded by set_random_seed)
                random.shuffle(order)
            if self.steps is not None:
                order = order[:self.steps]
            if hasattr(self.data, "on_epoch_begin"):
                self.data.on_epoch_begin()
            from .py_dataset_workers import ordered_batches, uses_workers

            batches = (ordered_batches(self.data, order) if uses_workers(self.data)
                       else (self.data[int(j)] for j in order))
            for item in batches:
                yield self._standardize(item)
            if hasattr(self.data, "on_epoch_end"):
                self.data.on_epoch_end()
            return
        count = 0
        while self.steps is None or count < self.steps:
            try:
                item = next(self._iter)
            except StopIteration:
                self.exhausted = True
                return
            count += 1
            yield self._standardize(item)

    def _standardize(self, item: Any) -> tuple:
        x, y, sw = unpack_x_y_sample_weight(item)
        if self.class_weight is not None and y is not None:
            if sw is not None:
                raise ValueError("You cannot use `class_weight` and `sample_weight` at the same time.")
            sw = class_weight_to_sample_weight(y, self.class_weight)
        conv = (lambda a: _to_tensor(_as_array(a)))  # noqa: E731
        return _pack(tree.map_structure(conv, x), tree.map_structure(conv, y) if y is not None else None,
                     tree.map_structure(conv, sw) if sw is not None else None)


def make_batches(x: Any, y: Any = None, sample_weight: Any = None, batch_size: Optional[int] = None,
                 steps: Optional[int] = None, shuffle: Any = False, class_weight: Optional[dict] = None) -> Any:
    """The batch source for ``x`` (see the module docstring)."""
    if x is None:
        raise ValueError("Unrecognized data type: x=None. Expected NumPy arrays, lists or dicts of arrays, "
                         "generators or a keras.utils.PyDataset.")
    if hasattr(x, "__getitem__") and hasattr(x, "__len__") and not is_array_data(x) and not isinstance(x, (dict, list, tuple)):
        if y is not None:
            raise ValueError("`y` argument is not supported when using a keras.utils.PyDataset (it yields its own "
                             "targets). Received: y=...")
        return DatasetBatches(x, steps=steps, shuffle=bool(shuffle), class_weight=class_weight)
    if hasattr(x, "__next__") or (hasattr(x, "__iter__") and not isinstance(x, (dict, list, tuple, np.ndarray, Tensor))):
        if y is not None:
            raise ValueError("`y` argument is not supported when using a Python generator as input (it yields its own "
                             "targets).")
        return DatasetBatches(x, steps=steps, class_weight=class_weight)
    return ArrayBatches(x, y, sample_weight, batch_size=batch_size, shuffle=shuffle, steps=steps)
