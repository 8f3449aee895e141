"""gluon.Trainer: real-MXNet trajectories (optim_trainer_mxnet191.npz), save_states/load_states, learning rate,
stale gradients and the kvstore arguments."""
from __future__ import annotations

import os
import warnings

import numpy as np
import pytest

import unidl_mxnet as mx
from unidl_mxnet import autograd, gluon, nd

DATA = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data")
FIX = np.load(os.path.join(DATA, "optim_trainer_mxnet191.npz"))


def _params(case):
    pd = gluon.ParameterDict()
    pw = pd.get("b_weight", shape=(2, 3), lr_mult=0.5)
    pb = pd.get("a_bias", shape=(3,))
    pd.initialize(mx.init.Zero())
    for p in (pw, pb):
        p.set_data(nd.array(FIX[f"{case}/{p.name}_0"]))
    return pd, pw, pb


def _backward(pw, pb, gw, gb):
    with autograd.record():
        loss = (pw.data() * nd.array(gw)).sum() + (pb.data() * nd.array(gb)).sum()
    loss.backward()


@pytest.mark.parametrize("case,name,kw", [("trainer_sgd", "sgd", {"learning_rate": 0.1, "momentum": 0.9, "wd": 0.01}),
                                          ("trainer_nadam", "nadam", {"learning_rate": 0.01, "wd": 0.01})])
def test_trainer_matches_real_mxnet(case, name, kw):
    pd, pw, pb = _params(case)
    tr = gluon.Trainer(pd, name, kw)
    assert [p.name for p in tr._params] == ["a_bias", "b_weight"]  # MXNet sorts a dict's names
    for t in range(1, 4):
        _backward(pw, pb, FIX[f"{case}/b_weight_g{t}"], FIX[f"{case}/a_bias_g{t}"])
        tr.step(4)
        for p in (pw, pb):
            np.testing.assert_array_equal(p.data().asnumpy(), FIX[f"{case}/{p.name}_{t}"], err_msg=f"{p.name} {t}")


def _grads(rng):
    return rng.standard_normal((2, 3)).astype(np.float32), rng.standard_normal(3).astype(np.float32)


@pytest.mark.filterwarnings("ignore:learning rate from ``lr_scheduler`` has been overwritten")
@pytest.mark.parametrize("name,kw", [("sgd", {"learning_rate": 0.1, "momentum": 0.9}),
                                     ("nadam", {"learning_rate": 0.01}),
                                     ("rmsprop", {"centered": True}),
                                     ("adam", {"lr_scheduler": "cosine"})])
def test_save_and_load_states_resume_exactly(tmp_path, name, kw):
    def trainer(pd):
        k = dict(kw)
        if k.get("lr_scheduler") == "cosine":
            k["lr_scheduler"] = mx.lr_scheduler.CosineScheduler(max_update=6, base_lr=0.05)
        return gluon.Trainer(pd, name, k)

    rng = np.random.default_rng(0)
    grads = [_grads(rng) for _ in range(5)]
    # uninterrupted run
    pd, pw, pb = _params("trainer_sgd")
    tr = trainer(pd)
    for gw, gb in grads:
        _backward(pw, pb, gw, gb)
        tr.step(2)
    want = [pw.data().asnumpy(), pb.data().asnumpy()]
    # two steps, save, a fresh trainer (other hyper-parameters) loads and goes on
    pd2, pw2, pb2 = _params("trainer_sgd")
    tr2 = trainer(pd2)
    for gw, gb in grads[:2]:
        _backward(pw2, pb2, gw, gb)
        tr2.step(2)
    fname = str(tmp_path / "t.states")
    tr2.save_states(fname)
    tr3 = gluon.Trainer(pd2, "sgd", {"learning_rate": 123.0})
    tr3.load_states(fname)
    assert type(tr3.optimizer) is type(tr2.optimizer)
    assert tr3.optimizer.num_update == 2 and tr3.optimizer.param_dict[1] is pw2
    for gw, gb in grads[2:]:
        _backward(pw2, pb2, gw, gb)
        tr3.step(2)
    np.testing.assert_array_equal(pw2.data().asnumpy(), want[0])
    np.testing.assert_array_equal(pb2.data().asnumpy(), want[1])


def test_states_file_is_an_ndarray_file(tmp_path):
    pd, pw, pb = _params("trainer_sgd")
    tr = gluon.Trainer(pd, "rmsprop", {"centered": True})
    _backward(pw, pb, np.ones((2, 3), np.float32), np.ones(3, np.float32))
    tr.step(1)
    fname = str(tmp_path / "t.states")
    tr.save_states(fname)
    content = nd.load(fname)
    assert {"0:0", "0:1", "0:2", "1:0", "1:1", "1:2", "__unidl_trainer_states__"} == set(content)
    assert content["1:0"].shape == (2, 3)
    np.testing.assert_array_equal(content["0:0"].asnumpy(), tr._updaters[0].states[0][0].asnumpy())


