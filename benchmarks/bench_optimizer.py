"""The optimizer step's cost per parameter: SGD with momentum over many small arrays, every contender in one run.

    OMP_NUM_THREADS=2 python benchmarks/bench_optimizer.py [--mxnet-python PY] [--keras-python PY] [--json PATH]

The parameters are those of a 41-layer MLP 16-16-...-16-3 (82 arrays: 16x16 weights and 16-element biases,
3x16 and 3 at the end; 11 KB in all), so the per-parameter bookkeeping, not the arithmetic, decides. One call
updates all of them once from fixed gradients (lr 0.01, momentum 0.9):
  * ``gluon updater``: ``mx.optimizer.get_updater(mx.optimizer.SGD(...))`` called with (indices, grads, weights),
    as ``gluon.Trainer.step`` calls it (MXNet groups the weights by ``MXNET_OPTIMIZER_AGGREGATION_SIZE``, 4);
    the same source on ``unidl_mxnet`` here and on real MXNet 1.9.1 in its own interpreter (``--mxnet-python``);
  * ``keras apply``: ``keras.optimizers.SGD(...).apply(grads, variables)``, as ``fit`` calls it; on
    ``unidl_keras`` here and on real Keras 3 (torch backend) in its own interpreter (``--keras-python``);
  * ``pytorch SGD``: ``torch.optim.SGD(..., momentum=0.9).step()`` (its default, multi-tensor ``foreach`` form);
  * ``numpy by hand``: ``m *= 0.9; m -= lr * g; p += m`` per array.
Blocks of calls run round-robin, each round in the opposite order of the one before; each figure is µs per
parameter per update, the best block (the median beside it).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any, Callable, Dict, List, Optional, Tuple

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench_workloads import first_existing, machine, time_rounds  # noqa: E402
from common import LineWorker, serve_requests  # noqa: E402

LR, MOMENTUM, LAYERS, WIDTH, CLASSES = 0.01, 0.9, 41, 16, 3
Runner = Callable[[int], float]


def shapes() -> List[Tuple[int, ...]]:
    """The parameter shapes: (out, in) weights and (out,) biases, layer by layer."""
    out: List[Tuple[int, ...]] = []
    for i in range(LAYERS):
        o = CLASSES if i == LAYERS - 1 else WIDTH
        out += [(o, WIDTH), (o,)]
    return out


def arrays(seed: int) -> List[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s).astype(np.float32) for s in shapes()]


def timed(step: Callable[[], Any], params: List[Any], sync: Callable[[], Any] = lambda: None) -> Runner:
    """``run(n)``: the seconds n calls of ``step`` took; ``run.params`` are the arrays it updates."""
    import time

    def run(n: int) -> float:
        t0 = time.perf_counter()
        for _ in range(n):
            step()
        sync()
        return time.perf_counter() - t0

    run.params = params  # type: ignore[attr-defined]
    return run


def gluon_runner(mx: Any) -> Runner:
    """The updater ``gluon.Trainer.step`` calls, on the MXNet-compatible module ``mx``."""
    weights = [mx.nd.array(a) for a in arrays(0)]
    grads = [mx.nd.array(a) for a in arrays(1)]
    updater = mx.optimizer.get_updater(mx.optimizer.SGD(learning_rate=LR, momentum=MOMENTUM))
    idx = list(range(len(weights)))
    return timed(lambda: updater(idx, grads, weights), weights, mx.nd.waitall)


def keras_runner(k: Any) -> Runner:
    """``optimizer.apply``, as ``fit`` calls it, on the Keras-compatible module ``k``."""
    variables = [k.Variable(a) for a in arrays(0)]
    grads = [k.ops.convert_to_tensor(a) for a in arrays(1)]
    opt = k.optimizers.SGD(LR, momentum=MOMENTUM)
    opt.build(variables)
    return timed(lambda: opt.apply(grads, variables), variables)


def torch_runner(torch: Any) -> Runner:
    params = [torch.nn.Parameter(torch.tensor(a)) for a in arrays(0)]
    for p, g in zip(params, arrays(1)):
        p.grad = torch.tensor(g)
    opt = torch.optim.SGD(params, lr=LR, momentum=MOMENTUM)
    return timed(opt.step, params)


def numpy_runner() -> Runner:
    params, grads = arrays(0), arrays(1)
    moms = [np.zeros_like(p) for p in params]
    lr, mom = np.float32(LR), np.float32(MOMENTUM)

    def step() -> None:
        for p, g, m in zip(params, grads, moms):
            m *= mom
            m -= lr * g
            p += m

    return timed(step, params)


def worker_main(kind: str) -> None:
    """Worker loop in the real framework's interpreter (see ``LineWorker``)."""
    if kind == "mxnet":
        import mxnet as lib

        version = lib.__version__
        make = gluon_runner
    else:
        os.environ.setdefault("KERAS_BACKEND", "torch")
        import keras as lib

        version = f"{lib.__version__} (backend {lib.backend.backend()})"
        make = keras_runner
    serve_requests({"ready": True, "version": version}, lambda name: make(lib))


