"""``keras.quantizers.QuantizationConfig`` and its int8 / int4 / float8 forms, as Keras 3.15 has them."""
from __future__ import annotations

from typing import Any, Dict, Optional

from ..dtype_policies.dtype_policy import QUANTIZATION_MODES


def _ser(obj: Any) -> Any:
    from ..saving.serialization import serialize_keras_object

    return serialize_keras_object(obj)


def _deser(cfg: Any) -> Any:
    from ..saving.serialization import deserialize_keras_object

    return deserialize_keras_object(cfg)


class QuantizationConfig:
    """Base class of quantization configs: a weight quantizer and an activation quantizer.

    Subclasses define ``mode`` (``"int8"``, ``"int4"``, ...) and may extend ``get_config``/``from_config``.
    """

    def __init__(self, weight_quantizer: Any = None, activation_quantizer: Any = None) -> None:
        self.weight_quantizer = weight_quantizer
        self.activation_quantizer = activation_quantizer

    @property
    def mode(self) -> str:
        raise NotImplementedError("Subclasses must implement this property. Do not instantiate "
                                  "QuantizationConfig directly.")

    def get_config(self) -> Dict[str, Any]:
        return {"weight_quantizer": _ser(self.weight_quantizer),
                "activation_quantizer": _ser(self.activation_quantizer)}

    @classmethod
    def from_config(cls, config: Dict[str, Any]) -> "QuantizationConfig":
        return cls(weight_quantizer=_deser(config.get("weight_quantizer")),
                   activation_quantizer=_deser(config.get("activation_quantizer")))

    @staticmethod
    def weight_quantizer_or_default(config: Any, default: Any) -> Any:
        if config is not None and config.weight_quantizer is not None:
            return config.weight_quantizer
        return default

    @staticmethod
    def activation_quantizer_or_default(config: Any, default: Any) -> Any:
        if config is not None:
            return config.activation_quantizer
        return default


class Int8QuantizationConfig(QuantizationConfig):
    """Int8 weights (per output channel) and, by default, int8 activations (``AbsMaxQuantizer`` on the
    last axis); ``activation_quantizer=None`` gives weight-only quantization."""

    def __init__(self, weight_quantizer: Any = None, activation_quantizer: Any = "default") -> None:
        from .quantizers import AbsMaxQuantizer

        if isinstance(activation_quantizer, str) and activation_quantizer == "default":
            activation_quantizer = AbsMaxQuantizer()
        super().__init__(weight_quantizer, activation_quantizer)
        if self.weight_quantizer is not None and self.weight_quantizer.output_dtype != "int8":
            raise ValueError("Int8QuantizationConfig requires a weight_quantizer with output_dtype='int8'. "
                             f"Received: output_dtype={self.weight_quantizer.output_dtype}")

    @property
    def mode(self) -> str:
        return "int8"


class Int4QuantizationConfig(QuantizationConfig):
    """Int4 weights, weight-only by default. ``block_size``: rows per group for sub-channel (asymmetric,
    with zero points) quantization; None or -1: one symmetric scale per output channel. Default 128."""

    def __init__(self, weight_quantizer: Any = None, activation_quantizer: Any = "default",
                 block_size: Optional[int] = 128) -> None:
        if isinstance(activation_quantizer, str) and activation_quantizer == "default":
            activation_quantizer = None
        super().__init__(weight_quantizer, activation_quantizer)
        if block_size is not None and block_size != -1 and block_size <= 0:
            raise ValueError(f"block_size must be None, -1, or a positive integer. Received: block_size={block_size}")
        self.block_size = block_size
        sub_channel = block_size is not None and block_size > 0
        if sub_channel and (self.weight_quantizer is not None or self.activation_quantizer is not None):
            raise ValueError("Int4 sub-channel quantization (block_size > 0) does not support custom quantizers. "
                             "Either set block_size to None or -1 for per-channel quantization, or remove the "
                             f"custom quantizer arguments. Received: block_size={block_size}")
        if self.weight_quantizer is not None:
            if tuple(self.weight_quantizer.value_range) != (-8, 7):
                raise ValueError("Int4QuantizationConfig requires a weight_quantizer with value_range=(-8, 7). "
                                 f"Received: value_range={self.weight_quantizer.value_range}")
            if self.weight_quantizer.output_dtype != "int8":
                raise ValueError("Int4QuantizationConfig requires a weight_quantizer with output_dtype='int8'. "
                                 f"Received: output_dtype={self.weight_quantizer.output_dtype}")

    @property
    def mode(self) -> str:
        return "int4"

    def get_config(self) -> Dict[str, Any]:
        cfg = super().get_config()
        cfg["block_size"] = self.block_size
        return cfg

    @classmethod
    def from_config(cls, config: Dict[str, Any]) -> "Int4QuantizationConfig":
        return cls(weight_quantizer=_deser(config.get("weight_quantizer")),
                   activation_quantizer=_deser(config.get("activation_quantizer")),
                   block_size=config.get("block_size", None))


