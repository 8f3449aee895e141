"""With ``unidl.set_default_device`` set (as ``unidl run --device`` does), Keras variables, inputs,
optimizer slots, metrics and outputs are created on that device; checked with cpu and with a second,
NumPy-backed device type registered for the test (ops mixing devices raise, so a stray cpu tensor fails)."""
from __future__ import annotations

import numpy as np
import pytest

import unidl
import unidl_keras as keras
from unidl import devices, plugins

L = keras.layers


@pytest.fixture(params=["cpu", "kerasfakedev"])
def default_dev(request):
    name = request.param
    plugins.ensure_loaded()  # the real device types first, so that only the fake one is added here
    added = False
    if name not in devices.DEVICES.types:
        devices.DEVICES.add(name, xp=np, plugin="tests.keras.test_device")
        added = True
    before = devices.default_device()
    try:
        yield unidl.set_default_device(name)
    finally:
        devices.set_default_device(before)
        if added:
            del devices.DEVICES.types[name]
            devices._reset_instances([name])


def _on(dev, tensors):
    return [getattr(t, "path", repr(t)) for t in tensors if t.device is not dev]


def test_model_training_stays_on_the_default_device(default_dev, tmp_path):
    dev = default_dev
    rng = np.random.default_rng(0)
    x, y = rng.random((16, 4)).astype("float32"), rng.integers(0, 3, 16)
    m = keras.Sequential([keras.Input((4,)), L.Dense(8, activation="relu"), L.BatchNormalization(), L.Dropout(0.2),
                          L.Dense(3)])
    assert _on(dev, m.weights) == []
    m.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    hist = m.fit(x, y, epochs=2, batch_size=8, verbose=0)
    assert np.isfinite(hist.history["loss"]).all()
    assert _on(dev, m.optimizer.variables) == []
    assert _on(dev, [v for met in m.metrics for v in met.variables]) == []
    assert m(x).device is dev
    assert m.predict(x, verbose=0).shape == (16, 3)
    m.save_weights(tmp_path / "w.weights.h5")
    m2 = keras.Sequential([keras.Input((4,)), L.Dense(8, activation="relu"), L.BatchNormalization(), L.Dropout(0.2),
                           L.Dense(3)])
    m2.load_weights(tmp_path / "w.weights.h5")
    assert _on(dev, m2.weights) == []
    np.testing.assert_allclose(m2.predict(x, verbose=0), m.predict(x, verbose=0), rtol=1e-6)


def test_tensors_variables_and_recurrent_layers_follow_the_default_device(default_dev):
    dev = default_dev
    assert keras.ops.convert_to_tensor(np.ones(3)).device is dev
    assert keras.ops.ones((2,)).device is dev and keras.random.normal((2,), seed=1).device is dev
    assert keras.Variable(np.zeros(2)).device is dev
    seq = keras.Sequential([keras.Input((5, 3)), L.LSTM(4, return_sequences=True), L.GRU(2), L.Dense(1)])
    assert seq(np.zeros((2, 5, 3), "float32")).device is dev and _on(dev, seq.weights) == []
    i = keras.Input((6, 4))
    mha = keras.Model(i, L.MultiHeadAttention(2, 2)(i, i, use_causal_mask=True))
    assert mha(np.ones((1, 6, 4), "float32")).device is dev
