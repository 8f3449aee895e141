"""``mx.optimizer``: MXNet 1.9's optimizers (sgd with momentum, adam).

The update rules themselves are :mod:`unidl.nn.optim`'s fused in-place ops in their MXNet form, shared
with the Keras frontend; this module keeps MXNet's API: learning-rate multipliers, update counts,
``rescale_grad``, ``clip_gradient`` and the optimizer registry.
"""
from __future__ import annotations

from typing import Any, Dict, Optional, Type

from unidl.nn import optim

from .base import MXNetError

_REGISTRY: Dict[str, Type["Optimizer"]] = {}


def register(klass: Type["Optimizer"]) -> Type["Optimizer"]:
    _REGISTRY[klass.__name__.lower()] = klass
    return klass


class Optimizer:
    """Base class: ``update(index, weight, grad, state)`` on NDArrays; ``create_state`` per parameter."""

    def __init__(self, learning_rate: float = 0.01, wd: float = 0.0, rescale_grad: float = 1.0,
                 clip_gradient: Optional[float] = None, lr_scheduler: Any = None, **kwargs: Any) -> None:
        self.lr = learning_rate
        self.wd = wd
        self.rescale_grad = rescale_grad
        self.clip_gradient = clip_gradient
        self.lr_scheduler = lr_scheduler
        self.num_update = 0
        self._index_update_count: Dict[Any, int] = {}
        self.lr_mult: Dict[Any, float] = {}
        self.wd_mult: Dict[Any, float] = {}
        if lr_scheduler is not None:
            lr_scheduler.base_lr = learning_rate

    @property
    def learning_rate(self) -> float:
        return self.lr_scheduler(self.num_update) if self.lr_scheduler is not None else self.lr

    def set_learning_rate(self, lr: float) -> None:
        if self.lr_scheduler is not None:
            raise UserWarning("LRScheduler of the optimizer has already been defined. Note that "
                              "set_learning_rate can mutate the value of the learning rate of the optimizer "
                              "only when the LRScheduler of the optimizer is undefined.")
        self.lr = lr

    def _update_count(self, index: Any) -> int:
        n = self._index_update_count.get(index, 0) + 1
        self._index_update_count[index] = n
        self.num_update = max(n, self.num_update)
        return n

    def _get_lr(self, index: Any) -> float:
        return self.learning_rate * self.lr_mult.get(index, 1.0)

    def _get_wd(self, index: Any) -> float:
        return self.wd * self.wd_mult.get(index, 1.0)

    def create_state(self, index: Any, weight: Any) -> Any:
        return None

    def update(self, index: Any, weight: Any, grad: Any, state: Any) -> None:
        raise NotImplementedError


@register
class SGD(Optimizer):
    """``w = (1 - lr*wd) * w - lr * clip(rescale * g)``; with momentum
    ``mom = momentum*mom - lr*wd*w - lr*clip(rescale*g); w += mom`` (``unidl.nn.optim.sgd``, MXNet form)."""

    def __init__(self, momentum: float = 0.0, lazy_update: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.momentum = momentum

    def create_state(self, index: Any, weight: Any) -> Any:
        return optim.create_state("sgd", weight._t, momentum=self.momentum, form="mxnet")[0]

    def update(self, index: Any, weight: Any, grad: Any, state: Any) -> None:
        self._update_count(index)
        optim.sgd(weight._t, grad._t, state, lr=self._get_lr(index), momentum=self.momentum, form="mxnet",
                  weight_decay=self._get_wd(index), rescale_grad=self.rescale_grad,
                  clip_gradient=self.clip_gradient)


@register
class Adam(Optimizer):
    """MXNet's Adam (``unidl.nn.optim.adam``, MXNet form): ``lr_t = lr*sqrt(1-beta2^t)/(1-beta1^t)``,
    ``g = clip(rescale*g + wd*w)``, ``m = beta1*m + (1-beta1)*g``, ``v = beta2*v + (1-beta2)*g^2``,
    ``w -= lr_t * m / (sqrt(v) + eps)``."""

    def __init__(self, learning_rate: float = 0.001, beta1: float = 0.9, beta2: float = 0.999,
                 epsilon: float = 1e-8, lazy_update: bool = False, **kwargs: Any) -> None:
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta1, self.beta2, self.epsilon = beta1, beta2, epsilon

    def create_state(self, index: Any, weight: Any) -> Any:
        m, v, _ = optim.create_state("adam", weight._t, form="mxnet")
        return m, v

    def update(self, index: Any, weight: Any, grad: Any, state: Any) -> None:
        t = self._update_count(index)
        mean, var = state
        optim.adam(weight._t, grad._t, mean, var, lr=self._get_lr(index), step=t, beta1=self.beta1,
                   beta2=self.beta2, epsilon=self.epsilon, form="mxnet", weight_decay=self._get_wd(index),
                   rescale_grad=self.rescale_grad, clip_gradient=self.clip_gradient)


def create(name: Any, **kwargs: Any) -> Optimizer:
    """An optimizer from an instance or a registered name ('sgd', 'adam')."""
    if isinstance(name, Optimizer):
        return name
    klass = _REGISTRY.get(str(name).lower())
    if klass is None:
        raise MXNetError(f"Cannot find optimizer {name}; supported: {', '.join(sorted(_REGISTRY))}")
    return klass(**kwargs)


__all__ = ["Optimizer", "SGD", "Adam", "create", "register"]
