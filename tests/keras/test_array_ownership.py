"""APIs that take a caller's NumPy array keep their own copy, as Keras and MXNet do: training never writes
into the caller's arrays, and two models given one list do not share weights."""
from __future__ import annotations

import numpy as np

import unidl
import unidl_keras as keras
from unidl_mxnet import autograd, gluon, nd


def _fit(m, seed=0):
    rng = np.random.RandomState(seed)
    m.compile(optimizer=keras.optimizers.SGD(0.1), loss="mse")
    m.fit(rng.rand(8, 4).astype("float32"), rng.rand(8, 3).astype("float32"), epochs=2, verbose=0)


def _dense_model():
    return keras.Sequential([keras.Input((4,)), keras.layers.Dense(3)])


def test_keras_variable_from_an_array_and_assign_copy():
    a = np.ones((3, 4), "float32")
    v = keras.Variable(a)
    v.assign_add(np.ones((3, 4), "float32"))
    assert float(a.sum()) == 12.0 and float(v.numpy().sum()) == 24.0
    b = np.zeros((3, 4), "float32")
    v.assign(b)
    v.assign_sub(np.ones((3, 4), "float32"))
    assert not b.any()
    view = np.ones((6, 4), "float32")[::2]
    w = keras.Variable(view)
    w.assign_add(np.ones((3, 4), "float32"))
    assert float(view.sum()) == 12.0


def test_model_and_layer_set_weights_keep_their_own_copies():
    kept = [np.ones((4, 3), "float32"), np.zeros(3, "float32")]
    pretrained = [a.copy() for a in kept]
    m1, m2 = _dense_model(), _dense_model()
    m1.set_weights(kept)
    m2.layers[0].set_weights(kept)
    _fit(m1, 1)
    assert all(np.array_equal(a, b) for a, b in zip(kept, pretrained))         # the caller's arrays untouched
    assert np.array_equal(m2.get_weights()[0], pretrained[0])                    # m2 did not train with m1
    _fit(m2, 2)
    assert not np.array_equal(m1.get_weights()[0], m2.get_weights()[0])


def test_core_tensor_copies_and_from_numpy_shares():
    a = np.ones(3, "float32")
    t = unidl.tensor(a)
    t.data += 1
    assert float(a.sum()) == 3.0
    s = unidl.from_numpy(a)
    s.data += 1
    assert float(a.sum()) == 6.0      # documented: shares memory on the cpu, as torch.from_numpy


def test_gluon_set_data_and_nd_array_copy():
    src = np.ones((3, 4), "float32")
    x = nd.array(src)
    x += 1
    assert float(src.sum()) == 12.0
    net = gluon.nn.Dense(3, in_units=4)
    net.initialize()
    w = np.ones((3, 4), "float32")
    net.weight.set_data(w)
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1})
    with autograd.record():
        loss = (net(nd.ones((2, 4))) ** 2).sum()
    loss.backward()
    trainer.step(2)
    assert float(w.sum()) == 12.0 and not np.array_equal(net.weight.data().asnumpy(), w)
