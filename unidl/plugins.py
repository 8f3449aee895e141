"""The plugin manager: loads ``unidl`` entry points once, lazily, each in isolation.

For every entry point: import it, validate its hooks against :mod:`unidl.hookspecs`, run its
registration hooks against *staging* registries, and commit those only if every hook succeeded.
A plugin that fails is recorded (name, distribution, phase, error) and skipped; the runtime keeps
working. Environment switches (as pytest's):

- ``UNIDL_DISABLE_PLUGIN_AUTOLOAD=1``: load no entry points (register plugins by hand).
- ``UNIDL_DISABLE_PLUGINS=a,b``: skip the named entry points.
- ``UNIDL_STRICT_PLUGINS=1``: re-raise a plugin's error instead of isolating it.
"""
from __future__ import annotations

import os
import sys
import threading
import traceback
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any, Callable, Dict, Iterable, List, Optional

import pluggy

from . import hookspecs
from .devices import DEVICES, DeviceRegistry, _reset_instances
from .errors import PluginError
from .kernels import BUILTIN_PLUGINS, KERNELS, KernelRegistry, check_signature, invalidate

PROJECT = "unidl"
GROUP = "unidl"


@dataclass
class FrontendInfo:
    name: str
    package: str
    provides: tuple
    framework_version: str = ""
    inventory: Optional[Callable[[], Iterable[str]]] = None
    plugin: str = ""
    #: the module translating this frontend's models to the core's canonical terms (``unidl.nn.canonical``):
    #: ``units(model)``, and ``describe(model)`` (a ModelSpec) or ``build(spec)`` (a model) where it can
    canonical: str = ""


class FrontendRegistry:
    """Frontends by name, as registered through ``unidl_register_frontends``."""

    def __init__(self, plugin: str = "") -> None:
        self.plugin = plugin
        self.frontends: Dict[str, FrontendInfo] = {}

    def add(self, name: str, *, package: str, provides: Iterable[str] = (), framework_version: str = "",
            inventory: Optional[Callable[[], Iterable[str]]] = None, canonical: str = "") -> None:
        if name in self.frontends:
            raise PluginError(f"frontend '{name}' is registered twice")
        self.frontends[name] = FrontendInfo(name, package, tuple(provides), framework_version, inventory,
                                            self.plugin, canonical)

    def update(self, other: "FrontendRegistry") -> None:
        for name, fe in other.frontends.items():
            if name in self.frontends:
                raise PluginError(f"frontend '{name}' is registered twice (by '{self.frontends[name].plugin}' "
                                  f"and '{fe.plugin}')")
        self.frontends.update(other.frontends)


class CaseRegistry:
    """Conformance cases contributed by plugins, as registered through ``unidl_conformance_cases``."""

    def __init__(self, plugin: str = "") -> None:
        self.plugin = plugin
        self.cases: List[Any] = []
        self.owners: List[str] = []  # the plugin that added each case, so unregister can remove them

    def add(self, case: Any) -> None:
        self.cases.append(case)
        self.owners.append(self.plugin)

    def update(self, other: "CaseRegistry") -> None:
        self.cases.extend(other.cases)
        self.owners.extend(other.owners)

    def remove_plugin(self, plugin: str) -> None:
        keep = [(c, o) for c, o in zip(self.cases, self.owners) if o != plugin]
        self.cases[:] = [c for c, _ in keep]
        self.owners[:] = [o for _, o in keep]


@dataclass
class PluginRecord:
    """What happened to one plugin: status 'loaded', 'failed' or 'blocked'."""

    name: str
    status: str
    distribution: str = ""
    module: str = ""
    phase: str = ""
    error: str = ""
    traceback: str = ""
    kernels: int = 0
    devices: List[str] = field(default_factory=list)
    frontends: List[str] = field(default_factory=list)


FRONTENDS = FrontendRegistry()
CASES = CaseRegistry()
RECORDS: Dict[str, PluginRecord] = {}
_pm: Optional[pluggy.PluginManager] = None
_loaded = False
_loading = False
_LOAD_LOCK = threading.RLock()
_configured = False  # unidl_configure has run for the entry-point plugins; later ones are configured on load


def manager() -> pluggy.PluginManager:
    """The pluggy manager holding every successfully loaded plugin."""
    global _pm
    if _pm is None:
        _pm = pluggy.PluginManager(PROJECT)
        _pm.add_hookspecs(hookspecs)
    return _pm


def _entry_points() -> List[metadata.EntryPoint]:
    eps = metadata.entry_points()
    if hasattr(eps, "select"):
        return list(eps.select(group=GROUP))
    return list(eps.get(GROUP, []))  # pragma: no cover - Python < 3.10 API


def _flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def ensure_loaded() -> None:
    """Load the entry-point plugins if that has not happened yet (cheap after the first call).

    Thread-safe: a thread that arrives while another loads waits until loading is done (a plugin's own
    calls back into unidl during loading, on the loading thread, return at once)."""
    global _loading
    if _loaded:
        return
    with _LOAD_LOCK:
        if _loaded or _loading:
            return
        _loading = True
        try:
            _load_all()
        finally:
            _loading = False


