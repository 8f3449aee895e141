"""``unidl convert`` to and from ONNX."""
from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

import unidl_keras as keras  # noqa: E402
import unidl_mxnet as mx  # noqa: E402
from unidl.cli.main import main  # noqa: E402
from unidl_mxnet import gluon  # noqa: E402
from unidl_mxnet.gluon import nn  # noqa: E402

L = keras.layers


def _ort(path, x):
    s = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return s.run(None, {s.get_inputs()[0].name: x})[0]


def test_keras_to_onnx_to_keras(tmp_path, capsys):
    model = keras.Sequential([keras.Input((8, 8, 2)), L.Conv2D(4, 3, activation="relu"), L.MaxPooling2D(2),
                              L.Flatten(), L.Dense(3)])
    model.save(str(tmp_path / "m.keras"))
    assert main(["convert", str(tmp_path / "m.keras"), str(tmp_path / "m.onnx")]) == 0
    assert "max |diff|" in capsys.readouterr().out
    x = np.random.default_rng(0).standard_normal((5, 8, 8, 2)).astype("float32")
    ref = np.asarray(model(x).numpy())
    assert np.max(np.abs(_ort(tmp_path / "m.onnx", x) - ref)) <= 1e-5
    assert main(["convert", str(tmp_path / "m.onnx"), str(tmp_path / "back.keras")]) == 0
    back = keras.saving.load_model(str(tmp_path / "back.keras"))
    assert np.max(np.abs(np.asarray(back(x).numpy()) - ref)) <= 1e-5


def test_mxnet_export_to_onnx_to_symbol_block(tmp_path, capsys):
    net = nn.HybridSequential()
    net.add(nn.Conv2D(4, 3, activation="relu"), nn.BatchNorm(), nn.Flatten(), nn.Dense(3))
    net.initialize()
    net.hybridize()
    x = np.random.default_rng(1).standard_normal((2, 2, 6, 6)).astype("float32")
    ref = net(mx.nd.array(x)).asnumpy()
    net.export(str(tmp_path / "net"))
    sym, params, out = str(tmp_path / "net-symbol.json"), str(tmp_path / "net-0000.params"), str(tmp_path / "n.onnx")
    assert main(["convert", sym, params, out]) == 2
    assert "--input-shape" in capsys.readouterr().err
    assert main(["convert", sym, params, out, "--input-shape", "2,2,6,6"]) == 0
    assert np.max(np.abs(_ort(out, np.concatenate([x, x])) [:2] - ref)) <= 1e-5   # batch 4: symbolic batch
    assert main(["convert", out, str(tmp_path / "imp-symbol.json")]) == 0
    blk = gluon.SymbolBlock.imports(str(tmp_path / "imp-symbol.json"), ["data"], str(tmp_path / "imp-0000.params"))
    assert np.max(np.abs(blk(mx.nd.array(x)).asnumpy() - ref)) <= 1e-5


def test_onnx_cli_failures_write_nothing(tmp_path, capsys):
    (tmp_path / "junk.onnx").write_bytes(b"not onnx")
    assert main(["convert", str(tmp_path / "junk.onnx"), str(tmp_path / "o.keras")]) == 1
    assert "not an ONNX model" in capsys.readouterr().err
    assert main(["convert", str(tmp_path / "none.keras"), str(tmp_path / "o.onnx")]) == 1
    assert "no such file" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["junk.onnx"]
