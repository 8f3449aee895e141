"""The rest of MXNet 1.9's optimizers: ``FTML``, ``SGLD``, ``DCASGD``, ``LARS`` and ``LBSGD``.

Their arithmetic is :func:`unidl.nn.optim.ftml` / ``sgld`` / ``dcasgd`` / ``lars_scale`` and
:func:`unidl.nn.optim.sgd` (LARS and LBSGD are SGD with a per-layer learning rate).
"""
from __future__ import annotations

import logging
import math
import os
import warnings
from typing import Any, List, Optional

import numpy as np

from unidl import ops
from unidl.nn import optim

from ..ndarray.ndarray import NDArray
from .optimizer import _UpdateThroughImpl, Optimizer, _check_nd, _lazy_rows, _on_rows, _t, _zeros_like, register
from .sgd import _as_lists, _mp_state


@register
class FTML(Optimizer):
    """FTML, Follow the Moving Leader (``mx.optimizer.FTML``)::

        g' = clip(rescale_grad * g + wd * w);  v = beta2 * v + (1 - beta2) * g'^2
        d_t = (1 - beta1^t) / lr * (sqrt(v / (1 - beta2^t)) + epsilon)
        z = beta1 * z + (1 - beta1) * g' - (d_t - beta1 * d) * w;  d = d_t;  w = -z / d_t

    (:func:`unidl.nn.optim.ftml`). States: ``(d, v, z)``.
    """

    def __init__(self, beta1: float = 0.6, beta2: float = 0.999, epsilon: float = 1e-8, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon

    def create_state(self, index: Any, weight: NDArray) -> Any:
        return (_zeros_like(weight), _zeros_like(weight), _zeros_like(weight))

    def update(self, index: Any, weight: NDArray, grad: NDArray, state: Any) -> None:
        _check_nd("FTML", weight=weight, grad=grad)
        self._update_count(index)
        lr, wd = self._get_lr(index), self._get_wd(index)
        t = self._index_update_count[index]
        d, v, z = state
        optim.ftml(weight.tensor, grad.tensor, d.tensor, v.tensor, z.tensor, lr=lr, step=t, beta1=self.beta1,
                   beta2=self.beta2, epsilon=self.epsilon, weight_decay=wd, rescale_grad=self.rescale_grad,
                   clip_gradient=self._fused_clip())


@register
class SGLD(Optimizer):
    """Stochastic Gradient Langevin Dynamics (``mx.optimizer.SGLD``)::

        g' = clip(rescale_grad * g);  w = w - lr/2 * (g' + wd * w) + normal(0, sqrt(lr))

    The noise is one ``mx.random.normal`` draw per update (so ``mx.random.seed`` makes it repeatable).
    No state. (:func:`unidl.nn.optim.sgld`.)
    """

    def create_state(self, index: Any, weight: NDArray) -> Any:
        return None

    def update(self, index: Any, weight: NDArray, grad: NDArray, state: Any) -> None:
        from .. import random as mxrandom

        _check_nd("SGLD", weight=weight, grad=grad)
        self._update_count(index)
        lr, wd = self._get_lr(index), self._get_wd(index)
        noise = mxrandom.normal(0, math.sqrt(lr), shape=weight.shape, dtype=weight.dtype, ctx=weight.context)
        optim.sgld(weight.tensor, grad.tensor, noise.tensor, lr=lr, weight_decay=wd, rescale_grad=self.rescale_grad,
                   clip_gradient=self.clip_gradient)


@register
class DCASGD(Optimizer):
    """Delay-compensated asynchronous SGD (``mx.optimizer.DCASGD``)::

        g' = clip(rescale_grad * g);  step = -lr * (g' + wd * w + lamda * g'^2 * (w - w_prev))
        momentum > 0: mom = momentum * mom + step;  step = mom
        w_prev = w;  w = w + step

    (:func:`unidl.nn.optim.dcasgd`). States: ``(momentum or None, previous weight)``. MXNet 1.9 itself
    fails with ``momentum > 0`` (it tests the momentum array's truth value); here momentum works as documented.
    """

    def __init__(self, momentum: float = 0.0, lamda: float = 0.04, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.momentum = momentum
        self.weight_previous: dict = {}
        self.lamda = lamda

    def create_state(self, index: Any, weight: NDArray) -> Any:
        if self.momentum == 0.0:
            return (None, weight.copy())
        return (_zeros_like(weight), weight.copy())

    def update(self, index: Any, weight: NDArray, grad: NDArray, state: Any) -> None:
        _check_nd("DCASGD", weight=weight, grad=grad)
        self._update_count(index)
        lr, wd = self._get_lr(index), self._get_wd(index)
        mom, previous = state
        optim.dcasgd(weight.tensor, grad.tensor, _t(mom), previous.tensor, lr=lr, momentum=self.momentum,
                     lamda=self.lamda, weight_decay=wd, rescale_grad=self.rescale_grad,
                     clip_gradient=self.clip_gradient)


def _l2norm(a: NDArray, scale: float = 1.0) -> float:
    """``||a * scale||_2`` computed in float32 (MXNet's ``norm`` of ``a.astype('float32')``)."""
    t = a.tensor if a.dtype == np.float32 else ops.astype(a.tensor, np.float32)
    if scale != 1.0:
        t = ops.multiply(t, float(scale))
    return float(ops.sqrt(ops.sum(ops.square(t))).item())


def _sgd_step(opt: Optimizer, weight: NDArray, grad: NDArray, state: Any, lr: float, wd: float, momentum: float,
              multi_precision: bool, aggregated: bool, lazy: bool = False) -> None:
    """One SGD update (MXNet's sgd[_mom]_update / multi_sgd[_mom]_update, or their mp_ forms); ``lazy`` with a
    row_sparse gradient updates only its rows."""
    target, grad_t, mom = weight, grad, state
    if multi_precision:
        mom, target, grad_t = state[0], state[1], grad.astype(np.float32)
    use_mom = mom is not None and momentum > 0

    def rule(wt: Any, gt: Any, mt: Any) -> None:
        optim.sgd(wt, gt, mt, lr=lr, momentum=momentum if mt is not None else 0.0, form="mxnet", weight_decay=wd,
                  rescale_grad=opt.rescale_grad, clip_gradient=opt._fused_clip(), aggregated=aggregated)
    rows = _lazy_rows(grad_t) if lazy and not multi_precision else None
    if rows is not None:
        _on_rows(rows, rule, target, grad_t, mom if use_mom else None)
    else:
        rule(target.tensor, grad_t.tensor, _t(mom) if use_mom else None)
    if multi_precision:
        weight[:] = target.astype(weight.dtype)


def _no_lars(name: str) -> bool:
    return name.endswith("gamma") or name.endswith("beta") or name.endswith("bias")


@register
class LARS(_UpdateThroughImpl, Optimizer):
    """LARS, layer-wise adaptive rate scaling over SGD with momentum (``mx.optimizer.LARS``)::

        lr_layer = lr * eta * ||w|| / (||rescale_grad * g|| + wd * ||w|| + eps)   (both norms > 0; else lr)
        then SGD (``mx.optimizer.SGD``'s rule) with lr_layer

    Parameters named ``*gamma``, ``*beta`` or ``*bias`` keep ``lr``. With ``momentum_correction`` (and an
    ``lr_scheduler``) the momentum is scaled by ``lr / previous lr``. Only names ending in ``_weight`` get weight
    decay by default. (:func:`unidl.nn.optim.lars_scale` and :func:`unidl.nn.optim.sgd`.)
    """

    def __init__(self, momentum: float = 0.0, lazy_update: bool = True, eta: float = 0.001, eps: float = 0,
                 momentum_correction: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.momentum = momentum
        self.momentum_correction = momentum_correction
        self.lazy_update = lazy_update
        self.aggregate_num = int(os.getenv("MXNET_OPTIMIZER_AGGREGATION_SIZE", "4"))
        self.eta = eta
        self.eps = eps
        self.skip = 0
        self.last_lr: Optional[float] = None
        self.cur_lr: Optional[float] = None

    def _get_lrs(self, indices: Any) -> List[float]:
        if self.cur_lr is not None:
            self.last_lr = self.cur_lr
        lr = self.lr_scheduler(self.num_update) if self.lr_scheduler is not None else self.lr
        if self.cur_lr is None:
            self.last_lr = lr
        self.cur_lr = lr
        return self._scaled_lrs(lr, indices)

    def set_wd_mult(self, args_wd_mult: dict) -> None:
        self.wd_mult = {}
        for n in self.idx2name.values():
            if not n.endswith("_weight"):
                self.wd_mult[n] = 0.0
        self.wd_mult.update(args_wd_mult)

    def create_state_multi_precision(self, index: Any, weight: NDArray) -> Any:
        return _mp_state(self, index, weight, "SGD")

    def create_state(self, index: Any, weight: NDArray) -> Any:
        if self.momentum == 0.0:
            return None
        return _zeros_like(weight, weight.stype if self.lazy_update else "default")

    def _get_lars(self, i: Any, weight: NDArray, g: NDArray, lr: float, wd: float) -> float:
        name = self.idx2name[i] if i in self.idx2name else str(i)
        if _no_lars(name):
            return lr
        w_norm = _l2norm(weight)
        g_norm = _l2norm(g, self.rescale_grad)
        return optim.lars_scale(w_norm, g_norm, eta=self.eta, weight_decay=wd, eps=self.eps) * lr

    def _update_impl(self, index: Any, weight: Any, grad: Any, state: Any, multi_precision: bool = False) -> None:
        indices, weights, grads, states = _as_lists(index, weight, grad, state)
        for w, g in zip(weights, grads):
            _check_nd("LARS", weight=w, grad=g)
        self._update_count(indices)
        lrs, wds = self._get_lrs(indices), self._get_wds(indices)
        momentum = self.momentum
        if self.momentum > 0 and self.momentum_correction and self.last_lr != 0:
            momentum = self.momentum * (self.cur_lr / self.last_lr)
        aggregate = all(w.stype == "default" and g.stype == "default" for w, g in zip(weights, grads))
        for i, w, g, s, lr, wd in zip(indices, weights, grads, states, lrs, wds):
            lr = self._get_lars(i, w, g, lr, wd)
            _sgd_step(self, w, g, s, lr, wd, momentum, multi_precision, aggregated=aggregate,
                      lazy=self.lazy_update)


@register
class LBSGD(Optimizer):
    """Large-batch SGD (``mx.optimizer.LBSGD``): SGD with momentum whose learning rate is warmed up by
    ``warmup_strategy`` ('linear', 'power2', 'sqrt', or 'lars' for a LARS factor) over ``warmup_epochs *
    updates_per_epoch`` updates to ``batch_scale`` times; gradients are accumulated over ``batch_scale``
    calls and applied on every ``batch_scale``-th. (:func:`unidl.nn.optim.sgd`.)
    """

    def __init__(self, momentum: float = 0.0, multi_precision: bool = False, warmup_strategy: str = "linear",
                 warmup_epochs: int = 5, batch_scale: int = 1, updates_per_epoch: int = 32, begin_epoch: int = 0,
                 num_epochs: int = 60, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        logging.info("Running Large-Batch SGD Algorithm")
        logging.info("(Batch_scale=%f, warmup_epochs=%d, warmup_strategy=%s, updates_per_epoch=%d)",
                     batch_scale, warmup_epochs, warmup_strategy, updates_per_epoch)
        self.momentum = momentum
        self.multi_precision = multi_precision
        self.warmup_strategy = warmup_strategy
        self.warmup_epochs = warmup_epochs
        self.batch_scale = batch_scale
        self.updates_per_epoch = updates_per_epoch
        self.init_updates = begin_epoch * updates_per_epoch
        self.num_epochs = num_epochs
        self.lbmult = 1
        self.cumgrads: dict = {}
        self.adaptive = False
        self.admult = 1

    def create_state(self, index: Any, weight: NDArray) -> Any:
        if self.multi_precision and weight.dtype == np.float16:
            master = weight.astype(np.float32)
            return (_zeros_like(master) if self.momentum != 0.0 else None, master)
        if weight.dtype == np.float16 and not self.multi_precision:
            warnings.warn("Accumulating with float16 in optimizer can lead to poor accuracy or slow convergence. "
                          "Consider using multi_precision=True option of the SGD optimizer", stacklevel=2)
        return _zeros_like(weight) if self.momentum != 0.0 else None

    def _get_lbmult(self, nup: int) -> float:
        nwup = self.warmup_epochs * self.updates_per_epoch
        maxmult = float(self.batch_scale)
        if nup >= nwup:
            return maxmult
        if nwup <= 1:
            return 1.0
        if self.warmup_strategy == "linear":
            return 1.0 + (maxmult - 1) * nup / nwup
        if self.warmup_strategy == "power2":
            return 1.0 + (maxmult - 1) * (nup * nup) / (nwup * nwup)
        if self.warmup_strategy == "sqrt":
            return 1.0 + (maxmult - 1) * math.sqrt(float(nup) / nwup)
        return 1.0

    def _l2norm(self, v: NDArray) -> float:
        """The sum of squares (MXNet's LBSGD calls it a norm)."""
        return float(ops.sum(ops.square(v.tensor)).item())

    def _get_lars(self, weight: NDArray, g: NDArray, wd: float) -> float:
        weight2 = self._l2norm(weight)
        grad2 = self._l2norm(g)
        lars = math.sqrt(weight2 / (grad2 + wd * weight2 + 1e-18))
        return min(max(lars, 0.01), 100.0)

    def _reset_cum_gradient(self, index: Any) -> None:
        self.cumgrads[index]["cum_grad"] = 0

    def _get_cum_gradient(self, index: Any) -> dict:
        return self.cumgrads.get(index, {})

    def _put_cum_gradient(self, index: Any, cgrad: dict) -> None:
        self.cumgrads[index] = cgrad

    def _cumulate_gradient(self, grad: NDArray, index: Any) -> dict:
        cgrad = self._get_cum_gradient(index)
        if cgrad and cgrad["num_cums"] > 0:
            cum_grad, num_cums = cgrad["cum_grad"] + grad, cgrad["num_cums"] + 1
        else:
            cum_grad, num_cums = grad, self.init_updates + 1
        cgrad = {"cum_grad": cum_grad, "num_cums": num_cums}
        self._put_cum_gradient(index, cgrad)
        return cgrad

    def update(self, index: Any, weight: NDArray, grad: NDArray, state: Any) -> None:
        _check_nd("LBSGD", weight=weight, grad=grad)
        lr, wd = self._get_lr(index), self._get_wd(index)
        self._update_count(index)
        cgrad = self._cumulate_gradient(grad, index)
        if cgrad["num_cums"] % self.batch_scale == 0:
            grad = cgrad["cum_grad"] / self.batch_scale
            if self.warmup_strategy == "lars":
                lbmult = self._get_lars(weight, grad, wd)
            else:
                lbmult = self._get_lbmult(cgrad["num_cums"])
            mp = isinstance(state, (list, tuple))
            _sgd_step(self, weight, grad, state, lr * lbmult, wd, self.momentum, mp, aggregated=False)
            self._reset_cum_gradient(index)
        else:   # MXNet runs sgd_update with lr 0 (a no-op but for non-finite gradients)
            optim.sgd(weight.tensor, grad.tensor, None, lr=0.0, form="mxnet", weight_decay=wd)


__all__ = ["FTML", "SGLD", "DCASGD", "LARS", "LBSGD"]
