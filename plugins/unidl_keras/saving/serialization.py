"""Keras 3 config dicts: ``serialize_keras_object`` / ``deserialize_keras_object`` and the model configs.

An object serializes to ``{"module", "class_name", "config", "registered_name"}`` (+ ``build_config`` for
built layers, + ``compile_config`` for models), with the *public Keras* module names (``keras.layers``,
``keras.initializers``, ``keras`` for Sequential, ``keras.src.models.functional`` for Functional) so
real Keras 3 can rebuild what we write, and we can rebuild what it writes. Functional configs list the
layers in Keras's order with ``inbound_nodes`` (``{"args", "kwargs"}``, tensors as ``__keras_tensor__``
dicts) and ``input_layers``/``output_layers``; Keras 2 node lists (``[[name, node, tensor, kwargs]]``)
are read too. Arbitrary code (``__lambda__``) is refused in safe mode.
"""
from __future__ import annotations

import importlib
import inspect
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from . import object_registration as reg
from .safe_mode import SafeModeScope, in_safe_mode

_LAMBDA_REFUSED = ("Requested the deserialization of a `Lambda` layer with a Python `lambda` inside it. This carries a "
                   "potential risk of arbitrary code execution and thus it is disallowed by default. If you trust the "
                   "source of the saved model, you can pass `safe_mode=False` to the loading function in order to "
                   "allow `Lambda` layer loading.")
_CODE_REFUSED = ("Requested the deserialization of a Python lambda. This carries a potential risk of arbitrary code "
                 "execution and thus it is disallowed by default. If you trust the source of the artifact, you can "
                 "override this error by passing `safe_mode=False` to `from_config()`, or calling "
                 "`keras.config.enable_unsafe_deserialization()`.")

# unidl_keras sub-packages whose classes Keras exports as ``keras.<pkg>.<Class>``
_PUBLIC_PACKAGES = ("layers", "initializers", "regularizers", "constraints", "optimizers", "losses", "metrics",
                    "activations", "callbacks", "quantizers", "dtype_policies")
_MODEL_CLASSES = ("Sequential", "Functional", "Model")


# -- serialization ---------------------------------------------------------------------------------------

def _public_module(cls: type) -> Tuple[Optional[str], Optional[str]]:
    """(module, registered_name) as Keras writes them for ``cls``."""
    mod = cls.__module__ or ""
    if cls in reg._GLOBAL_CUSTOM_NAMES:
        return mod, reg._GLOBAL_CUSTOM_NAMES[cls]
    if mod.startswith("unidl_keras."):
        pkg = mod.split(".")[1]
        if pkg == "models":
            if cls.__name__ == "Functional":
                return "keras.src.models.functional", "Functional"
            return "keras", None
        if pkg in _PUBLIC_PACKAGES:
            return f"keras.{pkg}", None
        return "keras", None
    return mod, cls.__name__


def serialize_keras_object(obj: Any) -> Any:
    """A JSON-ready Keras 3 config of ``obj`` (layers, models, initializers, ... or plain values)."""
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if isinstance(obj, (np.integer, np.floating, np.bool_)):
        return obj.item()
    if isinstance(obj, bytes):
        return {"class_name": "__bytes__", "config": {"value": obj.decode("utf-8")}}
    if isinstance(obj, np.ndarray):
        return {"class_name": "__numpy__", "config": {"value": obj.tolist(), "dtype": obj.dtype.name}}
    if isinstance(obj, (list, tuple)):
        return [serialize_keras_object(x) for x in obj]
    if isinstance(obj, dict):
        return {k: serialize_keras_object(v) for k, v in obj.items()}
    if obj is Ellipsis:
        return {"class_name": "__ellipsis__", "config": {}}
    if isinstance(obj, slice):
        return {"class_name": "__slice__", "config": {"start": serialize_keras_object(obj.start),
                                                      "stop": serialize_keras_object(obj.stop),
                                                      "step": serialize_keras_object(obj.step)}}
    if isinstance(obj, type) and hasattr(obj, "get_config"):
        module, registered = _public_module(obj)
        return {"module": module, "class_name": obj.__name__, "config": None, "registered_name": registered}
    if inspect.isfunction(obj) or inspect.isbuiltin(obj):
        return _serialize_function(obj)
    if not hasattr(obj, "get_config"):
        raise TypeError(f"Cannot serialize {obj!r}: it has no `get_config()` method.")
    op_config = _op_layer_config(obj)
    if op_config is not None:
        return op_config
    module, registered = _public_module(type(obj))
    out: Dict[str, Any] = {"module": module, "class_name": type(obj).__name__,
                           "config": serialize_keras_object(obj.get_config()), "registered_name": registered}
    get_build = getattr(obj, "get_build_config", None)
    if callable(get_build):
        bc = get_build()
        if bc is not None:
            out["build_config"] = serialize_keras_object(bc)
    from ..models.model import Model

    if isinstance(obj, Model):
        get_compile = getattr(obj, "get_compile_config", None)
        cc = get_compile() if callable(get_compile) else None
        out["compile_config"] = serialize_keras_object(cc) if cc else {}
    return out


