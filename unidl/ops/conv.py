"""Convolutions, channels-first: inputs (N, C, *spatial), weights (O, C/groups, *kernel).

``conv`` is N-dimensional (``conv1d``/``conv2d``/``conv3d`` fix the number of spatial dims);
``conv_transpose`` is its adjoint with respect to the input, with weights (C_in, O/groups, *kernel)
as in MXNet/PyTorch. Padding is an int, one int per spatial dim, one (lo, hi) pair per spatial dim
(asymmetric padding, e.g. a frontend's 'same'), or the strings 'valid' / 'same' (TensorFlow rules).

Backward, written with ops so it differentiates again: the input gradient of ``conv`` is a
``conv_transpose``, the weight gradient is the op ``conv_weight_grad``, the bias gradient a sum; the
gradients of ``conv_transpose`` are a ``conv`` and a ``conv_weight_grad``.
"""
from __future__ import annotations

from typing import Any, Optional, Sequence, Tuple, Union

from ..errors import OpError
from ._core import Tensor, apply, defop
from .reduce import sum as _sum

__all__ = ["conv", "conv1d", "conv2d", "conv3d", "conv_transpose", "conv_transpose1d", "conv_transpose2d",
           "conv_transpose3d", "conv_weight_grad"]

IntOrSeq = Union[int, Sequence[int]]
Padding = Union[int, str, Sequence[int], Sequence[Tuple[int, int]]]
Pads = Tuple[Tuple[int, int], ...]

CONV = defop("conv", doc="N-d convolution (cross-correlation), channels-first")
CONV_TRANSPOSE = defop("conv_transpose", doc="N-d transposed convolution, channels-first")
CONV_WEIGHT_GRAD = defop("conv_weight_grad", doc="gradient of conv with respect to its weight")


# -- argument normalisation --------------------------------------------------------------------------

def _ints(op: str, name: str, v: Any, nd: int, lo: int, shapes: Sequence[Any]) -> Tuple[int, ...]:
    """``v`` (int or sequence of ``nd`` ints, each >= ``lo``) as a tuple of ``nd`` ints."""
    if type(v) is tuple and len(v) == nd:  # the common case (layers keep tuples): taken as it is when valid
        for i in v:
            if type(i) is not int or i < lo:
                break
        else:
            return v
    t = (v,) * nd if isinstance(v, int) or hasattr(v, "__index__") else tuple(v)
    if len(t) != nd:
        raise OpError(op, f"{name} must be an int or {nd} ints (one per spatial dim), got {v!r}", shapes=shapes)
    t = tuple(int(i) for i in t)
    if any(i < lo for i in t):
        raise OpError(op, f"{name} must be >= {lo}, got {v!r}", shapes=shapes)
    return t


