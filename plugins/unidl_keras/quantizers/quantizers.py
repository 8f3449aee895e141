"""Quantizers and quantization functions of ``keras.quantizers`` (Keras 3.15): abs-max int8/int4
quantization (per axis, or grouped with zero points), int4 nibble packing, float8 scaling and
quantize-dequantize, fake quantization with min/max variables, GPTQ's scale/zero computation.

Everything here is written with the face's ops (which run the core's kernels); the int4 nibble
arithmetic uses the core's bitwise ops and float8 rounding the core's ``float8_round``.
``to_numpy=True`` (Keras: compute on the host to save device memory) gives the same values.
"""
from __future__ import annotations

import math
from typing import Any, Optional, Tuple

import unidl

from .. import ops
from ..backend import config as _config
from ..backend.keras_tensor import KerasTensor
from .gptq_config import GPTQConfig

_EPS = 1e-7  # keras.config.epsilon() default, as Keras binds it at import


def _std(dtype: Any) -> str:
    return _config.standardize_dtype(dtype)


def _tensor(x: Any) -> Any:
    return ops.convert_to_tensor(x)


class Quantizer:
    """Base class of quantizers: ``__call__(x)`` returns the quantized input (here: ``x``)."""

    def __init__(self, output_dtype: str = "int8") -> None:
        self.output_dtype = output_dtype

    def __call__(self, x: Any) -> Any:
        """Compute a quantized output from an input tensor."""
        return x

    @classmethod
    def from_config(cls, config: dict) -> "Quantizer":
        return cls(**config)

    def get_config(self) -> dict:
        raise NotImplementedError(f"{self} does not implement get_config()")


def abs_max_quantize(inputs: Any, axis: Any, value_range: Tuple[int, int] = (-127, 127), dtype: str = "int8",
                     epsilon: float = _EPS, to_numpy: bool = False) -> Tuple[Any, Any]:
    """``(round(x * scale) clipped to value_range, as dtype; scale)`` with
    ``scale = value_range[1] / (max(|x|, axis, keepdims) + epsilon)`` in x's float dtype."""
    inputs = _tensor(inputs)
    orig = _std(inputs.dtype)
    if isinstance(axis, list):
        axis = tuple(axis)
    amax = ops.max(ops.abs(inputs), axis=axis, keepdims=True)
    scale = ops.divide(value_range[1], ops.add(amax, epsilon))
    if orig.startswith(("float", "bfloat")):
        scale = ops.cast(scale, orig)
    outputs = ops.multiply(inputs, scale)
    outputs = ops.clip(ops.round(outputs), value_range[0], value_range[1])
    return ops.cast(outputs, dtype), scale


def abs_max_quantize_grouped_with_zero_point(inputs: Any, block_size: int, value_range: Tuple[int, int] = (-8, 7),
                                             dtype: str = "int8", epsilon: float = _EPS,
                                             to_numpy: bool = False) -> Tuple[Any, Any, Any]:
    """Asymmetric quantization of a 2-D ``(input_dim, output_dim)`` tensor in groups of ``block_size`` rows.

    Returns ``(quantized (input_dim, output_dim) as dtype, scale (n_groups, output_dim),
    zero_point (n_groups, output_dim) int8)`` with ``n_groups = ceil(input_dim / block_size)``;
    ``q = clip(round(x / scale) + zero_point, *value_range)``.
    """
    inputs = _tensor(inputs)
    orig = _std(inputs.dtype)
    if inputs.ndim != 2:
        raise ValueError(f"abs_max_quantize_grouped_with_zero_point expects a 2-D (input_dim, output_dim) "
                         f"tensor, received shape {tuple(inputs.shape)}")
    input_dim, output_dim = inputs.shape
    n_groups = math.ceil(input_dim / block_size)
    qmin, qmax = value_range
    padded = n_groups * block_size
    x = inputs
    if padded > input_dim:
        x = ops.concatenate([x, ops.zeros((padded - input_dim, output_dim), dtype=orig)], axis=0)
    x = ops.reshape(x, (n_groups, block_size, output_dim))
    min_val = ops.min(x, axis=1, keepdims=True)
    max_val = ops.max(x, axis=1, keepdims=True)
    scale = ops.divide(ops.add(ops.subtract(max_val, min_val), epsilon), qmax - qmin)
    zero = ops.clip(ops.add(ops.round(ops.divide(ops.negative(min_val), scale)), qmin), qmin, qmax)
    q = ops.clip(ops.add(ops.round(ops.divide(x, scale)), zero), qmin, qmax)
    q = ops.reshape(ops.cast(q, dtype), (padded, output_dim))[:input_dim, :]
    scale = ops.cast(ops.squeeze(scale, axis=1), orig)
    zero = ops.cast(ops.squeeze(zero, axis=1), "int8")
    return q, scale, zero


