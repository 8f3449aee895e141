"""Data-parallel step time on this machine: 1 rank x 2 BLAS threads vs 2 ranks x 1 thread (MPI), and on 2 ranks
the gradient reduction after backward vs overlapped with backward (same run).

Workloads (Gluon face, SGD momentum 0.9, softmax cross-entropy, float32), at the same *global* batch:
  mlp    784-256-128-10, global batch 128
  lenet  conv 6@5x5 - pool - conv 16@5x5 - pool - 120 - 84 - 10 on 28x28x1, global batch 64
With 2 ranks each takes half the batch and the gradients go through a ``dist_sync`` kvstore, summed in rank
order, in three configurations that take turns step by step in the same job:
  after backward   ``UNIDL_DIST_OVERLAP=0``: one collective per step once backward has finished
  overlap 25 MB    buckets of 25 MB (the default): both nets fit in one bucket, posted when backward ends
  overlap 64 KB    buckets of 64 KB: the first bucket (the last layers) is posted while backward still runs
Reported: the median ms per step over the timed steps, and the ms of it the step spent waiting for the
reduction (around ``unidl.distributed.allreduce_many`` after backward; around
``GradientBucketer.finish`` with overlap, the part of the communication backward did not hide) and that
share; with overlap also the ms spent inside backward copying gradients into buckets and posting them.

    python benchmarks/bench_dist.py            # runs both jobs (needs the `dist` extra) and prints
    python benchmarks/bench_dist.py --steps 60
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

WORKLOADS = {"mlp": 128, "lenet": 64}


def _net(name: str):
    from unidl_mxnet.gluon import nn

    net = nn.HybridSequential()
    if name == "mlp":
        net.add(nn.Dense(256, activation="relu"), nn.Dense(128, activation="relu"), nn.Dense(10))
    else:
        net.add(nn.Conv2D(6, 5, padding=2, activation="relu"), nn.MaxPool2D(2),
                nn.Conv2D(16, 5, activation="relu"), nn.MaxPool2D(2), nn.Flatten(),
                nn.Dense(120, activation="relu"), nn.Dense(84, activation="relu"), nn.Dense(10))
    return net


CONFIGS = (("after backward", "0", None), ("overlap 25 MB", "1", "25"), ("overlap 64 KB", "1", "0.0625"))


def worker(steps: int, warmup: int) -> None:
    """One rank's timings as JSON on stdout (rank 0 only)."""
    import numpy as np

    import unidl.distributed as dist
    import unidl_mxnet as mx
    from unidl.grad_buckets import GradientBucketer
    from unidl_mxnet import autograd, gluon

    kv = mx.kv.create("dist_sync")
    rank, size = kv.rank, kv.num_workers
    clock = {"comm": 0.0, "hooks": 0.0}

    def timed(fn, key):
        def wrapper(*a, **k):
            t0 = time.perf_counter()
            try:
                return fn(*a, **k)
            finally:
                clock[key] += time.perf_counter() - t0
        return wrapper

    dist.allreduce_many = timed(dist.allreduce_many, "comm")
    GradientBucketer.finish = timed(GradientBucketer.finish, "comm")
    GradientBucketer._on_ready = timed(GradientBucketer._on_ready, "hooks")
    GradientBucketer._on_end = timed(GradientBucketer._on_end, "hooks")
    configs = CONFIGS if size > 1 else CONFIGS[:1]
    out: dict = {}
    for name, global_batch in WORKLOADS.items():
        per = global_batch // size
        rng = np.random.default_rng(rank)
        shape = (per, 784) if name == "mlp" else (per, 1, 28, 28)
        x = mx.nd.array(rng.standard_normal(shape).astype(np.float32))
        y = mx.nd.array(rng.integers(0, 10, per).astype(np.float32))
        loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
        setups = []
        for label, overlap, mb in configs:
            os.environ["UNIDL_DIST_OVERLAP"] = overlap
            if mb is not None:
                os.environ["UNIDL_DIST_BUCKET_MB"] = mb
            mx.random.seed(0)
            net = _net(name)
            net.initialize(mx.init.Xavier())
            net(x)
            trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.01, "momentum": 0.9},
                                    kvstore=mx.kv.create("dist_sync"))  # one store per trainer (keys start at 0)
            setups.append((label, overlap, net, trainer, {"times": [], "comm": [], "hooks": []}))
        # the configurations take turns step by step, so a slow spell of the machine hits them alike
        for i in range(warmup + steps):
            for label, overlap, net, trainer, rec in setups:
                os.environ["UNIDL_DIST_OVERLAP"] = overlap
                clock["comm"] = clock["hooks"] = 0.0
                dist.barrier()
                t0 = time.perf_counter()
                with autograd.record():
                    loss = loss_fn(net(x), y)
                loss.backward()
                trainer.step(global_batch)
                loss.wait_to_read()
                if i >= warmup:
                    rec["times"].append(time.perf_counter() - t0)
                    rec["comm"].append(clock["comm"])
                    rec["hooks"].append(clock["hooks"])
        runs = {}
        for label, overlap, net, trainer, rec in setups:
            b = trainer._bucketer
            runs[label] = {"step_ms": float(np.median(rec["times"]) * 1e3),
                           "comm_ms": float(np.median(rec["comm"]) * 1e3),
                           "hooks_ms": float(np.median(rec["hooks"]) * 1e3),
                           "buckets": len(b.buckets) if b is not None else 0,
                           "overlapped_steps": b.rounds if b is not None else 0}
        out[name] = runs
    if rank == 0:
        print("BENCH_DIST " + json.dumps({"ranks": size, "results": out}), flush=True)


