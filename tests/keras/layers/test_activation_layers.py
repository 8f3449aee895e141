"""Activation layers: Activation, ReLU, LeakyReLU, PReLU, ELU, Softmax."""
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
X = np.array([[-3.0, -0.5, 0.0, 0.7, 2.5, 8.0]], "float32")
finite = arrays(np.float32, st.tuples(st.integers(1, 3), st.integers(1, 5)),
                elements=st.floats(-10, 10, width=32))


def relu_ref(x, negative_slope=0.0, max_value=None, threshold=0.0):
    # Keras 3: x above the threshold (0 at it), capped to [0, max_value], minus slope * (threshold - x) below
    pos = np.where(x > threshold, x, 0.0)
    if max_value is not None:
        pos = np.clip(pos, 0.0, max_value)
    return pos - negative_slope * np.maximum(threshold - x, 0.0)


@given(finite, st.sampled_from([None, 1.0, 6.0]), st.sampled_from([0.0, 0.1]), st.sampled_from([0.0, 0.5]))
def test_relu_matches_formula(x, max_value, slope, threshold):
    y = L.ReLU(max_value=max_value, negative_slope=slope, threshold=threshold)(x)
    np.testing.assert_allclose(y.numpy(), relu_ref(x, slope, max_value, threshold), rtol=1e-6)


def test_relu_config_and_errors():
    layer = L.ReLU(max_value=6.0)
    assert L.ReLU.from_config(layer.get_config()).max_value == 6.0
    with pytest.raises(ValueError, match="max_value of a ReLU layer cannot be a negative value"):
        L.ReLU(max_value=-1)
    with pytest.raises(ValueError, match="negative_slope of a ReLU layer"):
        L.ReLU(negative_slope=-1)
    with pytest.raises(ValueError, match="threshold of a ReLU layer"):
        L.ReLU(threshold=-1)


@given(finite)
def test_leaky_relu_default_slope_is_keras3(x):
    np.testing.assert_allclose(L.LeakyReLU()(x).numpy(), np.where(x >= 0, x, 0.3 * x), rtol=1e-6)


def test_leaky_relu_alpha_keras2_and_errors():
    with pytest.warns(UserWarning, match="`alpha` is deprecated"):
        layer = L.LeakyReLU(alpha=0.1)
    np.testing.assert_allclose(layer(X).numpy(), np.where(X >= 0, X, 0.1 * X), rtol=1e-6)
    assert layer.get_config()["negative_slope"] == 0.1
    with pytest.raises(ValueError, match="cannot be None or negative"):
        L.LeakyReLU(-0.5)


def test_elu_values_gradient_and_config():
    np.testing.assert_allclose(L.ELU(alpha=0.5)(X).numpy(), np.where(X > 0, X, 0.5 * (np.exp(X) - 1)), rtol=1e-6)
    layer = L.ELU(alpha=0.5, dtype="float64")
    assert_grad_close(lambda t: layer(t), X.astype("float64") + 0.01)
    assert L.ELU.from_config(layer.get_config()).alpha == 0.5


def test_activation_layer_by_name_and_in_model():
    layer = L.Activation("relu")
    np.testing.assert_allclose(layer(X).numpy(), np.maximum(X, 0))
    assert layer.get_config()["activation"] == "relu"
    model = keras.Sequential([keras.Input((6,)), L.Activation("tanh")])
    np.testing.assert_allclose(model(X).numpy(), np.tanh(X), rtol=1e-6)
    assert model.output_shape == (None, 6)
    with pytest.raises(ValueError, match="Could not interpret activation function identifier: foo"):
        L.Activation("foo")


def test_prelu_weights_values_and_gradient():
    x = np.random.default_rng(0).standard_normal((2, 3, 4)).astype("float32")
    layer = L.PReLU(alpha_initializer=keras.initializers.Constant(0.25), shared_axes=[1])
    y = layer(x)
    assert [w.name for w in layer.weights] == ["alpha"] and layer.alpha.shape == (1, 4)
    np.testing.assert_allclose(y.numpy(), np.where(x >= 0, x, 0.25 * x), rtol=1e-6)
    # d(sum(y * g))/d(alpha) = sum over shared axes of g * min(x, 0)
    g = np.random.default_rng(1).standard_normal(x.shape).astype("float32")
    with unidl.record():
        out = layer(x)
    out.backward(unidl.tensor(g))
    np.testing.assert_allclose(layer.alpha.grad.numpy(), (g * np.minimum(x, 0)).sum(axis=(0, 1))[None], rtol=1e-5)
    cfg = layer.get_config()
    assert cfg["shared_axes"] == [1] and L.PReLU.from_config(cfg).shared_axes == [1]


def test_prelu_default_zero_alpha_and_symbolic():
    layer = L.PReLU()
    out = layer(keras.Input((3, 2)))
    assert out.shape == (None, 3, 2) and layer.alpha.shape == (3, 2)
    np.testing.assert_allclose(layer(X.reshape(1, 3, 2)).numpy(), np.maximum(X, 0).reshape(1, 3, 2))
    with pytest.raises(ValueError, match="shared_axes"):
        L.PReLU(shared_axes=5)(np.ones((1, 2, 2), "float32"))


def softmax_ref(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


@given(arrays(np.float32, (2, 3, 4), elements=st.floats(-5, 5, width=32)))
def test_softmax_axes(x):
    np.testing.assert_allclose(L.Softmax()(x).numpy(), softmax_ref(x), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(L.Softmax(axis=1)(x).numpy(), softmax_ref(x, 1), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(L.Softmax(axis=(1, 2))(x).numpy(), softmax_ref(x, (1, 2)), rtol=1e-5, atol=1e-7)


def test_softmax_mask_excludes_positions_and_zero_rows():
    s = np.array([[1.0, 2.0, 3.0], [1.0, 1.0, 1.0]], "float32")
    m = np.array([[True, False, True], [False, False, False]])
    y = L.Softmax()(s, mask=unidl.tensor(m)).numpy()
    e = np.exp(np.array([1.0, 3.0]))
    np.testing.assert_allclose(y[0], [e[0] / e.sum(), 0.0, e[1] / e.sum()], rtol=1e-6)
    np.testing.assert_allclose(y[1], 0.0)


def test_softmax_gradient_and_config():
    layer = L.Softmax(axis=0, dtype="float64")
    assert_grad_close(lambda t: layer(t), np.random.default_rng(2).standard_normal((3, 2)))
    assert L.Softmax.from_config(layer.get_config()).axis == 0
