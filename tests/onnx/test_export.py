"""ONNX export from both faces, checked independently with onnx.checker and ONNX Runtime."""
from __future__ import annotations

import os

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

import unidl_keras as keras  # noqa: E402
import unidl_mxnet as mx  # noqa: E402
import unidl_mxnet.onnx as mxonnx  # noqa: E402
from unidl.onnx import OnnxError  # noqa: E402
from unidl_mxnet.gluon import nn  # noqa: E402

L = keras.layers


def run_ort(path, *xs):
    sess = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    return sess.run(None, {i.name: x for i, x in zip(sess.get_inputs(), xs)})


def opset(path):
    m = onnx.load(path)
    onnx.checker.check_model(m, full_check=True)
    return {o.domain: o.version for o in m.opset_import}[""]


def keras_convnet():
    inp = keras.Input((10, 10, 3))
    x = L.Conv2D(6, 3, padding="same", activation="relu")(inp)
    x = L.BatchNormalization()(x)
    a = L.MaxPooling2D(2)(x)
    b = L.Conv2D(6, 3, padding="same", data_format="channels_last")(a)
    x = L.Add()([a, b])
    c = L.Permute((3, 1, 2))(x)                                   # to channels_first
    c = L.Conv2D(4, 2, data_format="channels_first", activation="sigmoid")(c)
    c = L.AveragePooling2D(2, data_format="channels_first", padding="same")(c)
    x = L.Concatenate(axis=1)([L.Flatten()(c), L.GlobalAveragePooling2D()(x)])
    x = L.Dropout(0.5)(x)
    x = L.Reshape((2, -1))(x)
    x = L.LayerNormalization()(x)
    x = L.Flatten()(x)
    x = L.Dense(7, activation="tanh")(x)
    return keras.Model(inp, L.Softmax()(L.Dense(3)(x)))


def test_keras_export_convnet_matches_onnxruntime(tmp_path):
    model = keras_convnet()
    path = str(tmp_path / "k.onnx")
    model.export(path, format="onnx", verbose=False)
    assert opset(path) == 17
    x = np.random.default_rng(1).standard_normal((5, 10, 10, 3)).astype("float32")   # batch 5: dynamic batch
    (y,) = run_ort(path, x)
    ref = np.asarray(model(x, training=False).numpy())
    assert y.shape == (5, 3)
    assert np.max(np.abs(y - ref)) <= 1e-5


def test_keras_export_conv1d_embedding_and_opset(tmp_path):
    model = keras.Sequential([keras.Input((12,), dtype="int32"), L.Embedding(30, 8),
                              L.Conv1D(5, 3, padding="causal", activation="relu"), L.MaxPooling1D(2),
                              L.Conv1D(4, 2, data_format="channels_first"), L.GlobalMaxPooling1D(),
                              L.Dense(3, activation="gelu")])
    path = str(tmp_path / "s.onnx")
    model.export(path, format="onnx", opset_version=18, verbose=False)
    assert opset(path) == 18
    x = np.random.default_rng(2).integers(0, 30, (3, 12)).astype("int32")
    (y,) = run_ort(path, x)
    assert np.max(np.abs(y - np.asarray(model(x, training=False).numpy()))) <= 1e-5


class _HostRoundTrip(keras.layers.Layer):
    """A user layer whose call() leaves keras.ops (NumPy on its input): it cannot be traced symbolically."""

    def call(self, x):
        return keras.ops.convert_to_tensor(np.asarray(x) * 2)


def test_keras_export_reports_every_unsupported_layer_and_writes_nothing(tmp_path):
    inner = keras.Input((4,))
    host = _HostRoundTrip(name="host")
    host.compute_output_spec = lambda t: keras.KerasTensor(t.shape, t.dtype)  # lets the graph be built
    model = keras.Model(inner, keras.ops.cumsum(L.Dense(3)(host(inner)), axis=1))
    path = tmp_path / "bad.onnx"
    with pytest.raises(OnnxError) as e:
        model.export(str(path), format="onnx", verbose=False)
    msg = str(e.value)
    assert "_HostRoundTrip 'host': its call() could not be traced" in msg and "keras.ops.cumsum" in msg
    assert not path.exists()


