"""Canonical dtypes and the promotion helpers frontends build on.

The core uses NumPy dtype objects as its dtype vocabulary on every device (CuPy shares them).
"""
from __future__ import annotations

from typing import Any

import numpy as np

float16 = np.dtype("float16")
float32 = np.dtype("float32")
float64 = np.dtype("float64")
int8 = np.dtype("int8")
int16 = np.dtype("int16")
int32 = np.dtype("int32")
int64 = np.dtype("int64")
uint8 = np.dtype("uint8")
bool_ = np.dtype("bool")

#: Default dtype of tensors made from Python floats (Keras and MXNet both default to float32).
default_float = float32
#: Default dtype of tensors made from Python ints.
default_int = int64


def as_dtype(dtype: Any) -> np.dtype:
    """Return the canonical ``numpy.dtype`` for ``dtype`` (a name, a NumPy type or a dtype)."""
    try:
        return np.dtype(dtype)
    except TypeError as e:
        raise TypeError(f"unidl: '{dtype!r}' is not a dtype") from e


def is_floating(dtype: Any) -> bool:
    """True for float16/32/64 (the dtypes gradients flow through)."""
    return np.dtype(dtype).kind == "f"


def result_type(*args: Any) -> np.dtype:
    """NumPy's promotion of arrays, dtypes and Python scalars (weak scalars, as NEP 50)."""
    return np.result_type(*args)
