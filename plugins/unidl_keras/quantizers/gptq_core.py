"""GPTQ helpers the layers use: a layer's weight bits and group size (from its config or policy)."""
from __future__ import annotations

from typing import Any

from .gptq_config import GPTQConfig


def _policy(layer: Any, cls: type) -> Any:
    policy = _layer_policy(layer)
    if isinstance(policy, cls):
        return policy
    raise ValueError(f"Expected a `dtype_policy` of type `{cls.__name__}`.Got: {type(policy)}")


def get_group_size_for_layer(layer: Any, config: Any) -> int:
    """The GPTQ group size: from a GPTQConfig, else from the layer's GPTQDTypePolicy."""
    from ..dtype_policies.dtype_policy import GPTQDTypePolicy

    if config and isinstance(config, GPTQConfig):
        return config.group_size
    return _policy(layer, GPTQDTypePolicy).group_size


def get_weight_bits_for_layer(layer: Any, config: Any) -> int:
    """The GPTQ weight bits: from a GPTQConfig, else from the layer's GPTQDTypePolicy."""
    from ..dtype_policies.dtype_policy import GPTQDTypePolicy

    if config and isinstance(config, GPTQConfig):
        return config.weight_bits
    return _policy(layer, GPTQDTypePolicy).weight_bits


def _layer_policy(layer):
    """The layer's policy (a DTypePolicyMap's entry for the layer's path)."""
    get = getattr(layer, "_path_dtype_policy", None)
    return get() if get is not None else layer.dtype_policy
