"""HybridBlock.export against real MXNet 1.9.1: the same models as tests/mxnet/data/export_make_fixtures.py,
built here, must export a byte-identical -symbol.json and a .params with MXNet's arg:/aux: names and order."""
import json
import os
import sys
import warnings

import numpy as np
import pytest

import unidl_mxnet as mx
from unidl_mxnet import autograd, gluon, nd
from unidl_mxnet.gluon import nn

DATA = os.path.join(os.path.dirname(__file__), "..", "data")
sys.path.insert(0, DATA)
from export_models import MODELS  # noqa: E402


def _run(net, inputs):
    net.initialize(mx.init.Xavier())
    net.hybridize()
    with autograd.record():
        net(*inputs)
    out = net(*inputs)
    return out if isinstance(out, (list, tuple)) else [out]


@pytest.mark.parametrize("name", list(MODELS))
def test_export_matches_mxnet(tmp_path, name):
    net, inputs = MODELS[name](mx)
    outs = _run(net, inputs)
    net.export(str(tmp_path / name), epoch=3)
    with open(os.path.join(DATA, f"export_{name}-symbol.json")) as f:
        ref_text = f.read()
    text = (tmp_path / f"{name}-symbol.json").read_text()
    assert json.loads(text) == json.loads(ref_text)  # same nodes, names, attrs, inputs
    assert text == ref_text  # and dmlc's layout, byte for byte
    ours = nd.load(str(tmp_path / f"{name}-0003.params"))
    ref = nd.load(os.path.join(DATA, f"export_{name}-0000.params"))
    assert list(ours) == list(ref)
    params = {p.name: p for p in net.collect_params().values()}
    for k, v in ours.items():
        assert v.shape == ref[k].shape
        np.testing.assert_array_equal(v.asnumpy(), params[k[4:]].data().asnumpy())
    # round trip through SymbolBlock gives the block's own outputs
    back = gluon.SymbolBlock.imports(str(tmp_path / f"{name}-symbol.json"),
                                     ["data"] if len(inputs) == 1 else ["data0", "data1"],
                                     str(tmp_path / f"{name}-0003.params"))
    got = back(*inputs)
    got = got if isinstance(got, list) else [got]
    for g, o in zip(got, outs):
        np.testing.assert_allclose(g.asnumpy(), o.asnumpy(), rtol=1e-6, atol=1e-7)


def test_export_needs_hybridize_and_a_forward(tmp_path):
    net = nn.Dense(2, in_units=3)
    net.initialize()
    net(nd.ones((1, 3)))
    msg = "Please first call block.hybridize() and then run forward with this block at least once"
    with pytest.raises(RuntimeError, match=msg.replace("(", r"\(").replace(")", r"\)")):
        net.export(str(tmp_path / "d"))
    net.hybridize()
    with pytest.raises(RuntimeError, match="run forward"):
        net.export(str(tmp_path / "d"))
    assert not os.listdir(tmp_path)
    net(nd.ones((1, 3)))
    net.export(str(tmp_path / "d"))
    assert sorted(os.listdir(tmp_path)) == ["d-0000.params", "d-symbol.json"]
    g = json.loads((tmp_path / "d-symbol.json").read_text())
    # shapes known before the first hybridized call are recorded in full
    assert g["nodes"][1]["attrs"]["__shape__"] == "(2, 3)"
    assert g["attrs"] == {"mxnet_version": ["int", 10901]}


def test_export_block_whose_hybrid_forward_bypasses_F_is_a_clear_error(tmp_path):
    class Raw(gluon.HybridBlock):
        def hybrid_forward(self, F, x):
            return nd.relu(x)  # not F: cannot be traced

    net = Raw()
    net.hybridize()
    net(nd.ones((1, 2)))
    with pytest.raises(Exception, match="Raw|relu|Symbol"):
        net.export(str(tmp_path / "r"))


def test_shared_parameter_is_one_variable_and_unused_warns(tmp_path):
    class Tied(gluon.HybridBlock):
        def __init__(self, **kw):
            super().__init__(**kw)
            with self.name_scope():
                self.a = nn.Dense(3, in_units=3)
                self.b = nn.Dense(3, in_units=3, params=self.a.collect_params())
                self.unused = nn.Dense(2, in_units=3)

        def hybrid_forward(self, F, x):
            return self.b(self.a(x))

    net = Tied(prefix="tied_")
    net.initialize()
    net.hybridize()
    net(nd.ones((1, 3)))
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        net.export(str(tmp_path / "t"))
    assert any("tied_dense2_weight" in str(x.message) for x in w)
    g = json.loads((tmp_path / "t-symbol.json").read_text())
    names = [n["name"] for n in g["nodes"]]
    assert names.count("tied_dense0_weight") == 1 and "tied_dense2_weight" not in names
    assert list(nd.load(str(tmp_path / "t-0000.params"))) == ["arg:tied_dense0_weight", "arg:tied_dense0_bias"]


def test_symbol_api_builds_mxnet_graphs():
    x = mx.sym.var("data")
    fc = mx.sym.FullyConnected(x, num_hidden=4, name="fc1")
    bn = mx.sym.BatchNorm(fc, name="bn")
    out = mx.sym.Activation(bn, act_type="relu", name="act")
    assert out.list_arguments() == ["data", "fc1_weight", "fc1_bias", "bn_gamma", "bn_beta"]
    assert out.list_auxiliary_states() == ["bn_moving_mean", "bn_moving_var"]
    assert out.get_internals().list_outputs()[-2:] == ["bn_output", "act_output"]
    g = json.loads(out.tojson())
    assert g["nodes"][-2]["inputs"][-2:] == [[6, 0, 1], [7, 0, 1]]  # aux inputs carry version 1
    assert g["node_row_ptr"][-1] == 12  # BatchNorm counts 3 outputs
    again = mx.sym.load_json(out.tojson())
    assert again.tojson() == out.tojson()
    assert (x * 2).name.startswith("_mulscalar") and (2 - x).name.startswith("_rminusscalar")
