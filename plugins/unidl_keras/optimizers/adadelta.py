"""``keras.optimizers.Adadelta``: steps scaled by running averages of squared gradients and updates."""
from __future__ import annotations

from typing import Any, Dict, List, Optional

from unidl.nn import optim as _optim

from .base_optimizer import Optimizer


class Adadelta(Optimizer):
    """Adadelta. Slots per variable: ``accumulated_grad``, ``accumulated_delta_var``.

    Defaults: learning_rate 0.001, rho 0.95, epsilon 1e-7.
    """

    def __init__(self, learning_rate: Any = 0.001, rho: float = 0.95, epsilon: float = 1e-7, weight_decay: Optional[float] = None, clipnorm: Optional[float] = None,
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
        self.epsilon = epsilon

    def build(self, variables) -> None:
        if self.built:
            return
        super().build(variables)
        self._accumulated_grads: List[Any] = []
        self._accumulated_delta_vars: List[Any] = []
        for v in variables:
            self._accumulated_grads.append(self.add_variable_from_reference(v, "accumulated_grad"))
            self._accumulated_delta_vars.append(self.add_variable_from_reference(v, "accumulated_delta_var"))

    def update_step(self, gradient, variable, learning_rate: float) -> None:
        i = self._get_variable_index(variable)
        _optim.adadelta(variable, gradient, self._accumulated_grads[i], self._accumulated_delta_vars[i],
                        lr=learning_rate, rho=float(self.rho), epsilon=float(self.epsilon), form="keras",
                        weight_decay=self._weight_decay_for(variable))

    def get_config(self) -> Dict[str, Any]:
        cfg = super().get_config()
        cfg.update({"rho": self.rho, "epsilon": self.epsilon})
        return cfg
