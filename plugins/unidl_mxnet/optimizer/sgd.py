"""SGD-family optimizers of MXNet 1.9: ``SGD`` (and its deprecated alias ``ccSGD``), ``NAG``, ``Signum``.

The arithmetic is :func:`unidl.nn.optim.sgd` / :func:`unidl.nn.optim.signum` in their MXNet form.
"""
from __future__ import annotations

import os
import warnings
from typing import Any, List

import numpy as np

from unidl.nn import optim

from ..ndarray.ndarray import NDArray
from .optimizer import _UpdateThroughImpl, Optimizer, _check_nd, _lazy_rows, _on_rows, _t, _zeros_like, register


def _mp_state(opt: Optimizer, index: Any, weight: NDArray, name: str) -> Any:
    """SGD/NAG's multi-precision state ``(state, weight32)`` (note: the reverse of the base class's order)."""
    if opt.multi_precision and weight.dtype == np.float16:
        master = weight.astype(np.float32)
        return (opt.create_state(index, master), master)
    if weight.dtype == np.float16 and not opt.multi_precision:
        warnings.warn("Accumulating with float16 in optimizer can lead to poor accuracy or slow convergence. "
                      f"Consider using multi_precision=True option of the {name} optimizer", stacklevel=3)
    return opt.create_state(index, weight)


def _as_lists(index: Any, weight: Any, grad: Any, state: Any) -> tuple:
    if not isinstance(index, (tuple, list)):
        return [index], [weight], [grad], [state]
    return list(index), list(weight), list(grad), list(state)


