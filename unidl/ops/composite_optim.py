"""Composites of the optimizer updates: one op per rule and framework form.

``<rule>_update`` is Keras 3's formula (hyper-parameters in the parameter dtype, decoupled weight decay first);
``<rule>_update_rescaled`` is MXNet 1.9's (rescaled and clipped gradient, coupled weight decay, hyper-parameters
through float32 fields). ``unidl.ops.optim`` picks the op from the ``form`` a frontend passes. The framework's floating-point operation order lives here, in the core, written with primitive ops; a
fused update kernel (``unidl.xpkernels.optim``, the CUDA plugin's) is an override that must keep it
(``tests/plugins/test_composites.py`` checks they agree bitwise). Each returns ``(param, *states)`` as new
arrays; ``unidl.ops.optim`` copies them into the parameter's and states' buffers.
"""
from __future__ import annotations

import math

import numpy as np

from .composite_basic import _clip, composite


# -- optimizer rules: one op per framework form (the formulas live here, not in kernels) -----------
def _mx_clip(K, t, clip):
    return t if clip is None else _clip(K, t, -clip, clip)


@composite("sgd_update")
def _sgd_update(K, p, g, mom, *, lr, momentum, nesterov, wd):
    T = p.dtype.type
    g = K.astype(g, p.dtype)
    lr_ = T(lr)
    if wd:
        p = K.subtract(p, K.multiply(K.multiply(p, T(wd)), lr_))
    if mom is None:
        return (K.subtract(p, K.multiply(g, lr_)),)
    m_ = T(momentum)
    mom = K.subtract(K.multiply(mom, m_), K.multiply(g, lr_))
    step = K.subtract(K.multiply(mom, m_), K.multiply(g, lr_)) if nesterov else mom
    return K.add(p, step), mom


@composite("sgd_update_rescaled")
def _sgd_update_rescaled(K, p, g, mom, *, lr, momentum, nesterov, wd, rescale_grad, clip_gradient, aggregated):
    T = p.dtype.type
    F = lambda v: T(np.float32(v))  # noqa: E731  MXNet keeps hyper-parameters in float32 fields
    g = K.astype(g, p.dtype)
    lr_, wd_, rs, m_ = F(lr), F(wd), F(rescale_grad), F(momentum)
    clip = None if clip_gradient is None else F(clip_gradient)

    def lr_g():
        if clip is None:
            return K.multiply(g, lr_ * rs)
        return K.multiply(_mx_clip(K, K.multiply(g, rs), clip), lr_)

    if mom is None:
        if aggregated:
            t = lr_g()
            if wd_:
                t = K.add(t, K.multiply(p, lr_ * wd_))
            return (K.subtract(p, t),)
        t = lr_g()
        return (K.subtract(K.multiply(p, T(1) - lr_ * wd_), t),)
    if nesterov:
        gr = _mx_clip(K, K.multiply(g, rs), clip)
        mom = K.multiply(mom, m_)
        d = K.multiply(K.add(K.multiply(p, wd_), gr), lr_)
        t = K.multiply(K.subtract(mom, d), T(m_ + T(1)))
        p = K.add(K.subtract(p, mom), t)
        d = K.multiply(K.add(K.multiply(p, wd_), gr), lr_)
        return p, K.subtract(mom, d)
    mom = K.multiply(mom, m_)
    if wd_:  # the weight term only where wd != 0 (as the aggregated form without momentum)
        mom = K.subtract(mom, K.multiply(p, lr_ * wd_))
    mom = K.subtract(mom, lr_g())
    return K.add(p, mom), mom


@composite("adam_update")
def _adam_update(K, p, g, m, v, vhat, *, lr, step, beta1, beta2, epsilon, wd):
    T = p.dtype.type
    g = K.astype(g, p.dtype)
    lr_ = T(lr)
    if wd:
        p = K.subtract(p, K.multiply(K.multiply(p, T(wd)), lr_))
    t_ = T(step)
    b1p, b2p = T(beta1) ** t_, T(beta2) ** t_
    alpha = T(T(lr_ * np.sqrt(T(T(1) - b2p))) / T(T(1) - b1p))
    m = K.add(m, K.multiply(K.subtract(g, m), T(1 - beta1)))
    v = K.add(v, K.multiply(K.subtract(K.multiply(g, g), v), T(1 - beta2)))
    vv = v
    if vhat is not None:
        vhat = K.maximum(vhat, v)
        vv = vhat
    den = K.add(K.sqrt(vv), T(epsilon))
    p = K.subtract(p, K.divide(K.multiply(m, alpha), den))
    return (p, m, v) if vhat is None else (p, m, v, vhat)


