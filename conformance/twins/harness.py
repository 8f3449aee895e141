"""Runs one twin check: build both models, map the weights, run the same computation in each
framework as its users write it, and compare bitwise (or within a listed exception's bound).

Checks (:data:`CHECKS`):

* ``mapping``       Keras -> Gluon -> Keras gives back every Keras weight bitwise.
* ``forward``       inference output (Keras ``model(x, training=False)``, Gluon ``net(x)``).
* ``train_forward`` training-mode output (dropout masks, batch statistics).
* ``loss``          Keras loss object vs Gluon ``loss(out, y).mean()``.
* ``gradients``     every parameter gradient: Keras = gradient of the mean loss; Gluon = gradient of
                    the per-sample loss (``backward`` sums it) divided by the batch size.
* ``sgd_momentum``  parameters (and running statistics) after 3 steps of SGD(momentum=0.9): Keras
                    ``compile`` + ``train_on_batch``, Gluon ``Trainer(..., 'sgd')`` + ``step(batch)``.
* ``adam``          the same with Adam (epsilon 1e-7 on both sides).
* ``kernel_calls``  the proof that holds on every CPU and BLAS: inference forward, training forward plus
                    backward (from the same head gradient) and one SGD-momentum step issue the same
                    arithmetic kernel calls in both faces (``unidl.trace``: op, attributes, dtypes, shapes
                    and memory strides of every operand, so every GEMM's transpose flags). The optimizer
                    updates are compared without their attributes (each face runs its framework's
                    formula, see ``unidl.nn.optim``); everything else must match exactly.

A mismatch raises :class:`TwinMismatch` naming the twin, the check and every differing parameter.
"""
from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

import numpy as np

import unidl
import unidl_keras as keras
from unidl import trace
import unidl_mxnet as mx
from unidl_mxnet import autograd, gluon, nd

from . import exceptions as _exc
from .mapping import Unit, keras_to_gluon, gluon_to_keras, pair_units
from .zoo import BATCH, TwinCase

__all__ = ["CHECKS", "TwinMismatch", "TwinPair", "prepare", "run_check", "compare"]

CHECKS = ("mapping", "forward", "train_forward", "loss", "gradients", "sgd_momentum", "adam", "kernel_calls",
          "captured")
STEPS = 3
SEED = 1234
DATA_SEED = 7


class TwinMismatch(AssertionError):
    """A twin check found values that are neither bitwise equal nor within a listed exception."""


@contextlib.contextmanager
def on_device(device: Optional[str]) -> Iterator[None]:
    """Make ``device`` unidl's default device and the Gluon face's default context for the block (cpu: nothing
    to do)."""
    if device in (None, "", "cpu"):
        yield
        return
    from unidl import devices

    from unidl_mxnet.context import context_of

    old = devices.default_device()
    dev = devices.set_default_device(device)
    try:
        with context_of(dev):  # the Gluon face's default context: the same device
            yield
    finally:
        devices.set_default_device(old)


# -- comparing ---------------------------------------------------------------------------------------------
def _describe_diff(a: np.ndarray, b: np.ndarray) -> str:
    if a.shape != b.shape:
        return f"shapes differ: keras {a.shape} vs gluon {b.shape}"
    if a.dtype != b.dtype:
        return f"dtypes differ: keras {a.dtype} vs gluon {b.dtype}"
    ab = np.ascontiguousarray(a).reshape(-1).view(np.uint8).reshape(a.size, -1)
    bb = np.ascontiguousarray(b).reshape(-1).view(np.uint8).reshape(b.size, -1)
    n = int(np.count_nonzero((ab != bb).any(axis=1)))
    d = np.abs(a.astype("float64") - b.astype("float64"))
    rel = d / np.maximum(np.abs(b.astype("float64")), np.finfo(np.float32).tiny)
    return (f"{n} of {a.size} element(s) differ, max |diff| {float(np.nanmax(d)) if d.size else 0:.3g}, "
            f"max rel {float(np.nanmax(rel)) if d.size else 0:.3g}")


@dataclass
class CheckStats:
    """What the comparisons of the current check found: the largest difference seen and whether any
    value needed a listed exception (read by the suite's report after :func:`run_check`)."""

    max_abs: float = 0.0
    max_ulp: float = 0.0
    within_exception: bool = False
    exception: str = ""  # the listed exception(s) that held: bound and reason, for the report row


LAST = CheckStats()


