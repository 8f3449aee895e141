"""``keras.optimizers.MultiOptimizer`` and ``keras.optimizers.OptimizerMap``: one optimizer per group of variables."""
from __future__ import annotations

import re
from collections.abc import MutableMapping
from typing import Any, Callable, Dict, List, Optional

from .base_optimizer import Optimizer
from .loss_scale_optimizer import LossScaleOptimizer


class OptimizerMap(MutableMapping):
    """Maps variable paths to optimizers; unmatched paths get ``default_optimizer``.

    A key is tried as an exact path first, then every key as a regular expression (``re.fullmatch``);
    more than one match raises ValueError. Calling the map with a variable looks up its ``path``.
    """

    def __init__(self, default_optimizer: Optimizer, optimizer_map: Optional[Dict[str, Optimizer]] = None) -> None:
        if not isinstance(default_optimizer, Optimizer):
            raise TypeError(f"default_optimizer must be a Keras Optimizer instance. Received: {default_optimizer}")
        if optimizer_map is not None and not isinstance(optimizer_map, dict):
            raise TypeError(f"optimizer_map must be a dictionary. Received: {optimizer_map}")
        self._default_optimizer = default_optimizer
        self._optimizer_map = optimizer_map or dict()

    @property
    def default_optimizer(self) -> Optimizer:
        return self._default_optimizer

    def __getitem__(self, key: str) -> Optimizer:
        if key in self._optimizer_map:
            return self._optimizer_map[key]
        matches = [p for p in self._optimizer_map if re.fullmatch(p, key)]
        if len(matches) > 1:
            raise ValueError(f"Multiple optimizers assigned to variable {key}.")
        if matches:
            return self._optimizer_map[matches[0]]
        return self.default_optimizer

    def __setitem__(self, key: str, optimizer: Optimizer) -> None:
        if key in self._optimizer_map:
            raise ValueError(f"'{key}' already exists in the OptimizerMap with value {self._optimizer_map[key]}. "
                             "Please make sure to not use duplicated keys.")
        if not isinstance(key, str):
            raise ValueError(f"key must be a string. Received: {key}")
        if not isinstance(optimizer, Optimizer):
            raise ValueError(f"optimizer must be a Keras Optimizer instance. Received: {optimizer}")
        if isinstance(optimizer, LossScaleOptimizer):
            raise ValueError("optimizer cannot be LossScaleOptimizer.")
        if isinstance(optimizer, MultiOptimizer):
            raise ValueError("optimizer cannot be MultiOptimizer.")
        self._optimizer_map[key] = optimizer

    def __delitem__(self, key: str) -> None:
        del self._optimizer_map[key]

    def __len__(self) -> int:
        return len(self._optimizer_map)

    def __iter__(self):
        return iter(self._optimizer_map)

    def __call__(self, variable: Any) -> Optimizer:
        return self[variable.path]

    def get_config(self) -> Dict[str, Any]:
        from . import serialize

        return {"default_optimizer": serialize(self._default_optimizer),
                "optimizer_map": {k: serialize(v) for k, v in self._optimizer_map.items()}}

    @classmethod
    def from_config(cls, config: Dict[str, Any], custom_objects: Optional[Dict[str, Any]] = None) -> "OptimizerMap":
        from . import deserialize

        default = deserialize(config["default_optimizer"], custom_objects=custom_objects)
        mapping = {k: deserialize(v, custom_objects=custom_objects)
                   for k, v in (config.get("optimizer_map") or {}).items()}
        return cls(default, mapping)


def _serialize_map(optimizer_map: Any) -> Any:
    if isinstance(optimizer_map, OptimizerMap):
        return {"module": "keras.optimizers", "class_name": "OptimizerMap", "config": optimizer_map.get_config(),
                "registered_name": None}
    return optimizer_map  # a selector function is passed through as is


