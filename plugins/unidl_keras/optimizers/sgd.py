"""``keras.optimizers.SGD``: gradient descent with optional (Nesterov) momentum."""
from __future__ import annotations

from typing import Any, Dict, List, Optional

from unidl.nn import optim as _optim

from .base_optimizer import Optimizer

class SGD(Optimizer):
    """SGD: ``p -= lr * g``; with ``momentum`` a velocity slot ``v = momentum * v - lr * g`` per variable.

    Args:
        learning_rate: float or schedule (default 0.01).
        momentum: float >= 0 (default 0: no slot is created).
        nesterov: use Nesterov momentum.
        **kwargs: the base :class:`Optimizer` arguments.
    """

    def __init__(self, learning_rate: Any = 0.01, momentum: float = 0.0, nesterov: bool = False,
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
        if not isinstance(momentum, (int, float)) or momentum < 0 or momentum > 1:
            raise ValueError("`momentum` must be a float between [0, 1].")
        self.momentum = momentum
        self.nesterov = nesterov

    def build(self, variables) -> None:
        if self.built:
            return
        super().build(variables)
        self.momentums: List[Any] = []
        if self.momentum != 0:
            self.momentums = self.add_optimizer_variables(variables, "momentum")

    def update_step(self, gradient, variable, learning_rate: float) -> None:
        buf = self.momentums[self._get_variable_index(variable)] if self.momentums else None
        _optim.sgd(variable, gradient, buf, lr=learning_rate, momentum=float(self.momentum),
                   nesterov=bool(self.nesterov), form="keras", weight_decay=self._weight_decay_for(variable))

    def _backend_update_step(self, grads, variables, learning_rate: float) -> None:
        """All the variables in one multi-tensor update (:func:`unidl.nn.optim.sgd_many`): bitwise the
        per-variable :meth:`update_step` loop, with its kernel calls; a subclass with its own ``update_step``
        gets that loop."""
        if type(self).update_step is not SGD.update_step:
            super()._backend_update_step(grads, variables, learning_rate)
            return
        n = len(variables)
        moms = [self.momentums[self._get_variable_index(v)] for v in variables] if self.momentums else [None] * n
        _optim.sgd_many(variables, grads, moms, lrs=[learning_rate] * n,
                        weight_decays=[self._weight_decay_for(v) for v in variables], momentum=float(self.momentum),
                        nesterov=bool(self.nesterov), form="keras")

    def get_config(self) -> Dict[str, Any]:
        cfg = super().get_config()
        cfg.update({"momentum": self.momentum, "nesterov": self.nesterov})
        return cfg
