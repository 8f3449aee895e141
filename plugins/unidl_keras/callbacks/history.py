"""``keras.callbacks.History``: records the epoch logs; ``fit`` returns it."""
from __future__ import annotations

from typing import Any, Dict, List

from .callback import Callback, Logs


class History(Callback):
    """``history`` maps each log key to its list of per-epoch values; ``epoch`` lists the epochs run.
    Sets ``model.history`` to itself at every epoch end."""

    def __init__(self) -> None:
        super().__init__()
        self.history: Dict[str, List[Any]] = {}
        self.epoch: List[int] = []

    def on_train_begin(self, logs: Logs = None) -> None:
        self.epoch = []

    def on_epoch_end(self, epoch: int, logs: Logs = None) -> None:
        self.epoch.append(epoch)
        for k, v in (logs or {}).items():
            self.history.setdefault(k, []).append(v)
        self.model.history = self
