"""``mx.nd``'s optimizer update operators (``sgd_update``, ``adam_update``, ``rmsprop_update``, ...).

MXNet's semantics: the states (momentum, mean, var, ...) are updated in place; the new weight goes to ``out``
(usually ``out=weight``, the in-place form the optimizers use) or, without ``out``, into a new array while
``weight`` keeps its values. A negative ``clip_gradient`` means no clipping. The rules that
:mod:`unidl.nn.optim` has in MXNet's form run there; ``adam_update`` (no bias correction), ``ftml_update`` and
the LAMB phases are written here with :mod:`unidl.ops`, in the operation order of MXNet's kernels.
"""
from __future__ import annotations

from typing import Any, Callable, List, Optional, Sequence

import numpy as np

from unidl import ops
from unidl.nn import optim
from unidl.tensor import Tensor

from ..base import MXNetError
from .ndarray import NDArray, wrap

__all__ = ["sgd_update", "sgd_mom_update", "nag_mom_update", "mp_sgd_update", "mp_sgd_mom_update",
           "mp_nag_mom_update", "multi_sgd_update", "multi_sgd_mom_update", "multi_mp_sgd_update",
           "multi_mp_sgd_mom_update", "preloaded_multi_sgd_update", "preloaded_multi_sgd_mom_update",
           "preloaded_multi_mp_sgd_update", "preloaded_multi_mp_sgd_mom_update", "signsgd_update", "signum_update",
           "adam_update", "rmsprop_update", "rmspropalex_update", "ftrl_update", "ftml_update",
           "lamb_update_phase1", "lamb_update_phase2", "mp_lamb_update_phase1", "mp_lamb_update_phase2",
           "reset_arrays"]


def _clip(c: Optional[float]) -> Optional[float]:
    return None if c is None or float(c) < 0 else float(c)


def _check(op: str, weight: Any, **arrays: Any) -> None:
    if not isinstance(weight, NDArray):
        raise MXNetError(f"{op}: weight must be an NDArray, got {type(weight).__name__}")
    for name, a in arrays.items():
        if not isinstance(a, NDArray) or a.shape != weight.shape:
            raise MXNetError(f"{op}: {name} must be an NDArray of the weight's shape {weight.shape}, got "
                             f"{getattr(a, 'shape', type(a).__name__)}")


def _target(weight: NDArray, out: Optional[NDArray]) -> Tensor:
    """The tensor the rule updates in place: the weight itself for ``out=weight``, else a copy of it."""
    if out is weight:
        return weight._t
    return ops.add(weight._t.detach(), weight._t.dtype.type(0))


def _result(weight: NDArray, new: Tensor, out: Optional[NDArray]) -> NDArray:
    if out is weight:
        return weight
    if out is None:
        return wrap(new)
    if not isinstance(out, NDArray) or out.shape != weight.shape:
        raise MXNetError(f"out= must be an NDArray of the weight's shape {weight.shape}, got "
                         f"{getattr(out, 'shape', type(out).__name__)}")
    out[:] = wrap(new)
    return out


def _grad_for(weight: Tensor, grad: NDArray) -> Tensor:
    g = grad._t.detach()
    return ops.astype(g, weight.dtype) if g.dtype != weight.dtype else g


# -- SGD family ---------------------------------------------------------------------------------------------

def sgd_update(weight: NDArray, grad: NDArray, lr: float, wd: float = 0.0, rescale_grad: float = 1.0,
               clip_gradient: float = -1.0, lazy_update: bool = True, out: Optional[NDArray] = None,
               name: Optional[str] = None, **kwargs: Any) -> NDArray:
    """``weight = (1 - lr*wd) * weight - lr * clip(rescale_grad * grad)``."""
    _check("sgd_update", weight, grad=grad)
    w = _target(weight, out)
    optim.sgd(w, _grad_for(w, grad), None, lr=lr, form="mxnet", weight_decay=wd, rescale_grad=rescale_grad,
              clip_gradient=_clip(clip_gradient))
    return _result(weight, w, out)


