"""The ``mx.nd`` operator set: MXNet 1.x names, argument names and defaults over :mod:`unidl.ops`.

MXNet conventions kept here: binary operands must share a dtype (scalars take the array's dtype), shapes
broadcast, comparisons return 0/1 in the operands' dtype, reductions take ``axis``/``keepdims``/
``exclude`` and never return 0-d arrays, ``argmax``/``argmin`` return float indices, ``concat`` joins on
``dim=1`` by default, ``dot`` contracts the last axis of ``lhs`` with the first of ``rhs``.
"""
from __future__ import annotations

from numbers import Number
from typing import Any, List, Optional, Sequence, Union

import numpy as np

import unidl
from unidl import ops
from unidl.nn import functional as F_nn

from ..base import MXNetError
from ..context import Context, current_context
from .ndarray import NDArray, _owned, from_any, placed, wrap

_SCALARS = (Number, np.generic)


def _pair(name: str, lhs: Any, rhs: Any):
    """Unwrap a binary op's operands: same dtype for two arrays, a scalar cast to the array's dtype."""
    if isinstance(lhs, NDArray):
        a = lhs._t
        if isinstance(rhs, NDArray):
            b = rhs._t
            if a.dtype != b.dtype:
                raise MXNetError(f"{name}: operands must have the same dtype, got {a.dtype} and {b.dtype} "
                                 f"(shapes {a.shape} and {b.shape}); cast one with astype()")
            return a, b, a.dtype
        if isinstance(rhs, _SCALARS):
            return a, a.dtype.type(rhs), a.dtype
    elif isinstance(rhs, NDArray) and isinstance(lhs, _SCALARS):
        return rhs._t.dtype.type(lhs), rhs._t, rhs._t.dtype
    raise TypeError(f"{name}: type {type(lhs).__name__} and {type(rhs).__name__} not supported")


# two plain numbers: MXNet's ``_ufunc_helper`` answers with Python arithmetic (``nd.power(0.9, 3) == 0.729``)
_SCALAR_FNS = {
    "add": lambda x, y: x + y, "subtract": lambda x, y: x - y, "multiply": lambda x, y: x * y,
    "divide": lambda x, y: x / y, "modulo": lambda x, y: x % y, "power": lambda x, y: x ** y,
    "maximum": lambda x, y: x if x > y else y, "minimum": lambda x, y: x if x < y else y,
    "equal": lambda x, y: 1 if x == y else 0, "not_equal": lambda x, y: 1 if x != y else 0,
    "greater": lambda x, y: 1 if x > y else 0, "greater_equal": lambda x, y: 1 if x >= y else 0,
    "lesser": lambda x, y: 1 if x < y else 0, "lesser_equal": lambda x, y: 1 if x <= y else 0,
}


def _both_scalars(lhs: Any, rhs: Any) -> bool:
    return isinstance(lhs, _SCALARS) and isinstance(rhs, _SCALARS)


def _to_out(res: Any, out: Any) -> Any:
    """MXNet's ``out=``: write the result into ``out`` (same shape) and return ``out``."""
    if out is None:
        return res
    if isinstance(res, (list, tuple)):
        outs = list(out) if isinstance(out, (list, tuple)) else [out]
        if len(outs) != len(res):
            raise MXNetError(f"out= must hold {len(res)} arrays, got {len(outs)}")
        return [_to_out(r, o) for r, o in zip(res, outs)]
    if not isinstance(out, NDArray) or out.shape != res.shape:
        raise MXNetError(f"out= must be an NDArray of the result's shape {res.shape}, got "
                         f"{getattr(out, 'shape', type(out).__name__)}")
    out[:] = res
    return out


