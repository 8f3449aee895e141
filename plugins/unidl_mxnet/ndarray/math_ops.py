"""``mx.nd`` math beyond the basics of ops.py: trigonometric/hyperbolic and rounding functions, MXNet's
own rounding rules, ``smooth_l1``, ``cumsum``, ``diag``, ``moments``, ``L2Normalization``, indexing
(``gather_nd``, ``scatter_nd``, ``reshape_like``), logical broadcasts, casts and gradient control
(``stop_gradient``, ``make_loss``), and array facts (``shape_array``, ``size_array``).

MXNet conventions kept here: ``round`` rounds half away from zero, ``rint`` rounds half down (toward
-inf), ``fix`` toward zero; ``shape_array``/``size_array`` are int64; logical results are 0/1 in the
operands' dtype; ``make_loss`` back-propagates ``grad_scale`` whatever the head gradient.
"""
from __future__ import annotations

import math
from typing import Any, List, Optional, Sequence

import numpy as np

import unidl
from unidl import ops
from unidl.autograd import STATE, Node

from ..base import MXNetError
from ..context import Context, current_context
from .ndarray import NDArray, wrap
from .ops import _pair


def _t(op: str, data: Any):
    if not isinstance(data, NDArray):
        raise MXNetError(f"{op}: data must be an NDArray, got {type(data).__name__}")
    return data._t


def _float(op: str, data: Any):
    x = _t(op, data)
    if x.dtype.kind != "f":
        raise MXNetError(f"{op}: expected a floating-point array, got {x.dtype} of shape {x.shape}")
    return x


def _unary(fn, name: str, doc: str):
    def op(data: NDArray) -> NDArray:
        return wrap(fn(_float(name, data)))

    op.__name__ = op.__qualname__ = name
    op.__doc__ = doc + " Shape: unchanged."
    return op


def _scale(c: float):
    return lambda x: ops.multiply(x, x.dtype.type(c))


def _cbrt(x):
    return ops.multiply(ops.sign(x), ops.power(ops.abs(x), x.dtype.type(1.0 / 3.0)))


def _round_half_away(x):
    t = ops.trunc(x)
    # x - trunc(x) and its double are exact, so ties are decided without rounding error
    return ops.add(t, ops.trunc(ops.multiply(ops.subtract(x, t), x.dtype.type(2))))


arcsin = _unary(ops.arcsin, "arcsin", "Elementwise inverse sine.")
arccos = _unary(ops.arccos, "arccos", "Elementwise inverse cosine.")
arctan = _unary(ops.arctan, "arctan", "Elementwise inverse tangent.")
sinh = _unary(ops.sinh, "sinh", "Elementwise hyperbolic sine.")
cosh = _unary(ops.cosh, "cosh", "Elementwise hyperbolic cosine.")
arcsinh = _unary(ops.arcsinh, "arcsinh", "Elementwise inverse hyperbolic sine.")
arccosh = _unary(ops.arccosh, "arccosh", "Elementwise inverse hyperbolic cosine.")
arctanh = _unary(ops.arctanh, "arctanh", "Elementwise inverse hyperbolic tangent.")
degrees = _unary(_scale(180.0 / math.pi), "degrees", "Radians to degrees.")
radians = _unary(_scale(math.pi / 180.0), "radians", "Degrees to radians.")
log2 = _unary(ops.log2, "log2", "Elementwise base-2 logarithm.")
log10 = _unary(ops.log10, "log10", "Elementwise base-10 logarithm.")
cbrt = _unary(_cbrt, "cbrt", "Elementwise cube root.")
rcbrt = _unary(lambda x: ops.reciprocal(_cbrt(x)), "rcbrt", "Elementwise ``1 / cbrt(x)``.")
rsqrt = _unary(lambda x: ops.reciprocal(ops.sqrt(x)), "rsqrt", "Elementwise ``1 / sqrt(x)``.")
softsign = _unary(lambda x: ops.divide(x, ops.add(ops.abs(x), 1)), "softsign", "Elementwise ``x / (1 + |x|)``.")
def _rounding(fn, name: str, doc: str):
    """A rounding op: integer arrays come back unchanged (a copy, same dtype), as in MXNet."""
    def op(data: NDArray) -> NDArray:
        x = _t(name, data)
        if x.dtype.kind in "iub":
            return wrap(ops.add(x, x.dtype.type(0)))
        return wrap(fn(_float(name, data)))

    op.__name__ = op.__qualname__ = name
    op.__doc__ = doc + " Integer arrays are returned unchanged. Shape: unchanged."
    return op


