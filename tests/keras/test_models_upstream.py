"""Keras 3.15.1 behaviours of models, training and saving found through Keras's own tests
(models/, trainers/, saving/): symbolic scope, legacy .h5 full-model files, model API details.
Expected values come from real Keras 3.15.1 (torch backend) or are derived with NumPy."""
import numpy as np
import pytest

import unidl_keras as keras
from unidl_keras.backend.symbolic_scope import SymbolicScope, in_symbolic_scope


def test_symbolic_scope_flags_the_symbolic_stage():
    def fn(y, y_pred):
        if in_symbolic_scope():
            return keras.ops.zeros_like(y)
        return keras.ops.add(y, y_pred)

    y = keras.ops.ones((2,))
    with SymbolicScope():
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(fn(y, y)), [0.0, 0.0])
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(fn(y, y)), [2.0, 2.0])
    assert keras.SymbolicScope is SymbolicScope and keras.backend.in_symbolic_scope() is False


def test_shape_inference_runs_in_symbolic_scope():
    seen = []

    class Probe(keras.layers.Layer):
        def call(self, x):
            seen.append(in_symbolic_scope())
            return x * 2

    layer = Probe()
    out = layer(keras.Input((3,)))
    assert tuple(out.shape) == (None, 3) and seen and all(seen)
    seen.clear()
    layer(np.ones((1, 3), "float32"))
    assert seen == [False]