def sgd_mom_update(weight: NDArray, grad: NDArray, mom: NDArray, lr: float, momentum: float = 0.0, wd: float = 0.0,
                   rescale_grad: float = 1.0, clip_gradient: float = -1.0, lazy_update: bool = True,
                   out: Optional[NDArray] = None, name: Optional[str] = None, **kwargs: Any) -> NDArray:
    """``mom = momentum*mom - lr*wd*weight - lr*clip(rescale_grad*grad); weight += mom`` (``mom`` in place)."""
    _check("sgd_mom_update", weight, grad=grad, mom=mom)
    w = _target(weight, out)
    optim.sgd(w, _grad_for(w, grad), mom._t, lr=lr, momentum=momentum, form="mxnet", weight_decay=wd,
              rescale_grad=rescale_grad, clip_gradient=_clip(clip_gradient))
    return _result(weight, w, out)


def nag_mom_update(weight: NDArray, grad: NDArray, mom: NDArray, lr: float, momentum: float = 0.0, wd: float = 0.0,
                   rescale_grad: float = 1.0, clip_gradient: float = -1.0, out: Optional[NDArray] = None,
                   name: Optional[str] = None, **kwargs: Any) -> NDArray:
    """Nesterov momentum step (``mom`` in place)."""
    _check("nag_mom_update", weight, grad=grad, mom=mom)
    w = _target(weight, out)
    optim.sgd(w, _grad_for(w, grad), mom._t, lr=lr, momentum=momentum, nesterov=True, form="mxnet",
              weight_decay=wd, rescale_grad=rescale_grad, clip_gradient=_clip(clip_gradient))
    return _result(weight, w, out)


def _mp(op: str, fn: Callable[..., NDArray], weight: NDArray, grad: NDArray, weight32: NDArray, states: tuple,
        out: Optional[NDArray], **kw: Any) -> NDArray:
    """Multi-precision form: the rule runs on the float32 master copy ``weight32`` (in place); the weight gets
    its value cast to the weight's dtype."""
    _check(op, weight, grad=grad, weight32=weight32)
    if weight32.dtype != np.float32:
        raise MXNetError(f"{op}: weight32 must be float32, got {np.dtype(weight32.dtype).name}")
    g32 = wrap(ops.astype(grad._t.detach(), np.float32)) if grad.dtype != np.float32 else grad
    fn(weight32, g32, *states, out=weight32, **kw)
    return _result(weight, ops.astype(weight32._t, weight._t.dtype), out)


def mp_sgd_update(weight: NDArray, grad: NDArray, weight32: NDArray, lr: float, wd: float = 0.0,
                  rescale_grad: float = 1.0, clip_gradient: float = -1.0, lazy_update: bool = True,
                  out: Optional[NDArray] = None, name: Optional[str] = None, **kwargs: Any) -> NDArray:
    """:func:`sgd_update` on the float32 master weight ``weight32``."""
    return _mp("mp_sgd_update", sgd_update, weight, grad, weight32, (), out, lr=lr, wd=wd,
               rescale_grad=rescale_grad, clip_gradient=clip_gradient)


def mp_sgd_mom_update(weight: NDArray, grad: NDArray, mom: NDArray, weight32: NDArray, lr: float,
                      momentum: float = 0.0, wd: float = 0.0, rescale_grad: float = 1.0, clip_gradient: float = -1.0,
                      lazy_update: bool = True, out: Optional[NDArray] = None, name: Optional[str] = None,
                      **kwargs: Any) -> NDArray:
    """:func:`sgd_mom_update` on the float32 master weight ``weight32``."""
    return _mp("mp_sgd_mom_update", sgd_mom_update, weight, grad, weight32, (mom,), out, lr=lr, momentum=momentum,
               wd=wd, rescale_grad=rescale_grad, clip_gradient=clip_gradient)


