"""``keras.ops`` NumPy-like ops, computed with :mod:`unidl.ops` (differentiable where the math is).

Every op accepts unidl Tensors, keras Variables, NumPy arrays and Python scalars, follows Keras 3's
dtype rules (see :mod:`._dtypes`: e.g. ``exp`` of ints gives floatx, ``sum`` of bools gives int32,
``argmax`` gives int32) and, given a KerasTensor, records a functional-graph node (:mod:`.node`).
Shapes follow NumPy broadcasting. Ops with no core kernel (``argsort``, ``sort``, ``nonzero``,
``unique``-like ones) compute their *indices* by a host round trip; those indices are not
differentiable, but ``sort``'s values are gathered with ``take_along_axis`` and so are.
"""
from __future__ import annotations

import builtins as _b
import sys
import math as _math
from typing import Any, List, Optional, Sequence, Tuple, Union

import numpy as np

import unidl
from unidl import ops as U
from unidl.tensor import Tensor

from ..backend import config
from . import _dtypes
from ._dtypes import float_of, operands, result_type, to_tensor
from . import _broadcast
from ._broadcast import symbolic_broadcast
from .node import symbolic

Axis = Union[None, int, Sequence[int]]

__all__: List[str] = []


def _export(fn):
    """Register ``fn`` (wrapped for symbolic inputs) in ``__all__`` under its own name."""
    wrapped = symbolic(fn)
    __all__.append(fn.__name__)
    return wrapped


def _export_broadcast(fn):
    """``_export`` for elementwise ops: symbolic shapes broadcast as Keras does ((None, 3) and (2, None)
    give (2, 3)); see :mod:`._broadcast`."""
    __all__.append(fn.__name__)
    return symbolic_broadcast(fn)


def _export_ruled(rule):
    """``_export`` for ops whose symbolic output shape follows Keras's rule ``rule(*args, **kwargs)``
    (contractions and gathers, where unknown dims must match known ones); see :mod:`._broadcast`."""
    def deco(fn):
        __all__.append(fn.__name__)
        return symbolic(fn, _broadcast.ruled_spec(rule, fn))
    return deco


def _t(x: Any) -> Tensor:
    return to_tensor(x)


def _int32(x: Tensor) -> Tensor:
    return _dtypes.cast_to(x, "int32")


def _axis_tuple(axis: Axis, ndim: int) -> Optional[Tuple[int, ...]]:
    if axis is None:
        return None
    ax = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    return tuple(int(a) % ndim if ndim else 0 for a in ax)


# -- creation ----------------------------------------------------------------------------------------

def _shape_of(shape: Any) -> Tuple[int, ...]:
    if isinstance(shape, (int, np.integer)):
        return (int(shape),)
    return tuple(int(d) for d in shape)


def _creation_dtype(dtype: Any) -> str:
    return config.standardize_dtype(dtype)


def zeros(shape: Any, dtype: Any = None) -> Tensor:
    """Zeros of ``shape`` (floatx unless ``dtype``)."""
    return unidl.zeros(_shape_of(shape), dtype=_creation_dtype(dtype))


def ones(shape: Any, dtype: Any = None) -> Tensor:
    """Ones of ``shape`` (floatx unless ``dtype``)."""
    return unidl.ones(_shape_of(shape), dtype=_creation_dtype(dtype))


def empty(shape: Any, dtype: Any = None) -> Tensor:
    """A tensor of ``shape`` (zero-filled here)."""
    return zeros(shape, dtype)


def full(shape: Any, fill_value: Any, dtype: Any = None) -> Tensor:
    """``fill_value`` (a scalar or a tensor broadcast to ``shape``) everywhere; floatx unless ``dtype``."""
    dt = _creation_dtype(dtype)
    if isinstance(fill_value, Tensor) or isinstance(fill_value, np.ndarray) and fill_value.ndim:
        return U.broadcast_to(_dtypes.cast_to(_t(fill_value), dt), _shape_of(shape))
    return unidl.full(_shape_of(shape), fill_value, dtype=dt)


def identity(n: int, dtype: Any = None) -> Tensor:
    """The ``n x n`` identity matrix."""
    return unidl.eye(int(n), dtype=_creation_dtype(dtype))


def eye(N: int, M: Optional[int] = None, k: int = 0, dtype: Any = None) -> Tensor:  # noqa: N803 - Keras's names
    """Ones on diagonal ``k`` of an ``N x M`` matrix. Shape: (N, M or N)."""
    return unidl.eye(int(N), None if M is None else int(M), int(k), dtype=_creation_dtype(dtype))


def tri(N: int, M: Optional[int] = None, k: int = 0, dtype: Any = None) -> Tensor:  # noqa: N803
    """Ones at and below diagonal ``k`` (``j - i <= k``). Shape: (N, M or N)."""
    return _dtypes.cast_to(_tri_mask(int(N), int(N if M is None else M), int(k)), _creation_dtype(dtype))


def arange(start: Any, stop: Any = None, step: Any = 1, dtype: Any = None) -> Tensor:
    """Evenly spaced values in ``[start, stop)``; int32 for ints, floatx for floats unless ``dtype``."""
    if dtype is None:
        vals = [v for v in (start, stop, step) if v is not None]
        dtype = result_type(*[float(v) if isinstance(v, Tensor) and v.dtype.kind == "f" else
                              int(v) if isinstance(v, Tensor) else v for v in vals])
    s = [float(v) if isinstance(v, Tensor) else v for v in (start, stop, step)]
    return unidl.arange(s[0], s[1], s[2], dtype=config.standardize_dtype(dtype))


