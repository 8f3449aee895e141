"""How an op runs: resolve its kernel, call it on raw arrays, wrap the result, record a Node.

These helpers are the per-op hot path. They do no pluggy call, no logging and no copy: one dict
look-up for the kernel, the kernel call, a Tensor wrap, and a Node only while recording.

Backward functions have the signature ``bwd(node, out, g) -> tuple`` with one entry per parent
(``None`` for inputs that get no gradient) and are written with ops, so they differentiate again.
"""
from __future__ import annotations

from typing import Any, Callable, Optional, Sequence, Tuple

from ..autograd import STATE, Node
from ..devices import Device, default_device
from ..errors import DeviceMismatchError, OpError, UnidlError
from ..kernels import OpDef, defop
from ..tensor import Tensor, wrap

__all__ = ["Tensor", "wrap", "defop", "OpDef", "unary", "binary", "apply", "op_error", "scalar_types",
           "device_of", "as_tensor_like", "operand"]

scalar_types = (int, float, bool, complex)
try:  # NumPy scalar types behave like Python scalars in binary ops
    import numpy as _np

    scalar_types = scalar_types + (_np.generic,)
except ImportError:  # pragma: no cover
    pass

Backward = Callable[[Node, Tensor, Tensor], tuple]


def op_error(op: OpDef, err: Exception, inputs: Sequence[Any], what: str = "") -> OpError:
    """Turn an exception from a kernel into an OpError naming the op, shapes and dtypes."""
    shapes = [getattr(x, "shape", ()) for x in inputs if isinstance(x, Tensor)]
    dtypes = [x.dtype for x in inputs if isinstance(x, Tensor)]
    msg = what or f"{type(err).__name__}: {err}"
    return OpError(op.name, msg, shapes=shapes, dtypes=dtypes)


def unary(op: OpDef, bwd: Optional[Backward], x: Tensor, saved: Any = None, **attrs: Any) -> Tensor:
    """Apply a one-input op. ``bwd=None`` marks the result as not differentiable."""
    try:
        dev = x.device
        k = op.table[dev.type]
    except KeyError:
        k = op.kernel(dev.type)
    except AttributeError:
        raise _not_a_tensor(op, x) from None
    try:
        out = wrap(k(x.data, **attrs) if attrs else k(x.data), dev)
    except UnidlError:
        raise
    except Exception as e:
        raise op_error(op, e, (x,)) from e
    if x.requires_grad and bwd is not None and STATE.recording:  # the thread-local read last: none at inference
        out._node = Node(op.name, (x,), bwd, attrs if saved is None else saved)
        out.requires_grad = True
    return out


def binary(op: OpDef, bwd: Optional[Backward], a: Any, b: Any) -> Tensor:
    """Apply a two-input elementwise op; either input may be a Python/NumPy scalar."""
    if isinstance(a, Tensor):
        dev = a.device
        ad = a.data
        if isinstance(b, Tensor):
            if b.device is not dev:
                raise DeviceMismatchError(op.name, f"inputs are on different devices: {a.device} and {b.device}",
                                          shapes=(a.shape, b.shape), dtypes=(a.dtype, b.dtype))
            bd = b.data
        elif isinstance(b, scalar_types):
            bd, b = b, None
        else:
            raise _not_a_tensor(op, b)
    elif isinstance(b, Tensor):
        dev = b.device
        bd = b.data
        if isinstance(a, scalar_types):
            ad, a = a, None
        else:
            raise _not_a_tensor(op, a)
    else:
        raise _not_a_tensor(op, a)
    try:
        k = op.table[dev.type]
    except KeyError:
        k = op.kernel(dev.type)
    try:
        out = wrap(k(ad, bd), dev)
    except UnidlError:
        raise
    except Exception as e:
        raise op_error(op, e, (a, b)) from e
    if bwd is not None and ((a is not None and a.requires_grad) or (b is not None and b.requires_grad)) \
            and STATE.recording:
        # A scalar operand is kept in ``saved`` (its parent slot is None) for backward to use.
        out._node = Node(op.name, (a, b), bwd, None if a is not None and b is not None else (ad, bd))
        out.requires_grad = True
    return out


def operand(node: Node, i: int) -> Any:
    """Input ``i`` of a binary op's node: the parent Tensor, or the scalar it was given."""
    p = node.parents[i]
    return p if p is not None else node.saved[i]


def apply(op: OpDef, bwd: Optional[Backward], inputs: Sequence[Any], attrs: Optional[dict] = None,
          saved: Any = None, device: Optional[Device] = None) -> Tensor:
    """Apply an op with any number of inputs.

    Args:
        inputs: Tensors (passed to the kernel as raw arrays, recorded as parents) and other values
            (passed as they are, recorded as ``None`` parents).
        attrs: keyword arguments for the kernel; saved on the node when ``saved`` is None.
        device: the device when no input is a Tensor.
    """
    dev = device
    for x in inputs:
        if isinstance(x, Tensor):
            if dev is None:
                dev = x.device
            elif x.device is not dev:
                devs = sorted({str(t.device) for t in inputs if isinstance(t, Tensor)})
                raise DeviceMismatchError(op.name, f"inputs are on different devices: {', '.join(devs)}",
                                          shapes=[t.shape for t in inputs if isinstance(t, Tensor)])
    if dev is None:
        dev = default_device()
    try:
        k = op.table[dev.type]
    except KeyError:
        k = op.kernel(dev.type)
    args = [x.data if isinstance(x, Tensor) else x for x in inputs]
    try:
        out = wrap(k(*args, **attrs) if attrs else k(*args), dev)
    except UnidlError:
        raise
    except Exception as e:
        raise op_error(op, e, inputs) from e
    if STATE.recording and bwd is not None:
        parents = tuple(x if isinstance(x, Tensor) else None for x in inputs)
        if any(p is not None and p.requires_grad for p in parents):
            out._node = Node(op.name, parents, bwd, attrs if saved is None else saved)
            out.requires_grad = True
    return out


def apply_multi(op: OpDef, inputs: Sequence[Any], attrs: Optional[dict] = None) -> Tuple[Tensor, ...]:
    """Apply a non-differentiable op whose kernel returns several arrays (e.g. ``topk`` values+indices)."""
    dev = next((x.device for x in inputs if isinstance(x, Tensor)), None) or default_device()
    k = op.kernel(dev.type)
    args = [x.data if isinstance(x, Tensor) else x for x in inputs]
    try:
        outs = k(*args, **(attrs or {}))
    except UnidlError:
        raise
    except Exception as e:
        raise op_error(op, e, inputs) from e
    return tuple(wrap(o, dev) for o in outs)


def device_of(*xs: Any) -> Device:
    """The device of the first Tensor among ``xs`` (default device if none)."""
    for x in xs:
        if isinstance(x, Tensor):
            return x.device
    return default_device()


def as_tensor_like(x: Any, like: Tensor) -> Tensor:
    """``x`` as a Tensor on ``like``'s device (scalars take ``like``'s dtype)."""
    if isinstance(x, Tensor):
        return x
    if isinstance(x, scalar_types):
        return wrap(like.device.xp.asarray(x, dtype=like.dtype), like.device)
    return Tensor._from_any(x, like.device)


def _not_a_tensor(op: OpDef, x: Any) -> OpError:
    return OpError(op.name, f"expected a unidl Tensor or a Python scalar, got {type(x).__name__}")
