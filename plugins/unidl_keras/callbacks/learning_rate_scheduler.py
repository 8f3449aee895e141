"""``keras.callbacks.LearningRateScheduler``: set the learning rate at each epoch from a function."""
from __future__ import annotations

from typing import Any, Callable

import numpy as np

from ..utils.progbar import print_msg
from .callback import Callback, Logs


def _lr_value(optimizer: Any) -> float:
    lr = optimizer.learning_rate
    return float(lr.numpy()) if hasattr(lr, "numpy") else float(lr)


class LearningRateScheduler(Callback):
    """``schedule(epoch, lr) -> new_lr`` (or the Keras 1 form ``schedule(epoch)``) at each epoch begin;
    the rate used is added to the epoch logs as ``learning_rate``."""

    def __init__(self, schedule: Callable[..., float], verbose: int = 0) -> None:
        super().__init__()
        self.schedule = schedule
        self.verbose = verbose

    def _update_optimizer_lr(self, optimizer: Any, epoch: int) -> float:
        if not hasattr(optimizer, "learning_rate"):
            raise ValueError('Optimizer must have a "learning_rate" attribute.')
        try:
            learning_rate = self.schedule(epoch, _lr_value(optimizer))
        except TypeError:  # the one-argument form
            learning_rate = self.schedule(epoch)
        if not isinstance(learning_rate, (float, np.float32, np.float64)):
            raise ValueError(f"The output of the `schedule` function should be a float. Got: {learning_rate}")
        optimizer.learning_rate = learning_rate
        return learning_rate

    def on_epoch_begin(self, epoch: int, logs: Logs = None) -> None:
        opt = self.model.optimizer
        if hasattr(opt, "optimizers"):
            for o in opt.optimizers:
                lr = self._update_optimizer_lr(o, epoch)
                if self.verbose > 0:
                    print_msg(f"\nEpoch {epoch + 1}: LearningRateScheduler setting {o.name} learning rate to {lr}.")
        else:
            lr = self._update_optimizer_lr(opt, epoch)
            if self.verbose > 0:
                print_msg(f"\nEpoch {epoch + 1}: LearningRateScheduler setting learning rate to {lr}.")

    def on_epoch_end(self, epoch: int, logs: Logs = None) -> None:
        if logs is None:
            return
        opt = self.model.optimizer
        if hasattr(opt, "optimizers"):
            for o in opt.optimizers:
                logs[f"learning_rate_{o.name}"] = _lr_value(o)
        else:
            logs["learning_rate"] = _lr_value(opt)
