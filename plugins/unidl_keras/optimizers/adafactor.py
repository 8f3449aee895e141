"""``keras.optimizers.Adafactor``: factored second moments (rule: :func:`unidl.nn.optim.adafactor`)."""
from __future__ import annotations

from typing import Any, Dict, List, Optional

from unidl.nn import optim as _optim

from ..backend.variable import Variable
from .base_optimizer import Optimizer


class Adafactor(Optimizer):
    """Adafactor. Per variable, in Keras's order: ``r`` (shape[:-1]) and ``c`` (shape[:-2] + shape[-1:]) for a
    >= 2-d variable (two int32 scalars, unused, for a 0/1-d one), then ``velocity``.

    Defaults: learning_rate 0.001, beta_2_decay -0.8, epsilon_1 1e-30, epsilon_2 1e-3, clip_threshold 1.0,
    relative_step True (the rate is capped at ``1/sqrt(t)`` unless it is a schedule or callable).
    """

    def __init__(self, learning_rate: Any = 0.001, beta_2_decay: float = -0.8, epsilon_1: float = 1e-30,
                 epsilon_2: float = 1e-3, clip_threshold: float = 1.0, relative_step: bool = True,
                 weight_decay: Optional[float] = None, name: Optional[str] = None, **kwargs: Any) -> None:
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay, name=name, **kwargs)
        self.beta_2_decay = beta_2_decay
        self.epsilon_1 = epsilon_1
        self.epsilon_2 = epsilon_2
        self.clip_threshold = clip_threshold
        self.relative_step = relative_step

    def build(self, variables) -> None:
        if self.built:
            return
        super().build(variables)
        self._r: List[Any] = []
        self._c: List[Any] = []
        self._v: List[Any] = []
        for var in variables:
            name = str(getattr(var, "name", "variable"))
            overwrite = getattr(var, "overwrite_with_gradient", False)
            if len(var.shape) < 2:
                self._r.append(self.add_variable((), dtype="int32", name=name))
                self._c.append(self.add_variable((), dtype="int32", name=name))
            elif overwrite:
                self._r.append(None)
                self._c.append(None)
            else:
                shape = tuple(var.shape)
                self._r.append(self.add_variable(shape[:-1], dtype=var.dtype.name, name=name))
                self._c.append(self.add_variable(shape[:-2] + shape[-1:], dtype=var.dtype.name, name=name))
            self._v.append(None if overwrite else self.add_variable_from_reference(var, "velocity"))

    def update_step(self, gradient, variable, learning_rate: float) -> None:
        i = self._get_variable_index(variable)
        factored = len(variable.shape) >= 2
        _optim.adafactor(variable, gradient, self._r[i] if factored else None, self._c[i] if factored else None,
                         self._v[i], lr=learning_rate, step=self._local_step, beta_2_decay=float(self.beta_2_decay),
                         epsilon_1=float(self.epsilon_1), epsilon_2=float(self.epsilon_2),
                         clip_threshold=float(self.clip_threshold),
                         relative_step=bool(self.relative_step) and isinstance(self._learning_rate, Variable),
                         weight_decay=self._weight_decay_for(variable))

    def get_config(self) -> Dict[str, Any]:
        cfg = super().get_config()
        cfg.update({"beta_2_decay": self.beta_2_decay, "epsilon_1": self.epsilon_1, "epsilon_2": self.epsilon_2,
                    "clip_threshold": self.clip_threshold, "relative_step": self.relative_step})
        return cfg
