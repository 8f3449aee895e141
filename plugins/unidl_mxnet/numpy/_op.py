"""The ``mx.np`` function set: NumPy names and arguments over :mod:`unidl.ops`, with MXNet 1.9's dtype
rules (:mod:`._dtypes`). Every function takes arrays (``mx.np.ndarray``, ``mx.nd.NDArray``, host NumPy
arrays) or Python scalars and returns ``mx.np.ndarray``.
"""
from __future__ import annotations

from numbers import Number
from typing import Any, List, Optional, Sequence

import numpy as _onp

import unidl
from unidl import ops
from unidl.autograd import STATE
from unidl.tensor import Tensor

from ..base import MXNetError
from ..context import Context, current_context
from ..ndarray.math_ops import attach_backward
from ..ndarray.ndarray import NDArray
from . import _dtypes as D
from .multiarray import _own, _wrap, ndarray, write_result

_SCALARS = (Number, _onp.generic)


# -- operands ----------------------------------------------------------------------------------------

def _dev(ctx: Optional[Context] = None):
    return (ctx or current_context()).unidl_device


def _is_array(x: Any) -> bool:
    return isinstance(x, (NDArray, _onp.ndarray, list, tuple))


def _tensor(x: Any, name: str = "array") -> Tensor:
    """An array operand as a Tensor: mx arrays as they are, host arrays with their dtype, Python data as
    float32 (MXNet's ``np.array`` default)."""
    if isinstance(x, NDArray):
        return x._t
    if isinstance(x, _onp.ndarray):
        return Tensor._from_any(x, _dev())
    if isinstance(x, (list, tuple, Number, _onp.generic)):
        dt = x.dtype if isinstance(x, _onp.generic) else D.FLOAT32
        try:
            host = _onp.array(x, dtype=dt)
        except (TypeError, ValueError) as e:
            raise TypeError(f"{name}: cannot make an array from {type(x).__name__}: {e}") from None
        return Tensor._from_any(host, _dev())
    raise TypeError(f"{name}: expected an mx.np.ndarray, got {type(x).__name__}")


def _cast(t: Tensor, dt: _onp.dtype) -> Tensor:
    return t if t.dtype == dt else ops.astype(t, dt)


def _scalar_as(s: Any, dt: _onp.dtype) -> Any:
    """A scalar in dtype ``dt`` as MXNet casts it (floats truncated toward zero for integer dtypes)."""
    return _onp.asarray(s).astype(dt)[()]


def _binary(fn, name: str, kind: str = "arith"):
    """An elementwise binary function with MXNet's np dtype rules. ``kind``: 'arith', 'div' (true division)
    or 'cmp' (bool result)."""

    def op(x1: Any, x2: Any, out: Optional[ndarray] = None) -> ndarray:
        a_arr, b_arr = _is_array(x1), _is_array(x2)
        if a_arr and b_arr:
            a, b = _tensor(x1, name), _tensor(x2, name)
            dt = D.promote(a.dtype, b.dtype)
            if kind == "div":
                dt = D.true_divide(dt)
            res = fn(_cast(a, dt), _cast(b, dt))
            if kind == "cmp" and STATE.recording:
                res = _zero_grad(res, (a, b))
        elif a_arr or b_arr:
            t = _tensor(x1 if a_arr else x2, name)
            s = x2 if a_arr else x1
            if not isinstance(s, _SCALARS):
                raise TypeError(f"{name}: unsupported operand type {type(s).__name__} with an array")
            if kind == "cmp":
                s = s.item() if isinstance(s, _onp.generic) else s
            else:
                dt = D.with_scalar(t.dtype)
                if kind == "div":
                    dt = D.true_divide(dt)
                t, s = _cast(t, dt), _scalar_as(s, dt)
            res = fn(t, s) if a_arr else fn(s, t)
            if kind == "cmp" and STATE.recording:
                res = _zero_grad(res, (t,))
        else:  # two scalars: a float32 0-d result
            return op(_tensor(x1, name), x2, out)
        return _out(_wrap(res), out)

    op.__name__ = name
    op.__doc__ = (f"Elementwise ``{name}`` with NumPy broadcasting. Shapes: (...), (...) -> broadcast shape. "
                  "Dtype: MXNet's np rules (an array with a scalar keeps the array's dtype).")
    return op


def _zero_grads(node: Any, out: Tensor, g: Tensor) -> tuple:
    return tuple(ops.zeros_like(p) for p in node.parents)


