"""gluon.SymbolBlock: graphs and parameters exported by real MXNet 1.9.1 (tests/mxnet/data/export_*, made by
export_make_fixtures.py) run here with MXNet's outputs; errors name the operator, node or parameter."""
import json
import os

import numpy as np
import pytest

import unidl_mxnet as mx
from unidl_mxnet import autograd, gluon, nd

DATA = os.path.join(os.path.dirname(__file__), "..", "data")


def _fixture(name):
    return os.path.join(DATA, f"export_{name}-symbol.json"), os.path.join(DATA, f"export_{name}-0000.params")


@pytest.mark.parametrize("name,inputs", [("cnn", ["data"]), ("mlp", ["data0", "data1"])])
def test_imports_mxnet_export_matches_mxnet_outputs(name, inputs):
    sym_file, params_file = _fixture(name)
    net = gluon.SymbolBlock.imports(sym_file, inputs, params_file)
    io = np.load(os.path.join(DATA, f"export_{name}_io.npz"))
    outs = net(*[nd.array(io[f"x{i}"]) for i in range(len(inputs))])
    outs = outs if isinstance(outs, list) else [outs]
    assert len(outs) == len([k for k in io.files if k.startswith("y")])
    for i, o in enumerate(outs):
        np.testing.assert_allclose(o.asnumpy(), io[f"y{i}"], rtol=1e-5, atol=1e-5)


def test_parameters_named_as_variables_and_aux_not_trained():
    sym_file, params_file = _fixture("cnn")
    net = gluon.SymbolBlock.imports(sym_file, "data", params_file)
    params = net.collect_params()
    assert "hybridsequential0_conv0_weight" in params
    assert params["hybridsequential0_batchnorm0_running_mean"].grad_req == "null"
    ref = nd.load(params_file)
    np.testing.assert_array_equal(params["hybridsequential0_dense1_weight"].data().asnumpy(),
                                  ref["arg:hybridsequential0_dense1_weight"].asnumpy())
    x = nd.ones((2, 2, 8, 8))
    with autograd.record():
        loss = net(x).sum()
    loss.backward()
    assert np.abs(params["hybridsequential0_conv0_weight"].grad().asnumpy()).sum() > 0


def test_missing_and_extra_parameters(tmp_path):
    sym_file, params_file = _fixture("mlp")
    ref = nd.load(params_file)
    part = dict(list(ref.items())[1:])
    nd.save(str(tmp_path / "part.params"), part)
    with pytest.raises(AssertionError, match="Parameter 'mlp0_dense0_weight' is missing in file"):
        gluon.SymbolBlock.imports(sym_file, ["data0", "data1"], str(tmp_path / "part.params"))
    extra = dict(ref, **{"arg:stray": nd.ones((1,))})
    nd.save(str(tmp_path / "extra.params"), extra)
    with pytest.raises(AssertionError, match="Parameter 'stray' loaded from file"):
        gluon.SymbolBlock.imports(sym_file, ["data0", "data1"], str(tmp_path / "extra.params"))
    net = gluon.SymbolBlock.imports(sym_file, ["data0", "data1"], str(tmp_path / "extra.params"), ignore_extra=True)
    assert "stray" not in net.collect_params()


def test_unsupported_operator_names_op_and_node(tmp_path):
    g = {"nodes": [{"op": "null", "name": "data", "inputs": []},
                   {"op": "ROIPooling", "name": "roi0", "attrs": {"pooled_size": "(2, 2)"}, "inputs": [[0, 0, 0]]}],
         "arg_nodes": [0], "node_row_ptr": [0, 1, 2], "heads": [[1, 0, 0]],
         "attrs": {"mxnet_version": ["int", 10901]}}
    (tmp_path / "g-symbol.json").write_text(json.dumps(g))
    with pytest.raises(mx.MXNetError, match="operator 'ROIPooling' \\(node 'roi0'\\) is not supported"):
        gluon.SymbolBlock.imports(str(tmp_path / "g-symbol.json"), ["data"])


def test_malformed_json_is_a_clear_error(tmp_path):
    (tmp_path / "bad-symbol.json").write_text('{"nodes": [{"op": "null", "name": "a", "inputs": [[5, 0, 0]]}], '
                                               '"heads": [[0, 0, 0]]}')
    with pytest.raises(mx.MXNetError, match="bad input entry"):
        mx.sym.load(str(tmp_path / "bad-symbol.json"))
    (tmp_path / "nojson-symbol.json").write_text("__import__('os')")
    with pytest.raises(mx.MXNetError, match="not a valid symbol JSON"):
        mx.sym.load(str(tmp_path / "nojson-symbol.json"))


def test_symbol_block_from_symbols_infers_shapes_and_extracts_features():
    data = mx.sym.var("data")
    h = mx.sym.Convolution(data, kernel=(3, 3), num_filter=4, pad=(1, 1), name="c1")
    h = mx.sym.BatchNorm(h, fix_gamma=False, name="bn1")
    h = mx.sym.relu(h)
    h = mx.sym.Pooling(h, kernel=(2, 2), stride=(2, 2), pool_type="avg", name="p1")
    out = mx.sym.FullyConnected(h, num_hidden=3, name="fc")
    net = gluon.SymbolBlock(out, data)
    net.initialize()
    x = nd.array(np.random.RandomState(0).normal(size=(2, 1, 4, 4)).astype("float32"))
    y = net(x)
    p = {k: v.data().asnumpy() for k, v in net.collect_params().items()}
    assert p["c1_weight"].shape == (4, 1, 3, 3) and p["fc_weight"].shape == (3, 16)
    # independent NumPy reference (inference: BatchNorm uses running stats)
    xp = np.pad(x.asnumpy(), ((0, 0), (0, 0), (1, 1), (1, 1)))
    conv = np.zeros((2, 4, 4, 4), np.float64)
    for i in range(4):
        for j in range(4):
            conv[:, :, i, j] = np.einsum("nchw,ochw->no", xp[:, :, i:i + 3, j:j + 3], p["c1_weight"])
    conv += p["c1_bias"][None, :, None, None]
    bn = (conv - p["bn1_moving_mean"][None, :, None, None]) / np.sqrt(p["bn1_moving_var"][None, :, None, None] + 1e-3)
    bn = bn * p["bn1_gamma"][None, :, None, None] + p["bn1_beta"][None, :, None, None]
    pooled = np.maximum(bn, 0).reshape(2, 4, 2, 2, 2, 2).mean(axis=(3, 5))
    want = pooled.reshape(2, -1) @ p["fc_weight"].T + p["fc_bias"]
    np.testing.assert_allclose(y.asnumpy(), want, rtol=1e-5, atol=1e-5)
    feat = gluon.SymbolBlock(out.get_internals()["bn1_output"], data, params=net.collect_params())
    np.testing.assert_allclose(feat(x).asnumpy(), bn, rtol=1e-5, atol=1e-5)
