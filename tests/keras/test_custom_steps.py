"""Overridden ``train_step`` / ``test_step`` / ``predict_step`` / ``compute_loss`` / ``compute_metrics``, as
Keras 3 calls them (checked against Keras 3.15 with the torch backend), and the PyTorch-style custom
step of keras.io's "Customizing what happens in fit() with PyTorch" (``zero_grad``, ``loss.backward()``,
``v.value.grad``, ``optimizer.apply``) without ``import torch``.

Expected numbers come from NumPy: a Dense(1) from zero weights trained by SGD on MSE, batch by batch.
"""
from __future__ import annotations

import numpy as np
import pytest

import unidl
import unidl_keras as keras
from unidl_keras import layers, ops

X = np.arange(24, dtype=np.float32).reshape(12, 2) / 10.0
Y = (X @ np.array([[0.5], [-1.0]], np.float32) + 0.25).astype(np.float32)
LR = np.float32(0.1)
BATCH = 4


def _numpy_sgd(epochs: int, scale: float = 1.0, sw=None):
    """Per-batch losses (before the update) and final weights of Dense(1) trained by SGD on
    ``scale * mean(sw * (x @ w + b - y) ** 2)``, starting from zeros, batches in order."""
    w, b = np.zeros((2, 1), np.float32), np.zeros((1,), np.float32)
    losses = []
    for _ in range(epochs):
        for i in range(0, len(X), BATCH):
            x, y = X[i:i + BATCH], Y[i:i + BATCH]
            s = np.ones((len(x), 1), np.float32) if sw is None else sw[i:i + BATCH].reshape(-1, 1)
            err = x @ w + b - y
            losses.append(float(scale * np.mean(s * err ** 2)))
            g = (np.float32(2.0 * scale) / err.size) * s * err
            w = w - LR * (x.T @ g).astype(np.float32)
            b = b - LR * g.sum(0).astype(np.float32)
    return losses, w, b


def _dense():
    return layers.Dense(1, kernel_initializer="zeros")


class TorchStyleModel(keras.Model):
    """keras.io's CustomModel for the PyTorch backend, minus ``import torch`` / ``torch.no_grad()``."""

    def train_step(self, data):
        x, y = data
        self.zero_grad()
        y_pred = self(x, training=True)
        loss = self.compute_loss(y=y, y_pred=y_pred)
        loss.backward()
        trainable_weights = [v for v in self.trainable_weights]
        gradients = [v.value.grad for v in trainable_weights]
        self.optimizer.apply(gradients, trainable_weights)
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(loss)
            else:
                metric.update_state(y, y_pred)
        self.returned.append({m.name: m.result() for m in self.metrics})
        return self.returned[-1]


def _torch_style(inputs_shape=(2,)):
    inputs = keras.Input(shape=inputs_shape)
    model = TorchStyleModel(inputs, _dense()(inputs))
    model.returned = []
    return model


