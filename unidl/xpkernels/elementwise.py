"""Elementwise kernels.

Written against ``xp`` so CuPy can reuse them. Constants that meet an input are made with the
input's own scalar type (``_c``) so 0-d inputs keep their dtype under NumPy 1.x value-based casting.
"""
from __future__ import annotations

from typing import Any, Callable, Dict

from unidl.dtypes import via_float32
from unidl.ops.activation import GELU_TANH_C, SELU_ALPHA, SELU_SCALE, SQRT_2_OVER_PI, SQRT_HALF

# W. J. Cody's erf/erfc approximation: the core's table (shared with its composite, which must match bitwise)
from unidl.ops.erf_table import ERF_A as _ERF_A, ERF_B as _ERF_B, ERF_C as _ERF_C, ERF_D as _ERF_D  # noqa: E402
from unidl.ops.erf_table import ERF_P as _ERF_P, ERF_Q as _ERF_Q  # noqa: E402
from unidl.ops.erf_table import ERF_THRESH as _ERF_THRESH, INV_SQRT_PI as _INV_SQRT_PI  # noqa: E402


def _float_dtype(xp: Any, dt: Any) -> Any:
    """The float dtype NumPy's transcendental ufuncs give for ``dt`` (itself when already float)."""
    return dt if dt.kind == "f" else xp.result_type(dt, xp.float16)


def _weak_scalar(s: Any, like: Any) -> Any:
    """Python scalar ``s`` as ``like``'s scalar type where NEP 50 would keep ``like``'s dtype."""
    t = type(s)
    dt = getattr(like, "dtype", None)
    if dt is None or t is bool:
        return s
    if t is float and dt.kind == "f":
        return dt.type(s)
    if t is int and dt.kind in "iuf":
        if dt.kind == "f":
            return dt.type(s)
        info = _iinfo(dt)
        if info.min <= s <= info.max:
            return dt.type(s)
    return s


def _iinfo(dt: Any) -> Any:
    import numpy

    return numpy.iinfo(dt)


def _keep_dtype_binary(f: Callable[..., Any]) -> Callable[..., Any]:
    """NumPy 1.x promotes a 0-d array with a Python scalar by value (float32 + 1.0 -> float64);
    NEP 50 (NumPy 2) keeps the array's dtype, which is what the core promises. Only used on 1.x."""
    def k(a: Any, b: Any) -> Any:
        if type(a) in (int, float):
            a = _weak_scalar(a, b)
        elif type(b) in (int, float):
            b = _weak_scalar(b, a)
        return f(a, b)

    k.__name__ = getattr(f, "__name__", "binary")
    return k


