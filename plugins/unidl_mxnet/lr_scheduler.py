"""``mx.lr_scheduler``: MXNet 1.9's learning-rate schedulers.

A scheduler is called with ``num_update`` (the largest per-parameter update count) and returns the
learning rate. As in MXNet they are **stateful**: ``FactorScheduler`` and ``MultiFactorScheduler`` multiply
``base_lr`` in place as updates pass their steps, ``PolyScheduler`` and ``CosineScheduler`` store the last
value in ``base_lr`` (computed from ``base_lr_orig``, the value given at construction) and keep returning it
after ``max_update``. An optimizer given ``learning_rate`` overwrites ``base_lr`` (which warmup does not use:
it ramps to ``warmup_final_lr``, the construction-time ``base_lr``). The formulas are
:mod:`unidl.nn.optim`'s ``warmup_lr``, ``poly_schedule`` and ``cosine_schedule``.
"""
from __future__ import annotations

import logging
from typing import List

from unidl.nn import optim


class LRScheduler:
    """Base class: ``base_lr``, and a warmup of ``warmup_steps`` updates from ``warmup_begin_lr`` to ``base_lr``
    (``warmup_mode`` 'linear' or 'constant')."""

    def __init__(self, base_lr: float = 0.01, warmup_steps: int = 0, warmup_begin_lr: float = 0,
                 warmup_mode: str = "linear") -> None:
        self.base_lr = base_lr
        if not isinstance(warmup_steps, int):
            raise AssertionError(f"warmup_steps must be an int, got {type(warmup_steps).__name__}")
        self.warmup_steps = warmup_steps
        self.warmup_final_lr = base_lr
        self.warmup_begin_lr = warmup_begin_lr
        if self.warmup_begin_lr > self.warmup_final_lr:
            raise ValueError("Base lr has to be higher than warmup_begin_lr")
        if self.warmup_steps < 0:
            raise ValueError("Warmup steps has to be positive or 0")
        if warmup_mode not in ["linear", "constant"]:
            raise ValueError("Supports only linear and constant modes of warmup")
        self.warmup_mode = warmup_mode

    def get_warmup_lr(self, num_update: int) -> float:
        """The learning rate during warmup (``num_update < warmup_steps``)."""
        if not num_update < self.warmup_steps:
            raise AssertionError(f"get_warmup_lr({num_update}) called after the {self.warmup_steps} warmup steps")
        return optim.warmup_lr(num_update, self.warmup_final_lr, self.warmup_steps, self.warmup_begin_lr,
                               self.warmup_mode)

    def __call__(self, num_update: int) -> float:
        raise NotImplementedError("must override this")


class FactorScheduler(LRScheduler):
    """``base_lr * factor ** floor((num_update - 1) / step)``, floored at ``stop_factor_lr`` (after warmup).

    Stateful, as MXNet: each call multiplies ``base_lr`` once per ``step`` updates passed since the last call.
    """

    def __init__(self, step: int, factor: float = 1, stop_factor_lr: float = 1e-8, base_lr: float = 0.01,
                 warmup_steps: int = 0, warmup_begin_lr: float = 0, warmup_mode: str = "linear") -> None:
        super().__init__(base_lr, warmup_steps, warmup_begin_lr, warmup_mode)
        if step < 1:
            raise ValueError("Schedule step must be greater or equal than 1 round")
        if factor > 1.0:
            raise ValueError("Factor must be no more than 1 to make lr reduce")
        self.step = step
        self.factor = factor
        self.stop_factor_lr = stop_factor_lr
        self.count = 0

    def __call__(self, num_update: int) -> float:
        if num_update < self.warmup_steps:
            return self.get_warmup_lr(num_update)
        while num_update > self.count + self.step:
            self.count += self.step
            self.base_lr *= self.factor
            if self.base_lr < self.stop_factor_lr:
                self.base_lr = self.stop_factor_lr
                logging.info("Update[%d]: now learning rate arrived at %0.5e, will not change in the future",
                             num_update, self.base_lr)
            else:
                logging.info("Update[%d]: Change learning rate to %0.5e", num_update, self.base_lr)
        return self.base_lr