def linspace(start: Any, stop: Any, num: int = 50, endpoint: bool = True, retstep: bool = False,
             dtype: Any = None, axis: int = 0) -> Any:
    """``num`` evenly spaced values from ``start`` to ``stop`` (floatx unless ``dtype``)."""
    dt = _creation_dtype(dtype)
    a, b = float(start), float(stop)
    out = unidl.linspace(a, b, int(num), endpoint=endpoint, dtype=dt)
    if retstep:
        div = (num - 1) if endpoint else num
        return out, (b - a) / div if div > 0 else float("nan")
    return out


def meshgrid(*x: Any, indexing: str = "xy") -> List[Tensor]:
    """Coordinate grids from 1-D tensors, as ``np.meshgrid`` (``'xy'`` or ``'ij'`` indexing)."""
    ts = [U.reshape(_t(v), (-1,)) for v in x]
    n = len(ts)
    shape = [t.shape[0] for t in ts]
    if indexing == "xy" and n >= 2:
        shape[0], shape[1] = shape[1], shape[0]
    out = []
    for i, t in enumerate(ts):
        pos = i
        if indexing == "xy" and n >= 2 and i < 2:
            pos = 1 - i
        view = [1] * n
        view[pos] = t.shape[0]
        out.append(U.broadcast_to(U.reshape(t, view), shape))
    return out


for _f in (zeros, ones, empty, full, identity, eye, tri, arange, linspace, meshgrid):
    __all__.append(_f.__name__)


@_export
def zeros_like(x: Any, dtype: Any = None) -> Tensor:
    """Zeros with ``x``'s shape (and dtype unless ``dtype``)."""
    return U.zeros_like(_t(x), dtype=None if dtype is None else config.standardize_dtype(dtype))


@_export
def ones_like(x: Any, dtype: Any = None) -> Tensor:
    """Ones with ``x``'s shape (and dtype unless ``dtype``)."""
    return U.ones_like(_t(x), dtype=None if dtype is None else config.standardize_dtype(dtype))


@_export
def full_like(x: Any, fill_value: Any, dtype: Any = None) -> Tensor:
    """``fill_value`` with ``x``'s shape (and dtype unless ``dtype``)."""
    x = _t(x)
    dt = x.dtype if dtype is None else np.dtype(config.standardize_dtype(dtype))
    if isinstance(fill_value, (Tensor, np.ndarray)):
        return U.broadcast_to(_dtypes.cast_to(_t(fill_value), dt), x.shape)
    return U.full_like(x, fill_value, dtype=dt)


@_export
def array(x: Any, dtype: Any = None) -> Tensor:
    """``x`` as a tensor (Keras's ``ops.array``)."""
    return to_tensor(x, dtype)


@_export
def copy(x: Any) -> Tensor:
    """A new tensor with ``x``'s values (differentiable)."""
    x = _t(x)
    return U.add(x, U.zeros_like(x)) if x.dtype.kind != "b" else U.logical_or(x, U.zeros_like(x))


# -- elementwise: binary ------------------------------------------------------------------------------

def _binary(core_fn, name: str, doc: str, floating: bool = False):
    def fn(x1: Any, x2: Any) -> Tensor:
        if isinstance(x1, Tensor) and isinstance(x2, Tensor):  # the common case: nothing to convert or cast
            dt = x1.data.dtype
            if dt == x2.data.dtype and (not floating or dt.kind == "f"):  # (operands() would give them back)
                return core_fn(x1, x2)
        a, b = operands(x1, x2)
        if floating and not _dtypes.is_floating(result_type(a, b)):
            a, b = operands(a, b, dtype=config.floatx())
        return core_fn(a, b)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc + " Shapes broadcast as NumPy."
    return _export_broadcast(fn)


add = _binary(U.add, "add", "``x1 + x2``.")
subtract = _binary(U.subtract, "subtract", "``x1 - x2``.")
multiply = _binary(U.multiply, "multiply", "``x1 * x2``.")
divide = _binary(U.divide, "divide", "True division ``x1 / x2`` (ints give floatx).", floating=True)
true_divide = _binary(U.divide, "true_divide", "True division ``x1 / x2`` (ints give floatx).", floating=True)
floor_divide = _binary(U.floor_divide, "floor_divide", "``x1 // x2`` (not differentiable).")
mod = _binary(U.mod, "mod", "``x1 % x2`` with the sign of ``x2``.")
power = _binary(U.power, "power", "``x1 ** x2``.")
maximum = _binary(U.maximum, "maximum", "Elementwise maximum.")
minimum = _binary(U.minimum, "minimum", "Elementwise minimum.")
equal = _binary(U.equal, "equal", "``x1 == x2`` (bool).")
not_equal = _binary(U.not_equal, "not_equal", "``x1 != x2`` (bool).")
greater = _binary(U.greater, "greater", "``x1 > x2`` (bool).")
greater_equal = _binary(U.greater_equal, "greater_equal", "``x1 >= x2`` (bool).")
less = _binary(U.less, "less", "``x1 < x2`` (bool).")
less_equal = _binary(U.less_equal, "less_equal", "``x1 <= x2`` (bool).")


def _bool(x: Any) -> Tensor:
    return _dtypes.cast_to(_t(x), "bool")


@_export_broadcast
def logical_and(x1: Any, x2: Any) -> Tensor:
    """Elementwise ``x1 and x2`` (inputs taken as bools)."""
    return U.logical_and(_bool(x1), _bool(x2))


@_export_broadcast
def logical_or(x1: Any, x2: Any) -> Tensor:
    """Elementwise ``x1 or x2`` (inputs taken as bools)."""
    return U.logical_or(_bool(x1), _bool(x2))


