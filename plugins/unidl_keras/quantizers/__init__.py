"""``keras.quantizers``: quantizers, quantization configs and quantization functions (Keras 3.15 API).

Layers (Dense, EinsumDense, Embedding) quantize with ``layer.quantize(mode, config=...)`` or a
quantized dtype policy; see the layer docs.
"""
from __future__ import annotations

import inspect
from typing import Any

from ..backend.common import snake_case as _snake_case
from .awq_config import AWQConfig
from .gptq_config import GPTQConfig
from .quantization_config import (Float8QuantizationConfig, Int4QuantizationConfig, Int8QuantizationConfig,
                                  QuantizationConfig)
from .quantizers import (AbsMaxQuantizer, Quantizer, abs_max_quantize, abs_max_quantize_grouped_with_zero_point,
                         compute_float8_amax_history, compute_float8_scale, compute_quantization_parameters,
                         dequantize_with_sz_map, fake_quant_with_min_max_vars, pack_int4, quantize_and_dequantize,
                         quantize_with_sz_map, unpack_int4)

ALL_OBJECTS = {Quantizer, AbsMaxQuantizer, QuantizationConfig, Int8QuantizationConfig, Int4QuantizationConfig,
               Float8QuantizationConfig, AWQConfig}
ALL_OBJECTS_DICT = {cls.__name__: cls for cls in ALL_OBJECTS}
ALL_OBJECTS_DICT.update({_snake_case(cls.__name__): cls for cls in ALL_OBJECTS})

__all__ = ["AWQConfig", "AbsMaxQuantizer", "Float8QuantizationConfig", "GPTQConfig", "Int4QuantizationConfig",
           "Int8QuantizationConfig", "QuantizationConfig", "Quantizer", "abs_max_quantize",
           "abs_max_quantize_grouped_with_zero_point", "compute_float8_amax_history", "compute_float8_scale",
           "compute_quantization_parameters", "dequantize_with_sz_map", "deserialize",
           "fake_quant_with_min_max_vars", "get", "pack_int4", "quantize_and_dequantize", "quantize_with_sz_map",
           "serialize", "unpack_int4"]


def serialize(initializer: Any) -> Any:
    """The Keras config dict of a quantizer or quantization config."""
    from ..saving.serialization import serialize_keras_object

    return serialize_keras_object(initializer)


def deserialize(config: Any, custom_objects: Any = None) -> Any:
    """A quantizer (or config) from :func:`serialize`'s dict."""
    from ..saving.serialization import deserialize_keras_object

    return deserialize_keras_object(config, custom_objects=custom_objects, module_objects=ALL_OBJECTS_DICT)


def get(identifier: Any, **kwargs: Any) -> Any:
    """A quantizer from None, a config dict, a class name (instantiated with ``kwargs``) or an instance."""
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        obj = deserialize(identifier)
    elif isinstance(identifier, str):
        obj = ALL_OBJECTS_DICT.get(identifier, None)
    else:
        obj = identifier
    if callable(obj):
        if inspect.isclass(obj):
            obj = obj(kwargs)
        return obj
    raise ValueError(f"Could not interpret quantizer identifier: {identifier}")
