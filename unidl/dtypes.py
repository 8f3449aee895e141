"""Canonical dtypes and the promotion helpers frontends build on.

The core uses NumPy dtype objects as its dtype vocabulary on every device (CuPy shares them).

bfloat16 is a NumPy dtype from ml_dtypes (the library JAX and Keras use; the optional extra
``unidl[bfloat16]``). It is imported on first use, not with unidl: ``as_dtype("bfloat16")`` loads it,
and then names such as ``np.dtype("bfloat16")`` work everywhere. Its dtype has ``kind == "V"`` (not
``"f"``), so the core asks :func:`is_floating` rather than ``dtype.kind``. NumPy's ufuncs run on it; the
kernels without a bfloat16 loop or that accumulate (einsum, matmul, reductions, softmax, normalisation,
special functions) compute in :data:`float32` and round back once (:func:`via_float32`); those ops'
composites follow the same rule (:func:`composite_via_float32`), so they give the same bits.
"""
from __future__ import annotations

from typing import Any, Optional

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


#: the dtypes ml_dtypes adds to NumPy that the core computes in
_ML_DTYPE_NAMES = ("bfloat16",)
#: bfloat16's numpy.dtype once ml_dtypes is loaded (None before: see :func:`bfloat16_dtype`)
_BFLOAT16: Any = None
BFLOAT16_EXTRA = "pip install 'unidl[bfloat16]' (it installs ml_dtypes)"


def bfloat16_dtype() -> np.dtype:
    """bfloat16's ``numpy.dtype`` (from ml_dtypes, imported here on first use).

    Raises:
        TypeError: ml_dtypes is not installed; the message names the extra that installs it.
    """
    global _BFLOAT16
    if _BFLOAT16 is None:
        try:
            import ml_dtypes
        except ImportError as e:
            raise TypeError("unidl: dtype 'bfloat16' needs the ml_dtypes package, which is not installed: "
                            f"{BFLOAT16_EXTRA}") from e
        _BFLOAT16 = np.dtype(ml_dtypes.bfloat16)
    return _BFLOAT16


def as_dtype(dtype: Any) -> np.dtype:
    """Return the canonical ``numpy.dtype`` for ``dtype`` (a name, a NumPy type or a dtype).

    ``"bfloat16"`` loads ml_dtypes (see :func:`bfloat16_dtype`).
    """
    try:
        return np.dtype(dtype)
    except TypeError as e:
        name = getattr(dtype, "name", dtype) if not isinstance(dtype, str) else dtype
        if isinstance(name, str) and name in _ML_DTYPE_NAMES:
            return bfloat16_dtype()
        raise TypeError(f"unidl: '{dtype!r}' is not a dtype") from e


def _is_bf16(dt: np.dtype) -> bool:
    # a kind "V" dtype: bfloat16 (ml_dtypes may have been imported by the user, not by as_dtype) or a void
    if dt is _BFLOAT16:
        return True
    if _BFLOAT16 is None and dt.name == "bfloat16":
        bfloat16_dtype()
        return dt == _BFLOAT16
    return False


def is_bfloat16(dtype: Any) -> bool:
    """True for bfloat16 (without importing ml_dtypes where nothing used it)."""
    dt = dtype if isinstance(dtype, np.dtype) else np.dtype(dtype) if not isinstance(dtype, str) else None
    if dt is None:
        return dtype == "bfloat16"
    return dt.kind == "V" and _is_bf16(dt)


def is_floating(dtype: Any) -> bool:
    """True for float16/32/64 and bfloat16 (the dtypes gradients flow through)."""
    dt = dtype if isinstance(dtype, np.dtype) else as_dtype(dtype)
    return dt.kind == "f" or (dt.kind == "V" and _is_bf16(dt))


def compute_dtype(dtype: Any) -> np.dtype:
    """The dtype a kernel without a low-precision loop computes ``dtype`` in: float32 for bfloat16,
    ``dtype`` itself otherwise. The kernel rounds its result back to ``dtype``."""
    dt = dtype if isinstance(dtype, np.dtype) else as_dtype(dtype)
    return float32 if dt.kind == "V" and _is_bf16(dt) else dt


def _astype(a: Any, dtype: np.dtype) -> Any:
    return a.astype(dtype)


def _round_back(out: Any, cast: Any = _astype) -> Any:
    if isinstance(out, tuple):
        return tuple(_round_back(o, cast) for o in out)
    dt = getattr(out, "dtype", None)
    return cast(out, _BFLOAT16) if dt is not None and dt.kind == "f" else out


