"""``mx.nd.NDArray``: MXNet 1.x's array on a unidl Tensor.

The NDArray owns API semantics only — MXNet's names, defaults, (1,)-shaped scalars, float 0/1 results of
comparisons, same-dtype operands, in-place operators, its ``reshape`` special values and printing. Every
computation is a :mod:`unidl.ops` call on the wrapped tensor.
"""
from __future__ import annotations

import math
import weakref
from typing import Any, List, Optional, Sequence, Tuple

import numpy as np

import unidl
from unidl import ops
from unidl.autograd import STATE as _AG_STATE
from unidl.capture import produce as _produce
from unidl.tensor import Tensor

from ..base import MXNetError
from ..context import Context, context_of, current_context

_new = object.__new__

#: MXNet's storage-type ids; unidl arrays are always "default" (dense)
_STORAGE_TYPE_STR_TO_ID = {"undefined": -1, "default": 0, "row_sparse": 1, "csr": 2}
_STORAGE_TYPE_ID_TO_STR = {v: k for k, v in _STORAGE_TYPE_STR_TO_ID.items()}
py_slice = slice  # MXNet's modules shadow ``slice`` with an operator and keep Python's as ``py_slice``


class _TensorTable:
    """Facts about tensors, keyed weakly by identity (``weakref.WeakKeyDictionary`` cannot hold tensors: it
    compares keys with ``==``, which is elementwise for a Tensor). An entry goes when its tensor does."""

    __slots__ = ("_d",)

    def __init__(self) -> None:
        self._d: dict = {}

    def __bool__(self) -> bool:
        return bool(self._d)

    def get(self, t: Any, default: Any = None) -> Any:
        e = self._d.get(id(t))
        return default if e is None or e[0]() is not t else e[1]

    def __setitem__(self, t: Any, value: Any) -> None:
        d, k = self._d, id(t)

        def gone(ref: Any) -> None:
            if d.get(k, (None,))[0] is ref:
                del d[k]

        d[k] = (weakref.ref(t, gone), value)

    def pop(self, t: Any, default: Any = None) -> Any:
        e = self._d.get(id(t))
        if e is None or e[0]() is not t:
            return default
        del self._d[id(t)]
        return e[1]


# Facts about a tensor that its NDArray wrappers cannot hold (a wrapper is made fresh for every op result, and
# several wrappers may share one tensor). Each table holds only the tensors that have the fact, so the common
# case costs one truth test of an empty dict.
_GRAD_STYPE = _TensorTable()  # variable -> its gradient's stype
_STALE_GRAD = _TensorTable()  # variable -> its .grad when it was marked stale (None: marked fresh)
_CTX = _TensorTable()  # tensor -> the cpu(i) / cpu_shared(i) / cpu_pinned(i) it was created on
#: stype -> NDArray subclass (CSRNDArray, RowSparseNDArray), filled in by :mod:`.sparse`
SPARSE_CLASSES: dict = {}


class ReshapeError(MXNetError, ValueError):
    """A reshape to an incompatible shape (MXNet raises it as a ValueError)."""