def _zero_grad(res: Tensor, parents: tuple) -> Tensor:
    """A comparison recorded in the graph with a zero gradient, as MXNet records it: ``backward`` from its
    bool result writes zeros into the inputs' ``.grad``."""
    return attach_backward(res, parents, _zero_grads, "comparison")


def _out(res: ndarray, out: Optional[ndarray], inplace: bool = False) -> ndarray:
    """``res`` written into ``out`` when given (then ``out``). As MXNet, ``out`` must already have the
    result's dtype and shape."""
    if out is None:
        return res
    if not isinstance(out, NDArray):
        raise TypeError(f"out must be an mx.np.ndarray, got {type(out).__name__}")
    t, o = res._t, out._t
    if t.dtype != o.dtype:
        raise MXNetError(f"Type inconsistent, Provided = {o.dtype}, inferred type = {t.dtype}" if inplace else
                         f"Incompatible attr in node at 0-th output: expected {t.dtype}, got {o.dtype}")
    if t.shape != o.shape:
        raise MXNetError(f"Shape inconsistent, Provided = {list(o.shape)}, inferred shape={list(t.shape)}")
    write_result(out, t, inplace or _aliases(out, res))
    return out


def _aliases(out: NDArray, res: ndarray) -> bool:
    # ``res`` recorded from ``out`` itself (``np.add(x, 1, out=x)``): an in-place op
    node = res._t._node
    return node is not None and any(p is out._t for p in node.parents)


add = _binary(ops.add, "add")
subtract = _binary(ops.subtract, "subtract")
multiply = _binary(ops.multiply, "multiply")
divide = _binary(ops.divide, "divide", "div")
true_divide = divide
floor_divide = _binary(ops.floor_divide, "floor_divide")
mod = _binary(ops.mod, "mod")
remainder = mod
power = _binary(ops.power, "power")
maximum = _binary(ops.maximum, "maximum")
minimum = _binary(ops.minimum, "minimum")
equal = _binary(ops.equal, "equal", "cmp")
not_equal = _binary(ops.not_equal, "not_equal", "cmp")
greater = _binary(ops.greater, "greater", "cmp")
greater_equal = _binary(ops.greater_equal, "greater_equal", "cmp")
less = _binary(ops.less, "less", "cmp")
less_equal = _binary(ops.less_equal, "less_equal", "cmp")
logical_and = _binary(lambda a, b: ops.logical_and(a, b), "logical_and", "cmp")
logical_or = _binary(lambda a, b: ops.logical_or(a, b), "logical_or", "cmp")
logical_xor = _binary(lambda a, b: ops.logical_xor(a, b), "logical_xor", "cmp")


# -- unary -------------------------------------------------------------------------------------------

def _float_unary(fn, name: str):
    """A float-valued elementwise function; integer inputs keep their dtype (MXNet computes in the input
    dtype), bool inputs give float32."""

    def op(x: Any, out: Optional[ndarray] = None) -> ndarray:
        t = _tensor(x, name)
        if t.dtype.kind == "f":
            return _out(_wrap(fn(t)), out)
        if t.dtype == D.BOOL:
            return _out(_wrap(fn(_cast(t, D.FLOAT32))), out)
        return _out(_wrap(ops.astype(fn(ops.astype(t, _onp.float64)), t.dtype)), out)

    op.__name__ = name
    op.__doc__ = f"Elementwise ``{name}``. Shape: unchanged; integer arrays keep their dtype (as MXNet)."
    return op


def _same_unary(fn, name: str, bool_to: Optional[_onp.dtype] = None):
    def op(x: Any, out: Optional[ndarray] = None) -> ndarray:
        t = _tensor(x, name)
        if t.dtype == D.BOOL and bool_to is not None:
            t = _cast(t, bool_to)
        return _out(_wrap(fn(t)), out)

    op.__name__ = name
    op.__doc__ = f"Elementwise ``{name}``. Shape and dtype unchanged."
    return op


