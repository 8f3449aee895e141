"""unidl.nn.optim: update rules against their Keras 3 / MXNet 1.9 formulas written out in NumPy.

Each reference below follows the framework's own operation order, with hyper-parameters rounded
as the framework rounds them (Keras: Python float -> param dtype; MXNet fused ops: float32 field ->
param dtype), so the comparison is exact (bitwise), several steps, float32 and float64.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import unidl
from unidl import ops
from unidl.errors import OpError
from unidl.nn import optim as O
from unidl.testing.strategies import arrays, shapes

DTYPES = [np.float32, np.float64]
SHAPE = (3, 4)
STEPS = 4


def _data(dtype, n_states, seed=0, positive_states=False):
    rng = np.random.default_rng(seed)
    p = rng.standard_normal(SHAPE).astype(dtype)
    grads = [rng.standard_normal(SHAPE).astype(dtype) * 2 for _ in range(STEPS)]
    states = [np.zeros(SHAPE, dtype) for _ in range(n_states)]
    return p, grads, states


def _tensors(p, states):
    return unidl.tensor(p.copy()), [None if s is None else unidl.tensor(s.copy()) for s in states]


def _check(fn, ref, dtype, n_states, states_none=(), **kw):
    """Run ``fn`` (ours) and ``ref`` (NumPy formula) for STEPS steps; compare param and states exactly."""
    p, grads, states = _data(dtype, n_states)
    states = [None if i in states_none else s for i, s in enumerate(states)]
    tp, ts = _tensors(p, states)
    arrs = [tp.data] + [None if s is None else s.data for s in ts]
    for t, g in enumerate(grads, start=1):
        gt = unidl.tensor(g.copy())
        out = fn(tp, gt, ts, t)
        assert out is tp
        ref(p, g, states, t)
        np.testing.assert_array_equal(gt.numpy(), g)  # the gradient is never modified
    assert tp.data is arrs[0]
    np.testing.assert_array_equal(tp.numpy(), p)
    assert tp.dtype == dtype
    for s_ours, s_ref, a in zip(ts, states, arrs[1:]):
        if s_ref is None:
            assert s_ours is None
            continue
        assert s_ours.data is a
        np.testing.assert_array_equal(s_ours.numpy(), s_ref)


def TF(dtype):
    T = np.dtype(dtype).type
    return T, (lambda x: T(np.float32(x)))


def _clip(x, c):
    return np.clip(x, -c, c)


# ---------------------------------------------------------------------------------------------
# SGD
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("momentum,nesterov,wd", [(0.0, False, 0.0), (0.9, False, 0.0), (0.9, True, 0.0),
                                                  (0.5, False, 0.01)])
def test_sgd_keras(dtype, momentum, nesterov, wd):
    T, _ = TF(dtype)
    lr = 0.05

    def ref(p, g, s, t):
        p -= p * T(wd) * T(lr)  # Keras base optimizer weight decay
        if s[0] is None:
            p -= g * T(lr)
            return
        v = s[0]
        v[...] = v * T(momentum) - g * T(lr)
        if nesterov:
            p += v * T(momentum) - g * T(lr)
        else:
            p += v

    def fn(p, g, s, t):
        return O.sgd(p, g, s[0], lr=lr, momentum=momentum, nesterov=nesterov, weight_decay=wd)

    _check(fn, ref, dtype, 1, states_none=(0,) if momentum == 0 else ())


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("case", ["plain", "aggregated", "momentum", "nag"])
@pytest.mark.parametrize("clip", [None, 0.5])
@pytest.mark.parametrize("wd", [0.01, 0.0])
def test_sgd_mxnet(dtype, case, clip, wd):
    T, F = TF(dtype)
    lr, rs, mom = 0.1, 0.5, 0.9

    def gp(g):
        return _clip(F(rs) * g, F(clip)) if clip is not None else None

    def ref(p, g, s, t):
        c = gp(g)
        lrg = F(lr) * c if clip is not None else (F(lr) * F(rs)) * g
        if case == "plain":  # sgd_update
            p[...] = (T(1) - F(lr) * F(wd)) * p - lrg
        elif case == "aggregated":  # multi_sgd_update
            p[...] = p + ((T(0) - (F(lr) * F(wd)) * p) - lrg)
        elif case == "momentum":  # sgd_mom_update
            v = s[0]
            # with wd = 0 the weight term is left out (it could only change the sign of a zero)
            v[...] = ((F(mom) * v - (F(lr) * F(wd)) * p) if wd else F(mom) * v) - lrg
            p += v
        else:  # nag_mom_update with out=weight
            v = s[0]
            gr = c if clip is not None else F(rs) * g
            v *= F(mom)
            p[...] = (p - v) + (F(mom) + T(1)) * (v - F(lr) * (gr + F(wd) * p))
            v[...] = v - F(lr) * (gr + F(wd) * p)

    def fn(p, g, s, t):
        return O.sgd(p, g, s[0], lr=lr, momentum=mom if s[0] is not None else 0.0, nesterov=(case == "nag"),
                     form="mxnet", weight_decay=wd, rescale_grad=rs, clip_gradient=clip,
                     aggregated=(case == "aggregated"))

    _check(fn, ref, dtype, 1, states_none=(0,) if case in ("plain", "aggregated") else ())


@pytest.mark.parametrize("dtype", DTYPES)
def test_sgd_mxnet_momentum_follows_every_hyper_parameter_change_and_zero_sign(dtype):
    """MXNet's sgd_mom_update keeps its scalars per hyper-parameter value: a schedule that changes and comes back,
    a signed-zero learning rate and momentum, and several parameters with their own lr in one multi-tensor call
    all match the formula bit for bit (zeros with their signs)."""
    T, F = TF(dtype)
    rng = np.random.default_rng(3)
    # (lr, momentum, rescale_grad, wd) per step: first signed zeros of each, one after the other (the updates are
    # then zeros and the states stay zeros, whose signs these decide), then values back and forth
    sched = [(-0.0, 0.9, 0.5, 0.0), (0.0, 0.9, 0.5, 0.0), (0.0, -0.0, 0.5, 0.0), (0.0, 0.0, 0.5, 0.0),
             (0.1, 0.9, -0.0, 0.0), (0.1, 0.9, 0.0, 0.0), (-0.0, 0.9, 0.5, 0.0), (0.0, 0.9, 0.5, 0.0),
             (0.1, 0.9, 0.5, 0.0), (0.05, 0.9, 0.5, 0.0), (0.1, 0.9, 0.5, 0.01), (0.1, 0.9, 0.25, 0.0),
             (0.1, 0.8, 0.5, 0.0), (0.05, 0.9, 0.5, 0.0)]
    # per parameter (lr_mult): parameters 0 and 2 share their scalars; 3's zero learning rates have the other sign
    mults = [1.0, 0.5, 1.0, -1.0]
    ps = [np.where(rng.random(SHAPE) < 0.3, T(-0.0), rng.standard_normal(SHAPE)).astype(dtype) for _ in mults]
    vs = [np.full(SHAPE, -0.0, dtype) for _ in mults]
    tps, tvs = [unidl.tensor(p.copy()) for p in ps], [unidl.tensor(v.copy()) for v in vs]
    for lr, mom, rs, wd in sched:
        gs = [np.where(rng.random(SHAPE) < 0.3, T(-0.0), rng.standard_normal(SHAPE)).astype(dtype) for _ in mults]
        for p, v, g, k in zip(ps, vs, gs, mults):
            lrk = lr * k
            v[...] = ((F(mom) * v - (F(lrk) * F(wd)) * p) if wd else F(mom) * v) - (F(lrk) * F(rs)) * g
            p += v
        O.sgd_many(tps, [unidl.tensor(g) for g in gs], tvs, lrs=[lr * k for k in mults],
                   weight_decays=[wd] * len(mults), momentum=mom, form="mxnet", rescale_grad=rs, aggregated=True)
        for a, b in zip(tps + tvs, ps + vs):
            np.testing.assert_array_equal(np.signbit(a.numpy()), np.signbit(b))
            np.testing.assert_array_equal(a.numpy(), b)


# ---------------------------------------------------------------------------------------------
# Adam / AdamW
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("amsgrad", [False, True])
@pytest.mark.parametrize("wd", [0.0, 0.004])
def test_adam_keras_and_adamw(dtype, amsgrad, wd):
    T, _ = TF(dtype)
    lr, b1, b2, eps = 0.01, 0.9, 0.999, 1e-7

    def ref(p, g, s, t):
        m, v, vh = s
        p -= p * T(wd) * T(lr)
        alpha = T(lr) * np.sqrt(T(1) - T(b2) ** T(t)) / (T(1) - T(b1) ** T(t))
        m += (g - m) * T(1 - b1)
        v += (g * g - v) * T(1 - b2)
        vv = v
        if amsgrad:
            vh[...] = np.maximum(vh, v)
            vv = vh
        p -= (m * alpha) / (np.sqrt(vv) + T(eps))

    def fn(p, g, s, t):
        if wd:
            return O.adamw(p, g, *s, lr=lr, step=t, weight_decay=wd)
        return O.adam(p, g, *s, lr=lr, step=t, beta1=b1, beta2=b2, epsilon=eps)

    _check(fn, ref, dtype, 3, states_none=() if amsgrad else (2,))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("clip", [None, 0.3])
def test_adam_mxnet(dtype, clip):
    T, F = TF(dtype)
    lr, b1, b2, eps, wd, rs = 0.01, 0.9, 0.999, 1e-8, 0.02, 0.25

    def ref(p, g, s, t):
        m, v = s
        lr_t = F(lr * (math.sqrt(1.0 - b2 ** t) / (1.0 - b1 ** t)))
        gr = g * F(rs) + p * F(wd)
        if clip is not None:
            gr = _clip(gr, F(clip))
        m[...] = F(b1) * m + (T(1) - F(b1)) * gr
        v[...] = F(b2) * v + (T(1) - F(b2)) * gr * gr
        p[...] = p - lr_t * m / (np.sqrt(v) + F(eps))

    def fn(p, g, s, t):
        return O.adam(p, g, *s, lr=lr, step=t, beta1=b1, beta2=b2, epsilon=eps, form="mxnet", weight_decay=wd,
                      rescale_grad=rs, clip_gradient=clip)

    _check(fn, ref, dtype, 2)


def test_adam_keras_and_mxnet_differ_only_in_rounding():
    """Same math, different operation order: close, and (in float32) not bitwise equal."""
    p, grads, _ = _data(np.float32, 0)
    outs = []
    for form in ("keras", "mxnet"):
        tp = unidl.tensor(p.copy())
        m, v, _ = O.create_state("adam", tp)
        for t, g in enumerate(grads, 1):
            O.adam(tp, unidl.tensor(g), m, v, lr=0.01, step=t, epsilon=1e-8, form=form)
        outs.append(tp.numpy())
    np.testing.assert_allclose(outs[0], outs[1], rtol=1e-5, atol=1e-6)
    assert not np.array_equal(outs[0], outs[1])


# ---------------------------------------------------------------------------------------------
# RMSprop
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("centered,momentum", [(False, 0.0), (True, 0.0), (False, 0.5), (True, 0.5)])
def test_rmsprop_keras(dtype, centered, momentum):
    T, _ = TF(dtype)
    lr, rho, eps = 0.01, 0.9, 1e-7

    def ref(p, g, s, t):
        n, a, mb = s
        n[...] = T(rho) * n + T(1 - rho) * (g * g)
        if centered:
            a[...] = T(rho) * a + T(1 - rho) * g
            den = n - a * a + T(eps)
        else:
            den = n + T(eps)
        inc = (T(lr) * g) / np.sqrt(den)
        if momentum > 0:
            mb[...] = T(momentum) * mb + inc
            p -= mb
        else:
            p -= inc

    def fn(p, g, s, t):
        return O.rmsprop(p, g, *s, lr=lr, rho=rho, momentum=momentum, epsilon=eps)

    none = tuple(i for i, used in ((1, centered), (2, momentum > 0)) if not used)
    _check(fn, ref, dtype, 3, states_none=none)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("centered", [False, True])
@pytest.mark.parametrize("clip,clip_w", [(None, None), (0.4, 1.2)])
def test_rmsprop_mxnet(dtype, centered, clip, clip_w):
    T, F = TF(dtype)
    lr, g1, g2, eps, wd, rs = 0.01, 0.9, 0.8, 1e-8, 0.01, 0.5

    def ref(p, g, s, t):
        n, a, d = s
        gr = F(rs) * g + F(wd) * p
        if clip is not None:
            gr = _clip(gr, F(clip))
        if not centered:
            n[...] = (T(1) - F(g1)) * (gr * gr) + F(g1) * n
            p[...] = p - F(lr) * (gr / np.sqrt(n + F(eps)))
        else:
            n[...] = (T(1) - F(g1)) * gr * gr + F(g1) * n
            a[...] = (T(1) - F(g1)) * gr + F(g1) * a
            d[...] = F(g2) * d - (F(lr) * gr / np.sqrt(n - a * a + F(eps)))
            p[...] = p + d
        if clip_w is not None:
            p[...] = _clip(p, F(clip_w))

    def fn(p, g, s, t):
        return O.rmsprop(p, g, *s, lr=lr, rho=g1, momentum=g2, epsilon=eps, form="mxnet", weight_decay=wd,
                         rescale_grad=rs, clip_gradient=clip, clip_weights=clip_w)

    _check(fn, ref, dtype, 3, states_none=() if centered else (1, 2))


# ---------------------------------------------------------------------------------------------
# Adagrad, Adadelta, Adamax, Nadam
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("form", ["keras", "mxnet"])
def test_adagrad(dtype, form):
    T, _ = TF(dtype)
    lr, eps, wd, rs, clip = 0.1, 1e-7, 0.01, 0.5, 0.7

    def ref(p, g, s, t):
        acc = s[0]
        if form == "keras":
            acc += g * g
            p -= (T(lr) * g) / np.sqrt(acc + T(eps))
        else:
            gr = _clip(g * T(rs), T(clip))
            acc += gr * gr
            p += (gr / np.sqrt(acc + T(eps)) + p * T(wd)) * T(-lr)

    def fn(p, g, s, t):
        if form == "keras":
            return O.adagrad(p, g, s[0], lr=lr, epsilon=eps)
        return O.adagrad(p, g, s[0], lr=lr, epsilon=eps, form="mxnet", weight_decay=wd, rescale_grad=rs,
                         clip_gradient=clip)

    _check(fn, ref, dtype, 1)


def test_adagrad_initial_accumulator():
    p = unidl.tensor(np.ones(3, np.float32))
    (acc,) = O.create_state("adagrad", p, initial_accumulator_value=0.1)
    np.testing.assert_array_equal(acc.numpy(), np.full(3, 0.1, np.float32))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("form", ["keras", "mxnet"])
def test_adadelta(dtype, form):
    T, _ = TF(dtype)
    lr, rho, eps, wd, rs = 0.5, 0.95, 1e-6, 0.01, 0.5

    def ref(p, g, s, t):
        ag, ad = s
        if form == "keras":
            ag[...] = T(rho) * ag + T(1 - rho) * (g * g)
            d = -((np.sqrt(ad + T(eps)) * g) / np.sqrt(ag + T(eps)))
            ad[...] = T(rho) * ad + T(1 - rho) * (d * d)
            p += T(lr) * d
        else:
            gr = g * T(rs)
            ag[...] = ag * T(rho) + T(1 - rho) * gr * gr
            d = np.sqrt(ad + T(eps)) / np.sqrt(ag + T(eps)) * gr
            ad[...] = ad * T(rho) + T(1 - rho) * d * d
            p -= d + T(wd) * p

    def fn(p, g, s, t):
        if form == "keras":
            return O.adadelta(p, g, *s, lr=lr, rho=rho, epsilon=eps)
        return O.adadelta(p, g, *s, rho=rho, epsilon=eps, form="mxnet", weight_decay=wd, rescale_grad=rs)

    _check(fn, ref, dtype, 2)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("form", ["keras", "mxnet"])
def test_adamax(dtype, form):
    T, _ = TF(dtype)
    lr, b1, b2, eps, wd, rs, clip = 0.002, 0.9, 0.999, 1e-7, 0.01, 0.5, 0.8

    def ref(p, g, s, t):
        m, u = s
        if form == "keras":
            m += (g - m) * T(1 - b1)
            u[...] = np.maximum(T(b2) * u, np.abs(g))
            p -= (T(lr) * m) / ((T(1) - T(b1) ** T(t)) * (u + T(eps)))
        else:
            lr_t = lr / (1.0 - b1 ** t)
            gr = _clip(g * T(rs) + T(wd) * p, T(clip))
            m[...] = m * T(b1) + T(1.0 - b1) * gr
            u[...] = np.maximum(T(b2) * u, np.abs(gr))
            p -= T(lr_t) * m / u

    def fn(p, g, s, t):
        if form == "keras":
            return O.adamax(p, g, *s, lr=lr, step=t, beta1=b1, beta2=b2, epsilon=eps)
        return O.adamax(p, g, *s, lr=lr, step=t, beta1=b1, beta2=b2, form="mxnet", weight_decay=wd,
                        rescale_grad=rs, clip_gradient=clip)

    _check(fn, ref, dtype, 2)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("form", ["keras", "mxnet"])
def test_nadam(dtype, form):
    T, _ = TF(dtype)
    lr, b1, b2, eps, wd, rs, sd = 0.002, 0.9, 0.999, 1e-7, 0.01, 0.5, 0.004
    cache = {"ours": 1.0, "ref": T(1.0) if form == "keras" else 1.0}

    def ref(p, g, s, t):
        m, v = s
        if form == "keras":
            U = cache["ref"] = T(cache["ref"] * T(b1)) * (T(1.0) - T(0.5) * T(0.96) ** T(t))
            u_t = T(b1) * (T(1.0) - T(0.5) * (T(0.96) ** T(t)))
            u_t1 = T(b1) * (T(1.0) - T(0.5) * (T(0.96) ** T(t + 1)))
            m += (g - m) * (T(1) - T(b1))
            v += (g * g - v) * (T(1) - T(b2))
            m_hat = (u_t1 * m) / (T(1) - U * u_t1) + ((T(1) - u_t) * g) / (T(1) - U)
            v_hat = v / (T(1) - T(b2) ** T(t))
            p -= (m_hat * T(lr)) / (np.sqrt(v_hat) + T(eps))
        else:
            mt = b1 * (1.0 - 0.5 * (0.96 ** (t * sd)))
            mt1 = b1 * (1.0 - 0.5 * (0.96 ** ((t + 1) * sd)))
            M = cache["ref"] = cache["ref"] * mt
            gr = g * T(rs) + T(wd) * p
            m[...] = m * T(b1) + T(1.0 - b1) * gr
            v[...] = v * T(b2) + T(1.0 - b2) * gr * gr
            m_bar = T(1.0 - mt) * (gr / T(1.0 - M)) + T(mt1) * (m / T(1.0 - M * mt1))
            p -= T(lr) * m_bar / (np.sqrt(v / T(1.0 - b2 ** t)) + T(eps))

    def fn(p, g, s, t):
        cache["ours"] = O.nadam_momentum_cache(cache["ours"], b1, t, form=form, dtype=dtype, schedule_decay=sd)
        if form == "keras":
            return O.nadam(p, g, *s, lr=lr, step=t, momentum_cache=cache["ours"], beta1=b1, beta2=b2, epsilon=eps)
        return O.nadam(p, g, *s, lr=lr, step=t, momentum_cache=cache["ours"], beta1=b1, beta2=b2, epsilon=eps,
                       form="mxnet", weight_decay=wd, rescale_grad=rs, schedule_decay=sd)

    _check(fn, ref, dtype, 2)


# ---------------------------------------------------------------------------------------------
# FTRL, signSGD / Signum (MXNet only)
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("clip", [None, 1.0])
def test_ftrl(dtype, clip):
    T, F = TF(dtype)
    lr, l1, beta, wd, rs = 0.1, 0.05, 1.0, 0.01, 0.5

    def ref(p, g, s, t):
        z, n = s
        gr = g * F(rs)
        if clip is not None:
            gr = _clip(gr, F(clip))
        z += gr - (np.sqrt(n + gr * gr) - np.sqrt(n)) * p / F(lr)
        n += gr * gr
        p[...] = (np.sign(z) * F(l1) - z) / ((F(beta) + np.sqrt(n)) / F(lr) + F(wd)) * (np.abs(z) > F(l1))

    def fn(p, g, s, t):
        return O.ftrl(p, g, *s, lr=lr, lamda1=l1, beta=beta, weight_decay=wd, rescale_grad=rs, clip_gradient=clip)

    _check(fn, ref, dtype, 2)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("momentum,clip", [(0.0, None), (0.9, None), (0.9, 0.5)])
def test_signum(dtype, momentum, clip):
    T, F = TF(dtype)
    lr, wd, wd_lh, rs = 0.01, 0.02, 0.03, 0.5

    def ref(p, g, s, t):
        if s[0] is None:
            p[...] = (T(1) - F(lr) * F(wd)) * p - F(lr) * np.sign(g)
            return
        v = s[0]
        gr = F(rs) * g
        tail = (T(1) - F(momentum)) * _clip(gr, F(clip)) if clip is not None else \
            (T(1) - F(momentum)) * F(rs) * g
        v[...] = F(momentum) * v - (T(1) - F(momentum)) * F(wd) * p - tail
        p[...] = (T(1) - F(lr) * F(wd_lh)) * p + F(lr) * np.sign(v)

    def fn(p, g, s, t):
        return O.signum(p, g, s[0], lr=lr, momentum=momentum, weight_decay=wd, wd_lh=wd_lh, rescale_grad=rs,
                        clip_gradient=clip)

    _check(fn, ref, dtype, 1, states_none=(0,) if momentum == 0 else ())


# ---------------------------------------------------------------------------------------------
# hypothesis: shapes (size 0/1) and values
# ---------------------------------------------------------------------------------------------
@given(shape=shapes(max_dims=3), dtype=st.sampled_from(DTYPES), data=st.data(),
       lr=st.floats(1e-4, 1.0), mom=st.floats(0.0, 0.99))
def test_sgd_momentum_property(shape, dtype, data, lr, mom):
    T, F = TF(dtype)
    p = data.draw(arrays(dtype, shape))
    g = data.draw(arrays(dtype, shape))
    for form in ("keras", "mxnet"):
        tp, tm = unidl.tensor(p.copy()), unidl.tensor(np.zeros(shape, dtype))
        O.sgd(tp, unidl.tensor(g), tm, lr=lr, momentum=mom, form=form)
        if form == "keras":
            v = np.zeros(shape, dtype) * T(mom) - g * T(lr)
        else:
            v = (F(mom) * np.zeros(shape, dtype) - (F(lr) * F(0.0)) * p) - (F(lr) * F(1.0)) * g
        np.testing.assert_array_equal(tm.numpy(), v)
        np.testing.assert_array_equal(tp.numpy(), p + v)


@given(shape=shapes(max_dims=3), dtype=st.sampled_from(DTYPES), data=st.data())
def test_adam_first_step_property(shape, dtype, data):
    """Keras Adam's first step: m = (1-b1) g, v = (1-b2) g^2, p -= m*alpha / (sqrt(v)+eps)."""
    T, _ = TF(dtype)
    p = data.draw(arrays(dtype, shape))
    g = data.draw(arrays(dtype, shape))
    tp = unidl.tensor(p.copy())
    m, v, _ = O.create_state("adam", tp)
    O.adam(tp, unidl.tensor(g), m, v, lr=0.001, step=1)
    em = g * T(1 - 0.9)  # m starts at 0: (g - m) * (1 - beta_1), Python 1 - beta_1 then cast
    ev = (g * g) * T(1 - 0.999)
    alpha = T(0.001) * np.sqrt(T(1) - T(0.999)) / (T(1) - T(0.9))
    np.testing.assert_array_equal(m.numpy(), em)
    np.testing.assert_array_equal(v.numpy(), ev)
    np.testing.assert_array_equal(tp.numpy(), p - (em * alpha) / (np.sqrt(ev) + T(1e-7)))