def test_keras_io_pytorch_custom_step_trains_and_its_logs_are_what_fit_reports():
    model = _torch_style()
    model.compile(optimizer=keras.optimizers.SGD(LR), loss="mse", metrics=["mae"])
    batches = []
    cb = keras.callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: batches.append(dict(logs)))
    hist = model.fit(X, Y, batch_size=BATCH, epochs=3, shuffle=False, verbose=0, callbacks=[cb])
    ref_losses, w, b = _numpy_sgd(3)
    np.testing.assert_allclose(model.get_weights()[0], w, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(model.get_weights()[1], b, rtol=1e-5, atol=1e-6)
    # the step returns {'loss': ..., 'compile_metrics': {'mae': ...}}; callbacks get it flattened to floats
    assert sorted(model.returned[0]) == ["compile_metrics", "loss"]
    assert [sorted(d) for d in batches] == [["loss", "mae"]] * 9
    assert all(isinstance(v, float) for d in batches for v in d.values())
    per_epoch = [np.mean(ref_losses[e * 3:(e + 1) * 3]) for e in range(3)]
    np.testing.assert_allclose(hist.history["loss"], per_epoch, rtol=1e-5)
    assert hist.history["loss"][2] < hist.history["loss"][0]
    # epoch logs: the keys differ from the metrics' names, so they are the last step's logs
    last = [batches[e * 3 + 2] for e in range(3)]
    assert hist.history["loss"] == [d["loss"] for d in last]
    assert hist.history["mae"] == [d["mae"] for d in last]


def test_low_level_custom_metrics_property_and_no_compiled_loss():
    class Custom(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = _dense()
            self.loss_tracker = keras.metrics.Mean(name="loss")
            self.mae_metric = keras.metrics.MeanAbsoluteError(name="mae")
            self.loss_fn = keras.losses.MeanSquaredError()

        def call(self, x):
            return self.dense(x)

        def train_step(self, data):
            x, y = data
            self.zero_grad()
            y_pred = self(x, training=True)
            loss = self.loss_fn(y, y_pred)
            loss.backward()
            tw = self.trainable_weights
            self.optimizer.apply([v.value.grad for v in tw], tw)
            self.loss_tracker.update_state(loss)
            self.mae_metric.update_state(y, y_pred)
            return {"loss": self.loss_tracker.result(), "mae": self.mae_metric.result()}

        @property
        def metrics(self):
            return [self.loss_tracker, self.mae_metric]

    model = Custom()
    model.compile(optimizer=keras.optimizers.SGD(LR))
    hist = model.fit(X, Y, batch_size=BATCH, epochs=2, shuffle=False, verbose=0)
    ref_losses, w, b = _numpy_sgd(2)
    np.testing.assert_allclose(hist.history["loss"], [np.mean(ref_losses[:3]), np.mean(ref_losses[3:])], rtol=1e-5)
    np.testing.assert_allclose(model.get_weights()[0], w, rtol=1e-5, atol=1e-6)
    assert sorted(hist.history) == ["loss", "mae"]


def test_sample_weight_reaches_the_step_as_a_third_item():
    seen = []

    class Weighted(keras.Model):
        def __init__(self):
            super().__init__()
            self.dense = _dense()

        def call(self, x):
            return self.dense(x)

        def train_step(self, data):
            seen.append(len(data))
            x, y, sample_weight = data
            self.zero_grad()
            y_pred = self(x, training=True)
            loss = self.compute_loss(y=y, y_pred=y_pred, sample_weight=sample_weight)
            loss.backward()
            tw = self.trainable_weights
            self.optimizer.apply([v.value.grad for v in tw], tw)
            self._loss_tracker.update_state(loss)
            return {"loss": self._loss_tracker.result()}

    sw = np.array([1, 0, 2, 1] * 3, np.float32)
    model = Weighted()
    model.compile(keras.optimizers.SGD(LR), "mse")
    model.fit(X, Y, sample_weight=sw, batch_size=BATCH, epochs=1, shuffle=False, verbose=0)
    _, w, _ = _numpy_sgd(1, sw=sw)
    assert seen == [3, 3, 3]
    np.testing.assert_allclose(model.get_weights()[0], w, rtol=1e-5, atol=1e-6)


class _Linear(keras.Model):
    def __init__(self):
        super().__init__()
        self.dense = _dense()

    def call(self, x):
        return self.dense(x)


def test_epoch_logs_are_the_metrics_when_the_step_reports_their_names():
    class SaysZero(_Linear):
        def train_step(self, data):
            super().train_step(data)
            return {"loss": 0.0}

    class SaysOther(_Linear):
        def train_step(self, data):
            super().train_step(data)
            return {"other": 1.5}

    batches = []
    cb = keras.callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: batches.append(dict(logs)))
    a = SaysZero()
    a.compile(keras.optimizers.SGD(LR), "mse")
    ha = a.fit(X, Y, batch_size=BATCH, shuffle=False, verbose=0, callbacks=[cb])
    b = SaysOther()
    b.compile(keras.optimizers.SGD(LR), "mse")
    hb = b.fit(X, Y, batch_size=BATCH, shuffle=False, verbose=0)
    ref_losses, _, _ = _numpy_sgd(1)
    assert batches == [{"loss": 0.0}] * 3  # batch logs: what the step returned
    assert ha.history["loss"] == [pytest.approx(np.mean(ref_losses), rel=1e-5)]  # epoch: the tracker (Keras)
    assert hb.history == {"other": [1.5]}


def test_compute_loss_overrides_old_and_new_signature():
    flags = []

    class Legacy(_Linear):
        def compute_loss(self, x, y, y_pred, sample_weight):
            return ops.mean((y - y_pred) ** 2) * 2.0

    class New(_Linear):
        def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
            flags.append(training)
            return super().compute_loss(x, y, y_pred, sample_weight, training=training)

    legacy = Legacy()
    legacy.compile(keras.optimizers.SGD(LR), "mse")
    h = legacy.fit(X, Y, batch_size=BATCH, shuffle=False, verbose=0)
    ref_losses, w, _ = _numpy_sgd(1, scale=2.0)
    np.testing.assert_allclose(h.history["loss"], [np.mean(ref_losses)], rtol=1e-5)
    np.testing.assert_allclose(legacy.get_weights()[0], w, rtol=1e-5, atol=1e-6)
    new = New()
    new.compile(keras.optimizers.SGD(LR), "mse")
    new.fit(X, Y, batch_size=BATCH, shuffle=False, verbose=0, validation_data=(X, Y))
    assert flags == [True] * 3 + [False] * 3


def test_compute_metrics_override_adds_a_log():
    class Extra(_Linear):
        def __init__(self):
            super().__init__()
            self.count = keras.metrics.Sum(name="seen")

        def compute_metrics(self, x, y, y_pred, sample_weight=None):
            logs = super().compute_metrics(x, y, y_pred, sample_weight)
            self.count.update_state(ops.sum(ops.ones_like(y)))
            logs["seen"] = self.count.result()
            return logs

    m = Extra()
    m.compile(keras.optimizers.SGD(LR), "mse", metrics=["mae"])
    assert m.metrics_names == ["loss", "compile_metrics", "seen"]
    h = m.fit(X, Y, batch_size=BATCH, epochs=2, shuffle=False, verbose=0)
    assert h.history["seen"] == [12.0, 12.0]  # reset_metrics resets the model's own trackers each epoch
    assert sorted(h.history) == ["loss", "mae", "seen"]


def test_test_step_logs_and_evaluate_formats():
    class Stats(_Linear):
        def test_step(self, data):
            x, y = data
            return {"b": ops.mean(y), "a": ops.mean(x)}

    m = Stats()
    m.compile(keras.optimizers.SGD(LR), "mse")
    # keys outside the metrics: the last step's values, sorted by key (Keras's _flatten_metrics_in_order)
    got = m.evaluate(X, Y, batch_size=BATCH, verbose=0)
    np.testing.assert_allclose(got, [X[8:].mean(), Y[8:].mean()], rtol=1e-6)
    d = m.evaluate(X, Y, batch_size=12, verbose=0, return_dict=True)
    assert list(d) == ["a", "b"]
    np.testing.assert_allclose([d["a"], d["b"]], [X.mean(), Y.mean()], rtol=1e-6)
    h = m.fit(X, Y, batch_size=12, shuffle=False, verbose=0, validation_data=(X, Y))
    assert sorted(h.history) == ["loss", "val_a", "val_b"]


def test_predict_step_structure_is_concatenated():
    class Two(_Linear):
        def predict_step(self, data):
            x, _, _ = keras.utils.unpack_x_y_sample_weight(data)
            return {"a": self(x), "b": ops.sum(x, axis=1)}

    m = Two()
    out = m.predict(X[:10], batch_size=4, verbose=0)
    assert isinstance(out["a"], np.ndarray) and out["a"].shape == (10, 1)
    np.testing.assert_allclose(out["b"], X[:10].sum(1), rtol=1e-6)

    class Scalar(_Linear):
        def predict_step(self, data):
            return 3.0

    with pytest.raises(ValueError, match="predict_step"):
        Scalar().predict(X, batch_size=4, verbose=0)


def test_data_given_to_each_step():
    seen = {}

    def shape(data):
        return tuple(None if t is None else type(t).__name__ for t in data)

    class Spy(_Linear):
        def train_step(self, data):
            seen.setdefault("train", []).append(shape(data))
            return super().train_step(data)

        def test_step(self, data):
            seen.setdefault("test", []).append(shape(data))
            return super().test_step(data)

        def predict_step(self, data):
            seen.setdefault("predict", []).append(shape(data))
            return super().predict_step(data)

    m = Spy()
    m.compile(keras.optimizers.SGD(LR), "mse")
    m.fit(X, Y, batch_size=12, verbose=0)
    m.fit(X, Y, sample_weight=np.ones(12, np.float32), batch_size=12, verbose=0)
    m.evaluate(X, Y, batch_size=12, verbose=0)
    m.predict(X, batch_size=12, verbose=0)
    m.train_on_batch(X, Y)
    m.predict_on_batch(X)
    assert seen["train"] == [("Tensor", "Tensor"), ("Tensor", "Tensor", "Tensor"), ("Tensor", "Tensor", None)]
    assert seen["test"] == [("Tensor", "Tensor")]
    assert seen["predict"] == [("Tensor",), ("Tensor",)]


def test_metrics_property_tracks_user_metrics_and_compiled_ones():
    class WithTracker(_Linear):
        def __init__(self):
            super().__init__()
            self.zz = keras.metrics.Mean(name="zz")

    m = WithTracker()
    assert [x.name for x in m.metrics] == ["zz"]
    m.compile(keras.optimizers.SGD(LR), "mse", metrics=["mae"])
    assert m.metrics_names == ["loss", "compile_metrics", "zz"]
    res = m.evaluate(X, Y, verbose=0)
    assert len(res) == 3 and res[2] == 0.0  # [loss, mae, zz], in metrics order
    np.testing.assert_allclose(res[:2], [np.mean(Y ** 2), np.mean(np.abs(Y))], rtol=1e-5)
    assert m.train_on_batch(X, Y, return_dict=True).keys() == {"loss", "mae", "zz"}


def test_multi_output_logs_are_keyed_and_ordered_like_keras():
    inp = keras.Input((2,))
    model = keras.Model(inp, [layers.Dense(1, name="z", kernel_initializer="zeros")(inp),
                              layers.Dense(1, name="a", kernel_initializer="zeros")(inp)])
    model.compile("sgd", ["mse", "mse"], metrics=[["mae", "mae"], ["mse"]])
    d = model.evaluate(X, [Y, 2 * Y], verbose=0, return_dict=True)
    assert sorted(d) == ["a_loss", "a_mse", "loss", "z_loss", "z_mae", "z_mae_1"]
    lst = model.evaluate(X, [Y, 2 * Y], verbose=0)
    # Keras: loss, then the per-output loss trackers, then the prefixed metric keys sorted
    want = [d["loss"], d["z_loss"], d["a_loss"], d["a_mse"], d["z_mae"], d["z_mae_1"]]
    np.testing.assert_allclose(lst, want)
    np.testing.assert_allclose(d["a_mse"], np.mean((2 * Y) ** 2), rtol=1e-5)


def test_zero_grad_and_variable_value_grad():
    layer = layers.Dense(2)
    layer.build((None, 3))
    with unidl.autograd.record():
        loss = ops.sum(layer(np.ones((1, 3), np.float32)))
    loss.backward()
    k, b = layer.trainable_weights
    np.testing.assert_allclose(k.value.grad.numpy(), np.ones((3, 2)))
    layer.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(k.grad.numpy(), np.zeros((3, 2)))
    layer.zero_grad()
    assert k.grad is None and b.value.grad is None


def test_pack_and_unpack_helpers():
    x, y, sw = np.ones(2), np.zeros(2), np.ones(2)
    assert keras.utils.unpack_x_y_sample_weight((x,)) == (x, None, None)
    assert keras.utils.unpack_x_y_sample_weight([x, y])[1] is y
    assert keras.utils.pack_x_y_sample_weight(x, y, sw)[2] is sw
    assert keras.utils.pack_x_y_sample_weight(x) is x
