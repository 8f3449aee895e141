"""keras.utils.PyDataset read by its workers (threads, or forked processes with use_multiprocessing) in
index order, and fit() shuffling the batch order by default as Keras 3 does (shuffle=False keeps it)."""
from __future__ import annotations

import os
import random
import threading
import time

import numpy as np
import pytest

import unidl_keras as keras


class _Slow(keras.utils.PyDataset):
    """Batch i is filled with i; later batches finish first, so out-of-order completion is exercised."""

    def __init__(self, n=6, **kwargs):
        super().__init__(**kwargs)
        self.n = n
        self.events = []

    def __len__(self):
        return self.n

    def on_epoch_begin(self):
        self.events.append("begin")

    def on_epoch_end(self):
        self.events.append("end")

    def __getitem__(self, i):
        time.sleep(0.01 * ((self.n - 1 - i) % 3))
        who = np.array([[os.getpid(), threading.get_ident()]], dtype="float64")
        return np.full((2, 3), i, "float32"), np.repeat(who, 2, axis=0)


def _model():
    m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1, kernel_initializer="ones", use_bias=False)])
    m.compile("sgd", "mse")
    return m


@pytest.mark.parametrize("kwargs", [{}, {"workers": 3}, {"workers": 2, "use_multiprocessing": True},
                                    {"workers": 1, "use_multiprocessing": True}])
def test_predict_keeps_index_order_whatever_the_workers(kwargs):
    ds = _Slow(**kwargs)
    preds = _model().predict(ds, verbose=0)
    assert preds[::2, 0].tolist() == [0.0, 3.0, 6.0, 9.0, 12.0, 15.0]  # 3 features of value i, kernel ones
    assert ds.events == ["begin", "end"]


def test_thread_workers_read_in_parallel_and_processes_in_other_pids():
    from unidl_keras.trainers.py_dataset_workers import ordered_batches

    ds = _Slow(workers=3)
    got = list(ordered_batches(ds, range(6)))
    assert [int(x[0, 0]) for x, _ in got] == list(range(6))
    assert len({int(w[0, 1]) for _, w in got}) > 1  # several threads did the reading
    ds = _Slow(workers=2, use_multiprocessing=True)
    got = list(ordered_batches(ds, [5, 1, 3]))
    assert [int(x[0, 0]) for x, _ in got] == [5, 1, 3]
    assert os.getpid() not in {int(w[0, 0]) for _, w in got}


def test_a_failing_batch_raises_in_the_caller():
    class Bad(_Slow):
        def __getitem__(self, i):
            if i == 2:
                raise KeyError("batch 2 is broken")
            return super().__getitem__(i)

    with pytest.raises(KeyError, match="batch 2 is broken"):
        _model().predict(Bad(workers=2), verbose=0)


class _Log(keras.utils.PyDataset):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.order = []

    def __len__(self):
        return 6

    def __getitem__(self, i):
        self.order.append(i)
        return np.ones((2, 3), "float32"), np.ones((2, 1), "float32")


@pytest.mark.parametrize("workers", [1, 3])
def test_fit_shuffles_batch_order_unless_told_not_to(workers):
    ds = _Log(workers=workers)
    m = _model()
    random.seed(3)
    m.fit(ds, epochs=4, verbose=0)
    epochs = [ds.order[i:i + 6] for i in range(0, 24, 6)]
    assert all(sorted(e) == list(range(6)) for e in epochs)
    assert any(e != list(range(6)) for e in epochs)  # 4 shuffles of 6 batches: identity 4 times has p=1/720**4
    ds.order.clear()
    m.fit(ds, epochs=2, verbose=0, shuffle=False)
    assert ds.order == list(range(6)) * 2
