"""Per-coordinate adaptive optimizers of MXNet 1.9: ``AdaGrad``, ``RMSProp``, ``AdaDelta``.

The arithmetic is :func:`unidl.nn.optim.adagrad` / ``rmsprop`` / ``adadelta`` in their MXNet form.
"""
from __future__ import annotations

from typing import Any

from unidl.nn import optim

from ..ndarray.ndarray import NDArray
from .optimizer import Optimizer, _check_nd, _t, _zeros_like, register


@register
class AdaGrad(Optimizer):
    """AdaGrad (``mx.optimizer.AdaGrad``; MXNet names its epsilon ``eps``)::

        g' = clip(rescale_grad * g);  history += g'^2
        w = w - lr * (g' / sqrt(history + eps) + wd * w)

    (:func:`unidl.nn.optim.adagrad`, ``form="mxnet"``). States: ``history``, shaped like the weight.
    Here ``clip_gradient`` 0 clips to 0 (MXNet tests ``is not None`` for this optimizer).
    """

    def __init__(self, eps: float = 1e-7, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.float_stable_eps = eps

    def create_state(self, index: Any, weight: NDArray) -> Any:
        return _zeros_like(weight, weight.stype)

    def update(self, index: Any, weight: NDArray, grad: NDArray, state: Any) -> None:
        _check_nd("AdaGrad", weight=weight, grad=grad)
        self._update_count(index)
        lr, wd = self._get_lr(index), self._get_wd(index)
        optim.adagrad(weight.tensor, grad.tensor, state.tensor, lr=lr, epsilon=self.float_stable_eps, form="mxnet",
                      weight_decay=wd, rescale_grad=self.rescale_grad, clip_gradient=self.clip_gradient)


@register
class RMSProp(Optimizer):
    """RMSProp (``mx.optimizer.RMSProp``), Tieleman & Hinton's or, with ``centered``, Graves's::

        g' = clip(rescale_grad * g + wd * w)
        plain:     n = (1 - gamma1) * g'^2 + gamma1 * n;  w = w - lr * g' / sqrt(n + epsilon)
        centered:  n = (1 - gamma1) * g'^2 + gamma1 * n;  g_avg = (1 - gamma1) * g' + gamma1 * g_avg
                   delta = gamma2 * delta - lr * g' / sqrt(n - g_avg^2 + epsilon);  w = w + delta
        clip_weights: w = clip(w, -clip_weights, clip_weights)

    (:func:`unidl.nn.optim.rmsprop`, ``form="mxnet"``). States: ``(n,)`` or, centered, ``(n, g_avg, delta)``.
    """

    def __init__(self, learning_rate: float = 0.001, gamma1: float = 0.9, gamma2: float = 0.9, epsilon: float = 1e-8,
                 centered: bool = False, clip_weights: Any = None, **kwargs: Any) -> None:
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.gamma1 = gamma1
        self.gamma2 = gamma2
        self.centered = centered
        self.epsilon = epsilon
        self.clip_weights = clip_weights

    def create_state(self, index: Any, weight: NDArray) -> Any:
        if self.centered:
            return (_zeros_like(weight), _zeros_like(weight), _zeros_like(weight))
        return (_zeros_like(weight),)

    def update(self, index: Any, weight: NDArray, grad: NDArray, state: Any) -> None:
        _check_nd("RMSProp", weight=weight, grad=grad)
        self._update_count(index)
        lr, wd = self._get_lr(index), self._get_wd(index)
        if self.centered:
            n, g_avg, delta = state
        else:
            (n,), g_avg, delta = state, None, None
        optim.rmsprop(weight.tensor, grad.tensor, n.tensor, _t(g_avg), _t(delta), lr=lr, rho=self.gamma1,
                      momentum=self.gamma2 if self.centered else 0.0, epsilon=self.epsilon, form="mxnet",
                      weight_decay=wd, rescale_grad=self.rescale_grad, clip_gradient=self._fused_clip(),
                      clip_weights=self.clip_weights if self.clip_weights else None)


@register
class AdaDelta(Optimizer):
    """AdaDelta (``mx.optimizer.AdaDelta``; it has no learning rate)::

        g' = clip(rescale_grad * g);  acc_g = rho * acc_g + (1 - rho) * g'^2
        delta = sqrt(acc_delta + epsilon) / sqrt(acc_g + epsilon) * g'
        acc_delta = rho * acc_delta + (1 - rho) * delta^2;  w = w - (delta + wd * w)

    (:func:`unidl.nn.optim.adadelta`, ``form="mxnet"``). States: ``(acc_g, acc_delta)``.
    Unlike MXNet, the caller's gradient array is not rescaled in place.
    """

    def __init__(self, rho: float = 0.90, epsilon: float = 1e-5, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rho = rho
        self.epsilon = epsilon

    def create_state(self, index: Any, weight: NDArray) -> Any:
        return (_zeros_like(weight), _zeros_like(weight))

    def update(self, index: Any, weight: NDArray, grad: NDArray, state: Any) -> None:
        _check_nd("AdaDelta", weight=weight, grad=grad)
        wd = self._get_wd(index)
        self._update_count(index)
        acc_g, acc_delta = state
        optim.adadelta(weight.tensor, grad.tensor, acc_g.tensor, acc_delta.tensor, rho=self.rho, epsilon=self.epsilon,
                       form="mxnet", weight_decay=wd, rescale_grad=self.rescale_grad, clip_gradient=self.clip_gradient)


__all__ = ["AdaGrad", "RMSProp", "AdaDelta"]
