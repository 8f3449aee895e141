"""Contexts: ``mx.cpu()``, ``mx.gpu(i)``, ``mx.current_context()`` mapped onto unidl devices.

``gpu`` maps to the ``cuda`` device type of the CuPy plugin; asking for it where no such device is
registered raises MXNetError when an array is placed there (as MXNet fails at first use).
"""
from __future__ import annotations

import threading
from typing import Any, List

import unidl
from unidl.devices import DEVICES, Device

from .base import MXNetError

_UNIDL_TYPE = {"cpu": "cpu", "gpu": "cuda", "cpu_pinned": "cpu", "cpu_shared": "cpu"}
_DEVTYPE_ID = {"cpu": 1, "gpu": 2, "cpu_pinned": 3, "cpu_shared": 5}


def _plugin_device_type(name: Any) -> bool:
    """Whether ``name`` is a device type a plugin registered beyond MXNet's cpu/gpu (``Context('example')``)."""
    from unidl.plugins import ensure_loaded

    if not isinstance(name, str) or name in ("cpu", "cuda"):
        return False
    ensure_loaded()
    return name in DEVICES.types


class Context:
    """A device context as MXNet names it: ``Context('gpu', 1)`` prints as ``gpu(1)``.

    Usable as ``with mx.gpu(0):`` to make it the default context of array creation.
    """

    _local = threading.local()

    def __init__(self, device_type: Any, device_id: int = 0):
        if isinstance(device_type, Context):
            device_type, device_id = device_type.device_type, device_type.device_id
        if device_type not in _DEVTYPE_ID and not _plugin_device_type(device_type):
            raise MXNetError(f"unknown device type '{device_type}'; expected one of {sorted(_DEVTYPE_ID)}")
        self.device_type = device_type
        self.device_id = int(device_id)
        self._old: List["Context"] = []

    @property
    def device_typeid(self) -> int:
        return _DEVTYPE_ID.get(self.device_type, 16)  # a plugin's device type: no MXNet id, one above its own

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, Context) and (self.device_type, self.device_id) == (other.device_type,
                                                                                     other.device_id)

    def __hash__(self) -> int:
        return hash((self.device_type, self.device_id))

    def __repr__(self) -> str:
        return f"{self.device_type}({self.device_id})"

    __str__ = __repr__

    def __enter__(self) -> "Context":
        self._old.append(current_context())
        Context._local.value = self
        return self

    def __exit__(self, *exc: Any) -> None:
        Context._local.value = self._old.pop()

    def empty_cache(self) -> None:
        """Release cached device memory (a no-op on cpu)."""

    @property
    def unidl_device(self) -> Device:
        """The unidl device this context stands for (raises MXNetError where there is none)."""
        try:
            # MXNet's cpu(i) are all the one host CPU (scripts use mx.cpu(i) to mimic several devices)
            kind = _UNIDL_TYPE.get(self.device_type, self.device_type)
            return unidl.device(kind, 0 if kind == "cpu" else self.device_id)
        except unidl.UnidlError as e:
            raise MXNetError(f"context {self} is not available: {e}") from None


def cpu(device_id: int = 0) -> Context:
    """The CPU context (the id is kept for printing; there is one CPU)."""
    return Context("cpu", device_id)


def cpu_pinned(device_id: int = 0) -> Context:
    return Context("cpu_pinned", device_id)


def gpu(device_id: int = 0) -> Context:
    """The context of GPU ``device_id`` (unidl's ``cuda`` device)."""
    return Context("gpu", device_id)


def num_gpus() -> int:
    """How many GPUs unidl can use (0 without the CuPy plugin or a device)."""
    unidl.device("cpu")  # loads plugins
    kind = DEVICES.types.get("cuda")
    if kind is None or not kind.is_available():
        return 0
    return int(kind.device_count())


def gpu_memory_info(device_id: int = 0) -> tuple:
    """``(free, total)`` bytes of GPU ``device_id``; MXNetError when unidl has no such GPU."""
    n = num_gpus()
    if not 0 <= int(device_id) < n:
        raise MXNetError(f"gpu_memory_info({device_id}): no such GPU; unidl can use {n} GPU(s) "
                         "(GPUs need the unidl_cuda plugin with CuPy and a CUDA device)")
    import cupy  # present whenever unidl_cuda found a device

    with cupy.cuda.Device(int(device_id)):
        free, total = cupy.cuda.runtime.memGetInfo()
    return int(free), int(total)


def current_context() -> Context:
    """The default context of array creation (``cpu(0)`` unless inside ``with ctx:``)."""
    return getattr(Context._local, "value", None) or Context("cpu", 0)


def context_of(device: Device) -> Context:
    """The MXNet context naming a unidl device (a plugin's device type keeps its own name: ``example(0)``)."""
    if device.type not in ("cpu", "cuda"):
        return Context(device.type, device.index)
    return Context("gpu" if device.type == "cuda" else "cpu", device.index if device.type == "cuda" else 0)
