"""``mx.np``: MXNet 1.9's NumPy-compatible array API (``from mxnet import np, npx; npx.set_np()``).

``mx.np.ndarray`` (a subclass of ``mx.nd.NDArray``), creation, math, reductions, shape functions,
``np.random`` and ``np.linalg``, all over :mod:`unidl.ops`; dtype rules as MXNet 1.9's (:mod:`._dtypes`).
"""
from __future__ import annotations

import functools as _functools
import sys as _sys

import numpy as _onp

from .. import ndarray as _nd_package
from ..ndarray.ndarray import NDArray as _NDArray
from . import _op
from . import linalg, random  # noqa: F401
from ._op import *  # noqa: F401,F403
from ._op import __all__ as _op_all
from ._host_ops import argwhere, flatnonzero, genfromtxt, nonzero, unique  # noqa: F401
from .multiarray import as_np, ndarray

pi = _onp.pi
e = _onp.e
inf = _onp.inf
nan = _onp.nan
NINF = -_onp.inf
PINF = _onp.inf
newaxis = None
float16, float32, float64 = _onp.float16, _onp.float32, _onp.float64
int8, int16, int32, int64 = _onp.int8, _onp.int16, _onp.int32, _onp.int64
uint8 = _onp.uint8
bool_ = _onp.bool_
bool = bool  # noqa: A001 - MXNet's ``np.bool`` is Python's bool (a dtype argument like any other)
PZERO, NZERO = 0.0, -0.0
NAN = NaN = _onp.nan
finfo, iinfo = _onp.finfo, _onp.iinfo


def _swap(fn):
    def r(self, other):
        return fn(other, self)

    return r


def _dunder(fn, reflected: bool = False):
    def op(self, other):
        if not isinstance(other, (_NDArray, _onp.ndarray, _onp.generic, int, float, bool)):
            return NotImplemented
        return fn(other, self) if reflected else fn(self, other)

    return op


def _inplace(fn):
    """``x op= y`` as MXNet's ``op(x, y, out=x)``: the result must keep x's dtype and shape."""

    def i(self, other):
        if not isinstance(other, (_NDArray, _onp.ndarray, _onp.generic, int, float, bool)):
            return NotImplemented
        _op._out(fn(self, other), self, inplace=True)
        return self

    return i


def _method(fn):
    @_functools.wraps(fn)
    def m(self, *args, **kwargs):
        return fn(self, *args, **kwargs)

    return m


def _transpose(self, *axes):
    """``a.transpose(*axes)`` or ``a.transpose(axes)``: axes reversed when none are given."""
    if len(axes) == 1 and (axes[0] is None or isinstance(axes[0], (tuple, list))):
        axes = axes[0]
    return _op.transpose(self, axes or None)


def _flatten(self, order="C"):
    """A 1-D copy of the array."""
    return _op.ravel(self).copy()


def _as_np_method(fn):
    @_functools.wraps(fn)
    def m(self, *args, **kwargs):
        return as_np(fn(self, *args, **kwargs))

    return m


def _bind() -> None:
    nd = ndarray
    for dunder, fn in {"add": _op.add, "sub": _op.subtract, "mul": _op.multiply, "truediv": _op.divide,
                       "floordiv": _op.floor_divide, "mod": _op.mod, "pow": _op.power,
                       "matmul": _op.matmul}.items():
        setattr(nd, f"__{dunder}__", _dunder(fn))
        setattr(nd, f"__r{dunder}__", _dunder(fn, reflected=True))
        setattr(nd, f"__i{dunder}__", _inplace(fn))
    for dunder, fn in {"eq": _op.equal, "ne": _op.not_equal, "gt": _op.greater, "ge": _op.greater_equal,
                       "lt": _op.less, "le": _op.less_equal}.items():
        setattr(nd, f"__{dunder}__", _dunder(fn))
    nd.__neg__ = _op.negative
    nd.__abs__ = _op.absolute
    nd.__pos__ = lambda self: self
    nd.__invert__ = _op.logical_not
    nd.__and__, nd.__or__, nd.__xor__ = (_dunder(_op.logical_and), _dunder(_op.logical_or),
                                         _dunder(_op.logical_xor))
    nd.__hash__ = object.__hash__
    for name in ("sum", "mean", "std", "var", "max", "min", "prod", "argmax", "argmin", "cumsum", "any", "all",
                 "clip", "round", "dot", "swapaxes", "squeeze", "repeat", "take", "sort", "argsort", "tile",
                 "flip", "expand_dims", "broadcast_to"):
        setattr(nd, name, _method(getattr(_op, name)))
    nd.transpose = _transpose
    nd.flatten = _flatten
    nd.ravel = _method(_op.ravel)
    # every other array-returning NDArray method (nd semantics) still hands back mx.np arrays
    host = {"asnumpy", "asscalar", "tolist", "attach_grad", "backward", "wait_to_read", "wait_to_write"}
    for name, member in vars(_NDArray).items():
        if callable(member) and not name.startswith("_") and name not in vars(nd) and name not in host:
            setattr(nd, name, _as_np_method(member))


_bind()

# ``F.np`` inside ``hybrid_forward(self, F, ...)`` (F is ``mx.nd``) is this module, as MXNet's ``mx.nd.np``
_nd_package.np = _sys.modules[__name__]

__all__ = list(_op_all) + ["nonzero", "flatnonzero", "argwhere", "unique", "genfromtxt", "ndarray", "linalg", "random", "pi", "e", "inf", "nan", "newaxis", "float16",
                           "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool_", "bool", "PZERO", "NZERO", "NAN", "NaN",
                           "NINF", "PINF", "finfo", "iinfo", "as_np"]
