"""Keras 3's dtype rules for ``keras.ops``: argument conversion and result-type promotion.

The core follows NumPy (``int32 + float32 -> float64``); Keras does not. Keras promotes on a lattice
where any float operand decides the result (``int64 + float32 -> float32``) and Python scalars are
*weak*: they take the dtype of the tensor they meet (``int32 tensor + 2 -> int32``) unless their kind
is higher (``int32 tensor + 0.5 -> floatx``). ``np.float64`` scalars are Python floats; other NumPy
scalars and 0-d arrays count by kind only, as 0-d tensors in Keras's torch backend (``float32 tensor +
np.array(2.0) -> float32``, ``int8 tensor + np.array(2.0) -> float64``). bfloat16 is a real dtype
(ml_dtypes): ``bfloat16 + float16 -> float32``, ``int32 + bfloat16 -> bfloat16``.
"""
from __future__ import annotations

import functools
from typing import Any, Iterable

import numpy as np

import unidl
from unidl.dtypes import as_dtype, is_floating
from unidl.tensor import Tensor

from ..backend import config

_WEAK = (bool, int, float, np.bool_, np.integer, np.floating)

# Keras's promotion lattice (the one JAX uses): each dtype name -> the names just above it. "int" and
# "float" are the weak types of Python scalars; a weak result resolves to the width of floatx.
_LATTICE = {
    "bool": ("int",),
    "int": ("uint8", "int8", "complex64"),
    "uint8": ("int16", "uint16"), "uint16": ("int32", "uint32"), "uint32": ("int64", "uint64"),
    "uint64": ("float",),
    "int8": ("int16",), "int16": ("int32",), "int32": ("int64",), "int64": ("float",),
    "float": ("bfloat16", "float16"),
    "bfloat16": ("float32",), "float16": ("float32",),
    "float32": ("float64", "complex64"), "float64": ("complex128",),
    "complex64": ("complex128",), "complex128": (),
}


def _upper_bounds() -> dict:
    ub = {}
    for n in _LATTICE:
        seen, todo = {n}, [n]
        while todo:
            for m in _LATTICE[todo.pop()]:
                if m not in seen:
                    seen.add(m)
                    todo.append(m)
        ub[n] = frozenset(seen)
    return ub


_UB = _upper_bounds()
_WIDE_TO_32 = {"int64": "int32", "uint64": "uint32", "float64": "float32", "complex128": "complex64"}


@functools.lru_cache(maxsize=1024)
def _least_upper_bound(nodes: frozenset) -> str:
    try:
        common = frozenset.intersection(*(_UB[n] for n in nodes))
    except KeyError:
        bad = next(n for n in nodes if n not in _UB)
        raise ValueError(f"dtype={bad!r} is not a valid dtype for Keras type promotion.") from None
    least = [c for c in common if common <= _UB[c]]
    if len(least) != 1:
        raise ValueError(f"Input dtypes {tuple(sorted(nodes))} have no available implicit dtype promotion path. "
                         "Try explicitly casting inputs to the desired output type.")
    return least[0]


def _resolve_weak(name: str, ops: bool) -> str:
    # ops (Keras's torch backend): a Python float becomes a floatx tensor, an int an int32 one;
    # keras.backend.result_type: the weak type at floatx's width (bfloat16 floatx: "float16", "int16")
    if name == "int":
        return "int32" if ops else f"int{config.floatx()[-2:]}"
    if name == "float":
        return config.floatx() if ops else f"float{config.floatx()[-2:]}"
    return name


def promote_names(strong: Iterable[str], weak: Iterable[str] = (), wide: bool = True) -> str:
    """Keras's result dtype name for strong dtype names and weak ones (``"int"``, ``"float"``, ``"bool"``
    for Python scalars). ``wide=False`` is ``keras.backend.result_type``'s rule: 64-bit results narrow to 32
    bits and weak results take floatx's width; the ops (``wide=True``, as Keras's torch backend) keep 64-bit
    inputs 64-bit and make a Python float floatx, a Python int int32."""
    nodes = set(strong)
    if len(nodes) == 1 and not any(w != "bool" for w in weak):
        out = next(iter(nodes))
        if not wide:
            out = _WIDE_TO_32.get(out, out)
        return out
    nodes.update(weak)
    out = _resolve_weak(_least_upper_bound(frozenset(nodes)), wide) if nodes else config.floatx()
    return out if wide else _WIDE_TO_32.get(out, out)


def is_weak(x: Any) -> bool:
    """True for Python and NumPy scalars (they adapt to the tensor they meet)."""
    return isinstance(x, _WEAK) and not isinstance(x, np.ndarray)


def _weak_kind(x: Any) -> str:
    if isinstance(x, (bool, np.bool_)):
        return "bool"
    if isinstance(x, (int, np.integer)):
        return "int"
    return "float"


