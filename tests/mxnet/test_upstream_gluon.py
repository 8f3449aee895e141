"""Gluon behaviours MXNet 1.9.1's own test_gluon*/test_init tests rely on: parameters on several contexts and a
Trainer that sums their gradients, shape merging of shared parameters, Constants, hooks, channels-last
pooling and convolution, initializer equality and the Bilinear/LSTMBias initializers. Expected values were
computed with real MXNet 1.9.1."""
import json
import warnings

import numpy as np
import pytest

import unidl_mxnet as mx
from unidl_mxnet import gluon


def _backward_each(x, scale_by_index=True):
    with mx.autograd.record():
        for i, w in enumerate(x.list_data()):
            ((i + 1) * w + 1).backward()


def test_parameter_keeps_one_copy_per_context():
    p = gluon.Parameter("weight", shape=(4, 3))
    p.initialize(init="xavier", ctx=[mx.cpu(0), mx.cpu(1)])
    assert len(p.list_data()) == 2 and len(p.list_grad()) == 2
    assert p.list_ctx() == [mx.cpu(0), mx.cpu(1)]
    assert p.data(mx.cpu(1)).context == mx.cpu(1)
    np.testing.assert_array_equal(p.data(mx.cpu(0)).asnumpy(), p.data(mx.cpu(1)).asnumpy())
    p.data(mx.cpu(1))[:] = 5  # independent copies
    assert (p.data(mx.cpu(0)).asnumpy() != 5).all()
    with pytest.raises(RuntimeError, match="was not initialized on context cpu\\(3\\)"):
        p.data(mx.cpu(3))
    p.reset_ctx([mx.cpu(2)])
    assert p.list_ctx() == [mx.cpu(2)] and p.data().context == mx.cpu(2)
    assert p.var().name == "weight"


def test_trainer_sums_gradients_across_contexts_on_the_kvstore():
    x = gluon.Parameter("x", shape=(3,))
    x.initialize(ctx=[mx.cpu(0), mx.cpu(1)], init="zeros")
    tr = gluon.Trainer([x], "sgd", {"learning_rate": 1.0})
    _backward_each(x)
    tr.step(1)
    # MXNet 1.9.1: gradients 1 and 2 summed, lr 1 -> -3 on both copies; updated on a 'device' kvstore
    for w in x.list_data():
        np.testing.assert_array_equal(w.asnumpy(), [-3.0, -3.0, -3.0])
    assert tr._kvstore.type == "device" and tr._update_on_kvstore is True


def test_trainer_allreduce_then_update_each_context():
    x = gluon.Parameter("x", shape=(3,))
    x.initialize(ctx=[mx.cpu(0), mx.cpu(1)], init="zeros")
    tr = gluon.Trainer([x], "sgd", {"learning_rate": 1.0, "momentum": 0.5}, update_on_kvstore=False)
    for _ in range(2):
        _backward_each(x)
        tr.allreduce_grads()
        np.testing.assert_array_equal(x.grad(mx.cpu(0)).asnumpy(), [3.0, 3.0, 3.0])
        tr.update(2)
    # MXNet 1.9.1 gives -3.75 (two momentum steps with the summed gradient / 2)
    for w in x.list_data():
        np.testing.assert_allclose(w.asnumpy(), [-3.75] * 3)
    with pytest.raises(AssertionError):
        gluon.Trainer([x], "sgd", {"learning_rate": 1.0}).update(1)  # updates on the kvstore by default


def test_single_context_creates_no_kvstore():
    x = gluon.Parameter("x", shape=(2,))
    x.initialize(init="zeros")
    tr = gluon.Trainer([x], "sgd", {"learning_rate": 1.0})
    _backward_each(x)
    tr.step(1)
    assert tr._kvstore is None and tr._update_on_kvstore is None
    np.testing.assert_array_equal(x.data().asnumpy(), [-1.0, -1.0])


