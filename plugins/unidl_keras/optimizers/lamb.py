"""``keras.optimizers.Lamb``: layer-wise adaptive Adam (rule: :func:`unidl.nn.optim.lamb_keras`)."""
from __future__ import annotations

from typing import Any, Dict, Optional

from unidl.nn import optim as _optim

from .base_optimizer import Optimizer


class Lamb(Optimizer):
    """Lamb. Slots per variable: ``momentum``, ``velocity``. Defaults: learning_rate 0.001, beta_1 0.9,
    beta_2 0.999, epsilon 1e-7. ``**kwargs``: the base :class:`Optimizer` arguments."""

    def __init__(self, learning_rate: Any = 0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7, weight_decay: Optional[float] = None, name: Optional[str] = None,
                 **kwargs: Any) -> None:
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay, name=name, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon

    def build(self, variables) -> None:
        if self.built:
            return
        super().build(variables)
        self._momentums = []
        self._velocities = []
        for v in variables:
            self._momentums.append(self.add_variable_from_reference(v, "momentum"))
            self._velocities.append(self.add_variable_from_reference(v, "velocity"))

    def update_step(self, gradient, variable, learning_rate: float) -> None:
        i = self._get_variable_index(variable)
        _optim.lamb_keras(variable, gradient, self._momentums[i], self._velocities[i], lr=learning_rate,
                          step=self._local_step, beta1=float(self.beta_1), beta2=float(self.beta_2),
                          epsilon=float(self.epsilon), weight_decay=self._weight_decay_for(variable))

    def get_config(self) -> Dict[str, Any]:
        cfg = super().get_config()
        cfg.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon})
        return cfg
