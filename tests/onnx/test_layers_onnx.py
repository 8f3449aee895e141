"""Transposed, depthwise, separable and 3-d convolutions, LSTM/GRU (ONNX gate orders) and MultiHeadAttention:
exported from Keras, checked by ONNX Runtime, imported back with bitwise weights."""
from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

import unidl.onnx as uonnx  # noqa: E402
import unidl_keras as keras  # noqa: E402
import unidl_mxnet as mx  # noqa: E402
import unidl_mxnet.onnx as mxonnx  # noqa: E402
from unidl_keras import canonical  # noqa: E402
from unidl_keras._onnx import export_onnx  # noqa: E402
from unidl_mxnet.gluon import nn  # noqa: E402

L = keras.layers

CASES = {
    "conv2d_transpose_valid": ([L.Conv2DTranspose(3, 3, strides=2)], (5, 5, 2)),
    "conv2d_transpose_same": ([L.Conv2DTranspose(3, 3, strides=2, padding="same")], (5, 5, 2)),
    "conv2d_transpose_cf": ([L.Conv2DTranspose(3, 2, strides=2, data_format="channels_first")], (2, 5, 5)),
    "conv1d_transpose_same": ([L.Conv1DTranspose(3, 3, strides=2, padding="same")], (7, 2)),
    "depthwise2d": ([L.DepthwiseConv2D(3, depth_multiplier=2, padding="same")], (6, 6, 3)),
    "separable1d": ([L.SeparableConv1D(4, 3, activation="relu")], (9, 3)),
    "conv3d_cf": ([L.Conv3D(2, 2, data_format="channels_first"), L.MaxPooling3D(2, data_format="channels_first")],
                  (2, 6, 6, 6)),
    "conv1d_dilated_same": ([L.Conv1D(4, 3, dilation_rate=2, padding="same"), L.ZeroPadding1D((1, 2))], (10, 3)),
    "lstm_stack": ([L.LSTM(5, return_sequences=True), L.LSTM(4)], (6, 3)),
    "gru": ([L.GRU(5, return_sequences=True)], (6, 3)),
    "bidirectional_gru": ([L.Bidirectional(L.GRU(5, return_sequences=True))], (6, 3)),
    "bidirectional_lstm": ([L.Bidirectional(L.LSTM(4, return_sequences=True)), L.Dense(2)], (5, 3)),
}


def _canon(model):
    return [a for u in canonical.units(model) for a in u.read().values()]


@pytest.mark.parametrize("name", sorted(CASES))
def test_keras_layer_round_trip(name, tmp_path):
    layers, shape = CASES[name]
    model = keras.Sequential([keras.Input(shape)] + layers)
    path = str(tmp_path / "m.onnx")
    report = export_onnx(model, path)
    assert report.max_diff <= 1e-5
    x = np.random.default_rng(0).standard_normal((3,) + shape).astype("float32")
    s = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    ref = np.asarray(model(x).numpy())
    assert np.max(np.abs(s.run(None, {s.get_inputs()[0].name: x})[0] - ref)) <= 1e-5
    back = uonnx.load(path, face="keras")
    assert np.max(np.abs(np.asarray(back(x).numpy()) - ref)) <= 1e-5
    a, b = _canon(model), _canon(back)
    assert len(a) == len(b) and all(x_.tobytes() == y_.tobytes() for x_, y_ in zip(a, b))


def test_lstm_gate_order_against_numpy(tmp_path):
    """The exported ONNX LSTM (gates i, o, f, c) computes Keras's LSTM (gates i, f, c, o): checked against a
    NumPy LSTM written from the equations, through ONNX Runtime."""
    model = keras.Sequential([keras.Input((4, 2)), L.LSTM(3, return_sequences=True)])
    path = str(tmp_path / "l.onnx")
    export_onnx(model, path)
    k, rk, bias = [np.asarray(v.numpy()).astype("float64") for v in model.weights]
    x = np.random.default_rng(1).standard_normal((2, 4, 2)).astype("float32")
    h = np.zeros((2, 3))
    c = np.zeros((2, 3))
    sig = lambda v: 1 / (1 + np.exp(-v))   # noqa: E731
    ys = []
    for t in range(4):
        z = x[:, t].astype("float64") @ k + h @ rk + bias
        i, f, g, o = np.split(z, 4, axis=1)
        c = sig(f) * c + sig(i) * np.tanh(g)
        h = sig(o) * np.tanh(c)
        ys.append(h)
    s = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    y = s.run(None, {s.get_inputs()[0].name: x})[0]
    assert np.max(np.abs(y - np.stack(ys, 1))) <= 1e-5