def _binary(fn, name: str):
    def op(lhs: Any, rhs: Any, out: Optional[NDArray] = None, name: Optional[str] = None) -> NDArray:
        if out is None and type(lhs) is NDArray and type(rhs) is NDArray:
            # the common case (``a + b`` on two arrays), checked first: W4's per-op cost is mostly this face
            a, b = lhs._t, rhs._t
            if a.data.dtype == b.data.dtype:
                return wrap(fn(a, b))
        if _both_scalars(lhs, rhs) and op.__name__ in _SCALAR_FNS:
            return _SCALAR_FNS[op.__name__](lhs, rhs)
        a, b, _ = _pair(op.__name__, lhs, rhs)
        return _to_out(wrap(fn(a, b)), out)

    op.__name__ = name
    op.__doc__ = f"Elementwise ``{name}`` with broadcasting (MXNet ``{name}`` / ``broadcast_{name}``)."
    return op


def _compare(fn, name: str):
    def op(lhs: Any, rhs: Any, out: Optional[NDArray] = None, name: Optional[str] = None) -> NDArray:
        if _both_scalars(lhs, rhs):
            return _SCALAR_FNS[op.__name__](lhs, rhs)
        a, b, dt = _pair(op.__name__, lhs, rhs)
        return _to_out(wrap(ops.astype(fn(a, b), dt)), out)

    op.__name__ = name
    op.__doc__ = f"Elementwise ``{name}`` as 1/0 in the operands' dtype (MXNet's comparison convention)."
    return op


add = _binary(ops.add, "add")
subtract = _binary(ops.subtract, "subtract")
multiply = _binary(ops.multiply, "multiply")


def divide(lhs: Any, rhs: Any, out: Optional[NDArray] = None, name: Optional[str] = None) -> NDArray:
    """Elementwise division with broadcasting. Integer operands give an integer result truncated toward
    zero (MXNet 1.x's legacy NDArray keeps the operands' dtype: ``int32 [-3, 7] / 2 -> [-1, 3]``)."""
    if _both_scalars(lhs, rhs):
        return lhs / rhs
    a, b, dt = _pair("divide", lhs, rhs)
    res = ops.divide(a, b)
    if dt.kind in "iub":
        res = ops.astype(ops.trunc(res), dt)
    return _to_out(wrap(res), out)


modulo = _binary(ops.mod, "modulo")
power = _binary(ops.power, "power")
maximum = _binary(ops.maximum, "maximum")
minimum = _binary(ops.minimum, "minimum")
equal = _compare(ops.equal, "equal")
not_equal = _compare(ops.not_equal, "not_equal")
greater = _compare(ops.greater, "greater")
greater_equal = _compare(ops.greater_equal, "greater_equal")
lesser = _compare(ops.less, "lesser")
lesser_equal = _compare(ops.less_equal, "lesser_equal")


def _registered_op(fn, name: str):
    """``fn`` as MXNet's generated ``broadcast_*`` operator: operators without parameters ignore any other
    keyword (``nd.broadcast_maximum(a, b, axis=1)`` runs in MXNet 1.9), while ``nd.maximum`` refuses one."""
    def op(lhs: Any, rhs: Any, out: Optional[NDArray] = None, name: Optional[str] = None, **ignored: Any) -> NDArray:
        return fn(lhs, rhs, out=out)

    op.__name__ = name
    op.__doc__ = fn.__doc__
    return op


broadcast_add, broadcast_plus = _registered_op(add, "broadcast_add"), _registered_op(add, "broadcast_plus")
broadcast_sub, broadcast_minus = _registered_op(subtract, "broadcast_sub"), _registered_op(subtract, "broadcast_minus")
broadcast_mul, broadcast_div = _registered_op(multiply, "broadcast_mul"), _registered_op(divide, "broadcast_div")
broadcast_mod, broadcast_power = _registered_op(modulo, "broadcast_mod"), _registered_op(power, "broadcast_power")
broadcast_maximum = _registered_op(maximum, "broadcast_maximum")
broadcast_minimum = _registered_op(minimum, "broadcast_minimum")
broadcast_equal = _registered_op(equal, "broadcast_equal")
broadcast_not_equal = _registered_op(not_equal, "broadcast_not_equal")
broadcast_greater = _registered_op(greater, "broadcast_greater")
broadcast_greater_equal = _registered_op(greater_equal, "broadcast_greater_equal")
broadcast_lesser = _registered_op(lesser, "broadcast_lesser")
broadcast_lesser_equal = _registered_op(lesser_equal, "broadcast_lesser_equal")
elemwise_add, elemwise_sub, elemwise_mul, elemwise_div = add, subtract, multiply, divide


