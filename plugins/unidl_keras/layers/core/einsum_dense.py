"""``keras.layers.EinsumDense``: a dense layer written as an einsum equation, with Keras 3.15's LoRA and
quantization (int8 / int4 / float8, and the GPTQ / AWQ variable layouts)."""
from __future__ import annotations

import math
import re
import string
from typing import Any, Dict, List, Optional, Sequence, Tuple

import unidl
from unidl import ops

from ... import activations, constraints, initializers, regularizers
from ... import ops as kops
from ..layer import Layer
from ._quantize import (QuantizableMixin, QuantizedKernelSaving, float8_qdq_inputs, float8_qdq_output_grads,
                        int8_product)

_PLAIN = re.compile(r"^([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)$")
_LEFT = re.compile(r"^\.\.\.([a-zA-Z]+),([a-zA-Z]+)->\.\.\.([a-zA-Z]+)$")
_RIGHT = re.compile(r"^([a-zA-Z]{2,})\.\.\.,([a-zA-Z]+)->([a-zA-Z]{2,})\.\.\.$")


def kernel_axes(equation: str) -> Tuple[List[int], List[int]]:
    """(input axes, output axes) of an EinsumDense kernel: a kernel axis named in the output counts as an
    output unit, one named only in the input as an input unit (Keras's ``_analyze_split_string``)."""
    lhs, _, out_spec = equation.partition("->")
    in_spec, _, weight_spec = lhs.partition(",")
    in_axes: List[int] = []
    out_axes: List[int] = []
    for i, ch in enumerate(weight_spec.strip()):
        if ch in out_spec:
            out_axes.append(i)
        elif ch in in_spec:
            in_axes.append(i)
    return in_axes, out_axes


def analyze_einsum(equation: str, bias_axes: Optional[str], input_shape: Sequence[Any], output_shape: Any
                   ) -> Tuple[List[Any], Optional[List[Any]], List[Any]]:
    """(kernel shape, bias shape or None, full output shape) of an EinsumDense.

    ``equation`` is ``"ab,bc->ac"``, ``"...b,bc->...c"`` (leading dims elided) or ``"ab...,bc->ac..."``
    (trailing dims elided); ``output_shape`` excludes the batch dim (None entries follow the input).
    The bias spans the output from its first axis named in ``bias_axes`` to the end, with size 1 on
    the output axes not named.
    """
    eq = equation.replace(" ", "")
    kind = None
    for k, rx in (("plain", _PLAIN), ("left", _LEFT), ("right", _RIGHT)):
        m = rx.match(eq)
        if m:
            kind = k
            break
    if kind is None:
        raise ValueError(f"Invalid einsum equation '{equation}'. Equations must be in the form [X],[Y]->[Z], "
                         "...[X],[Y]->...[Z], or [X]...,[Y]->[Z]....")
    in_spec, w_spec, out_spec = m.group(1), m.group(2), m.group(3)
    input_shape = list(input_shape)
    out = [output_shape] if isinstance(output_shape, int) else list(output_shape)
    elided = len(input_shape) - len(in_spec)
    if elided < 0:
        raise ValueError(f"EinsumDense equation '{equation}' expects inputs of rank {len(in_spec)}, received input "
                         f"shape {tuple(input_shape)}")
    if kind == "plain" and elided:  # as Keras: extra trailing input dims follow into the output
        kind = "right"
    full = [input_shape[0]] + out
    if kind == "left":
        full = [input_shape[0]] + input_shape[1:elided] + out
        in_pos = {c: elided + i for i, c in enumerate(in_spec)}
        out_pos = {c: len(full) - len(out_spec) + i for i, c in enumerate(out_spec)}
    else:
        if kind == "right":
            full = full + input_shape[len(input_shape) - elided:]
        in_pos = {c: i for i, c in enumerate(in_spec)}
        out_pos = {c: i for i, c in enumerate(out_spec)}
    if len(full) < len(out_spec) + elided:  # extra sizes are ignored, as Keras does
        raise ValueError(f"EinsumDense '{equation}': `output_shape` {tuple(out)} must give one size for each output "
                         f"axis after the first ({len(out_spec) - 1} sizes).")
    for c in out_spec:  # output dims shared with the input follow it
        if c in in_pos:
            i_dim, o_dim = input_shape[in_pos[c]], full[out_pos[c]]
            if o_dim is not None and i_dim is not None and o_dim != i_dim and out_pos[c] != 0:
                raise ValueError(f"Input shape and output shape do not match at shared dimension '{c}'. Input shape "
                                 f"is {i_dim}, and output shape is {o_dim}.")
            full[out_pos[c]] = i_dim if o_dim is None or out_pos[c] == 0 else o_dim
        elif c not in w_spec:
            raise ValueError(f"Dimension '{c}' was specified in the output '{out_spec}' but has no corresponding dim "
                             f"in the input spec '{in_spec}' or weight spec '{w_spec}'")
    kernel = []
    for c in w_spec:
        if c in in_pos:
            kernel.append(input_shape[in_pos[c]])
        elif c in out_pos:
            kernel.append(full[out_pos[c]])
        else:
            raise ValueError(f"Weight dimension '{c}' did not have a match in either the input spec '{in_spec}' or "
                             f"the output spec '{out_spec}'. For this layer, the weight must be fully specified.")
    bias = None
    if bias_axes:
        for c in bias_axes:
            if c not in out_spec:
                raise ValueError(f"Bias dimension '{c}' was requested, but is not part of the output spec "
                                 f"'{out_spec}'")
        first = min(out_spec.find(c) for c in bias_axes)
        bias = [full[out_pos[c]] if c in bias_axes else 1 for c in out_spec[first:]]
        if kind == "right":
            bias += [1] * elided
    return kernel, bias, full