def _note_difference(a: np.ndarray, b: np.ndarray) -> None:
    if a.shape != b.shape or a.dtype.kind not in "fc" or not a.size:
        return
    d = np.abs(a.astype("float64") - b.astype("float64"))
    spacing = np.spacing(np.maximum(np.abs(a), np.abs(b))).astype("float64")
    ulps = d / np.where(spacing > 0, spacing, np.finfo(np.float64).tiny)
    LAST.max_abs = max(LAST.max_abs, float(np.nanmax(d)))
    LAST.max_ulp = max(LAST.max_ulp, float(np.nanmax(ulps)))
    LAST.within_exception = True


def compare(twin: str, check: str, label: str, keras_value: Any, gluon_value: Any, device: str = "cpu"
            ) -> Optional[str]:
    """None when bitwise equal or within the bound of a listed exception; otherwise a one-line problem."""
    a, b = np.asarray(keras_value), np.asarray(gluon_value)
    if a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes():
        return None
    _note_difference(a, b)
    exc = _exc.lookup(twin, check, label, device)
    if exc is None:
        return f"{label}: not bitwise equal ({_describe_diff(a, b)})"
    if a.shape != b.shape or not np.all(np.abs(a.astype("float64") - b) <= exc.atol + exc.rtol * np.abs(b)):
        return (f"{label}: exceeds the listed exception's bound rtol={exc.rtol}, atol={exc.atol} "
                f"({_describe_diff(a, b)}; exception: {exc.reason})")
    note = f"listed exception (rtol={exc.rtol}, atol={exc.atol}): {exc.reason}"
    if note not in LAST.exception:
        LAST.exception = f"{LAST.exception}; {note}" if LAST.exception else note
    return None


def _raise_if(twin: str, check: str, problems: List[str]) -> None:
    problems = [p for p in problems if p]
    if problems:
        raise TwinMismatch(f"twin '{twin}', check '{check}': " + "; ".join(problems))


# -- building ----------------------------------------------------------------------------------------------
@dataclass
class TwinPair:
    case: TwinCase
    keras_model: Any
    gluon_net: Any
    units: List[Tuple[Unit, Unit]]
    xk: Any
    yk: np.ndarray
    xg: Any
    yg: Any


def _labels(pairs: List[Tuple[Unit, Unit]]) -> Iterator[Tuple[str, Unit, Unit, str]]:
    for k, g in pairs:
        for role in g.roles:
            yield f"{k.roles[role]} <-> {g.roles[role]}", k, g, role


def prepare(case: TwinCase, mapper: Callable[[Any, Any], None] = keras_to_gluon) -> TwinPair:
    """Both models built with mapped weights, and the batch in each framework's form."""
    if case.pending:
        raise TwinMismatch(f"twin '{case.name}' is pending: {case.pending}")
    x, y = case.data(np.random.RandomState(DATA_SEED))
    keras.utils.set_random_seed(SEED)
    km = case.keras()
    mx.random.seed(SEED)
    net = case.gluon()
    net.initialize(mx.init.Xavier())
    xg = nd.array(x, dtype="float32")
    net(xg)  # deferred shapes; outside autograd.record: inference mode, no state changes
    mapper(km, net)
    xk = case.to_keras(x)
    yg = nd.array(y, dtype="float32")
    return TwinPair(case, km, net, pair_units(km, net), xk, y, xg, yg)


def _losses(case: TwinCase) -> Tuple[Any, Any]:
    if case.loss == "sparse_ce":
        return keras.losses.SparseCategoricalCrossentropy(from_logits=True), gluon.loss.SoftmaxCrossEntropyLoss()
    if case.loss == "mse":
        return keras.losses.MeanSquaredError(), gluon.loss.L2Loss(weight=2.0)
    raise ValueError(f"twin '{case.name}': unknown loss {case.loss!r}")


def _np(t: Any) -> np.ndarray:
    return t.asnumpy() if hasattr(t, "asnumpy") else np.asarray(t.numpy() if hasattr(t, "numpy") else t)


def _keras_train_pass(p: TwinPair) -> Tuple[np.ndarray, np.ndarray, Dict[str, np.ndarray]]:
    kloss, _ = _losses(p.case)
    keras.utils.set_random_seed(SEED)
    with unidl.autograd.record():
        out = p.keras_model(p.xk, training=True)
        loss = kloss(p.yk, out)
    loss.backward()
    grads = {}
    for label, k, g, role in _labels(p.units):
        grads[label] = k.read_grads()[role]
    for v in p.keras_model.trainable_variables:
        v.grad = None
    return p.case.keras_out(_np(out)), _np(loss), grads


def _gluon_train_pass(p: TwinPair) -> Tuple[np.ndarray, np.ndarray, Dict[str, np.ndarray]]:
    _, gloss = _losses(p.case)
    mx.random.seed(SEED)
    with autograd.record():
        out = p.gluon_net(p.xg)
        loss = gloss(out, p.yg)
    loss.backward()
    grads = {}
    for label, k, g, role in _labels(p.units):
        gr = g.read_grads()[role]
        grads[label] = None if gr is None else gr / np.float32(BATCH)
    return _np(out), _np(loss.mean()).reshape(()), grads  # MXNet's mean() has shape (1,)


