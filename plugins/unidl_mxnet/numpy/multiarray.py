"""``mx.np.ndarray``: MXNet 1.9's NumPy-compatible array on a unidl Tensor.

A subclass of ``mx.nd.NDArray`` (as in MXNet), so every ``mx.nd`` operator and Gluon layer accepts it, but
with NumPy semantics: 0-d arrays, bool comparisons, NumPy indexing and ``reshape``, ``dtype`` as a
``numpy.dtype``. Dtype rules follow MXNet 1.9 (checked against it, see tests/mxnet/data/np_make_fixtures.py),
which differ from NumPy's in places: see :mod:`._dtypes`.
"""
from __future__ import annotations

from typing import Any, Optional, Sequence, Tuple

import numpy as _onp

from unidl import ops
from unidl.tensor import Tensor

from ..base import MXNetError
from ..context import Context
from ..ndarray.ndarray import NDArray, wrap

_new = object.__new__


def _wrap(t: Tensor) -> "ndarray":
    """An ``mx.np.ndarray`` around ``t`` (shared, no copy; 0-d stays 0-d)."""
    a = _new(ndarray)
    a._t = t
    return a


def as_np(x: Any) -> Any:
    """``x`` with every ``NDArray`` (also inside tuples, lists and dicts) viewed as ``mx.np.ndarray``."""
    if isinstance(x, NDArray):
        return x if type(x) is ndarray else _wrap(x._t)
    if isinstance(x, (list, tuple)):
        return type(x)(as_np(v) for v in x)
    if isinstance(x, dict):
        return {k: as_np(v) for k, v in x.items()}
    return x


def _index(k: Any) -> Any:
    # MXNet takes float index arrays (``np.array([0, 1])`` is float32 there) and truncates them
    if isinstance(k, NDArray):
        t = k._t
        return ops.astype(t, _onp.int64) if t.dtype.kind == "f" else t
    return k


def _key(key: Any) -> Any:
    if isinstance(key, NDArray):
        return _index(key)
    if isinstance(key, tuple):
        return tuple(_index(k) for k in key)
    if isinstance(key, list) and any(isinstance(k, NDArray) for k in key):
        return [k.item() if isinstance(k, NDArray) else k for k in key]
    return key


def _repr_body(a: _onp.ndarray) -> str:
    body = _onp.array2string(a, separator=", ", prefix="array(", threshold=1000)
    return body