def _unary(fn, name: str):
    def op(data: NDArray, out: Optional[NDArray] = None, name: Optional[str] = None) -> NDArray:
        return _to_out(wrap(fn(data._t)), out)

    op.__name__ = name
    op.__doc__ = f"Elementwise ``{name}``."
    return op


exp = _unary(ops.exp, "exp")
log = _unary(ops.log, "log")
sqrt = _unary(ops.sqrt, "sqrt")
square = _unary(ops.square, "square")
abs = _unary(ops.abs, "abs")  # noqa: A001
sign = _unary(ops.sign, "sign")
negative = _unary(ops.negative, "negative")
reciprocal = _unary(ops.reciprocal, "reciprocal")
sin, cos, tan = _unary(ops.sin, "sin"), _unary(ops.cos, "cos"), _unary(ops.tan, "tan")
floor, ceil, trunc = _unary(ops.floor, "floor"), _unary(ops.ceil, "ceil"), _unary(ops.trunc, "trunc")
round = _unary(ops.round, "round")  # noqa: A001
relu = _unary(ops.relu, "relu")
sigmoid = _unary(ops.sigmoid, "sigmoid")
tanh = _unary(ops.tanh, "tanh")
log1p, expm1 = _unary(ops.log1p, "log1p"), _unary(ops.expm1, "expm1")
erf = _unary(ops.erf, "erf")
logical_not = _unary(lambda t: ops.astype(ops.logical_not(t), t.dtype), "logical_not")

_ACTIVATIONS = {"relu": ops.relu, "sigmoid": ops.sigmoid, "tanh": ops.tanh, "softrelu": ops.softplus,
                "softsign": lambda t: ops.divide(t, ops.add(ops.abs(t), 1))}


def Activation(data: NDArray, act_type: str) -> NDArray:  # noqa: N802 - MXNet's name
    """``act_type`` one of relu, sigmoid, tanh, softrelu, softsign."""
    fn = _ACTIVATIONS.get(act_type)
    if fn is None:
        raise MXNetError(f"Activation: act_type '{act_type}' is not supported; expected one of "
                         "relu, sigmoid, tanh, softrelu, softsign")
    return wrap(fn(data._t))


def LeakyReLU(data: NDArray, gamma: Optional[NDArray] = None, act_type: str = "leaky", slope: float = 0.25,  # noqa: N802
              lower_bound: float = 0.125, upper_bound: float = 0.334) -> NDArray:
    """``act_type`` leaky (slope), elu (slope as alpha), selu, gelu, prelu (learned ``gamma`` per channel,
    axis 1) or rrelu (random slope in [lower_bound, upper_bound] when training, their mean otherwise)."""
    x = data._t
    if act_type == "leaky":
        return wrap(ops.leaky_relu(x, slope))
    if act_type == "elu":
        return wrap(ops.elu(x, slope))
    if act_type == "selu":
        return wrap(ops.selu(x))
    if act_type == "gelu":
        return wrap(ops.gelu(x))
    if act_type == "prelu":
        if gamma is None:
            raise MXNetError(f"LeakyReLU: act_type 'prelu' needs gamma (data {data.shape})")
        g = gamma._t
        if x.ndim >= 2 and g.ndim == 1 and g.shape[0] == x.shape[1]:
            g = ops.reshape(g, (1, -1) + (1,) * (x.ndim - 2))
        return wrap(ops.where(ops.greater(x, 0), x, ops.multiply(g, x)))
    if act_type == "rrelu":
        from unidl.autograd import is_training

        if is_training():
            import unidl.random as _r

            s = _r.uniform(lower_bound, upper_bound, x.shape, dtype=x.dtype, device=x.device)
            return wrap(ops.where(ops.greater(x, 0), x, ops.multiply(s, x)))
        return wrap(ops.leaky_relu(x, (lower_bound + upper_bound) / 2.0))
    raise MXNetError(f"LeakyReLU: act_type '{act_type}' is not supported; expected leaky, elu, selu, gelu, "
                     "prelu or rrelu")


