"""More of ``mx.nd``'s operator set: the legacy random names (``nd.normal``, ``nd.random_uniform``,
``nd.sample_multinomial``, ...), ``concatenate``, ``moveaxis``, ``add_n``, ``depth_to_space`` /
``space_to_depth``, the legacy capitalised aliases (``Concat``, ``SliceChannel``, ``SwapAxis``, ``Pad``)
and ``ctc_loss`` / ``CTCLoss``. Each is an MXNet 1.9.1 name over :mod:`unidl.ops` / :mod:`unidl.nn`.
"""
from __future__ import annotations

from typing import Any, Optional, Sequence

import numpy as np

from unidl import ops
from unidl.nn.ctc import ctc_loss as _ctc

from .. import random as _random
from ..base import MXNetError
from ..context import Context
from . import ops as _nd
from .ndarray import NDArray, _owned, wrap

__all__ = ["normal", "uniform", "random_normal", "random_uniform", "random_randint", "random_exponential",
           "sample_multinomial", "random_multinomial", "shuffle", "concatenate", "moveaxis", "add_n",
           "ElementWiseSum", "depth_to_space", "space_to_depth", "Concat", "SliceChannel", "SwapAxis", "Pad", "pad",
           "broadcast_axes", "ctc_loss", "CTCLoss"]


# -- legacy random operators (one generator: unidl's, seeded by mx.random.seed) -------------------------

def random_normal(loc: float = 0.0, scale: float = 1.0, shape: Any = (), dtype: Any = "float32",
                  ctx: Optional[Context] = None, **kwargs: Any) -> NDArray:
    """Normal draws of ``shape`` (``nd.normal`` / ``nd.random_normal``)."""
    return _random.normal(loc, scale, shape, dtype, ctx)


def random_uniform(low: float = 0.0, high: float = 1.0, shape: Any = (), dtype: Any = "float32",
                   ctx: Optional[Context] = None, **kwargs: Any) -> NDArray:
    """Uniform draws in [low, high) of ``shape`` (``nd.uniform`` / ``nd.random_uniform``)."""
    return _random.uniform(low, high, shape, dtype, ctx)


normal = random_normal
uniform = random_uniform


def random_randint(low: int, high: int, shape: Any = (), dtype: Any = "int32", ctx: Optional[Context] = None,
                   **kwargs: Any) -> NDArray:
    """Integers in [low, high)."""
    return _random.randint(low, high, shape, dtype, ctx)


def random_exponential(lam: float = 1.0, shape: Any = (), dtype: Any = "float32", ctx: Optional[Context] = None,
                       **kwargs: Any) -> NDArray:
    """Exponential draws with rate ``lam`` (mean ``1 / lam``)."""
    if float(lam) <= 0:
        raise MXNetError(f"random_exponential: lam must be > 0, got {lam}")
    return _random.exponential(1.0 / float(lam), shape, dtype, ctx)


def sample_multinomial(data: NDArray, shape: Any = (), get_prob: bool = False, dtype: Any = "int32",
                       **kwargs: Any) -> Any:
    """Category draws from the probabilities ``data`` (..., K): shape data.shape[:-1] + shape."""
    return _random.multinomial(data, shape, get_prob, dtype)


random_multinomial = sample_multinomial


def shuffle(data: NDArray, **kwargs: Any) -> NDArray:
    """A copy of ``data`` with its first axis shuffled."""
    return _random.shuffle(data)


# -- shape and arithmetic ---------------------------------------------------------------------------------

def concatenate(arrays: Sequence[NDArray], axis: int = 0, always_copy: bool = True) -> NDArray:
    """Join a list of arrays along ``axis`` (default 0, unlike ``concat``)."""
    arrays = list(arrays)
    if not arrays:
        raise MXNetError("concatenate: needs at least one array")
    if len(arrays) == 1 and not always_copy:
        return arrays[0]
    return wrap(ops.concatenate([a._t for a in arrays], axis=axis))


def _axes_list(what: str, axes: Any, ndim: int) -> list:
    seq = [axes] if isinstance(axes, (int, np.integer)) else list(axes)
    out = []
    for a in seq:
        if not isinstance(a, (int, np.integer)) or not -ndim <= a < ndim:
            raise ValueError(f"moveaxis: {what} axis {a!r} is out of bounds for an array of dimension {ndim}")
        out.append(int(a) % ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"moveaxis: repeated axis in `{what}` argument {axes!r}")
    return out