class Float8QuantizationConfig(QuantizationConfig):
    """Float8 training (delayed scaling); takes no custom quantizers."""

    def __init__(self) -> None:
        super().__init__(None, None)

    @property
    def mode(self) -> str:
        return "float8"

    def get_config(self) -> Dict[str, Any]:
        return {}

    @classmethod
    def from_config(cls, config: Dict[str, Any]) -> "Float8QuantizationConfig":
        return cls()


def validate_and_resolve_config(mode: Optional[str], config: Any) -> QuantizationConfig:
    """The config ``quantize(mode, config)`` uses: ``config`` checked against ``mode``, or the default
    config of ``mode`` (a string ``config`` is taken as the mode)."""
    if isinstance(config, str):
        mode, config = config, None
    _validate_mode(mode)
    if config is None:
        if mode == "int8":
            config = Int8QuantizationConfig()
        elif mode == "int4":
            config = Int4QuantizationConfig()
        elif mode == "float8":
            config = Float8QuantizationConfig()
        elif mode == "gptq":
            raise ValueError("For GPTQ, you must pass a `GPTQConfig` object in the `config` argument.")
        elif mode == "awq":
            raise ValueError("For AWQ, you must pass an `AWQConfig` object in the `config` argument.")
        elif mode is not None:
            raise ValueError(f"Invalid quantization mode. Received: mode={mode}")
        else:
            raise ValueError("You must provide either `mode` or `config` to `quantize`.")
    elif not isinstance(config, QuantizationConfig):
        raise ValueError("Argument `config` must be an instance of `QuantizationConfig`. "
                         f"Received: config={config} (of type {type(config)})")
    if mode is not None and config.mode != mode:
        raise ValueError(f"Contradictory arguments: mode='{mode}' but config.mode='{config.mode}'")
    mode = config.mode
    _validate_mode(mode)
    if mode == "gptq":
        from .gptq_config import GPTQConfig

        if not isinstance(config, GPTQConfig):
            raise ValueError(f"Mode 'gptq' requires a valid `config` argument of type `GPTQConfig`. "
                             f"Received: {type(config)}")
    if mode == "awq":
        from .awq_config import AWQConfig

        if not isinstance(config, AWQConfig):
            raise ValueError(f"Mode 'awq' requires a valid `config` argument of type `AWQConfig`. "
                             f"Received: {type(config)}")
    return config


def _validate_mode(mode: Optional[str]) -> None:
    if mode is not None and mode not in QUANTIZATION_MODES:
        raise ValueError(f"Invalid quantization mode. Expected one of {QUANTIZATION_MODES}. Received: mode={mode}")


def get_block_size_for_layer(layer: Any, config: Any) -> Optional[int]:
    """The int4 block size of ``layer``: from an ``Int4QuantizationConfig``, else from the layer's
    ``Int4DTypePolicy`` (-1 read as None), else None (per-channel)."""
    from ..dtype_policies.dtype_policy import Int4DTypePolicy

    if config and isinstance(config, Int4QuantizationConfig):
        return config.block_size
    policy = _layer_policy(layer)
    if isinstance(policy, Int4DTypePolicy):
        return None if policy.block_size == -1 else policy.block_size
    return None


def _layer_policy(layer):
    """The layer's policy (a DTypePolicyMap's entry for the layer's path)."""
    get = getattr(layer, "_path_dtype_policy", None)
    return get() if get is not None else layer.dtype_policy