def clip(data: NDArray, a_min: float, a_max: float) -> NDArray:
    """Values limited to [a_min, a_max]."""
    return wrap(ops.clip(data._t, a_min, a_max))


def where(condition: NDArray, x: NDArray, y: NDArray) -> NDArray:
    """``x`` where ``condition`` is non-zero, else ``y`` (same shapes, or condition of shape (len(x),))."""
    cond = ops.not_equal(condition._t, 0)
    if cond.ndim == 1 and x.ndim > 1 and cond.shape[0] == x.shape[0]:
        cond = ops.reshape(cond, (cond.shape[0],) + (1,) * (x.ndim - 1))
    return wrap(ops.where(cond, x._t, y._t))


# -- reductions -------------------------------------------------------------------------------------

def _axes(data: NDArray, axis: Any, exclude: bool) -> Optional[tuple]:
    if axis is None or axis == ():
        return None
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    if exclude:
        nd = data.ndim
        drop = {a % nd for a in axes}
        return tuple(i for i in range(nd) if i not in drop)
    return axes


def _reduction(fn, name: str):
    def op(data: NDArray, axis: Any = None, keepdims: bool = False, exclude: bool = False,
           out: Optional[NDArray] = None, name: Optional[str] = None) -> NDArray:
        return _to_out(wrap(fn(data._t, axis=_axes(data, axis, exclude), keepdims=keepdims)), out)

    op.__name__ = name
    op.__doc__ = (f"``{name}`` over ``axis`` (all axes when None or ()); ``exclude=True`` reduces over the "
                  "other axes. A full reduction has shape (1,).")
    return op


sum = _reduction(ops.sum, "sum")  # noqa: A001
mean = _reduction(ops.mean, "mean")
max = _reduction(ops.max, "max")  # noqa: A001
min = _reduction(ops.min, "min")  # noqa: A001
prod = _reduction(ops.prod, "prod")


def norm(data: NDArray, ord: int = 2, axis: Any = None, keepdims: bool = False) -> NDArray:  # noqa: A002
    """L1 or L2 norm over ``axis`` (Frobenius over all elements when None)."""
    if ord not in (1, 2):
        raise MXNetError(f"norm: ord must be 1 or 2, got {ord}")
    return wrap(ops.norm(data._t, ord, _axes(data, axis, False), keepdims))


def _arg(fn, name: str):
    def op(data: NDArray, axis: Optional[int] = None, keepdims: bool = False, out: Optional[NDArray] = None,
           name: Optional[str] = None) -> NDArray:
        # out=/name= as every MXNet op takes them (numpy's np.argmax(nd_array, axis) calls .argmax(axis, out=None))
        return _to_out(wrap(ops.astype(fn(data._t, axis=axis, keepdims=keepdims), data._t.dtype)), out)

    op.__name__ = name
    op.__doc__ = f"``{name}`` along ``axis`` as float indices in the input's dtype (MXNet's convention)."
    return op


argmax = _arg(ops.argmax, "argmax")
argmin = _arg(ops.argmin, "argmin")


# -- linear algebra ----------------------------------------------------------------------------------

