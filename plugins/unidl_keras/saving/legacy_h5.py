"""Keras 2 style HDF5 files: whole models (``model.save('m.h5')``) and weights-only ``.h5``.

Layout: root attributes ``model_config`` (JSON ``{class_name, config}``), ``training_config`` (JSON),
``keras_version``, ``backend``; group ``model_weights`` with attribute ``layer_names`` and one group per
layer whose attribute ``weight_names`` lists dataset paths inside it (``dense/kernel:0`` in Keras 2,
``dense/kernel`` in Keras 3). A weights-only file has ``layer_names`` at the root. Long attribute lists
may be split into ``layer_names0``, ``layer_names1``, ... (HDF5's 64 KiB attribute limit).

Weights are matched layer by layer in model order, counting only layers that have weights (Keras's
rule); ``by_name=True`` matches by layer name instead. Keras 2 configs are read with their old
spellings (``lr``, ``batch_input_shape``, ``input_dim``, initializer ``dtype`` keys, node lists).
"""
from __future__ import annotations

import io
import json
import warnings
from typing import Any, Dict, List, Optional

import numpy as np

from .errors import CONFIG_ERRORS, LoadError
from .h5_weights import WeightsLoadError, read_dataset

_ATTR_LIMIT = 64512  # bytes per HDF5 attribute (Keras's HDF5_OBJECT_HEADER_LIMIT)


# -- attributes --------------------------------------------------------------------------------------

def _to_str(x: Any) -> str:
    return x.decode("utf-8") if isinstance(x, (bytes, np.bytes_)) else str(x)


def read_str_list(group: Any, name: str) -> List[str]:
    """A list-of-strings attribute, joined back from ``name0``, ``name1``, ... when chunked."""
    if name in group.attrs:
        raw = group.attrs[name]
        values = list(np.atleast_1d(raw)) if not isinstance(raw, (str, bytes)) else [raw]
        return [_to_str(v) for v in values]
    out: List[str] = []
    k = 0
    while f"{name}{k}" in group.attrs:
        out.extend(_to_str(v) for v in np.atleast_1d(group.attrs[f"{name}{k}"]))
        k += 1
    return out


def write_str_list(group: Any, name: str, values: List[str]) -> None:
    """Write a list-of-strings attribute, chunked like Keras when it exceeds the header limit."""
    data = np.asarray([v.encode("utf-8") for v in values], dtype="S" if values else "S1")
    if data.nbytes <= _ATTR_LIMIT:
        group.attrs[name] = data
        return
    n = 1
    while True:
        chunks = np.array_split(data, n)
        if all(c.nbytes <= _ATTR_LIMIT for c in chunks):
            break
        n += 1
    for k, c in enumerate(chunks):
        group.attrs[f"{name}{k}"] = c


def _read_json_attr(f: Any, name: str, source: str) -> Optional[Any]:
    if name not in f.attrs:
        return None
    raw = f.attrs[name]
    try:
        return json.loads(_to_str(raw))
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as e:   # RecursionError: absurd nesting
        raise WeightsLoadError(f"{source}: the '{name}' attribute is not valid JSON ({type(e).__name__}: {e}).") from e


# -- which layers, which weights ------------------------------------------------------------------------

def model_layers(model: Any) -> List[Any]:
    """``model.layers`` in Keras's order (functional models: Keras's depth order, inputs included)."""
    from ..models.functional import Functional
    from .serialization import keras_layer_order

    if isinstance(model, Functional):
        return keras_layer_order(model)
    return list(getattr(model, "layers", []))


def legacy_weights(layer: Any) -> List[Any]:
    """A layer's weights in Keras 2 file order: trainable, then non-trainable."""
    return list(layer.trainable_weights) + list(layer.non_trainable_weights)


# -- writing -------------------------------------------------------------------------------------------

def _legacy_layer_config(cfg: Dict[str, Any]) -> Dict[str, Any]:
    out = {"class_name": cfg["class_name"], "config": cfg["config"]}
    for k in ("name", "inbound_nodes"):
        if k in cfg:
            out[k] = cfg[k]
    return out


def model_config_json(model: Any) -> str:
    """The ``model_config`` attribute: ``{class_name, config}`` with layers in the legacy shape."""
    from .serialization import serialize_keras_object

    full = serialize_keras_object(model)
    config = dict(full["config"])
    if isinstance(config.get("layers"), list):
        config["layers"] = [_legacy_layer_config(lc) for lc in config["layers"]]
    return json.dumps({"class_name": full["class_name"], "config": config})


