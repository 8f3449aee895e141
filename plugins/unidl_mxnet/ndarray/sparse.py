"""``mx.nd.sparse``: CSR and row-sparse arrays, dense underneath.

unidl keeps every array's values dense. A :class:`CSRNDArray` / :class:`RowSparseNDArray` is an NDArray that
reports its storage type (``stype``) and derives MXNet's sparse views from its values: ``.data``,
``.indices`` (and CSR's ``.indptr``) list the non-zero entries (rows, for row-sparse). So explicitly stored
zeros are not kept (a row-sparse row of zeros is not listed in ``.indices``) — the values, shapes and dtypes
are MXNet's; memory use and speed are those of dense arrays. Operators take sparse arrays like dense ones
and, as MXNet's storage fallback does, mostly return dense arrays; the arithmetic operators keep the storage
type where MXNet does (``csr * 2``, ``rsp + rsp``). Every other ``mx.nd`` operator is also reachable here
(``mx.nd.sparse.dot``, ``mx.nd.sparse.sgd_update``, ...).
"""
from __future__ import annotations

from numbers import Number
from typing import Any, Optional, Sequence

import numpy as np

import unidl
from unidl import ops
from unidl.tensor import Tensor

from ..base import MXNetError
from ..context import Context, current_context
from .ndarray import SPARSE_CLASSES, NDArray, as_stype, from_any, placed, py_slice, to_stype, wrap

__all__ = ["BaseSparseNDArray", "CSRNDArray", "RowSparseNDArray", "csr_matrix", "row_sparse_array", "zeros",
           "empty", "array", "add", "subtract", "multiply", "divide", "retain", "cast_storage"]

_SCALARS = (Number, np.generic)