class NDArray:
    """An n-dimensional array with MXNet 1.x semantics (wraps one :class:`unidl.Tensor`)."""

    __slots__ = ("_t", "__weakref__")
    __array_priority__ = 1000.0  # NumPy defers ``np_array + nd`` to us

    def __init__(self, tensor: Tensor):
        if not isinstance(tensor, Tensor):
            raise MXNetError(f"NDArray wraps a unidl Tensor; use mx.nd.array(...) for {type(tensor).__name__}")
        self._t = tensor

    # -- facts ----------------------------------------------------------------------------------
    @property
    def shape(self) -> Tuple[int, ...]:
        return self._t.shape

    @property
    def dtype(self) -> type:
        """The NumPy scalar type (``numpy.float32``), as MXNet reports it."""
        return self._t.dtype.type

    @property
    def size(self) -> int:
        return self._t.size

    @property
    def ndim(self) -> int:
        return self._t.ndim

    @property
    def context(self) -> Context:
        if _CTX._d:  # (the dict itself: no Python-level __bool__ call on this hot property)
            c = _CTX.get(self._t)
            if c is not None:
                return c
        return context_of(self._t.device)

    ctx = context

    @property
    def stype(self) -> str:
        """The storage type: 'default' (dense); 'csr' / 'row_sparse' for the sparse subclasses."""
        return "default"

    def tostype(self, stype: str) -> "NDArray":
        """A copy with storage type ``stype`` ('default', 'csr' (2-d only) or 'row_sparse'); the values are
        kept dense underneath, the sparse views (``.data``, ``.indices``, ``.indptr``) are derived from them."""
        return to_stype(self, stype)

    @property
    def T(self) -> "NDArray":
        return wrap(ops.transpose(self._t))

    @property
    def tensor(self) -> Tensor:
        """The unidl Tensor behind this array (shared, not copied)."""
        return self._t

    def __len__(self) -> int:
        return self.shape[0]

    def __iter__(self):
        return (self[i] for i in range(self.shape[0]))

    # -- host, copies, contexts ----------------------------------------------------------------
    def asnumpy(self) -> np.ndarray:
        """A NumPy copy of the values."""
        return np.array(self._t.numpy(), copy=True, order="C")

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        # lets NumPy functions read an NDArray (``np.all(x == 1)``) instead of recursing into it as a sequence
        a = self.asnumpy()
        return a if dtype is None else a.astype(dtype)

    def to_dlpack_for_read(self) -> Any:
        """A DLPack capsule sharing this array's memory (for reading)."""
        return to_dlpack_for_read(self)

    def to_dlpack_for_write(self) -> Any:
        """A DLPack capsule sharing this array's memory (writes through it show up here)."""
        return to_dlpack_for_write(self)

    def asscalar(self) -> Any:
        """The value of a one-element array as a NumPy scalar."""
        if self.shape != (1,) and self.size != 1:
            raise ValueError("The current array is not a scalar")
        return self.asnumpy().reshape(())[()]

    def tolist(self) -> list:
        return self.asnumpy().tolist()

    def astype(self, dtype: Any, copy: bool = True) -> "NDArray":
        """This array cast to ``dtype`` (itself if already that dtype and ``copy`` is False)."""
        dt = np.dtype(dtype)
        if not copy and dt == self._t.dtype:
            return self
        if dt == self._t.dtype:
            return self.copy()
        return wrap(ops.astype(self._t, dt))

    def copy(self) -> "NDArray":
        """A deep copy on the same context (outside the autograd graph, as MXNet's copy)."""
        return wrap(Tensor._from_any(self._t.data.copy(), self._t.device))

    def copyto(self, other: Any) -> "NDArray":
        """Copy into ``other`` (an NDArray, written in place and returned) or onto a Context."""
        if isinstance(other, NDArray):
            if other.shape != self.shape:
                raise MXNetError(f"copyto: shape mismatch, source {self.shape} vs target {other.shape}")
            if other is self:
                return other
            src = ops.to_device(self._t, other._t.device)
            if src.dtype != other._t.dtype:
                src = ops.astype(src, other._t.dtype)
            ops.setitem(other._t, Ellipsis, src)
            return other
        if isinstance(other, Context):
            dev = other.unidl_device
            moved = ops.to_device(self._t.detach(), dev)
            return placed(wrap(Tensor._from_any(moved.data.copy() if moved.data is self._t.data else moved.data,
                                                dev)), other)
        raise TypeError(f"copyto does not support type {type(other).__name__}")

    def as_np_ndarray(self) -> Any:
        """The same data as an ``mx.np.ndarray`` (shared, no copy)."""
        from ..numpy.multiarray import as_np

        return as_np(self)

    def as_nd_ndarray(self) -> "NDArray":
        """Itself: already a legacy ``mx.nd.NDArray``."""
        return self

    def as_in_context(self, context: Context) -> "NDArray":
        """This array on ``context`` (itself when already there); differentiable."""
        if self.context == context:
            return self
        dev = context.unidl_device
        if dev is self._t.device:  # cpu(0) -> cpu(1): one host, but MXNet gives a new array on the new context
            return placed(wrap(ops.add(self._t, self._t.dtype.type(0))), context)
        return placed(wrap(ops.to_device(self._t, dev)), context)

    as_in_ctx = as_in_context

    def wait_to_read(self) -> None:
        """Wait until pending writes are done (synchronises the device)."""
        self._t.device.synchronize()

    def wait_to_write(self) -> None:
        self._t.device.synchronize()

    # -- autograd --------------------------------------------------------------------------------
    def attach_grad(self, grad_req: str = "write", stype: Optional[str] = None) -> None:
        """Allocate a zero gradient and mark this array as a variable for autograd. ``stype``: the storage type
        of the gradient (default: this array's)."""
        if grad_req not in ("write", "add", "null"):
            raise MXNetError(f"grad_req must be 'write', 'add' or 'null', got {grad_req!r}")
        if stype is not None and stype not in _STORAGE_TYPE_STR_TO_ID or stype == "undefined":
            raise MXNetError(f"attach_grad: unknown stype {stype!r}; expected 'default', 'row_sparse' or 'csr'")
        gstype = stype or self.stype
        if gstype == "csr" and self.ndim != 2:
            raise MXNetError(f"attach_grad: a csr gradient needs a 2-d array, got shape {self.shape}")
        # MXNet lets integer arrays have gradients (of their own dtype)
        self._t.attach_grad(grad_req, any_dtype=True)
        if gstype != "default":
            _GRAD_STYPE[self._t] = gstype
        elif _GRAD_STYPE._d:
            _GRAD_STYPE.pop(self._t, None)
        _STALE_GRAD[self._t] = self._t.grad

    @property
    def grad(self) -> Optional["NDArray"]:
        """The gradient written by the last backward (None before ``attach_grad``)."""
        g = self._t.grad
        if g is None:
            return None
        if _GRAD_STYPE._d:
            st = _GRAD_STYPE.get(self._t)
            if st is not None:
                return as_stype(g, st)
        return wrap(g)

    @property
    def _fresh_grad(self) -> bool:
        """Whether a backward wrote this variable's gradient since it was last marked stale
        (``x._fresh_grad = False``; ``attach_grad`` / ``mark_variables`` start it stale)."""
        t = self._t
        if t.grad is None:
            return False
        return _STALE_GRAD.get(t, t.grad) is not t.grad

    @_fresh_grad.setter
    def _fresh_grad(self, state: bool) -> None:
        _STALE_GRAD[self._t] = None if state else self._t.grad

    def detach(self) -> "NDArray":
        """The same values outside the autograd graph."""
        return wrap(self._t.detach())

    def backward(self, out_grad: Optional["NDArray"] = None, retain_graph: bool = False,
                 train_mode: bool = True) -> None:
        """Backpropagate from this array (``out_grad`` defaults to ones)."""
        from .. import autograd

        autograd.backward(self, out_grad, retain_graph=retain_graph, train_mode=train_mode)

    # -- printing ----------------------------------------------------------------------------------
    def __repr__(self) -> str:
        shape = "x".join(str(d) for d in self.shape)
        return f"\n{self.asnumpy()}\n<NDArray {shape} @{self.context}>"

    def __bool__(self) -> bool:
        if self.size == 1:
            return bool(self.asnumpy().reshape(()))
        if self.size == 0:
            return False
        raise ValueError("The truth value of an NDArray with multiple elements is ambiguous.")

    def __float__(self) -> float:
        return float(self.asscalar())

    def __int__(self) -> int:
        return int(self.asscalar())

    __hash__ = object.__hash__

    # -- reshape with MXNet's special values ----------------------------------------------------
    def reshape(self, *shape: Any, **kwargs: Any) -> "NDArray":
        """Reshape; ``shape`` may use MXNet's special values 0, -1, -2, -3, -4 (``reverse=True`` reads
        them right to left)."""
        reverse = bool(kwargs.pop("reverse", False))
        if "shape" in kwargs:
            shape = (kwargs.pop("shape"),)
        if kwargs:
            raise TypeError(f"reshape: unexpected arguments {sorted(kwargs)}")
        if len(shape) == 1 and isinstance(shape[0], (list, tuple)):
            shape = tuple(shape[0])
        return wrap(ops.reshape(self._t, infer_reshape(self.shape, shape, reverse)))

    def reshape_like(self, other: "NDArray") -> "NDArray":
        return wrap(ops.reshape(self._t, other.shape))

    # -- shape changes: a copy, or with inplace=True a view sharing this array's memory -------------
    def expand_dims(self, axis: int, inplace: bool = False) -> "NDArray":
        """A new axis of size 1 at ``axis``."""
        nd = self.ndim
        if not -nd - 1 <= axis <= nd:
            raise MXNetError(f"expand_dims: axis {axis} is out of range for an array of shape {self.shape}; "
                             f"expected an int in [{-nd - 1}, {nd}]")
        a = axis % (nd + 1)
        return self._shaped(self.shape[:a] + (1,) + self.shape[a:], inplace)

    def squeeze(self, axis: Any = None, inplace: bool = False) -> "NDArray":
        """Drop the size-1 axes (those in ``axis``); an all-ones shape keeps one axis, (1,)."""
        nd = self.ndim
        if axis is None:
            keep = [d for d in self.shape if d != 1]
        else:
            axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
            drop = set()
            for a in axes:
                if not -nd <= a < nd:
                    raise MXNetError(f"squeeze: axis {a} is out of range for an array of shape {self.shape}")
                if self.shape[a] != 1:
                    raise MXNetError(f"squeeze: cannot select an axis to squeeze out which has size not equal to "
                                     f"one (axis {a} of shape {self.shape})")
                drop.add(a % nd)
            keep = [d for i, d in enumerate(self.shape) if i not in drop]
        return self._shaped(tuple(keep) or (1,), inplace)

    def flatten(self, inplace: bool = False) -> "NDArray":
        """(N, ...) -> (N, prod(...)); a 1-d array becomes (N, 1)."""
        shape = self._t.data.shape
        n = shape[0] if shape else 1
        rest = math.prod(shape[1:]) if len(shape) > 1 else 1
        return self._shaped((n, rest), inplace)

    def _shaped(self, shape: Tuple[int, ...], inplace: bool) -> "NDArray":
        t = ops.reshape(self._t, shape)
        return wrap(t) if inplace else wrap(_owned(t))

    @staticmethod
    def _basic_indexing_slice_is_contiguous(slc_key: Sequence[Any], shape: Sequence[int]) -> bool:
        """Whether basic indexing of a C-contiguous array of ``shape`` with the slices ``slc_key`` (one per axis)
        selects one contiguous block of memory (then MXNet's result is a view; otherwise a copy)."""
        shape = tuple(int(d) for d in shape)
        if len(slc_key) != len(shape):
            raise MXNetError(f"expected one slice per axis of shape {shape}, got {len(slc_key)}")
        strides = tuple(int(np.prod(shape[i + 1:], dtype=np.int64)) for i in range(len(shape)))
        probe = np.lib.stride_tricks.as_strided(np.zeros(1, np.int8), shape=shape, strides=strides)
        return bool(probe[tuple(slc_key)].flags.c_contiguous)

    # -- indexing ---------------------------------------------------------------------------------
    def __getitem__(self, key: Any) -> "NDArray":
        t = ops.getitem(self._t, _unwrap_key(key))
        d = t.data
        if d.base is not None and not d.flags.c_contiguous:
            # MXNet shares memory only when the selected region is contiguous (x[1], x[1:3], x[1, 2:4]);
            # x[:, 1], x[1:, 1:3] or x[::2] are copies, so later writes to x must not show through
            t = ops.multiply(t, 1)
        return wrap(t)

    def __setitem__(self, key: Any, value: Any) -> None:
        if isinstance(value, NDArray):
            value = value._t
        elif not isinstance(value, (int, float, bool, np.generic)):
            value = Tensor._from_any(np.asarray(value, dtype=self._t.dtype), self._t.device)
        if _AG_STATE.recording:
            if self._t.requires_grad:
                raise MXNetError(
                    "Assigning to NDArrays that are already in a computational graph will cause undefined behavior "
                    "when evaluating gradients. Please call backward first to clear the graph or do this out side "
                    f"of a record section (array of shape {self.shape}, key {key!r}).")
            if isinstance(value, Tensor) and value.requires_grad:
                raise MXNetError("Inplace operations (+=, -=, x[:]=, etc) are not supported when recording with "
                                 f"autograd (array of shape {self.shape}, key {key!r}).")
        k = _unwrap_key(key)
        try:
            ops.setitem(self._t, k, value)
        except unidl.UnidlError:
            # MXNet also takes a value with extra leading size-1 axes (``x[0] = np.array([v])``)
            if not isinstance(value, Tensor) or not value.ndim or value.shape[0] != 1:
                raise
            while value.ndim and value.shape[0] == 1:
                value = ops.reshape(value, value.shape[1:])
                try:
                    ops.setitem(self._t, k, value)
                    return
                except unidl.UnidlError:
                    continue
            raise


