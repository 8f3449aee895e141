"""What ``fit`` does per batch: logs only when read, a lazily fed progress bar, Functional's precomputed plan.

Expected values come from NumPy hand computations (a linear model trained by SGD on MSE) or from the
eager ``Progbar.update`` sequence the lazy path must reproduce character for character.
"""
from __future__ import annotations

import io
import sys

import numpy as np
import pytest

import unidl_keras as keras
from unidl_keras.utils.progbar import Progbar

X = np.arange(24, dtype=np.float32).reshape(12, 2) / 10.0
Y = (X @ np.array([[0.5], [-1.0]], np.float32) + 0.25).astype(np.float32)
LR = 0.1
BATCH = 4


def _numpy_sgd_mse(epochs: int):
    """Per-batch losses (before each update) of Dense(1) from zero weights, SGD on MSE, in float32."""
    w = np.zeros((2, 1), np.float32)
    b = np.zeros((1,), np.float32)
    losses = []
    for _ in range(epochs):
        for i in range(0, len(X), BATCH):
            x, y = X[i:i + BATCH], Y[i:i + BATCH]
            err = x @ w + b - y
            losses.append(float(np.mean(err ** 2)))
            g = (2.0 / err.size) * err
            w = w - np.float32(LR) * (x.T @ g).astype(np.float32)
            b = b - np.float32(LR) * g.sum(0).astype(np.float32)
    return losses


def _model():
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1, kernel_initializer="zeros")])
    model.compile(optimizer=keras.optimizers.SGD(LR), loss="mse")
    return model


def test_metrics_read_once_per_epoch_when_no_callback_reads_batch_logs():
    model = _model()
    calls = []
    tracker = model._loss_tracker
    real = tracker.result
    tracker.result = lambda: calls.append(1) or real()
    hist = model.fit(X, Y, batch_size=BATCH, epochs=2, shuffle=False, verbose=0)
    assert len(calls) == 2  # one read per epoch end, none per batch
    ref = _numpy_sgd_mse(2)
    per_epoch = len(X) // BATCH
    want = [np.mean(ref[e * per_epoch:(e + 1) * per_epoch]) for e in range(2)]
    np.testing.assert_allclose(hist.history["loss"], want, rtol=1e-5)


def test_batch_callbacks_still_get_running_logs():
    seen, seen_k2 = [], []

    class Rec(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append(dict(logs))

    k2 = keras.callbacks.LambdaCallback(on_batch_end=lambda batch, logs: seen_k2.append(logs["loss"]))
    model = _model()
    model.fit(X, Y, batch_size=BATCH, epochs=1, shuffle=False, verbose=0, callbacks=[Rec(), k2])
    ref = _numpy_sgd_mse(1)
    running = [np.mean(ref[:i + 1]) for i in range(len(ref))]
    assert [sorted(d) for d in seen] == [["loss"]] * len(ref)
    assert all(isinstance(d["loss"], float) for d in seen)
    np.testing.assert_allclose([d["loss"] for d in seen], running, rtol=1e-5)
    np.testing.assert_allclose(seen_k2, running, rtol=1e-5)


def test_evaluate_reads_metrics_at_the_end_and_reports_them():
    model = _model()
    model.fit(X, Y, batch_size=BATCH, epochs=1, shuffle=False, verbose=0)
    w, b = (v.numpy() for v in model.weights)
    want = float(np.mean((X @ w + b - Y) ** 2))
    assert model.evaluate(X, Y, batch_size=BATCH, verbose=0) == pytest.approx(want, rel=1e-5)
    assert model.evaluate(X, Y, batch_size=BATCH, verbose=0, return_dict=True) == {
        "loss": pytest.approx(want, rel=1e-5)}


class _TTY(io.StringIO):
    def isatty(self):
        return True


@pytest.mark.parametrize("tty", [True, False])
def test_lazy_progbar_prints_what_the_eager_one_prints(monkeypatch, tty):
    """Same steps, clock and values: ``_update_lazy`` must print exactly what ``update`` prints, and read
    the values only on the first update and when the bar redraws."""
    ticks = [0.0, 0.01, 0.02, 0.07, 0.08, 0.2, 0.21, 0.215, 0.3, 0.31]  # some steps inside the 0.05 s interval
    outs = []
    reads = []
    for lazy in (False, True):
        t = iter([100.0] + [100.0 + d for d in ticks] * 2)
        monkeypatch.setattr(Progbar, "_clock", staticmethod(lambda: next(t)))
        stream = _TTY() if tty else io.StringIO()
        monkeypatch.setattr(sys, "stdout", stream)
        bar = Progbar(len(ticks), stateless_metrics=set())
        for step in range(1, len(ticks)):
            vals = [("b", 0.5 / step), ("a", float(step))]
            if lazy:
                bar._update_lazy(step, lambda vals=vals, step=step: reads.append(step) or vals)
            else:
                bar.update(step, vals, finalize=False)
        bar.update(len(ticks), [("b", 0.01), ("a", 99.0)], finalize=True)
        outs.append(stream.getvalue())
        monkeypatch.setattr(sys, "stdout", sys.__stdout__)
    assert outs[0] == outs[1]
    assert "a: 99.0000" in outs[1]
    assert reads[0] == 1
    if tty:
        assert 1 < len(reads) < len(ticks) - 1  # redraws read the values, steps inside the interval do not
    else:
        assert reads == [1]


def test_functional_plan_matches_layer_by_layer_calls():
    a, b = keras.Input((3,), name="a"), keras.Input((3,), name="b")
    shared = keras.layers.Dense(3, activation="relu")
    ha, hb = shared(a), shared(b)
    s = keras.layers.Add()([ha, hb])
    drop = keras.layers.Dropout(0.5)(s, training=False)
    out = keras.layers.Dense(2)(drop)
    model = keras.Model({"a": a, "b": b}, {"out": out, "sum": s})
    rng = np.random.default_rng(0)
    xa, xb = rng.standard_normal((4, 3)).astype(np.float32), rng.standard_normal((4, 3)).astype(np.float32)
    for _ in range(2):  # the second call runs the cached plan
        got = model({"a": xa, "b": xb}, training=True)
        w1, b1 = (v.numpy() for v in shared.weights)
        w2, b2 = (v.numpy() for v in model.layers[-1].weights)
        want_s = np.maximum(xa @ w1 + b1, 0) + np.maximum(xb @ w1 + b1, 0)
        np.testing.assert_allclose(got["sum"].numpy(), want_s, rtol=1e-6)
        np.testing.assert_allclose(got["out"].numpy(), want_s @ w2 + b2, rtol=1e-5)
