"""Canonical parameter memory (unidl.nn.layouts): each face shows its framework's shape, the memory stays
in the core's order through initialization, training, set/get, save/load and casts, and the API boundary
hands out ordinary C-ordered arrays."""
from __future__ import annotations

import numpy as np
import pytest

import unidl
import unidl_keras as keras
import unidl_mxnet as mx
from unidl.nn import layouts
from unidl_mxnet import autograd, gluon, nd


def test_memory_orders_per_kind_and_face():
    assert layouts.memory_order("dense", "io", 2) is None
    assert layouts.memory_order("dense", "oi", 2) == (1, 0)
    assert layouts.memory_order("rnn", "oi", 2) == (1, 0)
    assert layouts.memory_order("conv", "oi", 4) is None
    assert layouts.memory_order("conv", "io", 4) == (3, 2, 0, 1)       # (kh, kw, C, O) kept as (O, C, kh, kw)
    assert layouts.memory_order("conv_transpose", "io", 3) == (2, 1, 0)
    assert layouts.memory_order("depthwise", "io", 4) == (2, 3, 0, 1)  # (kh, kw, C, M) kept as (C, M, kh, kw)
    with pytest.raises(ValueError, match="unknown parameter layout 'dense'/'xy'"):
        layouts.memory_order("dense", "xy", 2)


def test_zeros_and_relayout_give_the_shown_shape_over_canonical_memory():
    z = layouts.zeros((3, 5), "float32", (1, 0))
    assert z.shape == (3, 5) and z.data.T.flags.c_contiguous
    a = np.arange(24, dtype="float32").reshape(2, 3, 4)
    r = layouts.relayout(a, (2, 0, 1))
    assert np.array_equal(r, a) and r.transpose(2, 0, 1).flags.c_contiguous
    assert layouts.has_order(r, (2, 0, 1)) and not layouts.has_order(r, None)
    assert layouts.relayout(r, (2, 0, 1)) is not None and np.shares_memory(layouts.relayout(r, (2, 0, 1)), r)
    assert unidl.zeros_like(unidl.tensor(0.0) if False else z).data.T.flags.c_contiguous  # *_like keeps the order


def _dense_net():
    net = gluon.nn.Dense(3, in_units=5)
    net.initialize(mx.init.Xavier())
    return net


def test_gluon_dense_weight_shows_out_in_over_in_out_memory():
    net = _dense_net()
    w = net.weight
    assert w.shape == (3, 5) and w.data().shape == (3, 5)
    assert layouts.has_order(w._t, (1, 0))
    host = w.data().asnumpy()
    assert host.shape == (3, 5) and host.flags.c_contiguous
    x = nd.array(np.random.RandomState(0).rand(4, 5))
    expect = x.asnumpy() @ host.T + net.bias.data().asnumpy()
    assert np.allclose(net(x).asnumpy(), expect, rtol=1e-6)


@pytest.mark.parametrize("opt", ["sgd", "adam", "rmsprop"])
def test_gluon_training_keeps_canonical_memory_and_states_alike(opt):
    net = _dense_net()
    trainer = gluon.Trainer(net.collect_params(), opt, {"learning_rate": 0.1, **({"momentum": 0.9} if opt == "sgd" else {})})
    x, y = nd.array(np.random.RandomState(1).rand(4, 5)), nd.array(np.random.RandomState(2).rand(4, 3))
    for _ in range(2):
        with autograd.record():
            loss = gluon.loss.L2Loss()(net(x), y)
        loss.backward()
        assert layouts.has_order(net.weight._t.grad, (1, 0))
        trainer.step(4)
    assert layouts.has_order(net.weight._t, (1, 0))
    states = trainer._updaters[0].states
    for s in states.values():
        for st in (s if isinstance(s, (tuple, list)) else [s]):
            if st is not None and getattr(st, "shape", None) == (3, 5):
                assert layouts.has_order(st._t, (1, 0))