def dot(lhs: NDArray, rhs: NDArray, transpose_a: bool = False, transpose_b: bool = False) -> NDArray:
    """Sum over the last axis of ``lhs`` and the first axis of ``rhs`` (after optional transposes)."""
    a, b = lhs._t, rhs._t
    if transpose_a:
        a = ops.transpose(a)
    if transpose_b:
        b = ops.transpose(b)
    if a.shape[-1] != b.shape[0]:
        raise MXNetError(f"dot: shape mismatch, lhs {a.shape} and rhs {b.shape}: the last dim of lhs must equal "
                         "the first dim of rhs")
    if a.ndim <= 2 and b.ndim <= 2:
        return wrap(ops.matmul(a, b)) if a.ndim == 2 or b.ndim == 2 else wrap(ops.sum(ops.multiply(a, b)))
    return wrap(ops.tensordot(a, b, axes=1))


def batch_dot(lhs: NDArray, rhs: NDArray, transpose_a: bool = False, transpose_b: bool = False) -> NDArray:
    """Batched matrix product of (B, M, K) and (B, K, N) arrays."""
    a, b = lhs._t, rhs._t
    if a.ndim < 3 or b.ndim < 3:
        raise MXNetError(f"batch_dot: expected 3-D inputs, got shapes {a.shape} and {b.shape}")
    if transpose_a:
        a = ops.swapaxes(a, -1, -2)
    if transpose_b:
        b = ops.swapaxes(b, -1, -2)
    return wrap(ops.matmul(a, b))


# -- shape ---------------------------------------------------------------------------------------------

def reshape(data: NDArray, shape: Sequence[int], reverse: bool = False) -> NDArray:
    """Reshape with MXNet's special values (see :meth:`NDArray.reshape`)."""
    return data.reshape(shape, reverse=reverse)


def transpose(data: NDArray, axes: Sequence[int] = ()) -> NDArray:
    """Permute axes (reverse them when ``axes`` is empty); a new array, as every MXNet operator's result."""
    return wrap(_owned(ops.transpose(data._t, tuple(axes) or None)))


def swapaxes(data: NDArray, dim1: int = 0, dim2: int = 0) -> NDArray:
    return wrap(_owned(ops.swapaxes(data._t, dim1, dim2)))


def expand_dims(data: NDArray, axis: int) -> NDArray:
    """A new size-1 axis at ``axis`` (a copy; ``data.expand_dims(axis, inplace=True)`` is the view)."""
    return data.expand_dims(axis)


def squeeze(data: NDArray, axis: Any = None) -> NDArray:
    """The size-1 axes (those in ``axis``) dropped; an all-ones shape gives (1,). A copy."""
    return data.squeeze(axis)


def flatten(data: NDArray) -> NDArray:
    """(N, ...) -> (N, prod(...)); a 1-d array becomes (N, 1). A copy."""
    return data.flatten()


Flatten = flatten


def broadcast_to(data: NDArray, shape: Sequence[int]) -> NDArray:
    """Broadcast to ``shape``; a 0 in ``shape`` keeps that input dim."""
    target = tuple(d if s == 0 else s for s, d in zip(shape, data.shape)) if len(shape) == data.ndim else tuple(shape)
    return wrap(ops.broadcast_to(data._t, target))


def broadcast_like(lhs: NDArray, rhs: NDArray, lhs_axes: Optional[Sequence[int]] = None,
                   rhs_axes: Optional[Sequence[int]] = None) -> NDArray:
    """``lhs`` broadcast to ``rhs``'s shape, or with ``lhs_axes`` / ``rhs_axes``: each lhs axis in
    ``lhs_axes`` (of size 1) broadcast to the size of the matching rhs axis."""
    if lhs_axes is None and rhs_axes is None:
        return wrap(ops.broadcast_to(lhs._t, rhs.shape))
    la = tuple(lhs_axes or ())
    ra = tuple(rhs_axes or ())
    if not la or len(la) != len(ra):
        raise MXNetError(f"broadcast_like: lhs_axes {la} and rhs_axes {ra} must be non-empty and of one length "
                         f"(shapes {lhs.shape} and {rhs.shape})")
    shape = list(lhs.shape)
    for a, b in zip(la, ra):
        if not -lhs.ndim <= a < lhs.ndim or not -rhs.ndim <= b < rhs.ndim:
            raise MXNetError(f"broadcast_like: axes {la} / {ra} out of range for shapes {lhs.shape} / {rhs.shape}")
        if shape[a] != 1 and shape[a] != rhs.shape[b]:
            raise MXNetError(f"broadcast_like: axis {a} of lhs {lhs.shape} has size {shape[a]}, which cannot "
                             f"broadcast to {rhs.shape[b]} (axis {b} of rhs {rhs.shape})")
        shape[a] = rhs.shape[b]
    return wrap(ops.broadcast_to(lhs._t, tuple(shape)))