class AbsMaxQuantizer(Quantizer):
    """Abs-max quantizer: ``__call__(x, axis=None)`` returns ``abs_max_quantize(x, axis, ...)``.

    Args:
        axis: default reduction axis (deprecated in Keras; pass it to ``__call__``); -1 when neither is set.
        value_range: ``(min, max)`` of the integer range, default (-127, 127).
        epsilon: added to the abs-max; output_dtype: dtype of the quantized values (default int8).
    """

    def __init__(self, axis: Any = None, value_range: Tuple[int, int] = (-127, 127), epsilon: float = _EPS,
                 output_dtype: str = "int8") -> None:
        Quantizer.__init__(self, output_dtype=output_dtype)
        if axis is not None:
            self.axis = (axis,) if isinstance(axis, int) else tuple(axis)
        else:
            self.axis = None
        # a tuple, as Keras's own configs hold it (a JSON round trip gives a list back)
        self.value_range = tuple(value_range)
        self.epsilon = epsilon
        if output_dtype == "int8" and (value_range[0] < -128 or value_range[1] > 127):
            raise ValueError("Quantizer with output_dtype='int8' requires value_range to be within the interval "
                             f"[-128, 127]. Received: value_range={value_range}")

    def __call__(self, x: Any, axis: Any = None, to_numpy: bool = False) -> Tuple[Any, Any]:
        if axis is None:
            axis = self.axis
        if axis is None:
            axis = -1
        return abs_max_quantize(x, axis, self.value_range, self.output_dtype, self.epsilon, to_numpy)

    def get_config(self) -> dict:
        cfg = {"value_range": self.value_range, "epsilon": self.epsilon, "output_dtype": self.output_dtype}
        if self.axis is not None:
            cfg["axis"] = self.axis
        return cfg


# -- fake quantization -------------------------------------------------------------------------------------

def adjust_and_nudge(min_range: Any, max_range: Any, num_bits: int, narrow_range: bool) -> Tuple[Any, Any, Any, Any]:
    """The nudged ``(min, max, scale, inverse scale)`` of a fake-quantization range (TF's algorithm)."""
    dt = "float64" if _std(min_range.dtype) == "float64" else "float32"
    min_range = ops.cast(min_range, dt)
    max_range = ops.cast(max_range, dt)
    quant_max = (1 << num_bits) - 1
    quant_min = 1 if narrow_range else 0
    diff = ops.subtract(max_range, min_range)
    scale = ops.divide(diff, quant_max - quant_min)
    inv_scale = ops.divide(quant_max - quant_min, diff)
    zero_point = ops.clip(ops.subtract(quant_min, ops.divide(min_range, scale)), quant_min, quant_max)
    nudged_zero = ops.round(zero_point)
    nudged_min = ops.multiply(ops.subtract(quant_min, nudged_zero), scale)
    nudged_max = ops.multiply(ops.subtract(quant_max, nudged_zero), scale)
    return nudged_min, nudged_max, scale, inv_scale