exp = _float_unary(ops.exp, "exp")
expm1 = _float_unary(ops.expm1, "expm1")
log = _float_unary(ops.log, "log")
log2 = _float_unary(ops.log2, "log2")
log10 = _float_unary(ops.log10, "log10")
log1p = _float_unary(ops.log1p, "log1p")
sqrt = _float_unary(ops.sqrt, "sqrt")
sin, cos, tan = _float_unary(ops.sin, "sin"), _float_unary(ops.cos, "cos"), _float_unary(ops.tan, "tan")
arcsin, arccos = _float_unary(ops.arcsin, "arcsin"), _float_unary(ops.arccos, "arccos")
arctan = _float_unary(ops.arctan, "arctan")
sinh, cosh, tanh = _float_unary(ops.sinh, "sinh"), _float_unary(ops.cosh, "cosh"), _float_unary(ops.tanh, "tanh")
arcsinh, arccosh = _float_unary(ops.arcsinh, "arcsinh"), _float_unary(ops.arccosh, "arccosh")
arctanh = _float_unary(ops.arctanh, "arctanh")
reciprocal = _float_unary(ops.reciprocal, "reciprocal")
negative = _same_unary(ops.negative, "negative", D.INT64)
absolute = _same_unary(ops.abs, "absolute")
abs = absolute  # noqa: A001
fabs = absolute
sign = _same_unary(ops.sign, "sign")
square = _same_unary(ops.square, "square", D.INT64)
floor = _same_unary(ops.floor, "floor")
ceil = _same_unary(ops.ceil, "ceil")
trunc = _same_unary(ops.trunc, "trunc")
fix = trunc
rint = _same_unary(ops.round, "rint")


def logical_not(x: Any, out: Optional[ndarray] = None) -> ndarray:
    """Elementwise ``not x`` as a bool array."""
    return _out(_wrap(ops.logical_not(_tensor(x, "logical_not"))), out)


def isnan(x: Any) -> ndarray:
    return _wrap(ops.isnan(_tensor(x, "isnan")))


def isinf(x: Any) -> ndarray:
    return _wrap(ops.isinf(_tensor(x, "isinf")))


def isfinite(x: Any) -> ndarray:
    return _wrap(ops.isfinite(_tensor(x, "isfinite")))


def round(x: Any, decimals: int = 0, out: Optional[ndarray] = None) -> ndarray:  # noqa: A001
    """Round half to even to ``decimals`` places."""
    return _out(_wrap(ops.round(_tensor(x, "round"), decimals)), out)


around = round


def clip(a: Any, a_min: Any, a_max: Any, out: Optional[ndarray] = None) -> ndarray:
    """Values limited to [a_min, a_max] (either may be None); the bounds are cast to ``a``'s dtype."""
    t = _tensor(a, "clip")
    if a_min is None and a_max is None:
        raise ValueError("clip: a_min and a_max cannot both be None")
    lo = None if a_min is None else _scalar_as(a_min, t.dtype)
    hi = None if a_max is None else _scalar_as(a_max, t.dtype)
    return _out(_wrap(ops.clip(t, lo, hi)), out)


def where(condition: Any, x: Any = None, y: Any = None) -> ndarray:
    """``x`` where ``condition`` is true (non-zero), else ``y``; all three broadcast.

    Dtype: two arrays promote; an array and a scalar give the array's dtype; two scalars give float32.
    """
    if x is None or y is None:
        raise MXNetError("where: the one-argument form (nonzero) is not supported; pass x and y")
    c = _tensor(condition, "where")
    if c.dtype != D.BOOL:
        c = ops.not_equal(c, 0)
    xa, ya = _is_array(x), _is_array(y)
    if xa and ya:
        tx, ty = _tensor(x), _tensor(y)
        dt = D.promote(tx.dtype, ty.dtype)
        return _wrap(ops.where(c, _cast(tx, dt), _cast(ty, dt)))
    if xa or ya:
        t = _tensor(x if xa else y)
        s = _scalar_as(y if xa else x, t.dtype)
        return _wrap(ops.where(c, t, s) if xa else ops.where(c, s, t))
    dt = D.FLOAT32
    return _wrap(ops.where(c, _scalar_as(x, dt), ops.broadcast_to(_tensor(_scalar_as(y, dt)), c.shape)))


# -- reductions --------------------------------------------------------------------------------------

def _axis(axis: Any) -> Any:
    if axis is None or isinstance(axis, int):
        return axis
    if isinstance(axis, (list, tuple)):
        return tuple(int(a) for a in axis)
    return int(axis)


def sum(a: Any, axis: Any = None, dtype: Any = None, out: Optional[ndarray] = None,  # noqa: A001
        keepdims: bool = False, initial: Any = None) -> ndarray:
    """Sum over ``axis`` (all when None). Dtype: ``dtype``, else the input's (bool sums to int64)."""
    t = _tensor(a, "sum")
    dt = _onp.dtype(dtype) if dtype is not None else D.with_scalar(t.dtype)
    res = ops.sum(_cast(t, dt), axis=_axis(axis), keepdims=keepdims)
    if initial is not None:
        res = ops.add(res, _scalar_as(initial, dt))
    return _out(_wrap(_cast(res, dt)), out)


