"""Gluon training step, time per batch: unidl_mxnet vs real MXNet 1.9.1 vs PyTorch eager, in one run.

The step is a typical (not hybridized) Gluon loop, the same source for both MXNet faces::

    with autograd.record():
        loss = loss_fn(net(x), y)
    loss.backward()
    trainer.step(batch)

for three models (plain SGD, lr 0.01, softmax cross-entropy):
  * MLP 784-256-128-10, batch 128;
  * LeNet-like CNN, NCHW 1x28x28, batch 64 (Conv 6 5x5 pad 2, MaxPool 2, Conv 16 5x5, MaxPool 2, Dense 120-84-10);
  * LSTM ``gluon.rnn.LSTM`` 64 -> 128, T 35, batch 32, layout TNC, + Dense 10 on the last step.
PyTorch eager runs the same architectures (forward, ``F.cross_entropy``, backward, ``optim.SGD``).

Real MXNet lives in its own virtual environment (it needs numpy < 1.24): this file is run there as a worker
(``--worker``, which imports mxnet and numpy only, never unidl); the worker builds the models and times
blocks of steps on request, so all three contenders are still timed round-robin (see common.py) and pipe
latency is not counted. Its interpreter: ``--mxnet-python``, else ``$UNIDL_MXNET_PYTHON``, else
``/tmp/mxvenv/bin/python`` when it exists; otherwise the column says "not available".

Threads: run with the count you compare at, e.g. ``OMP_NUM_THREADS=2 python benchmarks/bench_gluon.py``.
PyTorch gets ``torch.set_num_threads(OMP_NUM_THREADS)``; MXNet's worker inherits ``OMP_NUM_THREADS`` (its
oneDNN/OpenMP operator threads) and runs with ``MXNET_ENGINE_TYPE=NaiveEngine`` by default: every operator
runs synchronously in the Python thread, as in unidl and PyTorch eager, so all three use at most
OMP_NUM_THREADS cores. MXNet's default threaded engine (``--mxnet-engine ThreadedEnginePerDevice``) overlaps
Python with an extra engine worker thread, i.e. uses one more core than the others. The settings used are
printed with the table and stored in ``--json PATH``.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
from typing import Any, Callable, Dict, List, Optional, Tuple

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import LineWorker, gluon_step_runner, serve_requests, torch_step_runner  # noqa: E402

LR = 0.01
MODELS = ("mlp", "cnn", "lstm")
# name -> (label, batch, input shape of one batch); TNC for the LSTM
FULL = {"mlp": ("MLP 784-256-128-10 b128", 128, (128, 784)),
        "cnn": ("LeNet CNN 1x28x28 b64", 64, (64, 1, 28, 28)),
        "lstm": ("LSTM T35 b32 64->128 TNC", 32, (35, 32, 64))}
# --quick: tiny sizes for a smoke run (same architectures, small batches and sequence)
QUICK = {"mlp": ("MLP 784-256-128-10 b8", 8, (8, 784)),
         "cnn": ("LeNet CNN 1x28x28 b4", 4, (4, 1, 28, 28)),
         "lstm": ("LSTM T5 b4 64->128 TNC", 4, (5, 4, 64))}
COLUMNS = ("unidl_mxnet", "mxnet 1.9.1", "pytorch eager")
NOT_AVAILABLE = "not available"

# A block runner: ``run(n)`` does ``n`` train steps and returns the seconds they took.
Runner = Callable[[int], float]


def make_data(shape: Tuple[int, ...], batch: int, seed: int = 1) -> Tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.standard_normal(shape).astype(np.float32), rng.integers(0, 10, batch).astype(np.float32)


# -- the Gluon code, shared by unidl_mxnet (in this process) and MXNet 1.9.1 (in the worker) ------------------
def build_gluon(mx: Any, name: str) -> Any:
    """The Gluon network ``name`` for the MXNet-compatible module ``mx``."""
    nn, rnn = mx.gluon.nn, mx.gluon.rnn
    if name == "mlp":
        net = nn.Sequential()
        net.add(nn.Dense(256, activation="relu"), nn.Dense(128, activation="relu"), nn.Dense(10))
        return net
    if name == "cnn":
        net = nn.Sequential()
        net.add(nn.Conv2D(6, 5, padding=2, activation="relu"), nn.MaxPool2D(2),
                nn.Conv2D(16, 5, activation="relu"), nn.MaxPool2D(2), nn.Flatten(),
                nn.Dense(120, activation="relu"), nn.Dense(84, activation="relu"), nn.Dense(10))
        return net

    class LSTMNet(mx.gluon.Block):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            with self.name_scope():
                self.lstm = rnn.LSTM(128, input_size=64, layout="TNC")
                self.head = nn.Dense(10, in_units=128)

        def forward(self, x: Any) -> Any:
            return self.head(self.lstm(x)[-1])  # (T, N, 128) -> last step (N, 128) -> (N, 10)

    return LSTMNet()


def gluon_runner(mx: Any, name: str, sizes: Dict[str, Tuple[str, int, Tuple[int, ...]]]) -> Runner:
    """Build model ``name`` with ``mx`` and return ``run(n)``: n Gluon train steps, timed."""
    _, batch, shape = sizes[name]
    xn, yn = make_data(shape, batch)
    x, y = mx.nd.array(xn), mx.nd.array(yn)
    net = build_gluon(mx, name)
    net.initialize(mx.init.Xavier())
    trainer = mx.gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": LR})
    return gluon_step_runner(mx, net, x, y, trainer, batch)


# -- PyTorch eager -----------------------------------------------------------------------------------------------
def torch_runner(torch: Any, name: str, sizes: Dict[str, Tuple[str, int, Tuple[int, ...]]]) -> Runner:
    _, batch, shape = sizes[name]
    xn, yn = make_data(shape, batch)
    nn = torch.nn
    if name == "mlp":
        net = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
    elif name == "cnn":
        net = nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5),
                            nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(400, 120), nn.ReLU(),
                            nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))
    else:
        class LSTMNet(nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.lstm = nn.LSTM(64, 128)  # time-major, as TNC
                self.head = nn.Linear(128, 10)

            def forward(self, v: Any) -> Any:
                return self.head(self.lstm(v)[0][-1])

        net = LSTMNet()
    x, y = torch.tensor(xn), torch.tensor(yn.astype(np.int64))
    opt = torch.optim.SGD(net.parameters(), lr=LR)
    return torch_step_runner(torch, net, x, y, opt)


# -- real MXNet in its own interpreter -----------------------------------------------------------------------------
def worker_main(quick: bool) -> None:
    """Worker loop run by MXNet's interpreter: reads ``<model> <n>`` lines, answers one JSON line each."""
    import mxnet as mx

    sizes = QUICK if quick else FULL
    serve_requests({"ready": True, "version": mx.__version__, "numpy": np.__version__,
                    "engine": os.environ.get("MXNET_ENGINE_TYPE", "ThreadedEnginePerDevice (default)"),
                    "omp_num_threads": os.environ.get("OMP_NUM_THREADS", "unset")},
                   lambda name: gluon_runner(mx, name, sizes))


