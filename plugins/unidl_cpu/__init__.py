"""unidl_cpu: the NumPy kernel plugin, the reference every other kernel plugin is checked against.

It registers the ``cpu`` device type and a forward kernel for every core op. The kernels are the core's
shared array-module-generic ones, ``unidl.xpkernels.<family>`` (``kernels(xp) -> {op name: function}``),
built here with NumPy; the CUDA plugin builds the same functions with CuPy.
"""
from __future__ import annotations

import os

import numpy as np

import unidl
from unidl.primitives import PRIMITIVES

from .allocator import tune_malloc
from unidl.xpkernels import numpy_kernels


@unidl.hookimpl
def unidl_register_devices(registry):
    registry.add(
        "cpu", xp=np,
        is_available=lambda: True,
        device_count=lambda: 1,
        to_host=lambda a: a,
        from_host=lambda a, index=0: a,
        synchronize=lambda index=0: None,
        capabilities={"float64": True, "float16": True},
    )


@unidl.hookimpl
def unidl_register_kernels(registry):
    tune_malloc()
    # UNIDL_CPU_KERNELS=primitives registers the primitive tier alone: every other op then runs through its
    # composite in the core, which is how the suite proves the composites stand in for the fused kernels
    only_primitives = os.environ.get("UNIDL_CPU_KERNELS", "").strip().lower() == "primitives"
    for name, fn in numpy_kernels().items():
        if not only_primitives or name in PRIMITIVES:
            registry.add(name, "cpu", fn)
