"""Optimizer update rules, gradient clipping and learning-rate schedules, written once for both frontends.

Update rules run outside autograd on a parameter, its gradient and its state tensors, and update the
parameter and the states **in place** (each rule is one fused core op from :mod:`unidl.ops.optim`,
so a GPU plugin can fuse it into one kernel). Every function returns ``param`` (the same object).
All tensors of one call have the parameter's shape; states have its dtype too; the gradient is
cast to the parameter dtype as Keras does. ``step`` is always the 1-based update count ``t``
(Keras ``optimizer.iterations + 1``, MXNet ``_index_update_count[index]``).

``form`` picks whose floating-point formula runs where the frameworks differ (see
:mod:`unidl.ops.optim` for how hyper-parameters are rounded):

* ``form="keras"`` (Keras 3): ``weight_decay`` is Keras's decoupled decay, applied first by the base
  optimizer: ``p = p - p * weight_decay * lr`` (this is what makes Keras AdamW). Gradient clipping
  is a separate transform (:func:`clip_by_norm`, :func:`clip_by_value`, :func:`clip_by_global_norm`),
  applied by the frontend before the rule, as Keras's base optimizer does.
* ``form="mxnet"`` (MXNet 1.9): ``weight_decay`` is MXNet's ``wd`` (coupled, inside the rule),
  ``rescale_grad`` scales the gradient (Gluon's ``Trainer.step(batch_size)`` sets it to
  ``1 / batch_size``) and ``clip_gradient`` clips element-wise (None = off).

In the formulas below ``g`` is the gradient; for MXNet ``g' = clip(rescale_grad * g [+ wd * w])``
as stated per rule. Products/sums are evaluated left to right exactly as written.
"""
from __future__ import annotations

import math
from typing import Any, List, Optional, Sequence, Tuple

from .. import ops
from ..errors import OpError
from ..ops.optim import nadam_momentum_cache
from ..tensor import Tensor

__all__ = [
    # update rules
    "sgd", "sgd_many", "adam", "adamw", "rmsprop", "adagrad", "adadelta", "adamax", "nadam", "ftrl", "signum", "lamb",
    "ftml", "sgld", "dcasgd", "group_adagrad", "lars_scale", "create_state", "nadam_momentum_cache",
    # Keras 3 rules written as composites of core ops
    "decoupled_weight_decay", "lion", "lamb_keras", "adafactor", "newton_schulz5", "muon",
    "schedule_free_adamw",
    # gradient transforms
    "clip_by_value", "clip_by_norm", "clip_by_global_norm", "global_norm", "clip_global_norm",
    # schedules
    "exponential_decay", "piecewise_constant_decay", "cosine_decay",
    "warmup_lr", "factor_schedule", "multi_factor_schedule", "cosine_schedule", "poly_schedule",
]


# =============================================================================================
# update rules
# =============================================================================================
def sgd(param: Tensor, grad: Tensor, momentum_buffer: Optional[Tensor] = None, *, lr: float,
        momentum: float = 0.0, nesterov: bool = False, form: str = "keras", weight_decay: float = 0.0,
        rescale_grad: float = 1.0, clip_gradient: Optional[float] = None, aggregated: bool = False) -> Tensor:
    """Stochastic gradient descent, with momentum and Nesterov momentum; in place.

    Shapes: param, grad, momentum_buffer (...) alike. ``momentum_buffer`` None = plain SGD.

    Keras 3 (``keras.optimizers.SGD``)::

        plain:      p = p - g * lr
        momentum:   v = v * m - g * lr;  p = p + v
        nesterov:   v = v * m - g * lr;  p = p + (v * m - g * lr)

    MXNet 1.9 (``mx.optimizer.SGD`` / ``NAG``)::

        sgd_update:            p = (1 - lr*wd) * p - (lr*rescale) * g            [clip: - lr * clip(rescale*g)]
        multi_sgd_update       p = p + ((0 - (lr*wd) * p) - (lr*rescale) * g)    (``aggregated=True``; Gluon's
                                                                                  Trainer path for SGD)
        sgd_mom_update:        v = (m*v - (lr*wd)*p) - (lr*rescale)*g;  p = p + v
                               (the (lr*wd)*p term only where wd != 0: with wd = 0 it could change at most
                               the sign of a zero and the momentum of a non-finite weight)
        nag_mom_update:        v = m*v;  p = (p - v) + (m+1) * (v - lr*(g' + wd*p));  v = v - lr*(g' + wd*p_new)
                               with g' = clip(rescale*g); ``p_new`` because MXNet runs it with out=weight

    ``nesterov=True`` with ``form="mxnet"`` is NAG. MXNet runs plain SGD (no buffer) when
    ``momentum == 0``.
    """
    return ops.sgd_update(param, grad, momentum_buffer, lr=lr, momentum=momentum, nesterov=nesterov, form=form,
                          wd=weight_decay, rescale_grad=rescale_grad, clip_gradient=clip_gradient,
                          aggregated=aggregated)


def sgd_many(params: Sequence[Tensor], grads: Sequence[Tensor], momentum_buffers: Sequence[Optional[Tensor]], *,
             lrs: Sequence[float], weight_decays: Sequence[float], momentum: float = 0.0, nesterov: bool = False,
             form: str = "keras", rescale_grad: float = 1.0, clip_gradient: Optional[float] = None,
             aggregated: bool = False) -> None:
    """:func:`sgd` on several parameters in one call (a multi-tensor update): parameter ``i`` with
    ``lr=lrs[i]``, ``weight_decay=weight_decays[i]`` and ``momentum_buffers[i]`` (None: plain SGD for it), the
    other arguments shared. Bitwise the loop of :func:`sgd` calls, with their kernel calls; in place.
    Shapes: ``params[i]``, ``grads[i]``, ``momentum_buffers[i]`` alike."""
    ops.sgd_update_many(params, grads, momentum_buffers, lrs=lrs, wds=weight_decays, momentum=momentum,
                        nesterov=nesterov, form=form, rescale_grad=rescale_grad, clip_gradient=clip_gradient,
                        aggregated=aggregated)


def adam(param: Tensor, grad: Tensor, m: Tensor, v: Tensor, vhat: Optional[Tensor] = None, *, lr: float,
         step: int, beta1: float = 0.9, beta2: float = 0.999, epsilon: float = 1e-7, form: str = "keras",
         weight_decay: float = 0.0, rescale_grad: float = 1.0, clip_gradient: Optional[float] = None) -> Tensor:
    """Adam (``vhat`` given: AMSGrad, Keras only); in place. Shapes: all (...) alike.

    Keras 3 (``keras.optimizers.Adam``; hyper-parameters in the param dtype, ``t = step``)::

        alpha = lr * sqrt(1 - beta2**t) / (1 - beta1**t)
        m = m + (g - m) * (1 - beta1)
        v = v + (g*g - v) * (1 - beta2)
        amsgrad: vhat = maximum(vhat, v); v_used = vhat
        p = p - (m * alpha) / (sqrt(v_used) + epsilon)

    MXNet 1.9 (``mx.optimizer.Adam`` → ``adam_update``)::

        lr_t = lr * (sqrt(1 - beta2**t) / (1 - beta1**t))     # Python float64, then float32
        g' = clip(g * rescale + p * wd)
        m = beta1*m + (1 - beta1)*g';   v = beta2*v + ((1 - beta2)*g')*g'
        p = p - (lr_t * m) / (sqrt(v) + epsilon)

    Where they differ in operation order: Keras updates the moments as ``m + (g - m)(1 - b1)``
    and multiplies ``m`` by the folded step size before dividing; MXNet uses ``b1*m + (1-b1)g'``,
    folds the bias correction into a float32 ``lr`` and computes ``1 - b1`` in the param dtype.
    The defaults of ``epsilon`` differ (Keras 1e-7, MXNet 1e-8): frontends pass their own.
    """
    return ops.adam_update(param, grad, m, v, vhat, lr=lr, step=step, beta1=beta1, beta2=beta2, epsilon=epsilon,
                           form=form, wd=weight_decay, rescale_grad=rescale_grad, clip_gradient=clip_gradient)