# ---------------------------------------------------------------------------------------------
# in-place semantics, fallbacks, errors
# ---------------------------------------------------------------------------------------------
def test_in_place_identity_and_gradient_cast():
    p = unidl.tensor(np.ones((2, 2), np.float32))
    data = p.data
    g = unidl.tensor(np.ones((2, 2), np.float64))  # Keras casts the gradient to the variable dtype
    m, v, vh = O.create_state("adam", p, amsgrad=True)
    ids = [id(m.data), id(v.data), id(vh.data)]
    O.adam(p, g, m, v, vh, lr=0.1, step=1)
    assert p.data is data and p.dtype == np.float32
    assert [id(m.data), id(v.data), id(vh.data)] == ids
    assert not np.array_equal(p.numpy(), np.ones((2, 2)))


def test_functional_kernel_results_are_copied_back(monkeypatch):
    """A kernel that returns new arrays (GPU-style or host fallback) still updates the tensors in place."""
    op = unidl.kernels.OPS["sgd_update"]
    orig = op.kernel("cpu")

    def functional(p, g, mom, **kw):
        p2, m2 = p.copy(), None if mom is None else mom.copy()
        return orig(p2, g, m2, **kw)

    monkeypatch.setitem(op.table, "cpu", functional)
    p = unidl.tensor(np.ones(3, np.float32))
    data = p.data
    (mb,) = O.create_state("sgd", p, momentum=0.9)
    O.sgd(p, unidl.tensor(np.ones(3, np.float32)), mb, lr=0.5, momentum=0.9)
    assert p.data is data
    np.testing.assert_array_equal(p.numpy(), np.full(3, 0.5, np.float32))
    np.testing.assert_array_equal(mb.numpy(), np.full(3, -0.5, np.float32))