@_export_broadcast
def logical_xor(x1: Any, x2: Any) -> Tensor:
    """Elementwise exclusive or (inputs taken as bools)."""
    return U.logical_xor(_bool(x1), _bool(x2))


@_export
def logical_not(x: Any) -> Tensor:
    """Elementwise not (input taken as bools)."""
    return U.logical_not(_bool(x))


@_export_broadcast
def divide_no_nan(x1: Any, x2: Any) -> Tensor:
    """``x1 / x2`` with 0 where ``x2 == 0``."""
    a, b = operands(x1, x2)
    if not _dtypes.is_floating(result_type(a, b)):
        a, b = operands(a, b, dtype=config.floatx())
    zero = U.equal(b, 0)
    safe = U.where(zero, U.ones_like(b) if isinstance(b, Tensor) else 1, b)
    return U.where(zero, U.zeros_like(U.divide(a, safe)), U.divide(a, safe))


@_export_broadcast
def logaddexp(x1: Any, x2: Any) -> Tensor:
    """``log(exp(x1) + exp(x2))`` computed stably (ints give floatx)."""
    a, b = operands(x1, x2)
    return U.logaddexp(*operands(a, b, dtype=result_type(a, b) if _dtypes.is_floating(result_type(a, b)) else config.floatx()))


@_export_broadcast
def isclose(x1: Any, x2: Any, rtol: float = 1e-5, atol: float = 1e-8, equal_nan: bool = False) -> Tensor:
    """``|x1 - x2| <= atol + rtol * |x2|`` elementwise for floats, equality for ints (bool)."""
    from .numpy_elementwise import isclose_

    return isclose_(x1, x2, rtol, atol, equal_nan)


@_export_broadcast
def where(condition: Any, x1: Any = None, x2: Any = None) -> Any:
    """``x1`` where ``condition`` else ``x2`` (broadcast); with neither, the indices of non-zeros."""
    if x1 is None and x2 is None:
        return nonzero(condition)
    if x1 is None or x2 is None:
        raise ValueError("`x1` and `x2` either both should be `None` or both should have non-None value.")
    cond = _bool(condition)
    a, b = operands(x1, x2)
    return U.where(cond, a, b)


# -- elementwise: unary -------------------------------------------------------------------------------

def _unary(core_fn, name: str, doc: str, floating: bool = False):
    def fn(x: Any) -> Tensor:
        x = _t(x)
        return core_fn(float_of(x) if floating else x)

    fn.__name__ = fn.__qualname__ = name
    fn.__doc__ = doc + (" Ints give floatx." if floating else "") + " Shape: unchanged."
    return _export(fn)


negative = _unary(U.negative, "negative", "``-x``.")
square = _unary(lambda x: U.square(_int32(x) if x.dtype.kind == "b" else x), "square",
                "``x * x`` (bools give int32).")
sign = _unary(U.sign, "sign", "-1, 0 or 1 elementwise.")
exp = _unary(U.exp, "exp", "``e ** x``.", floating=True)
expm1 = _unary(U.expm1, "expm1", "``exp(x) - 1``.", floating=True)
log = _unary(U.log, "log", "Natural logarithm.", floating=True)
log1p = _unary(U.log1p, "log1p", "``log(1 + x)``.", floating=True)
log2 = _unary(U.log2, "log2", "Base-2 logarithm.", floating=True)
log10 = _unary(U.log10, "log10", "Base-10 logarithm.", floating=True)
sqrt = _unary(U.sqrt, "sqrt", "Square root.", floating=True)
reciprocal = _unary(U.reciprocal, "reciprocal", "``1 / x``.", floating=True)
sin = _unary(U.sin, "sin", "Sine.", floating=True)
cos = _unary(U.cos, "cos", "Cosine.", floating=True)
tan = _unary(U.tan, "tan", "Tangent.", floating=True)
arcsin = _unary(U.arcsin, "arcsin", "Inverse sine.", floating=True)
arccos = _unary(U.arccos, "arccos", "Inverse cosine.", floating=True)
arctan = _unary(U.arctan, "arctan", "Inverse tangent.", floating=True)
tanh = _unary(U.tanh, "tanh", "Hyperbolic tangent.", floating=True)
floor = _unary(U.floor, "floor", "Round down.", floating=True)
ceil = _unary(U.ceil, "ceil", "Round up.", floating=True)
trunc = _unary(U.trunc, "trunc", "Round toward zero.")
isnan = _unary(U.isnan, "isnan", "True where NaN.")
isinf = _unary(U.isinf, "isinf", "True where +-inf.")
isfinite = _unary(U.isfinite, "isfinite", "True where finite.")


# unidl has no complex dtypes: every tensor is real
@_export
def real(x: Any) -> Tensor:
    """The real part: ``x`` itself (unidl's tensors are real). Shape: unchanged."""
    return _t(x)


@_export
def imag(x: Any) -> Tensor:
    """The imaginary part: zeros (unidl's tensors are real). Shape: unchanged."""
    return U.zeros_like(_t(x))


@_export
def conjugate(x: Any) -> Tensor:
    """The complex conjugate: ``x`` itself (unidl's tensors are real). Shape: unchanged."""
    return _t(x)


conj = conjugate
__all__.append("conj")


@_export
def digitize(x: Any, bins: Any) -> Tensor:
    """The index of the bin each ``x`` falls in, for increasing ``bins``: the count of bins ``<= x``
    (``np.digitize`` with ``right=False``). Shape: unchanged; dtype int32."""
    x, b = _t(x), _t(bins)
    if b.ndim != 1:
        raise ValueError(f"digitize: `bins` must be 1-D, got shape {tuple(b.shape)}")
    hits = U.greater_equal(U.expand_dims(x, -1), U.reshape(b, (1,) * x.ndim + (-1,)))
    return U.astype(U.sum(U.astype(hits, "int32"), axis=-1), "int32")


