"""``keras.ops`` math extras: logsumexp, top_k, in_top_k, segment reductions, erf/erfc/erfinv, rsqrt,
norm, logdet, cdist, extract_sequences and the Fourier transforms (fft, fft2, ifft2, rfft, irfft, stft,
istft) on :mod:`unidl.ops.spectral`; complex values are ``(real, imag)`` pairs as in Keras's API.

Ops whose output shape is value-dependent or partly unknown (segment reductions without ``num_segments``,
the FFTs) state their symbolic output with a spec function (Keras's ``compute_output_spec`` checks and
messages); their op classes (``SegmentSum(num_segments)``, ``RFFT(fft_length)``, ``STFT(...)``) keep
Keras's constructor arguments as attributes."""
from __future__ import annotations

from typing import Any, List, Optional, Tuple

import numpy as np

from unidl import ops as U
from unidl.tensor import Tensor

from ..backend import config
from ..backend.keras_tensor import KerasTensor
from . import _dtypes
from ._dtypes import float_of, to_tensor
from .node import symbolic
from .operation import Operation

__all__: List[str] = []


def _export(fn):
    __all__.append(fn.__name__)
    return symbolic(fn)


@_export
def logsumexp(x: Any, axis: Any = None, keepdims: bool = False) -> Tensor:
    """``log(sum(exp(x)))`` over ``axis``, computed stably."""
    return U.logsumexp(float_of(to_tensor(x)), axis=axis, keepdims=keepdims)


@_export
def erf(x: Any) -> Tensor:
    """The error function."""
    return U.erf(float_of(to_tensor(x)))


@_export
def rsqrt(x: Any) -> Tensor:
    """``1 / sqrt(x)``."""
    return U.reciprocal(U.sqrt(float_of(to_tensor(x))))


@_export
def norm(x: Any, ord: Any = None, axis: Any = None, keepdims: bool = False) -> Tensor:  # noqa: A002
    """Vector norm (2-norm by default; ``ord`` as NumPy for vectors) over ``axis`` (all when None)."""
    x = float_of(to_tensor(x))
    if ord in (None, "euclidean", 2) and (axis is None or isinstance(axis, int) or len(axis) <= 2):
        if axis is None or isinstance(axis, int) or len(axis) == 1 or ord is None or ord == "euclidean":
            return U.sqrt(U.sum(U.square(x), axis=axis, keepdims=keepdims))
    if ord == "fro":
        return U.sqrt(U.sum(U.square(x), axis=axis, keepdims=keepdims))
    return U.norm(x, ord=ord, axis=axis, keepdims=keepdims)


@_export
def top_k(x: Any, k: int, sorted: bool = True) -> Tuple[Tensor, Tensor]:  # noqa: A002
    """The ``k`` largest entries of the last axis and their int32 indices (ties: lower index first).
    Shape: (..., n) -> (..., k), (..., k)."""
    x = to_tensor(x)
    it = U.slice_axis(U.argsort(x, -1, descending=True), -1, 0, int(k))
    return U.take_along_axis(x, it, -1), U.astype(it, "int32")


@_export
def in_top_k(targets: Any, predictions: Any, k: int) -> Tensor:
    """Whether each ``targets[i]`` is among the ``k`` highest ``predictions[i]``. Shapes: (B,), (B, C) -> (B,)."""
    p = to_tensor(predictions)
    t = U.astype(to_tensor(targets), "int64")
    score = U.take_along_axis(p, U.expand_dims(t, -1), -1)
    # as Keras (torch backend): a NaN prediction ranks above every number, and a NaN target score is
    # never in the top k (comparisons with NaN are false)
    above = U.greater(p, score)
    if _dtypes.is_floating(p.dtype):
        above = U.logical_or(above, U.isnan(p))
    higher = U.sum(U.astype(above, "int32"), axis=-1)
    hit = U.less(higher, int(k))
    if _dtypes.is_floating(p.dtype):
        hit = U.logical_and(hit, U.logical_not(U.isnan(U.squeeze(score, -1))))
    return hit


# -- segment reductions -----------------------------------------------------------------------------