_NAMES: dict = {}  # np.dtype -> name


def _name(dt: Any) -> str:
    try:
        return _NAMES[dt]
    except (KeyError, TypeError):
        name = config.standardize_dtype(dt)
        try:
            _NAMES[dt] = name
        except TypeError:
            pass
        return name


_MEMO: dict = {}  # (floatx, dtype or Python scalar type per argument) -> result: the common calls


def result_type(*args: Any) -> np.dtype:
    """The Keras result dtype of combining ``args``: see :func:`_result_type` (this memoizes the calls made
    of tensors, Python scalars and None, the per-op hot path)."""
    key = [config._FLOATX]
    for a in args:
        if isinstance(a, Tensor):
            key.append(a.dtype)
        elif a is None or type(a) in _PY_SCALARS:
            key.append(type(a))
        else:
            return _result_type(*args)
    key = tuple(key)
    out = _MEMO.get(key)
    if out is None:
        if len(_MEMO) > 4096:
            _MEMO.clear()
        out = _MEMO[key] = _result_type(*args)
    return out


def _result_type(*args: Any) -> np.dtype:
    """The Keras result dtype of combining ``args`` (tensors, arrays, dtypes or Python scalars).

    Keras's lattice: any float operand decides (int64 + float32 -> float32), bfloat16 with float16 gives
    float32, unsigned with signed goes one wider (uint8 + int8 -> int16); Python scalars (and the types
    ``int``/``float``) are weak: int32 tensor + 2 -> int32, int32 tensor + 0.5 -> floatx, bfloat16 + 0.5 ->
    bfloat16; (True, 2) -> int32; (1.0, 2) -> floatx.
    """
    strong, weak, scalars = set(), [], set()
    for a in args:
        if a is None:
            continue
        if type(a) in _PY_SCALARS:
            weak.append(_PY_SCALARS[type(a)])
            continue
        if isinstance(a, float):  # np.float64 is a Python float: weak, as in Keras (torch backend)
            weak.append("float")
            continue
        dt = getattr(a, "dtype", None)
        if dt is not None:
            if isinstance(a, np.generic) or (isinstance(a, np.ndarray) and a.ndim == 0):
                scalars.add(_name(dt))
            else:
                strong.add(_name(dt))
        elif a is int or a is float:
            weak.append("int" if a is int else "float")
        elif isinstance(a, (str, np.dtype, type)):
            strong.add(_name(a))
        elif is_weak(a):
            weak.append(_weak_kind(a))
        else:
            strong.add(_name(np.asarray(a).dtype))
    if not scalars:
        return as_dtype(promote_names(strong, weak))
    if not strong:
        return as_dtype(promote_names(scalars, weak))
    # NumPy scalars and 0-d arrays (0-d tensors in Keras's torch backend) count by category only: they
    # change the result where their kind is higher (int8 tensor + np.array(2.0) -> float64), not its width
    out = promote_names(strong, weak)
    higher = {n for n in scalars if _category(n) > _category(out)}
    return as_dtype(promote_names(higher, weak) if higher else out)


_PY_SCALARS = {bool: "bool", int: "int", float: "float"}


def _category(name: str) -> int:
    if name == "bool":
        return 0
    if "int" in name:
        return 1
    return 3 if name.startswith("complex") else 2


def to_tensor(x: Any, dtype: Any = None) -> Tensor:
    """``x`` as a unidl Tensor with Keras's defaults (Python ints -> int32, floats -> floatx).

    Tensors (and keras Variables) are returned as they are (cast when ``dtype`` differs); NumPy
    arrays keep their dtype.
    """
    if isinstance(x, Tensor):
        if dtype is not None:
            dt = as_dtype(config.standardize_dtype(dtype))
            if x.dtype != dt:
                return unidl.ops.astype(x, dt)
        return x
    if dtype is not None:
        return unidl.tensor(np.asarray(x), dtype=config.standardize_dtype(dtype))
    if isinstance(x, np.ndarray):  # 0-d too: Keras keeps an array's dtype (ops.array(np.array(0, "int8")) is int8)
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
    dt = as_dtype(dtype)
    return x if x.dtype == dt else unidl.ops.astype(x, dt)


def operands(*args: Any, dtype: Any = None) -> list:
    """``args`` converted for a binary/n-ary elementwise op: tensors cast to the common Keras result
    type (or ``dtype``); Python scalars stay scalars (the core keeps them weak) unless they would
    change the result kind, in which case they become 0-d tensors of the result type."""
    dt = as_dtype(dtype) if dtype is not None else result_type(*args)
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
    return x if is_floating(x.dtype) else unidl.ops.astype(x, config.floatx())
