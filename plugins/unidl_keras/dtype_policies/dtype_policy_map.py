"""``keras.dtype_policies.DTypePolicyMap``: per-layer-path policies, used by Keras for quantization; not
supported yet (raises NotImplementedError)."""
from __future__ import annotations

from typing import Any

from .dtype_policy import DTypePolicy, _quantization_unsupported


class DTypePolicyMap(DTypePolicy):
    """A map from layer paths to policies (quantization): not supported yet."""

    def __init__(self, default_policy: Any = None, policy_map: Any = None) -> None:
        raise _quantization_unsupported("DTypePolicyMap")
