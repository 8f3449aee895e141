"""``keras.saving.save_model`` / ``load_model`` / ``save_weights`` / ``load_weights``.

The file kind follows the suffix, as Keras 3: ``.keras`` (zip archive), ``.weights.h5`` (weights
store), ``.h5``/``.hdf5`` (legacy Keras 2 layout). Every file is built in memory and published with
:func:`unidl.io.atomic.write_bytes_atomic`, so a failing save leaves no file (and keeps an old one).
``overwrite=False`` on an existing file asks on an interactive terminal (as Keras) and otherwise
raises ``FileExistsError`` instead of silently doing nothing.
"""
from __future__ import annotations

import inspect
import os
import sys
import warnings
from typing import Any, Dict, Optional

from unidl.io.atomic import write_bytes_atomic

from . import h5_weights, keras_archive, legacy_h5
from ..backend.variable import allocation_budget
from .errors import CONFIG_ERRORS, LoadError
from .object_registration import CustomObjectScope
from .safe_mode import SafeModeScope

_LEGACY_SUFFIXES = (".h5", ".hdf5")
_H5_MAGIC = b"\x89HDF\r\n\x1a\n"


def _name(filepath: Any) -> str:
    return os.fspath(filepath) if isinstance(filepath, (str, os.PathLike)) else repr(filepath)


def _is_file_like(x: Any) -> bool:
    return hasattr(x, "read") or hasattr(x, "write")


def _may_write(path: str, overwrite: bool) -> bool:
    """True to go ahead; False when the user declined to overwrite at the prompt."""
    if overwrite or not os.path.exists(path):
        return True
    if sys.stdin is not None and sys.stdin.isatty():
        answer = input(f"[WARNING] {path} already exists - overwrite? [y/n]").strip().lower()
        while answer not in ("y", "n"):
            answer = input('Enter "y" (overwrite) or "n" (cancel).').strip().lower()
        if answer == "n":
            return False
        print("[TIP] Next time specify overwrite=True!")
        return True
    raise FileExistsError(f"{path} already exists and overwrite=False; not overwriting it.")


def _publish(filepath: Any, data: bytes, overwrite: bool) -> None:
    if _is_file_like(filepath):
        filepath.write(data)
        return
    path = os.fspath(filepath)
    if _may_write(path, overwrite):
        write_bytes_atomic(path, data)


def _log_warning(msg: str) -> None:
    """A warning through absl logging where absl is installed (as Keras logs it), else ``warnings.warn``."""
    try:
        from absl import logging as absl_logging
    except ImportError:
        warnings.warn(msg, UserWarning, stacklevel=3)
        return
    absl_logging.warning(msg)


def _keras_version() -> str:
    from .. import __version__

    return __version__


# -- whole models ----------------------------------------------------------------------------------------

def save_model(model: Any, filepath: Any, overwrite: bool = True, zipped: Optional[bool] = None,
               **kwargs: Any) -> None:
    """Save ``model`` (config, weights, compile state and optimizer state) to ``.keras`` or legacy ``.h5``."""
    include_optimizer = kwargs.pop("include_optimizer", True)
    save_format = kwargs.pop("save_format", False)
    name = _name(filepath)
    if save_format:
        if name.endswith((".keras",) + _LEGACY_SUFFIXES):
            _log_warning("The `save_format` argument is deprecated in Keras 3. We recommend removing this argument "
                         f"as it can be inferred from the file path. Received: save_format={save_format}")
        else:
            raise ValueError("The `save_format` argument is deprecated in Keras 3. Please remove this argument and "
                             "pass a file path with either `.keras` or `.h5` extension."
                             f"Received: save_format={save_format}")
    if kwargs:
        raise ValueError(f"The following argument(s) are not supported: {list(kwargs.keys())}")
    if name.endswith(_LEGACY_SUFFIXES):
        _log_warning("You are saving your model as an HDF5 file via `model.save()` or "
                     "`keras.saving.save_model(model)`. This file format is considered legacy. We recommend using "
                     "instead the native Keras format, e.g. `model.save('my_model.keras')` or "
                     "`keras.saving.save_model(model, 'my_model.keras')`. ")
    if zipped is False:
        if name.endswith(".keras"):
            raise ValueError("When using `zipped=False`, the `filepath` argument should not end in `.keras`. "
                             f"Received: filepath={name}")
        if _is_file_like(filepath):
            raise ValueError(f"zipped=False saves into a directory; received a file object: {name}")
        if not _may_write(name, overwrite):
            return
        from .serialization import serialize_keras_object

        config = serialize_keras_object(model)
        if not include_optimizer:
            config["compile_config"] = {}
        keras_archive.write_directory(name, config, h5_weights.weights_to_bytes(model, include_optimizer),
                                      _keras_version())
        return
    if name.endswith(_LEGACY_SUFFIXES):
        _publish(filepath, legacy_h5.legacy_model_bytes(model, include_optimizer), overwrite)
        return
    if not (name.endswith(".keras") or _is_file_like(filepath)):
        raise ValueError("Invalid filepath extension for saving. Please add either a `.keras` extension for the native "
                         "Keras format (recommended) or a `.h5` extension. Use `model.export(filepath)` if you want to "
                         "export a SavedModel for use with TFLite/TFServing/etc. "
                         f"Received: filepath={name}.")
    _publish(filepath, model_to_archive_bytes(model, include_optimizer), overwrite)


