"""``horovod.keras.callbacks``: the Keras callbacks of Horovod 0.28, over :mod:`unidl.distributed`."""
from __future__ import annotations

from typing import Any, Callable, Optional

import numpy as np

from ..callbacks import Callback


class BroadcastGlobalVariablesCallback(Callback):
    """At the start of training, every rank takes rank ``root_rank``'s weights (and optimizer state)."""

    def __init__(self, root_rank: int = 0, device: str = "") -> None:
        super().__init__()
        self.root_rank = int(root_rank)
        self.broadcast_done = False

    def on_batch_end(self, batch: int, logs: Any = None) -> None:
        self._sync()

    def on_train_begin(self, logs: Any = None) -> None:
        self._sync()

    on_train_batch_end = on_batch_end

    def _sync(self) -> None:
        if self.broadcast_done:
            return
        from . import broadcast_variables

        variables = list(self.model.variables)
        opt = getattr(self.model, "optimizer", None)
        if opt is not None and getattr(opt, "built", False):
            variables += list(opt.variables)
            self.broadcast_done = True  # the optimizer state exists: nothing left to sync after this
        broadcast_variables(variables, self.root_rank)


class MetricAverageCallback(Callback):
    """At each epoch's end, every numeric log becomes its mean over the ranks (in rank order)."""

    def __init__(self, device: str = "") -> None:
        super().__init__()

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        if not logs:
            return
        from . import _d

        keys = sorted(k for k, v in logs.items() if isinstance(v, (int, float, np.floating, np.integer)))
        if not keys:
            return
        vals = np.array([float(logs[k]) for k in keys], dtype=np.float64)
        _d().allreduce_many([vals], op="mean", name="horovod.keras.callbacks.MetricAverageCallback")
        for k, v in zip(keys, vals):
            logs[k] = float(v)


class LearningRateScheduleCallback(Callback):
    """``lr = initial_lr * multiplier(epoch)`` between ``start_epoch`` and ``end_epoch``: per epoch
    (``staircase``) or per batch with a fractional epoch; with ``momentum_correction`` the momentum is scaled by
    the lr ratio for the batch where the lr changes, as Horovod does.

    Args:
        initial_lr: the base learning rate. multiplier: a number or ``f(epoch) -> factor``.
        start_epoch / end_epoch: the epochs it applies to. steps_per_epoch: batches per epoch (default: fit's).
    """

    def __init__(self, initial_lr: float, multiplier: Any, start_epoch: int = 0, end_epoch: Optional[int] = None,
                 staircase: bool = True, momentum_correction: bool = True, steps_per_epoch: Optional[int] = None) -> None:
        super().__init__()
        self.initial_lr = float(initial_lr)
        self.start_epoch, self.end_epoch = int(start_epoch), end_epoch
        self.staircase, self.momentum_correction = staircase, momentum_correction
        self.steps_per_epoch = steps_per_epoch
        self.current_epoch = 0
        self.restore_momentum: Optional[float] = None
        self.multiplier: Callable[[float], float] = multiplier if callable(multiplier) else (lambda e: multiplier)

    def _in_range(self, epoch: int) -> bool:
        return epoch >= self.start_epoch and (self.end_epoch is None or epoch < self.end_epoch)

    def _set_lr(self, epoch: float) -> None:
        opt = self.model.optimizer
        old = float(np.asarray(opt.learning_rate))
        new = self.initial_lr * float(self.multiplier(epoch))
        opt.learning_rate = new
        if self.momentum_correction and hasattr(opt, "momentum") and old > 0 and new != old:
            self.restore_momentum = float(opt.momentum)
            opt.momentum = self.restore_momentum * new / old

    def on_train_begin(self, logs: Any = None) -> None:
        if self.steps_per_epoch is None:
            self.steps_per_epoch = (self.params or {}).get("steps")
        if not self.staircase and not self.steps_per_epoch:
            raise ValueError("horovod.keras LearningRateScheduleCallback: steps_per_epoch is unknown (pass it)")

    def on_epoch_begin(self, epoch: int, logs: Any = None) -> None:
        self.current_epoch = epoch
        if self.staircase and self._in_range(epoch):
            self._set_lr(epoch)

    def on_batch_begin(self, batch: int, logs: Any = None) -> None:
        if not self.staircase and self._in_range(self.current_epoch):
            self._set_lr(self.current_epoch + float(batch) / self.steps_per_epoch)

    def on_batch_end(self, batch: int, logs: Any = None) -> None:
        if self.restore_momentum is not None:
            self.model.optimizer.momentum = self.restore_momentum
            self.restore_momentum = None

    on_train_batch_begin = on_batch_begin
    on_train_batch_end = on_batch_end

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        if logs is not None:
            logs["lr"] = float(np.asarray(self.model.optimizer.learning_rate))


class LearningRateWarmupCallback(LearningRateScheduleCallback):
    """Ramp the lr from ``initial_lr / size`` to ``initial_lr`` over ``warmup_epochs`` (Goyal et al. 2017), per
    batch, as Horovod's warmup does."""

    def __init__(self, initial_lr: float, warmup_epochs: int = 5, momentum_correction: bool = True,
                 steps_per_epoch: Optional[int] = None, verbose: int = 0) -> None:
        from . import size

        n = size()

        def multiplier(epoch: float) -> float:
            epoch += 1.0 / self.steps_per_epoch  # round numbers at the end of each epoch, as Horovod
            return 1.0 / n * (epoch * (n - 1) / warmup_epochs + 1)

        super().__init__(initial_lr, multiplier, start_epoch=0, end_epoch=warmup_epochs, staircase=False,
                         momentum_correction=momentum_correction, steps_per_epoch=steps_per_epoch)
        self.verbose = verbose
        self.warmup_epochs = warmup_epochs

    def on_epoch_end(self, epoch: int, logs: Any = None) -> None:
        super().on_epoch_end(epoch, logs)
        if epoch == self.warmup_epochs - 1 and self.verbose > 0:
            print(f"\nEpoch {epoch + 1}: finished gradual learning rate warmup to "
                  f"{float(np.asarray(self.model.optimizer.learning_rate)):g}.")