def _segment_check(data: Any, segment_ids: Any) -> None:
    ds, ss = tuple(np.shape(data) if not hasattr(data, "shape") else data.shape), \
        tuple(np.shape(segment_ids) if not hasattr(segment_ids, "shape") else segment_ids.shape)
    if len(ss) > 1:
        raise ValueError(f"Argument `segment_ids` should be an 1-D vector, got shape: {len(ss)}. Consider either "
                         "flatten input with segment_ids.reshape((-1)) and "
                         "data.reshape((-1, ) + data.shape[len(segment_ids.shape):]) or vectorize with vmap.")
    if ss and ds and ss[0] is not None and ds[0] is not None and ss[0] != ds[0]:
        raise ValueError("Argument `segment_ids` and `data` should have same leading dimension. "
                         f"Got {ss} v.s. {ds}.")


def _segment_spec(data: Any, segment_ids: Any, num_segments: Optional[int] = None, sorted: bool = False) -> KerasTensor:  # noqa: A002
    _segment_check(data, segment_ids)
    return KerasTensor((num_segments,) + tuple(data.shape[1:]), dtype=_dtype_name(data))


def _segment_reduce(kind: str, data: Any, segment_ids: Any, num_segments: Optional[int]) -> Tensor:
    _segment_check(data, segment_ids)
    data = to_tensor(data)
    ids = to_tensor(segment_ids)
    if num_segments is None:  # value-dependent output size: read on the host
        num_segments = int(ids.numpy().max()) + 1 if ids.size else 0
    return U.segment_reduce(data, ids, int(num_segments), kind)


def _segment_op(kind: str) -> Any:
    def op(data: Any, segment_ids: Any, num_segments: Optional[int] = None, sorted: bool = False) -> Tensor:  # noqa: A002
        return _segment_reduce(kind, data, segment_ids, num_segments)

    op.__name__ = op.__qualname__ = f"segment_{kind}"
    op.__doc__ = (f"The {kind} of ``data`` rows per segment id. Shapes: (N, ...), (N,) -> (num_segments, ...).\n\n"
                  "``num_segments`` defaults to ``max(segment_ids) + 1`` (read on the host); rows whose id is "
                  "negative or not below ``num_segments`` are dropped; empty segments hold "
                  + {"sum": "0.", "max": "-inf (an integer dtype's lowest value).",
                     "min": "+inf (an integer dtype's highest value).", "prod": "1."}[kind])
    __all__.append(op.__name__)
    return symbolic(op, _segment_spec)


segment_sum = _segment_op("sum")
segment_max = _segment_op("max")
segment_min = _segment_op("min")
segment_prod = _segment_op("prod")


# -- framing ------------------------------------------------------------------------------------------

def _dtype_name(x: Any) -> str:
    return config.standardize_dtype(getattr(x, "dtype", None) or np.asarray(x).dtype)


def _extract_sequences_spec(x: Any, sequence_length: int, sequence_stride: int) -> KerasTensor:
    shape = tuple(np.shape(x) if not hasattr(x, "shape") else x.shape)
    if len(shape) < 1:
        raise ValueError(f"Input should have rank >= 1. Received: input.shape = {shape}")
    num = None if shape[-1] is None else 1 + (shape[-1] - sequence_length) // sequence_stride
    return KerasTensor(shape[:-1] + (num, sequence_length), dtype=_dtype_name(x))


def _extract_sequences(x: Any, sequence_length: int, sequence_stride: int) -> Tensor:
    """Frames of the last axis. Shape: (..., n) -> (..., 1 + (n - L) // stride, L)."""
    return U.frame(to_tensor(x), int(sequence_length), int(sequence_stride))


extract_sequences = symbolic(_extract_sequences, _extract_sequences_spec)
extract_sequences.__name__ = "extract_sequences"
__all__.append("extract_sequences")


# -- FFTs ---------------------------------------------------------------------------------------------

def _shape_of(x: Any) -> Tuple[Any, ...]:
    return tuple(x.shape) if hasattr(x, "shape") else np.shape(x)