round = _rounding(_round_half_away, "round", "Round to the nearest integer, halves away from zero.")  # noqa: A001
rint = _rounding(lambda x: ops.ceil(ops.subtract(x, x.dtype.type(0.5))), "rint",
                 "Round to the nearest integer, halves toward -inf (MXNet's rint: 1.5 -> 1, -1.5 -> -2).")
fix = _rounding(ops.trunc, "fix", "Round toward zero.")


def hard_sigmoid(data: NDArray, alpha: float = 0.2, beta: float = 0.5) -> NDArray:
    """``clip(alpha * x + beta, 0, 1)``. Shape: unchanged."""
    return wrap(ops.hard_sigmoid(_float("hard_sigmoid", data), alpha, beta))


def smooth_l1(data: NDArray, scalar: float = 1.0) -> NDArray:
    """``0.5 * (s*x)**2`` where ``|x| < 1/s**2``, else ``|x| - 0.5/s**2`` (s = ``scalar``). Shape: unchanged."""
    x = _float("smooth_l1", data)
    s2 = float(scalar) ** 2
    dt = x.dtype.type
    quad = ops.multiply(ops.square(x), dt(0.5 * s2))
    lin = ops.subtract(ops.abs(x), dt(0.5 / s2))
    return wrap(ops.where(ops.less(ops.abs(x), dt(1.0 / s2)), quad, lin))


# -- reductions and scans ------------------------------------------------------------------------------

def cumsum(a: NDArray, axis: Optional[int] = None, dtype: Any = None) -> NDArray:
    """Cumulative sum along ``axis`` (of the flattened array when None), in ``dtype`` if given.

    As MXNet 1.9.1, ``axis`` must be non-negative.
    """
    x = _t("cumsum", a)
    if axis is not None and not 0 <= int(axis) < x.ndim:
        raise MXNetError(f"cumsum: axis {axis} must be in [0, {x.ndim}) for an array of shape {a.shape}")
    if dtype is not None:
        x = ops.astype(x, np.dtype(dtype))
    return wrap(ops.cumsum(x, axis=axis))


def moments(data: NDArray, axes: Optional[Sequence[int]] = None, keepdims: bool = False) -> List[NDArray]:
    """[mean, biased variance] over ``axes`` (all when None)."""
    x = _float("moments", data)
    ax = None if axes is None else tuple(int(a) for a in ((axes,) if isinstance(axes, int) else axes))
    m = ops.mean(x, axis=ax, keepdims=True)
    v = ops.mean(ops.square(ops.subtract(x, m)), axis=ax, keepdims=keepdims)
    return [wrap(m if keepdims else ops.mean(x, axis=ax)), wrap(v)]


def nansum(data: NDArray, axis: Any = None, keepdims: bool = False, exclude: bool = False) -> NDArray:
    """Sum treating NaN as 0."""
    from .ops import sum as _sum

    x = _t("nansum", data)
    return _sum(wrap(ops.where(ops.isnan(x), x.dtype.type(0), x)), axis, keepdims, exclude)


def nanprod(data: NDArray, axis: Any = None, keepdims: bool = False, exclude: bool = False) -> NDArray:
    """Product treating NaN as 1."""
    from .ops import prod as _prod

    x = _t("nanprod", data)
    return _prod(wrap(ops.where(ops.isnan(x), x.dtype.type(1), x)), axis, keepdims, exclude)