def _training_config(model: Any) -> Optional[Dict[str, Any]]:
    from .serialization import serialize_keras_object

    if not getattr(model, "compiled", False) or getattr(model, "_compile_config", None) is None:
        return None
    cc = dict(model._compile_config)
    opt = model.optimizer
    opt_cfg = {"class_name": type(opt).__name__, "config": serialize_keras_object(opt.get_config())} \
        if opt is not None and hasattr(opt, "get_config") else None
    return {"loss": serialize_keras_object(cc.get("loss")), "metrics": serialize_keras_object(cc.get("metrics")),
            "weighted_metrics": serialize_keras_object(cc.get("weighted_metrics")),
            "loss_weights": serialize_keras_object(cc.get("loss_weights")), "optimizer_config": opt_cfg}


def _write_layer_group(parent: Any, name: str, weights: List[Any]) -> None:
    g = parent.create_group(name)
    names: List[str] = []
    for v in weights:
        wname = getattr(v, "path", None) or getattr(v, "name", "variable")
        base, k = wname, 1
        while wname in names:
            wname = f"{base}_{k}"
            k += 1
        names.append(wname)
    write_str_list(g, "weight_names", names)
    for wname, v in zip(names, weights):
        g.create_dataset(wname, data=np.asarray(v.numpy()))


def write_weights_group(group: Any, model: Any) -> None:
    """``layer_names`` + one group per layer, as Keras 2's ``save_weights_to_hdf5_group``."""
    from .. import __version__

    layers = model_layers(model)
    write_str_list(group, "layer_names", [layer.name for layer in layers])
    group.attrs["backend"] = "torch"
    group.attrs["keras_version"] = __version__
    for layer in layers:
        _write_layer_group(group, layer.name, legacy_weights(layer))
    own = list(model._trainable_variables) + list(model._non_trainable_variables)
    _write_layer_group(group, "top_level_model_weights", own)


def legacy_model_bytes(model: Any, include_optimizer: bool = True) -> bytes:
    """The bytes of a Keras-2-style ``.h5`` holding ``model``'s config, training config and weights."""
    import h5py

    bio = io.BytesIO()
    with h5py.File(bio, "w") as f:
        write_legacy_model(f, model, include_optimizer)
    return bio.getvalue()


def write_legacy_model(f: Any, model: Any, include_optimizer: bool = True) -> None:
    """Write ``model``'s config, training config, weights and optimizer state into an open HDF5 file/group."""
    from .. import __version__

    f.attrs["keras_version"] = __version__
    f.attrs["backend"] = "torch"
    f.attrs["model_config"] = model_config_json(model)
    tc = _training_config(model) if include_optimizer else None
    if tc is not None:
        f.attrs["training_config"] = json.dumps(tc)
    write_weights_group(f.create_group("model_weights"), model)
    opt = getattr(model, "optimizer", None)
    if include_optimizer and tc is not None and opt is not None and getattr(opt, "variables", None):
        write_optimizer_weights(f, opt)


def write_optimizer_weights(f: Any, opt: Any) -> None:
    """The ``optimizer_weights`` group: ``weight_names`` + one dataset per optimizer variable."""
    variables = list(opt.variables)
    if not variables:
        return
    g = f.create_group("optimizer_weights")
    names = [getattr(v, "path", None) or f"{opt.name}/{v.name}" for v in variables]
    seen: Dict[str, int] = {}
    for i, n in enumerate(names):
        if n in seen:
            names[i] = f"{n}_{i}"
        seen[names[i]] = i
    write_str_list(g, "weight_names", names)
    for n, v in zip(names, variables):
        g.create_dataset(n, data=np.asarray(v.numpy()))


# -- reading: Keras 2 configs ---------------------------------------------------------------------------

def upgrade_config(cfg: Any) -> Any:
    """A Keras 2 model config made readable: initializer ``dtype`` keys dropped, InputLayer's
    ``batch_input_shape`` renamed, Keras 3 spellings kept as they are."""
    from .. import initializers

    if isinstance(cfg, list):
        return [upgrade_config(c) for c in cfg]
    if not isinstance(cfg, dict):
        return cfg
    out = {k: upgrade_config(v) for k, v in cfg.items()}
    cname = out.get("class_name")
    inner = out.get("config")
    if isinstance(cname, str) and isinstance(inner, dict):
        if cname in getattr(initializers, "_BY_NAME", {}) and "dtype" in inner:
            inner = {k: v for k, v in inner.items() if k != "dtype"}
        if cname == "InputLayer":
            inner = dict(inner)
            if "batch_input_shape" in inner:
                inner["batch_shape"] = inner.pop("batch_input_shape")
            inner.pop("ragged", None)
        out["config"] = inner
    return out


_OPTIMIZER_RENAMES = {"lr": "learning_rate"}