def test_errors_name_the_op():
    p = unidl.tensor(np.ones((2, 3), np.float32))
    with pytest.raises(OpError, match="sgd_update.*shape"):
        O.sgd(p, unidl.tensor(np.ones((3, 2), np.float32)), lr=0.1)
    with pytest.raises(OpError, match="adam_update.*state 'v'"):
        O.adam(p, p, ops.zeros_like(p), unidl.tensor(np.zeros(3, np.float32)), lr=0.1, step=1)
    with pytest.raises(OpError, match="form"):
        O.sgd(p, p, lr=0.1, form="torch")
    with pytest.raises(OpError, match="keras"):
        O.sgd(p, p, lr=0.1, clip_gradient=1.0)
    with pytest.raises(OpError, match="step"):
        O.adam(p, p, *O.create_state("adam", p)[:2], lr=0.1, step=0)
    with pytest.raises(OpError, match="AMSGrad"):
        O.adam(p, p, *O.create_state("adam", p, amsgrad=True), lr=0.1, step=1, form="mxnet")
    with pytest.raises(OpError, match="floating"):
        O.sgd(unidl.tensor(np.ones(2, np.int64)), unidl.tensor(np.ones(2, np.float32)), lr=0.1)
    with pytest.raises(ValueError, match="unknown optimizer"):
        O.create_state("lion", p)


