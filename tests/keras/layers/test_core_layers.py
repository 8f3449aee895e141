"""Core layers: Lambda, Embedding, Masking, Identity."""
from __future__ import annotations


import numpy as np
import pytest

import unidl
import unidl_keras as keras
from unidl_keras.backend.masks import get_mask, set_mask
from unidl_keras.saving.safe_mode import SafeModeScope

L = keras.layers


def double_it(x):
    return x * 2.0


# -- Lambda -------------------------------------------------------------------------------------------

def test_lambda_applies_function_with_arguments():
    layer = L.Lambda(lambda x, k: x * k, arguments={"k": 3.0})
    x = np.arange(6, dtype="float32").reshape(2, 3)
    np.testing.assert_allclose(layer(x).numpy(), x * 3.0)


def test_lambda_symbolic_shape_inferred_and_given():
    inp = keras.Input((4,))
    assert L.Lambda(lambda x: unidl.ops.sum(x, axis=-1, keepdims=True))(inp).shape == (None, 1)
    assert L.Lambda(lambda x: x, output_shape=(4,))(inp).shape == (None, 4)
    assert L.Lambda(lambda x: x, output_shape=lambda s: (s[0], 7))(inp).shape == (None, 7)


def test_lambda_in_sequential_model():
    model = keras.Sequential([keras.Input((3,)), L.Lambda(double_it)])
    x = np.ones((2, 3), "float32")
    np.testing.assert_allclose(model(x).numpy(), 2 * x)
    assert model.output_shape == (None, 3)


def test_lambda_mask_and_training_passed():
    seen = {}

    def fn(x, mask=None, training=None):
        seen["mask"], seen["training"] = mask, training
        return x

    layer = L.Lambda(fn, mask=lambda inputs, prev: unidl.ops.greater(inputs, 0.0))
    x = unidl.tensor(np.array([[1.0, -1.0]], "float32"))
    y = layer(x, training=True)
    assert seen["training"] is True
    np.testing.assert_array_equal(get_mask(y).numpy(), [[True, False]])


def test_lambda_config_of_lambda_is_marshalled_and_refused_in_safe_mode():
    k = 5.0
    layer = L.Lambda(lambda x, a=2.0: x * a + k)
    cfg = layer.get_config()
    fn_cfg = cfg["function"]
    assert fn_cfg["class_name"] == "__lambda__"
    assert set(fn_cfg["config"]) == {"code", "defaults", "closure"}
    assert fn_cfg["config"]["defaults"] == (2.0,) and fn_cfg["config"]["closure"] == (5.0,)
    with pytest.raises(ValueError, match="safe_mode=False.*enable_unsafe_deserialization"):
        L.Lambda.from_config(cfg)
    with SafeModeScope(False):
        restored = L.Lambda.from_config(cfg)
    x = np.array([[1.0, 2.0]], "float32")
    np.testing.assert_allclose(restored(x).numpy(), x * 2.0 + 5.0)


def test_lambda_named_function_serializes_by_name():
    cfg = L.Lambda(double_it, output_shape=(3,)).get_config()
    assert cfg["function"] == {"module": __name__, "class_name": "function", "config": "double_it",
                               "registered_name": "function"}
    with pytest.raises(ValueError, match="module 'tests.keras.layers.test_core_layers'|safe mode"):
        L.Lambda.from_config(cfg)   # safe mode: a config may not make us import a module it names
    assert L.Lambda.from_config(cfg, custom_objects={"double_it": double_it}).function is double_it
    assert L.Lambda.from_config(cfg, safe_mode=False).function is double_it


def test_lambda_rejects_non_callable():
    with pytest.raises(ValueError, match="must be callable"):
        L.Lambda(3)


# -- Embedding ----------------------------------------------------------------------------------------

def test_embedding_lookup_shape_weights_and_config():
    layer = L.Embedding(10, 4)
    idx = np.array([[0, 3, 9], [1, 1, 2]])
    y = layer(idx)
    table = layer.embeddings.numpy()
    assert [w.name for w in layer.weights] == ["embeddings"] and table.shape == (10, 4)
    assert np.all(np.abs(table) <= 0.05)  # 'uniform' = RandomUniform(-0.05, 0.05)
    np.testing.assert_allclose(y.numpy(), table[idx])
    cfg = layer.get_config()
    assert cfg["embeddings_initializer"]["class_name"] == "RandomUniform"
    assert L.Embedding.from_config(cfg).get_config()["output_dim"] == 4


def test_embedding_gradient_accumulates_repeated_rows():
    layer = L.Embedding(5, 3)
    idx = np.array([[1, 1, 4]])
    with unidl.record():
        y = layer(idx)
    w = np.arange(9, dtype="float32").reshape(1, 3, 3)
    y.backward(unidl.tensor(w))
    expected = np.zeros((5, 3), "float32")
    np.add.at(expected, idx[0], w[0])
    np.testing.assert_allclose(layer.embeddings.grad.numpy(), expected)


def test_embedding_mask_zero_propagates():
    layer = L.Embedding(5, 2, mask_zero=True)
    y = layer(np.array([[3, 0, 1, 0]]))
    np.testing.assert_array_equal(get_mask(y).numpy(), [[True, False, True, False]])
    assert L.Embedding(5, 2).compute_mask(np.array([1]), None) is None


def test_embedding_in_functional_model_and_input_length_warning():
    with pytest.warns(UserWarning, match="input_length"):
        emb = L.Embedding(7, 3, input_length=4)
    inp = keras.Input((4,), dtype="int32")
    out = emb(inp)
    assert out.shape == (None, 4, 3)
    model = keras.Model(inp, out)
    assert model(np.array([[1, 2, 3, 4]], "int32")).shape == (1, 4, 3)


def test_embedding_errors():
    with pytest.raises(ValueError, match="`input_dim` must be a positive integer"):
        L.Embedding(0, 3)
    with pytest.raises(ValueError, match="`output_dim` must be a positive integer"):
        L.Embedding(3, -1)
    with pytest.raises(ValueError, match=r"embedding.*outside \[0, 3\)"):
        L.Embedding(3, 2)(np.array([[0, 3]]))


# -- Masking / Identity -------------------------------------------------------------------------------

def test_masking_values_and_mask():
    x = np.array([[[1.0, 2.0], [0.0, 0.0], [0.0, 3.0]]], "float32")
    layer = L.Masking(mask_value=0.0)
    y = layer(x)
    keep = np.any(x != 0.0, axis=-1)
    np.testing.assert_allclose(y.numpy(), x * keep[..., None])
    np.testing.assert_array_equal(get_mask(y).numpy(), keep)
    assert L.Masking.from_config(layer.get_config()).mask_value == 0.0
    assert layer(keras.Input((None, 2))).shape == (None, None, 2)


def test_masking_nonzero_value_zeroes_masked_steps():
    x = np.array([[[-1.0, -1.0], [2.0, -1.0]]], "float32")
    y = L.Masking(mask_value=-1.0)(x)
    np.testing.assert_allclose(y.numpy(), [[[0.0, 0.0], [2.0, -1.0]]])


def test_identity_passes_values_and_mask():
    x = unidl.tensor(np.ones((2, 3), "float32"))
    m = unidl.tensor(np.array([[True, False, True], [True, True, False]]))
    set_mask(x, m)
    y = L.Identity()(x)
    np.testing.assert_array_equal(y.numpy(), x.numpy())
    np.testing.assert_array_equal(get_mask(y).numpy(), m.numpy())
    assert L.Identity()(keras.Input((5,), dtype="int32")).dtype == "int32"
