"""The Gluon model zoo's 8 vision families (none recurrent) export to ONNX and run in ONNX Runtime with the
MXNet model's outputs (the export checks it; here ONNX Runtime is also run on the written file)."""
from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

import unidl_mxnet as mx  # noqa: E402
import unidl_mxnet.onnx as mxonnx  # noqa: E402
from unidl_mxnet.gluon.model_zoo import vision  # noqa: E402

SMALL = (1, 3, 64, 64)
FULL = (1, 3, 224, 224)
NETS = [("resnet18_v1", SMALL), ("resnet18_v2", SMALL), ("mobilenet0.25", SMALL), ("mobilenetv2_0.25", SMALL),
        ("squeezenet1.1", FULL),
        pytest.param("densenet121", FULL, marks=pytest.mark.slow),
        pytest.param("alexnet", FULL, marks=pytest.mark.slow),
        pytest.param("vgg11", FULL, marks=pytest.mark.slow)]


@pytest.mark.parametrize("name,shape", NETS)
def test_model_zoo_net_exports(name, shape, tmp_path):
    net = vision.get_model(name, classes=10)
    net.initialize(mx.init.Xavier())
    x = np.random.default_rng(0).standard_normal(shape).astype("float32")
    ref = net(mx.nd.array(x)).asnumpy()
    path = str(tmp_path / "zoo.onnx")
    mxonnx.export_model(net, None, [shape], np.float32, path)
    s = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    y = s.run(None, {s.get_inputs()[0].name: x})[0]
    assert y.shape == ref.shape
    assert np.max(np.abs(y - ref)) <= 1e-5 * max(1.0, float(np.abs(ref).max()))
