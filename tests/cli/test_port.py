"""``unidl port SCRIPT``: the Keras/MXNet APIs a script uses, found statically, and which unidl lacks."""
from __future__ import annotations

import json
import textwrap

import pytest

from unidl.cli import main as cli

SCRIPT = """\
import keras as k
from keras import layers as L
from mxnet import gluon, nd
import mxnet as mx
import tensorflow as tf
import mxnet.module
model = k.Sequential([L.Dense(3), L.NoSuchLayer(2)])
net = mx.gluon.nn.Dense(3)
x = nd.array([1, 2]).asnumpy()
y = tf.keras.layers.Conv2D(3, 3)
z = tf.constant(1)
model.fit(x)
def f(L, nd=None):
    return L.Dense, nd.whatever
nd = None
nd.ignored
loss = gluon.loss.L2Loss()
w = L.NoSuchLayer
"""


def _port(tmp_path, capsys, source, *opts):
    path = tmp_path / "script.py"
    path.write_text(textwrap.dedent(source))
    code = cli.main(["port", *opts, str(path)])
    cap = capsys.readouterr()
    return code, cap.out, cap.err


def test_port_table_and_verdict(tmp_path, capsys):
    code, out, _ = _port(tmp_path, capsys, SCRIPT)
    assert code == 1
    rows = {ln.split()[0]: ln.split()[1:] for ln in out.splitlines()[1:-1]}
    assert out.splitlines()[0].split() == ["API", "LINES", "SUPPORTED"]
    assert rows == {
        "keras": ["1", "yes"], "keras.Sequential": ["7", "yes"], "keras.layers": ["2", "yes"],
        "keras.layers.Conv2D": ["10", "yes"], "keras.layers.Dense": ["7", "yes"],
        "keras.layers.NoSuchLayer": ["7,", "18", "no"], "mxnet": ["4", "yes"], "mxnet.gluon": ["3", "yes"],
        "mxnet.gluon.loss.L2Loss": ["17", "yes"], "mxnet.gluon.nn.Dense": ["8", "yes"],
        "mxnet.module": ["6", "no"], "mxnet.nd": ["3", "yes"], "mxnet.nd.array": ["9", "yes"],
        "tensorflow": ["5", "yes"], "tensorflow.constant": ["11", "no"],
    }
    assert out.splitlines()[-1] == ("15 APIs used, 12 supported, 3 not: keras.layers.NoSuchLayer (lines 7, 18), "
                                    "mxnet.module (line 6), tensorflow.constant (line 11)")


def test_port_json(tmp_path, capsys):
    code, out, _ = _port(tmp_path, capsys, SCRIPT, "--json")
    assert code == 1
    data = json.loads(out)
    assert (data["used"], data["supported"]) == (15, 12)
    assert data["unsupported"] == ["keras.layers.NoSuchLayer", "mxnet.module", "tensorflow.constant"]
    by_name = {a["name"]: a for a in data["apis"]}
    assert by_name["keras.layers.NoSuchLayer"] == {"name": "keras.layers.NoSuchLayer", "lines": [7, 18],
                                                   "supported": False}


def test_port_all_supported_exits_zero(tmp_path, capsys):
    code, out, _ = _port(tmp_path, capsys, """
        import numpy as np
        import tf_keras as keras
        from tensorflow.keras.layers import Dense
        from mxnet.gluon import nn
        m = keras.Sequential([Dense(2)])
        net = nn.HybridSequential()
        print(np.zeros(3))
    """)
    assert code == 0
    assert out.splitlines()[-1] == "5 APIs used, 5 supported, 0 not"
    assert "numpy" not in out


def test_port_never_executes_the_script(tmp_path, capsys):
    marker = tmp_path / "ran"
    code, out, _ = _port(tmp_path, capsys, f"open({str(marker)!r}, 'w').close()\nimport keras\n")
    assert code == 0 and not marker.exists()
    assert out.splitlines()[-1] == "1 API used, 1 supported, 0 not"


def test_port_syntax_error_exits_two_with_line(tmp_path, capsys):
    code, out, err = _port(tmp_path, capsys, "import keras\n\nmodel = keras.Sequential(\n")
    assert code == 2 and out == ""
    assert "script.py, line 3: syntax error" in err


def test_port_missing_file_exits_two(tmp_path, capsys):
    assert cli.main(["port", str(tmp_path / "absent.py")]) == 2
    assert "cannot open script" in capsys.readouterr().err


def test_port_reports_stand_ins_and_missing_modules_as_unsupported(tmp_path, capsys, monkeypatch):
    """A stand-in that only raises a "not supported" error (marked ``_unidl_unsupported``) and a module the
    face lacks (keras.distillation) fail at run time: port must not call them supported."""
    import unidl_keras.utils as keras_utils

    def stand_in(*args, **kwargs):
        raise ImportError("not supported")

    stand_in._unidl_unsupported = True
    monkeypatch.setattr(keras_utils, "plot_model", stand_in)
    script = tmp_path / "s.py"
    script.write_text("import keras\nkeras.utils.plot_model(None)\nfrom keras import distillation\n"
                      "keras.layers.RandomFlip('horizontal')\nkeras.utils.timeseries_dataset_from_array\n")
    from unidl.cli import main as cli

    assert cli.main(["port", str(script)]) == 1
    out = capsys.readouterr().out
    assert "keras.utils.plot_model (line 2)" in out and "keras.distillation (line 3)" in out
    assert "RandomFlip (line" not in out.splitlines()[-1] and "timeseries" not in out.splitlines()[-1]