class MultiOptimizer(Optimizer):
    """Delegates each variable to the optimizer ``optimizer_map`` gives it (an :class:`OptimizerMap` or a
    callable ``variable -> Optimizer``).

    ``loss_scale_factor`` overrides the sub-optimizers' own. ``optimizers`` lists the sub-optimizers in the
    order they were met; ``variables`` is this optimizer's own (``iteration``, ``learning_rate``) then each
    sub-optimizer's. ``learning_rate`` is not available here: read and set it on the sub-optimizers.
    """

    def __init__(self, optimizer_map: Any, loss_scale_factor: Optional[float] = None,
                 name: Optional[str] = None) -> None:
        super().__init__(learning_rate=0.0, loss_scale_factor=loss_scale_factor, name=name)
        self._optimizer_map = optimizer_map
        self._inner_optimizers: List[Optimizer] = []
        if hasattr(optimizer_map, "values"):
            for opt in optimizer_map.values():
                if opt not in self._inner_optimizers:
                    opt.loss_scale_factor = loss_scale_factor
                    self._inner_optimizers.append(opt)
        default = getattr(optimizer_map, "default_optimizer", None)
        if default is not None and default not in self._inner_optimizers:
            default.loss_scale_factor = loss_scale_factor
            self._inner_optimizers.append(default)

    def build(self, variables) -> None:
        if self.built:
            return
        variables = list(variables)
        self._var_to_optimizer_idx: Dict[int, int] = {}
        groups: List[List[Any]] = [[] for _ in self._inner_optimizers]
        for var in variables:
            opt = self._optimizer_map(var)
            if not isinstance(opt, Optimizer):
                raise ValueError(f"Optimizer for variable {var} is not an Optimizer instance.")
            if isinstance(opt, LossScaleOptimizer):
                raise ValueError("LossScaleOptimizer cannot be used inside an MultiOptimizer.")
            if isinstance(opt, MultiOptimizer):
                raise ValueError("MultiOptimizer cannot be used inside an MultiOptimizer.")
            if opt not in self._inner_optimizers:
                opt.loss_scale_factor = self.loss_scale_factor
                self._inner_optimizers.append(opt)
                groups.append([])
            idx = self._inner_optimizers.index(opt)
            self._var_to_optimizer_idx[id(var)] = idx
            groups[idx].append(var)
        for opt, group in zip(self._inner_optimizers, groups):
            if group:
                opt.build(group)
        super().build(variables)

    def _var_key(self, variable: Any) -> int:
        return id(variable)

    @property
    def optimizers(self) -> List[Optimizer]:
        return self._inner_optimizers

    @property
    def variables(self):
        out = list(self._variables)
        for opt in self._inner_optimizers:
            out.extend(opt.variables)
        return out

    @property
    def learning_rate(self):
        raise AttributeError("Learning rate cannot be accessed on a MultiOptimizer. Access the learning rate on the "
                             "individual sub-optimizers instead.")

    @learning_rate.setter
    def learning_rate(self, value) -> None:
        raise AttributeError("Learning rate cannot be set on a MultiOptimizer. Set the learning rate on the "
                             "individual sub-optimizers instead.")

    @property
    def loss_scale_factor(self) -> Optional[float]:
        return self.__dict__.get("_loss_scale_factor")

    @loss_scale_factor.setter
    def loss_scale_factor(self, value: Optional[float]) -> None:
        self.__dict__["_loss_scale_factor"] = value
        for opt in self.__dict__.get("_inner_optimizers", ()):
            opt.loss_scale_factor = value

    @property
    def iterations(self):
        return self._iterations

    def apply(self, grads, trainable_variables=None) -> None:
        grads = list(grads)
        if len(grads) == 0:
            return
        if trainable_variables is None:
            if not self.built:
                raise ValueError("When passing `grads` without `variables`, the optimizer must already be built on "
                                 "a list of variables. Call `optimizer.build(trainable_variables)` first.")
            trainable_variables = self._trainable_variables
        trainable_variables = list(trainable_variables)
        if not self.built:
            self.build(trainable_variables)
        if len(grads) != len(self._trainable_variables_indices):
            raise ValueError(f"Gradients must match trainable variables one-to-one. Received {len(grads)} gradients "
                             f"and {len(self._trainable_variables_indices)} variables.")
        groups: List[List[Any]] = [[] for _ in self._inner_optimizers]
        for g, v in zip(grads, trainable_variables):
            groups[self._var_to_optimizer_idx[id(v)]].append((g, v))
        for opt, pairs in zip(self._inner_optimizers, groups):
            if pairs:
                opt.apply([g for g, _ in pairs], [v for _, v in pairs])
        import numpy as np

        self._iterations.assign(np.asarray(int(self._iterations.numpy()) + 1, dtype=np.int64))

    def finalize_variable_values(self, var_list) -> None:
        groups: List[List[Any]] = [[] for _ in self._inner_optimizers]
        for var in var_list:
            groups[self._var_to_optimizer_idx[id(var)]].append(var)
        for opt, group in zip(self._inner_optimizers, groups):
            if group:
                opt.finalize_variable_values(group)

    def set_weights(self, weights) -> None:
        if not self.built:
            raise ValueError("You are calling `set_weights()` on an optimizer that has not yet been built. Please "
                             "call `optimizer.build(trainable_variables)` to create the optimizer weights before "
                             "calling `set_weights()`.")
        weights = list(weights)
        n = len(self._variables)
        for v, w in zip(self._variables, weights[:n]):
            v.assign(w)
        idx = n
        for opt in self._inner_optimizers:
            k = len(opt.variables)
            if k:
                opt.set_weights(weights[idx:idx + k])
                idx += k

    def get_config(self) -> Dict[str, Any]:
        return {"optimizer_map": _serialize_map(self._optimizer_map), "loss_scale_factor": self.loss_scale_factor,
                "name": self.name}

    @classmethod
    def from_config(cls, config: Dict[str, Any], custom_objects: Optional[Dict[str, Any]] = None):
        config = dict(config)
        m = config["optimizer_map"]
        if isinstance(m, dict) and m.get("class_name") == "OptimizerMap":
            config["optimizer_map"] = OptimizerMap.from_config(m["config"], custom_objects=custom_objects)
        return cls(**config)
