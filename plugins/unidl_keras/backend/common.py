"""Conversions and naming shared by the whole frontend."""
from __future__ import annotations

import collections
import re
from typing import Any

import numpy as np

import unidl
from unidl.tensor import Tensor

from . import config

_UIDS: "collections.defaultdict[str, int]" = collections.defaultdict(int)


standardize_dtype = config.standardize_dtype  # Keras keeps it in keras.src.backend.common too


def is_float_dtype(dtype: Any) -> bool:
    """Whether ``dtype`` is a floating dtype (``float16/32/64``, ``bfloat16``)."""
    name = dtype if isinstance(dtype, str) else config.standardize_dtype(dtype)
    return name.startswith("float") or name.startswith("bfloat")


def is_int_dtype(dtype: Any) -> bool:
    """Whether ``dtype`` is a signed or unsigned integer dtype."""
    name = dtype if isinstance(dtype, str) else config.standardize_dtype(dtype)
    return name.startswith("int") or name.startswith("uint")


def __getattr__(name: str) -> Any:
    # Keras keeps KerasTensor and the dtype lists in keras.src.backend.common.{keras_tensor,dtypes};
    # here they are sibling modules
    if name in ("keras_tensor", "dtypes", "symbolic_scope"):
        import importlib

        return importlib.import_module(f"{__package__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def get_uid(prefix: str = "") -> int:
    """1, 2, 3, ... per prefix (Keras auto-names: ``dense``, ``dense_1``, ...: see :func:`unique_name`)."""
    _UIDS[prefix] += 1
    return _UIDS[prefix]


def unique_name(prefix: str) -> str:
    """``prefix`` the first time, then ``prefix_1``, ``prefix_2``, ... (Keras 3's auto naming)."""
    n = get_uid(prefix)
    return prefix if n == 1 else f"{prefix}_{n - 1}"


def clear_session() -> None:
    """Reset auto-naming and the global settings Keras keeps in its session state (flash attention)."""
    _UIDS.clear()
    config._FLASH_ATTENTION = None


def snake_case(name: str) -> str:
    """``'BatchNormalization'`` -> ``'batch_normalization'``, ``'Conv2D'`` -> ``'conv2d'``."""
    s = re.sub(r"\W+", "", name)
    s = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", s)
    s = re.sub(r"([a-z])([A-Z])", r"\1_\2", s)
    return s.lower()


def convert_to_tensor(x: Any, dtype: Any = None) -> Tensor:
    """``x`` (Tensor, Variable, NumPy array, list, scalar) as a unidl Tensor; Python floats take floatx."""
    if isinstance(x, Tensor):
        if dtype is not None and x.dtype != np.dtype(config.standardize_dtype(dtype)):
            return unidl.ops.astype(x, config.standardize_dtype(dtype))
        return x
    if dtype is None:
        a = np.asarray(x)
        if a.dtype == np.float64 and not isinstance(x, np.ndarray):
            a = a.astype(config.floatx())
        elif a.dtype.kind in "US" or a.dtype == object:
            raise TypeError(f"cannot convert {type(x).__name__} of dtype {a.dtype} to a tensor")
        return unidl.tensor(a)
    return unidl.tensor(np.asarray(x), dtype=config.standardize_dtype(dtype))


def convert_to_numpy(x: Any) -> np.ndarray:
    """``x`` as a NumPy array (tensors are copied to the host)."""
    if isinstance(x, Tensor):
        return x.numpy()
    return np.asarray(x)


def is_tensor(x: Any) -> bool:
    return isinstance(x, Tensor)
