"""keras.utils.Progbar and ProgbarLogger output, captured (Keras 3's formats)."""
from __future__ import annotations

import io
import sys

import pytest

from unidl_keras.callbacks import CallbackList
from unidl_keras.utils import progbar as pb
from unidl_keras.utils.progbar import Progbar

BAR = "\u2501"


class _Clock:
    def __init__(self, t=1000.0):
        self.t = t

    def __call__(self):
        return self.t


class _TTY(io.StringIO):
    def isatty(self):
        return True


@pytest.fixture
def clock(monkeypatch):
    c = _Clock()
    monkeypatch.setattr(Progbar, "_clock", staticmethod(c))
    return c


def test_non_terminal_prints_only_final_plain_line(clock, capsys):
    bar = Progbar(4)
    for i in range(1, 5):
        clock.t += 0.003
        bar.update(i, [("loss", 1.0 * i)])
    out = capsys.readouterr().out
    # loss averaged over steps 1..3 (1+2+3)/3 = 2, but the final update sets it as given: 4
    assert out == f"4/4 {BAR * 20} 0s 3ms/step - loss: 4.0000\n"


def test_averaging_of_stateless_values_and_stateful(clock, capsys):
    bar = Progbar(10, stateful_metrics=["acc"], verbose=2)
    clock.t += 0.5
    bar.update(2, [("loss", 1.0), ("acc", 0.25)])
    clock.t += 0.5
    bar.update(4, [("loss", 3.0), ("acc", 0.75)])
    assert bar._values["loss"] == [1.0 * 2 + 3.0 * 2, 4]
    assert bar._values["acc"] == [0.75, 1]
    assert capsys.readouterr().out == ""  # verbose=2: nothing until the end


def test_verbose2_summary_line(clock, capsys):
    bar = Progbar(32, verbose=2)
    for i in range(1, 33):
        clock.t += 0.002
        bar.update(i, [("loss", 0.5), ("accuracy", 0.0001)])
    out = capsys.readouterr().out
    assert out == "32/32 - 0s - 2ms/step - loss: 0.5000 - accuracy: 1.0000e-04\n"


@pytest.mark.parametrize("per_step,text", [(2.0, " 2s/step"), (0.0123, " 12ms/step"), (0.000456, " 456us/step"),
                                           (0.0, " 0s/step")])
def test_time_formats(per_step, text):
    assert pb.format_time(per_step, "step") == text


@pytest.mark.parametrize("eta,text", [(5.7, "5s"), (125, "2:05"), (3725, "1:02:05")])
def test_eta_formats(eta, text):
    assert pb.format_eta(eta) == text


def test_terminal_dynamic_bar_with_ansi_and_eta(clock, monkeypatch):
    out = _TTY()
    monkeypatch.setattr(sys, "stdout", out)
    bar = Progbar(3)
    clock.t += 0.004
    bar.update(1, [("loss", 0.7)])
    first = out.getvalue()
    assert first == (f"\r\x1b[1m1/3\x1b[0m \x1b[32m{BAR * 6}\x1b[0m\x1b[37m{BAR * 14}\x1b[0m "
                     "\x1b[1m0s\x1b[0m 4ms/step - loss: 0.7000")
    clock.t += 0.004
    bar.update(3, [("loss", 0.6)])
    rest = out.getvalue()[len(first):]
    width = len("1/3 ") + 20 + len(" 0s 4ms/step - loss: 0.7000")
    assert rest == ("\b" * width + f"\r\x1b[1m3/3\x1b[0m \x1b[32m{BAR * 20}\x1b[0m\x1b[37m\x1b[0m "
                    "\x1b[1m0s\x1b[0m 2ms/step - loss: 0.6000\n")  # step 1 left out: 4ms over 2 steps


def test_unknown_target(clock, monkeypatch):
    out = _TTY()
    monkeypatch.setattr(sys, "stdout", out)
    bar = Progbar(None)
    clock.t += 2.5
    bar.update(1)
    assert out.getvalue() == "\r      1/Unknown \x1b[1m2s\x1b[0m 2s/step"


class _Model:
    pass


def test_progbar_logger_epochs_through_callback_list(clock, capsys):
    cbs = CallbackList(None, add_history=True, add_progbar=True, model=_Model(), verbose=1, epochs=2, steps=2)
    cbs.on_train_begin()
    for epoch in range(2):
        cbs.on_epoch_begin(epoch)
        for b in range(2):
            clock.t += 0.005
            cbs.on_train_batch_begin(b)
            cbs.on_train_batch_end(b, {"loss": 0.9, "accuracy": 0.5})
        cbs.on_epoch_end(epoch, {"loss": 0.8, "accuracy": 0.5, "val_loss": 0.7})
    cbs.on_train_end()
    line = f"2/2 {BAR * 20} 0s 5ms/step - accuracy: 0.5000 - loss: 0.8000 - val_loss: 0.7000\n"
    assert capsys.readouterr().out == f"Epoch 1/2\n{line}Epoch 2/2\n{line}"


def test_progbar_logger_verbose2_and_predict(clock, capsys):
    cbs = CallbackList(None, add_progbar=True, model=_Model(), verbose=2, epochs=1, steps=None)
    cbs.on_predict_begin()
    for b in range(3):
        clock.t += 0.25
        cbs.on_predict_batch_end(b, {"outputs": None})
    cbs.on_predict_end()
    assert capsys.readouterr().out == "3/3 - 1s - 250ms/step\n"
