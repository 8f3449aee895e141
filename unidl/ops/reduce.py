"""Reductions: sum, mean, max, min, prod, argmax/argmin, var/std, logsumexp, cumsum, all/any, norm.

``axis`` is None (all axes), an int or a tuple of ints (negative counts from the end); ``keepdims``
keeps reduced axes as size 1. Kernels receive ``axis`` already normalised to a tuple of
non-negative ints (or None) and must return arrays (not NumPy scalars).
"""
from __future__ import annotations

from typing import Any, Optional, Sequence, Tuple, Union

from ..dtypes import composite_via_float32
from ..errors import OpError
from ..autograd import STATE
from ._core import Tensor, defop, unary, wrap

_builtin_all, _builtin_any, _builtin_max, _builtin_min = all, any, max, min

__all__ = ["sum", "mean", "max", "min", "prod", "argmax", "argmin", "var", "std", "logsumexp", "cumsum", "all",
           "any", "norm", "unbroadcast", "normalize_axis", "argsort"]

Axis = Union[None, int, Sequence[int]]

SUM = defop("sum", doc="sum over axes")


def normalize_axis(op: str, axis: Axis, ndim: int,
                   shape: Optional[Tuple[int, ...]] = None) -> Optional[Tuple[int, ...]]:
    """``axis`` as a sorted tuple of non-negative ints (None stays None).

    Errors name ``op`` (and ``shape``, the input's shape, when given).
    """
    if axis is None:
        return None
    axes = (axis,) if isinstance(axis, int) or hasattr(axis, "__index__") else tuple(axis)
    out = []
    for a in axes:
        a = int(a)
        if not -ndim <= a < _builtin_max(ndim, 1) or (ndim == 0 and a not in (0, -1)):
            raise OpError(op, f"axis {a} is out of range for a tensor of {ndim} dimension(s); "
                          f"expected -{ndim} <= axis < {ndim}", shapes=() if shape is None else (shape,))
        a = a % ndim if ndim else 0
        if a in out:
            raise OpError(op, f"axis {a} repeated in {axis!r}", shapes=() if shape is None else (shape,))
        out.append(a)
    return tuple(sorted(out))



def _axes_of(op: str, x: Any, axis: Axis) -> Optional[Tuple[int, ...]]:
    """``normalize_axis`` for a reduction's input, refusing non-tensors with an OpError naming ``op``."""
    if not isinstance(x, Tensor):
        raise OpError(op, f"expected a unidl Tensor, got {type(x).__name__}")
    return normalize_axis(op, axis, x.ndim, x.shape)

def _restore_reduced(g: Tensor, in_shape: Tuple[int, ...], axes: Optional[Tuple[int, ...]],
                     keepdims: bool) -> Tensor:
    """Broadcast a reduction's gradient back to the input shape."""
    from .shape import broadcast_to, reshape

    if not keepdims:
        if axes is None:
            kshape = (1,) * len(in_shape)
        else:
            kshape = tuple(1 if i in axes else d for i, d in enumerate(in_shape))
        g = reshape(g, kshape)
    return broadcast_to(g, in_shape)


def _sum_bwd(node, out, g):
    x = node.parents[0]
    a = node.saved
    return (_restore_reduced(g, x.shape, a["axis"], a["keepdims"]),)