def _load_all() -> None:
    global _loaded, _configured
    if not _flag("UNIDL_DISABLE_PLUGIN_AUTOLOAD"):
        blocked = {s.strip() for s in os.environ.get("UNIDL_DISABLE_PLUGINS", "").split(",") if s.strip()}
        pending = []
        for ep in _entry_points():
            if ep.name in blocked:
                RECORDS[ep.name] = PluginRecord(ep.name, "blocked", _dist_name(ep), ep.value)
                continue
            pending.append(ep)
        # Dependency order, whatever order sys.path lists distributions in: a plugin whose kernels name a
        # device type no plugin has registered yet waits until the others are in, then tries again.
        while pending:
            waiting = [ep for ep in pending if _load_entry_point(ep, defer=True) is _DEFERRED]
            if len(waiting) == len(pending):
                for ep in waiting:
                    _load_entry_point(ep)   # nothing else can provide the device: record the failure
                break
            pending = waiting
    _configured = True
    # One call per plugin rather than pluggy's call_historic: a hook call stops at the first plugin
    # that raises, and a broken plugin must not keep the others from being configured.
    for impl in list(manager().hook.unidl_configure.get_hookimpls()):
        try:
            _call_configure(impl)
        except BaseException as e:  # noqa: BLE001
            if isinstance(e, (KeyboardInterrupt, SystemExit)):
                raise
            rec = RECORDS.get(impl.plugin_name)
            unregister(impl.plugin_name)
            _fail(impl.plugin_name, "configure", e, rec.distribution if rec else "", rec.module if rec else "")
    _loaded = True


def _call_configure(impl: Any) -> None:
    cfg = dict(os.environ)
    impl.function(**{a: cfg for a in impl.argnames})


def _dist_name(ep: metadata.EntryPoint) -> str:
    dist = getattr(ep, "dist", None)
    try:
        return f"{dist.metadata['Name']} {dist.version}" if dist is not None else ""
    except Exception:  # noqa: BLE001 - broken metadata must not stop loading
        return ""


#: what ``_load_entry_point(..., defer=True)`` returns for a plugin that needs a device not registered yet
_DEFERRED = object()


class _MissingDevice(PluginError):
    """A plugin's kernels name a device type that no loaded plugin registered (yet)."""


def _load_entry_point(ep: metadata.EntryPoint, defer: bool = False) -> Any:
    have = RECORDS.get(ep.name)
    if have is not None and have.status == "loaded":
        if have.module == ep.value:
            return have  # the same entry point seen twice (a distribution on sys.path twice)
        # Another distribution uses the same name: keep the first and report the second.
        return _fail(f"{ep.name}[{ep.value}]", "import",
                     PluginError(f"a plugin named '{ep.name}' is already loaded from '{have.module}'"),
                     _dist_name(ep), ep.value)
    try:
        obj = ep.load()
    except BaseException as e:  # noqa: BLE001 - isolation is the point
        if isinstance(e, (KeyboardInterrupt, SystemExit)):
            raise
        return _fail(ep.name, "import", e, _dist_name(ep), ep.value)
    return _register(obj, ep.name, _dist_name(ep), ep.value, defer)


def register(plugin: Any, name: Optional[str] = None, *, distribution: str = "", module: str = "") -> PluginRecord:
    """Register a plugin object (module or instance with hookimpls) in isolation; returns its record.

    Used for entry points and for plugins made at run time (tests, notebooks). On failure nothing
    the plugin registered is kept, and the record says which phase failed and why.
    """
    ensure_loaded() if not _loaded else None
    return _register(plugin, name, distribution, module, False)


def _register(plugin: Any, name: Optional[str], distribution: str, module: str, defer: bool) -> Any:
    name = name or getattr(plugin, "__name__", None) or type(plugin).__name__
    if name in RECORDS and RECORDS[name].status == "loaded":
        raise PluginError(f"a plugin named '{name}' is already loaded")
    module = module or getattr(plugin, "__name__", "")
    one = pluggy.PluginManager(PROJECT)
    one.add_hookspecs(hookspecs)
    phase = "validate"
    try:
        one.register(plugin, name=name)
        one.check_pending()  # a misspelt unidl_* hook would otherwise be ignored silently
        devs, kers, fes, cases = (DeviceRegistry(), KernelRegistry(name), FrontendRegistry(name),
                                  CaseRegistry(name))
        phase = "devices"
        one.hook.unidl_register_devices(registry=_PluginDevices(devs, name))
        phase = "kernels"
        one.hook.unidl_register_kernels(registry=kers)
        phase = "frontends"
        one.hook.unidl_register_frontends(registry=fes)
        phase = "conformance"
        one.hook.unidl_conformance_cases(registry=cases)
        if _configured:  # a plugin registered after start-up is configured before it is committed
            phase = "configure"
            for impl in one.hook.unidl_configure.get_hookimpls():
                _call_configure(impl)
        phase = "commit"
        _check_kernel_devices(kers, devs)
        if _is_builtin(distribution, module):
            BUILTIN_PLUGINS.add(name)
        else:
            for entries in kers.entries.values():
                for entry in entries:
                    check_signature(entry)
        pm = manager()
        pm.register(plugin, name=name)  # raises if this very object is already loaded under another name
        try:
            _commit(devs, kers, fes, cases)
        except BaseException:
            pm.unregister(name=name)
            raise
    except BaseException as e:  # noqa: BLE001
        if isinstance(e, (KeyboardInterrupt, SystemExit)):
            raise
        if defer and isinstance(e, _MissingDevice):
            return _DEFERRED
        return _fail(name, phase, e, distribution, module)
    rec = RECORDS[name] = PluginRecord(
        name, "loaded", distribution, module, kernels=sum(len(v) for v in kers.entries.values()),
        devices=sorted(devs.types), frontends=sorted(fes.frontends))
    return rec


