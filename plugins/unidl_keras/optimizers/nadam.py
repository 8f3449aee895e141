"""``keras.optimizers.Nadam``: Adam with Nesterov momentum (and Keras's momentum schedule)."""
from __future__ import annotations

from typing import Any, Dict, List, Optional

import numpy as np

from unidl.nn import optim as _optim

from .base_optimizer import Optimizer


class Nadam(Optimizer):
    """Nadam. Slots per variable: ``momentum``, ``velocity``; then one scalar, the running product of the
    momentum coefficients (Keras's ``_u_product``, saved last, in the first variable's dtype).

    Defaults: learning_rate 0.001, beta_1 0.9, beta_2 0.999, epsilon 1e-7.
    """

    def __init__(self, learning_rate: Any = 0.001, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float = 1e-7, weight_decay: Optional[float] = None, clipnorm: Optional[float] = None,
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

    def build(self, variables) -> None:
        if self.built:
            return
        super().build(variables)
        self._momentums: List[Any] = []
        self._velocities: List[Any] = []
        for v in variables:
            self._momentums.append(self.add_variable_from_reference(v, "momentum"))
            self._velocities.append(self.add_variable_from_reference(v, "velocity"))
        dtype = variables[0].dtype.name if len(variables) else "float32"
        self._u_product = self.add_variable((), initializer=1.0, dtype=dtype, name="variable")

    def _backend_update_step(self, grads, variables, learning_rate: float) -> None:
        """Advance the momentum product once per step, then update every variable with it."""
        u = _optim.nadam_momentum_cache(float(self._u_product.numpy()), float(self.beta_1), self._local_step,
                                        form="keras", dtype=self._u_product.dtype)
        self._u_product.assign(np.asarray(u, dtype=self._u_product.dtype))
        self._momentum_cache = u
        super()._backend_update_step(grads, variables, learning_rate)

    def update_step(self, gradient, variable, learning_rate: float) -> None:
        i = self._get_variable_index(variable)
        _optim.nadam(variable, gradient, self._momentums[i], self._velocities[i], lr=learning_rate,
                     step=self._local_step, momentum_cache=self._momentum_cache, beta1=float(self.beta_1),
                     beta2=float(self.beta_2), epsilon=float(self.epsilon), form="keras",
                     weight_decay=self._weight_decay_for(variable))

    def get_config(self) -> Dict[str, Any]:
        cfg = super().get_config()
        cfg.update({"beta_1": self.beta_1, "beta_2": self.beta_2, "epsilon": self.epsilon})
        return cfg
