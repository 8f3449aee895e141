"""The shared kernels, written once against the array API NumPy and CuPy both serve.

Each family module exposes ``kernels(xp) -> {op name: function}``. The ``cpu`` plugin registers them built with
NumPy (they are the reference every other plugin is checked against); the ``cuda`` plugin builds them with
CuPy and overrides some. The core itself never registers them: only plugins do.
"""
from __future__ import annotations

import functools
from typing import Any, Callable, Dict

import numpy as np

from . import conv, elementwise, elementwise_extra, index, linalg, nn, norm, optim, pool, quant, random, reduce, rnn, shape

FAMILIES = (elementwise, elementwise_extra, reduce, shape, index, linalg, nn, conv, pool, norm, random, rnn, optim, quant)

from . import special, spectral  # noqa: E402  (erfinv/slogdet/inv; FFTs)
FAMILIES += (special, spectral)


def all_kernels(xp: Any) -> Dict[str, Callable[..., Any]]:
    """Every kernel of every family, built for the array module ``xp``."""
    out: Dict[str, Callable[..., Any]] = {}
    for fam in FAMILIES:
        for name, fn in fam.kernels(xp).items():
            if name in out:
                raise ValueError(f"kernel '{name}' defined by two families")
            out[name] = fn
    return out


@functools.lru_cache(maxsize=None)
def numpy_kernels() -> Dict[str, Callable[..., Any]]:
    """The reference: every kernel built with NumPy, once (the ``cpu`` plugin registers these very functions;
    conformance compares against them even where the plugin was told to register fewer)."""
    return all_kernels(np)
