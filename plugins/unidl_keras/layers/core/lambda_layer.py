"""``keras.layers.Lambda``: wrap an arbitrary function as a layer.

Serialization follows Keras 3: a named module-level function is saved by name
(``{"module", "class_name": "function", "config": name}``); a Python lambda (or nested function)
is saved as ``{"class_name": "__lambda__", "config": {"code", "defaults", "closure"}}`` with its
bytecode marshalled and base64-encoded, and loading it again is refused in safe mode.
"""
from __future__ import annotations

import base64
import builtins
import importlib
import inspect
import marshal
import types
from typing import Any, Callable, Dict, Optional

from ...backend.keras_tensor import KerasTensor
from ...saving.object_registration import get_registered_name, get_registered_object
from ...saving.safe_mode import in_safe_mode
from ...utils import tree
from ..layer import Layer, _specs_from_shapes, infer_output_spec


def _dump_function(fn: Callable[..., Any]) -> Dict[str, Any]:
    """``{"code", "defaults", "closure"}`` of ``fn``: its bytecode marshalled and base64-encoded."""
    code = base64.encodebytes(marshal.dumps(fn.__code__)).decode("ascii")
    closure = tuple(c.cell_contents for c in fn.__closure__) if fn.__closure__ else None
    return {"code": code, "defaults": fn.__defaults__, "closure": closure}


def _load_function(cfg: Dict[str, Any]) -> Callable[..., Any]:
    code = marshal.loads(base64.decodebytes(cfg["code"].encode("ascii")))
    defaults = cfg.get("defaults")
    defaults = tuple(defaults) if isinstance(defaults, list) else defaults
    closure = cfg.get("closure")
    if closure is not None:
        closure = tuple(types.CellType(v) for v in closure)
    import unidl_keras

    globs = {"__builtins__": builtins, "keras": unidl_keras}
    return types.FunctionType(code, globs, name=code.co_name, argdefs=defaults, closure=closure)


def _is_lambda(fn: Any) -> bool:
    return isinstance(fn, types.FunctionType) and (fn.__name__ == "<lambda>" or "<locals>" in fn.__qualname__)


def _serialize_fn(fn: Callable[..., Any]) -> Dict[str, Any]:
    if _is_lambda(fn):
        return {"class_name": "__lambda__", "config": _dump_function(fn)}
    registered = get_registered_name(fn)
    return {"module": getattr(fn, "__module__", None), "class_name": "function",
            "config": getattr(fn, "__name__", None),
            "registered_name": registered if registered != getattr(fn, "__name__", None) else "function"}


def _unsafe_error(arg: str) -> ValueError:
    return ValueError(
        f"Requested the deserialization of a `Lambda` layer whose `{arg}` is a Python lambda. This carries a "
        "potential risk of arbitrary code execution and thus it is disallowed by default. If you trust the source "
        "of the artifact, you can override this error by passing `safe_mode=False` to the loading function, or "
        "calling `keras.config.enable_unsafe_deserialization()`.")


def _deserialize_fn(arg: str, cfg: Any, custom_objects: Optional[Dict[str, Any]], safe: bool) -> Any:
    if not isinstance(cfg, dict) or "class_name" not in cfg:
        return cfg
    if cfg["class_name"] == "__lambda__":
        if safe:
            raise _unsafe_error(arg)
        return _load_function(cfg["config"])
    name = cfg.get("config")
    if not isinstance(name, str):
        raise TypeError(f"Lambda: the `{arg}` entry must name a function, got {name!r:.60}")
    if custom_objects and name in custom_objects:
        return custom_objects[name]
    found = get_registered_object(cfg.get("registered_name") or name, custom_objects)
    if found is None:
        found = _own_function(name, cfg.get("module"))
    if found is not None:
        return found
    module = cfg.get("module")
    if module and safe:
        raise ValueError(
            f"Requested the deserialization of a `Lambda` layer whose `{arg}` is the function {name!r} of module "
            f"{module!r}, named by the file. In safe mode (the default) a file may only name functions that "
            "unidl_keras itself provides, that are registered with `@keras.saving.register_keras_serializable()`, "
            "or that are passed in `custom_objects`: importing a module a file names can run arbitrary code. If you "
            "trust the source of the artifact, pass `safe_mode=False` to the loading function.")
    if module:
        try:
            return getattr(importlib.import_module(module), name)
        except (ImportError, AttributeError, ValueError, TypeError):
            pass
    raise TypeError(f"Could not locate function '{name}'. Make sure custom classes and functions are decorated "
                    "with `@keras.saving.register_keras_serializable()`. If they are already decorated, make sure "
                    f"they are all imported so that the decorator is run before trying to load them. Full object "
                    f"config: {cfg}")