class BaseSparseNDArray(NDArray):
    """An NDArray with a sparse storage type (values dense underneath; see the module doc)."""

    __slots__ = ()
    _STYPE = "undefined"

    @property
    def stype(self) -> str:
        return self._STYPE

    def __repr__(self) -> str:
        shape = "x".join(str(d) for d in self.shape)
        return f"\n<{type(self).__name__} {shape} @{self.context}>"

    # -- what keeps the storage type ------------------------------------------------------------------
    def _same(self, t: Tensor) -> "BaseSparseNDArray":
        return as_stype(t, self._STYPE)

    def copy(self) -> "BaseSparseNDArray":
        return self._same(Tensor._from_any(self._t.data.copy(), self._t.device))

    def detach(self) -> "BaseSparseNDArray":
        return self._same(self._t.detach())

    def astype(self, dtype: Any, copy: bool = True) -> "BaseSparseNDArray":
        if not copy and np.dtype(dtype) == self._t.dtype:
            return self
        return self._same(ops.astype(self._t.detach(), np.dtype(dtype)) if np.dtype(dtype) != self._t.dtype
                          else Tensor._from_any(self._t.data.copy(), self._t.device))

    def copyto(self, other: Any) -> Any:
        res = super().copyto(other)
        return self._same(res._t) if isinstance(other, Context) else res

    def as_in_context(self, context: Context) -> "BaseSparseNDArray":
        res = super().as_in_context(context)
        return res if res is self else self._same(res._t)

    as_in_ctx = as_in_context

    def todense(self) -> NDArray:
        """A dense copy (``tostype('default')``)."""
        return self.tostype("default")

    def reshape(self, *shape: Any, **kwargs: Any) -> NDArray:
        raise MXNetError(f"reshape is not supported for {type(self).__name__} (storage type {self._STYPE}); "
                         "convert with tostype('default') first")

    def check_format(self, full_check: bool = True) -> None:
        """Always valid: the sparse views are derived from the (dense) values."""

    # -- arithmetic: the storage type MXNet's sparse kernels give -------------------------------------------
    def _arith(self, other: Any, fn: Any, keep_with_scalar: bool, keep_with_same: bool) -> NDArray:
        res = fn(self._dense(), other._dense() if isinstance(other, BaseSparseNDArray) else other)
        if (keep_with_scalar and isinstance(other, _SCALARS)) or (
                keep_with_same and isinstance(other, BaseSparseNDArray) and other._STYPE == self._STYPE):
            return self._same(res._t)
        return res

    def _dense(self) -> NDArray:
        return wrap(self._t)

    def __add__(self, other: Any) -> NDArray:
        return self._arith(other, NDArray.__add__, False, True)

    def __sub__(self, other: Any) -> NDArray:
        return self._arith(other, NDArray.__sub__, False, True)

    def __mul__(self, other: Any) -> NDArray:
        return self._arith(other, NDArray.__mul__, True, True)

    def __truediv__(self, other: Any) -> NDArray:
        return self._arith(other, NDArray.__truediv__, True, False)

    __div__ = __truediv__

    def __rmul__(self, other: Any) -> NDArray:
        return self.__mul__(other)

    def __neg__(self) -> NDArray:
        return self._same(ops.negative(self._t))

    def _inplace(self, res: NDArray) -> "BaseSparseNDArray":
        ops.setitem(self._t, Ellipsis, res._t)
        return self

    def __iadd__(self, other: Any) -> "BaseSparseNDArray":
        return self._inplace(self + other)

    def __isub__(self, other: Any) -> "BaseSparseNDArray":
        return self._inplace(self - other)

    def __imul__(self, other: Any) -> "BaseSparseNDArray":
        return self._inplace(self * other)

    def __itruediv__(self, other: Any) -> "BaseSparseNDArray":
        return self._inplace(self / other)

    __idiv__ = __itruediv__

    def __setitem__(self, key: Any, value: Any) -> None:
        if not (isinstance(key, py_slice) and key == py_slice(None)):
            raise ValueError(f"{type(self).__name__} only supports [:] for assignment, got key {key!r}")
        if isinstance(value, _SCALARS) and self._STYPE == "csr":
            raise ValueError("Assigning numeric types to CSRNDArray is not implemented yet.")
        super().__setitem__(Ellipsis, value)

    def _host(self) -> np.ndarray:
        return self._t.numpy()

    def _nd(self, a: np.ndarray) -> NDArray:
        return wrap(Tensor._from_any(np.ascontiguousarray(a), self._t.device))


class CSRNDArray(BaseSparseNDArray):
    """A 2-d array in compressed sparse row form: ``data`` (the non-zero values, row by row), ``indices``
    (their columns) and ``indptr`` (where each row starts in ``data``; length rows + 1)."""

    __slots__ = ()
    _STYPE = "csr"

    @property
    def data(self) -> NDArray:
        """The non-zero values, row-major (a copy)."""
        h = self._host()
        return self._nd(h[h != 0])

    @property
    def indices(self) -> NDArray:
        """The column of every non-zero value (int64)."""
        return self._nd(np.nonzero(self._host())[1].astype(np.int64))

    @property
    def indptr(self) -> NDArray:
        """Row offsets into ``data`` (int64, length rows + 1)."""
        counts = np.count_nonzero(self._host(), axis=1)
        return self._nd(np.concatenate([[0], np.cumsum(counts)]).astype(np.int64))

    def __getitem__(self, key: Any) -> "CSRNDArray":
        n = self.shape[0]
        if isinstance(key, (int, np.integer)):
            k = int(key) + n if key < 0 else int(key)
            return self._same(ops.slice_axis(self._t, 0, k, k + 1))
        if isinstance(key, py_slice):
            if key.step is not None:
                raise ValueError("CSRNDArray only supports continuous slicing on axis 0")
            if key.start is None and key.stop is None:
                return self
            start, stop, _ = key.indices(n)
            return self._same(ops.add(ops.slice_axis(self._t, 0, start, stop), self._t.dtype.type(0)))
        if isinstance(key, tuple):
            raise ValueError("Multi-dimension indexing is not supported")
        raise ValueError(f"Undefined behaviour for {key}")

    def tostype(self, stype: str) -> NDArray:
        return to_stype(self, stype)

    def asscipy(self) -> Any:
        """A ``scipy.sparse.csr_matrix`` with the same values."""
        import scipy.sparse as sps

        return sps.csr_matrix(self._host())


