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
from unidl.autograd import STATE, Node
from unidl.errors import OpError
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


def _root(d: Any) -> Any:
    while getattr(d, "base", None) is not None:
        d = d.base
    return d


def _own(t: Tensor, src: Tensor) -> Tensor:
    """``t`` (the result of a shape op on ``src``) in memory of its own: MXNet's ``mx.np`` operators write
    new arrays (only basic indexing of a contiguous region, ``detach`` and ``as_nd_ndarray`` share), so a
    later write to the result must not show through in ``src``. Differentiable."""
    if t is src or (getattr(t.data, "base", None) is not None and _root(t.data) is _root(src.data)):
        return ops.multiply(t, t.dtype.type(1))
    return t


def _index_error(e: OpError) -> Exception:
    """The IndexError behind an indexing OpError (out of range, bad mask), as NumPy and MXNet raise it."""
    c = e
    while c is not None:
        if isinstance(c, IndexError):
            return IndexError(str(e))
        c = c.__cause__
    return e


def _covers_all(key: Any, shape: Tuple[int, ...]) -> bool:
    """Whether basic ``key`` selects the whole array in order (``()``, ``...``, ``:``, full slices), where
    MXNet assigns by copying the value over the array rather than by an in-place slice assignment."""
    key = key if isinstance(key, tuple) else (key,)
    ks = []
    for k in key:
        if k is None:
            continue
        if isinstance(k, bool) or not (k is Ellipsis or isinstance(k, (slice, int, _onp.integer))):
            return False
        ks.append(k)
    n_ell = sum(1 for k in ks if k is Ellipsis)
    if n_ell > 1 or len(ks) - n_ell > len(shape):
        return False
    if n_ell:
        i = ks.index(Ellipsis)
        ks[i:i + 1] = [slice(None)] * (len(shape) - len(ks) + 1)
    ks += [slice(None)] * (len(shape) - len(ks))
    for k, d in zip(ks, shape):
        if isinstance(k, slice):
            start, stop, step = k.indices(d)
            if step <= 0 or len(range(start, stop, step)) != d:
                return False
        elif d != 1:
            return False
    return True


_ASSIGN_IN_GRAPH = ("Assigning to NDArrays that are already in a computational graph will cause undefined behavior "
                    "when evaluating gradients. Please call backward first to clear the graph or do this out side "
                    "of a record section. Also note that you cannot use inplace operations like +=, *=, "
                    "relu(x, out=x), y[idx]=x, etc inside a record section.")
_INPLACE_RECORDING = "Inplace operations (+=, -=, x[:]=, etc) are not supported when recording with autograd."


def _copy_grad(node: Any, out: Tensor, g: Tensor) -> tuple:
    src = node.parents[0]
    g = ops.getitem(g, node.saved)
    if g.ndim < src.ndim:  # value with extra leading 1-dims
        g = ops.reshape(g, (1,) * (src.ndim - g.ndim) + g.shape)
    g = ops.unbroadcast(g, src.shape)
    return (g if g.dtype == src.dtype else ops.astype(g, src.dtype),)


def write_result(dst: "ndarray", res: Tensor, dst_is_input: bool) -> None:
    """Write ``res`` over all of ``dst`` (``out=`` arguments, in-place operators, whole-array assignment).

    While recording, as MXNet: ``dst`` already in the graph is an error; a ``res`` in the graph makes ``dst``
    its copy in the graph, unless ``dst`` was also an input of the op (an in-place op), which is an error.
    """
    t = dst._t
    if STATE.recording and (t.requires_grad or res.requires_grad):
        if t.requires_grad:
            raise MXNetError(_ASSIGN_IN_GRAPH)
        if dst_is_input:
            raise MXNetError(_INPLACE_RECORDING)
        ops.setitem(t, Ellipsis, res.detach())
        t._node = Node("copyto", (res,), _copy_grad, Ellipsis)
        t.requires_grad = True
        return
    ops.setitem(t, Ellipsis, res)


def _index(k: Any) -> Any:
    # MXNet takes float index arrays (``np.array([0, 1])`` is float32 there) and truncates them
    if isinstance(k, NDArray):
        t = k._t
        return ops.astype(t, _onp.int64) if t.dtype.kind == "f" else t
    return k


