"""The small config dicts Keras 3 writes for objects such as initializers, regularizers, constraints,
losses and metrics (``{"module", "class_name", "config", "registered_name"}``), and reading them back."""
from __future__ import annotations

from typing import Any, Dict, Mapping, Optional


def serialize_object(obj: Any, module: str, kind: str, base: Optional[type] = None) -> Optional[Dict[str, Any]]:
    """``obj``'s config dict: an instance (of ``base``, when given) by class and ``get_config()``; a named
    function by name (``class_name: "function"``). None stays None."""
    if obj is None:
        return None
    if (base is not None and isinstance(obj, base)) or (base is None and hasattr(obj, "get_config")):
        return {"module": module, "class_name": type(obj).__name__, "config": obj.get_config(), "registered_name": None}
    name = getattr(obj, "__name__", None)
    if name is None:
        raise ValueError(f"Cannot serialize {kind} {obj!r}: it is neither a Keras {kind} object nor a named function.")
    return {"module": module, "class_name": "function", "config": name, "registered_name": name}


def deserialize_object(config: Mapping[str, Any], by_name: Mapping[str, Any], kind: str,
                       custom_objects: Optional[Mapping[str, Any]] = None) -> Any:
    """An instance from a class config dict, looking the class up in ``custom_objects`` then ``by_name``."""
    name = config.get("class_name") if isinstance(config, Mapping) else None
    cls = (custom_objects or {}).get(name) or by_name.get(name) if name else None
    if cls is None:
        raise ValueError(f"Could not interpret {kind} identifier: {config}")
    return cls.from_config(config.get("config") or {})


def get_object(identifier: Any, by_name: Mapping[str, Any], kind: str, deserialize: Any,
               base: Optional[type] = None) -> Any:
    """Keras's ``get`` for a registry: None -> None, a config dict -> ``deserialize(dict)``, a name -> a new
    instance of the class it names (or the function it names), a class of the registry (or of ``base``) ->
    an instance, a callable -> itself."""
    if identifier is None:
        return None
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        obj = by_name.get(identifier)
        if obj is None:
            raise ValueError(f"Could not interpret {kind} identifier: {identifier}")
        return obj() if isinstance(obj, type) else obj
    if isinstance(identifier, type) and (identifier in by_name.values()
                                         or (base is not None and issubclass(identifier, base))):
        return identifier()
    if callable(identifier):
        return identifier
    raise ValueError(f"Could not interpret {kind} identifier: {identifier}")
