"""Keras 3.15.1 optimizers, losses, metrics and initializers added for the upstream suite.

Expected values were computed with real Keras 3.15.1 (torch backend) on the same inputs, or derived
independently with NumPy where stated.
"""
import pickle
import warnings

import numpy as np
import pytest

import unidl_keras as keras

W1 = [[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]]
W2 = [0.3, -0.2, 0.1]
GRADS = [([[0.1, -0.2, 0.3], [0.4, 0.5, -0.6]], [0.05, -0.1, 0.2]),
         ([[-0.3, 0.2, 0.1], [0.0, -0.5, 0.6]], [0.2, 0.1, -0.3]),
         ([[0.2, 0.2, -0.1], [0.3, -0.1, 0.2]], [-0.1, 0.3, 0.05])]


def _run(opt, steps=GRADS):
    vs = [keras.Variable(np.array(W1, "float32"), name="v0"), keras.Variable(np.array(W2, "float32"), name="v1")]
    for gs in steps:
        opt.apply_gradients(zip([keras.ops.convert_to_tensor(np.array(g, "float32")) for g in gs], vs))
    return [v.numpy() for v in vs]


@pytest.mark.parametrize("make, want", [
    (lambda: keras.optimizers.Lion(learning_rate=0.01, weight_decay=0.1),
     ([[0.4885115, -1.0070131, 1.9840361], [1.4655346, 0.25926074, -0.75776225]],
      [0.28913093, -0.20941061, 0.089710295])),
    (lambda: keras.optimizers.Lamb(learning_rate=0.01, weight_decay=0.05),
     ([[0.49865735, -0.99909955, 1.9527698], [1.448689, 0.24278115, -0.74357396]],
      [0.2920467, -0.2009216, 0.099231586])),
    (lambda: keras.optimizers.Adafactor(learning_rate=0.5),
     ([[0.30938789, -1.1285665, 1.3857559], [0.51450717, 0.08731585, -0.6871022]],
      [0.16536739, -0.2278105, 0.039080121])),
    (lambda: keras.optimizers.Muon(learning_rate=0.02),  # v0 by Muon (2-d), v1 by its AdamW rule
     ([[0.49905622, -1.006916, 1.9911968], [1.4890423, 0.2536757, -0.75400054]],
      [0.25552505, -0.19291322, 0.086970232])),
], ids=["lion", "lamb", "adafactor", "muon"])
def test_new_optimizers_three_steps_match_keras(make, want):
    got = _run(make())
    np.testing.assert_allclose(got[0], want[0], rtol=2e-6, atol=1e-7)
    np.testing.assert_allclose(got[1], want[1], rtol=2e-6, atol=1e-7)


def test_schedule_free_adamw_first_step_matches_keras_and_later_steps_numpy():
    # one step: Keras (torch) gives these values
    got = _run(keras.optimizers.ScheduleFreeAdamW(learning_rate=0.05), GRADS[:1])
    y = np.array(W2, np.float64)
    g = np.array(GRADS[0][1], np.float64)
    np.testing.assert_allclose(got[1], y - 0.05 * g / (np.abs(g) + 1e-8), rtol=1e-5)
    # three steps with warm-up and decay against the published recurrence (x from z before the step)
    got = _run(keras.optimizers.ScheduleFreeAdamW(learning_rate=0.05, warmup_steps=2, weight_decay=0.01))
    y = np.array(W2, np.float64)
    z, v = y.copy(), np.zeros(3)
    b1, b2 = 0.9, 0.999
    for t, (_, g) in enumerate(GRADS, 1):
        g = np.array(g, np.float64)
        lr = 0.05 * min(t / 2, 1.0)
        y = y - y * 0.01 * 0.05
        v = v + (g * g - v) * (1 - b2)
        den = np.sqrt(v / (1 - b2 ** t)) + 1e-8
        x = (y - (1 - b1) * z) / b1
        z = z - lr * g / den
        x = (1 - 1 / t) * x + (1 / t) * z
        y = (1 - b1) * z + b1 * x
    np.testing.assert_allclose(got[1], y, rtol=1e-5)