def kernels(xp: Any) -> Dict[str, Callable[..., Any]]:
    weak = xp.add(xp.zeros((), dtype=xp.float32), 1.0).dtype == xp.float32
    kd = (lambda f: f) if weak else _keep_dtype_binary

    def _c(x: Any, v: float) -> Any:
        return x.dtype.type(v)

    def _as_float(x: Any) -> Any:
        return x if x.dtype.kind == "f" else x.astype(_float_dtype(xp, x.dtype))

    def _erf_small(x: Any) -> Any:
        """erf(x) for |x| <= 0.46875 (x * P(x^2)/Q(x^2)); finite for any |x| <= 28."""
        a, b = _ERF_A, _ERF_B
        z = x * x
        num = a[4] * z
        den = z
        for i in range(3):
            num = (num + a[i]) * z
            den = (den + b[i]) * z
        return x * (num + a[3]) / (den + b[3])

    def _erfc_big(y: Any) -> Any:
        """erfc(y) for 0.46875 < y <= 28; finite for any 0 <= y <= 28."""
        c, d, p, q = _ERF_C, _ERF_D, _ERF_P, _ERF_Q
        # 0.46875 < y <= 4
        num = c[8] * y
        den = y
        for i in range(7):
            num = (num + c[i]) * y
            den = (den + d[i]) * y
        mid = (num + c[7]) / (den + d[7])
        # y > 4 (evaluated at >= 4 everywhere so 1/y**2 stays finite)
        y4 = xp.maximum(y, 4.0)
        z = 1.0 / (y4 * y4)
        num = p[5] * z
        den = z
        for i in range(4):
            num = (num + p[i]) * z
            den = (den + q[i]) * z
        far = (_INV_SQRT_PI - z * (num + p[4]) / (den + q[4])) / y4
        r = xp.where(y <= 4.0, mid, far)
        # exp(-y*y) split as exp(-s*s) * exp(-(y-s)(y+s)) with s = y rounded down to 1/16: avoids
        # the rounding error of forming y*y for large y.
        s = xp.trunc(y * 16.0) / 16.0
        return xp.exp(-s * s) * xp.exp(-(y - s) * (y + s)) * r

    def erf(x: Any) -> Any:
        x = _as_float(x)
        y = xp.minimum(xp.abs(x), 28.0)  # erf is +-1 and erfc is 0 in float64 from 28 on; NaN passes
        small = _erf_small(xp.where(y <= _ERF_THRESH, x, 0.0))
        big = 1.0 - _erfc_big(xp.maximum(y, _ERF_THRESH))
        out = xp.where(y <= _ERF_THRESH, small, xp.where(x < 0, -big, big))
        return out.astype(x.dtype, copy=False)

    def erfc(x: Any) -> Any:
        x = _as_float(x)
        y = xp.minimum(xp.abs(x), 28.0)
        small = 1.0 - _erf_small(xp.where(y <= _ERF_THRESH, x, 0.0))
        big = _erfc_big(xp.maximum(y, _ERF_THRESH))
        out = xp.where(y <= _ERF_THRESH, small, xp.where(x < 0, 2.0 - big, big))
        return out.astype(x.dtype, copy=False)

    def sigmoid(x: Any) -> Any:
        x = _as_float(x)
        e = xp.exp(-xp.abs(x))  # in (0, 1]: never overflows
        r = xp.reciprocal(e + _c(e, 1))
        return xp.where(x >= 0, r, e * r)

    def relu(x: Any) -> Any:
        return xp.maximum(x, _c(x, 0))

    host = getattr(xp, "__name__", "") == "numpy"

    def relu_grad(g: Any, y: Any) -> Any:
        # g * sign(y) for y >= 0 or NaN. On NumPy as (y > 0) * g: a comparison and a product, both SIMD loops,
        # where sign is a scalar loop; the same bits (0 * g is g * 0, signed zero included). NaN entries of y
        # take g * y (NaN), computed only when there are any (a host check: on a GPU the definition runs).
        if (not host or getattr(g, "shape", None) != getattr(y, "shape", None) or not g.ndim
                or g.dtype.kind != "f" or y.dtype.kind != "f"):
            return xp.asarray(g * xp.sign(y))  # broadcasting, 0-d, integers, bfloat16: the definition itself
        r = (y > 0).astype(xp.result_type(g, y))
        r *= g
        if y.size and xp.isnan(y.max()):  # max propagates NaN: one reduction, no mask, in the common case
            nan = xp.isnan(y)
            r[nan] = (g * y)[nan]
        return r

    def softplus(x: Any) -> Any:
        x = _as_float(x)
        return xp.logaddexp(_c(x, 0), x)

    def leaky_relu(x: Any, negative_slope: float) -> Any:
        x = _as_float(x)
        return xp.where(x > 0, x, x * _c(x, negative_slope))

    def elu(x: Any, alpha: float) -> Any:
        x = _as_float(x)
        return xp.where(x > 0, x, _c(x, alpha) * xp.expm1(xp.minimum(x, _c(x, 0))))

    def selu(x: Any) -> Any:
        x = _as_float(x)
        neg = _c(x, SELU_ALPHA) * xp.expm1(xp.minimum(x, _c(x, 0)))
        return _c(x, SELU_SCALE) * xp.where(x > 0, x, neg)

    def gelu(x: Any, approximate: bool) -> Any:
        x = _as_float(x)
        if approximate:
            inner = _c(x, SQRT_2_OVER_PI) * (x + _c(x, GELU_TANH_C) * x * x * x)
            return _c(x, 0.5) * x * (_c(x, 1) + xp.tanh(inner))
        # x * Phi(x) with Phi(x) = erfc(-x/sqrt 2)/2: no cancellation for large negative x
        return _c(x, 0.5) * x * erfc(-x * _c(x, SQRT_HALF))

    def silu(x: Any) -> Any:
        x = _as_float(x)
        return x * sigmoid(x)

    def hard_sigmoid(x: Any, alpha: float, beta: float) -> Any:
        x = _as_float(x)
        return xp.clip(x * _c(x, alpha) + _c(x, beta), _c(x, 0), _c(x, 1))

    def clip(x: Any, lo: Any, hi: Any) -> Any:
        return xp.clip(x, _weak_scalar(lo, x), _weak_scalar(hi, x))

    def reciprocal(x: Any) -> Any:
        if x.dtype.kind == "f":
            return xp.reciprocal(x)
        return xp.true_divide(1.0, x)  # integers: a float result, not NumPy's truncating reciprocal

    return {
        "add": kd(xp.add),
        "subtract": kd(xp.subtract),
        "multiply": kd(xp.multiply),
        "divide": kd(xp.true_divide),
        "floor_divide": kd(xp.floor_divide),
        "mod": kd(xp.remainder),
        "power": kd(xp.power),
        "negative": xp.negative,
        "exp": xp.exp,
        "log": xp.log,
        "abs": xp.abs,
        "sign": xp.sign,
        "square": xp.square,
        "sqrt": xp.sqrt,
        "reciprocal": reciprocal,
        "expm1": xp.expm1,
        "log1p": xp.log1p,
        "log2": xp.log2,
        "log10": xp.log10,
        "sin": xp.sin,
        "cos": xp.cos,
        "tan": xp.tan,
        "tanh": xp.tanh,
        "arcsin": xp.arcsin,
        "arccos": xp.arccos,
        "arctan": xp.arctan,
        "sinh": xp.sinh,
        "cosh": xp.cosh,
        "arcsinh": xp.arcsinh,
        "arccosh": xp.arccosh,
        "arctanh": xp.arctanh,
        # composites of several steps: bfloat16 computes them in float32 and rounds once
        "erf": via_float32(erf, 1),
        "erfc": via_float32(erfc, 1),
        "sigmoid": via_float32(sigmoid, 1),
        "relu": relu,
        "relu_grad": relu_grad,
        "softplus": via_float32(softplus, 1),
        "leaky_relu": via_float32(leaky_relu, 1),
        "elu": via_float32(elu, 1),
        "selu": via_float32(selu, 1),
        "gelu": via_float32(gelu, 1),
        "silu": via_float32(silu, 1),
        "hard_sigmoid": via_float32(hard_sigmoid, 1),
        "maximum": kd(xp.maximum),
        "minimum": kd(xp.minimum),
        "clip": via_float32(xp.clip if weak else clip, 1),  # NumPy's clip of bfloat16 returns float32
        "floor": xp.floor,
        "ceil": xp.ceil,
        "round": lambda x, decimals=0: xp.round(x, decimals),
        "trunc": xp.trunc,
        "logical_and": xp.logical_and,
        "logical_or": xp.logical_or,
        "logical_xor": xp.logical_xor,
        "logical_not": xp.logical_not,
        "isnan": xp.isnan,
        "isinf": xp.isinf,
        "isfinite": xp.isfinite,
        "where": xp.where,
        "equal": kd(xp.equal),
        "not_equal": kd(xp.not_equal),
        "greater": kd(xp.greater),
        "greater_equal": kd(xp.greater_equal),
        "less": kd(xp.less),
        "less_equal": kd(xp.less_equal),
        "astype": lambda x, dtype: x.astype(dtype),
    }