def fake_quant_with_min_max_vars(inputs: Any, min_vals: Any, max_vals: Any, num_bits: int = 8,
                                 narrow_range: bool = False, axis: Optional[int] = None) -> Any:
    """Per-tensor (``axis=None``) or per-channel fake quantization of ``inputs`` into
    ``[min_vals, max_vals]`` on ``2**num_bits`` levels; gradients flow to inputs inside the range and to
    ``min_vals`` / ``max_vals`` from the clipped elements."""
    if isinstance(inputs, KerasTensor):
        return KerasTensor(inputs.shape, dtype=inputs.dtype)
    x = _tensor(inputs)
    min_val = _tensor(min_vals)
    max_val = _tensor(max_vals)
    num_bits = int(num_bits)
    if axis is not None:
        axis = axis + x.ndim if axis < 0 else axis
    dtype = _std(x.dtype)
    with unidl.autograd.pause():
        nudged_min, nudged_max, scale, inv_scale = adjust_and_nudge(min_val, max_val, num_bits, narrow_range)
        quant_zero = ops.floor(ops.add(ops.multiply(ops.negative(nudged_min), inv_scale), 0.5))
        clamped = ops.clip(ops.cast(x, nudged_min.dtype), nudged_min, nudged_max)
        shifted = ops.subtract(clamped, nudged_min)
        result = ops.multiply(ops.floor(ops.add(ops.subtract(ops.multiply(shifted, inv_scale), quant_zero), 0.5)),
                              scale)
        result = ops.cast(result, dtype)
        inside = ops.logical_and(ops.greater_equal(x, nudged_min), ops.less_equal(x, nudged_max))
        below = ops.less_equal(x, nudged_min)
        above = ops.greater_equal(x, nudged_max)
    axes = None if axis is None else [i for i in range(x.ndim) if i != axis]

    def grad(g: Any) -> tuple:
        zero = ops.zeros_like(g)
        dx = ops.where(inside, g, zero)
        gmin = ops.reshape(ops.sum(ops.where(below, g, zero), axis=axes), tuple(min_val.shape))
        gmax = ops.reshape(ops.sum(ops.where(above, g, zero), axis=axes), tuple(max_val.shape))
        return dx, gmin, gmax

    return unidl.ops.attach_gradient(result, (x, min_val, max_val), grad)


# -- float8 -----------------------------------------------------------------------------------------------

def compute_float8_scale(amax: Any, scale: Any, dtype_max: Any, margin: int = 0) -> Any:
    """The next float8 scale from the history's amax (unchanged where amax is 0 or not finite)."""
    amax, scale = _tensor(amax), _tensor(scale)
    return unidl.ops.float8_scale(amax, scale, _tensor(dtype_max) if not isinstance(dtype_max, (int, float))
                                  else dtype_max, margin)


def compute_float8_amax_history(x: Any, amax_history: Any) -> Any:
    """``amax_history`` rolled left by one with ``max(|x|)`` at index 0."""
    return unidl.ops.float8_amax_history(_tensor(x), _tensor(amax_history))


def quantize_and_dequantize(inputs: Any, scale: Any, quantized_dtype: str, compute_dtype: str) -> Any:
    """``float8(clip(x / scale)) * scale`` in ``compute_dtype`` (``quantized_dtype``: ``'float8_e4m3fn'``
    or ``'float8_e5m2'``)."""
    from unidl.ops.quant import FLOAT8_FORMATS

    if quantized_dtype not in FLOAT8_FORMATS:
        raise ValueError(f"quantize_and_dequantize: unsupported quantized_dtype {quantized_dtype!r}; expected "
                         f"one of {sorted(FLOAT8_FORMATS)}")
    fmax = FLOAT8_FORMATS[quantized_dtype][2]
    s = ops.cast(scale, compute_dtype)
    x = ops.divide(_tensor(inputs), s)
    x = ops.clip(x, -fmax, fmax)
    x = unidl.ops.float8_round(ops.cast(x, compute_dtype), quantized_dtype)
    return ops.multiply(x, s)


# -- int4 packing -----------------------------------------------------------------------------------------

def pack_int4(arr: Any, axis: int = 0, dtype: str = "int8") -> Tuple[Any, tuple, int]:
    """Packs int4 values (int8/uint8 tensor in [-8, 7]) two per byte along ``axis``: the first of each
    pair in the low nibble, the second in the high one (an odd length is padded with 0).

    Returns ``(packed, packed_shape, original_length)``.
    """
    if dtype not in ("int8", "uint8"):
        raise ValueError(f"Expected dtype to be 'int8' or 'uint8', but got '{dtype}'.")
    arr = _tensor(arr)
    if _std(arr.dtype) != dtype:
        raise TypeError(f"Expected {dtype} tensor for packing, got {_std(arr.dtype)}.")
    rank = arr.ndim
    if axis < 0:
        axis += rank
    x = ops.moveaxis(arr, axis, 0) if axis else arr
    n = x.shape[0]
    if n % 2 == 1:
        x = ops.concatenate([x, ops.zeros((1,) + tuple(x.shape[1:]), dtype=dtype)], axis=0)
    u = unidl.ops
    low = u.bitwise_and(x[::2], 0x0F)
    high = u.bitwise_and(x[1::2], 0x0F)
    packed = u.bitwise_or(low, u.left_shift(high, 4)).astype(dtype)
    if axis:
        packed = ops.moveaxis(packed, 0, axis)
    return packed, tuple(packed.shape), n


