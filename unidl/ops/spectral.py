"""Spectral ops: FFTs (complex over given axes, real and inverse-real on the last axis), framing,
overlap-add, windows, the short-time Fourier transform and its inverse, and their 2-D image siblings
``unfold`` (im2col: sliding blocks) and ``fold`` (col2im: blocks summed back).

unidl has no complex dtype: a complex tensor is passed and returned as a ``(real, imag)`` pair of float
tensors of one shape. The FFT primitives are linear, so their backward passes are FFTs again (for
``y = F x`` the gradient is ``F^H g``: a forward FFT's is ``n * ifft(g)``, an inverse FFT's ``fft(g) / n``;
``rfft``'s is the real part of ``n * ifft`` of the zero-extended gradient, ``irfft``'s an ``rfft`` weighted
by ``2 / n`` except at the DC and Nyquist bins), so they differentiate again. The STFT pair is a
composite of framing (``take``), windows, ``rfft``/``irfft`` and overlap-add (``scatter_add``), following
PyTorch's ``torch.stft``/``torch.istft`` conventions (reflect padding when centred; periodic windows).
"""
from __future__ import annotations

import math
from typing import Any, Optional, Sequence, Tuple

import numpy as np

from ..errors import OpError
from ._core import Tensor, apply, as_tensor_like, defop

__all__ = ["fft", "rfft", "irfft", "frame", "overlap_add", "stft_window", "stft", "istft", "unfold", "fold"]

FFT = defop("fft", doc="complex FFT (or inverse, 1/n scaled) of (real, imag) over the given axes; "
                       "returns real and imag stacked on a new leading axis")
RFFT = defop("rfft", doc="FFT of a real signal along the last axis, n//2+1 bins, cropped/zero-padded to n; "
                         "returns real and imag stacked on a new leading axis")
IRFFT = defop("irfft", doc="inverse of rfft along the last axis: (real, imag) of the bins -> n real samples")


def _split(out: Tensor) -> Tuple[Tensor, Tensor]:
    from .index import getitem

    return getitem(out, 0), getitem(out, 1)


def _check_pair(op: str, re: Any, im: Any) -> None:
    if not isinstance(re, Tensor) or not isinstance(im, Tensor):
        raise OpError(op, f"expected unidl Tensors for the real and imaginary parts, got {type(re).__name__} "
                          f"and {type(im).__name__}")
    if re.shape != im.shape:
        raise OpError(op, f"the real and imaginary parts must have one shape, got {re.shape} and {im.shape}",
                      shapes=(re.shape, im.shape))
    if re.dtype != im.dtype or re.dtype.kind != "f":
        raise OpError(op, f"the real and imaginary parts must be of one float dtype, got {re.dtype} and {im.dtype}",
                      shapes=(re.shape, im.shape), dtypes=(re.dtype, im.dtype))


def _fft_bwd(node, out, g):
    axes, inverse = node.saved["axes"], node.saved["inverse"]
    gr, gi = _split(g)
    n = math.prod(out.shape[1:][a] for a in axes)
    yr, yi = fft(gr, gi, axes, inverse=not inverse)
    scale = float(n) if not inverse else 1.0 / n
    from .elementwise import multiply

    return multiply(yr, scale), multiply(yi, scale)


def fft(re: Tensor, im: Tensor, axes: Sequence[int] = (-1,), inverse: bool = False) -> Tuple[Tensor, Tensor]:
    """The discrete Fourier transform of ``re + i im`` over ``axes`` (NumPy's ``fftn``; ``inverse`` gives
    ``ifftn``, scaled by 1/n). Shapes: (...), (...) -> (...), (...)."""
    _check_pair("fft", re, im)
    nd = re.ndim
    ax = []
    for a in axes:
        a = int(a)
        if not -nd <= a < nd:
            raise OpError("fft", f"axis {a} is out of range for a tensor of {nd} dimension(s)", shapes=(re.shape,))
        ax.append(a % nd)
    if len(set(ax)) != len(ax):
        raise OpError("fft", f"axes {tuple(axes)} repeat an axis", shapes=(re.shape,))
    out = apply(FFT, _fft_bwd, (re, im), {"axes": tuple(ax), "inverse": bool(inverse)})
    return _split(out)


