"""Every conformance twin exported to ONNX from each face and run by ONNX Runtime (checked inside the export:
onnx.checker, then ONNX Runtime vs the model on a probe batch within 1e-5)."""
from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("onnx")
pytest.importorskip("onnxruntime")

import unidl.onnx as uonnx  # noqa: E402
from unidl.onnx import OnnxError  # noqa: E402
import unidl_mxnet as mx  # noqa: E402
import unidl_mxnet.onnx as mxonnx  # noqa: E402
from unidl_conformance.twins.zoo import all_cases  # noqa: E402
from unidl_keras._onnx import export_onnx  # noqa: E402

CASES = {c.name: c for c in all_cases()}
#: twins whose Keras model has no ONNX export (a user's layer exports when its call() uses keras.ops)
KERAS_NO_EXPORT: dict = {}
#: Gluon twins whose traced graph uses operators with no ONNX export yet
GLUON_NO_EXPORT: dict = {}
#: Gluon twins whose ONNX graph has no Keras form
GLUON_NO_KERAS_IMPORT: dict = {}


@pytest.mark.parametrize("name", sorted(CASES))
def test_keras_twin_exports(name, tmp_path):
    if name in KERAS_NO_EXPORT:
        pytest.xfail(KERAS_NO_EXPORT[name])
    report = export_onnx(CASES[name].keras(), str(tmp_path / "k.onnx"))
    assert report.max_diff <= report.bound <= 1e-5 * 1e3
    assert (tmp_path / "k.onnx").exists()
    uonnx.load(str(tmp_path / "k.onnx"), face="mxnet")   # into the other face, checked against ONNX Runtime


@pytest.mark.parametrize("name", sorted(CASES))
def test_gluon_twin_exports(name, tmp_path):
    if name in GLUON_NO_EXPORT:
        pytest.xfail(GLUON_NO_EXPORT[name])
    case = CASES[name]
    x, _ = case.data(np.random.RandomState(0))
    net = case.gluon()
    net.initialize()
    net(mx.nd.array(x[:2]))
    path = str(tmp_path / "g.onnx")
    mxonnx.export_model(net, None, [x[:2].shape], np.float32, path)
    import onnxruntime as ort

    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    (y,) = sess.run(None, {sess.get_inputs()[0].name: x[:2].astype("float32")})
    ref = net(mx.nd.array(x[:2])).asnumpy()
    assert np.max(np.abs(y - ref)) <= 1e-5 * max(1.0, float(np.abs(ref).max()))
    if name in GLUON_NO_KERAS_IMPORT:
        with pytest.raises(OnnxError, match="batch axis"):
            uonnx.load(path, face="keras")
        return
    model = uonnx.load(path, face="keras")                # into the other face
    xk = x[:2].astype("int32") if case.int_inputs else x[:2]
    assert np.max(np.abs(np.asarray(model(xk).numpy()) - ref)) <= 1e-5 * max(1.0, float(np.abs(ref).max()))
