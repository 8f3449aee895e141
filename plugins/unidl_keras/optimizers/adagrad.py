"""``keras.optimizers.Adagrad``: per-element rates from the sum of squared gradients."""
from __future__ import annotations

from typing import Any, Dict, List, Optional

from unidl.nn import optim as _optim

from .base_optimizer import Optimizer


class Adagrad(Optimizer):
    """Adagrad. Slot per variable: ``accumulator``, starting at ``initial_accumulator_value`` (0.1).

    Defaults: learning_rate 0.001, initial_accumulator_value 0.1, epsilon 1e-7.
    """

    def __init__(self, learning_rate: Any = 0.001, initial_accumulator_value: float = 0.1, epsilon: float = 1e-7,
                 weight_decay: Optional[float] = None, clipnorm: Optional[float] = None,
                 clipvalue: Optional[float] = None, global_clipnorm: Optional[float] = None, use_ema: bool = False,
                 ema_momentum: float = 0.99, ema_overwrite_frequency: Optional[int] = None,
                 loss_scale_factor: Optional[float] = None, gradient_accumulation_steps: Optional[int] = None,
                 name: Optional[str] = None, **kwargs: Any) -> None:
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, use_ema=use_ema,
                         ema_momentum=ema_momentum, ema_overwrite_frequency=ema_overwrite_frequency,
                         loss_scale_factor=loss_scale_factor,
                         gradient_accumulation_steps=gradient_accumulation_steps, name=name, **kwargs)
        self.initial_accumulator_value = initial_accumulator_value
        self.epsilon = epsilon

    def build(self, variables) -> None:
        if self.built:
            return
        super().build(variables)
        self._accumulators: List[Any] = self.add_optimizer_variables(
            variables, "accumulator", initializer=float(self.initial_accumulator_value))

    def update_step(self, gradient, variable, learning_rate: float) -> None:
        acc = self._accumulators[self._get_variable_index(variable)]
        _optim.adagrad(variable, gradient, acc, lr=learning_rate, epsilon=float(self.epsilon), form="keras",
                       weight_decay=self._weight_decay_for(variable))

    def get_config(self) -> Dict[str, Any]:
        cfg = super().get_config()
        cfg.update({"initial_accumulator_value": self.initial_accumulator_value, "epsilon": self.epsilon})
        return cfg
