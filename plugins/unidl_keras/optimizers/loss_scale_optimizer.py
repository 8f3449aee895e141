"""``keras.optimizers.LossScaleOptimizer``: dynamic loss scaling around another optimizer."""
from __future__ import annotations

from typing import Any, Dict, Optional

import numpy as np

import unidl

from ..backend.common import convert_to_tensor
from .base_optimizer import Optimizer

_BASE_DEFAULTS = {"weight_decay": None, "clipnorm": None, "global_clipnorm": None, "clipvalue": None,
                  "use_ema": False, "ema_momentum": 0.99, "ema_overwrite_frequency": None,
                  "loss_scale_factor": None, "gradient_accumulation_steps": None}


class LossScaleOptimizer(Optimizer):
    """Wraps ``inner_optimizer``: the loss is multiplied by a dynamic scale (:meth:`scale_loss`) and the
    gradients divided by it before the inner update.

    A step with a non-finite gradient is skipped and halves the scale; after ``dynamic_growth_steps``
    finite steps in a row the scale doubles. Variables: its own ``iteration``, ``learning_rate``,
    ``step_counter``, ``dynamic_scale``, then the inner optimizer's. The base optimizer arguments belong
    on the inner optimizer (setting them here raises ValueError).
    """

    def __init__(self, inner_optimizer: Optimizer, initial_scale: float = 2.0 ** 15,
                 dynamic_growth_steps: int = 2000, name: Optional[str] = None, **kwargs: Any) -> None:
        if not kwargs.pop("dynamic", True):
            raise ValueError("LossScaleOptimizer no longer supports `dynamic=False`. Instead, simply set "
                             "`loss_scale_factor` directly on the `inner_optimizer`.")
        for arg, default in _BASE_DEFAULTS.items():
            if arg not in kwargs:
                continue
            value = kwargs.pop(arg)
            if (default is None and value is not None) or value != default:
                raise ValueError(f"LossScaleOptimizer does not support `{arg}`. Instead, set `{arg}` on the "
                                 "`inner_optimizer`.")
        if kwargs:
            raise ValueError(f"LossScaleOptimizer does not support arguments: `{'`, `'.join(kwargs.keys())}`.")
        super().__init__(learning_rate=0.0, name=name)
        self.inner_optimizer = inner_optimizer
        self.initial_scale = initial_scale
        self.dynamic_growth_steps = dynamic_growth_steps
        self.inner_optimizer.loss_scale_factor = None

    def build(self, variables) -> None:
        self.step_counter = self.add_variable((), initializer="zeros", dtype="int32", name="step_counter")
        self.dynamic_scale = self.add_variable((), initializer=float(self.initial_scale), dtype="float32",
                                               name="dynamic_scale")
        self.inner_optimizer.build(variables)
        super().build(variables)

    @property
    def variables(self):
        return list(self._variables) + list(self.inner_optimizer.variables)

    def check_finite(self, grads) -> bool:
        """True when every element of every (non-None) gradient is finite."""
        for g in grads:
            if g is not None and not bool(unidl.ops.all(unidl.ops.isfinite(convert_to_tensor(g))).item()):
                return False
        return True

    def apply(self, grads, trainable_variables=None) -> None:
        grads = list(grads)
        if not self.built:
            self.build(trainable_variables)
            self.built = True
        if self.check_finite(grads):
            scale = float(self.dynamic_scale.numpy())
            tvs = trainable_variables if trainable_variables is not None else self._trainable_variables
            unscaled = [g if g is None or getattr(v, "overwrite_with_gradient", False)
                        else unidl.ops.divide(convert_to_tensor(g), np.float32(scale)) for g, v in zip(grads, tvs)]
            self.inner_optimizer.apply(unscaled, trainable_variables=trainable_variables)
            if int(self.step_counter.numpy()) == self.dynamic_growth_steps - 1:
                self.step_counter.assign(np.asarray(0, np.int32))
                self.dynamic_scale.assign(np.asarray(scale * 2.0, np.float32))
            else:
                self.step_counter.assign(np.asarray(int(self.step_counter.numpy()) + 1, np.int32))
        else:
            self.step_counter.assign(np.asarray(0, np.int32))
            self.dynamic_scale.assign(np.asarray(float(self.dynamic_scale.numpy()) * 0.5, np.float32))

    @property
    def learning_rate(self):
        return self.inner_optimizer.learning_rate

    @learning_rate.setter
    def learning_rate(self, learning_rate) -> None:
        if hasattr(self, "inner_optimizer"):
            self.inner_optimizer.learning_rate = learning_rate
        else:  # the base constructor's own learning rate
            Optimizer.learning_rate.fset(self, learning_rate)

    @property
    def iterations(self):
        return self.inner_optimizer.iterations

    def scale_loss(self, loss):
        scale = self.dynamic_scale if self.built else self.initial_scale
        return unidl.ops.multiply(convert_to_tensor(loss), scale)

    def finalize_variable_values(self, var_list) -> None:
        self.inner_optimizer.finalize_variable_values(var_list)

    def get_config(self) -> Dict[str, Any]:
        from . import serialize

        return {"name": self.name, "inner_optimizer": serialize(self.inner_optimizer),
                "initial_scale": self.initial_scale, "dynamic_growth_steps": self.dynamic_growth_steps}

    @classmethod
    def from_config(cls, config: Dict[str, Any], custom_objects: Optional[Dict[str, Any]] = None):
        from . import deserialize

        config = dict(config)
        inner = deserialize(config.pop("inner_optimizer"), custom_objects=custom_objects)
        return cls(inner, **config)
