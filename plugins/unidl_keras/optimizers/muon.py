"""``keras.optimizers.Muon``: orthogonalized momentum for 2-d weights, AdamW for the rest.

Rules: :func:`unidl.nn.optim.muon` (with :func:`unidl.nn.optim.newton_schulz5`) and Keras's Adam
(:func:`unidl.nn.optim.adam`, ``form="keras"``) for the variables Muon leaves to AdamW.
"""
from __future__ import annotations

import re
from typing import Any, Dict, List, Optional

import unidl
from unidl.nn import optim as _optim

from .base_optimizer import Optimizer


class Muon(Optimizer):
    """Muon. A variable takes the AdamW rule when it is not 2-d, when ``exclude_embeddings`` and its path
    contains "embedding", or when its path matches one of ``exclude_layers`` (regular expressions).

    Slots: ``momentum`` per variable, ``velocity`` for the AdamW ones. ``weight_decay`` (0.004) decays the
    Muon variables, ``adam_weight_decay`` (0.004) the AdamW ones; AdamW runs at
    ``learning_rate * adam_lr_ratio``. Newton-Schulz: ``ns_steps`` iterations with coefficients
    ``muon_a/b/c``; the update is scaled by ``sqrt(max(M, N)) * rms_rate`` (None: no scaling).
    """

    def __init__(self, learning_rate: Any = 0.001, adam_beta_1: float = 0.9, adam_beta_2: float = 0.999,
                 adam_weight_decay: Optional[float] = 0.004, epsilon: float = 1e-7,
                 weight_decay: Optional[float] = 0.004, name: Optional[str] = None,
                 exclude_layers: Optional[List[str]] = None, exclude_embeddings: bool = True,
                 muon_a: float = 3.4445, muon_b: float = -4.7750, muon_c: float = 2.0315, adam_lr_ratio: float = 1,
                 momentum: float = 0.95, ns_steps: int = 5, nesterov: bool = True, rms_rate: Optional[float] = 0.2,
                 **kwargs: Any) -> None:
        super().__init__(learning_rate=learning_rate, weight_decay=weight_decay, name=name, **kwargs)
        self.adam_beta_1 = adam_beta_1
        self.adam_beta_2 = adam_beta_2
        self.epsilon = epsilon
        self.muon_a = muon_a
        self.muon_b = muon_b
        self.muon_c = muon_c
        self.adam_lr_ratio = adam_lr_ratio
        self.momentum = momentum
        self.ns_steps = ns_steps
        self.nesterov = nesterov
        self.exclude_embeddings = exclude_embeddings
        self.exclude_layers = exclude_layers or []
        self.adam_weight_decay = adam_weight_decay
        self.rms_rate = rms_rate

    def _should_use_adamw(self, variable) -> bool:
        if len(variable.shape) != 2:
            return True
        path = str(getattr(variable, "path", None) or getattr(variable, "name", ""))
        if self.exclude_embeddings and "embedding" in path.lower():
            return True
        return any(re.search(keyword, path) for keyword in self.exclude_layers)

    def build(self, variables) -> None:
        if self.built:
            return
        super().build(variables)
        self.momentums: List[Any] = [None] * len(variables)
        self.adam_velocities: List[Any] = [None] * len(variables)
        for var in variables:
            if getattr(var, "overwrite_with_gradient", False):
                continue
            i = self._get_variable_index(var)
            self.momentums[i] = self.add_variable_from_reference(var, "momentum")
            if self._should_use_adamw(var):
                self.adam_velocities[i] = self.add_variable_from_reference(var, "velocity")

    def _weight_decay_for(self, variable) -> float:
        if not self._use_weight_decay(variable):
            return 0.0
        value = self.adam_weight_decay if self._should_use_adamw(variable) else self.weight_decay
        return float(value) if value else 0.0

    def update_step(self, gradient, variable, learning_rate: float) -> None:
        i = self._get_variable_index(variable)
        m, v = self.momentums[i], self.adam_velocities[i]
        lr = float(learning_rate.numpy()) if hasattr(learning_rate, "numpy") else float(learning_rate)
        if v is not None:
            _optim.adam(variable, gradient, m, v, None, lr=lr * float(self.adam_lr_ratio), step=self._local_step,
                        beta1=float(self.adam_beta_1), beta2=float(self.adam_beta_2), epsilon=float(self.epsilon),
                        form="keras")
        else:
            _optim.muon(variable, gradient, m, lr=lr, momentum=float(self.momentum), nesterov=bool(self.nesterov),
                        ns_steps=int(self.ns_steps), a=float(self.muon_a), b=float(self.muon_b),
                        c=float(self.muon_c), rms_rate=None if self.rms_rate is None else float(self.rms_rate))

    def _run_update(self, grads, variables) -> None:
        # Keras's Muon applies its two weight decays first, then the rules (which then decay nothing)
        self._apply_weight_decay(variables)
        super()._run_update(grads, variables)

    def zeropower_via_newtonschulz5(self, x, steps: int):
        """The Newton-Schulz orthogonalization of ``x`` (see :func:`unidl.nn.optim.newton_schulz5`)."""
        from ..backend.common import convert_to_tensor

        return _optim.newton_schulz5(convert_to_tensor(x), steps, float(self.muon_a), float(self.muon_b),
                                     float(self.muon_c))

    def lr_adjust(self, x):
        """``x * sqrt(max(M, N)) * rms_rate`` (``x`` unchanged when ``rms_rate`` is None)."""
        from ..backend.common import convert_to_tensor

        if self.rms_rate is None:
            return x
        x = convert_to_tensor(x)
        scale = float(max(x.shape[0], x.shape[1])) ** 0.5
        return unidl.ops.multiply(unidl.ops.multiply(x, x.dtype.type(scale)), float(self.rms_rate))

    def get_config(self) -> Dict[str, Any]:
        cfg = super().get_config()
        cfg.update({"adam_beta_1": self.adam_beta_1, "adam_beta_2": self.adam_beta_2, "epsilon": self.epsilon,
                    "exclude_layers": self.exclude_layers, "muon_a": self.muon_a, "muon_b": self.muon_b,
                    "muon_c": self.muon_c, "adam_lr_ratio": self.adam_lr_ratio, "momentum": self.momentum,
                    "ns_steps": self.ns_steps, "nesterov": self.nesterov,
                    "exclude_embeddings": self.exclude_embeddings, "adam_weight_decay": self.adam_weight_decay,
                    "rms_rate": self.rms_rate})
        return cfg