def model_to_archive_bytes(model: Any, include_optimizer: bool = True) -> bytes:
    """The bytes of a ``.keras`` archive for ``model``."""
    from .serialization import serialize_keras_object

    config = serialize_keras_object(model)
    if not include_optimizer:
        config["compile_config"] = {}
    weights = h5_weights.weights_to_bytes(model, include_optimizer=include_optimizer)
    return keras_archive.build_archive(config, weights, _keras_version())


def load_model(filepath: Any, custom_objects: Optional[Dict[str, Any]] = None, compile: bool = True,
               safe_mode: bool = True) -> Any:
    """Load a model saved as ``.keras`` (Keras 3 or unidl) or legacy ``.h5`` (Keras 2/3)."""
    name = _name(filepath)
    with SafeModeScope(safe_mode), CustomObjectScope(custom_objects or {}):
        if _is_file_like(filepath):
            return _model_from_archive(keras_archive.read_archive(filepath, "<file object>"), "<file object>",
                                       compile)
        if os.path.isdir(name) and os.path.exists(os.path.join(name, keras_archive.CONFIG)):
            return _model_from_archive(keras_archive.read_directory(name), name, compile)
        if name.endswith(".keras") and os.path.isfile(name):
            return _model_from_archive(keras_archive.read_archive(name), name, compile)
        if name.endswith(_LEGACY_SUFFIXES):
            if not os.path.exists(name):
                raise FileNotFoundError(f"Unable to open file: no such file: filepath={name}")
            with h5_weights.open_h5(name, name) as f:
                return legacy_h5.load_legacy_model(f, name, custom_objects=custom_objects, compile=compile,
                                                   budget=_budget(os.path.getsize(name)))
        if name.endswith(".keras"):
            raise ValueError(f"File not found: filepath={name}. Please ensure the file is an accessible `.keras` "
                             "zip file.")
        raise ValueError(f"File format not supported: filepath={name}. Keras 3 only supports V3 `.keras` files, legacy "
                         "H5 format files (`.h5` extension). Note that the legacy SavedModel format is not supported "
                         "by `load_model()` in Keras 3.")


def _budget(file_bytes: int) -> int:
    """What a model rebuilt from a file's config may allocate: its weights, the optimizer's slots and a margin
    (a model's variables are the weights file's arrays, so a config asking for much more is refused)."""
    return 64 * (1 << 20) + 4 * file_bytes


def _model_from_archive(contents: keras_archive.ArchiveContents, name: str, compile: bool) -> Any:
    from .serialization import deserialize_keras_object

    config = dict(contents.config)
    compile_config = config.pop("compile_config", None)
    try:
        with allocation_budget(_budget(len(contents.weights or b"")), f"{name} (its weights file)"):
            model = deserialize_keras_object(config)
    except LoadError:
        raise
    except CONFIG_ERRORS as e:
        # one error class for a file that cannot be loaded (the original's constructor may take other arguments)
        raise keras_archive.ArchiveError(f"{name}: could not rebuild the model from config.json: "
                                         f"{type(e).__name__}: {e}") from e
    if compile and compile_config and hasattr(model, "compile"):
        try:
            model.compile(**compile_args(compile_config, model))
        except LoadError:
            raise
        except CONFIG_ERRORS as e:
            raise keras_archive.ArchiveError(f"{name}: could not compile the model from config.json's "
                                             f"compile_config: {type(e).__name__}: {e}") from e
    if contents.weights is None:
        raise keras_archive.ArchiveError(f"{name}: the .keras archive has no 'model.weights.h5'.")
    with h5_weights.open_h5(contents.weights, f"{name} (model.weights.h5)") as f:
        h5_weights.load_weights_from_h5(model, f, f"{name} (model.weights.h5)",
                                        include_optimizer=bool(compile and compile_config))
    return model


