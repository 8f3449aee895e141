"""mx.optimizer against real MXNet 1.9.1 trajectories (tests/mxnet/data/optim_mxnet191.npz, made by
optim_make_fixtures.py) and MXNet's bookkeeping: defaults, registry, lr/wd multipliers, update counts."""
from __future__ import annotations

import json
import os

import numpy as np
import pytest

import unidl_mxnet as mx
from unidl_mxnet import nd
from unidl_mxnet.optimizer import SGD, Adam, create

HERE = os.path.dirname(os.path.abspath(__file__))
FIX = np.load(os.path.join(HERE, "data", "optim_mxnet191.npz"))
CASES = sorted({k.split("/")[0] for k in FIX.files})
STEPS = 5
# LAMB is a composite of core ops while MXNet's kernels mix float32 and float64 scalars; everything else is bitwise
TOL = {"lamb": dict(rtol=2e-6, atol=1e-7), "lamb_bounds": dict(rtol=2e-6, atol=1e-7)}


def _make(case):
    cfg = json.loads(str(FIX[f"{case}/config"]))
    kw = dict(cfg["kwargs"])
    dtype = kw.pop("dtype", "float32")
    sched = kw.pop("sched", None)
    if sched is not None:
        assert sched[0] == "factor"
        kw["lr_scheduler"] = mx.lr_scheduler.FactorScheduler(**sched[1])
    opt = create(cfg["name"], **kw)
    opt.set_lr_mult({1: 0.5})
    opt.set_wd_mult({1: 2.0})
    return opt, dtype


def test_fixture_has_every_rule():
    names = {json.loads(str(FIX[f"{c}/config"]))["name"] for c in CASES}
    assert names == {"sgd", "nag", "adam", "adagrad", "rmsprop", "adadelta", "adamax", "nadam", "ftrl", "signum",
                     "lamb"}


@pytest.mark.filterwarnings("ignore:learning rate from ``lr_scheduler`` has been overwritten")
@pytest.mark.parametrize("case", CASES)
def test_matches_real_mxnet(case):
    opt, dtype = _make(case)
    ws = [nd.array(FIX[f"{case}/w{i}_0"], dtype=dtype) for i in range(2)]
    states = [opt.create_state_multi_precision(i, w) for i, w in enumerate(ws)]
    for t in range(1, STEPS + 1):
        for i, w in enumerate(ws):
            g = nd.array(FIX[f"{case}/g{i}_{t}"], dtype=dtype)
            opt.update_multi_precision(i, w, g, states[i])
            want = FIX[f"{case}/w{i}_{t}"]
            assert w.dtype == want.dtype
            if case in TOL:
                np.testing.assert_allclose(w.asnumpy(), want, **TOL[case], err_msg=f"{case} w{i} step {t}")
            else:
                np.testing.assert_array_equal(w.asnumpy(), want, err_msg=f"{case} w{i} step {t}")
    assert opt.num_update == int(FIX[f"{case}/num_update"])


def test_defaults_match_mxnet():
    assert SGD().learning_rate == 0.01 and SGD().momentum == 0.0
    a = Adam()
    assert (a.learning_rate, a.beta1, a.beta2, a.epsilon) == (0.001, 0.9, 0.999, 1e-8)
    r = create("rmsprop")
    assert (r.lr, r.gamma1, r.gamma2, r.epsilon, r.centered, r.clip_weights) == (0.001, 0.9, 0.9, 1e-8, False, None)
    assert create("adagrad").float_stable_eps == 1e-7
    d = create("adadelta")
    assert (d.rho, d.epsilon, d.lr) == (0.9, 1e-5, 0.01)
    assert create("adamax").lr == 0.002
    n = create("nadam")
    assert (n.lr, n.epsilon, n.schedule_decay, n.m_schedule) == (0.001, 1e-8, 0.004, 1.0)
    f = create("ftrl")
    assert (f.lr, f.lamda1, f.beta) == (0.1, 0.01, 1)
    s = create("signum")
    assert (s.lr, s.momentum, s.wd_lh) == (0.01, 0.9, 0.0)
    lamb = create("LAMB")
    assert (lamb.lr, lamb.epsilon, lamb.bias_correction) == (0.001, 1e-6, True)
    assert isinstance(create("NAG"), mx.optimizer.NAG) and isinstance(create("ccsgd"), SGD)
    assert mx.optimizer.optimizer.Adamax is mx.optimizer.Adamax


def test_registry_and_errors():
    with pytest.raises(ValueError, match="Cannot find optimizer nosuch"):
        create("nosuch")
    with pytest.raises(mx.MXNetError, match="Cannot find optimizer"):
        create("nosuch")

    @mx.optimizer.register
    class MyOpt(mx.optimizer.Optimizer):
        pass

    try:
        assert isinstance(mx.optimizer.Optimizer.create_optimizer("myopt"), MyOpt)
    finally:
        del mx.optimizer.Optimizer.opt_registry["myopt"]
    with pytest.raises(TypeError):
        SGD(no_such_argument=1)
    with pytest.raises(mx.MXNetError, match="must be an mx.nd.NDArray"):
        SGD().update(0, np.zeros(2), nd.zeros(2), None)