def wrap(t: Tensor) -> NDArray:
    """An NDArray around ``t``; a 0-d result becomes shape (1,) as MXNet 1.x has no 0-d arrays."""
    if t.data.ndim == 0:
        t = ops.reshape(t, (1,))
    a = _new(NDArray)
    a._t = t
    return a


def _owned(t: Tensor) -> Tensor:
    """``t`` with memory of its own: an op result that NumPy made a view of its input (reshape, transpose,
    ...) is copied, as MXNet's operators never alias their inputs (later in-place writes to the input must
    not show through). The autograd node is kept. The copy keeps the view's memory order (``order="K"``):
    a transposed result stays laid out as the view was, so the kernels that consume it see the same strides
    as in the Keras face, whose transposes are views (the twins' kernel calls stay identical)."""
    if getattr(t.data, "base", None) is not None:
        t.data = _produce(_copy_keeping_order, t.data)  # (written down when a hybridized call is captured)
    return t


def _copy_keeping_order(a: Any) -> Any:
    return a.copy(order="K")


def placed(a: NDArray, ctx: Optional[Context]) -> NDArray:
    """``a`` (fresh) reporting ``ctx`` as its context: MXNet's cpu(i), cpu_shared(i) and cpu_pinned(i) are all
    the one host CPU here, but an array remembers which one it was created on."""
    if ctx is not None and ctx.device_type != "gpu" and (ctx.device_type != "cpu" or ctx.device_id):
        _CTX[a._t] = ctx
    return a