def _pads(op: str, padding: Padding, nd: int, shapes: Sequence[Any], size: Sequence[int] = (),
          ksize: Sequence[int] = (), stride: Sequence[int] = (), dilation: Sequence[int] = ()) -> Pads:
    """Padding as one (lo, hi) pair per spatial dim; 'same' needs the other arguments."""
    if isinstance(padding, str):
        mode = padding.lower()
        if mode == "valid":
            return ((0, 0),) * nd
        if mode == "same" and size:
            out = []
            for n, k, s, d in zip(size, ksize, stride, dilation):
                total = max((-(-n // s) - 1) * s + d * (k - 1) + 1 - n, 0)
                out.append((total // 2, total - total // 2))
            return tuple(out)
        raise OpError(op, f"padding must be an int, ints, (lo, hi) pairs, 'valid' or 'same'; got {padding!r}",
                      shapes=shapes)
    if type(padding) is tuple and len(padding) == nd:  # the common case: one int >= 0 per spatial dim
        for p in padding:
            if type(p) is not int or p < 0:
                break
        else:
            return tuple([(p, p) for p in padding])
    if isinstance(padding, int) or hasattr(padding, "__index__"):
        p = int(padding)
        pairs = ((p, p),) * nd
    else:
        items = tuple(padding)
        if len(items) != nd:
            raise OpError(op, f"padding must be an int or have {nd} entries (one per spatial dim), got {padding!r}",
                          shapes=shapes)
        pairs = tuple((int(p), int(p)) if isinstance(p, int) or hasattr(p, "__index__") else _pair(op, p, shapes)
                      for p in items)
    if any(lo < 0 or hi < 0 for lo, hi in pairs):
        raise OpError(op, f"padding must be >= 0, got {padding!r}", shapes=shapes)
    return pairs


def _pair(op: str, p: Any, shapes: Sequence[Any]) -> Tuple[int, int]:
    t = tuple(p)
    if len(t) != 2:
        raise OpError(op, f"a per-dim padding entry must be an int or a (lo, hi) pair, got {p!r}", shapes=shapes)
    return int(t[0]), int(t[1])


def _check_tensors(op: str, x: Any, w: Any, b: Any) -> None:
    for name, t in (("input", x), ("weight", w)):
        if not isinstance(t, Tensor):
            raise OpError(op, f"{name} must be a unidl Tensor, got {type(t).__name__}")
    if b is not None and not isinstance(b, Tensor):
        raise OpError(op, f"bias must be a unidl Tensor or None, got {type(b).__name__}")
    xd, wd = x.data, w.data  # (read once: this runs on every call)
    shapes = (xd.shape, wd.shape) + ((b.data.shape,) if b is not None else ())
    xn = xd.ndim
    if xn < 3:
        raise OpError(op, "expected an input of shape (N, C, *spatial) with at least one spatial dim",
                      shapes=shapes)
    if wd.ndim != xn:
        raise OpError(op, f"expected a weight with {xn} dims for an input with {xn - 2} spatial dim(s), "
                      f"got {wd.ndim} dims", shapes=shapes)
    dt = xd.dtype
    if wd.dtype != dt or b is not None and b.data.dtype != dt:
        dts = (dt, wd.dtype) + ((b.data.dtype,) if b is not None else ())
        raise OpError(op, "input, weight and bias must have the same dtype", shapes=shapes, dtypes=dts)


def _out_pad(size: Sequence[int], out: Sequence[int], ksize: Sequence[int], stride: Sequence[int],
             padding: Pads, dilation: Sequence[int]) -> Tuple[int, ...]:
    """The output_padding that makes conv_transpose map ``out`` back to ``size`` (undoes conv's floor)."""
    return tuple(n + lo + hi - d * (k - 1) - 1 - (o - 1) * s
                 for n, o, k, s, (lo, hi), d in zip(size, out, ksize, stride, padding, dilation))


def _spatial_axes(t: Tensor) -> Tuple[int, ...]:
    return (0,) + tuple(range(2, t.ndim))


# -- raw ops (no validation; used by backward) -----------------------------------------------------------

def _conv(x: Tensor, w: Tensor, b: Optional[Tensor], stride: Tuple[int, ...], padding: Pads,
          dilation: Tuple[int, ...], groups: int) -> Tensor:
    return apply(CONV, _conv_bwd, (x, w, b),
                 dict(stride=stride, padding=padding, dilation=dilation, groups=groups))


def _conv_transpose(x: Tensor, w: Tensor, b: Optional[Tensor], stride: Tuple[int, ...], padding: Pads,
                    output_padding: Tuple[int, ...], dilation: Tuple[int, ...], groups: int) -> Tensor:
    return apply(CONV_TRANSPOSE, _conv_transpose_bwd, (x, w, b),
                 dict(stride=stride, padding=padding, output_padding=output_padding, dilation=dilation,
                      groups=groups))


def _conv_weight_grad(x: Tensor, g: Tensor, kernel_size: Tuple[int, ...], stride: Tuple[int, ...],
                      padding: Pads, dilation: Tuple[int, ...], groups: int) -> Tensor:
    return apply(CONV_WEIGHT_GRAD, _conv_weight_grad_bwd, (x, g),
                 dict(kernel_size=kernel_size, stride=stride, padding=padding, dilation=dilation, groups=groups))


def _conv_bwd(node, out, g):
    x, w, b = node.parents
    a = node.saved
    gx = gw = gb = None
    if x is not None and x.requires_grad:
        op = _out_pad(x.shape[2:], g.shape[2:], w.shape[2:], a["stride"], a["padding"], a["dilation"])
        gx = _conv_transpose(g, w, None, a["stride"], a["padding"], op, a["dilation"], a["groups"])
    if w is not None and w.requires_grad:
        gw = _conv_weight_grad(x, g, w.shape[2:], a["stride"], a["padding"], a["dilation"], a["groups"])
    if b is not None and b.requires_grad:
        gb = _sum(g, axis=_spatial_axes(g))
    return gx, gw, gb


def _conv_transpose_bwd(node, out, g):
    x, w, b = node.parents
    a = node.saved
    # Dropping output_padding from the high side (a negative pad crops) makes conv map g back to x's size.
    pads = tuple((lo, hi - op) for (lo, hi), op in zip(a["padding"], a["output_padding"]))
    gx = gw = gb = None
    if x is not None and x.requires_grad:
        gx = _conv(g, w, None, a["stride"], pads, a["dilation"], a["groups"])
    if w is not None and w.requires_grad:
        gw = _conv_weight_grad(g, x, w.shape[2:], a["stride"], pads, a["dilation"], a["groups"])
    if b is not None and b.requires_grad:
        gb = _sum(g, axis=_spatial_axes(g))
    return gx, gw, gb


def _conv_weight_grad_bwd(node, out, gg):
    # conv_weight_grad is bilinear in (x, g): each gradient is the op that pairs gg with the other input.
    x, g = node.parents
    a = node.saved
    gx = gg_ = None
    if x is not None and x.requires_grad:
        op = _out_pad(x.shape[2:], g.shape[2:], gg.shape[2:], a["stride"], a["padding"], a["dilation"])
        gx = _conv_transpose(g, gg, None, a["stride"], a["padding"], op, a["dilation"], a["groups"])
    if g is not None and g.requires_grad:
        gg_ = _conv(x, gg, None, a["stride"], a["padding"], a["dilation"], a["groups"])
    return gx, gg_


# -- public ops -------------------------------------------------------------------------------------------

def conv(x: Tensor, w: Tensor, b: Optional[Tensor] = None, stride: IntOrSeq = 1, padding: Padding = 0,
         dilation: IntOrSeq = 1, groups: int = 1) -> Tensor:
    """N-d convolution (cross-correlation, as in every DL framework), channels-first.

    Shapes: x (N, C, *S), w (O, C/groups, *K), b (O,) or None -> (N, O, *out) with
    ``out = floor((S + lo + hi - dilation*(K-1) - 1) / stride) + 1``.

    Args:
        stride, dilation: an int or one int per spatial dim (>= 1).
        padding: an int, one int per spatial dim, one (lo, hi) pair per spatial dim, 'valid' or 'same'.
        groups: C and O are split into ``groups`` independent convolutions.
    """
    op = "conv"
    _check_tensors(op, x, w, b)
    xs, wsh = x.data.shape, w.data.shape
    shapes = (xs, wsh) + ((b.data.shape,) if b is not None else ())
    nd = len(xs) - 2
    groups = int(groups)
    if groups < 1:
        raise OpError(op, f"groups must be >= 1, got {groups}", shapes=shapes)
    n, c = xs[:2]
    o = wsh[0]
    ksize = wsh[2:]
    if c % groups or o % groups or wsh[1] * groups != c:
        raise OpError(op, f"channel mismatch: for an input of shape {xs} (C={c}) and groups={groups}, expected "
                      f"a weight of shape (O, {c // groups if c % groups == 0 else 'C/groups'}, *kernel) with O and C "
                      f"divisible by groups; got weight shape {wsh}", shapes=shapes)
    if b is not None and b.data.shape != (o,):
        raise OpError(op, f"expected a bias of shape ({o},) for a weight with {o} output channels, got "
                      f"{b.data.shape}", shapes=shapes)
    stride = _ints(op, "stride", stride, nd, 1, shapes)
    dilation = _ints(op, "dilation", dilation, nd, 1, shapes)
    pads = _pads(op, padding, nd, shapes, xs[2:], ksize, stride, dilation)
    for i, (s_, k, (lo, hi), d) in enumerate(zip(xs[2:], ksize, pads, dilation)):
        if s_ + lo + hi < d * (k - 1) + 1:
            raise OpError(op, f"kernel size {tuple(ksize)} (dilation {dilation}) is larger than the padded input "
                          f"in spatial dim {i}: {s_} + padding {lo}+{hi} < {d * (k - 1) + 1}; expected the padded "
                          f"input to be at least as large as the dilated kernel", shapes=shapes)
    return _conv(x, w, b, stride, pads, dilation, groups)


def _fixed(nd: int, name: str, x: Any) -> None:
    if isinstance(x, Tensor) and x.ndim != nd + 2:
        raise OpError(name, f"expected an input of shape (N, C{', *spatial' if nd > 1 else ', L'}) with "
                      f"{nd + 2} dims, got {x.ndim} dims", shapes=(x.shape,))


def conv1d(x: Tensor, w: Tensor, b: Optional[Tensor] = None, stride: IntOrSeq = 1, padding: Padding = 0,
           dilation: IntOrSeq = 1, groups: int = 1) -> Tensor:
    """1-d :func:`conv`. Shapes: x (N, C, L), w (O, C/groups, K), b (O,) -> (N, O, L_out)."""
    _fixed(1, "conv1d", x)
    return conv(x, w, b, stride, padding, dilation, groups)


def conv2d(x: Tensor, w: Tensor, b: Optional[Tensor] = None, stride: IntOrSeq = 1, padding: Padding = 0,
           dilation: IntOrSeq = 1, groups: int = 1) -> Tensor:
    """2-d :func:`conv`. Shapes: x (N, C, H, W), w (O, C/groups, KH, KW), b (O,) -> (N, O, H_out, W_out)."""
    _fixed(2, "conv2d", x)
    return conv(x, w, b, stride, padding, dilation, groups)


def conv3d(x: Tensor, w: Tensor, b: Optional[Tensor] = None, stride: IntOrSeq = 1, padding: Padding = 0,
           dilation: IntOrSeq = 1, groups: int = 1) -> Tensor:
    """3-d :func:`conv`. Shapes: x (N, C, D, H, W), w (O, C/groups, KD, KH, KW), b (O,) -> (N, O, *out)."""
    _fixed(3, "conv3d", x)
    return conv(x, w, b, stride, padding, dilation, groups)


def conv_transpose(x: Tensor, w: Tensor, b: Optional[Tensor] = None, stride: IntOrSeq = 1,
                   padding: Padding = 0, output_padding: IntOrSeq = 0, dilation: IntOrSeq = 1,
                   groups: int = 1) -> Tensor:
    """N-d transposed convolution (the input-gradient of :func:`conv`), channels-first.

    Shapes: x (N, C_in, *S), w (C_in, O/groups, *K), b (O,) or None -> (N, O, *out) with
    ``out = (S - 1)*stride - lo - hi + dilation*(K-1) + output_padding + 1``.

    Args:
        padding: an int, one int per spatial dim, or one (lo, hi) pair per spatial dim (removed from the
            full output).
        output_padding: extra size on the high side of each spatial dim; each must be smaller than the
            stride or the dilation of its dim.
    """
    op = "conv_transpose"
    _check_tensors(op, x, w, b)
    shapes = (x.shape, w.shape) + ((b.shape,) if b is not None else ())
    nd = x.ndim - 2
    groups = int(groups)
    if groups < 1:
        raise OpError(op, f"groups must be >= 1, got {groups}", shapes=shapes)
    c = x.shape[1]
    if w.shape[0] != c or c % groups:
        raise OpError(op, f"channel mismatch: for an input of shape {x.shape} (C_in={c}) and groups={groups}, "
                      f"expected a weight of shape ({c}, O/groups, *kernel) with C_in divisible by groups; got "
                      f"weight shape {w.shape}", shapes=shapes)
    o = w.shape[1] * groups
    if b is not None and b.shape != (o,):
        raise OpError(op, f"expected a bias of shape ({o},) (weight.shape[1] * groups), got {b.shape}",
                      shapes=shapes)
    stride = _ints(op, "stride", stride, nd, 1, shapes)
    dilation = _ints(op, "dilation", dilation, nd, 1, shapes)
    out_pad = _ints(op, "output_padding", output_padding, nd, 0, shapes)
    pads = _pads(op, padding, nd, shapes)
    for i, (p, s, d) in enumerate(zip(out_pad, stride, dilation)):
        if p >= s and p >= d:
            raise OpError(op, f"output_padding {out_pad} must be smaller than the stride {stride} or the dilation "
                          f"{dilation} in each spatial dim (dim {i} is not)", shapes=shapes)
    for i, (s_, k, st, (lo, hi), d, p) in enumerate(zip(x.shape[2:], w.shape[2:], stride, pads, dilation, out_pad)):
        if (s_ - 1) * st + d * (k - 1) + 1 - lo - hi + p < 0:
            raise OpError(op, f"padding {pads[i]} removes more than the full output size in spatial dim {i}; "
                          "expected the output size to be >= 0", shapes=shapes)
    return _conv_transpose(x, w, b, stride, pads, out_pad, dilation, groups)


def conv_transpose1d(x: Tensor, w: Tensor, b: Optional[Tensor] = None, stride: IntOrSeq = 1,
                     padding: Padding = 0, output_padding: IntOrSeq = 0, dilation: IntOrSeq = 1,
                     groups: int = 1) -> Tensor:
    """1-d :func:`conv_transpose`. Shapes: x (N, C_in, L), w (C_in, O/groups, K) -> (N, O, L_out)."""
    _fixed(1, "conv_transpose1d", x)
    return conv_transpose(x, w, b, stride, padding, output_padding, dilation, groups)


def conv_transpose2d(x: Tensor, w: Tensor, b: Optional[Tensor] = None, stride: IntOrSeq = 1,
                     padding: Padding = 0, output_padding: IntOrSeq = 0, dilation: IntOrSeq = 1,
                     groups: int = 1) -> Tensor:
    """2-d :func:`conv_transpose`. Shapes: x (N, C_in, H, W), w (C_in, O/groups, KH, KW) -> (N, O, *out)."""
    _fixed(2, "conv_transpose2d", x)
    return conv_transpose(x, w, b, stride, padding, output_padding, dilation, groups)


def conv_transpose3d(x: Tensor, w: Tensor, b: Optional[Tensor] = None, stride: IntOrSeq = 1,
                     padding: Padding = 0, output_padding: IntOrSeq = 0, dilation: IntOrSeq = 1,
                     groups: int = 1) -> Tensor:
    """3-d :func:`conv_transpose`. Shapes: x (N, C_in, D, H, W), w (C_in, O/groups, *K) -> (N, O, *out)."""
    _fixed(3, "conv_transpose3d", x)
    return conv_transpose(x, w, b, stride, padding, output_padding, dilation, groups)


def conv_weight_grad(x: Tensor, g: Tensor, kernel_size: IntOrSeq, stride: IntOrSeq = 1, padding: Padding = 0,
                     dilation: IntOrSeq = 1, groups: int = 1) -> Tensor:
    """Gradient of :func:`conv` with respect to its weight, given the output gradient ``g``.

    Shapes: x (N, C, *S), g (N, O, *out) -> (O, C/groups, *kernel_size); ``out`` must be the size
    :func:`conv` gives for these arguments (or smaller: trailing input positions are then unused).
    """
    op = "conv_weight_grad"
    if not isinstance(x, Tensor) or not isinstance(g, Tensor):
        raise OpError(op, "input and output gradient must be unidl Tensors")
    shapes = (x.shape, g.shape)
    if x.ndim < 3 or g.ndim != x.ndim or g.shape[0] != x.shape[0]:
        raise OpError(op, "expected x (N, C, *S) and g (N, O, *out) with the same N and number of dims",
                      shapes=shapes)
    nd = x.ndim - 2
    groups = int(groups)
    if groups < 1 or x.shape[1] % groups or g.shape[1] % groups:
        raise OpError(op, f"channels of x ({x.shape[1]}) and g ({g.shape[1]}) must be divisible by groups={groups}",
                      shapes=shapes)
    ksize = _ints(op, "kernel_size", kernel_size, nd, 1, shapes)
    stride = _ints(op, "stride", stride, nd, 1, shapes)
    dilation = _ints(op, "dilation", dilation, nd, 1, shapes)
    pads = _pads(op, padding, nd, shapes, x.shape[2:], ksize, stride, dilation)
    for i, (s_, o, k, st, (lo, hi), d) in enumerate(zip(x.shape[2:], g.shape[2:], ksize, stride, pads, dilation)):
        if o > 0 and (o - 1) * st + d * (k - 1) + 1 > s_ + lo + hi:
            raise OpError(op, f"output gradient size {o} in spatial dim {i} is larger than conv can produce from "
                          f"input size {s_} with these kernel/stride/padding/dilation", shapes=shapes)
    if x.dtype != g.dtype:
        raise OpError(op, "x and g must have the same dtype", shapes=shapes, dtypes=(x.dtype, g.dtype))
    return _conv_weight_grad(x, g, ksize, stride, pads, dilation, groups)