# ---------------------------------------------------------------------------------------------
# gradient transforms
# ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
def test_clip_by_value_and_norm(dtype):
    g = np.array([[3.0, -4.0], [0.5, 12.0]], dtype)
    out = O.clip_by_value([unidl.tensor(g), None], 1.0)
    np.testing.assert_array_equal(out[0].numpy(), np.clip(g, -1, 1))
    assert out[1] is None
    n = np.sqrt((g * g).sum())
    got = O.clip_by_norm(unidl.tensor(g), 2.0).numpy()
    np.testing.assert_allclose(got, g * 2.0 / max(n, 2.0), rtol=1e-6)
    np.testing.assert_allclose(O.clip_by_norm(unidl.tensor(g), 100.0).numpy(), g, rtol=1e-6)  # no-op when small
    z = np.zeros((2, 2), dtype)
    np.testing.assert_array_equal(O.clip_by_norm(unidl.tensor(z), 1.0).numpy(), z)  # zero norm: no NaN


@pytest.mark.parametrize("dtype", DTYPES)
def test_clip_by_global_norm(dtype):
    a = np.array([3.0, 4.0], dtype)
    b = np.array([[12.0]], dtype)
    n = math.sqrt(9 + 16 + 144)  # 13
    out = O.clip_by_global_norm([unidl.tensor(a), None, unidl.tensor(b)], 6.5)
    np.testing.assert_allclose(out[0].numpy(), a * 6.5 / n, rtol=1e-6)
    np.testing.assert_allclose(out[2].numpy(), b * 6.5 / n, rtol=1e-6)
    assert out[1] is None
    np.testing.assert_allclose(float(O.global_norm([unidl.tensor(a), unidl.tensor(b)]).item()), n, rtol=1e-6)
    same = O.clip_by_global_norm([unidl.tensor(a)], 100.0)
    np.testing.assert_allclose(same[0].numpy(), a, rtol=1e-6)
    with np.errstate(invalid="ignore"):  # inf - inf: Keras's deliberate NaN
        bad = O.clip_by_global_norm([unidl.tensor(np.array([np.inf, 1.0], dtype))], 1.0)
    assert np.isnan(bad[0].numpy()).all()


