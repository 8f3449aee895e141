"""The speed issue's workloads W1-W4, every contender interleaved in one run, with the ratios to the goals.

    OMP_NUM_THREADS=2 python benchmarks/bench_workloads.py [--json PATH] [--workloads w1,w2,w3,w4]

Workloads (float32; softmax cross-entropy; SGD lr 0.01, momentum 0.9; random data of a fixed seed):
  * W1: MLP 784-256-128-10, batch 128;
  * W2: CNN Conv2D(32, 3, relu) - MaxPool 2 - Conv2D(64, 3, relu) - MaxPool 2 - Dense(128, relu) - Dense(10),
    1x28x28 (Keras: 28x28x1), batch 64;
  * W3: LSTM T35, batch 32, 64 -> 128, the last step -> Dense(10) (Gluon: layout TNC; Keras: (N, T, C));
  * W4: a recorded add in a chain of 100 plus the backward of the chain, microseconds per op.

Contenders for W1-W3, one training step each (ms per step):
  * ``unidl gluon`` / ``unidl gluon hybridized``: the Gluon loop ``record / loss / backward /
    trainer.step`` on ``unidl_mxnet``, the network plain or ``hybridize(static_alloc=True, static_shape=True)``
    (a captured step);
  * ``unidl keras fit`` / ``unidl keras fit eager``: ``model.fit`` over ``--fit-batches`` batches per call, time
    per batch; ``jit_compile="auto"`` (captured) or ``run_eagerly=True``;
  * ``pytorch eager``: the same networks in ``torch.nn`` with ``torch.optim.SGD``;
  * ``numpy by hand`` (W1 only): forward, loss, backward and the momentum update written in NumPy;
  * ``mxnet 1.9.1`` / ``mxnet 1.9.1 hybridized``: the same Gluon source on real MXNet in its own interpreter
    (``--mxnet-python``), NaiveEngine (every operator synchronous in the Python thread, as in unidl);
  * ``keras 3 (torch)``: the same Keras source on real Keras 3 with the torch backend in its own interpreter
    (``--keras-python``), through ``fit`` as above.
W4 contenders: the unidl core (``unidl.record``), the ``unidl_mxnet`` face (``autograd.record`` on NDArrays),
PyTorch eager, real MXNet imperative, and ``np.add`` (no autograd).

Every contender is timed in blocks of ``--inner`` steps (more where a block would take under ``--min-block-ms``),
round-robin, each round in the opposite order of
the one before, with a pause between blocks (OpenBLAS and OpenMP threads spin for a while after a call and
would take the next contender's cores). Each figure is the best block (the median beside it); the goals
are checked on the bests. Workers in other interpreters time their own blocks, so pipe latency is not
counted. A contender that cannot run here says why in its cell.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from typing import Any, Callable, Dict, List, Optional, Tuple

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import LineWorker, gluon_step_runner, serve_requests, torch_step_runner  # noqa: E402

LR, MOMENTUM, CLASSES = 0.01, 0.9, 10
BATCH = {"w1": 128, "w2": 64, "w3": 32}
LABELS = {"w1": "W1 MLP 784-256-128-10 b128", "w2": "W2 CNN 32c3-p2-64c3-p2-128-10 b64",
          "w3": "W3 LSTM T35 b32 64->128 ->10", "w4": "W4 recorded add, chain 100 (us/op)"}
CHAIN = 100
SETTLE = 0.3  # seconds between timed blocks: longer than OpenBLAS's and OpenMP's idle spin

# A block runner: ``run(n)`` does n steps and returns the seconds they took.
Runner = Callable[[int], float]


# -- data -----------------------------------------------------------------------------------------------------
def data(w: str, channels_last: bool = False) -> Tuple[np.ndarray, np.ndarray]:
    """(x, integer labels) of workload ``w``: channels-first / time-major unless ``channels_last`` (Keras)."""
    rng = np.random.default_rng(1)
    n = BATCH[w]
    if w == "w1":
        x = rng.standard_normal((n, 784))
    elif w == "w2":
        x = rng.standard_normal((n, 1, 28, 28))
        if channels_last:
            x = x.transpose(0, 2, 3, 1)
    else:
        x = rng.standard_normal((35, n, 64))
        if channels_last:
            x = x.transpose(1, 0, 2)
    return np.ascontiguousarray(x, dtype=np.float32), rng.integers(0, CLASSES, n)


# -- Gluon (unidl_mxnet in this process, MXNet 1.9.1 in a worker) ---------------------------------------------
def build_gluon(mx: Any, w: str) -> Any:
    nn = mx.gluon.nn
    if w in ("w1", "w2"):
        net = nn.HybridSequential()
        if w == "w1":
            net.add(nn.Dense(256, activation="relu"), nn.Dense(128, activation="relu"), nn.Dense(CLASSES))
        else:
            net.add(nn.Conv2D(32, 3, activation="relu"), nn.MaxPool2D(2), nn.Conv2D(64, 3, activation="relu"),
                    nn.MaxPool2D(2), nn.Dense(128, activation="relu"), nn.Dense(CLASSES))
        return net

    class LSTMNet(mx.gluon.HybridBlock):
        def __init__(self, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            with self.name_scope():
                self.lstm = mx.gluon.rnn.LSTM(128, input_size=64, layout="TNC")
                self.head = nn.Dense(CLASSES, in_units=128)

        def hybrid_forward(self, F: Any, x: Any) -> Any:
            last = F.slice_axis(self.lstm(x), axis=0, begin=34, end=35)  # (1, N, 128): the last step
            return self.head(F.reshape(last, (-1, 128)))

    return LSTMNet()


def gluon_runner(mx: Any, w: str, hybridize: bool) -> Runner:
    xn, yn = data(w)
    x, y = mx.nd.array(xn), mx.nd.array(yn.astype(np.float32))
    mx.random.seed(0)
    net = build_gluon(mx, w)
    net.initialize(mx.init.Xavier())
    if hybridize:
        net.hybridize(static_alloc=True, static_shape=True)
    trainer = mx.gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": LR, "momentum": MOMENTUM})
    return gluon_step_runner(mx, net, x, y, trainer, BATCH[w])


def mx_chain_runner(mx: Any) -> Runner:
    """W4 on an MXNet-compatible module: n chains of CHAIN recorded adds, each followed by its backward."""
    x = mx.nd.ones((4,))
    x.attach_grad()

    def run(n: int) -> float:
        t0 = time.perf_counter()
        for _ in range(n):
            with mx.autograd.record():
                y = x
                for _ in range(CHAIN):
                    y = y + x
            y.backward()
        mx.nd.waitall()
        return time.perf_counter() - t0

    return run


# -- Keras (unidl_keras in this process, Keras 3 on torch in a worker) ----------------------------------------
def build_keras(k: Any, w: str) -> Any:
    L = k.layers
    if w == "w1":
        layers = [k.Input((784,)), L.Dense(256, activation="relu"), L.Dense(128, activation="relu"), L.Dense(CLASSES)]
    elif w == "w2":
        layers = [k.Input((28, 28, 1)), L.Conv2D(32, 3, activation="relu"), L.MaxPooling2D(2),
                  L.Conv2D(64, 3, activation="relu"), L.MaxPooling2D(2), L.Flatten(), L.Dense(128, activation="relu"),
                  L.Dense(CLASSES)]
    else:
        layers = [k.Input((35, 64)), L.LSTM(128), L.Dense(CLASSES)]
    return k.Sequential(layers)


def keras_fit_runner(k: Any, w: str, fit_batches: int, eager: bool = False) -> Runner:
    """``model.fit`` over ``fit_batches`` batches per call; ``run(n)`` covers n batches (whole calls)."""
    xn, yn = data(w, channels_last=True)
    k.utils.set_random_seed(0)
    model = build_keras(k, w)
    model.compile(optimizer=k.optimizers.SGD(LR, momentum=MOMENTUM),
                  loss=k.losses.SparseCategoricalCrossentropy(from_logits=True), run_eagerly=eager)
    xs = np.concatenate([xn] * fit_batches)
    ys = np.concatenate([yn] * fit_batches)
    batch = BATCH[w]

    def run(n: int) -> float:
        calls = max(1, -(-n // fit_batches))
        t0 = time.perf_counter()
        for _ in range(calls):
            model.fit(xs, ys, batch_size=batch, epochs=1, shuffle=False, verbose=0)
        return (time.perf_counter() - t0) * n / (calls * fit_batches)

    return run


# -- PyTorch eager and NumPy by hand --------------------------------------------------------------------------
def torch_runner(torch: Any, w: str) -> Runner:
    nn = torch.nn
    torch.manual_seed(0)
    if w == "w1":
        net = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, CLASSES))
    elif w == "w2":
        net = nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(32, 64, 3), nn.ReLU(),
                            nn.MaxPool2d(2), nn.Flatten(), nn.Linear(64 * 5 * 5, 128), nn.ReLU(),
                            nn.Linear(128, CLASSES))
    else:
        class LSTMNet(nn.Module):
            def __init__(self) -> None:
                super().__init__()
                self.lstm = nn.LSTM(64, 128)  # time-major, as TNC
                self.head = nn.Linear(128, CLASSES)

            def forward(self, v: Any) -> Any:
                return self.head(self.lstm(v)[0][-1])

        net = LSTMNet()
    xn, yn = data(w)
    x, y = torch.tensor(xn), torch.tensor(yn)
    opt = torch.optim.SGD(net.parameters(), lr=LR, momentum=MOMENTUM)
    return torch_step_runner(torch, net, x, y, opt)


def torch_chain_runner(torch: Any) -> Runner:
    x = torch.ones(4, requires_grad=True)

    def run(n: int) -> float:
        t0 = time.perf_counter()
        for _ in range(n):
            y = x
            for _ in range(CHAIN):
                y = y + x
            y.sum().backward()
        return time.perf_counter() - t0

    return run


def numpy_mlp_runner() -> Runner:
    """W1 written by hand in NumPy: forward, softmax cross-entropy, backward, SGD with momentum."""
    xn, yn = data("w1")
    rng = np.random.default_rng(0)
    params = []
    for fan_in, fan_out in ((784, 256), (256, 128), (128, CLASSES)):
        lim = np.sqrt(6 / (fan_in + fan_out))
        params += [rng.uniform(-lim, lim, (fan_in, fan_out)).astype(np.float32), np.zeros(fan_out, np.float32)]
    moms = [np.zeros_like(p) for p in params]
    rows, n = np.arange(len(yn)), len(yn)
    W1, b1, W2, b2, W3, b3 = params

    def step() -> None:
        z1 = xn @ W1 + b1
        h1 = np.maximum(z1, 0)
        z2 = h1 @ W2 + b2
        h2 = np.maximum(z2, 0)
        z3 = h2 @ W3 + b3
        e = np.exp(z3 - z3.max(axis=1, keepdims=True))
        d3 = e / e.sum(axis=1, keepdims=True)
        d3[rows, yn] -= 1
        d3 /= n
        d2 = (d3 @ W3.T) * (z2 > 0)
        d1 = (d2 @ W2.T) * (z1 > 0)
        grads = (xn.T @ d1, d1.sum(0), h1.T @ d2, d2.sum(0), h2.T @ d3, d3.sum(0))
        for p, m, g in zip(params, moms, grads):
            m *= MOMENTUM
            m -= LR * g
            p += m

    def run(n: int) -> float:
        t0 = time.perf_counter()
        for _ in range(n):
            step()
        return time.perf_counter() - t0

    return run


def numpy_chain_runner() -> Runner:
    a = np.ones(4, np.float32)

    def run(n: int) -> float:
        t0 = time.perf_counter()
        for _ in range(n):
            y = a
            for _ in range(CHAIN):
                y = np.add(y, a)
        return time.perf_counter() - t0

    return run


def unidl_chain_runner() -> Runner:
    import unidl

    x = unidl.tensor(np.ones(4, np.float32), requires_grad=True)

    def run(n: int) -> float:
        t0 = time.perf_counter()
        for _ in range(n):
            with unidl.record():
                y = x
                for _ in range(CHAIN):
                    y = y + x
            y.backward()
        return time.perf_counter() - t0

    return run


# -- workers in other interpreters -----------------------------------------------------------------------------
def worker_main(kind: str, fit_batches: int) -> None:
    """Worker loop: reads ``<contender> <n>`` lines (contender ``<workload>:<variant>``), answers one JSON line each."""
    if kind == "mxnet":
        import mxnet as lib
        version = lib.__version__
    else:
        os.environ.setdefault("KERAS_BACKEND", "torch")
        import keras as lib
        import torch

        version = f"{lib.__version__} (backend {lib.backend.backend()}, torch {torch.__version__})"
        threads = os.environ.get("OMP_NUM_THREADS")
        if threads:
            torch.set_num_threads(int(threads))
    def make_runner(key: str) -> Runner:
        w, variant = key.split(":")
        if kind == "mxnet":
            return mx_chain_runner(lib) if w == "w4" else gluon_runner(lib, w, variant == "hybrid")
        return keras_fit_runner(lib, w, fit_batches)

    serve_requests({"ready": True, "version": version, "numpy": np.__version__,
                    "engine": os.environ.get("MXNET_ENGINE_TYPE", "-")}, make_runner)


def start_worker(kind: str, python: Optional[str], fit_batches: int, notes: Dict[str, str]) -> Optional[LineWorker]:
    if not python or not os.path.exists(python):
        notes[kind] = f"no interpreter ({python or 'none given'})"
        return None
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)  # the worker sees its own venv only
    if kind == "mxnet":
        env.setdefault("MXNET_ENGINE_TYPE", "NaiveEngine")
    else:
        env["KERAS_BACKEND"] = "torch"
    cmd = [python, os.path.abspath(__file__), "--worker", kind, "--fit-batches", str(fit_batches)]
    try:
        return LineWorker(cmd, env, f"{kind} worker", cwd="/")
    except Exception as err:  # noqa: BLE001 - missing venv or package: the column says why
        notes[kind] = str(err)[-300:]
        return None


def first_existing(*paths: Optional[str]) -> Optional[str]:
    for p in paths:
        if p and os.path.exists(p):
            return p
    return None


# -- the run ----------------------------------------------------------------------------------------------------
def time_rounds(runners: Dict[str, Runner], rounds: int, inner: int, warmup: int,
                min_block: float = 0.0) -> Dict[str, Any]:
    """(best, median) seconds per step of each runner; rounds alternate their order; a block is ``inner``
    steps, or more where that takes under ``min_block`` seconds (after the pause between blocks the first step
    runs on cold caches and sleeping BLAS threads: longer blocks spread that alike); a failing runner's cell
    holds its error."""
    out: Dict[str, Any] = {}
    live: Dict[str, Runner] = {}
    steps: Dict[str, int] = {}
    for name, run in runners.items():
        try:
            run(warmup)
            per_step = run(inner) / inner
            live[name] = run
            steps[name] = max(inner, int(min_block / max(per_step, 1e-9)) + 1) if min_block else inner
        except Exception as err:  # noqa: BLE001 - shown in the table
            out[name] = f"error: {type(err).__name__}: {str(err)[:120]}"
    samples: Dict[str, List[float]] = {k: [] for k in live}
    order = list(live)
    for r in range(rounds):
        for name in (order if r % 2 == 0 else order[::-1]):
            time.sleep(SETTLE)
            samples[name].append(live[name](steps[name]) / steps[name])
    for k, v in samples.items():
        out[k] = (min(v), statistics.median(v))
    return out


def goals(results: Dict[str, Dict[str, Any]]) -> List[str]:
    """The issue's goals, each as a line with the measured ratio and a verdict."""
    lines = []

    def best(w: str, c: str) -> Optional[float]:
        v = results.get(w, {}).get(c)
        return v[0] if isinstance(v, tuple) else None

    def check(label: str, num: Optional[float], den: Optional[float], bound: float) -> None:
        if num is None or den is None:
            lines.append(f"  {label}: not measured")
            return
        r = num / den
        lines.append(f"  {label}: {r:.2f}x (goal <= {bound}x) {'meets' if r <= bound else 'MISSES'}")

    for face in ("unidl gluon hybridized", "unidl keras fit"):
        check(f"W1 {face} / numpy by hand", best("w1", face), best("w1", "numpy by hand"), 1.3)
    for face in ("unidl gluon hybridized", "unidl keras fit"):
        check(f"W2 {face} / mxnet 1.9.1 hybridized", best("w2", face), best("w2", "mxnet 1.9.1 hybridized"), 1.0)
        check(f"W2 {face} / pytorch eager", best("w2", face), best("w2", "pytorch eager"), 0.5)
    for face in ("unidl gluon hybridized", "unidl keras fit"):
        check(f"W3 {face} / pytorch eager", best("w3", face), best("w3", "pytorch eager"), 1.0)
    for w in ("w1", "w2", "w3"):
        check(f"{w.upper()} unidl keras fit / unidl gluon hybridized", best(w, "unidl keras fit"),
              best(w, "unidl gluon hybridized"), 1.1)
    for face in ("unidl core", "unidl gluon"):
        v = best("w4", face)
        lines.append(f"  W4 {face}: " + ("not measured" if v is None else
                                          f"{v * 1e6 / CHAIN:.2f} us per op (goal <= 5) "
                                          f"{'meets' if v * 1e6 / CHAIN <= 5 else 'MISSES'}"))
    return lines