def _run(cmd, threads: int) -> dict:
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads),
               MKL_NUM_THREADS=str(threads), UNIDL_BENCH_DIST_WORKER="1")
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=1800)
    for line in proc.stdout.splitlines():
        if line.startswith("BENCH_DIST "):
            return json.loads(line[len("BENCH_DIST "):])
    raise SystemExit(f"bench_dist: {' '.join(cmd)} failed:\n{proc.stdout}\n{proc.stderr}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=40)
    parser.add_argument("--warmup", type=int, default=5)
    args = parser.parse_args()
    if os.environ.get("UNIDL_BENCH_DIST_WORKER"):
        worker(args.steps, args.warmup)
        return
    me = [os.path.abspath(__file__), "--steps", str(args.steps), "--warmup", str(args.warmup)]
    one = _run([sys.executable, "-m", "unidl", "run", *me], threads=2)
    two = _run([sys.executable, "-m", "unidl", "launch", "-n", "2", *me], threads=1)
    print(f"{'workload':8} {'config':50} {'ms/step':>8} {'wait ms':>8} {'share':>6} {'hooks ms':>9}")
    for name, gb in WORKLOADS.items():
        base = one["results"][name]["after backward"]["step_ms"]
        rows = [("1 rank x 2 threads", one["results"][name]["after backward"])]
        rows += [(f"2 ranks x 1 thread, {label}", two["results"][name][label]) for label, _, _ in CONFIGS]
        for label, r in rows:
            share = r["comm_ms"] / r["step_ms"] if r["step_ms"] else 0.0
            extra = f"{r['hooks_ms']:9.3f}" if "overlap" in label else f"{'':9}"
            nb = f" ({r['buckets']} bucket{'s' if r['buckets'] != 1 else ''})" if "overlap" in label else ""
            print(f"{name:8} {label + nb:50} {r['step_ms']:8.2f} {r['comm_ms']:8.3f} {share:6.1%} {extra}")
        after = two["results"][name]["after backward"]["step_ms"]
        for label, _, _ in CONFIGS[1:]:
            r = two["results"][name][label]
            print(f"{'':8} {'speed-up of ' + label + ' over after backward':50} {after / r['step_ms']:7.3f}x")
        print(f"{'':8} {'speed-up of 2 ranks (after backward) over 1':50} {base / after:7.3f}x   (global batch {gb})")

if __name__ == "__main__":
    main()
