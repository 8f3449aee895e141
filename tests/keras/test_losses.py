"""keras.losses: each loss against a NumPy formula, reductions, sample weights, masks, gradients, configs, errors."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import unidl
import unidl_keras as keras
from unidl.testing.gradcheck import assert_grad_close

losses = keras.losses
EPS = 1e-7
RNG = np.random.default_rng(0)
B, C = 5, 4
YT = RNG.random((B, C))
YP = RNG.random((B, C)) + 0.05
LOGITS = RNG.standard_normal((B, C))
LABELS = RNG.integers(0, C, B)
ONEHOT = np.eye(C)[LABELS]
BIN = RNG.integers(0, 2, (B, C)).astype(np.float64)
SW = np.array([1.0, 2.0, 0.0, 3.0, 0.5])


# -- NumPy references (written from the documented formulas) -------------------------------------------
def np_softmax(x):
    e = np.exp(x - x.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def np_sigmoid(x):
    return 1 / (1 + np.exp(-x))


def np_l2n(x):
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), EPS)


def np_bce(t, p):
    p = np.clip(p, EPS, 1 - EPS)
    return -(t * np.log(p) + (1 - t) * np.log(1 - p))


def np_hinge_labels(t):
    return 2 * t - 1 if np.all((t == 0) | (t == 1)) else t


REF = {
    "mean_squared_error": lambda t, p: ((t - p) ** 2).mean(-1),
    "mean_absolute_error": lambda t, p: np.abs(t - p).mean(-1),
    "mean_absolute_percentage_error": lambda t, p: 100 * np.abs((t - p) / np.maximum(np.abs(t), EPS)).mean(-1),
    "mean_squared_logarithmic_error": lambda t, p: ((np.log(np.maximum(p, EPS) + 1)
                                                     - np.log(np.maximum(t, EPS) + 1)) ** 2).mean(-1),
    "cosine_similarity": lambda t, p: -(np_l2n(t) * np_l2n(p)).sum(-1),
    "log_cosh": lambda t, p: np.log(np.cosh(p - t)).mean(-1),
    "poisson": lambda t, p: (p - t * np.log(p + EPS)).mean(-1),
    "kl_divergence": lambda t, p: (np.clip(t, EPS, 1) * np.log(np.clip(t, EPS, 1) / np.clip(p, EPS, 1))).sum(-1),
    "hinge": lambda t, p: np.maximum(1 - np_hinge_labels(t) * p, 0).mean(-1),
    "squared_hinge": lambda t, p: (np.maximum(1 - np_hinge_labels(t) * p, 0) ** 2).mean(-1),
    "categorical_hinge": lambda t, p: np.maximum(((1 - t) * p).max(-1) - (t * p).sum(-1) + 1, 0),
    "binary_crossentropy": lambda t, p: np_bce(t, p).mean(-1),
    "categorical_crossentropy": lambda t, p: -(t * np.log(np.clip(p / p.sum(-1, keepdims=True), EPS, 1 - EPS))).sum(-1),
}
INPUTS = {
    "mean_squared_error": (YT, YP), "mean_absolute_error": (YT, YP), "mean_absolute_percentage_error": (YT, YP),
    "mean_squared_logarithmic_error": (YT, YP), "cosine_similarity": (YT, LOGITS), "log_cosh": (YT, LOGITS),
    "poisson": (YT, YP), "kl_divergence": (np_softmax(LOGITS), YP), "hinge": (BIN, LOGITS),
    "squared_hinge": (BIN, LOGITS), "categorical_hinge": (ONEHOT, LOGITS),
    "binary_crossentropy": (BIN, YP / 1.1), "categorical_crossentropy": (ONEHOT, YP),
}
CLASSES = {
    "mean_squared_error": losses.MeanSquaredError, "mean_absolute_error": losses.MeanAbsoluteError,
    "mean_absolute_percentage_error": losses.MeanAbsolutePercentageError,
    "mean_squared_logarithmic_error": losses.MeanSquaredLogarithmicError,
    "cosine_similarity": losses.CosineSimilarity, "log_cosh": losses.LogCosh, "poisson": losses.Poisson,
    "kl_divergence": losses.KLDivergence, "hinge": losses.Hinge, "squared_hinge": losses.SquaredHinge,
    "categorical_hinge": losses.CategoricalHinge, "binary_crossentropy": losses.BinaryCrossentropy,
    "categorical_crossentropy": losses.CategoricalCrossentropy,
}


@pytest.mark.parametrize("name", sorted(REF))
def test_function_form_matches_numpy(name):
    t, p = INPUTS[name]
    got = getattr(losses, name)(t, p).numpy()
    np.testing.assert_allclose(got, REF[name](t, p), rtol=1e-5, atol=1e-6)
    assert got.dtype == np.float64  # computed in y_pred's dtype


@pytest.mark.parametrize("name", sorted(REF))
@pytest.mark.parametrize("reduction", ["sum_over_batch_size", "mean", "sum", "mean_with_sample_weight", "none", None])
def test_class_reductions_with_sample_weight(name, reduction):
    t, p = INPUTS[name]
    per = REF[name](t, p)
    loss = CLASSES[name](reduction=reduction, dtype="float64")
    weighted = per * SW
    expect = {"sum_over_batch_size": weighted.sum() / B, "mean": weighted.sum() / B, "sum": weighted.sum(),
              "mean_with_sample_weight": weighted.sum() / SW.sum(), "none": weighted, None: weighted}[reduction]
    np.testing.assert_allclose(loss(t, p, sample_weight=SW).numpy(), expect, rtol=1e-5, atol=1e-6)
    unweighted = {"sum": per.sum(), "none": per, None: per}.get(reduction, per.mean())
    np.testing.assert_allclose(loss(t, p).numpy(), unweighted, rtol=1e-5, atol=1e-6)


def test_default_name_reduction_dtype():
    loss = losses.MeanSquaredError()
    assert (loss.name, loss.reduction, loss.dtype) == ("mean_squared_error", "sum_over_batch_size", "float32")
    assert losses.Huber().name == "huber_loss"
    out = loss(YT, YP)
    assert out.shape == () and out.dtype == np.float32


def test_sample_weight_shapes_broadcast():
    loss = losses.MeanSquaredError(reduction="sum", dtype="float64")
    per = REF["mean_squared_error"](YT, YP)
    np.testing.assert_allclose(loss(YT, YP, sample_weight=SW[:, None]).numpy(), (per * SW).sum(), rtol=1e-6)
    np.testing.assert_allclose(loss(YT, YP, sample_weight=2.0).numpy(), 2 * per.sum(), rtol=1e-6)
    with pytest.raises(ValueError, match="sample_weight"):
        loss(YT, YP, sample_weight=np.ones(3))


def test_sample_weight_on_unreduced_time_axis():
    # values (B, T) from (B, T, D) inputs, sample_weight (B, T)
    t, p = RNG.random((2, 3, 4)), RNG.random((2, 3, 4))
    w = RNG.random((2, 3))
    per = ((t - p) ** 2).mean(-1)
    got = losses.MeanSquaredError(dtype="float64")(t, p, sample_weight=w).numpy()
    np.testing.assert_allclose(got, (per * w).sum() / per.size, rtol=1e-6)


def test_zero_weights_give_zero_not_nan():
    loss = losses.MeanSquaredError(reduction="mean_with_sample_weight")
    assert float(loss(YT, YP, sample_weight=np.zeros(B)).numpy()) == 0.0


def test_invalid_reduction():
    with pytest.raises(ValueError, match="Invalid value for argument `reduction`"):
        losses.MeanSquaredError(reduction="avg")


# -- crossentropy specifics -----------------------------------------------------------------------------
def test_categorical_from_logits_equals_softmax_probabilities():
    a = losses.categorical_crossentropy(ONEHOT, LOGITS, from_logits=True).numpy()
    b = losses.categorical_crossentropy(ONEHOT, np_softmax(LOGITS)).numpy()
    np.testing.assert_allclose(a, b, rtol=1e-6)
    np.testing.assert_allclose(a, -(ONEHOT * np.log(np_softmax(LOGITS))).sum(-1), rtol=1e-6)


def test_categorical_label_smoothing():
    s = 0.2
    smooth = ONEHOT * (1 - s) + s / C
    got = losses.CategoricalCrossentropy(from_logits=True, label_smoothing=s, dtype="float64")(ONEHOT, LOGITS)
    np.testing.assert_allclose(got.numpy(), -(smooth * np.log(np_softmax(LOGITS))).sum(-1).mean(), rtol=1e-6)


def test_binary_from_logits_and_smoothing():
    s = 0.1
    t = BIN * (1 - s) + 0.5 * s
    q = np_sigmoid(LOGITS)
    ref = -(t * np.log(q) + (1 - t) * np.log(1 - q)).mean(-1)
    got = losses.binary_crossentropy(BIN, LOGITS, from_logits=True, label_smoothing=s).numpy()
    np.testing.assert_allclose(got, ref, rtol=1e-6)


def test_sparse_matches_categorical_and_accepts_column_labels():
    ref = -np.log(np_softmax(LOGITS)[np.arange(B), LABELS])
    for lab in (LABELS, LABELS[:, None], LABELS.astype(np.float32)):
        got = losses.sparse_categorical_crossentropy(lab, LOGITS, from_logits=True).numpy()
        np.testing.assert_allclose(got, ref, rtol=1e-6)
    cls = losses.SparseCategoricalCrossentropy(from_logits=True, dtype="float64")
    np.testing.assert_allclose(cls(LABELS, LOGITS).numpy(), ref.mean(), rtol=1e-6)


def test_sparse_ignore_class_masks_the_reduction():
    lab = LABELS.copy()
    lab[[1, 3]] = -1
    keep = lab != -1
    per = np.where(keep, -np.log(np_softmax(LOGITS)[np.arange(B), np.where(keep, lab, 0)]), 0.0)
    mk = lambda red: losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1, reduction=red,  # noqa
                                                          dtype="float64")
    np.testing.assert_allclose(mk("none")(lab, LOGITS).numpy(), per, rtol=1e-6)
    np.testing.assert_allclose(mk("sum")(lab, LOGITS).numpy(), per.sum(), rtol=1e-6)
    np.testing.assert_allclose(mk("sum_over_batch_size")(lab, LOGITS).numpy(), per.sum() / keep.sum(), rtol=1e-6)
    np.testing.assert_allclose(mk("mean_with_sample_weight")(lab, LOGITS, sample_weight=SW).numpy(),
                               (per * SW).sum() / (SW * keep).sum(), rtol=1e-6)


def test_binary_focal_against_numpy():
    gamma, alpha = 1.5, 0.3
    p = np.clip(YP / 1.1, 0, 1)
    pt = BIN * p + (1 - BIN) * (1 - p)
    w = BIN * alpha + (1 - BIN) * (1 - alpha)
    ref = (w * (1 - pt) ** gamma * np_bce(BIN, p)).mean(-1)
    got = losses.binary_focal_crossentropy(BIN, p, apply_class_balancing=True, alpha=alpha, gamma=gamma).numpy()
    np.testing.assert_allclose(got, ref, rtol=1e-6)
    # gamma = 0 without balancing is the plain binary crossentropy
    np.testing.assert_allclose(losses.binary_focal_crossentropy(BIN, LOGITS, gamma=0.0, from_logits=True).numpy(),
                               np_bce(BIN, np_sigmoid(LOGITS)).mean(-1), rtol=1e-5)


@pytest.mark.parametrize("delta", [0.3, 1.0, 2.5])
def test_huber_against_numpy(delta):
    e = LOGITS - YT
    ref = np.where(np.abs(e) <= delta, 0.5 * e ** 2, delta * np.abs(e) - 0.5 * delta ** 2).mean(-1)
    np.testing.assert_allclose(losses.huber(YT, LOGITS, delta=delta).numpy(), ref, rtol=1e-6)
    np.testing.assert_allclose(losses.Huber(delta=delta, dtype="float64")(YT, LOGITS).numpy(), ref.mean(), rtol=1e-6)


def test_hinge_keeps_signed_labels():
    signed = 2 * BIN - 1
    np.testing.assert_allclose(losses.hinge(signed, LOGITS).numpy(), losses.hinge(BIN, LOGITS).numpy(), rtol=1e-7)


def test_rank_alignment_of_column_targets():
    t, p = RNG.random(6), RNG.random((6, 1))
    np.testing.assert_allclose(losses.mean_squared_error(t, p).numpy(), (t - p[:, 0]) ** 2, rtol=1e-7)


# -- masks ----------------------------------------------------------------------------------------------
def test_mask_on_predictions_averages_over_valid_entries():
    from unidl_keras.backend.masks import set_mask

    t, p = RNG.random((2, 3, 4)), RNG.random((2, 3, 4))
    mask = np.array([[True, True, False], [True, False, False]])
    pt = unidl.tensor(p)
    set_mask(pt, unidl.tensor(mask))
    per = ((t - p) ** 2).mean(-1)
    got = losses.MeanSquaredError(dtype="float64")(t, pt).numpy()
    np.testing.assert_allclose(got, per[mask].mean(), rtol=1e-6)
    got_sum = losses.MeanSquaredError(reduction="sum", dtype="float64")(t, pt).numpy()
    np.testing.assert_allclose(got_sum, per[mask].sum(), rtol=1e-6)


# -- gradients ------------------------------------------------------------------------------------------
GRAD_CASES = [
    (losses.MeanSquaredError, {}, YT[:3, :3], YP[:3, :3]),
    (losses.Huber, {"delta": 0.5}, YT[:3, :3], LOGITS[:3, :3]),
    (losses.LogCosh, {}, YT[:3, :3], LOGITS[:3, :3]),
    (losses.CosineSimilarity, {}, YT[:3, :3], LOGITS[:3, :3]),
    (losses.CategoricalCrossentropy, {"from_logits": True, "label_smoothing": 0.1}, ONEHOT[:3], LOGITS[:3]),
    (losses.CategoricalCrossentropy, {}, ONEHOT[:3], YP[:3]),
    (losses.BinaryCrossentropy, {"from_logits": True}, BIN[:3], LOGITS[:3]),
    (losses.BinaryFocalCrossentropy, {"from_logits": True, "apply_class_balancing": True}, BIN[:3], LOGITS[:3]),
    (losses.KLDivergence, {}, np_softmax(LOGITS[:3]), YP[:3]),
    (losses.Poisson, {}, YT[:3], YP[:3]),
]


@pytest.mark.parametrize("cls,kw,t,p", GRAD_CASES, ids=[c[0].__name__ + str(i) for i, c in enumerate(GRAD_CASES)])
def test_gradient_matches_finite_differences(cls, kw, t, p):
    loss = cls(dtype="float64", reduction="none", **kw)
    t_const = unidl.tensor(t)
    assert_grad_close(lambda yp: loss(t_const, yp), p, rtol=1e-4, atol=1e-6)


def test_sparse_gradient_matches_finite_differences():
    loss = losses.SparseCategoricalCrossentropy(from_logits=True, dtype="float64", reduction="none")
    lab = unidl.tensor(LABELS[:3])
    assert_grad_close(lambda yp: loss(lab, yp), LOGITS[:3], rtol=1e-4, atol=1e-6)


# -- config, lookup, errors -----------------------------------------------------------------------------
@pytest.mark.parametrize("cls,kw", [(losses.MeanSquaredError, {}), (losses.Huber, {"delta": 2.0}),
                                    (losses.CategoricalCrossentropy, {"from_logits": True, "label_smoothing": 0.1}),
                                    (losses.SparseCategoricalCrossentropy, {"ignore_class": 3}),
                                    (losses.BinaryFocalCrossentropy, {"gamma": 3.0}),
                                    (losses.CosineSimilarity, {"axis": 1})])
def test_config_round_trip(cls, kw):
    a = cls(name="my_loss", reduction="sum", **kw)
    cfg = a.get_config()
    assert cfg["name"] == "my_loss" and cfg["reduction"] == "sum"
    b = cls.from_config(cfg)
    assert b.get_config() == cfg
    c = losses.deserialize(losses.serialize(a))
    assert type(c) is cls and c.get_config() == cfg
    if cls in (losses.Huber, losses.CosineSimilarity):
        # Keras 3.15.1's configs of these two keep only name and reduction (delta / axis are not saved)
        assert set(cfg) == {"name", "reduction"}
        return
    t, p = (ONEHOT, YP) if cls is not losses.SparseCategoricalCrossentropy else (LABELS, YP)
    np.testing.assert_allclose(a(t, p).numpy(), c(t, p).numpy())


def test_keras_config_keys():
    assert losses.CategoricalCrossentropy().get_config() == {
        "name": "categorical_crossentropy", "reduction": "sum_over_batch_size", "from_logits": False,
        "label_smoothing": 0.0, "axis": -1}
    assert losses.SparseCategoricalCrossentropy().get_config() == {
        "name": "sparse_categorical_crossentropy", "reduction": "sum_over_batch_size", "from_logits": False,
        "ignore_class": None}


def test_get_resolves_names_classes_configs():
    assert losses.get("mse") is losses.mean_squared_error
    assert losses.get("mean_squared_error") is losses.mean_squared_error
    assert losses.get("kld") is losses.kl_divergence
    assert losses.get("huber") is losses.huber
    assert isinstance(losses.get("CategoricalCrossentropy"), losses.CategoricalCrossentropy)
    assert isinstance(losses.get(losses.Huber), losses.Huber)
    inst = losses.MeanAbsoluteError()
    assert losses.get(inst) is inst
    got = losses.get({"class_name": "Huber", "config": {"delta": 2.0}})
    assert isinstance(got, losses.Huber) and got.delta == 2.0  # (Keras keeps delta out of get_config)
    assert losses.get(None) is None
    assert losses.deserialize(losses.serialize(losses.mean_squared_error)) is losses.mean_squared_error


@pytest.mark.parametrize("bad", ["foo", 3, {"class_name": "Nope", "config": {}}])
def test_get_unknown_raises(bad):
    with pytest.raises(ValueError, match="Could not interpret loss identifier"):
        losses.get(bad)


def test_label_shape_errors_name_the_loss_and_shapes():
    with pytest.raises(ValueError, match=r"sparse_categorical_crossentropy.*\(4, 3\).*\(4, 5\)"):
        losses.SparseCategoricalCrossentropy()(np.zeros((4, 3)), RNG.random((4, 5)))
    with pytest.raises(ValueError, match=r"sparse_categorical_crossentropy.*one-hot.*categorical_crossentropy"):
        losses.sparse_categorical_crossentropy(np.eye(3)[[0, 1]], RNG.random((2, 3)))
    with pytest.raises(ValueError, match=r"categorical_crossentropy.*y_true.shape=\(4,\).*sparse"):
        losses.CategoricalCrossentropy()(np.array([0, 1, 2, 1]), RNG.random((4, 3)))
    with pytest.raises(ValueError, match=r"mean_squared_error.*\(4,\).*\(4, 2\)"):
        losses.MeanSquaredError()(np.zeros(4), np.zeros((4, 2)))
    with pytest.raises(ValueError, match="binary_crossentropy"):
        losses.BinaryCrossentropy()(np.zeros((4, 2)), np.zeros((4, 3)))


# -- properties -----------------------------------------------------------------------------------------
@given(st.integers(1, 6), st.integers(1, 5), st.integers(0, 10_000))
def test_mse_sum_equals_batch_mean_times_size(b, d, seed):
    r = np.random.default_rng(seed)
    t, p = r.standard_normal((b, d)), r.standard_normal((b, d))
    s = losses.MeanSquaredError(reduction="sum", dtype="float64")(t, p).numpy()
    m = losses.MeanSquaredError(dtype="float64")(t, p).numpy()
    np.testing.assert_allclose(s, m * b, rtol=1e-9)
    assert m >= 0


@given(st.integers(2, 6), st.integers(0, 10_000), st.floats(-20, 20))
def test_categorical_logits_shift_invariant(c, seed, shift):
    r = np.random.default_rng(seed)
    z = r.standard_normal((3, c))
    lab = np.eye(c)[r.integers(0, c, 3)]
    a = losses.categorical_crossentropy(lab, z, from_logits=True).numpy()
    b = losses.categorical_crossentropy(lab, z + shift, from_logits=True).numpy()
    np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-9)