def optimizer_from_legacy(opt_cfg: Dict[str, Any]) -> Any:
    """An optimizer from a Keras 2 ``optimizer_config`` (``lr`` -> ``learning_rate``; ``decay: 0`` dropped)."""
    from .. import optimizers

    inner = dict(opt_cfg.get("config", {}))
    for old, new in _OPTIMIZER_RENAMES.items():
        if old in inner:
            inner.setdefault(new, inner.pop(old))
            inner.pop(old, None)
    if inner.get("decay") in (0, 0.0, None):
        inner.pop("decay", None)
    for k in ("is_legacy_optimizer", "jit_compile"):
        inner.pop(k, None)
    cfg = {"class_name": opt_cfg["class_name"], "config": inner}
    if "module" in opt_cfg:
        cfg["module"] = opt_cfg["module"]
    return optimizers.deserialize(cfg) if hasattr(optimizers, "deserialize") else optimizers.get(cfg)


def compile_args_from_training_config(tc: Dict[str, Any]) -> Dict[str, Any]:
    """``model.compile`` keyword arguments from a legacy ``training_config``."""
    args: Dict[str, Any] = {}
    if tc.get("optimizer_config"):
        args["optimizer"] = optimizer_from_legacy(tc["optimizer_config"])
    for k in ("loss", "metrics", "weighted_metrics", "loss_weights"):
        if tc.get(k) is not None:
            args[k] = _plain(tc[k])
    return args


def _plain(x: Any) -> Any:
    """Loss/metric entries: names stay names; ``{class_name, config}`` dicts become objects."""
    from .serialization import deserialize_keras_object

    if isinstance(x, list):
        return [_plain(v) for v in x]
    if isinstance(x, dict) and "class_name" in x and "config" in x:
        return deserialize_keras_object(x)
    if isinstance(x, dict):
        return {k: _plain(v) for k, v in x.items()}
    return x


# -- reading: weights ----------------------------------------------------------------------------------

def load_weights_group(group: Any, model: Any, source: str, skip_mismatch: bool = False,
                       by_name: bool = False) -> None:
    """Load a ``layer_names`` group into ``model`` (Keras 2's ``load_weights_from_hdf5_group``)."""
    layer_names = read_str_list(group, "layer_names")
    for n in layer_names:
        if n not in group:
            raise WeightsLoadError(f"{source}: layer group '{n}' listed in layer_names is missing; the file is damaged.")
    saved = [n for n in layer_names if read_str_list(group[n], "weight_names")]
    if by_name:
        _load_by_name(group, model, saved, source, skip_mismatch)
        return
    layers = [lyr for lyr in model_layers(model) if lyr.weights]
    if len(saved) != len(layers):
        raise WeightsLoadError(f"Layer count mismatch when loading weights from file {source}. Model expected "
                         f"{len(layers)} layers, found {len(saved)} saved layers. Model layers with weights: "
                         f"{[x.name for x in layers]}; saved: {saved}")
    for k, (name, layer) in enumerate(zip(saved, layers)):
        _load_layer(group[name], layer, f"layer #{k} (named {layer.name} in the current model, {name} in the "
                                        f"save file)", source, skip_mismatch)


def _load_by_name(group: Any, model: Any, saved: List[str], source: str, skip_mismatch: bool) -> None:
    by = {}
    for layer in model_layers(model):
        by.setdefault(layer.name, []).append(layer)
    for name in saved:
        for layer in by.get(name, []):
            _load_layer(group[name], layer, f"layer '{layer.name}'", source, skip_mismatch)


def _load_layer(g: Any, layer: Any, label: str, source: str, skip_mismatch: bool) -> None:
    wnames = read_str_list(g, "weight_names")
    symbolic = legacy_weights(layer)
    if len(wnames) != len(symbolic):
        msg = (f"Weight count mismatch for {label}. Layer expects {len(symbolic)} weight(s). Received "
               f"{len(wnames)} saved weight(s) (file {source}).")
        if skip_mismatch:
            warnings.warn(f"Skipping loading of weights for {label} due to mismatch in number of weights. {msg}",
                          stacklevel=3)
            return
        raise WeightsLoadError(msg)
    pairs = []
    for v, wn in zip(symbolic, wnames):
        if wn not in g:
            raise WeightsLoadError(f"{source}: dataset '{wn}' of {label} is listed in weight_names but missing.")
        ds = g[wn]
        if tuple(ds.shape) != tuple(v.shape):
            msg = (f"Shape mismatch in {label} for weight {getattr(v, 'path', v.name)}. Weight expects shape "
                   f"{tuple(v.shape)}. Received saved weight with shape {tuple(ds.shape)} (file {source}).")
            if skip_mismatch:
                warnings.warn(f"Skipping loading weights for {label} due to mismatch in shape. {msg}", stacklevel=3)
                return
            raise WeightsLoadError(msg)
        pairs.append((v, ds))
    for v, ds in pairs:
        a = read_dataset(ds, source)
        v.assign(a.astype(np.dtype(v.dtype), copy=False))


