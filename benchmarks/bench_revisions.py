"""Before / after: the MLP, LeNet and LSTM training steps of both faces, this tree against another git
revision, in one run.

    OMP_NUM_THREADS=2 python benchmarks/bench_revisions.py --before f1f7f10

The other revision is checked out with ``git worktree`` into a temporary folder. Each side runs in a worker
process of its own (``--worker``) whose ``PYTHONPATH`` puts its tree first (the worker checks that it really
imported it), so both are timed alike; the parent waits between blocks so that one side's idle BLAS threads
(OpenBLAS spins for a while after a call) do not take the cores of the other. The workloads are the ones of ``bench_gluon.py`` (a Gluon ``record / backward / step`` loop),
``bench_keras_fit.py`` (``model.fit`` over 4 batches) and the hybridized Gluon steps of ``bench_workloads.py``'s W1-W3, built from the same source in both processes;
the two sides are timed round-robin, alternating which goes first, and each figure is the best round (the
median beside it): time per batch, and after/before.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Callable, Dict, List, Tuple

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from common import LineWorker, serve_requests  # noqa: E402

Runner = Callable[[int], float]
MODELS = ("mlp", "cnn", "lstm")
SETTLE = 0.25  # seconds between timed blocks: longer than OpenBLAS's idle spin


def _keras_runner(name: str) -> Runner:
    import unidl_keras

    import bench_keras_fit as bk

    label = {"mlp": "MLP 784-256-128-10 b128", "cnn": "LeNet CNN 28x28x1 b64", "lstm": "LSTM T35 b32 64->128"}[name]
    build, shape, batch = bk._models(unidl_keras)[label]
    rng = np.random.default_rng(0)
    x = rng.standard_normal((bk.STEPS * batch,) + shape).astype(np.float32)
    y = rng.integers(0, 10, bk.STEPS * batch)
    step = bk._fit_step(unidl_keras, build, shape, batch, x, y)

    def run(n: int) -> float:
        t0 = time.perf_counter()
        for _ in range(n):
            step()
        return (time.perf_counter() - t0) / bk.STEPS  # per batch

    return run


def _gluon_runner(name: str) -> Runner:
    import unidl_mxnet

    import bench_gluon as bg

    return bg.gluon_runner(unidl_mxnet, name, bg.FULL)


def _op_chain_runner() -> Runner:
    """Per recorded op: bench_ops's chain of small adds, forward and backward."""
    import unidl

    import bench_ops

    run_chain = bench_ops.unidl_chain(unidl.tensor(np.ones(4, np.float32), requires_grad=True))

    def run(n: int) -> float:
        t0 = time.perf_counter()
        for _ in range(n):
            run_chain()
        return (time.perf_counter() - t0) / bench_ops.CHAIN

    return run


def _hybridized_runner(name: str) -> Runner:
    """The speed issue's W1-W3 (bench_workloads.py) as a hybridized Gluon step."""
    import unidl_mxnet

    import bench_workloads as bw

    return bw.gluon_runner(unidl_mxnet, name, True)


def make_runner(workload: str) -> Runner:
    face, name = workload.split(":")
    if face == "core":
        return _op_chain_runner()
    if face == "hybridized":
        return _hybridized_runner(name)
    return _keras_runner(name) if face == "keras" else _gluon_runner(name)


WORKLOADS = ([f"{face}:{m}" for face in ("keras", "gluon") for m in MODELS] + ["core:op_chain"]
             + [f"hybridized:{w}" for w in ("w1", "w2", "w3")])


def worker_main(expect_root: str) -> None:
    """Reads ``<workload> <n>`` lines, answers one JSON line each (seconds for n steps)."""
    import unidl

    where = os.path.realpath(unidl.__file__)
    if not where.startswith(os.path.realpath(expect_root) + os.sep):
        print(json.dumps({"error": f"imported unidl from {where}, not from {expect_root}"}), flush=True)
        return
    serve_requests({"ready": True, "unidl": where}, make_runner)


class Worker(LineWorker):
    """A worker importing the unidl tree at ``root``."""

    def __init__(self, root: str) -> None:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join([root, os.path.join(root, "plugins")])
        super().__init__([sys.executable, os.path.abspath(__file__), "--worker", root], env, f"worker for {root}",
                         cwd=tempfile.gettempdir())


def checkout(rev: str) -> str:
    """A worktree of ``rev`` (reused when it exists)."""
    repo = os.path.dirname(HERE)
    sha = subprocess.check_output(["git", "-C", repo, "rev-parse", rev], text=True).strip()
    path = os.path.join(tempfile.gettempdir(), f"unidl-rev-{sha[:12]}")
    if not os.path.isdir(path):
        subprocess.check_call(["git", "-C", repo, "worktree", "add", "--detach", path, sha],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return path


def main(argv: List[str] = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before", default="HEAD~1", help="the git revision to compare against")
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--inner", type=int, default=3)
    ap.add_argument("--only", nargs="*", default=None, metavar="WORKLOAD",
                    help=f"time only these workloads (of {', '.join(WORKLOADS)})")
    ap.add_argument("--worker", metavar="ROOT", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        worker_main(args.worker)
        return
    workers = {"before": Worker(checkout(args.before)), "after": Worker(os.path.dirname(HERE))}
    try:
        samples: Dict[Tuple[str, str], List[float]] = {}
        chosen = [w for w in WORKLOADS if not args.only or w in args.only]
        pairs = {w: {side: workers[side].runner(w) for side in ("after", "before")} for w in chosen}
        for w, sides in pairs.items():
            for run in sides.values():
                run(2)
        for r in range(args.rounds):
            for w, sides in pairs.items():
                order = ("after", "before") if r % 2 == 0 else ("before", "after")
                for side in order:
                    time.sleep(SETTLE)
                    samples.setdefault((w, side), []).append(sides[side](args.inner) / args.inner)
    finally:
        for wk in workers.values():
            wk.close()
    print(f"threads: OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}; before = {args.before} "
          f"({workers['before'].info['unidl']}); ms per batch, best (median) of {args.rounds} rounds")
    print(f"{'workload':16} {'before':>18} {'after':>18} {'after/before':>13}   (core:op_chain: us per op)")
    for w in pairs:
        b, a = samples[(w, "before")], samples[(w, "after")]
        k = 1e6 if w.startswith("core:") else 1e3
        print(f"{w:16} {min(b) * k:8.3f} ({statistics.median(b) * k:7.3f}) "
              f"{min(a) * k:8.3f} ({statistics.median(a) * k:7.3f}) {min(a) / min(b):13.3f}")


if __name__ == "__main__":
    main()
