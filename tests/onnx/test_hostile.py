"""Hostile or broken ONNX files give clear errors and never make unidl read files outside the model's folder."""
from __future__ import annotations

import builtins
import os

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

import unidl.onnx as uonnx  # noqa: E402
from unidl.onnx import OnnxError  # noqa: E402
from unidl.onnx.reader import read  # noqa: E402

h = onnx.helper
TP = onnx.TensorProto


def _save(path, nodes, inits, inputs, outputs):
    g = h.make_graph(nodes, "g", inputs, outputs, inits)
    m = h.make_model(g, opset_imports=[h.make_opsetid("", 17)])
    m.ir_version = 8
    with open(path, "wb") as f:
        f.write(m.SerializeToString())
    return str(path)


def _io(n_in=4, n_out=3):
    return ([h.make_tensor_value_info("x", TP.FLOAT, ["N", n_in])],
            [h.make_tensor_value_info("y", TP.FLOAT, ["N", n_out])])


def _gemm(w):
    return [h.make_node("Gemm", ["x", "w"], ["y"], name="fc")], [onnx.numpy_helper.from_array(w, "w")]


def test_a_valid_file_loads(tmp_path):
    nodes, inits = _gemm(np.ones((4, 3), "float32"))
    path = _save(tmp_path / "ok.onnx", nodes, inits, *_io())
    m = uonnx.load(path, face="keras")
    assert np.asarray(m(np.ones((2, 4), "float32")).numpy()).tolist() == [[4.0] * 3] * 2


def test_wrong_weight_shape(tmp_path):
    nodes, inits = _gemm(np.ones((5, 3), "float32"))        # x has 4 features
    path = _save(tmp_path / "bad.onnx", nodes, inits, *_io())
    for face in ("keras", "mxnet"):
        with pytest.raises(OnnxError, match="shapes do not check"):
            uonnx.load(path, face=face)


def test_initializer_holding_fewer_values_than_its_shape(tmp_path):
    t = onnx.numpy_helper.from_array(np.ones((4, 3), "float32"), "w")
    t.raw_data = np.ones(10, "float32").tobytes()
    path = _save(tmp_path / "short.onnx", [h.make_node("Gemm", ["x", "w"], ["y"], name="fc")], [t], *_io())
    with pytest.raises(OnnxError, match=r"initializer 'w' declares shape \(4, 3\) \(12 values\) but holds 10"):
        read(path)


def test_missing_initializer(tmp_path):
    path = _save(tmp_path / "missing.onnx", [h.make_node("Gemm", ["x", "w"], ["y"], name="fc")], [], *_io())
    with pytest.raises(OnnxError, match="node 'fc' \\(Gemm\\) reads 'w', which is not a graph input, an initializer"):
        uonnx.load(path, face="mxnet")


def test_cyclic_graph(tmp_path):
    nodes = [h.make_node("Add", ["x", "c"], ["a"], name="first"),
             h.make_node("Relu", ["a"], ["b"], name="second"),
             h.make_node("Relu", ["b"], ["c"], name="third"),
             h.make_node("Identity", ["b"], ["y"], name="out")]
    x, _ = _io()
    y = [h.make_tensor_value_info("y", TP.FLOAT, ["N", 4])]
    path = _save(tmp_path / "cycle.onnx", nodes, [], x, y)
    with pytest.raises(OnnxError, match="cycle through nodes 'first'.*'second'.*'third'"):
        read(path)


def test_not_an_onnx_file(tmp_path):
    p = tmp_path / "junk.onnx"
    p.write_bytes(b"\x00\xff" * 100)
    with pytest.raises(OnnxError, match="not an ONNX model"):
        read(str(p))


def _external(tmp_path, location, payload_path=None):
    w = np.arange(12, dtype="float32").reshape(4, 3)
    t = onnx.numpy_helper.from_array(w, "w")
    t.ClearField("raw_data")
    t.data_location = TP.EXTERNAL
    for k, v in (("location", location), ("offset", "0"), ("length", str(w.nbytes))):
        e = t.external_data.add()
        e.key, e.value = k, v
    if payload_path is not None:
        with open(payload_path, "wb") as f:
            f.write(w.tobytes())
    model_dir = tmp_path / "model"
    model_dir.mkdir(exist_ok=True)
    return _save(model_dir / "m.onnx", [h.make_node("Gemm", ["x", "w"], ["y"], name="fc")], [t], *_io()), w


@pytest.fixture
def opened(monkeypatch):
    """Every path opened through builtins.open while the test runs."""
    seen = []
    real = builtins.open

    def spy(file, *a, **k):
        seen.append(os.path.realpath(file) if isinstance(file, (str, os.PathLike)) else file)
        return real(file, *a, **k)

    monkeypatch.setattr(builtins, "open", spy)
    return seen


def test_external_data_inside_the_folder_is_read(tmp_path):
    (tmp_path / "model").mkdir()
    path, w = _external(tmp_path, "weights.bin", tmp_path / "model" / "weights.bin")
    m = uonnx.load(path, face="keras")
    assert np.array_equal(np.asarray(m.weights[0].numpy()), w)


@pytest.mark.parametrize("where", ["../secret.bin", "/etc/passwd", "sub/../../secret.bin", "link.bin"])
def test_external_data_outside_the_folder_is_refused_unread(tmp_path, where, opened):
    secret = tmp_path / "secret.bin"
    secret.write_bytes(np.zeros(12, "float32").tobytes())
    (tmp_path / "model").mkdir()
    if where == "link.bin":
        os.symlink(secret, tmp_path / "model" / "link.bin")
    path, _ = _external(tmp_path, where)
    opened.clear()
    with pytest.raises(OnnxError, match="refusing to read it"):
        uonnx.load(path, face="mxnet")
    assert os.path.realpath(secret) not in opened and "/etc/passwd" not in opened
    assert all(p == os.path.realpath(path) for p in opened if isinstance(p, str))


def test_external_data_range_past_the_file_end(tmp_path):
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "w.bin").write_bytes(b"\x00" * 8)
    path, _ = _external(tmp_path, "w.bin")
    with pytest.raises(OnnxError, match="does not fit the file"):
        read(path)


def test_bad_attribute_type_is_refused(tmp_path):
    x, _ = _io()
    y = [h.make_tensor_value_info("y", TP.FLOAT, ["N", 4])]
    node = h.make_node("Softmax", ["x"], ["y"], name="sm", axis="one")   # a string where an int belongs
    path = _save(tmp_path / "attr.onnx", [node], [], x, y)
    with pytest.raises(OnnxError, match="onnx.checker rejects the model"):
        read(path)


def test_graph_output_never_computed(tmp_path):
    x, _ = _io()
    y = [h.make_tensor_value_info("nowhere", TP.FLOAT, ["N", 4])]
    path = _save(tmp_path / "out.onnx", [h.make_node("Relu", ["x"], ["a"], name="r")], [], x, y)
    with pytest.raises(OnnxError, match="graph output 'nowhere' is not computed"):
        read(path)
