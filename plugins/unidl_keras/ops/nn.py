"""``keras.ops.nn``: activations, one-hot, cross-entropies, convolution, pooling, moments and
normalization, computed with :mod:`unidl.ops`.

Layouts follow Keras: ``data_format='channels_last'`` (the default, from ``image_data_format()``)
means inputs (N, *spatial, C) and conv kernels (*kernel, C_in/groups, C_out); the core computes
channels-first, so inputs are moved around the core call. Cross-entropies return per-sample losses
(no reduction), with probabilities clipped to ``[epsilon, 1 - epsilon]`` as Keras does.
"""
from __future__ import annotations

import math
import warnings
from typing import Any, List, Optional, Sequence, Tuple

import numpy as np

import unidl
from unidl import ops as U
from unidl.tensor import Tensor

from ..backend import config
from . import _dtypes
from ._dtypes import float_of, to_tensor
from .node import symbolic
from .operation import Operation

__all__: List[str] = []


def _export(fn):
    __all__.append(fn.__name__)
    return symbolic(fn)


def _export_spec(spec):
    """``_export`` with a stated symbolic output (Keras's ``compute_output_spec``) instead of placeholder runs."""
    def deco(fn):
        __all__.append(fn.__name__)
        return symbolic(fn, spec)

    return deco


def _export_checked(check):
    """``_export`` whose symbolic calls first run ``check`` (Keras's ``compute_output_spec`` validation, which
    applies to symbolic inputs only) with the op's own arguments."""
    import functools

    from .node import any_symbolic

    def deco(fn):
        op = symbolic(fn)

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if any_symbolic(args, kwargs):
                check(*args, **kwargs)
            return op(*args, **kwargs)

        wrapper.eager = fn  # type: ignore[attr-defined]
        __all__.append(fn.__name__)
        return wrapper

    return deco


def _channels_check(inputs: Any, kernel: Any, data_format: Any, transpose: bool = False) -> None:
    fmt = config.standardize_data_format(data_format)
    cin = inputs.shape[-1] if fmt == "channels_last" else inputs.shape[1]
    kin = kernel.shape[-1] if transpose else kernel.shape[-2]
    if isinstance(cin, int) and isinstance(kin, int) and cin != kin:
        raise ValueError("The number of input channels must match the kernel's input channels. Received: input "
                         f"channels={cin}, kernel input channels={kin}, data_format='{fmt}'.")


def _batch_norm_check(x: Any, mean: Any, variance: Any, axis: int, offset: Any = None, scale: Any = None,
                      epsilon: float = 1e-3) -> None:
    shape = (x.shape[axis],)

    def one(name: str, v: Any) -> None:
        if tuple(v.shape) != shape:
            raise ValueError(f"Arguments `{name}` must be a vector of length `x.shape[axis]`. Expected: `{shape}`. "
                             f"Received: `{tuple(v.shape)}.")

    one("mean", mean)
    one("variance", variance)
    if offset is not None:
        one("offset", offset)
    if scale is not None:
        one("scale", scale)


def _hot_shape(x: Any, num_classes: int, axis: int) -> list:
    shape = list(getattr(x, "shape", []))
    if axis == -1:
        shape.append(num_classes)
    elif 0 <= axis < len(shape):
        shape.insert(axis, num_classes)
    else:
        raise ValueError(f"axis must be -1 or between [0, {len(shape)}), but received {axis}.")
    return shape


def _one_hot_spec(x: Any, num_classes: int, axis: int = -1, dtype: Any = None, sparse: bool = False) -> Any:
    from ..backend.keras_tensor import KerasTensor

    return KerasTensor(_hot_shape(x, num_classes, axis), dtype=config.standardize_dtype(dtype), sparse=sparse)


def _multi_hot_spec(inputs: Any, num_classes: int, axis: int = -1, dtype: Any = None, sparse: bool = False) -> Any:
    from ..backend.keras_tensor import KerasTensor

    shape = _hot_shape(inputs, num_classes, axis)
    shape = [shape[-1]] if len(shape) == 2 else [shape[0]] + shape[2:]  # as Keras's MultiHot spec
    return KerasTensor(shape, dtype=config.standardize_dtype(dtype), sparse=sparse)