def L2Normalization(data: NDArray, eps: float = 1e-10, mode: str = "instance") -> NDArray:  # noqa: N802
    """``x / sqrt(sum(x**2) + eps)``; the sum runs over all but axis 0 ('instance'), over axis 1
    ('channel') or over the spatial axes 2.. ('spatial'). Shape: unchanged (at least 2-d)."""
    x = _float("L2Normalization", data)
    axes = {"instance": tuple(range(1, x.ndim)), "channel": (1,), "spatial": tuple(range(2, x.ndim))}.get(mode)
    if axes is None:
        raise MXNetError(f"L2Normalization: mode must be 'instance', 'channel' or 'spatial', got {mode!r}")
    if x.ndim < (3 if mode == "spatial" else 2):
        raise MXNetError(f"L2Normalization: mode {mode!r} needs a larger rank than the shape {data.shape}")
    ss = ops.sum(ops.square(x), axis=axes, keepdims=True)
    return wrap(ops.divide(x, ops.sqrt(ops.add(ss, x.dtype.type(eps)))))


# -- creation and shape ---------------------------------------------------------------------------------

def diag(data: NDArray, k: int = 0, axis1: int = 0, axis2: int = 1) -> NDArray:
    """1-d input: the square matrix with ``data`` on diagonal ``k``. N-d input: diagonal ``k`` of the
    (``axis1``, ``axis2``) planes, as a last axis."""
    x = _t("diag", data)
    k = int(k)
    if x.ndim == 1:
        n = x.shape[0]
        m = n + abs(k)
        r = unidl.eye(m, n, k=-max(-k, 0), dtype=x.dtype, device=x.device)   # r[i + max(-k,0), i] = 1
        c = unidl.eye(n, m, k=max(k, 0), dtype=x.dtype, device=x.device)    # c[i, i + max(k,0)] = 1
        return wrap(ops.matmul(ops.multiply(r, x), c))
    if x.ndim < 1 or not (-x.ndim <= axis1 < x.ndim and -x.ndim <= axis2 < x.ndim) or axis1 % x.ndim == axis2 % x.ndim:
        raise MXNetError(f"diag: axis1={axis1}, axis2={axis2} are not two distinct axes of shape {data.shape}")
    a1, a2 = axis1 % x.ndim, axis2 % x.ndim
    rest = [i for i in range(x.ndim) if i not in (a1, a2)]
    y = ops.transpose(x, tuple(rest) + (a1, a2))
    rows, cols = x.shape[a1], x.shape[a2]
    length = max(0, min(rows - max(-k, 0), cols - max(k, 0)))
    y = ops.reshape(y, tuple(x.shape[i] for i in rest) + (rows * cols,))
    i = unidl.arange(0, length, dtype="int64", device=x.device)
    flat = ops.add(ops.multiply(ops.add(i, max(-k, 0)), cols), ops.add(i, max(k, 0)))
    return wrap(ops.take(y, flat, axis=-1))


def linspace(start: float, stop: float, num: int, endpoint: bool = True, ctx: Optional[Context] = None,
             dtype: Any = "float32") -> NDArray:
    """``num`` evenly spaced values from ``start`` to ``stop`` (included when ``endpoint``)."""
    dev = (ctx or current_context()).unidl_device
    return wrap(unidl.linspace(start, stop, int(num), endpoint=endpoint, dtype=dtype or "float32", device=dev))


def shape_array(data: NDArray) -> NDArray:
    """The shape as a 1-d int64 array."""
    x = _t("shape_array", data)
    return wrap(unidl.tensor(np.array(x.shape, dtype=np.int64), device=x.device))


def size_array(data: NDArray) -> NDArray:
    """The number of elements as a (1,) int64 array."""
    x = _t("size_array", data)
    return wrap(unidl.tensor(np.array([x.size], dtype=np.int64), device=x.device))


