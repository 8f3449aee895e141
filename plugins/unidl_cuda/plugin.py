"""The cuda plugin as an object: probe once, register the device, register kernels when available.

``unidl_cuda``'s module-level hooks delegate to one :class:`CudaPlugin` made with the real CuPy; tests
make another with a NumPy-backed stand-in (``CudaPlugin(cp=fake)``) and register it by hand.
"""
from __future__ import annotations

from typing import Any, Dict, Optional

import unidl

from .device import device_kwargs, probe
from .kernels import all_kernels
from .kernels.checks import DeferredChecks


class CudaPlugin:
    """Registers device type ``cuda`` (available or not, with the reason) and its kernels.

    Args:
        cp: the array module to use instead of importing CuPy (tests).
    """

    def __init__(self, cp: Optional[Any] = None) -> None:
        self._given = cp
        self._probed = False
        self.cp: Optional[Any] = None
        self.reason = ""
        self.count = 0
        self.checks: Optional[DeferredChecks] = None

    def _probe(self) -> None:
        if not self._probed:
            self.cp, self.reason, self.count = probe(self._given)
            self.checks = DeferredChecks(self.cp) if not self.reason else None
            self._probed = True

    @property
    def available(self) -> bool:
        self._probe()
        return not self.reason

    def kernels(self) -> Dict[str, Any]:
        """The kernel table (op name -> function) on this plugin's array module."""
        self._probe()
        return all_kernels(self.cp, self.checks)

    @unidl.hookimpl
    def unidl_register_devices(self, registry: Any) -> None:
        self._probe()
        registry.add("cuda", **device_kwargs(self.cp, self.reason, self.count, self.checks))

    @unidl.hookimpl
    def unidl_register_kernels(self, registry: Any) -> None:
        if not self.available:
            return
        for name, fn in self.kernels().items():
            registry.add(name, "cuda", fn)
