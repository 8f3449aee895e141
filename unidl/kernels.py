"""Kernel registry and op definitions: resolve (op, device type) -> a function on raw arrays.

Plugins register forward kernels through ``unidl_register_kernels(registry)``. Resolution happens
once per (op, device type) and is cached in ``OpDef.table``; the per-op hot path is one dict look-up.

Resolution order for an op on a device type:
  1. registered kernels for that device type, highest priority first (a kernel that declares
     ``dtypes`` is only used for those dtypes; a kernel that overrides another may raise
     :class:`Decline` to pass the call on to the next registered kernel);
  2. the op's composite definition (written with other ops' kernels, so it runs on any device that
     has those);
  3. the ``cpu`` kernel with a round trip through host memory, if the device can exchange arrays
     with the host;
  4. otherwise :class:`~unidl.errors.KernelNotFoundError` naming the op, device and plugins consulted.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np

from .errors import KernelNotFoundError, KernelResultError, PluginError


class Decline(Exception):
    """Raised by a kernel to hand this call to the next kernel in priority order."""


@dataclass(frozen=True)
class KernelEntry:
    op: str
    device: str
    fn: Callable[..., Any]
    priority: int
    dtypes: Optional[frozenset]
    plugin: str
    version: int = 1


class OpDef:
    """A core op's identity: its name, optional composite definition, and resolved-kernel cache.

    ``composite(K, *arrays, **attrs)`` computes the forward with other ops' kernels, reached as
    attributes of ``K`` (``K.exp(x)``), bound to the same device type.
    """

    __slots__ = ("name", "composite", "table", "doc", "differentiable")

    def __init__(self, name: str, composite: Optional[Callable[..., Any]] = None, doc: str = "",
                 differentiable: bool = True):
        self.name = name
        self.composite = composite
        self.table: Dict[str, Callable[..., Any]] = {}
        self.doc = doc
        self.differentiable = differentiable

    def __repr__(self) -> str:
        return f"OpDef({self.name!r})"

    def kernel(self, device_type: str) -> Callable[..., Any]:
        """The function that runs this op on ``device_type`` (cached)."""
        try:
            return self.table[device_type]
        except KeyError:
            fn = resolve(self, device_type)
            if TRACING.wrap is not None:  # unidl.trace: record every call while a trace is open
                fn = TRACING.wrap(self, fn)
            self.table[device_type] = fn
            return fn


class _Tracing:
    """Where :mod:`unidl.trace` installs its recording wrapper (None: no trace open, nothing wrapped)."""

    wrap: Optional[Callable[["OpDef", Callable[..., Any]], Callable[..., Any]]] = None


TRACING = _Tracing()

#: Every op the core defines, by name. Kernel registration is validated against it.
OPS: Dict[str, OpDef] = {}


def defop(name: str, composite: Optional[Callable[..., Any]] = None, doc: str = "",
          differentiable: bool = True) -> OpDef:
    """Declare a core op (called by the ``unidl.ops`` modules at import)."""
    if name in OPS:
        raise PluginError(f"op '{name}' is defined twice")
    op = OPS[name] = OpDef(name, composite, doc, differentiable)
    return op


class KernelRegistry:
    """Kernels by (op, device type); what ``unidl_register_kernels`` receives."""

    def __init__(self, plugin: str = "") -> None:
        self.plugin = plugin
        self.entries: Dict[Tuple[str, str], List[KernelEntry]] = {}

    def add(self, op: str, device: str, fn: Callable[..., Any], *, priority: int = 0,
            dtypes: Optional[Iterable[Any]] = None, version: int = 1) -> None:
        """Register ``fn`` as the forward kernel of ``op`` on device type ``device``.

        Args:
            op: a core op name (see ``unidl.kernels.OPS``); an unknown name is an error.
            device: a device type name, e.g. "cpu".
            fn: ``fn(*arrays, **attrs) -> array``, computing on the device's raw arrays.
            priority: higher wins; equal priority from two plugins for one key is a conflict.
            dtypes: if given, the kernel is used only when the first array input has one of these.
            version: the kernel's interface version (1 today).
        """
        _ensure_ops_defined()
        if op not in OPS:
            raise PluginError(f"plugin '{self.plugin}' registered a kernel for unknown op '{op}'")
        if not callable(fn):
            raise PluginError(f"plugin '{self.plugin}': kernel for '{op}' on '{device}' is not callable")
        dts = frozenset(np.dtype(d) for d in dtypes) if dtypes is not None else None
        entry = KernelEntry(op, device, fn, int(priority), dts, self.plugin, version)
        self.entries.setdefault((op, device), []).append(entry)

    def update(self, other: "KernelRegistry") -> None:
        """Commit a staging registry into this one, refusing equal-priority conflicts."""
        for key, new in other.entries.items():
            have = self.entries.get(key, [])
            for e in new:
                for h in have:
                    if h.priority == e.priority and h.plugin != e.plugin and h.dtypes == e.dtypes:
                        raise PluginError(
                            f"kernel conflict for op '{key[0]}' on '{key[1]}': plugins '{h.plugin}' and "
                            f"'{e.plugin}' both register priority {e.priority}; give one a higher priority"
                        )
        for key, new in other.entries.items():
            self.entries.setdefault(key, []).extend(new)
            self.entries[key].sort(key=lambda e: -e.priority)
            op = OPS.get(key[0])
            if op is not None:
                op.table.clear()

    def remove_plugin(self, plugin: str) -> None:
        for key in list(self.entries):
            self.entries[key] = [e for e in self.entries[key] if e.plugin != plugin]
            if not self.entries[key]:
                del self.entries[key]
        invalidate()

    def candidates(self, op: str, device: str) -> List[KernelEntry]:
        return self.entries.get((op, device), [])

    def count_by_plugin(self) -> Dict[str, int]:
        counts: Dict[str, int] = {}
        for entries in self.entries.values():
            for e in entries:
                counts[e.plugin] = counts.get(e.plugin, 0) + 1
        return counts


KERNELS = KernelRegistry()


def invalidate() -> None:
    """Drop every resolved-kernel cache (after plugins change)."""
    for op in OPS.values():
        op.table.clear()


class KernelNamespace:
    """``K.<op>(*arrays, **attrs)``: the resolved kernels of one device type, for composites."""

    def __init__(self, device_type: str) -> None:
        self._device_type = device_type

    def __getattr__(self, name: str) -> Callable[..., Any]:
        op = OPS.get(name)
        if op is None:
            raise AttributeError(f"no core op named '{name}'")
        return op.kernel(self._device_type)


_namespaces: Dict[str, KernelNamespace] = {}


def namespace(device_type: str) -> KernelNamespace:
    ns = _namespaces.get(device_type)
    if ns is None:
        ns = _namespaces[device_type] = KernelNamespace(device_type)
    return ns


def _chain(first: Callable[..., Any], rest: Callable[..., Any]) -> Callable[..., Any]:
    def chained(*args: Any, **kw: Any) -> Any:
        try:
            return first(*args, **kw)
        except Decline:
            return rest(*args, **kw)

    return chained


#: the plugins shipped with unidl (filled by ``unidl.plugins``): their kernels are the references and run
#: unchecked; every other plugin's kernel results are checked (``_checked``)
BUILTIN_PLUGINS: set = set()


def check_kernels_enabled() -> bool:
    """Whether third-party kernel results are also checked against the reference kernel's shapes and dtypes
    (``UNIDL_CHECK_KERNELS=1``; ``unidl conform`` turns it on). The cheap check (an array, not a list or a
    number, comes back) always runs."""
    import os

    return os.environ.get("UNIDL_CHECK_KERNELS", "").strip().lower() in ("1", "true", "yes", "on")


def reference_kernel(op: str) -> Optional[Callable[..., Any]]:
    """The NumPy reference kernel for ``op`` (``unidl.xpkernels.numpy_kernels``, what the cpu plugin registers;
    every plugin is checked against it), if any."""
    from .xpkernels import numpy_kernels

    return numpy_kernels().get(op)


def _is_array(x: Any) -> bool:
    return hasattr(x, "shape") and hasattr(x, "dtype") and not isinstance(x, (list, tuple))


def _result_part(x: Any) -> bool:
    """An entry of a multi-output kernel's tuple: an array, None, or a tuple of those (lstm_sequence's)."""
    return x is None or _is_array(x) or (isinstance(x, tuple) and all(_result_part(v) for v in x))


def _describe_result(x: Any) -> str:
    if _is_array(x):
        return f"an array of shape {tuple(x.shape)} and dtype {x.dtype}"
    if isinstance(x, tuple):
        return "(" + ", ".join(_describe_result(v) for v in x) + ")"
    return f"a {type(x).__name__}"


def _same_form(got: Any, want: Any) -> bool:
    if isinstance(want, tuple):
        return isinstance(got, tuple) and len(got) == len(want) and all(_same_form(g, w) for g, w in zip(got, want))
    if want is None:
        return got is None
    return _is_array(got) and tuple(got.shape) == tuple(want.shape) and np.dtype(got.dtype) == np.dtype(want.dtype)


def _checked(entry: KernelEntry, fn: Callable[..., Any]) -> Callable[..., Any]:
    """A third-party kernel whose results are checked: always that they are arrays (or tuples of arrays, None
    and such tuples), and with ``check_kernels_enabled()`` that their shapes and dtypes are the reference kernel's."""
    op, plugin, device = entry.op, entry.plugin, entry.device
    full = check_kernels_enabled()

    def checked(*args: Any, **kw: Any) -> Any:
        out = fn(*args, **kw)
        ok = _is_array(out) or (isinstance(out, tuple) and all(_result_part(o) for o in out))
        if ok and full:
            ref = reference_kernel(op)
            if ref is not None:
                want = ref(*_to_host_args(device, args), **kw)
                ok = _same_form(out, want)
                if not ok:
                    raise KernelResultError(plugin, op, device, f"returned {_describe_result(out)}, but the reference "
                                            f"kernel returns {_describe_result(want)} for these inputs")
        if not ok:
            raise KernelResultError(plugin, op, device, f"returned {_describe_result(out)}; a kernel returns an "
                                    "array of its device (or a tuple of them)")
        return out

    checked.__wrapped__ = fn  # type: ignore[attr-defined]
    return checked