def test_muon_newton_schulz_and_lr_adjust():
    opt = keras.optimizers.Muon()
    out = opt.zeropower_via_newtonschulz5(np.array(W1, "float32").T, 5)  # a tall (3, 2) input
    np.testing.assert_allclose(out, [[0.21351886, 0.64642906], [-0.47064722, 0.12227448],
                                     [0.94464958, -0.35340536]], rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(opt.lr_adjust(np.ones((9, 4), "float32")), np.full((9, 4), 0.6), rtol=1e-6)
    assert opt._should_use_adamw(keras.Variable(np.zeros(3, "float32")))
    assert not opt._should_use_adamw(keras.Variable(np.zeros((2, 2), "float32")))


def test_lion_rejects_bad_beta_1():
    with pytest.raises(ValueError, match="beta_1"):
        keras.optimizers.Lion(beta_1=0.0)


def test_ema_with_gradient_accumulation_matches_keras():
    opt = keras.optimizers.SGD(learning_rate=0.1, use_ema=True, ema_momentum=0.8, ema_overwrite_frequency=2,
                               gradient_accumulation_steps=2)
    v = keras.Variable(np.array(W2, "float32"))
    for gs in GRADS + GRADS[:1]:
        opt.apply_gradients([(keras.ops.convert_to_tensor(np.array(gs[1], "float32")), v)])
    np.testing.assert_allclose(v.numpy(), [0.28800002, -0.20200002, 0.10250001], rtol=1e-6)
    np.testing.assert_allclose(opt._model_variables_moving_average[0].numpy(), [0.28800002, -0.20200002, 0.10250001],
                               rtol=1e-6)
    assert int(np.asarray(opt.iterations)) == 2
    assert int(opt._iterations.numpy()) == 4
    np.testing.assert_allclose(opt._accumulated_gradients[0].numpy(), [0.0, 0.0, 0.0])
    opt.apply_gradients([(keras.ops.convert_to_tensor(np.array(GRADS[1][1], "float32")), v)])
    np.testing.assert_allclose(opt._accumulated_gradients[0].numpy(), GRADS[1][1], rtol=1e-6)


def test_gradient_accumulation_averages_gradients():
    v = keras.Variable(np.array([1.0, 2.0], "float32"))
    opt = keras.optimizers.SGD(learning_rate=1.0, gradient_accumulation_steps=2)
    opt.apply_gradients([(keras.ops.convert_to_tensor(np.array([1.0, 3.0], "float32")), v)])
    np.testing.assert_allclose(v.numpy(), [1.0, 2.0])
    opt.apply_gradients([(keras.ops.convert_to_tensor(np.array([3.0, 1.0], "float32")), v)])
    np.testing.assert_allclose(v.numpy(), [-1.0, 0.0])


def test_loss_scale_optimizer_skips_nonfinite_and_grows_scale():
    lso = keras.optimizers.LossScaleOptimizer(keras.optimizers.SGD(learning_rate=0.5), initial_scale=8.0,
                                              dynamic_growth_steps=2)
    v = keras.Variable(np.array(W2, "float32"))
    for g in ([8.0, 16.0, -8.0], [np.inf, 0, 0], [4.0, 4.0, 4.0], [2.0, 0.0, 2.0], [1.0, 1.0, 1.0]):
        lso.apply([keras.ops.convert_to_tensor(np.array(g, "float32"))], [v])
    np.testing.assert_allclose(v.numpy(), [-1.0125, -1.7625, -0.21249998], rtol=1e-6)
    np.testing.assert_allclose(np.asarray(lso.scale_loss(1.0)), 8.0)
    assert int(np.asarray(lso.iterations)) == 4  # the skipped step does not count
    with pytest.raises(ValueError, match="on the `inner_optimizer`"):
        keras.optimizers.LossScaleOptimizer(keras.optimizers.SGD(), clipnorm=1.0)


def test_stateless_apply_leaves_variables_untouched():
    v = keras.Variable(np.array([1.0, 2.0], "float32"))
    opt = keras.optimizers.SGD(learning_rate=0.5)
    opt.build([v])
    new_vars, new_opt = opt.stateless_apply([x.numpy() for x in opt.variables],
                                            [keras.ops.convert_to_tensor(np.array([2.0, 2.0], "float32"))],
                                            [np.array([1.0, 2.0], "float32")])
    np.testing.assert_allclose(new_vars[0], [0.0, 1.0])
    assert int(np.asarray(new_opt[0])) == 1
    np.testing.assert_allclose(v.numpy(), [1.0, 2.0])
    assert int(opt.iterations.numpy()) == 0


def test_multi_optimizer_routes_variables_and_round_trips():
    with keras.name_scope("dense_1"):
        w1 = keras.Variable(np.array([[2.0, 2.0]], "float32"), name="kernel")
    with keras.name_scope("other"):
        w2 = keras.Variable(np.array([[2.0, 2.0]], "float32"), name="kernel")
    omap = keras.optimizers.OptimizerMap(default_optimizer=keras.optimizers.SGD(learning_rate=0.1))
    omap["dense_1/.*"] = keras.optimizers.SGD(learning_rate=0.5)
    multi = keras.optimizers.MultiOptimizer(omap, loss_scale_factor=2.0)
    g = keras.ops.convert_to_tensor(np.array([[4.0, 4.0]], "float32"))
    multi.apply([g, g], [w1, w2])
    np.testing.assert_allclose(w1.numpy(), [[1.0, 1.0]])  # 2 - 0.5 * 4 / 2
    np.testing.assert_allclose(w2.numpy(), [[1.8, 1.8]])  # 2 - 0.1 * 4 / 2
    with pytest.raises(AttributeError, match="MultiOptimizer"):
        multi.learning_rate
    again = keras.optimizers.deserialize(keras.optimizers.serialize(multi))
    again.build([w1, w2])
    assert [type(o).__name__ for o in again.optimizers] == ["SGD", "SGD"]
    assert again.optimizers[again._var_to_optimizer_idx[id(w1)]].get_config()["learning_rate"] == 0.5
    with pytest.raises(ValueError, match="cannot be LossScaleOptimizer"):
        omap["x"] = keras.optimizers.LossScaleOptimizer(keras.optimizers.SGD())


@pytest.mark.parametrize("name", ["adam", "lion", "adafactor", "muon", "lamb"])
def test_optimizers_pickle_and_get(name):
    opt = keras.optimizers.get(name)
    assert pickle.loads(pickle.dumps(opt)).get_config() == opt.get_config()


def test_schedule_deserializes_through_optimizers():
    sched = keras.optimizers.schedules.CosineDecay(0.1, 10)
    back = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(sched))
    assert isinstance(back, keras.optimizers.schedules.CosineDecay)


