"""keras.Sequential, functional keras.Model and subclassed models: structure and forward passes."""
import numpy as np
import pytest

import unidl_keras as keras


def _np_dense(x, layer):
    k, b = layer.get_weights()
    return x @ k + b


def test_sequential_with_input_builds_at_once():
    m = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3), keras.layers.Dense(2)])
    assert m.built and m.output_shape == (None, 2) and m.input_shape == (None, 4)
    assert [tuple(w.shape) for w in m.weights] == [(4, 3), (3,), (3, 2), (2,)]
    x = np.random.RandomState(0).rand(5, 4).astype("float32")
    want = _np_dense(_np_dense(x, m.layers[0]), m.layers[1])
    np.testing.assert_allclose(m(x).numpy(), want, rtol=1e-5)
    np.testing.assert_allclose(m.predict(x, verbose=0), want, rtol=1e-5)


def test_sequential_add_pop_and_input_shape_argument():
    with pytest.warns(UserWarning, match="input_shape"):
        first = keras.layers.Dense(3, input_shape=(6,))
    m = keras.Sequential()
    m.add(first)
    m.add(keras.layers.Dense(2))
    assert m.built and m.output_shape == (None, 2)
    popped = m.pop()
    assert popped.units == 2 and len(m.layers) == 1 and m.output_shape == (None, 3)
    with pytest.raises(ValueError, match="Only instances of `keras.Layer`"):
        m.add("dense")
    with pytest.raises(ValueError, match="unique names"):
        m.add(keras.layers.Dense(2, name=first.name))


def test_sequential_builds_from_first_batch():
    m = keras.Sequential([keras.layers.Dense(3), keras.layers.Dense(1)])
    assert not m.built
    out = m(np.ones((2, 5), np.float32))
    assert out.shape == (2, 1) and m.built and len(m.weights) == 4


def test_functional_multi_input_output_and_shared_layer():
    a = keras.Input((4,), name="a")
    b = keras.Input((4,), name="b")
    shared = keras.layers.Dense(3, name="shared")
    ha, hb = shared(a), shared(b)
    out1 = keras.layers.Dense(2, name="out1")(ha)
    out2 = keras.layers.Dense(1, name="out2")(hb)
    model = keras.Model(inputs=[a, b], outputs=[out1, out2])
    assert [layer.name for layer in model.layers] == ["a", "b", "shared", "out1", "out2"]
    assert len(model.weights) == 6  # the shared layer's weights once
    xa = np.random.RandomState(1).rand(3, 4).astype("float32")
    xb = np.random.RandomState(2).rand(3, 4).astype("float32")
    y1, y2 = model([xa, xb])
    np.testing.assert_allclose(y1.numpy(), _np_dense(_np_dense(xa, shared), model.get_layer("out1")), rtol=1e-5)
    np.testing.assert_allclose(y2.numpy(), _np_dense(_np_dense(xb, shared), model.get_layer("out2")), rtol=1e-5)
    p1, p2 = model.predict({"a": xa, "b": xb}, verbose=0)
    np.testing.assert_allclose(p1, y1.numpy(), rtol=1e-6)


def test_functional_layer_order_follows_keras_depth_rule():
    x = keras.Input((4,), name="x")
    p = keras.layers.Dense(3, name="p")(x)
    q = keras.layers.Dense(3, name="q")(x)
    r = keras.layers.Dense(3, name="r")(q)
    model = keras.Model(x, [r, p])
    assert [layer.name for layer in model.layers] == ["x", "q", "r", "p"]


def test_functional_errors():
    x = keras.Input((4,))
    other = keras.Input((4,))
    y = keras.layers.Dense(2)(other)
    with pytest.raises(ValueError, match="Graph disconnected"):
        keras.Model(x, y)
    model = keras.Model(other, y)
    with pytest.raises(ValueError, match=r"expected shape=\(None, 4\), found shape=\(2, 5\)"):
        model(np.zeros((2, 5), np.float32))
    with pytest.raises(ValueError, match="No such layer"):
        model.get_layer("nope")


def test_nested_model_as_a_layer():
    inner = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)], name="inner")
    x = keras.Input((3,))
    y = keras.layers.Dense(1)(inner(x))
    outer = keras.Model(x, y)
    assert y.shape == (None, 1)
    assert len(outer.weights) == 4
    v = np.ones((2, 3), np.float32)
    np.testing.assert_allclose(outer(v).numpy(), _np_dense(_np_dense(v, inner.layers[0]), outer.layers[-1]), rtol=1e-5)


def test_subclassed_model_tracks_attributes():
    class TwoLayer(keras.Model):
        def __init__(self):
            super().__init__(name="two")
            self.d1 = keras.layers.Dense(4)
            self.d2 = keras.layers.Dense(1)

        def call(self, x, training=False):
            return self.d2(self.d1(x))

    m = TwoLayer()
    y = m(np.ones((2, 3), np.float32))
    assert y.shape == (2, 1) and m.name == "two"
    assert m.layers == [m.d1, m.d2] and len(m.trainable_weights) == 4


def test_fit_before_compile_is_a_clear_error():
    m = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    with pytest.raises(ValueError, match=r"You must call `compile\(\)`"):
        m.fit(np.zeros((4, 2)), np.zeros((4, 1)), verbose=0)
