"""Regularization layers: Dropout, SpatialDropout1D/2D/3D, GaussianNoise, GaussianDropout,
AlphaDropout, ActivityRegularization."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import unidl
import unidl_keras as keras

L = keras.layers
ONES = np.ones((8, 5, 6), "float32")


@given(st.sampled_from([0.1, 0.5, 0.8]), st.integers(0, 2 ** 31))
def test_dropout_training_zeroes_and_scales(rate, seed):
    y = L.Dropout(rate, seed=seed)(ONES, training=True).numpy()
    kept = y != 0
    np.testing.assert_allclose(y[kept], 1.0 / (1.0 - rate), rtol=1e-6)


def test_dropout_inactive_unless_training_and_keep_fraction():
    layer = L.Dropout(0.5)
    np.testing.assert_array_equal(layer(ONES).numpy(), ONES)
    np.testing.assert_array_equal(layer(ONES, training=False).numpy(), ONES)
    big = np.ones((200, 100), "float32")
    frac = (L.Dropout(0.3, seed=1)(big, training=True).numpy() != 0).mean()
    assert abs(frac - 0.7) < 0.02


def test_dropout_seed_reproducible_and_default_generator():
    a = L.Dropout(0.5, seed=7)(ONES, training=True).numpy()
    b = L.Dropout(0.5, seed=7)(ONES, training=True).numpy()
    np.testing.assert_array_equal(a, b)
    unidl.random.seed(3)
    c = L.Dropout(0.5)(ONES, training=True).numpy()
    unidl.random.seed(3)
    d = L.Dropout(0.5)(ONES, training=True).numpy()
    np.testing.assert_array_equal(c, d)


def test_dropout_noise_shape_gradient_config_errors():
    layer = L.Dropout(0.5, noise_shape=(None, 1, 6), seed=0)
    y = layer(ONES, training=True).numpy()
    assert np.all(y == y[:, :1])  # one mask per (sample, feature), shared over axis 1
    x = unidl.tensor(ONES, requires_grad=True)
    with unidl.record():
        out = L.Dropout(0.25, seed=2)(x, training=True)
    out.backward(unidl.tensor(np.ones_like(ONES)))
    np.testing.assert_allclose(x.grad.numpy(), out.numpy())  # d(sum y)/dx = mask / (1 - rate) = y for x = 1
    cfg = layer.get_config()
    assert cfg["noise_shape"] == (None, 1, 6) and cfg["seed"] == 0
    assert L.Dropout.from_config(cfg).rate == 0.5
    with pytest.raises(ValueError, match="Expected a float value between 0 and 1. Received: rate=1.5"):
        L.Dropout(1.5)


def test_dropout_in_model_symbolic_and_fit_mode():
    model = keras.Sequential([keras.Input((None, 6)), L.Dropout(0.5, seed=1)])
    assert model.output_shape == (None, None, 6)
    np.testing.assert_array_equal(model(ONES).numpy(), ONES)
    assert np.any(model(ONES, training=True).numpy() == 0)


def test_spatial_dropout_masks_whole_channels():
    y1 = L.SpatialDropout1D(0.5, seed=0)(ONES, training=True).numpy()
    assert np.all(y1 == y1[:, :1]) and np.any(y1 == 0)
    x4 = np.ones((4, 3, 3, 5), "float32")
    y2 = L.SpatialDropout2D(0.5, seed=1)(x4, training=True).numpy()
    assert np.all(y2 == y2[:, :1, :1]) and set(np.unique(y2)) <= {0.0, 2.0}
    y2f = L.SpatialDropout2D(0.5, data_format="channels_first", seed=1)(x4, training=True).numpy()
    assert np.all(y2f == y2f[:, :, :1, :1])
    x5 = np.ones((4, 2, 2, 2, 3), "float32")
    y3 = L.SpatialDropout3D(0.5, seed=2)(x5, training=True).numpy()
    assert np.all(y3 == y3[:, :1, :1, :1])
    cfg = L.SpatialDropout2D(0.3, seed=4).get_config()
    assert set(cfg) == {"rate", "seed", "name", "data_format"}
    assert L.SpatialDropout2D.from_config(cfg).rate == 0.3
    with pytest.raises(ValueError, match="expected ndim=3, found ndim=2"):
        L.SpatialDropout1D(0.5)(ONES[:, 0])
    with pytest.raises(ValueError, match="expected ndim=4, found ndim=3"):
        L.SpatialDropout2D(0.5)(keras.Input((3, 4)))


def test_gaussian_noise_statistics_and_identity_at_inference():
    big = np.zeros((400, 100), "float32")
    noise = L.GaussianNoise(0.5, seed=3)(big, training=True).numpy()
    assert abs(noise.mean()) < 0.01 and abs(noise.std() - 0.5) < 0.01
    np.testing.assert_array_equal(L.GaussianNoise(0.5)(big).numpy(), big)
    assert L.GaussianNoise.from_config(L.GaussianNoise(0.2, seed=1).get_config()).stddev == 0.2
    with pytest.raises(ValueError, match="stddev"):
        L.GaussianNoise(-1)


def test_gaussian_dropout_statistics():
    big = np.ones((400, 100), "float32")
    y = L.GaussianDropout(0.2, seed=5)(big, training=True).numpy()
    assert abs(y.mean() - 1.0) < 0.01 and abs(y.std() - np.sqrt(0.2 / 0.8)) < 0.01
    np.testing.assert_array_equal(L.GaussianDropout(0.2)(big).numpy(), big)
    assert L.GaussianDropout.from_config(L.GaussianDropout(0.1).get_config()).rate == 0.1
    with pytest.raises(ValueError, match="Received: rate=1.5"):
        L.GaussianDropout(1.5)


def test_alpha_dropout_values_and_self_normalizing():
    rate = 0.2
    alpha_p = -1.6732632423543772 * 1.0507009873554805
    a = ((1 - rate) * (1 + rate * alpha_p ** 2)) ** -0.5
    b = -a * alpha_p * rate
    x = np.random.default_rng(0).standard_normal((400, 100)).astype("float32")
    y = L.AlphaDropout(rate, seed=1)(x, training=True).numpy()
    kept = np.isclose(y, a * x + b, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(y[~kept], a * alpha_p + b, rtol=1e-5)
    assert abs((~kept).mean() - rate) < 0.02
    assert abs(y.mean()) < 0.03 and abs(y.std() - 1.0) < 0.03  # keeps zero mean, unit variance
    np.testing.assert_array_equal(L.AlphaDropout(rate)(x).numpy(), x)
    assert L.AlphaDropout.from_config(L.AlphaDropout(0.1).get_config()).rate == 0.1


def test_activity_regularization_adds_loss():
    x = np.array([[1.0, -2.0], [3.0, 0.5]], "float32")
    layer = L.ActivityRegularization(l1=0.1, l2=0.01)
    np.testing.assert_array_equal(layer(x).numpy(), x)
    (loss,) = layer.losses
    expected = (0.1 * np.abs(x).sum() + 0.01 * (x ** 2).sum()) / x.shape[0]
    np.testing.assert_allclose(float(loss.numpy()), expected, rtol=1e-5)
    cfg = layer.get_config()
    assert "activity_regularizer" not in cfg and (cfg["l1"], cfg["l2"]) == (0.1, 0.01)
    assert L.ActivityRegularization.from_config(cfg).l2 == 0.01
    assert layer(keras.Input((2,))).shape == (None, 2)