def _serialize_function(fn: Any) -> Any:
    from .. import activations

    name = getattr(fn, "__name__", None)
    if name == "<lambda>":
        raise ValueError("Cannot serialize a Python lambda outside a `Lambda` layer; define a named function and "
                         "register it with `@keras.saving.register_keras_serializable()`.")
    if fn in reg._GLOBAL_CUSTOM_NAMES:
        return {"module": fn.__module__, "class_name": "function", "config": reg._GLOBAL_CUSTOM_NAMES[fn],
                "registered_name": "function"}
    mod = getattr(fn, "__module__", "") or ""
    if mod.startswith("unidl_keras.activations"):
        return activations.serialize(fn)
    if mod.startswith("unidl_keras."):
        pkg = mod.split(".")[1]
        return {"module": f"keras.{pkg}", "class_name": "function", "config": name, "registered_name": "function"}
    return {"module": mod, "class_name": "function", "config": name, "registered_name": "function"}


# -- deserialization -------------------------------------------------------------------------------------

def deserialize_keras_object(config: Any, custom_objects: Optional[Dict[str, Any]] = None,
                             safe_mode: Optional[bool] = None, **kwargs: Any) -> Any:
    """The object described by a Keras config (3.x dict, Keras 2 ``{class_name, config}``, or a name).

    ``custom_objects`` maps names (or registered names) to classes/functions; ``safe_mode`` (default:
    the current scope's) refuses configs that carry code.
    """
    scope_safe = SafeModeScope(safe_mode) if safe_mode is not None else None
    scope_objs = reg.CustomObjectScope(custom_objects) if custom_objects else None
    if scope_safe:
        scope_safe.__enter__()
    if scope_objs:
        scope_objs.__enter__()
    try:
        return _deserialize(config, kwargs.get("module_objects"))
    finally:
        if scope_objs:
            scope_objs.__exit__()
        if scope_safe:
            scope_safe.__exit__()


def _lookup(name: Optional[str], module_objects: Optional[Dict[str, Any]] = None) -> Any:
    if not name:
        return None
    return reg.get_registered_object(name, module_objects=module_objects)


def _deserialize(config: Any, module_objects: Optional[Dict[str, Any]] = None) -> Any:
    if config is None or isinstance(config, (bool, int, float)):
        return config
    if isinstance(config, str):
        found = _lookup(config, module_objects)
        return found if found is not None else config
    if isinstance(config, (list, tuple)):
        return [_deserialize(c, module_objects) for c in config]
    if not isinstance(config, dict):
        raise TypeError(f"Could not parse config: {config!r}")
    if "class_name" not in config or "config" not in config:
        return {k: _deserialize(v, module_objects) for k, v in config.items()}
    class_name = config["class_name"]
    inner = config["config"]
    special = _special_value(class_name, inner)
    if special is not _NOT_SPECIAL:
        return special
    if class_name == "__lambda__":
        if in_safe_mode():
            raise ValueError(_CODE_REFUSED)
        raise ValueError("Deserializing Python lambdas is only supported inside a `Lambda` layer's config.")
    module = config.get("module") or ""
    registered = config.get("registered_name")
    if class_name == "function":
        return _resolve_function(inner, module, registered, module_objects)
    if class_name == "Lambda" and isinstance(inner, dict) and _carries_code(inner) and in_safe_mode():
        raise ValueError(_LAMBDA_REFUSED)
    cls = _resolve_class(class_name, module, registered, config, module_objects)
    if not isinstance(cls, type):  # a registered function or an already-made object
        return cls
    inner = _strip_shared_ids(inner if inner is not None else {})
    obj = _from_config(cls, inner)
    build_config = config.get("build_config")
    if build_config and not getattr(obj, "built", True):
        build_from_config(obj, build_config)
    return obj