class ndarray(NDArray):  # noqa: N801 - MXNet's name
    """An n-dimensional array with NumPy semantics (``mx.np.ndarray``), wrapping one unidl Tensor.

    Create one with ``mx.np.array``, ``mx.np.zeros``, ...; operators broadcast, comparisons give bool
    arrays, reductions give 0-d arrays.
    """

    __slots__ = ()

    def __init__(self, tensor: Tensor):
        super().__init__(tensor)

    # -- facts ---------------------------------------------------------------------------------------
    @property
    def dtype(self) -> _onp.dtype:
        """The dtype as a ``numpy.dtype`` (``dtype('float32')``)."""
        return self._t.dtype

    @property
    def T(self) -> "ndarray":
        return _wrap(ops.transpose(self._t))

    @property
    def device(self) -> Context:
        return self.context

    def as_nd_ndarray(self) -> NDArray:
        """The same data as a legacy ``mx.nd.NDArray`` (shared, no copy)."""
        return wrap(self._t)

    def __len__(self) -> int:
        if self._t.ndim == 0:
            raise TypeError("len() of unsized object")
        return self._t.shape[0]

    def __iter__(self):
        if self._t.ndim == 0:
            raise TypeError("iteration over a 0-d array")
        return (self[i] for i in range(self._t.shape[0]))

    # -- host, copies, contexts ----------------------------------------------------------------------
    def __array__(self, dtype: Any = None, copy: Any = None) -> _onp.ndarray:
        a = self.asnumpy()
        return a if dtype is None else a.astype(dtype)

    def item(self, *args: Any) -> Any:
        """The value of a one-element array as a Python scalar."""
        if args:
            return self.asnumpy().item(*args)
        if self.size != 1:
            raise ValueError("can only convert an array of size 1 to a Python scalar")
        return self.asnumpy().reshape(()).item()

    def astype(self, dtype: Any, copy: bool = True) -> "ndarray":
        """This array cast to ``dtype`` (a copy unless ``copy`` is False and the dtype already matches)."""
        dt = _onp.dtype(dtype)
        if dt == self._t.dtype:
            return self.copy() if copy else self
        return _wrap(ops.astype(self._t, dt))

    def copy(self) -> "ndarray":
        """A copy on the same context (outside the autograd graph)."""
        return _wrap(Tensor._from_any(self._t.data.copy(), self._t.device))

    def copyto(self, other: Any) -> Any:
        return as_np(super().copyto(other))

    def as_in_context(self, context: Context) -> "ndarray":
        """This array on ``context`` (itself when already there); differentiable."""
        if self.context == context:
            return self
        return _wrap(ops.to_device(self._t, context.unidl_device))

    as_in_ctx = as_in_context
    to_device = as_in_context

    # -- autograd ------------------------------------------------------------------------------------
    @property
    def grad(self) -> Optional["ndarray"]:
        g = self._t.grad
        return None if g is None else _wrap(g)

    def detach(self) -> "ndarray":
        return _wrap(self._t.detach())

    # -- printing and conversions --------------------------------------------------------------------
    def __repr__(self) -> str:
        a = self.asnumpy()
        body = _repr_body(a)
        ctx = self.context
        extra = "" if a.dtype in (_onp.float32, _onp.bool_) else f", dtype={a.dtype.name}"
        if ctx.device_type != "cpu":
            extra += f", ctx={ctx}"
        return f"array({body}{extra})"

    def __str__(self) -> str:
        return str(self.asnumpy())

    def __bool__(self) -> bool:
        if self.size == 1:
            return bool(self.asnumpy().reshape(()))
        if self.size == 0:
            return False
        raise ValueError("The truth value of an ndarray with multiple elements is ambiguous.")

    def __float__(self) -> float:
        if self.size != 1:
            raise TypeError("only size-1 arrays can be converted to Python scalars")
        return float(self.item())

    def __int__(self) -> int:
        if self.size != 1:
            raise TypeError("only size-1 arrays can be converted to Python scalars")
        return int(self.item())

    def __index__(self) -> int:
        if self._t.dtype.kind not in "iub" or self.size != 1:
            raise TypeError("only integer scalar arrays can be converted to a scalar index")
        return int(self.item())

    __hash__ = object.__hash__

    # -- shape ----------------------------------------------------------------------------------------
    def reshape(self, *shape: Any, order: str = "C", **kwargs: Any) -> "ndarray":
        """NumPy ``reshape``: one -1 may be inferred; no MXNet special values (see ``npx.reshape``)."""
        if "newshape" in kwargs or "shape" in kwargs:
            shape = (kwargs.pop("newshape", kwargs.pop("shape", None)),)
        if kwargs:
            raise TypeError(f"reshape: unexpected arguments {sorted(kwargs)}")
        if order != "C":
            raise NotImplementedError(f"reshape: only order='C' is supported, got {order!r}")
        if len(shape) == 1 and isinstance(shape[0], (list, tuple)):
            shape = tuple(shape[0])
        return _wrap(ops.reshape(self._t, np_reshape_shape(self.shape, shape)))

    def reshape_like(self, other: NDArray) -> "ndarray":
        return _wrap(ops.reshape(self._t, other.shape))

    # -- indexing -------------------------------------------------------------------------------------
    def __getitem__(self, key: Any) -> "ndarray":
        return _wrap(ops.getitem(self._t, _key(key)))

    def __setitem__(self, key: Any, value: Any) -> None:
        if isinstance(value, NDArray):
            value = value._t
            if value.dtype != self._t.dtype:
                value = ops.astype(value, self._t.dtype)
        elif isinstance(value, (bool, int, float, _onp.generic)):
            value = self._t.dtype.type(value)
        else:
            value = Tensor._from_any(_onp.asarray(value, dtype=self._t.dtype), self._t.device)
        ops.setitem(self._t, _key(key), value)


def np_reshape_shape(src: Sequence[int], shape: Sequence[Any]) -> Tuple[int, ...]:
    """The target of NumPy's ``reshape(shape)`` for an input of shape ``src`` (one -1 inferred)."""
    try:
        spec = tuple(int(s) for s in shape)
    except (TypeError, ValueError):
        raise TypeError(f"reshape: shape must be a sequence of ints, got {tuple(shape)!r}") from None
    size = 1
    for d in src:
        size *= d
    unknown = [i for i, s in enumerate(spec) if s == -1]
    bad = [s for s in spec if s < -1]
    known = 1
    for s in spec:
        if s >= 0:
            known *= s
    if bad or len(unknown) > 1 or (unknown and (known == 0 or size % known)) or (not unknown and known != size):
        raise MXNetError(f"cannot reshape array of size {size} (shape {tuple(src)}) into shape {spec}"
                         + ("; use npx.reshape for MXNet's special values" if bad else ""))
    if unknown:
        spec = spec[:unknown[0]] + (size // known,) + spec[unknown[0] + 1:]
    return spec


__all__ = ["ndarray", "as_np", "np_reshape_shape"]