def adamw(param: Tensor, grad: Tensor, m: Tensor, v: Tensor, vhat: Optional[Tensor] = None, *, lr: float,
          step: int, weight_decay: float = 0.004, beta1: float = 0.9, beta2: float = 0.999,
          epsilon: float = 1e-7) -> Tensor:
    """Keras 3 AdamW: decoupled decay ``p = p - p * weight_decay * lr`` then the Keras Adam step; in place.

    Shapes: all (...) alike. (Keras's AdamW is Adam with the base optimizer's weight decay, so this
    is :func:`adam` with ``form="keras"``.)
    """
    return ops.adam_update(param, grad, m, v, vhat, lr=lr, step=step, beta1=beta1, beta2=beta2, epsilon=epsilon,
                           form="keras", wd=weight_decay)


def rmsprop(param: Tensor, grad: Tensor, n: Tensor, g_avg: Optional[Tensor] = None,
            momentum_buffer: Optional[Tensor] = None, *, lr: float, rho: float = 0.9, momentum: float = 0.0,
            epsilon: float = 1e-7, form: str = "keras", weight_decay: float = 0.0, rescale_grad: float = 1.0,
            clip_gradient: Optional[float] = None, clip_weights: Optional[float] = None) -> Tensor:
    """RMSprop; ``g_avg`` given = centered; in place. Shapes: all (...) alike.

    Keras 3 (``keras.optimizers.RMSprop``; ``momentum_buffer`` given iff ``momentum > 0``)::

        n = rho*n + (1 - rho)*(g*g)
        centered: a = rho*a + (1 - rho)*g;  den = (n - a*a) + eps      else den = n + eps
        inc = (lr * g) / sqrt(den)
        momentum > 0: mb = momentum*mb + inc;  p = p - mb               else p = p - inc

    MXNet 1.9, ``rho`` = ``gamma1``, ``momentum`` = ``gamma2``, g' = clip(rescale*g + wd*p)::

        rmsprop_update (plain):    n = (1 - gamma1)*(g'*g') + gamma1*n;  p = p - lr*(g' / sqrt(n + eps))
        rmspropalex_update (centered, ``momentum_buffer`` = delta):
            n = ((1-gamma1)*g')*g' + gamma1*n;  a = (1-gamma1)*g' + gamma1*a
            delta = gamma2*delta - (lr*g') / sqrt((n - a*a) + eps);  p = p + delta
        clip_weights: p = clip(p, clip_weights)
    """
    return ops.rmsprop_update(param, grad, n, g_avg, momentum_buffer, lr=lr, rho=rho, momentum=momentum,
                              epsilon=epsilon, form=form, wd=weight_decay, rescale_grad=rescale_grad,
                              clip_gradient=clip_gradient, clip_weights=clip_weights)


def adagrad(param: Tensor, grad: Tensor, acc: Tensor, *, lr: float, epsilon: float = 1e-7, form: str = "keras",
            weight_decay: float = 0.0, rescale_grad: float = 1.0, clip_gradient: Optional[float] = None) -> Tensor:
    """Adagrad; in place. Shapes: all (...) alike.

    Keras 3 (``acc`` starts at ``initial_accumulator_value``, default 0.1)::

        acc = acc + g*g;  p = p - (lr * g) / sqrt(acc + eps)

    MXNet 1.9 (dense ``AdaGrad``; ``acc`` starts at 0; ``eps`` default 1e-7)::

        g' = clip(g * rescale);  acc = acc + g'*g';  p = p + (g' / sqrt(acc + eps) + p*wd) * (-lr)
    """
    return ops.adagrad_update(param, grad, acc, lr=lr, epsilon=epsilon, form=form, wd=weight_decay,
                              rescale_grad=rescale_grad, clip_gradient=clip_gradient)


def adadelta(param: Tensor, grad: Tensor, acc_grad: Tensor, acc_delta: Tensor, *, lr: float = 1.0,
             rho: float = 0.95, epsilon: float = 1e-7, form: str = "keras", weight_decay: float = 0.0,
             rescale_grad: float = 1.0, clip_gradient: Optional[float] = None) -> Tensor:
    """Adadelta; in place. Shapes: all (...) alike.

    Keras 3 (defaults lr 0.001, rho 0.95, eps 1e-7)::

        ag = rho*ag + (1 - rho)*(g*g)
        d = -((sqrt(ad + eps) * g) / sqrt(ag + eps))
        ad = rho*ad + (1 - rho)*(d*d);  p = p + lr*d

    MXNet 1.9 (``AdaDelta``, defaults rho 0.9, eps 1e-5; it has **no learning rate**, ``lr`` is ignored)::

        g' = clip(g * rescale);  ag = rho*ag + ((1 - rho)*g')*g'
        d = (sqrt(ad + eps) / sqrt(ag + eps)) * g';  ad = rho*ad + ((1 - rho)*d)*d
        p = p - (d + wd*p)
    """
    return ops.adadelta_update(param, grad, acc_grad, acc_delta, lr=lr, rho=rho, epsilon=epsilon, form=form,
                               wd=weight_decay, rescale_grad=rescale_grad, clip_gradient=clip_gradient)


def adamax(param: Tensor, grad: Tensor, m: Tensor, u: Tensor, *, lr: float, step: int, beta1: float = 0.9,
           beta2: float = 0.999, epsilon: float = 1e-7, form: str = "keras", weight_decay: float = 0.0,
           rescale_grad: float = 1.0, clip_gradient: Optional[float] = None) -> Tensor:
    """Adamax; in place. Shapes: all (...) alike.

    Keras 3::

        m = m + (g - m)*(1 - beta1);  u = maximum(beta2*u, |g|)
        p = p - (lr*m) / ((1 - beta1**t) * (u + eps))

    MXNet 1.9 (no epsilon; ``epsilon`` is ignored)::

        lr_t = lr / (1 - beta1**t);  g' = clip(g*rescale + wd*p)
        m = beta1*m + (1 - beta1)*g';  u = maximum(beta2*u, |g'|);  p = p - (lr_t*m) / u
    """
    return ops.adamax_update(param, grad, m, u, lr=lr, step=step, beta1=beta1, beta2=beta2, epsilon=epsilon,
                             form=form, wd=weight_decay, rescale_grad=rescale_grad, clip_gradient=clip_gradient)


