"""``keras.ops.nn``: activations, one-hot, cross-entropies, convolution, pooling, moments and
normalization, computed with :mod:`unidl.ops`.

Layouts follow Keras: ``data_format='channels_last'`` (the default, from ``image_data_format()``)
means inputs (N, *spatial, C) and conv kernels (*kernel, C_in/groups, C_out); the core computes
channels-first, so inputs are moved around the core call. Cross-entropies return per-sample losses
(no reduction), with probabilities clipped to ``[epsilon, 1 - epsilon]`` as Keras does.
"""
from __future__ import annotations

import math
from typing import Any, List, Optional, Sequence, Tuple

import numpy as np

import unidl
from unidl import ops as U
from unidl.tensor import Tensor

from ..backend import config
from . import _dtypes
from ._dtypes import float_of, to_tensor
from .node import symbolic

__all__: List[str] = []


def _export(fn):
    __all__.append(fn.__name__)
    return symbolic(fn)


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


@_export
def softmax(x: Any, axis: Any = -1) -> Tensor:
    """``exp(x) / sum(exp(x))`` along ``axis`` (an int or a tuple of axes)."""
    x = _f(x)
    if isinstance(axis, (tuple, list)):
        m = U.max(x, axis=tuple(axis), keepdims=True)
        e = U.exp(U.subtract(x, m.detach()))
        return U.divide(e, U.sum(e, axis=tuple(axis), keepdims=True))
    return U.softmax(x, axis=int(axis))


@_export
def log_softmax(x: Any, axis: Any = -1) -> Tensor:
    """``x - logsumexp(x)`` along ``axis``."""
    x = _f(x)
    if isinstance(axis, (tuple, list)):
        return U.subtract(x, U.logsumexp(x, axis=tuple(axis), keepdims=True))
    return U.log_softmax(x, axis=int(axis))


# -- encodings ----------------------------------------------------------------------------------------

@_export
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


@_export
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
    if target.dtype.kind == "f":
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


@_export
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


@_export
def depthwise_conv(inputs: Any, kernel: Any, strides: Any = 1, padding: str = "valid",
                   data_format: Optional[str] = None, dilation_rate: Any = 1) -> Tensor:
    """Depthwise convolution: kernel (*K, C_in, multiplier) -> output channels C_in * multiplier."""
    w = _f(kernel)
    nd = w.ndim - 2
    kshape = tuple(w.shape[:nd])
    w = U.reshape(w, kshape + (1, w.shape[-2] * w.shape[-1]))
    return conv.eager(inputs, w, strides, padding, data_format, dilation_rate)


@_export
def separable_conv(inputs: Any, depthwise_kernel: Any, pointwise_kernel: Any, strides: Any = 1,
                   padding: str = "valid", data_format: Optional[str] = None, dilation_rate: Any = 1) -> Tensor:
    """A depthwise convolution followed by a 1x1 (pointwise) convolution."""
    y = depthwise_conv.eager(inputs, depthwise_kernel, strides, padding, data_format, dilation_rate)
    return conv.eager(y, pointwise_kernel, 1, "valid", data_format, 1)


@_export
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


@_export
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


@_export
def normalize(x: Any, axis: int = -1, order: int = 2, epsilon: Optional[float] = None) -> Tensor:
    """``x`` divided by its ``order``-norm along ``axis`` (at least ``epsilon``)."""
    x = _f(x)
    eps = config.epsilon() if epsilon is None else float(epsilon)
    n = U.norm(x, ord=order, axis=axis, keepdims=True)
    return U.divide(x, U.maximum(n, eps))


@_export
def dot_product_attention(query: Any, key: Any, value: Any, bias: Any = None, mask: Any = None,
                          scale: Optional[float] = None, is_causal: bool = False, flash_attention: Any = None,
                          attn_logits_soft_cap: Any = None) -> Tensor:
    """Scaled dot-product attention. Shapes: query (B, T, N, H), key/value (B, S, N, H) -> (B, T, N, H);
    ``mask`` (bool) broadcasts to (B, N, T, S), True meaning attend."""
    q, k, v = _dtypes.operands(_f(query), _f(key), _f(value))
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


def __getattr__(name: str) -> Any:
    # Keras's op classes (``Cast``, ``Cumsum``, ...) exist where the function does
    import sys

    from .operation import op_class

    cls = op_class(sys.modules[__name__], name)
    if cls is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return cls
