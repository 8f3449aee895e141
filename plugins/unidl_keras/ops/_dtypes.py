"""Keras 3's dtype rules for ``keras.ops``: argument conversion and result-type promotion.

The core follows NumPy (``int32 + float32 -> float64``); Keras does not. Keras promotes on a lattice
where any float operand decides the result (``int64 + float32 -> float32``) and Python scalars are
*weak*: they take the dtype of the tensor they meet (``int32 tensor + 2 -> int32``) unless their kind
is higher (``int32 tensor + 0.5 -> floatx``). NumPy scalars count as Python scalars, as in Keras.
"""
from __future__ import annotations

from typing import Any, Iterable, Optional

import numpy as np

import unidl
from unidl.tensor import Tensor

from ..backend import config

_WEAK = (bool, int, float, np.bool_, np.integer, np.floating)
_KIND_RANK = {"b": 0, "u": 1, "i": 1, "f": 2}


def is_weak(x: Any) -> bool:
    """True for Python and NumPy scalars (they adapt to the tensor they meet)."""
    return isinstance(x, _WEAK) and not isinstance(x, np.ndarray)


def _weak_kind(x: Any) -> str:
    if isinstance(x, (bool, np.bool_)):
        return "b"
    if isinstance(x, (int, np.integer)):
        return "i"
    return "f"


def _promote_strong(dts: Iterable[np.dtype]) -> Optional[np.dtype]:
    dts = list(dict.fromkeys(np.dtype(d) for d in dts))
    if not dts:
        return None
    if len(dts) == 1:
        return dts[0]
    floats = [d for d in dts if d.kind == "f"]
    if floats:
        out = floats[0]
        for d in floats[1:]:
            if d != out:
                out = np.promote_types(out, d)
                if out == np.float16:  # float16 with bfloat16-like mixes
                    out = np.dtype("float32")
        return out
    out = dts[0]
    for d in dts[1:]:
        out = np.promote_types(out, d)
    if out.kind == "f":  # uint64 with a signed int: NumPy says float64; keep an integer
        out = np.dtype("int64")
    return out


def result_type(*args: Any) -> np.dtype:
    """The Keras result dtype of combining ``args`` (tensors, arrays, dtypes or Python scalars).

    Examples: (int32 Tensor, float32 Tensor) -> float32; (int32 Tensor, 2) -> int32;
    (int32 Tensor, 0.5) -> floatx; (True, 2) -> int32; (1.0, 2) -> floatx.
    """
    strong, weak_kinds = [], []
    for a in args:
        if a is None:
            continue
        if isinstance(a, (Tensor, np.ndarray)) or hasattr(a, "dtype") and not is_weak(a):
            strong.append(np.dtype(a.dtype) if not isinstance(a.dtype, str) else np.dtype(a.dtype))
        elif isinstance(a, (str, np.dtype, type)):
            strong.append(np.dtype(config.standardize_dtype(a)))
        elif is_weak(a):
            weak_kinds.append(_weak_kind(a))
        else:
            strong.append(np.asarray(a).dtype)
    out = _promote_strong(strong)
    top_weak = max(weak_kinds, key=_KIND_RANK.__getitem__, default=None)
    if out is None:
        if top_weak == "b":
            return np.dtype("bool")
        if top_weak == "i":
            return np.dtype("int32")
        return np.dtype(config.floatx())
    if top_weak is not None and _KIND_RANK[top_weak] > _KIND_RANK[out.kind]:
        return np.dtype("int32") if top_weak == "i" else np.dtype(config.floatx())
    return out


def to_tensor(x: Any, dtype: Any = None) -> Tensor:
    """``x`` as a unidl Tensor with Keras's defaults (Python ints -> int32, floats -> floatx).

    Tensors (and keras Variables) are returned as they are (cast when ``dtype`` differs); NumPy
    arrays keep their dtype.
    """
    if isinstance(x, Tensor):
        if dtype is not None:
            dt = np.dtype(config.standardize_dtype(dtype))
            if x.dtype != dt:
                return unidl.ops.astype(x, dt)
        return x
    if dtype is not None:
        return unidl.tensor(np.asarray(x), dtype=config.standardize_dtype(dtype))
    if isinstance(x, np.ndarray) and not (x.ndim == 0 and x.dtype.kind in "fi"):
        if x.dtype.kind in "USO":
            raise TypeError(f"Cannot convert a NumPy array of dtype {x.dtype} to a tensor")
        return unidl.tensor(x)
    a = np.asarray(x)
    if a.dtype.kind in "USO":
        raise TypeError(f"Cannot convert {type(x).__name__} {x!r:.60} to a tensor")
    if a.dtype.kind == "f":
        a = a.astype(config.floatx())
    elif a.dtype.kind == "i":
        a = a.astype("int32") if a.size == 0 or (a.min() >= -2**31 and a.max() < 2**31) else a.astype("int64")
    return unidl.tensor(a)


def cast_to(x: Tensor, dtype: Any) -> Tensor:
    """``x`` with dtype ``dtype`` (itself when it already has it)."""
    dt = np.dtype(dtype)
    return x if x.dtype == dt else unidl.ops.astype(x, dt)


def operands(*args: Any, dtype: Any = None) -> list:
    """``args`` converted for a binary/n-ary elementwise op: tensors cast to the common Keras result
    type (or ``dtype``); Python scalars stay scalars (the core keeps them weak) unless they would
    change the result kind, in which case they become 0-d tensors of the result type."""
    dt = np.dtype(dtype) if dtype is not None else result_type(*args)
    out = []
    for a in args:
        if is_weak(a):
            out.append(dt.type(a) if dt.kind != "b" else bool(a))
        else:
            out.append(cast_to(to_tensor(a), dt))
    if all(not isinstance(o, Tensor) for o in out):
        out[0] = unidl.tensor(np.asarray(out[0], dtype=dt))
    return out


def float_of(x: Tensor) -> Tensor:
    """``x`` itself when floating, else cast to floatx (Keras's rule for exp, log, mean, ...)."""
    return x if x.dtype.kind == "f" else unidl.ops.astype(x, config.floatx())
