"""``mx.util``: the NumPy-mode switches of MXNet 1.9 (``set_np``, ``is_np_array``, ``use_np``, ...).

NumPy mode is one global pair of flags: ``array`` (Gluon hands out ``mx.np.ndarray`` instead of
``mx.nd.NDArray``) and ``shape`` (0-d and zero-size shapes are real shapes). :func:`frontend_array` and
:func:`to_frontend` are the one place Gluon consults the flag to pick the array type it returns.
"""
from __future__ import annotations

import functools
import os
import inspect
from typing import Any, Callable, Optional

from unidl.tensor import Tensor

from .base import MXNetError


class _NpState:
    __slots__ = ("array", "shape")

    def __init__(self) -> None:
        self.array = False
        self.shape = False


_NP = _NpState()


def is_np_array() -> bool:
    """Whether NumPy array semantics are on (Gluon returns ``mx.np.ndarray``)."""
    return _NP.array


def is_np_shape() -> bool:
    """Whether NumPy shape semantics are on (0-d and zero-size arrays are allowed)."""
    return _NP.shape


def set_np_shape(active: bool) -> bool:
    """Turn NumPy shape semantics on or off; returns the previous state."""
    prev, _NP.shape = _NP.shape, bool(active)
    return prev


def set_np(shape: bool = True, array: bool = True, dtype: bool = False) -> None:
    """Turn on NumPy semantics (``from mxnet import npx; npx.set_np()``).

    ``array=True`` needs ``shape=True`` (as in MXNet). ``dtype=True`` (NumPy's float64 default) is not
    supported: unidl follows MXNet's float32 default.
    """
    if array and not shape:
        raise ValueError("NumPy Shape semantics is required in using NumPy array semantics.")
    if dtype:
        raise MXNetError("set_np(dtype=True) (float64 default dtype) is not supported by unidl_mxnet")
    _NP.shape, _NP.array = bool(shape), bool(array)


def reset_np() -> None:
    """Turn NumPy semantics off (back to ``mx.nd`` arrays and legacy shapes)."""
    set_np(shape=False, array=False)


class _NpScope:
    """Context manager/decorator that sets the NumPy flags inside and restores them after."""

    def __init__(self, shape: bool, array: bool) -> None:
        self._want = (shape, array)
        self._saved: list = []

    def __enter__(self) -> "_NpScope":
        self._saved.append((_NP.shape, _NP.array))
        _NP.shape, _NP.array = self._want
        return self

    def __exit__(self, *exc: Any) -> None:
        _NP.shape, _NP.array = self._saved.pop()


def np_shape(active: bool = True) -> _NpScope:
    """``with mx.util.np_shape():`` — NumPy shape semantics inside the block."""
    return _NpScope(bool(active), _NP.array and bool(active))


def np_array(active: bool = True) -> _NpScope:
    """``with mx.util.np_array():`` — NumPy array semantics inside the block."""
    return _NpScope(_NP.shape or bool(active), bool(active))


def _scoped(fn: Callable, shape: bool, array: bool) -> Callable:
    @functools.wraps(fn)
    def inner(*args: Any, **kwargs: Any) -> Any:
        with _NpScope(shape, array):
            return fn(*args, **kwargs)

    return inner


def _use(obj: Any, shape: bool, array: bool) -> Any:
    if inspect.isclass(obj):
        # as MXNet: every method, inherited ones too (``__call__``, ``forward``, ...), runs in the scope
        seen: set = set()
        for klass in obj.__mro__[:-1]:  # not ``object``
            for name, member in list(vars(klass).items()):
                if name in seen:
                    continue
                seen.add(name)
                if inspect.isfunction(member):
                    setattr(obj, name, _scoped(member, shape, array))
        return obj
    if callable(obj):
        return _scoped(obj, shape, array)
    raise TypeError(f"use_np: expected a class or a function, got {type(obj).__name__}")


def use_np_shape(obj: Any) -> Any:
    """Decorator: run a function (or every method of a class) under NumPy shape semantics."""
    return _use(obj, True, _NP.array)


def use_np_array(obj: Any) -> Any:
    """Decorator: run a function (or every method of a class) under NumPy array semantics."""
    return _use(obj, True, True)


def use_np(obj: Any) -> Any:
    """Decorator: run a function (or every method of a class, e.g. a Block) under NumPy semantics."""
    return _use(obj, True, True)


# -- the array type Gluon hands out ---------------------------------------------------------------

def frontend_array(t: Tensor) -> Any:
    """``t`` as the frontend's current array type: ``mx.np.ndarray`` under ``set_np()``, else ``NDArray``."""
    if _NP.array:
        from .numpy.multiarray import _wrap

        return _wrap(t)
    from .ndarray.ndarray import NDArray

    return NDArray(t)


def to_frontend(out: Any) -> Any:
    """Block outputs under ``set_np()``: every ``NDArray`` (also inside tuples/lists) as ``mx.np.ndarray``;
    anything else, and everything when NumPy mode is off, unchanged."""
    if not _NP.array:
        return out
    from .numpy.multiarray import as_np

    if isinstance(out, (list, tuple)):
        _check_not_mixed(out)
    return as_np(out)


def _check_not_mixed(out: Any) -> None:
    """MXNet requires a Block under ``set_np()`` to output ``mx.np.ndarray`` only: a legacy ``NDArray``
    next to ``mx.np`` arrays (``x.as_nd_ndarray() + 1, np.add(x, x)``) is a TypeError, as there."""
    from .ndarray.ndarray import NDArray
    from .numpy.multiarray import ndarray

    legacy, numpy = [], False
    stack = [out]
    while stack:
        v = stack.pop()
        if isinstance(v, (list, tuple)):
            stack.extend(v)
        elif isinstance(v, ndarray):
            numpy = True
        elif isinstance(v, NDArray):
            legacy.append(v)
    if legacy and numpy:
        raise TypeError("Block's output ndarrays/symbols must be of type `mxnet.numpy.ndarray` or "
                        f"`mxnet.symbol.numpy._Symbol`, while got output type {type(legacy[0])}")


__all__ = ["is_np_array", "is_np_shape", "set_np", "reset_np", "set_np_shape", "np_shape", "np_array",
           "use_np", "use_np_shape", "use_np_array", "frontend_array", "to_frontend"]


def getenv(name: str) -> Optional[str]:
    """The value of environment variable ``name`` (None when unset), as MXNet's runtime sees it."""
    return os.environ.get(name)


def setenv(name: str, value: Optional[str]) -> None:
    """Set environment variable ``name`` (None unsets it)."""
    if value is None:
        os.environ.pop(name, None)
    else:
        os.environ[name] = str(value)
