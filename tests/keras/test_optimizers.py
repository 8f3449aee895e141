"""Keras optimizers: updates against Keras 3's rules written out in NumPy, clipping, decay, schedules, config."""
from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, strategies as st

import unidl_keras as keras
from unidl_keras import optimizers

RNG = np.random.default_rng(1234)
W0 = RNG.normal(size=(3, 4)).astype(np.float64)
GRADS = [RNG.normal(size=(3, 4)).astype(np.float64) for _ in range(4)]


def _run(opt, w0=W0, grads=GRADS):
    w = keras.Variable(w0.copy(), name="w")
    for g in grads:
        opt.apply([g], [w])
    return w.numpy()


def _f32(x):
    return float(np.float32(x))


# -- reference rules (Keras 3 formulas, float64) -----------------------------------------------------
def ref_sgd(lr, momentum=0.0, nesterov=False):
    lr = _f32(lr)  # the learning rate lives in a float32 variable, as in Keras
    w, v = W0.copy(), np.zeros_like(W0)
    for g in GRADS:
        if momentum == 0:
            w = w - lr * g
        else:
            v = momentum * v - lr * g
            w = w + (momentum * v - lr * g if nesterov else v)
    return w


def ref_adam(lr, b1=0.9, b2=0.999, eps=1e-7, amsgrad=False, wd=0.0):
    lr = _f32(lr)  # the learning rate lives in a float32 variable, as in Keras
    w, m, v, vh = W0.copy(), np.zeros_like(W0), np.zeros_like(W0), np.zeros_like(W0)
    for t, g in enumerate(GRADS, start=1):
        w = w - w * wd * lr
        alpha = lr * math.sqrt(1 - b2 ** t) / (1 - b1 ** t)
        m = m + (g - m) * (1 - b1)
        v = v + (g * g - v) * (1 - b2)
        vh = np.maximum(vh, v)
        w = w - m * alpha / (np.sqrt(vh if amsgrad else v) + eps)
    return w


def ref_rmsprop(lr, rho=0.9, momentum=0.0, eps=1e-7, centered=False):
    lr = _f32(lr)  # the learning rate lives in a float32 variable, as in Keras
    w, n, a, mb = W0.copy(), np.zeros_like(W0), np.zeros_like(W0), np.zeros_like(W0)
    for g in GRADS:
        n = rho * n + (1 - rho) * g * g
        den = n
        if centered:
            a = rho * a + (1 - rho) * g
            den = n - a * a
        inc = lr * g / np.sqrt(den + eps)
        if momentum > 0:
            mb = momentum * mb + inc
            w = w - mb
        else:
            w = w - inc
    return w


def ref_adagrad(lr, init=0.1, eps=1e-7):
    lr = _f32(lr)  # the learning rate lives in a float32 variable, as in Keras
    w, acc = W0.copy(), np.full_like(W0, init)
    for g in GRADS:
        acc = acc + g * g
        w = w - lr * g / np.sqrt(acc + eps)
    return w


def ref_adadelta(lr, rho=0.95, eps=1e-7):
    lr = _f32(lr)  # the learning rate lives in a float32 variable, as in Keras
    w, ag, ad = W0.copy(), np.zeros_like(W0), np.zeros_like(W0)
    for g in GRADS:
        ag = rho * ag + (1 - rho) * g * g
        d = -np.sqrt(ad + eps) * g / np.sqrt(ag + eps)
        ad = rho * ad + (1 - rho) * d * d
        w = w + lr * d
    return w


def ref_adamax(lr, b1=0.9, b2=0.999, eps=1e-7):
    lr = _f32(lr)  # the learning rate lives in a float32 variable, as in Keras
    w, m, u = W0.copy(), np.zeros_like(W0), np.zeros_like(W0)
    for t, g in enumerate(GRADS, start=1):
        m = m + (g - m) * (1 - b1)
        u = np.maximum(b2 * u, np.abs(g))
        w = w - lr * m / ((1 - b1 ** t) * (u + eps))
    return w