def _own_function(name: str, module: Any) -> Optional[Callable[..., Any]]:
    """A function unidl_keras itself provides under ``name`` (keras.activations, keras.ops, ...): looked up in
    unidl_keras's own namespaces only, whatever module the file names."""
    from ...saving.serialization import own_function

    return own_function(name, module if isinstance(module, str) else "")


def _accepts(fn: Callable[..., Any], name: str) -> bool:
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    return name in params or any(p.kind is p.VAR_KEYWORD for p in params.values())


class Lambda(Layer):
    """Applies ``function(inputs, **arguments)``.

    Args:
        function: a callable taking the input tensor (or list of tensors); it may accept
            ``mask`` and ``training`` keyword arguments, which are then passed.
        output_shape: the output shape without the batch dim (a tuple, or a list of tuples), or a
            callable ``input_shape -> output_shape`` (with batch dim); default: inferred by running
            the function.
        mask: a tensor, or a callable ``(inputs, previous_mask) -> mask``, giving the output mask.
        arguments: extra keyword arguments for ``function``.

    Input shape: any. Output shape: given by ``output_shape`` or inferred.
    """

    def __init__(self, function: Callable[..., Any], output_shape: Any = None, mask: Any = None,
                 arguments: Optional[Dict[str, Any]] = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not callable(function):
            raise ValueError(f"Argument `function` of Lambda layer '{self.name}' must be callable. "
                             f"Received: function={function!r}")
        if arguments is not None and not isinstance(arguments, dict):
            raise ValueError(f"Argument `arguments` of Lambda layer '{self.name}' must be a dict. "
                             f"Received: arguments={arguments!r}")
        self.function = function
        self.arguments = dict(arguments or {})
        self.mask = mask
        self.supports_masking = mask is not None
        self._output_shape = output_shape
        self._takes_mask = _accepts(function, "mask")
        self._takes_training = _accepts(function, "training")
        self.built = True

    def call(self, inputs: Any, mask: Any = None, training: Any = None) -> Any:
        kwargs = dict(self.arguments)
        if self._takes_mask:
            kwargs["mask"] = mask
        if self._takes_training:
            kwargs["training"] = training
        return self.function(inputs, **kwargs)

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> Any:
        if callable(self.mask):
            return self.mask(inputs, previous_mask)
        return self.mask

    def compute_output_shape(self, input_shape: Any) -> Any:
        if self._output_shape is None:
            specs = infer_output_spec(self, (tree.map_structure(lambda s: KerasTensor(s), input_shape),), {})
            return tree.map_structure(lambda t: t.shape, specs)
        if callable(self._output_shape):
            return self._output_shape(input_shape)
        batch = tree.flatten(input_shape)[0] if tree.flatten(input_shape) else None
        return _add_batch(self._output_shape, batch)

    def compute_output_spec(self, *args: Any, **kwargs: Any) -> Any:
        if self._output_shape is None:
            return infer_output_spec(self, args, kwargs)
        first = args[0] if args else next(iter(kwargs.values()))
        shapes = self.compute_output_shape(tree.map_structure(
            lambda t: t.shape if isinstance(t, KerasTensor) else t, first))
        return _specs_from_shapes(shapes, self.compute_dtype)

    def get_config(self) -> Dict[str, Any]:
        cfg = super().get_config()
        cfg["function"] = _serialize_fn(self.function)
        if self._output_shape is not None:
            cfg["output_shape"] = (_serialize_fn(self._output_shape) if callable(self._output_shape)
                                   else self._output_shape)
        if self.mask is not None:
            cfg["mask"] = _serialize_fn(self.mask) if callable(self.mask) else self.mask
        cfg["arguments"] = dict(self.arguments)
        return cfg

    @classmethod
    def from_config(cls, config: Dict[str, Any], custom_objects: Optional[Dict[str, Any]] = None,
                    safe_mode: Optional[bool] = None) -> "Lambda":
        safe = in_safe_mode() if safe_mode is None else bool(safe_mode)
        config = dict(config)
        for arg in ("function", "output_shape", "mask"):
            if arg in config:
                config[arg] = _deserialize_fn(arg, config[arg], custom_objects, safe)
        if isinstance(config.get("output_shape"), list) and all(
                d is None or isinstance(d, int) for d in config["output_shape"]):
            config["output_shape"] = tuple(config["output_shape"])
        return super().from_config(config)


def _add_batch(shape: Any, batch: Any) -> Any:
    if isinstance(shape, (list, tuple)) and all(d is None or isinstance(d, int) for d in shape):
        return (batch,) + tuple(shape)
    if isinstance(shape, dict):
        return {k: _add_batch(v, batch) for k, v in shape.items()}
    return [_add_batch(s, batch) for s in shape]