_NOT_SPECIAL = object()


def _special_value(class_name: str, inner: Any) -> Any:
    if class_name == "__tuple__":
        return tuple(_deserialize(v) for v in inner["value"])
    if class_name == "__numpy__":
        return np.asarray(inner["value"], dtype=inner.get("dtype"))
    if class_name == "__bytes__":
        return inner["value"].encode("utf-8")
    if class_name == "__ellipsis__":
        return Ellipsis
    if class_name == "__slice__":
        return slice(inner.get("start"), inner.get("stop"), inner.get("step"))
    if class_name == "__tensor__":
        return np.asarray(inner["value"], dtype=inner.get("dtype"))
    if class_name == "DTypePolicy" or class_name == "FloatDTypePolicy":
        return inner.get("name") if isinstance(inner, dict) else inner
    return _NOT_SPECIAL


def _carries_code(cfg: Dict[str, Any]) -> bool:
    for key in ("function", "output_shape", "mask"):
        v = cfg.get(key)
        if isinstance(v, dict) and v.get("class_name") == "__lambda__":
            return True
        if isinstance(v, (list, tuple)) and len(v) == 3 and cfg.get(f"{key}_type") == "lambda":
            return True  # Keras 2: (code, defaults, closure) with function_type 'lambda'
    return cfg.get("function_type") == "lambda"


def _strip_shared_ids(x: Any) -> Any:
    if isinstance(x, dict):
        return {k: _strip_shared_ids(v) for k, v in x.items() if k != "shared_object_id"}
    if isinstance(x, list):
        return [_strip_shared_ids(v) for v in x]
    return x


def _family(module: str, class_name: str) -> Optional[str]:
    """Which unidl_keras package a Keras module/class belongs to."""
    from .. import layers as layers_pkg

    if class_name in _MODEL_CLASSES:
        return "models"
    parts = module.replace("unidl_keras", "keras").split(".")
    for pkg in _PUBLIC_PACKAGES:
        if pkg in parts:
            return pkg
    if module in ("keras.src.backend.torch.optimizers", "keras.src.optimizers") or "optimizers" in module:
        return "optimizers"
    if class_name in layers_pkg._WHERE:
        return "layers"
    return None


def _resolve_class(class_name: str, module: str, registered: Optional[str], full: Dict[str, Any],
                   module_objects: Optional[Dict[str, Any]]) -> Any:
    if (module or "").startswith(("keras.src.ops", "keras.ops")):  # an operation node, not a same-named layer
        op_layer = _op_layer_from_config(class_name, module, full.get("config"))
        if op_layer is not None:
            return op_layer
    for key in (registered, class_name):
        found = _lookup(key, module_objects)
        if found is not None:
            return found
    family = _family(module, class_name)
    if family == "models":
        from .. import models

        return getattr(models, class_name)
    if family == "layers":
        from .. import layers as layers_pkg

        if class_name in layers_pkg._WHERE:
            try:
                return getattr(layers_pkg, class_name)
            except (ImportError, AttributeError) as e:
                raise ValueError(f"Could not locate class '{class_name}': the layer is not available in this "
                                 f"build of unidl_keras ({e}). Full object config: {full}") from e
    if family is not None and family != "layers":
        try:
            pkg = importlib.import_module(f"unidl_keras.{family}")
        except ImportError:
            pkg = None
        if pkg is not None:
            cls = getattr(pkg, class_name, None)
            if isinstance(cls, type):
                return cls
            deser = getattr(pkg, "deserialize", None)
            if deser is not None:  # the package knows its own names/aliases
                return deser({k: v for k, v in full.items() if k != "shared_object_id"})
    op_layer = _op_layer_from_config(class_name, module, full.get("config"))
    if op_layer is not None:
        return op_layer
    raise ValueError(f"Could not locate class '{class_name}'. Make sure custom classes and functions are decorated "
                     f"with `@keras.saving.register_keras_serializable()`, or pass them in `custom_objects`. "
                     f"Full object config: {full}")


