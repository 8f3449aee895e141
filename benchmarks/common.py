"""Timing helpers shared by the benchmarks: interleaved repeats and one ratio table per run.

Contenders are timed round-robin (A, B, C, A, B, C, ...) so machine noise hits all of them alike.
Each contender's figure is its best round (noise on a shared machine only ever adds time, so the
minimum is the most repeatable estimate, as ``timeit`` advises); the median is printed beside it.
"""
from __future__ import annotations

# Contenders are timed interleaved in one process. Under OpenMP's default (active) wait policy,
# PyTorch's worker threads keep spinning for a while after its timed calls and take cores from the next
# contender; OMP_WAIT_POLICY=PASSIVE removes that but slows PyTorch's own small-op loops. Neither is
# neutral, so nothing is set here: run_all.py prints the policy, and results should say which was used.

import json
import statistics
import subprocess
import time
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple


def time_interleaved(contenders: Dict[str, Callable[[], None]], *, rounds: int = 15, inner: int = 5,
                     warmup: int = 3) -> Dict[str, Tuple[float, float]]:
    """(best, median) seconds per call of each contender over ``rounds`` round-robin rounds."""
    for fn in contenders.values():
        for _ in range(warmup):
            fn()
    samples: Dict[str, List[float]] = {k: [] for k in contenders}
    for _ in range(rounds):
        for name, fn in contenders.items():
            t0 = time.perf_counter()
            for _ in range(inner):
                fn()
            samples[name].append((time.perf_counter() - t0) / inner)
    return {k: (min(v), statistics.median(v)) for k, v in samples.items()}


def print_table(title: str, timings: Dict[str, Tuple[float, float]], reference: str,
                target: Optional[Tuple[str, float]] = None, unit: str = "ms", per: int = 1) -> None:
    """Print best and median times and the ratio of bests to ``reference``; ``target=(name, max_ratio)``
    adds a verdict line."""
    scale = {"ms": 1e3, "us": 1e6}[unit]
    print(f"\n{title}")
    print(f"  {'contender':<28}{'best ' + unit:>12}{'median ' + unit:>14}{'ratio':>10}")
    ref = timings[reference][0]
    for name, (best, med) in timings.items():
        print(f"  {name:<28}{best * scale / per:>12.3f}{med * scale / per:>14.3f}{best / ref:>10.2f}x")
    if target is not None:
        name, bound = target
        ratio = timings[name][0] / ref
        verdict = "meets" if ratio <= bound else "MISSES"
        print(f"  -> {name} at {ratio:.2f}x {reference}: {verdict} the target of {bound:.2f}x")


def try_import_torch():
    """PyTorch if installed (single-threaded comparisons use torch.set_num_threads by the caller)."""
    try:
        import torch

        return torch
    except Exception:  # noqa: BLE001 - any import failure means "not installed" for a benchmark
        return None


def names(xs: Sequence[str]) -> str:
    return ", ".join(xs)


def unidl_sgd_step(params: Sequence, loss_fn: Callable, lr: float) -> Callable[[], object]:
    """A train step for unidl: ``loss_fn(*tensors)`` recorded, backward, plain SGD on the raw arrays
    (what an optimizer kernel does). ``params`` are NumPy arrays, copied into leaf tensors."""
    import unidl

    ps = [unidl.tensor(p, requires_grad=True) for p in params]

    def step():
        with unidl.record():
            loss = loss_fn(*ps)
        loss.backward()
        for p in ps:
            p.data -= lr * p.grad.data
        return loss

    return step


def torch_sgd_step(torch, params: Sequence, loss_fn: Callable, lr: float) -> Callable[[], object]:
    """The same step in PyTorch eager: forward, backward, in-place SGD under no_grad.
    ``params`` are NumPy arrays (copied into leaf tensors) or existing torch tensors."""
    ps = [p if isinstance(p, torch.Tensor) else torch.tensor(p, requires_grad=True) for p in params]

    def step():
        loss = loss_fn(*ps)
        for p in ps:
            p.grad = None
        loss.backward()
        with torch.no_grad():
            for p in ps:
                p -= lr * p.grad
        return loss

    return step