def _analyze_einsum_string(equation: str, bias_axes: Optional[str], input_shape: Sequence[Any],
                           output_shape: Any) -> Tuple[List[Any], Optional[List[Any]], List[Any], List[int], List[int]]:
    """Keras's helper: ``(kernel shape, bias shape, full output shape, kernel input axes, kernel output axes)``."""
    kernel, bias, full = analyze_einsum(equation, bias_axes, input_shape, output_shape)
    in_axes, out_axes = kernel_axes(equation)
    return kernel, bias, full, in_axes, out_axes


def _specs(equation: str, ndim: int) -> Tuple[str, str, str]:
    """(input, weight, output) specs with the elided dims named by unused letters."""
    eq = equation.replace(" ", "").replace("...", "0")
    for rx, side in (("^([a-zA-Z]+),([a-zA-Z]+)->([a-zA-Z]+)$", None), ("^0([a-zA-Z]+),([a-zA-Z]+)->0([a-zA-Z]+)$", "left"),
                     ("^([a-zA-Z]{2,})0,([a-zA-Z]+)->([a-zA-Z]+)0$", "right")):
        m = re.match(rx, eq)
        if m is None:
            continue
        i, w, o = m.group(1), m.group(2), m.group(3)
        if side is not None:
            free = sorted(set(string.ascii_letters) - set(i) - set(w) - set(o))
            for k in range(ndim - len(i)):
                i, o = (free[k] + i, free[k] + o) if side == "left" else (i + free[k], o + free[k])
        return i, w, o
    raise ValueError(f"Invalid einsum equation '{equation}'. Equations must be in the form [X],[Y]->[Z], "
                     "...[X],[Y]->...[Z], or [X]...,[Y]->[Z]....")


def _analyze_quantization_info(equation: str, ndim: int) -> tuple:
    """Axes for per-axis quantization of an EinsumDense's inputs and kernel (Keras's
    ``_analyze_quantization_info``): reduced axes, and the transpose / expand / squeeze that bring a
    keepdims scale into the output's layout; plus the einsum of the inputs' gradient."""
    i_spec, w_spec, o_spec = _specs(equation, ndim)
    in_red = [k for k, c in enumerate(i_spec) if c not in o_spec]
    w_red = [k for k, c in enumerate(w_spec) if c not in o_spec]
    in_exp = [k for k, c in enumerate(o_spec) if c not in i_spec]
    w_exp = [k for k, c in enumerate(o_spec) if c not in w_spec]
    in_tr = [i_spec.find(c) for c in o_spec if c in i_spec]
    w_tr = [w_spec.find(c) for c in o_spec if c in w_spec]
    in_sq: List[int] = []
    w_sq: List[int] = []
    # as Keras: where no expanded axis is left, the insertion index carries over (starting from the
    # position in the output of the weight's last label)
    index = o_spec.find(w_spec[-1])
    for red, exp, tr, sq in ((in_red, in_exp, in_tr, in_sq), (w_red, w_exp, w_tr, w_sq)):
        for ori in red:
            if exp:
                index = exp.pop(0)
            else:
                sq.append(ori)
            tr.insert(index, ori)
    grad_eq = f"{o_spec},{w_spec}->{i_spec}"
    w_rev = [k for (_, k) in sorted((v, k) for (k, v) in enumerate(w_tr))]
    return in_red, w_red, in_tr, w_tr, in_exp, w_exp, in_sq, w_sq, grad_eq, w_rev


