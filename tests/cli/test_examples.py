"""Every script in ``examples/`` runs unmodified under ``unidl run`` and ``unidl port`` finds nothing missing."""
from __future__ import annotations

import os
import pathlib
import re
import subprocess
import sys

import pytest

from unidl.cli import main as cli

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples"

#: example -> a regex its output must match (the result line it prints)
EXPECTED = {
    "keras_mnist_mlp.py": r"Test accuracy: ([0-9.]+)",
    "keras_mnist_convnet.py": r"Test accuracy: ([0-9.]+)",
    "keras_lstm_text_classifier.py": r"Test accuracy: ([0-9.]+)",
    "gluon_lenet_training_loop.py": r"Epoch 2: .*test acc ([0-9.]+)",
    "gluon_linear_regression_from_scratch.py": r"learned b: \[\s*([0-9.]+)\]",
    "gluon_logistic_regression_iter.py": r"Validation accuracy: ([0-9.]+)\s*$",
    "gluon_ctc_sequence_recognition.py": r"Sequence accuracy: ([0-9.]+)",
    "keras_timeseries_weather_forecasting.py": r"Validation MSE: ([0-9.]+)",
    "keras_vision_transformer.py": r"Test accuracy: ([0-9.]+)%",
}


def test_every_example_is_listed():
    assert sorted(p.name for p in EXAMPLES.glob("*.py")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_runs_under_unidl_run(name, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("UNIDL_")}
    env["KERAS_HOME"] = str(tmp_path)  # no cached datasets: the offline fallback path is what is tested
    proc = subprocess.run([sys.executable, "-m", "unidl", "run", str(EXAMPLES / name)], capture_output=True,
                          text=True, env=env, cwd=tmp_path, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    m = re.search(EXPECTED[name], proc.stdout)
    assert m, proc.stdout[-2000:]
    value = float(m.group(1))
    if name.startswith("gluon_linear"):
        assert abs(value - 4.2) < 0.05  # the bias the data was generated with
    elif name == "keras_timeseries_weather_forecasting.py":
        assert value < 0.5  # normalised target: predicting the mean gives ~1
    elif name == "gluon_logistic_regression_iter.py":
        assert value > 0.9  # always guessing the majority class (sum <= 3) scores about 0.83
    elif name == "keras_vision_transformer.py":
        assert value > 50  # a percentage; chance is 10 (synthetic) or 1 (CIFAR-100)
    else:
        assert value > 0.5  # learned something on data a chance guess gets ~0.1 (0.5 for the binary one)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_uses_only_supported_apis(name, capsys):
    assert cli.main(["port", str(EXAMPLES / name)]) == 0, capsys.readouterr().out