# -- keras.ops nodes of functional models -----------------------------------------------------------------

def _op_layer_config(obj: Any) -> Optional[Dict[str, Any]]:
    """A ``keras.ops`` node (an OpLayer) as Keras writes its operations: ``{"module": "keras.src.ops.numpy",
    "class_name": "Add", "config": {"name": "add"}}``; the op's other arguments stay in the node's call args."""
    from ..ops.node import OpLayer

    if not isinstance(obj, OpLayer):
        return None
    fn_module = getattr(obj.fn, "__module__", "") or ""
    family = fn_module.rsplit(".", 1)[-1] if fn_module.startswith("unidl_keras.ops.") else "numpy"
    if family not in ("numpy", "nn", "math", "core", "image", "linalg"):
        family = "numpy"
    class_name = "".join(part.capitalize() for part in str(obj.op_name).split("_"))
    return {"module": f"keras.src.ops.{family}", "class_name": class_name, "config": {"name": obj.name},
            "registered_name": class_name}


def _op_layer_from_config(class_name: str, module: str, inner: Any) -> Any:
    """The OpLayer for a Keras operation config (``keras.src.ops.*`` class such as ``Add`` or ``Sum``, its
    constructor arguments given to the op as keywords) or for unidl's older ``OpLayer`` configs. Only the
    face's own ``keras.ops`` functions are looked up; None when there is no such op."""
    import functools

    from .. import ops as ops_pkg
    from ..ops._broadcast import BroadcastOpLayer
    from ..ops.node import OpLayer

    inner = dict(inner) if isinstance(inner, dict) else {}
    if class_name in ("OpLayer", "BroadcastOpLayer") and isinstance(inner.get("op_name"), str):
        wanted = inner["op_name"].replace("_", "").lower()
    elif (module or "").startswith(("keras.src.ops", "keras.ops")):
        wanted = class_name.replace("_", "").lower()
    else:
        return None
    public = {n.replace("_", "").lower(): n for n in ops_pkg.__all__}
    op_name = public.get(wanted)
    if op_name is None:
        return None
    wrapper = getattr(ops_pkg, op_name)
    eager = getattr(wrapper, "eager", wrapper)
    static = {k: _deserialize(v) for k, v in inner.items() if k not in ("name", "trainable", "dtype", "op_name")}
    if static:  # Keras keeps an op's non-tensor arguments (axis, newshape, ...) in the operation's config
        eager = functools.wraps(eager)(functools.partial(eager, **static))
    code = getattr(wrapper, "__code__", None)
    cls = BroadcastOpLayer if code is not None and code.co_filename.endswith("_broadcast.py") else OpLayer
    return cls(eager, op_name, name=inner.get("name"))


def own_function(name: Any, module: str) -> Optional[Any]:
    """The function unidl_keras's own activations/losses/metrics/ops package provides as ``name`` (the package
    the Keras ``module`` path names, or any of them for a builtin/unnamed module); None if none does. Only
    unidl_keras's own packages are imported, never a module a file names."""
    if not isinstance(name, str):
        return None
    short = name.split(">")[-1]
    parts = (module or "").replace("unidl_keras", "keras").split(".")
    for pkg in ("activations", "losses", "metrics", "ops"):
        if pkg in parts or module in ("builtins", ""):
            try:
                mod = importlib.import_module(f"unidl_keras.{pkg}")
            except ImportError:
                continue
            fn = getattr(mod, short, None) if short in getattr(mod, "__all__", ()) else None
            if callable(fn):
                return fn
    return None