def test_keras_lambda_user_layer_and_ops_export(tmp_path):
    """Lambda layers, a user's Layer subclass and keras.ops calls in a functional graph export (their calls are
    traced on KerasTensors), and the file imports into Gluon with the same outputs."""

    class Scaled(keras.layers.Layer):
        def build(self, input_shape):
            self.w = self.add_weight(shape=(input_shape[-1], 3), initializer="glorot_uniform", name="w")
            self.s = self.add_weight(shape=(3,), initializer="ones", name="s")

        def call(self, x):
            return keras.ops.sigmoid(keras.ops.matmul(x, self.w)) * self.s - 0.5

    inp = keras.Input((4,))
    x = L.Lambda(lambda t: t * 2, name="double")(inp)
    x = Scaled(name="scaled")(x)
    x = keras.ops.maximum(L.Dense(3)(x), keras.ops.tanh(x)) / 3.0
    model = keras.Model(inp, L.Lambda(lambda t: keras.ops.softmax(t + 1.0), name="soft")(x))
    path = str(tmp_path / "ok.onnx")
    model.export(path, format="onnx", verbose=False)
    xs = np.random.RandomState(0).randn(5, 4).astype("float32")
    want = model.predict(xs, verbose=0)
    (got,) = run_ort(path, xs)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
    import unidl.onnx as uonnx

    net = uonnx.load(path, face="mxnet")
    np.testing.assert_allclose(net(mx.nd.array(xs)).asnumpy(), want, rtol=1e-5, atol=1e-6)


def test_failed_verification_writes_nothing(tmp_path, monkeypatch):
    from unidl.onnx import graph

    real = graph.GraphBuilder.dense

    def wrong(self, x, weight, bias, name):
        return real(self, x, weight * 1.5, bias, name)

    monkeypatch.setattr(graph.GraphBuilder, "dense", wrong)
    model = keras.Sequential([keras.Input((4,)), L.Dense(3)])
    path = tmp_path / "m.onnx"
    with pytest.raises(OnnxError, match="differ by"):
        model.export(str(path), format="onnx", verbose=False)
    assert not path.exists() and os.listdir(tmp_path) == []


def test_keras_export_format_errors():
    model = keras.Sequential([keras.Input((4,)), L.Dense(3)])
    with pytest.raises(ValueError, match="Unrecognized format"):
        model.export("x", format="pb")
    with pytest.raises(NotImplementedError):
        model.export("x", format="tf_saved_model")


def gluon_convnet():
    net = nn.HybridSequential()
    net.add(nn.Conv2D(6, 3, padding=1, activation="relu"), nn.BatchNorm(), nn.MaxPool2D(),
            nn.Conv2D(4, 3, strides=2, groups=2), nn.AvgPool2D(2, ceil_mode=True), nn.Flatten(), nn.Dropout(0.5),
            nn.Dense(16, activation="tanh"), nn.LayerNorm(), nn.LeakyReLU(0.1), nn.Dense(5))
    net.initialize()
    net(mx.nd.zeros((2, 3, 12, 12)))
    return net


def test_mxnet_export_model_from_block(tmp_path):
    net = gluon_convnet()
    path = str(tmp_path / "g.onnx")
    assert mxonnx.export_model(net, None, [(2, 3, 12, 12)], np.float32, path, dynamic=True,
                               dynamic_input_shapes=[(None, 3, 12, 12)]) == path
    assert opset(path) == 17
    x = np.random.default_rng(3).standard_normal((4, 3, 12, 12)).astype("float32")
    (y,) = run_ort(path, x)
    assert np.max(np.abs(y - net(mx.nd.array(x)).asnumpy())) <= 1e-5


def test_mxnet_export_model_from_symbol_and_params_files(tmp_path):
    net = gluon_convnet()
    net.hybridize()
    net(mx.nd.zeros((2, 3, 12, 12)))
    prefix = str(tmp_path / "net")
    net.export(prefix)
    path = str(tmp_path / "f.onnx")
    mxonnx.export_model(prefix + "-symbol.json", prefix + "-0000.params", [(2, 3, 12, 12)], np.float32, path)
    x = np.random.default_rng(4).standard_normal((2, 3, 12, 12)).astype("float32")
    (y,) = run_ort(path, x)
    assert np.max(np.abs(y - net(mx.nd.array(x)).asnumpy())) <= 1e-5
    # a Symbol object and a params dict with arg:/aux: names, as MXNet's examples pass them
    sym = mx.sym.load(prefix + "-symbol.json")
    params = mx.nd.load(prefix + "-0000.params")
    path2 = str(tmp_path / "f2.onnx")
    mxonnx.export_model(sym, params, input_shape=[(2, 3, 12, 12)], onnx_file_path=path2)
    (y2,) = run_ort(path2, x)
    assert np.array_equal(y, y2)