class _PluginDevices:
    """The device registry as one plugin sees it (stamps the plugin's name on what it adds)."""

    def __init__(self, reg: DeviceRegistry, plugin: str) -> None:
        self._reg, self._plugin = reg, plugin

    def add(self, name: str, **kw: Any) -> Any:
        if name in DEVICES.types:
            raise PluginError(f"device type '{name}' is already registered by '{DEVICES.types[name].plugin}'")
        return self._reg.add(name, plugin=self._plugin, **kw)


def _is_builtin(distribution: str, module: str) -> bool:
    """A plugin shipped with unidl: an entry point of the unidl distribution itself, module unidl_*."""
    return distribution.split(" ")[0] == "unidl" and module.startswith("unidl_")


def _check_kernel_devices(kers: KernelRegistry, devs: DeviceRegistry) -> None:
    for (op, dev) in kers.entries:
        if dev not in devs.types and dev not in DEVICES.types:
            raise _MissingDevice(f"kernel for op '{op}' names device type '{dev}', which no plugin registered "
                                 "(register the device first, or load its plugin before this one)")


def _commit(devs: DeviceRegistry, kers: KernelRegistry, fes: FrontendRegistry, cases: CaseRegistry) -> None:
    # Check every part before changing any, so a failure leaves the global registries untouched.
    probe = KernelRegistry()
    probe.entries = {k: list(v) for k, v in KERNELS.entries.items()}
    probe.update(kers)
    for n in fes.frontends:
        if n in FRONTENDS.frontends:
            raise PluginError(f"frontend '{n}' is registered twice")
    DEVICES.update(devs)
    KERNELS.entries = probe.entries
    invalidate()
    FRONTENDS.update(fes)
    CASES.update(cases)


def _fail(name: str, phase: str, err: BaseException, distribution: str, module: str) -> PluginRecord:
    if _flag("UNIDL_STRICT_PLUGINS"):
        raise err
    rec = RECORDS[name] = PluginRecord(
        name, "failed", distribution, module, phase=phase, error=f"{type(err).__name__}: {err}",
        traceback="".join(traceback.format_exception(type(err), err, err.__traceback__)))
    # once, when it happens (besides `unidl plugins`): a plugin that silently does nothing is worse
    print(f"unidl: plugin '{name}'{f' ({distribution})' if distribution else ''} failed to load in its {phase} "
          f"phase and was left out: {rec.error} (`unidl plugins` lists it; UNIDL_STRICT_PLUGINS=1 raises instead)",
          file=sys.stderr)
    try:
        manager().hook.unidl_plugin_failed(name=name, phase=phase, error=err)
    except Exception:  # noqa: BLE001 - a broken listener must not break isolation
        pass
    return rec


def unregister(name: str) -> None:
    """Remove a loaded plugin and everything it registered."""
    rec = RECORDS.pop(name, None)
    if rec is None:
        return
    KERNELS.remove_plugin(name)
    gone = [d for d, t in DEVICES.types.items() if t.plugin == name]
    for d in gone:
        del DEVICES.types[d]
    for f in [f for f, t in FRONTENDS.frontends.items() if t.plugin == name]:
        del FRONTENDS.frontends[f]
    CASES.remove_plugin(name)
    pm = manager()
    if pm.get_plugin(name) is not None:
        pm.unregister(name=name)
    _reset_instances(gone)


def reset() -> None:
    """Forget every plugin and registration (tests use this with fake entry points)."""
    global _loaded, _configured, _pm
    _loaded = _configured = False
    _pm = None
    RECORDS.clear()
    KERNELS.entries.clear()
    invalidate()
    DEVICES.types.clear()
    FRONTENDS.frontends.clear()
    CASES.cases.clear()
    CASES.owners.clear()
    _reset_instances()


def records() -> List[PluginRecord]:
    """Every plugin seen, loaded or not (loads plugins first)."""
    ensure_loaded()
    return list(RECORDS.values())


def failures() -> List[PluginRecord]:
    """The plugins that failed to load, with their phase and error."""
    return [r for r in records() if r.status == "failed"]
