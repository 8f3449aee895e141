"""ONNX import into either face: round trips Keras -> ONNX -> Gluon and Gluon -> ONNX -> Keras, with bitwise weights
and fine-tuning, and unsupported ops listed in one error."""
from __future__ import annotations

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

import unidl.onnx as uonnx  # noqa: E402
import unidl_keras as keras  # noqa: E402
import unidl_mxnet as mx  # noqa: E402
import unidl_mxnet.onnx as mxonnx  # noqa: E402
from unidl.onnx import OnnxError  # noqa: E402
from unidl_mxnet import autograd, gluon  # noqa: E402
from unidl_mxnet.gluon import nn  # noqa: E402

L = keras.layers


def _keras_arrays(model):
    """A Keras model's weights in the core's canonical layouts (conv (O, I, *K), dense (in, out))."""
    from unidl_keras import canonical

    return [a for u in canonical.units(model) for a in u.read().values()]


def _gluon_arrays(net):
    """A Gluon block's parameters as MXNet shows them (conv (O, I, *K) = canonical; dense (out, in))."""
    return [p.data().asnumpy() for p in net.collect_params().values()]


def _bitwise_multiset(src, dst):
    """Every source weight appears in the destination byte for byte, as it is or (2-d) transposed — the only
    layout change between the faces' views — and nothing else is there."""
    left = list(dst)
    for a in src:
        for i, b in enumerate(left):
            for cand in (b, b.T if b.ndim == 2 else None):
                if cand is not None and cand.shape == a.shape and cand.dtype == a.dtype and \
                        np.ascontiguousarray(cand).tobytes() == np.ascontiguousarray(a).tobytes():
                    break
            else:
                continue
            left.pop(i)
            break
        else:
            raise AssertionError(f"weight of shape {a.shape} has no bitwise equal in the imported model")
    assert left == [], f"{len(left)} extra weights in the imported model"


def keras_model():
    inp = keras.Input((3, 10, 10))
    x = L.Conv2D(6, 3, padding="same", data_format="channels_first", activation="relu")(inp)
    x = L.BatchNormalization(axis=1)(x)
    x = L.MaxPooling2D(2, data_format="channels_first")(x)
    y = L.Conv2D(6, 1, data_format="channels_first")(x)
    x = L.Add()([x, y])
    x = L.Flatten()(x)
    x = L.Dense(12, activation="tanh")(x)
    x = L.LayerNormalization()(x)
    return keras.Model(inp, L.Dense(4)(x))


def gluon_net():
    net = nn.HybridSequential()
    net.add(nn.Conv2D(6, 3, padding=1, activation="relu"), nn.BatchNorm(), nn.MaxPool2D(),
            nn.Conv2D(4, 3), nn.GlobalAvgPool2D(), nn.Flatten(), nn.Dense(16, activation="sigmoid"),
            nn.LayerNorm(), nn.Dense(5))
    net.initialize(mx.init.Xavier())
    net(mx.nd.zeros((2, 3, 10, 10)))
    # non-trivial running statistics
    for p in net.collect_params().values():
        if p.name.endswith(("running_mean", "running_var")):
            p.set_data(mx.nd.array(np.random.default_rng(0).uniform(0.5, 1.5, p.shape).astype("float32")))
    return net


def test_keras_to_onnx_to_gluon(tmp_path):
    model = keras_model()
    path = str(tmp_path / "k.onnx")
    model.export(path, format="onnx", verbose=False)
    net = uonnx.load(path, face="mxnet")
    x = np.random.default_rng(1).standard_normal((4, 3, 10, 10)).astype("float32")
    ref = np.asarray(model(x, training=False).numpy())
    got = net(mx.nd.array(x)).asnumpy()
    assert np.max(np.abs(got - ref)) <= 1e-5
    _bitwise_multiset(_keras_arrays(model), _gluon_arrays(net))
    # fine-tune the imported block
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1})
    before = {k: p.data().asnumpy().copy() for k, p in net.collect_params().items()}
    loss_fn = gluon.loss.L2Loss()
    target = mx.nd.array(np.zeros((4, 4), "float32"))
    losses = []
    for _ in range(3):
        with autograd.record():
            loss = loss_fn(net(mx.nd.array(x)), target)
        loss.backward()
        trainer.step(4)
        losses.append(float(loss.mean().asscalar()))
    assert losses[-1] < losses[0]
    changed = [k for k, p in net.collect_params().items() if not np.array_equal(p.data().asnumpy(), before[k])]
    assert any(k.endswith("weight") for k in changed)


def test_gluon_to_onnx_to_keras(tmp_path):
    net = gluon_net()
    path = str(tmp_path / "g.onnx")
    mxonnx.export_model(net, None, [(2, 3, 10, 10)], np.float32, path, dynamic=True,
                        dynamic_input_shapes=[(None, 3, 10, 10)])
    model = uonnx.load(path, face="keras")
    x = np.random.default_rng(2).standard_normal((4, 3, 10, 10)).astype("float32")
    ref = net(mx.nd.array(x)).asnumpy()
    got = np.asarray(model(x, training=False).numpy())
    assert np.max(np.abs(got - ref)) <= 1e-5
    _bitwise_multiset(_gluon_arrays(net), _keras_arrays(model))
    # fine-tune the imported Keras model
    model.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    k0 = [np.asarray(v.numpy()).copy() for v in model.trainable_weights]
    hist = model.fit(x, np.zeros((4, 5), "float32"), epochs=3, batch_size=4, verbose=0)
    assert hist.history["loss"][-1] < hist.history["loss"][0]
    assert any(not np.array_equal(a, np.asarray(v.numpy())) for a, v in zip(k0, model.trainable_weights))
    # and it saves as a .keras archive that loads back
    model.save(str(tmp_path / "m.keras"))
    back = keras.saving.load_model(str(tmp_path / "m.keras"))
    assert np.array_equal(np.asarray(back(x).numpy()), np.asarray(model(x).numpy()))