def prod(a: Any, axis: Any = None, dtype: Any = None, out: Optional[ndarray] = None,
         keepdims: bool = False) -> ndarray:
    """Product over ``axis``; the input's dtype unless ``dtype`` is given (bool gives int64)."""
    t = _tensor(a, "prod")
    dt = _onp.dtype(dtype) if dtype is not None else D.with_scalar(t.dtype)
    return _out(_wrap(_cast(ops.prod(_cast(t, dt), axis=_axis(axis), keepdims=keepdims), dt)), out)


def mean(a: Any, axis: Any = None, dtype: Any = None, out: Optional[ndarray] = None,
         keepdims: bool = False) -> ndarray:
    """Mean over ``axis``; integer and bool inputs give float32 (MXNet), floats keep their dtype."""
    t = _tensor(a, "mean")
    dt = _onp.dtype(dtype) if dtype is not None else (t.dtype if t.dtype.kind == "f" else D.FLOAT32)
    return _out(_wrap(_cast(ops.mean(_cast(t, dt), axis=_axis(axis), keepdims=keepdims), dt)), out)


def _moment(fn, name: str):
    def op(a: Any, axis: Any = None, dtype: Any = None, out: Optional[ndarray] = None, ddof: int = 0,
           keepdims: bool = False) -> ndarray:
        t = _tensor(a, name)
        dt = _onp.dtype(dtype) if dtype is not None else t.dtype
        work = dt if dt.kind == "f" else D.FLOAT32
        res = fn(_cast(t, work), axis=_axis(axis), keepdims=keepdims, ddof=ddof)
        return _out(_wrap(_cast(res, dt)), out)

    op.__name__ = name
    op.__doc__ = (f"``{name}`` over ``axis`` with ``ddof``; the input's dtype (integer inputs give a truncated "
                  "integer result, as MXNet 1.9).")
    return op


std = _moment(ops.std, "std")
var = _moment(ops.var, "var")


def _extremum(fn, name: str):
    def op(a: Any, axis: Any = None, out: Optional[ndarray] = None, keepdims: bool = False) -> ndarray:
        return _out(_wrap(fn(_tensor(a, name), axis=_axis(axis), keepdims=keepdims)), out)

    op.__name__ = name
    op.__doc__ = f"``{name}`` over ``axis`` (all when None); dtype unchanged."
    return op


max = _extremum(ops.max, "max")  # noqa: A001
min = _extremum(ops.min, "min")  # noqa: A001
amax, amin = max, min


def _argext(fn, name: str):
    def op(a: Any, axis: Optional[int] = None, out: Optional[ndarray] = None, keepdims: bool = False) -> ndarray:
        return _out(_wrap(_cast(fn(_tensor(a, name), axis=axis, keepdims=keepdims), D.INT64)), out)

    op.__name__ = name
    op.__doc__ = f"Index of the ``{name[3:]}`` along ``axis`` (of the flattened array when None), as int64."
    return op


argmax = _argext(ops.argmax, "argmax")
argmin = _argext(ops.argmin, "argmin")


def cumsum(a: Any, axis: Optional[int] = None, dtype: Any = None, out: Optional[ndarray] = None) -> ndarray:
    """Cumulative sum along ``axis`` (of the flattened array when None); bool gives int64."""
    t = _tensor(a, "cumsum")
    dt = _onp.dtype(dtype) if dtype is not None else D.with_scalar(t.dtype)
    return _out(_wrap(_cast(ops.cumsum(_cast(t, dt), axis=axis), dt)), out)


def any(a: Any, axis: Any = None, out: Optional[ndarray] = None, keepdims: bool = False) -> ndarray:  # noqa: A001
    return _out(_wrap(ops.any(_tensor(a, "any"), axis=_axis(axis), keepdims=keepdims)), out)


def all(a: Any, axis: Any = None, out: Optional[ndarray] = None, keepdims: bool = False) -> ndarray:  # noqa: A001
    return _out(_wrap(ops.all(_tensor(a, "all"), axis=_axis(axis), keepdims=keepdims)), out)


# -- linear algebra ----------------------------------------------------------------------------------