def _resolve_function(name: Any, module: str, registered: Optional[str],
                      module_objects: Optional[Dict[str, Any]]) -> Any:
    found = _lookup(name, module_objects)
    if found is not None:
        return found
    found = own_function(name, module)
    if found is not None:
        return found
    raise ValueError(f"Could not locate function '{name}' (module {module!r}). Make sure custom functions are "
                     f"decorated with `@keras.saving.register_keras_serializable()`, or pass them in `custom_objects`.")


def _from_config(cls: type, inner: Any) -> Any:
    from ..layers.layer import Layer

    from ..models.model import Model

    if cls is Model and isinstance(inner, dict) and "input_layers" in inner and "layers" in inner:
        from ..models.functional import Functional

        return functional_from_config(Functional, inner)  # Keras 2 wrote functional models as "Model"
    from_config = getattr(cls, "from_config", None)
    if from_config is None:
        return cls(**inner)
    params = inspect.signature(from_config).parameters
    if "custom_objects" in params:
        return from_config(inner, custom_objects=reg.scoped_custom_objects() or None)
    if isinstance(cls, type) and issubclass(cls, Layer) and isinstance(inner, dict):
        inner = _drop_unknown_defaults(cls, inner)
        inner = {k: _tolerate_nested(v) for k, v in inner.items()}
    return from_config(inner)


_SIMPLE_FAMILIES = ("initializers", "regularizers", "constraints")


def _tolerate_nested(value: Any) -> Any:
    """A nested initializer/regularizer/constraint config with keys a newer Keras adds at their no-op
    default (``input_axes: None`` ...) removed when our class does not take them."""
    if not (isinstance(value, dict) and isinstance(value.get("class_name"), str)
            and isinstance(value.get("config"), dict)):
        return value
    family = _family(value.get("module") or "", value["class_name"])
    if family not in _SIMPLE_FAMILIES:
        return value
    pkg = importlib.import_module(f"unidl_keras.{family}")
    cls = getattr(pkg, "_BY_NAME", {}).get(value["class_name"]) or getattr(pkg, value["class_name"], None)
    if not isinstance(cls, type):
        return value
    ps = inspect.signature(cls.__init__).parameters
    if any(p.kind is p.VAR_KEYWORD for p in ps.values()):
        return value
    cfg = {k: v for k, v in value["config"].items() if k in ps or v not in (None, False)}
    return dict(value, config=cfg)


def _drop_unknown_defaults(cls: type, cfg: Dict[str, Any]) -> Dict[str, Any]:
    """Drop keys a newer Keras writes (``quantization_config: None`` ...) that ``cls`` doesn't take, when
    their value is a no-op (None/False); other unknown keys stay, so real mistakes still raise."""
    from ..layers.layer import Layer, _ALLOWED_KWARGS

    if cls.from_config.__func__ is not Layer.from_config.__func__:  # type: ignore[attr-defined]
        return cfg
    accepted = set(_ALLOWED_KWARGS) | {"dtype"}
    for klass in cls.__mro__:
        init = klass.__dict__.get("__init__")
        if init is None:
            continue
        ps = inspect.signature(init).parameters
        accepted.update(n for n, p in ps.items() if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL))
        if not any(p.kind is p.VAR_KEYWORD for p in ps.values()):
            break
        if klass is Layer:
            break
    return {k: v for k, v in cfg.items() if k in accepted or v not in (None, False)}


def build_from_config(obj: Any, build_config: Dict[str, Any]) -> None:
    """Create ``obj``'s state from its ``build_config``; subclassed models are called once on zeros
    (Keras's ``Model.build``) so their sub-layers get their variables."""
    from ..models.functional import Functional
    from ..models.model import Model
    from ..models.sequential import Sequential

    if isinstance(obj, Functional):
        return
    if isinstance(obj, Sequential):
        shape = build_config.get("input_shape")
        if shape is not None and not obj.built:
            obj.build(tuple(shape))
        return
    if not isinstance(obj, Model):
        obj.build_from_config(build_config)
        return
    shape = build_config.get("input_shape")
    if _custom_build(obj):
        obj.build_from_config(build_config)
    if shape is not None and not obj.weights:
        _call_on_zeros(obj, shape)


