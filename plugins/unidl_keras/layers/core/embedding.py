"""``keras.layers.Embedding``, with Keras 3.15's LoRA and int8 / int4 quantization."""
from __future__ import annotations

import math
import warnings
from typing import Any, Dict, Optional

from unidl import ops as U

from ... import constraints, initializers, ops, regularizers
from ..layer import Layer
from ._quantize import QuantizableMixin


class Embedding(QuantizableMixin, Layer):
    """Turns non-negative integer indices into dense vectors: ``embeddings[inputs]``.

    Args:
        input_dim: vocabulary size (largest index + 1), a positive int.
        output_dim: size of each vector, a positive int.
        embeddings_initializer: initializer of the table (default ``'uniform'``: U(-0.05, 0.05)).
        embeddings_regularizer, embeddings_constraint, activity_regularizer: as Keras.
        mask_zero: if True, index 0 is padding: the output mask is ``inputs != 0``.
        weights: optional initial table ``[array (input_dim, output_dim)]``.
        lora_rank / lora_alpha: LoRA factors ``lora_embeddings_a`` (input_dim, rank) and
            ``lora_embeddings_b`` (rank, output_dim) added as ``(alpha / rank) * A @ B`` to the frozen table.
        quantization_config: used when built under a quantized dtype policy.
        input_length: Keras 2 argument, accepted and ignored (with a warning).

    Input shape: (batch, ...) of integers. Output shape: (batch, ..., output_dim).
    Weights: embeddings (input_dim, output_dim); int8: int8 table + per-row scale; int4: packed table,
    per-row scale (or per row and ``block_size`` group, with zero points and ``g_idx``).
    """

    def __init__(self, input_dim: int, output_dim: int, embeddings_initializer: Any = "uniform",
                 embeddings_regularizer: Any = None, embeddings_constraint: Any = None, mask_zero: bool = False,
                 weights: Any = None, lora_rank: Any = None, lora_alpha: Any = None, quantization_config: Any = None,
                 **kwargs: Any) -> None:
        for arg, v in (("input_dim", input_dim), ("output_dim", output_dim)):
            if isinstance(v, bool) or not isinstance(v, int) or v <= 0:
                raise ValueError(f"`{arg}` must be a positive integer. Received: {arg}={v} (of type "
                                 f"{type(v).__name__}).")
        if kwargs.pop("input_length", None) is not None:
            warnings.warn("Argument `input_length` is deprecated. Just remove it.", UserWarning, stacklevel=2)
        super().__init__(**kwargs)
        self._freeze_dtype_policy()
        self.input_dim = input_dim
        self.output_dim = output_dim
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        self.mask_zero = bool(mask_zero)
        self.supports_masking = self.mask_zero
        self.lora_rank = lora_rank
        self.lora_alpha = lora_alpha if lora_alpha is not None else lora_rank
        self.lora_enabled = False
        self.quantization_config = quantization_config
        self._initial_embeddings = None
        if weights is not None:  # as Keras: built at once with the given table
            self.build()
            self.set_weights(weights if isinstance(weights, list) and len(weights) == 1 else [weights])

    def build(self, input_shape: Any = None) -> None:
        if self.built:
            return
        shape = (self.input_dim, self.output_dim)
        mode = self.quantization_mode
        if mode:
            self.quantized_build(shape, mode=mode, config=self.quantization_config)
        if mode not in ("int8", "int4"):
            self._embeddings = self.add_weight(shape=shape, initializer=self.embeddings_initializer,
                                               name="embeddings", regularizer=self.embeddings_regularizer,
                                               constraint=self.embeddings_constraint, trainable=True)
        self.built = True
        if self._initial_embeddings is not None:
            w = self._initial_embeddings
            self.set_weights(w if isinstance(w, (list, tuple)) else [w])
            self._initial_embeddings = None
        if self.lora_rank:
            self.enable_lora(self.lora_rank)

    @property
    def embeddings(self) -> Any:
        """The (input_dim, output_dim) table (int4: unpacked values; with LoRA: plus the scaled delta)."""
        d = self.__dict__
        emb = d.get("_embeddings")
        if not d.get("_is_quantized") and not d.get("lora_enabled") and emb is not None and d.get("built"):
            return emb
        if not self.built:
            raise AttributeError("You must build the layer before accessing `embeddings`.")
        if self.quantization_mode == "int4":
            from ...quantizers import quantizers

            emb = quantizers.unpack_int4(emb, self._orig_output_dim, axis=-1)
        if self.lora_enabled:
            emb = ops.cast(ops.add(emb, (self.lora_alpha / self.lora_rank)
                                   * ops.matmul(self.lora_embeddings_a, self.lora_embeddings_b)), self.compute_dtype)
        return emb

    @staticmethod
    def _indices(inputs: Any) -> Any:
        return inputs if inputs.dtype.kind in "iu" else U.astype(inputs, "int32")

    def call(self, inputs: Any) -> Any:
        inputs = self._indices(inputs)
        if self.__dict__.get("_is_quantized"):
            return self.quantized_call(inputs)
        try:
            return U.embedding(inputs, self.embeddings)
        except Exception as e:  # out-of-range indices: say which layer and what was expected
            raise ValueError(f"Embedding layer '{self.name}' received indices outside [0, {self.input_dim}) "
                             f"(input_dim={self.input_dim}); input shape {tuple(inputs.shape)}. {e}") from e

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> Any:
        if not self.mask_zero:
            return None
        return ops.not_equal(inputs, 0)

    def get_build_config(self) -> Any:
        cfg = super().get_build_config()
        if cfg is None and self.built:  # built by build() without a shape: Keras records input_shape=None
            return {"input_shape": None}
        return cfg

    def compute_output_shape(self, input_shape: Any) -> Any:
        return tuple(input_shape) + (self.output_dim,)

    # -- LoRA ---------------------------------------------------------------------------------------------
    def enable_lora(self, rank: int, lora_alpha: Optional[float] = None, a_initializer: Any = "he_uniform",
                    b_initializer: Any = "zeros") -> None:
        """Freeze the table and add trainable float32 factors ``lora_embeddings_a`` / ``lora_embeddings_b``."""
        if self.embeddings_constraint:
            raise ValueError("Lora is incompatible with embedding constraints. In order to enable lora on this "
                             "layer, remove the `embeddings_constraint` argument.")
        if not self.built:
            raise ValueError("Cannot enable lora on a layer that isn't yet built.")
        if self.lora_enabled:
            raise ValueError("lora is already enabled. This can only be done once per layer.")
        self.lora_embeddings_a = self.add_weight(name="lora_embeddings_a", shape=(self.input_dim, rank),
                                                 initializer=initializers.get(a_initializer), dtype="float32",
                                                 regularizer=self.embeddings_regularizer)
        self.lora_embeddings_b = self.add_weight(name="lora_embeddings_b", shape=(rank, self.output_dim),
                                                 initializer=initializers.get(b_initializer), dtype="float32",
                                                 regularizer=self.embeddings_regularizer)
        self._embeddings.trainable = False
        self.lora_enabled = True
        self.lora_rank = rank
        self.lora_alpha = lora_alpha if lora_alpha is not None else rank

    # -- saving -------------------------------------------------------------------------------------------
    @property
    def variable_serialization_spec(self) -> Dict[Any, list]:
        return {None: ["embeddings"], "int8": ["embeddings", "embeddings_scale"],
                "int4": ["embeddings", "embeddings_scale", "embeddings_zero", "g_idx"]}

    def save_own_variables(self, store: Any) -> None:
        if not self.built:
            return
        mode = self.quantization_mode
        spec = self.variable_serialization_spec
        if mode not in spec:
            raise self._quantization_mode_error(mode)
        value, scale, zero = self._get_embeddings_with_merged_lora()
        idx = 0
        for name in spec[mode]:
            if name == "embeddings":
                store[str(idx)] = value
            elif name == "embeddings_zero":
                if zero is None:
                    continue
                store[str(idx)] = zero
            elif name == "g_idx" and not hasattr(self, "g_idx"):
                continue
            elif name == "embeddings_scale" and mode in ("int4", "int8"):
                store[str(idx)] = scale
            else:
                if not hasattr(self, name):
                    continue
                store[str(idx)] = getattr(self, name)
            idx += 1

    def load_own_variables(self, store: Any) -> None:
        if not self.lora_enabled:
            all_vars = self._trainable_variables + self._non_trainable_variables
            if len(store.keys()) != len(all_vars):
                raise ValueError(f"Layer '{self.name}' expected {len(all_vars)} variables, but received "
                                 f"{len(store.keys())} variables during loading. Expected: "
                                 f"{[v.name for v in all_vars]}")
        if not self.built:
            return
        mode = self.quantization_mode
        spec = self.variable_serialization_spec
        if mode not in spec:
            raise self._quantization_mode_error(mode)
        idx = 0
        for name in spec[mode]:
            if name == "embeddings":
                self._embeddings.assign(store[str(idx)])
            elif not hasattr(self, name):
                continue
            else:
                getattr(self, name).assign(store[str(idx)])
            idx += 1
        if self.lora_enabled:
            self.lora_embeddings_a.assign(ops.zeros(self.lora_embeddings_a.shape))
            self.lora_embeddings_b.assign(ops.zeros(self.lora_embeddings_b.shape))

    def get_config(self) -> Dict[str, Any]:
        from ...saving.serialization import serialize_keras_object

        cfg = super().get_config()
        cfg.update({
            "input_dim": self.input_dim, "output_dim": self.output_dim,
            "embeddings_initializer": initializers.serialize(self.embeddings_initializer),
            "embeddings_regularizer": regularizers.serialize(self.embeddings_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "embeddings_constraint": constraints.serialize(self.embeddings_constraint),
            "mask_zero": self.mask_zero, "quantization_config": serialize_keras_object(self.quantization_config),
        })
        if self.lora_rank:
            cfg["lora_rank"] = self.lora_rank
            cfg["lora_alpha"] = self.lora_alpha
        return cfg

    @classmethod
    def from_config(cls, config: Dict[str, Any]) -> "Embedding":
        from ...saving.serialization import deserialize_keras_object

        config = dict(config)
        config["quantization_config"] = deserialize_keras_object(config.get("quantization_config", None))
        return super().from_config(config)

    # -- quantization -------------------------------------------------------------------------------------
    def _quantization_mode_error(self, mode: Any) -> NotImplementedError:
        return NotImplementedError(f"Invalid quantization mode. Expected one of ('int8', 'int4'). "
                                   f"Received: quantization_mode={mode}")

    def quantized_build(self, embeddings_shape: Any, mode: str, config: Any = None) -> None:
        if mode == "int8":
            self._embeddings = self.add_weight(name="embeddings", shape=embeddings_shape, initializer="zeros",
                                               dtype="int8", trainable=False)
            self.embeddings_scale = self.add_weight(name="embeddings_scale", shape=(self.input_dim,),
                                                    initializer="ones", trainable=False)
        elif mode == "int4":
            self._int4_build(embeddings_shape, config)
        else:
            raise self._quantization_mode_error(mode)
        self._is_quantized = True

    def _int4_build(self, embeddings_shape: Any, config: Any = None) -> None:
        from ...quantizers.quantization_config import get_block_size_for_layer

        input_dim, output_dim = embeddings_shape
        self._embeddings = self.add_weight(name="embeddings", shape=(input_dim, (output_dim + 1) // 2),
                                           initializer="zeros", dtype="int8", trainable=False)
        block_size = get_block_size_for_layer(self, config)
        self._int4_block_size = block_size
        grouped = block_size is not None and block_size > 0
        scale_shape = (self.input_dim, math.ceil(output_dim / block_size)) if grouped else (self.input_dim,)
        self.embeddings_scale = self.add_weight(name="embeddings_scale", shape=scale_shape, initializer="ones",
                                                trainable=False)
        if grouped:
            self.embeddings_zero = self.add_weight(name="embeddings_zero", shape=scale_shape, initializer="zeros",
                                                   dtype="int8", trainable=False)
            self.g_idx = self.add_weight(name="g_idx", shape=(output_dim,), initializer="zeros", dtype="float32",
                                         trainable=False)
            self.g_idx.assign(ops.floor_divide(ops.arange(output_dim, dtype="float32"), block_size))
        self._orig_output_dim = output_dim

    def _lora_out(self, outputs: Any, inputs: Any) -> Any:
        if self.lora_enabled:
            lora = ops.matmul(ops.take(self.lora_embeddings_a, inputs, axis=0), self.lora_embeddings_b)
            outputs = ops.cast(ops.add(outputs, (self.lora_alpha / self.lora_rank) * lora), self.compute_dtype)
        return outputs

    def _int8_call(self, inputs: Any, training: Any = None) -> Any:
        scale = ops.take(self.embeddings_scale, inputs, axis=0)
        out = ops.take(self._embeddings, inputs, axis=0)
        out = ops.divide(ops.cast(out, self.compute_dtype), ops.expand_dims(scale, axis=-1))
        return self._lora_out(out, inputs)

    def _int4_call(self, inputs: Any, training: Any = None) -> Any:
        from ...quantizers import quantizers

        unpacked = quantizers.unpack_int4(self._embeddings, self._orig_output_dim, axis=-1)
        out = ops.take(unpacked, inputs, axis=0)
        scale = ops.take(self.embeddings_scale, inputs, axis=0)
        block_size = getattr(self, "_int4_block_size", None)
        if block_size is None or block_size == -1:
            out = ops.divide(ops.cast(out, self.compute_dtype), ops.expand_dims(scale, axis=-1))
        else:
            zero = ops.take(self.embeddings_zero, inputs, axis=0)
            out = quantizers.dequantize_with_sz_map(ops.cast(out, self.compute_dtype), scale, zero, self.g_idx,
                                                    group_axis=-1)
        return self._lora_out(out, inputs)

    def quantize(self, mode: Any = None, type_check: bool = True, config: Any = None) -> None:
        """Quantize the built table: ``"int8"`` (per row) or ``"int4"`` (per row, or in ``block_size`` groups
        along the output dim with zero points; packed two per byte)."""
        config = self._quantize_prologue(mode, config)
        mode = config.mode
        if type_check and type(self) is not Embedding:
            raise self._not_implemented_error(self.quantize)
        from ... import quantizers
        from ...quantizers.quantization_config import (Int4QuantizationConfig, QuantizationConfig,
                                                       get_block_size_for_layer)

        self.quantization_config = config
        shape = (self.input_dim, self.output_dim)
        if mode == "int8":
            wq = QuantizationConfig.weight_quantizer_or_default(config, quantizers.AbsMaxQuantizer(axis=-1))
            value, scale = wq(self._embeddings, to_numpy=True)
            scale = ops.squeeze(scale, axis=-1)
            self._replace_table(shape, mode, config)
            self._embeddings.assign(value)
            self.embeddings_scale.assign(scale)
        elif mode == "int4":
            block_size = config.block_size if isinstance(config, Int4QuantizationConfig) else None
            grouped = block_size is not None and block_size != -1
            zero = None
            if not grouped:
                wq = QuantizationConfig.weight_quantizer_or_default(
                    config, quantizers.AbsMaxQuantizer(axis=-1, value_range=(-8, 7), output_dtype="int8"))
                value, scale = wq(self._embeddings, to_numpy=True)
                scale = ops.squeeze(scale, axis=-1)
            else:
                vt, st, zt = quantizers.abs_max_quantize_grouped_with_zero_point(
                    ops.transpose(self._embeddings), block_size=block_size, value_range=(-8, 7), dtype="int8",
                    to_numpy=True)
                value, scale, zero = ops.transpose(vt), ops.transpose(st), ops.transpose(zt)
            packed, _, _ = quantizers.pack_int4(value, axis=-1)
            self._replace_table(shape, mode, config)
            self._embeddings.assign(packed)
            self.embeddings_scale.assign(scale)
            if zero is not None:
                self.embeddings_zero.assign(zero)
        else:
            raise self._quantization_mode_error(mode)
        policy_name = mode
        if mode == "int4":
            bs = get_block_size_for_layer(self, config)
            policy_name = f"int4/{-1 if bs is None else bs}"
        self._set_quantized_policy(mode, policy_name)

    def _replace_table(self, shape: Any, mode: str, config: Any) -> None:
        self._untrack_variable(self.__dict__.pop("_embeddings"))
        self.quantized_build(shape, mode, config)

    def _get_embeddings_with_merged_lora(self) -> Any:
        """``(table, scale, zero)`` to save, with the LoRA delta merged (re-quantized when quantized)."""
        from ... import quantizers

        mode = self.dtype_policy.quantization_mode
        if mode in (None, "gptq", "awq"):
            return self.embeddings, None, None
        value, scale, zero = self._embeddings, self.embeddings_scale, getattr(self, "embeddings_zero", None)
        if not self.lora_enabled:
            return value, scale, zero
        block_size = getattr(self, "_int4_block_size", None)
        grouped = mode == "int4" and block_size is not None and block_size != -1
        if mode == "int4":
            unpacked = quantizers.unpack_int4(value, self._orig_output_dim, axis=-1)
            if grouped:
                fl = quantizers.dequantize_with_sz_map(ops.cast(unpacked, self.compute_dtype), scale,
                                                       self.embeddings_zero, self.g_idx, group_axis=-1)
            else:
                fl = ops.divide(ops.cast(unpacked, self.compute_dtype), ops.expand_dims(scale, axis=-1))
            rng = (-8, 7)
        else:
            fl = ops.divide(ops.cast(value, self.compute_dtype), ops.expand_dims(scale, axis=-1))
            rng = (-127, 127)
        merged = ops.add(fl, (self.lora_alpha / self.lora_rank)
                         * ops.matmul(self.lora_embeddings_a, self.lora_embeddings_b))
        zero = None
        if grouped:
            qt, st, zt = quantizers.abs_max_quantize_grouped_with_zero_point(
                ops.transpose(merged), block_size=block_size, value_range=rng, dtype="int8", to_numpy=True)
            q, scale, zero = ops.transpose(qt), ops.transpose(st), ops.transpose(zt)
        else:
            q, scale = quantizers.abs_max_quantize(merged, axis=-1, value_range=rng, dtype="int8", to_numpy=True)
            scale = ops.squeeze(scale, axis=-1)
        if mode == "int4":
            q, _, _ = quantizers.pack_int4(q, axis=-1)
        return q, scale, zero