def test_multi_head_attention_export_and_keras_import(tmp_path):
    q = keras.Input((5, 8))
    kv = keras.Input((7, 8))
    y = L.MultiHeadAttention(2, 4)(q, kv)
    model = keras.Model([q, kv], L.Dense(3)(y))
    path = str(tmp_path / "mha.onnx")
    assert export_onnx(model, path).max_diff <= 1e-5
    back = uonnx.load(path, face="keras")
    xs = [np.random.default_rng(i).standard_normal((2, n, 8)).astype("float32") for i, n in ((2, 5), (3, 7))]
    assert np.max(np.abs(np.asarray(back(xs).numpy()) - np.asarray(model(xs).numpy()))) <= 1e-5
    assert len(back.trainable_weights) == 10
    net = uonnx.load(path, face="mxnet")
    assert np.max(np.abs(net(*[mx.nd.array(v) for v in xs]).asnumpy() - np.asarray(model(xs).numpy()))) <= 1e-5


def test_gluon_transposed_and_grouped_convs(tmp_path):
    net = nn.HybridSequential()
    net.add(nn.Conv2D(4, 3, groups=2, in_channels=2), nn.Conv2DTranspose(3, 3, strides=2, padding=1,
                                                                           output_padding=1),
            nn.Conv1D(2, 1) if False else nn.Activation("tanh"))
    net.initialize()
    x = np.random.default_rng(2).standard_normal((2, 2, 6, 6)).astype("float32")
    ref = net(mx.nd.array(x)).asnumpy()
    path = str(tmp_path / "g.onnx")
    mxonnx.export_model(net, None, [x.shape], np.float32, path)
    back = uonnx.load(path, face="keras")
    assert np.max(np.abs(np.asarray(back(x).numpy()) - ref)) <= 1e-5
    again = uonnx.load(path, face="mxnet")
    assert np.max(np.abs(again(mx.nd.array(x)).asnumpy() - ref)) <= 1e-5


@pytest.mark.parametrize("name", ["lstm_stack", "bidirectional_gru", "bidirectional_lstm"])
def test_recurrent_keras_to_gluon_and_back_bitwise(name, tmp_path):
    """Keras -> ONNX -> Gluon (MXNet's fused RNN operator, flat parameters) -> ONNX -> Keras: same outputs,
    and the final Keras weights are the original's, bit for bit; the Gluon block fine-tunes."""
    from unidl_mxnet import autograd, gluon

    layers, shape = CASES[name]
    model = keras.Sequential([keras.Input(shape)] + layers)
    p1, p2 = str(tmp_path / "a.onnx"), str(tmp_path / "b.onnx")
    export_onnx(model, p1)
    net = uonnx.load(p1, face="mxnet")
    x = np.random.default_rng(5).standard_normal((2,) + shape).astype("float32")
    ref = np.asarray(model(x).numpy())
    assert np.max(np.abs(net(mx.nd.array(x)).asnumpy() - ref)) <= 1e-5
    mxonnx.export_model(net, None, [x.shape], np.float32, p2)
    back = uonnx.load(p2, face="keras")
    a, b = _canon(model), _canon(back)
    assert len(a) == len(b) and all(u.tobytes() == v.tobytes() for u, v in zip(a, b))
    assert np.max(np.abs(np.asarray(back(x).numpy()) - ref)) <= 1e-5
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.5})
    before = {k: p.data().asnumpy().copy() for k, p in net.collect_params().items()}
    with autograd.record():
        loss = gluon.loss.L2Loss()(net(mx.nd.array(x)), mx.nd.zeros(ref.shape))
    loss.backward()
    trainer.step(2)
    assert any(not np.array_equal(p.data().asnumpy(), before[k]) for k, p in net.collect_params().items()
               if k.endswith("parameters"))


def test_gluon_lstm_to_keras(tmp_path):
    from unidl_mxnet.gluon import rnn

    layer = rnn.LSTM(4, num_layers=2, layout="NTC", bidirectional=True)
    layer.initialize(mx.init.Uniform(0.5))
    x = np.random.default_rng(7).standard_normal((2, 5, 3)).astype("float32")
    ref = layer(mx.nd.array(x)).asnumpy()
    path = str(tmp_path / "g.onnx")
    mxonnx.export_model(layer, None, [x.shape], np.float32, path)
    model = uonnx.load(path, face="keras")
    assert np.max(np.abs(np.asarray(model(x).numpy()) - ref)) <= 1e-5