def _custom_build(obj: Any) -> bool:
    from ..layers.layer import Layer
    from ..models.model import Model

    for klass in type(obj).__mro__:
        if klass in (Model, Layer):
            return False
        if "build" in klass.__dict__:
            return True
    return False


def _call_on_zeros(model: Any, shape: Any) -> None:
    import unidl

    def zeros(s: Any) -> Any:
        if isinstance(s, dict):
            return {k: zeros(v) for k, v in s.items()}
        if isinstance(s, (list, tuple)) and s and not all(d is None or isinstance(d, int) for d in s):
            return [zeros(v) for v in s]
        return np.zeros(tuple(1 if d is None else int(d) for d in s), dtype="float32")

    with unidl.no_grad():
        model(zeros(shape))
    model.built = True
    model._build_shapes = tuple(shape) if isinstance(shape, list) and all(
        d is None or isinstance(d, int) for d in shape) else shape


# -- functional models -----------------------------------------------------------------------------------

def keras_layer_order(model: Any) -> List[Any]:
    """The layers of a functional model in real Keras's order (``.weights.h5`` group names and the config
    depend on it): ``model.operations`` (layers and ops), which :func:`unidl_keras.models.functional.map_graph`
    orders as Keras."""
    return list(getattr(model, "operations", None) or model.layers)


def _model_node_keys(model: Any, layers: List[Any]) -> Dict[int, int]:
    """id(node) -> its index among the layer's nodes that belong to ``model`` (Keras's node re-indexing)."""
    from ..layers.core.input_layer import InputLayer

    in_model = {id(n) for n in model._nodes}
    for t in model.inputs:
        if t._keras_history is not None:
            layer, ni, _ = t._keras_history
            in_model.add(id(layer._inbound_nodes[ni]))
    out: Dict[int, int] = {}
    for layer in layers:
        k = 0
        for node in layer._inbound_nodes:
            if id(node) in in_model or isinstance(layer, InputLayer):
                out[id(node)] = k
                k += 1
    return out


def _serialize_node_value(x: Any, reindex: Dict[int, int]) -> Any:
    from ..backend.keras_tensor import KerasTensor

    if isinstance(x, KerasTensor):
        layer, ni, ti = x._keras_history
        node = layer._inbound_nodes[ni]
        return {"class_name": "__keras_tensor__",
                "config": {"shape": list(x.shape), "dtype": x.dtype,
                           "keras_history": [layer.name, reindex.get(id(node), ni), ti]}}
    if isinstance(x, (list, tuple)):
        return [_serialize_node_value(v, reindex) for v in x]
    if isinstance(x, dict):
        return {k: _serialize_node_value(v, reindex) for k, v in x.items()}
    return serialize_keras_object(x)


def _tensor_ref(t: Any, reindex: Dict[int, int]) -> List[Any]:
    layer, ni, ti = t._keras_history
    return [layer.name, reindex.get(id(layer._inbound_nodes[ni]), ni), ti]


def functional_config(model: Any) -> Dict[str, Any]:
    """A functional model's config exactly as Keras 3 writes it."""
    from ..layers.core.input_layer import InputLayer

    layers = keras_layer_order(model)
    reindex = _model_node_keys(model, layers)
    layer_configs = []
    for layer in layers:
        cfg = serialize_keras_object(layer)
        cfg["name"] = layer.name
        nodes = []
        if not isinstance(layer, InputLayer):
            for node in layer._inbound_nodes:
                if id(node) in reindex:
                    nodes.append({"args": _serialize_node_value(list(node.call_args), reindex),
                                  "kwargs": _serialize_node_value(dict(node.call_kwargs), reindex)})
        cfg["inbound_nodes"] = nodes
        layer_configs.append(cfg)

    def refs(struct: Any) -> Any:  # the structure kept (nested dicts, lists, tuples), as Keras's map_structure
        if isinstance(struct, dict):
            return {k: refs(v) for k, v in struct.items()}
        if isinstance(struct, (list, tuple)):
            return type(struct)(refs(v) for v in struct) if type(struct) in (list, tuple) else [refs(v) for v in struct]
        return _tensor_ref(struct, reindex)

    return {"name": model.name, "trainable": model.trainable, "layers": layer_configs,
            "input_layers": refs(model._inputs_struct), "output_layers": refs(model._outputs_struct)}