def mp_nag_mom_update(weight: NDArray, grad: NDArray, mom: NDArray, weight32: NDArray, lr: float,
                      momentum: float = 0.0, wd: float = 0.0, rescale_grad: float = 1.0, clip_gradient: float = -1.0,
                      out: Optional[NDArray] = None, name: Optional[str] = None, **kwargs: Any) -> NDArray:
    """:func:`nag_mom_update` on the float32 master weight ``weight32``."""
    return _mp("mp_nag_mom_update", nag_mom_update, weight, grad, weight32, (mom,), out, lr=lr, momentum=momentum,
               wd=wd, rescale_grad=rescale_grad, clip_gradient=clip_gradient)


def _multi(op: str, data: Sequence[NDArray], per: int, lrs: Sequence[float], wds: Sequence[float],
           num_weights: int, out: Any, step: Callable[..., None]) -> List[NDArray]:
    data = list(data)
    n = int(num_weights)
    if len(data) != per * n or len(lrs) < n or len(wds) < n:
        raise MXNetError(f"{op}: expected {per} arrays per weight for num_weights={n} ({per * n} in all) and "
                         f"{n} lrs and wds, got {len(data)} arrays, {len(lrs)} lrs, {len(wds)} wds")
    outs = list(out) if isinstance(out, (list, tuple)) else ([out] if out is not None else [None] * n)
    if len(outs) != n:
        raise MXNetError(f"{op}: out must hold {n} arrays, got {len(outs)}")
    res = []
    for i in range(n):
        group = data[per * i: per * (i + 1)]
        weight, o = group[0], outs[i]
        _check(op, weight, **{f"input {per * i + k}": a for k, a in enumerate(group[1:], 1)})
        res.append(step(group, float(lrs[i]), float(wds[i]), o))
    return res


def _agg_sgd(mp: bool, mom: bool, rescale_grad: float, clip_gradient: float, momentum: float) -> Callable[..., NDArray]:
    def step(group: List[NDArray], lr: float, wd: float, o: Optional[NDArray]) -> NDArray:
        weight, grad = group[0], group[1]
        m = group[2]._t if mom else None
        if mp:
            w32 = group[-1]
            g = ops.astype(grad._t.detach(), np.float32)
            optim.sgd(w32._t, g, m, lr=lr, momentum=momentum if mom else 0.0, form="mxnet", weight_decay=wd,
                      rescale_grad=rescale_grad, clip_gradient=_clip(clip_gradient), aggregated=True)
            return _result(weight, ops.astype(w32._t, weight._t.dtype), o)
        w = _target(weight, o)
        optim.sgd(w, _grad_for(w, grad), m, lr=lr, momentum=momentum if mom else 0.0, form="mxnet",
                  weight_decay=wd, rescale_grad=rescale_grad, clip_gradient=_clip(clip_gradient), aggregated=True)
        return _result(weight, w, o)

    return step


def multi_sgd_update(*data: NDArray, lrs: Sequence[float] = (), wds: Sequence[float] = (), rescale_grad: float = 1.0,
                     clip_gradient: float = -1.0, num_weights: int = 1, out: Any = None, name: Optional[str] = None,
                     **kwargs: Any) -> List[NDArray]:
    """SGD over several weights at once: ``data`` is weight0, grad0, weight1, grad1, ..."""
    return _multi("multi_sgd_update", data, 2, lrs, wds, num_weights, out,
                  _agg_sgd(False, False, rescale_grad, clip_gradient, 0.0))


def multi_sgd_mom_update(*data: NDArray, lrs: Sequence[float] = (), wds: Sequence[float] = (), momentum: float = 0.0,
                         rescale_grad: float = 1.0, clip_gradient: float = -1.0, num_weights: int = 1, out: Any = None,
                         name: Optional[str] = None, **kwargs: Any) -> List[NDArray]:
    """SGD with momentum over several weights: ``data`` is weight0, grad0, mom0, weight1, ..."""
    return _multi("multi_sgd_mom_update", data, 3, lrs, wds, num_weights, out,
                  _agg_sgd(False, True, rescale_grad, clip_gradient, momentum))


