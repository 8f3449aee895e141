"""Data-parallel step time on this machine: 1 rank x 2 BLAS threads vs 2 ranks x 1 thread (MPI).

Workloads (Gluon face, SGD momentum 0.9, softmax cross-entropy, float32), at the same *global* batch:
  mlp    784-256-128-10, global batch 128
  lenet  conv 6@5x5 - pool - conv 16@5x5 - pool - 120 - 84 - 10 on 28x28x1, global batch 64
With 2 ranks each takes half the batch and the gradients go through a ``dist_sync`` kvstore (one bucketed
allreduce per step, summed in rank order). Reported: the median ms per step over the timed steps, the ms of it
spent in the allreduce (measured around ``unidl.distributed.allreduce_many``) and that share.

    python benchmarks/bench_dist.py            # runs both configurations (needs the `dist` extra) and prints
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


def worker(steps: int, warmup: int) -> None:
    """One rank's timings as JSON on stdout (rank 0 only)."""
    import numpy as np

    import unidl.distributed as dist
    import unidl_mxnet as mx
    from unidl_mxnet import autograd, gluon

    kv = mx.kv.create("dist_sync")
    rank, size = kv.rank, kv.num_workers
    comm = [0.0]
    real = dist.allreduce_many

    def timed(*a, **k):
        t0 = time.perf_counter()
        try:
            return real(*a, **k)
        finally:
            comm[0] += time.perf_counter() - t0

    dist.allreduce_many = timed
    out = {}
    for name, global_batch in WORKLOADS.items():
        per = global_batch // size
        rng = np.random.default_rng(rank)
        shape = (per, 784) if name == "mlp" else (per, 1, 28, 28)
        x = mx.nd.array(rng.standard_normal(shape).astype(np.float32))
        y = mx.nd.array(rng.integers(0, 10, per).astype(np.float32))
        mx.random.seed(0)
        net = _net(name)
        net.initialize(mx.init.Xavier())
        net(x)
        trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.01, "momentum": 0.9},
                                kvstore=mx.kv.create("dist_sync"))  # one store per trainer (keys start at 0)
        loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
        times, comms = [], []
        for i in range(warmup + steps):
            comm[0] = 0.0
            dist.barrier()
            t0 = time.perf_counter()
            with autograd.record():
                loss = loss_fn(net(x), y)
            loss.backward()
            trainer.step(global_batch)
            loss.wait_to_read()
            if i >= warmup:
                times.append(time.perf_counter() - t0)
                comms.append(comm[0])
        out[name] = {"step_ms": float(np.median(times) * 1e3), "comm_ms": float(np.median(comms) * 1e3)}
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
    print(f"{'workload':8} {'config':18} {'ms/step':>9} {'allreduce ms':>13} {'comm share':>11}")
    for name, gb in WORKLOADS.items():
        for label, res in (("1 rank x 2 threads", one), ("2 ranks x 1 thread", two)):
            r = res["results"][name]
            share = r["comm_ms"] / r["step_ms"] if r["step_ms"] else 0.0
            print(f"{name:8} {label:18} {r['step_ms']:9.2f} {r['comm_ms']:13.3f} {share:10.1%}")
        print(f"{'':8} {'speed-up (2 ranks)':18} {one['results'][name]['step_ms'] / two['results'][name]['step_ms']:9.2f}x"
              f"   (global batch {gb})")


if __name__ == "__main__":
    main()