def sum(x: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """Sum of elements over ``axis``. Shape: (...) -> reduced shape."""
    return unary(SUM, _sum_bwd, x, axis=_axes_of("sum", x, axis), keepdims=bool(keepdims))


def unbroadcast(g: Tensor, shape: Tuple[int, ...]) -> Tensor:
    """Sum ``g`` down to ``shape`` (the inverse of broadcasting ``shape`` to ``g.shape``)."""
    gs = g.shape
    if gs == shape:
        return g
    from .shape import reshape

    lead = len(gs) - len(shape)
    axes = tuple(range(lead)) + tuple(i + lead for i, d in enumerate(shape) if d == 1 and gs[i + lead] != 1)
    if not STATE.recording:  # plain backward: kernel calls only, no graph (bias gradients take this path)
        from ..kernels import OPS

        dt = g.device.type
        r = SUM.kernel(dt)(g.data, axis=axes, keepdims=False)
        return wrap(OPS["reshape"].kernel(dt)(r, shape) if r.shape != shape else r, g.device)
    r = sum(g, axis=axes) if axes else g
    return reshape(r, shape) if r.shape != shape else r


MEAN = defop("mean", doc="arithmetic mean over axes")
MAX = defop("max", doc="maximum over axes")
MIN = defop("min", doc="minimum over axes")
PROD = defop("prod", doc="product over axes")
ARGMAX = defop("argmax", doc="index of the maximum along an axis", differentiable=False)
ARGMIN = defop("argmin", doc="index of the minimum along an axis", differentiable=False)
VAR = defop("var", doc="variance over axes (ddof)")
STD = defop("std", doc="standard deviation over axes (ddof)")
CUMSUM = defop("cumsum", doc="cumulative sum along an axis")
ALL = defop("all", doc="logical and over axes", differentiable=False)
ANY = defop("any", doc="logical or over axes", differentiable=False)
NORM = defop("norm", doc="vector norm over axes (ord 1, 2 or inf)")


def _logsumexp_composite(K, x, axis=None, keepdims=False):
    """logsumexp from max/subtract/exp/sum/log kernels: the worked example of a composite."""
    # max has no identity: an empty reduction uses a shift of 0 (the result is then log(0) = -inf)
    m = K.sum(x, axis=axis, keepdims=True) if x.size == 0 else K.max(x, axis=axis, keepdims=True)
    # an infinite maximum (all -inf, or some +inf) is not subtracted: inf - inf would give NaN
    m = K.astype(K.where(K.isfinite(m), m, 0), x.dtype)
    s = K.log(K.sum(K.exp(K.subtract(x, m)), axis=axis, keepdims=True))
    out = K.add(s, m)
    if keepdims:
        return out
    shape = tuple(d for i, d in enumerate(out.shape) if axis is not None and i not in axis)
    return K.reshape(out, shape)


# bfloat16 computed in float32 and rounded once, as the reference kernel (via_float32(logsumexp, 1))
LOGSUMEXP = defop("logsumexp", composite=composite_via_float32(_logsumexp_composite, 1),
                  doc="log(sum(exp(x))) over axes, stable")


def _count(shape: Tuple[int, ...], axes: Optional[Tuple[int, ...]]) -> int:
    n = 1
    for i, d in enumerate(shape):
        if axes is None or i in axes:
            n *= d
    return n


def _reduce(op, bwd, name: str, x: Tensor, axis: Axis, keepdims: bool, **extra: Any) -> Tensor:
    return unary(op, bwd, x, axis=_axes_of(name, x, axis), keepdims=bool(keepdims), **extra)


def _mean_bwd(node, out, g):
    x = node.parents[0]
    a = node.saved
    from .elementwise import multiply

    n = _count(x.shape, a["axis"])
    return (multiply(_restore_reduced(g, x.shape, a["axis"], a["keepdims"]), 1.0 / n if n else float("nan")),)


def mean(x: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Arithmetic mean over ``axis`` (NaN for an empty reduction, as NumPy). Shape: (...) -> reduced."""
    return _reduce(MEAN, _mean_bwd, "mean", x, axis, keepdims)


def _extremum_bwd(node, out, g):
    """Gradient of max/min: shared equally among the elements equal to the extremum."""
    from .elementwise import astype, divide, equal, multiply

    x = node.parents[0]
    a = node.saved
    full_out = _restore_reduced(out, x.shape, a["axis"], a["keepdims"])
    mask = astype(equal(x, full_out), g.dtype)
    count = sum(mask, axis=a["axis"], keepdims=True)
    gfull = _restore_reduced(g, x.shape, a["axis"], a["keepdims"])
    return (divide(multiply(gfull, mask), count),)


def _check_nonempty(name: str, x: Tensor, axes: Optional[Tuple[int, ...]]) -> None:
    if _count(x.shape, axes) == 0:
        raise OpError(name, "zero-size reduction has no identity; expected a non-empty reduced axis",
                      shapes=(x.shape,))


def max(x: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """Maximum over ``axis``. Gradient is shared equally among tied maxima. Empty input is an OpError."""
    axes = _axes_of("max", x, axis)
    _check_nonempty("max", x, axes)
    return unary(MAX, _extremum_bwd, x, axis=axes, keepdims=bool(keepdims))


def min(x: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """Minimum over ``axis``. Gradient is shared equally among tied minima. Empty input is an OpError."""
    axes = _axes_of("min", x, axis)
    _check_nonempty("min", x, axes)
    return unary(MIN, _extremum_bwd, x, axis=axes, keepdims=bool(keepdims))


def _prod_bwd(node, out, g):
    """d prod / d x_i = product of the other elements, exact also where inputs are zero.

    Written as ``prod(x_nz) / x_nz_i * E_i`` where ``x_nz`` is ``x`` with zeros replaced by 1 and
    ``E_i`` is the product of the *other* zero entries, kept as an expression in those entries (not
    the constant 0) so the second derivative is also exact; with three or more zeros in a group the
    third derivative is not.
    """
    from ..creation import ones_like, zeros_like
    from .elementwise import astype, divide, equal, multiply, subtract, where

    x = node.parents[0]
    a = node.saved
    axes = a["axis"]

    def full(t: Tensor) -> Tensor:
        return _restore_reduced(t, x.shape, axes, True)

    one, zero = ones_like(x), zeros_like(x)
    is_zero = equal(x, 0)
    x_nz = where(is_zero, one, x)
    base = divide(full(prod(x_nz, axis=axes, keepdims=True)), x_nz)
    n_zeros = full(sum(astype(is_zero, x.dtype), axis=axes, keepdims=True))
    # with exactly two zeros, the other zero entry is (sum of the zero entries) - x_i
    other_zero = subtract(full(sum(where(is_zero, x, zero), axis=axes, keepdims=True)), x)
    e_at_zero = where(equal(n_zeros, 1), one, where(equal(n_zeros, 2), other_zero, zero))
    e_elsewhere = full(prod(where(is_zero, x, one), axis=axes, keepdims=True))
    local = multiply(base, where(is_zero, e_at_zero, e_elsewhere))
    return (multiply(_restore_reduced(g, x.shape, axes, a["keepdims"]), local),)


def prod(x: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """Product over ``axis`` (1 for an empty reduction). Gradient exact also with zeros in ``x``."""
    return _reduce(PROD, _prod_bwd, "prod", x, axis, keepdims)


def _arg(op, name: str, x: Tensor, axis: Optional[int], keepdims: bool) -> Tensor:
    if axis is not None and not isinstance(axis, int) and not hasattr(axis, "__index__"):
        raise OpError(name, f"axis must be None or an int, got {axis!r}", shapes=(x.shape,))
    axes = _axes_of(name, x, axis)
    if _count(x.shape, axes) == 0:
        raise OpError(name, "attempt to get the index of an extremum of an empty sequence; expected a "
                      "non-empty reduced axis", shapes=(x.shape,))
    return unary(op, None, x, axis=None if axes is None else axes[0], keepdims=bool(keepdims))


def argmax(x: Tensor, axis: Optional[int] = None, keepdims: bool = False) -> Tensor:
    """Index (int64) of the first maximum along ``axis`` (of the flattened tensor when None)."""
    return _arg(ARGMAX, "argmax", x, axis, keepdims)


def argmin(x: Tensor, axis: Optional[int] = None, keepdims: bool = False) -> Tensor:
    """Index (int64) of the first minimum along ``axis`` (of the flattened tensor when None)."""
    return _arg(ARGMIN, "argmin", x, axis, keepdims)


ARGSORT = defop("argsort", doc="stable sorting permutation along an axis", differentiable=False)


def argsort(x: Tensor, axis: int = -1, descending: bool = False) -> Tensor:
    """Indices (int64) that sort ``x`` along ``axis``; stable, so equal values keep their order
    (also when ``descending``: the first of equal values comes first). Shape: unchanged.

    Differentiable sorting is ``take_along_axis(x, argsort(x, axis), axis)``.
    """
    if not isinstance(axis, int) and not hasattr(axis, "__index__"):
        raise OpError("argsort", f"axis must be an int, got {axis!r}", shapes=(getattr(x, "shape", ()),))
    ax = _axes_of("argsort", x, axis)
    if x.ndim == 0:
        raise OpError("argsort", "cannot sort a 0-d tensor; expected at least one dimension", shapes=(x.shape,))
    return unary(ARGSORT, None, x, axis=ax[0], descending=bool(descending))


def _var_bwd(node, out, g):
    from .elementwise import multiply, subtract

    x = node.parents[0]
    a = node.saved
    n = _count(x.shape, a["axis"]) - a["ddof"]
    centred = subtract(x, mean(x, axis=a["axis"], keepdims=True))
    gfull = _restore_reduced(g, x.shape, a["axis"], a["keepdims"])
    return (multiply(gfull, multiply(centred, 2.0 / n if n > 0 else float("nan"))),)


def var(x: Tensor, axis: Axis = None, keepdims: bool = False, ddof: int = 0) -> Tensor:
    """Variance over ``axis`` with ``ddof`` delta degrees of freedom (0: biased, NumPy's default)."""
    return _reduce(VAR, _var_bwd, "var", x, axis, keepdims, ddof=int(ddof))


def _std_bwd(node, out, g):
    from .elementwise import divide, multiply, subtract

    x = node.parents[0]
    a = node.saved
    n = _count(x.shape, a["axis"]) - a["ddof"]
    centred = subtract(x, mean(x, axis=a["axis"], keepdims=True))
    full_std = _restore_reduced(out, x.shape, a["axis"], a["keepdims"])
    gfull = _restore_reduced(g, x.shape, a["axis"], a["keepdims"])
    return (divide(multiply(gfull, centred), multiply(full_std, float(n) if n > 0 else float("nan"))),)


def std(x: Tensor, axis: Axis = None, keepdims: bool = False, ddof: int = 0) -> Tensor:
    """Standard deviation over ``axis`` with ``ddof`` (gradient undefined where the std is 0)."""
    return _reduce(STD, _std_bwd, "std", x, axis, keepdims, ddof=int(ddof))


def _logsumexp_bwd(node, out, g):
    from .elementwise import exp, multiply, subtract

    x = node.parents[0]
    a = node.saved
    full_out = _restore_reduced(out, x.shape, a["axis"], a["keepdims"])
    return (multiply(_restore_reduced(g, x.shape, a["axis"], a["keepdims"]), exp(subtract(x, full_out))),)


def logsumexp(x: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:
    """``log(sum(exp(x)))`` over ``axis``, computed stably (shifted by the maximum)."""
    return _reduce(LOGSUMEXP, _logsumexp_bwd, "logsumexp", x, axis, keepdims)


def _cumsum_bwd(node, out, g):
    a = node.saved
    return (_cumsum(g, a["axis"], not a["reverse"]),)


def _cumsum(x: Tensor, axis: int, reverse: bool) -> Tensor:
    return unary(CUMSUM, _cumsum_bwd, x, axis=axis, reverse=reverse)


def cumsum(x: Tensor, axis: Optional[int] = None, reverse: bool = False) -> Tensor:
    """Cumulative sum along ``axis`` (of the flattened tensor when None); ``reverse`` sums from the end."""
    from .shape import reshape

    axes = _axes_of("cumsum", x, axis)
    if axis is None or x.ndim == 0:
        return _cumsum(reshape(x, (-1,)), 0, bool(reverse))
    return _cumsum(x, axes[0], bool(reverse))


def all(x: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """True where every element over ``axis`` is non-zero (bool, not differentiable)."""
    return _reduce(ALL, None, "all", x, axis, keepdims)


def any(x: Tensor, axis: Axis = None, keepdims: bool = False) -> Tensor:  # noqa: A001
    """True where some element over ``axis`` is non-zero (bool, not differentiable)."""
    return _reduce(ANY, None, "any", x, axis, keepdims)


def _norm_bwd(node, out, g):
    from .elementwise import abs as abs_, divide, equal, multiply, sign, where

    x = node.parents[0]
    a = node.saved
    gfull = _restore_reduced(g, x.shape, a["axis"], a["keepdims"])
    full = _restore_reduced(out, x.shape, a["axis"], a["keepdims"])
    ord_ = a["ord"]
    if ord_ == 2:
        zero = equal(full, 0)
        from ..creation import ones_like, zeros_like

        return (where(zero, zeros_like(x), divide(multiply(gfull, x), where(zero, ones_like(full), full))),)
    if ord_ == 1:
        return (multiply(gfull, sign(x)),)
    # inf: like max(|x|), shared among ties
    mag = abs_(x)
    mask = equal(mag, full)
    from .elementwise import astype

    m = astype(mask, g.dtype)
    count = sum(m, axis=a["axis"], keepdims=True)
    return (divide(multiply(multiply(gfull, m), sign(x)), count),)


def norm(x: Tensor, ord: Any = 2, axis: Axis = None, keepdims: bool = False) -> Tensor:  # noqa: A002
    """Vector norm over ``axis`` (all elements when None): ``ord`` 1, 2 or ``inf``.

    Shape: (...) -> reduced shape; integer/bool inputs give float64 (as ``numpy.linalg.norm``).
    The ord-2 gradient at a zero vector is defined as 0; the inf-norm of an empty vector is 0.
    """
    if ord not in (1, 2, float("inf")):
        raise OpError("norm", f"ord must be 1, 2 or inf, got {ord!r}", shapes=(x.shape,))
    return _reduce(NORM, _norm_bwd, "norm", x, axis, keepdims, ord=ord)
