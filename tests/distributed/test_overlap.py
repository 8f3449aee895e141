"""Gradient reduction overlapped with backward (unidl.grad_buckets) on 2 ranks: the same bits as reducing after
backward and as one process accumulating in rank order, in both faces; buckets posted while backward still
runs; unused parameters, gradients changed between backward and step, a mismatched bucket plan and a failed
rank."""
from __future__ import annotations

import os
import subprocess
import sys
import time

import numpy as np
import pytest

HERE = os.path.dirname(__file__)
ENV = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1", MKL_NUM_THREADS="1")
SMALL = "0.0002"  # MB: 209 bytes, so the test MLP (6-16-3) splits into several buckets


def _run(cmd, tmp_path, **env):
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=240, env=dict(ENV, **env), cwd=str(tmp_path))
    assert out.returncode == 0, out.stdout + out.stderr
    return out


def _launch(script, args, tmp_path, **env):
    return _run([sys.executable, "-m", "unidl", "launch", "-n", "2", script, *args], tmp_path, **env)


def _equal(a, b, what):
    assert sorted(a.files) == sorted(b.files) and a.files, what
    for k in a.files:
        assert a[k].tobytes() == b[k].tobytes(), f"{what}: {k}: max |diff| {np.abs(a[k] - b[k]).max()}"


@pytest.mark.parametrize("face,mode,opt", [("gluon", "dist_sync", "sgd"), ("gluon", "dist_sync", "adam"),
                                           ("gluon", "dist_sync_noukv", "sgd"), ("gluon", "horovod", "adam"),
                                           ("keras", "dataparallel", "sgd"), ("keras", "dataparallel", "adam"),
                                           ("keras", "horovod", "sgd")])
def test_overlap_is_bitwise_equal_to_reducing_after_backward_and_to_one_process(tmp_path, face, mode, opt):
    script = os.path.join(HERE, f"{face}_train.py")
    outs = {}
    for overlap in ("1", "0"):
        path = str(tmp_path / f"o{overlap}.npz")
        out = _launch(script, [mode, opt, path], tmp_path, UNIDL_DIST_OVERLAP=overlap, UNIDL_DIST_BUCKET_MB=SMALL)
        rounds = "4" if overlap == "1" else "0"
        for r in (0, 1):   # every step of both ranks went through the buckets (or none did)
            assert f"rank {r} overlap rounds {rounds} fallbacks 0" in out.stdout, out.stdout
        outs[overlap] = (np.load(path), np.load(path + ".rank1.npz"))
    twin = "ref2" if (face, mode) == ("gluon", "horovod") else "ref"
    _run([sys.executable, "-m", "unidl", "run", script, twin, opt, str(tmp_path / "ref.npz")], tmp_path)
    ref = np.load(tmp_path / "ref.npz")
    _equal(outs["1"][0], outs["1"][1], "overlap: rank 0 vs rank 1")
    _equal(outs["1"][0], outs["0"][0], "overlap vs after backward")
    _equal(outs["1"][0], ref, "overlap vs one process")


TRACE = """
    import sys
    import numpy as np
    import unidl.distributed as d
    from unidl import grad_buckets as gb

    face = sys.argv[1]
    events = []
    gb.trace = lambda e, i: events.append((e, i))
    rng = np.random.default_rng(0)
    if face == "gluon":
        import mxnet as mx
        from mxnet import autograd, gluon

        kv = mx.kv.create("dist_sync")
        net = gluon.nn.HybridSequential()
        net.add(gluon.nn.Dense(32, activation="relu", in_units=8), gluon.nn.Dense(32, activation="relu", in_units=32),
                gluon.nn.Dense(4, in_units=32))
        net.initialize(mx.init.Xavier())
        trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1}, kvstore=kv)
        loss_fn = gluon.loss.L2Loss()
        for step in range(3):
            x = mx.nd.array(rng.standard_normal((4, 8)).astype("float32"))
            with autograd.record():
                loss = loss_fn(net(x), mx.nd.zeros((4, 4)))
            loss.backward()
            events.append(("returned", -1))
            trainer.step(4)
    else:
        import keras

        keras.distribution.set_distribution(keras.distribution.DataParallel())
        model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(32, activation="relu"),
                                  keras.layers.Dense(32, activation="relu"), keras.layers.Dense(4)])
        model.compile(keras.optimizers.SGD(0.1), "mse")
        model.fit(rng.standard_normal((24, 8)).astype("float32"), np.zeros((24, 4), "float32"), batch_size=8,
                  shuffle=False, verbose=0)
    steps, cur = [], None
    for e in events:
        if cur is None:
            cur = []
        cur.append(e)
        if e[0] == "finish":
            steps.append(cur)
            cur = None
    assert len(steps) == 3, events
    for s in steps:
        names = [e[0] for e in s]
        ready = [i for i, e in enumerate(s) if e[0] == "ready"]
        first_post, end = s.index(("post", 0)), s.index(("end", -1))
        # bucket 0 (the last layer's gradients) was posted while backward was still producing gradients:
        # before the last gradient became ready and before backward returned
        assert first_post < ready[-1] < end, s
        assert names.count("post") == 6 and names.count("ready") == 6, s
        if face == "gluon":
            assert end < s.index(("returned", -1)) < s.index(("finish", -1)), s
    assert [e for e in events if e[0] == "done"] == [("done", k) for k in range(6)] * 3, events
    print("OVERLAP OK", face, d.rank(), flush=True)
"""


