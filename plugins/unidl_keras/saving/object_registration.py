"""Custom object registration (``keras.saving.register_keras_serializable`` and friends).

A registered class or function is stored under ``"<package>>[name]"`` (Keras 3's registered name);
``custom_object_scope`` adds objects for the duration of a ``with`` block (per thread).
"""
from __future__ import annotations

import inspect
import threading
from typing import Any, Callable, Dict, Optional

_GLOBAL_CUSTOM_OBJECTS: Dict[str, Any] = {}
_GLOBAL_CUSTOM_NAMES: Dict[Any, str] = {}
_SCOPE = threading.local()


def _scope_stack() -> list:
    stack = getattr(_SCOPE, "stack", None)
    if stack is None:
        stack = _SCOPE.stack = []
    return stack


class CustomObjectScope:
    """``with CustomObjectScope({"MyLayer": MyLayer}): ...`` makes the objects visible to deserialization."""

    def __init__(self, custom_objects: Optional[Dict[str, Any]] = None) -> None:
        self.custom_objects = dict(custom_objects or {})

    def __enter__(self) -> "CustomObjectScope":
        _scope_stack().append(self.custom_objects)
        return self

    def __exit__(self, *exc: object) -> None:
        _scope_stack().pop()


custom_object_scope = CustomObjectScope


def get_custom_objects() -> Dict[str, Any]:
    """The global dict of registered objects (mutable, as Keras's)."""
    return _GLOBAL_CUSTOM_OBJECTS


def scoped_custom_objects() -> Dict[str, Any]:
    """Objects of every enclosing ``custom_object_scope``, innermost winning."""
    out: Dict[str, Any] = {}
    for d in _scope_stack():
        out.update(d)
    return out


def register_keras_serializable(package: str = "Custom", name: Optional[str] = None) -> Callable[[Any], Any]:
    """Decorator registering a class or function as ``"<package>><name>"`` (name defaults to ``__name__``)."""

    def decorator(arg: Any) -> Any:
        class_name = name if name is not None else arg.__name__
        registered_name = f"{package}>{class_name}"
        if inspect.isclass(arg) and not hasattr(arg, "get_config"):
            raise ValueError("Cannot register a class that does not have a get_config() method.")
        _GLOBAL_CUSTOM_OBJECTS[registered_name] = arg
        _GLOBAL_CUSTOM_NAMES[arg] = registered_name
        return arg

    return decorator


def get_registered_name(obj: Any) -> str:
    """The registered name of ``obj`` (``"package>Name"``), else its ``__name__``."""
    if obj in _GLOBAL_CUSTOM_NAMES:
        return _GLOBAL_CUSTOM_NAMES[obj]
    return getattr(obj, "__name__", type(obj).__name__)


def get_registered_object(name: str, custom_objects: Optional[Dict[str, Any]] = None,
                          module_objects: Optional[Dict[str, Any]] = None) -> Any:
    """The object registered as ``name``: scopes first, then the global registry, ``custom_objects``,
    then ``module_objects``; None if absent."""
    scoped = scoped_custom_objects()
    if name in scoped:
        return scoped[name]
    if name in _GLOBAL_CUSTOM_OBJECTS:
        return _GLOBAL_CUSTOM_OBJECTS[name]
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    if module_objects and name in module_objects:
        return module_objects[name]
    return None