def as_stype(t: Tensor, stype: str) -> NDArray:
    """An NDArray of storage type ``stype`` around ``t`` (shared, no copy; no check)."""
    if stype == "default":
        return wrap(t)
    if not SPARSE_CLASSES:
        from . import sparse  # noqa: F401  (registers the sparse classes)
    a = _new(SPARSE_CLASSES[stype])
    a._t = t
    return a


def to_stype(data: NDArray, stype: str) -> NDArray:
    """``cast_storage``: a copy of ``data`` with storage type ``stype`` (values stay dense underneath)."""
    if stype not in ("default", "csr", "row_sparse"):
        raise MXNetError(f"Invalid Input: {stype!r}, valid values are: {{'csr', 'default', 'row_sparse'}}, in "
                         f"operator cast_storage (array of shape {data.shape})")
    src = data.stype
    if {src, stype} == {"csr", "row_sparse"}:
        raise ValueError(f"cast_storage from {src} to {stype} is not supported")
    if stype == "csr" and data.ndim != 2:
        raise ValueError(f"To convert to a CSR, the NDArray should be 2 Dimensional. Current shape is {data.shape}")
    return as_stype(ops.add(data._t, data._t.dtype.type(0)), stype)


def to_dlpack_for_read(data: NDArray) -> Any:
    """A DLPack capsule sharing ``data``'s memory."""
    return data._t.data.__dlpack__()