def _to_host_args(device: str, args: Sequence[Any]) -> List[Any]:
    if device == "cpu":
        return list(args)
    from .devices import DEVICES

    kind = DEVICES.types.get(device)
    if kind is None:
        return list(args)
    return [kind.to_host(a) if isinstance(a, kind.xp.ndarray) else a for a in args]


def check_signature(entry: KernelEntry) -> None:
    """Refuse a kernel that cannot take the arguments unidl passes for its op: the reference kernel's inputs
    positionally and its attributes by keyword (``PluginError`` naming the plugin, op and signature)."""
    import inspect

    ref = reference_kernel(entry.op)
    if ref is None or entry.plugin in BUILTIN_PLUGINS:
        return
    try:
        got = inspect.signature(entry.fn)
        want = None if isinstance(ref, np.ufunc) else inspect.signature(ref)
    except (TypeError, ValueError):
        return   # a builtin or C function without a signature: nothing to compare
    pos, kw = [], {}
    if want is None:   # a NumPy ufunc as the reference: its inputs, and no attributes
        pos = [None] * ref.nin
        want = f"({', '.join(f'x{i + 1}' for i in range(ref.nin))})"
    for p in (() if isinstance(want, str) else want.parameters.values()):
        if p.kind is p.VAR_POSITIONAL:
            pos += [None, None]
        elif p.kind is p.POSITIONAL_ONLY:
            pos.append(None)
        elif p.kind is p.KEYWORD_ONLY or (p.kind is p.POSITIONAL_OR_KEYWORD and p.default is not p.empty):
            kw[p.name] = None   # an attribute: unidl passes it by keyword
        elif p.kind is p.POSITIONAL_OR_KEYWORD:
            pos.append(None)
    try:
        got.bind(*pos, **kw)
    except TypeError as e:
        raise PluginError(f"plugin '{entry.plugin}': the kernel for op '{entry.op}' on '{entry.device}' has the "
                          f"signature {got}, which cannot take the op's arguments {want} ({e})") from None