def _pair(name: str, a: Any, b: Any):
    ta, tb = _tensor(a, name), _tensor(b, name)
    dt = D.promote(ta.dtype, tb.dtype)
    return _cast(ta, dt), _cast(tb, dt)


def dot(a: Any, b: Any, out: Optional[ndarray] = None) -> ndarray:
    """NumPy ``dot``: inner product of 1-D arrays, matrix product of 2-D ones, else a sum over the last axis
    of ``a`` and the second-to-last of ``b``."""
    if isinstance(a, _SCALARS) or isinstance(b, _SCALARS):
        return multiply(a, b, out=out)
    return _out(_wrap(ops.dot(*_pair("dot", a, b))), out)


def matmul(a: Any, b: Any, out: Optional[ndarray] = None) -> ndarray:
    """Matrix product with batch broadcasting. Shapes: (..., M, K) @ (..., K, N) -> (..., M, N)."""
    return _out(_wrap(ops.matmul(*_pair("matmul", a, b))), out)


def tensordot(a: Any, b: Any, axes: Any = 2) -> ndarray:
    """Sum over the given axes of ``a`` and ``b`` (the last ``axes`` of a with the first of b for an int)."""
    return _wrap(ops.tensordot(*_pair("tensordot", a, b), axes=axes))


def einsum(subscripts: str, *operands: Any, out: Optional[ndarray] = None, optimize: bool = False) -> ndarray:
    """Einstein summation over ``operands`` (e.g. ``'ij,jk->ik'``)."""
    ts = [_tensor(o, "einsum") for o in operands]
    dt = ts[0].dtype
    for t in ts[1:]:
        dt = D.promote(dt, t.dtype)
    return _out(_wrap(ops.einsum(subscripts, *[_cast(t, dt) for t in ts])), out)


def outer(a: Any, b: Any) -> ndarray:
    """Outer product of the flattened ``a`` (M,) and ``b`` (N,) -> (M, N)."""
    ta, tb = _pair("outer", a, b)
    return _wrap(ops.outer(ops.reshape(ta, (-1,)), ops.reshape(tb, (-1,))))


def inner(a: Any, b: Any) -> ndarray:
    """Sum over the last axes of ``a`` and ``b``."""
    ta, tb = _pair("inner", a, b)
    return _wrap(ops.tensordot(ta, tb, axes=((ta.ndim - 1,), (tb.ndim - 1,))))


def vdot(a: Any, b: Any) -> ndarray:
    """Inner product of the flattened arrays (0-d)."""
    return dot(ravel(a), ravel(b))


# -- shape -------------------------------------------------------------------------------------------

def reshape(a: Any, newshape: Any, order: str = "C") -> ndarray:
    """NumPy ``reshape`` (one -1 inferred)."""
    return _as_nd(a).reshape(newshape, order=order)


def _as_nd(a: Any) -> ndarray:
    return a if type(a) is ndarray else _wrap(_tensor(a))


def ravel(a: Any, order: str = "C") -> ndarray:
    """The flattened array (1-D)."""
    t = _tensor(a, "ravel")
    return _wrap(_own(ops.reshape(t, (-1,)), t))


def transpose(a: Any, axes: Optional[Sequence[int]] = None) -> ndarray:
    """Permute the axes (reverse them when ``axes`` is None)."""
    t = _tensor(a, "transpose")
    return _wrap(_own(ops.transpose(t, None if axes is None else tuple(axes)), t))


def swapaxes(a: Any, axis1: int, axis2: int) -> ndarray:
    t = _tensor(a, "swapaxes")
    return _wrap(_own(ops.swapaxes(t, axis1, axis2), t))


def moveaxis(a: Any, source: Any, destination: Any) -> ndarray:
    t = _tensor(a, "moveaxis")
    return _wrap(_own(ops.moveaxis(t, source, destination), t))


def expand_dims(a: Any, axis: Any) -> ndarray:
    t = _tensor(a, "expand_dims")
    return _wrap(_own(ops.expand_dims(t, axis), t))


def squeeze(a: Any, axis: Any = None) -> ndarray:
    t = _tensor(a, "squeeze")
    return _wrap(_own(ops.squeeze(t, axis), t))


def broadcast_to(array: Any, shape: Any) -> ndarray:
    shape = (shape,) if isinstance(shape, int) else tuple(shape)
    t = _tensor(array, "broadcast_to")
    return _wrap(_own(ops.broadcast_to(t, shape), t))


