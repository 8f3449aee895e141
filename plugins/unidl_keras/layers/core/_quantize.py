"""What Dense, EinsumDense and Embedding share for quantization and LoRA (Keras 3.15's ``Layer`` quantization
methods): the checks and dispatch of ``quantize`` / ``quantized_build`` / ``quantized_call``, variable
(un)tracking, and the straight-through / float8 gradient helpers.

Quantized math runs in the core: ``unidl.ops.int_matmul`` / ``int_einsum`` (exact int32 accumulation),
``float8_round``, ``float8_scale`` / ``float8_amax_history`` and ``attach_gradient`` (gradients written
with ops, so a Gluon twin or a CUDA device computes the same thing).
"""
from __future__ import annotations

from typing import Any, Callable, Dict, Optional

import unidl

from ... import ops
from ...dtype_policies.dtype_policy import QUANTIZATION_MODES

_INT_DTYPES = ("int8", "uint8", "int16", "int32")
E4M3, E5M2 = "float8_e4m3fn", "float8_e5m2"


class QuantizableMixin:
    """Keras's quantization entry points for a layer that implements ``_int8_build``/``_int8_call`` etc."""

    _QUANTIZABLE_MODES = ("int8", "int4", "float8", "gptq", "awq")

    def _freeze_dtype_policy(self) -> None:
        """Keras fixes a layer's policy at construction (``layer._dtype_policy`` is never None there)."""
        if self.__dict__.get("_dtype_policy") is None:
            from ...dtype_policies import DTypePolicy

            self.__dict__["_dtype_policy"] = DTypePolicy(self.dtype)

    def _quantize_prologue(self, mode: Any, config: Any) -> Any:
        """Keras's ``quantize`` wrapper: resolve the config and check the layer can be quantized."""
        from ...quantizers.quantization_config import validate_and_resolve_config

        config = validate_and_resolve_config(mode, config)
        self._check_quantize_args(config.mode, self.compute_dtype)
        return config

    def _check_quantize_args(self, mode: str, compute_dtype: str) -> None:
        if not self.built:
            raise ValueError(f"Cannot quantize a layer that isn't yet built. Layer '{self.name}' (of type "
                             f"'{type(self).__name__}') is not built yet.")
        if getattr(self, "_is_quantized", False):
            raise ValueError(f"Layer '{self.name}' is already quantized with dtype_policy='{self.dtype_policy.name}'. "
                             f"Received: mode={mode}")
        if mode not in QUANTIZATION_MODES:
            raise ValueError(f"Invalid quantization mode. Expected one of {QUANTIZATION_MODES}. Received: mode={mode}")
        if mode == "int8" and compute_dtype == "float16":
            raise ValueError(f"Quantization mode='{mode}' doesn't work well with compute_dtype='float16'. Consider "
                             "loading model/layer with another dtype policy such as 'mixed_bfloat16' or "
                             "'mixed_float16' before calling `quantize()`.")

    def quantized_call(self, *args: Any, **kwargs: Any) -> Any:
        """The call of the quantized layer (``_int8_call``, ``_int4_call``, ``_float8_call``, ...)."""
        mode = self.quantization_mode
        fn = {"int8": "_int8_call", "float8": "_float8_call", "int4": "_int4_call", "gptq": "_gptq_call",
              "awq": "_awq_call"}.get(mode)
        if fn is None:
            raise self._quantization_mode_error(mode)
        return getattr(self, fn)(*args, **kwargs)

    def _not_implemented_error(self, attr: Any, msg: Optional[str] = None) -> NotImplementedError:
        name, kind = (attr.__name__, "method") if callable(attr) else (str(attr), "attribute")
        extra = f" {msg}" if msg is not None else ""
        return NotImplementedError(f"Layer {type(self).__name__} does not have a `{name}` {kind} implemented.{extra}")

    def _quantization_mode_error(self, mode: Any) -> NotImplementedError:
        return NotImplementedError(f"Invalid quantization mode. Expected one of {QUANTIZATION_MODES}. "
                                   f"Received: quantization_mode={mode}")

    def _untrack_variable(self, v: Any) -> None:
        for lst in (self._trainable_variables, self._non_trainable_variables):
            for i, x in enumerate(lst):
                if x is v:
                    lst.pop(i)
                    break

    def _set_quantized_policy(self, mode: str, policy_name: str) -> None:
        """After quantizing: the ``<mode>_from_<source>`` policy, unless the layer already has a quantized one."""
        if self.dtype_policy.quantization_mode is None:
            from ... import dtype_policies

            policy = dtype_policies.get(f"{policy_name}_from_{self.dtype_policy.name}")
            self.dtype_policy = policy

    def _float8_variables(self) -> None:
        from ...dtype_policies.dtype_policy import QuantizedFloat8DTypePolicy

        length = getattr(self.dtype_policy, "amax_history_length",
                         QuantizedFloat8DTypePolicy.default_amax_history_length)
        scale = dict(shape=(), initializer="ones", dtype="float32", trainable=True, autocast=False,
                     overwrite_with_gradient=True)
        hist = dict(shape=(length,), initializer="zeros", dtype="float32", trainable=True, autocast=False,
                    overwrite_with_gradient=True)
        self.inputs_scale = self.add_weight(name="inputs_scale", **scale)
        self.inputs_amax_history = self.add_weight(name="inputs_amax_history", **hist)
        self.kernel_scale = self.add_weight(name="kernel_scale", **scale)
        self.kernel_amax_history = self.add_weight(name="kernel_amax_history", **hist)
        self.outputs_grad_scale = self.add_weight(name="outputs_grad_scale", **scale)
        self.outputs_grad_amax_history = self.add_weight(name="outputs_grad_amax_history", **hist)


