"""Write name_scope_paths.json: the ``Variable.path``s real Keras 3 gives in several model kinds.

Run with real Keras (``KERAS_BACKEND=torch /tmp/kvenv/bin/python tests/keras/data/make_name_scope_paths.py``);
tests/keras/test_name_scope.py runs the same ``collect`` on unidl_keras and compares.
"""
from __future__ import annotations

import json
import os

import numpy as np


def collect(keras) -> dict:
    """{case: [paths]} for each case, each built after ``clear_session`` (so auto-names restart)."""
    layers, clear = keras.layers, keras.backend.clear_session
    out: dict = {}

    def rec(tag, vs):
        out[tag] = [v.path for v in vs]

    clear()
    m = keras.Sequential([keras.Input((3,)), layers.Dense(4), layers.Dense(2)])
    rec("seq", m.weights)
    out["seq_layer_paths"] = [lay.path for lay in m.layers] + [m.path]
    clear()
    m = keras.Sequential([layers.Dense(4)])
    m(np.zeros((1, 3), "float32"))
    rec("seq_lazy", m.weights)
    clear()
    i = keras.Input((3,))
    rec("functional", keras.Model(i, layers.Dense(2)(layers.Dense(4)(i))).weights)
    clear()
    rec("bidir", keras.Sequential([keras.Input((5, 3)), layers.Bidirectional(layers.LSTM(2))]).weights)
    clear()
    i = keras.Input((5, 3))
    rec("mha", keras.Model(i, layers.MultiHeadAttention(2, 4)(i, i)).weights[:2])
    clear()
    i = keras.Input((5, 3))
    rec("td", keras.Model(i, layers.TimeDistributed(layers.Dense(2))(i)).weights)
    clear()
    d = layers.Dense(2)
    out["unbuilt_path"] = [d.path]
    d.build((None, 3))
    rec("standalone", d.weights)

    class Sub(keras.Model):
        def __init__(self):
            super().__init__()
            self.d1 = layers.Dense(4)

        def call(self, x):
            return self.d1(x)

    clear()
    s = Sub()
    s(np.zeros((1, 3), "float32"))
    rec("subclass", s.weights)

    class Blk(layers.Layer):
        def __init__(self, **kw):
            super().__init__(**kw)
            self.w0 = self.add_weight((2,), name="w0")

        def build(self, shape):
            self.w = self.add_weight((3,), name="w")

        def call(self, x):
            return x + self.w

    clear()
    rec("custom", keras.Sequential([keras.Input((3,)), Blk()]).weights)
    clear()
    d = layers.Dense(2)
    keras.Sequential([keras.Input((3,)), d])
    rec("shared_second_model", keras.Sequential([keras.Input((3,)), d]).weights)
    clear()
    m = keras.Sequential([keras.Input((3,)), layers.Dense(2)])
    opt = keras.optimizers.SGD(momentum=0.9)
    m.compile(opt, "mse")
    m.fit(np.zeros((4, 3)), np.zeros((4, 2)), verbose=0)
    rec("sgd", opt.variables)
    clear()
    with keras.name_scope("outer"):
        v = keras.Variable(1.0, name="foo")
        d = layers.Dense(2)
        d.build((None, 3))
    rec("scoped", [v] + d.weights)
    out["scoped_layer"] = [d.path]
    return out


if __name__ == "__main__":
    import keras

    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "name_scope_paths.json"), "w") as f:
        json.dump({"keras_version": keras.__version__, "paths": collect(keras)}, f, indent=1, sort_keys=True)