def broadcast_arrays(*args: Any) -> List[ndarray]:
    """The arrays broadcast to their common shape (the arrays themselves when all have it, as MXNet)."""
    shape = _onp.broadcast_shapes(*[tuple(_tensor(a).shape) for a in args])
    if all(_tensor(a).shape == shape for a in args):
        return list(args)
    return [broadcast_to(a, shape) for a in args]


def _joined(name: str, seq: Sequence[Any]) -> List[Tensor]:
    ts = [_tensor(x, name) for x in seq]
    if not ts:
        raise ValueError(f"{name}: need at least one array")
    dt = ts[0].dtype
    for t in ts[1:]:
        dt = D.promote(dt, t.dtype)
    return [_cast(t, dt) for t in ts]


def concatenate(seq: Sequence[Any], axis: Optional[int] = 0, out: Optional[ndarray] = None) -> ndarray:
    """Join arrays along an existing ``axis`` (flattened first when None)."""
    ts = _joined("concatenate", seq)
    if axis is None:
        ts, axis = [ops.reshape(t, (-1,)) for t in ts], 0
    return _out(_wrap(ops.concatenate(ts, axis=axis)), out)


def stack(arrays: Sequence[Any], axis: int = 0, out: Optional[ndarray] = None) -> ndarray:
    """Join same-shaped arrays along a new ``axis``."""
    return _out(_wrap(ops.stack(_joined("stack", arrays), axis=axis)), out)


def vstack(arrays: Sequence[Any], out: Optional[ndarray] = None) -> ndarray:
    ts = [t if t.ndim >= 2 else ops.reshape(t, (1, -1)) for t in _joined("vstack", arrays)]
    return _out(_wrap(ops.concatenate(ts, axis=0)), out)


def hstack(arrays: Sequence[Any]) -> ndarray:
    ts = _joined("hstack", arrays)
    return _wrap(ops.concatenate(ts, axis=0 if ts[0].ndim == 1 else 1))


def split(ary: Any, indices_or_sections: Any, axis: int = 0) -> List[ndarray]:
    """Split into equal sections (an int) or at the given indices along ``axis``."""
    t = _tensor(ary, "split")
    if isinstance(indices_or_sections, int) and t.shape[axis] % indices_or_sections:
        raise ValueError(f"array split does not result in an equal division: axis {axis} of shape "
                         f"{t.shape} into {indices_or_sections} sections")
    return _split_at(t, indices_or_sections, axis)


def _split_at(t: Tensor, indices_or_sections: Any, axis: int) -> List[ndarray]:
    """``array_split``: ``n`` sections (the first ``len % n`` one longer) or pieces between indices."""
    if isinstance(indices_or_sections, (int, _onp.integer)):
        n = int(indices_or_sections)
        if n <= 0:
            raise ValueError("number sections must be larger than 0.")
        length = t.shape[axis]
        size, extra = divmod(length, n)
        bounds, at = [], 0
        for i in range(n - 1):
            at += size + (1 if i < extra else 0)
            bounds.append(at)
    else:
        bounds = [int(i) for i in indices_or_sections]
    return [_wrap(_own(p, t)) for p in ops.split(t, bounds, axis=axis)]


def array_split(ary: Any, indices_or_sections: Any, axis: int = 0) -> List[ndarray]:
    """Split into ``n`` nearly equal sections (the first ``len % n`` one longer) or at the given indices."""
    return _split_at(_tensor(ary, "array_split"), indices_or_sections, axis)


def _axis_split(name: str, min_ndim: int, axis_of):
    def op(ary: Any, indices_or_sections: Any) -> List[ndarray]:
        t = _tensor(ary, name)
        if t.ndim < min_ndim:
            raise ValueError(f"{name} only works on arrays of {min_ndim} or more dimensions")
        return _split_at(t, indices_or_sections, axis_of(t.ndim))

    op.__name__ = name
    op.__doc__ = (f"``{name}``: ``array_split`` along axis {axis_of(3)}"
                  + (" (axis 0 of a 1-D array)" if name == "hsplit" else "") + ".")
    return op


hsplit = _axis_split("hsplit", 1, lambda nd: 0 if nd == 1 else 1)
vsplit = _axis_split("vsplit", 2, lambda nd: 0)
dsplit = _axis_split("dsplit", 3, lambda nd: 2)


def tile(A: Any, reps: Any) -> ndarray:  # noqa: N803
    t = _tensor(A, "tile")
    return _wrap(_own(ops.tile(t, reps), t))


