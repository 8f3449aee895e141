"""More ``keras.ops`` NumPy-like ops: NaN-ignoring reductions, quantiles, ranges with tensor endpoints,
splitting/stacking helpers, rotations, histograms and searching, windows, and Keras's shape helpers.

Each op applies Keras 3's argument checks and dtype rules (as the torch backend, which is the
reference of the conformance runs) and computes with :mod:`unidl.ops` / :mod:`unidl.ops.statistics`.
Ops whose symbolic output shape cannot come from running them on placeholders (an unknown dimension
that broadcasts, a length that depends on values) give their KerasTensor shape through a ``spec``
function of the same arguments (:func:`_export_spec`). Loaded by :mod:`.numpy`, whose namespace and
``__all__`` receive these names (a function defined here replaces the earlier one of that name).
"""
from __future__ import annotations

import builtins as _b
import functools
from typing import Any, Callable, List, Optional, Sequence, Tuple

import numpy as np

import unidl
from unidl import ops as U
from unidl.ops import statistics as ST
from unidl.tensor import Tensor

from ..backend import config
from ..backend.keras_tensor import KerasTensor
from . import _dtypes
from . import numpy as _np
from ._dtypes import result_type, to_tensor
from ..layers.layer import infer_output_spec
from .node import OpLayer, any_symbolic

__all__: List[str] = []

_cast = _dtypes.cast_to


def _t(x: Any) -> Tensor:
    return to_tensor(x)


def _register(name: str, public: bool = True) -> None:
    __all__.append(name)
    if public and name not in _np.__all__:
        _np.__all__.append(name)


