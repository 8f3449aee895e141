"""``mx.nd`` neural-network operators: Convolution, Deconvolution, Pooling, BatchNorm, LayerNorm,
InstanceNorm, Dropout, Embedding, the Sequence* ops, UpSampling, and the loss-output layers
(SoftmaxOutput, Linear/Logistic/MAERegressionOutput, softmax_cross_entropy).

MXNet conventions kept here: layouts are channels-first (weights (O, C/groups, *K); Deconvolution
weights (C, O/groups, *K)); ``Pooling``'s stride defaults to 1 and ``pooling_convention='full'`` rounds
the output size up; ``nd.BatchNorm`` defaults to ``eps=1e-3`` and ``fix_gamma=True`` (gamma is taken as 1
and gets a zero gradient) and updates ``moving_mean``/``moving_var`` in place when training;
``Deconvolution`` has ``no_bias=True`` by default; the ``*Output`` layers return their forward value but
back-propagate the loss gradient (``(p - label) * grad_scale``, normalised), whatever the head gradient.
"""
from __future__ import annotations

import math
from typing import Any, List, Optional, Sequence, Tuple, Union

import numpy as np

import unidl
from unidl import ops
from unidl.autograd import is_training

from ..base import MXNetError
from .math_ops import attach_backward
from .ndarray import NDArray, wrap


def _t(op: str, x: Any, name: str = "data"):
    if not isinstance(x, NDArray):
        raise MXNetError(f"{op}: {name} must be an NDArray, got {type(x).__name__}")
    return x._t


def _tuple(op: str, name: str, v: Any, nd: int, default: int) -> Tuple[int, ...]:
    if v is None or v == ():
        return (default,) * nd
    t = (int(v),) * nd if isinstance(v, (int, np.integer)) else tuple(int(i) for i in v)
    if len(t) != nd:
        raise MXNetError(f"{op}: {name} {tuple(v)} must have {nd} entries, one per spatial dim")
    return t


def _channels_first(op: str, layout: Optional[str], ndim: int) -> None:
    if layout is not None and layout not in ("NCW", "NCHW", "NCDHW"):
        raise MXNetError(f"{op}: layout {layout!r} is not supported; unidl_mxnet runs channels-first "
                         "(NCW, NCHW, NCDHW) layouts")
    if ndim < 3:
        raise MXNetError(f"{op}: expected data of shape (N, C, *spatial) with 1 to 3 spatial dims, got {ndim} dims")


def _opt(op: str, x: Any, name: str):
    return None if x is None else _t(op, x, name)


# -- convolution ------------------------------------------------------------------------------------------

def Convolution(data: NDArray, weight: NDArray, bias: Optional[NDArray] = None, kernel: Sequence[int] = (),  # noqa: N802
                stride: Sequence[int] = (), dilate: Sequence[int] = (), pad: Sequence[int] = (), num_filter: int = 0,
                num_group: int = 1, workspace: int = 1024, no_bias: bool = False, cudnn_tune: Any = None,
                cudnn_off: bool = False, layout: Optional[str] = None) -> NDArray:
    """N-d convolution. Shapes: data (N, C, *S), weight (num_filter, C/num_group, *kernel), bias
    (num_filter,) -> (N, num_filter, *out), ``out = (S + 2*pad - dilate*(kernel-1) - 1) // stride + 1``."""
    op = "Convolution"
    x, w = _t(op, data), _t(op, weight, "weight")
    _channels_first(op, layout, x.ndim)
    nd = x.ndim - 2
    k = tuple(kernel) or w.shape[2:]
    if w.ndim != x.ndim or tuple(w.shape[2:]) != tuple(k) or (num_filter and w.shape[0] != num_filter) or \
            x.shape[1] != w.shape[1] * num_group:
        raise MXNetError(f"{op}: weight of shape {w.shape} does not fit data {x.shape} with kernel={tuple(k)}, "
                         f"num_filter={num_filter}, num_group={num_group}; expected weight (num_filter, "
                         f"C/num_group, *kernel)")
    b = None if no_bias else _opt(op, bias, "bias")
    y = ops.conv(x, w, b, stride=_tuple(op, "stride", stride, nd, 1), padding=_tuple(op, "pad", pad, nd, 0),
                 dilation=_tuple(op, "dilate", dilate, nd, 1), groups=int(num_group))
    return wrap(y)