def test_gluon_to_onnx_to_gluon_and_keras_to_onnx_to_keras(tmp_path):
    net = gluon_net()
    p1 = str(tmp_path / "g.onnx")
    mxonnx.export_model(net, None, [(2, 3, 10, 10)], np.float32, p1)
    back = mxonnx.import_to_gluon(p1)
    x = np.random.default_rng(3).standard_normal((2, 3, 10, 10)).astype("float32")
    assert np.max(np.abs(back(mx.nd.array(x)).asnumpy() - net(mx.nd.array(x)).asnumpy())) <= 1e-5
    _bitwise_multiset(_gluon_arrays(net), _gluon_arrays(back))
    sym, args, aux = mxonnx.import_model(p1)
    assert len(args) + len(aux) == len(net.collect_params())
    model = keras_model()
    p2 = str(tmp_path / "k.onnx")
    model.export(p2, format="onnx", verbose=False)
    again = uonnx.load(p2, face="keras")
    _bitwise_multiset(_keras_arrays(model), _keras_arrays(again))


def test_embedding_model_round_trip(tmp_path):
    model = keras.Sequential([keras.Input((7,), dtype="int32"), L.Embedding(20, 6), L.Flatten(),
                              L.Dense(3, activation="gelu")])
    path = str(tmp_path / "e.onnx")
    model.export(path, format="onnx", verbose=False)
    net = uonnx.load(path, face="mxnet")
    ids = np.random.default_rng(4).integers(0, 20, (3, 7))
    ref = np.asarray(model(ids.astype("int32")).numpy())
    assert np.max(np.abs(net(mx.nd.array(ids.astype("float32"))).asnumpy() - ref)) <= 1e-5
    k2 = uonnx.load(path, face="keras")
    assert np.max(np.abs(np.asarray(k2(ids.astype("int32")).numpy()) - ref)) <= 1e-5


def _model(nodes, inits, inputs, outputs, opset=17):
    h = onnx.helper
    g = h.make_graph(nodes, "g", inputs, outputs, inits)
    m = h.make_model(g, opset_imports=[h.make_opsetid("", opset)])
    m.ir_version = 8
    return m


def test_unsupported_ops_listed_in_one_error(tmp_path):
    h = onnx.helper
    x = h.make_tensor_value_info("x", onnx.TensorProto.FLOAT, ["N", 4])
    y = h.make_tensor_value_info("y", onnx.TensorProto.FLOAT, ["N", 4])
    nodes = [h.make_node("Relu", ["x"], ["a"], name="ok_relu"),
             h.make_node("Hardmax", ["a"], ["b"], name="the_hardmax"),
             h.make_node("Round", ["b"], ["y"], name="the_round")]
    path = tmp_path / "u.onnx"
    onnx.save(_model(nodes, [], [x], [y]), str(path))
    for face in ("keras", "mxnet"):
        with pytest.raises(OnnxError) as e:
            uonnx.load(str(path), face=face)
        msg = str(e.value)
        assert "Hardmax (node 'the_hardmax')" in msg and "Round (node 'the_round')" in msg and "Relu" not in msg


def test_gluon_attention_folding_heads_into_the_batch_imports_into_keras(tmp_path):
    """Gluon's attention folds the heads into the batch axis (reshape -3 / -4); the Keras import holds those
    reshapes as fixed-batch layers: outputs match ONNX Runtime, the model saves, loads and fine-tunes, and
    another batch size is refused with a clear error."""
    from unidl_conformance.twins.zoo import all_cases

    case = {c.name: c for c in all_cases()}["attention"]
    x, _ = case.data(np.random.RandomState(0))
    net = case.gluon()
    net.initialize()
    x = x[:2].astype("float32")
    ref = net(mx.nd.array(x)).asnumpy()
    path = str(tmp_path / "att.onnx")
    mxonnx.export_model(net, None, [x.shape], np.float32, path)
    model = uonnx.load(path, face="keras")
    np.testing.assert_allclose(model.predict(x, verbose=0), ref, rtol=1e-5, atol=1e-6)
    model.save(str(tmp_path / "att.keras"))
    again = keras.saving.load_model(str(tmp_path / "att.keras"))
    np.testing.assert_array_equal(again.predict(x, verbose=0), model.predict(x, verbose=0))
    model.compile("sgd", "mse")
    model.fit(x, ref + 1.0, epochs=1, batch_size=2, verbose=0)
    assert np.abs(model.predict(x, verbose=0) - ref).max() > 0   # it trained
    with pytest.raises(ValueError, match="fixed batch"):
        model.predict(np.zeros((3,) + x.shape[1:], "float32"), batch_size=3, verbose=0)
