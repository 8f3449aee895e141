"""Fused CuPy kernels: one launch where the generic kernels take several.

- activations (sigmoid, silu, gelu, elu, selu, softplus, leaky_relu, hard_sigmoid, erf, erfc): one
  ElementwiseKernel each instead of 4-40 array ops;
- ``softmax_cross_entropy_grad`` (class axis last): max, one fused exp-sum reduction, one
  elementwise kernel for ``(softmax - onehot) * g``;
- optimizer updates (``sgd_update``, ``sgd_update_rescaled`` without Nesterov, ``adam_update`` without
  AMSGrad, ``adam_update_rescaled``): one kernel per parameter, updating param and states in place;
- ``random_bernoulli`` with a scalar probability (dropout masks): Philox and the threshold in one
  kernel (:mod:`unidl_cuda.rng`).

Kernels are compiled with ``--fmad=false`` and keep the cpu kernels' operation order, so the
optimizer updates round exactly as the NumPy reference does (IEEE sqrt and division are NVRTC's
defaults). Each wrapper falls back to the generic kernel for dtypes and cases it does not cover.
Only built where the array module is CuPy; compiled lazily by CuPy on first use.
"""
from __future__ import annotations

import math
from typing import Any, Callable, Dict

import numpy as np

from unidl.ops.activation import GELU_TANH_C, SELU_ALPHA, SELU_SCALE, SQRT_2_OVER_PI, SQRT_HALF

OPTS = ("--fmad=false",)
_FLOATS = (np.dtype(np.float32), np.dtype(np.float64))
_CLIP = "gr = gr < -cval ? -cval : (gr > cval ? cval : gr);"  # NumPy clip (NaN passes through)
_DECOUPLED_WD = "if (has_wd) { T t = p * wd; t = t * lr; p = p - t; }"


def _lit(v: float) -> str:
    return f"(T){float(v)!r}"


_ACTIVATIONS = {
    # name: (extra scalar params, body computing y from x)
    "sigmoid": ("", "T e = exp(-fabs(x)); T r = (T)1 / (e + (T)1); y = x >= (T)0 ? r : e * r;"),
    "silu": ("", "T e = exp(-fabs(x)); T r = (T)1 / (e + (T)1); y = x * (x >= (T)0 ? r : e * r);"),
    "gelu_erf": ("", f"y = (T)0.5 * x * erfc(-x * {_lit(SQRT_HALF)});"),
    "gelu_tanh": ("", f"T u = {_lit(SQRT_2_OVER_PI)} * (x + {_lit(GELU_TANH_C)} * x * x * x);"
                      " y = (T)0.5 * x * ((T)1 + tanh(u));"),
    "elu": (", T alpha", "y = x > (T)0 ? x : alpha * expm1(x > (T)0 ? (T)0 : x);"),
    "selu": ("", f"T n = {_lit(SELU_ALPHA)} * expm1(x > (T)0 ? (T)0 : x); y = {_lit(SELU_SCALE)} * (x > (T)0 ? x : n);"),
    "softplus": ("", "y = x > (T)0 ? x + log1p(exp(-x)) : log1p(exp(x));"),
    "leaky_relu": (", T slope", "y = x > (T)0 ? x : x * slope;"),
    "hard_sigmoid": (", T alpha, T beta", "T t = x * alpha + beta; y = t < (T)0 ? (T)0 : (t > (T)1 ? (T)1 : t);"),
    "erf": ("", "y = erf(x);"),
    "erfc": ("", "y = erfc(x);"),
}


