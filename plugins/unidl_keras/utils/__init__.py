"""``keras.utils``: data helpers (to_categorical, normalize, pad_sequences, PyDataset), seeding,
offline ``get_file``, and the object registry (from :mod:`unidl_keras.saving.serialization`).

Kept light to import: ``layers.layer`` imports :mod:`.tree` through this package, so nothing here
imports layers, models or saving at module level.
"""
from __future__ import annotations

import importlib
from typing import Any

from . import tree
from .file_utils import FileNotAvailableOfflineError, get_file
from .io_utils import disable_interactive_logging, enable_interactive_logging, is_interactive_logging_enabled
from .numerical_utils import normalize, to_categorical
from .py_dataset import PyDataset, Sequence
from .rng_utils import set_random_seed
from .sequence_utils import pad_sequences

__all__ = ["to_categorical", "normalize", "pad_sequences", "PyDataset", "Sequence", "set_random_seed", "get_file",
           "plot_model", "model_to_dot", "custom_object_scope", "CustomObjectScope", "register_keras_serializable",
           "get_registered_object", "get_registered_name", "get_custom_objects", "serialize_keras_object",
           "deserialize_keras_object", "Progbar", "pack_x_y_sample_weight", "unpack_x_y_sample_weight",
           "is_keras_tensor", "clear_session", "standardize_dtype", "disable_interactive_logging",
           "enable_interactive_logging", "is_interactive_logging_enabled", "FileNotAvailableOfflineError",
           "timeseries_dataset_from_array", "split_dataset", "text_dataset_from_directory",
           "image_dataset_from_directory", "load_img", "img_to_array", "array_to_img", "save_img", "multi_gpu_model"]

# names served by other modules, imported on first use
_LAZY = {
    "custom_object_scope": "unidl_keras.saving.serialization",
    "CustomObjectScope": "unidl_keras.saving.serialization",
    "register_keras_serializable": "unidl_keras.saving.serialization",
    "get_registered_object": "unidl_keras.saving.serialization",
    "get_registered_name": "unidl_keras.saving.serialization",
    "get_custom_objects": "unidl_keras.saving.serialization",
    "serialize_keras_object": "unidl_keras.saving.serialization",
    "deserialize_keras_object": "unidl_keras.saving.serialization",
    "Progbar": "unidl_keras.utils.progbar",
    "timeseries_dataset_from_array": "unidl_keras.utils.timeseries_dataset_utils",
    "split_dataset": "unidl_keras.utils.dataset_utils",
    "text_dataset_from_directory": "unidl_keras.utils.directory_dataset_utils",
    "image_dataset_from_directory": "unidl_keras.utils.directory_dataset_utils",
    "load_img": "unidl_keras.utils.image_utils", "img_to_array": "unidl_keras.utils.image_utils",
    "array_to_img": "unidl_keras.utils.image_utils", "save_img": "unidl_keras.utils.image_utils",
    "summary_utils": "unidl_keras.utils.summary_utils",
    "multi_gpu_model": "unidl_keras.distribution.data_parallel",
}


def __getattr__(name: str) -> Any:
    mod_name = _LAZY.get(name)
    if mod_name is None:
        raise AttributeError(f"module 'keras.utils' has no attribute '{name}'")
    try:
        mod = importlib.import_module(mod_name)
    except ImportError as e:
        raise ImportError(f"keras.utils.{name} needs {mod_name}, which is not available: {e}") from e
    value = mod if mod_name.endswith("." + name) else getattr(mod, name)
    globals()[name] = value
    return value


from .model_visualization import model_to_dot, plot_model  # noqa: E402  (pydot is optional: the ``plot`` extra)



def removesuffix(x: str, suffix: str) -> str:
    """``x`` without a trailing ``suffix`` (``str.removesuffix``; keras.src.utils has it)."""
    return x[:-len(suffix)] if suffix and x.endswith(suffix) else x


def pack_x_y_sample_weight(x: Any, y: Any = None, sample_weight: Any = None) -> Any:
    """``x`` (or ``(x,)`` when ``x`` is a tuple/list), ``(x, y)`` or ``(x, y, sample_weight)``."""
    if y is None:
        return x if not isinstance(x, (tuple, list)) else (x,)
    if sample_weight is None:
        return (x, y)
    return (x, y, sample_weight)


def unpack_x_y_sample_weight(data: Any) -> tuple:
    """``(x, y, sample_weight)`` from a batch: ``x``, ``(x,)``, ``(x, y)`` or ``(x, y, sample_weight)``."""
    if isinstance(data, list):
        data = tuple(data)
    if not isinstance(data, tuple):
        return (data, None, None)
    if len(data) == 1:
        return (data[0], None, None)
    if len(data) == 2:
        return (data[0], data[1], None)
    if len(data) == 3:
        return data
    raise ValueError(f"Data is expected to be in format `x`, `(x,)`, `(x, y)`, or `(x, y, sample_weight)`, "
                     f"found: {data}")


def is_keras_tensor(x: Any) -> bool:
    """True for symbolic KerasTensors (from ``keras.Input`` and layer calls on them)."""
    from ..backend.keras_tensor import KerasTensor

    return isinstance(x, KerasTensor)


def clear_session(free_memory: bool = True) -> None:
    """Reset Keras's global state (auto-naming)."""
    from ..backend.common import clear_session as _clear

    _clear()


def standardize_dtype(dtype: Any) -> str:
    """A dtype name (``'float32'``...); None gives floatx."""
    from ..backend.config import standardize_dtype as _std

    return _std(dtype)