def compile_args(compile_config: Dict[str, Any], model: Any) -> Dict[str, Any]:
    """``model.compile`` keyword arguments from a Keras 3 ``compile_config``."""
    from .serialization import deserialize_keras_object

    def obj(x: Any) -> Any:
        if isinstance(x, dict) and "class_name" in x and "config" in x:
            return deserialize_keras_object(x)
        if isinstance(x, dict):
            return {k: obj(v) for k, v in x.items()}
        if isinstance(x, list):
            return [obj(v) for v in x]
        return x

    args = {k: obj(v) for k, v in compile_config.items()}
    accepted = inspect.signature(model.compile).parameters
    if not any(p.kind is p.VAR_KEYWORD for p in accepted.values()):
        args = {k: v for k, v in args.items() if k in accepted}
    else:
        args = {k: v for k, v in args.items() if k in accepted or k in ("optimizer", "loss", "metrics")}
    return args


# -- weights only ----------------------------------------------------------------------------------------

def save_weights(model: Any, filepath: Any, overwrite: bool = True, max_shard_size: Any = None,
                 **kwargs: Any) -> None:
    """Save ``model``'s weights (and optimizer state) to a ``.weights.h5`` file in Keras 3's layout."""
    name = _name(filepath)
    if max_shard_size is None and not name.endswith(".weights.h5"):
        raise ValueError(f"The filename must end in `.weights.h5`. Received: filepath={name}")
    if max_shard_size is not None and not name.endswith(("weights.h5", "weights.json")):
        raise ValueError("The filename must end in `.weights.json` when `max_shard_size` is specified. "
                         f"Received: filepath={name}")
    objects_to_skip = kwargs.pop("objects_to_skip", None)
    if kwargs:
        raise ValueError(f"The following argument(s) are not supported: {list(kwargs.keys())}")
    skip = {id(o) for o in objects_to_skip} if objects_to_skip is not None else None
    if max_shard_size is not None:
        from . import sharded_weights

        files = sharded_weights.shard_files(model, name, max_shard_size, skip)
        if _may_write(name, overwrite):
            for path, data in files.items():
                write_bytes_atomic(path, data)
        return
    _publish(filepath, h5_weights.weights_to_bytes(model, skip=skip), overwrite)


def load_weights(model: Any, filepath: Any, skip_mismatch: bool = False, **kwargs: Any) -> None:
    """Load weights from ``.weights.h5``, ``.keras`` or a legacy ``.h5`` (``by_name=True`` for legacy files)."""
    name = _name(filepath)
    objects_to_skip = kwargs.pop("objects_to_skip", None)
    by_name = kwargs.pop("by_name", None)
    if kwargs:
        raise ValueError(f"Invalid keyword arguments: {kwargs}")
    legacy = name.endswith(_LEGACY_SUFFIXES) and not name.endswith(".weights.h5")
    if objects_to_skip is not None and (legacy or name.endswith(".keras")):
        raise ValueError(f"`objects_to_skip` only supports loading '.weights.h5' files.Received: {filepath}")
    if by_name is not None and not legacy:
        raise ValueError(f"`by_name` only supports loading legacy '.h5' or '.hdf5' files. Received: {filepath}")
    skip = {id(o) for o in objects_to_skip} if objects_to_skip is not None else None
    if name.endswith(".weights.json"):
        from . import sharded_weights

        data = sharded_weights.gather(name)
        with h5_weights.open_h5(data, name) as f:
            h5_weights.load_weights_from_h5(model, f, name, skip_mismatch=skip_mismatch, skip=skip)
        return
    if _is_file_like(filepath) or name.endswith(".keras"):
        contents = keras_archive.read_archive(filepath, name, need_config=False)
        if contents.weights is None:
            raise keras_archive.ArchiveError(f"{name}: the .keras archive has no 'model.weights.h5'.")
        with h5_weights.open_h5(contents.weights, f"{name} (model.weights.h5)") as f:
            h5_weights.load_weights_from_h5(model, f, f"{name} (model.weights.h5)", skip_mismatch=skip_mismatch)
        return
    if name.endswith((".weights.h5",) + _LEGACY_SUFFIXES):
        if not os.path.exists(name):
            raise FileNotFoundError(f"Weights file not found: filepath={name}")
        with h5_weights.open_h5(name, name) as f:
            if legacy_h5.is_legacy_h5(f):
                legacy_h5.load_legacy_weights(f, model, name, skip_mismatch=skip_mismatch, by_name=bool(by_name))
            else:
                h5_weights.load_weights_from_h5(model, f, name, skip_mismatch=skip_mismatch, skip=skip)
        return
    raise ValueError(f"File format not supported: filepath={name}. Keras 3 only supports V3 `.keras` files, "
                     "`.weights.h5` files, legacy H5 format files (`.h5` extension).")