def _fit_last(x: Tensor, n: int) -> Tensor:
    """``x`` cropped or zero-padded at the end of its last axis to length ``n``."""
    from .arrange import pad, slice_axis

    m = x.shape[-1]
    if m > n:
        return slice_axis(x, -1, 0, n)
    if m < n:
        return pad(x, ((0, 0),) * (x.ndim - 1) + ((0, n - m),))
    return x


def _rfft_bwd(node, out, g):
    from .elementwise import multiply

    x = node.parents[0]
    n = node.saved["n"]
    gr, gi = _split(g)
    yr, _ = fft(_fit_last(gr, n), _fit_last(gi, n), (-1,), inverse=True)
    return (_fit_last(multiply(yr, float(n)), x.shape[-1]),)


def rfft(x: Tensor, n: Optional[int] = None) -> Tuple[Tensor, Tensor]:
    """The FFT of real ``x`` along its last axis: the ``n // 2 + 1`` non-negative frequency bins, ``x``
    cropped or zero-padded to ``n`` first (default: its length). Shape: (..., L) -> 2 x (..., n // 2 + 1)."""
    if not isinstance(x, Tensor):
        raise OpError("rfft", f"expected a unidl Tensor, got {type(x).__name__}")
    if x.ndim < 1:
        raise OpError("rfft", "the input must have rank >= 1", shapes=(x.shape,))
    if x.dtype.kind != "f":
        raise OpError("rfft", f"the input must be a float tensor, got {x.dtype}", shapes=(x.shape,), dtypes=(x.dtype,))
    n = x.shape[-1] if n is None else int(n)
    if n < 1:
        raise OpError("rfft", f"the FFT length must be positive, got {n}", shapes=(x.shape,))
    out = apply(RFFT, _rfft_bwd, (x,), {"n": n})
    return _split(out)


def _irfft_bwd(node, out, g):
    from .elementwise import multiply

    re = node.parents[0]
    n = node.saved["n"]
    m = re.shape[-1]
    gr, gi = rfft(g, n)  # (..., n // 2 + 1)
    k = n // 2 + 1
    w = np.full((k,), 2.0 / n)
    w[0] = 1.0 / n
    wi = w.copy()
    wi[0] = 0.0
    if n % 2 == 0:
        w[-1] = 1.0 / n
        wi[-1] = 0.0
    gr = multiply(gr, as_tensor_like(w.astype(gr.dtype), gr))
    gi = multiply(gi, as_tensor_like(wi.astype(gi.dtype), gi))
    return _fit_last(gr, m), _fit_last(gi, m)


def irfft(re: Tensor, im: Tensor, n: Optional[int] = None) -> Tensor:
    """The inverse of :func:`rfft`: ``n`` real samples (default ``2 * (bins - 1)``) from the bins
    ``re + i im`` of the last axis (cropped or zero-padded to ``n // 2 + 1``; the imaginary parts of the DC
    and Nyquist bins are ignored). Shapes: (..., bins), (..., bins) -> (..., n)."""
    _check_pair("irfft", re, im)
    if re.ndim < 1:
        raise OpError("irfft", "the input must have rank >= 1", shapes=(re.shape,))
    n = 2 * (re.shape[-1] - 1) if n is None else int(n)
    if n < 1:
        raise OpError("irfft", f"the output length must be positive, got {n} (from {re.shape[-1]} bins)",
                      shapes=(re.shape,))
    return apply(IRFFT, _irfft_bwd, (re, im), {"n": n})


# -- framing, windows and the STFT ----------------------------------------------------------------