@pytest.mark.parametrize("dtype", DTYPES)
def test_gluon_clip_global_norm_in_place(dtype):
    a = unidl.tensor(np.array([3.0, 4.0], dtype))
    b = unidl.tensor(np.array([[12.0]], dtype))
    da = a.data
    total = O.clip_global_norm([a, b], 1.0)
    assert a.data is da
    assert total == pytest.approx(13.0, rel=1e-6)
    scale = 1.0 / (13.0 + 1e-8)
    np.testing.assert_allclose(a.numpy(), np.array([3.0, 4.0]) * scale, rtol=1e-6)
    np.testing.assert_allclose(b.numpy(), np.array([[12.0]]) * scale, rtol=1e-6)
    c = unidl.tensor(np.array([0.3, 0.4], dtype))
    O.clip_global_norm([c], 1.0)  # norm below max: unchanged (scale = min(., 1) = 1)
    np.testing.assert_array_equal(c.numpy(), np.array([0.3, 0.4], dtype))
    with pytest.warns(UserWarning):
        O.clip_global_norm([unidl.tensor(np.array([np.nan], dtype))], 1.0)


# ---------------------------------------------------------------------------------------------
# schedules against hand formulas
# ---------------------------------------------------------------------------------------------
def test_keras_schedules():
    assert O.exponential_decay(0, 0.1, 10, 0.5) == 0.1
    assert O.exponential_decay(15, 0.1, 10, 0.5) == pytest.approx(0.1 * 0.5 ** 1.5)
    assert O.exponential_decay(15, 0.1, 10, 0.5, staircase=True) == pytest.approx(0.05)
    b, v = [10, 20], [1.0, 0.5, 0.1]
    assert [O.piecewise_constant_decay(s, b, v) for s in (0, 10, 11, 20, 21, 100)] == [1.0, 1.0, 0.5, 0.5, 0.1, 0.1]
    with pytest.raises(ValueError):
        O.piecewise_constant_decay(0, [1], [1.0])
    lr0, ds, alpha = 0.1, 100, 0.1
    for s in (0, 25, 50, 100, 150):
        k = min(s, ds)
        want = lr0 * ((1 - alpha) * 0.5 * (1 + math.cos(math.pi * k / ds)) + alpha)
        assert O.cosine_decay(s, lr0, ds, alpha=alpha) == pytest.approx(want, rel=1e-12)
    # warmup from 0.0 to 1.0 over 10 steps, then cosine over 100 from 1.0
    assert O.cosine_decay(5, 0.0, 100, warmup_target=1.0, warmup_steps=10) == pytest.approx(0.5)
    assert O.cosine_decay(10, 0.0, 100, warmup_target=1.0, warmup_steps=10) == pytest.approx(1.0)
    assert O.cosine_decay(60, 0.0, 100, warmup_target=1.0, warmup_steps=10) == pytest.approx(0.5)
    assert O.cosine_decay(500, 0.0, 100, warmup_target=1.0, warmup_steps=10) == pytest.approx(0.0, abs=1e-12)


