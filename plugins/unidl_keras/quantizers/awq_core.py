"""AWQ helpers the layers use: a layer's group size (from its config or policy)."""
from __future__ import annotations

from typing import Any

from .awq_config import AWQConfig


def get_group_size_for_layer(layer: Any, config: Any) -> int:
    """The AWQ group size: from an AWQConfig, else from the layer's AWQDTypePolicy."""
    from ..dtype_policies.dtype_policy import AWQDTypePolicy

    if config and isinstance(config, AWQConfig):
        return config.group_size
    policy = _layer_policy(layer)
    if isinstance(policy, AWQDTypePolicy):
        return policy.group_size
    raise ValueError("For AWQ quantization, group_size must be specified through AWQConfig or AWQDTypePolicy.")


def _layer_policy(layer):
    """The layer's policy (a DTypePolicyMap's entry for the layer's path)."""
    get = getattr(layer, "_path_dtype_policy", None)
    return get() if get is not None else layer.dtype_policy