def nadam(param: Tensor, grad: Tensor, m: Tensor, v: Tensor, *, lr: float, step: int, momentum_cache: float,
          beta1: float = 0.9, beta2: float = 0.999, epsilon: float = 1e-7, form: str = "keras",
          weight_decay: float = 0.0, rescale_grad: float = 1.0, clip_gradient: Optional[float] = None,
          schedule_decay: float = 0.004) -> Tensor:
    """Nadam; in place. ``momentum_cache`` is the product of momentum coefficients *after* this
    step's factor (:func:`nadam_momentum_cache`; Keras ``_u_product``, MXNet ``m_schedule``).
    Shapes: all (...) alike.

    Keras 3 (``u(s) = beta1 * (1 - 0.5 * 0.96**s)``, ``U = momentum_cache``)::

        m = m + (g - m)*(1 - beta1);  v = v + (g*g - v)*(1 - beta2)
        m_hat = (u(t+1)*m) / (1 - U*u(t+1)) + ((1 - u(t))*g) / (1 - U)
        p = p - (m_hat*lr) / (sqrt(v / (1 - beta2**t)) + eps)

    MXNet 1.9 (``mu(s) = beta1 * (1 - 0.5 * 0.96**(s*schedule_decay))``, ``M = momentum_cache``)::

        g' = clip(g*rescale + wd*p);  m = beta1*m + (1-beta1)*g';  v = beta2*v + ((1-beta2)*g')*g'
        m_bar = (1 - mu(t)) * (g' / (1 - M)) + mu(t+1) * (m / (1 - M*mu(t+1)))
        p = p - (lr*m_bar) / (sqrt(v / (1 - beta2**t)) + eps)
    """
    return ops.nadam_update(param, grad, m, v, lr=lr, step=step, momentum_cache=momentum_cache, beta1=beta1,
                            beta2=beta2, epsilon=epsilon, form=form, wd=weight_decay, rescale_grad=rescale_grad,
                            clip_gradient=clip_gradient, schedule_decay=schedule_decay)


def ftrl(param: Tensor, grad: Tensor, z: Tensor, n: Tensor, *, lr: float = 0.1, lamda1: float = 0.01,
         beta: float = 1.0, weight_decay: float = 0.0, rescale_grad: float = 1.0,
         clip_gradient: Optional[float] = None, form: str = "mxnet", learning_rate_power: float = -0.5,
         l2: float = 0.0, l2_shrinkage: float = 0.0) -> Tensor:
    """FTRL; in place on ``param``, ``z`` (the linear term) and ``n`` (the accumulator). Shapes: all (...) alike.

    ``form="mxnet"`` (the default here): MXNet 1.9 FTRL-proximal (``ftrl_update``)::

        g' = clip(g * rescale)
        z = z + (g' - ((sqrt(n + g'*g') - sqrt(n)) * p) / lr);  n = n + g'*g'
        p = ((sign(z)*lamda1 - z) / ((beta + sqrt(n)) / lr + wd)) * (|z| > lamda1)

    ``form="keras"``: Keras 3's ``Ftrl`` (``lamda1`` is its ``l1_regularization_strength``, ``l2`` /
    ``l2_shrinkage`` its other two strengths, ``beta`` its ``beta``, ``-learning_rate_power`` the power ``q``;
    ``rescale_grad`` / ``clip_gradient`` are MXNet-only and must stay at their defaults). With the
    hyper-parameters rounded to the parameter dtype as Keras casts them::

        p = p - (p * weight_decay) * lr                                  (decoupled decay, when set)
        l2' = l2 + beta / (2 * lr);  g_s = g + (2 * l2_shrinkage) * p;  n' = n + g*g
        z = z + (g_s - ((n'**q - n**q) / lr) * p)
        p = (clip(z, -lamda1, lamda1) - z) / (n'**q / lr + 2 * l2');  n = n'
    """
    if form == "mxnet":
        return ops.ftrl_update(param, grad, z, n, lr=lr, lamda1=lamda1, beta=beta, wd=weight_decay,
                               rescale_grad=rescale_grad, clip_gradient=clip_gradient)
    if form != "keras":
        raise OpError("ftrl_update", f"form must be 'keras' or 'mxnet', got {form!r}")
    if rescale_grad != 1.0 or clip_gradient is not None:
        raise OpError("ftrl_update", "rescale_grad and clip_gradient are MXNet-only (form='mxnet'); Keras clips "
                                     f"before the rule; got rescale_grad={rescale_grad}, clip_gradient={clip_gradient}")
    if not isinstance(param, Tensor) or not isinstance(grad, Tensor) or grad.shape != param.shape:
        raise OpError("ftrl_update", "param and grad must be Tensors of one shape",
                      shapes=(getattr(param, "shape", None), getattr(grad, "shape", None)))
    for s, name in ((z, "z"), (n, "n")):
        if not isinstance(s, Tensor) or s.shape != param.shape or s.dtype != param.dtype:
            raise OpError("ftrl_update", f"state '{name}' must be a Tensor with the parameter's shape "
                                         f"{param.shape} and dtype {param.dtype}", shapes=(param.shape,))
    sc = param.dtype.type  # Keras casts lr (and the decay) to the variable dtype
    lr_c = sc(lr)
    g = ops.astype(grad, param.dtype) if grad.dtype != param.dtype else grad
    p = param
    if weight_decay:
        p = ops.subtract(p, ops.multiply(ops.multiply(p, sc(weight_decay)), lr_c))
    l2_reg = sc(l2) + sc(beta) / (sc(2.0) * lr_c)
    q = -float(learning_rate_power)
    g_s = ops.add(g, ops.multiply(p, 2.0 * float(l2_shrinkage)))
    n_new = ops.add(n, ops.square(g))
    n_pow = ops.power(n_new, q)
    z_new = ops.add(z, ops.subtract(g_s, ops.multiply(ops.divide(ops.subtract(n_pow, ops.power(n, q)), lr_c), p)))
    quadratic = ops.add(ops.divide(n_pow, lr_c), sc(2.0) * l2_reg)
    new_p = ops.divide(ops.subtract(ops.clip(z_new, -float(lamda1), float(lamda1)), z_new), quadratic)
    ops.setitem(z, Ellipsis, z_new)
    ops.setitem(n, Ellipsis, n_new)
    ops.setitem(param, Ellipsis, new_p)
    return param


def signum(param: Tensor, grad: Tensor, momentum_buffer: Optional[Tensor] = None, *, lr: float = 0.01,
           momentum: float = 0.9, weight_decay: float = 0.0, wd_lh: float = 0.0, rescale_grad: float = 1.0,
           clip_gradient: Optional[float] = None) -> Tensor:
    """MXNet 1.9 signSGD (``momentum_buffer`` None) / Signum; in place. Shapes: all (...) alike::

        signsgd_update:  p = (1 - lr*wd)*p - lr*sign(g)                 (clip_gradient has no effect)
        signum_update:   v = (m*v - ((1-m)*wd)*p) - ((1-m)*rescale)*g   [clip: - (1-m)*clip(rescale*g)]
                         p = (1 - lr*wd_lh)*p + lr*sign(v)
    """
    return ops.signum_update(param, grad, momentum_buffer, lr=lr, momentum=momentum, wd=weight_decay, wd_lh=wd_lh,
                             rescale_grad=rescale_grad, clip_gradient=clip_gradient)