@composite("adam_update_rescaled")
def _adam_update_rescaled(K, p, g, m, v, *, lr, step, beta1, beta2, epsilon, wd, rescale_grad, clip_gradient):
    T = p.dtype.type
    F = lambda x: T(np.float32(x))  # noqa: E731
    g = K.astype(g, p.dtype)
    lr_eff = lr * (math.sqrt(1.0 - beta2 ** step) / (1.0 - beta1 ** step))
    lr_, wd_, rs, b1, b2, eps = F(lr_eff), F(wd), F(rescale_grad), F(beta1), F(beta2), F(epsilon)
    gr = K.add(K.multiply(g, rs), K.multiply(p, wd_))
    gr = _mx_clip(K, gr, None if clip_gradient is None else F(clip_gradient))
    m = K.add(K.multiply(m, b1), K.multiply(gr, T(T(1) - b1)))
    v = K.add(K.multiply(v, b2), K.multiply(K.multiply(gr, T(T(1) - b2)), gr))
    den = K.add(K.sqrt(v), eps)
    return K.subtract(p, K.divide(K.multiply(m, lr_), den)), m, v


# -- the other optimizer rules, one op per framework form (operation order of each framework) --------
def _keras_wd(K, p, lr_, wd, T):
    return K.subtract(p, K.multiply(K.multiply(p, T(wd)), lr_)) if wd else p


def _mx_grad(K, g, p, rs, wd, clip, wd_first=True):
    t = K.multiply(g, rs)
    if wd_first:
        t = K.add(t, K.multiply(p, wd))
    return t if clip is None else K.minimum(K.maximum(t, -clip), clip)


def _states(p, *states):
    return (p,) + tuple(s for s in states if s is not None)


@composite("rmsprop_update")
def _rmsprop_update(K, p, g, n, ga, mom, *, lr, rho, momentum, epsilon, wd):
    T = p.dtype.type
    g = K.astype(g, p.dtype)
    lr_ = T(lr)
    p = _keras_wd(K, p, lr_, wd, T)
    rho_, c = T(rho), T(1 - rho)
    n = K.add(K.multiply(n, rho_), K.multiply(K.multiply(g, g), c))
    if ga is not None:
        ga = K.add(K.multiply(ga, rho_), K.multiply(g, c))
        den = K.add(K.subtract(n, K.multiply(ga, ga)), T(epsilon))
    else:
        den = K.add(n, T(epsilon))
    inc = K.divide(K.multiply(g, lr_), K.sqrt(den))
    if mom is not None:
        mom = K.add(K.multiply(mom, T(momentum)), inc)
        return _states(K.subtract(p, mom), n, ga, mom)
    return _states(K.subtract(p, inc), n, ga, mom)


@composite("rmsprop_update_rescaled")
def _rmsprop_update_rescaled(K, p, g, n, ga, mom, *, lr, rho, momentum, epsilon, wd, rescale_grad, clip_gradient,
                             clip_weights):
    T = p.dtype.type
    F = lambda v: T(np.float32(v))  # noqa: E731
    g = K.astype(g, p.dtype)
    lr_, wd_, rs, g1, g2, eps = F(lr), F(wd), F(rescale_grad), F(rho), F(momentum), F(epsilon)
    gr = _mx_grad(K, g, p, rs, wd_, None if clip_gradient is None else F(clip_gradient))
    one_g1 = T(T(1) - g1)
    if ga is None:
        n = K.add(K.multiply(n, g1), K.multiply(K.multiply(gr, gr), one_g1))
        p = K.subtract(p, K.multiply(K.divide(gr, K.sqrt(K.add(n, eps))), lr_))
    else:
        n = K.add(K.multiply(n, g1), K.multiply(K.multiply(gr, one_g1), gr))
        ga = K.add(K.multiply(ga, g1), K.multiply(gr, one_g1))
        den = K.sqrt(K.add(K.subtract(n, K.multiply(ga, ga)), eps))
        mom = K.subtract(K.multiply(mom, g2), K.divide(K.multiply(gr, lr_), den))
        p = K.add(p, mom)
    if clip_weights is not None:
        cw = F(clip_weights)
        p = K.minimum(K.maximum(p, -cw), cw)
    return _states(p, n, ga, mom)


