"""The cached flattened layer/variable lists of ``Layer`` follow every tracking change (layers and
weights added or removed, ``trainable`` flags), and per-call loss bookkeeping (``add_loss``, activity
and weight regularizers) gives the same losses as a walk of the tree. Expected values by hand/NumPy."""
import numpy as np
import pytest

import unidl_keras as keras
from unidl_keras import layers, ops

X = np.ones((2, 3), np.float32)


def test_variables_follow_added_and_removed_layers_and_weights():
    class Block(keras.layers.Layer):
        def __init__(self):
            super().__init__()
            self.a = layers.Dense(2)

        def call(self, x):
            return self.a(x)

    blk = Block()
    blk(X)
    assert len(blk.weights) == 2
    blk.b = layers.Dense(1)
    blk.b.build((None, 3))
    assert len(blk.weights) == 4 and len(blk.trainable_weights) == 4
    extra = blk.add_weight(shape=(1,), initializer="ones", name="extra")
    assert blk.weights[0] is extra  # own variables first, then the sub-layers' (Keras)
    del blk.b
    assert len(blk.weights) == 3
    seq = keras.Sequential([keras.Input((3,)), layers.Dense(4)])
    assert len(seq.weights) == 2
    seq.add(layers.Dense(1))
    assert len(seq.trainable_variables) == 4
    seq.pop()
    assert len(seq.trainable_variables) == 2


def test_trainable_flags_change_trainable_weights():
    inner = layers.Dense(2)
    model = keras.Sequential([keras.Input((3,)), inner, layers.Dense(1)])
    assert len(model.trainable_weights) == 4
    inner.trainable = False
    assert len(model.trainable_weights) == 2 and len(model.non_trainable_weights) == 2
    inner.kernel.trainable = True  # a variable's own flag, set directly
    assert model.trainable_weights[0] is inner.kernel
    model.trainable = False
    assert model.trainable_weights == [] and len(model.non_trainable_weights) == 4


def test_add_loss_is_cleared_each_outer_call_and_summed_into_the_loss():
    class Penalized(keras.layers.Layer):
        def call(self, x):
            self.add_loss(ops.sum(x) * 0.5)
            return x

    p = Penalized()
    model = keras.Sequential([keras.Input((3,)), p, layers.Dense(1, kernel_initializer="zeros")])
    model(X)
    model(X * 2)
    assert len(model.losses) == 1
    assert float(model.losses[0]) == pytest.approx(0.5 * 12.0)
    model.compile("sgd", "mse")
    y = np.zeros((2, 1), np.float32)
    # the zero model predicts 0 = y: the loss is the penalty alone (sum(x) / 2 = 3.0)
    assert model.evaluate(X, y, verbose=0) == pytest.approx(3.0)
    model.fit(X, y, verbose=0, epochs=1)
    assert len(model.losses) == 1


def test_regularizers_add_losses_only_where_set():
    plain = keras.Sequential([keras.Input((3,)), layers.Dense(2), layers.Dense(1)])
    plain(X)
    assert plain.losses == []
    reg = layers.Dense(2, kernel_initializer="ones", kernel_regularizer=keras.regularizers.L2(0.1),
                       activity_regularizer=keras.regularizers.L1(0.01))
    model = keras.Sequential([keras.Input((3,)), reg])
    out = model(X).numpy()
    losses = sorted(float(v) for v in model.losses)
    want = sorted([0.01 * np.abs(out).sum() / 2, 0.1 * 6.0])
    np.testing.assert_allclose(losses, want, rtol=1e-5)
    model(X)
    assert len(model.losses) == 2  # the activity loss of the previous call was cleared