def test_mxnet_schedules():
    # FactorScheduler: base * factor ** floor((n - 1) / step) for n >= 1, floored at stop_factor_lr
    for n in range(0, 40):
        want = 1.0 * 0.5 ** max(0, (n - 1) // 10)
        assert O.factor_schedule(n, 10, 0.5, base_lr=1.0) == pytest.approx(want)
    assert O.factor_schedule(1000, 1, 0.5, stop_factor_lr=1e-3, base_lr=1.0) == 1e-3
    assert O.factor_schedule(3, 10, 0.5, base_lr=1.0, warmup_steps=5, warmup_begin_lr=0.5) == pytest.approx(0.8)
    assert O.factor_schedule(3, 10, 0.5, base_lr=1.0, warmup_steps=5, warmup_begin_lr=0.5,
                             warmup_mode="constant") == 0.5
    steps = [5, 10]
    assert [O.multi_factor_schedule(n, steps, 0.1, base_lr=1.0) for n in (0, 5, 6, 10, 11, 50)] == \
        pytest.approx([1.0, 1.0, 0.1, 0.1, 0.01, 0.01])
    mu, w, base, final = 110, 10, 1.0, 0.1
    assert O.cosine_schedule(5, mu, base, final, warmup_steps=w) == pytest.approx(0.5)
    for n in (10, 35, 60, 110):
        want = final + (base - final) * (1 + math.cos(math.pi * (n - w) / (mu - w))) / 2
        assert O.cosine_schedule(n, mu, base, final, warmup_steps=w) == pytest.approx(want, rel=1e-12)
    assert O.cosine_schedule(500, mu, base, final, warmup_steps=w) == pytest.approx(final)
    with pytest.raises(ValueError):
        O.warmup_lr(1, 1.0, 5, warmup_mode="cubic")


def test_mxnet_poly_schedule():
    # PolyScheduler: final + (base - final) * (1 - (n - w) / (max - w)) ** pwr, held after max_update
    for n in range(3, 20):
        m = min(n, 15)
        want = 0.01 + (0.1 - 0.01) * (1 - (m - 3) / 12) ** 3
        assert O.poly_schedule(n, 15, 0.1, 3, 0.01, warmup_steps=3) == pytest.approx(want, rel=1e-12)
    assert O.poly_schedule(1, 15, 0.1, 3, 0.01, warmup_steps=3, warmup_begin_lr=0.04) == pytest.approx(0.06)


def _lamb_ref(p, g, m, v, t, lr, b1, b2, eps, wd, rs, clip, lb, ub, bc):
    g = g * rs
    if clip is not None:
        g = np.clip(g, -clip, clip)
    m[...] = b1 * m + (1 - b1) * g
    v[...] = b2 * v + (1 - b2) * g * g
    mh, vh = (m / (1 - b1 ** t), v / (1 - b2 ** t)) if bc else (m, v)
    r = mh / (np.sqrt(vh) + eps) + wd * p
    r1, r2 = np.sqrt((p * p).sum()), np.sqrt((r * r).sum())
    if lb is not None:
        r1 = max(r1, lb)
    if ub is not None:
        r1 = min(r1, ub)
    ratio = 1.0 if r1 == 0 or r2 == 0 else r1 / r2
    p[...] = p - lr * ratio * r


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("clip,lb,ub,bc", [(None, None, None, True), (0.5, 0.5, 2.0, False), (None, 10.0, None, True)])
def test_lamb_mxnet(dtype, clip, lb, ub, bc):
    p, grads, (m, v) = _data(dtype, 2)
    tp, (tm, tv) = _tensors(p, (m, v))
    pr, mr, vr = p.astype(np.float64), m.astype(np.float64), v.astype(np.float64)
    kw = dict(lr=0.01, beta1=0.9, beta2=0.999, epsilon=1e-6, weight_decay=0.01, rescale_grad=0.5)
    for t, g in enumerate(grads, start=1):
        assert O.lamb(tp, unidl.tensor(g), tm, tv, step=t, clip_gradient=clip, lower_bound=lb, upper_bound=ub,
                      bias_correction=bc, **kw) is tp
        _lamb_ref(pr, g.astype(np.float64), mr, vr, t, 0.01, 0.9, 0.999, 1e-6, 0.01, 0.5, clip, lb, ub, bc)
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(tp.numpy(), pr, **tol)
    np.testing.assert_allclose(tm.numpy(), mr, **tol)
    np.testing.assert_allclose(tv.numpy(), vr, **tol)
    assert tp.dtype == dtype


def test_lamb_zero_weight_uses_plain_lr_and_errors():
    p = unidl.tensor(np.zeros(3, np.float32))
    m, v = ops.zeros_like(p), ops.zeros_like(p)
    O.lamb(p, unidl.tensor(np.array([1.0, -1.0, 0.0], np.float32)), m, v, lr=0.1, step=1)
    # r1 = 0 -> ratio 1: p = -lr * m_hat / (sqrt(v_hat) + eps)
    np.testing.assert_allclose(p.numpy(), [-0.1 / (1 + 1e-6), 0.1 / (1 + 1e-6), 0.0], rtol=1e-6)
    with pytest.raises(OpError, match="lamb_update"):
        O.lamb(p, unidl.tensor(np.zeros(2, np.float32)), m, v, lr=0.1, step=1)
    with pytest.raises(OpError, match="1-based"):
        O.lamb(p, unidl.tensor(np.zeros(3, np.float32)), m, v, lr=0.1, step=0)


# ---------------------------------------------------------------------------------------------
# sgd_many: the multi-tensor call is the loop of single updates, bitwise, with the same kernel calls
# ---------------------------------------------------------------------------------------------
@given(data=st.data(), n=st.integers(1, 4), form=st.sampled_from(["keras", "mxnet"]),
       mom=st.sampled_from([0.0, 0.9]), nesterov=st.booleans())
def test_sgd_many_is_the_loop_of_sgd(data, n, form, mom, nesterov):
    from unidl.trace import kernel_trace

    shapes_ = [data.draw(shapes(max_dims=2)) for _ in range(n)]
    ps = [data.draw(arrays(np.float32, s)) for s in shapes_]
    gs = [data.draw(arrays(np.float32, s)) for s in shapes_]
    lrs = [data.draw(st.floats(1e-3, 0.5)) for _ in range(n)]
    wds = [data.draw(st.sampled_from([0.0, 1e-3])) for _ in range(n)]
    with_buf = [mom > 0 and data.draw(st.booleans()) for _ in range(n)]
    extra = dict(rescale_grad=0.25, clip_gradient=1.0, aggregated=True) if form == "mxnet" else {}

    def tensors():
        return ([unidl.tensor(p.copy()) for p in ps], [unidl.tensor(g) for g in gs],
                [unidl.tensor(np.full(p.shape, 0.5, np.float32)) if b else None for p, b in zip(ps, with_buf)])

    tp1, tg1, tm1 = tensors()
    with kernel_trace() as loop_trace:
        for p, g, m, lr, wd in zip(tp1, tg1, tm1, lrs, wds):
            O.sgd(p, g, m, lr=lr, momentum=mom if m is not None else 0.0, nesterov=nesterov, form=form,
                  weight_decay=wd, **extra)
    tp2, tg2, tm2 = tensors()
    datas = [p.data for p in tp2]
    with kernel_trace() as many_trace:
        O.sgd_many(tp2, tg2, tm2, lrs=lrs, weight_decays=wds, momentum=mom, nesterov=nesterov, form=form, **extra)
    assert [p.data for p in tp2] == datas  # in place
    for a, b in zip(tp1 + [m for m in tm1 if m is not None], tp2 + [m for m in tm2 if m is not None]):
        np.testing.assert_array_equal(a.numpy().view(np.uint32), b.numpy().view(np.uint32))
    assert loop_trace and loop_trace == many_trace  # the same kernel calls: ops, operand layouts, attributes


def test_every_argument_check_holds_in_one_call_and_in_the_multi_tensor_call():
    """The update ops check their operands in a fast path first: each irregular operand still gets its
    detailed error, from the single update and from the multi-tensor one, and bfloat16 is still accepted."""
    p = unidl.tensor(np.ones((2, 3), np.float32))
    g = unidl.tensor(np.ones((2, 3), np.float32))
    bad = [
        (p, g, p, "distinct"),                                                 # the state is the parameter
        (p, g, unidl.tensor(np.zeros((2, 3), np.float64)), "state 'mom'.*dtype"),
        (p, g, unidl.tensor(np.zeros((3, 2), np.float32)), "state 'mom'.*shape"),
        (p, g, np.zeros((2, 3), np.float32), "state 'mom' must be a unidl Tensor"),
        (p, unidl.tensor(np.ones((2, 3), np.int32)), None, "grad must be floating"),
        (p, np.ones((2, 3), np.float32), None, "grad must be a unidl Tensor"),
        (np.ones((2, 3), np.float32), g, None, "param must be a unidl Tensor"),
    ]
    for param, grad, mom, message in bad:
        with pytest.raises(OpError, match=f"sgd_update.*{message}"):
            O.sgd(param, grad, mom, lr=0.1, momentum=0.9)
        with pytest.raises(OpError, match=f"sgd_update.*{message}"):
            O.sgd_many([param], [grad], [mom], lrs=[0.1], weight_decays=[0.0], momentum=0.9)
    with pytest.raises(OpError, match="adam_update.*distinct"):  # two states sharing one array
        m = ops.zeros_like(p)
        O.adam(p, g, m, m, lr=0.1, step=1)
    pb, gb = p.astype("bfloat16"), g.astype("bfloat16")
    mb = ops.zeros_like(pb)
    O.sgd_many([pb], [gb], [mb], lrs=[0.5], weight_decays=[0.0], momentum=0.9)
    np.testing.assert_array_equal(mb.astype("float32").numpy(), np.full((2, 3), -0.5, np.float32))
    np.testing.assert_array_equal(pb.astype("float32").numpy(), np.full((2, 3), 0.5, np.float32))


def test_sgd_many_errors():
    p = unidl.tensor(np.ones((2, 3), np.float32))
    with pytest.raises(OpError, match="sgd_update.*one entry per parameter.*lengths 1, 1, 1, 2, 1"):
        O.sgd_many([p], [p], [None], lrs=[0.1, 0.2], weight_decays=[0.0])
    with pytest.raises(OpError, match="sgd_update.*shape"):
        O.sgd_many([p], [unidl.tensor(np.ones((3, 2), np.float32))], [None], lrs=[0.1], weight_decays=[0.0])
    with pytest.raises(OpError, match="keras"):
        O.sgd_many([p], [p], [None], lrs=[0.1], weight_decays=[0.0], clip_gradient=1.0)