def test_teststore_sums_without_optimizer():
    x = gluon.Parameter("x", shape=(2,))
    x.initialize(ctx=[mx.cpu(0), mx.cpu(1)], init="zeros")
    kv = mx.kv.create("teststore")
    assert kv.type == "teststore" and not kv.is_capable("optimizer")
    tr = gluon.Trainer([x], "sgd", {"learning_rate": 1.0}, kvstore=kv)
    _backward_each(x)
    tr.step(1)
    assert tr._update_on_kvstore is False
    np.testing.assert_array_equal(x.data(mx.cpu(1)).asnumpy(), [-3.0, -3.0])
    with pytest.raises(ValueError, match="update_on_kvstore=False"):
        gluon.Trainer([x], "sgd", kvstore=kv, update_on_kvstore=True)._init_kvstore()


def test_split_and_load_feeds_each_contexts_copy():
    net = gluon.nn.Dense(1, in_units=2, use_bias=False)
    net.initialize(mx.init.One(), ctx=[mx.cpu(1), mx.cpu(2)])
    tr = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.5})
    parts = gluon.utils.split_and_load(mx.nd.array([[1, 2], [3, 4]]), [mx.cpu(1), mx.cpu(2)])
    assert [p.context for p in parts] == [mx.cpu(1), mx.cpu(2)]
    with mx.autograd.record():
        outs = [net(p) for p in parts]
    assert [o.context for o in outs] == [mx.cpu(1), mx.cpu(2)]
    for o in outs:
        o.backward()
    tr.step(2)
    # gradient summed over both rows: (4, 6); w = 1 - 0.5 * (4, 6) / 2
    for w in net.weight.list_data():
        np.testing.assert_allclose(w.asnumpy(), [[0.0, -0.5]])


def test_shared_parameter_shapes_merge_unknown_dims():
    pd = gluon.ParameterDict("n_")
    a = pd.get("w", shape=(5, 0))
    assert pd.get("w", shape=(0, 4)) is a and a.shape == (5, 4)
    with pytest.raises(AssertionError, match="desired attribute does not match"):
        pd.get("w", shape=(6, 4))
    with pytest.raises(AssertionError):
        gluon.Parameter("w", shape=(2,), stype="invalid")
    with pytest.raises(AssertionError):
        gluon.Parameter("w", shape=(2,), grad_stype="invalid")


def test_constant_and_get_constant():
    c = gluon.Constant("c", [[1, 2], [3, 4]])
    assert c.dtype == np.float32 and c.grad_req == "null"
    assert repr(c) == "Constant c (shape=(2, 2), dtype=<class 'numpy.float32'>)"
    pd = gluon.ParameterDict("b_")
    k = pd.get_constant("k", np.asarray([[1, 2], [3, 4]]))
    assert pd.get_constant("k") is k
    with pytest.raises(KeyError):
        pd.get_constant("missing")
    k.initialize()
    tr = gluon.Trainer(pd, "sgd", {"learning_rate": 1.0})
    tr.step(1)  # constants take no update
    np.testing.assert_array_equal(k.data().asnumpy(), [[1, 2], [3, 4]])


def test_forward_hooks_apply_and_attribute_types():
    bl = gluon.nn.Dense(2, in_units=3)
    bl.initialize()
    calls = []
    h = bl.register_forward_hook(lambda b, i, o: calls.append(("post", o.shape)))
    bl.register_forward_pre_hook(lambda b, i: calls.append(("pre", len(i))))
    bl(mx.nd.ones((4, 3)))
    h.detach()
    bl(mx.nd.ones((1, 3)))
    assert calls == [("pre", 1), ("post", (4, 2)), ("pre", 1)]

    seq = gluon.nn.HybridSequential(prefix="t_")
    with seq.name_scope():
        seq.add(gluon.nn.Dense(3), gluon.nn.Dropout(0.5))
    names = []
    assert seq.apply(lambda b: names.append(b.name)) is seq
    assert names == ["t_dense0", "t_dropout0", "t"]

    b = gluon.Block()
    b.b = gluon.Block()
    with pytest.raises(TypeError, match="Changing attribute type"):
        b.b = (2,)


def test_warnings_for_unregistered_blocks_and_sequential_hybridize():
    class Holder(gluon.Block):
        def __init__(self):
            super().__init__()
            self.layers = [gluon.nn.Dense(2)]

    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        Holder().collect_params()
    assert any("unregistered container with Blocks" in str(x.message) for x in w)
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        s = gluon.nn.Sequential()
        s.add(gluon.nn.Dense(2))
        s.hybridize()
        hs = gluon.nn.HybridSequential()
        hs.add(gluon.nn.Dense(2))
        hs.hybridize()
    assert len(w) == 1 and "Consider using HybridSequential" in str(w[0].message)