def unpack_int4(packed: Any, orig_len: int, axis: int = 0, dtype: str = "int8") -> Any:
    """Inverse of :func:`pack_int4`: the values along ``axis`` (length ``orig_len``), sign-extended for
    ``dtype='int8'`` (nibbles read as [-8, 7]) or as [0, 15] for ``'uint8'``."""
    if dtype not in ("int8", "uint8"):
        raise ValueError(f"Expected dtype to be 'int8' or 'uint8', but got '{dtype}'.")
    packed = _tensor(packed)
    if _std(packed.dtype) not in ("int8", "uint8"):
        raise TypeError(f"Expected int8 or uint8 tensor for unpacking, got {packed.dtype}")
    rank = packed.ndim
    if axis < 0:
        axis += rank
    x = ops.moveaxis(packed, axis, 0) if axis else packed
    u = unidl.ops
    low = u.bitwise_and(x, 0x0F)
    high = u.bitwise_and(u.right_shift(x, 4), 0x0F)
    if dtype == "int8":
        low = u.subtract(u.bitwise_xor(low, 8), 8)
        high = u.subtract(u.bitwise_xor(high, 8), 8)
    low, high = low.astype(dtype), high.astype(dtype)
    out = ops.reshape(ops.stack([low, high], axis=1), (-1,) + tuple(x.shape[1:]))[:orig_len]
    if axis:
        out = ops.moveaxis(out, 0, axis)
    return out


# -- GPTQ ---------------------------------------------------------------------------------------------------

class GPTQQuantizer(Quantizer):
    """Finds GPTQ scales and zero points (``find_params``) for a weight matrix with a GPTQConfig's
    weight bits, per-channel, symmetric and group-size settings."""

    def __init__(self, config: Any = None, compute_dtype: str = "float32") -> None:
        Quantizer.__init__(self)
        if config is None:
            config = GPTQConfig(tokenizer=None, dataset=None)
        self.weight_bits = config.weight_bits
        self.per_channel = config.per_channel
        self.symmetric = config.symmetric
        self.group_size = config.group_size
        self.compute_dtype = compute_dtype
        self.scale = None
        self.zero = None
        self.maxq = None

    def find_params(self, input_tensor: Any) -> Tuple[Any, Any, Any]:
        self.scale, self.zero, self.maxq = compute_quantization_parameters(
            input_tensor, bits=self.weight_bits, symmetric=self.symmetric, per_channel=self.per_channel,
            group_size=self.group_size, compute_dtype=self.compute_dtype)
        return self.scale, self.zero, self.maxq

    def get_config(self) -> dict:
        return {"output_dtype": self.output_dtype, "weight_bits": self.weight_bits,
                "per_channel": self.per_channel, "symmetric": self.symmetric, "group_size": self.group_size}

    @classmethod
    def from_config(cls, config: dict) -> "GPTQQuantizer":
        return cls(GPTQConfig(tokenizer=None, dataset=None, weight_bits=config["weight_bits"],
                              per_channel=config["per_channel"], symmetric=config["symmetric"],
                              group_size=config["group_size"]))


