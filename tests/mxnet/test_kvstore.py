"""mx.kv: the single-process KVStore (init / push / pull / pushpull, updaters, set_optimizer) against MXNet
1.9.1, and its errors."""
import os

import numpy as np
import pytest

import unidl_mxnet as mx

FIX = np.load(os.path.join(os.path.dirname(__file__), "data", "porting_mxnet191.npz"))


def test_push_sums_and_updater_match_mxnet():
    kv = mx.kv.create("local")
    assert (kv.type, kv.rank, kv.num_workers) == ("local", 0, 1)
    kv.init(3, mx.nd.ones((2, 3)) * 2)
    a = mx.nd.zeros((2, 3))
    kv.push(3, [mx.nd.ones((2, 3)) * 4, mx.nd.ones((2, 3)) * 5])
    kv.pull(3, out=a)
    np.testing.assert_array_equal(a.asnumpy(), FIX["kv_push_sum"])
    seen = []

    def update(key, inp, stored):
        seen.append(key)
        stored += inp * 2

    kv._set_updater(update)
    kv.push(3, mx.nd.ones((2, 3)))
    kv.pull(3, out=a)
    np.testing.assert_array_equal(a.asnumpy(), FIX["kv_updater"])
    assert seen == [3]


def test_set_optimizer_updates_on_push():
    kv = mx.kv.create("device")
    kv.set_optimizer(mx.optimizer.SGD(learning_rate=0.1, momentum=0.9))
    kv.init("w", mx.nd.array([1.0, 2.0, 3.0]))
    w = mx.nd.zeros(3)
    for g in ([1.0, 1.0, 1.0], [0.5, -1.0, 2.0]):
        kv.push("w", mx.nd.array(g))
    kv.pull("w", out=w)
    np.testing.assert_allclose(w.asnumpy(), FIX["kv_sgd"], rtol=1e-6)
    assert kv.is_capable("optimizer")


def test_lists_of_keys_pull_into_many_outs_and_pushpull():
    kv = mx.kv.create()
    kv.init([5, 7], [mx.nd.ones(2), mx.nd.ones(2) * 3])
    outs = [[mx.nd.zeros(2), mx.nd.zeros(2)], [mx.nd.zeros(2), mx.nd.zeros(2)]]
    kv.pull([5, 7], out=outs)
    assert [o.asnumpy().tolist() for row in outs for o in row] == [[1, 1], [1, 1], [3, 3], [3, 3]]
    v = mx.nd.array([4.0, 6.0])
    kv.pushpull(5, v)  # out=None: the result goes back into the value
    assert v.asnumpy().tolist() == [4, 6]
    c = mx.nd.zeros(2)
    kv.broadcast(9, mx.nd.ones(2) * 7, out=c)
    assert c.asnumpy().tolist() == [7, 7]


def test_errors():
    kv = mx.kv.create("local")
    kv.init(1, mx.nd.ones(2))
    with pytest.raises(mx.MXNetError, match="duplicate init of key 1"):
        kv.init(1, mx.nd.ones(2))
    with pytest.raises(mx.MXNetError, match="key 99 has not been inited"):
        kv.pull(99, out=mx.nd.zeros(2))
    with pytest.raises(mx.MXNetError, match="mixed key types"):
        kv.init("a", mx.nd.ones(2))
    with pytest.raises(mx.MXNetError, match=r"holds shape \(2,\), got \(3,\)"):
        kv.push(1, mx.nd.ones(3))
    with pytest.raises(mx.MXNetError, match="'dist_async'.*not supported by unidl_mxnet"):
        mx.kv.create("dist_async")  # dist_sync / horovod work over MPI (tests/distributed)
    with pytest.raises(mx.MXNetError, match="unknown kvstore type"):
        mx.kv.create("foo")


def test_trainer_accepts_a_kvstore_object():
    net = mx.gluon.nn.Dense(2, in_units=3)
    net.initialize()
    trainer = mx.gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1}, kvstore=mx.kv.create("device"))
    with mx.autograd.record():
        loss = net(mx.nd.ones((1, 3))).sum()
    loss.backward()
    trainer.step(1)
