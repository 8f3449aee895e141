"""``keras.dtype_policies``: DTypePolicy objects and get / serialize / deserialize."""
from __future__ import annotations

from typing import Any, Dict

from . import dtype_policy
from .dtype_policy import (QUANTIZATION_MODES, AWQDTypePolicy, DTypePolicy, FloatDTypePolicy, GPTQDTypePolicy,
                           Int4DTypePolicy, QuantizedDTypePolicy, QuantizedFloat8DTypePolicy, _from_name)
from .dtype_policy_map import DTypePolicyMap

ALL_OBJECTS = {AWQDTypePolicy, DTypePolicy, FloatDTypePolicy, QuantizedDTypePolicy, QuantizedFloat8DTypePolicy,
               DTypePolicyMap, GPTQDTypePolicy, Int4DTypePolicy}
ALL_OBJECTS_DICT = {cls.__name__: cls for cls in ALL_OBJECTS}

__all__ = ["AWQDTypePolicy", "DTypePolicy", "DTypePolicyMap", "FloatDTypePolicy", "GPTQDTypePolicy",
           "Int4DTypePolicy", "QuantizedDTypePolicy", "QuantizedFloat8DTypePolicy", "deserialize", "get",
           "serialize"]


def serialize(dtype_policy: DTypePolicy) -> Dict[str, Any]:
    """The policy's config dict: ``{"module": "keras", "class_name": ..., "config": {"name": ...}, ...}``."""
    if not isinstance(dtype_policy, DTypePolicy):
        raise ValueError(f"Could not serialize dtype policy {dtype_policy!r}: expected a DTypePolicy instance.")
    return {"module": "keras", "class_name": type(dtype_policy).__name__, "config": dtype_policy.get_config(),
            "registered_name": None}


def deserialize(config: Dict[str, Any], custom_objects: Any = None) -> DTypePolicy:
    """A policy from :func:`serialize`'s dict."""
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"Could not deserialize dtype policy: expected a dict with a 'class_name'. "
                         f"Received: {config!r}")
    name = config["class_name"]
    cls = (custom_objects or {}).get(name) or ALL_OBJECTS_DICT.get(name)
    if cls is None:
        raise ValueError(f"Unknown dtype policy class: '{name}'. Expected one of {sorted(ALL_OBJECTS_DICT)}.")
    return cls.from_config(config.get("config", {}))


def get(identifier: Any) -> DTypePolicy:
    """A policy from a policy, a name, a serialized dict, or None (the global policy)."""
    if identifier is None:
        return dtype_policy.dtype_policy()
    if isinstance(identifier, DTypePolicy):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        return _from_name(identifier)
    try:
        return DTypePolicy(config_name(identifier))
    except (TypeError, ValueError):
        raise ValueError("Cannot interpret `dtype` argument. Expected a string or an instance of DTypePolicy. "
                         f"Received: dtype={identifier}") from None


def config_name(dtype: Any) -> str:
    """A dtype object (NumPy dtype, ...) as its name; raises TypeError for anything else."""
    import numpy as np

    if isinstance(dtype, (int, float, bool)) or dtype is None:
        raise TypeError(dtype)
    from ..backend import config

    if isinstance(dtype, type) and issubclass(dtype, np.generic) or isinstance(dtype, np.dtype) \
            or isinstance(getattr(dtype, "name", None), str):
        return config.standardize_dtype(dtype)
    raise TypeError(dtype)