def test_channels_last_pooling_and_convolution():
    x = mx.nd.arange(16).reshape((1, 2, 2, 4))
    np.testing.assert_array_equal(gluon.nn.AvgPool2D(layout="NHWC")(x).asnumpy().ravel(), [6, 7, 8, 9])
    g = gluon.nn.GlobalMaxPool1D(layout="NWC")(mx.nd.arange(6).reshape((1, 3, 2)))
    assert g.shape == (1, 1, 2)
    np.testing.assert_array_equal(g.asnumpy().ravel(), [4, 5])
    conv = gluon.nn.Conv2D(16, (3, 3), layout="NHWC", in_channels=4)
    assert conv.weight.shape == (16, 3, 3, 4)
    assert gluon.nn.Conv2DTranspose(16, (3, 3), layout="NHWC", in_channels=4).weight.shape == (4, 3, 3, 16)
    conv.initialize()
    xs = mx.nd.random.uniform(shape=(2, 5, 5, 4))
    ref = gluon.nn.Conv2D(16, (3, 3), in_channels=4)
    ref.initialize()
    ref.weight.set_data(conv.weight.data().transpose((0, 3, 1, 2)))
    ref.bias.set_data(conv.bias.data())
    np.testing.assert_allclose(conv(xs).asnumpy(), ref(xs.transpose((0, 3, 1, 2))).transpose((0, 2, 3, 1)).asnumpy(),
                               rtol=1e-6, atol=1e-6)
    with pytest.raises(AssertionError):
        gluon.nn.Conv1D(4, 3, layout="NWC")
    with pytest.raises(AssertionError, match="Only NCHW and NHWC layouts are valid for 2D Pooling"):
        gluon.nn.MaxPool2D(layout="NCWH")


def test_initializers_compare_by_value_and_bilinear_lstmbias():
    assert mx.init.Constant(-10) == mx.init.Constant(-10)
    assert mx.init.Constant(-10) != mx.init.Constant(-9)
    assert mx.init.Uniform() == mx.init.Uniform() and mx.init.Uniform() != mx.init.Normal()
    init = mx.init.Constant(mx.nd.ones((2,)))
    assert init.dumps() == '["constant", {"value": [1.0, 1.0]}]'
    assert json.loads(mx.init.Constant(np.ones((2, 1))).dumps()) == ["constant", {"value": [[1.0], [1.0]]}]
    a = mx.nd.zeros((1, 1, 3, 3))
    mx.init.Bilinear()._init_weight("w", a)
    np.testing.assert_allclose(a.asnumpy()[0, 0], [[0.0625, 0.1875, 0.1875], [0.1875, 0.5625, 0.5625],
                                                   [0.1875, 0.5625, 0.5625]])
    b = mx.nd.zeros((8,))
    mx.init.LSTMBias(2.0)._init_weight("b", b)
    np.testing.assert_array_equal(b.asnumpy(), [0, 0, 2, 2, 0, 0, 0, 0])
    assert mx.init.LSTMBias().dumps() == '["lstmbias", {"forget_bias": 1.0}]'


def test_rnn_layer_unfuse_shares_parameters():
    x = mx.nd.ones(shape=(2, 2, 2))
    model = gluon.rnn.LSTM(2, num_layers=2, bidirectional=True)
    cell = model._unfuse()
    model.initialize(mx.init.One())
    assert set(cell.collect_params().keys()) == set(model.collect_params().keys())
    y = model(x).asnumpy()
    yc = cell.unroll(2, x, layout="TNC", merge_outputs=True)[0].asnumpy()
    # MXNet 1.9.1: [0.94732213 0.94732213 0.7055698 0.7055698] for both
    np.testing.assert_allclose(y[1, 0], [0.94732213, 0.94732213, 0.7055698, 0.7055698], rtol=1e-5)
    np.testing.assert_allclose(yc, y, rtol=1e-5)
