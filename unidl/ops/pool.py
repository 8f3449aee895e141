"""Pooling, channels-first: inputs (N, C, *spatial) with any number of spatial dims.

``kernel``/``stride`` are an int or one int per spatial dim (``stride=None`` means the kernel);
``padding`` is an int, one int per spatial dim, or one (lo, hi) pair per spatial dim, each at most
half the kernel. ``ceil_mode`` rounds the output size up (a last window must still start inside the
input or its low padding). Max pooling pads with -inf; average pooling pads with zeros and divides by
the window size including padding (``count_include_pad=True``) or by the number of input elements.

Backward, as ops: ``max_pool_grad`` routes each output gradient to its window's first maximum,
``avg_pool_grad`` spreads it evenly; both differentiate again (``max_pool_gather``, ``avg_pool``).
"""
from __future__ import annotations

from typing import Any, Optional, Sequence, Tuple, Union

from ..dtypes import is_floating
from ..errors import OpError
from ._core import Tensor, apply, defop, unary

__all__ = ["max_pool", "max_pool1d", "max_pool2d", "max_pool3d", "avg_pool", "avg_pool1d", "avg_pool2d",
           "avg_pool3d", "global_max_pool", "global_avg_pool", "max_pool_grad", "avg_pool_grad",
           "adaptive_avg_pool", "adaptive_max_pool"]

IntOrSeq = Union[int, Sequence[int]]
Padding = Union[int, Sequence[int], Sequence[Tuple[int, int]]]
Pads = Tuple[Tuple[int, int], ...]

MAX_POOL = defop("max_pool", doc="N-d max pooling, channels-first")
AVG_POOL = defop("avg_pool", doc="N-d average pooling, channels-first")
MAX_POOL_GRAD = defop("max_pool_grad", doc="gradient of max_pool: g routed to each window's first maximum")
MAX_POOL_GATHER = defop("max_pool_gather", doc="values at each window's first maximum (adjoint of max_pool_grad)")
AVG_POOL_GRAD = defop("avg_pool_grad", doc="gradient of avg_pool: g spread evenly over each window")


def _ints(op: str, name: str, v: Any, nd: int, shapes: Sequence[Any]) -> Tuple[int, ...]:
    if type(v) is tuple and len(v) == nd:  # the common case (layers keep tuples): taken as it is when valid
        for i in v:
            if type(i) is not int or i < 1:
                break
        else:
            return v
    t = (v,) * nd if isinstance(v, int) or hasattr(v, "__index__") else tuple(v)
    if len(t) != nd:
        raise OpError(op, f"{name} must be an int or {nd} ints (one per spatial dim), got {v!r}", shapes=shapes)
    t = tuple(int(i) for i in t)
    if any(i < 1 for i in t):
        raise OpError(op, f"{name} must be >= 1, got {v!r}", shapes=shapes)
    return t


def _pads(op: str, padding: Padding, nd: int, kernel: Tuple[int, ...], shapes: Sequence[Any]) -> Pads:
    if isinstance(padding, int) or hasattr(padding, "__index__"):
        pairs = ((int(padding), int(padding)),) * nd
    else:
        items = tuple(padding)
        if len(items) != nd:
            raise OpError(op, f"padding must be an int or have {nd} entries (one per spatial dim), got {padding!r}",
                          shapes=shapes)
        pairs = []
        for p in items:
            if isinstance(p, int) or hasattr(p, "__index__"):
                pairs.append((int(p), int(p)))
            else:
                t = tuple(p)
                if len(t) != 2:
                    raise OpError(op, f"a per-dim padding entry must be an int or a (lo, hi) pair, got {p!r}",
                                  shapes=shapes)
                pairs.append((int(t[0]), int(t[1])))
        pairs = tuple(pairs)
    for (lo, hi), k in zip(pairs, kernel):
        if lo < 0 or hi < 0 or 2 * lo > k or 2 * hi > k:
            raise OpError(op, f"padding {padding!r} must be >= 0 and at most half the kernel {kernel}",
                          shapes=shapes)
    return pairs