def _complex_spec_check(x: Any, rank: int) -> Tuple[Any, Any]:
    if not isinstance(x, (tuple, list)) or len(x) != 2:
        raise ValueError(f"Input `x` should be a tuple of two tensors - real and imaginary. Received: x={x}")
    real, imag = x
    rs, is_ = _shape_of(real), _shape_of(imag)
    if rs != is_:
        raise ValueError("Input `x` should be a tuple of two tensors - real and imaginary. Both the real and "
                         f"imaginary parts should have the same shape. Received: x[0].shape = {rs}, "
                         f"x[1].shape = {is_}")
    if len(rs) < rank:
        raise ValueError(f"Input should have rank >= {rank}. Received: input.shape = {rs}")
    return real, imag


def _fft_spec_fn(rank: int) -> Any:
    def spec(x: Any) -> Tuple[KerasTensor, KerasTensor]:
        real, imag = _complex_spec_check(x, rank)
        shape = _shape_of(real)
        if rank == 1 and shape[-1] is None:
            raise ValueError(f"Input should have its last dimension fully-defined. Received: input.shape = {shape}")
        if rank == 2 and (shape[-2] is None or shape[-1] is None):
            raise ValueError(f"Input should have its (-2, -1) axes fully-defined. Received: input.shape = {shape}")
        return KerasTensor(shape, dtype=_dtype_name(real)), KerasTensor(shape, dtype=_dtype_name(imag))

    return spec


def _complex_operands(x: Any) -> Tuple[Tensor, Tensor]:
    """``x = (real, imag)`` as two float tensors of one shape (Keras's checks and messages)."""
    if not isinstance(x, (tuple, list)) or len(x) != 2:
        raise ValueError(f"Input `x` should be a tuple of two tensors - real and imaginary.Received: x={x}")
    real, imag = to_tensor(x[0]), to_tensor(x[1])
    if tuple(real.shape) != tuple(imag.shape):
        raise ValueError("Input `x` should be a tuple of two tensors - real and imaginary.Both the real and "
                         f"imaginary parts should have the same shape. Received: x[0].shape = {tuple(real.shape)}, "
                         f"x[1].shape = {tuple(imag.shape)}")
    if not _dtypes.is_floating(real.dtype) or not _dtypes.is_floating(imag.dtype):
        raise ValueError(f"At least one tensor in input `x` is not of type float.Received: x={x}.")
    if real.dtype != imag.dtype:
        real, imag = _dtypes.operands(real, imag)
    return real, imag


def _fft(x: Any) -> Tuple[Tensor, Tensor]:
    """FFT along the last axis of ``x = (real, imag)``; returns ``(real, imag)``."""
    real, imag = _complex_operands(x)
    return U.fft(real, imag, (-1,))


def _fft2(x: Any) -> Tuple[Tensor, Tensor]:
    """2-D FFT over the last two axes of ``x = (real, imag)``; returns ``(real, imag)``."""
    real, imag = _complex_operands(x)
    return U.fft(real, imag, (-2, -1))


def _ifft2(x: Any) -> Tuple[Tensor, Tensor]:
    """2-D inverse FFT (1/n scaled) over the last two axes of ``x = (real, imag)``."""
    real, imag = _complex_operands(x)
    return U.fft(real, imag, (-2, -1), inverse=True)


def _rfft_spec(x: Any, fft_length: Optional[int] = None) -> Tuple[KerasTensor, KerasTensor]:
    shape = _shape_of(x)
    if len(shape) < 1:
        raise ValueError(f"Input should have rank >= 1. Received: input.shape = {shape}")
    if fft_length is not None:
        last = fft_length // 2 + 1
    else:
        last = None if shape[-1] is None else shape[-1] // 2 + 1
    dt = _dtype_name(x)
    return KerasTensor(shape[:-1] + (last,), dtype=dt), KerasTensor(shape[:-1] + (last,), dtype=dt)


def _rfft(x: Any, fft_length: Optional[int] = None) -> Tuple[Tensor, Tensor]:
    """Real FFT along the last axis: ``fft_length // 2 + 1`` bins (the input cropped/zero-padded to
    ``fft_length``, default its length). Returns ``(real, imag)``."""
    return U.rfft(float_of(to_tensor(x)), fft_length)


