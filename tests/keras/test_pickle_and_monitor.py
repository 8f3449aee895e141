"""Pickling Variables and models (as Keras 3 allows), and EarlyStopping's mode='auto' reading the metric's
direction (``monitor='mse'``); expected behaviour checked against real Keras 3.15.1 on the same script."""
from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest

import unidl_keras as keras


def test_variable_pickles_with_value_and_settings():
    v = keras.Variable(np.arange(6, dtype="float32").reshape(2, 3), name="w", trainable=False)
    w = pickle.loads(pickle.dumps(v))
    assert isinstance(w, keras.Variable) and w is not v
    np.testing.assert_array_equal(w.numpy(), np.arange(6, dtype="float32").reshape(2, 3))
    assert (w.name, w.path, w.trainable, str(w.dtype)) == ("w", v.path, False, "float32")
    w.assign(np.zeros((2, 3), "float32"))
    assert v.numpy()[1, 2] == 5.0  # independent copies


def test_model_pickles_through_a_keras_archive():
    keras.utils.set_random_seed(1)
    m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(4, activation="relu"), keras.layers.Dense(1)])
    m.compile(keras.optimizers.SGD(0.1), "mse", metrics=["mae"])
    x = np.linspace(-1, 1, 24, dtype="float32").reshape(8, 3)
    m.fit(x, x[:, :1], epochs=1, verbose=0)
    m2 = pickle.loads(pickle.dumps(m))
    assert type(m2) is type(m) and m2 is not m
    np.testing.assert_array_equal(m2.predict(x, verbose=0), m.predict(x, verbose=0))
    assert m2.compiled and m2.loss == "mse" and isinstance(m2.optimizer, keras.optimizers.SGD)
    m3 = copy.deepcopy(m)
    np.testing.assert_array_equal(m3.predict(x, verbose=0), m.predict(x, verbose=0))


def test_pickled_variable_refuses_a_non_numeric_value():
    from unidl_keras.backend.variable import _unpickle_variable

    with pytest.raises(TypeError, match="numeric NumPy array"):
        _unpickle_variable(np.array(["a"], dtype=object), "float32", True, "w", "w", "none", "auto")


def _diverging_fit(monitor, metrics):
    keras.utils.set_random_seed(0)
    x = np.linspace(-1, 1, 32, dtype="float32").reshape(16, 2)
    y = (x.sum(1, keepdims=True) * 3).astype("float32")
    m = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1, kernel_initializer="ones")])
    m.compile(keras.optimizers.SGD(3.0), "mse", metrics=metrics)  # diverges: the error grows each epoch
    cb = keras.callbacks.EarlyStopping(monitor=monitor, patience=0)
    h = m.fit(x, y, epochs=6, verbose=0, batch_size=16, callbacks=[cb], validation_data=(x, y))
    return len(h.history["loss"]), cb.stopped_epoch


@pytest.mark.parametrize("monitor, metrics", [("mse", ["mse"]), ("mean_absolute_error", ["mean_absolute_error"]),
                                              ("val_mse", ["mse"])])
def test_early_stopping_auto_mode_minimises_error_metrics(monitor, metrics):
    assert _diverging_fit(monitor, metrics) == (2, 1)  # real Keras: 2 epochs, stopped at epoch 1


@pytest.mark.parametrize("metric, maximised", [("accuracy", True), ("auc", True), ("mse", False)])
def test_metric_direction_as_keras(metric, maximised):
    m = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)])
    m.compile("sgd", "mse", metrics=[metric])
    m.fit(np.ones((4, 2), "float32"), np.ones((4, 1), "float32"), epochs=1, verbose=0)
    cb = keras.callbacks.EarlyStopping(monitor=metric)
    cb.set_model(m)
    cb._set_monitor_op()
    assert cb._is_improvement(2.0, 1.0) is maximised


def test_single_output_compile_accepts_one_entry_lists():
    """loss=['mse'], metrics=[['mae']], loss_weights=[2.0] on a one-output model; real Keras 3.15.1 logs
    loss [2.18, 0.84478] and mae [0.875, 0.556] for this fit."""
    m = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1, kernel_initializer="ones")])
    m.compile(keras.optimizers.SGD(0.1), loss=["mse"], metrics=[["mae"]], loss_weights=[2.0])
    x = np.arange(16, dtype="float32").reshape(8, 2) / 10
    h = m.fit(x, np.ones((8, 1), "float32"), epochs=2, verbose=0, batch_size=8)
    assert sorted(h.history) == ["loss", "mae"]
    np.testing.assert_allclose(h.history["loss"], [2.18, 0.84478], rtol=1e-5)
    np.testing.assert_allclose(h.history["mae"], [0.875, 0.556], rtol=1e-5)
