"""``keras.optimizers.RMSprop``: scaling by a running average of squared gradients."""
from __future__ import annotations

from typing import Any, Dict, List, Optional

from unidl.nn import optim as _optim

from .base_optimizer import Optimizer


class RMSprop(Optimizer):
    """RMSprop (``centered`` subtracts the squared mean gradient; ``momentum`` > 0 adds a momentum slot).

    Slots, in Keras's order: all ``velocity``, then all ``momentum`` (momentum > 0), then all
    ``average_gradient`` (centered). Defaults: learning_rate 0.001, rho 0.9, momentum 0, epsilon 1e-7.
    """

    def __init__(self, learning_rate: Any = 0.001, rho: float = 0.9, momentum: float = 0.0, epsilon: float = 1e-7,
                 centered: bool = False, weight_decay: Optional[float] = None, clipnorm: Optional[float] = None,
                 clipvalue: Optional[float] = None, global_clipnorm: Optional[float] = None, use_ema: bool = False,
                 ema_momentum: float = 0.99, ema_overwrite_frequency: Optional[int] = None,
                 loss_scale_factor: Optional[float] = None, gradient_accumulation_steps: Optional[int] = None,
                 name: Optional[str] = None, **kwargs: Any) -> None:
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, use_ema=use_ema,
                         ema_momentum=ema_momentum, ema_overwrite_frequency=ema_overwrite_frequency,
                         loss_scale_factor=loss_scale_factor,
                         gradient_accumulation_steps=gradient_accumulation_steps, name=name, **kwargs)
        self.rho = rho
        self.momentum = momentum
        self.epsilon = epsilon
        self.centered = centered

    def build(self, variables) -> None:
        if self.built:
            return
        super().build(variables)
        self._velocities: List[Any] = self.add_optimizer_variables(variables, "velocity")
        self._momentums: List[Any] = []
        if self.momentum > 0:
            self._momentums = self.add_optimizer_variables(variables, "momentum")
        self._average_gradients: List[Any] = []
        if self.centered:
            self._average_gradients = self.add_optimizer_variables(variables, "average_gradient")

    def update_step(self, gradient, variable, learning_rate: float) -> None:
        i = self._get_variable_index(variable)
        g_avg = self._average_gradients[i] if self.centered else None
        mom = self._momentums[i] if self.momentum > 0 else None
        _optim.rmsprop(variable, gradient, self._velocities[i], g_avg, mom, lr=learning_rate, rho=float(self.rho),
                       momentum=float(self.momentum), epsilon=float(self.epsilon), form="keras",
                       weight_decay=self._weight_decay_for(variable))

    def get_config(self) -> Dict[str, Any]:
        cfg = super().get_config()
        cfg.update({"rho": self.rho, "momentum": self.momentum, "epsilon": self.epsilon, "centered": self.centered})
        return cfg
