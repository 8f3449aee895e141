"""``keras.optimizers.ScheduleFreeAdamW``: AdamW without a schedule (rule: :func:`unidl.nn.optim.schedule_free_adamw`)."""
from __future__ import annotations

from typing import Any, Dict, Optional

from unidl.nn import optim as _optim

from .base_optimizer import Optimizer


class ScheduleFreeAdamW(Optimizer):
    """Schedule-free AdamW. Slots per variable: ``momentum`` (the ``z`` sequence, starting at the variable's
    value) and ``velocity``. Defaults: learning_rate 0.0025, beta_1 0.9, beta_2 0.999, epsilon 1e-8,
    warmup_steps 0 (a linear warm-up of the rate over that many steps)."""

    def __init__(self, learning_rate: Any = 0.0025, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-8, warmup_steps: int = 0, weight_decay: Optional[float] = None,
                 name: Optional[str] = None, **kwargs: Any) -> None:
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay, name=name, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.warmup_steps = warmup_steps

    def build(self, variables) -> None:
        if self.built:
            return
        super().build(variables)
        self._momentums = []
        self._velocities = []
        for v in variables:
            self._momentums.append(self.add_variable_from_reference(v, "momentum"))
            self._velocities.append(self.add_variable_from_reference(v, "velocity"))
        for z, v in zip(self._momentums, variables):
            z.assign(v)

    def update_step(self, gradient, variable, learning_rate: float) -> None:
        i = self._get_variable_index(variable)
        _optim.schedule_free_adamw(variable, gradient, self._momentums[i], self._velocities[i], lr=learning_rate,
                                   step=self._local_step, beta1=float(self.beta_1), beta2=float(self.beta_2),
                                   epsilon=float(self.epsilon), warmup_steps=int(self.warmup_steps),
                                   weight_decay=self._weight_decay_for(variable))

    def get_config(self) -> Dict[str, Any]:
        cfg = super().get_config()
        cfg.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon,
                    "warmup_steps": self.warmup_steps})
        return cfg