# -- losses ---------------------------------------------------------------------------------------------
YT = np.array([[0., 1., 0.], [0., 0., 1.]], "float32")
YP = np.array([[0.05, 0.9, 0.05], [0.3, 0.3, 0.4]], "float32")
ST = np.array([[1, 0, 1, 1], [0, 1, 0, 0]], "float32")
SP = np.array([[0.9, 0.2, 0.6, 0.7], [0.1, 0.8, 0.3, 0.4]], "float32")


def test_categorical_focal_crossentropy_matches_keras():
    got = keras.losses.categorical_focal_crossentropy(YT, YP, alpha=0.3, gamma=1.5, label_smoothing=0.1)
    np.testing.assert_allclose(got, [0.056410603, 0.1333414], rtol=1e-5)
    np.testing.assert_allclose(keras.losses.CategoricalFocalCrossentropy(from_logits=True)(YT, YP), 0.069973096,
                               rtol=1e-5)


def test_dice_tversky_match_keras():
    np.testing.assert_allclose(keras.losses.Dice()(ST, SP), 0.25, rtol=1e-5)
    np.testing.assert_allclose(keras.losses.dice(ST, SP, axis=1), [0.18518519, 0.38461536], rtol=1e-5)
    np.testing.assert_allclose(keras.losses.Tversky(alpha=0.7, beta=0.3)(ST, SP), 0.25, rtol=1e-5)
    assert keras.losses.Tversky(alpha=0.7).get_config()["alpha"] == 0.7