def _irfft_spec(x: Any, fft_length: Optional[int] = None) -> KerasTensor:
    real, _ = _complex_spec_check(x, 1)
    shape = _shape_of(real)
    if fft_length is not None:
        last = fft_length
    else:
        last = None if shape[-1] is None else 2 * (shape[-1] - 1)
    return KerasTensor(shape[:-1] + (last,), dtype=_dtype_name(real))


def _irfft(x: Any, fft_length: Optional[int] = None) -> Tensor:
    """Inverse real FFT along the last axis of ``x = (real, imag)``: ``fft_length`` samples (default
    ``2 * (bins - 1)``)."""
    real, imag = _complex_operands(x)
    return U.irfft(real, imag, fft_length)


def _check_stride(sequence_stride: Any) -> None:
    if not isinstance(sequence_stride, int) or isinstance(sequence_stride, bool) or sequence_stride <= 0:
        raise ValueError(f"`sequence_stride` must be a positive integer. Received: sequence_stride={sequence_stride}")


def _stft_spec(x: Any, sequence_length: int, sequence_stride: int, fft_length: int, window: Any = "hann",
               center: bool = True) -> Tuple[KerasTensor, KerasTensor]:
    _check_stride(sequence_stride)
    shape = _shape_of(x)
    if shape[-1] is not None:
        padded = 0 if center is False else (fft_length // 2) * 2
        num = 1 + (shape[-1] + padded - fft_length) // sequence_stride
    else:
        num = None
    new = shape[:-1] + (num, fft_length // 2 + 1)
    dt = _dtype_name(x)
    return KerasTensor(new, dtype=dt), KerasTensor(new, dtype=dt)


def _window_check(window: Any, sequence_length: int) -> None:
    if isinstance(window, str):
        if window not in ("hann", "hamming"):
            raise ValueError('If a string is passed to `window`, it must be one of `"hann"`, `"hamming"`. '
                             f"Received: window={window}")
    elif window is not None:
        ws = _shape_of(window)
        if len(ws) != 1 or ws[-1] != sequence_length:
            raise ValueError(f"The shape of `window` must be equal to [sequence_length].Received: window shape={ws}")


def _stft(x: Any, sequence_length: int, sequence_stride: int, fft_length: int, window: Any = "hann",
          center: bool = True) -> Tuple[Tensor, Tensor]:
    """Short-time Fourier transform of the last axis (as Keras's torch backend: reflect padding when
    ``center``, periodic hann/hamming windows). Shape: (..., n) -> 2 x (..., frames, fft_length // 2 + 1)."""
    _check_stride(sequence_stride)
    x = to_tensor(x)
    if config.standardize_dtype(x.dtype) not in ("float32", "float64"):
        raise TypeError(f"Invalid input type. Expected `float32` or `float64`. Received: input type={x.dtype}")
    if fft_length < sequence_length:
        raise ValueError("`fft_length` must equal or larger than `sequence_length`. "
                         f"Received: sequence_length={sequence_length}, fft_length={fft_length}")
    _window_check(window, sequence_length)
    if window is not None and not isinstance(window, str):
        window = _dtypes.cast_to(to_tensor(window), x.dtype)
    return U.stft(x, int(sequence_length), sequence_stride, int(fft_length), window=window, center=bool(center))


def _istft_spec(x: Any, sequence_length: int, sequence_stride: int, fft_length: int, length: Optional[int] = None,
                window: Any = "hann", center: bool = True) -> KerasTensor:
    _check_stride(sequence_stride)
    real, _ = _complex_spec_check(x, 2)
    shape = _shape_of(real)
    if shape[-2] is not None:
        size = (shape[-2] - 1) * sequence_stride + fft_length
        if length is not None:
            size = length
        elif center:
            size = size - (fft_length // 2) * 2
    else:
        size = length
    return KerasTensor(shape[:-2] + (size,), dtype=_dtype_name(real))


def _istft(x: Any, sequence_length: int, sequence_stride: int, fft_length: int, length: Optional[int] = None,
           window: Any = "hann", center: bool = True) -> Tensor:
    """Inverse of :func:`stft` for ``x = (real, imag)`` of shape (..., frames, bins) -> (..., samples)."""
    _check_stride(sequence_stride)
    real, imag = _complex_operands(x)
    _window_check(window, sequence_length)
    if window is not None and not isinstance(window, str):
        window = _dtypes.cast_to(to_tensor(window), real.dtype)
    return U.istft(real, imag, int(sequence_length), sequence_stride, int(fft_length),
                   length=None if length is None else int(length), window=window, center=bool(center))


def _public(fn: Any, name: str, spec: Any) -> Any:
    fn.__name__ = fn.__qualname__ = name
    __all__.append(name)
    return symbolic(fn, spec)


fft = _public(_fft, "fft", _fft_spec_fn(1))
fft2 = _public(_fft2, "fft2", _fft_spec_fn(2))
ifft2 = _public(_ifft2, "ifft2", _fft_spec_fn(2))
rfft = _public(_rfft, "rfft", _rfft_spec)
irfft = _public(_irfft, "irfft", _irfft_spec)
stft = _public(_stft, "stft", _stft_spec)
istft = _public(_istft, "istft", _istft_spec)


# -- other math ----------------------------------------------------------------------------------------

@_export
def erfc(x: Any) -> Tensor:
    """The complementary error function ``1 - erf(x)``."""
    return U.erfc(float_of(to_tensor(x)))


@_export
def erfinv(x: Any) -> Tensor:
    """The inverse error function (NaN outside [-1, 1])."""
    return U.erfinv(float_of(to_tensor(x)))


def _logdet_spec(x: Any) -> KerasTensor:
    return KerasTensor(_shape_of(x)[:-2], dtype=_dtype_name(x))


def _logdet(x: Any) -> Tensor:
    """``log(det(x))`` of square matrices in the last two axes (NaN for a negative determinant).
    Shape: (..., n, n) -> (...)."""
    return U.logdet(float_of(to_tensor(x)))


_logdet.__name__ = "logdet"
logdet = symbolic(_logdet, _logdet_spec)
__all__.append("logdet")


def _cdist_check(xs: Tuple[Any, ...], ys: Tuple[Any, ...]) -> Tuple[Any, ...]:
    if len(xs) < 2 or len(ys) < 2:
        raise ValueError(f"Inputs to `cdist` must have rank >= 2. Received shapes: x.shape={xs}, y.shape={ys}")
    if xs[-1] is not None and ys[-1] is not None and xs[-1] != ys[-1]:
        raise ValueError("The last dimension of inputs to `cdist` must match. "
                         f"Received shapes: x.shape={xs}, y.shape={ys}")
    a, b = xs[:-2], ys[:-2]
    out = []
    for i in range(1, max(len(a), len(b)) + 1):
        da = a[-i] if i <= len(a) else 1
        db = b[-i] if i <= len(b) else 1
        if da == 1:
            out.append(db)
        elif db == 1 or db is None or da is None or da == db:
            out.append(da if db in (1, None) or da == db else None)
        else:
            raise ValueError("Batch dimensions of inputs to `cdist` must be broadcastable. "
                             f"Received shapes: x.shape={xs}, y.shape={ys}")
    return tuple(out[::-1])


def _cdist_spec(x: Any, y: Any) -> KerasTensor:
    xs, ys = _shape_of(x), _shape_of(y)
    batch = _cdist_check(xs, ys)
    return KerasTensor(batch + (xs[-2], ys[-2]), dtype=config.standardize_dtype(_dtypes.result_type(x, y, float)))


def _cdist(x: Any, y: Any) -> Tensor:
    """Euclidean distances between the rows of ``x`` and of ``y``. Shapes: (..., m, d), (..., n, d) -> (..., m, n)."""
    x, y = _dtypes.operands(to_tensor(x), to_tensor(y))
    _cdist_check(tuple(x.shape), tuple(y.shape))
    x, y = float_of(x), float_of(y)
    diff = U.subtract(U.expand_dims(x, -2), U.expand_dims(y, -3))
    return U.sqrt(U.sum(U.square(diff), axis=-1))


_cdist.__name__ = "cdist"
cdist = symbolic(_cdist, _cdist_spec)
__all__.append("cdist")


@_export
def view_as_complex(x: Any) -> Tensor:
    """Not supported: unidl has no complex dtype (the FFT ops take and return ``(real, imag)`` pairs)."""
    raise NotImplementedError("keras.ops.view_as_complex is not supported by the unidl backend: it has no complex "
                              "dtype; keep complex values as (real, imag) pairs (as keras.ops.fft does)")


@_export
def view_as_real(x: Any) -> Tensor:
    """Not supported: unidl has no complex dtype."""
    raise NotImplementedError("keras.ops.view_as_real is not supported by the unidl backend: it has no complex "
                              "dtype; keep complex values as (real, imag) pairs (as keras.ops.fft does)")


# -- op classes with Keras's own constructor arguments ------------------------------------------------

def _op_class(cls_name: str, fn: Any, params: Tuple[Tuple[str, Any], ...], spec: Any) -> type:
    """An op class taking ``params`` (name, default) at construction (kept as attributes) and the tensors at
    the call; ``compute_output_spec`` is ``spec`` (Keras's shape checks)."""
    names = [p for p, _ in params]

    def __init__(self: Any, *args: Any, name: Optional[str] = None, **kwargs: Any) -> None:
        values = dict(params)
        if len(args) > len(names):
            raise TypeError(f"{cls_name}() takes at most {len(names)} positional arguments ({len(args)} given)")
        values.update(zip(names, args))
        for k, v in kwargs.items():
            if k not in values:
                raise TypeError(f"{cls_name}() got an unexpected keyword argument {k!r}")
            values[k] = v
        Operation.__init__(self, name=name, **values)
        for k, v in values.items():
            setattr(self, k, v)

    def compute_output_spec(self: Any, *args: Any, **kwargs: Any) -> Any:
        return spec(*args, **{**self._static_kwargs, **kwargs})

    return type(cls_name, (Operation,), {"_fn": staticmethod(fn), "__init__": __init__,
                                          "compute_output_spec": compute_output_spec, "__module__": __name__,
                                          "__doc__": f"The op class of ``{fn.__name__}``."})


_SEG = (("num_segments", None), ("sorted", False))
SegmentSum = _op_class("SegmentSum", segment_sum, _SEG, _segment_spec)
SegmentMax = _op_class("SegmentMax", segment_max, _SEG, _segment_spec)
SegmentMin = _op_class("SegmentMin", segment_min, _SEG, _segment_spec)
SegmentProd = _op_class("SegmentProd", segment_prod, _SEG, _segment_spec)
ExtractSequences = _op_class("ExtractSequences", extract_sequences,
                             (("sequence_length", None), ("sequence_stride", None)), _extract_sequences_spec)
FFT = _op_class("FFT", fft, (), _fft_spec_fn(1))
FFT2 = _op_class("FFT2", fft2, (), _fft_spec_fn(2))
IFFT2 = _op_class("IFFT2", ifft2, (), _fft_spec_fn(2))
RFFT = _op_class("RFFT", rfft, (("fft_length", None),), _rfft_spec)
IRFFT = _op_class("IRFFT", irfft, (("fft_length", None),), _irfft_spec)
_STFT = (("sequence_length", None), ("sequence_stride", None), ("fft_length", None))
STFT = _op_class("STFT", stft, _STFT + (("window", "hann"), ("center", True)), _stft_spec)
ISTFT = _op_class("ISTFT", istft, _STFT + (("length", None), ("window", "hann"), ("center", True)),
                  _istft_spec)
Logdet = _op_class("Logdet", logdet, (), _logdet_spec)
CDist = _op_class("CDist", cdist, (), _cdist_spec)


def __getattr__(name: str) -> Any:
    # Keras's op classes (``Cast``, ``Cumsum``, ...) exist where the function does
    import sys

    from .operation import op_class

    cls = op_class(sys.modules[__name__], name)
    if cls is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return cls