def ref_nadam(lr, b1=0.9, b2=0.999, eps=1e-7):
    lr = _f32(lr)  # the learning rate lives in a float32 variable, as in Keras
    w, m, v, prod = W0.copy(), np.zeros_like(W0), np.zeros_like(W0), 1.0
    for t, g in enumerate(GRADS, start=1):
        u_t = b1 * (1 - 0.5 * 0.96 ** t)
        u_t1 = b1 * (1 - 0.5 * 0.96 ** (t + 1))
        prod = prod * u_t
        m = m + (g - m) * (1 - b1)
        v = v + (g * g - v) * (1 - b2)
        m_hat = u_t1 * m / (1 - prod * u_t1) + (1 - u_t) * g / (1 - prod)
        w = w - m_hat * lr / (np.sqrt(v / (1 - b2 ** t)) + eps)
    return w


def ref_ftrl(lr, power=-0.5, init=0.1, l1=0.0, l2=0.0, l2s=0.0, beta=0.0):
    lr = _f32(lr)  # the learning rate lives in a float32 variable, as in Keras
    w, acc, lin = W0.copy(), np.full_like(W0, init), np.zeros_like(W0)
    for g in GRADS:
        l2r = l2 + beta / (2 * lr)
        gs = g + 2 * l2s * w
        new = acc + g * g
        lin = lin + gs - (new ** -power - acc ** -power) / lr * w
        quad = new ** -power / lr + 2 * l2r
        w = (np.clip(lin, -l1, l1) - lin) / quad
        acc = new
    return w


CASES = [
    (lambda: optimizers.SGD(learning_rate=0.1), lambda: ref_sgd(0.1)),
    (lambda: optimizers.SGD(learning_rate=0.1, momentum=0.9), lambda: ref_sgd(0.1, 0.9)),
    (lambda: optimizers.SGD(learning_rate=0.1, momentum=0.9, nesterov=True), lambda: ref_sgd(0.1, 0.9, True)),
    (lambda: optimizers.Adam(learning_rate=0.01), lambda: ref_adam(0.01)),
    (lambda: optimizers.Adam(learning_rate=0.01, amsgrad=True), lambda: ref_adam(0.01, amsgrad=True)),
    (lambda: optimizers.AdamW(learning_rate=0.01), lambda: ref_adam(0.01, wd=0.004)),
    (lambda: optimizers.RMSprop(learning_rate=0.01), lambda: ref_rmsprop(0.01)),
    (lambda: optimizers.RMSprop(learning_rate=0.01, momentum=0.5, centered=True),
     lambda: ref_rmsprop(0.01, momentum=0.5, centered=True)),
    (lambda: optimizers.Adagrad(learning_rate=0.1), lambda: ref_adagrad(0.1)),
    (lambda: optimizers.Adadelta(learning_rate=1.0), lambda: ref_adadelta(1.0)),
    (lambda: optimizers.Adamax(learning_rate=0.01), lambda: ref_adamax(0.01)),
    (lambda: optimizers.Nadam(learning_rate=0.01), lambda: ref_nadam(0.01)),
    (lambda: optimizers.Ftrl(learning_rate=0.1, l1_regularization_strength=0.01, l2_regularization_strength=0.1,
                             l2_shrinkage_regularization_strength=0.05, beta=0.5),
     lambda: ref_ftrl(0.1, l1=0.01, l2=0.1, l2s=0.05, beta=0.5)),
]


@pytest.mark.parametrize("make,ref", CASES)
def test_update_rule_matches_keras_formula(make, ref):
    np.testing.assert_allclose(_run(make()), ref(), rtol=1e-10, atol=1e-12)


def test_float32_variables_stay_float32_and_close():
    w = keras.Variable(W0.astype(np.float32), name="w")
    opt = optimizers.Adam(learning_rate=0.01)
    for g in GRADS:
        opt.apply([g.astype(np.float32)], [w])
    assert w.dtype == np.float32
    np.testing.assert_allclose(w.numpy(), ref_adam(0.01), rtol=1e-5, atol=1e-6)


def test_clipnorm_clipvalue_global_clipnorm():
    g = GRADS[0]
    w = keras.Variable(W0.copy())
    optimizers.SGD(learning_rate=1.0, clipnorm=0.5).apply([g], [w])
    np.testing.assert_allclose(w.numpy(), W0 - g * 0.5 / np.linalg.norm(g))
    w = keras.Variable(W0.copy())
    optimizers.SGD(learning_rate=1.0, clipvalue=0.3).apply([g], [w])
    np.testing.assert_allclose(w.numpy(), W0 - np.clip(g, -0.3, 0.3))
    w, b = keras.Variable(W0.copy()), keras.Variable(np.ones(2))
    gb = np.array([3.0, 4.0])
    optimizers.SGD(learning_rate=1.0, global_clipnorm=1.0).apply([g, gb], [w, b])
    norm = math.sqrt(np.sum(g * g) + 25.0)
    np.testing.assert_allclose(w.numpy(), W0 - g / norm)
    np.testing.assert_allclose(b.numpy(), 1.0 - gb / norm)