def test_circle_loss_matches_keras():
    emb = np.array([[0.6, 0.8], [0.8, 0.6], [-0.6, 0.8], [1.0, 0.0]], "float32")
    lab = np.array([0, 0, 1, 1])
    np.testing.assert_allclose(keras.losses.circle(lab, emb, gamma=10.0, margin=0.25),
                               [2.5089746, 5.1733418, 25.51009, 30.809032], rtol=1e-5)
    np.testing.assert_allclose(keras.losses.Circle(gamma=10.0, margin=0.25)(lab, emb), 16.000359, rtol=1e-5)


def test_generalized_crossentropy_and_ctc_match_keras():
    gp = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6], [0.25, 0.5, 0.25]], "float32")
    np.testing.assert_allclose(keras.losses.CategoricalGeneralizedCrossEntropy(q=0.7)(np.array([0, 2, 1]), gp),
                               0.43143031, rtol=1e-5)
    with pytest.raises(ValueError, match="interval"):
        keras.losses.CategoricalGeneralizedCrossEntropy(q=1.5)
    logits = (np.arange(24).reshape((2, 4, 3)).astype("float32") - 12) / 100
    # the second target holds a 0 (the blank id) inside its length: PyTorch treats it as a label
    np.testing.assert_allclose(keras.losses.ctc(np.array([[1, 2, 1, 0], [1, 2, 0, 2]]), logits),
                               [2.4429314, 2.4543595], rtol=1e-5)


def test_crossentropy_shape_mismatch_message():
    with pytest.raises(ValueError, match="must have the same shape"):
        keras.losses.BinaryCrossentropy()(np.array([[0], [1]]), np.array([[0.9, 0.1], [0.2, 0.8]]))


# -- metrics ----------------------------------------------------------------------------------------------
MT = np.array([0, 0, 1, 1, 1, 0, 1, 0], "float32")
MP = np.array([0.1, 0.4, 0.35, 0.8, 0.65, 0.7, 0.2, 0.05], "float32")


@pytest.mark.parametrize("cls, arg, want", [
    ("SensitivityAtSpecificity", 0.6, 0.5), ("SpecificityAtSensitivity", 0.7, 0.5),
    ("PrecisionAtRecall", 0.5, 0.66666669), ("RecallAtPrecision", 0.7, 0.25)])
def test_rate_at_rate_metrics_match_keras(cls, arg, want):
    m = getattr(keras.metrics, cls)(arg, num_thresholds=11)
    m.update_state(MT, MP)
    np.testing.assert_allclose(m.result(), want, rtol=1e-6)
    assert len(m.variables) == 4
    m.reset_state()
    np.testing.assert_allclose(m.result(), 0.0)


def test_r2_score_matches_keras():
    t = np.array([[1.0, 2.0], [2.0, 1.5], [3.0, 4.0], [4.0, 3.0]], "float32")
    p = np.array([[1.1, 2.5], [1.8, 1.0], [3.3, 3.5], [3.9, 3.2]], "float32")
    sw = np.array([1.0, 2.0, 1.0, 0.5], "float32")
    for agg, want in (("uniform_average", 0.86218137), ("variance_weighted_average", 0.85442954),
                      (None, [0.95102942, 0.77333331])):
        m = keras.metrics.R2Score(class_aggregation=agg)
        m.update_state(t, p, sample_weight=sw)
        np.testing.assert_allclose(m.result(), want, rtol=1e-5)
    m = keras.metrics.R2Score(num_regressors=2)
    m.update_state(t, p)
    np.testing.assert_allclose(m.result(), 0.82903397, rtol=1e-5)
    with pytest.raises(ValueError, match="class_aggregation"):
        keras.metrics.R2Score(class_aggregation="median")


