"""keras.layers.Layer: custom layers, weights, lazy build, training flag, masks, symbolic calls."""
import numpy as np
import pytest

import unidl
from unidl import ops
import unidl_keras as keras


class Linear(keras.layers.Layer):
    def __init__(self, units=4, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="random_normal", name="w")
        self.b = self.add_weight(shape=(self.units,), initializer="zeros", name="b")
        self.count = self.add_weight(shape=(), initializer="zeros", trainable=False, name="count")

    def call(self, inputs):
        return ops.add(ops.matmul(inputs, self.w), self.b)

    def get_config(self):
        return {**super().get_config(), "units": self.units}


class RecordsTraining(keras.layers.Layer):
    seen = []

    def call(self, x, training=None):
        RecordsTraining.seen.append(training)
        return x


def test_custom_layer_builds_lazily_and_computes():
    layer = Linear(3)
    assert not layer.built and layer.weights == []
    x = np.random.RandomState(0).rand(5, 2).astype("float32")
    y = layer(x)
    assert layer.built
    np.testing.assert_allclose(y.numpy(), x @ layer.w.numpy() + layer.b.numpy(), rtol=1e-6)
    assert [v.name for v in layer.weights] == ["w", "b", "count"]
    assert [v.name for v in layer.trainable_weights] == ["w", "b"]
    assert [v.name for v in layer.non_trainable_weights] == ["count"]
    assert layer.count_params() == 2 * 3 + 3 + 1


def test_auto_names_are_unique_snake_case():
    a, b = Linear(), Linear()
    assert a.name != b.name and a.name.startswith("linear") and b.name.startswith("linear")
    assert keras.layers.Dense(2, name="head").name == "head"
    with pytest.raises(ValueError, match="Unrecognized keyword arguments passed to Dense"):
        keras.layers.Dense(2, bogus=1)


def test_gradients_reach_custom_weights():
    layer = Linear(2)
    x = unidl.tensor(np.ones((3, 4), np.float32))
    with unidl.record():
        loss = ops.sum(layer(x))
    loss.backward()
    np.testing.assert_allclose(layer.w.grad.numpy(), np.full((4, 2), 3.0))
    np.testing.assert_allclose(layer.b.grad.numpy(), np.full((2,), 3.0))
    assert layer.count.grad is None


def test_get_set_weights_and_errors():
    layer = Linear(2)
    layer.build((None, 3))
    new = [np.full((3, 2), 0.5, np.float32), np.arange(2, dtype=np.float32), np.array(7.0, np.float32)]
    layer.set_weights(new)
    for got, want in zip(layer.get_weights(), new):
        np.testing.assert_array_equal(got, want)
    with pytest.raises(ValueError, match="expecting 3 weights"):
        layer.set_weights(new[:2])
    with pytest.raises(ValueError, match=r"\(3, 2\).*\(2, 3\)"):
        layer.set_weights([np.zeros((2, 3))] + new[1:])


def test_trainable_flag_freezes_weights():
    layer = Linear(2)
    layer.build((None, 3))
    layer.trainable = False
    assert layer.trainable_weights == [] and len(layer.non_trainable_weights) == 3


def test_nested_layers_are_tracked_in_order():
    class Block(keras.layers.Layer):
        def __init__(self):
            super().__init__()
            self.first = keras.layers.Dense(3)
            self.rest = [keras.layers.Dense(2), keras.layers.Dense(1)]

        def call(self, x):
            x = self.first(x)
            for d in self.rest:
                x = d(x)
            return x

    block = Block()
    out = block(np.ones((2, 5), np.float32))
    assert out.shape == (2, 1)
    assert [tuple(w.shape) for w in block.weights] == [(5, 3), (3,), (3, 2), (2,), (2, 1), (1,)]


def test_training_flag_propagates_from_the_outer_call():
    RecordsTraining.seen = []

    class Outer(keras.layers.Layer):
        def __init__(self):
            super().__init__()
            self.inner = RecordsTraining()

        def call(self, x, training=None):
            return self.inner(x)

    outer = Outer()
    x = np.zeros((1, 2), np.float32)
    outer(x, training=True)
    outer(x, training=False)
    outer(x)
    assert RecordsTraining.seen == [True, False, None]


def test_symbolic_call_infers_shapes_with_unknown_dims():
    x = keras.Input((None, 6))
    y = Linear(5)(x)
    assert y.shape == (None, None, 5)
    flat = keras.layers.Dense(2)(keras.Input((7,)))
    assert flat.shape == (None, 2)


def test_symbolic_inference_does_not_consume_random_numbers():
    unidl.random.seed(5)
    state = unidl.random.get_state()
    keras.layers.Dense(3, kernel_initializer="zeros")(keras.Input((4,)))
    assert unidl.random.get_state() == state


def test_masks_propagate_to_layers_that_take_them():
    seen = {}

    class MakesMask(keras.layers.Layer):
        def call(self, x):
            return x

        def compute_mask(self, inputs, previous_mask=None):
            return ops.not_equal(inputs[..., 0], 0.0)

    class ReadsMask(keras.layers.Layer):
        def call(self, x, mask=None):
            seen["mask"] = mask
            return x

    x = np.array([[[1.0], [0.0], [2.0]]], np.float32)
    ReadsMask()(MakesMask()(x))
    np.testing.assert_array_equal(seen["mask"].numpy(), [[True, False, True]])


def test_config_round_trip_of_custom_layer():
    layer = Linear(7, name="lin", trainable=False)
    again = Linear.from_config(layer.get_config())
    assert (again.units, again.name, again.trainable) == (7, "lin", False)


def test_activity_regularizer_adds_a_loss_per_call():
    layer = keras.layers.Dense(2, activity_regularizer=keras.regularizers.L1(0.1), kernel_initializer="ones",
                               use_bias=False)
    x = np.ones((4, 3), np.float32)
    y = layer(x).numpy()
    (loss,) = layer.losses
    assert float(loss.numpy()) == pytest.approx(0.1 * np.abs(y).sum() / 4)
    layer(x)
    assert len(layer.losses) == 1  # cleared at each outermost call


def test_variable_assign_keeps_identity_and_checks_shape():
    layer = keras.layers.Dense(2)
    layer.build((None, 2))
    k = layer.kernel
    k.assign(np.eye(2, dtype=np.float32))
    assert layer.kernel is k
    np.testing.assert_array_equal(k.numpy(), np.eye(2))
    k.assign_add(np.ones((2, 2), np.float32))
    np.testing.assert_array_equal(k.numpy(), np.eye(2) + 1)
    with pytest.raises(ValueError, match="must match"):
        k.assign(np.zeros((3, 2)))
    assert k.path.endswith("/kernel") and k.trainable