def lamb(param: Tensor, grad: Tensor, m: Tensor, v: Tensor, *, lr: float, step: int, beta1: float = 0.9,
         beta2: float = 0.999, epsilon: float = 1e-6, weight_decay: float = 0.0, rescale_grad: float = 1.0,
         clip_gradient: Optional[float] = None, lower_bound: Optional[float] = None,
         upper_bound: Optional[float] = None, bias_correction: bool = True) -> Tensor:
    """MXNet 1.9 LAMB (``lamb_update_phase1`` + ``lamb_update_phase2``); in place. Shapes: all (...) alike::

        g' = clip(g * rescale);  m = beta1*m + (1 - beta1)*g';  v = beta2*v + ((1 - beta2)*g')*g'
        bias_correction: m_hat = m / (1 - beta1**t);  v_hat = v / (1 - beta2**t)     (else m, v)
        r = m_hat / (sqrt(v_hat) + eps) + wd*p
        r1 = ||p||_2 clamped to [lower_bound, upper_bound] (None = unbounded);  r2 = ||r||_2
        p = p - (lr * r1 / r2 if r1 != 0 and r2 != 0 else lr) * r

    A composite of core ops (not one fused kernel): MXNet's LAMB needs the two norms between its phases.
    Matches MXNet to float rounding (MXNet mixes float32 and float64 scalars in its kernels).
    """
    if not isinstance(param, Tensor) or not isinstance(grad, Tensor) or grad.shape != param.shape:
        raise OpError("lamb_update", "param and grad must be Tensors of one shape",
                          shapes=(getattr(param, "shape", None), getattr(grad, "shape", None)))
    if int(step) < 1:
        raise OpError("lamb_update", f"step is the 1-based update count, got {step}")
    for s, name in ((m, "m"), (v, "v")):
        if not isinstance(s, Tensor) or s.shape != param.shape or s.dtype != param.dtype:
            raise OpError("lamb_update", f"state '{name}' must be a Tensor with the parameter's shape "
                                             f"{param.shape} and dtype {param.dtype}", shapes=(param.shape,))
    g = ops.multiply(ops.astype(grad, param.dtype), float(rescale_grad))
    if clip_gradient is not None and clip_gradient >= 0:
        g = ops.clip(g, -float(clip_gradient), float(clip_gradient))
    m_new = ops.add(ops.multiply(m, float(beta1)), ops.multiply(g, 1.0 - float(beta1)))
    v_new = ops.add(ops.multiply(v, float(beta2)), ops.multiply(ops.multiply(g, 1.0 - float(beta2)), g))
    m_hat, v_hat = m_new, v_new
    if bias_correction:
        m_hat = ops.divide(m_new, 1.0 - float(beta1) ** int(step))
        v_hat = ops.divide(v_new, 1.0 - float(beta2) ** int(step))
    r = ops.add(ops.divide(m_hat, ops.add(ops.sqrt(v_hat), float(epsilon))), ops.multiply(param, float(weight_decay)))
    r1 = ops.sqrt(ops.sum(ops.square(param)))
    r2 = ops.sqrt(ops.sum(ops.square(r)))
    if lower_bound is not None and lower_bound >= 0:
        r1 = ops.maximum(r1, float(lower_bound))
    if upper_bound is not None and upper_bound >= 0:
        r1 = ops.minimum(r1, float(upper_bound))
    degenerate = ops.where(ops.equal(r1, 0.0), True, ops.equal(r2, 0.0))
    ratio = ops.where(degenerate, 1.0, ops.divide(r1, ops.where(degenerate, 1.0, r2)))
    new_p = ops.subtract(param, ops.multiply(ops.multiply(ratio, float(lr)), r))
    ops.setitem(m, Ellipsis, m_new)
    ops.setitem(v, Ellipsis, v_new)
    ops.setitem(param, Ellipsis, new_p)
    return param


def _check_rule(op: str, param: Any, grad: Any, states: Sequence[Tuple[Any, str]]) -> None:
    if not isinstance(param, Tensor) or not isinstance(grad, Tensor) or grad.shape != param.shape:
        raise OpError(op, "param and grad must be Tensors of one shape",
                      shapes=(getattr(param, "shape", None), getattr(grad, "shape", None)))
    for s, name in states:
        if not isinstance(s, Tensor) or s.shape != param.shape or s.dtype != param.dtype:
            raise OpError(op, f"state '{name}' must be a Tensor with the parameter's shape {param.shape} and dtype "
                              f"{param.dtype}", shapes=(param.shape, getattr(s, "shape", None)))


def _mx_grad(param: Tensor, grad: Tensor, rescale_grad: float, clip_gradient: Optional[float],
             weight_decay: float = 0.0) -> Tensor:
    """MXNet's ``clip(grad * rescale_grad [+ wd * param])`` (``clip_gradient`` None or < 0 = off)."""
    g = ops.multiply(ops.astype(grad, param.dtype) if grad.dtype != param.dtype else grad, float(rescale_grad))
    if weight_decay:
        g = ops.add(g, ops.multiply(param, float(weight_decay)))
    if clip_gradient is not None and clip_gradient >= 0:
        g = ops.clip(g, -float(clip_gradient), float(clip_gradient))
    return g


def ftml(param: Tensor, grad: Tensor, d: Tensor, v: Tensor, z: Tensor, *, lr: float, step: int, beta1: float = 0.6,
         beta2: float = 0.999, epsilon: float = 1e-8, weight_decay: float = 0.0, rescale_grad: float = 1.0,
         clip_gradient: Optional[float] = None) -> Tensor:
    """MXNet 1.9 FTML (``ftml_update``, Follow the Moving Leader); in place. Shapes: all (...) alike::

        g' = clip(g * rescale + wd*p);  v = beta2*v + (1 - beta2)*g'*g'
        d_t = (1 - beta1**t) / lr * (sqrt(v / (1 - beta2**t)) + eps)
        z = beta1*z + (1 - beta1)*g' - (d_t - beta1*d)*p;  d = d_t;  p = -z / d_t
    """
    _check_rule("ftml_update", param, grad, ((d, "d"), (v, "v"), (z, "z")))
    if int(step) < 1:
        raise OpError("ftml_update", f"step is the 1-based update count, got {step}")
    t = int(step)
    g = _mx_grad(param, grad, rescale_grad, clip_gradient, weight_decay)
    v_new = ops.add(ops.multiply(v, float(beta2)), ops.multiply(ops.square(g), 1.0 - float(beta2)))
    d_t = ops.multiply(ops.add(ops.sqrt(ops.divide(v_new, 1.0 - float(beta2) ** t)), float(epsilon)),
                       (1.0 - float(beta1) ** t) / float(lr))
    sigma = ops.subtract(d_t, ops.multiply(d, float(beta1)))
    z_new = ops.subtract(ops.add(ops.multiply(z, float(beta1)), ops.multiply(g, 1.0 - float(beta1))),
                         ops.multiply(sigma, param))
    new_p = ops.negative(ops.divide(z_new, d_t))
    ops.setitem(v, Ellipsis, v_new)
    ops.setitem(d, Ellipsis, d_t)
    ops.setitem(z, Ellipsis, z_new)
    ops.setitem(param, Ellipsis, new_p)
    return param


def sgld(param: Tensor, grad: Tensor, noise: Tensor, *, lr: float, weight_decay: float = 0.0,
         rescale_grad: float = 1.0, clip_gradient: Optional[float] = None) -> Tensor:
    """MXNet 1.9 SGLD (stochastic gradient Langevin dynamics); in place. ``noise`` is a draw of
    ``normal(0, sqrt(lr))`` shaped like ``param`` (the caller draws it, so its generator is the frontend's)::

        g' = clip(g * rescale);  p = p + (-lr/2) * (g' + wd*p);  p = p + noise
    """
    _check_rule("sgld_update", param, grad, ((noise, "noise"),))
    g = _mx_grad(param, grad, rescale_grad, clip_gradient)
    step = ops.multiply(ops.add(g, ops.multiply(param, float(weight_decay))), -float(lr) / 2)
    ops.setitem(param, Ellipsis, ops.add(ops.add(param, step), noise))
    return param