# -- initializers ---------------------------------------------------------------------------------------
def test_initializer_modules_and_compute_fans():
    from unidl_keras.initializers import constant_initializers, random_initializers

    assert random_initializers.compute_fans((3, 4, 5)) == (12, 15)
    assert random_initializers.compute_fans((3, 4, 5), input_axes=[0, 1], output_axes=[2]) == (12, 5)
    assert constant_initializers.Constant is keras.initializers.Constant


def test_stft_initializer_matches_keras():
    got = np.asarray(keras.initializers.STFT("imag", "hamming", "spectrum", True)((6, 1, 4))).reshape(-1)
    want = [-0.0, -0.0, -0.0, -0.0, -0.0, -0.082860455, -0.082860455, 8.3645251e-09, -0.0, -0.20581467, 0.20581469,
            -4.1552802e-08, -0.0, 2.6982338e-08, -5.3964676e-08, 7.3610376e-09, -0.0, 0.20581469, -0.20581463,
            -8.3105604e-08, -0.0, 0.082860433, 0.082860492, 6.4634278e-08]
    np.testing.assert_allclose(got, want, atol=2e-7)
    with pytest.raises(ValueError):
        keras.initializers.STFT("imaginary")


def test_constant_array_and_seed_generator_round_trip():
    value = np.arange(4, dtype="float32").reshape(2, 2)
    init = keras.initializers.Constant(value)
    again = keras.initializers.Constant.from_config(init.get_config())
    np.testing.assert_allclose(again((2, 2)), value)
    seeded = keras.initializers.RandomUniform(seed=keras.random.SeedGenerator(3))
    cfg = seeded.get_config()
    assert cfg["seed"]["class_name"] == "SeedGenerator"
    assert type(keras.initializers.RandomUniform.from_config(cfg).seed).__name__ == "SeedGenerator"
    direct = keras.initializers.get(value)
    np.testing.assert_allclose(direct((2, 2)), value)
    with pytest.raises(ValueError, match="Expected `shape`"):
        direct((3, 3))


def test_swap_ema_weights_callback_swaps_around_evaluation():
    model = keras.Sequential([keras.layers.Dense(1, kernel_initializer="ones", use_bias=False)])
    model.compile(optimizer=keras.optimizers.SGD(learning_rate=0.1, use_ema=True), loss="mse")
    model.fit(np.ones((2, 1), "float32"), np.zeros((2, 1), "float32"), epochs=1, verbose=0)
    opt = model.optimizer
    kernel = model.trainable_variables[0]
    opt._model_variables_moving_average[0].assign(np.full((1, 1), 7.0, "float32"))
    trained = kernel.numpy().copy()
    cb = keras.callbacks.SwapEMAWeights()
    cb.set_model(model)
    cb.on_test_begin()
    np.testing.assert_allclose(kernel.numpy(), [[7.0]])
    cb.on_test_end()
    np.testing.assert_allclose(kernel.numpy(), trained)
    np.testing.assert_allclose(opt._model_variables_moving_average[0].numpy(), [[7.0]])
    # with EMA off there is nothing to swap in
    model.compile(optimizer=keras.optimizers.SGD(), loss="mse")
    model.optimizer.build(model.trainable_variables)
    with pytest.raises(ValueError, match="use_ema=True"):
        cb.on_test_begin()


@pytest.mark.parametrize("make", [
    lambda: keras.optimizers.LossScaleOptimizer(keras.optimizers.SGD(0.1), initial_scale=64.0, dynamic_growth_steps=2),
    lambda: keras.optimizers.SGD(0.1, loss_scale_factor=128.0)], ids=["dynamic", "static"])
