"""MXNet 1.9's ``mx.np`` dtype rules (checked against MXNet 1.9.1, tests/mxnet/data/np_make_fixtures.py).

Where they differ from NumPy's:
- an array and a Python/NumPy scalar give the array's dtype, the scalar cast to it first
  (``int32_array * 2.5`` is ``int32_array * 2``); a bool array with a scalar gives int64;
- two arrays: bool with anything gives the other; an integer with a float gives the float type
  (``int32 + float32`` is float32); otherwise NumPy's promotion;
- true division of integers gives float32;
- unary math (``exp``, ``sqrt``, ...) of an integer array keeps its dtype;
- ``sum``/``prod``/``cumsum``/``max`` keep the dtype (bool sums to int64), ``mean`` of integers is float32,
  ``argmax``/``argmin``/``argsort`` give int64.
"""
from __future__ import annotations

from typing import Any

import numpy as _onp

FLOAT32 = _onp.dtype(_onp.float32)
INT64 = _onp.dtype(_onp.int64)
BOOL = _onp.dtype(_onp.bool_)


def is_float(dt: _onp.dtype) -> bool:
    return dt.kind == "f"


def promote(a: _onp.dtype, b: _onp.dtype) -> _onp.dtype:
    """The result dtype of a binary op on two arrays of dtypes ``a`` and ``b``."""
    if a == b:
        return a
    if a == BOOL:
        return b
    if b == BOOL:
        return a
    if is_float(a) != is_float(b):
        return a if is_float(a) else b
    return _onp.promote_types(a, b)


def with_scalar(dt: _onp.dtype) -> _onp.dtype:
    """The result dtype of a binary op on an array of dtype ``dt`` and a scalar."""
    return INT64 if dt == BOOL else dt


def true_divide(dt: _onp.dtype) -> _onp.dtype:
    """The result dtype of true division at operand dtype ``dt``."""
    return dt if is_float(dt) else FLOAT32


def as_dtype(dtype: Any) -> _onp.dtype:
    """A dtype argument (``'float32'``, ``np.float32``, ``int``, ``None`` -> float32) as a ``numpy.dtype``."""
    return FLOAT32 if dtype is None else _onp.dtype(dtype)


__all__ = ["promote", "with_scalar", "true_divide", "as_dtype", "FLOAT32", "INT64", "BOOL", "is_float"]
