"""``keras.optimizers.schedules``: learning rates as functions of the optimizer step.

A schedule is called with the 0-based step (``optimizer.iterations``: an int, a NumPy scalar or a
0-d tensor/Variable) and returns the learning rate as a 0-d float32 unidl tensor, as Keras returns a
float32 backend tensor. Exponential, piecewise-constant and cosine decay use the shared formulas of
:mod:`unidl.nn.optim` (also used by the Gluon frontend); inverse-time, polynomial and cosine decay
with restarts have small formulas of their own here (unidl.nn.optim has none for them).
"""
from __future__ import annotations

import math
from typing import Any, Dict, Optional, Sequence

import numpy as np

import unidl
from unidl.nn import optim as _optim
from unidl.tensor import Tensor

__all__ = ["LearningRateSchedule", "ExponentialDecay", "PiecewiseConstantDecay", "CosineDecay",
           "InverseTimeDecay", "PolynomialDecay", "CosineDecayRestarts", "serialize", "deserialize"]


def _step_value(step: Any) -> float:
    """The step as a Python float (accepts ints, NumPy scalars, tensors and Variables)."""
    if isinstance(step, Tensor):
        return float(step.numpy())
    return float(np.asarray(step))


def _as_lr(value: float) -> Tensor:
    """A learning rate as a 0-d float32 tensor (Keras schedules compute in float32)."""
    return unidl.tensor(np.asarray(value, dtype=np.float32))


class LearningRateSchedule:
    """Base class: subclass it and implement ``__call__(step)`` and ``get_config()``."""

    def __call__(self, step: Any) -> Any:
        raise NotImplementedError(f"Learning rate schedule '{self.__class__.__name__}' must override "
                                  "`__call__(self, step)`.")

    def get_config(self) -> Dict[str, Any]:
        raise NotImplementedError(f"Learning rate schedule '{self.__class__.__name__}' must override "
                                  "`get_config()` in order to be serializable.")

    @classmethod
    def from_config(cls, config: Dict[str, Any]) -> "LearningRateSchedule":
        return cls(**config)


class ExponentialDecay(LearningRateSchedule):
    """``initial_learning_rate * decay_rate ** (step / decay_steps)`` (integer division if ``staircase``)."""

    def __init__(self, initial_learning_rate: float, decay_steps: int, decay_rate: float, staircase: bool = False,
                 name: str = "ExponentialDecay") -> None:
        super().__init__()
        if decay_steps <= 0:
            raise ValueError(f"Argument `decay_steps` must be > 0. Received: decay_steps={decay_steps}")
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name

    def __call__(self, step: Any) -> Tensor:
        return _as_lr(_optim.exponential_decay(_step_value(step), float(self.initial_learning_rate),
                                               float(self.decay_steps), float(self.decay_rate), self.staircase))

    def get_config(self) -> Dict[str, Any]:
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "decay_rate": self.decay_rate, "staircase": self.staircase, "name": self.name}


class PiecewiseConstantDecay(LearningRateSchedule):
    """``values[0]`` while ``step <= boundaries[0]``, ``values[i]`` up to ``boundaries[i]``, then ``values[-1]``."""

    def __init__(self, boundaries: Sequence[float], values: Sequence[float], name: str = "PiecewiseConstant") -> None:
        super().__init__()
        if len(boundaries) != len(values) - 1:
            raise ValueError("The length of boundaries should be 1 less than the length of values. Received: "
                             f"boundaries={boundaries} of length {len(boundaries)}, and values={values} "
                             f"of length {len(values)}.")
        self.boundaries = boundaries
        self.values = values
        self.name = name

    def __call__(self, step: Any) -> Tensor:
        return _as_lr(_optim.piecewise_constant_decay(_step_value(step), list(self.boundaries), list(self.values)))

    def get_config(self) -> Dict[str, Any]:
        return {"boundaries": self.boundaries, "values": self.values, "name": self.name}


class CosineDecay(LearningRateSchedule):
    """Cosine decay from ``initial_learning_rate`` (or, after a linear warmup of ``warmup_steps`` steps,
    from ``warmup_target``) to ``alpha`` times that over ``decay_steps`` steps."""

    def __init__(self, initial_learning_rate: float, decay_steps: int, alpha: float = 0.0, name: str = "CosineDecay",
                 warmup_target: Optional[float] = None, warmup_steps: int = 0) -> None:
        super().__init__()
        if decay_steps <= 0:
            raise ValueError(f"Argument `decay_steps` must be > 0. Received: decay_steps={decay_steps}")
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.alpha = alpha
        self.name = name
        self.warmup_steps = warmup_steps
        self.warmup_target = warmup_target

    def __call__(self, step: Any) -> Tensor:
        return _as_lr(_optim.cosine_decay(_step_value(step), float(self.initial_learning_rate), self.decay_steps,
                                          float(self.alpha), self.warmup_target, self.warmup_steps))

    def get_config(self) -> Dict[str, Any]:
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "alpha": self.alpha, "name": self.name, "warmup_target": self.warmup_target,
                "warmup_steps": self.warmup_steps}