to_dlpack_for_write = to_dlpack_for_read


class _Capsule:
    """Hands a bare DLPack capsule (what ``to_dlpack_for_*`` return, as MXNet's do) to ``from_dlpack``."""

    def __init__(self, capsule: Any, device: Tuple[int, int]) -> None:
        self._capsule, self._device = capsule, device

    def __dlpack__(self, *args: Any, **kwargs: Any) -> Any:
        return self._capsule

    def __dlpack_device__(self) -> Tuple[int, int]:
        return self._device


def from_dlpack(dlpack: Any) -> NDArray:
    """An NDArray sharing the memory of a DLPack capsule or of any object with ``__dlpack__``."""
    import unidl as _u

    if type(dlpack).__name__ == "PyCapsule":
        # a bare capsule carries its device inside; the host is the only one a capsule of ours can be on
        dev = _u.device("cpu")
        try:
            host = np.from_dlpack(_Capsule(dlpack, (1, 0)))
        except (RuntimeError, BufferError, TypeError):
            import cupy  # a GPU capsule

            dev = _u.device("cuda", cupy.cuda.runtime.getDevice())
            return wrap(Tensor._from_any(cupy.from_dlpack(_Capsule(dlpack, (2, dev.index))), dev))
        return wrap(Tensor._from_any(host, dev))
    kind, index = dlpack.__dlpack_device__()
    dev = _u.device("cpu") if int(kind) == 1 else _u.device("cuda", int(index))
    return wrap(Tensor._from_any(dev.xp.from_dlpack(dlpack), dev))


