"""keras.initializers / regularizers / constraints through the public API."""
import math

import numpy as np
import pytest

import unidl
import unidl_keras as keras


@pytest.mark.parametrize("name,shape,limit", [
    ("glorot_uniform", (64, 32), math.sqrt(6 / 96)),
    ("he_uniform", (64, 32), math.sqrt(6 / 64)),
    ("lecun_uniform", (3, 3, 8, 16), math.sqrt(3 / (9 * 8))),
])
def test_uniform_variance_scaling_bounds_and_spread(name, shape, limit):
    w = keras.initializers.get(name)(shape, dtype="float32").numpy()
    assert w.shape == shape and w.dtype == np.float32
    assert np.abs(w).max() <= limit
    # a uniform(-l, l) has std l/sqrt(3)
    assert abs(w.std() - limit / math.sqrt(3)) < 0.1 * limit


def test_normal_variance_scaling_is_truncated_at_two_std():
    w = keras.initializers.HeNormal(seed=3)((200, 100)).numpy()
    std = math.sqrt(2 / 200) / 0.87962566103423978
    assert np.abs(w).max() <= 2 * std + 1e-6
    assert abs(w.std() - math.sqrt(2 / 200)) < 0.05 * math.sqrt(2 / 200)


def test_seeded_initializer_repeats_and_unseeded_differs():
    a = keras.initializers.GlorotUniform(seed=7)((4, 5)).numpy()
    b = keras.initializers.GlorotUniform(seed=7)((4, 5)).numpy()
    init = keras.initializers.GlorotUniform()
    c, d = init((4, 5)).numpy(), init((4, 5)).numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(c, d)


def test_set_random_seed_controls_layer_init():
    def weights():
        unidl.random.seed(123)
        layer = keras.layers.Dense(3)
        layer.build((None, 4))
        return layer.kernel.numpy()

    np.testing.assert_array_equal(weights(), weights())


def test_constant_ones_zeros_identity_orthogonal():
    np.testing.assert_array_equal(keras.initializers.Constant(2.5)((2, 3)).numpy(), np.full((2, 3), 2.5, np.float32))
    np.testing.assert_array_equal(keras.initializers.get("ones")((3,)).numpy(), np.ones(3, np.float32))
    np.testing.assert_array_equal(keras.initializers.Identity(gain=2.0)((2, 3)).numpy(), 2 * np.eye(2, 3))
    q = keras.initializers.Orthogonal(seed=1)((6, 4)).numpy()
    np.testing.assert_allclose(q.T @ q, np.eye(4), atol=1e-5)


def test_initializer_config_round_trip_and_errors():
    init = keras.initializers.VarianceScaling(scale=2.0, mode="fan_out", distribution="uniform", seed=5)
    again = keras.initializers.deserialize(keras.initializers.serialize(init))
    assert again.get_config() == init.get_config()
    np.testing.assert_array_equal(again((3, 3)).numpy(), init((3, 3)).numpy())
    with pytest.raises(ValueError, match="Could not interpret initializer identifier"):
        keras.initializers.get("not_an_init")
    with pytest.raises(ValueError, match="mode"):
        keras.initializers.VarianceScaling(mode="fan_sideways")


def test_regularizers_values_and_config():
    w = np.array([[1.0, -2.0], [0.5, 0.0]], np.float32)
    t = unidl.tensor(w)
    assert float(keras.regularizers.L1(0.1)(t).numpy()) == pytest.approx(0.1 * np.abs(w).sum())
    assert float(keras.regularizers.L2(0.01)(t).numpy()) == pytest.approx(0.01 * (w ** 2).sum())
    assert float(keras.regularizers.L1L2(l1=0.1, l2=0.01)(t).numpy()) == pytest.approx(
        0.1 * np.abs(w).sum() + 0.01 * (w ** 2).sum())
    r = keras.regularizers.deserialize(keras.regularizers.serialize(keras.regularizers.L1L2(l1=0.2, l2=0.3)))
    assert r.get_config() == {"l1": pytest.approx(0.2), "l2": pytest.approx(0.3)}
    with pytest.raises(ValueError, match="non-negative"):
        keras.regularizers.L2(-1.0)


def test_kernel_regularizer_adds_to_layer_losses():
    layer = keras.layers.Dense(2, kernel_regularizer=keras.regularizers.L2(0.5), use_bias=False)
    layer.build((None, 3))
    k = layer.kernel.numpy()
    (loss,) = layer.losses
    assert float(loss.numpy()) == pytest.approx(0.5 * (k ** 2).sum(), rel=1e-6)


def test_constraints():
    w = np.array([[3.0, 0.1], [4.0, -0.2]], np.float32)
    t = unidl.tensor(w)
    n = np.sqrt((w ** 2).sum(0, keepdims=True))
    np.testing.assert_allclose(keras.constraints.MaxNorm(2.0)(t).numpy(),
                               w * np.clip(n, 0, 2.0) / (n + 1e-7), rtol=1e-6)
    np.testing.assert_array_equal(keras.constraints.NonNeg()(t).numpy(), w * (w >= 0))
    np.testing.assert_allclose(keras.constraints.UnitNorm()(t).numpy(), w / (n + 1e-7), rtol=1e-6)
    c = keras.constraints.get({"class_name": "MaxNorm", "config": {"max_value": 3, "axis": 1}})
    assert c.get_config() == {"max_value": 3, "axis": 1}
