"""Keras 2 style ``.h5`` files through Keras 3's ``keras.src.legacy.saving.legacy_h5_format`` entry points.

``save_model_to_hdf5`` / ``load_model_from_hdf5`` write and read whole models (root attributes
``model_config``, ``training_config``, ``keras_version``, ``backend``; groups ``model_weights`` and
``optimizer_weights``); the ``*_hdf5_group`` functions read and write the ``layer_names`` /
``weight_names`` layout inside an open h5py group. The layout itself lives in
:mod:`unidl_keras.saving.legacy_h5` (shared with ``model.save('m.h5')``).

Files are untrusted: a model is rebuilt only from the classes and functions the face registers (and the
caller's ``custom_objects``), nothing is unpickled, and a file (or an open ``h5py.File`` handed in) holding
external links, soft links, virtual datasets or external storage is refused before anything is read.
"""
from __future__ import annotations

import os
from typing import Any, Dict, List, Optional

import numpy as np

from ...saving import h5_weights, legacy_h5
from ...saving.h5_weights import WeightsLoadError, read_dataset
from ...saving.object_registration import CustomObjectScope
from ...saving.safe_mode import SafeModeScope

HDF5_OBJECT_HEADER_LIMIT = 64512


def _h5py():
    try:
        import h5py
    except ImportError as e:  # pragma: no cover - h5py is a dependency of the face
        raise ImportError("`save_model()` / `load_model()` using h5 format requires h5py. Could not import h5py.") from e
    return h5py


def _source(group: Any) -> str:
    try:
        return str(group.file.filename)
    except Exception:  # noqa: BLE001 - an in-memory file has no useful name
        return "<h5py group>"


def save_model_to_hdf5(model: Any, filepath: Any, overwrite: bool = True, include_optimizer: bool = True) -> None:
    """Save ``model`` (config, weights, training config, optimizer state) as a Keras 2 style ``.h5`` file.

    ``filepath`` is a path (the file is written in memory and renamed into place, so a failed save leaves no
    partial file) or an open, writable ``h5py.File``."""
    h5py = _h5py()
    if isinstance(filepath, h5py.File):
        legacy_h5.write_legacy_model(filepath, model, include_optimizer)
        filepath.flush()
        return
    from ...saving.saving_api import _may_write
    from unidl.io.atomic import write_bytes_atomic

    path = os.fspath(filepath)
    if not _may_write(path, overwrite):
        return
    dirpath = os.path.dirname(path)
    if dirpath and not os.path.exists(dirpath):
        os.makedirs(dirpath, exist_ok=True)
    write_bytes_atomic(path, legacy_h5.legacy_model_bytes(model, include_optimizer))


def load_model_from_hdf5(filepath: Any, custom_objects: Optional[Dict[str, Any]] = None, compile: bool = True,
                         safe_mode: bool = True) -> Any:
    """A model from a Keras 2 style ``.h5`` file (a path or an open ``h5py.File``); compiled from its training
    config when ``compile`` and the file has one."""
    h5py = _h5py()
    with SafeModeScope(safe_mode), CustomObjectScope(custom_objects or {}):
        if isinstance(filepath, h5py.File):
            name = _source(filepath)
            h5_weights.check_self_contained(filepath, name)
            return legacy_h5.load_legacy_model(filepath, name, custom_objects=custom_objects, compile=compile)
        from ...saving.saving_api import _budget

        name = os.fspath(filepath)
        with h5_weights.open_h5(name, name) as f:
            return legacy_h5.load_legacy_model(f, name, custom_objects=custom_objects, compile=compile,
                                               budget=_budget(os.path.getsize(name)))


def save_weights_to_hdf5_group(group: Any, model: Any) -> None:
    """``layer_names`` and one group of ``weight_names`` datasets per layer of ``model``, into ``group``."""
    legacy_h5.write_weights_group(group, model)


def save_subset_weights_to_hdf5_group(group: Any, weights: List[Any]) -> None:
    """``weight_names`` (the variables' paths) and one dataset per variable, into ``group``."""
    names = [str(getattr(w, "path", None) or getattr(w, "name", "variable")) for w in weights]
    save_attributes_to_hdf5_group(group, "weight_names", names)
    for n, w in zip(names, weights):
        group.create_dataset(n, data=np.asarray(w.numpy() if hasattr(w, "numpy") else w))


def save_optimizer_weights_to_hdf5_group(group: Any, optimizer: Any) -> None:
    """The ``optimizer_weights`` group of ``optimizer``'s variables (nothing when it has none)."""
    legacy_h5.write_optimizer_weights(group, optimizer)


def save_attributes_to_hdf5_group(group: Any, name: str, data: List[Any]) -> None:
    """A list-of-strings attribute, split into ``name0``, ``name1``, ... past HDF5's header limit."""
    values = [v.decode("utf-8") if isinstance(v, (bytes, np.bytes_)) else str(v) for v in data]
    bad = [v for v in values if len(v.encode("utf-8")) > HDF5_OBJECT_HEADER_LIMIT]
    if bad:
        raise RuntimeError("The following attributes cannot be saved to HDF5 file because they are larger than "
                           f"{HDF5_OBJECT_HEADER_LIMIT} bytes: {bad}")
    legacy_h5.write_str_list(group, name, values)


def load_attributes_from_hdf5_group(group: Any, name: str) -> List[str]:
    """The list-of-strings attribute ``name`` (joined back from its chunks), as ``str``."""
    return legacy_h5.read_str_list(group, name)


def load_weights_from_hdf5_group(group: Any, model: Any, skip_mismatch: bool = False) -> None:
    """Load weights layer by layer in model order (layers with weights only), Keras 2's topological rule."""
    h5_weights.check_self_contained(group, _source(group))
    legacy_h5.load_weights_group(group, model, _source(group), skip_mismatch=skip_mismatch)


def load_weights_from_hdf5_group_by_name(group: Any, model: Any, skip_mismatch: bool = False) -> None:
    """Load weights into the layers whose names match the saved layer groups."""
    h5_weights.check_self_contained(group, _source(group))
    legacy_h5.load_weights_group(group, model, _source(group), skip_mismatch=skip_mismatch, by_name=True)


def load_subset_weights_from_hdf5_group(group: Any) -> List[np.ndarray]:
    """The arrays listed by ``group``'s ``weight_names``, in order."""
    source = _source(group)
    out = []
    for n in load_attributes_from_hdf5_group(group, "weight_names"):
        if n not in group:
            raise WeightsLoadError(f"{source}: dataset '{n}' is listed in weight_names but missing.")
        out.append(read_dataset(group[n], source))
    return out


def load_optimizer_weights_from_hdf5_group(group: Any) -> List[np.ndarray]:
    """The arrays of ``group['optimizer_weights']``, in ``weight_names`` order."""
    return load_subset_weights_from_hdf5_group(group["optimizer_weights"])


__all__ = ["save_model_to_hdf5", "load_model_from_hdf5", "save_weights_to_hdf5_group",
           "save_subset_weights_to_hdf5_group", "save_optimizer_weights_to_hdf5_group",
           "save_attributes_to_hdf5_group", "load_attributes_from_hdf5_group", "load_weights_from_hdf5_group",
           "load_weights_from_hdf5_group_by_name", "load_subset_weights_from_hdf5_group",
           "load_optimizer_weights_from_hdf5_group", "HDF5_OBJECT_HEADER_LIMIT"]