def start_worker(kind: str, python: Optional[str], notes: Dict[str, str]) -> Optional[LineWorker]:
    if not python or not os.path.exists(python):
        notes[kind] = f"no interpreter ({python or 'none given'})"
        return None
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)  # the worker sees its own venv only
    env.setdefault("MXNET_ENGINE_TYPE", "NaiveEngine")
    env["KERAS_BACKEND"] = "torch"
    try:
        return LineWorker([python, os.path.abspath(__file__), "--worker", kind], env, f"{kind} worker", cwd="/")
    except Exception as err:  # noqa: BLE001 - missing venv or package: the table says why
        notes[kind] = str(err)[-300:]
        return None


def main(argv: Optional[List[str]] = None) -> Dict[str, Any]:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=15)
    p.add_argument("--inner", type=int, default=20, help="updates per timed block")
    p.add_argument("--warmup", type=int, default=5)
    p.add_argument("--mxnet-python", default=None, help="interpreter with MXNet 1.9.1 ('' leaves it out)")
    p.add_argument("--keras-python", default=None, help="interpreter with Keras 3 and torch ('' leaves it out)")
    p.add_argument("--no-torch", action="store_true")
    p.add_argument("--json", default=None, metavar="PATH")
    p.add_argument("--worker", choices=("mxnet", "keras"), help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        worker_main(args.worker)
        return {}
    import unidl_keras
    import unidl_mxnet

    notes: Dict[str, str] = {}
    runners: Dict[str, Runner] = {"unidl gluon updater": gluon_runner(unidl_mxnet),
                                  "unidl keras apply": keras_runner(unidl_keras)}
    workers: List[LineWorker] = []
    mxp = args.mxnet_python if args.mxnet_python is not None else first_existing(
        os.environ.get("UNIDL_MXNET_PYTHON"), "/work/venv-mx/bin/python", "/tmp/mxvenv/bin/python")
    kp = args.keras_python if args.keras_python is not None else first_existing(
        os.environ.get("UNIDL_KERAS_PYTHON"), "/work/venv-keras/bin/python")
    for kind, python, name in (("mxnet", mxp, "mxnet 1.9.1 gluon updater"), ("keras", kp, "keras 3 (torch) apply")):
        w = start_worker(kind, python, notes)
        if w is not None:
            workers.append(w)
            notes[kind] = str(w.info.get("version"))
            runners[name] = w.runner("update")
    if not args.no_torch:
        try:
            import torch

            threads = os.environ.get("OMP_NUM_THREADS")
            if threads:
                torch.set_num_threads(int(threads))
            runners["pytorch SGD"] = torch_runner(torch)
            notes["torch"] = torch.__version__
        except ImportError as err:
            notes["torch"] = f"not available ({err})"
    runners["numpy by hand"] = numpy_runner()
    try:
        timings = time_rounds(runners, args.rounds, args.inner, args.warmup)
    finally:
        for w in workers:
            w.close()
    n = len(shapes())
    print(f"\nSGD with momentum, one update of {n} parameters ({LAYERS}-layer MLP, width {WIDTH}): "
          "µs per parameter, best (median)")
    results: Dict[str, Any] = {}
    for name, t in timings.items():
        if isinstance(t, str):
            print(f"  {name:<28} {t}")
            results[name] = t
            continue
        best, med = t[0] * 1e6 / n, t[1] * 1e6 / n
        print(f"  {name:<28} {best:8.2f}  ({med:.2f})")
        results[name] = {"best_us_per_param": best, "median_us_per_param": med}
    for kind, note in notes.items():
        print(f"  [{kind}] {note}")
    out = {"machine": machine(), "notes": notes, "params": n, "results": results}
    if args.json:
        with open(args.json, "w") as f:
            json.dump(out, f, indent=1)
    return out


if __name__ == "__main__":
    main()