def _index_tensor(k: "NDArray") -> Tensor:
    # MXNet's legacy arrays default to float32, so ``x[nd.array([1, 0])]`` indexes with float values:
    # MXNet reads them as integer positions
    t = k._t
    return ops.astype(t, np.int64) if t.dtype.kind == "f" else t


def _unwrap_key(key: Any) -> Any:
    if isinstance(key, NDArray):
        return _index_tensor(key)
    if isinstance(key, tuple):
        return tuple(_index_tensor(k) if isinstance(k, NDArray) else k for k in key)
    return key


def infer_reshape(src: Sequence[int], spec: Sequence[int], reverse: bool = False) -> Tuple[int, ...]:
    """The target shape of MXNet's ``reshape(shape=spec)`` for an input of shape ``src``.

    0 copies a dim, -1 infers one dim, -2 copies all remaining dims, -3 merges two consecutive dims,
    -4 splits one dim into the next two values (one of them may be -1).
    """
    src = tuple(src)
    spec = tuple(int(s) for s in spec)
    if reverse:
        src, spec = src[::-1], spec[::-1]
        # -4 takes the two values that follow it; reversed, they precede it
        fixed: List[int] = []
        i = 0
        while i < len(spec):
            if i + 2 < len(spec) and spec[i + 2] == -4:
                fixed += [-4, spec[i + 1], spec[i]]
                i += 3
            else:
                fixed.append(spec[i])
                i += 1
        spec = tuple(fixed)
    out: List[int] = []
    i = j = 0  # i over spec, j over src
    infer_at = -1
    while i < len(spec):
        s = spec[i]
        if s == 0:
            _need(j < len(src), src, spec, "0 has no input dim left to copy")
            out.append(src[j])
            j += 1
        elif s == -1:
            _need(infer_at < 0, src, spec, "more than one -1")
            infer_at = len(out)
            out.append(-1)
            j += 1
        elif s == -2:
            out.extend(src[j:])
            j = len(src)
        elif s == -3:
            _need(j + 1 < len(src), src, spec, "-3 needs two input dims")
            out.append(src[j] * src[j + 1])
            j += 2
        elif s == -4:
            _need(i + 2 < len(spec) and j < len(src), src, spec, "-4 needs two values after it")
            d, a, b = src[j], spec[i + 1], spec[i + 2]
            _need(not (a == -1 and b == -1), src, spec, "-4 split with two -1")
            a = d // b if a == -1 else a
            b = d // a if b == -1 else b
            _need(a * b == d, src, spec, f"-4 split {d} into {a} x {b}")
            out += [a, b]
            i += 2
            j += 1
        elif s > 0:
            out.append(s)
            j += 1
        else:
            _need(False, src, spec, f"unknown special value {s}")
        i += 1
    if infer_at >= 0:
        total = int(np.prod(src)) if src else 1
        known = int(np.prod([d for k, d in enumerate(out) if k != infer_at])) if len(out) > 1 else 1
        _need(known > 0 and total % known == 0, src, spec, "cannot infer the -1 dim")
        out[infer_at] = total // known
    result = tuple(out[::-1]) if reverse else tuple(out)
    _need(int(np.prod(result)) == int(np.prod(src if not reverse else src[::-1])), src, spec,
          f"target shape {result} has a different size")
    return result


def _need(ok: bool, src: Sequence[int], spec: Sequence[int], why: str) -> None:
    if not ok:
        raise ReshapeError(f"reshape: cannot reshape array of shape {tuple(src)} into shape {tuple(spec)}: {why}")


def from_any(source: Any, ctx: Optional[Context] = None, dtype: Any = None) -> NDArray:
    """``mx.nd.array``: float32 unless ``dtype`` is given or ``source`` is an NDArray (its dtype)."""
    ctx = ctx or current_context()
    if isinstance(source, NDArray):
        dt = np.dtype(dtype) if dtype is not None else source._t.dtype
        host = source.asnumpy().astype(dt)
    else:
        dt = np.dtype(dtype) if dtype is not None else np.float32
        host = np.array(source, dtype=dt)
    a = _new(NDArray)  # a 0-d source stays 0-d, as in MXNet (only op results become (1,))
    a._t = Tensor._from_any(host, ctx.unidl_device)
    return placed(a, ctx)


__all__ = ["NDArray", "wrap", "infer_reshape", "from_any", "unidl", "placed", "as_stype", "to_stype",
           "to_dlpack_for_read", "to_dlpack_for_write", "from_dlpack"]
