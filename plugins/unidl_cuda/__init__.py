"""unidl_cuda: the CuPy kernel plugin (device type ``cuda``).

Where CuPy imports and ``cupy.cuda.runtime.getDeviceCount() > 0`` it registers the ``cuda`` device
and a kernel for every op the cpu plugin provides: the cpu plugin's array-module-generic kernels
built with ``xp=cupy``, sync-free replacements (``kernels/generic.py``), fused CuPy kernels
(``kernels/fused.py``) and the device Philox generator (``rng.py``). Elsewhere it still loads and
registers ``cuda`` as unavailable, with the reason (``unidl plugins`` shows it). Hookimpls only.
"""
from __future__ import annotations

import unidl

from .plugin import CudaPlugin

_PLUGIN = CudaPlugin()


@unidl.hookimpl
def unidl_register_devices(registry):
    _PLUGIN.unidl_register_devices(registry)


@unidl.hookimpl
def unidl_register_kernels(registry):
    _PLUGIN.unidl_register_kernels(registry)