def multi_mp_sgd_update(*data: NDArray, lrs: Sequence[float] = (), wds: Sequence[float] = (), rescale_grad: float = 1.0,
                        clip_gradient: float = -1.0, num_weights: int = 1, out: Any = None,
                        name: Optional[str] = None, **kwargs: Any) -> List[NDArray]:
    """Multi-precision :func:`multi_sgd_update`: weight0, grad0, weight32_0, ..."""
    return _multi("multi_mp_sgd_update", data, 3, lrs, wds, num_weights, out,
                  _agg_sgd(True, False, rescale_grad, clip_gradient, 0.0))


def multi_mp_sgd_mom_update(*data: NDArray, lrs: Sequence[float] = (), wds: Sequence[float] = (),
                            momentum: float = 0.0, rescale_grad: float = 1.0, clip_gradient: float = -1.0,
                            num_weights: int = 1, out: Any = None, name: Optional[str] = None,
                            **kwargs: Any) -> List[NDArray]:
    """Multi-precision :func:`multi_sgd_mom_update`: weight0, grad0, mom0, weight32_0, ..."""
    return _multi("multi_mp_sgd_mom_update", data, 4, lrs, wds, num_weights, out,
                  _agg_sgd(True, True, rescale_grad, clip_gradient, momentum))


def _preloaded(fn: Callable[..., List[NDArray]], name: str) -> Callable[..., List[NDArray]]:
    def op(*data: NDArray, num_weights: int = 1, out: Any = None, **kwargs: Any) -> List[NDArray]:
        if len(data) < 2:
            raise MXNetError(f"{name}: the last two inputs must be the lrs and wds arrays")
        lrs, wds = data[-2].asnumpy().tolist(), data[-1].asnumpy().tolist()
        return fn(*data[:-2], lrs=lrs, wds=wds, num_weights=num_weights, out=out, **kwargs)

    op.__name__ = name
    op.__doc__ = f"``{fn.__name__}`` with the learning rates and weight decays as the last two input arrays."
    return op


preloaded_multi_sgd_update = _preloaded(multi_sgd_update, "preloaded_multi_sgd_update")
preloaded_multi_sgd_mom_update = _preloaded(multi_sgd_mom_update, "preloaded_multi_sgd_mom_update")
preloaded_multi_mp_sgd_update = _preloaded(multi_mp_sgd_update, "preloaded_multi_mp_sgd_update")
preloaded_multi_mp_sgd_mom_update = _preloaded(multi_mp_sgd_mom_update, "preloaded_multi_mp_sgd_mom_update")


def signsgd_update(weight: NDArray, grad: NDArray, lr: float, wd: float = 0.0, rescale_grad: float = 1.0,
                   clip_gradient: float = -1.0, out: Optional[NDArray] = None, name: Optional[str] = None,
                   **kwargs: Any) -> NDArray:
    """``weight = (1 - lr*wd) * weight - lr * sign(grad)``."""
    _check("signsgd_update", weight, grad=grad)
    w = _target(weight, out)
    optim.signum(w, _grad_for(w, grad), None, lr=lr, weight_decay=wd, rescale_grad=rescale_grad,
                 clip_gradient=_clip(clip_gradient))
    return _result(weight, w, out)


def signum_update(weight: NDArray, grad: NDArray, mom: NDArray, lr: float, momentum: float = 0.0, wd: float = 0.0,
                  rescale_grad: float = 1.0, clip_gradient: float = -1.0, wd_lh: float = 0.0,
                  out: Optional[NDArray] = None, name: Optional[str] = None, **kwargs: Any) -> NDArray:
    """Signum: momentum of the gradients, step ``lr * sign(mom)`` (``mom`` in place)."""
    _check("signum_update", weight, grad=grad, mom=mom)
    w = _target(weight, out)
    optim.signum(w, _grad_for(w, grad), mom._t, lr=lr, momentum=momentum, weight_decay=wd, wd_lh=wd_lh,
                 rescale_grad=rescale_grad, clip_gradient=_clip(clip_gradient))
    return _result(weight, w, out)


# -- adaptive rules --------------------------------------------------------------------------------------------