def dcasgd(param: Tensor, grad: Tensor, mom: Optional[Tensor], prev: Tensor, *, lr: float, momentum: float = 0.0,
           lamda: float = 0.04, weight_decay: float = 0.0, rescale_grad: float = 1.0,
           clip_gradient: Optional[float] = None) -> Tensor:
    """MXNet 1.9 DCASGD (delay-compensated asynchronous SGD); in place on ``param``, ``mom``, ``prev``::

        g' = clip(g * rescale);  step = -lr * (g' + wd*p + lamda * g'*g' * (p - prev))
        mom given: mom = momentum*mom + step;  step = mom
        prev = p;  p = p + step
    """
    _check_rule("dcasgd_update", param, grad, ((prev, "previous_weight"),) + (((mom, "mom"),) if mom is not None
                                                                                else ()))
    g = _mx_grad(param, grad, rescale_grad, clip_gradient)
    comp = ops.multiply(ops.multiply(ops.multiply(g, g), float(lamda)), ops.subtract(param, prev))
    step = ops.multiply(ops.add(ops.add(g, ops.multiply(param, float(weight_decay))), comp), -float(lr))
    if mom is not None:
        step = ops.add(ops.multiply(mom, float(momentum)), step)
        ops.setitem(mom, Ellipsis, step)
    ops.setitem(prev, Ellipsis, param)
    ops.setitem(param, Ellipsis, ops.add(param, step))
    return param


def group_adagrad(param: Tensor, grad: Tensor, history: Tensor, *, lr: float, epsilon: float = 1e-5,
                  rescale_grad: float = 1.0, clip_gradient: Optional[float] = None) -> Tensor:
    """MXNet 1.9 ``contrib.GroupAdaGrad`` (AdaGrad with one rate per row of a 2-d parameter); in place.
    Shapes: param, grad (N, M); history (N, 1)::

        g' = clip(g * rescale);  history += mean(g'*g', axis=1, keepdims=True)
        p = p - lr * g' / sqrt(history + eps)
    """
    if not isinstance(param, Tensor) or not isinstance(grad, Tensor) or grad.shape != param.shape \
            or len(param.shape) != 2:
        raise OpError("group_adagrad_update", "param and grad must be 2-d Tensors of one shape",
                      shapes=(getattr(param, "shape", None), getattr(grad, "shape", None)))
    if not isinstance(history, Tensor) or history.shape != (param.shape[0], 1):
        raise OpError("group_adagrad_update", f"history must have shape {(param.shape[0], 1)}",
                      shapes=(param.shape, getattr(history, "shape", None)))
    g = _mx_grad(param, grad, rescale_grad, clip_gradient)
    h = ops.add(history, ops.astype(ops.mean(ops.square(g), axis=1, keepdims=True), history.dtype))
    div = ops.divide(ops.multiply(g, float(lr)), ops.astype(ops.sqrt(ops.add(h, float(epsilon))), param.dtype))
    ops.setitem(history, Ellipsis, h)
    ops.setitem(param, Ellipsis, ops.subtract(param, div))
    return param


def lars_scale(w_norm: float, g_norm: float, *, eta: float = 0.001, weight_decay: float = 0.0,
               eps: float = 0.0) -> float:
    """MXNet 1.9 LARS layer factor: ``eta * ||w|| / (||g|| + wd*||w|| + eps)`` when both norms are > 0, else 1.
    (``g_norm`` is the norm of the rescaled gradient.) Multiply the layer's learning rate by it."""
    if w_norm > 0.0 and g_norm > 0.0:
        return float(eta) * w_norm / (g_norm + float(weight_decay) * w_norm + float(eps))
    return 1.0


# ---------------------------------------------------------------------------------------------
# Keras 3 rules without a fused kernel: composites of core ops, Keras's operation order, with the
# hyper-parameters cast to the parameter dtype as Keras casts them (``sc`` below). In place.
# ---------------------------------------------------------------------------------------------
def _keras_grad(op: str, param: Any, grad: Any, states: Sequence[Tuple[Any, str]]) -> Tensor:
    _check_rule(op, param, grad, states)
    return ops.astype(grad, param.dtype) if grad.dtype != param.dtype else grad


def decoupled_weight_decay(param: Tensor, weight_decay: float, lr: float) -> Tensor:
    """Keras's decoupled decay, in place: ``p = p - p * wd * lr`` (wd, lr cast to the param dtype)."""
    if not isinstance(param, Tensor) or param.dtype.kind != "f":
        raise OpError("decoupled_weight_decay", "param must be a floating-point Tensor")
    sc = param.dtype.type
    ops.setitem(param, Ellipsis, ops.subtract(param, ops.multiply(ops.multiply(param, sc(weight_decay)), sc(lr))))
    return param


def lion(param: Tensor, grad: Tensor, m: Tensor, *, lr: float, beta1: float = 0.9, beta2: float = 0.99,
         weight_decay: float = 0.0) -> Tensor:
    """Keras 3 ``Lion`` (sign of an interpolated momentum); in place. Shapes: all (...) alike::

        p = p - lr * sign(m * b1 + g * (1 - b1));   m = m * b2 + g * (1 - b2)
    """
    g = _keras_grad("lion_update", param, grad, ((m, "m"),))
    if weight_decay:
        decoupled_weight_decay(param, weight_decay, lr)
    sc = param.dtype.type
    b1, b2 = sc(beta1), sc(beta2)
    direction = ops.sign(ops.add(ops.multiply(m, b1), ops.multiply(g, sc(1.0) - b1)))
    ops.setitem(param, Ellipsis, ops.subtract(param, ops.multiply(sc(lr), direction)))
    ops.setitem(m, Ellipsis, ops.add(ops.multiply(m, b2), ops.multiply(g, sc(1.0) - b2)))
    return param


def lamb_keras(param: Tensor, grad: Tensor, m: Tensor, v: Tensor, *, lr: float, step: int, beta1: float = 0.9,
               beta2: float = 0.999, epsilon: float = 1e-7, weight_decay: float = 0.0) -> Tensor:
    """Keras 3 ``Lamb`` (layer-wise adaptive Adam); in place. Shapes: all (...) alike::

        m = m + (g - m) * (1 - b1);  v = v + (g*g - v) * (1 - b2)
        u = (m / (1 - b1**t)) / (sqrt(v / (1 - b2**t)) + eps)
        ratio = ||p|| / ||u|| when both are > 0, else 1;  p = p - ratio * lr * u
    """
    g = _keras_grad("lamb_update", param, grad, ((m, "m"), (v, "v")))
    if int(step) < 1:
        raise OpError("lamb_update", f"step is the 1-based update count, got {step}")
    if weight_decay:
        decoupled_weight_decay(param, weight_decay, lr)
    sc = param.dtype.type
    t = sc(step)
    b1p = sc(beta1) ** t
    b2p = sc(beta2) ** t
    m_new = ops.add(m, ops.multiply(ops.subtract(g, m), sc(1.0 - float(beta1))))
    v_new = ops.add(v, ops.multiply(ops.subtract(ops.square(g), v), sc(1.0 - float(beta2))))
    ops.setitem(m, Ellipsis, m_new)
    ops.setitem(v, Ellipsis, v_new)
    update = ops.divide(ops.divide(m_new, sc(1.0) - b1p),
                        ops.add(ops.sqrt(ops.divide(v_new, sc(1.0) - b2p)), sc(epsilon)))
    w_norm = ops.sqrt(ops.sum(ops.square(param)))
    g_norm = ops.sqrt(ops.sum(ops.square(update)))
    ok = ops.logical_and(ops.greater(w_norm, 0.0), ops.greater(g_norm, 0.0))
    ratio = ops.where(ok, ops.divide(w_norm, ops.where(ok, g_norm, ops.ones_like(g_norm))),
                      ops.ones_like(w_norm))
    ops.setitem(param, Ellipsis, ops.subtract(param, ops.multiply(ops.multiply(ratio, sc(lr)), update)))
    return param


