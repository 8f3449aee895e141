"""``keras.callbacks.TensorBoard``: the profile part, on :mod:`unidl.profiler`.

``profile_batch`` is validated as Keras 3.15.1 does (a non-negative int, a pair ``(start, stop)`` or the string
``"start,stop"``; 0 turns profiling off; batches are counted from 1 across epochs). The profiled batches'
kernel calls (op, kernel, shapes, dtypes, device, forward/backward) are written as a Chrome trace to
``<log_dir>/train/plugins/profile/<YYYY_MM_DD_HH_MM_SS>/<host>.trace.json.gz``, the place TensorBoard's
profile plugin reads traces from; the file also opens directly in https://ui.perfetto.dev. Each batch is a
``train_batch <n>`` range containing its kernels.

Not written: scalars, graphs, histograms, images and embeddings need TensorBoard's event-file writer, which
unidl does not ship (and will not reimplement): the arguments are accepted and a warning says once that only
the profile is written. (Real Keras 3 refuses ``profile_batch`` on the torch backend; here it works.)
"""
from __future__ import annotations

import datetime
import os
import socket
import warnings
from typing import Any, Optional

import unidl.profiler as _prof

from .callback import Callback, Logs

_WARNED = [False]


class TensorBoard(Callback):
    def __init__(self, log_dir: Any = "logs", histogram_freq: int = 0, write_graph: bool = True,
                 write_images: bool = False, write_steps_per_second: bool = False, update_freq: Any = "epoch",
                 profile_batch: Any = 0, embeddings_freq: int = 0, embeddings_metadata: Any = None) -> None:
        super().__init__()
        self.log_dir = str(log_dir)
        self.histogram_freq = histogram_freq
        self.write_graph = write_graph
        self.write_images = write_images
        self.write_steps_per_second = write_steps_per_second
        self.update_freq = 1 if update_freq == "batch" else update_freq
        self.embeddings_freq = embeddings_freq
        self.embeddings_metadata = embeddings_metadata
        self._init_profile_batch(profile_batch)
        self._global_train_batch = 0
        self._is_tracing = False
        self._started_profiler = False
        self._batch_t0: Optional[int] = None
        self.profile_path: Optional[str] = None  # the last trace written

    def _init_profile_batch(self, profile_batch: Any) -> None:
        msg = ("profile_batch must be a non-negative integer or 2-tuple of positive integers. A pair of positive "
               "integers signifies a range of batches to profile. Found: %s" % (profile_batch,))
        pb = profile_batch
        if isinstance(pb, str):
            try:
                pb = [int(v) for v in pb.split(",")]
            except ValueError:
                raise ValueError(msg) from None
        if isinstance(pb, bool):
            raise ValueError(msg)
        if isinstance(pb, int):
            start, stop = pb, pb
        elif isinstance(pb, (tuple, list)) and len(pb) == 2 and all(isinstance(v, int) for v in pb):
            start, stop = pb
        else:
            raise ValueError(msg)
        if start < 0 or stop < start:
            raise ValueError(msg)
        self._start_batch, self._stop_batch = start, stop
        self._should_trace = not (start == 0 and stop == 0)

    def set_model(self, model: Any) -> None:
        super().set_model(model)
        self._train_dir = os.path.join(self.log_dir, "train")
        self._val_dir = os.path.join(self.log_dir, "validation")

    def on_train_begin(self, logs: Logs = None) -> None:
        self._global_train_batch = 0
        if not _WARNED[0]:
            _WARNED[0] = True
            warnings.warn("keras.callbacks.TensorBoard (unidl): scalars, graphs and histograms are not written "
                          "(TensorBoard's event-file writer is not part of unidl); only the profile of "
                          "profile_batch is written, as a Chrome trace under log_dir/train/plugins/profile",
                          stacklevel=2)

    def on_train_batch_begin(self, batch: int, logs: Logs = None) -> None:
        self._global_train_batch += 1
        if not self._should_trace:
            return
        if self._global_train_batch == self._start_batch and not self._is_tracing:
            self._start_trace()
        if self._is_tracing:
            self._batch_t0 = _prof._perf()

    def on_train_batch_end(self, batch: int, logs: Logs = None) -> None:
        if not self._should_trace or not self._is_tracing:
            return
        if self._batch_t0 is not None:
            _prof.range_event(f"train_batch {self._global_train_batch}", self._batch_t0, _prof._perf(),
                              "train_batch", {"batch": batch, "step": self._global_train_batch})
            self._batch_t0 = None
        if self._global_train_batch >= self._stop_batch:
            self._stop_trace()

    def on_train_end(self, logs: Logs = None) -> None:
        if self._is_tracing:
            self._stop_trace()

    def _start_trace(self) -> None:
        if _prof.is_running():  # someone else's profile: leave it alone (Keras: "only stops what it started")
            return
        _prof.reset()
        _prof.start()
        self._started_profiler = True
        self._is_tracing = True

    def _stop_trace(self) -> None:
        self._is_tracing = False
        if not self._started_profiler:
            return
        _prof.stop()
        self._started_profiler = False
        run = datetime.datetime.now().strftime("%Y_%m_%d_%H_%M_%S")
        d = os.path.join(self._train_dir, "plugins", "profile", run)
        host = socket.gethostname() or "localhost"
        self.profile_path = _prof.dump(os.path.join(d, f"{host}.trace.json.gz"))
        _prof.reset()