class EinsumDense(QuantizedKernelSaving, QuantizableMixin, Layer):
    """``activation(einsum(equation, inputs, kernel) + bias)``.

    Args:
        equation: an einsum equation of the inputs and the kernel, e.g. ``"abc,cd->abd"`` (a Dense on the
            last axis of a 3-D input), ``"abc,cde->abde"`` (projection to heads), ``"...b,bc->...c"``.
        output_shape: the output shape without the batch dim (an int for one axis); None entries take
            the input's size.
        activation: applied to the result (default linear).
        bias_axes: the output axes that have a bias (e.g. ``"de"``), or None for no bias.
        kernel_initializer ('glorot_uniform'), bias_initializer ('zeros'), regularizers, constraints: as Keras.
        lora_rank / lora_alpha: LoRA factors ``lora_kernel_a`` (kernel.shape[:-1] + (rank,)) and
            ``lora_kernel_b`` (rank, kernel.shape[-1]) added as ``(alpha / rank) * A @ B`` to the frozen kernel.
        quantization_config: used when built under a quantized dtype policy.

    Input shape: as the equation's input term (batch first).
    Output shape: (batch,) + ``output_shape`` (with None filled from the input).
    Weights: kernel (shape from the equation), bias (when ``bias_axes``); quantized: see ``quantize``.
    """

    def __init__(self, equation: str, output_shape: Any, activation: Any = None, bias_axes: Optional[str] = None,
                 kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, bias_regularizer: Any = None, kernel_constraint: Any = None,
                 bias_constraint: Any = None, lora_rank: Optional[int] = None, lora_alpha: Optional[float] = None,
                 gptq_unpacked_column_size: Optional[int] = None, quantization_config: Any = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._freeze_dtype_policy()
        if not isinstance(equation, str):
            raise ValueError(f"Argument `equation` must be a string. Received: equation={equation!r}")
        self.equation = equation
        self.partial_output_shape = ((output_shape,) if isinstance(output_shape, int)
                                     else tuple(output_shape))
        self.activation = activations.get(activation)
        self.bias_axes = bias_axes
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.lora_rank = lora_rank
        self.lora_alpha = lora_alpha if lora_alpha is not None else lora_rank
        self.lora_enabled = False
        self.gptq_unpacked_column_size = gptq_unpacked_column_size
        self.quantization_config = quantization_config
        self.full_output_shape: Optional[Tuple[Any, ...]] = None

    def build(self, input_shape: Any) -> None:
        kshape, bshape, full = analyze_einsum(self.equation, self.bias_axes, tuple(input_shape),
                                              self.partial_output_shape)
        if any(d is None for d in kshape) or (bshape is not None and any(d is None for d in bshape)):
            raise ValueError(f"Layer '{self.name}': the weight shape {tuple(kshape)} of equation '{self.equation}' "
                             f"has unknown dims for input shape {tuple(input_shape)}; give them in `output_shape` or "
                             "the input shape.")
        self.full_output_shape = tuple(full)
        self._input_ndim = len(tuple(input_shape))
        kernel_initializer = self.kernel_initializer
        if isinstance(kernel_initializer, initializers.VarianceScaling) and (
                kernel_initializer.input_axes is None or kernel_initializer.output_axes is None):
            # as Keras: the fans come from the kernel axes the equation contracts (input units) and
            # produces (output units), not from the conv-kernel rule over the last two axes
            in_axes, out_axes = kernel_axes(self.equation)
            cfg = dict(kernel_initializer.get_config(), seed=kernel_initializer.seed, input_axes=in_axes,
                       output_axes=out_axes)
            kernel_initializer = type(kernel_initializer).from_config(cfg)
        mode = self.quantization_mode
        if mode is not None:
            self.quantized_build(tuple(kshape), mode=mode, config=self.quantization_config)
        if mode not in ("int8", "int4", "gptq", "awq"):
            self._kernel = self.add_weight(name="kernel", shape=tuple(kshape), initializer=kernel_initializer,
                                           regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        self.bias = (self.add_weight(name="bias", shape=tuple(bshape), initializer=self.bias_initializer,
                                     regularizer=self.bias_regularizer, constraint=self.bias_constraint)
                     if bshape is not None else None)
        self.built = True
        if self.lora_rank:
            self.enable_lora(self.lora_rank, lora_alpha=self.lora_alpha)

    @property
    def kernel(self) -> Any:
        """The kernel: the float variable, or the unpacked int4 / GPTQ / AWQ values of a quantized layer;
        with LoRA, plus the scaled low-rank delta."""
        d = self.__dict__
        if not d.get("_is_quantized") and not d.get("lora_enabled"):  # the float layer: its variable
            k = d.get("_kernel")
            if k is not None and d.get("built"):
                return k
        if not self.built:
            raise AttributeError("You must build the layer before accessing `kernel`.")
        from ...quantizers import gptq_core, quantizers

        mode = self.quantization_mode
        kernel = self.__dict__.get("_kernel")
        if mode == "gptq" and getattr(self, "is_gptq_calibrated", False):
            kernel = self.quantized_kernel
            if gptq_core.get_weight_bits_for_layer(self, None) == 4:
                kernel = quantizers.unpack_int4(kernel, orig_len=self.gptq_unpacked_column_size, axis=0,
                                                dtype="uint8")
        elif mode == "awq" and getattr(self, "is_awq_calibrated", False):
            kernel = quantizers.unpack_int4(self.quantized_kernel, orig_len=self.awq_unpacked_column_size, axis=0,
                                            dtype="uint8")
        elif mode == "int4":
            kernel = kops.reshape(quantizers.unpack_int4(kernel, self._int4_unpacked_column_size, axis=-1),
                                  self.original_kernel_shape)
        if self.lora_enabled:
            kernel = kops.cast(kops.add(kernel, (self.lora_alpha / self.lora_rank)
                                        * kops.matmul(self.lora_kernel_a, self.lora_kernel_b)), self.compute_dtype)
        return kernel

    def call(self, inputs: Any, training: Any = None) -> Any:
        if self.__dict__.get("_is_quantized"):
            return self.quantized_call(inputs, training=training)
        try:
            y = ops.einsum(self.equation, inputs, self.kernel)
        except Exception as e:  # noqa: BLE001 - re-raised with the layer's context
            raise ValueError(f"Layer '{self.name}' (equation '{self.equation}', kernel shape "
                             f"{tuple(self.kernel.shape)}) cannot be applied to inputs of shape "
                             f"{tuple(inputs.shape)}: {e}") from e
        if self.bias is not None:
            y = ops.add(y, self.bias)
        return self._activate(y)

    def _activate(self, y: Any) -> Any:
        act = self.activation
        return y if act is activations.linear or act is None else act(y)

    def _finish(self, x: Any, inputs: Any) -> Any:
        if self.lora_enabled:
            lora_x = kops.matmul(kops.einsum(self.equation, inputs, self.lora_kernel_a), self.lora_kernel_b)
            x = kops.cast(kops.add(x, (self.lora_alpha / self.lora_rank) * lora_x), self.compute_dtype)
        if self.bias is not None:
            x = kops.add(x, self.bias)
        return self._activate(x)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return tuple(analyze_einsum(self.equation, self.bias_axes, tuple(input_shape), self.partial_output_shape)[2])

    # -- LoRA ---------------------------------------------------------------------------------------------
    def enable_lora(self, rank: int, lora_alpha: Optional[float] = None, a_initializer: Any = "he_uniform",
                    b_initializer: Any = "zeros") -> None:
        """Freeze the kernel and add trainable float32 LoRA factors (see the class docs)."""
        if self.kernel_constraint:
            raise ValueError("Lora is incompatible with kernel constraints. In order to enable lora on this layer, "
                             "remove the `kernel_constraint` argument.")
        if not self.built:
            raise ValueError("Cannot enable lora on a layer that isn't yet built.")
        if self.lora_enabled:
            raise ValueError("lora is already enabled. This can only be done once per layer.")
        if self.quantization_mode == "gptq":
            raise NotImplementedError("lora is not currently supported with GPTQ quantization.")
        kshape = tuple(self.original_kernel_shape) if self.quantization_mode == "int4" else tuple(self.kernel.shape)
        self.lora_kernel_a = self.add_weight(name="lora_kernel_a", shape=kshape[:-1] + (rank,),
                                             initializer=initializers.get(a_initializer), dtype="float32",
                                             regularizer=self.kernel_regularizer)
        self.lora_kernel_b = self.add_weight(name="lora_kernel_b", shape=(rank, kshape[-1]),
                                             initializer=initializers.get(b_initializer), dtype="float32",
                                             regularizer=self.kernel_regularizer)
        self._kernel.trainable = False
        self.lora_enabled = True
        self.lora_rank = rank
        self.lora_alpha = lora_alpha if lora_alpha is not None else rank

    # -- saving -------------------------------------------------------------------------------------------
    def _check_load_own_variables(self, store: Any) -> None:
        all_vars = self._trainable_variables + self._non_trainable_variables
        if len(store.keys()) != len(all_vars):
            raise ValueError(f"Layer '{self.name}' expected {len(all_vars)} variables, but received "
                             f"{len(store.keys())} variables during loading. Expected: "
                             f"{[v.name for v in all_vars]}")

    def get_config(self) -> Dict[str, Any]:
        from ...saving.serialization import serialize_keras_object

        cfg = super().get_config()
        cfg.update({
            "output_shape": self.partial_output_shape, "equation": self.equation,
            "activation": activations.serialize(self.activation), "bias_axes": self.bias_axes,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "quantization_config": serialize_keras_object(self.quantization_config),
        })
        if self.lora_rank:
            cfg["lora_rank"] = self.lora_rank
            cfg["lora_alpha"] = self.lora_alpha
        if self.gptq_unpacked_column_size:
            cfg["gptq_unpacked_column_size"] = self.gptq_unpacked_column_size
        return cfg

    @classmethod
    def from_config(cls, config: Dict[str, Any]) -> "EinsumDense":
        from ...saving.serialization import deserialize_keras_object

        config = dict(config)
        config["quantization_config"] = deserialize_keras_object(config.get("quantization_config", None))
        return super().from_config(config)

    # -- quantization -------------------------------------------------------------------------------------
    def _set_quantization_info(self) -> None:
        if "_input_reduced_axes" in self.__dict__:
            return
        (self._input_reduced_axes, self._kernel_reduced_axes, self._input_transpose_axes,
         self._kernel_transpose_axes, self._input_expand_axes, self._kernel_expand_axes,
         self._input_squeeze_axes, self._kernel_squeeze_axes, self._custom_gradient_equation,
         self._kernel_reverse_transpose_axes) = _analyze_quantization_info(self.equation, self._input_ndim)

    def _rows_columns(self, kernel_shape: Any) -> Tuple[int, int]:
        rows = columns = 1
        for i, d in enumerate(kernel_shape):
            if i in self._kernel_reduced_axes:
                rows *= d
            else:
                columns *= d
        return rows, columns

    def _get_kernel_scale_shape(self, kernel_shape: Any, block_size: Optional[int] = None) -> Any:
        if block_size is not None and block_size > 0:
            rows, columns = self._rows_columns(kernel_shape)
            return (math.ceil(rows / block_size), columns)
        shape = [1 if i in self._kernel_reduced_axes else d for i, d in enumerate(kernel_shape)]
        shape = [shape[a] for a in self._kernel_transpose_axes]
        for a in sorted(self._kernel_expand_axes):
            shape.insert(a, 1)
        for a in sorted(self._kernel_squeeze_axes, reverse=True):
            shape.pop(a)
        return shape

    def _adjust_scale_for_dequant(self, scale: Any) -> Any:
        if self._kernel_squeeze_axes:
            scale = kops.expand_dims(scale, axis=self._kernel_squeeze_axes)
        if self._kernel_expand_axes:
            scale = kops.squeeze(scale, axis=self._kernel_expand_axes)
        if self._kernel_transpose_axes:
            rev = sorted(range(len(self._kernel_transpose_axes)), key=self._kernel_transpose_axes.__getitem__)
            scale = kops.transpose(scale, axes=rev)
        return scale

    def _adjust_scale_for_quant(self, scale: Any, tensor_type: str = "kernel") -> Any:
        if tensor_type == "kernel":
            tr, exp, sq = self._kernel_transpose_axes, self._kernel_expand_axes, self._kernel_squeeze_axes
        elif tensor_type == "input":
            tr, exp, sq = self._input_transpose_axes, self._input_expand_axes, self._input_squeeze_axes
        else:
            raise ValueError(f"Invalid tensor type: {tensor_type}")
        if tr:
            scale = kops.transpose(scale, tr)
        if exp:
            scale = kops.expand_dims(scale, axis=exp)
        if sq:
            scale = kops.squeeze(scale, axis=sq)
        return scale

    def quantized_build(self, kernel_shape: Any, mode: str, config: Any = None) -> None:
        if mode == "int8":
            self._int8_build(kernel_shape, config)
        elif mode == "int4":
            self._int4_build(kernel_shape, config)
        elif mode == "float8":
            self._float8_variables()
        elif mode in ("gptq", "awq"):
            self._sz_build(kernel_shape, config, awq=mode == "awq")
        else:
            raise self._quantization_mode_error(mode)
        self._is_quantized = True

    def _int8_build(self, kernel_shape: Any, config: Any = None) -> None:
        from ... import quantizers
        from ...quantizers.quantization_config import QuantizationConfig

        self._set_quantization_info()
        self.inputs_quantizer = QuantizationConfig.activation_quantizer_or_default(config,
                                                                                 quantizers.AbsMaxQuantizer())
        self.quantization_axis = tuple(self._input_reduced_axes)
        self._kernel = self.add_weight(name="kernel", shape=tuple(kernel_shape), initializer="zeros", dtype="int8",
                                       trainable=False)
        self.kernel_scale = self.add_weight(name="kernel_scale", shape=tuple(self._get_kernel_scale_shape(kernel_shape)),
                                            initializer="ones", trainable=False)

    def _int4_build(self, kernel_shape: Any, config: Any = None) -> None:
        from ...quantizers.quantization_config import QuantizationConfig, get_block_size_for_layer

        self._set_quantization_info()
        self.inputs_quantizer = QuantizationConfig.activation_quantizer_or_default(config, None)
        self.quantization_axis = tuple(self._input_reduced_axes)
        self.original_kernel_shape = tuple(kernel_shape)
        rows, columns = self._rows_columns(kernel_shape)
        block_size = get_block_size_for_layer(self, config)
        grouped = block_size is not None and block_size != -1
        self._int4_block_size = block_size if grouped else None
        self._int4_unpacked_column_size = columns
        self._int4_rows = rows
        self._kernel = self.add_weight(name="kernel", shape=(rows, (columns + 1) // 2), initializer="zeros",
                                       dtype="int8", trainable=False)
        scale_shape = (math.ceil(rows / block_size), columns) if grouped else (columns,)
        self.kernel_scale = self.add_weight(name="kernel_scale", shape=scale_shape, initializer="ones",
                                            trainable=False)
        if grouped:
            self.kernel_zero = self.add_weight(name="kernel_zero", shape=scale_shape, initializer="zeros",
                                               dtype="int8", trainable=False)
            self.g_idx = self.add_weight(name="g_idx", shape=(rows,), initializer="zeros", dtype="float32",
                                         trainable=False)
            self.g_idx.assign(kops.floor_divide(kops.arange(rows, dtype="float32"), block_size))

    def _sz_build(self, kernel_shape: Any, config: Any, awq: bool) -> None:
        from ...quantizers import awq_core, gptq_core

        self.original_kernel_shape = tuple(kernel_shape)
        if len(kernel_shape) == 2:
            rows, columns = kernel_shape
        elif len(kernel_shape) == 3:
            shape = list(kernel_shape)
            if shape.index(max(shape)) == 0:  # QKV projection (in, heads, head_dim)
                rows, columns = shape[0], shape[1] * shape[2]
            else:  # attention output (heads, head_dim, out)
                rows, columns = shape[0] * shape[1], shape[2]
        else:
            raise ValueError(f"{'AWQ' if awq else 'GPTQ'} quantization only supports 2D or 3D kernels.")
        if awq:
            self.is_awq_calibrated = False
            group_size = awq_core.get_group_size_for_layer(self, config)
            self.awq_unpacked_column_size = columns
            packed = (columns + 1) // 2
        else:
            self.is_gptq_calibrated = False
            group_size = gptq_core.get_group_size_for_layer(self, config)
            self.gptq_unpacked_column_size = columns
            packed = (columns + 1) // 2 if gptq_core.get_weight_bits_for_layer(self, config) == 4 else columns
        n_groups = 1 if group_size == -1 else math.ceil(rows / group_size)
        self._set_quantization_info()
        self.quantized_kernel = self.add_weight(name="kernel", shape=(packed, rows), initializer="zeros",
                                                dtype="uint8", trainable=False)
        self.kernel_scale = self.add_weight(name="kernel_scale", shape=(columns, n_groups), initializer="ones",
                                            trainable=False)
        self.kernel_zero = self.add_weight(name="zero_point", shape=(columns, n_groups), initializer="zeros",
                                           dtype="uint8", trainable=False)
        if awq:
            self.awq_scales = self.add_weight(name="awq_scales", shape=(rows,), initializer="ones", trainable=False)
        self.g_idx = self.add_weight(name="g_idx", shape=(rows,), initializer="zeros", dtype="float32",
                                     trainable=False)

    def _sz_call(self, inputs: Any, awq: bool) -> Any:
        from ...quantizers import gptq_core, quantizers

        calibrated = self.is_awq_calibrated if awq else self.is_gptq_calibrated
        if not calibrated:
            w = self._kernel
        else:
            w = self.quantized_kernel
            if awq or gptq_core.get_weight_bits_for_layer(self, config=None) == 4:
                n = self.awq_unpacked_column_size if awq else self.gptq_unpacked_column_size
                w = quantizers.unpack_int4(w, orig_len=n, axis=0, dtype="uint8")
            w = kops.transpose(quantizers.dequantize_with_sz_map(w, self.kernel_scale, self.kernel_zero, self.g_idx))
            if awq:
                w = kops.divide(w, kops.expand_dims(self.awq_scales, -1))
            w = kops.reshape(w, self.original_kernel_shape)
        y = kops.einsum(self.equation, inputs, w)
        if self.bias is not None:
            y = kops.add(y, self.bias)
        return self._activate(y)

    def _gptq_call(self, inputs: Any, training: Any = False) -> Any:
        return self._sz_call(inputs, awq=False)

    def _awq_call(self, inputs: Any, training: Any = False) -> Any:
        return self._sz_call(inputs, awq=True)

    def _int8_call(self, inputs: Any, training: Any = None) -> Any:
        kernel = self._kernel
        kscale = self.kernel_scale
        cd = self.compute_dtype
        eq = self.equation

        def float_kernel() -> Any:
            return kops.divide(kops.cast(kernel, cd), self._adjust_scale_for_dequant(kscale))

        def grad(g: Any, w: Any) -> Any:
            return kops.einsum(self._custom_gradient_equation, g, w)

        with unidl.autograd.pause():
            if self.inputs_quantizer:
                xq, xs = self.inputs_quantizer(inputs, axis=self.quantization_axis)
                xs = self._adjust_scale_for_quant(xs, "input")
                if xq.dtype.kind in "iu":
                    x = unidl.ops.int_einsum(eq, xq, kernel)
                else:
                    x = kops.einsum(eq, xq, kops.cast(kernel, xq.dtype))
                x = kops.divide(kops.cast(x, cd), kops.multiply(xs, kscale))
            else:  # as Keras on torch: the dequantized kernel
                x = kops.einsum(eq, inputs, float_kernel())
        x = unidl.ops.attach_gradient(x, (inputs,), lambda g: (grad(g, float_kernel()),))
        return self._finish(x, inputs)

    def _int4_call(self, inputs: Any, training: Any = None) -> Any:
        from ...quantizers import quantizers

        cd = self.compute_dtype
        eq = self.equation
        block_size = getattr(self, "_int4_block_size", None)
        with unidl.autograd.pause():
            unpacked = quantizers.unpack_int4(self._kernel, self._int4_unpacked_column_size, axis=-1, dtype="int8")
            if block_size is None or block_size == -1:
                fk = kops.divide(kops.cast(unpacked, cd), self.kernel_scale)
            else:
                fk = kops.cast(quantizers.dequantize_with_sz_map(unpacked, self.kernel_scale, self.kernel_zero,
                                                                 self.g_idx, group_axis=0), cd)
            fk = kops.reshape(fk, self.original_kernel_shape)
            if (block_size is None or block_size == -1) and self.inputs_quantizer:
                xq, xs = self.inputs_quantizer(inputs, axis=self.quantization_axis)
                xs = self._adjust_scale_for_quant(xs, "input")
                x = kops.divide(kops.einsum(eq, kops.cast(xq, cd), fk), xs)  # as Keras on torch
            else:
                x = kops.einsum(eq, inputs, fk)
        x = unidl.ops.attach_gradient(x, (inputs,), lambda g: (kops.einsum(self._custom_gradient_equation, g, fk),))
        return self._finish(x, inputs)

    def _float8_call(self, inputs: Any, training: Any = None) -> Any:
        if self.lora_enabled:
            raise NotImplementedError("Currently, `_float8_call` doesn't support LoRA")
        cd = self.compute_dtype
        x = kops.einsum(self.equation,
                        float8_qdq_inputs(inputs, self.inputs_scale, self.inputs_amax_history, cd, training),
                        float8_qdq_inputs(self._kernel, self.kernel_scale, self.kernel_amax_history, cd, training))
        x = float8_qdq_output_grads(x, self.outputs_grad_scale, self.outputs_grad_amax_history, cd)
        if self.bias is not None:
            bias = self.bias
            if self.dtype_policy.compute_dtype == "float32":  # as Keras: the bias rounded through bfloat16
                bias = kops.cast(kops.cast(bias, "bfloat16"), bias.dtype)
            x = kops.add(x, bias)
        return self._activate(x)

    def quantize(self, mode: Any = None, type_check: bool = True, config: Any = None) -> None:
        """Quantize the built layer's kernel: ``"int8"`` (scales over the contracted kernel axes, int8
        activations by default), ``"int4"`` (kernel flattened to (contracted, other) and packed; per column or
        in ``block_size`` groups with zero points), ``"float8"``, or the ``"gptq"`` / ``"awq"`` layouts."""
        config = self._quantize_prologue(mode, config)
        mode = config.mode
        if type_check and type(self) is not EinsumDense:
            raise self._not_implemented_error(self.quantize)
        from ... import quantizers
        from ...quantizers.quantization_config import (Int4QuantizationConfig, QuantizationConfig,
                                                       get_block_size_for_layer)

        self.quantization_config = config
        kernel_shape = tuple(self._kernel.shape)
        if mode in ("int8", "int4", "gptq", "awq"):
            self._set_quantization_info()
        kernel_value = kernel_scale = kernel_zero = None
        if mode == "int8":
            wq = QuantizationConfig.weight_quantizer_or_default(
                config, quantizers.AbsMaxQuantizer(axis=self._kernel_reduced_axes))
            kernel_value, kernel_scale = wq(self._kernel, to_numpy=True)
            kernel_scale = self._adjust_scale_for_quant(kernel_scale, "kernel")
            self._untrack_variable(self.__dict__.pop("_kernel"))
        elif mode == "int4":
            block_size = config.block_size if isinstance(config, Int4QuantizationConfig) else None
            rows, columns = self._rows_columns(kernel_shape)
            flat = kops.reshape(self._kernel, (rows, columns))
            if block_size is None or block_size == -1:
                q, kernel_scale = quantizers.abs_max_quantize(flat, axis=0, value_range=(-8, 7), dtype="int8",
                                                              to_numpy=True)
                kernel_scale = kops.squeeze(kernel_scale, axis=0)
            else:
                q, kernel_scale, kernel_zero = quantizers.abs_max_quantize_grouped_with_zero_point(
                    flat, block_size=block_size, to_numpy=True)
            kernel_value, _, _ = quantizers.pack_int4(q, axis=-1)
            self._untrack_variable(self.__dict__.pop("_kernel"))
        elif mode not in ("float8", "gptq", "awq"):
            raise self._quantization_mode_error(mode)
        self.quantized_build(kernel_shape, mode, config)
        if mode in ("int8", "int4"):
            self._kernel.assign(kernel_value)
            self.kernel_scale.assign(kernel_scale)
            if kernel_zero is not None:
                self.kernel_zero.assign(kernel_zero)
        policy_name = mode
        if mode in ("gptq", "awq"):
            policy_name = config.dtype_policy_string()
        elif mode == "int4":
            bs = get_block_size_for_layer(self, config)
            policy_name = f"int4/{-1 if bs is None else bs}"
        self._set_quantized_policy(mode, policy_name)

    def _get_kernel_with_merged_lora(self) -> Any:
        """``(kernel, scale, zero)`` to save, with the LoRA delta merged (re-quantized when quantized)."""
        from ... import quantizers

        mode = self.dtype_policy.quantization_mode
        if mode in (None, "gptq", "awq", "float8"):
            return (self.kernel if mode is None else self.__dict__.get("_kernel")), None, None
        zero = getattr(self, "kernel_zero", None)
        if not self.lora_enabled:
            return self._kernel, self.kernel_scale, zero
        block_size = getattr(self, "_int4_block_size", None)
        grouped = block_size is not None and block_size != -1
        if mode == "int4":
            unpacked = quantizers.unpack_int4(self._kernel, self._int4_unpacked_column_size, axis=-1)
            if grouped:
                fk = quantizers.dequantize_with_sz_map(unpacked, self.kernel_scale, self.kernel_zero, self.g_idx,
                                                       group_axis=0)
            else:
                fk = kops.divide(kops.cast(unpacked, self.compute_dtype), self.kernel_scale)
            fk = kops.reshape(fk, self.original_kernel_shape)
        else:
            fk = kops.divide(kops.cast(self._kernel, self.compute_dtype),
                             self._adjust_scale_for_dequant(self.kernel_scale))
        merged = kops.add(fk, (self.lora_alpha / self.lora_rank) * kops.matmul(self.lora_kernel_a,
                                                                              self.lora_kernel_b))
        if mode == "int4":
            flat = kops.reshape(merged, (self._int4_rows, self._int4_unpacked_column_size))
            if grouped:
                q, scale, zero = quantizers.abs_max_quantize_grouped_with_zero_point(flat, block_size=block_size,
                                                                                      to_numpy=True)
            else:
                q, scale = quantizers.abs_max_quantize(flat, axis=0, value_range=(-8, 7), dtype="int8",
                                                       to_numpy=True)
                scale = kops.squeeze(scale, axis=0)
                zero = None
            q, _, _ = quantizers.pack_int4(q, axis=-1)
            return q, scale, zero
        q, scale = quantizers.abs_max_quantize(merged, axis=self._kernel_reduced_axes, to_numpy=True)
        return q, self._adjust_scale_for_quant(scale, "kernel"), None