def torch_step_runner(torch: Any, net: Any, x: Any, y: Any, opt: Any) -> Callable[[int], float]:
    """``run(n)``: n PyTorch eager training steps of ``net`` on (x, y) (zero_grad, cross entropy, backward,
    ``opt.step()``), returning the seconds they took."""
    cross_entropy = torch.nn.functional.cross_entropy

    def run(n: int) -> float:
        t0 = time.perf_counter()
        for _ in range(n):
            opt.zero_grad()
            loss = cross_entropy(net(x), y)
            loss.backward()
            opt.step()
        return time.perf_counter() - t0

    return run


def gluon_step_runner(mx: Any, net: Any, x: Any, y: Any, trainer: Any, batch: int) -> Callable[[int], float]:
    """``run(n)``: n Gluon training steps of ``net`` on (x, y) (``record``, softmax cross entropy, ``backward``,
    ``trainer.step(batch)``) with MXNet-compatible module ``mx``, returning the seconds they took."""
    loss_fn = mx.gluon.loss.SoftmaxCrossEntropyLoss()
    autograd = mx.autograd

    def run(n: int) -> float:
        t0 = time.perf_counter()
        for _ in range(n):
            with autograd.record():
                loss = loss_fn(net(x), y)
            loss.backward()
            trainer.step(batch)
        mx.nd.waitall()  # the threaded engine runs ahead of Python: count the work, not its scheduling
        return time.perf_counter() - t0

    return run


def serve_requests(info: Dict[str, Any], make_runner: Callable[[str], Callable[[int], float]]) -> None:
    """The worker side of :class:`LineWorker`: print ``info`` as the first JSON line, then answer each request
    line ``<name> <n>`` on stdin with ``{"seconds": ...}`` (n steps of ``make_runner(name)``, made once per name)
    or ``{"error": ...}``, until ``quit`` or end of input."""
    import sys

    print(json.dumps(info), flush=True)
    runners: Dict[str, Callable[[int], float]] = {}
    for line in sys.stdin:
        parts = line.split()
        if not parts or parts[0] == "quit":
            break
        try:
            if parts[0] not in runners:
                runners[parts[0]] = make_runner(parts[0])
            print(json.dumps({"seconds": runners[parts[0]](int(parts[1]))}), flush=True)
        except Exception as err:  # noqa: BLE001 - reported to the parent, which prints it
            print(json.dumps({"error": f"{type(err).__name__}: {err}"}), flush=True)


class LineWorker:
    """A benchmark worker in another interpreter: it answers each request line ``<name> <n>`` ("time n steps
    of name") with one JSON line (``{"seconds": ...}`` or ``{"error": ...}``), after a first JSON line
    describing itself (``info``). Blocks are timed over there, so pipe latency is not counted."""

    def __init__(self, cmd: List[str], env: Dict[str, str], what: str, cwd: Optional[str] = None) -> None:
        self.what = what
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, env=env, cwd=cwd)
        self.info = self._read()

    def _read(self) -> Dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            err = self.proc.stderr.read() if self.proc.stderr else ""
            raise RuntimeError(f"{self.what} exited: {err.strip()[-800:]}")
        msg = json.loads(line)
        if "error" in msg:
            raise RuntimeError(f"{self.what}: {msg['error']}")
        return msg

    def runner(self, name: str) -> Callable[[int], float]:
        """``run(n)``: the seconds n steps of ``name`` took in the worker."""
        def run(n: int) -> float:
            assert self.proc.stdin is not None
            self.proc.stdin.write(f"{name} {n}\n")
            self.proc.stdin.flush()
            return float(self._read()["seconds"])

        return run

    def close(self) -> None:
        try:
            if self.proc.stdin is not None:
                self.proc.stdin.write("quit\n")
                self.proc.stdin.close()
            self.proc.wait(timeout=30)
        except Exception:  # noqa: BLE001 - best effort; make sure it is gone
            self.proc.kill()
            self.proc.wait()