class MXNetWorker(LineWorker):
    """The parent's handle on a worker process; ``runner(name)`` times steps over there."""

    def __init__(self, python: str, quick: bool, engine: str) -> None:
        env = dict(os.environ)
        env.pop("PYTHONPATH", None)  # the worker must see its own venv only
        if engine:
            env["MXNET_ENGINE_TYPE"] = engine
        else:
            env.pop("MXNET_ENGINE_TYPE", None)
        cmd = [python, os.path.abspath(__file__), "--worker"] + (["--quick"] if quick else [])
        super().__init__(cmd, env, "MXNet worker")


def find_mxnet_python(arg: Optional[str]) -> Optional[str]:
    """``--mxnet-python`` if given ("" = none), else $UNIDL_MXNET_PYTHON, else /tmp/mxvenv/bin/python."""
    if arg is not None:
        return arg or None
    env = os.environ.get("UNIDL_MXNET_PYTHON")
    if env:
        return env
    default = "/tmp/mxvenv/bin/python"
    return default if os.path.exists(default) else None


# -- timing and the table ----------------------------------------------------------------------------------------
def time_blocks(runners: Dict[str, Runner], rounds: int, inner: int, warmup: int) -> Dict[str, Tuple[float, float]]:
    """(best, median) seconds per step of each runner over ``rounds`` round-robin rounds of ``inner`` steps
    (the protocol of common.time_interleaved, with each runner timing its own block)."""
    for run in runners.values():
        run(warmup)
    samples: Dict[str, List[float]] = {k: [] for k in runners}
    for _ in range(rounds):
        for name, run in runners.items():
            samples[name].append(run(inner) / inner)
    return {k: (min(v), statistics.median(v)) for k, v in samples.items()}


def format_table(results: Dict[str, Dict[str, Any]], labels: Dict[str, str]) -> str:
    """One row per model: best (median) ms per batch of each column, and unidl_mxnet's ratio to the others."""
    w = 22
    head = f"  {'model':<28}" + "".join(f"{c:>{w}}" for c in COLUMNS) + f"{'unidl/mxnet':>13}{'unidl/torch':>13}"
    lines = [head]
    for name, row in results.items():
        cells = []
        for c in COLUMNS:
            v = row.get(c)
            cells.append(f"{v[0] * 1e3:.3f} ({v[1] * 1e3:.3f})".rjust(w) if isinstance(v, tuple)
                         else str(v).rjust(w))
        u = row.get("unidl_mxnet")
        ratios = []
        for c in ("mxnet 1.9.1", "pytorch eager"):
            v = row.get(c)
            ratios.append(f"{u[0] / v[0]:>12.2f}x" if isinstance(u, tuple) and isinstance(v, tuple) else f"{'-':>13}")
        lines.append(f"  {labels[name]:<28}" + "".join(cells) + "".join(ratios))
    return "\n".join(lines)