def kernels(cp: Any, generic: Dict[str, Callable[..., Any]], philox: Any) -> Dict[str, Callable[..., Any]]:
    """Fused kernels for CuPy ``cp``; ``generic`` is the table they fall back to."""
    EK = cp.ElementwiseKernel
    act = {n: EK("T x" + extra, "T y", body, f"unidl_{n}", options=OPTS) for n, (extra, body) in _ACTIVATIONS.items()}

    def floating(x: Any) -> bool:
        return x.dtype in _FLOATS

    def unary(name: str) -> Callable[..., Any]:
        k, fb = act[name], generic[name]

        def f(x: Any) -> Any:
            return k(x) if floating(x) else fb(x)

        f.__name__ = name
        return f

    def elu(x: Any, alpha: float) -> Any:
        return act["elu"](x, alpha) if floating(x) else generic["elu"](x, alpha=alpha)

    def leaky_relu(x: Any, negative_slope: float) -> Any:
        return act["leaky_relu"](x, negative_slope) if floating(x) else generic["leaky_relu"](x, negative_slope=negative_slope)

    def hard_sigmoid(x: Any, alpha: float, beta: float) -> Any:
        if floating(x):
            return act["hard_sigmoid"](x, alpha, beta)
        return generic["hard_sigmoid"](x, alpha=alpha, beta=beta)

    def gelu(x: Any, approximate: bool) -> Any:
        if not floating(x):
            return generic["gelu"](x, approximate=approximate)
        return act["gelu_tanh" if approximate else "gelu_erf"](x)

    # -- softmax cross-entropy gradient -------------------------------------------------------------
    sumexp = cp.ReductionKernel("T x, T m", "T s", "exp(x - m)", "a + b", "s = a", "0", "unidl_sumexp",
                                options=OPTS)
    sce_grad_k = EK("T x, T mx, T s, L lab, T gg, int64 n", "T out",
                    "T e = exp(x - mx) / s; if ((long long)(i % n) == (long long)lab) e = e - (T)1; out = e * gg;",
                    "unidl_sce_grad", options=OPTS)

    def softmax_cross_entropy_grad(logits: Any, labels: Any, g: Any, axis: int) -> Any:
        if not floating(logits) or logits.size == 0 or axis != logits.ndim - 1:
            return generic["softmax_cross_entropy_grad"](logits, labels, g, axis=axis)
        mx = logits.max(axis=axis, keepdims=True)
        s = sumexp(logits, mx, axis=axis, keepdims=True)
        out = cp.empty(logits.shape, dtype=logits.dtype)
        sce_grad_k(logits, mx, s, cp.expand_dims(labels, axis), cp.expand_dims(g.astype(logits.dtype, copy=False), axis),
                   np.int64(logits.shape[axis]), out)
        return out

    # -- optimizer updates (same operation order as unidl.xpkernels.optim) -----------------------
    sgd_plain = EK("G g, T lr, T wd, int32 has_wd", "T p",
                   f"T gg = (T)g; {_DECOUPLED_WD} p = p - gg * lr;", "unidl_sgd", options=OPTS)
    sgd_plain_mom = EK("G g, T lr, T wd, int32 has_wd, T mo, int32 nesterov", "T p, T mom",
                       f"T gg = (T)g; {_DECOUPLED_WD} mom = mom * mo; mom = mom - gg * lr;"
                       " if (nesterov) { T t = mom * mo; t = t - gg * lr; p = p + t; } else { p = p + mom; }",
                       "unidl_sgd_mom", options=OPTS)
    lr_g = ("T lg; if (has_clip) { T gr = gg * rs; " + _CLIP + " lg = gr * lr; } else { lg = gg * lrrs; }")
    sgd_resc = EK("G g, T lr, T rs, T lrrs, T lrwd, T keep, int32 has_clip, T cval, int32 aggregated", "T p",
                  "T gg = (T)g; " + lr_g +
                  " if (aggregated) { T t = p * lrwd; t = (T)0 - t; t = t - lg; p = p + t; }"
                  " else { p = p * keep; p = p - lg; }", "unidl_sgd_rescaled", options=OPTS)
    sgd_resc_mom = EK("G g, T lr, T rs, T lrrs, T lrwd, int32 has_clip, T cval, T mo, int32 has_wd", "T p, T mom",
                      "T gg = (T)g; " + lr_g + " mom = mom * mo; if (has_wd) { mom = mom - p * lrwd; }"
                      " mom = mom - lg; p = p + mom;",
                      "unidl_sgd_rescaled_mom", options=OPTS)
    adam_plain = EK("G g, T lr, T wd, int32 has_wd, T alpha, T c1, T c2, T eps", "T p, T m, T v",
                    f"T gg = (T)g; {_DECOUPLED_WD}"
                    " T t = gg - m; t = t * c1; m = m + t;"
                    " t = gg * gg; t = t - v; t = t * c2; v = v + t;"
                    " T den = sqrt(v); den = den + eps; T num = m * alpha; num = num / den; p = p - num;",
                    "unidl_adam", options=OPTS)
    adam_resc = EK("G g, T lr, T wd, T rs, int32 has_clip, T cval, T b1, T b2, T omb1, T omb2, T eps",
                   "T p, T m, T v",
                   "T gg = (T)g; T gr = gg * rs; gr = gr + p * wd; if (has_clip) { " + _CLIP + " }"
                   " m = m * b1; m = m + gr * omb1;"
                   " T t = gr * omb2; t = t * gr; v = v * b2; v = v + t;"
                   " T den = sqrt(v); den = den + eps; T num = m * lr; num = num / den; p = p - num;",
                   "unidl_adam_rescaled", options=OPTS)

    def same(p: Any, *xs: Any) -> bool:
        return p.dtype in _FLOATS and all(x is None or x.shape == p.shape for x in xs) and all(
            x is None or x.dtype == p.dtype for x in xs[1:])

    def sgd_update(p: Any, g: Any, mom: Any, *, lr: float, momentum: float, nesterov: bool, wd: float) -> Any:
        if not same(p, g, mom):
            return generic["sgd_update"](p, g, mom, lr=lr, momentum=momentum, nesterov=nesterov, wd=wd)
        T = p.dtype.type
        if mom is None:
            sgd_plain(g, T(lr), T(wd), np.int32(bool(wd)), p)
            return (p,)
        sgd_plain_mom(g, T(lr), T(wd), np.int32(bool(wd)), T(momentum), np.int32(bool(nesterov)), p, mom)
        return (p, mom)

    def sgd_update_rescaled(p: Any, g: Any, mom: Any, *, lr: float, momentum: float, nesterov: bool, wd: float,
                            rescale_grad: float, clip_gradient: Any, aggregated: bool) -> Any:
        if not same(p, g, mom) or (mom is not None and nesterov):
            return generic["sgd_update_rescaled"](p, g, mom, lr=lr, momentum=momentum, nesterov=nesterov, wd=wd,
                                                  rescale_grad=rescale_grad, clip_gradient=clip_gradient,
                                                  aggregated=aggregated)
        T = p.dtype.type
        F = lambda x: T(np.float32(x))  # noqa: E731 - float32 hyper-parameter fields
        lr_, wd_, rs, m_ = F(lr), F(wd), F(rescale_grad), F(momentum)
        has_clip = clip_gradient is not None
        cval = F(clip_gradient) if has_clip else T(0)
        if mom is None:
            sgd_resc(g, lr_, rs, lr_ * rs, lr_ * wd_, T(1) - lr_ * wd_, np.int32(has_clip), cval,
                     np.int32(bool(aggregated)), p)
            return (p,)
        # the weight term only where wd != 0, as the core's composite (unidl.ops.composite_optim)
        sgd_resc_mom(g, lr_, rs, lr_ * rs, lr_ * wd_, np.int32(has_clip), cval, m_, np.int32(bool(wd_)), p, mom)
        return (p, mom)

    def adam_update(p: Any, g: Any, m: Any, v: Any, vhat: Any, *, lr: float, step: int, beta1: float, beta2: float,
                    epsilon: float, wd: float) -> Any:
        if vhat is not None or not same(p, g, m, v):
            return generic["adam_update"](p, g, m, v, vhat, lr=lr, step=step, beta1=beta1, beta2=beta2,
                                          epsilon=epsilon, wd=wd)
        T = p.dtype.type
        lr_, t_ = T(lr), T(step)
        b1p, b2p = T(beta1) ** t_, T(beta2) ** t_
        alpha = T(T(lr_ * np.sqrt(T(T(1) - b2p))) / T(T(1) - b1p))
        adam_plain(g, lr_, T(wd), np.int32(bool(wd)), alpha, T(1 - beta1), T(1 - beta2), T(epsilon), p, m, v)
        return (p, m, v)

    def adam_update_rescaled(p: Any, g: Any, m: Any, v: Any, *, lr: float, step: int, beta1: float, beta2: float,
                             epsilon: float, wd: float, rescale_grad: float, clip_gradient: Any) -> Any:
        if not same(p, g, m, v):
            return generic["adam_update_rescaled"](p, g, m, v, lr=lr, step=step, beta1=beta1, beta2=beta2,
                                                   epsilon=epsilon, wd=wd, rescale_grad=rescale_grad,
                                                   clip_gradient=clip_gradient)
        T = p.dtype.type
        F = lambda x: T(np.float32(x))  # noqa: E731
        lr_eff = lr * (math.sqrt(1.0 - beta2 ** step) / (1.0 - beta1 ** step))
        b1, b2 = F(beta1), F(beta2)
        has_clip = clip_gradient is not None
        adam_resc(g, F(lr_eff), F(wd), F(rescale_grad), np.int32(has_clip), F(clip_gradient) if has_clip else T(0),
                  b1, b2, T(T(1) - b1), T(T(1) - b2), F(epsilon), p, m, v)
        return (p, m, v)

    # -- dropout masks ---------------------------------------------------------------------------------
    bern = philox.bernoulli

    def random_bernoulli(p: Any = None, *, shape: Any, key: Any, counter: int, prob: float = 0.5,
                         dtype: Any = np.bool_, true_value: float = 1.0, false_value: float = 0.0) -> Any:
        if p is not None:
            return generic["random_bernoulli"](p, shape=shape, key=key, counter=counter, dtype=dtype)
        dt = np.dtype(dtype)
        n = 1
        for d in shape:
            n *= int(d)
        out = cp.empty(n, dtype=dt)
        if n:
            counter &= (1 << 128) - 1
            thresh = min(math.ceil(prob * 2.0 ** 32), 1 << 32)
            tv, fv = (np.bool_(True), np.bool_(False)) if dt == np.bool_ else (dt.type(true_value), dt.type(false_value))
            bern(np.uint64(counter & ((1 << 64) - 1)), np.uint64(counter >> 64), np.uint64(int(key[0]) & 0xFFFFFFFF),
                 np.uint64(int(key[1]) & 0xFFFFFFFF), np.uint64(thresh), np.int64(n), tv, fv, out,
                 size=(n + 3) // 4)
        return out.reshape(tuple(shape))

    out = {n: unary(n) for n in ("sigmoid", "silu", "selu", "softplus", "erf", "erfc")}
    out.update(elu=elu, leaky_relu=leaky_relu, hard_sigmoid=hard_sigmoid, gelu=gelu,
               softmax_cross_entropy_grad=softmax_cross_entropy_grad, sgd_update=sgd_update,
               sgd_update_rescaled=sgd_update_rescaled, adam_update=adam_update,
               adam_update_rescaled=adam_update_rescaled, random_bernoulli=random_bernoulli)
    return out
