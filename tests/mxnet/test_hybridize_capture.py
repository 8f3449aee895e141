"""``HybridBlock.hybridize()`` captures the block (unidl.capture): training a hybridized net gives bitwise the
parameters and losses of training it imperatively, for every layer kind the workloads use."""
import warnings

import numpy as np
import pytest

import unidl_mxnet as mx
from unidl.capture import CaptureWarning
from unidl_mxnet import autograd, gluon, nd
from unidl_mxnet.gluon import nn


class _LSTMHead(gluon.HybridBlock):
    def __init__(self, **kw):
        super().__init__(**kw)
        with self.name_scope():
            self.lstm = gluon.rnn.LSTM(12, input_size=6)
            self.head = nn.Dense(4, in_units=12)

    def hybrid_forward(self, F, x):
        return self.head(self.lstm(x)[-1])


def _model(kind):
    mx.random.seed(3)
    rng = np.random.default_rng(0)
    if kind == "lstm":
        return _LSTMHead(), nd.array(rng.standard_normal((5, 4, 6)).astype(np.float32)), 4
    net = nn.HybridSequential()
    if kind == "mlp":
        net.add(nn.Dense(16, activation="relu"), nn.Dense(8, activation="relu"), nn.Dense(4))
        x = rng.standard_normal((8, 10))
    elif kind == "cnn":
        net.add(nn.Conv2D(4, 3, activation="relu"), nn.MaxPool2D(2), nn.Conv2D(6, 3, activation="relu"),
                nn.MaxPool2D(2), nn.Dense(16, activation="relu"), nn.Dense(4))
        x = rng.standard_normal((4, 1, 14, 14))
    elif kind == "bn_dropout":
        net.add(nn.Dense(16), nn.BatchNorm(), nn.Activation("relu"), nn.Dropout(0.3), nn.Dense(4))
        x = rng.standard_normal((8, 10))
    return net, nd.array(x.astype(np.float32)), x.shape[0]


def _train(kind, hybridize, steps=5):
    net, x, batch = _model(kind)
    net.initialize(mx.init.Xavier())
    if hybridize:
        net.hybridize(static_alloc=True, static_shape=True)
    y = nd.array(np.random.default_rng(1).integers(0, 4, batch))
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.05, "momentum": 0.9})
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    losses = []
    mx.random.seed(11)
    for _ in range(steps):
        with autograd.record():
            loss = loss_fn(net(x), y)
        loss.backward()
        trainer.step(batch)
        losses.append(loss.asnumpy())
    params = [v.data().asnumpy() for v in net.collect_params().values()]  # in the block's structural order
    return losses, params, net, x


@pytest.mark.parametrize("kind", ["mlp", "cnn", "bn_dropout", "lstm"])
def test_hybridized_training_is_bitwise_imperative_training(kind):
    with warnings.catch_warnings():
        warnings.simplefilter("error", CaptureWarning)  # every one of these captures: none falls back
        eager_losses, eager_params, _, _ = _train(kind, False)
        losses, params, net, x = _train(kind, True)
    for a, b in zip(eager_losses, losses):
        assert np.array_equal(a, b)
    assert len(eager_params) == len(params)
    for a, b in zip(eager_params, params):
        assert np.array_equal(a, b)
    with autograd.record():
        assert net._captured.mode(x._t) == "replay"


def test_inference_after_training_replays_its_own_signature():
    _, _, net, x = _train("bn_dropout", True, steps=3)
    outs = [net(x).asnumpy() for _ in range(3)]
    assert net._captured.mode(x._t) == "replay"
    net.hybridize(False)
    assert np.array_equal(net(x).asnumpy(), outs[-1]) and np.array_equal(outs[0], outs[-1])


def test_a_new_input_shape_is_a_new_capture():
    net, x, _ = _model("mlp")
    net.initialize()
    net.hybridize()
    for n in (3, 5, 3, 5, 3, 5):
        xb = nd.array(np.ones((n, 10), np.float32))
        out = net(xb)
        assert out.shape == (n, 4)
    assert len(net._captured.entries) == 2
    net.hybridize(False)
    assert np.array_equal(net(xb).asnumpy(), out.asnumpy())


def test_reinitialized_parameters_are_read_by_the_replay():
    net, x, _ = _model("mlp")
    net.initialize()
    net.hybridize()
    for _ in range(3):
        net(x)
    net.initialize(mx.init.Normal(1.0), force_reinit=True)
    got = net(x).asnumpy()
    net.hybridize(False)
    assert np.array_equal(net(x).asnumpy(), got)


class _Branchy(gluon.HybridBlock):
    def __init__(self, **kw):
        super().__init__(**kw)
        with self.name_scope():
            self.dense = nn.Dense(3, in_units=3)

    def hybrid_forward(self, F, x):
        y = self.dense(x)
        return y * 2 if y.sum().asscalar() > 0 else y - 1


def test_value_dependent_block_warns_once_and_runs_imperatively():
    net = _Branchy()
    net.initialize(mx.init.One())
    net.hybridize()
    pos, neg = nd.array(np.ones((1, 3), np.float32)), nd.array(-np.ones((1, 3), np.float32))
    with pytest.warns(CaptureWarning, match="hybridized .*read on the host"):
        net(pos)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert np.array_equal(net(neg).asnumpy(), np.full((1, 3), -4, np.float32))
        assert np.array_equal(net(pos).asnumpy(), np.full((1, 3), 6, np.float32))


def test_hybridized_child_inside_an_imperative_parent_gets_input_gradients():
    child = nn.HybridSequential()
    child.add(nn.Dense(5, activation="tanh", in_units=4), nn.Dense(2, in_units=5))
    child.initialize(mx.init.Xavier())
    x = nd.array(np.random.default_rng(2).standard_normal((3, 4)).astype(np.float32))
    grads = []
    for hyb in (False, True, True, True):
        child.hybridize(hyb)
        x.attach_grad()
        with autograd.record():
            h = x * 3
            loss = (child(h) ** 2).sum()
        loss.backward()
        grads.append(x.grad.asnumpy())
    for g in grads[1:]:
        assert np.array_equal(g, grads[0])


def _relu_grad_shapes(calls):
    return sorted(c.operands[0][2] for c in calls if c.op == "relu_grad" and not c.depth)


def test_hybridized_cnn_backward_takes_relu_grad_on_the_pooled_maps(relu_pool_folds):
    import unidl

    _, _, net, x = _train("cnn", True, steps=3)
    y = nd.array(np.zeros(4))
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    with unidl.trace.kernel_trace() as calls:
        with autograd.record():
            loss = loss_fn(net(x), y)
        loss.backward()
    # conv (4, 4, 12, 12) -> pool (4, 4, 6, 6); conv (4, 6, 4, 4) -> pool (4, 6, 2, 2); Dense (4, 16)
    maps = [(4, 4, 6, 6), (4, 6, 2, 2)] if relu_pool_folds else [(4, 4, 12, 12), (4, 6, 4, 4)]
    assert _relu_grad_shapes(calls) == sorted(maps + [(4, 16)])