def adafactor(param: Tensor, grad: Tensor, r: Optional[Tensor], c: Optional[Tensor], v: Tensor, *, lr: float,
              step: int, beta_2_decay: float = -0.8, epsilon_1: float = 1e-30, epsilon_2: float = 1e-3,
              clip_threshold: float = 1.0, relative_step: bool = True, weight_decay: float = 0.0) -> Tensor:
    """Keras 3 ``Adafactor``; in place. ``r`` (param.shape[:-1]) and ``c`` (shape[:-2] + shape[-1:]) are the
    factored second moments of a >= 2-d parameter (None for a 0/1-d one, whose ``v`` is the full moment)::

        lr = min(lr, 1/sqrt(t)) if relative_step;  rho = min(lr, 1/sqrt(t))
        alpha = max(eps2, rms(p)) * rho;  G = g*g + eps1;  b = 1 - t**beta_2_decay
        >=2-d: r = b*r + (1-b)*mean(G, -1);  c = b*c + (1-b)*mean(G, -2);  v = (r / mean(r, -1))[..., None] * c[..., None, :]
        else:  v = b*v + (1-b)*G
        u = g / sqrt(v);  p = p - alpha * u / max(1, rms(u) / clip_threshold)
    """
    g = _keras_grad("adafactor_update", param, grad, ((v, "v"),))
    if int(step) < 1:
        raise OpError("adafactor_update", f"step is the 1-based update count, got {step}")
    factored = len(param.shape) >= 2
    if factored and (r is None or c is None or tuple(r.shape) != tuple(param.shape[:-1])
                     or tuple(c.shape) != tuple(param.shape[:-2]) + tuple(param.shape[-1:])):
        raise OpError("adafactor_update", f"a {len(param.shape)}-d parameter needs r of shape {param.shape[:-1]} and "
                                          f"c of shape {param.shape[:-2] + param.shape[-1:]}",
                      shapes=(param.shape, getattr(r, "shape", None), getattr(c, "shape", None)))
    if weight_decay:
        decoupled_weight_decay(param, weight_decay, lr)
    sc = param.dtype.type
    t = sc(step)
    inv_sqrt_t = sc(1.0) / _np_sqrt(t)
    lr_c = sc(lr)
    if relative_step:
        lr_c = min(lr_c, inv_sqrt_t)
    rho = min(lr_c, inv_sqrt_t)
    rms_p = ops.sqrt(ops.mean(ops.square(param)))
    alpha = ops.multiply(ops.maximum(rms_p, sc(epsilon_2)), rho)
    sq = ops.add(ops.square(g), sc(epsilon_1))
    b = sc(1.0) - t ** sc(beta_2_decay)
    if factored:
        r_new = ops.add(ops.multiply(r, b), ops.multiply(ops.mean(sq, axis=-1), sc(1.0) - b))
        c_new = ops.add(ops.multiply(c, b), ops.multiply(ops.mean(sq, axis=-2), sc(1.0) - b))
        ops.setitem(r, Ellipsis, r_new)
        ops.setitem(c, Ellipsis, c_new)
        v_new = ops.multiply(ops.expand_dims(ops.divide(r_new, ops.mean(r_new, axis=-1, keepdims=True)), -1),
                             ops.expand_dims(c_new, -2))
    else:
        v_new = ops.add(ops.multiply(v, b), ops.multiply(sq, sc(1.0) - b))
    ops.setitem(v, Ellipsis, v_new)
    u = ops.divide(g, ops.sqrt(v_new))
    rms_u = ops.sqrt(ops.mean(ops.square(u)))
    u_hat = ops.divide(u, ops.maximum(ops.divide(rms_u, sc(clip_threshold)), sc(1.0)))
    ops.setitem(param, Ellipsis, ops.subtract(param, ops.multiply(alpha, u_hat)))
    return param


def _np_sqrt(x: Any) -> Any:
    import numpy as _np

    return _np.sqrt(x)


def newton_schulz5(x: Tensor, steps: int, a: float = 3.4445, b: float = -4.7750, c: float = 2.0315) -> Tensor:
    """Muon's quintic Newton-Schulz iteration (an approximate ``U V^T`` of ``x``'s SVD), as Keras 3 writes it.

    Shapes: (..., M, N) -> (..., M, N). Works on the transpose when M > N; ``x`` is first divided by its
    Frobenius norm + 1e-7; then ``steps`` times: ``A = x x^T;  x = a*x + (b*A + (c*A) A) x``.
    """
    if not isinstance(x, Tensor) or len(x.shape) < 2:
        raise ValueError("Expected gradient or momentum to have at least 2 dimensions. "
                         f"Received: shape={tuple(getattr(x, 'shape', ()))}")
    tall = x.shape[-2] > x.shape[-1]
    if tall:
        x = ops.swapaxes(x, -2, -1)
    x = ops.divide(x, ops.add(ops.norm(x, ord=2, axis=(-2, -1), keepdims=True), 1e-7))
    for _ in range(int(steps)):
        xa = ops.matmul(x, ops.swapaxes(x, -2, -1))
        xb = ops.add(ops.multiply(xa, float(b)), ops.matmul(ops.multiply(xa, float(c)), xa))
        x = ops.add(ops.multiply(x, float(a)), ops.matmul(xb, x))
    if tall:
        x = ops.swapaxes(x, -2, -1)
    return x


def muon(param: Tensor, grad: Tensor, m: Tensor, *, lr: float, momentum: float = 0.95, nesterov: bool = True,
         ns_steps: int = 5, a: float = 3.4445, b: float = -4.7750, c: float = 2.0315,
         rms_rate: Optional[float] = 0.2, weight_decay: float = 0.0) -> Tensor:
    """Keras 3 ``Muon`` for a 2-d parameter; in place. Shapes: param, grad, m (M, N)::

        m = m + (g + m * (momentum - 1));  d = g + momentum * m if nesterov else m
        u = newton_schulz5(d);  u = u * sqrt(max(M, N)) * rms_rate (unless rms_rate is None);  p = p - lr * u
    """
    g = _keras_grad("muon_update", param, grad, ((m, "m"),))
    if len(param.shape) != 2:
        raise OpError("muon_update", "Muon updates 2-d parameters (others take its AdamW rule)",
                      shapes=(param.shape,))
    if weight_decay:
        decoupled_weight_decay(param, weight_decay, lr)
    m_new = ops.add(m, ops.add(g, ops.multiply(m, float(momentum) - 1.0)))
    ops.setitem(m, Ellipsis, m_new)
    d = ops.add(g, ops.multiply(m_new, float(momentum))) if nesterov else m_new
    u = ops.multiply(newton_schulz5(d, ns_steps, a, b, c), float(lr))
    if rms_rate is not None:
        scale = param.dtype.type(_np_sqrt(param.dtype.type(max(param.shape[0], param.shape[1]))))
        u = ops.multiply(ops.multiply(u, scale), float(rms_rate))
    ops.setitem(param, Ellipsis, ops.subtract(param, ops.astype(u, param.dtype)))
    return param