@_export
def abs(x: Any) -> Tensor:  # noqa: A001 - Keras's name
    """``|x|`` elementwise. Shape: unchanged."""
    x = _t(x)
    return x if x.dtype.kind in "bu" else U.abs(x)


absolute = abs
__all__.append("absolute")


@_export
def exp2(x: Any) -> Tensor:
    """``2 ** x`` (ints give floatx)."""
    return U.exp(U.multiply(float_of(_t(x)), _math.log(2.0)))


@_export
def sinh(x: Any) -> Tensor:
    """Hyperbolic sine."""
    x = float_of(_t(x))
    return U.multiply(U.subtract(U.exp(x), U.exp(U.negative(x))), 0.5)


@_export
def cosh(x: Any) -> Tensor:
    """Hyperbolic cosine."""
    x = float_of(_t(x))
    return U.multiply(U.add(U.exp(x), U.exp(U.negative(x))), 0.5)


@_export
def arcsinh(x: Any) -> Tensor:
    """Inverse hyperbolic sine, ``log(x + sqrt(x^2 + 1))``."""
    x = float_of(_t(x))
    return U.log(U.add(x, U.sqrt(U.add(U.square(x), 1.0))))


@_export
def arccosh(x: Any) -> Tensor:
    """Inverse hyperbolic cosine, ``log(x + sqrt(x^2 - 1))``."""
    x = float_of(_t(x))
    return U.log(U.add(x, U.sqrt(U.subtract(U.square(x), 1.0))))


@_export
def arctanh(x: Any) -> Tensor:
    """Inverse hyperbolic tangent, ``0.5 * log((1 + x) / (1 - x))``."""
    x = float_of(_t(x))
    return U.multiply(U.log(U.divide(U.add(1.0, x), U.subtract(1.0, x))), 0.5)


@_export
def round(x: Any, decimals: int = 0) -> Tensor:  # noqa: A001
    """Round half to even at ``decimals`` places (ints: to tens, hundreds, ... for negative ``decimals``,
    computed in floatx as Keras does). Shape: unchanged."""
    x = _t(x)
    if x.dtype.kind in "iub":
        if decimals >= 0 or x.dtype.kind == "b":
            return x
        return _dtypes.cast_to(U.round(_dtypes.cast_to(x, config.floatx()), decimals=int(decimals)), x.dtype)
    return U.round(x, decimals=int(decimals))


@_export
def clip(x: Any, x_min: Any, x_max: Any) -> Tensor:
    """``x`` limited to ``[x_min, x_max]``; bools clip as int32. Shape: unchanged."""
    x = _t(x)
    if x.dtype.kind == "b":
        x = _int32(x)
    dt = result_type(x, x_min, x_max)
    x = _dtypes.cast_to(x, dt)
    lo = _dtypes.cast_to(_t(x_min), dt) if isinstance(x_min, (Tensor, np.ndarray)) else x_min
    hi = _dtypes.cast_to(_t(x_max), dt) if isinstance(x_max, (Tensor, np.ndarray)) else x_max
    return U.clip(x, lo, hi)


@_export
def nan_to_num(x: Any, nan: float = 0.0, posinf: Optional[float] = None, neginf: Optional[float] = None) -> Tensor:
    """NaN -> ``nan``, +inf -> ``posinf`` (default: dtype max), -inf -> ``neginf`` (dtype min)."""
    x = _t(x)
    if not _dtypes.is_floating(x.dtype):
        return x
    info = np.finfo(x.dtype)
    x = U.where(U.isnan(x), U.full_like(x, nan), x)
    x = U.where(U.logical_and(U.isinf(x), U.greater(x, 0)), U.full_like(x, info.max if posinf is None else posinf), x)
    return U.where(U.logical_and(U.isinf(x), U.less(x, 0)), U.full_like(x, info.min if neginf is None else neginf), x)


# -- reductions ---------------------------------------------------------------------------------------

def _acc_dtype(dt: np.dtype) -> np.dtype:
    """Keras's accumulation dtype for sum/prod/trace: bools and small signed ints widen to int32, small
    unsigned ints to uint32 (as Keras on JAX; its torch backend, lacking uint32, gives int32)."""
    if dt.kind == "b" or dt.kind == "i" and dt.itemsize < 4:
        return np.dtype("int32")
    if dt.kind == "u" and dt.itemsize < 4:
        return np.dtype("uint32")
    if dt == np.uint32:
        return np.dtype("int64")
    return dt


def _cum_dtype(dt: np.dtype) -> np.dtype:
    """Keras's dtype for cumsum/cumprod: bools give int32, every other dtype is kept (int8 -> int8)."""
    return np.dtype("int32") if dt.kind == "b" else dt