def broadcast_axis(data: NDArray, axis: Any = (), size: Any = ()) -> NDArray:
    """Broadcast size-1 ``axis`` dims to ``size``."""
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    sizes = (size,) if isinstance(size, int) else tuple(size)
    shape = list(data.shape)
    for a, s in zip(axes, sizes):
        shape[a] = s
    return wrap(ops.broadcast_to(data._t, tuple(shape)))


def tile(data: NDArray, reps: Sequence[int]) -> NDArray:
    return wrap(ops.tile(data._t, reps))


def repeat(data: NDArray, repeats: int, axis: Optional[int] = None) -> NDArray:
    return wrap(ops.repeat(data._t, repeats, axis))


def flip(data: NDArray, axis: Any) -> NDArray:
    return wrap(ops.flip(data._t, axis))


reverse = flip


def concat(*data: NDArray, dim: int = 1) -> NDArray:
    """Join arrays along ``dim`` (default 1, as MXNet)."""
    return wrap(ops.concatenate([d._t for d in data], axis=dim))


def stack(*data: NDArray, axis: int = 0) -> NDArray:
    return wrap(ops.stack([d._t for d in data], axis=axis))


def split(data: NDArray, num_outputs: int, axis: int = 1, squeeze_axis: bool = False) -> Union[NDArray, List[NDArray]]:
    """``num_outputs`` equal parts along ``axis`` (a single NDArray when ``num_outputs`` is 1)."""
    if data.shape[axis] % num_outputs:
        raise MXNetError(f"split: axis {axis} of shape {data.shape} is not divisible into {num_outputs} parts")
    parts = ops.split(data._t, num_outputs, axis=axis)
    if squeeze_axis:
        parts = [ops.squeeze(p, axis) for p in parts]
    out = [wrap(p) for p in parts]
    return out[0] if num_outputs == 1 else out


def slice(data: NDArray, begin: Sequence[Any], end: Sequence[Any], step: Sequence[Any] = ()) -> NDArray:  # noqa: A001
    """Strided slice; ``None`` entries mean the whole axis."""
    return wrap(ops.slice(data._t, begin, end, step or None))


def slice_axis(data: NDArray, axis: int, begin: int, end: Optional[int]) -> NDArray:
    return wrap(ops.slice_axis(data._t, axis, begin, end))


def slice_like(data: NDArray, shape_like: NDArray, axes: Sequence[int] = ()) -> NDArray:
    axes = tuple(axes) or tuple(range(shape_like.ndim))
    begin = [0 if i in [a % data.ndim for a in axes] else None for i in range(data.ndim)]
    end = [shape_like.shape[i] if i in [a % data.ndim for a in axes] else None for i in range(data.ndim)]
    return wrap(ops.slice(data._t, begin, end))


def take(a: NDArray, indices: NDArray, axis: int = 0, mode: str = "clip") -> NDArray:
    """Rows (or slices along ``axis``) of ``a`` at ``indices`` (float indices truncated; 'clip' default)."""
    idx = indices._t if isinstance(indices, NDArray) else unidl.tensor(np.asarray(indices))
    if idx.dtype.kind == "f":
        idx = ops.astype(idx, "int64")
    return wrap(ops.take(a._t, idx, axis=axis, mode=mode))


