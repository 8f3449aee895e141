"""gluon.model_zoo.vision against real MXNet 1.9.1: parameter names and shapes of every architecture
(tests/mxnet/data/model_zoo_params.json) and outputs of small models with fixed weights
(model_zoo_outputs_mxnet191.npz); both made by tests/mxnet/data/model_zoo_make_fixtures.py."""
import hashlib
import json
import os
import re
import sys

import numpy as np
import pytest

import unidl_mxnet as mx
from unidl_mxnet.gluon.model_zoo import model_store, vision

DATA = os.path.join(os.path.dirname(__file__), "..", "data")
sys.path.insert(0, DATA)
from model_zoo_values import det_values  # noqa: E402

with open(os.path.join(DATA, "model_zoo_params.json")) as f:
    TABLE = json.load(f)
FORWARD_224 = ["resnet18_v1", "resnet50_v2", "densenet121", "squeezenet1.1", "mobilenet0.25", "mobilenetv2_0.25"]


def _strip(name):
    # the model's own prefix carries a process-wide counter (resnetv10_, resnetv11_, ...)
    return re.sub(r"^[a-z]+\d+_", "", name, count=1)


@pytest.mark.parametrize("name", sorted(TABLE))
def test_names_and_declared_shapes_match_mxnet(name):
    ref = TABLE[name]
    params = list(vision.get_model(name).collect_params().values())
    assert [_strip(p.name) for p in params] == [_strip(n) for n in ref["names"]]
    for p, full, mask in zip(params, ref["inferred"], ref["deferred"]):
        want = tuple(0 if mask >> d & 1 else s for d, s in enumerate(full))
        assert p.shape == want, p.name


@pytest.mark.parametrize("name", FORWARD_224)
def test_inferred_shapes_after_forward_match_mxnet(name):
    net = vision.get_model(name)
    net.initialize()
    assert net(mx.nd.zeros((1, 3, 224, 224))).shape == (1, 1000)
    got = [list(p.shape) for p in net.collect_params().values()]
    assert got == TABLE[name]["inferred"]


@pytest.mark.parametrize("name", ["resnet18_v1", "resnet18_v2", "mobilenet0.25", "mobilenetv2_0.25"])
def test_outputs_match_mxnet_with_fixed_weights(name):
    ref = np.load(os.path.join(DATA, "model_zoo_outputs_mxnet191.npz"))
    net = vision.get_model(name, classes=10)
    net.initialize()
    x = mx.nd.array(ref["x"])
    net(x)
    for i, p in enumerate(net.collect_params().values()):
        p.set_data(mx.nd.array(det_values(i, p.name, p.shape)))
    np.testing.assert_allclose(net(x).asnumpy(), ref[name], rtol=1e-4, atol=1e-5)


def test_get_model_unknown_name():
    with pytest.raises(ValueError, match="Model resnet7 is not supported. Available options are"):
        vision.get_model("resnet7")
    assert vision.get_model("ResNet18_V1").name.startswith("resnetv1")


def test_pretrained_missing_file_names_file_and_directory(tmp_path):
    with pytest.raises(mx.MXNetError) as e:
        vision.resnet18_v1(pretrained=True, root=str(tmp_path))
    assert "resnet18_v1-a0666292.params" in str(e.value) and str(tmp_path) in str(e.value)
    assert os.listdir(tmp_path) == []  # nothing fetched or written


def test_pretrained_loads_file_with_store_name(tmp_path, monkeypatch):
    src = vision.mobilenet0_25(classes=10)
    src.initialize()
    x = mx.nd.ones((1, 3, 32, 32))
    want = src(x).asnumpy()
    path = tmp_path / "tmp.params"
    src.save_parameters(str(path))
    sha1 = hashlib.sha1(path.read_bytes()).hexdigest()
    monkeypatch.setitem(model_store._MODEL_SHA1, "mobilenet0.25", sha1)
    os.rename(path, tmp_path / f"mobilenet0.25-{sha1[:8]}.params")
    net = vision.get_model("mobilenet0.25", classes=10, pretrained=True, root=str(tmp_path))
    np.testing.assert_array_equal(net(x).asnumpy(), want)
    (tmp_path / f"mobilenet0.25-{sha1[:8]}.params").write_bytes(b"corrupt")
    with pytest.raises(mx.MXNetError, match="SHA-1 does not match"):
        vision.get_model("mobilenet0.25", classes=10, pretrained=True, root=str(tmp_path))


def test_model_zoo_model_exports(tmp_path):
    net = vision.get_model("mobilenetv2_0.25", classes=10)
    net.initialize()
    net.hybridize()
    x = mx.nd.ones((1, 3, 32, 32))
    want = net(x).asnumpy()
    net.export(str(tmp_path / "m"))
    back = mx.gluon.SymbolBlock.imports(str(tmp_path / "m-symbol.json"), ["data"], str(tmp_path / "m-0000.params"))
    np.testing.assert_allclose(back(x).asnumpy(), want, rtol=1e-5, atol=1e-6)