def _train_steps(p: TwinPair, optimizer: str, captured: bool = False) -> None:
    """STEPS optimizer steps in each face: eagerly, or captured (Keras ``jit_compile="auto"``, Gluon
    ``hybridize()``: unidl.capture)."""
    kloss, gloss = _losses(p.case)
    lr = p.case.lr
    if optimizer == "sgd_momentum":
        kopt = keras.optimizers.SGD(learning_rate=lr, momentum=0.9)
        gname, gargs = "sgd", {"learning_rate": lr, "momentum": 0.9}
    else:
        kopt = keras.optimizers.Adam(learning_rate=lr / 10, epsilon=1e-7)
        gname, gargs = "adam", {"learning_rate": lr / 10, "epsilon": 1e-7}
    p.keras_model.compile(optimizer=kopt, loss=kloss, jit_compile="auto" if captured else False)
    if captured:
        p.gluon_net.hybridize(static_alloc=True, static_shape=True)
    keras.utils.set_random_seed(SEED)
    for _ in range(STEPS):
        p.keras_model.train_on_batch(p.xk, p.yk)
    trainer = gluon.Trainer(p.gluon_net.collect_params(), gname, gargs)
    mx.random.seed(SEED)
    for _ in range(STEPS):
        with autograd.record():
            loss = gloss(p.gluon_net(p.xg), p.yg)
        loss.backward()
        trainer.step(BATCH)


def _compare_captured(p: TwinPair, case: TwinCase, mapper: Callable[[Any, Any], None], device: str) -> List[str]:
    """Each face captured (every call past the first two replayed; none may fall back to eager) gives bitwise
    the parameters it gives eagerly, and the captured twins agree as the eager twins do (sgd_momentum)."""
    import warnings

    from unidl.capture import CaptureWarning

    runs = {}
    for mode in ("eager", "captured"):
        q = p if mode == "eager" else prepare(case, mapper)
        with warnings.catch_warnings():
            warnings.simplefilter("error", CaptureWarning)
            _train_steps(q, "sgd_momentum", captured=mode == "captured")
        runs[mode] = [(label, k.read()[role], g.read()[role]) for label, k, g, role in _labels(q.units)]
    probs = []
    for (label, ke, ge), (_, kc, gc) in zip(runs["eager"], runs["captured"]):
        for face, e, c in (("keras", ke, kc), ("gluon", ge, gc)):
            e, c = np.asarray(e), np.asarray(c)
            if e.shape != c.shape or e.tobytes() != c.tobytes():
                probs.append(f"{label}: {face} captured is not bitwise {face} eager ({_describe_diff(c, e)})")
        probs.append(compare(case.name, "sgd_momentum", label, kc, gc, device))
    return probs


def _traced(fn: Callable[[], Any]) -> List[trace.KernelCall]:
    with trace.kernel_trace() as calls:
        fn()
    return calls


def _head_gradient(shape: Tuple[int, ...]) -> np.ndarray:
    return np.random.RandomState(DATA_SEED + 1).randn(*shape).astype("float32")


def _kernel_traces(p: TwinPair) -> Dict[str, Tuple[List[trace.KernelCall], List[trace.KernelCall]]]:
    """(keras, gluon) traces of: inference forward; training forward + backward from one head gradient;
    one SGD-momentum step on the gradients that leaves."""
    out: Dict[str, Tuple[List[trace.KernelCall], List[trace.KernelCall]]] = {}
    km, net = p.keras_model, p.gluon_net
    kvars = list(km.trainable_variables)
    kopt = keras.optimizers.SGD(learning_rate=p.case.lr, momentum=0.9)
    kopt.build(kvars)
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": p.case.lr, "momentum": 0.9})
    out["inference forward"] = (_traced(lambda: km(p.xk, training=False)), _traced(lambda: net(p.xg)))

    keras.utils.set_random_seed(SEED)
    with unidl.autograd.record():
        yk = km(p.xk, training=True)
    mx.random.seed(SEED)
    with autograd.record():
        yg = net(p.xg)
    if tuple(yk.shape) != tuple(yg.shape):
        raise TwinMismatch(f"twin '{p.case.name}', check 'kernel_calls': the outputs have different shapes "
                           f"(keras {tuple(yk.shape)}, gluon {tuple(yg.shape)})")
    head = _head_gradient(tuple(yg.shape))
    kb = _traced(lambda: yk.backward(unidl.tensor(head)))
    gb = _traced(lambda: yg.backward(nd.array(head)))
    out["training backward"] = (kb, gb)

    out["sgd-momentum step"] = (_traced(lambda: kopt.apply([v.grad for v in kvars], kvars)),
                                _traced(lambda: trainer.step(BATCH)))
    for v in kvars:
        v.grad = None
    return out


