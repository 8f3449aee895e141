"""``keras.optimizers.Ftrl``: follow-the-regularized-leader (Keras 3's formulation).

The update rule is :func:`unidl.nn.optim.ftrl` with ``form="keras"``; this module holds Keras's
names, defaults, checks and slots.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional

from unidl.nn import optim as _optim

from .base_optimizer import Optimizer


class Ftrl(Optimizer):
    """FTRL. Slots per variable: ``accumulator`` (starting at ``initial_accumulator_value``), ``linear``.

    Defaults: learning_rate 0.001, learning_rate_power -0.5, initial_accumulator_value 0.1, the three
    regularization strengths 0, beta 0.
    """

    def __init__(self, learning_rate: Any = 0.001, learning_rate_power: float = -0.5,
                 initial_accumulator_value: float = 0.1, l1_regularization_strength: float = 0.0,
                 l2_regularization_strength: float = 0.0, l2_shrinkage_regularization_strength: float = 0.0,
                 beta: float = 0.0, weight_decay: Optional[float] = None, clipnorm: Optional[float] = None,
                 clipvalue: Optional[float] = None, global_clipnorm: Optional[float] = None, use_ema: bool = False,
                 ema_momentum: float = 0.99, ema_overwrite_frequency: Optional[int] = None,
                 loss_scale_factor: Optional[float] = None, gradient_accumulation_steps: Optional[int] = None,
                 name: Optional[str] = None, **kwargs: Any) -> None:
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, use_ema=use_ema,
                         ema_momentum=ema_momentum, ema_overwrite_frequency=ema_overwrite_frequency,
                         loss_scale_factor=loss_scale_factor,
                         gradient_accumulation_steps=gradient_accumulation_steps, name=name, **kwargs)
        if initial_accumulator_value < 0.0:
            raise ValueError("`initial_accumulator_value` needs to be positive or zero. Received: "
                             f"initial_accumulator_value={initial_accumulator_value}.")
        if learning_rate_power > 0.0:
            raise ValueError("`learning_rate_power` needs to be negative or zero. Received: "
                             f"learning_rate_power={learning_rate_power}.")
        for arg, value in (("l1_regularization_strength", l1_regularization_strength),
                           ("l2_regularization_strength", l2_regularization_strength),
                           ("l2_shrinkage_regularization_strength", l2_shrinkage_regularization_strength)):
            if value < 0.0:
                raise ValueError(f"`{arg}` needs to be positive or zero. Received: {arg}={value}.")
        self.learning_rate_power = learning_rate_power
        self.initial_accumulator_value = initial_accumulator_value
        self.l1_regularization_strength = l1_regularization_strength
        self.l2_regularization_strength = l2_regularization_strength
        self.l2_shrinkage_regularization_strength = l2_shrinkage_regularization_strength
        self.beta = beta

    def build(self, variables) -> None:
        if self.built:
            return
        super().build(variables)
        self._accumulators: List[Any] = []
        self._linears: List[Any] = []
        for v in variables:
            self._accumulators.append(self.add_variable_from_reference(
                v, "accumulator", initializer=float(self.initial_accumulator_value)))
            self._linears.append(self.add_variable_from_reference(v, "linear"))

    def update_step(self, gradient, variable, learning_rate: float) -> None:
        i = self._get_variable_index(variable)
        _optim.ftrl(variable, gradient, self._linears[i], self._accumulators[i], lr=learning_rate, form="keras",
                    learning_rate_power=float(self.learning_rate_power),
                    lamda1=float(self.l1_regularization_strength), l2=float(self.l2_regularization_strength),
                    l2_shrinkage=float(self.l2_shrinkage_regularization_strength), beta=float(self.beta),
                    weight_decay=self._weight_decay_for(variable))

    def get_config(self) -> Dict[str, Any]:
        cfg = super().get_config()
        cfg.update({"learning_rate_power": self.learning_rate_power,
                    "initial_accumulator_value": self.initial_accumulator_value,
                    "l1_regularization_strength": self.l1_regularization_strength,
                    "l2_regularization_strength": self.l2_regularization_strength,
                    "l2_shrinkage_regularization_strength": self.l2_shrinkage_regularization_strength,
                    "beta": self.beta})
        return cfg
