"""Devices: the registry plugins fill, and the Device objects tensors carry.

A *device type* ("cpu", "cuda", a third party's) is registered by a plugin with its array module and
host transfer functions. A :class:`Device` is a type plus an index; there is one Device object per
(type, index), so identity comparison (``a.device is b.device``) is exact and cheap on the hot path.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Dict, Iterable, Optional, Tuple

from .errors import PluginError, UnidlError


@dataclass
class DeviceType:
    """What a plugin registers for a kind of device.

    Attributes:
        name: the type name, e.g. "cpu".
        xp: the array module (numpy, cupy, ...).
        is_available: () -> bool; False hides the device (its plugin is listed as unavailable).
        device_count: () -> int.
        to_host: (array) -> numpy.ndarray.
        from_host: (numpy.ndarray, index) -> array on device ``index``.
        synchronize: (index) -> None; waits for queued work.
        plugin: the name of the plugin that registered it (filled by the registry).
    """

    name: str
    xp: Any
    is_available: Callable[[], bool] = lambda: True
    device_count: Callable[[], int] = lambda: 1
    to_host: Callable[[Any], Any] = lambda a: a
    from_host: Callable[[Any, int], Any] = lambda a, index=0: a
    synchronize: Callable[[int], None] = lambda index=0: None
    capabilities: Dict[str, Any] = field(default_factory=dict)
    plugin: str = ""
    unavailable_reason: str = ""


class Device:
    """A device instance: a registered type and an index. Obtain one with :func:`unidl.device`."""

    __slots__ = ("type", "index", "kind", "xp")

    def __init__(self, kind: DeviceType, index: int):
        self.kind = kind
        self.type = kind.name
        self.index = index
        self.xp = kind.xp

    def __repr__(self) -> str:
        return f"device('{self.type}:{self.index}')" if self.type != "cpu" else "device('cpu')"

    def __str__(self) -> str:
        return f"{self.type}:{self.index}" if self.type != "cpu" else "cpu"

    def __reduce__(self):
        return (device, (str(self),))

    def synchronize(self) -> None:
        self.kind.synchronize(self.index)


class DeviceRegistry:
    """Device types by name, as registered through ``unidl_register_devices``."""

    def __init__(self) -> None:
        self.types: Dict[str, DeviceType] = {}

    def add(self, name: str, *, xp: Any, plugin: str = "", **kw: Any) -> DeviceType:
        """Register a device type. See :class:`DeviceType` for the keyword arguments."""
        if not isinstance(name, str) or not name.isidentifier():
            raise PluginError(f"device type name must be an identifier, got {name!r}")
        if name in self.types:
            raise PluginError(
                f"device type '{name}' is registered twice (by '{self.types[name].plugin}' and '{plugin}')"
            )
        dt = DeviceType(name=name, xp=xp, plugin=plugin, **kw)
        self.types[name] = dt
        return dt

    def update(self, other: "DeviceRegistry") -> None:
        for name, dt in other.types.items():
            if name in self.types:
                raise PluginError(f"device type '{name}' is registered twice")
            self.types[name] = dt


DEVICES = DeviceRegistry()
_instances: Dict[Tuple[str, int], Device] = {}


def parse_device_spec(spec: Any) -> Tuple[str, int]:
    """'cpu' -> ('cpu', 0); 'cuda:1' -> ('cuda', 1); ('cuda', 1) -> same."""
    if isinstance(spec, tuple) and len(spec) == 2:
        return str(spec[0]), int(spec[1])
    if not isinstance(spec, str):
        raise TypeError(f"unidl.device: expected a string like 'cpu' or 'cuda:0', got {spec!r}")
    name, _, idx = spec.partition(":")
    try:
        return name, int(idx) if idx else 0
    except ValueError:
        raise ValueError(f"unidl.device: bad device index in {spec!r}; expected 'type' or 'type:N'") from None


def device(spec: Any = "cpu", index: Optional[int] = None) -> Device:
    """Return the :class:`Device` for ``spec`` ('cpu', 'cuda', 'cuda:1', or a Device).

    Raises:
        UnidlError: the type is not registered by any plugin, or is registered but unavailable.
    """
    if isinstance(spec, Device):
        return spec
    name, idx = parse_device_spec(spec)
    if index is not None:
        idx = index
    try:
        return _instances[name, idx]
    except KeyError:
        pass
    from .plugins import ensure_loaded

    ensure_loaded()
    kind = DEVICES.types.get(name)
    if kind is None:
        known = ", ".join(sorted(DEVICES.types)) or "none"
        raise UnidlError(f"unknown device type '{name}'; registered device types: {known}")
    if not kind.is_available():
        why = f": {kind.unavailable_reason}" if kind.unavailable_reason else ""
        raise UnidlError(f"device type '{name}' (plugin '{kind.plugin}') is not available{why}")
    count = kind.device_count()
    if not 0 <= idx < count:
        raise UnidlError(f"device '{name}:{idx}' does not exist; {count} '{name}' device(s) present")
    dev = _instances[name, idx] = Device(kind, idx)
    return dev


_default: list = []


def default_device() -> Device:
    """The device new tensors go to when none is given (``cpu`` unless changed)."""
    if not _default:
        _default.append(device("cpu"))
    return _default[0]


def set_default_device(spec: Any) -> Device:
    """Make ``spec`` the device for tensors created without one; returns it."""
    dev = device(spec)
    _default[:] = [dev]
    return dev


def _reset_instances(types: Optional[Iterable[str]] = None) -> None:
    """Forget Device objects: all of them, or only those of the device ``types`` given.

    Dropping only the removed types matters: a tensor keeps its Device object, and ops compare devices
    by identity, so renewing the cpu Device would make every existing cpu tensor "foreign".
    """
    if types is None:
        _instances.clear()
        _default.clear()
        return
    gone = set(types)
    for key in [k for k in _instances if k[0] in gone]:
        del _instances[key]
    if _default and _default[0].type in gone:
        _default.clear()
