"""A profiler users can read: every kernel call's time, op, kernel, shapes, dtypes, device and phase
(forward or backward), written as a Chrome trace (JSON; open it in https://ui.perfetto.dev or
chrome://tracing) and summarised as a table::

    import unidl.profiler as prof

    with prof.profile("step.json"):          # or prof.start() ... prof.stop(); prof.dump("step.json")
        with prof.scope("train step"):        # a named range around what it encloses
            loss = step()
    print(prof.summary())                      # per op and phase: count, total / min / max / avg ms

It follows :mod:`unidl.trace`: starting it drops the resolved-kernel caches so every kernel resolved
while it runs is wrapped by a timing wrapper; stopping it drops them again. Outside a profile the
per-op hot path is exactly what it is without the profiler (nothing is checked, nothing is wrapped).
While it runs, :func:`unidl.autograd` backward passes are marked (a ``backward`` range; kernels called
inside it have ``phase: "backward"``). A kernel that calls other kernels (a composite) is a range that
contains theirs, so the trace nests as the calls did.

Times are host wall-clock around each kernel call: on an asynchronous device (CUDA through CuPy) a kernel's
time is its launch unless the kernel synchronizes, so a trace there shows where the host waits. The
profiler is process-wide (every thread's kernel calls are recorded, each on its own track). Started
inside an open :func:`unidl.trace.kernel_trace` it composes with the trace's wrapper; a trace opened while
it runs takes the kernels over until it closes (kernel timing is lost meanwhile; scopes still record). ``pause()``/``resume()``
skip recording without dropping caches. The MXNet face's ``mx.profiler`` and the Keras face's
``keras.callbacks.TensorBoard(profile_batch=...)`` are written on this module.

Trace format (Chrome Trace Event format, ``{"traceEvents": [...], "displayTimeUnit": "ms"}``):
  * a kernel call: ``{"ph": "X", "name": <op>, "cat": "kernel" | "kernel,backward", "ts", "dur"`` (µs from
    the start of the profile), ``"pid", "tid", "args": {"op", "kernel", "device", "phase", "shapes",
    "dtypes"}}``;
  * a scope or a backward pass: ``{"ph": "X", "name": <name>, "cat": "scope" | "autograd", ...}``;
  * counters (``ph: "C"``), instant markers (``ph: "i"``) and process/thread names (``ph: "M"``).
"""
from __future__ import annotations

import contextlib
import gzip
import json
import os
import threading
import time
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

from . import kernels as _kernels

__all__ = ["start", "stop", "pause", "resume", "is_running", "state", "reset", "profile", "scope", "marker",
           "counter", "events", "chrome_trace", "dump", "dumps", "summary", "aggregate"]

_perf = time.perf_counter_ns
_get_ident = threading.get_ident