def load_optimizer_weights(f: Any, model: Any, source: str) -> None:
    """Restore ``optimizer_weights`` written by Keras 3 / unidl (Keras 2's slot order differs: skipped)."""
    opt = getattr(model, "optimizer", None)
    if opt is None or "optimizer_weights" not in f:
        return
    version = _to_str(f.attrs.get("keras_version", "")) if "keras_version" in f.attrs else ""
    if not version.startswith("3"):
        warnings.warn(f"{source}: optimizer state written by Keras {version or '2'} is not restored (its variable "
                      "order differs); the optimizer starts fresh.", stacklevel=3)
        return
    g = f["optimizer_weights"]
    names = read_str_list(g, "weight_names")
    if hasattr(opt, "build") and not getattr(opt, "built", False):
        opt.build(model.trainable_variables)
    variables = list(opt.variables)
    if len(names) != len(variables) or any(n not in g or tuple(g[n].shape) != tuple(v.shape)
                                           for n, v in zip(names, variables)):
        warnings.warn(f"{source}: error in loading the saved optimizer state (it has {len(names)} variables, the "
                      f"optimizer {len(variables)}); the optimizer starts fresh.", stacklevel=3)
        return
    for n, v in zip(names, variables):
        v.assign(read_dataset(g[n], source))


def load_legacy_model(f: Any, source: str, custom_objects: Any = None, compile: bool = True,
                      budget: int = 1 << 62) -> Any:
    """A model from an open legacy ``.h5`` (config, weights, and compile state when ``compile``); the model's
    variables may take ``budget`` bytes in all (see ``saving_api``)."""
    from ..backend.variable import allocation_budget
    from .serialization import deserialize_keras_object

    model_config = _read_json_attr(f, "model_config", source)
    if model_config is None:
        raise WeightsLoadError(f"No model config found in the file at {source}.")
    if not isinstance(model_config, dict) or "class_name" not in model_config:
        raise WeightsLoadError(f"{source}: model_config must be a JSON object with a 'class_name'.")
    with warnings.catch_warnings():  # Keras 2 configs carry input_shape/input_dim: not the user's doing
        warnings.filterwarnings("ignore", message="Do not pass an `input_shape`")
        try:
            with allocation_budget(budget, source):
                model = deserialize_keras_object(upgrade_config(model_config), custom_objects=custom_objects)
        except LoadError:
            raise
        except CONFIG_ERRORS as e:
            raise WeightsLoadError(f"{source}: could not rebuild the model from its model_config: "
                                   f"{type(e).__name__}: {e}") from e
    if "model_weights" not in f:
        raise WeightsLoadError(f"{source}: the file has a model config but no 'model_weights' group.")
    load_weights_group(f["model_weights"], model, source)
    if compile:
        tc = _read_json_attr(f, "training_config", source)
        if tc and hasattr(model, "compile"):
            try:
                model.compile(**compile_args_from_training_config(tc))
            except CONFIG_ERRORS as e:
                raise WeightsLoadError(f"{source}: could not compile the model from its training_config: "
                                       f"{type(e).__name__}: {e}") from e
            load_optimizer_weights(f, model, source)
        elif not tc:
            warnings.warn("No training configuration found in save file, so the model was *not* compiled. Compile "
                          "it manually.", stacklevel=3)
    return model


def load_legacy_weights(f: Any, model: Any, source: str, skip_mismatch: bool = False, by_name: bool = False) -> None:
    """Weights from a legacy ``.h5`` (whole-model file or weights-only file)."""
    group = f
    if "layer_names" not in f.attrs and "layer_names0" not in f.attrs:
        if "model_weights" not in f:
            raise WeightsLoadError(f"{source} is neither a Keras 3 .weights.h5 file nor a legacy Keras .h5 weights file "
                             "(no 'layer_names' attribute, no 'model_weights' group, no 'vars' groups).")
        group = f["model_weights"]
    load_weights_group(group, model, source, skip_mismatch=skip_mismatch, by_name=by_name)


def is_legacy_h5(f: Any) -> bool:
    """True for Keras 2 layouts (``model_config`` / ``layer_names`` / ``model_weights``)."""
    return ("model_config" in f.attrs or "layer_names" in f.attrs or "layer_names0" in f.attrs
            or "model_weights" in f)


__all__ = ["load_legacy_model", "load_legacy_weights", "legacy_model_bytes", "write_legacy_model", "is_legacy_h5", "WeightsLoadError"]
