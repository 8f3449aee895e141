"""``keras.layers.Dense``, with Keras 3.15's LoRA and quantization (int8 / int4 / float8, and the GPTQ /
AWQ variable layouts)."""
from __future__ import annotations

import math
from typing import Any, Dict, Optional

import unidl
from unidl.nn import functional as F
from unidl.tensor import Tensor

from ... import activations, constraints, initializers, ops, regularizers
from ..layer import Layer
from ._quantize import QuantizableMixin, QuantizedKernelSaving, float8_qdq_inputs, float8_qdq_output_grads, int8_product


def _serialize(obj: Any) -> Any:
    from ...saving.serialization import serialize_keras_object

    return serialize_keras_object(obj)


class Dense(QuantizedKernelSaving, QuantizableMixin, Layer):
    """``activation(inputs @ kernel + bias)`` on the last axis.

    Args:
        units: output size (positive int).
        activation, use_bias, kernel_initializer ('glorot_uniform'), bias_initializer ('zeros'),
        kernel/bias/activity regularizers, kernel/bias constraints: as Keras.
        lora_rank: if set, LoRA: the kernel is frozen and ``(lora_alpha / lora_rank) * A @ B`` (trainable
            ``A`` (input_dim, rank) he-uniform, ``B`` (rank, units) zeros) is added to it.
        lora_alpha: LoRA scale numerator (default ``lora_rank``).
        quantization_config: a ``keras.quantizers.QuantizationConfig`` used when the layer is built under
            a quantized dtype policy.

    Input shape: (batch, ..., input_dim). Output shape: (batch, ..., units).
    Weights: kernel (input_dim, units), bias (units,); quantized: see ``quantize``.
    """

    def __init__(self, units: int, activation: Any = None, use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, bias_regularizer: Any = None, activity_regularizer: Any = None,
                 kernel_constraint: Any = None, bias_constraint: Any = None, lora_rank: Optional[int] = None,
                 lora_alpha: Optional[float] = None, quantization_config: Any = None, **kwargs: Any) -> None:
        if not isinstance(units, int) or isinstance(units, bool) or units <= 0:
            raise ValueError(f"Received an invalid value for `units`, expected a positive integer. "
                             f"Received: units={units}")
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self._freeze_dtype_policy()
        self.units = units
        self.activation = activations.get(activation)
        self.use_bias = use_bias
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.lora_rank = lora_rank
        self.lora_alpha = lora_alpha if lora_alpha is not None else lora_rank
        self.lora_enabled = False
        self.quantization_config = quantization_config
        self.supports_masking = True

    def build(self, input_shape: Any) -> None:
        input_dim = input_shape[-1]
        if input_dim is None:
            raise ValueError(f"The last dimension of the inputs to a Dense layer should be defined. Found None. "
                             f"Full input shape received: {tuple(input_shape)}")
        self._input_dim = int(input_dim)
        kernel_shape = (self._input_dim, self.units)
        mode = self.quantization_mode
        if mode:
            self.quantized_build(kernel_shape, mode=mode, config=self.quantization_config)
        if mode not in ("int8", "int4", "gptq", "awq"):
            self._kernel = self.add_weight(name="kernel", shape=kernel_shape, initializer=self.kernel_initializer,
                                           regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        self.bias = (self.add_weight(name="bias", shape=(self.units,), initializer=self.bias_initializer,
                                     regularizer=self.bias_regularizer, constraint=self.bias_constraint)
                     if self.use_bias else None)
        self.built = True
        if self.lora_rank:
            self.enable_lora(self.lora_rank)

    @property
    def kernel(self) -> Any:
        """The (input_dim, units) kernel: the float variable, or the unpacked int4 / GPTQ / AWQ values of a
        quantized layer; with LoRA, the kernel plus the scaled low-rank delta."""
        d = self.__dict__
        if not d.get("_is_quantized") and not d.get("lora_enabled"):  # the float layer: its variable
            k = d.get("_kernel")
            if k is not None and d.get("built"):
                return k
        if not self.built:
            raise AttributeError("You must build the layer before accessing `kernel`.")
        mode = self.quantization_mode
        from ...quantizers import gptq_core, quantizers

        kernel = self.__dict__.get("_kernel")
        if mode == "gptq" and getattr(self, "is_gptq_calibrated", False):
            bits = gptq_core.get_weight_bits_for_layer(self, None)
            kernel = (quantizers.unpack_int4(self.quantized_kernel, orig_len=self.units, axis=0, dtype="uint8")
                      if bits == 4 else self.quantized_kernel)
        elif mode == "awq" and getattr(self, "is_awq_calibrated", False):
            kernel = quantizers.unpack_int4(self.quantized_kernel, orig_len=self.units, axis=0, dtype="uint8")
        elif mode == "int4":
            kernel = quantizers.unpack_int4(kernel, self._orig_output_dim, axis=-1)
        if self.lora_enabled:
            kernel = ops.cast(ops.add(kernel, (self.lora_alpha / self.lora_rank)
                                      * ops.matmul(self.lora_kernel_a, self.lora_kernel_b)), self.compute_dtype)
        return kernel

    def call(self, inputs: Any, training: Any = None) -> Any:
        shape = inputs.data.shape if isinstance(inputs, Tensor) else inputs.shape
        if not shape or shape[-1] != self._input_dim:
            raise ValueError(f"Input 0 of layer \"{self.name}\" is incompatible with the layer: expected axis -1 of "
                             f"input shape to have value {self._input_dim}, but received input with shape "
                             f"{tuple(inputs.shape)}")
        if self.__dict__.get("_is_quantized"):
            return self.quantized_call(inputs, training=training)
        y = F.dense(inputs, self.kernel, self.bias)
        act = self.activation
        return y if act is activations.linear or act is None else act(y)

    def _finish(self, x: Any, inputs: Any) -> Any:
        """LoRA term, bias and activation after a quantized product."""
        if self.lora_enabled:
            lora_x = ops.matmul(ops.matmul(inputs, self.lora_kernel_a), self.lora_kernel_b)
            x = ops.cast(ops.add(x, (self.lora_alpha / self.lora_rank) * lora_x), self.compute_dtype)
        if self.bias is not None:
            x = ops.add(x, self.bias)
        act = self.activation
        return x if act is activations.linear or act is None else act(x)

    def compute_output_shape(self, input_shape: Any) -> Any:
        d = self.__dict__.get("_input_dim")
        if self.built and d is not None and input_shape and input_shape[-1] is not None and input_shape[-1] != d:
            raise ValueError(f"Input 0 of layer \"{self.name}\" is incompatible with the layer: expected axis -1 of "
                             f"input shape to have value {d}, but received input with shape {tuple(input_shape)}")
        return tuple(input_shape[:-1]) + (self.units,)

    # -- LoRA ---------------------------------------------------------------------------------------------
    def enable_lora(self, rank: int, lora_alpha: Optional[float] = None, a_initializer: Any = "he_uniform",
                    b_initializer: Any = "zeros") -> None:
        """Freeze the kernel and add trainable LoRA factors ``lora_kernel_a`` (input_dim, rank) and
        ``lora_kernel_b`` (rank, units), float32; the kernel becomes ``kernel + (alpha / rank) * A @ B``."""
        if self.kernel_constraint:
            raise ValueError("Lora is incompatible with kernel constraints. In order to enable lora on this layer, "
                             "remove the `kernel_constraint` argument.")
        if not self.built:
            raise ValueError("Cannot enable lora on a layer that isn't yet built.")
        if self.lora_enabled:
            raise ValueError("lora is already enabled. This can only be done once per layer.")
        if self.quantization_mode == "gptq":
            raise NotImplementedError("lora is not currently supported with GPTQ quantization.")
        if self.quantization_mode == "int4" and hasattr(self, "_orig_input_dim"):
            input_dim = self._orig_input_dim
        else:
            input_dim = self.kernel.shape[0]
        self.lora_kernel_a = self.add_weight(name="lora_kernel_a", shape=(input_dim, rank),
                                             initializer=initializers.get(a_initializer), dtype="float32",
                                             regularizer=self.kernel_regularizer)
        self.lora_kernel_b = self.add_weight(name="lora_kernel_b", shape=(rank, self.kernel.shape[1]),
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
            if len(all_vars) == 0 and not self.built:
                raise ValueError(f"Layer '{self.name}' was never built and thus it doesn't have any variables. "
                                 f"However the weights file lists {len(store.keys())} variables for this layer.\n"
                                 "In most cases, this error indicates that either:\n\n"
                                 "1. The layer is owned by a parent layer that implements a `build()` method, but "
                                 "calling the parent's `build()` method did NOT create the state of the child "
                                 "layer. For instance, this could happen if the parent's `build()` method does "
                                 "not call `.build()` on the child layer.\n\n"
                                 "2. You need to implement the `def build_from_config(self, config)` method on "
                                 f"layer '{self.name}', to specify how to rebuild it during loading. In this case, "
                                 "you might also want to implement the method that generates the build config "
                                 "at saving time, `def get_build_config(self)`. The method "
                                 "`build_from_config()` is meant to create the state of the layer (i.e. its "
                                 "variables) upon deserialization.")
            raise ValueError(f"Layer '{self.name}' expected {len(all_vars)} variables, but received "
                             f"{len(store.keys())} variables during loading. Expected: "
                             f"{[v.name for v in all_vars]}")

    def get_config(self) -> Dict[str, Any]:
        cfg = super().get_config()
        cfg.update({
            "units": self.units, "activation": activations.serialize(self.activation), "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "quantization_config": _serialize(self.quantization_config),
        })
        if self.lora_rank:
            cfg["lora_rank"] = self.lora_rank
            cfg["lora_alpha"] = self.lora_alpha
        return cfg

    @classmethod
    def from_config(cls, config: Dict[str, Any]) -> "Dense":
        from ...saving.serialization import deserialize_keras_object

        config = dict(config)
        config["quantization_config"] = deserialize_keras_object(config.get("quantization_config", None))
        return super().from_config(config)

    # -- quantization -------------------------------------------------------------------------------------
    def quantized_build(self, kernel_shape: Any, mode: str, config: Any = None) -> None:
        if mode == "int8":
            self._int8_build(kernel_shape, config)
        elif mode == "int4":
            self._int4_build(kernel_shape, config)
        elif mode == "float8":
            self._float8_variables()
        elif mode == "gptq":
            self._gptq_build(kernel_shape, config)
        elif mode == "awq":
            self._awq_build(kernel_shape, config)
        else:
            raise self._quantization_mode_error(mode)
        self._is_quantized = True

    def _int8_build(self, kernel_shape: Any, config: Any = None) -> None:
        from ... import quantizers
        from ...quantizers.quantization_config import QuantizationConfig

        self.inputs_quantizer = QuantizationConfig.activation_quantizer_or_default(config,
                                                                                 quantizers.AbsMaxQuantizer())
        self._kernel = self.add_weight(name="kernel", shape=kernel_shape, initializer="zeros", dtype="int8",
                                       trainable=False)
        self.kernel_scale = self.add_weight(name="kernel_scale", shape=(self.units,), initializer="ones",
                                            trainable=False)

    def _int4_build(self, kernel_shape: Any, config: Any = None) -> None:
        from ...quantizers.quantization_config import QuantizationConfig, get_block_size_for_layer

        self.inputs_quantizer = QuantizationConfig.activation_quantizer_or_default(config, None)
        input_dim, output_dim = kernel_shape
        self._kernel = self.add_weight(name="kernel", shape=(input_dim, (output_dim + 1) // 2), initializer="zeros",
                                       dtype="int8", trainable=False)
        block_size = get_block_size_for_layer(self, config)
        self._int4_block_size = block_size
        sub_channel = block_size is not None and block_size > 0
        scale_shape = (math.ceil(input_dim / block_size), self.units) if sub_channel else (self.units,)
        self.kernel_scale = self.add_weight(name="kernel_scale", shape=scale_shape, initializer="ones",
                                            trainable=False)
        if sub_channel:
            def idx_initializer(shape: Any, dtype: Any = None) -> Any:
                return ops.floor_divide(ops.arange(input_dim, dtype=dtype), block_size)

            self.kernel_zero = self.add_weight(name="kernel_zero", shape=scale_shape, initializer="zeros",
                                               dtype="int8", trainable=False)
            self.g_idx = self.add_weight(name="g_idx", shape=(input_dim,), initializer=idx_initializer,
                                         dtype="float32", trainable=False)
        self._orig_input_dim = input_dim
        self._orig_output_dim = output_dim

    def _gptq_build(self, kernel_shape: Any, config: Any) -> None:
        from ...quantizers import gptq_core

        self.is_gptq_calibrated = False
        self.kernel_shape = kernel_shape
        bits = gptq_core.get_weight_bits_for_layer(self, config)
        rows = (kernel_shape[1] + 1) // 2 if bits == 4 else kernel_shape[1]
        self.quantized_kernel = self.add_weight(name="kernel", shape=(rows, kernel_shape[0]), initializer="zeros",
                                                dtype="uint8", trainable=False)
        group_size = gptq_core.get_group_size_for_layer(self, config)
        self._sz_variables(kernel_shape, group_size)

    def _awq_build(self, kernel_shape: Any, config: Any) -> None:
        from ...quantizers import awq_core

        self.is_awq_calibrated = False
        self.kernel_shape = kernel_shape
        self.quantized_kernel = self.add_weight(name="kernel", shape=((kernel_shape[1] + 1) // 2, kernel_shape[0]),
                                                initializer="zeros", dtype="uint8", trainable=False)
        group_size = awq_core.get_group_size_for_layer(self, config)
        self._sz_variables(kernel_shape, group_size, awq=True)

    def _sz_variables(self, kernel_shape: Any, group_size: int, awq: bool = False) -> None:
        n_groups = 1 if group_size == -1 else math.ceil(kernel_shape[0] / group_size)
        self.kernel_scale = self.add_weight(name="kernel_scale", shape=(self.units, n_groups), initializer="ones",
                                            trainable=False)
        self.kernel_zero = self.add_weight(name="kernel_zero", shape=(self.units, n_groups), initializer="zeros",
                                           dtype="uint8", trainable=False)
        if awq:
            self.awq_scales = self.add_weight(name="awq_scales", shape=(kernel_shape[0],), initializer="ones",
                                              trainable=False)
        self.g_idx = self.add_weight(name="g_idx", shape=(kernel_shape[0],), initializer="zeros", dtype="float32",
                                     trainable=False)

    def _sz_call(self, inputs: Any, calibrated: bool, awq: bool) -> Any:
        from ...quantizers import gptq_core, quantizers

        if not calibrated:
            w = self._kernel
        else:
            q = self.quantized_kernel
            if awq or gptq_core.get_weight_bits_for_layer(self, config=None) == 4:
                q = quantizers.unpack_int4(q, orig_len=self.units, axis=0, dtype="uint8")
            w = ops.transpose(quantizers.dequantize_with_sz_map(q, self.kernel_scale, self.kernel_zero, self.g_idx))
            if awq:
                w = ops.divide(w, ops.expand_dims(self.awq_scales, -1))
        y = ops.matmul(inputs, w)
        if self.bias is not None:
            y = ops.add(y, self.bias)
        act = self.activation
        return y if act is activations.linear or act is None else act(y)

    def _gptq_call(self, inputs: Any, training: Any = False) -> Any:
        return self._sz_call(inputs, self.is_gptq_calibrated, awq=False)

    def _awq_call(self, inputs: Any, training: Any = False) -> Any:
        return self._sz_call(inputs, self.is_awq_calibrated, awq=True)

    def _int8_call(self, inputs: Any, training: Any = None) -> Any:
        kernel, scale = self._kernel, self.kernel_scale
        x = int8_product(ops.matmul, unidl.ops.int_matmul, inputs, kernel, scale, self.inputs_quantizer,
                         self.compute_dtype,
                         lambda: ops.divide(ops.cast(kernel, self.compute_dtype), scale),
                         lambda g, w: ops.matmul(g, ops.transpose(w)))
        return self._finish(x, inputs)

    def _int4_call(self, inputs: Any, training: Any = None) -> Any:
        from ...quantizers import quantizers

        block_size = getattr(self, "_int4_block_size", None)
        with unidl.autograd.pause():
            unpacked = quantizers.unpack_int4(self._kernel, self._orig_output_dim, axis=-1)
        if block_size is None or block_size == -1:
            scale = self.kernel_scale
            x = int8_product(ops.matmul, unidl.ops.int_matmul, inputs, unpacked, scale, self.inputs_quantizer,
                             self.compute_dtype,
                             lambda: ops.divide(ops.cast(unpacked, self.compute_dtype), scale),
                             lambda g, w: ops.matmul(g, ops.transpose(w)))
        else:
            with unidl.autograd.pause():
                w = ops.cast(quantizers.dequantize_with_sz_map(unpacked, self.kernel_scale, self.kernel_zero,
                                                               self.g_idx, group_axis=0), self.compute_dtype)
            x = ops.matmul(inputs, w)
        return self._finish(x, inputs)

    def _float8_call(self, inputs: Any, training: Any = None) -> Any:
        if self.lora_enabled:
            raise NotImplementedError("Currently, `_float8_call` doesn't support LoRA")
        cd = self.compute_dtype
        x = ops.matmul(float8_qdq_inputs(inputs, self.inputs_scale, self.inputs_amax_history, cd, training),
                       float8_qdq_inputs(self._kernel, self.kernel_scale, self.kernel_amax_history, cd, training))
        x = float8_qdq_output_grads(x, self.outputs_grad_scale, self.outputs_grad_amax_history, cd)
        if self.bias is not None:
            bias = self.bias
            if self.dtype_policy.compute_dtype == "float32":  # as Keras: the bias rounded through bfloat16
                bias = ops.cast(ops.cast(bias, "bfloat16"), bias.dtype)
            x = ops.add(x, bias)
        act = self.activation
        return x if act is activations.linear or act is None else act(x)

    def quantize(self, mode: Any = None, type_check: bool = True, config: Any = None) -> None:
        """Quantize the built layer's kernel: ``"int8"`` (per output channel, int8 activations by default),
        ``"int4"`` (per channel or in ``block_size`` groups with zero points, packed two per byte),
        ``"float8"`` (float8 training with delayed scaling), ``"gptq"`` / ``"awq"`` (their variables; the
        calibration is not provided). ``config``: a QuantizationConfig (custom quantizers, block size)."""
        config = self._quantize_prologue(mode, config)
        mode = config.mode
        if type_check and type(self) is not Dense:
            raise self._not_implemented_error(self.quantize)
        from ... import quantizers
        from ...quantizers.quantization_config import (Int4QuantizationConfig, QuantizationConfig,
                                                       get_block_size_for_layer)

        self.quantization_config = config
        kernel_shape = tuple(self._kernel.shape)
        if mode == "int8":
            wq = QuantizationConfig.weight_quantizer_or_default(config, quantizers.AbsMaxQuantizer(axis=0))
            kernel_value, kernel_scale = wq(self._kernel, to_numpy=True)
            kernel_scale = ops.squeeze(kernel_scale, axis=0)
            self._replace_kernel(kernel_shape, mode, config)
            self._kernel.assign(kernel_value)
            self.kernel_scale.assign(kernel_scale)
        elif mode == "int4":
            block_size = config.block_size if isinstance(config, Int4QuantizationConfig) else None
            kernel_zero = None
            if block_size is None or block_size == -1:
                wq = QuantizationConfig.weight_quantizer_or_default(
                    config, quantizers.AbsMaxQuantizer(axis=0, value_range=(-8, 7), output_dtype="int8"))
                q, kernel_scale = wq(self._kernel, to_numpy=True)
                kernel_scale = ops.squeeze(kernel_scale, axis=0)
            else:
                q, kernel_scale, kernel_zero = quantizers.abs_max_quantize_grouped_with_zero_point(
                    self._kernel, block_size=block_size, to_numpy=True)
            packed, _, _ = quantizers.pack_int4(q, axis=-1)
            self._replace_kernel(kernel_shape, mode, config)
            self._kernel.assign(packed)
            self.kernel_scale.assign(kernel_scale)
            if kernel_zero is not None:
                self.kernel_zero.assign(kernel_zero)
        elif mode in ("gptq", "awq"):
            self.quantized_build(kernel_shape, mode, config)
        elif mode == "float8":
            self.quantized_build(kernel_shape, mode)
        else:
            raise self._quantization_mode_error(mode)
        policy_name = mode
        if mode in ("gptq", "awq"):
            policy_name = config.dtype_policy_string()
        elif mode == "int4":
            bs = get_block_size_for_layer(self, config)
            policy_name = f"int4/{-1 if bs is None else bs}"
        self._set_quantized_policy(mode, policy_name)

    def _replace_kernel(self, kernel_shape: Any, mode: str, config: Any) -> None:
        old = self.__dict__.pop("_kernel")
        self._untrack_variable(old)
        self.quantized_build(kernel_shape, mode, config)

    def _get_kernel_with_merged_lora(self) -> Any:
        """``(kernel, kernel_scale, kernel_zero)`` to save: the LoRA delta merged into the kernel (re-quantized
        for int8 / int4 layers); the float kernel (and Nones) for float / GPTQ / AWQ layers."""
        from ... import quantizers

        mode = self.dtype_policy.quantization_mode
        if mode in (None, "gptq", "awq", "float8"):
            return self.kernel if mode is None else self.__dict__.get("_kernel"), None, None
        kernel, scale, zero = self._kernel, self.kernel_scale, getattr(self, "kernel_zero", None)
        if not self.lora_enabled:
            return kernel, scale, zero
        block_size = getattr(self, "_int4_block_size", None)
        grouped = mode == "int4" and block_size is not None and block_size != -1
        if mode == "int4":
            unpacked = quantizers.unpack_int4(kernel, self._orig_output_dim, axis=-1)
            if grouped:
                float_kernel = ops.cast(quantizers.dequantize_with_sz_map(unpacked, scale, self.kernel_zero,
                                                                          self.g_idx, group_axis=0), self.compute_dtype)
            else:
                float_kernel = ops.divide(ops.cast(unpacked, self.compute_dtype), scale)
            rng = (-8, 7)
        else:
            float_kernel = ops.divide(ops.cast(kernel, self.compute_dtype), scale)
            rng = (-127, 127)
        merged = ops.add(float_kernel, (self.lora_alpha / self.lora_rank)
                         * ops.matmul(self.lora_kernel_a, self.lora_kernel_b))
        zero = None
        if grouped:
            q, scale, zero = quantizers.abs_max_quantize_grouped_with_zero_point(merged, block_size=block_size,
                                                                                  to_numpy=True)
        else:
            q, scale = quantizers.abs_max_quantize(merged, axis=0, value_range=rng, dtype="int8", to_numpy=True)
            scale = ops.squeeze(scale, axis=0)
        if mode == "int4":
            q, _, _ = quantizers.pack_int4(q, axis=-1)
        return q, scale, zero
