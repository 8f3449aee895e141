"""``mx.nd.NDArray``: MXNet 1.x's array on a unidl Tensor.

The NDArray owns API semantics only — MXNet's names, defaults, (1,)-shaped scalars, float 0/1 results of
comparisons, same-dtype operands, in-place operators, its ``reshape`` special values and printing. Every
computation is a :mod:`unidl.ops` call on the wrapped tensor.
"""
from __future__ import annotations

from typing import Any, List, Optional, Sequence, Tuple

import numpy as np

import unidl
from unidl import ops
from unidl.tensor import Tensor

from ..base import MXNetError
from ..context import Context, context_of, current_context

_new = object.__new__

#: MXNet's storage-type ids; unidl arrays are always "default" (dense)
_STORAGE_TYPE_STR_TO_ID = {"undefined": -1, "default": 0, "row_sparse": 1, "csr": 2}
_STORAGE_TYPE_ID_TO_STR = {v: k for k, v in _STORAGE_TYPE_STR_TO_ID.items()}
py_slice = slice  # MXNet's modules shadow ``slice`` with an operator and keep Python's as ``py_slice``


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
        return context_of(self._t.device)

    ctx = context

    @property
    def stype(self) -> str:
        return "default"

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
            ops.setitem(other._t, Ellipsis, src)
            return other
        if isinstance(other, Context):
            dev = other.unidl_device
            moved = ops.to_device(self._t.detach(), dev)
            return wrap(Tensor._from_any(moved.data.copy() if moved.data is self._t.data else moved.data, dev))
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
        return wrap(ops.to_device(self._t, context.unidl_device))

    as_in_ctx = as_in_context

    def wait_to_read(self) -> None:
        """Wait until pending writes are done (synchronises the device)."""
        self._t.device.synchronize()

    def wait_to_write(self) -> None:
        self._t.device.synchronize()

    # -- autograd --------------------------------------------------------------------------------
    def attach_grad(self, grad_req: str = "write", stype: Optional[str] = None) -> None:
        """Allocate a zero gradient and mark this array as a variable for autograd."""
        if grad_req not in ("write", "add", "null"):
            raise MXNetError(f"grad_req must be 'write', 'add' or 'null', got {grad_req!r}")
        if self._t.dtype.kind != "f":
            raise MXNetError(f"attach_grad: only floating-point arrays can have gradients, not {self._t.dtype}")
        self._t.attach_grad(grad_req)

    @property
    def grad(self) -> Optional["NDArray"]:
        """The gradient written by the last backward (None before ``attach_grad``)."""
        g = self._t.grad
        return None if g is None else wrap(g)

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
        ops.setitem(self._t, _unwrap_key(key), value)


def wrap(t: Tensor) -> NDArray:
    """An NDArray around ``t``; a 0-d result becomes shape (1,) as MXNet 1.x has no 0-d arrays."""
    if t.data.ndim == 0:
        t = ops.reshape(t, (1,))
    a = _new(NDArray)
    a._t = t
    return a


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
        raise MXNetError(f"reshape: cannot reshape array of shape {tuple(src)} into shape {tuple(spec)}: {why}")


def from_any(source: Any, ctx: Optional[Context] = None, dtype: Any = None) -> NDArray:
    """``mx.nd.array``: float32 unless ``dtype`` is given or ``source`` is an NDArray (its dtype)."""
    ctx = ctx or current_context()
    if isinstance(source, NDArray):
        dt = np.dtype(dtype) if dtype is not None else source._t.dtype
        return wrap(Tensor._from_any(source.asnumpy().astype(dt), ctx.unidl_device))
    dt = np.dtype(dtype) if dtype is not None else np.float32
    host = np.array(source, dtype=dt)
    return wrap(Tensor._from_any(host, ctx.unidl_device))


__all__ = ["NDArray", "wrap", "infer_reshape", "from_any", "unidl"]