class _Profiler:
    """Process-wide profiler state (one instance, :data:`_P`)."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.running = False      # started (kernels wrapped)
        self.recording = False    # running and not paused
        self.origin = 0           # perf_counter_ns at the first start since reset
        # raw records: (kind, name, t0, t1, tid, extra); extra for kernels: (device, phase, shapes, dtypes)
        self.records: List[Tuple[Any, ...]] = []
        self.prev_wrap: Optional[Callable[..., Any]] = None
        self.our_wrap: Optional[Callable[..., Any]] = None
        self.orig_run: Optional[Callable[..., Any]] = None
        self.local = threading.local()  # .phase: "backward" inside autograd backward


_P = _Profiler()


def _describe(args: Tuple[Any, ...]) -> Tuple[Tuple[Any, ...], Tuple[Any, ...]]:
    shapes, dtypes = [], []
    for a in args:
        if isinstance(a, (list, tuple)):
            shapes.append([tuple(getattr(x, "shape", ())) for x in a if hasattr(x, "dtype")])
            dtypes.append([str(x.dtype) for x in a if hasattr(x, "dtype")])
            continue
        dt = getattr(a, "dtype", None)
        if dt is not None and hasattr(a, "shape"):
            shapes.append(tuple(a.shape))
            dtypes.append(str(dt))
    return tuple(shapes), tuple(dtypes)


def _make_wrap(prev: Optional[Callable[..., Any]]) -> Callable[..., Any]:
    records = _P.records
    local = _P.local

    def wrap(op: "_kernels.OpDef", fn: Callable[..., Any]) -> Callable[..., Any]:
        if prev is not None:
            fn = prev(op, fn)
        if not _P.running:  # a stale composition (the profiler stopped while a trace was open): no cost
            return fn
        name = op.name

        def timed(*args: Any, **kw: Any) -> Any:
            if not _P.recording:
                return fn(*args, **kw)
            t0 = _perf()
            out = fn(*args, **kw)
            t1 = _perf()
            records.append(("k", name, t0, t1, _get_ident(),
                            (_device_of(args), getattr(local, "phase", "forward"), _describe(args))))
            return out

        return timed

    return wrap


_DEVICE_OF_MODULE: Dict[str, str] = {"numpy": "cpu"}


def _device_of(args: Tuple[Any, ...]) -> str:
    """The device type of the first array argument (by its array module: numpy -> cpu, cupy -> cuda, ...)."""
    for a in args:
        if hasattr(a, "dtype") and hasattr(a, "shape"):
            root = type(a).__module__.split(".")[0]
            dev = _DEVICE_OF_MODULE.get(root)
            if dev is None:
                dev = root
                try:
                    from .devices import DEVICES

                    for name, kind in DEVICES.types.items():
                        if getattr(kind.xp, "__name__", "").split(".")[0] == root:
                            dev = name
                            break
                except Exception:  # noqa: BLE001 - a label only
                    pass
                _DEVICE_OF_MODULE[root] = dev
            return dev
    return "cpu"


def _patched_run(orig: Callable[..., Any]) -> Callable[..., Any]:
    def run(*args: Any, **kw: Any) -> Any:
        if not _P.recording:
            return orig(*args, **kw)
        local = _P.local
        prev = getattr(local, "phase", "forward")
        local.phase = "backward"
        t0 = _perf()
        try:
            return orig(*args, **kw)
        finally:
            local.phase = prev
            _P.records.append(("s", "backward", t0, _perf(), _get_ident(), "autograd"))

    return run


def start() -> None:
    """Start recording (idempotent). Kernels resolved from now on are timed."""
    from . import autograd

    with _P.lock:
        if _P.running:
            _P.recording = True
            return
        if not _P.records:
            _P.origin = _perf()
        _P.running = _P.recording = True
        _P.prev_wrap = _kernels.TRACING.wrap
        _P.our_wrap = _make_wrap(_P.prev_wrap)
        _kernels.TRACING.wrap = _P.our_wrap
        _P.orig_run = autograd._run
        autograd._run = _patched_run(_P.orig_run)
        _kernels.invalidate()


def stop() -> None:
    """Stop recording and unwrap every kernel (the recorded events are kept until :func:`reset`)."""
    from . import autograd

    with _P.lock:
        if not _P.running:
            return
        _P.running = _P.recording = False
        if _kernels.TRACING.wrap is _P.our_wrap:
            _kernels.TRACING.wrap = _P.prev_wrap
        if _P.orig_run is not None:
            autograd._run = _P.orig_run
        _P.orig_run = _P.our_wrap = _P.prev_wrap = None
        _kernels.invalidate()


def pause() -> None:
    """Stop recording without unwrapping (cheap to :func:`resume`)."""
    _P.recording = False


def resume() -> None:
    """Record again after :func:`pause` (only while started)."""
    _P.recording = _P.running


def is_running() -> bool:
    return _P.running


def state() -> str:
    """``"run"`` while started, else ``"stop"``."""
    return "run" if _P.running else "stop"


def reset() -> None:
    """Drop every recorded event (the clock origin moves to the next start or now if running)."""
    with _P.lock:
        del _P.records[:]
        _P.origin = _perf()


@contextlib.contextmanager
def profile(filename: Optional[str] = None) -> Iterator[None]:
    """Record inside the block; at its end stop and, given ``filename``, write the Chrome trace there."""
    start()
    try:
        yield
    finally:
        stop()
        if filename is not None:
            dump(filename)


@contextlib.contextmanager
def scope(name: str, category: str = "scope", args: Optional[Dict[str, Any]] = None) -> Iterator[None]:
    """A named range in the trace around the block (nothing is recorded unless the profiler records)."""
    if not _P.recording:
        yield
        return
    t0 = _perf()
    try:
        yield
    finally:
        _P.records.append(("s", str(name), t0, _perf(), _get_ident(), (category, args)))


def range_event(name: str, t0_ns: int, t1_ns: int, category: str = "scope", args: Optional[Dict[str, Any]] = None
                ) -> None:
    """Record a range measured by the caller (``time.perf_counter_ns`` values)."""
    if _P.recording:
        _P.records.append(("s", str(name), int(t0_ns), int(t1_ns), _get_ident(), (category, args)))


def marker(name: str, category: str = "marker", scope: str = "process") -> None:
    """An instant event (``scope``: ``"global"``, ``"process"`` or ``"thread"``)."""
    if _P.recording:
        _P.records.append(("i", str(name), _perf(), 0, _get_ident(), (category, scope)))


def counter(name: str, value: float, category: str = "counter") -> None:
    """A counter sample (drawn as a track of values over time)."""
    if _P.recording:
        _P.records.append(("c", str(name), _perf(), 0, _get_ident(), (category, value)))


# -- reading the records ---------------------------------------------------------------------------------------
def _kernel_label(op: str, device: str, dtype: Optional[str]) -> str:
    """Which registered kernel ran: ``plugin:function`` (a dtype-restricted kernel only for its dtypes), else
    the op's composite definition or the host fallback."""
    import numpy as np

    for e in _kernels.KERNELS.candidates(op, device):
        if e.dtypes is None or (dtype is not None and np.dtype(dtype) in e.dtypes):
            fn = getattr(e.fn, "__wrapped__", e.fn)
            mod = str(getattr(fn, "__module__", "") or "").rsplit(".", 1)[-1]
            return f"{e.plugin}:{mod + '.' if mod else ''}{getattr(fn, '__name__', type(fn).__name__)}"
    opdef = _kernels.OPS.get(op)
    if opdef is not None and opdef.composite is not None:
        return "composite"
    return "host fallback" if device != "cpu" else "none"


