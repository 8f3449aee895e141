"""The cuda kernel table: the cpu plugin's generic kernels on ``xp``, with overrides.

Layers, last wins: (1) every ``unidl.xpkernels`` family built with ``xp`` (index checks on the
device, Philox from :mod:`unidl_cuda.rng`); (2) :mod:`.generic` sync-free replacements; (3) with real
CuPy only, :mod:`.fused` kernels, which fall back to (1)/(2) for cases they do not cover.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, Optional

from unidl.xpkernels import FAMILIES, index as cpu_index, random as cpu_random

from .. import rng
from . import generic
from .checks import DeferredChecks


def is_cupy(xp: Any) -> bool:
    return getattr(xp, "__name__", "") == "cupy"


def all_kernels(xp: Any, checks: Optional[DeferredChecks] = None) -> Dict[str, Callable[..., Any]]:
    """Every cuda kernel built for array module ``xp`` (CuPy, or a NumPy stand-in in tests)."""
    checks = checks if checks is not None else DeferredChecks(xp)
    if is_cupy(xp):
        philox = rng.device_philox(xp)
    else:
        def philox(key, counter, nblocks):
            return rng.philox_numpy(key, counter, nblocks, xp)
    out: Dict[str, Callable[..., Any]] = {}
    for fam in FAMILIES:
        if fam is cpu_index:
            ks = fam.kernels(xp, bounds_check=checks.bounds_check)
        elif fam is cpu_random:
            ks = fam.kernels(xp, philox_blocks=philox)
        else:
            ks = fam.kernels(xp)
        out.update(ks)
    out.update(generic.kernels(xp, checks))
    if is_cupy(xp):
        from . import fused

        out.update(fused.kernels(xp, dict(out), philox))
    return out