def reshape_like(lhs: NDArray, rhs: NDArray, lhs_begin: Optional[int] = None, lhs_end: Optional[int] = None,
                 rhs_begin: Optional[int] = None, rhs_end: Optional[int] = None) -> NDArray:
    """``lhs`` reshaped so its dims [lhs_begin, lhs_end) become ``rhs``'s dims [rhs_begin, rhs_end)
    (the whole shapes by default); the element count must not change."""
    a, b = _t("reshape_like", lhs), _t("reshape_like", rhs)

    def rng(n, lo, hi):
        lo = 0 if lo is None else (lo + n if lo < 0 else lo)
        hi = n if hi is None else (hi + n if hi < 0 else hi)
        return lo, hi

    l0, l1 = rng(a.ndim, lhs_begin, lhs_end)
    r0, r1 = rng(b.ndim, rhs_begin, rhs_end)
    shape = a.shape[:l0] + b.shape[r0:r1] + a.shape[l1:]
    if int(np.prod(shape)) != a.size:
        raise MXNetError(f"reshape_like: cannot reshape lhs of shape {a.shape} into {shape} (from rhs shape "
                         f"{b.shape}): the sizes differ")
    return wrap(ops.reshape(a, shape))


# -- indexing ---------------------------------------------------------------------------------------------

def _index_tensor(op: str, indices: Any, device: Any):
    idx = indices._t if isinstance(indices, NDArray) else unidl.tensor(np.asarray(indices), device=device)
    if idx.dtype.kind not in "iuf":
        raise MXNetError(f"{op}: indices must be numeric, got {idx.dtype}")
    return ops.astype(idx, "int64") if idx.dtype != np.int64 else idx


def gather_nd(data: NDArray, indices: NDArray) -> NDArray:
    """``out[j...] = data[indices[0, j...], ..., indices[M-1, j...]]``.
    Shapes: data (n0, ..., n{M-1}, *R), indices (M, *J) -> (*J, *R)."""
    x = _t("gather_nd", data)
    idx = _index_tensor("gather_nd", indices, x.device)
    try:
        return wrap(ops.gather_nd(x, idx))
    except unidl.OpError as e:
        raise MXNetError(f"gather_nd: {e} (data {data.shape}, indices {idx.shape})") from None


def scatter_nd(data: NDArray, indices: NDArray, shape: Sequence[int]) -> NDArray:
    """The inverse of ``gather_nd``: zeros of ``shape`` with ``data`` written at ``indices``.
    Shapes: data (*J, *R), indices (M, *J) -> ``shape`` = (n0, ..., n{M-1}, *R)."""
    x = _t("scatter_nd", data)
    idx = _index_tensor("scatter_nd", indices, x.device)
    shape = tuple(int(s) for s in shape)
    m = idx.shape[0] if idx.ndim else 0
    if idx.ndim < 1 or m > len(shape) or x.shape != idx.shape[1:] + shape[m:]:
        raise MXNetError(f"scatter_nd: data {x.shape} and indices {idx.shape} do not fit shape {shape}; expected "
                         f"data of shape indices.shape[1:] + shape[M:] with M = indices.shape[0]")
    key = tuple(ops.getitem(idx, i) for i in range(m))
    return wrap(ops.index_add(unidl.zeros(shape, dtype=x.dtype, device=x.device), key, x))


# -- logic ---------------------------------------------------------------------------------------------------

def _logical(fn, name: str):
    def op(lhs: Any, rhs: Any) -> NDArray:
        a, b, dt = _pair(name, lhs, rhs)
        return wrap(ops.astype(fn(ops.not_equal(a, 0) if isinstance(a, unidl.Tensor) else a != 0,
                                  ops.not_equal(b, 0) if isinstance(b, unidl.Tensor) else b != 0), dt))

    op.__name__ = op.__qualname__ = name
    op.__doc__ = f"Elementwise ``{name}`` with broadcasting: 1/0 in the operands' dtype."
    return op