def Deconvolution(data: NDArray, weight: NDArray, bias: Optional[NDArray] = None, kernel: Sequence[int] = (),  # noqa: N802
                  stride: Sequence[int] = (), dilate: Sequence[int] = (), pad: Sequence[int] = (),
                  adj: Sequence[int] = (), target_shape: Sequence[int] = (), num_filter: int = 0, num_group: int = 1,
                  workspace: int = 512, no_bias: bool = True, cudnn_tune: Any = None, cudnn_off: bool = False,
                  layout: Optional[str] = None) -> NDArray:
    """Transposed convolution. Shapes: data (N, C, *S), weight (C, num_filter/num_group, *kernel) ->
    (N, num_filter, *out), ``out = stride*(S-1) + dilate*(kernel-1) + 1 - 2*pad + adj``; a
    ``target_shape`` picks pad and adj to reach it. ``no_bias`` is True by default, as MXNet."""
    op = "Deconvolution"
    x, w = _t(op, data), _t(op, weight, "weight")
    _channels_first(op, layout, x.ndim)
    nd = x.ndim - 2
    k = tuple(kernel) or w.shape[2:]
    if w.ndim != x.ndim or tuple(w.shape[2:]) != tuple(k) or w.shape[0] != x.shape[1] or \
            (num_filter and w.shape[1] * num_group != num_filter):
        raise MXNetError(f"{op}: weight of shape {w.shape} does not fit data {x.shape} with kernel={tuple(k)}, "
                         f"num_filter={num_filter}, num_group={num_group}; expected weight (C, "
                         f"num_filter/num_group, *kernel)")
    if no_bias and bias is not None:
        raise MXNetError(f"{op}: a bias was given but no_bias=True (the default); pass no_bias=False")
    s = _tuple(op, "stride", stride, nd, 1)
    d = _tuple(op, "dilate", dilate, nd, 1)
    if target_shape:
        tgt = _tuple(op, "target_shape", target_shape, nd, 0)
        pads, adjs = [], []
        for n, kk, ss, dd, t in zip(x.shape[2:], k, s, d, tgt):
            total = ss * (n - 1) + dd * (kk - 1) + 1 - t
            pads.append((total + 1) // 2)
            adjs.append(total % 2)
        p, a = tuple(pads), tuple(adjs)
    else:
        p, a = _tuple(op, "pad", pad, nd, 0), _tuple(op, "adj", adj, nd, 0)
    b = None if no_bias else _opt(op, bias, "bias")
    try:
        y = ops.conv_transpose(x, w, b, stride=s, padding=p, output_padding=a, dilation=d, groups=int(num_group))
    except unidl.OpError as e:
        raise MXNetError(f"{op}: {e}") from None
    return wrap(y)


# -- pooling ----------------------------------------------------------------------------------------------

def _sum_pool(x, k, s, p, full: bool):
    """Window sums (zero padding) by a depthwise convolution with a ones kernel; ``full`` extends the high
    padding so the output size is rounded up."""
    pads = []
    for n, kk, ss, pp in zip(x.shape[2:], k, s, p):
        span = n + 2 * pp - kk
        out = (-(-span // ss) if full else span // ss) + 1
        pads.append((pp, max(pp, (out - 1) * ss + kk - n - pp)))
    n, c = x.shape[:2]
    flat = ops.reshape(x, (n * c, 1) + x.shape[2:])
    w = unidl.ones((1, 1) + tuple(k), dtype=x.dtype, device=x.device)
    y = ops.conv(flat, w, None, stride=s, padding=tuple(pads))
    return ops.reshape(y, (n, c) + y.shape[2:])


def Pooling(data: NDArray, kernel: Sequence[int] = (), pool_type: str = "max", global_pool: bool = False,  # noqa: N802
            cudnn_off: bool = False, pooling_convention: str = "valid", stride: Sequence[int] = (),
            pad: Sequence[int] = (), p_value: Optional[int] = None, count_include_pad: Optional[bool] = None,
            layout: Optional[str] = None) -> NDArray:
    """Max / avg / sum / lp pooling. Shapes: (N, C, *S) -> (N, C, *out), ``out = (S + 2*pad - kernel) // stride
    + 1`` ('valid') or rounded up ('full'); ``global_pool`` pools each whole map to size 1. Stride defaults
    to 1. 'lp' is ``(sum x**p_value)**(1/p_value)`` over each window."""
    op = "Pooling"
    x = _t(op, data)
    _channels_first(op, layout, x.ndim)
    if pool_type not in ("max", "avg", "sum", "lp"):
        raise MXNetError(f"{op}: pool_type must be 'max', 'avg', 'sum' or 'lp', got {pool_type!r}")
    if pooling_convention not in ("valid", "full"):
        raise MXNetError(f"{op}: pooling_convention {pooling_convention!r} is not supported; expected 'valid' "
                         "or 'full'")
    nd = x.ndim - 2
    if global_pool:
        k, s, p = tuple(x.shape[2:]), (1,) * nd, (0,) * nd
    else:
        if not kernel:
            raise MXNetError(f"{op}: kernel is required unless global_pool=True (data {x.shape})")
        k = _tuple(op, "kernel", kernel, nd, 1)
        s, p = _tuple(op, "stride", stride, nd, 1), _tuple(op, "pad", pad, nd, 0)
        if any(n + 2 * pp < kk for n, kk, pp in zip(x.shape[2:], k, p)):
            raise MXNetError(f"{op}: kernel {k} is larger than the padded input {x.shape} (pad {p})")
    full = pooling_convention == "full"
    if pool_type == "max":
        return wrap(ops.max_pool(x, k, s, p, ceil_mode=full))
    if pool_type == "avg":
        include = True if count_include_pad is None else bool(count_include_pad)
        return wrap(ops.avg_pool(x, k, s, p, ceil_mode=full, count_include_pad=include))
    if pool_type == "sum":
        return wrap(_sum_pool(x, k, s, p, full))
    pv = 2 if p_value is None else int(p_value)
    if pv < 1:
        raise MXNetError(f"{op}: p_value must be a positive int for lp pooling, got {p_value}")
    y = _sum_pool(ops.power(x, x.dtype.type(pv)) if pv != 1 else x, k, s, p, full)
    if pv == 2:
        y = ops.sqrt(y)
    elif pv != 1:
        y = ops.multiply(ops.sign(y), ops.power(ops.abs(y), x.dtype.type(1.0 / pv)))
    return wrap(y)


# -- normalisation -----------------------------------------------------------------------------------------

def BatchNorm(data: NDArray, gamma: NDArray, beta: NDArray, moving_mean: NDArray, moving_var: NDArray,  # noqa: N802
              eps: float = 1e-3, momentum: float = 0.9, fix_gamma: bool = True, use_global_stats: bool = False,
              output_mean_var: bool = False, axis: int = 1, cudnn_off: bool = False, min_calib_range: Any = None,
              max_calib_range: Any = None) -> Union[NDArray, List[NDArray]]:
    """Batch normalisation over all axes but ``axis``. Shapes: data (N, C, ...) for axis 1, the rest (C,).

    Training (inside ``autograd.record()`` in train mode, without ``use_global_stats``) normalises with the
    batch mean and biased variance and updates the moving statistics in place
    (``moving = momentum*moving + (1-momentum)*batch``); otherwise the moving statistics are used.
    ``fix_gamma`` (default True) uses gamma = 1. ``output_mean_var`` also returns [mean, 1/sqrt(var+eps)].
    """
    op = "BatchNorm"
    x = _t(op, data)
    g, b = _t(op, gamma, "gamma"), _t(op, beta, "beta")
    mm, mv = _t(op, moving_mean, "moving_mean"), _t(op, moving_var, "moving_var")
    if not -x.ndim <= axis < x.ndim or x.ndim < 2:
        raise MXNetError(f"{op}: axis {axis} is out of range for data of shape {x.shape}")
    c = x.shape[axis]
    for name, t in (("gamma", g), ("beta", b), ("moving_mean", mm), ("moving_var", mv)):
        if t.shape != (c,):
            raise MXNetError(f"{op}: {name} must have shape ({c},) for data {x.shape} with axis={axis}, got {t.shape}")
    training = is_training() and not use_global_stats
    y = ops.batch_norm(x, None if fix_gamma else g, b, mm, mv, axis=axis, training=training,
                       momentum=float(momentum), eps=float(eps), update_running="backward")
    if not training and not use_global_stats:
        y = _predict_mode_backward(y, x, None if fix_gamma else g, b, mm, mv, axis % x.ndim, float(eps))
    if not output_mean_var:
        return wrap(y)
    red = tuple(i for i in range(x.ndim) if i != axis % x.ndim)
    if training:
        xd = x.detach()
        mean, var = ops.mean(xd, axis=red), ops.var(xd, axis=red)
    else:
        mean, var = mm.detach(), mv.detach()
    inv = ops.reciprocal(ops.sqrt(ops.add(var, x.dtype.type(eps))))
    return [wrap(y), wrap(ops.add(mean, x.dtype.type(0))), wrap(inv)]


def _predict_mode_backward(y, x, g, b, mm, mv, axis: int, eps: float):
    """MXNet 1.9.1's BatchNorm gradient after a predict-mode forward: a backward run in train mode (the
    default of ``backward()``) applies the batch-statistics formula to the *moving* mean and variance;
    a backward in predict mode scales the head gradient by ``gamma / sqrt(moving_var + eps)``."""
    red = tuple(i for i in range(x.ndim) if i != axis)
    pshape = tuple(d if i == axis else 1 for i, d in enumerate(x.shape))
    dt = x.dtype.type
    n = x.size // max(x.shape[axis], 1)

    def bwd(node, out, grad):
        inv = ops.reshape(ops.reciprocal(ops.sqrt(ops.add(mv.detach(), dt(eps)))), pshape)
        xhat = ops.multiply(ops.subtract(x.detach(), ops.reshape(mm.detach(), pshape)), inv)
        gy = grad if g is None else ops.multiply(grad, ops.reshape(g, pshape))
        if is_training():
            m1 = ops.divide(ops.sum(gy, axis=red, keepdims=True), dt(n))
            m2 = ops.divide(ops.sum(ops.multiply(gy, xhat), axis=red, keepdims=True), dt(n))
            dx = ops.multiply(inv, ops.subtract(ops.subtract(gy, m1), ops.multiply(xhat, m2)))
        else:
            dx = ops.multiply(gy, inv)
        dg = None if g is None else ops.sum(ops.multiply(grad, xhat), axis=red)
        return dx, dg, ops.sum(grad, axis=red)

    return attach_backward(y, (x, g, b), bwd, "BatchNorm")


def LayerNorm(data: NDArray, gamma: NDArray, beta: NDArray, axis: int = -1, eps: float = 1e-5,  # noqa: N802
              output_mean_var: bool = False) -> Union[NDArray, List[NDArray]]:
    """Normalise over ``axis`` with gamma and beta of shape (data.shape[axis],). ``output_mean_var`` also
    returns the mean and the standard deviation (keepdims)."""
    op = "LayerNorm"
    x, g, b = _t(op, data), _t(op, gamma, "gamma"), _t(op, beta, "beta")
    if not -x.ndim <= axis < x.ndim:
        raise MXNetError(f"{op}: axis {axis} is out of range for data of shape {x.shape}")
    c = x.shape[axis]
    if g.shape != (c,) or b.shape != (c,):
        raise MXNetError(f"{op}: gamma {g.shape} and beta {b.shape} must have shape ({c},) for data {x.shape}, "
                         f"axis={axis}")
    y = ops.layer_norm(x, g, b, axes=(axis,), eps=float(eps))
    if not output_mean_var:
        return wrap(y)
    xd = x.detach()
    mean = ops.mean(xd, axis=axis, keepdims=True)
    std = ops.sqrt(ops.add(ops.var(xd, axis=axis, keepdims=True), x.dtype.type(eps)))
    return [wrap(y), wrap(mean), wrap(std)]


def InstanceNorm(data: NDArray, gamma: NDArray, beta: NDArray, eps: float = 1e-3) -> NDArray:  # noqa: N802
    """Normalise each (sample, channel) map over its spatial axes. Shapes: data (N, C, *S), gamma/beta (C,)."""
    op = "InstanceNorm"
    x, g, b = _t(op, data), _t(op, gamma, "gamma"), _t(op, beta, "beta")
    if x.ndim < 3 or g.shape != (x.shape[1],) or b.shape != (x.shape[1],):
        raise MXNetError(f"{op}: expected data (N, C, *spatial) with gamma and beta (C,), got {x.shape}, "
                         f"{g.shape}, {b.shape}")
    y = ops.layer_norm(x, None, None, axes=tuple(range(2, x.ndim)), eps=float(eps))
    pshape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
    return wrap(ops.add(ops.multiply(y, ops.reshape(g, pshape)), ops.reshape(b, pshape)))


def Dropout(data: NDArray, p: float = 0.5, mode: str = "training", axes: Sequence[int] = (),  # noqa: N802
            cudnn_off: bool = False) -> NDArray:
    """Zero elements with probability ``p`` and scale the rest by ``1/(1-p)`` when training (mode
    'training') or always ('always'); ``axes`` share one mask value along those axes."""
    op = "Dropout"
    x = _t(op, data)
    if mode not in ("training", "always"):
        raise MXNetError(f"{op}: mode must be 'training' or 'always', got {mode!r}")
    if not 0.0 <= float(p) <= 1.0:
        raise MXNetError(f"{op}: p must be in [0, 1], got {p}")
    train = mode == "always" or is_training()
    if not train or float(p) == 0.0:
        return data
    axs = {int(a) % x.ndim for a in axes}
    noise = tuple(1 if i in axs else d for i, d in enumerate(x.shape)) if axs else None
    return wrap(ops.dropout(x, float(p), training=True, noise_shape=noise))


def Embedding(data: NDArray, weight: NDArray, input_dim: int = 0, output_dim: int = 0, dtype: Any = "float32",  # noqa: N802
              sparse_grad: bool = False) -> NDArray:
    """Rows of ``weight`` (input_dim, output_dim) at the (float) indices ``data`` (clipped to the range).
    Shape: (...) -> (..., output_dim)."""
    op = "Embedding"
    idx, w = _t(op, data), _t(op, weight, "weight")
    if w.ndim != 2 or (input_dim and w.shape[0] != input_dim) or (output_dim and w.shape[1] != output_dim):
        raise MXNetError(f"{op}: weight must have shape (input_dim, output_dim) = ({input_dim}, {output_dim}), "
                         f"got {w.shape}")
    idx = ops.astype(ops.clip(idx, 0, w.shape[0] - 1), "int64")
    return wrap(ops.embedding(idx, w))


# -- sequences ------------------------------------------------------------------------------------------------

def _seq(op: str, data: NDArray, sequence_length: Any, use: bool, axis: int):
    """data's tensor, the time axis, and the (B,) int lengths or None."""
    x = _t(op, data)
    if axis not in (0, 1) or x.ndim < 2:
        raise MXNetError(f"{op}: axis must be 0 (time-major) or 1 (batch-major) on data of at least 2 dims, "
                         f"got axis={axis} for shape {x.shape}")
    if not use:
        return x, axis, None
    if sequence_length is None:
        raise MXNetError(f"{op}: use_sequence_length=True needs sequence_length (B,)")
    ln = _t(op, sequence_length, "sequence_length")
    batch = x.shape[1 - axis]
    if ln.shape != (batch,):
        raise MXNetError(f"{op}: sequence_length must have shape ({batch},) for data {x.shape} with axis={axis}, "
                         f"got {ln.shape}")
    return x, axis, ops.astype(ln, "int64")


def _time_index(x, axis: int):
    """(T, 1) or (1, T) step numbers (int64), broadcastable against (T, B) / (B, T)."""
    t = unidl.arange(0, x.shape[axis], dtype="int64", device=x.device)
    return ops.reshape(t, (-1, 1) if axis == 0 else (1, -1))


def _expand_tb(m, x):
    return ops.reshape(m, m.shape + (1,) * (x.ndim - 2))


def SequenceMask(data: NDArray, sequence_length: Optional[NDArray] = None, use_sequence_length: bool = False,  # noqa: N802
                 value: float = 0.0, axis: int = 0) -> NDArray:
    """Steps at or past each sequence's length set to ``value``. Shapes: data (T, B, ...) for axis 0 or
    (B, T, ...) for axis 1, sequence_length (B,)."""
    x, ax, ln = _seq("SequenceMask", data, sequence_length, use_sequence_length, axis)
    if ln is None:
        return wrap(ops.add(x, x.dtype.type(0)))
    keep = ops.less(_time_index(x, ax), ops.reshape(ln, (1, -1) if ax == 0 else (-1, 1)))
    return wrap(ops.where(_expand_tb(keep, x), x, x.dtype.type(value)))


def SequenceLast(data: NDArray, sequence_length: Optional[NDArray] = None, use_sequence_length: bool = False,  # noqa: N802
                 axis: int = 0) -> NDArray:
    """The last valid step of each sequence. Shapes: (T, B, ...) or (B, T, ...) -> (B, ...)."""
    x, ax, ln = _seq("SequenceLast", data, sequence_length, use_sequence_length, axis)
    if ln is None:
        return wrap(ops.squeeze(ops.slice_axis(x, ax, x.shape[ax] - 1, x.shape[ax]), ax))
    last = ops.clip(ops.subtract(ln, 1), 0, x.shape[ax] - 1)
    idx = ops.reshape(last, (1, -1) if ax == 0 else (-1, 1))
    idx = ops.broadcast_to(_expand_tb(idx, x), tuple(1 if i == ax else d for i, d in enumerate(x.shape)))
    return wrap(ops.squeeze(ops.take_along_axis(x, idx, axis=ax), ax))


def SequenceReverse(data: NDArray, sequence_length: Optional[NDArray] = None,  # noqa: N802
                    use_sequence_length: bool = False, axis: int = 0) -> NDArray:
    """Each sequence's first ``length`` steps reversed (the padding after them stays). Shape: (T, B, ...)."""
    if axis != 0:
        raise MXNetError(f"SequenceReverse: only axis=0 (time-major data) is supported, as MXNet; got axis={axis}")
    x, ax, ln = _seq("SequenceReverse", data, sequence_length, use_sequence_length, axis)
    if ln is None:
        return wrap(ops.flip(x, 0))
    t = _time_index(x, 0)
    n = ops.reshape(ln, (1, -1))
    idx = ops.where(ops.less(t, n), ops.subtract(ops.subtract(n, 1), t), t)
    idx = ops.broadcast_to(_expand_tb(idx, x), x.shape)
    return wrap(ops.take_along_axis(x, idx, axis=0))


# -- loss output layers -------------------------------------------------------------------------------------

def SoftmaxOutput(data: NDArray, label: NDArray, grad_scale: float = 1.0, ignore_label: float = -1.0,  # noqa: N802
                  multi_output: bool = False, use_ignore: bool = False, preserve_shape: bool = False,
                  normalization: str = "null", out_grad: bool = False, smooth_alpha: float = 0.0) -> NDArray:
    """Softmax forward; the backward is the cross-entropy gradient ``(p - onehot(label)) * grad_scale``
    (the head gradient is ignored), divided by the number of rows ('batch') or of labels not equal to
    ``ignore_label`` ('valid'); ``use_ignore`` zeroes the rows labelled ``ignore_label``; ``smooth_alpha``
    smooths the target. Class axis: 1 with ``multi_output`` (label (N, *S)), the last with
    ``preserve_shape`` (label data.shape[:-1]), else data is flattened to (N, -1) (label (N,))."""
    op = "SoftmaxOutput"
    x, lab = _t(op, data), _t(op, label, "label")
    if normalization not in ("null", "batch", "valid"):
        raise MXNetError(f"{op}: normalization must be 'null', 'batch' or 'valid', got {normalization!r}")
    if multi_output:
        if x.ndim < 2 or lab.size != x.size // x.shape[1]:
            raise MXNetError(f"{op}: with multi_output, label must have shape (N, *spatial) for data (N, C, "
                             f"*spatial) {x.shape}, got {lab.shape}")
        rows = ops.reshape(ops.moveaxis(x, 1, -1), (-1, x.shape[1]))
        lab_rows = ops.reshape(lab, (-1,))
    elif preserve_shape:
        if lab.size != x.size // x.shape[-1]:
            raise MXNetError(f"{op}: with preserve_shape, label must have shape {x.shape[:-1]}, got {lab.shape}")
        rows, lab_rows = ops.reshape(x, (-1, x.shape[-1])), ops.reshape(lab, (-1,))
    else:
        n = x.shape[0]
        if lab.size < n:
            raise MXNetError(f"{op}: label {lab.shape} has fewer entries than the batch of data {x.shape}")
        rows = ops.reshape(x, (n, -1))
        lab_rows = ops.slice_axis(ops.reshape(lab, (-1,)), 0, 0, n)
    p_rows = ops.softmax(rows.detach(), axis=-1)
    if multi_output:
        moved = (x.shape[0],) + x.shape[2:] + (x.shape[1],)
        out = ops.moveaxis(ops.reshape(p_rows, moved), -1, 1)
    else:
        out = ops.reshape(p_rows, x.shape)
    dt = x.dtype.type

    def bwd(node, o, g):
        c = p_rows.shape[1]
        lab_d = lab_rows.detach()
        target = ops.one_hot(ops.astype(ops.clip(lab_d, 0, c - 1), "int64"), c, dtype=x.dtype)
        valid_label = ops.logical_and(ops.greater_equal(lab_d, 0), ops.less(lab_d, c))
        target = ops.multiply(target, ops.reshape(ops.astype(valid_label, x.dtype), (-1, 1)))
        if smooth_alpha:
            a = float(smooth_alpha)
            target = ops.add(ops.multiply(target, dt(1 - a)), ops.multiply(ops.subtract(1, target), dt(a / (c - 1))))
        grad = ops.subtract(p_rows, target)
        keep = ops.not_equal(lab_d, dt(ignore_label))
        if use_ignore:
            grad = ops.multiply(grad, ops.reshape(ops.astype(keep, x.dtype), (-1, 1)))
        scale = dt(grad_scale)
        if normalization == "batch":
            grad = ops.multiply(grad, dt(float(grad_scale) / p_rows.shape[0]))
        elif normalization == "valid":
            cnt = ops.maximum(ops.sum(ops.astype(keep, x.dtype)), dt(1))
            grad = ops.divide(ops.multiply(grad, scale), cnt)
        else:
            grad = ops.multiply(grad, scale)
        if multi_output:
            grad = ops.moveaxis(ops.reshape(grad, moved), -1, 1)
        return ops.reshape(grad, x.shape), None

    return wrap(attach_backward(out, (x, lab), bwd, op))


Softmax = SoftmaxOutput


def _regression(op: str, fwd, grad_fn, data: NDArray, label: NDArray, grad_scale: float) -> NDArray:
    x, lab = _t(op, data), _t(op, label, "label")
    if lab.size != x.size:
        raise MXNetError(f"{op}: label {lab.shape} must have as many elements as data {x.shape}")
    out = fwd(x.detach())
    num_output = max(x.size // max(x.shape[0], 1), 1) if x.ndim else 1

    def bwd(node, o, g):
        diff = grad_fn(out, ops.reshape(lab.detach(), x.shape))
        return ops.multiply(diff, x.dtype.type(float(grad_scale) / num_output)), None

    return wrap(attach_backward(out, (x, lab), bwd, op))


def LinearRegressionOutput(data: NDArray, label: NDArray, grad_scale: float = 1.0) -> NDArray:  # noqa: N802
    """Identity forward; gradient ``(data - label) * grad_scale / num_output`` (num_output = size / N)."""
    return _regression("LinearRegressionOutput", lambda x: ops.add(x, x.dtype.type(0)), ops.subtract,
                       data, label, grad_scale)


def LogisticRegressionOutput(data: NDArray, label: NDArray, grad_scale: float = 1.0) -> NDArray:  # noqa: N802
    """Sigmoid forward; gradient ``(sigmoid(data) - label) * grad_scale / num_output``."""
    return _regression("LogisticRegressionOutput", ops.sigmoid, ops.subtract, data, label, grad_scale)


def MAERegressionOutput(data: NDArray, label: NDArray, grad_scale: float = 1.0) -> NDArray:  # noqa: N802
    """Identity forward; gradient ``sign(data - label) * grad_scale / num_output``."""
    return _regression("MAERegressionOutput", lambda x: ops.add(x, x.dtype.type(0)),
                       lambda o, lab: ops.sign(ops.subtract(o, lab)), data, label, grad_scale)


def softmax_cross_entropy(data: NDArray, label: NDArray) -> NDArray:
    """The summed cross entropy of softmax(data) (N, C) against class indices ``label`` (N,); shape (1,)."""
    op = "softmax_cross_entropy"
    x, lab = _t(op, data), _t(op, label, "label")
    if x.ndim != 2 or lab.shape != (x.shape[0],):
        raise MXNetError(f"{op}: expected data (N, C) and label (N,), got {x.shape} and {lab.shape}")
    per = ops.softmax_cross_entropy(x, ops.astype(lab, "int64"), axis=-1, sparse=True)
    return wrap(ops.reshape(ops.sum(per), (1,)))


def softmin(data: NDArray, axis: int = -1, temperature: Optional[float] = None, dtype: Any = None,
            use_length: bool = False) -> NDArray:
    """``softmax(-data / temperature)`` along ``axis``."""
    x = _t("softmin", data)
    x = ops.negative(x if temperature is None else ops.divide(x, x.dtype.type(temperature)))
    y = ops.softmax(x, axis=axis)
    return wrap(y if dtype is None else ops.astype(y, np.dtype(dtype)))


# -- resampling -------------------------------------------------------------------------------------------------

def UpSampling(*data: NDArray, scale: int = 1, num_filter: int = 0, sample_type: str = "nearest",  # noqa: N802
               multi_input_mode: str = "concat", num_args: int = 1, workspace: int = 512) -> NDArray:
    """Nearest-neighbour upsampling of (N, C, H, W) maps by ``scale``; several inputs are each brought to
    the first one's size times ``scale`` and concatenated on the channel axis (or summed)."""
    op = "UpSampling"
    if sample_type != "nearest":
        raise MXNetError(f"{op}: sample_type {sample_type!r} is not supported; only 'nearest'")
    if not data:
        raise MXNetError(f"{op}: needs at least one input")
    xs = [_t(op, d) for d in data]
    h, w = xs[0].shape[2] * int(scale), xs[0].shape[3] * int(scale)
    outs = []
    for x in xs:
        if x.ndim != 4 or h % x.shape[2] or w % x.shape[3]:
            raise MXNetError(f"{op}: expected (N, C, H, W) inputs whose sizes divide {h}x{w}, got {x.shape}")
        sh, sw = h // x.shape[2], w // x.shape[3]
        outs.append(ops.repeat(ops.repeat(x, sh, axis=2), sw, axis=3))
    if len(outs) == 1:
        return wrap(outs[0])
    if multi_input_mode == "sum":
        y = outs[0]
        for o in outs[1:]:
            y = ops.add(y, o)
        return wrap(y)
    return wrap(ops.concatenate(outs, axis=1))


__all__ = ["Convolution", "Deconvolution", "Pooling", "BatchNorm", "LayerNorm", "InstanceNorm", "Dropout",
           "Embedding", "SequenceMask", "SequenceLast", "SequenceReverse", "SoftmaxOutput", "Softmax",
           "LinearRegressionOutput", "LogisticRegressionOutput", "MAERegressionOutput", "softmax_cross_entropy",
           "softmin", "UpSampling"]