def _scaled_grad(w: Tensor, grad: NDArray, rescale_grad: float, wd: float, clip: Optional[float]) -> Tensor:
    """``clip(rescale_grad * grad + wd * w)`` in the weight's dtype."""
    sc = w.dtype.type
    g = ops.add(ops.multiply(_grad_for(w, grad), sc(rescale_grad)), ops.multiply(w, sc(wd)))
    return ops.clip(g, -clip, clip) if clip is not None else g


def adam_update(weight: NDArray, grad: NDArray, mean: NDArray, var: NDArray, lr: float, beta1: float = 0.9,
                beta2: float = 0.999, epsilon: float = 1e-8, wd: float = 0.0, rescale_grad: float = 1.0,
                clip_gradient: float = -1.0, lazy_update: bool = True, out: Optional[NDArray] = None,
                name: Optional[str] = None, **kwargs: Any) -> NDArray:
    """Adam without bias correction (the optimizer folds it into ``lr``)::

        g = clip(rescale_grad*grad + wd*weight);  mean = beta1*mean + (1-beta1)*g
        var = beta2*var + (1-beta2)*g*g;  weight -= lr * mean / (sqrt(var) + epsilon)
    """
    _check("adam_update", weight, grad=grad, mean=mean, var=var)
    w = _target(weight, out)
    sc = w.dtype.type
    g = _scaled_grad(w, grad, rescale_grad, wd, _clip(clip_gradient))
    m = ops.add(ops.multiply(mean._t, sc(beta1)), ops.multiply(g, sc(1 - beta1)))
    v = ops.add(ops.multiply(var._t, sc(beta2)), ops.multiply(ops.multiply(g, sc(1 - beta2)), g))
    new_w = ops.subtract(w, ops.divide(ops.multiply(m, sc(lr)), ops.add(ops.sqrt(v), sc(epsilon))))
    ops.setitem(mean._t, Ellipsis, m)
    ops.setitem(var._t, Ellipsis, v)
    ops.setitem(w, Ellipsis, new_w)
    return _result(weight, w, out)


def rmsprop_update(weight: NDArray, grad: NDArray, n: NDArray, lr: float, gamma1: float = 0.95,
                   epsilon: float = 1e-8, wd: float = 0.0, rescale_grad: float = 1.0, clip_gradient: float = -1.0,
                   clip_weights: float = -1.0, out: Optional[NDArray] = None, name: Optional[str] = None,
                   **kwargs: Any) -> NDArray:
    """RMSProp (Tieleman & Hinton): ``n = (1-gamma1)*g*g + gamma1*n; weight -= lr * g / sqrt(n + epsilon)``."""
    _check("rmsprop_update", weight, grad=grad, n=n)
    w = _target(weight, out)
    optim.rmsprop(w, _grad_for(w, grad), n._t, lr=lr, rho=gamma1, epsilon=epsilon, form="mxnet", weight_decay=wd,
                  rescale_grad=rescale_grad, clip_gradient=_clip(clip_gradient), clip_weights=_clip(clip_weights))
    return _result(weight, w, out)


def rmspropalex_update(weight: NDArray, grad: NDArray, n: NDArray, g: NDArray, delta: NDArray, lr: float,
                       gamma1: float = 0.95, gamma2: float = 0.9, epsilon: float = 1e-8, wd: float = 0.0,
                       rescale_grad: float = 1.0, clip_gradient: float = -1.0, clip_weights: float = -1.0,
                       out: Optional[NDArray] = None, name: Optional[str] = None, **kwargs: Any) -> NDArray:
    """Centered RMSProp (Graves): ``n``, ``g`` and ``delta`` in place."""
    _check("rmspropalex_update", weight, grad=grad, n=n, g=g, delta=delta)
    w = _target(weight, out)
    optim.rmsprop(w, _grad_for(w, grad), n._t, g._t, delta._t, lr=lr, rho=gamma1, momentum=gamma2, epsilon=epsilon,
                  form="mxnet", weight_decay=wd, rescale_grad=rescale_grad, clip_gradient=_clip(clip_gradient),
                  clip_weights=_clip(clip_weights))
    return _result(weight, w, out)


