"""``mx.profiler``: MXNet 1.9.1's profiler API on :mod:`unidl.profiler`.

``set_config(filename=..., profile_all=..., aggregate_stats=...)``, ``set_state('run'|'stop')``, ``pause`` /
``resume``, ``dump()`` (the Chrome trace JSON, loadable in Perfetto / chrome://tracing, as MXNet writes it) and
``dumps()`` (the aggregate statistics table, or JSON with ``format='json'``, when ``aggregate_stats=True``; the
empty string otherwise, as MXNet). ``Domain``, ``Task``, ``Frame``, ``Event`` (ranges), ``Counter`` and
``Marker`` write their events into the same trace.

Differences from MXNet, by design: events are unidl's kernel calls (``name`` is the core op, ``args`` hold the
kernel, shapes, dtypes, device and phase), written as complete (``ph: "X"``) events rather than B/E pairs;
``continuous_dump`` / ``dump_period`` are accepted and ignored (the trace is written by ``dump()``);
``profile_symbolic`` / ``profile_imperative`` / ``profile_all`` all turn kernel timing on (unidl has one
execution path); ``profile_memory`` and ``profile_api`` record nothing. MXNet 1.9.1 has no ``profiler.scope``
(it came with 2.0), so neither does this module; use :func:`unidl.profiler.scope`.
"""
from __future__ import annotations

import json
from typing import Any, Dict, Optional

import unidl.profiler as _prof

from .base import MXNetError

__all__ = ["set_config", "profiler_set_config", "set_state", "profiler_set_state", "dump",
           "dump_profile", "dumps", "pause", "resume", "Domain", "Task", "Frame", "Event", "Counter", "Marker"]

_DEFAULTS: Dict[str, Any] = {"profile_all": False, "profile_symbolic": True, "profile_imperative": True,
                             "profile_memory": True, "profile_api": True, "filename": "profile.json",
                             "continuous_dump": True, "dump_period": 1.0, "aggregate_stats": False,
                             "profile_process": "worker"}
_HELP = """profile_all : boolean, optional, default=0
    Profile all. Default is False.
profile_symbolic : boolean, optional, default=1
    Profile symbolic operators.  Default is True.
profile_imperative : boolean, optional, default=1
    Profile imperative operators.  Default is True.
profile_memory : boolean, optional, default=1
    Profile memory.  Default is True.
profile_api : boolean, optional, default=1
    Profile C API.  Default is True.
filename : string, optional, default='profile.json'
    File name to write profiling info.
continuous_dump : boolean, optional, default=1
    Periodically dump (and append) profiling data to file while running. Default is True.
dump_period : float, optional, default=1
    When continuous dump is enabled, the period between subsequent profile info dumping.
aggregate_stats : boolean, optional, default=0
    Maintain aggregate stats, required for MXDumpAggregateStats.  Note that this can have a negative performance impact. Default is False.
profile_process : {'server', 'worker'},optional, default='worker'
    Specifies which process to profile."""

_config: Dict[str, Any] = dict(_DEFAULTS)
_configured = [False]  # set_config called: output enabled (MXNet refuses dump() before it)


def _check_process(profile_process: str) -> None:
    if profile_process not in ("worker", "server"):
        raise MXNetError(f"Invalid Input: '{profile_process}', valid values are: {{'server', 'worker'}}")
    if profile_process == "server":
        raise MXNetError("profile_process='server' profiles a distributed kvstore server; unidl has none")


def set_config(**kwargs: Any) -> None:
    """Set profiler options (MXNet's keyword names; an unknown one is an error listing the valid ones)."""
    for k in kwargs:
        if k not in _DEFAULTS:
            raise MXNetError(f"Cannot find argument '{k}', Possible Arguments:\n----------------\n{_HELP}")
    if "profile_process" in kwargs:
        _check_process(kwargs["profile_process"])
    _config.update(kwargs)
    _configured[0] = True


profiler_set_config = set_config


def set_state(state: str = "stop", profile_process: str = "worker") -> None:
    """``'run'`` starts recording, ``'stop'`` stops it (recorded events are kept for ``dump``/``dumps``)."""
    states = {"stop": 0, "run": 1}
    if state not in states:
        raise KeyError(state)
    _check_process(profile_process)
    if state == "run":
        _prof.start()
    else:
        _prof.stop()


profiler_set_state = set_state


def dump(finished: bool = True, profile_process: str = "worker") -> None:
    """Write the trace to the configured ``filename`` (Chrome trace JSON). ``finished=True`` (the default)
    also ends this profile: later events start a new trace."""
    _check_process(profile_process)
    if not _configured[0]:
        raise MXNetError("Check failed: profiler->IsEnableOutput(): Profiler hasn't been run. "
                         "Config and start profiler first")
    _prof.dump(str(_config["filename"]))
    if finished:
        _prof.reset()