def _us(ns: int) -> float:
    return round((ns - _P.origin) / 1000.0, 3)


def events() -> List[Dict[str, Any]]:
    """The recorded events as Chrome trace event dicts (metadata first, then by start time)."""
    pid = os.getpid()
    out: List[Dict[str, Any]] = [{"ph": "M", "name": "process_name", "pid": pid, "args": {"name": "unidl"}}]
    tids: Dict[int, int] = {}
    labels: Dict[Tuple[str, str, Optional[str]], str] = {}
    body: List[Dict[str, Any]] = []
    for kind, name, t0, t1, ident, extra in list(_P.records):
        tid = tids.setdefault(ident, len(tids) + 1)
        if kind == "k":
            dev, phase, (shapes, dtypes) = extra
            first = next((d for d in dtypes if isinstance(d, str)), None)
            key = (name, dev, first)
            if key not in labels:
                labels[key] = _kernel_label(name, dev, first)
            body.append({"ph": "X", "name": name, "cat": "kernel" if phase == "forward" else "kernel,backward",
                         "ts": _us(t0), "dur": max(round((t1 - t0) / 1000.0, 3), 0.001), "pid": pid, "tid": tid,
                         "args": {"op": name, "kernel": labels[key], "device": dev, "phase": phase,
                                  "shapes": [list(s) if isinstance(s, tuple) else [list(x) for x in s]
                                             for s in shapes],
                                  "dtypes": list(dtypes)}})
        elif kind == "s":
            cat, a = extra if isinstance(extra, tuple) else (extra, None)
            ev = {"ph": "X", "name": name, "cat": cat, "ts": _us(t0),
                  "dur": max(round((t1 - t0) / 1000.0, 3), 0.001), "pid": pid, "tid": tid}
            if a:
                ev["args"] = dict(a)
            body.append(ev)
        elif kind == "i":
            cat, sc = extra
            body.append({"ph": "i", "name": name, "cat": cat, "ts": _us(t0), "pid": pid, "tid": tid,
                         "s": {"global": "g", "process": "p", "thread": "t"}.get(sc, "p")})
        elif kind == "c":
            cat, value = extra
            body.append({"ph": "C", "name": name, "cat": cat, "ts": _us(t0), "pid": pid, "tid": tid,
                         "args": {name: value}})
    for ident, tid in tids.items():
        tname = next((t.name for t in threading.enumerate() if t.ident == ident), f"thread {tid}")
        out.append({"ph": "M", "name": "thread_name", "pid": pid, "tid": tid, "args": {"name": tname}})
    # by start; a range before the ranges it contains (longer first at equal starts)
    body.sort(key=lambda e: (e["ts"], -e.get("dur", 0)))
    return out + body