def _export(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn`` routed through an OpLayer for KerasTensor inputs (shapes found on placeholders)."""
    wrapped = _np.symbolic(fn)
    _register(fn.__name__)
    return wrapped


class _InferSpecOpLayer(OpLayer):
    """An OpLayer whose ``spec`` may raise :class:`_Infer` to have the shapes found on placeholders."""

    def compute_output_spec(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.pop("training", None)
        try:
            return self.spec(*args, **kwargs)
        except _Infer:
            with np.errstate(all="ignore"):
                return infer_output_spec(self, args, kwargs)


class _Infer(Exception):
    """Raised by a spec to fall back on running the op on placeholders."""


def _infer_spec(*args: Any, **kwargs: Any) -> Any:
    raise _Infer


def _export_spec(spec: Callable[..., Any], register: bool = True,
                 name: Optional[str] = None) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Like :func:`_export`, with the symbolic output given by ``spec`` (same signature as the op; it
    may raise :class:`_Infer` to run the op on placeholders instead). ``name``: the op's name (default
    the function's)."""

    def deco(fn: Callable[..., Any]) -> Callable[..., Any]:
        op_name = name or fn.__name__

        @functools.wraps(fn)
        def op(*args: Any, **kwargs: Any) -> Any:
            if any_symbolic(args, kwargs):
                return _InferSpecOpLayer(fn, op_name, spec)(*args, **kwargs)
            return fn(*args, **kwargs)

        op.eager = fn  # type: ignore[attr-defined]
        op.__name__ = op.__qualname__ = op_name
        if register:
            _register(op_name)
        return op

    return deco


def _dtype_of(x: Any) -> np.dtype:
    """The dtype ``x`` has as an op input (KerasTensors included)."""
    if isinstance(x, KerasTensor):
        return np.dtype(x.dtype)
    if isinstance(x, Tensor):
        return x.dtype
    return _t(x).dtype


def _shape_of_any(x: Any) -> Tuple[Optional[int], ...]:
    if hasattr(x, "shape"):
        return tuple(x.shape)
    return np.shape(x)


def _float_result(dt: np.dtype) -> np.dtype:
    """Keras's ``result_type(dt, float)``: floats keep their dtype, the rest give floatx."""
    return dt if _dtypes.is_floating(dt) else np.dtype(config.floatx())


def _reduced_shape(shape: Sequence[Optional[int]], axis: Any, keepdims: bool) -> Tuple[Optional[int], ...]:
    nd = len(shape)
    if axis is None:
        return (1,) * nd if keepdims else ()
    axes = {int(a) % nd for a in ((axis,) if isinstance(axis, (int, np.integer)) else axis)} if nd else set()
    if keepdims:
        return tuple(1 if i in axes else d for i, d in enumerate(shape))
    return tuple(d for i, d in enumerate(shape) if i not in axes)


def _bshape(*shapes: Sequence[Optional[int]]) -> Tuple[Optional[int], ...]:
    """Broadcast shapes with unknown (None) dims: a None meets n>1 as n, meets 1 or None as None."""
    nd = _b.max((len(s) for s in shapes), default=0)
    out = []
    for i in range(nd):
        dims = [s[len(s) - nd + i] if len(s) - nd + i >= 0 else 1 for s in shapes]
        known = [d for d in dims if d is not None and d != 1]
        if len(set(known)) > 1:
            raise ValueError(f"Cannot broadcast shape, the failure dim has value {known[0]}, which cannot be "
                             f"broadcasted to {known[1]}. Input shapes are: {', '.join(map(str, shapes))}.")
        if known:
            out.append(known[0])
        elif any(d is None for d in dims):
            out.append(None)
        else:
            out.append(1)
    return tuple(out)


# -- ranges -----------------------------------------------------------------------------------------

def _range_dtype(start: Any, stop: Any, dtype: Any) -> np.dtype:
    if dtype is not None:
        return np.dtype(config.standardize_dtype(dtype))
    return result_type(start, stop, 1.0)


def _is_scalar(v: Any) -> bool:
    return isinstance(v, (int, float, np.number, bool)) or (hasattr(v, "shape") and tuple(v.shape) == ())


def _num(num: Any) -> int:
    return int(num.numpy()) if isinstance(num, Tensor) else int(num)


def _ramp(start: Any, stop: Any, num: int, endpoint: bool, dtype: np.dtype, axis: int) -> Tuple[Tensor, Tensor]:
    """Samples and step in ``dtype`` (computed in float64 for scalar endpoints, else in the float
    dtype the result needs), as ``np.linspace``."""
    scalars = _is_scalar(start) and _is_scalar(stop)
    work = np.dtype("float64") if scalars else (dtype if _dtypes.is_floating(dtype) else np.dtype(config.floatx()))
    s = _cast(_t(start), work) if not _dtypes.is_weak(start) else unidl.tensor(np.asarray(start, dtype=work))
    e = _cast(_t(stop), work) if not _dtypes.is_weak(stop) else unidl.tensor(np.asarray(stop, dtype=work))
    return ST.ramp(s, e, num, endpoint=endpoint, axis=axis)


def _range_spec(start: Any, stop: Any, num: Any = 50, *rest: Any, dtype: Any = None, axis: int = 0,
                retstep: bool = False) -> Any:
    shape = list(_bshape(_shape_of_any(start), _shape_of_any(stop)))
    n = int(num) if not isinstance(num, (Tensor, KerasTensor)) else None
    ax = int(axis) % (len(shape) + 1)
    shape.insert(ax, n)
    dt = _range_dtype(start if not isinstance(start, KerasTensor) else np.zeros((), start.dtype),
                      stop if not isinstance(stop, KerasTensor) else np.zeros((), stop.dtype), dtype)
    out = KerasTensor(tuple(shape), dt.name)
    return (out, KerasTensor(tuple(d for i, d in enumerate(shape) if i != ax), dt.name)) if retstep else out


def _linspace_spec(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    return _range_spec(start, stop, num, dtype=dtype, axis=axis, retstep=retstep)


def _logspace_spec(start, stop, num=50, endpoint=True, base=10, dtype=None, axis=0):
    return _range_spec(start, stop, num, dtype=dtype, axis=axis)


def _geomspace_spec(start, stop, num=50, endpoint=True, dtype=None, axis=0):
    return _range_spec(start, stop, num, dtype=dtype, axis=axis)


@_export_spec(_linspace_spec)
def linspace(start: Any, stop: Any, num: Any = 50, endpoint: bool = True, retstep: bool = False,
             dtype: Any = None, axis: int = 0) -> Any:
    """``num`` evenly spaced samples from ``start`` to ``stop`` (scalars or broadcasting tensors; the
    samples run along ``axis``), as ``np.linspace``. Dtype: ``dtype``, else Keras's
    ``result_type(start, stop, float)``. With ``retstep``, also the spacing."""
    dt = _range_dtype(start, stop, dtype)
    n = _num(num)
    out, step = _ramp(start, stop, n, bool(endpoint), dt, int(axis))
    out = _cast(out, dt)
    if retstep:
        return out, _cast(step, dt if _dtypes.is_floating(dt) else step.dtype)
    return out


@_export_spec(_logspace_spec)
def logspace(start: Any, stop: Any, num: Any = 50, endpoint: bool = True, base: Any = 10, dtype: Any = None,
             axis: int = 0) -> Tensor:
    """``base ** linspace(start, stop, num)``, as ``np.logspace``."""
    dt = _range_dtype(start, stop, dtype)
    out, _ = _ramp(start, stop, _num(num), bool(endpoint), dt, int(axis))
    b = _cast(_t(base), out.dtype) if isinstance(base, Tensor) else base
    return _cast(U.power(b if isinstance(b, Tensor) else unidl.tensor(np.asarray(b, dtype=out.dtype)), out), dt)


@_export_spec(_geomspace_spec)
def geomspace(start: Any, stop: Any, num: Any = 50, endpoint: bool = True, dtype: Any = None,
              axis: int = 0) -> Tensor:
    """A geometric progression from ``start`` to ``stop`` (same sign, non-zero), as ``np.geomspace``."""
    dt = _range_dtype(start, stop, dtype)
    n = _num(num)
    scalars = _is_scalar(start) and _is_scalar(stop)
    work = np.dtype("float64") if scalars else (dt if _dtypes.is_floating(dt) else np.dtype(config.floatx()))
    s = _cast(_t(start), work) if not _dtypes.is_weak(start) else unidl.tensor(np.asarray(start, dtype=work))
    e = _cast(_t(stop), work) if not _dtypes.is_weak(stop) else unidl.tensor(np.asarray(stop, dtype=work))
    s, e = U.add(s, U.zeros_like(e)), U.add(e, U.zeros_like(s))
    ls, le = U.log10(U.abs(s)), U.log10(U.abs(e))
    expo, _ = ST.ramp(ls, le, n, endpoint=bool(endpoint), axis=0)
    out = U.multiply(U.power(unidl.tensor(np.asarray(10.0, dtype=work)), expo), U.sign(s))
    if n > 0:  # the endpoints exactly, as NumPy
        parts = [U.expand_dims(s, 0)]
        if n > 1:
            parts.append(U.slice_axis(out, 0, 1, n - 1 if endpoint else n))
            if endpoint:
                parts.append(U.expand_dims(e, 0))
        out = U.concatenate(parts, axis=0)
    if int(axis) != 0:
        out = U.moveaxis(out, 0, int(axis))
    return _cast(out, dt)


# -- NaN-ignoring reductions ------------------------------------------------------------------------

def _nan_sum_dtype(dt: np.dtype) -> np.dtype:
    """Keras's nansum/nanprod dtype: bool, int8 and int16 give int32; uint8 and uint16 give uint32."""
    if dt.kind == "b" or dt.kind == "i" and dt.itemsize < 4:
        return np.dtype("int32")
    if dt.kind == "u" and dt.itemsize < 4:
        return np.dtype("uint32")
    return dt


def _red_spec(kind: str) -> Callable[..., KerasTensor]:
    def spec(x, axis=None, keepdims=False, **kw):
        dt = np.dtype(x.dtype)
        if kind == "float":
            dt = _float_result(dt)
        elif kind == "sum":
            dt = _nan_sum_dtype(dt)
        elif kind == "prod":
            dt = _nan_sum_dtype(dt)
        elif kind == "arg":
            dt = np.dtype("int32")
        if axis == () or axis == []:
            return KerasTensor(x.shape, dt.name)
        return KerasTensor(_reduced_shape(x.shape, axis, keepdims), dt.name)
    return spec


def _empty_axis(axis: Any) -> bool:
    return isinstance(axis, (tuple, list)) and len(axis) == 0


@_export_spec(_red_spec("sum"))
def nansum(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Sum over ``axis`` treating NaN as zero; bools and small ints sum as int32."""
    x = _t(x) if not isinstance(x, (list, tuple)) else _np.stack(x)
    dt = _nan_sum_dtype(x.dtype)
    if _empty_axis(axis):
        return _cast(ST._fill_nan(x, 0), dt)
    return _cast(ST.nansum(_cast(x, dt) if not _dtypes.is_floating(dt) else x, axis=axis, keepdims=keepdims), dt)


@_export_spec(_red_spec("prod"))
def nanprod(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Product over ``axis`` treating NaN as one (bools and small ints as in :func:`nansum`)."""
    x = _t(x)
    dt = _nan_sum_dtype(x.dtype)
    if _empty_axis(axis):
        return _cast(ST._fill_nan(x, 1), dt)
    return _cast(ST.nanprod(_cast(x, dt), axis=axis, keepdims=keepdims), dt)


@_export_spec(_red_spec("float"))
def nanmean(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Mean of the non-NaN values over ``axis`` (ints give floatx)."""
    x = _t(x)
    if _empty_axis(axis):
        return x
    dt = _float_result(x.dtype)
    return ST.nanmean(_cast(x, dt), axis=axis, keepdims=keepdims)


@_export_spec(_red_spec("float"))
def nanvar(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Population variance of the non-NaN values over ``axis`` (ints give floatx)."""
    x = _t(x)
    dt = _float_result(x.dtype)
    x = _cast(x, dt)
    if _empty_axis(axis):
        return U.where(U.isnan(x), x, U.zeros_like(x))
    return ST.nanvar(x, axis=axis, keepdims=keepdims)


@_export_spec(_red_spec("float"))
def nanstd(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Population standard deviation of the non-NaN values over ``axis`` (ints give floatx)."""
    return U.sqrt(nanvar.eager(x, axis=axis, keepdims=keepdims))


@_export_spec(_red_spec("same"))
def nanmax(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Maximum over ``axis`` ignoring NaN (NaN where a slice is all NaN)."""
    x = _t(x)
    if _empty_axis(axis):
        return x
    return ST.nanmax(x, axis=axis, keepdims=keepdims)


@_export_spec(_red_spec("same"))
def nanmin(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Minimum over ``axis`` ignoring NaN (NaN where a slice is all NaN)."""
    x = _t(x)
    if _empty_axis(axis):
        return x
    return ST.nanmin(x, axis=axis, keepdims=keepdims)


@_export_spec(_red_spec("arg"))
def nanargmax(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Index of the maximum ignoring NaN (-1 where a slice is all NaN); int32."""
    return _cast(ST.nanargmax(_t(x), axis=axis, keepdims=keepdims), "int32")


@_export_spec(_red_spec("arg"))
def nanargmin(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Index of the minimum ignoring NaN (-1 where a slice is all NaN); int32."""
    return _cast(ST.nanargmin(_t(x), axis=axis, keepdims=keepdims), "int32")


def _cum_args(x: Any, axis: Any, dtype: Any) -> Tuple[Tensor, Optional[int], np.dtype]:
    x = _t(x)
    dt = x.dtype if dtype is None else np.dtype(config.standardize_dtype(dtype))
    if dt.kind == "b":
        dt = np.dtype("int32")
    if isinstance(axis, (tuple, list)):
        if len(axis) > 1:
            raise ValueError(f"cumulative ops take one axis; received axis={axis}")
        axis = axis[0] if axis else ()
    if axis is None:
        x, axis = U.reshape(x, (-1,)), 0
    return x, axis, dt


@_export
def nancumsum(x: Any, axis: Any = None, dtype: Any = None) -> Tensor:
    """Cumulative sum treating NaN as zero, over ``axis`` (the flattened input when None); dtype
    ``dtype`` or x's (bools give int32)."""
    x, axis, dt = _cum_args(x, axis, dtype)
    x = _cast(ST._fill_nan(x, 0), dt)
    return x if axis == () else _cast(U.cumsum(x, axis=int(axis)), dt)


@_export
def nancumprod(x: Any, axis: Any = None, dtype: Any = None) -> Tensor:
    """Cumulative product treating NaN as one, over ``axis`` (the flattened input when None); dtype
    ``dtype`` or x's (bools give int32)."""
    x, axis, dt = _cum_args(x, axis, dtype)
    x = _cast(ST._fill_nan(x, 1), dt)
    return x if axis == () else _np.cumprod(x, axis=int(axis), dtype=dt)


# -- quantiles --------------------------------------------------------------------------------------

def _quantile_spec(x, q, axis=None, method="linear", keepdims=False, **kw):
    dt = _float_result(_dtype_of(x))
    qshape = tuple(_shape_of_any(q))
    shape = tuple(x.shape)
    if axis is None:
        out = (1,) * len(shape) if keepdims else ()
    else:
        out = _reduced_shape(shape, axis, keepdims)
    return KerasTensor(qshape + out, dt.name)


def _quantile(x: Any, q: Any, axis: Any, method: str, keepdims: bool, ignore_nan: bool, scale: float = 1.0) -> Tensor:
    x = _t(x)
    result = _float_result(x.dtype)
    work = result_type(x.dtype, "float32")
    x = _cast(x, work)
    qt = _cast(_t(q), work) if isinstance(q, (Tensor, np.ndarray, list, tuple)) else \
        unidl.tensor(np.asarray(q, dtype=work))
    if scale != 1.0:
        qt = U.divide(qt, scale)
    return _cast(ST.quantile(x, qt, axis=axis, method=method, keepdims=keepdims, ignore_nan=ignore_nan), result)


@_export_spec(_quantile_spec)
def quantile(x: Any, q: Any, axis: Any = None, method: str = "linear", keepdims: bool = False) -> Tensor:
    """The ``q``-th quantiles (0-d or 1-D ``q`` in [0, 1]) over ``axis``, as ``np.quantile``."""
    return _quantile(x, q, axis, method, keepdims, False)


@_export_spec(_quantile_spec)
def percentile(x: Any, q: Any, axis: Any = None, method: str = "linear", keepdims: bool = False) -> Tensor:
    """The ``q``-th percentiles (``q`` in [0, 100]) over ``axis``, as ``np.percentile``."""
    return _quantile(x, q, axis, method, keepdims, False, 100.0)


@_export_spec(_quantile_spec)
def nanquantile(x: Any, q: Any, axis: Any = None, method: str = "linear", keepdims: bool = False) -> Tensor:
    """Quantiles of the non-NaN values, as ``np.nanquantile``."""
    return _quantile(x, q, axis, method, keepdims, True)


@_export_spec(_quantile_spec)
def nanpercentile(x: Any, q: Any, axis: Any = None, method: str = "linear", keepdims: bool = False) -> Tensor:
    """Percentiles of the non-NaN values, as ``np.nanpercentile``."""
    return _quantile(x, q, axis, method, keepdims, True, 100.0)


def _nanmedian_spec(x, axis=None, keepdims=False):
    if _empty_axis(axis):
        return KerasTensor(x.shape, x.dtype)
    return _quantile_spec(x, 0.5, axis, keepdims=keepdims)


@_export_spec(_nanmedian_spec)
def nanmedian(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """Median of the non-NaN values over ``axis`` (ints give floatx)."""
    if _empty_axis(axis):
        return _t(x)
    return _quantile(x, 0.5, axis, "linear", keepdims, True)


@_export_spec(lambda x, axis=None, keepdims=False: KerasTensor(
    x.shape if _empty_axis(axis) else _reduced_shape(x.shape, axis, keepdims), x.dtype))
def ptp(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """``max - min`` over ``axis``."""
    x = _t(x)
    if _empty_axis(axis):
        return U.zeros_like(x)
    return ST.ptp(x, axis=axis, keepdims=keepdims)


# -- statistics, products, integration ---------------------------------------------------------------

def _corr_dtype(dt: np.dtype) -> np.dtype:
    if dt == np.int64:
        return np.dtype("float64")
    return _float_result(dt)


@_export_spec(lambda x: KerasTensor(tuple(x.shape), _corr_dtype(_dtype_of(x)).name))
def corrcoef(x: Any) -> Tensor:
    """Pearson correlation coefficients of the rows of ``x``, as ``np.corrcoef``."""
    x = _t(x)
    dt = _corr_dtype(x.dtype)
    work = result_type(dt, "float32")
    return _cast(ST.corrcoef(_cast(x, work)), dt)


def _correlate_dtype(a: Any, b: Any) -> np.dtype:
    dt = result_type(a, b)
    if dt == np.int64:
        return np.dtype("float64")
    if dt.name not in ("bfloat16", "float16", "float64"):
        return np.dtype("float32")
    return dt


def _correlate_spec(x1, x2, mode="valid"):
    for name, t in (("x1", x1), ("x2", x2)):
        if len(_shape_of_any(t)) != 1:
            raise ValueError(f"`{name}` must be a 1-dimensional tensor, but received shape {_shape_of_any(t)}")
    n, m = _shape_of_any(x1)[0], _shape_of_any(x2)[0]
    if mode == "valid":
        length = None if n is None or m is None else _b.max(n, m) - _b.min(n, m) + 1
    elif mode == "same":
        length = None if n is None or m is None else _b.max(n, m)
    else:
        length = None if n is None or m is None else n + m - 1
    return KerasTensor((length,), _correlate_dtype(_dtype_of(x1), _dtype_of(x2)).name)


@_export_spec(_correlate_spec)
def correlate(x1: Any, x2: Any, mode: str = "valid") -> Tensor:
    """Cross-correlation of two 1-D sequences, as ``np.correlate`` (``mode`` 'valid', 'same', 'full')."""
    if mode not in ("valid", "same", "full"):
        raise ValueError(f"`mode` must be one of 'valid', 'same' or 'full'. Received: mode={mode}")
    a, b = _t(x1), _t(x2)
    dt = _correlate_dtype(a, b)
    work = result_type(dt, "float32")
    out = ST.correlate(_cast(a, work), _cast(b, work), mode)
    return _cast(U.squeeze(out) if out.ndim > 1 else out, dt)


@_export
def trapezoid(y: Any, x: Any = None, dx: Any = 1.0, axis: int = -1) -> Tensor:
    """Integral of ``y`` along ``axis`` by the trapezoidal rule (sample points ``x`` or spacing ``dx``)."""
    y = _t(y)
    dt = _float_result(y.dtype) if x is None else _float_result(result_type(y, _t(x)))
    y = _cast(y, dt)
    xt = None if x is None else _cast(_t(x), dt)
    return _cast(ST.trapezoid(y, xt, float(dx) if not isinstance(dx, Tensor) else _cast(dx, dt), int(axis)), dt)


@_export
def vander(x: Any, N: Optional[int] = None, increasing: bool = False) -> Tensor:  # noqa: N803
    """Vandermonde matrix of 1-D ``x`` with ``N`` columns (powers decreasing unless ``increasing``)."""
    if len(x.shape) != 1:
        raise ValueError(f"Input tensor must be 1-dimensional. Received: input.shape={x.shape}")
    if N is not None:
        if not isinstance(N, int):
            raise TypeError(f"Argument `N` must be of type `int`. Received: N={N} of type {type(N)}")
        if N < 0:
            raise ValueError(f"Argument 'N' must be nonnegative. Received: N={N}")
    if not isinstance(increasing, bool):
        raise TypeError(f"Argument `increasing` must be of type `bool`. Received: increasing={increasing} "
                        f"of type {type(increasing)}")
    return ST.vander(_t(x), N, increasing)


def _kron_spec(x1, x2):
    s1, s2 = tuple(_shape_of_any(x1)), tuple(_shape_of_any(x2))
    nd = _b.max(len(s1), len(s2))
    s1 = (1,) * (nd - len(s1)) + s1
    s2 = (1,) * (nd - len(s2)) + s2
    shape = tuple(None if a is None or b is None else a * b for a, b in zip(s1, s2))
    return KerasTensor(shape, result_type(_dtype_of(x1), _dtype_of(x2)).name)


@_export_spec(_kron_spec)
def kron(x1: Any, x2: Any) -> Tensor:
    """Kronecker product, as ``np.kron``."""
    a, b = _dtypes.operands(x1, x2)
    a, b = _t(a), _t(b)
    return ST.kron(a, b)


def _diagflat_spec(x, k=0):
    shape = tuple(x.shape)
    n = None if None in shape else int(np.prod(shape)) + _b.abs(int(k))
    return KerasTensor((n, n), x.dtype)


@_export_spec(_diagflat_spec)
def diagflat(x: Any, k: int = 0) -> Tensor:
    """The flattened ``x`` on diagonal ``k`` of a 2-D tensor."""
    return ST.diagflat(_t(x), int(k))


@_export
def cross(x1: Any, x2: Any, axisa: int = -1, axisb: int = -1, axisc: int = -1, axis: Optional[int] = None) -> Tensor:
    """Cross product of 2- or 3-vectors along ``axis`` (default the last), as ``np.cross``."""
    if axisa != -1 or axisb != -1 or axisc != -1:
        raise ValueError("Torch backend does not support `axisa`, `axisb`, or `axisc`. "
                         f"Received: axisa={axisa}, axisb={axisb}, axisc={axisc}. Please use `axis` arg in "
                         "torch backend.")
    a, b = _dtypes.operands(x1, x2)
    a, b = _t(a), _t(b)
    shape = np.broadcast_shapes(a.shape[:-1] if axis is None else a.shape, b.shape[:-1] if axis is None else b.shape)
    ax = -1 if axis is None else int(axis)
    if axis is None:
        a = U.broadcast_to(a, tuple(shape) + (a.shape[-1],))
        b = U.broadcast_to(b, tuple(shape) + (b.shape[-1],))
    return ST.cross(a, b, ax)


# -- splitting, stacking, flipping ------------------------------------------------------------------

def _sections(ios: Any) -> Any:
    if isinstance(ios, (int, np.integer)):
        return int(ios)
    if isinstance(ios, Tensor):
        return [int(i) for i in ios.numpy().reshape(-1)]
    return [int(i) for i in ios]


def _split_at(x: Tensor, ios: Any, axis: int, name: str) -> List[Tensor]:
    ios = _sections(ios)
    if isinstance(ios, int):
        n = x.shape[axis]
        if ios <= 0 or n % ios:
            raise ValueError(f"{name}: array split does not result in an equal division: axis {axis} of size {n} "
                             f"into {ios} sections")
        return list(U.split(x, ios, axis=axis))
    n = x.shape[axis]
    cuts = [_b.min(_b.max(i if i >= 0 else i + n, 0), n) for i in ios]
    bounds = [0] + cuts + [n]
    return [U.slice_axis(x, axis, s, _b.max(s, e)) for s, e in zip(bounds[:-1], bounds[1:])]


def _split_spec_at(x: KerasTensor, ios: Any, axis: int) -> List[KerasTensor]:
    shape = list(x.shape)
    ax = int(axis) % len(shape)
    n = shape[ax]
    if isinstance(ios, (int, np.integer)):
        ios = int(ios)
        if n is not None and n % ios:
            raise ValueError("`x` size on given `axis` must be divisible by `indices_or_sections` when "
                             f"`indices_or_sections` is an int. But received {n} and {ios}.")
        shape[ax] = None if n is None else n // ios
        return [KerasTensor(tuple(shape), x.dtype) for _ in range(ios)]
    bounds = [0] + [int(i) for i in ios] + [n]
    outs = []
    for a, b in zip(bounds[:-1], bounds[1:]):
        shape[ax] = None if a is None or b is None else b - a
        outs.append(KerasTensor(tuple(shape), x.dtype))
    return outs


def _split_spec(x, indices_or_sections, axis=0):
    return _split_spec_at(x, indices_or_sections, axis)


def _hsplit_spec(x, indices_or_sections):
    if len(x.shape) < 1:
        raise ValueError(f"`hsplit` only works on arrays of at least 1 dimension. Received array with shape {x.shape}.")
    return _split_spec_at(x, indices_or_sections, 0 if len(x.shape) == 1 else 1)


def _vsplit_spec(x, indices_or_sections):
    if len(x.shape) < 2:
        raise ValueError(f"`vsplit` only works on arrays of at least 2 dimensions. Received array with shape {x.shape}.")
    return _split_spec_at(x, indices_or_sections, 0)


def _dsplit_spec(x, indices_or_sections):
    if len(x.shape) < 3:
        raise ValueError(f"`dsplit` only works on arrays of at least 3 dimensions. Received array with shape {x.shape}.")
    return _split_spec_at(x, indices_or_sections, 2)


def _array_split_spec(x, indices_or_sections, axis=0):
    shape = list(x.shape)
    ax = int(axis) % len(shape)
    n, k = shape[ax], int(indices_or_sections)
    outs = []
    for i in range(k):
        shape[ax] = None if n is None else n // k + (1 if i < n % k else 0)
        outs.append(KerasTensor(tuple(shape), x.dtype))
    return outs


@_export_spec(_hsplit_spec)
def hsplit(x: Any, indices_or_sections: Any) -> List[Tensor]:
    """Split along axis 1 (axis 0 for 1-D input), as ``np.hsplit``."""
    x = _t(x)
    return _split_at(x, indices_or_sections, 0 if x.ndim == 1 else 1, "hsplit")


@_export_spec(_vsplit_spec)
def vsplit(x: Any, indices_or_sections: Any) -> List[Tensor]:
    """Split along axis 0 (input at least 2-D), as ``np.vsplit``."""
    x = _t(x)
    if x.ndim < 2:
        raise ValueError(f"vsplit only works on arrays of 2 or more dimensions. Received: x.shape={x.shape}")
    return _split_at(x, indices_or_sections, 0, "vsplit")


@_export_spec(_dsplit_spec)
def dsplit(x: Any, indices_or_sections: Any) -> List[Tensor]:
    """Split along axis 2 (input at least 3-D), as ``np.dsplit``."""
    x = _t(x)
    if x.ndim < 3:
        raise ValueError(f"dsplit only works on arrays of 3 or more dimensions. Received: x.shape={x.shape}")
    return _split_at(x, indices_or_sections, 2, "dsplit")


def array_split(x: Any, indices_or_sections: int, axis: int = 0) -> List[Tensor]:
    """Split into ``indices_or_sections`` nearly equal parts (the first ``n % sections`` one longer)."""
    if not isinstance(indices_or_sections, int):
        raise TypeError("Argument `indices_or_sections` must be of type `int`. "
                        f"Received: indices_or_sections={indices_or_sections}")
    if indices_or_sections <= 0:
        raise ValueError("Argument `indices_or_sections` must be a positive integer. "
                         f"Received: indices_or_sections={indices_or_sections}")
    if not isinstance(axis, int):
        raise TypeError(f"Argument `axis` must be of type `int`. Received: {axis}")
    return _array_split_op(x, indices_or_sections, axis)


@_export_spec(_array_split_spec, register=False, name="array_split")
def _array_split_op(x: Any, indices_or_sections: int, axis: int) -> List[Tensor]:
    x = _t(x)
    ax = axis % x.ndim
    n, k = x.shape[ax], indices_or_sections
    q, r = divmod(n, k)
    sizes = [q + 1] * r + [q] * (k - r)
    out, start = [], 0
    for s in sizes:
        out.append(U.slice_axis(x, ax, start, start + s))
        start += s
    return out


def _dstack_spec(xs):
    shapes = []
    for x in xs:
        sh = list(_shape_of_any(x))
        sh = [1, 1, 1] if len(sh) == 0 else [1, sh[0], 1] if len(sh) == 1 else sh + [1] if len(sh) == 2 else sh
        shapes.append(sh)
    out = list(shapes[0])
    for sh in shapes[1:]:
        for i, d in enumerate(sh):
            if i == 2:
                continue
            if out[i] is None:
                out[i] = d
    total = 0
    for sh in shapes:
        total = None if total is None or sh[2] is None else total + sh[2]
    out[2] = total
    return KerasTensor(tuple(out), result_type(*[_dtype_of(x) for x in xs]).name)


@_export_spec(_dstack_spec)
def dstack(xs: Sequence[Any]) -> Tensor:
    """Join along axis 2 (inputs made at least 3-D), as ``np.dstack``."""
    ts = _np._cast_all(xs)
    out = []
    for t in ts:
        if t.ndim == 0:
            t = U.reshape(t, (1, 1, 1))
        elif t.ndim == 1:
            t = U.reshape(t, (1, -1, 1))
        elif t.ndim == 2:
            t = U.expand_dims(t, -1)
        out.append(t)
    return U.concatenate(out, axis=2)


@_export
def fliplr(x: Any) -> Tensor:
    """Reverse the columns (axis 1); input at least 2-D."""
    x = _t(x)
    if x.ndim < 2:
        raise ValueError(f"fliplr: input must be at least 2-D. Received: x.shape={x.shape}")
    return U.flip(x, 1)


@_export
def flipud(x: Any) -> Tensor:
    """Reverse the rows (axis 0); input at least 1-D."""
    x = _t(x)
    if x.ndim < 1:
        raise ValueError(f"flipud: input must be at least 1-D. Received: x.shape={x.shape}")
    return U.flip(x, 0)


@_export
def rot90(array: Any, k: int = 1, axes: Tuple[int, int] = (0, 1)) -> Tensor:
    """Rotate by 90 degrees ``k`` times in the plane of ``axes``, as ``np.rot90``."""
    x = _t(array)
    if x.ndim < 2:
        raise ValueError(f"Input array must have at least 2 dimensions. Received: array.ndim={x.ndim}")
    if len(axes) != 2 or axes[0] == axes[1]:
        raise ValueError(f"Invalid axes: {axes}. Axes must be a tuple of two different dimensions.")
    axes = tuple(a if a >= 0 else x.ndim + a for a in axes)
    if not _b.all(0 <= a < x.ndim for a in axes):
        raise ValueError(f"Invalid axes {axes} for tensor with {x.ndim} dimensions")
    return ST.rot90(x, int(k), axes)


# -- searching, counting, sets ----------------------------------------------------------------------

def _searchsorted_spec(sorted_sequence, values, side="left"):
    return KerasTensor(tuple(_shape_of_any(values)), "int64")


@_export_spec(_searchsorted_spec)
def searchsorted(sorted_sequence: Any, values: Any, side: str = "left") -> Tensor:
    """Indices at which ``values`` would be inserted into the ascending 1-D ``sorted_sequence``; int32."""
    a, v = _t(sorted_sequence), _t(values)
    if a.ndim != 1:
        raise ValueError("`searchsorted` only supports 1-D sorted sequences. You can use "
                         "`keras.ops.vectorized_map` to extend it to N-D sequences. Received: "
                         f"sorted_sequence.shape={a.shape}")
    dt = result_type(a, v)
    a, v = _cast(a, dt), _cast(v, dt)
    out = ST.searchsorted(a, v, side)
    return _cast(out, "int32" if a.shape[0] <= np.iinfo(np.int32).max else "int64")


def _isin_spec(x1, x2, assume_unique=False, invert=False):
    return KerasTensor(tuple(_shape_of_any(x1)), "bool")


@_export_spec(_isin_spec)
def isin(x1: Any, x2: Any, assume_unique: bool = False, invert: bool = False) -> Tensor:
    """Whether each element of ``x1`` is in ``x2`` (bool, ``x1``'s shape)."""
    a, b = _dtypes.operands(x1, x2)
    a, b = _t(a), _t(b)
    return ST.isin(a, b, invert=bool(invert))


def _bincount_spec(x, weights=None, minlength=0, sparse=False):
    dt = "int32" if weights is None else result_type(_dtype_of(x), _dtype_of(weights)).name
    return KerasTensor(tuple(x.shape[:-1]) + (None,), dt)


@_export_spec(_bincount_spec)
def bincount(x: Any, weights: Any = None, minlength: int = 0, sparse: bool = False) -> Tensor:
    """Occurrences (or summed ``weights``) of each non-negative int in ``x`` (1-D, or rows of 2-D)."""
    if sparse:
        raise ValueError("Unsupported value `sparse=True` with unidl backend")
    x = _t(x)
    if weights is None:
        dt = np.dtype("int32")
        w = None
    else:
        w = _t(weights)
        dt = result_type(x, w)
        w = _cast(w, dt if _dtypes.is_floating(dt) else "int64")
    out = ST.bincount(_cast(x, "int64"), w, int(minlength))
    return _cast(out, dt)


def _check_kth(kth: Any) -> None:
    if not isinstance(kth, (int, np.integer)) or isinstance(kth, bool):
        raise ValueError(f"kth must be an integer. Received:kth = {kth}")


def _argpartition_spec(x, kth, axis=-1):
    _check_kth(kth)
    if axis is None:
        n = None if None in x.shape else int(np.prod(x.shape))
        return KerasTensor((n,), "int32")
    return KerasTensor(tuple(x.shape), "int32")


@_export_spec(_argpartition_spec)
def argpartition(x: Any, kth: int, axis: int = -1) -> Tensor:
    """Indices that partition ``x`` along ``axis`` around its ``kth`` smallest element (a full stable
    argsort, which is one valid partition); int32."""
    _check_kth(kth)
    x = _t(x)
    if axis is None:
        x, axis = U.reshape(x, (-1,)), 0
    n = x.shape[int(axis)]
    if not -n <= int(kth) < n:
        raise ValueError(f"kth(={kth}) out of bounds ({n})")
    return _cast(U.argsort(x, int(axis)), "int32")


def _unravel_spec(indices, shape):
    dt = _dtype_of(indices)
    return tuple(KerasTensor(tuple(indices.shape), dt.name) for _ in shape)


@_export_spec(_unravel_spec)
def unravel_index(indices: Any, shape: Sequence[int]) -> Tuple[Tensor, ...]:
    """The coordinates, in an array of ``shape``, of flat ``indices`` (one tensor per axis)."""
    idx = _t(indices)
    return ST.unravel_index(idx, shape)


def _unique_spec(x, sorted=True, return_index=False, return_inverse=False, return_counts=False,  # noqa: A002
                 axis=None, size=None, fill_value=None):
    if axis is None:
        vshape: Tuple[Optional[int], ...] = (size,)
    else:
        ax = int(axis) % len(x.shape)
        vshape = tuple(size if i == ax else d for i, d in enumerate(x.shape))
    outs = [KerasTensor(vshape, x.dtype)]
    if return_index:
        outs.append(KerasTensor((size,), "int64"))
    if return_inverse:
        outs.append(KerasTensor(tuple(x.shape) if axis is None else (x.shape[int(axis)],), "int64"))
    if return_counts:
        outs.append(KerasTensor((size,), "int64"))
    return outs[0] if len(outs) == 1 else tuple(outs)


@_export_spec(_unique_spec)
def unique(x: Any, sorted: bool = True, return_index: bool = False, return_inverse: bool = False,  # noqa: A002
           return_counts: bool = False, axis: Optional[int] = None, size: Optional[int] = None,
           fill_value: Any = None) -> Any:
    """Sorted unique values of ``x`` (flattened, or unique slices along ``axis``), with the optional
    first indices, inverse indices and counts; ``size`` pads (with ``fill_value``, 0 by default) or
    truncates the result to that length."""
    x = _t(x)
    outs = list(ST.unique(x, return_index=return_index, return_inverse=return_inverse,
                          return_counts=return_counts, axis=axis))
    if size is not None:
        dim = 0 if axis is None else int(axis) % x.ndim
        n = outs[0].shape[dim]
        if n > size:
            outs[0] = U.slice_axis(outs[0], dim, 0, size)
            if return_index:
                outs[1] = U.slice_axis(outs[1], 0, 0, size)
            if return_counts:
                outs[-1] = U.slice_axis(outs[-1], 0, 0, size)
        elif n < size:
            pw = [(0, 0)] * outs[0].ndim
            pw[dim] = (0, size - n)
            outs[0] = U.pad(outs[0], tuple(pw), constant_value=0 if fill_value is None else fill_value)
            if return_index:
                outs[1] = U.pad(outs[1], ((0, size - n),), constant_value=1)
            if return_counts:
                outs[-1] = U.pad(outs[-1], ((0, size - n),), constant_value=0)
    return outs[0] if len(outs) == 1 else tuple(outs)


def _histogram_spec(x, bins=10, range=None):  # noqa: A002
    return KerasTensor((bins,), _float_result(_dtype_of(x)).name), \
        KerasTensor((bins + 1,), _float_result(_dtype_of(x)).name)


def _histogram_checked(x: Any, bins: int = 10, range: Optional[Tuple[float, float]] = None) -> Tuple[Tensor, Tensor]:  # noqa: A002
    x = _t(x)
    if len(x.shape) > 1:
        raise ValueError(f"Input tensor must be 1-dimensional. Received: input.shape={x.shape}")
    work = _float_result(x.dtype)
    return ST.histogram(_cast(x, work), int(bins), range)


_histogram_op = _export_spec(_histogram_spec, register=False, name="histogram")(_histogram_checked)


def histogram(x: Any, bins: int = 10, range: Optional[Tuple[float, float]] = None) -> Tuple[Tensor, Tensor]:  # noqa: A002
    """Counts of 1-D ``x`` in ``bins`` equal-width bins over ``range`` (x's min and max by default) and
    the ``bins + 1`` bin edges, as ``np.histogram`` (the last bin includes its right edge)."""
    if not isinstance(bins, int):
        raise TypeError(f"Argument `bins` must be of type `int`. Received: bins={bins}")
    if bins < 0:
        raise ValueError(f"Argument `bins` should be a non-negative integer. Received: bins={bins}")
    if range:
        if len(range) < 2 or not isinstance(range, tuple):
            raise ValueError(f"Argument `range` must be a tuple of two elements. Received: range={range}")
        if range[1] < range[0]:
            raise ValueError("The second element of `range` must be greater than the first. "
                             f"Received: range={range}")
    return _histogram_op(x, bins=bins, range=range)


_register("histogram")


def _allclose_spec(x1, x2, rtol=1e-5, atol=1e-8, equal_nan=False):
    return KerasTensor((), "bool")


@_export_spec(_allclose_spec)
def allclose(x1: Any, x2: Any, rtol: float = 1e-5, atol: float = 1e-8, equal_nan: bool = False) -> Tensor:
    """Whether all elements are close (``isclose`` for floats, equality otherwise); a bool scalar."""
    a, b = _dtypes.operands(x1, x2)
    a, b = _t(a), _t(b)
    if _dtypes.is_floating(a.dtype):
        return U.all(_np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))
    return U.all(U.equal(a, b))


# -- creation ----------------------------------------------------------------------------------------

@_export
def empty_like(x: Any, dtype: Any = None) -> Tensor:
    """A tensor with ``x``'s shape and dtype (or ``dtype``); zero-filled here."""
    x = _t(x)
    return U.zeros_like(x, dtype=None if dtype is None else config.standardize_dtype(dtype))


def _window(kind: str, x: Any, beta: Any = 0.0) -> Tensor:
    if isinstance(x, KerasTensor):
        raise TypeError(f"{kind.capitalize()} operation does not support symbolic tensors. "
                        f"Received input x = {x} of type {type(x)}")
    n = int(x.numpy()) if isinstance(x, Tensor) else int(x)
    like = unidl.zeros((), dtype=config.floatx())
    b = float(beta.numpy()) if isinstance(beta, Tensor) else float(beta)
    return ST.window(kind, n, like, b)


def bartlett(x: Any) -> Tensor:
    """The Bartlett (triangular) window of ``x`` points (floatx)."""
    return _window("bartlett", x)


def blackman(x: Any) -> Tensor:
    """The Blackman window of ``x`` points (floatx)."""
    return _window("blackman", x)


def hamming(x: Any) -> Tensor:
    """The Hamming window of ``x`` points (floatx)."""
    return _window("hamming", x)


def hanning(x: Any) -> Tensor:
    """The Hann window of ``x`` points (floatx)."""
    return _window("hanning", x)


def kaiser(x: Any, beta: Any) -> Tensor:
    """The Kaiser window of ``x`` points with shape parameter ``beta`` (floatx)."""
    return _window("kaiser", x, beta)


for _f in (bartlett, blackman, hamming, hanning, kaiser):
    _register(_f.__name__)


def vectorize(pyfunc: Callable[..., Any], *, excluded: Any = None, signature: Optional[str] = None) -> Callable[..., Any]:
    """``pyfunc`` applied along the leading axes of its tensor arguments, as ``np.vectorize``: with a
    ``signature`` like ``"(d),(d)->()"`` the core dims are kept whole; without one, elementwise.
    Results are stacked back (a Python loop over the batch)."""
    if not callable(pyfunc):
        raise ValueError(f"Expected argument `pyfunc` to be a callable. Received: pyfunc={pyfunc}")
    excluded = set(excluded or ())

    def core_ranks() -> Optional[List[int]]:
        if signature is None:
            return None
        ins = signature.replace(" ", "").split("->")[0]
        groups = [g for g in ins.strip("()").split("),(")]
        return [0 if g == "" else len(g.split(",")) for g in groups]

    @functools.wraps(pyfunc)
    def wrapped(*args: Any, **kwargs: Any) -> Any:
        ranks = core_ranks()
        idx = [i for i in range(len(args)) if i not in excluded]
        ts = {i: _t(args[i]) for i in idx}
        cr = {i: (ranks[k] if ranks is not None and k < len(ranks) else 0) for k, i in enumerate(idx)}
        batch = _broadcast_shapes_of([ts[i].shape[:ts[i].ndim - cr[i]] for i in idx]) if idx else ()
        if not batch:
            return pyfunc(*args, **kwargs)
        flat = {i: U.reshape(U.broadcast_to(ts[i], tuple(batch) + ts[i].shape[ts[i].ndim - cr[i]:]),
                             (-1,) + ts[i].shape[ts[i].ndim - cr[i]:]) for i in idx}
        n = int(np.prod(batch))
        results = []
        for j in range(n):
            call = list(args)
            for i in idx:
                call[i] = U.getitem(flat[i], j)
            results.append(pyfunc(*call, **kwargs))
        if isinstance(results[0], (tuple, list)):
            return tuple(U.reshape(U.stack([_t(r[k]) for r in results]), tuple(batch) + tuple(_t(results[0][k]).shape))
                         for k in range(len(results[0])))
        first = _t(results[0])
        return U.reshape(U.stack([_t(r) for r in results]), tuple(batch) + tuple(first.shape))

    return wrapped


_register("vectorize")


def _broadcast_shapes_of(shapes: Sequence[Sequence[int]]) -> Tuple[int, ...]:
    return tuple(np.broadcast_shapes(*[tuple(s) for s in shapes]))



# -- Keras's shape helpers (``keras.src.ops.numpy`` has them; not in ``keras.ops``) --------------------

def broadcast_shapes(shape1: Sequence[Optional[int]], shape2: Sequence[Optional[int]]) -> List[Optional[int]]:
    """The broadcast of two shapes as a list, None dims taking the other's size (Keras's
    ``operation_utils.broadcast_shapes``); ValueError when they do not broadcast."""
    s1, s2 = list(shape1), list(shape2)
    o1, o2 = s1, s2
    if len(s1) > len(s2):
        s2 = [1] * (len(s1) - len(s2)) + s2
    if len(s1) < len(s2):
        s1 = [1] * (len(s2) - len(s1)) + s1
    out = list(s1)
    for i in range(len(s1)):
        if s1[i] == 1:
            out[i] = s2[i]
        elif s1[i] is None:
            out[i] = None if s2[i] == 1 else s2[i]
        elif s2[i] == 1 or s2[i] is None or s2[i] == s1[i]:
            out[i] = s1[i]
        else:
            raise ValueError(f"Cannot broadcast shape, the failure dim has value {s1[i]}, which cannot be "
                             f"broadcasted to {s2[i]}. Input shapes are: {o1} and {o2}.")
    return out


def shape_equal(shape1: Sequence[Optional[int]], shape2: Sequence[Optional[int]], axis: Any = None,
                allow_none: bool = True) -> bool:
    """Whether two shapes are equal, ignoring the axes in ``axis`` and, with ``allow_none``, None dims."""
    if len(shape1) != len(shape2):
        return False
    s1, s2 = list(shape1), list(shape2)
    if axis is not None:
        for ax in ([axis] if isinstance(axis, int) else axis):
            s1[ax] = -1
            s2[ax] = -1
    if allow_none:
        for i in range(len(s1)):
            if s1[i] is None:
                s1[i] = s2[i]
            if s2[i] is None:
                s2[i] = s1[i]
    return s1 == s2


__all__ += ["broadcast_shapes", "shape_equal", "array_split"]
_np.__all__.append("array_split")


# -- symbolic shapes of earlier ops (unknown dims; value-dependent lengths) and argument rules --------

# the earlier definitions this module replaces (read now: afterwards the names point here)
_ORIG = {n: getattr(_np, n) for n in ("pad", "reshape", "eye", "einsum", "split", "meshgrid", "diagonal", "diff")}


def _with_spec(name: str, spec: Callable[..., Any], eager: Optional[Callable[..., Any]] = None) -> Callable[..., Any]:
    """The op ``name`` of :mod:`.numpy` (or ``eager``) with ``spec`` giving its KerasTensor outputs."""
    fn = eager if eager is not None else getattr(_np, name).eager
    return _export_spec_infer(spec, fn, name)




def _einsum_subscripts(subscripts: str, n_ops: int) -> str:
    """NumPy's implicit output (letters used once, sorted; '...' first) made explicit."""
    s = subscripts.replace(" ", "")
    if "->" in s:
        return s
    letters = s.replace(",", "").replace(".", "")
    out = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    return s + "->" + ("..." if "..." in s else "") + out


def _einsum_dtype(operands_: Sequence[Any]) -> np.dtype:
    """Keras's einsum dtype: int32 when every operand is int8, else the common result type."""
    dts = {(_dtype_of(o) if not _dtypes.is_weak(o) else None) for o in operands_}
    if dts == {np.dtype("int8")}:
        return np.dtype("int32")
    return result_type(*operands_)


def _einsum_eager(subscripts: str, *operands_: Any) -> Tensor:
    dt = _einsum_dtype(operands_)
    ts = [_cast(_t(o) if not _dtypes.is_weak(o) else unidl.tensor(np.asarray(o, dtype=dt)), dt) for o in operands_]
    return _cast(_ORIG["einsum"].eager(_einsum_subscripts(subscripts, len(ts)), *ts), dt)


def _einsum_spec(subscripts: str, *operands_: Any) -> Any:
    s = _einsum_subscripts(subscripts, len(operands_))
    lhs, out = s.split("->")
    terms = lhs.split(",")
    shapes = [tuple(_shape_of_any(o)) for o in operands_]
    if len(terms) != len(shapes):
        raise ValueError(f"einsum: subscripts {subscripts!r} name {len(terms)} operand(s) but {len(shapes)} "
                         "were given")
    sizes: dict = {}
    ells = []
    for t, shp in zip(terms, shapes):
        if "..." in t:
            pre, post = t.split("...")
            k = len(shp) - len(pre) - len(post)
            if k < 0:
                raise ValueError(f"einsum: term {t!r} does not fit an operand of shape {shp}")
            ells.append(shp[len(pre):len(pre) + k])
            letters, dims = pre + post, shp[:len(pre)] + shp[len(pre) + k:]
        else:
            if len(t) != len(shp):
                raise ValueError(f"einsum: term {t!r} has {len(t)} subscript(s) but its operand has shape {shp}")
            letters, dims = t, shp
        for c, d in zip(letters, dims):  # sizes are checked when the op runs, as Keras
            if c not in sizes or sizes[c] in (None, 1):
                sizes[c] = d if d is not None or c not in sizes else sizes[c]
    ell = _bshape(*ells) if ells else ()
    shape: List[Optional[int]] = []
    pre, _, post = out.partition("...")
    shape += [sizes.get(c) for c in pre]
    if "..." in out:
        shape += list(ell)
    shape += [sizes.get(c) for c in post]
    return KerasTensor(tuple(shape), _einsum_dtype(operands_).name)


def _diag_spec(x, k=0):
    shape = tuple(x.shape)
    k = int(k)
    if len(shape) == 1:
        n = None if shape[0] is None else shape[0] + _b.abs(k)
        return KerasTensor((n, n), x.dtype)
    if len(shape) == 2:
        if None in shape:
            return KerasTensor((None,), x.dtype)
        r, c = shape
        n = _b.max(0, _b.min(r, c - k) if k >= 0 else _b.min(r + k, c))
        return KerasTensor((n,), x.dtype)
    raise ValueError(f"`x` must be 1-D or 2-D, but received shape {shape}.")


def _diff_spec(a, n=1, axis=-1):
    shape = list(a.shape)
    ax = int(axis) % len(shape)
    if shape[ax] is not None:
        shape[ax] = _b.max(shape[ax] - int(n), 0)
    return KerasTensor(tuple(shape), a.dtype)


def _check_indexing(indexing: str) -> None:
    if indexing not in ("xy", "ij"):
        raise ValueError(f"Valid values for `indexing` are 'xy' and 'ij'. Received: indexing={indexing}")


def _meshgrid_eager(*x: Any, indexing: str = "xy") -> List[Tensor]:
    _check_indexing(indexing)
    return _ORIG["meshgrid"](*x, indexing=indexing)


def _meshgrid_spec(*x, indexing="xy"):
    _check_indexing(indexing)
    sizes = []
    for v in x:
        sh = tuple(_shape_of_any(v))
        sizes.append(None if None in sh else int(np.prod(sh)))
    if indexing == "xy" and len(sizes) >= 2:
        sizes[0], sizes[1] = sizes[1], sizes[0]
    dt = result_type(*[_dtype_of(v) for v in x])
    return [KerasTensor(tuple(sizes), dt.name) for _ in x]


def _nonzero_spec(x):
    return tuple(KerasTensor((None,), "int32") for _ in range(_b.max(len(x.shape), 1)))


def _repeat_spec(x, repeats, axis=None):
    shape = list(x.shape)
    reps = [int(repeats)] if isinstance(repeats, (int, np.integer)) else [int(r) for r in np.reshape(repeats, -1)]
    if axis is None:
        if None in shape:
            return KerasTensor((None,), x.dtype)
        n = int(np.prod(shape))
        if len(reps) == 1:
            return KerasTensor((n * reps[0],), x.dtype)
        if len(reps) != n:
            raise ValueError("Size of `repeats` and dimensions of `x` after flattening should be compatible. "
                             f"Received: {len(reps)} and {n}")
        return KerasTensor((int(np.sum(reps)),), x.dtype)
    ax = int(axis) % len(shape)
    if shape[ax] is None:
        return KerasTensor(tuple(shape), x.dtype)
    if len(reps) == 1:
        shape[ax] = shape[ax] * reps[0]
    elif len(reps) != shape[ax]:
        raise ValueError(f"Size of `repeats` and dimensions of `axis {axis} of x` should be compatible. "
                         f"Received: {len(reps)} and {tuple(shape)}")
    else:
        shape[ax] = int(np.sum(reps))
    return KerasTensor(tuple(shape), x.dtype)


def _reshape_spec(x, newshape):
    _validate_newshape(newshape)
    if isinstance(newshape, KerasTensor):
        return KerasTensor((None,) * int(newshape.shape[0]), _dtype_of(x).name)
    ns = [None if d is None or isinstance(d, KerasTensor) else int(d) for d in
          ((newshape,) if isinstance(newshape, (int, np.integer)) else newshape)]
    shape = tuple(_shape_of_any(x))
    if -1 in ns:
        known = [d for d in ns if d is not None and d != -1]
        if None in shape or None in ns:
            ns = [None if d == -1 else d for d in ns]
        else:
            total = int(np.prod(shape))
            ns = [total // int(np.prod(known)) if d == -1 else d for d in ns]
    elif None not in shape and None not in ns and int(np.prod(shape)) != int(np.prod(ns)):
        raise ValueError(f"The total size of the tensor must be unchanged. Received: input_shape={shape}, "
                         f"newshape={tuple(ns)}")
    return KerasTensor(tuple(ns), _dtype_of(x).name)


def _roll_spec(x, shift, axis=None):
    nd = len(x.shape)
    if axis is not None:
        for a in ((axis,) if isinstance(axis, (int, np.integer)) else axis):
            if not -nd <= int(a) < nd:
                raise ValueError(f"axis {a} is out of bounds for array of dimension {nd}")
    return KerasTensor(tuple(x.shape), x.dtype)


def _squeeze_spec(x, axis=None):
    shape = list(x.shape)
    if axis is None:
        return KerasTensor(tuple(d for d in shape if d != 1), x.dtype)
    axes = {int(a) % len(shape) for a in ((axis,) if isinstance(axis, (int, np.integer)) else axis)}
    for a in axes:
        if shape[a] != 1:
            raise ValueError(f"Cannot squeeze axis {a}, because the dimension is not 1.")
    return KerasTensor(tuple(d for i, d in enumerate(shape) if i not in axes), x.dtype)


def _ndim_eager(x: Any) -> int:
    return len(x.shape) if hasattr(x, "shape") else np.ndim(x)


def _size_eager(x: Any) -> int:
    return int(np.prod(x.shape)) if hasattr(x, "shape") else int(np.size(x))


def _export_spec_infer(spec: Callable[..., Any], fn: Callable[..., Any], name: str) -> Callable[..., Any]:
    """``fn`` exported as the op ``name`` (replacing :mod:`.numpy`'s), its symbolic output from ``spec``."""
    op = _export_spec(spec, register=False, name=name)(fn)
    __all__.append(name)
    return op


einsum = _export_spec_infer(_einsum_spec, _einsum_eager, "einsum")
diag = _with_spec("diag", _diag_spec)
def _diff_eager(a: Any, n: int = 1, axis: int = -1) -> Tensor:
    """``n``-th discrete difference along ``axis`` (bools: ``!=`` of neighbours, as NumPy)."""
    x = _t(a)
    if x.dtype.kind != "b":
        return _ORIG["diff"].eager(x, n, axis)
    for _ in range(int(n)):
        m = x.shape[axis]
        x = U.not_equal(U.slice_axis(x, axis, 1, m), U.slice_axis(x, axis, 0, _b.max(m - 1, 0)))
    return x


def _diagonal_eager(x: Any, offset: int = 0, axis1: int = 0, axis2: int = 1) -> Tensor:
    x = _t(x)
    return _cast(_ORIG["diagonal"].eager(x, offset, axis1, axis2), x.dtype)


diagonal = _with_spec("diagonal", _infer_spec, _diagonal_eager)
meshgrid = _with_spec("meshgrid", _meshgrid_spec, _meshgrid_eager)
nonzero = _with_spec("nonzero", _nonzero_spec)
repeat = _with_spec("repeat", _repeat_spec)
roll = _with_spec("roll", _roll_spec)
squeeze = _with_spec("squeeze", _squeeze_spec)
ndim = _with_spec("ndim", lambda x: KerasTensor((len(x.shape),), config.floatx()), _ndim_eager)
size = _with_spec("size", lambda x: KerasTensor((), "int32"), _size_eager)


def _validate_newshape(newshape: Any) -> None:
    if isinstance(newshape, (Tensor, KerasTensor)):
        return
    dims = (newshape,) if isinstance(newshape, (int, np.integer)) else tuple(newshape)
    if any(isinstance(d, (int, np.integer)) and d < -1 for d in dims):
        raise ValueError("Each dimension in `newshape` must be a non-negative integer, or `-1` for a single "
                         f"unknown dimension. Received: newshape={newshape}.")
    if _b.sum(1 for d in dims if isinstance(d, (int, np.integer)) and d == -1) > 1:
        raise ValueError(f"There must be at most one unknown dimension (-1) in `newshape`. Received: "
                         f"newshape={newshape}.")


def _reshape_eager(x: Any, newshape: Any) -> Tensor:
    _validate_newshape(newshape)
    if isinstance(newshape, Tensor):
        newshape = [int(d) for d in newshape.numpy().reshape(-1)]
    return _ORIG["reshape"].eager(x, newshape)


def _reshape_op(x: Any, newshape: Any) -> Any:
    if isinstance(newshape, KerasTensor) or isinstance(newshape, (list, tuple)) and any(
            isinstance(d, KerasTensor) or d is None for d in newshape):
        return _InferSpecOpLayer(_reshape_eager, "reshape", _reshape_spec)(x, newshape)
    if any_symbolic((x,), {}):
        return _InferSpecOpLayer(_reshape_eager, "reshape", _reshape_spec)(x, newshape)
    return _reshape_eager(x, newshape)


_reshape_op.eager = _reshape_eager  # type: ignore[attr-defined]
_reshape_op.__name__ = _reshape_op.__qualname__ = "reshape"
_reshape_op.__doc__ = _np.reshape.__doc__
reshape = _reshape_op
__all__.append("reshape")


def _pad_eager(x: Any, pad_width: Any, mode: str = "constant", constant_values: Any = None) -> Tensor:
    if mode != "symmetric":
        return _ORIG["pad"].eager(x, pad_width, mode, constant_values)
    if constant_values is not None:
        raise ValueError("Argument `constant_values` can only be provided when `mode == 'constant'`. "
                         f"Received: mode={mode}")
    x = _t(x)
    pw = np.broadcast_to(np.asarray(pad_width, dtype=np.int64), (x.ndim, 2))
    return ST.pad_symmetric(x, tuple((int(a), int(b)) for a, b in pw))


pad = _with_spec("pad", _infer_spec, _pad_eager)


def _is_float_arg(v: Any) -> bool:
    return isinstance(v, float) or "float" in str(getattr(v, "dtype", ""))


def eye(N: Any, M: Any = None, k: int = 0, dtype: Any = None) -> Tensor:  # noqa: N803 - Keras's names
    """Ones on diagonal ``k`` of an ``N x M`` matrix (``N``, ``M`` ints or int tensors). Shape: (N, M or N)."""
    if _is_float_arg(N):
        raise TypeError("Argument `N` must be an integer or an integer tensor.")
    if _is_float_arg(M):
        raise TypeError("Argument `M` must be an integer, an integer tensor, or `None`.")
    n = int(N.numpy()) if isinstance(N, Tensor) else int(N)
    m = None if M is None else int(M.numpy()) if isinstance(M, Tensor) else int(M)
    return _ORIG["eye"](n, m, int(k) if not isinstance(k, Tensor) else int(k.numpy()), dtype)


__all__.append("eye")


def _slogdet_spec(x):
    dt = _float_result(_dtype_of(x)).name
    return KerasTensor((), dt), KerasTensor(tuple(x.shape[:-2]), dt)


@_export_spec(_slogdet_spec)
def slogdet(x: Any) -> Tuple[Tensor, Tensor]:
    """Sign and natural log of the absolute determinant of the square matrices on the last two axes."""
    x = _t(x)
    dt = _float_result(x.dtype)
    work = result_type(dt, "float32")
    sign, logdet = ST.slogdet(_cast(x, work))
    return _cast(sign, dt), _cast(logdet, dt)


# -- Keras's axis checks on symbolic calls (its message), then shapes from placeholders ----------------

def _canon_axis(axis: Any, ndim: int) -> int:
    a = int(axis)
    if not -ndim <= a < ndim:
        raise ValueError(f"axis {a} is out of bounds for an array with dimension {ndim}.")
    return a % ndim


def _axis_spec(axis_arg: str, position: int, default: Any, extra: int = 0,
               first: Callable[[Any], Any] = lambda a: a) -> Callable[..., Any]:
    """A spec checking the ``axis_arg`` argument (positional index ``position`` after the tensor)
    against the rank of the first argument (plus ``extra``), then inferring the shapes."""

    def spec(*args: Any, **kwargs: Any) -> Any:
        x = first(args[0])
        axis = kwargs.get(axis_arg, args[position] if len(args) > position else default)
        if axis is not None and hasattr(x, "shape"):
            for a in ((axis,) if isinstance(axis, (int, np.integer)) else axis):
                _canon_axis(a, len(x.shape) + extra)
        raise _Infer

    return spec


_ORIG.update({n: getattr(_np, n) for n in ("sort", "argsort", "cumsum", "cumprod", "take", "concatenate",
                                            "take_along_axis", "stack", "swapaxes", "moveaxis", "transpose",
                                            "max", "min")})

sort = _with_spec("sort", _axis_spec("axis", 1, -1))
cumsum = _with_spec("cumsum", _axis_spec("axis", 1, None))
cumprod = _with_spec("cumprod", _axis_spec("axis", 1, None))
take = _with_spec("take", _axis_spec("axis", 2, None))
def _take_along_axis_spec(x, indices, axis=None):
    xs, ish = tuple(_shape_of_any(x)), tuple(_shape_of_any(indices))
    if axis is None:
        return KerasTensor(ish if len(ish) != 1 else ish, _dtype_of(x).name)
    ax = _canon_axis(axis, len(xs))
    if len(ish) != len(xs):
        raise _Infer
    x_rest = xs[:ax] + (1,) + xs[ax + 1:]
    i_rest = ish[:ax] + (1,) + ish[ax + 1:]
    out = list(_bshape(x_rest, i_rest))
    out[ax] = ish[ax]
    return KerasTensor(tuple(out), _dtype_of(x).name)


take_along_axis = _with_spec("take_along_axis", _take_along_axis_spec)
def _concatenate_spec(xs, axis=0):
    if axis is None:
        raise ValueError("concatenate: `axis=None` (flattening) needs concrete inputs; give an int axis for "
                         "symbolic tensors")
    first = tuple(_shape_of_any(xs[0]))
    ax = _canon_axis(axis, len(first))
    total: Optional[int] = 0
    for x in xs:
        sh = tuple(_shape_of_any(x))
        if not shape_equal(sh, first, axis=[ax], allow_none=True):
            raise ValueError("Every value in `xs` must have the same shape except on the `axis` dim. But found "
                             f"element of shape {sh}, which is different from the first element's shape {first}.")
        total = None if total is None or sh[ax] is None else total + sh[ax]
    out = [next((tuple(_shape_of_any(x))[i] for x in xs if tuple(_shape_of_any(x))[i] is not None), None)
           for i in range(len(first))]
    out[ax] = total
    sparse = _b.all(getattr(x, "sparse", False) for x in xs)
    return KerasTensor(tuple(out), result_type(*[_dtype_of(x) for x in xs]).name, sparse=sparse)


concatenate = _with_spec("concatenate", _concatenate_spec)
stack = _with_spec("stack", _axis_spec("axis", 1, 0, extra=1, first=lambda xs: xs[0]))


def _split_checked_spec(x, indices_or_sections, axis=0):
    _canon_axis(axis, len(x.shape))
    return _split_spec(x, indices_or_sections, axis)


split = _with_spec("split", _split_checked_spec, _ORIG["split"].eager)


def _diff_checked_spec(a, n=1, axis=-1):
    _canon_axis(axis, len(a.shape))
    return _diff_spec(a, n, axis)


diff = _with_spec("diff", _diff_checked_spec, _diff_eager)


def _two_axes_spec(first: str, second: str) -> Callable[..., Any]:
    def spec(x, *args, **kwargs):
        a1 = kwargs.get(first, args[0] if args else None)
        a2 = kwargs.get(second, args[1] if len(args) > 1 else None)
        for a in [*((a1,) if isinstance(a1, (int, np.integer)) else a1),
                  *((a2,) if isinstance(a2, (int, np.integer)) else a2)]:
            _canon_axis(a, len(x.shape))
        raise _Infer
    return spec


swapaxes = _with_spec("swapaxes", _two_axes_spec("axis1", "axis2"))
moveaxis = _with_spec("moveaxis", _two_axes_spec("source", "destination"))


def _check_perm(axes: Any, ndim: int) -> None:
    if axes is None:
        return
    axes = list(axes)
    if len(axes) != ndim:
        raise ValueError("axis must be a list of the same length as the input shape, "
                         f"expected {ndim}, but received {len(axes)}.")
    for ax in axes:
        if not isinstance(ax, (int, np.integer)) or not -ndim <= ax < ndim:
            raise ValueError(f"Each axis in `axes` must be an integer in [-{ndim}, {ndim}). Received: axes={axes}.")
    if len({int(a) % ndim for a in axes}) != ndim:
        raise ValueError("`axes` must be a valid permutation of the input dimensions (no duplicates). "
                         f"Received: axes={axes} for input of rank {ndim}.")


def _transpose_spec(x, axes=None):
    _check_perm(axes, len(x.shape))
    shape = tuple(x.shape)
    return KerasTensor(shape[::-1] if axes is None else tuple(shape[int(a)] for a in axes), x.dtype)


transpose = _with_spec("transpose", _transpose_spec)


def _argsort_eager(x: Any, axis: Any = -1) -> Tensor:
    x = _t(x)
    if x.ndim == 0:  # NumPy sorts a 0-d input as one element
        x = U.reshape(x, (1,))
    return _ORIG["argsort"].eager(x, axis)


argsort = _with_spec("argsort", _axis_spec("axis", 1, -1), _argsort_eager)


def _extreme(name: str) -> Callable[..., Tensor]:
    orig = _ORIG[name].eager

    def eager(x: Any, axis: Any = None, keepdims: bool = False, initial: Any = None) -> Tensor:
        x = _t(x)
        if initial is not None and x.size == 0:  # an empty reduction gives ``initial``, as NumPy
            shape = _reduced_shape(x.shape, axis, keepdims)
            return unidl.full(shape, initial, dtype=x.dtype, device=x.device)
        return orig(x, axis=axis, keepdims=keepdims, initial=initial)

    eager.__name__ = eager.__qualname__ = name
    eager.__doc__ = orig.__doc__
    return eager


max = _with_spec("max", _infer_spec, _extreme("max"))  # noqa: A001
min = _with_spec("min", _infer_spec, _extreme("min"))  # noqa: A001
amax, amin = max, min
__all__ += ["amax", "amin"]


def _stack_like_spec(xs: Sequence[Any], vertical: bool) -> KerasTensor:
    kts = []
    for x in xs:
        sh = tuple(_shape_of_any(x))
        if vertical and len(sh) < 2:
            sh = (1, sh[0] if sh else 1)
        kts.append(KerasTensor(sh, _dtype_of(x).name))
    axis = 0 if vertical or len(kts[0].shape) == 1 else 1
    return _concatenate_spec(kts, axis)


vstack = _with_spec("vstack", lambda xs: _stack_like_spec(xs, True))
hstack = _with_spec("hstack", lambda xs: _stack_like_spec(xs, False))


def _broadcast_to_spec(x, shape):
    target = tuple(int(d) for d in ((shape,) if isinstance(shape, (int, np.integer)) else shape))
    xs = tuple(_shape_of_any(x))
    if len(xs) > len(target):
        raise ValueError(f"Cannot broadcast a tensor of shape {xs} to shape {target}: it has more dimensions.")
    for d, t in zip(xs[::-1], target[::-1]):
        if d is not None and d != 1 and d != t:
            raise ValueError(f"Cannot broadcast a tensor of shape {xs} to shape {target}.")
    return KerasTensor(target, _dtype_of(x).name)


broadcast_to = _with_spec("broadcast_to", _broadcast_to_spec)


def _dot_spec(x1, x2):
    s1, s2 = tuple(_shape_of_any(x1)), tuple(_shape_of_any(x2))
    dt = result_type(x1 if _dtypes.is_weak(x1) else _dtype_of(x1), x2 if _dtypes.is_weak(x2) else _dtype_of(x2))
    if not s1 or not s2:
        return KerasTensor(s1 or s2, dt.name)
    k1 = s1[-1]
    k2 = s2[0] if len(s2) == 1 else s2[-2]
    if k1 is not None and k2 is not None and k1 != k2:
        raise ValueError(f"Shape must match on the contracted dimension of `x1` and `x2`. Received: "
                         f"x1.shape={s1}, x2.shape={s2}")
    out = s1[:-1] + (() if len(s2) == 1 else s2[:-2] + s2[-1:])
    return KerasTensor(out, dt.name)


dot = _with_spec("dot", _dot_spec)


def _get_item_spec(x, key):
    shape = list(x.shape)
    key = key if isinstance(key, tuple) else (key,)
    if any(not (k is None or k is Ellipsis or isinstance(k, (int, np.integer, slice))) for k in key):
        raise _Infer  # advanced (array) indexing: shapes from placeholders
    if _b.sum(1 for k in key if k is Ellipsis) > 1:
        raise ValueError(f"Indexing a tensor with more than one ellipsis is not supported. Received key={key}")
    n_real = _b.sum(1 for k in key if k is not None and k is not Ellipsis)
    if n_real > len(shape):
        raise ValueError(f"Too many indices for a tensor of shape {tuple(shape)}: received key={key}")
    if Ellipsis in key:
        i = key.index(Ellipsis)
        key = key[:i] + (slice(None),) * (len(shape) - n_real) + key[i + 1:]
    else:
        key = key + (slice(None),) * (len(shape) - n_real)
    out, dim = [], 0
    for k in key:
        if k is None:
            out.append(1)
            continue
        d = shape[dim]
        dim += 1
        if isinstance(k, slice):
            if d is None:  # an unknown size stays unknown after slicing
                out.append(None)
            else:
                out.append(len(range(*k.indices(d))))
        elif d is not None and not -d <= int(k) < d:
            raise ValueError(f"Index {int(k)} is out of bounds for axis {dim - 1} with size {d}.")
    return KerasTensor(tuple(out), x.dtype)


get_item = _with_spec("get_item", _get_item_spec)