def _update_ops() -> Tuple[str, ...]:
    from unidl.ops import optim

    return tuple(v.name for v in vars(optim).values() if isinstance(v, unidl.kernels.OpDef))


def _without_listed(twin: str, phase: str, face: str, calls: List[trace.KernelCall]) -> List[trace.KernelCall]:
    """``calls`` less those a listed trace exception covers (each exception used is noted for the report)."""
    excs = _exc.trace_exceptions(twin, phase, face)
    if not excs:
        return calls
    kept = []
    for c in calls:
        hit = next((e for e in excs if e.matches(c)), None)
        if hit is None:
            kept.append(c)
            continue
        _exc.USED.add(hit)
        note = f"listed trace exception ({face} {hit.op}): {hit.reason}"
        if note not in LAST.exception:
            LAST.exception = f"{LAST.exception}; {note}" if LAST.exception else note
    return kept


def compare_kernel_calls(p: TwinPair) -> List[str]:
    """One problem per phase whose arithmetic kernel calls differ between the faces."""
    probs = []
    from unidl.ops.optim import UPDATE_RULE

    updates = _update_ops()
    for phase, (kt, gt) in _kernel_traces(p).items():
        kt, gt = _without_listed(p.case.name, phase, "keras", kt), _without_listed(p.case.name, phase, "gluon", gt)
        ka = trace.arithmetic(kt, drop_attrs_of=updates, same_op=UPDATE_RULE)
        ga = trace.arithmetic(gt, drop_attrs_of=updates, same_op=UPDATE_RULE)
        if phase == "sgd-momentum step":  # each parameter's update is independent: the order is the face's
            ka, ga = sorted(ka, key=str), sorted(ga, key=str)
        diff = trace.first_difference(ka, ga)
        if diff:
            probs.append(f"{phase}: keras vs gluon kernel calls differ at {diff}")
    return probs


def run_check(case: TwinCase, check: str, device: str = "cpu",
              mapper: Callable[[Any, Any], None] = keras_to_gluon) -> None:
    """Run one check of one twin; raises :class:`TwinMismatch` (or MappingError) on failure."""
    if check not in CHECKS:
        raise ValueError(f"unknown twin check {check!r}; expected one of {CHECKS}")
    LAST.max_abs, LAST.max_ulp, LAST.within_exception, LAST.exception = 0.0, 0.0, False, ""
    with on_device(device):
        p = prepare(case, mapper)
        name = case.name
        if check == "mapping":
            before = [k.read() for k, _ in p.units]
            gluon_to_keras(p.gluon_net, p.keras_model)
            after = [k.read() for k, _ in p.units]
            probs = [compare(name, check, f"{k.roles[r]} (round trip)", after[i][r], before[i][r], device)
                     for i, (k, _) in enumerate(p.units) for r in k.roles]
            _raise_if(name, check, probs)
        elif check == "forward":
            yk = p.case.keras_out(_np(p.keras_model(p.xk, training=False)))
            yg = _np(p.gluon_net(p.xg))
            _raise_if(name, check, [compare(name, check, "output", yk, yg, device)])
        elif check in ("train_forward", "loss", "gradients"):
            ok, lk, gk = _keras_train_pass(p)
            og, lg, gg = _gluon_train_pass(p)
            if check == "train_forward":
                _raise_if(name, check, [compare(name, check, "output", ok, og, device)])
            elif check == "loss":
                _raise_if(name, check, [compare(name, check, "loss", lk, lg, device)])
            else:
                probs = []
                for label in gg:
                    if gg[label] is None or gk[label] is None:
                        if (gg[label] is None) != (gk[label] is None) and "(as zero)" not in label:
                            probs.append(f"{label}: trainable on one side only (keras grad "
                                         f"{'none' if gk[label] is None else 'present'}, gluon grad "
                                         f"{'none' if gg[label] is None else 'present'})")
                        continue
                    probs.append(compare(name, check, label, gk[label], gg[label], device))
                _raise_if(name, check, probs)
        elif check == "kernel_calls":
            _raise_if(name, check, compare_kernel_calls(p))
        elif check == "captured":
            _raise_if(name, check, _compare_captured(p, case, mapper, device))
        else:
            _train_steps(p, check)
            probs = []
            for label, k, g, role in _labels(p.units):
                probs.append(compare(name, check, label, k.read()[role], g.read()[role], device))
            _raise_if(name, check, probs)