def _dtype_gate(entry: KernelEntry, rest: Callable[..., Any]) -> Callable[..., Any]:
    fn, ok = entry.fn, entry.dtypes

    def gated(*args: Any, **kw: Any) -> Any:
        dt = getattr(args[0], "dtype", None) if args else None
        if dt in ok:
            return fn(*args, **kw)
        return rest(*args, **kw)

    return gated


def _host_fallback(op: OpDef, device_type: str) -> Optional[Callable[..., Any]]:
    from .devices import DEVICES

    if device_type == "cpu" or "cpu" not in DEVICES.types or device_type not in DEVICES.types:
        return None
    kind = DEVICES.types[device_type]
    if not KERNELS.candidates(op.name, "cpu") and op.composite is None:
        return None
    cpu_fn = op.kernel("cpu")
    xp = kind.xp

    def convert(v: Any, f: Callable[[Any], Any]) -> Any:
        if isinstance(v, (list, tuple)):
            return type(v)(convert(x, f) for x in v)
        return f(v)

    def via_host(*args: Any, **kw: Any) -> Any:
        to_host = lambda v: kind.to_host(v) if isinstance(v, xp.ndarray) else v  # noqa: E731
        out = cpu_fn(*convert(args, to_host), **kw)
        return convert(out, lambda v: kind.from_host(v, 0) if isinstance(v, np.ndarray) else v)

    return via_host