def compute_quantization_parameters(x: Any, *, bits: int, symmetric: bool = False, per_channel: bool = False,
                                    group_size: int = -1, compute_dtype: str = "float32", epsilon: float = 0.0,
                                    signed: bool = False) -> Tuple[Any, Any, Any]:
    """Scale and zero point of a ``(out_features, in_features)`` weight: per tensor, per channel, or per
    group of ``group_size`` input columns. Returns ``(scale, zero (int8 if signed else uint8), maxq)``;
    scale/zero are ``(out_features, n_groups)`` (``(out_features, 1)`` without groups)."""
    if x is None:
        raise ValueError(f"Input tensor {x} cannot be None.")
    x = _tensor(x)
    if x.ndim < 2:
        raise ValueError(f"Input weight tensor {x} must have a rank of at least 2, but got rank {x.ndim}.")
    if x.size == 0:
        raise ValueError("Input tensor 'x' cannot be empty.")
    out_features, in_features = x.shape[0], x.shape[1]
    n_groups = (in_features + group_size - 1) // group_size if per_channel and group_size > 0 else 1
    if n_groups > 1:
        rem = in_features % group_size
        if rem:
            x = ops.pad(x, [[0, 0], [0, group_size - rem]], constant_values=0.0)
        xg = ops.reshape(x, [out_features, n_groups, group_size])
        min_v, max_v = ops.min(xg, axis=2), ops.max(xg, axis=2)
    else:
        xr = ops.reshape(x, [out_features, -1] if per_channel else [1, -1])
        min_v, max_v = ops.min(xr, axis=1), ops.max(xr, axis=1)
    if symmetric:
        max_abs = ops.maximum(ops.abs(min_v), max_v)
        min_v = ops.where(ops.less(min_v, 0), ops.negative(max_abs), min_v)
        max_v = max_abs
    same = ops.equal(min_v, max_v)
    min_v = ops.where(same, ops.subtract(min_v, 1), min_v)
    max_v = ops.where(same, ops.add(max_v, 1), max_v)
    maxq = ops.cast(2 ** bits - 1, compute_dtype)
    rng = ops.subtract(max_v, min_v)
    if epsilon > 0:
        rng = ops.add(rng, epsilon)
    scale = ops.divide(rng, maxq)
    scale = ops.where(ops.less_equal(scale, 0), 1e-8, scale)
    if signed:
        qmin, qmax = -(2 ** (bits - 1)), 2 ** (bits - 1) - 1
        if symmetric:
            zero = ops.full_like(scale, (2 ** bits) / 2 + qmin)
        else:
            zero = ops.add(ops.round(ops.divide(ops.negative(min_v), scale)), qmin)
        zero = ops.clip(zero, qmin, qmax)
    elif symmetric:
        zero = ops.full_like(scale, (2 ** bits) / 2)
    else:
        zero = ops.round(ops.divide(ops.negative(min_v), scale))
    if n_groups == 1:
        if per_channel:
            scale, zero = ops.reshape(scale, [-1, 1]), ops.reshape(zero, [-1, 1])
        else:
            scale = ops.tile(ops.reshape(scale, (1, 1)), (out_features, 1))
            zero = ops.tile(ops.reshape(zero, (1, 1)), (out_features, 1))
    return scale, ops.cast(zero, "int8" if signed else "uint8"), maxq


def quantize_with_zero_point(input_tensor: Any, scale: Any, zero: Any, maxq: Any) -> Any:
    """``clip(round(x / scale + zero), 0, maxq)`` (a zero scale read as 1e-8)."""
    scale = _tensor(scale)
    safe = ops.where(ops.equal(scale, 0), ops.cast(1e-8, scale.dtype), scale)
    q = ops.round(ops.add(ops.divide(input_tensor, safe), ops.cast(zero, scale.dtype)))
    return ops.clip(q, 0, maxq)


def dequantize_with_zero_point(input_tensor: Any, scale: Any, zero: Any) -> Any:
    """``scale * (q - zero)``."""
    scale = _tensor(scale)
    return ops.multiply(scale, ops.subtract(input_tensor, ops.cast(zero, scale.dtype)))


def quantize_with_sz_map(weights_matrix: Any, scale: Any, zero: Any, g_idx: Any, maxq: Any,
                         group_axis: int = -1) -> Any:
    """:func:`quantize_with_zero_point` with each position's group parameters taken by ``g_idx``."""
    groups = ops.cast(g_idx, "int32")
    return quantize_with_zero_point(weights_matrix, ops.take(scale, groups, axis=group_axis),
                                    ops.take(zero, groups, axis=group_axis), maxq)


def dequantize_with_sz_map(weights_matrix: Any, scale: Any, zero: Any, g_idx: Any, group_axis: int = -1) -> Any:
    """``(q - zero[g]) * scale[g]`` with each position's group ``g = g_idx[i]`` along ``group_axis``."""
    groups = ops.cast(g_idx, "int32")
    s = ops.take(scale, groups, axis=group_axis)
    z = ops.cast(ops.take(zero, groups, axis=group_axis), s.dtype)
    return ops.multiply(ops.subtract(weights_matrix, z), s)