def test_mxnet_export_embedding_dense_no_flatten(tmp_path):
    net = nn.HybridSequential()
    net.add(nn.Embedding(30, 8), nn.Dense(4, flatten=False), nn.Activation("softrelu"))
    net.initialize()
    net(mx.nd.zeros((2, 5)))
    path = str(tmp_path / "e.onnx")
    mxonnx.export_model(net, None, [(2, 5)], np.float32, path)
    x = np.random.default_rng(5).integers(0, 30, (2, 5)).astype("float32")
    (y,) = run_ort(path, x)
    assert np.max(np.abs(y - net(mx.nd.array(x)).asnumpy())) <= 1e-5


def test_mxnet_export_unsupported_operator_lists_it(tmp_path):
    data = mx.sym.var("data")
    y = mx.sym.FullyConnected(data, num_hidden=4, name="fc")
    y = mx.sym.Reshape(y, shape=(0, 1, 2, 2), name="r")
    y = mx.sym.InstanceNorm(y, mx.sym.var("in_gamma"), mx.sym.var("in_beta"), name="odd_norm")
    y = mx.sym.GroupNorm(y, mx.sym.var("gn_gamma"), mx.sym.var("gn_beta"), name="odd_group")
    params = {"fc_weight": mx.nd.ones((4, 4)), "fc_bias": mx.nd.zeros((4,)), "in_gamma": mx.nd.ones((1,)),
              "in_beta": mx.nd.zeros((1,)), "gn_gamma": mx.nd.ones((1,)), "gn_beta": mx.nd.zeros((1,))}
    path = tmp_path / "u.onnx"
    with pytest.raises(OnnxError) as e:
        mxonnx.export_model(y, params, [(2, 4)], np.float32, str(path))
    assert "InstanceNorm (node 'odd_norm')" in str(e.value) and "GroupNorm (node 'odd_group')" in str(e.value)
    assert not path.exists()


def test_mxnet_reshape_special_codes_export_with_fixed_shapes(tmp_path):
    data = mx.sym.var("data")
    y = mx.sym.Reshape(mx.sym.FullyConnected(data, num_hidden=6, name="fc"), shape=(-3,), name="merge")
    params = {"fc_weight": mx.nd.array(np.arange(24, dtype="float32").reshape(6, 4)), "fc_bias": mx.nd.zeros((6,))}
    path = str(tmp_path / "r.onnx")
    mxonnx.export_model(y, params, [(2, 4)], np.float32, path)
    x = np.ones((2, 4), "float32")
    assert run_ort(path, x)[0].shape == (12,)
    with pytest.raises(OnnxError, match="dynamic"):
        mxonnx.export_model(y, params, [(2, 4)], np.float32, str(tmp_path / "d.onnx"), dynamic=True)


def test_gluon_recurrent_layers_export_with_onnx_gate_orders(tmp_path):
    from unidl_mxnet.gluon import rnn

    for layer in (rnn.LSTM(5, num_layers=2, layout="NTC", bidirectional=True), rnn.GRU(4, layout="TNC")):
        layer.initialize(mx.init.Uniform(0.5))
        x = np.random.default_rng(6).standard_normal((3, 6, 2)).astype("float32")
        ref = layer(mx.nd.array(x)).asnumpy()
        path = str(tmp_path / "rnn.onnx")
        mxonnx.export_model(layer, None, [x.shape], np.float32, path)
        (y,) = run_ort(path, x)
        assert np.max(np.abs(y - ref)) <= 1e-5


def test_keras_multi_output_and_input_signature(tmp_path):
    a = keras.Input((4,), name="a")
    b = keras.Input((3,), name="b")
    h = L.Concatenate()([L.Dense(5, activation="relu")(a), b])
    model = keras.Model([a, b], [L.Dense(2)(h), L.Dense(1, activation="sigmoid")(h)])
    path = str(tmp_path / "two.onnx")
    sig = [keras.KerasTensor((None, 4), dtype="float32"), keras.KerasTensor((None, 3), dtype="float32")]
    model.export(path, format="onnx", input_signature=sig, verbose=False)
    xs = [np.random.default_rng(8).standard_normal((6, n)).astype("float32") for n in (4, 3)]
    ys = run_ort(path, *xs)
    refs = [np.asarray(r.numpy()) for r in model(xs)]
    assert [y.shape for y in ys] == [(6, 2), (6, 1)]
    assert all(np.max(np.abs(y - r)) <= 1e-5 for y, r in zip(ys, refs))
    assert "FullyConnected" in mxonnx.get_operator_support()
    with pytest.raises(ValueError, match="input_signature has 1 entries"):
        model.export(str(tmp_path / "x.onnx"), format="onnx", input_signature=sig[:1], verbose=False)