dump_profile = dump


def dumps(reset: bool = False, format: str = "table", sort_by: str = "total", ascending: bool = False) -> str:
    """The aggregate statistics (``aggregate_stats=True``), as MXNet's table or JSON; ``''`` otherwise."""
    if format not in ("table", "json"):
        raise ValueError("format must be either 'table' or 'json'")
    if sort_by not in ("total", "avg", "min", "max", "count"):
        raise ValueError("sort_by must be one of 'total', 'avg', 'min', 'max', 'count'")
    if not _config.get("aggregate_stats"):
        return ""
    if format == "table":
        out = _prof.summary(sort_by, ascending)
    else:
        stats = _prof.aggregate()
        time: Dict[str, Dict[str, Dict[str, Any]]] = {}
        for (cat, name), s in stats.items():
            time.setdefault(cat, {})[name] = {"Count": int(s["count"]), "Total": round(s["total"], 4),
                                              "Min": round(s["min"], 4), "Max": round(s["max"], 4),
                                              "Avg": round(s["avg"], 4)}
        out = json.dumps({"Time": time, "Unit": {"Time": "ms"}}, indent=4)
    if reset:
        _prof.reset()
    return out


def pause(profile_process: str = "worker") -> None:
    _check_process(profile_process)
    _prof.pause()


def resume(profile_process: str = "worker") -> None:
    _check_process(profile_process)
    _prof.resume()


class Domain:
    """A named group of custom events (their category in the trace)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __str__(self) -> str:
        return self.name

    def new_task(self, name: str) -> "Task":
        return Task(self, name)

    def new_frame(self, name: str) -> "Frame":
        return Frame(self, name)

    def new_counter(self, name: str, value: Optional[int] = None) -> "Counter":
        return Counter(self, name, value)

    def new_marker(self, name: str) -> "Marker":
        return Marker(self, name)


class _Range:
    _category = "event"

    def __init__(self, name: str, category: str) -> None:
        self.name = name
        self._cat = category
        self._t0: Optional[int] = None

    def start(self) -> None:
        self._t0 = _prof._perf()

    def stop(self) -> None:
        if self._t0 is not None:
            _prof.range_event(self.name, self._t0, _prof._perf(), self._cat)
            self._t0 = None

    def __enter__(self) -> "_Range":
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def __str__(self) -> str:
        return self.name


class Task(_Range):
    """A range in ``domain`` (``start()`` / ``stop()``)."""

    def __init__(self, domain: Domain, name: str) -> None:
        super().__init__(name, domain.name)
        self.domain = domain


class Frame(_Range):
    """A range in ``domain`` (``start()`` / ``stop()``), e.g. one iteration."""

    def __init__(self, domain: Domain, name: str) -> None:
        super().__init__(name, domain.name)
        self.domain = domain


class Event(_Range):
    """A range of its own (category ``event``)."""

    def __init__(self, name: str) -> None:
        super().__init__(name, "event")


class Counter:
    """A value drawn as a track over time (``set_value``, ``increment``, ``decrement``, ``+=``, ``-=``)."""

    def __init__(self, domain: Domain, name: str, value: Optional[int] = None) -> None:
        self.domain, self.name = domain, name
        self.value = 0
        if value is not None:
            self.set_value(value)

    def set_value(self, value: int) -> None:
        self.value = value
        _prof.counter(self.name, value, self.domain.name)

    def increment(self, delta: int = 1) -> None:
        self.set_value(self.value + delta)

    def decrement(self, delta: int = 1) -> None:
        self.set_value(self.value - delta)

    def __iadd__(self, delta: int) -> "Counter":
        self.increment(delta)
        return self

    def __isub__(self, delta: int) -> "Counter":
        self.decrement(delta)
        return self

    def __str__(self) -> str:
        return self.name


class Marker:
    """An instant event in ``domain``: ``mark(scope)`` with scope ``'global'``, ``'process'``, ``'thread'``,
    ``'task'`` or ``'marker'``."""

    def __init__(self, domain: Domain, name: str) -> None:
        self.domain, self.name = domain, name

    def mark(self, scope: str = "process") -> None:
        if scope not in ("global", "process", "thread", "task", "marker"):
            raise MXNetError(f"Invalid marker scope: {scope}")
        _prof.marker(self.name, f"{self.domain.name},instant_marker",
                     scope if scope in ("global", "process") else "thread")