def moveaxis(tensor: NDArray, source: Any, destination: Any) -> NDArray:
    """``tensor`` with axes ``source`` (an int or a sequence) moved to ``destination``; the other axes keep
    their order. ValueError for axes out of range, repeated, or source/destination of different lengths."""
    nd = tensor.ndim
    src = _axes_list("source", source, nd)
    dst = _axes_list("destination", destination, nd)
    if len(src) != len(dst):
        raise ValueError("moveaxis: `source` and `destination` arguments must have the same number of elements")
    order = [a for a in range(nd) if a not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return wrap(_owned(ops.transpose(tensor._t, tuple(order))))


def add_n(*args: NDArray, **kwargs: Any) -> NDArray:
    """Elementwise sum of all arguments (same shapes)."""
    if not args:
        raise MXNetError("add_n: needs at least one array")
    out = args[0]._t
    for a in args[1:]:
        if a.shape != args[0].shape:
            raise MXNetError(f"add_n: all arrays need the same shape, got {args[0].shape} and {a.shape}")
        out = ops.add(out, a._t)
    return wrap(out)


ElementWiseSum = add_n


def depth_to_space(data: NDArray, block_size: int, **kwargs: Any) -> NDArray:
    """(N, C, H, W) -> (N, C / b^2, H b, W b), channel blocks moved into space (DCR order)."""
    n, c, h, w = _nchw("depth_to_space", data)
    b = int(block_size)
    if b < 1 or c % (b * b):
        raise MXNetError(f"depth_to_space: channels {c} of shape {data.shape} are not divisible by block_size^2 = {b * b}")
    t = ops.reshape(data._t, (n, b, b, c // (b * b), h, w))
    t = ops.transpose(t, (0, 3, 4, 1, 5, 2))
    return wrap(ops.reshape(t, (n, c // (b * b), h * b, w * b)))


def space_to_depth(data: NDArray, block_size: int, **kwargs: Any) -> NDArray:
    """(N, C, H, W) -> (N, C b^2, H / b, W / b), the inverse of :func:`depth_to_space`."""
    n, c, h, w = _nchw("space_to_depth", data)
    b = int(block_size)
    if b < 1 or h % b or w % b:
        raise MXNetError(f"space_to_depth: height and width of shape {data.shape} must be divisible by block_size {b}")
    t = ops.reshape(data._t, (n, c, h // b, b, w // b, b))
    t = ops.transpose(t, (0, 3, 5, 1, 2, 4))
    return wrap(ops.reshape(t, (n, c * b * b, h // b, w // b)))


def _nchw(op: str, data: NDArray) -> tuple:
    if data.ndim != 4:
        raise MXNetError(f"{op}: expected a 4-d (N, C, H, W) array, got shape {data.shape}")
    return data.shape


def Concat(*data: NDArray, dim: int = 1, **kwargs: Any) -> NDArray:  # noqa: N802 - MXNet's name
    """Legacy name of ``concat``."""
    return _nd.concat(*data, dim=dim)


def SliceChannel(data: NDArray, num_outputs: int, axis: int = 1, squeeze_axis: bool = False,  # noqa: N802
                 **kwargs: Any) -> Any:
    """Legacy name of ``split``."""
    return _nd.split(data, num_outputs, axis=axis, squeeze_axis=squeeze_axis)


def SwapAxis(data: NDArray, dim1: int = 0, dim2: int = 0, **kwargs: Any) -> NDArray:  # noqa: N802
    """Legacy name of ``swapaxes``."""
    return wrap(ops.swapaxes(data._t, dim1, dim2))


def pad(data: NDArray, mode: str, pad_width: Sequence[int], constant_value: float = 0.0, **kwargs: Any) -> NDArray:
    """Pad a 4-d or 5-d array: ``pad_width`` lists (before, after) for every axis, flattened (the first
    two axes must be 0); ``mode`` 'constant', 'edge' or 'reflect'."""
    pw = [int(p) for p in pad_width]
    if data.ndim not in (4, 5) or len(pw) != 2 * data.ndim:
        raise MXNetError(f"pad: expected a 4-d or 5-d array and 2*ndim pad widths, got shape {data.shape} and "
                         f"pad_width {tuple(pad_width)}")
    if any(pw[:4]):
        raise MXNetError(f"pad: the batch and channel axes cannot be padded, got pad_width {tuple(pad_width)}")
    if mode not in ("constant", "edge", "reflect"):
        raise MXNetError(f"pad: mode must be 'constant', 'edge' or 'reflect', got {mode!r}")
    pairs = [(pw[2 * i], pw[2 * i + 1]) for i in range(data.ndim)]
    return wrap(ops.pad(data._t, pairs, mode=mode, constant_value=constant_value))


Pad = pad


def broadcast_axes(data: NDArray, axis: Any = (), size: Any = (), **kwargs: Any) -> NDArray:
    """Legacy name of ``broadcast_axis``."""
    return _nd.broadcast_axis(data, axis=axis, size=size)


# -- CTC ----------------------------------------------------------------------------------------------------

def ctc_loss(data: NDArray, label: NDArray, data_lengths: Optional[NDArray] = None,
             label_lengths: Optional[NDArray] = None, use_data_lengths: bool = False,
             use_label_lengths: bool = False, blank_label: str = "first", **kwargs: Any) -> NDArray:
    """CTC loss of unnormalised activations ``data`` (T, N, C) (softmax applied inside) against ``label``
    (N, L): shape (N,).

    ``blank_label='first'``: class 0 is the blank, labels are 1..C-1 and 0 pads; ``'last'``: class C-1
    is the blank and -1 pads. Without ``use_label_lengths`` a label ends at its first padding value.
    """
    if blank_label not in ("first", "last"):
        raise MXNetError(f"ctc_loss: blank_label must be 'first' or 'last', got {blank_label!r}")
    if data.ndim != 3 or label.ndim != 2 or label.shape[0] != data.shape[1]:
        raise MXNetError(f"ctc_loss: expected data (T, N, C) and label (N, L), got {data.shape} and {label.shape}")
    c = data.shape[2]
    blank, padding = (0, 0) if blank_label == "first" else (c - 1, -1)
    lab = ops.astype(label._t, "int64")
    if use_label_lengths:
        if label_lengths is None:
            raise MXNetError("ctc_loss: use_label_lengths=True needs label_lengths")
        lab_len = ops.astype(label_lengths._t, "int64")
    else:  # the label ends at its first padding value
        is_pad = ops.astype(ops.equal(lab, padding), "int64")
        lab_len = ops.sum(ops.astype(ops.equal(ops.cumsum(is_pad, axis=1), 0), "int64"), axis=1)
    in_len = None
    if use_data_lengths:
        if data_lengths is None:
            raise MXNetError("ctc_loss: use_data_lengths=True needs data_lengths")
        in_len = data_lengths._t
    log_probs = ops.log_softmax(data._t, axis=-1)
    return wrap(_ctc(log_probs, lab, in_len, lab_len, blank=blank))


CTCLoss = ctc_loss