@composite("adagrad_update")
def _adagrad_update(K, p, g, acc, *, lr, epsilon, wd):
    T = p.dtype.type
    g = K.astype(g, p.dtype)
    lr_ = T(lr)
    p = _keras_wd(K, p, lr_, wd, T)
    acc = K.add(acc, K.multiply(g, g))
    num = K.divide(K.multiply(g, lr_), K.sqrt(K.add(acc, T(epsilon))))
    return K.subtract(p, num), acc


@composite("adagrad_update_rescaled")
def _adagrad_update_rescaled(K, p, g, acc, *, lr, epsilon, wd, rescale_grad, clip_gradient):
    T = p.dtype.type
    g = K.astype(g, p.dtype)
    gr = _mx_grad(K, g, p, T(rescale_grad), None, None if clip_gradient is None else T(clip_gradient), False)
    acc = K.add(acc, K.multiply(gr, gr))
    div = K.add(K.divide(gr, K.sqrt(K.add(acc, T(epsilon)))), K.multiply(p, T(wd)))
    return K.add(p, K.multiply(div, T(-lr))), acc


@composite("adadelta_update")
def _adadelta_update(K, p, g, ag, ad, *, lr, rho, epsilon, wd):
    T = p.dtype.type
    g = K.astype(g, p.dtype)
    rho_, c, eps = T(rho), T(1 - rho), T(epsilon)
    lr_ = T(lr)
    p = _keras_wd(K, p, lr_, wd, T)
    ag = K.add(K.multiply(ag, rho_), K.multiply(K.multiply(g, g), c))
    num = K.multiply(K.sqrt(K.add(ad, eps)), g)
    delta = K.negative(K.divide(num, K.sqrt(K.add(ag, eps))))
    ad = K.add(K.multiply(ad, rho_), K.multiply(K.multiply(delta, delta), c))
    return K.add(p, K.multiply(delta, lr_)), ag, ad


@composite("adadelta_update_rescaled")
def _adadelta_update_rescaled(K, p, g, ag, ad, *, lr, rho, epsilon, wd, rescale_grad, clip_gradient):
    T = p.dtype.type
    g = K.astype(g, p.dtype)
    rho_, c, eps = T(rho), T(1 - rho), T(epsilon)
    gr = _mx_grad(K, g, p, T(rescale_grad), None, None if clip_gradient is None else T(clip_gradient), False)
    ag = K.add(K.multiply(ag, rho_), K.multiply(K.multiply(gr, c), gr))
    cur = K.multiply(K.divide(K.sqrt(K.add(ad, eps)), K.sqrt(K.add(ag, eps))), gr)
    ad = K.add(K.multiply(ad, rho_), K.multiply(K.multiply(cur, c), cur))
    return K.subtract(p, K.add(cur, K.multiply(p, T(wd)))), ag, ad


@composite("adamax_update")
def _adamax_update(K, p, g, m, u, *, lr, step, beta1, beta2, epsilon, wd):
    T = p.dtype.type
    g = K.astype(g, p.dtype)
    lr_ = T(lr)
    p = _keras_wd(K, p, lr_, wd, T)
    b1p = T(beta1) ** T(step)
    m = K.add(m, K.multiply(K.subtract(g, m), T(1 - beta1)))
    u = K.maximum(K.multiply(u, T(beta2)), K.abs(g))
    den = K.multiply(K.add(u, T(epsilon)), T(T(1) - b1p))
    return K.subtract(p, K.divide(K.multiply(m, lr_), den)), m, u


@composite("adamax_update_rescaled")
def _adamax_update_rescaled(K, p, g, m, u, *, lr, step, beta1, beta2, epsilon, wd, rescale_grad, clip_gradient):
    T = p.dtype.type
    g = K.astype(g, p.dtype)
    lr_eff = lr / (1.0 - beta1 ** step)
    gr = _mx_grad(K, g, p, T(rescale_grad), T(wd), None if clip_gradient is None else T(clip_gradient))
    m = K.add(K.multiply(m, T(beta1)), K.multiply(gr, T(1.0 - beta1)))
    u = K.maximum(K.multiply(u, T(beta2)), K.abs(gr))
    return K.subtract(p, K.divide(K.multiply(m, T(lr_eff)), u)), m, u