def run_benchmark(argv: Optional[List[str]] = None) -> Dict[str, Any]:
    """Parse ``argv``, time every model, print the table and return the results (also written by --json)."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="smoke run: tiny sizes, 1 round, 1 step per round")
    p.add_argument("--rounds", type=int, default=None, help="round-robin rounds (default 10; 1 with --quick)")
    p.add_argument("--inner", type=int, default=None, help="steps per timed block (default 3; 1 with --quick)")
    p.add_argument("--warmup", type=int, default=None, help="warm-up steps (default 3; 1 with --quick)")
    p.add_argument("--models", default=",".join(MODELS), help="comma-separated subset of mlp,cnn,lstm")
    p.add_argument("--mxnet-python", default=None,
                   help="interpreter with MXNet 1.9.1 ('' = leave MXNet out); default $UNIDL_MXNET_PYTHON, "
                        "else /tmp/mxvenv/bin/python if it exists")
    p.add_argument("--mxnet-engine", default="NaiveEngine",
                   help="MXNET_ENGINE_TYPE for the worker (default NaiveEngine; '' = MXNet's default threaded "
                        "engine)")
    p.add_argument("--no-torch", action="store_true", help="leave PyTorch out")
    p.add_argument("--json", default=None, metavar="PATH", help="also write the results as JSON to PATH")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        worker_main(args.quick)
        return {}
    rounds = args.rounds or (1 if args.quick else 10)
    inner = args.inner or (1 if args.quick else 3)
    warmup = args.warmup or (1 if args.quick else 3)
    sizes = QUICK if args.quick else FULL
    models = [m.strip() for m in args.models.split(",") if m.strip()]
    bad = [m for m in models if m not in MODELS]
    if bad:
        p.error(f"--models: unknown {bad}; expected some of {list(MODELS)}")

    import unidl_mxnet

    threads = os.environ.get("OMP_NUM_THREADS", "unset")
    torch = None
    if not args.no_torch:
        try:
            import torch
        except Exception:  # noqa: BLE001 - not installed: the column says so
            torch = None
        if torch is not None and threads != "unset":
            torch.set_num_threads(int(threads))
    notes: Dict[str, str] = {}
    worker: Optional[MXNetWorker] = None
    mxpy = find_mxnet_python(args.mxnet_python)
    if mxpy is None:
        notes["mxnet 1.9.1"] = "no interpreter (--mxnet-python, $UNIDL_MXNET_PYTHON, /tmp/mxvenv/bin/python)"
    else:
        try:
            worker = MXNetWorker(mxpy, args.quick, args.mxnet_engine)
        except Exception as err:  # noqa: BLE001 - missing venv / mxnet: report, run the rest
            notes["mxnet 1.9.1"] = f"{mxpy}: {err}"
    if torch is None:
        notes["pytorch eager"] = "not installed" if not args.no_torch else "--no-torch"
    settings = {"OMP_NUM_THREADS": threads,
                "torch_num_threads": torch.get_num_threads() if torch is not None else None,
                "mxnet_python": mxpy if worker is not None else None,
                "MXNET_ENGINE_TYPE": worker.info["engine"] if worker is not None else None,
                "mxnet_worker_omp_num_threads": worker.info["omp_num_threads"] if worker is not None else None,
                "mxnet_version": worker.info["version"] if worker is not None else None,
                "rounds": rounds, "inner": inner, "warmup": warmup, "quick": args.quick}
    results: Dict[str, Dict[str, Any]] = {}
    try:
        for name in models:
            runners: Dict[str, Runner] = {"unidl_mxnet": gluon_runner(unidl_mxnet, name, sizes)}
            if worker is not None:
                runners["mxnet 1.9.1"] = worker.runner(name)
            if torch is not None:
                runners["pytorch eager"] = torch_runner(torch, name, sizes)
            row: Dict[str, Any] = {c: NOT_AVAILABLE for c in COLUMNS}
            row.update(time_blocks(runners, rounds, inner, warmup))
            results[name] = row
    finally:
        if worker is not None:
            worker.close()
    labels = {m: sizes[m][0] for m in models}
    print(f"\nGluon train step (record / backward / trainer.step), ms per batch: best of {rounds} rounds x "
          f"{inner} steps (median)")
    print(f"threads: OMP_NUM_THREADS={threads}, torch.set_num_threads={settings['torch_num_threads']}, "
          f"MXNet worker: OMP_NUM_THREADS={settings['mxnet_worker_omp_num_threads']}, "
          f"MXNET_ENGINE_TYPE={settings['MXNET_ENGINE_TYPE']}")
    print(format_table(results, labels))
    for col, why in notes.items():
        print(f"  {col}: {NOT_AVAILABLE} ({why})")
    out = {"settings": settings, "notes": notes,
           "results": {labels[m]: {c: ({"best_ms": v[0] * 1e3, "median_ms": v[1] * 1e3} if isinstance(v, tuple)
                                       else v) for c, v in row.items()} for m, row in results.items()}}
    if args.json:
        from unidl.io.atomic import write_bytes_atomic

        write_bytes_atomic(args.json, json.dumps(out, indent=2).encode())
    return out


def main(argv: Optional[List[str]] = None) -> None:
    run_benchmark(sys.argv[1:] if argv is None else argv)


if __name__ == "__main__":
    main()