def schedule_free_adamw(param: Tensor, grad: Tensor, z: Tensor, v: Tensor, *, lr: float, step: int,
                        beta1: float = 0.9, beta2: float = 0.999, epsilon: float = 1e-8, warmup_steps: int = 0,
                        weight_decay: float = 0.0) -> Tensor:
    """Keras 3 ``ScheduleFreeAdamW``; in place. ``z`` (Keras's ``momentum`` slot) starts as a copy of ``param``::

        lr = lr * min(t / warmup_steps, 1) if warmup_steps > 0
        v = v + (g*g - v) * (1 - b2);  z_old = z;  z = z - lr * g / (sqrt(v / (1 - b2**t)) + eps)
        x = (p - (1 - b1) * z_old) / b1;  x = (1 - 1/t) * x + (1/t) * z;  p = (1 - b1) * z + b1 * x

    ``z_old`` is ``z`` before this step, as the algorithm (and Keras on JAX/TensorFlow) has it; Keras on
    PyTorch reads the already-updated ``z`` there (an in-place alias), which differs from the second step on.
    """
    g = _keras_grad("schedule_free_adamw_update", param, grad, ((z, "z"), (v, "v")))
    if int(step) < 1:
        raise OpError("schedule_free_adamw_update", f"step is the 1-based update count, got {step}")
    if weight_decay:
        decoupled_weight_decay(param, weight_decay, lr)
    sc = param.dtype.type
    t = sc(step)
    lr_c = sc(lr)
    if warmup_steps > 0:
        lr_c = lr_c * min(t / sc(warmup_steps), sc(1.0))
    b1, b2 = sc(beta1), sc(beta2)
    bias2 = sc(1.0) - b2 ** t
    v_new = ops.add(v, ops.multiply(ops.subtract(ops.square(g), v), sc(1.0) - b2))
    ops.setitem(v, Ellipsis, v_new)
    denom = ops.add(ops.sqrt(ops.divide(v_new, bias2)), sc(epsilon))
    x_old = ops.divide(ops.subtract(param, ops.multiply(z, sc(1.0) - b1)), b1)  # from z before this step
    z_new = ops.subtract(z, ops.divide(ops.multiply(g, lr_c), denom))
    ops.setitem(z, Ellipsis, z_new)
    w = sc(1.0) / t
    x_new = ops.add(ops.multiply(x_old, sc(1.0) - w), ops.multiply(z_new, w))
    ops.setitem(param, Ellipsis, ops.add(ops.multiply(z_new, sc(1.0) - b1), ops.multiply(x_new, b1)))
    return param


_STATES = {
    "sgd": ("momentum",), "adam": ("m", "v", "vhat"), "adamw": ("m", "v", "vhat"), "rmsprop": ("n", "g_avg", "mom"),
    "adagrad": ("acc",), "adadelta": ("acc_grad", "acc_delta"), "adamax": ("m", "u"), "nadam": ("m", "v"),
    "ftrl": ("z", "n"), "signum": ("momentum",),
}


def create_state(rule: str, param: Tensor, *, momentum: float = 0.0, amsgrad: bool = False, centered: bool = False,
                 form: str = "keras", initial_accumulator_value: float = 0.0) -> Tuple[Optional[Tensor], ...]:
    """Zero-initialised state tensors for ``rule`` (param's shape, dtype, device), in the order the rule takes.

    Optional states are None when unused: sgd/signum ``(momentum_buffer or None,)`` (kept iff
    ``momentum != 0``); adam ``(m, v, vhat or None)`` (``amsgrad``); rmsprop ``(n, g_avg, mom)``:
    Keras keeps ``g_avg`` iff centered and ``mom`` iff momentum > 0, MXNet keeps both iff centered;
    adagrad ``(acc,)`` filled with ``initial_accumulator_value`` (Keras 0.1, MXNet 0).
    """
    if rule not in _STATES:
        raise ValueError(f"unknown optimizer rule {rule!r}; expected one of {sorted(_STATES)}")
    z = lambda: ops.zeros_like(param)  # noqa: E731
    if rule in ("sgd", "signum"):
        return (z() if momentum != 0.0 else None,)
    if rule in ("adam", "adamw"):
        return (z(), z(), z() if amsgrad else None)
    if rule == "rmsprop":
        if form == "mxnet":
            return (z(), z() if centered else None, z() if centered else None)
        return (z(), z() if centered else None, z() if momentum > 0 else None)
    if rule == "adagrad":
        return (ops.full_like(param, initial_accumulator_value),)
    return tuple(z() for _ in _STATES[rule])


# =============================================================================================
# gradient transforms
# =============================================================================================
def clip_by_value(grads: Sequence[Optional[Tensor]], clipvalue: float) -> List[Optional[Tensor]]:
    """Keras ``clipvalue``: ``clip(g, -clipvalue, clipvalue)`` for each gradient (None passes). Shapes kept."""
    v = float(clipvalue)
    return [None if g is None else ops.clip(g, -v, v) for g in grads]


def clip_by_norm(grad: Tensor, clipnorm: float) -> Tensor:
    """Keras ``clipnorm`` (per tensor): ``g * clipnorm / maximum(||g||_2, clipnorm)``. Shape: (...) -> (...).

    ``||g||`` is ``sqrt(sum(g*g))``, taken as 0 when the sum is 0 (Keras's two-``where`` form).
    """
    c = float(clipnorm)
    l2sum = ops.sum(ops.square(grad), keepdims=True)
    pred = ops.greater(l2sum, 0.0)
    safe = ops.where(pred, l2sum, ops.ones_like(l2sum))
    l2norm = ops.where(pred, ops.sqrt(safe), l2sum)
    return ops.divide(ops.multiply(grad, c), ops.maximum(l2norm, c))


def global_norm(grads: Sequence[Optional[Tensor]]) -> Tensor:
    """Keras ``global_norm``: ``sqrt(sum_i sum(g_i * g_i))`` over the non-None gradients. Shape: () ."""
    sq = [ops.sum(ops.square(g)) for g in grads if g is not None]
    if not sq:
        raise ValueError("global_norm needs at least one gradient")
    return ops.sqrt(ops.sum(ops.stack(sq)))


def clip_by_global_norm(grads: Sequence[Optional[Tensor]], clipnorm: float) -> List[Optional[Tensor]]:
    """Keras ``global_clipnorm``: every gradient times ``c * minimum(1/N, 1/c)`` with ``N`` the global norm.

    A non-finite ``N`` makes every gradient NaN (``+ (N - N)``), as Keras does. Shapes kept.
    """
    c = float(clipnorm)
    n = global_norm(grads)
    scale = ops.multiply(ops.minimum(ops.divide(1.0, n), 1.0 / c), c)
    scale = ops.add(scale, ops.subtract(n, n))
    return [None if g is None else ops.multiply(g, ops.astype(scale, g.dtype)) for g in grads]