def _frame_index(num: int, length: int, stride: int, like: Tensor) -> Tensor:
    idx = np.arange(num, dtype=np.int64)[:, None] * stride + np.arange(length, dtype=np.int64)[None, :]
    return as_tensor_like(idx, like)


def frame(x: Tensor, length: int, stride: int) -> Tensor:
    """Overlapping frames of the last axis: frame ``t`` is ``x[..., t * stride : t * stride + length]``.
    Shape: (..., n) -> (..., 1 + (n - length) // stride, length) (no frames when ``n < length``)."""
    from .index import take

    if not isinstance(x, Tensor):
        raise OpError("frame", f"expected a unidl Tensor, got {type(x).__name__}")
    if x.ndim < 1:
        raise OpError("frame", "the input must have rank >= 1", shapes=(x.shape,))
    length, stride = int(length), int(stride)
    if length < 1 or stride < 1:
        raise OpError("frame", f"length and stride must be positive, got {length} and {stride}", shapes=(x.shape,))
    num = max(0, 1 + (x.shape[-1] - length) // stride)
    return take(x, _frame_index(num, length, stride, x), axis=x.ndim - 1)


def overlap_add(frames: Tensor, stride: int) -> Tensor:
    """The sum of the frames placed ``stride`` apart (the adjoint of :func:`frame`).
    Shape: (..., T, L) -> (..., (T - 1) * stride + L)."""
    from ..creation import zeros
    from .index import scatter_add
    from .shape import broadcast_to, reshape

    if not isinstance(frames, Tensor) or frames.ndim < 2:
        raise OpError("overlap_add", "expected a tensor of frames of rank >= 2",
                      shapes=(getattr(frames, "shape", ()),))
    *batch, t, length = frames.shape
    stride = int(stride)
    out_len = (t - 1) * stride + length if t else 0
    idx = reshape(_frame_index(t, length, stride, frames), (t * length,))
    idx = broadcast_to(idx, tuple(batch) + (t * length,))
    base = zeros(tuple(batch) + (out_len,), dtype=frames.dtype, device=frames.device)
    return scatter_add(base, idx, reshape(frames, tuple(batch) + (t * length,)), axis=len(batch))


def stft_window(window: Any, length: int, like: Tensor) -> Optional[Tensor]:
    """A window of ``length`` samples in ``like``'s dtype and device: 'hann' or 'hamming' (periodic, as
    ``torch.hann_window``), a given 1-D tensor/array (checked to be ``length`` long), or None (none)."""
    if window is None:
        return None
    if isinstance(window, str):
        k = np.arange(length, dtype=np.float64)
        if window == "hann":
            w = 0.5 - 0.5 * np.cos(2.0 * np.pi * k / length)
        elif window == "hamming":
            w = 0.54 - 0.46 * np.cos(2.0 * np.pi * k / length)
        else:
            raise OpError("stft", f"window must be 'hann', 'hamming', a tensor or None, got {window!r}")
        return as_tensor_like(w.astype(like.dtype), like)
    from .elementwise import astype

    w = window if isinstance(window, Tensor) else as_tensor_like(np.asarray(window), like)
    if w.ndim != 1 or w.shape[0] != length:
        raise OpError("stft", f"the window must have shape ({length},), got {w.shape}", shapes=(w.shape,))
    return astype(w, like.dtype) if w.dtype != like.dtype else w


def _pad_window(w: Tensor, n: int) -> Tensor:
    from .arrange import pad

    left = (n - w.shape[0]) // 2
    return pad(w, ((left, n - w.shape[0] - left),))


def stft(x: Tensor, frame_length: int, frame_step: int, fft_length: int, window: Any = "hann",
         center: bool = True) -> Tuple[Tensor, Tensor]:
    """The short-time Fourier transform of the last axis, as ``torch.stft``: when ``center``, ``x`` is
    reflect-padded by ``fft_length // 2`` on both sides; frames of ``fft_length`` samples every
    ``frame_step`` are multiplied by the window (``frame_length`` long, zero-padded to ``fft_length`` in the
    middle) and ``rfft``-ed. Shape: (..., n) -> 2 x (..., frames, fft_length // 2 + 1)."""
    from .arrange import pad
    from .elementwise import multiply

    if fft_length < frame_length:
        raise OpError("stft", f"fft_length ({fft_length}) must be >= frame_length ({frame_length})",
                      shapes=(x.shape,))
    if center:
        p = fft_length // 2
        x = pad(x, ((0, 0),) * (x.ndim - 1) + ((p, p),), mode="reflect")
    frames = frame(x, fft_length, frame_step)
    w = stft_window(window, frame_length, x)
    if w is not None:
        frames = multiply(frames, _pad_window(w, fft_length))
    elif frame_length < fft_length:
        ones = as_tensor_like(np.ones((frame_length,), dtype=x.dtype), x)
        frames = multiply(frames, _pad_window(ones, fft_length))
    return rfft(frames, fft_length)


def istft(re: Tensor, im: Tensor, frame_length: int, frame_step: int, fft_length: int,
          length: Optional[int] = None, window: Any = "hann", center: bool = True) -> Tensor:
    """The inverse of :func:`stft` as Keras computes it (its reference and TensorFlow backend; PyTorch's
    ``torch.istft`` agrees away from the ends): frames are ``irfft``-ed, multiplied by the window divided by
    its squared sum folded at ``frame_step`` (the steady-state overlap envelope), overlap-added, and sliced
    to ``length`` samples (or without the centre padding of ``fft_length // 2`` at both ends).
    Shapes: 2 x (..., frames, bins) -> (..., samples)."""
    from .arrange import pad, slice_axis, tile
    from .elementwise import divide, multiply, square
    from .reduce import sum as _sum
    from .shape import reshape

    _check_pair("istft", re, im)
    if re.ndim < 2:
        raise OpError("istft", "the input must have rank >= 2 (frames, bins)", shapes=(re.shape,))
    frames = irfft(re, im, fft_length)  # (..., T, fft_length)
    t = frames.shape[-2]
    w = stft_window(window, frame_length, frames)
    expected = fft_length + frame_step * (t - 1)
    if w is not None:
        wp = _pad_window(w, fft_length)
        overlaps = -(-fft_length // frame_step)
        denom = pad(square(wp), ((0, overlaps * frame_step - fft_length),))
        denom = _sum(reshape(denom, (overlaps, frame_step)), axis=0, keepdims=True)
        denom = reshape(tile(denom, (overlaps, 1)), (overlaps * frame_step,))
        frames = multiply(frames, divide(wp, slice_axis(denom, 0, 0, fft_length)))
    y = overlap_add(frames, frame_step)
    start = 0 if not center else fft_length // 2
    n = y.shape[-1]
    if length is not None:
        end = start + length
    elif center:
        end = n - fft_length // 2
    else:
        end = expected
    return slice_axis(y, -1, min(start, n), max(min(end, n), min(start, n)))


# -- 2-D framing: im2col / col2im ----------------------------------------------------------------------

def _pair2(v: Any, what: str) -> Tuple[int, int]:
    t = (int(v), int(v)) if isinstance(v, (int, np.integer)) else tuple(int(i) for i in v)
    if len(t) != 2:
        raise OpError("unfold", f"{what} must be an int or a pair of ints, got {v!r}")
    return t  # type: ignore[return-value]


def _block_index(hp: int, wp: int, k: Tuple[int, int], d: Tuple[int, int], s: Tuple[int, int]) -> Tuple[Any, int, int]:
    """Flat indices into an (hp, wp) plane of every block element: (kh * kw, L), block-major as PyTorch."""
    oh = (hp - d[0] * (k[0] - 1) - 1) // s[0] + 1
    ow = (wp - d[1] * (k[1] - 1) - 1) // s[1] + 1
    ki = (np.arange(k[0])[:, None] * d[0] * wp + np.arange(k[1])[None, :] * d[1]).reshape(-1, 1)
    li = (np.arange(max(oh, 0))[:, None] * s[0] * wp + np.arange(max(ow, 0))[None, :] * s[1]).reshape(1, -1)
    return (ki + li).astype(np.int64), oh, ow


def unfold(x: Tensor, kernel_size: Any, dilation: Any = 1, padding: Any = 0, stride: Any = 1) -> Tensor:
    """Sliding blocks of a channels-first image batch (im2col, as ``torch.nn.functional.unfold``): each
    column holds one block, channel-major. Shape: (N, C, H, W) -> (N, C * kh * kw, L)."""
    from .arrange import pad
    from .index import take
    from .shape import reshape

    if not isinstance(x, Tensor) or x.ndim != 4:
        raise OpError("unfold", f"expected a 4-D (N, C, H, W) tensor, got shape {getattr(x, 'shape', None)}")
    k, d = _pair2(kernel_size, "kernel_size"), _pair2(dilation, "dilation")
    p, st = _pair2(padding, "padding"), _pair2(stride, "stride")
    n, c, h, w = x.shape
    if p != (0, 0):
        x = pad(x, ((0, 0), (0, 0), (p[0], p[0]), (p[1], p[1])))
    hp, wp = h + 2 * p[0], w + 2 * p[1]
    idx, oh, ow = _block_index(hp, wp, k, d, st)
    if oh < 1 or ow < 1:
        raise OpError("unfold", f"the {k} kernel (dilation {d}) does not fit the padded {hp}x{wp} input",
                      shapes=((n, c, h, w),))
    blocks = take(reshape(x, (n, c, hp * wp)), as_tensor_like(idx, x), axis=2)  # (N, C, kh*kw, L)
    return reshape(blocks, (n, c * k[0] * k[1], oh * ow))


def fold(x: Tensor, output_size: Any, kernel_size: Any, dilation: Any = 1, padding: Any = 0,
         stride: Any = 1) -> Tensor:
    """The adjoint of :func:`unfold` (col2im, as ``torch.nn.functional.fold``): blocks summed into an image,
    overlaps adding up. Shape: (N, C * kh * kw, L) -> (N, C, oh, ow)."""
    from ..creation import zeros
    from .arrange import slice as _slice
    from .index import scatter_add
    from .shape import broadcast_to, reshape

    if not isinstance(x, Tensor) or x.ndim != 3:
        raise OpError("fold", f"expected a 3-D (N, C * kh * kw, L) tensor, got shape {getattr(x, 'shape', None)}")
    k, d = _pair2(kernel_size, "kernel_size"), _pair2(dilation, "dilation")
    p, st = _pair2(padding, "padding"), _pair2(stride, "stride")
    out = _pair2(output_size, "output_size")
    n, ckk, nblocks = x.shape
    if ckk % (k[0] * k[1]):
        raise OpError("fold", f"the second dimension ({ckk}) must be divisible by the kernel size product "
                              f"({k[0] * k[1]})", shapes=(x.shape,))
    c = ckk // (k[0] * k[1])
    hp, wp = out[0] + 2 * p[0], out[1] + 2 * p[1]
    idx, oh, ow = _block_index(hp, wp, k, d, st)
    if oh * ow != nblocks:
        raise OpError("fold", f"expected {oh * ow} blocks for output_size {out}, kernel {k}, dilation {d}, "
                              f"padding {p}, stride {st}; got {nblocks}", shapes=(x.shape,))
    kk = k[0] * k[1]
    flat_idx = broadcast_to(reshape(as_tensor_like(idx, x), (1, 1, kk * nblocks)), (n, c, kk * nblocks))
    base = zeros((n, c, hp * wp), dtype=x.dtype, device=x.device)
    img = reshape(scatter_add(base, flat_idx, reshape(x, (n, c, kk * nblocks)), axis=2), (n, c, hp, wp))
    if p != (0, 0):
        img = _slice(img, (0, 0, p[0], p[1]), (n, c, p[0] + out[0], p[1] + out[1]))
    return img