class MultiFactorScheduler(LRScheduler):
    """``base_lr * factor ** k`` with ``k`` the number of entries of ``step`` (increasing) below ``num_update``."""

    def __init__(self, step: List[int], factor: float = 1, base_lr: float = 0.01, warmup_steps: int = 0,
                 warmup_begin_lr: float = 0, warmup_mode: str = "linear") -> None:
        super().__init__(base_lr, warmup_steps, warmup_begin_lr, warmup_mode)
        if not (isinstance(step, list) and len(step) >= 1):
            raise AssertionError(f"step must be a non-empty list of ints, got {step!r}")
        for i, s in enumerate(step):
            if i != 0 and step[i] <= step[i - 1]:
                raise ValueError("Schedule step must be an increasing integer list")
            if s < 1:
                raise ValueError("Schedule step must be greater or equal than 1 round")
        if factor > 1.0:
            raise ValueError("Factor must be no more than 1 to make lr reduce")
        self.step = step
        self.cur_step_ind = 0
        self.factor = factor
        self.count = 0

    def __call__(self, num_update: int) -> float:
        if num_update < self.warmup_steps:
            return self.get_warmup_lr(num_update)
        while self.cur_step_ind <= len(self.step) - 1:
            if num_update > self.step[self.cur_step_ind]:
                self.count = self.step[self.cur_step_ind]
                self.cur_step_ind += 1
                self.base_lr *= self.factor
                logging.info("Update[%d]: Change learning rate to %0.5e", num_update, self.base_lr)
            else:
                return self.base_lr
        return self.base_lr


class _DecayToFinalLR(LRScheduler):
    """Shared by PolyScheduler and CosineScheduler: after warmup, ``base_lr`` follows ``_decayed(num_update)``
    from ``base_lr_orig`` down to ``final_lr`` at ``max_update`` and keeps that last value after it."""

    def __init__(self, max_update: int, base_lr: float, final_lr: float, warmup_steps: int, warmup_begin_lr: float,
                 warmup_mode: str) -> None:
        super().__init__(base_lr, warmup_steps, warmup_begin_lr, warmup_mode)
        if not isinstance(max_update, int):
            raise AssertionError(f"max_update must be an int, got {type(max_update).__name__}")
        if max_update < 1:
            raise ValueError("maximum number of updates must be strictly positive")
        self.base_lr_orig = base_lr
        self.max_update = max_update
        self.final_lr = final_lr
        self.max_steps = self.max_update - self.warmup_steps

    def _decayed(self, num_update: int) -> float:
        raise NotImplementedError

    def __call__(self, num_update: int) -> float:
        if num_update < self.warmup_steps:
            return self.get_warmup_lr(num_update)
        if num_update <= self.max_update:
            self.base_lr = self._decayed(num_update)
        return self.base_lr


class PolyScheduler(_DecayToFinalLR):
    """``final_lr + (base_lr - final_lr) * (1 - (num_update - warmup_steps) / (max_update - warmup_steps)) ** pwr``
    up to ``max_update``; the last value after it."""

    def __init__(self, max_update: int, base_lr: float = 0.01, pwr: float = 2, final_lr: float = 0,
                 warmup_steps: int = 0, warmup_begin_lr: float = 0, warmup_mode: str = "linear") -> None:
        super().__init__(max_update, base_lr, final_lr, warmup_steps, warmup_begin_lr, warmup_mode)
        self.power = pwr

    def _decayed(self, num_update: int) -> float:
        return optim.poly_schedule(num_update, self.max_update, self.base_lr_orig, self.power, self.final_lr,
                                   self.warmup_steps)


class CosineScheduler(_DecayToFinalLR):
    """``final_lr + (base_lr - final_lr) * (1 + cos(pi * (num_update - warmup_steps) / (max_update - warmup_steps))) / 2``
    up to ``max_update``; the last value after it."""

    def __init__(self, max_update: int, base_lr: float = 0.01, final_lr: float = 0, warmup_steps: int = 0,
                 warmup_begin_lr: float = 0, warmup_mode: str = "linear") -> None:
        super().__init__(max_update, base_lr, final_lr, warmup_steps, warmup_begin_lr, warmup_mode)

    def _decayed(self, num_update: int) -> float:
        return optim.cosine_schedule(num_update, self.max_update, self.base_lr_orig, self.final_lr, self.warmup_steps)


__all__ = ["LRScheduler", "FactorScheduler", "MultiFactorScheduler", "PolyScheduler", "CosineScheduler"]