def test_clip_arguments_are_exclusive():
    with pytest.raises(ValueError, match="Only one of `clipnorm`, `clipvalue` and `global_clipnorm`"):
        optimizers.SGD(clipnorm=1.0, clipvalue=1.0)


def test_weight_decay_and_exclusion():
    w, b = keras.Variable(W0.copy(), name="kernel"), keras.Variable(np.ones(4), name="bias")
    opt = optimizers.SGD(learning_rate=0.1, weight_decay=0.5)
    opt.exclude_from_weight_decay(var_names=["bias"])
    opt.apply([GRADS[0], np.zeros(4)], [w, b])
    np.testing.assert_allclose(w.numpy(), (W0 - W0 * 0.5 * 0.1) - 0.1 * GRADS[0])
    np.testing.assert_allclose(b.numpy(), np.ones(4))
    with pytest.raises(ValueError, match="before the optimizer is built"):
        opt.exclude_from_weight_decay(var_names=["kernel"])


@pytest.mark.parametrize("momentum,nesterov", [(0.0, False), (0.9, False), (0.9, True)])
def test_sgd_updates_all_variables_as_the_per_variable_loop(momentum, nesterov):
    """SGD applies its variables in one multi-tensor update: bitwise, and kernel call for kernel call, what a
    subclass that keeps the per-variable ``update_step`` loop gives (weight decay and an exclusion included)."""
    from unidl.trace import kernel_trace

    class LoopSGD(optimizers.SGD):
        def update_step(self, gradient, variable, learning_rate):
            super().update_step(gradient, variable, learning_rate)

    rng = np.random.default_rng(3)
    shapes_ = [(5, 3), (3,), (4, 2, 2), ()]
    init = [rng.standard_normal(s).astype(np.float32) for s in shapes_]
    grads = [[rng.standard_normal(s).astype(np.float32) for s in shapes_] for _ in range(3)]
    results, traces = [], []
    for cls in (optimizers.SGD, LoopSGD):
        vs = [keras.Variable(a.copy(), name=f"v{i}") for i, a in enumerate(init)]
        opt = cls(learning_rate=0.05, momentum=momentum, nesterov=nesterov, weight_decay=0.01)
        opt.exclude_from_weight_decay(var_list=[vs[1]])
        with kernel_trace() as trace:
            for gs in grads:
                opt.apply([keras.ops.convert_to_tensor(g) for g in gs], vs)
        results.append([np.asarray(v.numpy()).view(np.uint32) for v in vs])
        traces.append(trace)
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)
    assert traces[0] and traces[0] == traces[1]


def test_none_gradients_skipped_constraints_applied_iterations_counted():
    w = keras.Variable(W0.copy(), name="w")
    w.constraint = lambda v: np.clip(v.numpy(), -0.1, 0.1)
    frozen = keras.Variable(np.ones(3), name="frozen")
    opt = optimizers.SGD(learning_rate=0.1)
    with pytest.warns(UserWarning, match="Gradients do not exist for variables"):
        opt.apply([GRADS[0], None], [w, frozen])
    assert np.all(np.abs(w.numpy()) <= 0.1 + 1e-12)
    np.testing.assert_array_equal(frozen.numpy(), np.ones(3))
    assert int(opt.iterations.numpy()) == 1
    opt.apply_gradients([(GRADS[1], w), (np.zeros(3), frozen)])
    assert int(opt.iterations.numpy()) == 2


def test_variables_in_keras_order():
    a, b = keras.Variable(np.ones(2), name="a"), keras.Variable(np.ones(3), name="b")
    opt = optimizers.Adam(amsgrad=True, name="adam")
    opt.build([a, b])
    assert [v.path for v in opt.variables] == [
        "adam/iteration", "adam/learning_rate", "adam/a_momentum", "adam/a_velocity", "adam/b_momentum",
        "adam/b_velocity", "adam/a_velocity_hat", "adam/b_velocity_hat"]
    opt = optimizers.RMSprop(momentum=0.5, centered=True, name="r")
    opt.build([a, b])
    assert [v.name for v in opt.variables][2:] == ["a_velocity", "b_velocity", "a_momentum", "b_momentum",
                                                    "a_average_gradient", "b_average_gradient"]
    assert len(optimizers.SGD().variables) == 2  # no momentum slots at momentum 0 (and not built yet)