def _widen(fn: Any, args: tuple, kwargs: dict, cast: Any = _astype) -> Any:
    """``fn(*args, **kwargs)`` on float32 copies of the bfloat16 arrays in ``args``, its float results rounded
    back to bfloat16 where the arguments promote to it; ``cast(array, dtype)`` converts."""
    if not any(getattr(a, "dtype", None) is not None and a.dtype.kind == "V" and _is_bf16(a.dtype) for a in args):
        return fn(*args, **kwargs)  # another kind "V" dtype: fn's own error
    wide = [cast(a, float32) if getattr(a, "dtype", None) is _BFLOAT16 else a for a in args]
    out = fn(*wide, **kwargs)
    # back to bfloat16 where the inputs promote to it (bfloat16 with float32 stays float32, as in NumPy)
    if np.result_type(*[a.dtype for a in args if getattr(a, "dtype", None) is not None]) is _BFLOAT16:
        out = _round_back(out, cast)
    return out


def _has_v(args: tuple, arrays: Optional[int]) -> bool:
    """Whether one of the first ``arrays`` arguments (all where None) has a kind "V" dtype (bfloat16)."""
    for a in (args if arrays is None else args[:arrays]):
        dt = getattr(a, "dtype", None)
        if dt is not None and getattr(dt, "kind", None) == "V":
            return True
    return False


def via_float32(fn: Any, arrays: Optional[int] = None) -> Any:
    """A kernel that runs ``fn`` on float32 copies of its bfloat16 array arguments and rounds its float
    results back to bfloat16: for NumPy functions without a bfloat16 loop (einsum) and for the reductions
    and products that should accumulate in float32, as JAX and PyTorch do.

    ``arrays``: how many leading positional arguments are arrays (1: ``x``; 2: ``a, b``; None: all, for
    ``*operands``). Other dtypes reach ``fn`` after one ``dtype.kind`` test per array argument.
    """
    if arrays == 1:
        def kernel(x: Any, *args: Any, **kwargs: Any) -> Any:
            if x.dtype.kind != "V":
                return fn(x, *args, **kwargs)
            return _widen(fn, (x,) + args, kwargs)
    elif arrays == 2:
        def kernel(a: Any, b: Any, *args: Any, **kwargs: Any) -> Any:
            if a.dtype.kind != "V" and b.dtype.kind != "V":
                return fn(a, b, *args, **kwargs)
            return _widen(fn, (a, b) + args, kwargs)
    else:
        def kernel(*args: Any, **kwargs: Any) -> Any:
            for a in args:
                if getattr(a, "dtype", None) is not None and a.dtype.kind == "V":
                    return _widen(fn, args, kwargs)
            return fn(*args, **kwargs)

    kernel.__name__ = getattr(fn, "__name__", "kernel")
    kernel.__qualname__ = getattr(fn, "__qualname__", kernel.__name__)
    kernel.__doc__ = fn.__doc__
    kernel.__wrapped__ = fn
    kernel.via_float32 = arrays  # type: ignore[attr-defined]  (the op's composite follows the same rule)
    return kernel


def composite_via_float32(fn: Any, arrays: Optional[int] = None) -> Any:
    """:func:`via_float32` for a composite ``fn(K, *args, **kwargs)``: the same rule, with the conversions made
    by the device's ``K.astype`` kernel. A composite of an op whose reference kernel is ``via_float32(f,
    arrays)`` takes this with the same ``arrays``, so on bfloat16 it computes in float32 and rounds once, as
    the kernel does (and gives its bits where it follows the kernel's float32 order)."""

    def comp(K: Any, *args: Any, **kwargs: Any) -> Any:
        if not _has_v(args, arrays):
            return fn(K, *args, **kwargs)
        return _widen(lambda *a, **k: fn(K, *a, **k), args, kwargs, lambda a, dt: K.astype(a, dt))

    comp.__name__ = getattr(fn, "__name__", "composite")
    comp.__qualname__ = getattr(fn, "__qualname__", comp.__name__)
    comp.__doc__ = fn.__doc__
    comp.__wrapped__ = fn  # type: ignore[attr-defined]  (unidl.primitives.composite_deps reads both)
    comp.via_float32 = arrays  # type: ignore[attr-defined]
    return comp


def result_type(*args: Any) -> np.dtype:
    """NumPy's promotion of arrays, dtypes and Python scalars (weak scalars, as NEP 50).

    With bfloat16 it follows ml_dtypes' rules: bfloat16 with float16 gives float32, with an integer
    array float64 (as NumPy's float16), with a Python float bfloat16.
    """
    return np.result_type(*args)