def _legacy_nodes(nodes: List[Any]) -> List[Dict[str, Any]]:
    """Keras 2 ``inbound_nodes`` (``[[[name, node, tensor, kwargs], ...], ...]``) in Keras 3's form."""
    out = []
    for node in nodes:
        if isinstance(node, dict):
            out.append(node)
            continue
        tensors, kwargs = [], {}
        for entry in node:
            name, ni, ti = entry[0], entry[1], entry[2]
            if len(entry) > 3 and entry[3]:
                kwargs = dict(entry[3])
            tensors.append({"class_name": "__keras_tensor__", "config": {"keras_history": [name, ni, ti]}})
        args = [tensors[0]] if len(tensors) == 1 else [tensors]
        out.append({"args": args, "kwargs": kwargs})
    return out


def functional_from_config(cls: type, config: Dict[str, Any], custom_objects: Any = None) -> Any:
    """Rebuild a functional model: make each layer, then replay the layer calls in dependency order."""
    from ..layers.core.input_layer import InputLayer
    from ..utils import tree

    scope = reg.CustomObjectScope(custom_objects) if custom_objects else None
    if scope:
        scope.__enter__()
    try:
        created: Dict[str, Any] = {}
        pending: List[Tuple[Any, List[Dict[str, Any]]]] = []
        tensors: Dict[Tuple[str, int, int], Any] = {}
        for lc in config["layers"]:
            lc = dict(lc)
            nodes = _legacy_nodes(lc.pop("inbound_nodes", []) or [])
            name = lc.pop("name", None) or lc.get("config", {}).get("name")
            layer = _deserialize(lc)
            created[name] = layer
            if isinstance(layer, InputLayer):
                tensors[(name, 0, 0)] = layer.output
            pending.append((layer, nodes))
        counts: Dict[str, int] = {}
        queue = [(name, layer, list(nodes)) for (layer, nodes), name in zip(pending, created)]

        def resolve(x: Any) -> Any:
            if isinstance(x, dict) and x.get("class_name") == "__keras_tensor__":
                key = tuple(x["config"]["keras_history"])
                if key not in tensors:
                    raise KeyError(key)
                return tensors[key]
            if isinstance(x, dict) and x.get("class_name") == "__tuple__":
                return tuple(resolve(v) for v in x["config"]["value"])
            if isinstance(x, dict) and "class_name" in x and "config" in x:
                return _deserialize(x)
            if isinstance(x, list):
                return [resolve(v) for v in x]
            if isinstance(x, dict):
                return {k: resolve(v) for k, v in x.items()}
            return x

        progress = True
        while progress and any(nodes for _, _, nodes in queue):
            progress = False
            for name, layer, nodes in queue:
                while nodes:
                    try:
                        args = resolve(nodes[0].get("args", []))
                        kwargs = resolve(nodes[0].get("kwargs", {}))
                    except KeyError:
                        break
                    out = layer(*args, **kwargs)
                    k = counts.get(name, 0)
                    counts[name] = k + 1
                    for i, t in enumerate(tree.flatten(out)):
                        tensors[(name, k, i)] = t
                    nodes.pop(0)
                    progress = True
        stuck = [name for name, _, nodes in queue if nodes]
        if stuck:
            missing = sorted({ref for _, _, nodes in queue for n in nodes for ref in _referenced_layers(n)
                              if ref not in created})
            if missing:
                raise ValueError(f"Invalid Functional model configuration. Missing node: {missing[0]}")
            raise ValueError(f"Cannot rebuild functional model '{config.get('name')}': the inputs of layer(s) {stuck} "
                             f"are never produced (the config's graph is inconsistent).")

        def lookup(struct: Any) -> Any:
            if isinstance(struct, dict):
                return {k: lookup(v) for k, v in struct.items()}
            if isinstance(struct, (list, tuple)) and len(struct) == 3 and isinstance(struct[0], str) \
                    and isinstance(struct[1], int):
                key = (struct[0], int(struct[1]), int(struct[2]))
                if key not in tensors:
                    raise ValueError(f"Functional model config refers to tensor {list(key)}, which no layer produces.")
                return tensors[key]
            if isinstance(struct, tuple):
                return tuple(lookup(v) for v in struct)
            return [lookup(v) for v in struct]

        inputs = lookup(config["input_layers"])
        outputs = lookup(config["output_layers"])
        from ..backend.keras_tensor import KerasTensor

        # a one-element list of tensors is that tensor (Keras 2 configs list every input); deeper nesting is kept
        if isinstance(inputs, list) and len(inputs) == 1 and isinstance(inputs[0], KerasTensor):
            inputs = inputs[0]
        if isinstance(outputs, list) and len(outputs) == 1 and isinstance(outputs[0], KerasTensor):
            outputs = outputs[0]
        from ..models.functional import Functional

        target = cls if isinstance(cls, type) and issubclass(cls, Functional) else Functional
        if target is not Functional:
            # a Functional subclass (a Model subclass built from inputs/outputs): its own constructor, given the
            # rest of its config (keys its get_config added), as Keras's functional_from_config
            extra = {k: v for k, v in config.items()
                     if k not in ("name", "trainable", "layers", "input_layers", "output_layers")}
            return target(inputs=inputs, outputs=outputs, name=config.get("name"),
                          trainable=config.get("trainable", True), **extra)
        model = target.__new__(target)
        Functional.__init__(model, inputs, outputs, name=config.get("name"), trainable=config.get("trainable", True))
        return model
    finally:
        if scope:
            scope.__exit__()