@pytest.mark.parametrize("face", ["gluon", "keras"])
def test_first_bucket_is_posted_before_backward_returns(launch, face):
    out = launch(TRACE, args=[face], env={"UNIDL_DIST_BUCKET_MB": "0.000001", "UNIDL_DIST_OVERLAP": "1"})
    assert out.returncode == 0, out.stdout + out.stderr
    assert f"OVERLAP OK {face} 0" in out.stdout and f"OVERLAP OK {face} 1" in out.stdout


UNUSED = """
    import sys
    import numpy as np
    import unidl.distributed as d
    from unidl.grad_buckets import stats

    face, out = sys.argv[1], sys.argv[2]
    rng = np.random.default_rng(d.rank())
    if face == "gluon":
        import mxnet as mx
        from mxnet import autograd, gluon

        kv = mx.kv.create("dist_sync")
        a, unused, b = (gluon.nn.Dense(8, in_units=6), gluon.nn.Dense(5, in_units=8), gluon.nn.Dense(3, in_units=8))
        params = {}
        for i, blk in enumerate((a, unused, b)):
            mx.random.seed(i)
            blk.initialize(mx.init.Xavier())
            params.update({f"{i}{k}": v for k, v in blk.collect_params().items()})
        trainer = gluon.Trainer(params, "sgd", {"learning_rate": 0.1, "momentum": 0.9}, kvstore=kv)
        for step in range(3):
            with autograd.record():      # `unused` takes no part: its gradients stay as they were
                loss = ((b(a(mx.nd.array(rng.standard_normal((4, 6)).astype("float32"))))) ** 2).sum()
            loss.backward()
            trainer.step(8, ignore_stale_grad=True)
        weights = {k: v.data().asnumpy() for k, v in sorted(params.items())}
    else:
        import keras

        keras.distribution.set_distribution(keras.distribution.DataParallel())

        class M(keras.Model):
            def __init__(self):
                super().__init__()
                self.a, self.unused, self.b = keras.layers.Dense(8), keras.layers.Dense(5), keras.layers.Dense(3)

            def call(self, x):
                return self.b(self.a(x))

        keras.utils.set_random_seed(1)
        model = M()
        model(np.zeros((1, 6), "float32"))
        model.unused(np.zeros((1, 8), "float32"))
        model.compile(keras.optimizers.SGD(0.1, momentum=0.9), "mse")
        model.fit(rng.standard_normal((24, 6)).astype("float32"), rng.standard_normal((24, 3)).astype("float32"),
                  batch_size=8, shuffle=False, verbose=0)
        weights = {f"w{i}": w.numpy() for i, w in enumerate(model.weights)}
    if d.rank() == 0:
        np.savez(out, **weights)
    print("rank", d.rank(), "rounds", stats["rounds"], flush=True)
"""


@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("face", ["gluon", "keras"])
def test_unused_parameters_do_not_hang(launch, tmp_path, face):
    """A parameter that gets no gradient (placed so it sits in the first bucket) is taken as it is when backward
    ends; the result equals reducing after backward."""
    res = {}
    for overlap in ("1", "0"):
        out = launch(UNUSED, args=[face, f"u{overlap}.npz"], timeout=120,
                     env={"UNIDL_DIST_OVERLAP": overlap, "UNIDL_DIST_BUCKET_MB": SMALL, "UNIDL_DIST_TIMEOUT": "20"})
        assert out.returncode == 0, out.stdout + out.stderr
        if overlap == "1":
            assert "rank 0 rounds 3" in out.stdout and "rank 1 rounds 3" in out.stdout, out.stdout
        res[overlap] = np.load(tmp_path / f"u{overlap}.npz")
    _equal(res["1"], res["0"], "overlap vs after backward")


FALLBACK = """
    import sys
    import numpy as np
    import mxnet as mx
    from mxnet import autograd, gluon
    from unidl.grad_buckets import stats

    case, out = sys.argv[1], sys.argv[2]
    kv = mx.kv.create("dist_sync")
    rank = kv.rank
    rng = np.random.default_rng(rank)
    net = gluon.nn.HybridSequential()
    net.add(gluon.nn.Dense(16, activation="relu", in_units=6), gluon.nn.Dense(3, in_units=16))
    mx.random.seed(3)
    net.initialize(mx.init.Xavier())
    params = net.collect_params()
    if case == "add":
        for p in params.values():
            p.grad_req = "add"
    trainer = gluon.Trainer(params, "sgd", {"learning_rate": 0.1, "momentum": 0.9}, kvstore=kv,
                            update_on_kvstore=False)

    def backward():
        with autograd.record():
            loss = (net(mx.nd.array(rng.standard_normal((4, 6)).astype("float32"))) ** 2).sum()
        loss.backward()

    for step in range(3):
        if case == "add":
            for p in params.values():
                p.zero_grad()
        backward()
        if case in ("twice", "add"):
            backward()           # a second backward: overwrites ('write') or accumulates ('add')
        if case == "clip" and rank == 0:
            grads = [p.grad() for p in params.values()]
            gluon.utils.clip_global_norm(grads, 0.01)     # only rank 0's gradients change after backward
        trainer.step(8)
    if rank == 0:
        np.savez(out, **{k: v.data().asnumpy() for k, v in sorted(params.items())})
    print("rank", rank, "rounds", stats["rounds"], "fallbacks", stats["fallbacks"], flush=True)
"""