def test_learning_rate_setter_and_schedule():
    opt = optimizers.SGD(learning_rate=0.1)
    opt.learning_rate = 0.5
    assert float(opt.learning_rate.numpy()) == 0.5
    sched = optimizers.schedules.ExponentialDecay(0.1, decay_steps=2, decay_rate=0.5)
    opt = optimizers.SGD(learning_rate=sched)
    assert [v.name for v in opt.variables] == ["iteration"]
    with pytest.raises(TypeError, match="not settable"):
        opt.learning_rate = 0.1
    w = keras.Variable(np.zeros(1))
    for _ in range(3):
        opt.apply([np.ones(1)], [w])
    expected = -(0.1 + 0.1 * 0.5 ** 0.5 + 0.1 * 0.5)
    np.testing.assert_allclose(w.numpy(), [expected], rtol=1e-6)
    np.testing.assert_allclose(float(opt.learning_rate.numpy()), 0.1 * 0.5 ** 1.5, rtol=1e-6)


def test_lr_alias_warns_and_keras2_decay_applied():
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")
        import unidl_keras.optimizers.base_optimizer as bo

        bo._LR_WARNED = False
        with pytest.warns(DeprecationWarning, match="`lr` argument is deprecated"):
            opt = optimizers.SGD(lr=0.3)
    assert opt.get_config()["learning_rate"] == pytest.approx(0.3)
    with pytest.warns(UserWarning, match="decay"):
        opt = optimizers.SGD(learning_rate=1.0, decay=0.5)
    w = keras.Variable(np.zeros(1))
    opt.apply([np.ones(1)], [w])
    opt.apply([np.ones(1)], [w])
    np.testing.assert_allclose(w.numpy(), [-(1.0 + 1.0 / 1.5)])
    with pytest.warns(UserWarning, match="decay"):
        assert optimizers.SGD.from_config(opt.get_config()).decay == 0.5


def test_unknown_arguments_and_learning_rate_type():
    with pytest.raises(ValueError, match="Argument\\(s\\) not recognized"):
        optimizers.Adam(foo=1)
    with pytest.raises(ValueError, match="should be float"):
        optimizers.Adam(learning_rate="fast")
    with pytest.raises(ValueError, match="ema_momentum"):
        optimizers.Adam(use_ema=True, ema_momentum=1.5)
    with pytest.raises(ValueError, match="gradient_accumulation_steps"):
        optimizers.Adam(gradient_accumulation_steps=1)


@pytest.mark.parametrize("name,cls", [("sgd", "SGD"), ("Adam", "Adam"), ("ADAMW", "AdamW"), ("rmsprop", "RMSprop"),
                                      ("adagrad", "Adagrad"), ("adadelta", "Adadelta"), ("adamax", "Adamax"),
                                      ("nadam", "Nadam"), ("ftrl", "Ftrl")])
def test_get_by_name(name, cls):
    assert type(optimizers.get(name)).__name__ == cls


def test_get_bad_name_and_instances():
    with pytest.raises(ValueError, match="Could not interpret optimizer identifier"):
        optimizers.get("adamm")
    opt = optimizers.Nadam()
    assert optimizers.get(opt) is opt


def test_config_round_trip_and_serialize():
    sched = optimizers.schedules.CosineDecay(0.1, 100, alpha=0.1, warmup_target=0.5, warmup_steps=10)
    for opt in [optimizers.Adam(learning_rate=0.02, beta_1=0.8, amsgrad=True, clipnorm=1.0),
                optimizers.Ftrl(l1_regularization_strength=0.1), optimizers.SGD(learning_rate=sched, momentum=0.5)]:
        cfg = opt.get_config()
        again = type(opt).from_config(cfg)
        assert again.get_config() == cfg
        ser = optimizers.serialize(opt)
        assert ser["class_name"] == type(opt).__name__
        assert optimizers.deserialize(ser).get_config() == cfg
    cfg = optimizers.Adam().get_config()
    assert list(cfg) == ["name", "learning_rate", "weight_decay", "clipnorm", "global_clipnorm", "clipvalue",
                         "use_ema", "ema_momentum", "ema_overwrite_frequency", "loss_scale_factor",
                         "gradient_accumulation_steps", "beta_1", "beta_2", "epsilon", "amsgrad"]
    assert optimizers.AdamW().get_config()["weight_decay"] == 0.004