def chrome_trace() -> Dict[str, Any]:
    """The whole trace as a JSON-ready dict."""
    return {"traceEvents": events(), "displayTimeUnit": "ms",
            "otherData": {"producer": "unidl.profiler", "clock": "perf_counter, µs from the profile's start"}}


def dump(filename: str) -> str:
    """Write the Chrome trace to ``filename`` (gzip-compressed when it ends in ``.gz``); returns the path.
    Written to a temporary file and renamed into place."""
    data = json.dumps(chrome_trace()).encode()
    d = os.path.dirname(os.path.abspath(filename))
    os.makedirs(d, exist_ok=True)
    tmp = f"{filename}.tmp{os.getpid()}"
    if filename.endswith(".gz"):
        with gzip.open(tmp, "wb") as f:
            f.write(data)
    else:
        with open(tmp, "wb") as f:
            f.write(data)
    os.replace(tmp, filename)
    return filename


def aggregate() -> Dict[Tuple[str, str], Dict[str, float]]:
    """Per (category, name): count and total / min / max / avg milliseconds; kernels grouped as
    ``("kernel", op)`` and ``("kernel,backward", op)``."""
    stats: Dict[Tuple[str, str], Dict[str, float]] = {}
    for kind, name, t0, t1, _, extra in list(_P.records):
        if kind == "k":
            cat = "kernel" if extra[1] == "forward" else "kernel,backward"
        elif kind == "s":
            cat = extra[0] if isinstance(extra, tuple) else extra
        else:
            continue
        ms = (t1 - t0) / 1e6
        s = stats.get((cat, name))
        if s is None:
            stats[(cat, name)] = {"count": 1, "total": ms, "min": ms, "max": ms}
        else:
            s["count"] += 1
            s["total"] += ms
            s["min"] = min(s["min"], ms)
            s["max"] = max(s["max"], ms)
    for s in stats.values():
        s["avg"] = s["total"] / s["count"]
    return stats


def summary(sort_by: str = "total", ascending: bool = False) -> str:
    """A table of :func:`aggregate`, grouped by category, sorted by ``sort_by`` (total, avg, min, max, count)."""
    if sort_by not in ("total", "avg", "min", "max", "count"):
        raise ValueError(f"sort_by must be one of total, avg, min, max, count; got {sort_by!r}")
    stats = aggregate()
    lines = ["Profile Statistics (unidl.profiler; times in ms)"]
    for cat in sorted({c for c, _ in stats}):
        rows = sorted(((n, s) for (c, n), s in stats.items() if c == cat), key=lambda r: r[1][sort_by],
                      reverse=not ascending)
        lines += ["", cat, "=" * len(cat),
                  f"{'Name':<32}{'Total Count':>12}{'Time (ms)':>14}{'Min Time (ms)':>16}{'Max Time (ms)':>16}"
                  f"{'Avg Time (ms)':>16}",
                  f"{'----':<32}{'-----------':>12}{'---------':>14}{'-------------':>16}{'-------------':>16}"
                  f"{'-------------':>16}"]
        for n, s in rows:
            lines.append(f"{n:<32}{int(s['count']):>12}{s['total']:>14.4f}{s['min']:>16.4f}{s['max']:>16.4f}"
                         f"{s['avg']:>16.4f}")
    return "\n".join(lines) + "\n"


def dumps(sort_by: str = "total", ascending: bool = False) -> str:
    """:func:`summary` (the name MXNet uses)."""
    return summary(sort_by, ascending)