@_export
def sum(x: Any, axis: Axis = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """Sum over ``axis`` (all when None). Bools and small ints sum as int32."""
    x = _t(x)
    dt = _acc_dtype(x.dtype)
    return _dtypes.cast_to(U.sum(_dtypes.cast_to(x, dt), axis=axis, keepdims=keepdims), dt)


@_export
def prod(x: Any, axis: Axis = None, keepdims: bool = False, dtype: Any = None) -> Tensor:
    """Product over ``axis``."""
    x = _t(x)
    dt = _acc_dtype(x.dtype) if dtype is None else np.dtype(config.standardize_dtype(dtype))
    return _dtypes.cast_to(U.prod(_dtypes.cast_to(x, dt), axis=axis, keepdims=keepdims), dt)


@_export
def mean(x: Any, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Mean over ``axis`` (ints give floatx)."""
    return U.mean(float_of(_t(x)), axis=axis, keepdims=keepdims)


@_export
def average(x: Any, axis: Axis = None, weights: Any = None) -> Tensor:
    """Weighted mean over ``axis``; 1-D ``weights`` apply along a single ``axis``."""
    x = _t(x)
    if weights is None:
        return U.mean(float_of(x), axis=axis)
    w = _t(weights)
    x = float_of(_dtypes.cast_to(x, result_type(x, w)))  # Keras: the promoted dtype, floatx for ints
    w = _dtypes.cast_to(w, x.dtype)
    if w.ndim == 1 and x.ndim > 1 and axis is not None:
        shape = [1] * x.ndim
        shape[int(axis) % x.ndim] = w.shape[0]
        w = U.reshape(w, shape)
    w = U.broadcast_to(w, x.shape)
    return U.divide(U.sum(U.multiply(x, w), axis=axis), U.sum(w, axis=axis))


@_export
def var(x: Any, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Population variance over ``axis`` (ints give floatx)."""
    return U.var(float_of(_t(x)), axis=axis, keepdims=keepdims)


@_export
def std(x: Any, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Population standard deviation over ``axis`` (ints give floatx)."""
    return U.std(float_of(_t(x)), axis=axis, keepdims=keepdims)


@_export
def max(x: Any, axis: Axis = None, keepdims: bool = False, initial: Any = None) -> Tensor:  # noqa: A001
    """Maximum over ``axis``, at least ``initial`` when given."""
    x = _t(x)
    out = U.max(x, axis=axis, keepdims=keepdims)
    return out if initial is None else U.maximum(out, x.dtype.type(initial))


@_export
def min(x: Any, axis: Axis = None, keepdims: bool = False, initial: Any = None) -> Tensor:  # noqa: A001
    """Minimum over ``axis``, at most ``initial`` when given."""
    x = _t(x)
    out = U.min(x, axis=axis, keepdims=keepdims)
    return out if initial is None else U.minimum(out, x.dtype.type(initial))


amax = max
amin = min
__all__ += ["amax", "amin"]


@_export
def all(x: Any, axis: Axis = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """Whether all elements along ``axis`` are truthy (bool)."""
    return U.all(_bool(x), axis=axis, keepdims=keepdims)


@_export
def any(x: Any, axis: Axis = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """Whether any element along ``axis`` is truthy (bool)."""
    return U.any(_bool(x), axis=axis, keepdims=keepdims)


@_export
def count_nonzero(x: Any, axis: Axis = None) -> Tensor:
    """The number of non-zero elements along ``axis`` (int32)."""
    return _int32(U.sum(_int32(U.not_equal(_t(x), 0)), axis=axis))


@_export
def argmax(x: Any, axis: Optional[int] = None, keepdims: bool = False) -> Tensor:
    """Index of the maximum along ``axis`` (of the flattened input when None); int32."""
    return _int32(U.argmax(_t(x), axis=axis, keepdims=keepdims))


@_export
def argmin(x: Any, axis: Optional[int] = None, keepdims: bool = False) -> Tensor:
    """Index of the minimum along ``axis`` (of the flattened input when None); int32."""
    return _int32(U.argmin(_t(x), axis=axis, keepdims=keepdims))


@_export
def cumsum(x: Any, axis: Optional[int] = None, dtype: Any = None) -> Tensor:
    """Cumulative sum along ``axis`` (of the flattened input when None)."""
    x = _t(x)
    dt = _cum_dtype(x.dtype) if dtype is None else np.dtype(config.standardize_dtype(dtype))
    return _dtypes.cast_to(U.cumsum(_dtypes.cast_to(x, dt), axis=axis), dt)


@_export
def cumprod(x: Any, axis: Optional[int] = None, dtype: Any = None) -> Tensor:
    """Cumulative product along ``axis`` (a running product of slices: differentiable, O(n) ops)."""
    x = _t(x)
    dt = _cum_dtype(x.dtype) if dtype is None else np.dtype(config.standardize_dtype(dtype))
    x = _dtypes.cast_to(x, dt)
    if axis is None:
        x, axis = U.reshape(x, (-1,)), 0
    n = x.shape[axis]
    if n == 0:
        return x
    parts = U.split(x, n, axis=axis)
    acc, outs = parts[0], [parts[0]]
    for p in parts[1:]:
        acc = U.multiply(acc, p)
        outs.append(acc)
    return U.concatenate(outs, axis=axis)


# -- sorting (the core's stable argsort kernel; indices are not differentiable) -------------------------

@_export
def argsort(x: Any, axis: int = -1) -> Tensor:
    """Indices that sort ``x`` ascending along ``axis`` (None: flattened); int32, stable."""
    x = _t(x)
    if axis is None:
        x, axis = U.reshape(x, (-1,)), 0
    return U.astype(U.argsort(x, axis), "int32")


@_export
def sort(x: Any, axis: int = -1) -> Tensor:
    """``x`` sorted ascending along ``axis``; differentiable in the values (indices from :func:`argsort`)."""
    x = _t(x)
    if axis is None:
        x, axis = U.reshape(x, (-1,)), 0
    return U.take_along_axis(x, U.astype(argsort(x, axis), "int64"), axis=axis)


@_export
def median(x: Any, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Median along ``axis`` (one axis or None), from :func:`sort`."""
    x = float_of(_t(x))
    if axis is None:
        s, ax = sort(U.reshape(x, (-1,)), 0), 0
    elif isinstance(axis, (list, tuple)) and len(axis) != 1:
        raise NotImplementedError("median over several axes is not supported")
    else:
        ax = int(axis[0] if isinstance(axis, (list, tuple)) else axis) % x.ndim
        s = sort(x, ax)
    n = s.shape[ax]
    lo = U.slice_axis(s, ax, (n - 1) // 2, (n - 1) // 2 + 1)
    hi = U.slice_axis(s, ax, n // 2, n // 2 + 1)
    out = U.multiply(U.add(lo, hi), 0.5)
    if keepdims:
        if axis is None:
            return U.reshape(out, (1,) * x.ndim)
        return out
    return U.squeeze(out, ax) if axis is not None else U.reshape(out, ())


@_export
def nonzero(x: Any) -> Tuple[Tensor, ...]:
    """The indices of non-zero elements, one int32 tensor per axis (host round trip)."""
    x = _t(x)
    return tuple(U.astype(i, "int32") for i in U.nonzero(x))


# -- linear algebra ------------------------------------------------------------------------------------

@_export_ruled(_broadcast.matmul_shape)
def matmul(x1: Any, x2: Any) -> Tensor:
    """Matrix product with batch broadcasting. Shapes: (..., n, k), (..., k, m) -> (..., n, m).
    int8 x int8 gives int32 (Keras accumulates in int32)."""
    if isinstance(x1, Tensor) and isinstance(x2, Tensor):  # the common case: one float dtype, nothing to cast
        dt = x1.data.dtype
        if dt == x2.data.dtype and dt.kind == "f":
            return U.matmul(x1, x2)
    a, b = _t(x1), _t(x2)
    if a.dtype == np.int8 and b.dtype == np.int8:
        return U.matmul(_int32(a), _int32(b))
    return U.matmul(*operands(a, b))


@_export
def dot(x1: Any, x2: Any) -> Tensor:
    """``np.dot``: products for scalars, inner product for vectors, matmul-like otherwise."""
    a, b = operands(_t(x1), _t(x2))
    if a.ndim == 0 or b.ndim == 0:
        return U.multiply(a, b)
    return U.dot(a, b)


@_export_ruled(_broadcast.tensordot_shape)
def tensordot(x1: Any, x2: Any, axes: Any = 2) -> Tensor:
    """Sum of products over ``axes`` (an int or two axis lists), as ``np.tensordot``."""
    a, b = operands(_t(x1), _t(x2))
    return U.tensordot(a, b, axes)


@_export
def einsum(subscripts: str, *operands_: Any) -> Tensor:
    """Einstein summation over the operands (cast to their common dtype)."""
    ts = operands(*[_t(o) for o in operands_])
    return U.einsum(subscripts, *ts)


@_export
def outer(x1: Any, x2: Any) -> Tensor:
    """Outer product of the flattened inputs. Shape: (n,), (m,) -> (n, m)."""
    a, b = operands(_t(x1), _t(x2))
    return U.multiply(U.reshape(a, (-1, 1)), U.reshape(b, (1, -1)))


@_export_ruled(_broadcast.inner_shape)
def inner(x1: Any, x2: Any) -> Tensor:
    """Sum of products over the last axes."""
    a, b = operands(_t(x1), _t(x2))
    if a.ndim == 0 or b.ndim == 0:
        return U.multiply(a, b)
    return U.tensordot(a, b, ([a.ndim - 1], [b.ndim - 1]))


@_export
def vdot(x1: Any, x2: Any) -> Tensor:
    """Dot product of the flattened inputs (a scalar)."""
    a, b = operands(_t(x1), _t(x2))
    # the promoted dtype, as Keras (NumPy's sum would widen int16 to int64)
    return _dtypes.cast_to(U.sum(U.multiply(U.reshape(a, (-1,)), U.reshape(b, (-1,)))), a.dtype)


def _tri_mask(n: int, m: int, k: int) -> Tensor:
    rows = U.reshape(unidl.arange(n, dtype="int64"), (n, 1))
    cols = U.reshape(unidl.arange(m, dtype="int64"), (1, m))
    return U.less_equal(U.subtract(cols, rows), k)


@_export
def tril(x: Any, k: int = 0) -> Tensor:
    """``x`` with elements above diagonal ``k`` of its last two axes set to 0."""
    x = _t(x)
    mask = _tri_mask(x.shape[-2], x.shape[-1], int(k))
    return U.where(mask, x, U.zeros_like(x))


@_export
def triu(x: Any, k: int = 0) -> Tensor:
    """``x`` with elements below diagonal ``k`` of its last two axes set to 0."""
    x = _t(x)
    mask = _tri_mask(x.shape[-2], x.shape[-1], int(k) - 1)
    return U.where(mask, U.zeros_like(x), x)


@_export
def diagonal(x: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Tensor:
    """The diagonal ``offset`` of the 2-D slices on ``(axis1, axis2)``, as a last axis."""
    x = _t(x)
    x = U.moveaxis(x, [axis1, axis2], [-2, -1])
    n, m = x.shape[-2], x.shape[-1]
    off = int(offset)
    rows = U.reshape(unidl.arange(n, dtype="int64"), (n, 1))
    cols = U.reshape(unidl.arange(m, dtype="int64"), (1, m))
    on = U.equal(U.subtract(cols, rows), off)
    picked = U.sum(U.where(on, x, U.zeros_like(x)), axis=-1)
    start = _b.max(0, -off)
    stop = _b.max(start, _b.min(n, m - off))
    return U.slice_axis(picked, -1, start, stop)


@_export
def diag(x: Any, k: int = 0) -> Tensor:
    """A 1-D input: the square matrix with it on diagonal ``k``; a 2-D input: its diagonal ``k``."""
    x = _t(x)
    k = int(k)
    if x.ndim == 2:
        return diagonal(x, k)
    if x.ndim != 1:
        raise ValueError(f"`diag` expects a 1-D or 2-D input; received shape {x.shape}")
    n = x.shape[0] + _b.abs(k)
    rows = U.reshape(unidl.arange(n, dtype="int64"), (n, 1))
    cols = U.reshape(unidl.arange(n, dtype="int64"), (1, n))
    on = U.equal(U.subtract(cols, rows), k)
    if k >= 0:
        vals = U.reshape(U.pad(x, ((0, k),)), (n, 1))
    else:
        vals = U.reshape(U.pad(x, ((0, -k),)), (1, n))
    vals = U.broadcast_to(vals, (n, n))
    return U.where(on, vals, U.zeros_like(vals))


@_export
def trace(x: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Tensor:
    """Sum of the diagonal ``offset`` on ``(axis1, axis2)``."""
    d = diagonal(x, offset, axis1, axis2)
    return _dtypes.cast_to(U.sum(_dtypes.cast_to(d, _acc_dtype(d.dtype)), axis=-1), _acc_dtype(d.dtype))


# -- shape and arrangement ----------------------------------------------------------------------------

@_export
def reshape(x: Any, newshape: Any) -> Tensor:
    """``x`` with shape ``newshape`` (one entry may be -1)."""
    return U.reshape(_t(x), _shape_of(newshape))


@_export
def ravel(x: Any) -> Tensor:
    """``x`` flattened to 1-D."""
    return U.reshape(_t(x), (-1,))


@_export
def transpose(x: Any, axes: Any = None) -> Tensor:
    """Permute axes (reverse them when None)."""
    return U.transpose(_t(x), None if axes is None else tuple(int(a) for a in axes))


@_export
def expand_dims(x: Any, axis: Any) -> Tensor:
    """Insert size-1 axes at ``axis``."""
    return U.expand_dims(_t(x), axis)


@_export
def squeeze(x: Any, axis: Any = None) -> Tensor:
    """Remove size-1 axes (those in ``axis``, or all)."""
    return U.squeeze(_t(x), axis)


@_export
def moveaxis(x: Any, source: Any, destination: Any) -> Tensor:
    """Move axes ``source`` to positions ``destination``."""
    return U.moveaxis(_t(x), source, destination)


@_export
def swapaxes(x: Any, axis1: int, axis2: int) -> Tensor:
    """Exchange two axes."""
    return U.swapaxes(_t(x), int(axis1), int(axis2))


@_export
def broadcast_to(x: Any, shape: Any) -> Tensor:
    """``x`` broadcast to ``shape``."""
    return U.broadcast_to(_t(x), _shape_of(shape))


@_export
def flip(x: Any, axis: Axis = None) -> Tensor:
    """Reverse the order along ``axis`` (all axes when None)."""
    return U.flip(_t(x), axis)


@_export
def tile(x: Any, repeats: Any) -> Tensor:
    """Repeat ``x`` ``repeats[i]`` times along each axis, as ``np.tile``."""
    return U.tile(_t(x), repeats if isinstance(repeats, (int, np.integer)) else tuple(int(r) for r in repeats))


@_export
def repeat(x: Any, repeats: Any, axis: Optional[int] = None) -> Tensor:
    """Repeat each element ``repeats`` times along ``axis`` (flattened when None)."""
    if isinstance(repeats, Tensor):
        repeats = repeats.numpy().tolist()
    return U.repeat(_t(x), repeats, axis)


@_export
def roll(x: Any, shift: Any, axis: Axis = None) -> Tensor:
    """Shift elements cyclically by ``shift`` along ``axis`` (flattened when None)."""
    x = _t(x)
    if axis is None:
        return U.reshape(roll(U.reshape(x, (-1,)), shift, 0), x.shape)
    shifts = (shift,) * (1 if isinstance(axis, int) else len(axis)) if isinstance(shift, int) else tuple(shift)
    axes = (axis,) if isinstance(axis, int) else tuple(axis)
    for s, ax in zip(shifts, axes):
        n = x.shape[ax]
        if n == 0:
            continue
        s = int(s) % n
        if s:
            x = U.concatenate([U.slice_axis(x, ax, n - s, n), U.slice_axis(x, ax, 0, n - s)], axis=ax)
    return x


@_export
def pad(x: Any, pad_width: Any, mode: str = "constant", constant_values: Any = None) -> Tensor:
    """Pad as ``np.pad``: ``pad_width`` one ``(before, after)`` per axis (or broadcastable).

    ``mode``: 'constant' (``constant_values``, default 0), 'edge' or 'reflect'.
    """
    x = _t(x)
    if constant_values is not None and mode != "constant":
        raise ValueError("Argument `constant_values` can only be provided when `mode == 'constant'`. "
                         f"Received: mode={mode}")
    if mode not in ("constant", "edge", "reflect"):
        raise NotImplementedError(f"pad mode {mode!r} is not supported (use 'constant', 'edge' or 'reflect')")
    pw = np.broadcast_to(np.asarray(pad_width, dtype=np.int64), (x.ndim, 2)) if x.ndim else pad_width
    pw = tuple((int(a), int(b)) for a, b in pw)
    return U.pad(x, pw, mode=mode, constant_value=0 if constant_values is None else constant_values)


def _cast_all(xs: Sequence[Any]) -> List[Tensor]:
    ts = [_t(v) for v in xs]
    dt = result_type(*ts)
    return [_dtypes.cast_to(t, dt) for t in ts]


@_export
def concatenate(xs: Sequence[Any], axis: Optional[int] = 0) -> Tensor:
    """Join tensors along ``axis`` (dtypes promoted as Keras does)."""
    return U.concatenate(_cast_all(xs), axis=axis)


@_export
def append(x1: Any, x2: Any, axis: Optional[int] = None) -> Tensor:
    """``x2`` appended after ``x1`` along ``axis`` (both flattened when None)."""
    a, b = _cast_all([x1, x2])
    if axis is None:
        a, b, axis = U.reshape(a, (-1,)), U.reshape(b, (-1,)), 0
    return U.concatenate([a, b], axis=axis)


@_export
def stack(x: Sequence[Any], axis: int = 0) -> Tensor:
    """Join same-shape tensors along a new ``axis``."""
    return U.stack(_cast_all(x), axis=axis)


@_export
def hstack(xs: Sequence[Any]) -> Tensor:
    """Join horizontally: along axis 0 for 1-D inputs, axis 1 otherwise."""
    ts = _cast_all(xs)
    return U.concatenate(ts, axis=0 if ts[0].ndim == 1 else 1)


@_export
def vstack(xs: Sequence[Any]) -> Tensor:
    """Join vertically (1-D inputs become rows)."""
    ts = [U.reshape(t, (1, -1)) if t.ndim < 2 else t for t in _cast_all(xs)]
    return U.concatenate(ts, axis=0)


@_export
def split(x: Any, indices_or_sections: Any, axis: int = 0) -> List[Tensor]:
    """Split into equal sections or at indices along ``axis``, as ``np.split``."""
    ios = indices_or_sections
    if not isinstance(ios, (int, np.integer)):
        ios = [int(i) for i in ios]
    return U.split(_t(x), ios, axis=axis)


@_export
def diff(a: Any, n: int = 1, axis: int = -1) -> Tensor:
    """``n``-th discrete difference along ``axis``."""
    x = _t(a)
    for _ in range(int(n)):
        m = x.shape[axis]
        x = U.subtract(U.slice_axis(x, axis, 1, m), U.slice_axis(x, axis, 0, m - 1))
    return x


# -- indexing -----------------------------------------------------------------------------------------

def _index_tensor(indices: Any) -> Tensor:
    idx = _t(indices)
    if idx.dtype.kind == "f":
        idx = U.astype(idx, "int64")
    return idx


@_export
def take(x: Any, indices: Any, axis: Optional[int] = None) -> Tensor:
    """Elements of ``x`` at ``indices`` along ``axis`` (the flattened ``x`` when None); negative
    indices count from the end."""
    return U.take(_t(x), _index_tensor(indices), axis=axis)


@_export
def take_along_axis(x: Any, indices: Any, axis: Optional[int] = None) -> Tensor:
    """``np.take_along_axis``: pick along ``axis`` with same-rank ``indices`` (broadcast as NumPy)."""
    x = _t(x)
    idx = _index_tensor(indices)
    if axis is None:
        return U.take_along_axis(U.reshape(x, (-1,)), U.reshape(idx, (-1,)), 0)
    ax = int(axis) % x.ndim
    if idx.ndim == x.ndim:
        xs = list(x.shape)
        ishape = list(idx.shape)
        full = [_b.max(a, b) if i != ax else None for i, (a, b) in enumerate(zip(xs, ishape))]
        x_t = [d if i == ax else full[i] for i, d in enumerate(xs)]
        i_t = [d if i == ax else full[i] for i, d in enumerate(ishape)]
        if tuple(x_t) != tuple(xs):
            x = U.broadcast_to(x, x_t)
        if tuple(i_t) != tuple(ishape):
            idx = U.broadcast_to(idx, i_t)
    return U.take_along_axis(x, idx, ax)


@_export
def get_item(x: Any, key: Any) -> Tensor:
    """``x[key]`` with NumPy indexing."""
    return U.getitem(_t(x), key)


@_export
def select(condlist: Sequence[Any], choicelist: Sequence[Any], default: Any = 0) -> Tensor:
    """Per element, the choice of the first true condition (``default`` when none), as ``np.select``."""
    choices = _cast_all(choicelist)
    dt = choices[0].dtype
    out = U.full_like(choices[0], default, dtype=dt) if not isinstance(default, Tensor) else \
        U.broadcast_to(_dtypes.cast_to(default, dt), choices[0].shape)
    for c, v in reversed(list(zip(condlist, choices))):
        out = U.where(_bool(c), v, out)
    return out


# -- shape facts --------------------------------------------------------------------------------------

def ndim(x: Any) -> int:
    """The number of axes."""
    return len(x.shape) if hasattr(x, "shape") else np.ndim(x)


def size(x: Any) -> int:
    """The number of elements."""
    return int(np.prod(x.shape)) if hasattr(x, "shape") else int(np.size(x))


__all__ += ["ndim", "size"]

from .numpy_elementwise import *  # noqa: E402,F401,F403 - arctan2, hypot, bitwise ops, gcd, view, ... (adds to __all__)

from .numpy_extra import *  # noqa: E402,F401,F403 - statistics, ranges, splits, search ops (adds to __all__)

# ``Any`` here is Keras's op class of ``any`` (keras.src.ops.numpy.Any, made by __getattr__), not typing.Any,
# which this module only names in annotations (strings, under ``from __future__ import annotations``)
del Any


def __getattr__(name: str) -> Any:
    # Keras's op classes (``Pad``, ``Cumsum``, ``TakeAlongAxis``, ...) exist where the function does
    from .operation import op_class

    cls = op_class(sys.modules[__name__], name)
    if cls is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return cls
