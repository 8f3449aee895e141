"""Callbacks driven by a tiny fake model (the real trainer lands separately)."""
from __future__ import annotations

import csv
import math

import numpy as np
import pytest
from hypothesis import given, strategies as st

from unidl_keras import callbacks as cb
from unidl_keras import optimizers


class FakeModel:
    """What callbacks touch: weights, stop_training, optimizer.learning_rate, save/save_weights."""

    def __init__(self, lr=0.1):
        self.weights = [np.zeros(2)]
        self.stop_training = False
        self.optimizer = optimizers.SGD(learning_rate=lr)
        self.saved = []

    def get_weights(self):
        return [w.copy() for w in self.weights]

    def set_weights(self, weights):
        self.weights = [np.array(w) for w in weights]

    def save(self, filepath, overwrite=True):
        self.saved.append(("model", filepath))

    def save_weights(self, filepath, overwrite=True):
        self.saved.append(("weights", filepath))


def run_epochs(model, callbacks, losses, key="val_loss", on_epoch=None):
    """Drive fit's epoch hooks; epoch e sets the weights to [e, e] and logs losses[e]. Returns epochs run."""
    cbs = cb.CallbackList(callbacks, add_history=True, model=model, verbose=0, epochs=len(losses), steps=1)
    cbs.on_train_begin()
    ran = 0
    for epoch, loss in enumerate(losses):
        cbs.on_epoch_begin(epoch)
        model.weights = [np.full(2, float(epoch))]
        cbs.on_epoch_end(epoch, {"loss": loss, key: loss})
        ran += 1
        if model.stop_training:
            break
    cbs.on_train_end()
    return ran


def test_history_and_callback_list_params():
    model = FakeModel()
    seen = []
    lam = cb.LambdaCallback(on_epoch_end=lambda e, logs: seen.append((e, dict(logs))))
    cbs = cb.CallbackList([lam], add_history=True, add_progbar=True, model=model, verbose=0, epochs=2, steps=3)
    assert isinstance(cbs.callbacks[-1], cb.ProgbarLogger) and isinstance(cbs.callbacks[-2], cb.History)
    assert lam.params == {"verbose": 0, "epochs": 2, "steps": 3} and lam.model is model
    cbs.on_train_begin()
    cbs.on_epoch_begin(0)
    cbs.on_epoch_end(0, {"loss": np.float32(0.5), "metrics": {"b": 1, "a": 2}})
    cbs.on_train_end()
    assert model.history.history == {"a": [2.0], "b": [1.0], "loss": [0.5]}
    assert model.history.epoch == [0]
    assert seen == [(0, {"a": 2.0, "b": 1.0, "loss": 0.5})]
    assert type(seen[0][1]["loss"]) is float


def test_early_stopping_patience_and_restore(capsys):
    model = FakeModel()
    es = cb.EarlyStopping(patience=2, restore_best_weights=True, verbose=1)
    ran = run_epochs(model, [es], [1.0, 0.5, 0.6, 0.7, 0.2])
    assert ran == 4 and es.stopped_epoch == 3 and es.best_epoch == 1
    np.testing.assert_array_equal(model.weights[0], [1.0, 1.0])
    assert capsys.readouterr().out == ("Epoch 4: early stopping\n"
                                       "Restoring model weights from the end of the best epoch: 2.\n")


def test_early_stopping_min_delta_mode_max_and_start_epoch():
    model = FakeModel()
    es = cb.EarlyStopping(monitor="val_acc", mode="max", min_delta=0.1, patience=1, start_from_epoch=1)
    ran = run_epochs(model, [es], [0.0, 0.5, 0.55, 0.9], key="val_acc")
    assert ran == 3  # 0.55 is not 0.1 better than 0.5


@given(st.lists(st.floats(0, 10, allow_nan=False), min_size=1, max_size=12), st.integers(0, 4))
def test_early_stopping_stops_exactly_after_patience(losses, patience):
    model = FakeModel()
    es = cb.EarlyStopping(monitor="loss", patience=patience)
    ran = run_epochs(model, [es], losses, key="loss")
    # reference: count epochs since the last strict improvement
    best, wait, expect = None, 0, len(losses)
    for e, v in enumerate(losses):
        wait += 1
        if best is None or v < best:
            best, wait = v, 0
        elif wait >= patience and e > 0:
            expect = e + 1
            break
    assert ran == expect


def test_reduce_lr_on_plateau(capsys):
    model = FakeModel(lr=1.0)
    r = cb.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=1, min_lr=0.3, verbose=1, cooldown=1)
    run_epochs(model, [r], [1.0, 1.0, 1.0, 1.0, 1.0, 1.0])
    # epoch 2 (index 1) waits out patience: 1 -> 0.5 and a cooldown of 1 epoch starts; on the next epoch the
    # cooldown ends before the check (Keras's order), so it reduces again: max(0.25, 0.3); then min_lr holds
    assert float(model.optimizer.learning_rate.numpy()) == pytest.approx(0.3)
    out = capsys.readouterr().out
    assert "\nEpoch 2: ReduceLROnPlateau reducing learning rate to 0.5.\n" in out
    assert "\nEpoch 3: ReduceLROnPlateau reducing learning rate to 0.3.\n" in out
    assert out.count("ReduceLROnPlateau") == 2
    assert model.history.history["learning_rate"][:2] == [1.0, 1.0]
    with pytest.raises(ValueError, match="factor >= 1.0"):
        cb.ReduceLROnPlateau(factor=1.0)


