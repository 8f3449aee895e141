"""``Variable.path`` follows Keras 3's name scopes (fixture: data/name_scope_paths.json from real Keras)."""
from __future__ import annotations

import importlib.util
import json
import os

import numpy as np
import pytest

import unidl_keras as keras

_DATA = os.path.join(os.path.dirname(__file__), "data")


def _collect():
    spec = importlib.util.spec_from_file_location("_make_name_scope_paths",
                                                  os.path.join(_DATA, "make_name_scope_paths.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.collect(keras)


_GOT = None


def _got():
    global _GOT
    if _GOT is None:
        _GOT = _collect()
    return _GOT


with open(os.path.join(_DATA, "name_scope_paths.json")) as _f:
    _EXPECTED = json.load(_f)["paths"]


@pytest.mark.parametrize("case", sorted(_EXPECTED))
def test_paths_match_real_keras(case):
    assert _got()[case] == _EXPECTED[case]


def test_name_scope_rejects_slash_and_nests():
    with pytest.raises(ValueError, match="cannot contain character `/`"):
        keras.name_scope("a/b")
    with keras.name_scope("a"):
        with keras.name_scope("b"):
            v = keras.Variable(np.zeros(2), name="v")
        w = keras.Variable(np.zeros(2), name="w")
    assert (v.path, w.path) == ("a/b/v", "a/w")
    assert keras.Variable(np.zeros(2), name="x").path == "x"  # the stack is empty again


def test_scope_closed_after_error_in_call():
    class Boom(keras.layers.Layer):
        def call(self, x):
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        Boom()(np.zeros((1, 2), "float32"))
    assert keras.Variable(np.zeros(2), name="after").path == "after"


def test_optimizer_slot_names_and_weights_roundtrip(tmp_path):
    keras.backend.clear_session()
    m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    m.compile(keras.optimizers.Adam(), "mse")
    m.fit(np.ones((4, 3), "float32"), np.zeros((4, 2), "float32"), verbose=0)
    assert [v.name for v in m.optimizer.variables][2:4] == ["sequential_dense_kernel_momentum",
                                                             "sequential_dense_kernel_velocity"]
    m.save_weights(tmp_path / "m.weights.h5")
    keras.backend.clear_session()
    m2 = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, name="other")])
    m2.load_weights(tmp_path / "m.weights.h5")  # structural, not by path
    for a, b in zip(m.weights, m2.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