def test_loading_a_real_mxnet_states_file_is_refused(tmp_path):
    pd, _, _ = _params("trainer_sgd")
    tr = gluon.Trainer(pd, "sgd", {"momentum": 0.9})
    with pytest.raises(mx.MXNetError, match="pickle.*never unpickles"):
        tr.load_states(os.path.join(DATA, "optim_trainer_mxnet191.states"))
    other = tmp_path / "x.params"
    nd.save(str(other), {"a": nd.ones(2)})
    with pytest.raises(mx.MXNetError, match="not a trainer states file"):
        tr.load_states(str(other))


def test_learning_rate_and_scheduler():
    pd, pw, pb = _params("trainer_sgd")
    sched = mx.lr_scheduler.FactorScheduler(step=1, factor=0.5, base_lr=0.4)
    tr = gluon.Trainer(pd, "sgd", {"lr_scheduler": sched})
    assert tr.learning_rate == 0.4
    with pytest.raises(UserWarning, match="LRScheduler of the optimizer has already been defined"):
        tr.set_learning_rate(0.1)
    for _ in range(3):
        _backward(pw, pb, np.ones((2, 3), np.float32), np.ones(3, np.float32))
        tr.step(1)
    assert tr.optimizer.num_update == 3 and tr.learning_rate == pytest.approx(0.1)
    tr2 = gluon.Trainer(pd, "adam")
    assert tr2.learning_rate == 0.001
    tr2.set_learning_rate(0.02)
    assert tr2.learning_rate == 0.02


def test_stale_gradients():
    pd, pw, pb = _params("trainer_sgd")
    tr = gluon.Trainer(pd, "sgd", {"learning_rate": 1.0})
    with pytest.raises(UserWarning, match="`a_bias` .* has not been updated by backward"):
        tr.step(1)  # no backward since the trainer was made
    # only b_weight gets a gradient: the stale a_bias makes step refuse, before updating anything
    before = pw.data().asnumpy()
    with autograd.record():
        loss = pw.data().sum()
    loss.backward()
    with pytest.raises(mx.MXNetError, match="ignore_stale_grad=True"):
        tr.step(1)
    np.testing.assert_array_equal(pw.data().asnumpy(), before)
    bias = pb.data().asnumpy()
    tr.step(1, ignore_stale_grad=True)
    np.testing.assert_allclose(pw.data().asnumpy(), before - 0.5, rtol=1e-6)  # lr_mult 0.5
    np.testing.assert_array_equal(pb.data().asnumpy(), bias)
    with pytest.raises(UserWarning, match="has not been updated by backward"):
        tr.update(1, ignore_stale_grad=False)
    pb.grad_req = "null"  # null parameters are never checked
    _backward_w = pw.data()
    with autograd.record():
        loss = _backward_w.sum()
    loss.backward()
    tr.step(1)


def test_constructor_arguments():
    pd, _, _ = _params("trainer_sgd")
    with pytest.warns(UserWarning, match="compression_params is ignored"):
        gluon.Trainer(pd, "sgd", compression_params={"type": "2bit", "threshold": 0.5})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gluon.Trainer(pd, "sgd", kvstore="local", update_on_kvstore=False)
        gluon.Trainer(pd, "sgd", kvstore=None, update_on_kvstore=True)
    # dist_sync works over MPI ranks (tests/distributed); as in MXNet the store is made at the first step
    assert gluon.Trainer(pd, "sgd", kvstore="dist_sync")._kvstore is None
    o = mx.optimizer.Adam(learning_rate=0.3)
    tr = gluon.Trainer(pd, o)
    assert tr.optimizer is o and o.param_dict[0].name == "a_bias"
    with pytest.raises(AssertionError, match="optimizer_params must be None"):
        gluon.Trainer(pd, o, {"learning_rate": 0.1})
    with pytest.raises(ValueError, match="Cannot find optimizer"):
        gluon.Trainer(pd, "nosuch")


def test_crafted_states_cannot_set_methods(tmp_path):
    import json

    from unidl.io import mxnet_params

    header = {"format": "unidl-mxnet-trainer-states", "version": 1, "states": [],
              "optimizer": {"name": "sgd", "attrs": {"update": 1}, "index_update_count": {"dict": []},
                            "lr_scheduler": None}}
    blob = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    f = tmp_path / "evil.states"
    f.write_bytes(mxnet_params.dumps([blob], ["__unidl_trainer_states__"]))
    pd, _, _ = _params("trainer_sgd")
    tr = gluon.Trainer(pd, "sgd")
    with pytest.raises(mx.MXNetError, match="refusing to set optimizer attribute 'update'"):
        tr.load_states(str(f))
    header["version"] = 99
    f.write_bytes(mxnet_params.dumps([np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)],
                                     ["__unidl_trainer_states__"]))
    with pytest.raises(mx.MXNetError, match="version 99 is not supported"):
        tr.load_states(str(f))
