"""The Tensor: one backend array, the device it lives on, and its autograd state.

Python operators, indexing and the method forms of ops (``t.sum()``, ``t.reshape(...)``) are
installed by :mod:`unidl.ops` when it is imported, binding the op functions directly so an operator
costs no extra call.
"""
from __future__ import annotations

from typing import Any, Optional, Tuple

import numpy as np

from .devices import Device, default_device, device as _get_device
from .dtypes import as_dtype, default_float, default_int, is_floating
from .errors import GraphError, UnidlError


#: set by :mod:`unidl.capture` while a call is recorded: ``HOST_READ[0](array)`` on every host read
HOST_READ: list = [None]


class Tensor:
    """An n-dimensional array on a device, optionally tracked by autograd.

    Attributes:
        data: the backend array (``numpy.ndarray`` on cpu, ``cupy.ndarray`` on cuda, ...).
        device: the :class:`~unidl.devices.Device` holding ``data``.
        requires_grad: whether ops on this tensor are recorded inside ``autograd.record()``.
        grad: the gradient written by ``backward`` (a Tensor), or None.
        grad_req: 'write' (default), 'add' or 'null': how ``backward`` stores into ``grad``.
    """

    __slots__ = ("data", "device", "requires_grad", "grad", "grad_req", "_node", "__weakref__")

    def __init__(self, data: Any, dtype: Any = None, device: Any = None, requires_grad: bool = False):
        dev = _get_device(device) if device is not None else default_device()
        self.data = _to_backend(data, dtype, dev)
        self.device = dev
        self.requires_grad = bool(requires_grad)
        self.grad = None
        self.grad_req = "write"
        self._node = None
        if requires_grad:
            _check_grad_dtype(self)

    @classmethod
    def _from_any(cls, data: Any, device: Device, dtype: Any = None) -> "Tensor":
        """A non-grad tensor on ``device`` from any array-like (no copy when already a backend array)."""
        return wrap(_to_backend(data, dtype, device), device)

    # -- array facts -------------------------------------------------------------------------
    @property
    def dtype(self) -> np.dtype:
        return self.data.dtype

    @property
    def shape(self) -> Tuple[int, ...]:
        return self.data.shape

    @property
    def ndim(self) -> int:
        return self.data.ndim

    @property
    def size(self) -> int:
        return int(self.data.size)

    def __len__(self) -> int:
        if self.data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.data.shape[0]

    def __iter__(self):
        if self.data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self.data.shape[0]))

    # -- host and devices --------------------------------------------------------------------
    def numpy(self) -> np.ndarray:
        """The values as a NumPy array on the host (a copy when the device is not the cpu)."""
        if HOST_READ[0] is not None:  # a call is being captured (unidl.capture): note the host read
            HOST_READ[0](self.data)
        return np.asarray(self.device.kind.to_host(self.data))

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        a = self.numpy()
        return a.astype(dtype) if dtype is not None else a

    def item(self) -> Any:
        """The single value of a size-1 tensor as a Python scalar."""
        if self.size != 1:
            raise ValueError(f"item(): tensor of shape {self.shape} has {self.size} elements, expected 1")
        return self.numpy().reshape(()).item()

    def tolist(self) -> Any:
        return self.numpy().tolist()

    def to(self, device: Any) -> "Tensor":
        """This tensor on ``device`` (itself if already there); differentiable."""
        from . import ops

        return ops.to_device(self, device)

    def cpu(self) -> "Tensor":
        return self.to("cpu")

    # -- autograd ----------------------------------------------------------------------------
    def requires_grad_(self, flag: bool = True, grad_req: str = "write", any_dtype: bool = False) -> "Tensor":
        """Mark this tensor as a leaf that receives gradients; returns self. Only floating-point tensors
        unless ``any_dtype`` (MXNet lets integer arrays have gradients, of their own dtype)."""
        if grad_req not in ("write", "add", "null"):
            raise ValueError(f"grad_req must be 'write', 'add' or 'null', got {grad_req!r}")
        if flag and not any_dtype:
            _check_grad_dtype(self)
        self.requires_grad = bool(flag)
        self.grad_req = grad_req
        return self

    def attach_grad(self, grad_req: str = "write", any_dtype: bool = False) -> "Tensor":
        """Gluon-style: make this tensor a leaf with a zero gradient buffer; returns self."""
        self._node = None
        self.requires_grad_(grad_req != "null", grad_req, any_dtype)
        self.grad_req = grad_req
        self.grad = Tensor._from_any(self.device.xp.zeros_like(self.data), self.device)
        return self

    def detach(self) -> "Tensor":
        """A tensor sharing this one's data, outside the graph."""
        return Tensor._from_any(self.data, self.device)

    def backward(self, head_grad: Any = None, retain_graph: bool = False, create_graph: bool = False) -> None:
        """Backpropagate from this tensor (see :func:`unidl.autograd.backward`)."""
        from .autograd import backward

        backward(self, head_grad, retain_graph=retain_graph, create_graph=create_graph)

    @property
    def is_leaf(self) -> bool:
        return self._node is None

    # -- misc ---------------------------------------------------------------------------------
    def __repr__(self) -> str:
        body = np.array2string(self.numpy(), separator=", ", prefix="tensor(")
        extra = f", device='{self.device}'" if self.device.type != "cpu" else ""
        extra += ", requires_grad=True" if self.requires_grad else ""
        return f"tensor({body}, dtype={self.dtype}{extra})"

    def __bool__(self) -> bool:
        if self.size != 1:
            raise ValueError(f"the truth value of a tensor with {self.size} elements is ambiguous")
        return bool(self.item())

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self.dtype.kind not in "iub":
            raise TypeError(f"only integer tensors can be used as an index, not {self.dtype}")
        return int(self.item())

    __hash__ = object.__hash__


_new = object.__new__


def wrap(data: Any, device: Device) -> Tensor:
    """Make a Tensor around a backend array already on ``device`` (no copy; the hot path)."""
    t = _new(Tensor)
    t.data = data
    t.device = device
    t.requires_grad = False
    t.grad = None
    t.grad_req = "write"
    t._node = None
    return t


def _to_backend(data: Any, dtype: Any, dev: Device) -> Any:
    if isinstance(data, Tensor):
        if data.device is dev:
            arr = data.data
            return arr.astype(as_dtype(dtype)) if dtype is not None and arr.dtype != as_dtype(dtype) else arr
        data = data.numpy()
    xp = dev.xp
    if dtype is not None:
        dt = as_dtype(dtype)
    else:
        dt = None
        if not hasattr(data, "dtype"):
            probe = np.asarray(data)
            if probe.dtype.kind == "f":
                dt = default_float
            elif probe.dtype.kind == "i":
                dt = default_int  # NumPy 1.x on Windows would pick int32 for Python ints
            elif probe.dtype == object:
                raise TypeError(f"unidl.tensor: cannot make a tensor from {type(data).__name__} data {data!r:.80}")
            data = probe
    if isinstance(data, xp.ndarray):
        return data.astype(dt) if dt is not None and data.dtype != dt else data
    host = np.asarray(data, dtype=dt)
    if host.dtype == object:
        raise TypeError(f"unidl.tensor: cannot make a tensor from object data {data!r:.80}")
    return dev.kind.from_host(host, dev.index) if xp is not np else host


def _check_grad_dtype(t: Tensor) -> None:
    if not is_floating(t.dtype):
        raise GraphError(f"only floating-point tensors can require gradients; this tensor has dtype {t.dtype}")


__all__ = ["Tensor", "wrap", "UnidlError"]
