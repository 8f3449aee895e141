"""Adam-family optimizers of MXNet 1.9: ``Adam``, ``Adamax``, ``Nadam`` and ``LAMB``.

The arithmetic is :func:`unidl.nn.optim.adam` / ``adamax`` / ``nadam`` / ``lamb`` in their MXNet form.
"""
from __future__ import annotations

import os
from typing import Any, Optional

from unidl.nn import optim

from ..ndarray.ndarray import NDArray
from .optimizer import Optimizer, _check_nd, _lazy_rows, _on_rows, _zeros_like, register


@register
class Adam(Optimizer):
    """Adam (``mx.optimizer.Adam``), with the bias correction folded into the learning rate::

        t = this index's update count;  lr_t = lr * sqrt(1 - beta2^t) / (1 - beta1^t)
        g' = clip(rescale_grad * g + wd * w)
        m = beta1 * m + (1 - beta1) * g';  v = beta2 * v + (1 - beta2) * g'^2
        w = w - lr_t * m / (sqrt(v) + epsilon)

    (:func:`unidl.nn.optim.adam`, ``form="mxnet"``). States: ``(mean, var)`` (row_sparse for a row_sparse
    weight with ``lazy_update``). With ``lazy_update`` and a row_sparse gradient only the gradient's rows are
    updated, as MXNet's lazy sparse kernel does.
    """

    def __init__(self, learning_rate: float = 0.001, beta1: float = 0.9, beta2: float = 0.999, epsilon: float = 1e-8,
                 lazy_update: bool = True, **kwargs: Any) -> None:
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.lazy_update = lazy_update

    def create_state(self, index: Any, weight: NDArray) -> Any:
        stype = weight.stype if self.lazy_update else "default"
        return (_zeros_like(weight, stype), _zeros_like(weight, stype))

    def update(self, index: Any, weight: NDArray, grad: NDArray, state: Any) -> None:
        _check_nd("Adam", weight=weight, grad=grad)
        self._update_count(index)
        lr, wd = self._get_lr(index), self._get_wd(index)
        t = self._index_update_count[index]
        mean, var = state

        def rule(wt: Any, gt: Any, mt: Any, vt: Any) -> None:
            optim.adam(wt, gt, mt, vt, lr=lr, step=t, beta1=self.beta1, beta2=self.beta2, epsilon=self.epsilon,
                       form="mxnet", weight_decay=wd, rescale_grad=self.rescale_grad,
                       clip_gradient=self._fused_clip())
        rows = _lazy_rows(grad) if self.lazy_update else None
        if rows is not None:   # lazy update: only the gradient's rows of the weight, mean and var
            _on_rows(rows, rule, weight, grad, mean, var)
        else:
            rule(weight.tensor, grad.tensor, mean.tensor, var.tensor)


@register
class Adamax(Optimizer):
    """AdaMax (``mx.optimizer.Adamax``; no epsilon)::

        lr_t = lr / (1 - beta1^t);  g' = clip(rescale_grad * g + wd * w)
        m = beta1 * m + (1 - beta1) * g';  u = maximum(beta2 * u, |g'|);  w = w - lr_t * m / u

    (:func:`unidl.nn.optim.adamax`, ``form="mxnet"``). States: ``(m, u)``.
    """

    def __init__(self, learning_rate: float = 0.002, beta1: float = 0.9, beta2: float = 0.999, **kwargs: Any) -> None:
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta1 = beta1
        self.beta2 = beta2

    def create_state(self, index: Any, weight: NDArray) -> Any:
        return (_zeros_like(weight), _zeros_like(weight))

    def update(self, index: Any, weight: NDArray, grad: NDArray, state: Any) -> None:
        _check_nd("Adamax", weight=weight, grad=grad)
        self._update_count(index)
        lr, wd = self._get_lr(index), self._get_wd(index)
        t = self._index_update_count[index]
        m, u = state
        optim.adamax(weight.tensor, grad.tensor, m.tensor, u.tensor, lr=lr, step=t, beta1=self.beta1,
                     beta2=self.beta2, form="mxnet", weight_decay=wd, rescale_grad=self.rescale_grad,
                     clip_gradient=self.clip_gradient)