def resolve(op: OpDef, device_type: str) -> Callable[..., Any]:
    """Build the callable for ``op`` on ``device_type`` following the order in the module doc."""
    from .plugins import ensure_loaded

    ensure_loaded()
    fallback: Optional[Callable[..., Any]] = None
    if op.composite is not None:
        comp, ns = op.composite, namespace(device_type)
        fallback = lambda *a, **k: comp(ns, *a, **k)  # noqa: E731
    else:
        fallback = _host_fallback(op, device_type)
    if fallback is None:
        consulted = sorted({e.plugin for es in KERNELS.entries.values() for e in es})

        def missing(*args: Any, **kw: Any) -> Any:
            raise KernelNotFoundError(op.name, device_type,
                                      [getattr(a, "dtype", type(a).__name__) for a in args], consulted)

        fallback = missing
    fn = fallback
    cands = KERNELS.candidates(op.name, device_type)
    for i, entry in enumerate(reversed(cands)):
        if entry.plugin not in BUILTIN_PLUGINS:
            entry = KernelEntry(entry.op, entry.device, _checked(entry, entry.fn), entry.priority, entry.dtypes,
                                entry.plugin, entry.version)
        if entry.dtypes is not None:
            fn = _dtype_gate(entry, fn)
        elif i == 0:
            fn = entry.fn  # the lowest kernel: nothing registered below it to decline to
        else:
            fn = _chain(entry.fn, fn)
    return fn


def describe(op_name: str, device_type: str) -> str:
    """Which path an op takes on a device type: 'kernel:<plugin>', 'composite', 'host', 'missing'."""
    from .plugins import ensure_loaded

    ensure_loaded()
    cands = KERNELS.candidates(op_name, device_type)
    if cands:
        return f"kernel:{cands[0].plugin}"
    op = OPS[op_name]
    if op.composite is not None:
        return "composite"
    return "host" if _host_fallback(op, device_type) is not None else "missing"


def _ensure_ops_defined() -> None:
    from . import ops  # noqa: F401  (defining modules fill OPS at import)