@pytest.mark.parametrize("case", ["clip", "twice", "add"])
def test_gradients_changed_after_backward_fall_back_on_every_rank(launch, tmp_path, case):
    """Gradients clipped in place on one rank between backward and step, a second backward, or 'add'
    accumulation: every rank falls back to reducing after backward, so the result is what the script asked."""
    res = {}
    for overlap in ("1", "0"):
        out = launch(FALLBACK, args=[case, f"f{overlap}.npz"], timeout=120,
                     env={"UNIDL_DIST_OVERLAP": overlap, "UNIDL_DIST_BUCKET_MB": SMALL, "UNIDL_DIST_TIMEOUT": "20"})
        assert out.returncode == 0, out.stdout + out.stderr
        if overlap == "1":
            for r in (0, 1):
                assert f"rank {r} rounds 0 fallbacks 3" in out.stdout, out.stdout
        res[overlap] = np.load(tmp_path / f"f{overlap}.npz")
    _equal(res["1"], res["0"], "overlap vs after backward")


def test_mismatched_bucket_plans_are_a_clear_error(launch):
    out = launch("""
        import os
        import numpy as np
        import unidl
        import unidl.distributed as d
        from unidl.grad_buckets import GradientBucketer

        d.init()
        r = d.rank()
        leaves = [unidl.tensor(np.zeros((4, 3 + r), np.float32)).attach_grad(), unidl.tensor(np.zeros(4, np.float32))]
        try:
            GradientBucketer(leaves, cap_bytes=1 << 20)
        except d.DistributedError as e:
            msg = str(e)
            assert "bucket plan" in msg and "rank 0:" in msg and "rank 1:" in msg and "float32[16]" in msg, msg
        else:
            raise AssertionError("no error for different parameter shapes")

        # the same parameters, a different bucket size on rank 1 (through the Gluon Trainer)
        os.environ["UNIDL_DIST_BUCKET_MB"] = "25" if r == 0 else "0.0001"
        import mxnet as mx
        from mxnet import gluon

        kv = mx.kv.create("dist_sync")
        net = gluon.nn.Dense(3, in_units=6)
        net.initialize()
        try:
            gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1}, kvstore=kv)
        except mx.base.MXNetError as e:
            msg = str(e)
            assert "gluon.Trainer bucket plan" in msg and "cap=26214400" in msg and "cap=104" in msg, msg
        else:
            raise AssertionError("no error for different bucket sizes")
        print("PLAN OK", r, flush=True)
    """, env={"UNIDL_DIST_OVERLAP": "1"})
    assert out.returncode == 0, out.stdout + out.stderr
    assert "PLAN OK 0" in out.stdout and "PLAN OK 1" in out.stdout


@pytest.mark.parametrize("how", ["raise", "skip"])
def test_a_failed_rank_stops_an_overlapped_step(launch, how):
    """Rank 1 raises (or leaves) at step 2 while rank 0 has posted its buckets and waits for them: the job stops
    within the timeout, naming the failed rank (raise) or the waiting rank and the bucket (skip)."""
    fail = 'raise ValueError("boom on rank 1")' if how == "raise" else "sys.exit(0)"
    start = time.monotonic()
    out = launch(f"""
        import sys
        import numpy as np
        import mxnet as mx
        from mxnet import autograd, gluon

        kv = mx.kv.create("dist_sync")
        net = gluon.nn.Dense(3, in_units=6)
        net.initialize()
        trainer = gluon.Trainer(net.collect_params(), "sgd", {{"learning_rate": 0.1}}, kvstore=kv)
        for step in range(3):
            if step == 1 and kv.rank == 1:
                {fail}
            with autograd.record():
                loss = (net(mx.nd.ones((2, 6))) ** 2).sum()
            loss.backward()
            trainer.step(2)
            print("rank", kv.rank, "step", step, flush=True)
    """, timeout=60, env={"UNIDL_DIST_TIMEOUT": "3", "UNIDL_DIST_OVERLAP": "1"})
    took = time.monotonic() - start
    text = out.stdout + out.stderr
    assert out.returncode != 0, text
    assert "rank 0 step 1" not in text, text
    if how == "raise":
        assert "boom on rank 1" in text and "rank 1 of 2 failed" in text, text
    else:
        assert "rank 0 of 2 waited 3 s in gluon.Trainer: gradient bucket 1 of 1 (overlapped allreduce)" in text, text
    assert took < 30, took