def clip_global_norm(arrays: Sequence[Tensor], max_norm: float, check_isfinite: bool = True) -> Any:
    """Gluon ``utils.clip_global_norm``: rescale ``arrays`` **in place** so their joint 2-norm is at most ``max_norm``.

    ``total = sqrt(sum_i dot(a_i.ravel(), a_i.ravel()))``, ``scale = min(max_norm / (total + 1e-8), 1)``,
    every array ``*= scale``. Returns ``total`` as a float when ``check_isfinite`` (a warning is
    issued when it is not finite), else as a 0-d Tensor. Shapes kept.
    """
    if len(arrays) == 0:
        raise ValueError("clip_global_norm needs at least one array")
    sq = [ops.dot(ops.reshape(a, (-1,)), ops.reshape(a, (-1,))) for a in arrays]
    total = sq[0]
    for s in sq[1:]:
        total = ops.add(total, s)
    total = ops.sqrt(total)
    scale = ops.minimum(ops.divide(float(max_norm), ops.add(total, 1e-8)), 1.0)
    for a in arrays:
        ops.scale_update(a, scale)
    if check_isfinite:
        value = float(total.item())
        if not math.isfinite(value):
            import warnings

            warnings.warn(UserWarning("nan or inf is detected. Clipping results will be undefined."), stacklevel=2)
        return value
    return total


# =============================================================================================
# learning-rate schedules (pure Python, float64)
# =============================================================================================
def exponential_decay(step: int, initial_learning_rate: float, decay_steps: float, decay_rate: float,
                      staircase: bool = False) -> float:
    """Keras ``ExponentialDecay``: ``lr0 * decay_rate ** p``, ``p = step / decay_steps`` (floored if staircase).

    ``step`` is Keras's 0-based ``optimizer.iterations``.
    """
    p = step / decay_steps
    if staircase:
        p = math.floor(p)
    return initial_learning_rate * math.pow(decay_rate, p)


def piecewise_constant_decay(step: int, boundaries: Sequence[float], values: Sequence[float]) -> float:
    """Keras ``PiecewiseConstantDecay``: ``values[0]`` while ``step <= boundaries[0]``, ``values[i]`` while
    ``boundaries[i-1] < step <= boundaries[i]``, ``values[-1]`` after the last boundary."""
    if len(values) != len(boundaries) + 1:
        raise ValueError("values must have one more element than boundaries")
    for b, v in zip(boundaries, values):
        if step <= b:
            return v
    return values[-1]


def cosine_decay(step: int, initial_learning_rate: float, decay_steps: int, alpha: float = 0.0,
                 warmup_target: Optional[float] = None, warmup_steps: int = 0) -> float:
    """Keras 3 ``CosineDecay`` (with optional linear warmup).

    Without warmup: ``s = min(step, decay_steps)``, ``lr0 * ((1-alpha) * 0.5*(1 + cos(pi*s/decay_steps)) + alpha)``.
    With ``warmup_target``: ``s = min(step, decay_steps + warmup_steps)``; while ``s < warmup_steps``
    ``(warmup_target - lr0) * s/warmup_steps + lr0``, then the cosine from ``warmup_target`` over
    ``s - warmup_steps``.
    """
    def decay(s: float, from_lr: float) -> float:
        cosine = 0.5 * (1.0 + math.cos(math.pi * (s / decay_steps)))
        return from_lr * ((1 - alpha) * cosine + alpha)

    if warmup_target is None:
        return decay(min(float(step), float(decay_steps)), initial_learning_rate)
    s = min(float(step), float(decay_steps + warmup_steps))
    if s < warmup_steps:
        return (warmup_target - initial_learning_rate) * (s / warmup_steps) + initial_learning_rate
    return decay(s - warmup_steps, warmup_target)


def warmup_lr(num_update: int, base_lr: float, warmup_steps: int, warmup_begin_lr: float = 0.0,
              warmup_mode: str = "linear") -> float:
    """MXNet ``LRScheduler.get_warmup_lr`` (``num_update < warmup_steps``): linear
    ``begin + (base - begin) * num_update / warmup_steps``, or constant ``begin``."""
    if warmup_mode == "linear":
        return warmup_begin_lr + (base_lr - warmup_begin_lr) * float(num_update) / float(warmup_steps)
    if warmup_mode == "constant":
        return warmup_begin_lr
    raise ValueError(f"warmup_mode must be 'linear' or 'constant', got {warmup_mode!r}")


def factor_schedule(num_update: int, step: int, factor: float = 1.0, stop_factor_lr: float = 1e-8,
                    base_lr: float = 0.01, warmup_steps: int = 0, warmup_begin_lr: float = 0.0,
                    warmup_mode: str = "linear") -> float:
    """MXNet ``FactorScheduler``: ``base_lr`` times ``factor`` once per ``step`` updates passed
    (``num_update > k*step``), each product floored at ``stop_factor_lr``; warmup first.

    A pure function of ``num_update`` equal to MXNet's stateful scheduler called with non-decreasing
    ``num_update`` (the repeated products are kept, not ``factor ** k``, for identical rounding).
    """
    if num_update < warmup_steps:
        return warmup_lr(num_update, base_lr, warmup_steps, warmup_begin_lr, warmup_mode)
    lr, count = base_lr, 0
    while num_update > count + step:
        count += step
        lr *= factor
        if lr < stop_factor_lr:
            lr = stop_factor_lr
            break  # it stays there
    return lr


def multi_factor_schedule(num_update: int, step: Sequence[int], factor: float = 1.0, base_lr: float = 0.01,
                          warmup_steps: int = 0, warmup_begin_lr: float = 0.0, warmup_mode: str = "linear") -> float:
    """MXNet ``MultiFactorScheduler``: ``base_lr`` times ``factor`` for every boundary ``s`` in ``step``
    with ``num_update > s``; warmup first."""
    if num_update < warmup_steps:
        return warmup_lr(num_update, base_lr, warmup_steps, warmup_begin_lr, warmup_mode)
    lr = base_lr
    for s in step:
        if num_update > s:
            lr *= factor
        else:
            break
    return lr


def cosine_schedule(num_update: int, max_update: int, base_lr: float = 0.01, final_lr: float = 0.0,
                    warmup_steps: int = 0, warmup_begin_lr: float = 0.0, warmup_mode: str = "linear") -> float:
    """MXNet ``CosineScheduler``: after warmup,
    ``final + (base - final) * (1 + cos(pi * (n - warmup_steps) / (max_update - warmup_steps))) / 2``
    for ``n <= max_update``, and the value at ``max_update`` after it."""
    if num_update < warmup_steps:
        return warmup_lr(num_update, base_lr, warmup_steps, warmup_begin_lr, warmup_mode)
    n = min(num_update, max_update)
    max_steps = max_update - warmup_steps
    return final_lr + (base_lr - final_lr) * (1 + math.cos(math.pi * (n - warmup_steps) / max_steps)) / 2


def poly_schedule(num_update: int, max_update: int, base_lr: float = 0.01, pwr: float = 2, final_lr: float = 0.0,
                  warmup_steps: int = 0, warmup_begin_lr: float = 0.0, warmup_mode: str = "linear") -> float:
    """MXNet ``PolyScheduler``: after warmup,
    ``final + (base - final) * (1 - (n - warmup_steps) / (max_update - warmup_steps)) ** pwr``
    for ``n <= max_update``, and the value at ``max_update`` after it."""
    if num_update < warmup_steps:
        return warmup_lr(num_update, base_lr, warmup_steps, warmup_begin_lr, warmup_mode)
    n = min(num_update, max_update)
    max_steps = max_update - warmup_steps
    return final_lr + (base_lr - final_lr) * pow(1 - float(n - warmup_steps) / float(max_steps), pwr)