def pick(data: NDArray, index: NDArray, axis: int = -1, keepdims: bool = False, mode: str = "clip") -> NDArray:
    return wrap(ops.pick(data._t, index._t, axis=axis, keepdims=keepdims, mode=mode))


def one_hot(indices: NDArray, depth: int, on_value: float = 1.0, off_value: float = 0.0,
            dtype: Any = "float32") -> NDArray:
    return wrap(ops.one_hot(indices._t, depth, on_value, off_value, dtype))


def _length_mask(op: str, data: NDArray, length: Any, axis: int):
    """True where the position along ``axis`` is below ``length`` (data's shape without ``axis``)."""
    if not isinstance(length, NDArray):
        raise MXNetError(f"{op}: use_length=True needs length, an integer NDArray")
    if length._t.dtype.kind not in "iu":
        raise MXNetError(f"{op}: This operation only support integer types, not {np.dtype(length._t.dtype).name}")
    ax = axis % data.ndim
    want = data.shape[:ax] + data.shape[ax + 1:]
    if length.shape != want:
        raise MXNetError(f"{op}: length of shape {length.shape} does not match data {data.shape} without axis "
                         f"{axis} ({want})")
    pos = ops.reshape(unidl.arange(data.shape[ax], dtype=np.int64, device=data._t.device),
                      (-1,) + (1,) * (data.ndim - ax - 1))
    return ops.less(pos, ops.expand_dims(ops.astype(length._t, np.int64), ax))


def _softmax(op: str, fn, data: NDArray, length: Any, axis: int, temperature: Optional[float], dtype: Any,
             use_length: bool, fill: float) -> NDArray:
    x = data._t if temperature is None else ops.divide(data._t, data._t.dtype.type(temperature))
    if dtype is not None and np.dtype(dtype) != x.dtype:
        x = ops.astype(x, np.dtype(dtype))
    if not use_length:
        return wrap(fn(x, axis=axis))
    keep = _length_mask(op, data, length, axis)
    masked = ops.where(keep, x, x.dtype.type(-np.inf))
    res = fn(masked, axis=axis)
    return wrap(ops.where(keep, res, res.dtype.type(fill)))


def softmax(data: NDArray, length: Optional[NDArray] = None, axis: int = -1, temperature: Optional[float] = None,
            dtype: Any = None, use_length: bool = False) -> NDArray:
    """Softmax along ``axis``; ``use_length=True``: only the first ``length`` entries of each row count (the
    rest are 0); ``dtype``: the output dtype."""
    return _softmax("softmax", ops.softmax, data, length, axis, temperature, dtype, use_length, 0.0)


def log_softmax(data: NDArray, axis: int = -1, temperature: Optional[float] = None, dtype: Any = None,
                use_length: bool = False, length: Optional[NDArray] = None) -> NDArray:
    """Log of softmax along ``axis`` (``use_length``: see :func:`softmax`)."""
    return _softmax("log_softmax", ops.log_softmax, data, length, axis, temperature, dtype, use_length, -np.inf)


def FullyConnected(data: NDArray, weight: NDArray, bias: Optional[NDArray] = None, num_hidden: int = 0,  # noqa: N802
                   no_bias: bool = False, flatten: bool = True) -> NDArray:
    """``data @ weight.T + bias`` with weight (num_hidden, in); ``flatten`` collapses all but the first axis.

    The math is :func:`unidl.nn.functional.dense`, Keras Dense's; a Gluon Dense weight is kept in the
    core's canonical (in, out) memory (``unidl.nn.layouts``), so its transpose reaches the GEMM as the
    C-contiguous array Keras's kernel is."""
    x = data._t
    if flatten and x.data.ndim != 2:  # (a 2-D input is already flat)
        x = ops.flatten(x)
    w = weight._t
    if x.data.shape[-1] != w.data.shape[1]:
        raise MXNetError(f"FullyConnected: input of shape {data.shape} has {x.shape[-1]} features but weight "
                         f"{weight.shape} expects {weight.shape[1]}")
    b = bias._t if bias is not None and not no_bias else None
    return wrap(F_nn.dense(x, w, b, transpose_kernel=True))


