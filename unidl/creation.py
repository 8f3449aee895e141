"""Tensor creation: from data, filled, ranges, and ``*_like``.

Creation is not an op (nothing to differentiate); it calls the device's array module directly.
"""
from __future__ import annotations

from typing import Any, Optional, Sequence, Union

import numpy as np

from .devices import Device, default_device, device as _device
from .dtypes import as_dtype, default_float, default_int
from .tensor import Tensor, wrap

Shape = Union[int, Sequence[int]]

__all__ = ["tensor", "as_tensor", "zeros", "ones", "full", "empty", "arange", "linspace", "eye",
           "zeros_like", "ones_like", "full_like", "empty_like", "from_numpy"]


def _dev(device: Any) -> Device:
    return default_device() if device is None else _device(device)


def _shape(shape: Shape) -> tuple:
    return (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(int(d) for d in shape)


def tensor(data: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False) -> Tensor:
    """A new tensor holding ``data`` (a copy of host data; Python floats become float32)."""
    t = Tensor(data, dtype=dtype, device=device, requires_grad=requires_grad)
    if isinstance(data, np.ndarray) and t.data is data:
        t.data = data.copy()
    return t


def as_tensor(data: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """``data`` as a tensor, sharing memory where it can (a Tensor on the device is returned as is)."""
    if isinstance(data, Tensor) and (device is None or _device(device) is data.device) and (
            dtype is None or as_dtype(dtype) == data.dtype):
        return data
    return Tensor(data, dtype=dtype, device=device)


def from_numpy(a: np.ndarray, device: Any = None) -> Tensor:
    """Wrap a NumPy array (shared on cpu, copied to other devices)."""
    return Tensor(a, device=device)


def _filled(fn: str, shape: Shape, dtype: Any, device: Any, *args: Any) -> Tensor:
    dev = _dev(device)
    dt = as_dtype(dtype) if dtype is not None else default_float
    return wrap(getattr(dev.xp, fn)(_shape(shape), *args, dtype=dt), dev)


def zeros(shape: Shape, dtype: Any = None, device: Any = None) -> Tensor:
    """Zeros of ``shape`` (float32 unless ``dtype``)."""
    return _filled("zeros", shape, dtype, device)


def ones(shape: Shape, dtype: Any = None, device: Any = None) -> Tensor:
    """Ones of ``shape`` (float32 unless ``dtype``)."""
    return _filled("ones", shape, dtype, device)


def empty(shape: Shape, dtype: Any = None, device: Any = None) -> Tensor:
    """Uninitialised tensor of ``shape``."""
    return _filled("empty", shape, dtype, device)


def full(shape: Shape, fill_value: Any, dtype: Any = None, device: Any = None) -> Tensor:
    """``fill_value`` everywhere; dtype from the value when not given (float32 for floats)."""
    dev = _dev(device)
    if dtype is None:
        dt = np.asarray(fill_value).dtype
        dt = default_float if dt.kind == "f" else default_int if dt.kind == "i" and isinstance(fill_value, int) else dt
    else:
        dt = as_dtype(dtype)
    return wrap(dev.xp.full(_shape(shape), fill_value, dtype=dt), dev)


def arange(start: Any, stop: Any = None, step: Any = 1, dtype: Any = None, device: Any = None) -> Tensor:
    """Evenly spaced values in [start, stop) (int64 for ints, float32 for floats)."""
    dev = _dev(device)
    if stop is None:
        start, stop = 0, start
    host = np.arange(start, stop, step)
    if dtype is not None:
        dt = as_dtype(dtype)
    else:
        dt = {"f": default_float, "i": default_int}.get(host.dtype.kind, host.dtype)
    return Tensor(host.astype(dt), device=dev)


def linspace(start: float, stop: float, num: int = 50, endpoint: bool = True, dtype: Any = None,
             device: Any = None) -> Tensor:
    """``num`` evenly spaced values from start to stop."""
    host = np.linspace(start, stop, num, endpoint=endpoint)
    return Tensor(host.astype(as_dtype(dtype) if dtype is not None else default_float), device=device)


def eye(n: int, m: Optional[int] = None, k: int = 0, dtype: Any = None, device: Any = None) -> Tensor:
    """Identity-like 2-D tensor (ones on diagonal ``k``)."""
    dev = _dev(device)
    return wrap(dev.xp.eye(n, m, k, dtype=as_dtype(dtype) if dtype is not None else default_float), dev)


def _like(fn: str, x: Tensor, dtype: Any, *args: Any) -> Tensor:
    dev = x.device
    dt = as_dtype(dtype) if dtype is not None else x.dtype
    a = x.data
    flags = getattr(a, "flags", None)
    if flags is not None and not flags.c_contiguous:
        # keep x's memory order: a parameter kept as a permuted view of canonical memory gets optimizer
        # states laid out the same way (unidl.nn.layouts)
        return wrap(getattr(dev.xp, fn + "_like")(a, *args, dtype=dt), dev)
    return wrap(getattr(dev.xp, fn)(x.shape, *args, dtype=dt), dev)  # np.zeros: lazily zeroed pages


def zeros_like(x: Tensor, dtype: Any = None) -> Tensor:
    """Zeros with ``x``'s shape, dtype and device."""
    return _like("zeros", x, dtype)


def ones_like(x: Tensor, dtype: Any = None) -> Tensor:
    """Ones with ``x``'s shape, dtype and device."""
    return _like("ones", x, dtype)


def empty_like(x: Tensor, dtype: Any = None) -> Tensor:
    return _like("empty", x, dtype)


def full_like(x: Tensor, fill_value: Any, dtype: Any = None) -> Tensor:
    """``fill_value`` with ``x``'s shape, dtype and device."""
    return _like("full", x, dtype, fill_value)