def _key(key: Any) -> Any:
    if isinstance(key, NDArray):
        return _index(key)
    if isinstance(key, bool):  # a 0-d mask, not the integer 0 or 1
        return _onp.array(key)
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
        """The transpose (a new array, as MXNet)."""
        return _wrap(_own(ops.transpose(self._t), self._t))

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

    def astype(self, dtype: Any, order: str = "K", casting: str = "unsafe", subok: bool = True,
               copy: bool = True) -> "ndarray":
        """This array cast to ``dtype`` (a copy unless ``copy`` is False and the dtype already matches);
        ``order`` only 'K' or 'C', ``casting`` only 'unsafe', ``subok`` only True (as MXNet)."""
        if order is not None and order not in ("K", "C"):
            raise ValueError("order must be either 'K' or 'C'")
        if casting != "unsafe":
            raise ValueError("casting must be equal to 'unsafe'")
        if not subok:
            raise ValueError("subok must be equal to True")
        dt = _onp.dtype(dtype)
        if dt == self._t.dtype:
            return self.copy() if copy else self
        return _wrap(ops.astype(self._t, dt))

    def copy(self, order: str = "C") -> "ndarray":
        """A copy on the same context (outside the autograd graph); only ``order='C'``."""
        if order != "C":
            raise NotImplementedError(f"ndarray.copy only supports order='C', while received {order}")
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
    def attach_grad(self, grad_req: str = "write", stype: Optional[str] = None) -> None:
        """Allocate a zero gradient (of this array's dtype, integer ones too, as MXNet) and mark this array
        as a variable for autograd."""
        if grad_req not in ("write", "add", "null"):
            raise MXNetError(f"grad_req must be 'write', 'add' or 'null', got {grad_req!r}")
        self._t.attach_grad(grad_req, any_dtype=True)

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

    def __format__(self, fmt: str) -> str:
        """A 0-d array formats as its value; others only with an empty spec (as ``str``)."""
        if self._t.ndim == 0:
            return self.item().__format__(fmt)
        if not fmt:
            return str(self)
        raise TypeError("Cannot format mxnet.numpy.ndarray with format_spec")

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
        return _wrap(_own(ops.reshape(self._t, np_reshape_shape(self.shape, shape)), self._t))

    def reshape_like(self, other: NDArray) -> "ndarray":
        return _wrap(_own(ops.reshape(self._t, other.shape), self._t))

    # -- indexing -------------------------------------------------------------------------------------
    def __getitem__(self, key: Any) -> "ndarray":
        """NumPy indexing. As MXNet, basic indexing of a contiguous region (``x[1]``, ``x[1:3]``, ``x[...]``)
        shares memory with ``x``; any other result (``x[:, 1]``, ``x[::2]``, index arrays, masks) is a copy."""
        src = self._t
        ints = key if isinstance(key, tuple) else (key,)
        if src.ndim and len(ints) == src.ndim and all(type(k) is int for k in ints):
            # one element: a 0-d view of it (NumPy would hand out a scalar copy)
            for ax, (k, d) in enumerate(zip(ints, src.shape)):
                if not -d <= k < d:
                    raise IndexError(f"index {k} is out of bounds for axis {ax} with size {d}")
            key = tuple(slice(k, k + 1 if k != -1 else None) for k in ints)
            return _wrap(ops.reshape(ops.getitem(src, key), ()))
        try:
            t = ops.getitem(src, _key(key))
        except OpError as e:
            raise _index_error(e) from None
        d = t.data
        if getattr(d, "base", None) is not None and not d.flags.c_contiguous:
            t = ops.multiply(t, t.dtype.type(1))
        return _wrap(t)

    def __setitem__(self, key: Any, value: Any) -> None:
        """``x[key] = value``: the value broadcast (extra leading 1-dims dropped, as MXNet) and cast to x's
        dtype. While recording, assigning an array in the graph over the whole of ``x`` makes ``x`` its copy
        in the graph; a partial assignment of it, or any assignment to an ``x`` in the graph, is an error
        (as MXNet)."""
        t = self._t
        src = value._t if isinstance(value, NDArray) else None
        if STATE.recording and (t.requires_grad or (src is not None and src.requires_grad)):
            if t.requires_grad:
                raise MXNetError(_ASSIGN_IN_GRAPH)
            if not _covers_all(key, t.shape):
                raise MXNetError(_INPLACE_RECORDING)
            v = src.detach()
            k = _key(key)
            target = ops.getitem(t.detach(), k).shape
            if v.ndim > len(target) and all(d == 1 for d in v.shape[:v.ndim - len(target)]):
                v = ops.reshape(v, v.shape[v.ndim - len(target):])
            ops.setitem(t, k, v if v.dtype == t.dtype else ops.astype(v, t.dtype))
            t._node = Node("copyto", (src,), _copy_grad, k)
            t.requires_grad = True
            return
        if src is not None:
            value = src if src.dtype == t.dtype else ops.astype(src, t.dtype)
        elif isinstance(value, (bool, int, float, _onp.generic)):
            value = t.dtype.type(value)
        else:
            value = Tensor._from_any(_onp.asarray(value, dtype=t.dtype), t.device)
        k = _key(key)
        try:
            if not isinstance(value, Tensor) or value.ndim == 0 or value.shape[0] != 1:
                ops.setitem(t, k, value)
                return
            target = ops.getitem(t.detach(), k).shape
            if value.ndim > len(target):  # MXNet drops extra leading 1-dims of the value
                extra = value.ndim - len(target)
                if all(d == 1 for d in value.shape[:extra]):
                    value = ops.reshape(value, value.shape[extra:])
            ops.setitem(t, k, value)
        except OpError as e:
            raise _index_error(e) from None


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


__all__ = ["ndarray", "as_np", "np_reshape_shape", "write_result"]