@register
class SGD(_UpdateThroughImpl, Optimizer):
    """SGD with momentum and weight decay (``mx.optimizer.SGD``)::

        momentum == 0:  w = w - lr * (clip(rescale_grad * g) + wd * w)     (MXNet's multi_sgd_update)
        momentum > 0:   mom = momentum * mom - lr * wd * w - lr * clip(rescale_grad * g);  w = w + mom

    (exact operation order: :func:`unidl.nn.optim.sgd`, ``form="mxnet", aggregated=True``; MXNet 1.9 runs
    dense SGD through its multi-tensor kernels even for one weight). States: the momentum (None when
    ``momentum`` is 0), shaped like the weight (row_sparse for a row_sparse weight with ``lazy_update``).
    With ``lazy_update`` and a row_sparse gradient only the gradient's rows of the weight and the momentum
    are updated (no weight decay or momentum decay elsewhere), as MXNet's lazy sparse kernels do.
    """

    def __init__(self, momentum: float = 0.0, lazy_update: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.momentum = momentum
        self.lazy_update = lazy_update
        self.aggregate_num = int(os.getenv("MXNET_OPTIMIZER_AGGREGATION_SIZE", "4"))

    #: the Updater hands this optimizer groups of weights (its multi-tensor path, see Updater.__call__)
    _groups_updates = True

    def create_state_multi_precision(self, index: Any, weight: NDArray) -> Any:
        return _mp_state(self, index, weight, "SGD")

    def create_state(self, index: Any, weight: NDArray) -> Any:
        if self.momentum != 0.0:
            return _zeros_like(weight, weight.stype if self.lazy_update else "default")
        return None

    def _update_impl(self, index: Any, weight: Any, grad: Any, state: Any, multi_precision: bool = False) -> None:
        indices, weights, grads, states = _as_lists(index, weight, grad, state)
        # MXNet's multi-tensor kernels run only for dense arrays; sparse ones go through sgd[_mom]_update
        aggregated = True
        for w, g in zip(weights, grads):
            if type(w) is not NDArray or type(g) is not NDArray:  # (plain NDArrays are dense: the common case)
                _check_nd("SGD", weight=w, grad=g)
                aggregated = aggregated and w.stype == "default" and g.stype == "default"
        self._update_count(indices)
        lrs, wds = self._get_lrs(indices), self._get_wds(indices)
        if aggregated and not multi_precision:  # dense weights: one multi-tensor update
            optim.sgd_many([w.tensor for w in weights], [g.tensor for g in grads],
                           [_t(s) if self.momentum > 0 else None for s in states], lrs=lrs, weight_decays=wds,
                           momentum=self.momentum, form="mxnet", rescale_grad=self.rescale_grad,
                           clip_gradient=self._fused_clip(), aggregated=True)
            return
        for w, g, s, lr, wd in zip(weights, grads, states, lrs, wds):
            target, grad_t = w, g
            if multi_precision:
                s, target, grad_t = s[0], s[1], g.astype(np.float32)
            mom = s if self.momentum > 0 else None
            rows = _lazy_rows(grad_t) if self.lazy_update and not multi_precision else None

            def rule(wt: Any, gt: Any, mt: Any, lr: float = lr, wd: float = wd) -> None:
                optim.sgd(wt, gt, mt, lr=lr, momentum=self.momentum if mt is not None else 0.0, form="mxnet",
                          weight_decay=wd, rescale_grad=self.rescale_grad, clip_gradient=self._fused_clip(),
                          aggregated=aggregated)
            if rows is not None:    # lazy update: only the gradient's rows (weight and momentum)
                _on_rows(rows, rule, target, grad_t, mom)
            else:
                rule(target.tensor, grad_t.tensor, _t(mom))
            if multi_precision:
                w[:] = target.astype(w.dtype)


@register
class ccSGD(SGD):  # noqa: N801 - MXNet's name
    """[DEPRECATED] Same as :class:`SGD`."""


@register
class NAG(Optimizer):
    """Nesterov accelerated gradient (``mx.optimizer.NAG``)::

        momentum > 0:   mom = momentum * mom;  g' = clip(rescale_grad * g)
                        w = w - mom + (momentum + 1) * (mom - lr * (g' + wd * w))
                        mom = mom - lr * (g' + wd * w_new)            (MXNet's nag_mom_update, run in place)
        momentum == 0:  w = (1 - lr * wd) * w - lr * g'              (sgd_update)

    (:func:`unidl.nn.optim.sgd` with ``nesterov=True``, ``form="mxnet"``). States: the momentum or None.
    """

    def __init__(self, momentum: float = 0.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.momentum = momentum

    def create_state_multi_precision(self, index: Any, weight: NDArray) -> Any:
        return _mp_state(self, index, weight, "NAG")

    def create_state(self, index: Any, weight: NDArray) -> Any:
        return _zeros_like(weight) if self.momentum != 0.0 else None

    def _update_impl(self, index: Any, weight: NDArray, grad: NDArray, state: Any, multi_precision: bool = False) -> None:
        _check_nd("NAG", weight=weight, grad=grad)
        self._update_count(index)
        lr, wd = self._get_lr(index), self._get_wd(index)
        target, grad_t = weight, grad
        if multi_precision:
            state, target, grad_t = state[0], state[1], grad.astype(np.float32)
        mom = state if self.momentum > 0 else None
        optim.sgd(target.tensor, grad_t.tensor, _t(mom), lr=lr, momentum=self.momentum if mom is not None else 0.0,
                  nesterov=mom is not None, form="mxnet", weight_decay=wd, rescale_grad=self.rescale_grad,
                  clip_gradient=self._fused_clip())
        if multi_precision:
            weight[:] = target.astype(weight.dtype)

    def update(self, index: Any, weight: NDArray, grad: NDArray, state: Any) -> None:
        self._update_impl(index, weight, grad, state, multi_precision=False)

    def update_multi_precision(self, index: Any, weight: NDArray, grad: NDArray, state: Any) -> None:
        use_mp = self.multi_precision and weight.dtype == np.float16 and isinstance(state, (tuple, list))
        self._update_impl(index, weight, grad, state, multi_precision=use_mp)


@register
class Signum(Optimizer):
    """signSGD / Signum (``mx.optimizer.Signum``)::

        momentum > 0:   mom = momentum * mom - (1 - momentum) * (wd * w + clip(rescale_grad * g))
                        w = (1 - lr * wd_lh) * w + lr * sign(mom)
        momentum == 0:  w = (1 - lr * wd) * w - lr * sign(g)          (signsgd_update)

    (:func:`unidl.nn.optim.signum`). States: the momentum or None.
    """

    def __init__(self, learning_rate: float = 0.01, momentum: float = 0.9, wd_lh: float = 0.0, **kwargs: Any) -> None:
        super().__init__(learning_rate=learning_rate, **kwargs)
        self.momentum = momentum
        self.wd_lh = wd_lh

    def create_state(self, index: Any, weight: NDArray) -> Any:
        return _zeros_like(weight) if self.momentum != 0.0 else None

    def update(self, index: Any, weight: NDArray, grad: NDArray, state: Any) -> None:
        _check_nd("Signum", weight=weight, grad=grad)
        self._update_count(index)
        lr, wd = self._get_lr(index), self._get_wd(index)
        optim.signum(weight.tensor, grad.tensor, _t(state), lr=lr,
                     momentum=self.momentum if self.momentum > 0 else 0.0, weight_decay=wd,
                     wd_lh=self.wd_lh if self.wd_lh else 0.0, rescale_grad=self.rescale_grad,
                     clip_gradient=self._fused_clip())


__all__: List[str] = ["SGD", "ccSGD", "NAG", "Signum"]