@register
class Nadam(Optimizer):
    """Nesterov Adam (``mx.optimizer.Nadam``)::

        mu(s) = beta1 * (1 - 0.5 * 0.96^(s * schedule_decay));  m_schedule *= mu(t)  (once per update of any index)
        g' = clip(rescale_grad * g + wd * w);  m = beta1 * m + (1 - beta1) * g';  v = beta2 * v + (1 - beta2) * g'^2
        m_bar = (1 - mu(t)) * g' / (1 - m_schedule) + mu(t+1) * m / (1 - m_schedule * mu(t+1))
        w = w - lr * m_bar / (sqrt(v / (1 - beta2^t)) + epsilon)

    (:func:`unidl.nn.optim.nadam`, ``form="mxnet"``). States: ``(m, v)``; ``m_schedule`` is one float shared
    by all indices, as in MXNet.
    """

    def __init__(self, learning_rate: float = 0.001, beta1: float = 0.9, beta2: float = 0.999, epsilon: float = 1e-8,
                 schedule_decay: float = 0.004, **kwargs: Any) -> None:
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.schedule_decay = schedule_decay
        self.m_schedule = 1.0

    def create_state(self, index: Any, weight: NDArray) -> Any:
        return (_zeros_like(weight), _zeros_like(weight))

    def update(self, index: Any, weight: NDArray, grad: NDArray, state: Any) -> None:
        _check_nd("Nadam", weight=weight, grad=grad)
        self._update_count(index)
        lr, wd = self._get_lr(index), self._get_wd(index)
        t = self._index_update_count[index]
        self.m_schedule = optim.nadam_momentum_cache(self.m_schedule, self.beta1, t, form="mxnet",
                                                     schedule_decay=self.schedule_decay)
        m, v = state
        optim.nadam(weight.tensor, grad.tensor, m.tensor, v.tensor, lr=lr, step=t, momentum_cache=self.m_schedule,
                    beta1=self.beta1, beta2=self.beta2, epsilon=self.epsilon, form="mxnet", weight_decay=wd,
                    rescale_grad=self.rescale_grad, clip_gradient=self.clip_gradient,
                    schedule_decay=self.schedule_decay)


@register
class LAMB(Optimizer):
    """LAMB (``mx.optimizer.LAMB``), layer-wise adaptive Adam::

        g' = clip(rescale_grad * g);  m = beta1 * m + (1 - beta1) * g';  v = beta2 * v + (1 - beta2) * g'^2
        bias_correction: m_hat = m / (1 - beta1^t), v_hat = v / (1 - beta2^t)   (else m, v)
        r = m_hat / (sqrt(v_hat) + epsilon) + wd * w
        r1 = ||w|| clamped to [lower_bound, upper_bound] (None = no bound);  r2 = ||r||
        w = w - lr * (r1 / r2 if r1 > 0 and r2 > 0 else 1) * r

    (:func:`unidl.nn.optim.lamb`). States: ``(mean, var)``.
    """

    def __init__(self, learning_rate: float = 0.001, beta1: float = 0.9, beta2: float = 0.999, epsilon: float = 1e-6,
                 lower_bound: Optional[float] = None, upper_bound: Optional[float] = None, bias_correction: bool = True,
                 **kwargs: Any) -> None:
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.lower_bound = lower_bound
        self.upper_bound = upper_bound
        self.bias_correction = bias_correction
        self.aggregate_num = max(1, min(45, int(os.getenv("MXNET_OPTIMIZER_AGGREGATION_SIZE", "45"))))

    def create_state(self, index: Any, weight: NDArray) -> Any:
        return (_zeros_like(weight, weight.stype), _zeros_like(weight, weight.stype))

    def update_multi_precision(self, index: Any, weight: Any, grad: Any, state: Any) -> None:
        if isinstance(index, (tuple, list)):   # MXNet's multi-tensor call: the same rule per tensor
            for i, w, g, s in zip(index, weight, grad, state):
                super().update_multi_precision(i, w, g, s)
            return
        super().update_multi_precision(index, weight, grad, state)

    def update(self, index: Any, weight: Any, grad: Any, state: Any) -> None:
        if isinstance(index, (tuple, list)):
            for i, w, g, s in zip(index, weight, grad, state):
                self.update(i, w, g, s)
            return
        _check_nd("LAMB", weight=weight, grad=grad)
        self._update_count(index)
        lr, wd = self._get_lr(index), self._get_wd(index)
        t = self._index_update_count[index]
        mean, var = state
        optim.lamb(weight.tensor, grad.tensor, mean.tensor, var.tensor, lr=lr, step=t, beta1=self.beta1,
                   beta2=self.beta2, epsilon=self.epsilon, weight_decay=wd, rescale_grad=self.rescale_grad,
                   clip_gradient=self._fused_clip(), lower_bound=self.lower_bound or None,
                   upper_bound=self.upper_bound or None, bias_correction=self.bias_correction)


__all__ = ["Adam", "Adamax", "Nadam", "LAMB"]
