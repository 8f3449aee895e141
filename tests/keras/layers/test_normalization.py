"""Normalization layers: BatchNormalization, LayerNormalization, GroupNormalization, UnitNormalization."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import unidl
import unidl_keras as keras
from unidl.testing.gradcheck import assert_grad_close

L = keras.layers
RNG = np.random.default_rng(0)
X = RNG.standard_normal((4, 3, 6)).astype("float32") * 2 + 1


def test_batchnorm_defaults_weights_and_config():
    layer = L.BatchNormalization()
    layer(X)
    assert [w.name for w in layer.weights] == ["gamma", "beta", "moving_mean", "moving_variance"]
    assert [w.name for w in layer.trainable_weights] == ["gamma", "beta"]
    cfg = layer.get_config()
    assert (cfg["axis"], cfg["momentum"], cfg["epsilon"]) == (-1, 0.99, 1e-3)
    assert L.BatchNormalization.from_config(cfg).get_config() == cfg


def test_batchnorm_training_uses_batch_stats_and_updates_moving():
    layer = L.BatchNormalization(momentum=0.9)
    y = layer(X, training=True).numpy()
    mean, var = X.mean(axis=(0, 1)), X.var(axis=(0, 1))  # biased variance
    np.testing.assert_allclose(y, (X - mean) / np.sqrt(var + 1e-3), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(layer.moving_mean.numpy(), 0.1 * mean, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(layer.moving_variance.numpy(), 0.9 + 0.1 * var, rtol=1e-5)


def test_batchnorm_inference_and_frozen_use_moving_stats():
    layer = L.BatchNormalization(axis=1, gamma_initializer="ones")
    layer.build(X.shape)
    mm, mv = RNG.standard_normal(3).astype("float32"), RNG.uniform(0.5, 2, 3).astype("float32")
    layer.set_weights([np.full(3, 2.0), np.full(3, 0.5), mm, mv])
    expected = 2.0 * (X - mm[None, :, None]) / np.sqrt(mv[None, :, None] + 1e-3) + 0.5
    np.testing.assert_allclose(layer(X).numpy(), expected, rtol=1e-5, atol=1e-5)
    layer.trainable = False
    np.testing.assert_allclose(layer(X, training=True).numpy(), expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(layer.moving_mean.numpy(), mm)  # not updated while frozen


def test_batchnorm_gradient_matches_numeric():
    layer = L.BatchNormalization(dtype="float64", center=False)
    layer.build((5, 2))
    layer.set_weights([np.array([1.5, -0.5]), np.zeros(2), np.ones(2)])
    assert_grad_close(lambda t: layer(t, training=True), RNG.standard_normal((5, 2)), rtol=1e-4, atol=1e-6)


def test_batchnorm_masked_training_stats():
    x = RNG.standard_normal((2, 4, 3)).astype("float32")
    m = np.array([[True, True, False, True], [False, True, True, True]])
    layer = L.BatchNormalization(momentum=0.0)
    y = layer(x, training=True, mask=unidl.tensor(m)).numpy()
    sel = x[m]
    np.testing.assert_allclose(layer.moving_mean.numpy(), sel.mean(0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(y[m], (sel - sel.mean(0)) / np.sqrt(sel.var(0) + 1e-3), rtol=1e-4, atol=1e-5)


def test_batchnorm_in_sequential_and_errors():
    model = keras.Sequential([keras.Input((None, 6)), L.BatchNormalization()])
    assert model.output_shape == (None, None, 6)
    with pytest.raises(TypeError, match="`axis` must be one int"):
        L.BatchNormalization(axis=(1, 2))
    with pytest.raises(ValueError, match="should have a defined dimension"):
        L.BatchNormalization()(keras.Input((3, None)))
    with pytest.raises(ValueError, match="out of range"):
        L.BatchNormalization(axis=5)(X)


@given(arrays(np.float32, (3, 5), elements=st.floats(-10, 10, width=32)))
def test_layernorm_formula(x):
    layer = L.LayerNormalization()
    y = layer(x).numpy()
    ref = (x - x.mean(-1, keepdims=True)) / np.sqrt(x.var(-1, keepdims=True) + 1e-3)
    np.testing.assert_allclose(y, ref, rtol=1e-4, atol=1e-4)
    assert [w.name for w in layer.weights] == ["gamma", "beta"]


def test_layernorm_multi_axis_rms_gradient_config():
    layer = L.LayerNormalization(axis=[1, 2], epsilon=1e-5)
    y = layer(X).numpy()
    ref = (X - X.mean((1, 2), keepdims=True)) / np.sqrt(X.var((1, 2), keepdims=True) + 1e-5)
    np.testing.assert_allclose(y, ref, rtol=1e-4, atol=1e-5)
    assert layer.gamma.shape == (3, 6)
    rms = L.LayerNormalization(rms_scaling=True)
    v = np.array([[1.0, 2.0, 4.0]], "float32")
    np.testing.assert_allclose(rms(v).numpy(), v / np.sqrt(v.var() + 1e-3), rtol=1e-5)
    assert [w.name for w in rms.weights] == ["gamma"]
    g = L.LayerNormalization(dtype="float64")
    g.build((2, 4))
    g.set_weights([RNG.standard_normal(4), RNG.standard_normal(4)])
    assert_grad_close(lambda t: g(t), RNG.standard_normal((2, 4)), rtol=1e-4)
    cfg = layer.get_config()
    assert cfg["axis"] == [1, 2] and L.LayerNormalization.from_config(cfg).axis == [1, 2]
    assert L.LayerNormalization()(keras.Input((None, 4))).shape == (None, None, 4)
    with pytest.raises(ValueError, match="out of range"):
        L.LayerNormalization(axis=5)(X)


def test_groupnorm_formula_and_errors():
    layer = L.GroupNormalization(groups=2, epsilon=1e-3)
    y = layer(X).numpy()
    g = X.reshape(4, 3, 2, 3)
    ref = ((g - g.mean((1, 3), keepdims=True)) / np.sqrt(g.var((1, 3), keepdims=True) + 1e-3)).reshape(X.shape)
    np.testing.assert_allclose(y, ref, rtol=1e-4, atol=1e-5)
    assert [w.name for w in layer.weights] == ["gamma", "beta"] and layer.gamma.shape == (6,)
    assert L.GroupNormalization.from_config(layer.get_config()).groups == 2
    cf = L.GroupNormalization(groups=3, axis=1)(X).numpy()
    ref1 = (X - X.mean(2, keepdims=True)) / np.sqrt(X.var(2, keepdims=True) + 1e-3)
    np.testing.assert_allclose(cf, ref1, rtol=1e-4, atol=1e-5)
    gg = L.GroupNormalization(groups=2, dtype="float64")
    assert_grad_close(lambda t: gg(t), RNG.standard_normal((2, 4)), rtol=1e-4)
    assert L.GroupNormalization(groups=3)(keras.Input((None, 6))).shape == (None, None, 6)
    with pytest.raises(ValueError, match=r"Number of groups \(8\) cannot be more than the number of channels \(6\)"):
        L.GroupNormalization(groups=8)(X)
    with pytest.raises(ValueError, match=r"Number of groups \(4\) must be a multiple"):
        L.GroupNormalization(groups=4)(X)


def test_unit_normalization():
    y = L.UnitNormalization()(X).numpy()
    np.testing.assert_allclose(y, X / np.linalg.norm(X, axis=-1, keepdims=True), rtol=1e-5)
    y2 = L.UnitNormalization(axis=[1, 2])(X).numpy()
    np.testing.assert_allclose(y2, X / np.sqrt((X ** 2).sum((1, 2), keepdims=True)), rtol=1e-5)
    np.testing.assert_allclose(L.UnitNormalization()(np.array([[1e-13, 0.0]], "float32")).numpy(), [[0.1, 0.0]],
                               rtol=1e-5)  # norm clamped at 1e-12
    u = L.UnitNormalization(dtype="float64")
    assert_grad_close(lambda t: u(t), RNG.standard_normal((2, 3)))
    assert L.UnitNormalization.from_config(L.UnitNormalization(axis=[1]).get_config()).axis == [1]