class QuantizedKernelSaving:
    """``save_own_variables`` / ``load_own_variables`` of a layer with one ``kernel`` and an optional ``bias``
    (Dense, EinsumDense), per quantization mode as Keras 3.15 lays them out; LoRA layers save the merged kernel.
    The layer provides ``_check_load_own_variables(store)`` (its count check and error text)."""

    @property
    def variable_serialization_spec(self) -> Dict[Any, list]:
        """The variables ``save_own_variables`` / ``load_own_variables`` write and read, per mode, in order."""
        return {
            None: ["kernel", "bias"],
            "int8": ["kernel", "bias", "kernel_scale"],
            "int4": ["kernel", "bias", "kernel_scale", "kernel_zero", "g_idx"],
            "float8": ["kernel", "bias", "inputs_scale", "inputs_amax_history", "kernel_scale",
                       "kernel_amax_history", "outputs_grad_scale", "outputs_grad_amax_history"],
            "gptq": ["bias", "quantized_kernel", "kernel_scale", "kernel_zero", "g_idx"],
            "awq": ["bias", "quantized_kernel", "kernel_scale", "kernel_zero", "awq_scales", "g_idx"],
        }

    def save_own_variables(self, store: Any) -> None:
        if not self.built:
            return
        mode = self.quantization_mode
        spec = self.variable_serialization_spec
        if mode not in spec:
            raise self._quantization_mode_error(mode)
        kernel, scale, zero = self._get_kernel_with_merged_lora()
        idx = 0
        for name in spec[mode]:
            if name == "kernel":
                store[str(idx)] = kernel
            elif name == "bias" and self.bias is None:
                continue
            elif name == "kernel_zero" and mode == "int4":
                if zero is None:
                    continue
                store[str(idx)] = zero
            elif name == "g_idx" and not hasattr(self, "g_idx"):
                continue
            elif name == "kernel_scale" and mode in ("int4", "int8"):
                store[str(idx)] = scale
            else:
                store[str(idx)] = getattr(self, name)
            idx += 1

    def load_own_variables(self, store: Any) -> None:
        if not self.lora_enabled:
            self._check_load_own_variables(store)
        if not self.built:
            return
        mode = self.quantization_mode
        spec = self.variable_serialization_spec
        if mode not in spec:
            raise self._quantization_mode_error(mode)
        self.is_gptq_calibrated = mode == "gptq"
        self.is_awq_calibrated = mode == "awq"
        idx = 0
        for name in spec[mode]:
            if name == "kernel":
                self._kernel.assign(store[str(idx)])
            elif name == "bias" and self.bias is None:
                continue
            elif name in ("kernel_zero", "g_idx") and not hasattr(self, name):
                continue
            else:
                getattr(self, name).assign(store[str(idx)])
            idx += 1
        if self.lora_enabled:
            self.lora_kernel_a.assign(ops.zeros(self.lora_kernel_a.shape))
            self.lora_kernel_b.assign(ops.zeros(self.lora_kernel_b.shape))


