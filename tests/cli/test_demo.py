"""``unidl demo``: trains the digits CNN in both frontends, reports bitwise identity, saves native files."""
from __future__ import annotations

import re

import numpy as np
import pytest

from unidl import plugins
from unidl.cli import demo
from unidl.cli.main import main
from unidl.io import mxnet_params


def _numpy_cnn(p, x):
    """The demo CNN computed by hand from the .params arrays: conv 3x3 valid + ReLU, max pool 2, dense."""
    w, b, dw, db = p["0.weight"], p["0.bias"], p["3.weight"], p["3.bias"]
    n, o = x.shape[0], w.shape[0]
    conv = np.zeros((n, o, 6, 6), np.float64)
    for i in range(3):
        for j in range(3):
            conv += np.einsum("nchw,oc->nohw", x[:, :, i:i + 6, j:j + 6].astype(np.float64), w[:, :, i, j])
    conv = np.maximum(conv + b[None, :, None, None], 0)
    pooled = conv.reshape(n, o, 3, 2, 3, 2).max(axis=(3, 5))
    return pooled.reshape(n, -1) @ dw.T.astype(np.float64) + db


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "out"
    import contextlib
    import io

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        rc = main(["demo", "--epochs", "1", "--out", str(out)])
    return rc, buf.getvalue(), out


def test_demo_trains_both_and_reports_bitwise_identity(demo_run):
    rc, text, _ = demo_run
    assert rc == 0, text
    accs = {fw: float(a) for fw, a in re.findall(r"(Keras|Gluon) test accuracy: ([0-9.]+)", text)}
    assert set(accs) == {"Keras", "Gluon"}
    assert accs["Keras"] > 0.5 and accs["Gluon"] > 0.5          # chance is 0.1
    assert accs["Keras"] == accs["Gluon"]
    assert "bitwise identical: yes" in text
    assert "45/45" in text and "[gluon] epoch 1/1" in text   # both show progress (Keras: no "Epoch" line for 1)


def test_demo_files_load_back_and_match_a_numpy_forward(demo_run):
    import unidl_keras as keras
    import unidl_mxnet as mx

    rc, _, out = demo_run
    assert rc == 0
    for name in ("digits_cnn.keras", "digits_cnn.weights.h5", "digits_cnn.params"):
        assert (out / name).is_file(), name
    x_all, y_all = demo.load_digits()
    _, _, x, y = demo.split(x_all, y_all)
    x = x[:64]

    model = keras.saving.load_model(str(out / "digits_cnn.keras"))
    yk = np.asarray(model.predict(x, batch_size=32, verbose=0))
    twin = demo.keras_model(keras)
    twin.load_weights(str(out / "digits_cnn.weights.h5"))
    assert np.asarray(twin.predict(x, batch_size=32, verbose=0)).tobytes() == yk.tobytes()

    net = demo.gluon_net(mx)
    net.load_parameters(str(out / "digits_cnn.params"))
    yg = np.concatenate([net(mx.nd.array(x[i:i + 32])).asnumpy() for i in range(0, len(x), 32)])
    assert yg.tobytes() == yk.tobytes()                           # the two trained models are the same

    params = mxnet_params.load(str(out / "digits_cnn.params"))
    assert list(params) == ["0.weight", "0.bias", "3.weight", "3.bias"]
    np.testing.assert_allclose(yk, _numpy_cnn(params, x), rtol=1e-5, atol=1e-5)


def test_demo_rejects_bad_epochs(capsys, tmp_path):
    assert main(["demo", "--epochs", "0", "--out", str(tmp_path)]) == 2
    assert "--epochs must be at least 1" in capsys.readouterr().err


def test_demo_unusable_out_folder_fails_before_training(capsys, tmp_path):
    (tmp_path / "afile").write_text("x")
    assert main(["demo", "--epochs", "1", "--quiet", "--out", str(tmp_path / "afile")]) == 1
    captured = capsys.readouterr()
    assert f"--out {tmp_path / 'afile'}: cannot create the output folder" in captured.err
    assert "Traceback" not in captured.err and "test accuracy" not in captured.out


def test_demo_missing_frontend_is_a_clear_error(monkeypatch, capsys, tmp_path):
    plugins.ensure_loaded()
    monkeypatch.delitem(plugins.FRONTENDS.frontends, "mxnet")
    assert main(["demo", "--epochs", "1", "--out", str(tmp_path / "o"), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "'mxnet' frontend is not registered" in err and "keras" in err
    assert not (tmp_path / "o").exists()


def test_differences_lists_a_parameter_and_the_logits_that_differ():
    import unidl_keras as keras
    import unidl_mxnet as mx
    from unidl.nn.canonical import pair_units, transfer

    keras.utils.set_random_seed(0)
    model, net = demo.keras_model(keras), demo.gluon_net(mx)
    net.initialize()
    x = demo.load_digits()[0][:4]
    net(mx.nd.array(x))
    k_units, g_units = demo.canonical("keras").units, demo.canonical("mxnet").units
    transfer(k_units(model), g_units(net))
    yk = np.asarray(model.predict(x, verbose=0))
    pairs = pair_units(k_units(model), g_units(net))
    assert demo.differences(pairs, yk, demo.gluon_logits(mx, net, x)) == []
    w = net[3].bias
    w.set_data(w.data() + 1e-3)
    diffs = demo.differences(pairs, yk, demo.gluon_logits(mx, net, x))
    assert len(diffs) == 2 and "10 of 10 values differ" in diffs[0] and diffs[1].startswith("test logits")


def test_demo_and_convert_import_no_conformance_module():
    import subprocess
    import sys

    code = ("import sys, io, contextlib; from unidl.cli.main import main\n"
            "buf = io.StringIO()\n"
            "with contextlib.redirect_stdout(buf): rc = main(['demo', '--epochs', '1', '--quiet', '--out', sys.argv[1]])\n"
            "bad = sorted(m for m in sys.modules if m.startswith('unidl_conformance'))\n"
            "print(rc, bad)")
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        out = subprocess.run([sys.executable, "-c", code, d], capture_output=True, text=True, timeout=300)
    assert out.stdout.strip() == "0 []", out.stdout + out.stderr