def ftrl_update(weight: NDArray, grad: NDArray, z: NDArray, n: NDArray, lr: float, lamda1: float = 0.01,
                beta: float = 1.0, wd: float = 0.0, rescale_grad: float = 1.0, clip_gradient: float = -1.0,
                out: Optional[NDArray] = None, name: Optional[str] = None, **kwargs: Any) -> NDArray:
    """FTRL-proximal (``z`` and ``n`` in place)."""
    _check("ftrl_update", weight, grad=grad, z=z, n=n)
    w = _target(weight, out)
    optim.ftrl(w, _grad_for(w, grad), z._t, n._t, lr=lr, lamda1=lamda1, beta=beta, weight_decay=wd,
               rescale_grad=rescale_grad, clip_gradient=_clip(clip_gradient))
    return _result(weight, w, out)


def ftml_update(weight: NDArray, grad: NDArray, d: NDArray, v: NDArray, z: NDArray, lr: float, beta1: float = 0.6,
                beta2: float = 0.999, epsilon: float = 1e-8, t: int = 1, wd: float = 0.0, rescale_grad: float = 1.0,
                clip_grad: float = -1.0, out: Optional[NDArray] = None, name: Optional[str] = None,
                **kwargs: Any) -> NDArray:
    """Follow the Moving Leader (``d``, ``v``, ``z`` in place)::

        g = clip(rescale_grad*grad + wd*weight);  v = beta2*v + (1-beta2)*g*g
        d_t = (1 - beta1^t)/lr * (sqrt(v / (1 - beta2^t)) + epsilon)
        z = beta1*z + (1-beta1)*g - (d_t - beta1*d)*weight;  d = d_t;  weight = -z / d_t
    """
    _check("ftml_update", weight, grad=grad, d=d, v=v, z=z)
    if int(t) < 1:
        raise MXNetError(f"ftml_update: t must be >= 1, got {t}")
    w = _target(weight, out)
    sc = w.dtype.type
    g = _scaled_grad(w, grad, rescale_grad, wd, _clip(clip_grad))
    v_new = ops.add(ops.multiply(v._t, sc(beta2)), ops.multiply(ops.square(g), sc(1 - beta2)))
    d_t = ops.multiply(ops.add(ops.sqrt(ops.divide(v_new, sc(1 - beta2 ** int(t)))), sc(epsilon)),
                       sc((1 - beta1 ** int(t)) / lr))
    z_new = ops.subtract(ops.add(ops.multiply(z._t, sc(beta1)), ops.multiply(g, sc(1 - beta1))),
                         ops.multiply(ops.subtract(d_t, ops.multiply(d._t, sc(beta1))), w))
    ops.setitem(v._t, Ellipsis, v_new)
    ops.setitem(z._t, Ellipsis, z_new)
    ops.setitem(d._t, Ellipsis, d_t)
    ops.setitem(w, Ellipsis, ops.negative(ops.divide(z_new, d_t)))
    return _result(weight, w, out)