def repeat(a: Any, repeats: Any, axis: Optional[int] = None) -> ndarray:
    t = _tensor(a, "repeat")
    return _wrap(_own(ops.repeat(t, repeats, axis), t))


def flip(m: Any, axis: Any = None) -> ndarray:
    t = _tensor(m, "flip")
    return _wrap(_own(ops.flip(t, axis), t))


def sort(a: Any, axis: Optional[int] = -1, kind: Any = None, order: Any = None) -> ndarray:
    """A sorted copy along ``axis`` (of the flattened array when None); differentiable."""
    t = _tensor(a, "sort")
    if axis is None:
        t, axis = ops.reshape(t, (-1,)), 0
    return _wrap(ops.take_along_axis(t, ops.argsort(t, axis=axis), axis))


def argsort(a: Any, axis: Optional[int] = -1, kind: Any = None, order: Any = None) -> ndarray:
    """Indices (int64) that sort ``a`` along ``axis`` (stable)."""
    t = _tensor(a, "argsort")
    if axis is None:
        t, axis = ops.reshape(t, (-1,)), 0
    return _wrap(ops.argsort(t, axis=axis))


def take(a: Any, indices: Any, axis: Optional[int] = None, mode: str = "raise", out: Optional[ndarray] = None) -> ndarray:
    """Elements (or slices along ``axis``) of ``a`` at integer ``indices``."""
    idx = _tensor(indices, "take") if isinstance(indices, NDArray) else indices
    if isinstance(idx, Tensor) and idx.dtype.kind == "f":
        idx = ops.astype(idx, D.INT64)
    return _out(_wrap(ops.take(_tensor(a, "take"), idx, axis=axis, mode=mode)), out)


def meshgrid(*xi: Any, indexing: str = "xy", sparse: bool = False, copy: bool = True) -> List[ndarray]:
    """Coordinate matrices from 1-D coordinate vectors (``indexing`` 'xy' or 'ij')."""
    if indexing not in ("xy", "ij"):
        raise ValueError(f"meshgrid: indexing must be 'xy' or 'ij', got {indexing!r}")
    ts = [ops.reshape(_tensor(x, "meshgrid"), (-1,)) for x in xi]
    n = len(ts)
    shape = [t.shape[0] for t in ts]
    if indexing == "xy" and n > 1:
        shape[0], shape[1] = shape[1], shape[0]
    out = []
    for i, t in enumerate(ts):
        view = [1] * n
        pos = i
        if indexing == "xy" and n > 1 and i < 2:
            pos = 1 - i
        view[pos] = t.shape[0]
        r = ops.reshape(t, tuple(view))
        out.append(_wrap(_own(r if sparse else ops.broadcast_to(r, tuple(shape)), t)))
    return out


def shape(a: Any) -> tuple:
    return tuple(_tensor(a).shape)


def size(a: Any) -> int:
    return _tensor(a).size


def ndim(a: Any) -> int:
    return _tensor(a).ndim


def copy(a: Any) -> ndarray:
    return _as_nd(a).copy()


# -- creation ----------------------------------------------------------------------------------------

def array(object: Any, dtype: Any = None, ctx: Optional[Context] = None) -> ndarray:  # noqa: A002
    """An array from data. Without ``dtype``: an mx or NumPy array keeps its dtype, anything else (Python
    lists and numbers, also of ints or bools) becomes float32, as MXNet's default."""
    dev = _dev(ctx)
    if isinstance(object, NDArray):
        t = object._t
        dt = t.dtype if dtype is None else _onp.dtype(dtype)
        host = _onp.array(t.numpy(), dtype=dt, copy=True)
    elif isinstance(object, (_onp.ndarray, _onp.generic)):
        host = _onp.array(object, dtype=object.dtype if dtype is None else _onp.dtype(dtype), copy=True)
    else:
        try:
            host = _onp.array(object, dtype=D.as_dtype(dtype))
        except (TypeError, ValueError) as e:
            raise TypeError(f"array: cannot make an array from {type(object).__name__}: {e}") from None
    return _wrap(Tensor._from_any(host, dev))


asarray = array


def _c_order(name: str, order: Any) -> None:
    if order != "C":
        raise NotImplementedError(f"`{name}` only supports order equal to `C`, while received {order}")


def _shape_arg(shape: Any) -> tuple:
    return (int(shape),) if isinstance(shape, (int, _onp.integer)) else tuple(int(d) for d in shape)


