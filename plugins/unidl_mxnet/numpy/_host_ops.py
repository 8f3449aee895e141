"""``mx.np`` functions whose output shape depends on the values (``nonzero``, ``unique``, ``argwhere``,
``flatnonzero``) and the text reader ``genfromtxt``.

They index or count, never carry gradients (as in MXNet), so they are computed on a host copy; the
results come back as ``mx.np.ndarray`` on the input's device.
"""
from __future__ import annotations

from typing import Any, Optional

import numpy as _onp

from unidl.tensor import Tensor

from ..context import Context, current_context
from .multiarray import _wrap

__all__ = ["nonzero", "flatnonzero", "argwhere", "unique", "genfromtxt"]


def _host(a: Any, op: str) -> tuple:
    from ._op import _tensor

    t = _tensor(a, op)
    return t.numpy(), t.device


def _back(host: _onp.ndarray, device: Any) -> Any:
    return _wrap(Tensor._from_any(_onp.ascontiguousarray(host), device))


def nonzero(a: Any) -> tuple:
    """Indices of the non-zero elements: a tuple of ``a.ndim`` int64 arrays."""
    host, dev = _host(a, "nonzero")
    return tuple(_back(i.astype(_onp.int64), dev) for i in _onp.nonzero(host))


def flatnonzero(a: Any) -> Any:
    """Indices of the non-zero elements of the flattened array (int64)."""
    host, dev = _host(a, "flatnonzero")
    return _back(_onp.flatnonzero(host).astype(_onp.int64), dev)


def argwhere(a: Any) -> Any:
    """(K, ndim) int64 indices of the non-zero elements."""
    host, dev = _host(a, "argwhere")
    return _back(_onp.argwhere(host).astype(_onp.int64), dev)


def unique(ar: Any, return_index: bool = False, return_inverse: bool = False, return_counts: bool = False,
           axis: Optional[int] = None) -> Any:
    """Sorted unique elements (of the flattened array, or unique slices along ``axis``); optionally the
    first index of each, the inverse map and the counts (int64)."""
    host, dev = _host(ar, "unique")
    res = _onp.unique(host, return_index, return_inverse, return_counts, axis)
    if not isinstance(res, tuple):
        return _back(res, dev)
    first, *extra = res
    return (_back(first, dev), *[_back(e.astype(_onp.int64).reshape(-1), dev) for e in extra])


def genfromtxt(*args: Any, ctx: Optional[Context] = None, **kwargs: Any) -> Any:
    """NumPy's ``genfromtxt`` (reads a text table) into an ``mx.np.ndarray`` on ``ctx``, keeping its dtype."""
    host = _onp.genfromtxt(*args, **kwargs)
    return _back(_onp.asarray(host), (ctx or current_context()).unidl_device)