class RowSparseNDArray(BaseSparseNDArray):
    """An array whose non-zero rows (slices along axis 0) are listed: ``indices`` (the row numbers) and
    ``data`` (those rows)."""

    __slots__ = ()
    _STYPE = "row_sparse"

    def _rows(self) -> np.ndarray:
        h = self._host()
        return np.flatnonzero(h.reshape(h.shape[0], -1).any(axis=1)) if h.size else np.zeros(0, np.int64)

    @property
    def data(self) -> NDArray:
        """The non-zero rows (a copy): shape (len(indices),) + shape[1:]."""
        rows = self._rows()
        return wrap(ops.take(self._t.detach(), unidl.tensor(rows.astype(np.int64), device=self._t.device), axis=0))

    @property
    def indices(self) -> NDArray:
        """The numbers of the non-zero rows (int64, ascending)."""
        return self._nd(self._rows().astype(np.int64))

    def __getitem__(self, key: Any) -> "RowSparseNDArray":
        if isinstance(key, py_slice) and key == py_slice(None):
            return self
        raise ValueError(f"RowSparseNDArray only supports [:] for __getitem__, got key {key!r}")

    def tostype(self, stype: str) -> NDArray:
        return to_stype(self, stype)

    def retain(self, indices: Any) -> "RowSparseNDArray":
        """Only the rows in ``indices`` kept (others zero)."""
        return retain(self, indices)


SPARSE_CLASSES.update(csr=CSRNDArray, row_sparse=RowSparseNDArray)


# -- creation ------------------------------------------------------------------------------------------------

def _ctx(ctx: Optional[Context]) -> Context:
    return ctx or current_context()