def zeros(shape: Any, dtype: Any = None, order: str = "C", ctx: Optional[Context] = None) -> ndarray:
    """Zeros of ``shape`` (float32 by default)."""
    _c_order("zeros", order)
    return _wrap(unidl.zeros(_shape_arg(shape), dtype=D.as_dtype(dtype), device=_dev(ctx)))


def ones(shape: Any, dtype: Any = None, order: str = "C", ctx: Optional[Context] = None) -> ndarray:
    """Ones of ``shape`` (float32 by default)."""
    _c_order("ones", order)
    return _wrap(unidl.ones(_shape_arg(shape), dtype=D.as_dtype(dtype), device=_dev(ctx)))


def empty(shape: Any, dtype: Any = None, order: str = "C", ctx: Optional[Context] = None) -> ndarray:
    """An uninitialised array of ``shape`` (float32 by default)."""
    _c_order("empty", order)
    return _wrap(unidl.empty(_shape_arg(shape), dtype=D.as_dtype(dtype), device=_dev(ctx)))


def full(shape: Any, fill_value: Any, dtype: Any = None, order: str = "C", ctx: Optional[Context] = None) -> ndarray:
    """``fill_value`` everywhere (float32 unless ``dtype`` is given, also for integer fill values)."""
    _c_order("full", order)
    if isinstance(fill_value, NDArray):
        dt = fill_value._t.dtype if dtype is None else _onp.dtype(dtype)
        return _wrap(_cast(ops.broadcast_to(fill_value._t, _shape_arg(shape)), dt))
    return _wrap(unidl.full(_shape_arg(shape), fill_value, dtype=D.as_dtype(dtype), device=_dev(ctx)))


def _like(fn, name: str):
    def op(a: Any, dtype: Any = None, order: str = "C", ctx: Optional[Context] = None, out: Any = None) -> ndarray:
        _c_order(name, order)
        t = _tensor(a, name)
        dt = t.dtype if dtype is None else _onp.dtype(dtype)
        dev = t.device if ctx is None else ctx.unidl_device
        return _wrap(fn(t.shape, dtype=dt, device=dev))

    op.__name__ = name
    op.__doc__ = f"``{name}``: same shape as ``a``, its dtype unless ``dtype`` is given."
    return op


zeros_like = _like(unidl.zeros, "zeros_like")
ones_like = _like(unidl.ones, "ones_like")
empty_like = _like(unidl.empty, "empty_like")


def full_like(a: Any, fill_value: Any, dtype: Any = None, order: str = "C", ctx: Optional[Context] = None,
              out: Any = None) -> ndarray:
    _c_order("full_like", order)
    t = _tensor(a, "full_like")
    dt = t.dtype if dtype is None else _onp.dtype(dtype)
    return _wrap(unidl.full(t.shape, fill_value, dtype=dt, device=t.device if ctx is None else ctx.unidl_device))


def arange(start: Any, stop: Any = None, step: Any = 1, dtype: Any = None, ctx: Optional[Context] = None) -> ndarray:
    """Evenly spaced values in [start, stop); float32 unless ``dtype`` is given (also for int arguments)."""
    return _wrap(unidl.arange(start, stop, step, dtype=D.as_dtype(dtype), device=_dev(ctx)))


def linspace(start: float, stop: float, num: int = 50, endpoint: bool = True, retstep: bool = False,
             dtype: Any = None, axis: int = 0, ctx: Optional[Context] = None) -> Any:
    """``num`` evenly spaced values from start to stop (float32 by default)."""
    out = _wrap(unidl.linspace(start, stop, num, endpoint=endpoint, dtype=D.as_dtype(dtype), device=_dev(ctx)))
    if retstep:
        return out, (stop - start) / ((num - 1) if endpoint else num)
    return out


def eye(N: int, M: Optional[int] = None, k: int = 0, dtype: Any = None, ctx: Optional[Context] = None) -> ndarray:  # noqa: N803
    """An (N, M) array with ones on diagonal ``k`` (float32 by default)."""
    return _wrap(unidl.eye(N, M, k, dtype=D.as_dtype(dtype), device=_dev(ctx)))


def identity(n: int, dtype: Any = None, ctx: Optional[Context] = None) -> ndarray:
    return eye(n, dtype=dtype, ctx=ctx)


__all__ = [n for n in dir() if not n.startswith("_") and n not in (
    "Any", "List", "Optional", "Sequence", "Number", "Context", "current_context", "Tensor", "NDArray",
    "MXNetError", "unidl", "ops", "annotations", "D", "ndarray")]