def test_update_counts_begin_num_update_and_multipliers():
    opt = SGD(learning_rate=0.5, wd=0.1, begin_num_update=3, param_idx2name={0: "fc_weight", 1: "fc_bias"})
    assert opt.num_update == 3
    w0, w1 = nd.ones(2), nd.ones(2)
    g = nd.zeros(2)
    opt.update(0, w0, g, None)
    opt.update(0, w0, g, None)
    opt.update(1, w1, g, None)
    assert opt._index_update_count == {0: 5, 1: 4} and opt.num_update == 5
    # the bias is named without _weight/_gamma: wd_mult 0, so only the weight decays
    np.testing.assert_array_equal(w1.asnumpy(), [1, 1])
    np.testing.assert_allclose(w0.asnumpy(), [0.95 ** 2] * 2, rtol=1e-6)
    opt.set_lr_mult({"fc_bias": 0.0})
    assert opt._get_lr(1) == 0.0 and opt._get_lr(0) == 0.5

    class P:
        lr_mult, wd_mult = 0.25, 3.0

    opt2 = SGD(learning_rate=0.4, wd=0.01, param_dict={0: P()})
    assert opt2._get_lr(0) == 0.1 and opt2._get_wd(0) == pytest.approx(0.03)


def test_learning_rate_and_scheduler():
    sched = mx.lr_scheduler.FactorScheduler(step=2, factor=0.5, base_lr=1.0)
    with pytest.warns(UserWarning, match="overwritten"):
        opt = SGD(learning_rate=0.2, lr_scheduler=sched)
    assert sched.base_lr == 0.2
    with pytest.raises(UserWarning, match="LRScheduler of the optimizer has already been defined"):
        opt.set_learning_rate(0.1)
    opt.num_update = 5
    assert opt.learning_rate == pytest.approx(0.05)
    plain = SGD(learning_rate=0.3)
    plain.set_learning_rate(0.7)
    assert plain.learning_rate == 0.7
    # without learning_rate the scheduler's base_lr is kept
    opt3 = mx.optimizer.Optimizer(lr_scheduler=mx.lr_scheduler.FactorScheduler(step=10, base_lr=0.9))
    assert opt3.learning_rate == 0.9


def test_clip_gradient_zero_means_off_for_fused_rules():
    w = nd.array([1.0, -1.0])
    SGD(learning_rate=1.0, clip_gradient=0).update(0, w, nd.array([0.5, 0.5]), None)
    np.testing.assert_array_equal(w.asnumpy(), [0.5, -1.5])


def test_updater_creates_states_and_round_trips():
    opt = create("adam", learning_rate=0.1)
    upd = mx.optimizer.get_updater(opt)
    w, g = nd.array([1.0, 2.0]), nd.array([0.5, -0.5])
    upd(0, g, w)
    upd([0, 1], [g, g], [w, nd.array([3.0, 4.0])])
    assert set(upd.states) == {0, 1} and opt._index_update_count == {0: 2, 1: 1}
    blob = upd.get_states(dump_optimizer=True)
    upd2 = mx.optimizer.get_updater(create("sgd"))
    upd2.set_states(blob)
    assert isinstance(upd2.optimizer, Adam) and upd2.optimizer.lr == 0.1
    assert upd2.optimizer._index_update_count == {0: 2, 1: 1}
    for i in (0, 1):
        for a, b in zip(upd.states[i], upd2.states[i]):
            np.testing.assert_array_equal(a.asnumpy(), b.asnumpy())
    with pytest.raises(mx.MXNetError, match="never unpickles"):
        upd2.set_states(b"\x80\x04\x95...")


def test_float16_without_multi_precision_warns():
    w = nd.array([1.0, 2.0], dtype="float16")
    with pytest.warns(UserWarning, match="multi_precision"):
        st = create("adam").create_state_multi_precision(0, w)
    assert st[0].dtype == np.float16
    st = create("adam", multi_precision=True).create_state_multi_precision(0, w)
    assert st[0].dtype == np.float32 and st[1][0].dtype == np.float32


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_trainer_groups_sgd_updates_as_mxnet_bitwise_the_per_weight_loop(momentum):
    """Gluon's Trainer hands SGD its weights in groups of ``aggregate_num`` (MXNet's multi-tensor path): the
    weights, the momenta and the kernel calls are those of one update per weight; lr_mult still applies."""
    from unidl.trace import kernel_trace
    from unidl_mxnet import autograd, gluon

    def run(aggregate_num):
        mx.random.seed(3)
        net = gluon.nn.HybridSequential(prefix="net_")  # the same parameter names (and order) in both runs
        with net.name_scope():
            net.add(gluon.nn.Dense(5, activation="relu"), gluon.nn.Dense(4), gluon.nn.Dense(3))
        net.initialize(mx.init.Xavier())
        x = nd.array(np.random.default_rng(0).standard_normal((6, 7)).astype(np.float32))
        net(x)
        list(net.collect_params().values())[1].lr_mult = 0.5
        opt = SGD(learning_rate=0.1, momentum=momentum, wd=1e-3, clip_gradient=0.5)
        opt.aggregate_num = aggregate_num
        trainer = gluon.Trainer(net.collect_params(), opt)
        with kernel_trace() as calls:
            for _ in range(3):
                with autograd.record():
                    loss = (net(x) ** 2).mean()
                loss.backward()
                trainer.step(6)
        return [p.data().asnumpy() for p in net.collect_params().values()], calls

    grouped, grouped_calls = run(4)
    single, single_calls = run(0)
    for a, b in zip(grouped, single):
        np.testing.assert_array_equal(a.view(np.uint32), b.view(np.uint32))
    assert grouped_calls == single_calls
    assert sum(c.op == "sgd_update_rescaled" for c in grouped_calls) == 3 * 6