def _shape2(shape: Any, what: str) -> tuple:
    shape = (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(int(d) for d in shape)
    return shape


def _dense_source(arg: Any, dtype: Any, ctx: Optional[Context]) -> NDArray:
    if isinstance(arg, NDArray):
        return from_any(arg, ctx or arg.context, dtype)
    try:
        import scipy.sparse as sps

        if sps.issparse(arg):
            return from_any(arg.toarray(), ctx, dtype or arg.dtype)
    except ImportError:  # pragma: no cover - scipy is optional
        pass
    src = np.asarray(arg)
    return from_any(src, ctx, dtype if dtype is not None else (src.dtype if isinstance(arg, np.ndarray)
                                                               else np.float32))


def _host(x: Any) -> np.ndarray:
    return x.asnumpy() if isinstance(x, NDArray) else np.asarray(x)


def csr_matrix(arg1: Any, shape: Optional[Sequence[int]] = None, ctx: Optional[Context] = None,
               dtype: Any = None) -> CSRNDArray:
    """A :class:`CSRNDArray` from a dense 2-d array, a sparse matrix (CSRNDArray or scipy), a shape ``(M, N)``
    (zeros) or ``(data, indices, indptr)`` with ``shape``."""
    if isinstance(arg1, tuple) and len(arg1) == 2 and all(isinstance(d, (int, np.integer)) for d in arg1):
        return zeros("csr", arg1, ctx, dtype)
    if isinstance(arg1, tuple) and len(arg1) == 3:
        data, indices, indptr = (_host(a) for a in arg1)
        indptr = indptr.astype(np.int64)
        rows = len(indptr) - 1
        if shape is None:
            shape = (rows, int(indices.max()) + 1 if indices.size else 0)
        shape = _shape2(shape, "csr_matrix")
        dt = np.dtype(dtype) if dtype is not None else (
            arg1[0].dtype if isinstance(arg1[0], (NDArray, np.ndarray)) else np.float32)
        if len(shape) != 2 or rows != shape[0] or len(indices) != len(data) or indptr[-1] != len(data):
            raise MXNetError(f"csr_matrix: inconsistent (data, indices, indptr) of lengths {len(data)}, "
                             f"{len(indices)}, {len(indptr)} for shape {shape}")
        if indices.size and (indices.min() < 0 or indices.max() >= shape[1]):
            raise MXNetError(f"csr_matrix: column indices must be in [0, {shape[1]}) for shape {shape}")
        dense = np.zeros(shape, dt)
        row_of = np.repeat(np.arange(rows), np.diff(indptr))
        np.add.at(dense, (row_of, indices.astype(np.int64)), data.astype(dt))
        return as_stype(from_any(dense, ctx, dt)._t, "csr")
    if isinstance(arg1, tuple) and len(arg1) == 2:
        raise MXNetError("csr_matrix: (data, (row, col)) COO input is not supported; pass (data, indices, indptr) "
                         "or a dense array")
    dense = _dense_source(arg1, dtype, ctx)
    if dense.ndim != 2:
        raise ValueError(f"To convert to a CSR, the NDArray should be 2 Dimensional. Current shape is {dense.shape}")
    if shape is not None and tuple(shape) != dense.shape:
        raise MXNetError(f"csr_matrix: shape {tuple(shape)} does not match the source's shape {dense.shape}")
    return as_stype(dense._t, "csr")


def row_sparse_array(arg1: Any, shape: Optional[Sequence[int]] = None, ctx: Optional[Context] = None,
                     dtype: Any = None) -> RowSparseNDArray:
    """A :class:`RowSparseNDArray` from a dense array, a RowSparseNDArray, a shape (zeros) or
    ``(data, indices)`` (rows ``indices`` hold ``data``) with ``shape``."""
    if isinstance(arg1, tuple) and arg1 and all(isinstance(d, (int, np.integer)) for d in arg1):
        return zeros("row_sparse", arg1, ctx, dtype)
    if isinstance(arg1, tuple) and len(arg1) == 2:
        data, indices = _host(arg1[0]), _host(arg1[1]).astype(np.int64)
        dt = np.dtype(dtype) if dtype is not None else (
            arg1[0].dtype if isinstance(arg1[0], (NDArray, np.ndarray)) else np.float32)
        data = data.astype(dt)
        if shape is None:
            shape = (int(indices.max()) + 1 if indices.size else 0,) + data.shape[1:]
        shape = _shape2(shape, "row_sparse_array")
        if data.shape[:1] != indices.shape or data.shape[1:] != shape[1:]:
            raise MXNetError(f"row_sparse_array: data of shape {data.shape} and indices of shape {indices.shape} "
                             f"do not describe rows of an array of shape {shape}")
        if indices.size and (indices.min() < 0 or indices.max() >= shape[0]):
            raise MXNetError(f"row_sparse_array: row indices must be in [0, {shape[0]}) for shape {shape}")
        dense = np.zeros(shape, dt)
        dense[indices] = data
        return as_stype(from_any(dense, ctx, dt)._t, "row_sparse")
    dense = _dense_source(arg1, dtype, ctx)
    if shape is not None and tuple(shape) != dense.shape:
        raise MXNetError(f"row_sparse_array: shape {tuple(shape)} does not match the source's shape {dense.shape}")
    return as_stype(dense._t, "row_sparse")


def zeros(stype: str, shape: Any, ctx: Optional[Context] = None, dtype: Any = None, **kwargs: Any) -> NDArray:
    """Zeros of ``shape`` with storage type ``stype`` ('default', 'csr' or 'row_sparse')."""
    shape = _shape2(shape, "zeros")
    if stype not in ("default", "csr", "row_sparse"):
        raise ValueError(f"unknown storage type {stype}")
    if stype == "csr" and len(shape) != 2:
        raise ValueError(f"To convert to a CSR, the NDArray should be 2 Dimensional. Current shape is {shape}")
    c = _ctx(ctx)
    t = unidl.zeros(shape, dtype=np.dtype(dtype or "float32"), device=c.unidl_device)
    return placed(as_stype(t, stype), c)


def empty(stype: str, shape: Any, ctx: Optional[Context] = None, dtype: Any = None) -> NDArray:
    """Like :func:`zeros` (a sparse array starts with no entries)."""
    if stype not in ("csr", "row_sparse"):
        raise MXNetError(f"unknown stype : {stype}")
    return zeros(stype, shape, ctx, dtype)


def array(source_array: Any, ctx: Optional[Context] = None, dtype: Any = None) -> NDArray:
    """A sparse array from a CSRNDArray, RowSparseNDArray or ``scipy.sparse`` CSR matrix."""
    if isinstance(source_array, BaseSparseNDArray):
        res = from_any(source_array, ctx or source_array.context, dtype)
        return as_stype(res._t, source_array.stype)
    try:
        import scipy.sparse as sps

        if sps.issparse(source_array):
            return csr_matrix(source_array, ctx=ctx, dtype=dtype)
    except ImportError:  # pragma: no cover
        pass
    raise ValueError(f"Please use mx.nd.array to create an NDArray with source_array of type {type(source_array)}")


def cast_storage(data: NDArray, stype: str, **kwargs: Any) -> NDArray:
    """A copy of ``data`` with storage type ``stype``."""
    return to_stype(data, stype)


def retain(data: NDArray, indices: Any, **kwargs: Any) -> RowSparseNDArray:
    """A row-sparse copy of ``data`` keeping only rows ``indices`` (the other rows become zero)."""
    if data.stype != "row_sparse":
        raise MXNetError(f"retain: expected a RowSparseNDArray, got storage type {data.stype}")
    rows = _host(indices).astype(np.int64).reshape(-1)
    if rows.size and (rows.min() < 0 or rows.max() >= data.shape[0]):
        raise MXNetError(f"retain: row indices must be in [0, {data.shape[0]}) for shape {data.shape}")
    mask = np.zeros((data.shape[0],) + (1,) * (data.ndim - 1), dtype=data._t.dtype)
    mask[rows] = 1
    m = Tensor._from_any(mask, data._t.device)
    return as_stype(ops.multiply(data._t, m), "row_sparse")


def _binary(name: str) -> Any:
    def op(lhs: Any, rhs: Any) -> NDArray:
        from . import ops as nd_ops

        fn = {"add": NDArray.__add__, "subtract": NDArray.__sub__, "multiply": NDArray.__mul__,
              "divide": NDArray.__truediv__}[name]
        if isinstance(lhs, BaseSparseNDArray):
            return getattr(lhs, {"add": "__add__", "subtract": "__sub__", "multiply": "__mul__",
                                 "divide": "__truediv__"}[name])(rhs)
        if isinstance(rhs, BaseSparseNDArray) and isinstance(lhs, NDArray):
            return fn(lhs, wrap(rhs._t))
        return getattr(nd_ops, name)(lhs, rhs)

    op.__name__ = name
    op.__doc__ = f"Elementwise ``{name}``; keeps the storage type where MXNet's sparse kernels do."
    return op


add, subtract, multiply, divide = (_binary(n) for n in ("add", "subtract", "multiply", "divide"))


def __getattr__(name: str) -> Any:
    # every other mx.nd operator works on sparse arrays too (dense underneath): mx.nd.sparse.dot, ...
    from .. import ndarray as _nd

    if not name.startswith("_") and hasattr(_nd, name):
        return getattr(_nd, name)
    raise AttributeError(f"module 'mxnet.ndarray.sparse' (unidl_mxnet) has no attribute {name!r}")