@composite("nadam_update")
def _nadam_update(K, p, g, m, v, *, lr, step, momentum_cache, beta1, beta2, epsilon, wd):
    T = p.dtype.type
    g = K.astype(g, p.dtype)
    lr_ = T(lr)
    p = _keras_wd(K, p, lr_, wd, T)
    decay, b1, b2 = T(0.96), T(beta1), T(beta2)
    u_t = T(b1 * T(T(1.0) - T(0.5) * (decay ** T(step))))
    u_t1 = T(b1 * T(T(1.0) - T(0.5) * (decay ** T(step + 1))))
    up_t = T(momentum_cache)
    up_t1 = T(up_t * u_t1)
    b2p = b2 ** T(step)
    m = K.add(m, K.multiply(K.subtract(g, m), T(T(1) - b1)))
    v = K.add(v, K.multiply(K.subtract(K.multiply(g, g), v), T(T(1) - b2)))
    m_hat = K.divide(K.multiply(m, u_t1), T(T(1) - up_t1))
    m_hat = K.add(m_hat, K.divide(K.multiply(g, T(T(1) - u_t)), T(T(1) - up_t)))
    den = K.add(K.sqrt(K.divide(v, T(T(1) - b2p))), T(epsilon))
    return K.subtract(p, K.divide(K.multiply(m_hat, lr_), den)), m, v


@composite("nadam_update_rescaled")
def _nadam_update_rescaled(K, p, g, m, v, *, lr, step, momentum_cache, beta1, beta2, epsilon, wd, rescale_grad,
                           clip_gradient, schedule_decay):
    T = p.dtype.type
    g = K.astype(g, p.dtype)
    mt = beta1 * (1.0 - 0.5 * math.pow(0.96, step * schedule_decay))
    mt1 = beta1 * (1.0 - 0.5 * math.pow(0.96, (step + 1) * schedule_decay))
    ms = momentum_cache
    ms_next = ms * mt1
    gr = _mx_grad(K, g, p, T(rescale_grad), T(wd), None if clip_gradient is None else T(clip_gradient))
    m = K.add(K.multiply(m, T(beta1)), K.multiply(gr, T(1.0 - beta1)))
    v = K.add(K.multiply(v, T(beta2)), K.multiply(K.multiply(gr, T(1.0 - beta2)), gr))
    gp = K.multiply(K.divide(gr, T(1.0 - ms)), T(1.0 - mt))
    mp = K.multiply(K.divide(m, T(1.0 - ms_next)), T(mt1))
    vp = K.add(K.sqrt(K.divide(v, T(1.0 - math.pow(beta2, step)))), T(epsilon))
    return K.subtract(p, K.divide(K.multiply(K.add(gp, mp), T(lr)), vp)), m, v


@composite("signum_update")
def _signum_update(K, p, g, mom, *, lr, momentum, wd, wd_lh, rescale_grad, clip_gradient):
    T = p.dtype.type
    F = lambda v: T(np.float32(v))  # noqa: E731
    g = K.astype(g, p.dtype)
    lr_, wd_, rs = F(lr), F(wd), F(rescale_grad)

    def sgn(a):  # (a > 0) - (a < 0): 0 for NaN
        return K.subtract(K.astype(K.greater(a, 0), p.dtype), K.astype(K.less(a, 0), p.dtype))

    if mom is None:
        return (K.subtract(K.multiply(p, T(T(1) - lr_ * wd_)), K.multiply(sgn(g), lr_)),)
    m_ = F(momentum)
    one_m = T(T(1) - m_)
    mom = K.subtract(K.multiply(mom, m_), K.multiply(p, T(one_m * wd_)))
    if clip_gradient is None:
        mom = K.subtract(mom, K.multiply(g, T(one_m * rs)))
    else:
        c = F(clip_gradient)
        t = K.multiply(g, rs)
        t = K.minimum(K.maximum(t, -c), c)
        mom = K.subtract(mom, K.multiply(t, one_m))
    p = K.add(K.multiply(p, T(T(1) - lr_ * F(wd_lh))), K.multiply(sgn(mom), lr_))
    return p, mom
