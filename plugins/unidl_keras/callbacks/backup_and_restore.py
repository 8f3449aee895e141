"""``keras.callbacks.BackupAndRestore``: resume an interrupted ``fit`` from a backup (minimal).

Implemented: a ``.weights.h5`` backup of the model at each epoch end (or every ``save_freq``
batches) plus a small JSON file with the epoch reached; on ``on_train_begin`` an existing backup is
loaded and ``model._initial_epoch`` is set so that a trainer honouring it skips finished epochs.
The optimizer state is not backed up (Keras saves it too): resumed runs restart optimizer slots.
"""
from __future__ import annotations

import json
import os
import shutil
from typing import Any

from .callback import Callback, Logs


class BackupAndRestore(Callback):
    """Args: backup_dir (a directory), save_freq ('epoch', an int number of batches or False),
    double_checkpoint (not implemented), delete_checkpoint (remove the backup after a complete fit)."""

    def __init__(self, backup_dir: Any, save_freq: Any = "epoch", double_checkpoint: bool = False,
                 delete_checkpoint: bool = True) -> None:
        super().__init__()
        if not backup_dir:
            raise ValueError("Empty `backup_dir` argument passed")
        if save_freq != "epoch" and save_freq is not False and not isinstance(save_freq, int):
            raise ValueError(f"Invalid value for argument `save_freq`. Received: save_freq={save_freq}. "
                             "Expected either 'epoch' or an integer value.")
        if double_checkpoint:
            raise NotImplementedError("unidl_keras BackupAndRestore does not implement `double_checkpoint=True`.")
        self.backup_dir = os.fspath(backup_dir)
        self.save_freq = save_freq
        self.delete_checkpoint = delete_checkpoint
        self._weights_path = os.path.join(self.backup_dir, "latest.weights.h5")
        self._state_path = os.path.join(self.backup_dir, "training_metadata.json")
        self._current_epoch = 0
        self._batches_seen = 0

    def on_train_begin(self, logs: Logs = None) -> None:
        if os.path.exists(self._weights_path) and os.path.exists(self._state_path):
            self.model.load_weights(self._weights_path)
            with open(self._state_path) as f:
                state = json.load(f)
            self.model._initial_epoch = int(state["epoch"]) + 1

    def on_epoch_begin(self, epoch: int, logs: Logs = None) -> None:
        self._current_epoch = epoch
        self._batches_seen = 0

    def on_train_batch_end(self, batch: int, logs: Logs = None) -> None:
        if isinstance(self.save_freq, int) and not isinstance(self.save_freq, bool):
            self._batches_seen += 1
            if self._batches_seen % self.save_freq == 0:
                self._backup(self._current_epoch - 1)

    def on_epoch_end(self, epoch: int, logs: Logs = None) -> None:
        if self.save_freq == "epoch":
            self._backup(epoch)

    def on_train_end(self, logs: Logs = None) -> None:
        from ..distribution.data_parallel import writes_files

        if self.delete_checkpoint and os.path.isdir(self.backup_dir) and writes_files(self.model):
            shutil.rmtree(self.backup_dir)

    def _backup(self, epoch: int) -> None:
        from ..distribution.data_parallel import writes_files

        if not writes_files(self.model):  # data-parallel fit: rank 0 writes the backup every rank resumes from
            return
        os.makedirs(self.backup_dir, exist_ok=True)
        self.model.save_weights(self._weights_path, overwrite=True)
        with open(self._state_path, "w") as f:
            json.dump({"epoch": epoch}, f)