def _referenced_layers(x: Any) -> List[str]:
    """The layer names a node's arguments refer to (``__keras_tensor__`` histories)."""
    if isinstance(x, dict):
        if x.get("class_name") == "__keras_tensor__":
            hist = (x.get("config") or {}).get("keras_history") or [None]
            return [hist[0]] if isinstance(hist[0], str) else []
        return [r for v in x.values() for r in _referenced_layers(v)]
    if isinstance(x, (list, tuple)):
        return [r for v in x for r in _referenced_layers(v)]
    return []


# -- sequential models -----------------------------------------------------------------------------------

def sequential_config(model: Any) -> Dict[str, Any]:
    """A Sequential model's config exactly as Keras 3 writes it (the InputLayer first when known)."""
    from ..layers.layer import _dtype_config

    layers = []
    if model._input_layer is not None:
        layers.append(serialize_keras_object(model._input_layer))
    layers.extend(serialize_keras_object(x) for x in model.layers)
    cfg: Dict[str, Any] = {"name": model.name, "trainable": model.trainable, "dtype": _dtype_config(model.dtype),
                           "layers": layers}
    if model._input_layer is not None and model.built:
        cfg["build_input_shape"] = list(model._input_layer.batch_shape)
    return cfg


def sequential_from_config(cls: type, config: Any, custom_objects: Any = None) -> Any:
    """Rebuild a Sequential model (Keras 3 dict, or Keras 2's bare list of layer configs)."""
    scope = reg.CustomObjectScope(custom_objects) if custom_objects else None
    if scope:
        scope.__enter__()
    try:
        if isinstance(config, dict):
            name, layer_configs = config.get("name"), config.get("layers", [])
            build_shape = config.get("build_input_shape")
            trainable = config.get("trainable", True)
        else:
            name, layer_configs, build_shape, trainable = None, config, None, True
        model = cls(name=name, trainable=trainable)
        for lc in layer_configs:
            model.add(_deserialize(lc), rebuild=False)
        model._maybe_rebuild()
        if not model.built and isinstance(build_shape, (list, tuple)) and build_shape:
            model.build(tuple(build_shape))
        return model
    finally:
        if scope:
            scope.__exit__()
