"""optim kernels: fused optimizer updates that modify the parameter and its states in place.

Unlike the other families, these kernels write into their inputs (param and states; never the
gradient) and return ``(param, *non_none_states)``. Each is the fused override of one op's composite in
``unidl.ops.composite_optim`` and keeps its floating-point operation order exactly, so a CPU and a GPU run of
the same rule do the same roundings. Two forms of each rule are two ops: ``<rule>_update`` (hyper-parameters
cast to the parameter dtype, decoupled weight decay ``p -= p * wd * lr`` before the rule) and
``<rule>_update_rescaled`` (the gradient rescaled and clipped, coupled weight decay, hyper-parameters held as
float32 fields); which framework uses which is the core's business (``unidl.ops.optim``). Scalars are made
host scalars of the parameter dtype before they meet an array, so NumPy 1.x and 2.x (NEP 50) give the same result dtype.
"""
from __future__ import annotations

import functools
import math
from typing import Any, Callable, Dict, Optional, Tuple

import numpy as np


def kernels(xp: Any) -> Dict[str, Callable[..., Any]]:
    def scal(dt: Any) -> Tuple[Callable[[float], Any], Callable[[float], Any]]:
        T = dt.type
        # the rescaled forms keep hyper-parameters in float32 fields, then cast to the parameter dtype
        return T, (lambda x: T(np.float32(x)))

    def decoupled_wd(p: Any, lr: Any, wd: float, T: Any) -> None:
        # p - p * wd * lr, in that order
        if wd:
            t = p * T(wd)
            t *= lr
            p -= t

    def rescaled_grad(g: Any, p: Any, rs: Any, wd: Any, clip: Optional[Any], wd_first: bool = True) -> Any:
        """``clip(g * rescale + w * wd)`` as a new array (``wd_first=False``: no wd term here,
        for rules that apply wd elsewhere)."""
        t = g * rs
        if wd_first:
            t += p * wd
        if clip is not None:
            xp.clip(t, -clip, clip, out=t)
        return t

    def out(p: Any, *states: Any) -> Tuple[Any, ...]:
        return (p,) + tuple(s for s in states if s is not None)

    # -- SGD ------------------------------------------------------------------------------------
    def sgd_update(p: Any, g: Any, mom: Optional[Any], *, lr: float, momentum: float, nesterov: bool,
                   wd: float) -> Tuple[Any, ...]:
        dt = p.dtype
        g = g.astype(dt, copy=False)
        T = dt.type
        lr_ = T(lr)
        if wd:
            decoupled_wd(p, lr_, wd, T)
        if mom is None:
            p -= g * lr_
            return (p,)
        m_ = T(momentum)
        mom *= m_
        mom -= g * lr_
        if nesterov:
            t = mom * m_
            t -= g * lr_
            p += t
        else:
            p += mom
        return (p, mom)

    def sgd_update_rescaled(p: Any, g: Any, mom: Optional[Any], *, lr: float, momentum: float,
                            nesterov: bool, wd: float, rescale_grad: float, clip_gradient: Optional[float],
                            aggregated: bool) -> Tuple[Any, ...]:
        dt = p.dtype
        g = g.astype(dt, copy=False)
        if mom is not None and not nesterov and clip_gradient is None:
            # the common case (sgd_mom_update, no clipping): the general path below, less its set-up
            m_, lr_wd, lr_rs = mom_scalars(dt, lr, momentum, wd, rescale_grad)
            return sgd_mom_step(p, mom, m_, lr_wd, g * lr_rs)
        T, F = scal(dt)
        lr_, wd_, rs, m_ = F(lr), F(wd), F(rescale_grad), F(momentum)
        clip = None if clip_gradient is None else F(clip_gradient)

        def lr_g() -> Any:  # lr * clip(rescale * g)  or  (lr * rescale) * g
            if clip is None:
                return g * (lr_ * rs)
            t = g * rs
            xp.clip(t, -clip, clip, out=t)
            t *= lr_
            return t

        if mom is None:
            if aggregated:  # multi_sgd_update: w + ((0 - (lr*wd)*w) - lr*g')
                # w + ((0 - (lr*wd)*w) - lr*g'): (0 - a) - b is exactly -(a + b) in round-to-nearest, so
                # w - (b + a) gives the same bits
                # (up to the sign of a zero) in two passes instead of five.
                t = lr_g()
                if wd_:
                    t += p * (lr_ * wd_)
                p -= t
            else:  # sgd_update: (1 - lr*wd) * w - lr*g'
                t = lr_g()
                p *= T(1) - lr_ * wd_
                p -= t
            return out(p)
        if nesterov:  # written in place: the output aliases the weight
            gr = g * rs
            if clip is not None:
                xp.clip(gr, -clip, clip, out=gr)
            mom *= m_
            d = p * wd_
            d += gr
            d *= lr_
            t = mom - d
            t *= T(m_ + T(1))
            p -= mom
            p += t
            d = p * wd_  # the weight term reads the *updated* weight (the in-place aliasing above)
            d += gr
            d *= lr_
            mom -= d
            return out(p, mom)
        return sgd_mom_step(p, mom, m_, lr_ * wd_ if wd_ else None, lr_g())

    scalars_of: Dict[Any, Tuple[Any, Any, Any]] = {}

    def mom_scalars(dt: Any, lr: float, momentum: float, wd: float, rescale_grad: float) -> Tuple[Any, Any, Any]:
        """sgd_mom_update's scalars in the parameter dtype: (momentum, lr*wd or None, lr*rescale_grad), each
        hyper-parameter first a float32 field. Kept per value (a training run uses a few); zeros are computed
        each time, since -0.0 == 0.0 as a key and a zero's sign can reach the result."""
        key = (dt, lr, momentum, wd, rescale_grad)
        got = scalars_of.get(key)
        if got is not None:
            return got
        T, f32 = dt.type, np.float32
        lr_, wd_ = T(f32(lr)), T(f32(wd)) if wd else None
        got = (T(f32(momentum)), lr_ * wd_ if wd_ else None, lr_ * T(f32(rescale_grad)))
        if lr and momentum and rescale_grad:  # (wd's sign never matters: a zero wd gives None)
            if len(scalars_of) >= 256:  # a learning-rate schedule makes new values every step
                scalars_of.clear()
            scalars_of[key] = got
        return got

    def sgd_mom_step(p: Any, mom: Any, m_: Any, lr_wd: Any, lr_g: Any) -> Tuple[Any, ...]:
        """sgd_mom_update / multi_sgd_mom_update: mom = m*mom - (lr*wd)*w - lr*g'; w += mom. The weight term only
        where wd != 0 (``lr_wd`` not None): subtracting (lr*0)*w changes at most the sign of a zero, and a
        non-finite weight's momentum, as in the aggregated form without momentum."""
        mom *= m_
        if lr_wd is not None:
            mom -= p * lr_wd
        mom -= lr_g
        p += mom
        return (p, mom)

    # -- Adam -----------------------------------------------------------------------------------
    def adam_update(p: Any, g: Any, m: Any, v: Any, vhat: Optional[Any], *, lr: float, step: int,
                    beta1: float, beta2: float, epsilon: float, wd: float) -> Tuple[Any, ...]:
        dt = p.dtype
        g = g.astype(dt, copy=False)
        T, F = scal(dt)
        lr_ = T(lr)
        decoupled_wd(p, lr_, wd, T)
        t_ = T(step)
        b1p, b2p = T(beta1) ** t_, T(beta2) ** t_
        alpha = T(T(lr_ * np.sqrt(T(T(1) - b2p))) / T(T(1) - b1p))
        t = g - m
        t *= T(1 - beta1)
        m += t
        t = g * g
        t -= v
        t *= T(1 - beta2)
        v += t
        vv = v
        if vhat is not None:
            xp.maximum(vhat, v, out=vhat)
            vv = vhat
        den = xp.sqrt(vv)
        den += T(epsilon)
        num = m * alpha
        num /= den
        p -= num
        return out(p, m, v, vhat)

    def adam_update_rescaled(p: Any, g: Any, m: Any, v: Any, *, lr: float, step: int, beta1: float,
                             beta2: float, epsilon: float, wd: float, rescale_grad: float,
                             clip_gradient: Optional[float]) -> Tuple[Any, ...]:
        dt = p.dtype
        g = g.astype(dt, copy=False)
        T, F = scal(dt)
        # the bias correction is folded into lr in float64, then held as float32
        lr_eff = lr * (math.sqrt(1.0 - beta2 ** step) / (1.0 - beta1 ** step))
        lr_, wd_, rs, b1, b2, eps = F(lr_eff), F(wd), F(rescale_grad), F(beta1), F(beta2), F(epsilon)
        gr = g * rs
        gr += p * wd_
        if clip_gradient is not None:
            c = F(clip_gradient)
            xp.clip(gr, -c, c, out=gr)
        m *= b1
        m += gr * T(T(1) - b1)
        t = gr * T(T(1) - b2)
        t *= gr
        v *= b2
        v += t
        den = xp.sqrt(v)
        den += eps
        num = m * lr_
        num /= den
        p -= num
        return out(p, m, v)

    # -- RMSprop --------------------------------------------------------------------------------
    def rmsprop_update(p: Any, g: Any, n: Any, ga: Optional[Any], mom: Optional[Any], *, lr: float,
                       rho: float, momentum: float, epsilon: float, wd: float) -> Tuple[Any, ...]:
        dt = p.dtype
        g = g.astype(dt, copy=False)
        T, F = scal(dt)
        lr_ = T(lr)
        decoupled_wd(p, lr_, wd, T)
        rho_, c = T(rho), T(1 - rho)
        t = g * g
        t *= c
        n *= rho_
        n += t
        if ga is not None:
            ga *= rho_
            ga += g * c
            den = n - ga * ga
            den += T(epsilon)
        else:
            den = n + T(epsilon)
        inc = g * lr_
        inc /= xp.sqrt(den, out=den)
        if mom is not None:
            mom *= T(momentum)
            mom += inc
            p -= mom
        else:
            p -= inc
        return out(p, n, ga, mom)

    def rmsprop_update_rescaled(p: Any, g: Any, n: Any, ga: Optional[Any], mom: Optional[Any], *,
                                lr: float, rho: float, momentum: float, epsilon: float, wd: float,
                                rescale_grad: float, clip_gradient: Optional[float],
                                clip_weights: Optional[float]) -> Tuple[Any, ...]:
        dt = p.dtype
        g = g.astype(dt, copy=False)
        T, F = scal(dt)
        lr_, wd_, rs, g1, g2, eps = F(lr), F(wd), F(rescale_grad), F(rho), F(momentum), F(epsilon)
        gr = g * rs
        gr += p * wd_
        if clip_gradient is not None:
            c = F(clip_gradient)
            xp.clip(gr, -c, c, out=gr)
        one_g1 = T(T(1) - g1)
        if ga is None:  # rmsprop_update (Tieleman & Hinton)
            t = gr * gr
            t *= one_g1
            n *= g1
            n += t
            den = n + eps
            xp.sqrt(den, out=den)
            q = gr / den
            q *= lr_
            p -= q
        else:  # rmspropalex_update (Graves), mom holds delta
            t = gr * one_g1
            t *= gr
            n *= g1
            n += t
            ga *= g1
            ga += gr * one_g1
            den = n - ga * ga
            den += eps
            xp.sqrt(den, out=den)
            q = gr * lr_
            q /= den
            mom *= g2
            mom -= q
            p += mom
        if clip_weights is not None:
            cw = F(clip_weights)
            xp.clip(p, -cw, cw, out=p)
        return out(p, n, ga, mom)

    # -- Adagrad --------------------------------------------------------------------------------
    def adagrad_update(p: Any, g: Any, acc: Any, *, lr: float, epsilon: float, wd: float) -> Tuple[Any, ...]:
        dt = p.dtype
        g = g.astype(dt, copy=False)
        T = dt.type
        lr_ = T(lr)
        decoupled_wd(p, lr_, wd, T)
        acc += g * g
        den = acc + T(epsilon)
        num = g * lr_
        num /= xp.sqrt(den, out=den)
        p -= num
        return out(p, acc)

    def adagrad_update_rescaled(p: Any, g: Any, acc: Any, *, lr: float, epsilon: float, wd: float,
                                rescale_grad: float, clip_gradient: Optional[float]) -> Tuple[Any, ...]:
        dt = p.dtype
        g = g.astype(dt, copy=False)
        T = dt.type
        # g = clip(g*rescale); h += g^2; w += (g/sqrt(h+eps) + w*wd) * -lr
        clip = None if clip_gradient is None else T(clip_gradient)
        gr = rescaled_grad(g, p, T(rescale_grad), None, clip, wd_first=False)
        acc += gr * gr
        den = acc + T(epsilon)
        div = gr / xp.sqrt(den, out=den)
        div += p * T(wd)
        div *= T(-lr)
        p += div
        return out(p, acc)

    # -- Adadelta -------------------------------------------------------------------------------
    def adadelta_update(p: Any, g: Any, ag: Any, ad: Any, *, lr: float, rho: float, epsilon: float,
                        wd: float) -> Tuple[Any, ...]:
        dt = p.dtype
        g = g.astype(dt, copy=False)
        T = dt.type
        rho_, c, eps = T(rho), T(1 - rho), T(epsilon)
        lr_ = T(lr)
        decoupled_wd(p, lr_, wd, T)
        t = g * g
        t *= c
        ag *= rho_
        ag += t
        num = ad + eps
        xp.sqrt(num, out=num)
        num *= g
        den = ag + eps
        num /= xp.sqrt(den, out=den)
        xp.negative(num, out=num)  # delta
        t = num * num
        t *= c
        ad *= rho_
        ad += t
        num *= lr_
        p += num
        return out(p, ag, ad)

    def adadelta_update_rescaled(p: Any, g: Any, ag: Any, ad: Any, *, lr: float, rho: float,
                                 epsilon: float, wd: float, rescale_grad: float,
                                 clip_gradient: Optional[float]) -> Tuple[Any, ...]:
        dt = p.dtype
        g = g.astype(dt, copy=False)
        T = dt.type
        rho_, c, eps = T(rho), T(1 - rho), T(epsilon)
        # no learning rate in this form
        clip = None if clip_gradient is None else T(clip_gradient)
        gr = rescaled_grad(g, p, T(rescale_grad), None, clip, wd_first=False)
        ag *= rho_
        t = gr * c
        t *= gr
        ag += t
        cur = ad + eps
        xp.sqrt(cur, out=cur)
        den = ag + eps
        cur /= xp.sqrt(den, out=den)
        cur *= gr
        ad *= rho_
        t = cur * c
        t *= cur
        ad += t
        cur += p * T(wd)
        p -= cur
        return out(p, ag, ad)

    # -- Adamax ---------------------------------------------------------------------------------
    def adamax_update(p: Any, g: Any, m: Any, u: Any, *, lr: float, step: int, beta1: float,
                      beta2: float, epsilon: float, wd: float) -> Tuple[Any, ...]:
        dt = p.dtype
        g = g.astype(dt, copy=False)
        T = dt.type
        lr_ = T(lr)
        decoupled_wd(p, lr_, wd, T)
        b1p = T(beta1) ** T(step)
        t = g - m
        t *= T(1 - beta1)
        m += t
        u *= T(beta2)
        xp.maximum(u, xp.abs(g), out=u)
        den = u + T(epsilon)
        den *= T(T(1) - b1p)
        num = m * lr_
        num /= den
        p -= num
        return out(p, m, u)

    def adamax_update_rescaled(p: Any, g: Any, m: Any, u: Any, *, lr: float, step: int, beta1: float,
                               beta2: float, epsilon: float, wd: float, rescale_grad: float,
                               clip_gradient: Optional[float]) -> Tuple[Any, ...]:
        dt = p.dtype
        g = g.astype(dt, copy=False)
        T = dt.type
        # lr /= 1 - beta1**t; g = clip(g*rescale + wd*w); w -= lr*m/u
        lr_eff = lr / (1.0 - beta1 ** step)
        gr = rescaled_grad(g, p, T(rescale_grad), T(wd), None if clip_gradient is None else T(clip_gradient))
        m *= T(beta1)
        m += gr * T(1.0 - beta1)
        u *= T(beta2)
        xp.maximum(u, xp.abs(gr), out=u)
        num = m * T(lr_eff)
        num /= u
        p -= num
        return out(p, m, u)

    # -- Nadam ----------------------------------------------------------------------------------
    def nadam_update(p: Any, g: Any, m: Any, v: Any, *, lr: float, step: int, momentum_cache: float,
                     beta1: float, beta2: float, epsilon: float, wd: float) -> Tuple[Any, ...]:
        dt = p.dtype
        g = g.astype(dt, copy=False)
        T = dt.type
        lr_ = T(lr)
        decoupled_wd(p, lr_, wd, T)
        decay, b1, b2 = T(0.96), T(beta1), T(beta2)
        u_t = T(b1 * T(T(1.0) - T(0.5) * (decay ** T(step))))
        u_t1 = T(b1 * T(T(1.0) - T(0.5) * (decay ** T(step + 1))))
        up_t = T(momentum_cache)
        up_t1 = T(up_t * u_t1)
        b2p = b2 ** T(step)
        t = g - m
        t *= T(T(1) - b1)
        m += t
        t = g * g
        t -= v
        t *= T(T(1) - b2)
        v += t
        m_hat = m * u_t1
        m_hat /= T(T(1) - up_t1)
        t = g * T(T(1) - u_t)
        t /= T(T(1) - up_t)
        m_hat += t
        den = v / T(T(1) - b2p)
        xp.sqrt(den, out=den)
        den += T(epsilon)
        m_hat *= lr_
        m_hat /= den
        p -= m_hat
        return out(p, m, v)

    def nadam_update_rescaled(p: Any, g: Any, m: Any, v: Any, *, lr: float, step: int,
                              momentum_cache: float, beta1: float, beta2: float, epsilon: float, wd: float,
                              rescale_grad: float, clip_gradient: Optional[float],
                              schedule_decay: float) -> Tuple[Any, ...]:
        dt = p.dtype
        g = g.astype(dt, copy=False)
        T = dt.type
        # momentum_cache: the product of the momentum schedule after this update
        mt = beta1 * (1.0 - 0.5 * math.pow(0.96, step * schedule_decay))
        mt1 = beta1 * (1.0 - 0.5 * math.pow(0.96, (step + 1) * schedule_decay))
        ms = momentum_cache
        ms_next = ms * mt1
        gr = rescaled_grad(g, p, T(rescale_grad), T(wd), None if clip_gradient is None else T(clip_gradient))
        m *= T(beta1)
        m += gr * T(1.0 - beta1)
        v *= T(beta2)
        t = gr * T(1.0 - beta2)
        t *= gr
        v += t
        gp = gr / T(1.0 - ms)
        mp = m / T(1.0 - ms_next)
        vp = v / T(1.0 - math.pow(beta2, step))
        gp *= T(1.0 - mt)
        mp *= T(mt1)
        gp += mp  # m_t_bar
        gp *= T(lr)
        xp.sqrt(vp, out=vp)
        vp += T(epsilon)
        gp /= vp
        p -= gp
        return out(p, m, v)

    # -- FTRL-proximal ----------------------------------------------------------------------------
    def ftrl_update(p: Any, g: Any, z: Any, n: Any, *, lr: float, lamda1: float, beta: float, wd: float,
                    rescale_grad: float, clip_gradient: Optional[float]) -> Tuple[Any, ...]:
        dt = p.dtype
        g = g.astype(dt, copy=False)
        T, F = scal(dt)
        lr_, l1, beta_, wd_ = F(lr), F(lamda1), F(beta), F(wd)
        gr = g * F(rescale_grad)
        if clip_gradient is not None:
            c = F(clip_gradient)
            xp.clip(gr, -c, c, out=gr)
        g2 = gr * gr
        # z += g - (sqrt(n + g^2) - sqrt(n)) * w / lr
        t = n + g2
        xp.sqrt(t, out=t)
        t -= xp.sqrt(n)
        t *= p
        t /= lr_
        xp.subtract(gr, t, out=t)
        z += t
        n += g2
        # w = (sign(z) * lamda1 - z) / ((beta + sqrt(n)) / lr + wd) * (|z| > lamda1)
        den = xp.sqrt(n)
        den += beta_
        den /= lr_
        den += wd_
        num = xp.sign(z).astype(dt, copy=False)
        num *= l1
        num -= z
        num /= den
        num *= (xp.abs(z) > l1).astype(dt)
        p[...] = num
        return out(p, z, n)

    # -- signSGD / Signum ----------------------------------------------------------------------
    def signum_update(p: Any, g: Any, mom: Optional[Any], *, lr: float, momentum: float, wd: float,
                      wd_lh: float, rescale_grad: float, clip_gradient: Optional[float]) -> Tuple[Any, ...]:
        dt = p.dtype
        g = g.astype(dt, copy=False)
        T, F = scal(dt)
        lr_, wd_, rs = F(lr), F(wd), F(rescale_grad)

        def sgn(a: Any) -> Any:  # (a > 0) - (a < 0): 0 for NaN
            return (a > 0).astype(dt) - (a < 0).astype(dt)

        if mom is None:  # signsgd_update: clip_gradient has no effect
            s = sgn(g)
            s *= lr_
            p *= T(T(1) - lr_ * wd_)
            p -= s
            return out(p)
        m_ = F(momentum)
        one_m = T(T(1) - m_)
        mom *= m_
        mom -= p * T(one_m * wd_)
        if clip_gradient is None:
            mom -= g * T(one_m * rs)
        else:
            c = F(clip_gradient)
            t = g * rs
            xp.clip(t, -c, c, out=t)
            t *= one_m
            mom -= t
        s = sgn(mom)
        s *= lr_
        p *= T(T(1) - lr_ * F(wd_lh))
        p += s
        return out(p, mom)

    def scale_update(x: Any, s: Any) -> Tuple[Any, ...]:
        if hasattr(s, "dtype") and getattr(s, "ndim", 0):
            s = s.reshape(())
        x *= s.astype(x.dtype) if hasattr(s, "astype") else x.dtype.type(s)
        return (x,)

    def scalar_safe(update: Callable[..., Tuple[Any, ...]]) -> Callable[..., Tuple[Any, ...]]:
        """Run ``update`` on (1,)-shaped views of 0-d arrays: arithmetic on 0-d arrays yields scalars,
        which the in-place steps (``out=``) cannot take. The views share memory, so the caller's 0-d
        parameter and state arrays are still updated in place; results come back 0-d."""

        @functools.wraps(update)  # the update's own signature, which plugin kernels are checked against
        def run(*arrays: Any, **kw: Any) -> Tuple[Any, ...]:
            for a in arrays:
                if getattr(a, "ndim", 1) == 0:
                    break
            else:
                return update(*arrays, **kw)
            lifted = [a.reshape(1) if getattr(a, "ndim", 1) == 0 else a for a in arrays]
            return tuple(r.reshape(()) if r.shape == (1,) else r for r in update(*lifted, **kw))

        return run

    return {
        **{f.__name__: scalar_safe(f) for f in (
            sgd_update, sgd_update_rescaled, adam_update, adam_update_rescaled, rmsprop_update,
            rmsprop_update_rescaled, adagrad_update, adagrad_update_rescaled, adadelta_update,
            adadelta_update_rescaled, adamax_update, adamax_update_rescaled, nadam_update, nadam_update_rescaled)},
        "ftrl_update": scalar_safe(ftrl_update),
        "signum_update": scalar_safe(signum_update),
        "scale_update": scale_update,
    }