def test_loss_scaling_in_fit_matches_keras(make):
    model = keras.Sequential([keras.layers.Dense(1, kernel_initializer="ones", use_bias=False)])
    model.compile(optimizer=make(), loss="mse")
    model.fit(np.ones((4, 1), "float32"), np.zeros((4, 1), "float32"), batch_size=2, epochs=2, verbose=0)
    np.testing.assert_allclose(model.get_weights()[0].ravel(), [0.40959996], rtol=1e-6)
    if isinstance(model.optimizer, keras.optimizers.LossScaleOptimizer):  # 4 finite steps, growth every 2
        np.testing.assert_allclose(np.asarray(model.optimizer.scale_loss(1.0)), 256.0)


def test_custom_optimizer_with_keras_helpers():
    class MomentumSign(keras.optimizers.Optimizer):
        def __init__(self, learning_rate=0.1, **kwargs):
            super().__init__(learning_rate=learning_rate, **kwargs)

        def build(self, variables):
            super().build(variables)
            self.m, self.n = self.add_optimizer_variables(variables, ["m", "n"], initializer=["zeros", "ones"])

        def update_step(self, gradient, variable, learning_rate):
            i = self._get_variable_index(variable)
            self.assign(self.m[i], keras.ops.add(keras.ops.multiply(self.m[i], 0.5), gradient))
            self.assign_add(self.n[i], keras.ops.ones_like(gradient))
            self.assign_sub(variable, keras.ops.multiply(keras.ops.sign(self.m[i]), learning_rate))

    v = keras.Variable(np.array([1.0, -1.0], "float32"), name="w")
    skip = keras.Variable(np.array([0.0], "float32"), name="s")
    skip.overwrite_with_gradient = True
    opt = MomentumSign()
    g = keras.ops.convert_to_tensor(np.array([2.0, -4.0], "float32"))
    opt.apply_gradients([(g, v), (keras.ops.convert_to_tensor(np.array([3.0], "float32")), skip)])
    np.testing.assert_allclose(v.numpy(), [0.9, -0.9], rtol=1e-6)
    np.testing.assert_allclose(opt.m[0].numpy(), [2.0, -4.0])
    np.testing.assert_allclose(opt.n[0].numpy(), [2.0, 2.0])
    assert opt.m[1] is None and opt.n[1] is None  # the overwrite-with-gradient variable gets no slots
    np.testing.assert_allclose(skip.numpy(), [3.0])
    assert [x.name for x in opt.variables][2:] == ["w_m", "w_n"]


FT = np.array([[1, 1, 0], [1, 0, 0], [0, 1, 1], [0, 0, 1]], "float32")
FP = np.array([[0.2, 0.6, 0.7], [0.7, 0.6, 0.1], [0.6, 0.8, 0.3], [0.1, 0.2, 0.9]], "float32")


@pytest.mark.parametrize("average, want", [(None, [0.2941176, 0.96774191, 0.45454547]), ("micro", 0.61728394),
                                           ("macro", 0.57213503), ("weighted", 0.61691391)])
def test_fbeta_score_matches_keras(average, want):
    m = keras.metrics.FBetaScore(average=average, beta=2.0, threshold=0.5)
    m.update_state(FT, FP, sample_weight=np.array([1.0, 0.5, 2.0, 1.5], "float32"))
    np.testing.assert_allclose(m.result(), want, rtol=1e-5)


def test_f1_score_argmax_and_errors():
    m = keras.metrics.F1Score()
    m.update_state(FT, FP)
    np.testing.assert_allclose(m.result(), [0.66666657, 0.66666657, 0.49999994], rtol=1e-5)
    assert "beta" not in m.get_config()
    with pytest.raises(ValueError, match="beta"):
        keras.metrics.FBetaScore(beta=2)
    with pytest.raises(ValueError, match="2D inputs"):
        keras.metrics.F1Score().update_state(np.ones(3), np.ones(3))