def _out_size(op: str, size: Sequence[int], kernel: Tuple[int, ...], stride: Tuple[int, ...], pads: Pads,
              ceil_mode: bool, shapes: Sequence[Any]) -> Tuple[int, ...]:
    out = []
    for i, (n, k, s, (lo, hi)) in enumerate(zip(size, kernel, stride, pads)):
        span = n + lo + hi - k
        if span < 0:
            raise OpError(op, f"kernel size {kernel} is larger than the padded input in spatial dim {i}: "
                          f"{n} + padding {lo}+{hi} < {k}; expected the padded input to be at least the kernel size",
                          shapes=shapes)
        if ceil_mode:
            o = -(-span // s) + 1
            if (o - 1) * s >= n + lo:  # the last window would start in the high padding
                o -= 1
        else:
            o = span // s + 1
        out.append(o)
    return tuple(out)


def _prepare(op: str, x: Any, kernel: IntOrSeq, stride: Optional[IntOrSeq], padding: Padding, ceil_mode: bool,
             nd: Optional[int]) -> dict:
    """Validate ``x`` and normalise the pooling arguments into the kernel's attributes."""
    if not isinstance(x, Tensor):
        raise OpError(op, f"input must be a unidl Tensor, got {type(x).__name__}")
    if x.dtype.kind not in "fiu" and not is_floating(x.dtype):
        raise OpError(op, "expected a numeric (float or integer) input", shapes=(x.shape,), dtypes=(x.dtype,))
    return _attrs(op, x.shape, kernel, stride, padding, ceil_mode, nd)


def _attrs(op: str, shape: Tuple[int, ...], kernel: IntOrSeq, stride: Optional[IntOrSeq], padding: Padding,
           ceil_mode: bool, nd: Optional[int]) -> dict:
    shapes = (shape,)
    if nd is None:
        if len(shape) < 3:
            raise OpError(op, "expected an input of shape (N, C, *spatial) with at least one spatial dim",
                          shapes=shapes)
        nd = len(shape) - 2
    elif len(shape) != nd + 2:
        raise OpError(op, f"expected an input of shape (N, C, {nd} spatial dim(s)) with {nd + 2} dims, "
                      f"got {len(shape)} dims", shapes=shapes)
    k = _ints(op, "kernel", kernel, nd, shapes)
    s = k if stride is None else _ints(op, "stride", stride, nd, shapes)
    pads = _pads(op, padding, nd, k, shapes)
    out = _out_size(op, shape[2:], k, s, pads, bool(ceil_mode), shapes)
    return dict(kernel=k, stride=s, padding=pads, out_size=out)


# -- max ----------------------------------------------------------------------------------------------------

def _max_pool_bwd(node, out, g):
    a = node.saved
    return (_max_pool_grad(node.parents[0], out, g, a["kernel"], a["stride"], a["padding"]),)


def _max_pool_grad(x: Tensor, y: Tensor, g: Tensor, kernel: Tuple[int, ...], stride: Tuple[int, ...],
                   padding: Pads) -> Tensor:
    return apply(MAX_POOL_GRAD, _max_pool_grad_bwd, (x, y, g), dict(kernel=kernel, stride=stride, padding=padding))


def _max_pool_grad_bwd(node, out, gg):
    x, y, _ = node.parents
    return None, None, apply(MAX_POOL_GATHER, _max_pool_gather_bwd, (x, y, gg), node.saved)


def _max_pool_gather_bwd(node, out, g):
    x, y, _ = node.parents
    a = node.saved
    return None, None, _max_pool_grad(x, y, g, a["kernel"], a["stride"], a["padding"])


def max_pool(x: Tensor, kernel: IntOrSeq, stride: Optional[IntOrSeq] = None, padding: Padding = 0,
             ceil_mode: bool = False) -> Tensor:
    """Max over each window. Shape: (N, C, *S) -> (N, C, *out) with
    ``out = floor_or_ceil((S + lo + hi - kernel) / stride) + 1``."""
    return unary(MAX_POOL, _max_pool_bwd, x, **_prepare("max_pool", x, kernel, stride, padding, ceil_mode, None))


def max_pool_grad(x: Tensor, y: Tensor, g: Tensor, kernel: IntOrSeq, stride: Optional[IntOrSeq] = None,
                  padding: Padding = 0) -> Tensor:
    """Gradient of :func:`max_pool`: ``g`` (shape of ``y = max_pool(x, ...)``) routed to each window's first
    maximum in ``x``. Shapes: x (N, C, *S), y and g (N, C, *out) -> (N, C, *S)."""
    op = "max_pool_grad"
    a = _prepare(op, x, kernel, stride, padding, False, None)
    for t in (y, g):
        if not isinstance(t, Tensor) or t.shape[:2] != x.shape[:2] or t.ndim != x.ndim:
            raise OpError(op, "expected y and g of shape (N, C, *out) matching x's N and C",
                          shapes=[getattr(v, "shape", ()) for v in (x, y, g)])
    if y.shape != g.shape:
        raise OpError(op, "y and g must have the same shape", shapes=(x.shape, y.shape, g.shape))
    return _max_pool_grad(x, y, g, a["kernel"], a["stride"], a["padding"])


def max_pool1d(x: Tensor, kernel: IntOrSeq, stride: Optional[IntOrSeq] = None, padding: Padding = 0,
               ceil_mode: bool = False) -> Tensor:
    """1-d :func:`max_pool`. Shape: (N, C, L) -> (N, C, L_out)."""
    return unary(MAX_POOL, _max_pool_bwd, x, **_prepare("max_pool1d", x, kernel, stride, padding, ceil_mode, 1))


def max_pool2d(x: Tensor, kernel: IntOrSeq, stride: Optional[IntOrSeq] = None, padding: Padding = 0,
               ceil_mode: bool = False) -> Tensor:
    """2-d :func:`max_pool`. Shape: (N, C, H, W) -> (N, C, H_out, W_out)."""
    return unary(MAX_POOL, _max_pool_bwd, x, **_prepare("max_pool2d", x, kernel, stride, padding, ceil_mode, 2))


def max_pool3d(x: Tensor, kernel: IntOrSeq, stride: Optional[IntOrSeq] = None, padding: Padding = 0,
               ceil_mode: bool = False) -> Tensor:
    """3-d :func:`max_pool`. Shape: (N, C, D, H, W) -> (N, C, *out)."""
    return unary(MAX_POOL, _max_pool_bwd, x, **_prepare("max_pool3d", x, kernel, stride, padding, ceil_mode, 3))


# -- average ------------------------------------------------------------------------------------------------

def _avg_pool_bwd(node, out, g):
    a = node.saved
    return (_avg_pool_grad(g, node.parents[0].shape[2:], a),)


def _avg_pool_grad(g: Tensor, in_size: Tuple[int, ...], a: dict) -> Tensor:
    return unary(AVG_POOL_GRAD, _avg_pool_grad_bwd, g, in_size=tuple(in_size), kernel=a["kernel"],
                 stride=a["stride"], padding=a["padding"], count_include_pad=a["count_include_pad"])


def _avg_pool_grad_bwd(node, out, gg):
    # avg_pool is linear, so the adjoint of its gradient is avg_pool itself.
    a = node.saved
    return (unary(AVG_POOL, _avg_pool_bwd, gg, kernel=a["kernel"], stride=a["stride"], padding=a["padding"],
                  out_size=node.parents[0].shape[2:], count_include_pad=a["count_include_pad"]),)


def _avg(op: str, x: Tensor, kernel: IntOrSeq, stride: Optional[IntOrSeq], padding: Padding, ceil_mode: bool,
         count_include_pad: bool, nd: Optional[int]) -> Tensor:
    a = _prepare(op, x, kernel, stride, padding, ceil_mode, nd)
    if not is_floating(x.dtype):
        raise OpError(op, "expected a floating-point input", shapes=(x.shape,), dtypes=(x.dtype,))
    a["count_include_pad"] = bool(count_include_pad)
    return unary(AVG_POOL, _avg_pool_bwd, x, **a)


def avg_pool(x: Tensor, kernel: IntOrSeq, stride: Optional[IntOrSeq] = None, padding: Padding = 0,
             ceil_mode: bool = False, count_include_pad: bool = True) -> Tensor:
    """Mean over each window. Shape: (N, C, *S) -> (N, C, *out) (see :func:`max_pool` for ``out``).

    ``count_include_pad``: divide by the window size including zero padding (not the part of a
    ceil_mode window past the padding), else by the number of input elements in the window.
    """
    return _avg("avg_pool", x, kernel, stride, padding, ceil_mode, count_include_pad, None)


def avg_pool_grad(g: Tensor, in_size: Sequence[int], kernel: IntOrSeq, stride: Optional[IntOrSeq] = None,
                  padding: Padding = 0, ceil_mode: bool = False, count_include_pad: bool = True) -> Tensor:
    """Gradient of :func:`avg_pool` for an input of spatial size ``in_size``.
    Shapes: g (N, C, *out) -> (N, C, *in_size)."""
    op = "avg_pool_grad"
    if not isinstance(g, Tensor) or g.ndim < 3:
        raise OpError(op, "expected g of shape (N, C, *out)", shapes=[getattr(g, "shape", ())])
    in_size = tuple(int(n) for n in in_size)
    if len(in_size) != g.ndim - 2:
        raise OpError(op, f"in_size {in_size} must have one entry per spatial dim of g", shapes=(g.shape,))
    a = _attrs(op, g.shape[:2] + in_size, kernel, stride, padding, ceil_mode, None)
    if a["out_size"] != g.shape[2:]:
        raise OpError(op, f"g has spatial size {g.shape[2:]}, but avg_pool gives {a['out_size']} for in_size "
                      f"{in_size}", shapes=(g.shape,))
    a["count_include_pad"] = bool(count_include_pad)
    return _avg_pool_grad(g, in_size, a)


def avg_pool1d(x: Tensor, kernel: IntOrSeq, stride: Optional[IntOrSeq] = None, padding: Padding = 0,
               ceil_mode: bool = False, count_include_pad: bool = True) -> Tensor:
    """1-d :func:`avg_pool`. Shape: (N, C, L) -> (N, C, L_out)."""
    return _avg("avg_pool1d", x, kernel, stride, padding, ceil_mode, count_include_pad, 1)


def avg_pool2d(x: Tensor, kernel: IntOrSeq, stride: Optional[IntOrSeq] = None, padding: Padding = 0,
               ceil_mode: bool = False, count_include_pad: bool = True) -> Tensor:
    """2-d :func:`avg_pool`. Shape: (N, C, H, W) -> (N, C, H_out, W_out)."""
    return _avg("avg_pool2d", x, kernel, stride, padding, ceil_mode, count_include_pad, 2)


def avg_pool3d(x: Tensor, kernel: IntOrSeq, stride: Optional[IntOrSeq] = None, padding: Padding = 0,
               ceil_mode: bool = False, count_include_pad: bool = True) -> Tensor:
    """3-d :func:`avg_pool`. Shape: (N, C, D, H, W) -> (N, C, *out)."""
    return _avg("avg_pool3d", x, kernel, stride, padding, ceil_mode, count_include_pad, 3)


# -- global -------------------------------------------------------------------------------------------------

def _global(op: str, x: Any, keepdims: bool, pool) -> Tensor:
    if not isinstance(x, Tensor) or x.ndim < 3:
        raise OpError(op, "expected an input of shape (N, C, *spatial) with at least one spatial dim",
                      shapes=[getattr(x, "shape", ())])
    if any(n == 0 for n in x.shape[2:]):
        raise OpError(op, "cannot pool over an empty spatial extent; expected every spatial dim >= 1",
                      shapes=(x.shape,))
    y = pool(op, x)
    if keepdims:
        return y
    from .shape import reshape

    return reshape(y, x.shape[:2])


def global_max_pool(x: Tensor, keepdims: bool = False) -> Tensor:
    """Max over all spatial positions. Shape: (N, C, *S) -> (N, C), or (N, C, 1, ...) with ``keepdims``."""
    return _global("global_max_pool", x, keepdims,
                   lambda op, t: unary(MAX_POOL, _max_pool_bwd, t, **_prepare(op, t, t.shape[2:], None, 0, False,
                                                                              None)))


def global_avg_pool(x: Tensor, keepdims: bool = False) -> Tensor:
    """Mean over all spatial positions. Shape: (N, C, *S) -> (N, C), or (N, C, 1, ...) with ``keepdims``."""
    return _global("global_avg_pool", x, keepdims,
                   lambda op, t: _avg(op, t, t.shape[2:], None, 0, False, True, None))


# -- adaptive (composites) ------------------------------------------------------------------------------

def _adaptive_windows(n: int, o: int) -> Tuple[Any, Any, Any]:
    """Output position i pools input [floor(i n / o), ceil((i + 1) n / o)) (PyTorch's and Keras's rule).
    Returns the (o, L) gather indices (a short window repeats its last index), the (o, L) validity mask
    and the (o,) window lengths, L the longest window."""
    import numpy as np

    i = np.arange(o)
    starts = (i * n) // o
    ends = -((-(i + 1) * n) // o)
    lens = ends - starts
    span = np.arange(int(lens.max()))
    valid = span[None, :] < lens[:, None]
    idx = np.where(valid, starts[:, None] + span[None, :], (ends - 1)[:, None])
    return idx, valid, lens


def _adaptive(op: str, x: Any, output_size: IntOrSeq, mode: str) -> Tensor:
    if not isinstance(x, Tensor) or x.ndim < 3:
        raise OpError(op, "expected an input of shape (N, C, *spatial) with at least one spatial dim",
                      shapes=[getattr(x, "shape", ())])
    nd = x.ndim - 2
    out = _ints(op, "output_size", output_size, nd, (x.shape,))
    if any(n == 0 for n in x.shape[2:]):
        raise OpError(op, "cannot pool over an empty spatial extent; expected every spatial dim >= 1",
                      shapes=(x.shape,))
    size = tuple(x.shape[2:])
    if all(n % o == 0 for n, o in zip(size, out)):  # equal windows, edge to edge: the plain pooling op
        k = tuple(n // o for n, o in zip(size, out))
        return max_pool(x, k, k) if mode == "max" else avg_pool(x, k, k)
    from .index import take
    from .reduce import max as rmax, sum as rsum
    from .shape import reshape
    from .elementwise import divide, where

    y = x
    for d, o in enumerate(out):  # one spatial dim at a time (a box window is the product of its sides)
        axis, n = 2 + d, y.shape[2 + d]
        if n == o:
            continue
        idx, valid, lens = _adaptive_windows(n, o)
        g = take(y, Tensor._from_any(idx.reshape(-1), y.device), axis=axis)
        g = reshape(g, y.shape[:axis] + idx.shape + y.shape[axis + 1:])
        if mode == "max":
            y = rmax(g, axis=axis + 1)
            continue
        tail = (1,) * (y.ndim - axis - 1)
        if not valid.all():
            g = where(Tensor._from_any(valid.reshape(idx.shape + tail), y.device), g, 0.0)
        counts = Tensor._from_any(lens.astype(x.dtype).reshape((o,) + tail), y.device)
        y = divide(rsum(g, axis=axis + 1), counts)
    return y


def adaptive_avg_pool(x: Tensor, output_size: IntOrSeq) -> Tensor:
    """Average pooling to a fixed output size, channels-first: output position i of a spatial dim of
    size n averages inputs ``floor(i n / o)`` to ``ceil((i + 1) n / o) - 1`` (windows may overlap and
    differ in length by one). Shapes: x (N, C, *S), ``output_size`` an int or one int per spatial dim
    -> (N, C, *output_size). Built from ``avg_pool`` (sizes that divide evenly) or ``take`` + ``sum``."""
    return _adaptive("adaptive_avg_pool", x, output_size, "avg")


def adaptive_max_pool(x: Tensor, output_size: IntOrSeq) -> Tensor:
    """Max pooling to a fixed output size, channels-first, over the windows of :func:`adaptive_avg_pool`.
    Shapes: x (N, C, *S) -> (N, C, *output_size). Built from ``max_pool`` or ``take`` + ``max``."""
    return _adaptive("adaptive_max_pool", x, output_size, "max")