broadcast_logical_and = logical_and = _logical(ops.logical_and, "broadcast_logical_and")
broadcast_logical_or = logical_or = _logical(ops.logical_or, "broadcast_logical_or")
broadcast_logical_xor = logical_xor = _logical(ops.logical_xor, "broadcast_logical_xor")


def broadcast_hypot(lhs: NDArray, rhs: NDArray) -> NDArray:
    """``sqrt(lhs**2 + rhs**2)`` with broadcasting."""
    a, b, _ = _pair("broadcast_hypot", lhs, rhs)
    return wrap(ops.sqrt(ops.add(ops.square(a), ops.square(b))))


# -- casts and gradient control ---------------------------------------------------------------------------

def cast(data: NDArray, dtype: Any) -> NDArray:
    """``data`` as ``dtype`` (differentiable between float types)."""
    return wrap(ops.astype(_t("Cast", data), np.dtype(dtype)))


Cast = cast


def stop_gradient(data: NDArray) -> NDArray:
    """The same values with no gradient flowing back."""
    return wrap(_t("stop_gradient", data).detach())


BlockGrad = stop_gradient


def identity(data: NDArray) -> NDArray:
    """A copy of ``data`` (gradient passes through)."""
    x = _t("identity", data)
    return wrap(ops.add(x, x.dtype.type(0)))


_copy = identity


def make_loss(data: NDArray, grad_scale: float = 1.0, valid_thresh: float = 0.0, normalization: str = "null") -> NDArray:
    """Mark ``data`` as a loss: forward is the identity; backward sends ``grad_scale`` to every element
    (divided by the batch size for 'batch', by the count of elements above ``valid_thresh`` for 'valid'),
    ignoring the head gradient, as MXNet's MakeLoss does."""
    x = _float("make_loss", data)
    if normalization not in ("null", "batch", "valid"):
        raise MXNetError(f"make_loss: normalization must be 'null', 'batch' or 'valid', got {normalization!r}")
    out = ops.add(x, x.dtype.type(0))

    def bwd(node, o, g):
        scale = float(grad_scale)
        if normalization == "batch":
            scale /= x.shape[0] if x.ndim else 1
        elif normalization == "valid":
            n = ops.sum(ops.astype(ops.greater(x.detach(), valid_thresh), x.dtype))
            return (ops.divide(unidl.full(x.shape, scale, dtype=x.dtype, device=x.device), ops.maximum(n, 1)),)
        return (unidl.full(x.shape, scale, dtype=x.dtype, device=x.device),)

    return wrap(attach_backward(out, (x,), bwd, "make_loss"))


MakeLoss = make_loss


def attach_backward(out, parents: tuple, bwd, name: str):
    """Record ``out`` (computed outside the graph) as a node with parents and backward ``bwd``
    (``bwd(node, out, g) -> tuple`` of parent gradients, written with ops): MXNet's loss layers define
    their gradient without the head gradient, which no composition of ops expresses."""
    out = out.detach()
    if STATE.recording and any(p is not None and p.requires_grad for p in parents):
        out._node = Node(name, parents, bwd)
        out.requires_grad = True
    return out


__all__ = ["arcsin", "arccos", "arctan", "sinh", "cosh", "arcsinh", "arccosh", "arctanh", "degrees", "radians",
           "log2", "log10", "cbrt", "rcbrt", "rsqrt", "softsign", "round", "rint", "fix", "hard_sigmoid",
           "smooth_l1", "cumsum", "moments", "nansum", "nanprod", "L2Normalization", "diag", "linspace",
           "shape_array", "size_array", "reshape_like", "gather_nd", "scatter_nd", "broadcast_logical_and",
           "broadcast_logical_or", "broadcast_logical_xor", "logical_and", "logical_or", "logical_xor",
           "broadcast_hypot", "cast", "Cast", "stop_gradient", "BlockGrad", "identity", "make_loss",
           "MakeLoss"]
