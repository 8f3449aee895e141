"""The Keras-2 ``K.*`` functions (unidl_keras.backend.keras2) against NumPy and Keras 2's defaults."""
from __future__ import annotations

import numpy as np
import pytest

import unidl_keras as keras
from unidl_keras.backend import keras2 as K


def _np(x):
    return np.asarray(keras.ops.convert_to_numpy(x))


A = np.arange(6, dtype=np.float32).reshape(2, 3)


def test_reductions_and_elementwise():
    np.testing.assert_allclose(_np(K.mean(A, axis=1)), A.mean(1))
    np.testing.assert_allclose(_np(K.sum(A)), A.sum())
    np.testing.assert_allclose(_np(K.max(A, axis=0, keepdims=True)), A.max(0, keepdims=True))
    np.testing.assert_array_equal(_np(K.argmax(A)), [2, 2])  # Keras 2: last axis by default
    np.testing.assert_allclose(_np(K.sqrt(np.array([-4.0, 9.0]))), [0.0, 3.0])  # negatives clipped to 0
    np.testing.assert_allclose(_np(K.pow(A, 2)), A ** 2)
    np.testing.assert_allclose(_np(K.clip(A, 1, 4)), np.clip(A, 1, 4))
    np.testing.assert_allclose(_np(K.square(K.abs(-A))), A ** 2)
    np.testing.assert_allclose(_np(K.exp(K.log(A + 1))), A + 1, rtol=1e-6)
    np.testing.assert_array_equal(_np(K.equal(A, 3)), A == 3)
    np.testing.assert_allclose(_np(K.maximum(A, 2.5)), np.maximum(A, 2.5))


def test_shapes_and_arrangement():
    assert K.int_shape(A) == (2, 3) and K.ndim(A) == 2
    np.testing.assert_array_equal(_np(K.shape(A)), [2, 3])
    assert K.concatenate([A, A]).shape == (2, 6)  # Keras 2: last axis by default
    assert K.expand_dims(A).shape == (2, 3, 1)
    assert K.permute_dimensions(A[None], (2, 0, 1)).shape == (3, 1, 2)
    assert K.batch_flatten(np.zeros((2, 3, 4))).shape == (2, 12)
    assert K.repeat(A, 4).shape == (2, 4, 3)
    np.testing.assert_allclose(_np(K.reshape(A, (3, 2))), A.reshape(3, 2))
    np.testing.assert_allclose(_np(K.transpose(A)), A.T)
    np.testing.assert_allclose(_np(K.stack([A, A], axis=1)), np.stack([A, A], 1))
    np.testing.assert_allclose(_np(K.squeeze(A[:, :1], 1)), A[:, 0])
    np.testing.assert_allclose(_np(K.gather(A, [1, 0])), A[[1, 0]])


def test_dot_follows_numpy_dot():
    x = np.random.default_rng(0).standard_normal((2, 3, 4)).astype(np.float32)
    y = np.random.default_rng(1).standard_normal((5, 4, 6)).astype(np.float32)
    np.testing.assert_allclose(_np(K.dot(x, y)), np.dot(x, y), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(_np(K.dot(A, A.T)), A @ A.T)
    b = K.batch_dot(np.ones((2, 3, 4), np.float32), np.ones((2, 4, 5), np.float32))
    assert b.shape == (2, 3, 5)


def test_variables_and_values():
    v = K.variable(np.ones((2, 2)))
    assert v.dtype == np.float32 and isinstance(v, keras.Variable)
    K.set_value(v, np.full((2, 2), 3.0))
    np.testing.assert_array_equal(K.get_value(v), np.full((2, 2), 3.0))
    assert [a.shape for a in K.batch_get_value([v, v])] == [(2, 2), (2, 2)]
    z = K.zeros((3,))
    assert isinstance(z, keras.Variable) and K.count_params(z) == 3
    np.testing.assert_array_equal(K.get_value(K.ones((2,))), [1.0, 1.0])
    c = K.constant(2.0, shape=(2, 2))
    np.testing.assert_array_equal(_np(c), np.full((2, 2), 2.0))
    K.update_add(v, np.ones((2, 2), np.float32))
    np.testing.assert_array_equal(K.get_value(v), np.full((2, 2), 4.0))


def test_settings_and_phase():
    assert keras.backend.epsilon() == 1e-7
    assert K.learning_phase() == 0
    assert keras.backend.floatx() == "float32"
    assert keras.backend.image_data_format() == "channels_last"
    assert K.in_train_phase(1, 2, training=True) == 1 and K.in_train_phase(1, 2, training=False) == 2


def test_activations_and_losses():
    x = np.array([-1.0, 0.5, 3.0], np.float32)
    np.testing.assert_allclose(_np(K.relu(x, max_value=2.0)), [0.0, 0.5, 2.0])
    np.testing.assert_allclose(_np(K.relu(x, alpha=0.1)), [-0.1, 0.5, 3.0], rtol=1e-6)
    np.testing.assert_allclose(_np(K.hard_sigmoid(x)), np.clip(0.2 * x + 0.5, 0, 1), rtol=1e-6)
    np.testing.assert_allclose(_np(K.sigmoid(x)), 1 / (1 + np.exp(-x)), rtol=1e-6)
    e = np.exp(x)
    np.testing.assert_allclose(_np(K.softmax(x)), e / e.sum(), rtol=1e-6)
    t, p = np.array([[0.0, 1.0]], np.float32), np.array([[0.4, 0.6]], np.float32)
    np.testing.assert_allclose(_np(K.categorical_crossentropy(t, p)), [-np.log(0.6)], rtol=1e-5)
    np.testing.assert_allclose(_np(K.binary_crossentropy(t, p)), -np.log([[0.6, 0.6]]), rtol=1e-5)
    n = _np(K.l2_normalize(np.array([[3.0, 4.0]], np.float32), axis=-1))
    np.testing.assert_allclose(n, [[0.6, 0.8]], rtol=1e-6)


def test_k_functions_work_on_keras_tensors():
    inp = keras.Input((3,))
    out = K.concatenate([K.square(inp), K.mean(inp, axis=-1, keepdims=True)])
    model = keras.Model(inp, out)
    x = np.array([[1.0, 2.0, 3.0]], np.float32)
    np.testing.assert_allclose(_np(model(x)), [[1.0, 4.0, 9.0, 2.0]])
    assert K.int_shape(out) == (None, 4)


def test_set_value_shape_mismatch_raises():
    v = K.variable(np.zeros((2,)))
    with pytest.raises(ValueError):
        K.set_value(v, np.zeros((3,)))


def test_backend_name_defaults_to_unidl_and_can_be_set(monkeypatch):
    import unidl_keras as keras

    monkeypatch.delenv("UNIDL_KERAS_BACKEND_NAME", raising=False)
    assert keras.backend.backend() == "unidl" == keras.config.backend()
    monkeypatch.setenv("UNIDL_KERAS_BACKEND_NAME", "torch")
    assert keras.backend.backend() == "torch"
    monkeypatch.setenv("UNIDL_KERAS_BACKEND_NAME", "pytorch")
    with pytest.raises(ValueError, match="expected one of unidl, torch, jax"):
        keras.backend.backend()