def test_gluon_set_data_save_load_and_cast_keep_the_order(tmp_path):
    net = _dense_net()
    vals = np.arange(15, dtype="float32").reshape(3, 5)
    net.weight.set_data(nd.array(vals))
    assert np.array_equal(net.weight.data().asnumpy(), vals) and layouts.has_order(net.weight._t, (1, 0))
    f = str(tmp_path / "d.params")
    net.save_parameters(f)
    assert np.array_equal(nd.load(f)["weight"].asnumpy(), vals)   # the file holds Gluon's (out, in) layout
    other = _dense_net()
    other.load_parameters(f)
    assert np.array_equal(other.weight.data().asnumpy(), vals) and layouts.has_order(other.weight._t, (1, 0))
    other.cast("float64")
    assert other.weight.data().dtype == np.float64 and layouts.has_order(other.weight._t, (1, 0))


def _keras_conv():
    keras.utils.set_random_seed(0)
    m = keras.Sequential([keras.Input((6, 6, 2)), keras.layers.Conv2D(4, 3), keras.layers.Flatten(),
                          keras.layers.Dense(2)])
    return m


def test_keras_conv_kernel_shows_hwio_over_oihw_memory_and_round_trips():
    m = _keras_conv()
    k = m.layers[0].kernel
    assert k.shape == (3, 3, 2, 4) and layouts.has_order(k, (3, 2, 0, 1))
    w = m.get_weights()
    assert w[0].shape == (3, 3, 2, 4) and w[0].flags.c_contiguous and k.numpy().flags.c_contiguous
    new = [np.random.RandomState(3).rand(*a.shape).astype("float32") for a in w]
    m.set_weights(new)
    assert all(np.array_equal(a, b) for a, b in zip(m.get_weights(), new))
    assert layouts.has_order(k, (3, 2, 0, 1))
    k.assign(np.ones((3, 3, 2, 4), "float32"))
    assert layouts.has_order(k, (3, 2, 0, 1)) and float(k.numpy().sum()) == 72.0


@pytest.mark.parametrize("opt", ["sgd", "adam"])
def test_keras_fit_keeps_conv_kernel_and_its_slots_in_canonical_memory(opt):
    m = _keras_conv()
    m.compile(optimizer=keras.optimizers.SGD(0.01, momentum=0.9) if opt == "sgd" else keras.optimizers.Adam(),
              loss="mse")
    x = np.random.RandomState(0).rand(8, 6, 6, 2).astype("float32")
    m.fit(x, np.zeros((8, 2), "float32"), epochs=1, batch_size=4, verbose=0)
    k = m.layers[0].kernel
    assert layouts.has_order(k, (3, 2, 0, 1))
    slots = [v for v in m.optimizer.variables if tuple(v.shape) == (3, 3, 2, 4)]
    assert slots and all(layouts.has_order(v, (3, 2, 0, 1)) for v in slots)


def test_keras_depthwise_kernel_reaches_conv_as_contiguous_grouped_weight():
    keras.utils.set_random_seed(0)
    layer = keras.layers.DepthwiseConv2D(3, depth_multiplier=2, data_format="channels_first")
    x = unidl.tensor(np.random.RandomState(0).rand(2, 3, 5, 5).astype("float32"))
    with unidl.trace.kernel_trace() as calls:
        y = layer(x)
    conv = next(c for c in calls if c.op == "conv")
    assert conv.operands[1] == ("array", "<f4", (6, 1, 3, 3), (9, 9, 3, 1))
    k = layer.kernel.numpy()   # (3, 3, C, M): out channel c*M + m uses k[..., c, m]
    ref = np.zeros((2, 6, 3, 3), "float32")
    xn = x.numpy()
    for c in range(3):
        for m in range(2):
            for i in range(3):
                for j in range(3):
                    ref[:, c * 2 + m, i, j] = (xn[:, c, i:i + 3, j:j + 3] * k[:, :, c, m]).sum(axis=(1, 2))
    assert np.allclose(y.numpy(), ref, rtol=1e-5, atol=1e-6)