def test_iou_metrics_match_keras():
    m = keras.metrics.MeanIoU(num_classes=3)
    m.update_state([0, 1, 2, 2, 1, 0], [0, 2, 2, 1, 1, 0])
    np.testing.assert_allclose(m.result(), 0.55555558, rtol=1e-6)
    m = keras.metrics.IoU(num_classes=3, target_class_ids=[0, 2], ignore_class=1, dtype="float32")
    m.update_state([0, 1, 2, 2, 1, 0], [0, 2, 2, 1, 1, 0], sample_weight=[0.5, 1.0, 2.0, 1.0, 1.0, 0.25])
    np.testing.assert_allclose(m.result(), 0.83333325, rtol=1e-6)
    m = keras.metrics.BinaryIoU(target_class_ids=[0, 1], threshold=0.3)
    m.update_state([0, 1, 0, 1], [0.1, 0.2, 0.4, 0.7])
    np.testing.assert_allclose(m.result(), 0.33333334, rtol=1e-6)
    m = keras.metrics.OneHotMeanIoU(num_classes=3)
    m.update_state(FT, FP)
    np.testing.assert_allclose(m.result(), 0.66666663, rtol=1e-6)
    with pytest.raises(ValueError, match="out of range"):
        keras.metrics.IoU(num_classes=2, target_class_ids=[2])


def test_correlation_metrics_match_keras():
    a = np.array([[1.0, 2.0, 3.5, 4.0], [2.0, 1.0, 0.5, 3.0]], "float32")
    b = np.array([[1.2, 1.9, 3.0, 4.4], [1.0, 2.0, 0.0, 2.5]], "float32")
    np.testing.assert_allclose(keras.metrics.pearson_correlation(a, b), [0.96021366, 0.69491524], rtol=1e-5)
    np.testing.assert_allclose(keras.metrics.concordance_correlation(a, b), [0.96012139, 0.67213106], rtol=1e-5)
    m = keras.metrics.ConcordanceCorrelation()
    m.update_state(a, b)
    np.testing.assert_allclose(m.result(), 0.81612623, rtol=1e-5)


class _SumCount(keras.metrics.Metric):
    def __init__(self, name="sum_count"):
        super().__init__(name=name)
        self.total = self.add_variable(shape=(), initializer="zeros", name="total")
        self.count = self.add_variable(shape=(), initializer="zeros", name="count")

    def update_state(self, values):
        values = keras.ops.convert_to_tensor(values, dtype="float32")
        self.total.assign(self.total + keras.ops.sum(values))
        self.count.assign(self.count + values.shape[0])

    def result(self):
        return self.total / self.count


def test_metric_tracks_assigned_variables_and_submetrics():
    m = _SumCount()
    m.extra = {"a": [keras.Variable(0.0), keras.Variable(1.0)]}
    assert len(m.variables) == 4
    m = _SumCount()
    m.subs = [_SumCount(name="a"), _SumCount(name="b")]
    m.subs[0].deeper = _SumCount(name="c")
    assert len(m.variables) == 8


def test_metric_stateless_forms_leave_variables_alone():
    m = _SumCount()
    state = m.stateless_update_state([v.numpy() for v in m.variables], np.array([1.0, 2.0, 6.0]))
    np.testing.assert_allclose([float(np.asarray(s)) for s in state], [9.0, 3.0])
    np.testing.assert_allclose([v.numpy() for v in m.variables], [0.0, 0.0])
    np.testing.assert_allclose(m.stateless_result([np.float32(12.0), np.float32(3.0)]), 4.0)
    m.update_state(np.array([5.0]))
    reset = m.stateless_reset_state()
    np.testing.assert_allclose([float(np.asarray(s)) for s in reset], [0.0, 0.0])
    np.testing.assert_allclose(m.result(), 5.0)
    with pytest.raises(ValueError, match="1:1"):
        m.stateless_result([np.float32(1.0)])