# -- schedules ---------------------------------------------------------------------------------------
S = optimizers.schedules


@given(st.integers(0, 500))
def test_schedules_against_formulas(step):
    f = lambda s: float(s(step).numpy())  # noqa: E731
    assert f(S.ExponentialDecay(0.1, 7, 0.9)) == pytest.approx(0.1 * 0.9 ** (step / 7), rel=1e-6)
    assert f(S.ExponentialDecay(0.1, 7, 0.9, staircase=True)) == pytest.approx(0.1 * 0.9 ** (step // 7), rel=1e-6)
    assert f(S.InverseTimeDecay(0.1, 7, 0.5)) == pytest.approx(0.1 / (1 + 0.5 * step / 7), rel=1e-6)
    assert f(S.InverseTimeDecay(0.1, 7, 0.5, staircase=True)) == pytest.approx(0.1 / (1 + 0.5 * (step // 7)),
                                                                             rel=1e-6)
    pw = [0.3, 0.2, 0.1][(step > 10) + (step > 100)]
    assert f(S.PiecewiseConstantDecay([10, 100], [0.3, 0.2, 0.1])) == pytest.approx(pw, rel=1e-6)
    s = min(step, 200)
    cos = 0.1 * ((1 - 0.2) * 0.5 * (1 + math.cos(math.pi * s / 200)) + 0.2)
    assert f(S.CosineDecay(0.1, 200, alpha=0.2)) == pytest.approx(cos, rel=1e-6, abs=1e-9)
    s = min(step, 300)
    warm = (0.5 - 0.1) * s / 100 + 0.1 if s < 100 else 0.5 * 0.5 * (1 + math.cos(math.pi * (s - 100) / 200))
    assert f(S.CosineDecay(0.1, 200, warmup_target=0.5, warmup_steps=100)) == pytest.approx(warm, rel=1e-5,
                                                                                           abs=1e-8)
    s = min(step, 50)
    poly = (0.1 - 0.001) * (1 - s / 50) ** 2 + 0.001
    assert f(S.PolynomialDecay(0.1, 50, end_learning_rate=0.001, power=2.0)) == pytest.approx(poly, rel=1e-6)
    d = 50 * max(1, math.ceil(step / 50))
    poly_c = (0.1 - 0.001) * (1 - step / d) ** 2 + 0.001
    assert f(S.PolynomialDecay(0.1, 50, 0.001, 2.0, cycle=True)) == pytest.approx(poly_c, rel=1e-6)


def test_cosine_decay_restarts_periods():
    s = S.CosineDecayRestarts(1.0, 10, t_mul=2.0, m_mul=0.5, alpha=0.0)
    v = lambda t: float(s(t).numpy())  # noqa: E731
    assert v(0) == pytest.approx(1.0)
    assert v(5) == pytest.approx(0.5 * (1 + math.cos(math.pi * 0.5)))
    assert v(10) == pytest.approx(0.5)            # first restart at 10, scaled by m_mul
    assert v(20) == pytest.approx(0.5 * 0.5 * (1 + math.cos(math.pi * 0.5)))  # halfway through the 20-step period
    assert v(30) == pytest.approx(0.25)           # second restart at 10 + 20


def test_schedule_config_round_trip():
    for sched in [S.ExponentialDecay(0.1, 10, 0.5), S.PiecewiseConstantDecay([1, 2], [0.1, 0.2, 0.3]),
                  S.CosineDecay(0.1, 10, warmup_target=0.2, warmup_steps=3), S.InverseTimeDecay(0.1, 10, 0.5),
                  S.PolynomialDecay(0.1, 10, cycle=True), S.CosineDecayRestarts(0.1, 10)]:
        back = S.deserialize(S.serialize(sched))
        assert type(back) is type(sched) and back.get_config() == sched.get_config()
    assert S.PiecewiseConstantDecay([1], [0.1, 0.2]).get_config()["name"] == "PiecewiseConstant"
    assert S.CosineDecayRestarts(0.1, 10).get_config()["name"] == "SGDRDecay"