def _conv_out_shape(inputs: Any, kshape: Any, out_channels: Any, strides: Any, padding: str, data_format: Any,
                    dilation_rate: Any, transpose: bool = False, output_padding: Any = None) -> Any:
    """Keras's conv output shape (None where an input dim is unknown)."""
    from ..backend.keras_tensor import KerasTensor

    fmt = config.standardize_data_format(data_format)
    shape = tuple(inputs.shape)
    nd = len(shape) - 2
    spatial = shape[1:-1] if fmt == "channels_last" else shape[2:]
    st, dl = _tuple(strides, nd), _tuple(dilation_rate, nd)
    op = None if output_padding is None else _tuple(output_padding, nd)
    mode = _padding(padding)
    out = []
    for i, n in enumerate(spatial):
        eff = dl[i] * (kshape[i] - 1) + 1
        if n is None:
            out.append(None)
        elif transpose:
            if op is None:
                out.append(n * st[i] if mode == "same" else n * st[i] + max(eff - st[i], 0))
            else:
                out.append((n - 1) * st[i] + eff - (2 * (eff // 2) if mode == "same" else 0) + op[i])
        elif mode == "same":
            out.append(-(-n // st[i]))
        else:
            out.append((n - eff) // st[i] + 1)
    full = (shape[0],) + tuple(out) + (out_channels,) if fmt == "channels_last" else \
        (shape[0], out_channels) + tuple(out)
    return KerasTensor(full, dtype=inputs.dtype)


def _conv_spec(inputs: Any, kernel: Any, strides: Any = 1, padding: str = "valid", data_format: Any = None,
               dilation_rate: Any = 1) -> Any:
    _channels_check(inputs, kernel, data_format)
    return _conv_out_shape(inputs, kernel.shape[:-2], kernel.shape[-1], strides, padding, data_format, dilation_rate)


def _depthwise_spec(inputs: Any, kernel: Any, strides: Any = 1, padding: str = "valid", data_format: Any = None,
                    dilation_rate: Any = 1) -> Any:
    _channels_check(inputs, kernel, data_format)
    c = None if kernel.shape[-2] is None or kernel.shape[-1] is None else kernel.shape[-2] * kernel.shape[-1]
    return _conv_out_shape(inputs, kernel.shape[:-2], c, strides, padding, data_format, dilation_rate)


def _separable_spec(inputs: Any, depthwise_kernel: Any, pointwise_kernel: Any, strides: Any = 1,
                    padding: str = "valid", data_format: Any = None, dilation_rate: Any = 1) -> Any:
    _channels_check(inputs, depthwise_kernel, data_format)
    return _conv_out_shape(inputs, depthwise_kernel.shape[:-2], pointwise_kernel.shape[-1], strides, padding,
                           data_format, dilation_rate)


def _conv_transpose_spec(inputs: Any, kernel: Any, strides: Any = 1, padding: str = "valid",
                         output_padding: Any = None, data_format: Any = None, dilation_rate: Any = 1) -> Any:
    _channels_check(inputs, kernel, data_format, transpose=True)
    return _conv_out_shape(inputs, kernel.shape[:-2], kernel.shape[-2], strides, padding, data_format,
                           dilation_rate, transpose=True, output_padding=output_padding)


def _like_spec(x: Any, *args: Any, **kwargs: Any) -> Any:
    """Keras's spec for ops whose output is shaped and typed like their first input."""
    from ..backend.keras_tensor import KerasTensor

    return KerasTensor(x.shape, dtype=x.dtype)


def _sparsemax_spec(x: Any, axis: int = -1) -> Any:
    _axis_check(axis, len(x.shape))
    return _like_spec(x)


def _psnr_spec(x1: Any, x2: Any, max_val: Any) -> Any:
    from ..backend.keras_tensor import KerasTensor

    if len(x1.shape) != len(x2.shape):
        raise ValueError("Inputs must have the same rank")
    return KerasTensor(())


def _f(x: Any) -> Tensor:
    return float_of(to_tensor(x))


# -- activations --------------------------------------------------------------------------------------

@_export
def relu(x: Any) -> Tensor:
    """``max(x, 0)``. Shape: unchanged."""
    return U.relu(_f(x))


@_export
def relu6(x: Any) -> Tensor:
    """``min(max(x, 0), 6)``."""
    return U.clip(_f(x), 0.0, 6.0)


@_export
def sigmoid(x: Any) -> Tensor:
    """``1 / (1 + exp(-x))``."""
    return U.sigmoid(_f(x))


@_export
def softplus(x: Any) -> Tensor:
    """``log(1 + exp(x))``."""
    return U.softplus(_f(x))


@_export
def softsign(x: Any) -> Tensor:
    """``x / (1 + |x|)``."""
    x = _f(x)
    return U.divide(x, U.add(U.abs(x), 1.0))


@_export
def silu(x: Any) -> Tensor:
    """``x * sigmoid(x)`` (swish)."""
    return U.silu(_f(x))


swish = silu
__all__.append("swish")


@_export
def log_sigmoid(x: Any) -> Tensor:
    """``log(sigmoid(x)) = -softplus(-x)``."""
    return U.negative(U.softplus(U.negative(_f(x))))


@_export
def leaky_relu(x: Any, negative_slope: float = 0.2) -> Tensor:
    """``x`` for ``x >= 0``, ``negative_slope * x`` otherwise."""
    return U.leaky_relu(_f(x), float(negative_slope))


@_export
def hard_sigmoid(x: Any) -> Tensor:
    """``relu6(x + 3) / 6`` (Keras 3's piecewise-linear sigmoid)."""
    return U.divide(U.clip(U.add(_f(x), 3.0), 0.0, 6.0), 6.0)


@_export
def hard_silu(x: Any) -> Tensor:
    """``x * hard_sigmoid(x)``."""
    x = _f(x)
    return U.multiply(x, hard_sigmoid(x))


hard_swish = hard_silu
__all__.append("hard_swish")


@_export
def elu(x: Any, alpha: float = 1.0) -> Tensor:
    """``x`` for ``x > 0``, ``alpha * (exp(x) - 1)`` otherwise."""
    return U.elu(_f(x), float(alpha))


@_export
def selu(x: Any) -> Tensor:
    """Scaled ELU (Klambauer et al.)."""
    return U.selu(_f(x))


@_export
def celu(x: Any, alpha: float = 1.0) -> Tensor:
    """``max(x, 0) + min(0, alpha * (exp(x / alpha) - 1))``."""
    x = _f(x)
    return U.add(U.relu(x), U.minimum(U.multiply(U.expm1(U.divide(x, alpha)), alpha), 0.0))


@_export
def gelu(x: Any, approximate: bool = True) -> Tensor:
    """Gaussian error linear unit; the tanh approximation by default (as Keras)."""
    return U.gelu(_f(x), approximate=bool(approximate))


@_export
def glu(x: Any, axis: int = -1) -> Tensor:
    """Gated linear unit: ``a * sigmoid(b)`` for the two halves of ``x`` along ``axis``."""
    a, b = U.split(_f(x), 2, axis=axis)
    return U.multiply(a, U.sigmoid(b))


@_export
def hard_tanh(x: Any) -> Tensor:
    """``x`` clipped to [-1, 1]."""
    return U.clip(_f(x), -1.0, 1.0)


@_export
def tanh_shrink(x: Any) -> Tensor:
    """``x - tanh(x)``."""
    x = _f(x)
    return U.subtract(x, U.tanh(x))


@_export
def soft_shrink(x: Any, threshold: float = 0.5) -> Tensor:
    """``x - threshold`` above ``threshold``, ``x + threshold`` below ``-threshold``, else 0."""
    x = _f(x)
    return U.where(U.greater(x, threshold), U.subtract(x, threshold),
                   U.where(U.less(x, -threshold), U.add(x, threshold), U.zeros_like(x)))


@_export
def hard_shrink(x: Any, threshold: float = 0.5) -> Tensor:
    """``x`` where ``|x| > threshold``, else 0."""
    x = _f(x)
    return U.where(U.greater(U.abs(x), threshold), x, U.zeros_like(x))


@_export
def threshold(x: Any, threshold: float, default_value: float) -> Tensor:
    """``x`` where ``x > threshold``, else ``default_value``."""
    x = _f(x)
    return U.where(U.greater(x, threshold), x, U.full_like(x, default_value))


@_export
def squareplus(x: Any, b: float = 4.0) -> Tensor:
    """``(x + sqrt(x^2 + b)) / 2``."""
    x = _f(x)
    return U.multiply(U.add(x, U.sqrt(U.add(U.square(x), float(b)))), 0.5)


@_export
def sparse_plus(x: Any) -> Tensor:
    """0 for ``x <= -1``, ``(x + 1)^2 / 4`` for ``|x| < 1``, ``x`` for ``x >= 1``."""
    x = _f(x)
    mid = U.multiply(U.square(U.add(x, 1.0)), 0.25)
    return U.where(U.less_equal(x, -1.0), U.zeros_like(x), U.where(U.greater_equal(x, 1.0), x, mid))


def _axis_check(axis: Any, ndim: int) -> None:
    """Keras's ``canonicalize_axes`` check: every axis in [-ndim, ndim)."""
    for a in (axis if isinstance(axis, (tuple, list)) else (axis,)):
        if not -ndim <= int(a) < max(ndim, 1):
            raise ValueError(f"axis {a} is out of bounds for an array of dimension {ndim}.")


def _softmax_prelude(x: Any, axis: Any) -> None:
    shape = tuple(x.shape) if hasattr(x, "shape") else np.shape(x)
    if isinstance(axis, int) and -len(shape) <= axis < len(shape) and shape[axis] == 1:
        warnings.warn(f"You are using a softmax over axis {axis} of a tensor of shape {shape}. This axis has size 1. "
                      "The softmax operation will always return the value 1, which is likely not what you intended. "
                      "Did you mean to use a sigmoid instead?")
    if axis is not None:
        _axis_check(axis, len(shape))


def _softmax_fn(log: bool) -> Any:
    def fn(x: Any, axis: Any = -1) -> Tensor:
        _softmax_prelude(x, axis)
        x = _f(x)
        if axis is None:  # over every element
            flat = U.reshape(x, (-1,))
            y = U.log_softmax(flat, axis=0) if log else U.softmax(flat, axis=0)
            return U.reshape(y, x.shape)
        if isinstance(axis, (tuple, list)):
            ax = tuple(int(a) for a in axis)
            if log:
                return U.subtract(x, U.logsumexp(x, axis=ax, keepdims=True))
            m = U.max(x, axis=ax, keepdims=True)
            e = U.exp(U.subtract(x, m.detach()))
            return U.divide(e, U.sum(e, axis=ax, keepdims=True))
        return U.log_softmax(x, axis=int(axis)) if log else U.softmax(x, axis=int(axis))

    fn.__name__ = "log_softmax" if log else "softmax"  # the op's name in functional graphs (OpLayer)
    return fn


def _softmax_spec(x: Any, axis: Any = -1) -> Any:
    _softmax_prelude(x, axis)
    from ..backend.keras_tensor import KerasTensor

    dt = config.standardize_dtype(x.dtype)
    return KerasTensor(x.shape, dtype=dt if "float" in dt else config.floatx())


softmax = symbolic(_softmax_fn(False), _softmax_spec)
softmax.__name__ = "softmax"
softmax.__doc__ = "``exp(x) / sum(exp(x))`` along ``axis`` (an int, a tuple of axes, or None for all elements)."
log_softmax = symbolic(_softmax_fn(True), _softmax_spec)
log_softmax.__name__ = "log_softmax"
log_softmax.__doc__ = "``x - logsumexp(x)`` along ``axis`` (an int, a tuple of axes, or None for all elements)."
__all__ += ["softmax", "log_softmax"]


@_export
def sparse_sigmoid(x: Any) -> Tensor:
    """0 for ``x <= -1``, ``(x + 1) / 2`` for ``|x| < 1``, 1 for ``x >= 1``."""
    return U.clip(U.multiply(U.add(_f(x), 1.0), 0.5), 0.0, 1.0)


@_export_spec(_sparsemax_spec)
def sparsemax(x: Any, axis: int = -1) -> Tensor:
    """Sparsemax (Martins & Astudillo, 2016): ``max(x - tau, 0)`` with ``tau`` making each slice along
    ``axis`` sum to 1."""
    x = _f(x)
    ax = int(axis) % x.ndim
    n = x.shape[ax]
    srt = U.take_along_axis(x, U.argsort(x, ax, descending=True), ax).detach()
    cs = U.cumsum(srt, axis=ax)
    shape = [1] * x.ndim
    shape[ax] = n
    r = U.reshape(unidl.arange(1, n + 1, dtype=x.dtype), shape)
    support = U.greater(U.add(U.multiply(srt, r), 1.0), cs)  # 1 + k z_k > sum_{j<=k} z_j
    k = U.sum(U.astype(support, "int64"), axis=ax, keepdims=True)
    ck = U.take_along_axis(cs, U.subtract(k, 1), ax)
    tau = U.divide(U.subtract(ck, 1.0), U.astype(k, x.dtype))
    return U.relu(U.subtract(x, tau))


# -- encodings ----------------------------------------------------------------------------------------

@_export_spec(_one_hot_spec)
def one_hot(x: Any, num_classes: int, axis: int = -1, dtype: Any = None, sparse: bool = False) -> Tensor:
    """One-hot encoding of integer ``x`` on a new ``axis``; out-of-range indices give zero rows.
    Shape: (...) -> (..., num_classes) (for ``axis=-1``). floatx unless ``dtype``."""
    if sparse:
        raise ValueError("unidl has no sparse tensors: `sparse=True` is not supported")
    x = to_tensor(x)
    dt = config.standardize_dtype(dtype)
    out = U.one_hot(x, int(num_classes), dtype=dt)
    if axis != -1 and axis != x.ndim:
        out = U.moveaxis(out, -1, axis)
    return out


@_export_spec(_multi_hot_spec)
def multi_hot(inputs: Any, num_classes: int, axis: int = -1, dtype: Any = None, sparse: bool = False) -> Tensor:
    """Multi-hot encoding: for the indices in the last axis, 1 at each present class.
    Shape: (..., k) -> (..., num_classes)."""
    x = to_tensor(inputs)
    oh = one_hot(x, num_classes, axis=-1, dtype=dtype, sparse=sparse)
    reduce_axis = -2 if x.ndim > 0 else None
    out = U.max(oh, axis=reduce_axis) if x.ndim > 0 else oh
    if axis != -1:
        out = U.moveaxis(out, -1, axis)
    return out


# -- losses -------------------------------------------------------------------------------------------

def _pair(target: Any, output: Any) -> Tuple[Tensor, Tensor]:
    output = _f(output)
    target = _dtypes.cast_to(to_tensor(target), output.dtype)
    if tuple(target.shape) != tuple(output.shape):
        raise ValueError("Arguments `target` and `output` must have the same shape. Received: "
                         f"target.shape={tuple(target.shape)}, output.shape={tuple(output.shape)}")
    return target, output


@_export
def binary_crossentropy(target: Any, output: Any, from_logits: bool = False) -> Tensor:
    """Elementwise ``-(t log p + (1 - t) log(1 - p))``; with logits, computed stably from ``output``.
    Shapes: target and output equal; result the same shape."""
    target, output = _pair(target, output)
    if from_logits:  # max(z, 0) - z t + log(1 + exp(-|z|))
        return U.add(U.subtract(U.relu(output), U.multiply(output, target)),
                     U.log1p(U.exp(U.negative(U.abs(output)))))
    eps = config.epsilon()
    p = U.clip(output, eps, 1.0 - eps)
    return U.negative(U.add(U.multiply(target, U.log(p)),
                            U.multiply(U.subtract(1.0, target), U.log(U.subtract(1.0, p)))))


@_export
def categorical_crossentropy(target: Any, output: Any, from_logits: bool = False, axis: int = -1) -> Tensor:
    """``-sum(t * log p)`` along ``axis``; probabilities are renormalised to sum to 1 first.
    Shapes: (..., C), (..., C) -> (...)."""
    target, output = _pair(target, output)
    if from_logits:
        logp = U.log_softmax(output, axis=axis)
    else:
        p = U.divide(output, U.sum(output, axis=axis, keepdims=True))
        eps = config.epsilon()
        logp = U.log(U.clip(p, eps, 1.0 - eps))
    return U.negative(U.sum(U.multiply(target, logp), axis=axis))


@_export
def sparse_categorical_crossentropy(target: Any, output: Any, from_logits: bool = False, axis: int = -1) -> Tensor:
    """``-log p[target]`` along ``axis`` for integer targets. Shapes: (...) or (..., 1), (..., C) -> (...)."""
    output = _f(output)
    target = to_tensor(target)
    if target.ndim == output.ndim and target.shape[-1] == 1:
        target = U.squeeze(target, -1)
    if target.ndim != output.ndim - 1:
        raise ValueError("Argument `output` must have rank (ndim) `target.ndim + 1`. Received: "
                         f"target.shape={tuple(target.shape)}, output.shape={tuple(output.shape)}")
    if _dtypes.is_floating(target.dtype):
        target = U.astype(target, "int64")
    if from_logits:
        logp = U.log_softmax(output, axis=axis)
    else:
        p = U.divide(output, U.sum(output, axis=axis, keepdims=True))
        eps = config.epsilon()
        logp = U.log(U.clip(p, eps, 1.0 - eps))
    ax = axis % output.ndim
    picked = U.take_along_axis(logp, U.expand_dims(U.astype(target, "int64"), ax), ax)
    return U.negative(U.squeeze(picked, ax))


# -- convolution and pooling --------------------------------------------------------------------------

def _to_first(x: Tensor, data_format: Optional[str]) -> Tuple[Tensor, bool]:
    last = config.standardize_data_format(data_format) == "channels_last"
    return (U.moveaxis(x, -1, 1) if last else x), last


def _from_first(y: Tensor, last: bool) -> Tensor:
    return U.moveaxis(y, 1, -1) if last else y


def _tuple(v: Any, nd: int) -> Tuple[int, ...]:
    return (int(v),) * nd if isinstance(v, (int, np.integer)) else tuple(int(i) for i in v)


def _padding(padding: str) -> str:
    p = str(padding).lower()
    if p not in ("valid", "same"):
        raise ValueError(f"`padding` must be 'valid' or 'same'; received padding={padding!r}")
    return p


def _same_pads(size: Sequence[int], k: Sequence[int], s: Sequence[int], d: Sequence[int]) -> Tuple[Tuple[int, int], ...]:
    out = []
    for n, kk, ss, dd in zip(size, k, s, d):
        eff = dd * (kk - 1) + 1
        total = max((-(-n // ss) - 1) * ss + eff - n, 0)
        out.append((total // 2, total - total // 2))
    return tuple(out)


@_export_spec(_conv_spec)
def conv(inputs: Any, kernel: Any, strides: Any = 1, padding: str = "valid", data_format: Optional[str] = None,
         dilation_rate: Any = 1) -> Tensor:
    """N-d convolution. Shapes (channels_last): inputs (N, *S, C_in), kernel (*K, C_in/groups, C_out)
    -> (N, *S', C_out); groups = C_in / kernel.shape[-2]."""
    x, w = _dtypes.operands(_f(inputs), _f(kernel))
    nd = x.ndim - 2
    xf, last = _to_first(x, data_format)
    groups = xf.shape[1] // w.shape[-2]
    wf = U.transpose(w, (nd + 1, nd) + tuple(range(nd)))
    y = U.conv(xf, wf, None, stride=_tuple(strides, nd), padding=_padding(padding),
               dilation=_tuple(dilation_rate, nd), groups=groups)
    return _from_first(y, last)


@_export_spec(_depthwise_spec)
def depthwise_conv(inputs: Any, kernel: Any, strides: Any = 1, padding: str = "valid",
                   data_format: Optional[str] = None, dilation_rate: Any = 1) -> Tensor:
    """Depthwise convolution: kernel (*K, C_in, multiplier) -> output channels C_in * multiplier."""
    w = _f(kernel)
    nd = w.ndim - 2
    kshape = tuple(w.shape[:nd])
    w = U.reshape(w, kshape + (1, w.shape[-2] * w.shape[-1]))
    return conv.eager(inputs, w, strides, padding, data_format, dilation_rate)


@_export_spec(_separable_spec)
def separable_conv(inputs: Any, depthwise_kernel: Any, pointwise_kernel: Any, strides: Any = 1,
                   padding: str = "valid", data_format: Optional[str] = None, dilation_rate: Any = 1) -> Tensor:
    """A depthwise convolution followed by a 1x1 (pointwise) convolution."""
    y = depthwise_conv.eager(inputs, depthwise_kernel, strides, padding, data_format, dilation_rate)
    return conv.eager(y, pointwise_kernel, 1, "valid", data_format, 1)


@_export_spec(_conv_transpose_spec)
def conv_transpose(inputs: Any, kernel: Any, strides: Any = 1, padding: str = "valid", output_padding: Any = None,
                   data_format: Optional[str] = None, dilation_rate: Any = 1) -> Tensor:
    """Transposed convolution. Shapes (channels_last): inputs (N, *S, C_in), kernel (*K, C_out, C_in)
    -> (N, *S', C_out) with S' = S * strides ('same') or (S - 1) * strides + dilated K ('valid'),
    plus ``output_padding`` when given."""
    x, w = _dtypes.operands(_f(inputs), _f(kernel))
    nd = x.ndim - 2
    xf, last = _to_first(x, data_format)
    st, dl = _tuple(strides, nd), _tuple(dilation_rate, nd)
    ks = tuple(w.shape[:nd])
    wf = U.transpose(w, (nd + 1, nd) + tuple(range(nd)))
    pads, outp = [], []
    op = None if output_padding is None else _tuple(output_padding, nd)
    mode = _padding(padding)
    for i in range(nd):
        n, eff = xf.shape[2 + i], dl[i] * (ks[i] - 1) + 1
        full = (n - 1) * st[i] + eff  # the output length before any cropping
        if op is None:
            out = n * st[i] if mode == "same" else n * st[i] + max(eff - st[i], 0)
        else:
            out = full - (2 * (eff // 2) if mode == "same" else 0) + op[i]
        total = max(full - out, 0)  # cropped as the forward 'same' conv would pad: the smaller half first
        pads.append((total // 2, total - total // 2))
        outp.append(out - (full - total))
    y = U.conv_transpose(xf, wf, None, stride=st, padding=tuple(pads), output_padding=tuple(outp), dilation=dl)
    return _from_first(y, last)


def _pool(kind: str, inputs: Any, pool_size: Any, strides: Any, padding: str, data_format: Optional[str]) -> Tensor:
    x = _f(inputs)
    nd = x.ndim - 2
    xf, last = _to_first(x, data_format)
    k = _tuple(pool_size, nd)
    s = k if strides is None else _tuple(strides, nd)
    pads: Any = 0
    if _padding(padding) == "same":
        pads = _same_pads(xf.shape[2:], k, s, (1,) * nd)
    if kind == "max":
        y = U.max_pool(xf, k, s, padding=pads)
    else:
        y = U.avg_pool(xf, k, s, padding=pads, count_include_pad=False)
    return _from_first(y, last)


@_export
def max_pool(inputs: Any, pool_size: Any, strides: Any = None, padding: str = "valid",
             data_format: Optional[str] = None) -> Tensor:
    """Max pooling over windows of ``pool_size`` (strides default to it). Shape (channels_last):
    (N, *S, C) -> (N, *S', C)."""
    return _pool("max", inputs, pool_size, strides, padding, data_format)


@_export
def average_pool(inputs: Any, pool_size: Any, strides: Any = None, padding: str = "valid",
                 data_format: Optional[str] = None) -> Tensor:
    """Average pooling (padding excluded from the counts with 'same', as Keras)."""
    return _pool("avg", inputs, pool_size, strides, padding, data_format)


def _adaptive_sizes(output_size: Any, nd: int) -> Tuple[int, ...]:
    if isinstance(output_size, (int, np.integer)):
        return (int(output_size),) * nd
    t = tuple(int(v) for v in output_size)
    if len(t) != nd:
        raise ValueError(f"`output_size` must be an int or a tuple of {nd} ints for a {nd}-D pooling. "
                         f"Received: output_size={output_size}")
    return t


def _adaptive_spec(inputs: Any, output_size: Any, data_format: Optional[str] = None) -> Any:
    from ..backend.keras_tensor import KerasTensor

    nd = len(inputs.shape) - 2
    out = _adaptive_sizes(output_size, nd)
    if config.standardize_data_format(data_format) == "channels_last":
        return KerasTensor(tuple(inputs.shape[:1]) + out + (inputs.shape[-1],), dtype=inputs.dtype)
    return KerasTensor(tuple(inputs.shape[:2]) + out, dtype=inputs.dtype)


def _adaptive_pool(kind: str, inputs: Any, output_size: Any, data_format: Optional[str]) -> Tensor:
    x = _f(inputs)
    nd = x.ndim - 2
    if nd < 1:
        raise ValueError(f"Adaptive pooling needs a batched input with channels and spatial dims; received "
                         f"input.shape={tuple(x.shape)}")
    xf, last = _to_first(x, data_format)
    fn = U.adaptive_max_pool if kind == "max" else U.adaptive_avg_pool
    return _from_first(fn(xf, _adaptive_sizes(output_size, nd)), last)


@_export_spec(_adaptive_spec)
def adaptive_average_pool(inputs: Any, output_size: Any, data_format: Optional[str] = None) -> Tensor:
    """Average pooling of every spatial dim to ``output_size`` (windows ``floor(i n / o)`` to
    ``ceil((i + 1) n / o)``, as PyTorch). Shape (channels_last): (N, *S, C) -> (N, *output_size, C)."""
    return _adaptive_pool("avg", inputs, output_size, data_format)


@_export_spec(_adaptive_spec)
def adaptive_max_pool(inputs: Any, output_size: Any, data_format: Optional[str] = None) -> Tensor:
    """Max pooling of every spatial dim to ``output_size`` (windows as :func:`adaptive_average_pool`)."""
    return _adaptive_pool("max", inputs, output_size, data_format)


# -- statistics and normalisation ---------------------------------------------------------------------

@_export
def moments(x: Any, axes: Any, keepdims: bool = False, synchronized: bool = False) -> Tuple[Tensor, Tensor]:
    """Mean and (population) variance over ``axes``; float16 is computed in float32."""
    x = _f(x)
    dt = x.dtype
    if dt == np.float16:
        x = U.astype(x, "float32")
    axes = tuple(axes) if isinstance(axes, (list, tuple)) else (int(axes),)
    mean = U.mean(x, axis=axes, keepdims=True)
    var = U.var(x, axis=axes, keepdims=True)
    if not keepdims:
        mean, var = U.squeeze(mean, axes), U.squeeze(var, axes)
    if dt == np.float16:  # as Keras: clip to float16's range before casting back (no overflow to inf)
        hi = float(np.finfo(np.float16).max)
        mean, var = U.clip(mean, -hi, hi), U.clip(var, -hi, hi)
    return _dtypes.cast_to(mean, dt), _dtypes.cast_to(var, dt)


@_export_checked(_batch_norm_check)
def batch_normalization(x: Any, mean: Any, variance: Any, axis: int, offset: Any = None, scale: Any = None,
                        epsilon: float = 1e-3) -> Tensor:
    """``(x - mean) / sqrt(variance + epsilon) * scale + offset`` with 1-D statistics along ``axis``."""
    x = _f(x)
    ax = int(axis) % x.ndim
    shape = [1] * x.ndim
    shape[ax] = x.shape[ax]

    def bc(v: Any) -> Tensor:
        t = _dtypes.cast_to(to_tensor(v), x.dtype)
        return U.reshape(t, shape) if t.ndim == 1 else t

    inv = U.divide(1.0, U.sqrt(U.add(bc(variance), float(epsilon))))
    if scale is not None:
        inv = U.multiply(inv, bc(scale))
    y = U.multiply(U.subtract(x, bc(mean)), inv)
    return y if offset is None else U.add(y, bc(offset))


def _normalize(x: Any, axis: Any = -1, order: int = 2, epsilon: Optional[float] = None) -> Tensor:
    """``x / max(norm(x), epsilon)`` with the ``order``-norm over ``axis`` (all axes when None); the 2-norm is
    computed as ``x * min(rsqrt(sum(x^2)), 1 / epsilon)`` as Keras does."""
    if isinstance(order, bool) or not isinstance(order, (int, np.integer)) or not order >= 1:
        raise ValueError(f"Argument `order` must be an int >= 1. Received: order={order}")
    x = _f(x)
    if x.ndim == 0:
        x = U.expand_dims(x, 0)
    if axis is not None:
        _axis_check(axis, x.ndim)
    ax = tuple(axis) if isinstance(axis, (list, tuple)) else axis
    eps = config.epsilon() if epsilon is None else float(epsilon)
    if order == 2:
        inv = U.reciprocal(U.sqrt(U.sum(U.square(x), axis=ax, keepdims=True)))
        return U.multiply(x, U.minimum(inv, 1.0 / eps))
    a = U.abs(x)
    nrm = U.power(U.sum(U.power(a, float(order)), axis=ax, keepdims=True), 1.0 / order)
    return U.divide(x, U.maximum(nrm, eps))


def _normalize_spec(x: Any, axis: Any = -1, order: int = 2, epsilon: Optional[float] = None) -> Any:
    from ..backend.keras_tensor import KerasTensor

    if axis is not None:
        _axis_check(axis, len(x.shape))
    return KerasTensor(x.shape)


normalize = symbolic(_normalize, _normalize_spec)
normalize.__name__ = "normalize"
__all__.append("normalize")


@_export_spec(_psnr_spec)
def psnr(x1: Any, x2: Any, max_val: Any) -> Tensor:
    """Peak signal-to-noise ratio ``20 log10(max_val) - 10 log10(mean((x1 - x2)^2))`` (a scalar)."""
    x1, x2 = to_tensor(x1), to_tensor(x2)
    if tuple(x1.shape) != tuple(x2.shape):
        raise ValueError(f"Input shapes {tuple(x1.shape)} and {tuple(x2.shape)} must match for PSNR calculation. ")
    x1, x2 = _dtypes.operands(_f(x1), _f(x2))
    mse = U.mean(U.square(U.subtract(x1, x2)))
    mv = _dtypes.cast_to(to_tensor(max_val), x1.dtype)
    ln10 = math.log(10.0)
    return U.subtract(U.multiply(U.divide(U.log(mv), ln10), 20.0), U.multiply(U.divide(U.log(mse), ln10), 10.0))


def _compute_float(x: Any) -> Tuple[Tensor, Any]:
    x = to_tensor(x)
    dt = x.dtype
    cd = _dtypes.result_type(x, "float32")
    return _dtypes.cast_to(x, cd), dt


@_export_spec(_like_spec)
def rms_normalization(x: Any, scale: Any = None, axis: Any = -1, epsilon: Optional[float] = None) -> Tensor:
    """``x * rsqrt(mean(x^2) + epsilon) * scale`` over ``axis`` (computed in at least float32, returned in
    ``x``'s dtype)."""
    eps = config.epsilon() if epsilon is None else float(epsilon)
    x, dt = _compute_float(x)
    if x.ndim == 0:
        x = U.expand_dims(x, 0)
    ax = tuple(sorted(axis)) if isinstance(axis, (list, tuple)) else axis
    rr = U.reciprocal(U.sqrt(U.add(U.mean(U.square(x), axis=ax, keepdims=True), eps)))
    out = U.multiply(x, rr)
    if scale is not None:
        out = U.multiply(out, _dtypes.cast_to(to_tensor(scale), x.dtype))
    return _dtypes.cast_to(out, dt)


@_export_spec(_like_spec)
def layer_normalization(x: Any, gamma: Any = None, beta: Any = None, axis: Any = -1, epsilon: Optional[float] = None,
                        **kwargs: Any) -> Tensor:
    """``(x - mean) / sqrt(var + epsilon) * gamma + beta`` over ``axis`` (computed in at least float32,
    returned in ``x``'s dtype). ``rms_scaling=True`` (deprecated in Keras, warned) divides by
    ``sqrt(var + epsilon)`` only."""
    rms_scaling = kwargs.pop("rms_scaling", False)
    if kwargs:
        raise TypeError(f"layer_normalization() got unexpected keyword arguments {sorted(kwargs)}")
    if rms_scaling:
        warnings.warn("You passed `rms_scaling=True`, which is deprecated. This argument incorrectly scales the input "
                      "by the variance, not the root mean square. To correctly use RMS Normalization, please use "
                      "`keras.ops.rms_normalization` / `keras.ops.nn.rms_normalization` instead.")
    eps = config.epsilon() if epsilon is None else float(epsilon)
    x, dt = _compute_float(x)
    nd = x.ndim
    axes = sorted(int(a) % nd for a in (axis if isinstance(axis, (list, tuple)) else (axis,)))
    bshape = [1] * nd
    for a in axes:
        bshape[a] = x.shape[a]

    def bc(v: Any) -> Optional[Tensor]:
        if v is None:
            return None
        v = _dtypes.cast_to(to_tensor(v), x.dtype)
        return U.reshape(v, bshape) if v.ndim != nd and axes != [nd - 1] else v

    g, b = bc(gamma), bc(beta)
    if rms_scaling:
        out = U.multiply(x, U.reciprocal(U.sqrt(U.add(U.var(x, axis=tuple(axes), keepdims=True), eps))))
        return _dtypes.cast_to(out if g is None else U.multiply(out, g), dt)
    mean = U.mean(x, axis=tuple(axes), keepdims=True)
    var = U.var(x, axis=tuple(axes), keepdims=True)
    out = U.multiply(U.subtract(x, mean), U.reciprocal(U.sqrt(U.add(var, eps))))
    if g is not None:
        out = U.multiply(out, g)
    if b is not None:
        out = U.add(out, b)
    return _dtypes.cast_to(out, dt)


def _block_check(block_size: Any) -> int:
    if block_size < 2:
        raise ValueError(f"`block_size` must be at least 2. Received: block_size={block_size}")
    return int(block_size)


@_export
def depth_to_space(x: Any, block_size: int, data_format: str = "channels_last") -> Tensor:
    """Move channel blocks into ``block_size x block_size`` spatial blocks (as TensorFlow's depth_to_space).
    Shape (channels_last): (N, H, W, C) -> (N, H * b, W * b, C / b^2)."""
    fmt = config.standardize_data_format(data_format)
    b = _block_check(block_size)
    x = to_tensor(x)
    if x.ndim != 4:
        raise ValueError(f"`depth_to_space` requires a 4D input tensor. Received: x.shape={tuple(x.shape)}")
    if fmt == "channels_last":
        n, h, w, c = x.shape
        if c % (b * b):
            raise ValueError(f"The number of channels ({c}) must be divisible by block_size**2 ({b * b}).")
        y = U.transpose(U.reshape(x, (n, h, w, b, b, c // (b * b))), (0, 1, 3, 2, 4, 5))
        return U.reshape(y, (n, h * b, w * b, c // (b * b)))
    n, c, h, w = x.shape
    if c % (b * b):
        raise ValueError(f"The number of channels ({c}) must be divisible by block_size**2 ({b * b}).")
    y = U.transpose(U.reshape(x, (n, c // (b * b), b, b, h, w)), (0, 1, 4, 2, 5, 3))
    return U.reshape(y, (n, c // (b * b), h * b, w * b))


@_export
def space_to_depth(x: Any, block_size: int, data_format: str = "channels_last") -> Tensor:
    """The inverse of :func:`depth_to_space`. Shape (channels_last): (N, H, W, C) -> (N, H / b, W / b, C * b^2)."""
    fmt = config.standardize_data_format(data_format)
    b = _block_check(block_size)
    x = to_tensor(x)
    if x.ndim != 4:
        raise ValueError(f"`space_to_depth` requires a 4D input tensor. Received: x.shape={tuple(x.shape)}")
    if fmt == "channels_last":
        n, h, w, c = x.shape
        if h % b or w % b:
            raise ValueError(f"Height ({h}) and width ({w}) must be divisible by block_size ({b}).")
        y = U.transpose(U.reshape(x, (n, h // b, b, w // b, b, c)), (0, 1, 3, 2, 4, 5))
        return U.reshape(y, (n, h // b, w // b, c * b * b))
    n, c, h, w = x.shape
    if h % b or w % b:
        raise ValueError(f"Height ({h}) and width ({w}) must be divisible by block_size ({b}).")
    y = U.transpose(U.reshape(x, (n, c, h // b, b, w // b, b)), (0, 1, 3, 5, 2, 4))
    return U.reshape(y, (n, c * b * b, h // b, w // b))


@_export_spec(_like_spec)
def dot_product_attention(query: Any, key: Any, value: Any, bias: Any = None, mask: Any = None,
                          scale: Optional[float] = None, is_causal: bool = False, flash_attention: Any = None,
                          attn_logits_soft_cap: Any = None) -> Tensor:
    """Scaled dot-product attention. Shapes: query (B, T, N, H), key/value (B, S, N, H) -> (B, T, N, H);
    ``mask`` (bool) broadcasts to (B, N, T, S), True meaning attend."""
    q, k, v = _dtypes.operands(_f(query), _f(key), _f(value))
    nq, nk = q.shape[-2], k.shape[-2]
    if nq != nk:  # grouped-query attention: each key/value head serves nq / nk query heads
        if nk == 0 or nq % nk:
            raise ValueError(f"The number of query heads ({nq}) must be a multiple of the number of key/value heads "
                             f"({nk}). Received: query.shape={tuple(q.shape)}, key.shape={tuple(k.shape)}")
        k, v = U.repeat(k, nq // nk, axis=-2), U.repeat(v, nq // nk, axis=-2)
    h = q.shape[-1]
    sc = 1.0 / math.sqrt(h) if scale is None else float(scale)
    logits = U.multiply(U.einsum("btnh,bsnh->bnts", q, k), sc)
    if bias is not None:
        logits = U.add(logits, _dtypes.cast_to(to_tensor(bias), logits.dtype))
    keep = None
    if mask is not None:
        keep = _dtypes.cast_to(to_tensor(mask), "bool")
    if is_causal:
        t, s = logits.shape[-2], logits.shape[-1]
        rows = U.reshape(unidl.arange(t, dtype="int64"), (t, 1))
        cols = U.reshape(unidl.arange(s, dtype="int64"), (1, s))
        causal = U.less_equal(cols, rows)
        keep = causal if keep is None else U.logical_and(keep, causal)
    if keep is not None:
        logits = U.where(keep, logits, U.full_like(logits, float(np.finfo(logits.dtype).min)))
    w = U.softmax(logits, axis=-1)
    return U.einsum("bnts,bsnh->btnh", w, v)


# -- CTC ----------------------------------------------------------------------------------------------

def _first_dim_check(name1: str, shape1: Any, name2: str, shape2: Any) -> None:
    if shape1[0] != shape2[0]:
        raise ValueError(f"Arguments `{name1}` and `{name2}` must have the same first dimension. "
                         f"Received shapes: `{shape1}` and `{shape2}`.")


def _ctc_loss_spec(target: Any, output: Any, target_length: Any, output_length: Any, mask_index: int = 0) -> Any:
    from ..backend.keras_tensor import KerasTensor

    ts, os_ = tuple(target.shape), tuple(output.shape)
    _first_dim_check("target", ts, "output", os_)
    _first_dim_check("target_length", tuple(target_length.shape), "target", ts)
    _first_dim_check("output_length", tuple(output_length.shape), "output", os_)
    return KerasTensor((ts[0],), dtype=config.standardize_dtype(_dtypes.result_type(output, "float32")))


@_export_spec(_ctc_loss_spec)
def ctc_loss(target: Any, output: Any, target_length: Any, output_length: Any, mask_index: int = 0) -> Tensor:
    """CTC loss per sample of integer ``target`` (B, L) under logits ``output`` (B, T, C), with the label and
    frame counts ``target_length``/``output_length`` (B,) and the blank class ``mask_index``. Shape: (B,)."""
    from unidl.nn.ctc import ctc_loss as _ctc

    output = to_tensor(output)
    output = _dtypes.cast_to(output, _dtypes.result_type(output, "float32"))
    logp = U.transpose(U.log_softmax(output, axis=-1), (1, 0, 2))
    return _ctc(logp, to_tensor(target), to_tensor(output_length), to_tensor(target_length), blank=int(mask_index))


def _ctc_decode_spec(inputs: Any, sequence_lengths: Any, strategy: str = "greedy", beam_width: int = 100,
                     top_paths: int = 1, merge_repeated: bool = True, mask_index: int = 0) -> Any:
    from ..backend.keras_tensor import KerasTensor

    k = 1 if strategy == "greedy" else top_paths
    dt = config.standardize_dtype(_dtypes.result_type(inputs, "float32"))
    return (KerasTensor((k, inputs.shape[0], inputs.shape[1]), dtype="int32"),
            KerasTensor((inputs.shape[0], k), dtype=dt))


@_export_spec(_ctc_decode_spec)
def ctc_decode(inputs: Any, sequence_lengths: Any, strategy: str = "greedy", beam_width: int = 100,
               top_paths: int = 1, merge_repeated: bool = True, mask_index: int = 0) -> Tuple[Tensor, Tensor]:
    """Decode CTC logits ``inputs`` (B, T, C): 'greedy' gives ``(decoded (1, B, T), -sum of max logits (B, 1))``,
    'beam_search' ``(decoded (top_paths, B, T), log-probabilities (B, top_paths))``; -1 marks blanks/padding."""
    from unidl.nn.ctc_decode import ctc_beam_search_decode, ctc_greedy_decode

    x = to_tensor(inputs)
    x = _dtypes.cast_to(x, _dtypes.result_type(x, "float32"))
    if strategy == "greedy":
        return ctc_greedy_decode(x, sequence_lengths, merge_repeated=merge_repeated, mask_index=mask_index)
    if strategy == "beam_search":
        return ctc_beam_search_decode(x, sequence_lengths, beam_width=beam_width, top_paths=top_paths,
                                      mask_index=mask_index)
    raise ValueError(f"Invalid strategy {strategy}. Supported values are 'greedy' and 'beam_search'.")


class CTCLoss(Operation):
    """The op class of :func:`ctc_loss`: ``CTCLoss(mask_index)(target, output, target_length, output_length)``."""
    _fn = staticmethod(ctc_loss)

    def __init__(self, mask_index: int = 0, *, name: Optional[str] = None) -> None:
        super().__init__(name=name, mask_index=mask_index)
        self.mask_index = mask_index

    def _check_shape_first_dim(self, name1: str, shape1: Any, name2: str, shape2: Any) -> None:
        _first_dim_check(name1, shape1, name2, shape2)

    def compute_output_spec(self, target: Any, output: Any, target_length: Any, output_length: Any) -> Any:
        return _ctc_loss_spec(target, output, target_length, output_length, self.mask_index)


class CTCDecode(Operation):
    """The op class of :func:`ctc_decode`: ``CTCDecode(strategy, beam_width, ...)(inputs, sequence_lengths)``."""
    _fn = staticmethod(ctc_decode)

    def __init__(self, strategy: str = "greedy", beam_width: int = 100, top_paths: int = 1,
                 merge_repeated: bool = True, mask_index: int = 0, *, name: Optional[str] = None) -> None:
        super().__init__(name=name, strategy=strategy, beam_width=beam_width, top_paths=top_paths,
                         merge_repeated=merge_repeated, mask_index=mask_index)
        self.strategy, self.beam_width, self.top_paths = strategy, beam_width, top_paths
        self.merge_repeated, self.mask_index = merge_repeated, mask_index

    def compute_output_spec(self, inputs: Any, sequence_lengths: Any) -> Any:
        return _ctc_decode_spec(inputs, sequence_lengths, **self._static_kwargs)


# -- im2col / col2im ------------------------------------------------------------------------------------

def _pair_of(v: Any) -> Tuple[Any, Any]:
    return (v, v) if isinstance(v, (int, np.integer)) else tuple(v)


def _unfold_spec(x: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0, stride: Any = 1) -> Any:
    from ..backend.keras_tensor import KerasTensor

    n, c, h, w = x.shape
    (kh, kw), (dh, dw), (ph, pw), (sh, sw) = (_pair_of(v) for v in (kernel_size, dilation, padding, stride))

    def size(length: Any, k: int, d: int, p: int, s: int) -> Any:
        return None if length is None else (length + 2 * p - d * (k - 1) - 1) // s + 1

    oh, ow = size(h, kh, dh, ph, sh), size(w, kw, dw, pw, sw)
    return KerasTensor((n, None if c is None else c * kh * kw, None if oh is None or ow is None else oh * ow),
                       dtype=x.dtype)


def _rank_check(x: Any, rank: int) -> None:
    shape = tuple(x.shape) if hasattr(x, "shape") else np.shape(x)
    if len(shape) != rank:
        raise ValueError(f"Input must be a {rank}D tensor. Received: input.shape={shape}")


def _unfold(x: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0, stride: Any = 1) -> Tensor:
    """Sliding blocks of a channels-first image batch (im2col): (N, C, H, W) -> (N, C * kh * kw, L)."""
    return U.unfold(to_tensor(x), kernel_size, dilation, padding, stride)


def _fold_spec(x: Any, output_size: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
               stride: Any = 1) -> Any:
    from ..backend.keras_tensor import KerasTensor

    n, ckk, _ = x.shape
    kh, kw = _pair_of(kernel_size)
    oh, ow = _pair_of(output_size)
    if ckk is not None and ckk % (kh * kw):
        raise ValueError(f"The second dimension of the input ({ckk}) must be divisible by kernel_size product "
                         f"({kh * kw}).")
    return KerasTensor((n, None if ckk is None else ckk // (kh * kw), oh, ow), dtype=x.dtype)


def _fold(x: Any, output_size: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0, stride: Any = 1) -> Tensor:
    """Blocks summed back into an image (col2im, the adjoint of unfold): (N, C * kh * kw, L) -> (N, C, oh, ow)."""
    return U.fold(to_tensor(x), output_size, kernel_size, dilation, padding, stride)


_unfold_op = symbolic(_unfold, _unfold_spec)
_fold_op = symbolic(_fold, _fold_spec)


def unfold(x: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0, stride: Any = 1) -> Any:
    """Sliding blocks of a channels-first image batch (im2col): (N, C, H, W) -> (N, C * kh * kw, L)."""
    _rank_check(x, 4)
    return _unfold_op(x, kernel_size, dilation, padding, stride)


def fold(x: Any, output_size: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0, stride: Any = 1) -> Any:
    """Blocks summed back into an image (col2im): (N, C * kh * kw, L) -> (N, C, oh, ow)."""
    _rank_check(x, 3)
    return _fold_op(x, output_size, kernel_size, dilation, padding, stride)


__all__ += ["unfold", "fold"]


class AdaptiveAveragePool(Operation):
    """The op class of :func:`adaptive_average_pool`: ``AdaptiveAveragePool(output_size, data_format)(x)``."""
    _fn = staticmethod(adaptive_average_pool)

    def __init__(self, output_size: Any, data_format: Optional[str] = None, *, name: Optional[str] = None) -> None:
        super().__init__(name=name, output_size=output_size, data_format=data_format)
        self.output_size, self.data_format = output_size, data_format


class AdaptiveMaxPool(Operation):
    """The op class of :func:`adaptive_max_pool`: ``AdaptiveMaxPool(output_size, data_format)(x)``."""
    _fn = staticmethod(adaptive_max_pool)

    def __init__(self, output_size: Any, data_format: Optional[str] = None, *, name: Optional[str] = None) -> None:
        super().__init__(name=name, output_size=output_size, data_format=data_format)
        self.output_size, self.data_format = output_size, data_format


class RMSNorm(Operation):
    """The op class of :func:`rms_normalization`: ``RMSNorm(axis, epsilon)(x, scale)``."""
    _fn = staticmethod(rms_normalization)

    def __init__(self, axis: Any = -1, epsilon: Optional[float] = None, *, name: Optional[str] = None) -> None:
        super().__init__(name=name, axis=axis, epsilon=epsilon)
        self.axis, self.epsilon = axis, epsilon


class LayerNorm(Operation):
    """The op class of :func:`layer_normalization`: ``LayerNorm(axis, epsilon, rms_scaling)(x, gamma, beta)``."""
    _fn = staticmethod(layer_normalization)

    def __init__(self, axis: Any = -1, epsilon: Optional[float] = None, rms_scaling: bool = False, *,
                 name: Optional[str] = None) -> None:
        super().__init__(name=name, axis=axis, epsilon=epsilon, rms_scaling=rms_scaling)
        self.axis, self.epsilon, self.rms_scaling = axis, epsilon, rms_scaling


def __getattr__(name: str) -> Any:
    # Keras's op classes (``Cast``, ``Cumsum``, ...) exist where the function does
    import sys

    from .operation import op_class

    cls = op_class(sys.modules[__name__], name)
    if cls is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return cls