def lamb_update_phase1(weight: NDArray, grad: NDArray, mean: NDArray, var: NDArray, beta1: float = 0.9,
                       beta2: float = 0.999, epsilon: float = 1e-6, t: int = 1, bias_correction: bool = True,
                       wd: float = 0.0, rescale_grad: float = 1.0, clip_gradient: float = -1.0,
                       out: Optional[NDArray] = None, name: Optional[str] = None, **kwargs: Any) -> NDArray:
    """LAMB's first phase: the update direction ``g`` (``mean`` and ``var`` in place)::

        grad = clip(rescale_grad*grad);  mean = beta1*mean + (1-beta1)*grad;  var = beta2*var + (1-beta2)*grad^2
        g = mean_hat / (sqrt(var_hat) + epsilon) + wd*weight   (hats: divided by 1 - beta^t if bias_correction)
    """
    _check("lamb_update_phase1", weight, grad=grad, mean=mean, var=var)
    w = weight._t.detach()
    sc = w.dtype.type
    gr = ops.multiply(_grad_for(w, grad), sc(rescale_grad))
    c = _clip(clip_gradient)
    if c is not None:
        gr = ops.clip(gr, -c, c)
    m = ops.add(ops.multiply(mean._t, sc(beta1)), ops.multiply(gr, sc(1 - beta1)))
    v = ops.add(ops.multiply(var._t, sc(beta2)), ops.multiply(ops.square(gr), sc(1 - beta2)))
    ops.setitem(mean._t, Ellipsis, m)
    ops.setitem(var._t, Ellipsis, v)
    if bias_correction:
        m = ops.divide(m, sc(1 - beta1 ** int(t)))
        v = ops.divide(v, sc(1 - beta2 ** int(t)))
    g = ops.add(ops.divide(m, ops.add(ops.sqrt(v), sc(epsilon))), ops.multiply(w, sc(wd)))
    res = wrap(g)
    if out is not None:
        out[:] = res
        return out
    return res


def lamb_update_phase2(weight: NDArray, g: NDArray, r1: NDArray, r2: NDArray, lr: float, lower_bound: float = -1.0,
                       upper_bound: float = -1.0, out: Optional[NDArray] = None, name: Optional[str] = None,
                       **kwargs: Any) -> NDArray:
    """LAMB's second phase: ``weight -= lr * (r1 / r2) * g`` with ``r1`` (the weight's norm) clipped to
    [lower_bound, upper_bound] where those are >= 0, and a ratio of 1 where either norm is 0."""
    _check("lamb_update_phase2", weight, g=g)
    w = _target(weight, out)
    sc = w.dtype.type
    n1, n2 = r1._t.detach(), r2._t.detach()
    if lower_bound is not None and float(lower_bound) >= 0:
        n1 = ops.maximum(n1, sc(lower_bound))
    if upper_bound is not None and float(upper_bound) >= 0:
        n1 = ops.minimum(n1, sc(upper_bound))
    zero = ops.logical_or(ops.equal(n1, 0), ops.equal(n2, 0))
    ratio = ops.where(zero, ops.ones_like(n1), ops.divide(n1, ops.where(zero, ops.ones_like(n2), n2)))
    ops.setitem(w, Ellipsis, ops.subtract(w, ops.multiply(ops.multiply(ratio, sc(lr)), g._t.detach())))
    return _result(weight, w, out)


def mp_lamb_update_phase1(weight: NDArray, grad: NDArray, mean: NDArray, var: NDArray, weight32: NDArray,
                          out: Optional[NDArray] = None, **kwargs: Any) -> NDArray:
    """:func:`lamb_update_phase1` on the float32 master weight ``weight32``."""
    g32 = wrap(ops.astype(grad._t.detach(), np.float32))
    return lamb_update_phase1(weight32, g32, mean, var, out=out, **kwargs)


def mp_lamb_update_phase2(weight: NDArray, g: NDArray, r1: NDArray, r2: NDArray, weight32: NDArray, lr: float,
                          lower_bound: float = -1.0, upper_bound: float = -1.0, out: Optional[NDArray] = None,
                          **kwargs: Any) -> NDArray:
    """:func:`lamb_update_phase2` on the float32 master weight ``weight32``; the weight gets its cast."""
    lamb_update_phase2(weight32, g, r1, r2, lr, lower_bound, upper_bound, out=weight32)
    return _result(weight, ops.astype(weight32._t, weight._t.dtype), out)


def reset_arrays(*data: NDArray, num_arrays: Optional[int] = None, **kwargs: Any) -> None:
    """Set every array in ``data`` to zero, in place."""
    if num_arrays is not None and int(num_arrays) != len(data):
        raise MXNetError(f"reset_arrays: num_arrays={num_arrays} but {len(data)} arrays were given")
    for a in data:
        if not isinstance(a, NDArray):
            raise MXNetError(f"reset_arrays: expected NDArrays, got {type(a).__name__}")
        ops.setitem(a._t, Ellipsis, a._t.dtype.type(0))
