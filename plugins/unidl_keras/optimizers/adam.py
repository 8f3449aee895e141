"""``keras.optimizers.Adam``: adaptive moment estimation (optionally AMSGrad)."""
from __future__ import annotations

from typing import Any, Dict, List, Optional

from unidl.nn import optim as _optim

from .base_optimizer import Optimizer


class Adam(Optimizer):
    """Adam with Keras's bias correction folded into the step size and epsilon outside the square root.

    Slots per variable: ``momentum``, ``velocity`` (and ``velocity_hat`` for all variables after them when
    ``amsgrad``). Defaults: learning_rate 0.001, beta_1 0.9, beta_2 0.999, epsilon 1e-7.
    """

    def __init__(self, learning_rate: Any = 0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7, amsgrad: bool = False, weight_decay: Optional[float] = None, clipnorm: Optional[float] = None,
                 clipvalue: Optional[float] = None, global_clipnorm: Optional[float] = None, use_ema: bool = False,
                 ema_momentum: float = 0.99, ema_overwrite_frequency: Optional[int] = None,
                 loss_scale_factor: Optional[float] = None, gradient_accumulation_steps: Optional[int] = None,
                 name: Optional[str] = None, **kwargs: Any) -> None:
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay, clipnorm=clipnorm,
                         clipvalue=clipvalue, global_clipnorm=global_clipnorm, use_ema=use_ema,
                         ema_momentum=ema_momentum, ema_overwrite_frequency=ema_overwrite_frequency,
                         loss_scale_factor=loss_scale_factor,
                         gradient_accumulation_steps=gradient_accumulation_steps, name=name, **kwargs)
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.amsgrad = amsgrad

    def build(self, variables) -> None:
        if self.built:
            return
        super().build(variables)
        self._momentums: List[Any] = []
        self._velocities: List[Any] = []
        for v in variables:
            self._momentums.append(self.add_variable_from_reference(v, "momentum"))
            self._velocities.append(self.add_variable_from_reference(v, "velocity"))
        self._velocity_hats: List[Any] = []
        if self.amsgrad:
            self._velocity_hats = self.add_optimizer_variables(variables, "velocity_hat")

    def update_step(self, gradient, variable, learning_rate: float) -> None:
        i = self._get_variable_index(variable)
        vhat = self._velocity_hats[i] if self.amsgrad else None
        _optim.adam(variable, gradient, self._momentums[i], self._velocities[i], vhat, lr=learning_rate,
                    step=self._local_step, beta1=float(self.beta_1), beta2=float(self.beta_2),
                    epsilon=float(self.epsilon), form="keras", weight_decay=self._weight_decay_for(variable))

    def get_config(self) -> Dict[str, Any]:
        cfg = super().get_config()
        cfg.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon, "amsgrad": self.amsgrad})
        return cfg
