"""``keras.optimizers.Lion``: the sign of an interpolated momentum (rule: :func:`unidl.nn.optim.lion`)."""
from __future__ import annotations

from typing import Any, Dict, Optional

from unidl.nn import optim as _optim

from .base_optimizer import Optimizer


class Lion(Optimizer):
    """Lion. Slot per variable: ``momentum``. Defaults: learning_rate 0.001, beta_1 0.9, beta_2 0.99.

    ``beta_1`` must lie in (0, 1] (at 0 the rule degenerates to SignSGD). ``**kwargs``: the base
    :class:`Optimizer` arguments.
    """

    def __init__(self, learning_rate: Any = 0.001, beta_1: float = 0.9, beta_2: float = 0.99,
                 weight_decay: Optional[float] = None, name: Optional[str] = None, **kwargs: Any) -> None:
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay, name=name, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        if beta_1 <= 0 or beta_1 > 1:
            raise ValueError("Argument `beta_1` must be in the [0, 1] range. Otherwise, the optimizer degenerates to "
                             f"SignSGD. Received: beta_1={beta_1}.")

    def build(self, variables) -> None:
        if self.built:
            return
        super().build(variables)
        self._momentums = self.add_optimizer_variables(variables, "momentum")

    def update_step(self, gradient, variable, learning_rate: float) -> None:
        i = self._get_variable_index(variable)
        _optim.lion(variable, gradient, self._momentums[i], lr=learning_rate, beta1=float(self.beta_1),
                    beta2=float(self.beta_2), weight_decay=self._weight_decay_for(variable))

    def get_config(self) -> Dict[str, Any]:
        cfg = super().get_config()
        cfg.update({"beta_1": self.beta_1, "beta_2": self.beta_2})
        return cfg