class InverseTimeDecay(LearningRateSchedule):
    """``initial_learning_rate / (1 + decay_rate * step / decay_steps)`` (the ratio floored if ``staircase``)."""

    def __init__(self, initial_learning_rate: float, decay_steps: int, decay_rate: float, staircase: bool = False,
                 name: str = "InverseTimeDecay") -> None:
        super().__init__()
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.decay_rate = decay_rate
        self.staircase = staircase
        self.name = name

    def __call__(self, step: Any) -> Tensor:
        p = _step_value(step) / float(self.decay_steps)
        if self.staircase:
            p = math.floor(p)
        return _as_lr(float(self.initial_learning_rate) / (1.0 + float(self.decay_rate) * p))

    def get_config(self) -> Dict[str, Any]:
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "decay_rate": self.decay_rate, "staircase": self.staircase, "name": self.name}


class PolynomialDecay(LearningRateSchedule):
    """``(lr0 - end) * (1 - s / D) ** power + end`` with ``s = min(step, D)``; with ``cycle``, ``D`` grows to
    the next multiple of ``decay_steps`` above ``step`` (``decay_steps`` itself at step 0)."""

    def __init__(self, initial_learning_rate: float, decay_steps: int, end_learning_rate: float = 0.0001,
                 power: float = 1.0, cycle: bool = False, name: str = "PolynomialDecay") -> None:
        super().__init__()
        self.initial_learning_rate = initial_learning_rate
        self.decay_steps = decay_steps
        self.end_learning_rate = end_learning_rate
        self.power = power
        self.cycle = cycle
        self.name = name

    def __call__(self, step: Any) -> Tensor:
        s = _step_value(step)
        d = float(self.decay_steps)
        if self.cycle:
            mult = 1.0 if s == 0 else math.ceil(s / d)
            d = d * mult
        else:
            s = min(s, d)
        lr0, end = float(self.initial_learning_rate), float(self.end_learning_rate)
        return _as_lr((lr0 - end) * math.pow(1.0 - s / d, float(self.power)) + end)

    def get_config(self) -> Dict[str, Any]:
        return {"initial_learning_rate": self.initial_learning_rate, "decay_steps": self.decay_steps,
                "end_learning_rate": self.end_learning_rate, "power": self.power, "cycle": self.cycle,
                "name": self.name}


class CosineDecayRestarts(LearningRateSchedule):
    """SGDR: cosine decay over periods that start at ``first_decay_steps`` and grow by ``t_mul``; each
    restart begins at ``m_mul`` times the previous start; ``alpha`` is the floor fraction."""

    def __init__(self, initial_learning_rate: float, first_decay_steps: int, t_mul: float = 2.0, m_mul: float = 1.0,
                 alpha: float = 0.0, name: str = "SGDRDecay") -> None:
        super().__init__()
        if first_decay_steps <= 0:
            raise ValueError("Argument `first_decay_steps` must be > 0. "
                             f"Received: first_decay_steps={first_decay_steps}")
        self.initial_learning_rate = initial_learning_rate
        self.first_decay_steps = first_decay_steps
        self._t_mul = t_mul
        self._m_mul = m_mul
        self.alpha = alpha
        self.name = name

    def _position(self, frac: float) -> "tuple[float, float]":
        """(restart index, fraction into the current period) for ``frac = step / first_decay_steps``."""
        t = float(self._t_mul)
        if t == 1.0:
            i = math.floor(frac)
            return float(i), frac - i
        i = math.floor(math.log(1.0 - frac * (1.0 - t)) / math.log(t))
        done = (1.0 - t ** i) / (1.0 - t)
        return float(i), (frac - done) / t ** i

    def __call__(self, step: Any) -> Tensor:
        i, frac = self._position(_step_value(step) / float(self.first_decay_steps))
        m_fac = float(self._m_mul) ** i
        cosine = 0.5 * m_fac * (1.0 + math.cos(math.pi * frac))
        decayed = (1.0 - float(self.alpha)) * cosine + float(self.alpha)
        return _as_lr(float(self.initial_learning_rate) * decayed)

    def get_config(self) -> Dict[str, Any]:
        return {"initial_learning_rate": self.initial_learning_rate, "first_decay_steps": self.first_decay_steps,
                "t_mul": self._t_mul, "m_mul": self._m_mul, "alpha": self.alpha, "name": self.name}


_SCHEDULES = {c.__name__: c for c in (ExponentialDecay, PiecewiseConstantDecay, CosineDecay, InverseTimeDecay,
                                      PolynomialDecay, CosineDecayRestarts)}


def serialize(learning_rate_schedule: LearningRateSchedule) -> Dict[str, Any]:
    """The Keras 3 serialized form ``{'module', 'class_name', 'config', 'registered_name'}``."""
    cls = type(learning_rate_schedule)
    builtin = _SCHEDULES.get(cls.__name__) is cls
    return {"module": "keras.optimizers.schedules" if builtin else cls.__module__, "class_name": cls.__name__,
            "config": learning_rate_schedule.get_config(),
            "registered_name": None if builtin else cls.__name__}


def deserialize(config: Dict[str, Any], custom_objects: Optional[Dict[str, Any]] = None) -> LearningRateSchedule:
    """A schedule back from :func:`serialize`'s dict (``custom_objects`` names user subclasses)."""
    name = config.get("class_name")
    cls = (custom_objects or {}).get(name) or _SCHEDULES.get(name)
    if cls is None:
        raise ValueError(f"Unknown learning rate schedule: '{name}'. Please ensure you are using a "
                         "`keras.utils.custom_object_scope` and that this object is included in the scope.")
    return cls.from_config(dict(config.get("config", {})))