def test_learning_rate_scheduler(capsys):
    model = FakeModel(lr=0.1)
    s = cb.LearningRateScheduler(lambda epoch, lr: lr * 0.5 if epoch > 0 else lr, verbose=1)
    run_epochs(model, [s], [1.0, 1.0, 1.0])
    assert float(model.optimizer.learning_rate.numpy()) == pytest.approx(0.025)
    assert model.history.history["learning_rate"] == pytest.approx([0.1, 0.05, 0.025])
    assert "\nEpoch 2: LearningRateScheduler setting learning rate to 0.05" in capsys.readouterr().out
    one_arg = cb.LearningRateScheduler(lambda epoch: 0.01 * (epoch + 1))
    run_epochs(model, [one_arg], [1.0, 1.0])
    assert float(model.optimizer.learning_rate.numpy()) == pytest.approx(0.02)
    bad = cb.LearningRateScheduler(lambda epoch, lr: "x")
    with pytest.raises(ValueError, match="should be a float"):
        run_epochs(model, [bad], [1.0])


def test_csv_logger(tmp_path):
    path = tmp_path / "log.csv"
    model = FakeModel()
    run_epochs(model, [cb.CSVLogger(path)], [0.5, 0.25], key="acc")
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    assert rows == [["epoch", "acc", "loss", "val_acc", "val_loss"], ["0", "0.5", "0.5", "NA", "NA"],
                    ["1", "0.25", "0.25", "NA", "NA"]]
    run_epochs(model, [cb.CSVLogger(path, separator=";", append=True)], [0.125], key="acc")
    with open(path, newline="") as f:
        lines = f.read().splitlines()
    assert lines[-1] == "0;0.125;0.125;NA;NA" and len(lines) == 4


def test_terminate_on_nan(capsys):
    model = FakeModel()
    cbs = cb.CallbackList([cb.TerminateOnNaN()], model=model, verbose=0, epochs=1, steps=3)
    cbs.on_train_batch_end(0, {"loss": 1.0})
    assert not model.stop_training
    cbs.on_train_batch_end(1, {"loss": float("inf")})
    assert model.stop_training
    assert capsys.readouterr().out == "Batch 1: Invalid loss, terminating training\n"
    with pytest.raises(RuntimeError, match="NaN or Inf loss encountered at batch 2"):
        cb.CallbackList([cb.TerminateOnNaN(raise_error=True)], model=FakeModel()).on_train_batch_end(
            2, {"loss": math.nan})


def test_model_checkpoint_naming_and_best_only(tmp_path, capsys):
    model = FakeModel()
    pattern = str(tmp_path / "ck-{epoch:02d}-{val_loss:.2f}.keras")
    run_epochs(model, [cb.ModelCheckpoint(pattern)], [0.5, 0.25])
    assert model.saved == [("model", str(tmp_path / "ck-01-0.50.keras")), ("model", str(tmp_path / "ck-02-0.25.keras"))]
    model = FakeModel()
    best = cb.ModelCheckpoint(str(tmp_path / "best.weights.h5"), save_best_only=True, save_weights_only=True,
                              verbose=1)
    run_epochs(model, [best], [0.5, 0.7, 0.25])
    assert model.saved == [("weights", str(tmp_path / "best.weights.h5"))] * 2
    out = capsys.readouterr().out
    assert f"\nEpoch 1: val_loss improved from None to 0.50000, saving model to {tmp_path}/best.weights.h5\n" in out
    assert "\nEpoch 2: val_loss did not improve from 0.50000\n" in out
    assert "\nEpoch 3: val_loss improved from 0.50000 to 0.25000" in out


def test_model_checkpoint_path_checks():
    with pytest.raises(ValueError, match="must end in `.weights.h5`"):
        cb.ModelCheckpoint("w.h5", save_weights_only=True)
    with pytest.raises(ValueError, match="must end in `.keras`"):
        cb.ModelCheckpoint("model.ckpt")
    with pytest.raises(ValueError, match="Unrecognized save_freq"):
        cb.ModelCheckpoint("m.keras", save_freq="batch")


def test_model_checkpoint_save_freq_batches(tmp_path):
    model = FakeModel()
    ck = cb.ModelCheckpoint(str(tmp_path / "m-{epoch}-{batch}.keras"), save_freq=2)
    cbs = cb.CallbackList([ck], model=model, verbose=0, epochs=1, steps=4)
    cbs.on_epoch_begin(0)
    for b in range(4):
        cbs.on_train_batch_end(b, {"loss": 1.0})
    assert [p for _, p in model.saved] == [str(tmp_path / "m-1-2.keras"), str(tmp_path / "m-1-4.keras")]


def test_auto_mode_needs_known_direction():
    model = FakeModel()
    with pytest.raises(ValueError, match="isn't able to automatically determine"):
        run_epochs(model, [cb.EarlyStopping(monitor="val_weird")], [1.0], key="val_weird")
    es = cb.EarlyStopping(monitor="val_accuracy", patience=0)
    assert run_epochs(model, [es], [0.5, 0.6, 0.4], key="val_accuracy") == 3 and es.stopped_epoch == 2