# -- creation ---------------------------------------------------------------------------------------

def _dev(ctx: Optional[Context]):
    return (ctx or current_context()).unidl_device


def array(source_array: Any, ctx: Optional[Context] = None, dtype: Any = None) -> NDArray:
    """An array from data: float32 unless ``dtype`` is given or the source is an NDArray."""
    return from_any(source_array, ctx, dtype)


def _made(t: Any, ctx: Optional[Context], out: Optional[NDArray], stype: Optional[str] = None) -> NDArray:
    res = placed(wrap(t), ctx)
    if stype not in (None, "default"):
        from .ndarray import to_stype

        res = placed(to_stype(res, stype), ctx)
    return _to_out(res, out)


def zeros(shape: Any, ctx: Optional[Context] = None, dtype: Any = "float32", stype: Optional[str] = None,
          out: Optional[NDArray] = None, name: Optional[str] = None, **kwargs: Any) -> NDArray:
    """Zeros of ``shape`` (``stype`` 'csr' / 'row_sparse': a sparse array; ``out``: written there)."""
    return _made(unidl.zeros(shape, dtype=dtype or "float32", device=_dev(ctx)), ctx, out, stype)


def ones(shape: Any, ctx: Optional[Context] = None, dtype: Any = "float32", out: Optional[NDArray] = None,
         name: Optional[str] = None, **kwargs: Any) -> NDArray:
    return _made(unidl.ones(shape, dtype=dtype or "float32", device=_dev(ctx)), ctx, out)


def empty(shape: Any, ctx: Optional[Context] = None, dtype: Any = "float32", stype: Optional[str] = None,
          out: Optional[NDArray] = None) -> NDArray:
    return _made(unidl.empty(shape, dtype=dtype or "float32", device=_dev(ctx)), ctx, out, stype)


def full(shape: Any, val: float, ctx: Optional[Context] = None, dtype: Any = "float32",
         out: Optional[NDArray] = None, name: Optional[str] = None, **kwargs: Any) -> NDArray:
    return _made(unidl.full(shape, val, dtype=dtype or "float32", device=_dev(ctx)), ctx, out)


def arange(start: float, stop: Optional[float] = None, step: float = 1.0, repeat: int = 1,
           infer_range: bool = False, ctx: Optional[Context] = None, dtype: Any = "float32",
           out: Optional[NDArray] = None, name: Optional[str] = None) -> NDArray:
    """Evenly spaced values in [start, stop), each repeated ``repeat`` times (float32 by default)."""
    t = unidl.arange(start, stop, step, dtype=dtype or "float32", device=_dev(ctx))
    return _made(ops.repeat(t, repeat) if repeat != 1 else t, ctx, out)


def eye(N: int, M: int = 0, k: int = 0, ctx: Optional[Context] = None, dtype: Any = "float32",  # noqa: N803
        out: Optional[NDArray] = None, name: Optional[str] = None) -> NDArray:
    return _made(unidl.eye(N, M or None, k, dtype=dtype or "float32", device=_dev(ctx)), ctx, out)


def zeros_like(data: NDArray, out: Optional[NDArray] = None, name: Optional[str] = None) -> NDArray:
    return _to_out(wrap(unidl.zeros_like(data._t)), out)


def ones_like(data: NDArray, out: Optional[NDArray] = None, name: Optional[str] = None) -> NDArray:
    return _to_out(wrap(unidl.ones_like(data._t)), out)


def waitall() -> None:
    """Wait for all pending work (synchronises the cpu device; a no-op there)."""
