"""``keras.dtype_policies.DTypePolicyMap``: policies by layer path (exact keys, else regex keys with
``re.fullmatch``), with a default policy; a layer given a map uses the entry for its own path (this is how
a model's quantized sublayers keep their quantized policies)."""
from __future__ import annotations

import re
from collections.abc import MutableMapping
from typing import Any, Dict, Optional

from .dtype_policy import DTypePolicy, QuantizedDTypePolicy


class DTypePolicyMap(DTypePolicy, MutableMapping):
    """Dict-like map from layer paths (or regexes over them) to DTypePolicy objects.

    Args:
        default_policy: the policy of paths with no entry (default: the global policy).
        policy_map: an optional initial dict of path -> policy.
    """

    def __init__(self, default_policy: Any = None, policy_map: Optional[Dict[str, Any]] = None) -> None:
        if isinstance(default_policy, DTypePolicyMap):
            raise ValueError("`default_policy` cannot be a `DTypePolicyMap`.")
        if policy_map is not None and not isinstance(policy_map, dict):
            raise TypeError(f"If specified, `policy_map` must be a dict. Received: policy_map={policy_map} of type "
                            f"{type(policy_map)}")
        from . import get

        self._default_policy_arg = default_policy
        self._default_policy = get(default_policy)
        self._policy_map = policy_map or dict()

    @property
    def name(self) -> str:
        return f"map_{self.default_policy._name}"

    @property
    def default_policy(self) -> DTypePolicy:
        from . import get

        return get(self._default_policy)

    @property
    def variable_dtype(self) -> str:
        return self.default_policy.variable_dtype

    @property
    def compute_dtype(self) -> str:
        return self.default_policy.compute_dtype

    @property
    def quantization_mode(self) -> Optional[str]:
        return self.default_policy.quantization_mode

    def __getitem__(self, key: str) -> DTypePolicy:
        if key in self._policy_map:
            return self._policy_map[key]
        matching = [p for p in self._policy_map if re.fullmatch(p, key)]
        if len(matching) > 1:
            raise ValueError(f"Path '{key}' matches multiple dtype policy specification keys: {matching}. Please "
                             "make sure each path only matches at most one dtype policy specification key in the "
                             "DTypePolicyMap.")
        if len(matching) == 1:
            return self._policy_map[matching[0]]
        return self.default_policy

    def __setitem__(self, key: str, policy: Any) -> None:
        from . import get

        if key in self._policy_map:
            raise ValueError(f"{key} already exist in the DTypePolicyMap with value {self._policy_map[key]}. Please "
                             "make sure to not use duplicated keys.")
        try:
            policy = get(policy)
        except Exception:
            raise ValueError("Cannot interpret the assigned value by `keras.dtype_policies.get`. "
                             f"Received: {policy} of type {type(policy)}") from None
        self._policy_map[key] = policy

    def __delitem__(self, key: str) -> Any:
        return self._policy_map.pop(key)

    def __contains__(self, key: Any) -> bool:
        return key in self._policy_map

    def __len__(self) -> int:
        return len(self._policy_map)

    def __iter__(self) -> Any:
        return iter(self._policy_map)

    def __eq__(self, other: Any) -> bool:
        return self is other

    __hash__ = None  # type: ignore[assignment]

    def get_config(self) -> Dict[str, Any]:
        from ..saving.serialization import serialize_keras_object

        policy_map = self._policy_map
        if self._default_policy_arg is None:  # as Keras: entries follow the (global) default when reloaded
            for policy in policy_map.values():
                if isinstance(policy, QuantizedDTypePolicy):
                    policy._name = None
                    policy._source_name = None
                elif isinstance(policy, DTypePolicy):
                    policy._name = None
        return {"default_policy": self._default_policy_arg, "policy_map": serialize_keras_object(policy_map)}

    @classmethod
    def from_config(cls, config: Dict[str, Any], custom_objects: Any = None) -> "DTypePolicyMap":
        from ..saving.serialization import deserialize_keras_object

        config = dict(config)
        config["policy_map"] = deserialize_keras_object(config["policy_map"], custom_objects=custom_objects)
        return cls(**config)

    def __repr__(self) -> str:
        default = self._default_policy.name if self._default_policy is not None else None
        mapping = [(k, v.name) for k, v in self._policy_map.items()]
        return f"<DTypePolicyMap at {hex(id(self))} default_policy={default}, mapping={mapping}>"