def format_table(results: Dict[str, Dict[str, Any]]) -> str:
    lines = []
    for w, row in results.items():
        per, unit = (CHAIN, "us per op") if w == "w4" else (1, "ms per step")
        scale = 1e6 if w == "w4" else 1e3
        lines.append(f"\n{LABELS[w]}: best ({unit}), median in brackets")
        for name, v in row.items():
            cell = f"{v[0] * scale / per:10.3f}  ({v[1] * scale / per:.3f})" if isinstance(v, tuple) else f"  {v}"
            lines.append(f"  {name:<28}{cell}")
    return "\n".join(lines)


def machine() -> Dict[str, str]:
    cpu = platform.processor() or "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return {"cpu": cpu, "cores": str(os.cpu_count()), "python": platform.python_version(), "numpy": np.__version__,
            "date": time.strftime("%Y-%m-%d"), "OMP_NUM_THREADS": os.environ.get("OMP_NUM_THREADS", "unset")}


def main(argv: Optional[List[str]] = None) -> Dict[str, Any]:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--workloads", default="w1,w2,w3,w4")
    p.add_argument("--rounds", type=int, default=6)
    p.add_argument("--inner", type=int, default=8, help="steps per timed block (W4: chains per block)")
    p.add_argument("--warmup", type=int, default=4)
    p.add_argument("--min-block-ms", type=float, default=60.0,
                   help="a timed block runs at least this long (more steps than --inner where needed)")
    p.add_argument("--fit-batches", type=int, default=8, help="batches per Keras fit call")
    p.add_argument("--mxnet-python", default=None, help="interpreter with MXNet 1.9.1 ('' leaves it out)")
    p.add_argument("--keras-python", default=None, help="interpreter with Keras 3 and torch ('' leaves it out)")
    p.add_argument("--no-torch", action="store_true")
    p.add_argument("--json", default=None, metavar="PATH")
    p.add_argument("--worker", choices=("mxnet", "keras"), help=argparse.SUPPRESS)
    args = p.parse_args(sys.argv[1:] if argv is None else argv)
    if args.worker:
        worker_main(args.worker, args.fit_batches)
        return {}
    workloads = [w.strip() for w in args.workloads.split(",") if w.strip()]
    bad = [w for w in workloads if w not in LABELS]
    if bad:
        p.error(f"--workloads: unknown {bad}; expected some of {list(LABELS)}")
    import unidl_keras
    import unidl_mxnet

    threads = os.environ.get("OMP_NUM_THREADS")
    torch = None
    if not args.no_torch:
        try:
            import torch
            if threads:
                torch.set_num_threads(int(threads))
        except Exception:  # noqa: BLE001 - not installed: its column is left out
            torch = None
    notes: Dict[str, str] = {}
    mxpy = args.mxnet_python if args.mxnet_python is not None else first_existing(
        os.environ.get("UNIDL_MXNET_PYTHON"), "/tmp/mxvenv/bin/python", "/work/venv-mx/bin/python")
    kpy = args.keras_python if args.keras_python is not None else first_existing(
        os.environ.get("UNIDL_KERAS_PYTHON"), "/work/venv-keras/bin/python")
    mxw = start_worker("mxnet", mxpy, args.fit_batches, notes)
    kw = start_worker("keras", kpy, args.fit_batches, notes)
    versions = {"unidl numpy": np.__version__, "torch": getattr(torch, "__version__", "absent"),
                "mxnet worker": f"{mxw.info['version']} (numpy {mxw.info['numpy']})" if mxw else notes.get("mxnet", "-"),
                "keras worker": f"{kw.info['version']} (numpy {kw.info['numpy']})" if kw else notes.get("keras", "-")}
    results: Dict[str, Dict[str, Any]] = {}
    try:
        for w in workloads:
            runners: Dict[str, Runner] = {}
            if w == "w4":
                runners["unidl core"] = unidl_chain_runner()
                runners["unidl gluon"] = mx_chain_runner(unidl_mxnet)
                if torch is not None:
                    runners["pytorch eager"] = torch_chain_runner(torch)
                if mxw:
                    runners["mxnet 1.9.1"] = mxw.runner("w4:imperative")
                runners["numpy np.add"] = numpy_chain_runner()
            else:
                runners["unidl gluon"] = gluon_runner(unidl_mxnet, w, False)
                runners["unidl gluon hybridized"] = gluon_runner(unidl_mxnet, w, True)
                runners["unidl keras fit"] = keras_fit_runner(unidl_keras, w, args.fit_batches)
                runners["unidl keras fit eager"] = keras_fit_runner(unidl_keras, w, args.fit_batches, eager=True)
                if torch is not None:
                    runners["pytorch eager"] = torch_runner(torch, w)
                if mxw:
                    runners["mxnet 1.9.1"] = mxw.runner(f"{w}:imperative")
                    runners["mxnet 1.9.1 hybridized"] = mxw.runner(f"{w}:hybrid")
                if kw:
                    runners["keras 3 (torch) fit"] = kw.runner(f"{w}:fit")
                if w == "w1":
                    runners["numpy by hand"] = numpy_mlp_runner()
            results[w] = time_rounds(runners, args.rounds, args.inner, args.warmup, args.min_block_ms / 1e3)
            print(format_table({w: results[w]}), flush=True)
    finally:
        for wk in (mxw, kw):
            if wk is not None:
                wk.close()
    info = machine()
    print(f"\nmachine: {info}\nversions: {versions}\n"
          f"rounds {args.rounds} x {args.inner} steps (blocks of at least {args.min_block_ms:g} ms), warm-up {args.warmup}, Keras fit {args.fit_batches} batches "
          f"per call, MXNet engine {mxw.info['engine'] if mxw else '-'}")
    for k, why in notes.items():
        print(f"  {k}: not available ({why})")
    print("\ngoals (ratios of bests):")
    verdicts = goals(results)
    print("\n".join(verdicts))
    out = {"machine": info, "versions": versions, "notes": notes, "goals": verdicts,
           "results": {LABELS[w]: {c: ({"best_ms": v[0] * 1e3, "median_ms": v[1] * 1e3} if isinstance(v, tuple)
                                       else v) for c, v in row.items()} for w, row in results.items()}}
    if args.json:
        from unidl.io.atomic import write_bytes_atomic

        write_bytes_atomic(args.json, json.dumps(out, indent=2).encode())
    return out


if __name__ == "__main__":
    main()