def is_int(x: Any) -> bool:
    return x.dtype.name in _INT_DTYPES


def int8_product(product: Callable[[Any, Any], Any], int_product: Callable[[Any, Any], Any], inputs: Any,
                 kernel: Any, kernel_scale: Any, inputs_quantizer: Any, compute_dtype: str,
                 float_kernel: Callable[[], Any], grad_product: Callable[[Any, Any], Any]) -> Any:
    """``product(inputs, kernel) / scales`` as Keras's int8/int4 paths compute it: inputs quantized by
    ``inputs_quantizer`` (when given) and multiplied with int32 accumulation, cast to ``compute_dtype``,
    divided by ``kernel_scale * inputs_scale``; the gradient to ``inputs`` is
    ``grad_product(g, float_kernel())`` (straight through the quantizers)."""
    with unidl.autograd.pause():
        out_scale = kernel_scale
        x = inputs
        if inputs_quantizer:
            x, x_scale = inputs_quantizer(inputs, axis=-1)
            out_scale = ops.multiply(out_scale, x_scale)
        if is_int(x) and is_int(kernel):
            y = int_product(x, kernel)
        else:
            y = product(x, kernel)
        y = ops.divide(ops.cast(y, compute_dtype), out_scale)
    return unidl.ops.attach_gradient(y, (inputs,), lambda g: (grad_product(g, float_kernel()),))


def float8_qdq_inputs(x: Any, scale: Any, amax_history: Any, compute_dtype: str, training: Any) -> Any:
    """Quantize-dequantize ``x`` to e4m3 with ``scale``; the gradient passes straight through to ``x`` and,
    in training, carries the next ``scale`` / ``amax_history`` to those (overwrite-with-gradient) variables."""
    from ...quantizers.quantizers import quantize_and_dequantize

    with unidl.autograd.pause():
        if training:
            new_scale = unidl.ops.float8_scale(ops.max(amax_history, axis=0), scale, 448.0)
            new_hist = unidl.ops.float8_amax_history(ops.convert_to_tensor(x), amax_history)
        else:
            new_scale = new_hist = None
        y = quantize_and_dequantize(x, scale, E4M3, compute_dtype)
    return unidl.ops.attach_gradient(y, (x, scale, amax_history), lambda g: (g, new_scale, new_hist))


def float8_qdq_output_grads(y: Any, scale: Any, amax_history: Any, compute_dtype: str) -> Any:
    """``y`` unchanged; its gradient is quantize-dequantized to e5m2, and the next ``scale`` /
    ``amax_history`` (from the gradient) go to those variables as their gradients."""
    from ...quantizers.quantizers import quantize_and_dequantize

    def grad(g: Any) -> tuple:
        new_scale = unidl.ops.float8_scale(ops.max(amax_history, axis=0), scale, 57344.0)
        qg = quantize_and_dequantize(g, scale, E5M2, compute_dtype)
        return qg, new_scale, unidl.ops.float8_amax_history(g, amax_history)

    return unidl.ops.attach_gradient(y, (y, scale, amax_history), grad)
