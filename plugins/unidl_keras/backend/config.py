"""Global Keras settings: float type, fuzz factor, image data format (``keras.config``)."""
from __future__ import annotations

import numpy as np

from unidl.dtypes import as_dtype

_FLOATX = "float32"
_EPSILON = 1e-7
_IMAGE_DATA_FORMAT = "channels_last"


def floatx() -> str:
    """The default float dtype name (``'float32'``)."""
    return _FLOATX


def set_floatx(value: str) -> None:
    """Set the default float dtype: one of 'bfloat16', 'float16', 'float32', 'float64'."""
    global _FLOATX
    if str(value) not in ("float16", "bfloat16", "float32", "float64"):
        raise ValueError(f"Unknown `floatx` value: {value}. "
                         "Expected one of {'bfloat16', 'float16', 'float32', 'float64'}")
    _FLOATX = str(value)


def epsilon() -> float:
    """The fuzz factor used in numeric expressions (1e-7)."""
    return _EPSILON


def set_epsilon(value: float) -> None:
    global _EPSILON
    _EPSILON = float(value)


def image_data_format() -> str:
    """'channels_last' (default) or 'channels_first'."""
    return _IMAGE_DATA_FORMAT


def set_image_data_format(data_format: str) -> None:
    global _IMAGE_DATA_FORMAT
    fmt = str(data_format).lower()
    if fmt not in ("channels_first", "channels_last"):
        raise ValueError("The `data_format` argument must be one of {'channels_first', 'channels_last'}. "
                         f"Received: data_format={data_format}")
    _IMAGE_DATA_FORMAT = fmt


def standardize_data_format(data_format) -> str:
    """``data_format`` lower-cased and checked; None -> :func:`image_data_format`."""
    if data_format is None:
        return _IMAGE_DATA_FORMAT
    fmt = str(data_format).lower()
    if fmt not in ("channels_first", "channels_last"):
        raise ValueError("The `data_format` argument must be one of {'channels_first', 'channels_last'}. "
                         f"Received: data_format={data_format}")
    return fmt


_STD_DTYPES: dict = {}  # str / np.dtype -> name (np.dtype.name is slow, and this runs on every op)


def standardize_dtype(dtype) -> str:
    """A dtype name string ('float32', 'int64', 'bool', ...); None -> floatx()."""
    if dtype is None:
        return _FLOATX
    if isinstance(dtype, (str, np.dtype)):
        name = _STD_DTYPES.get(dtype)
        if name is None:
            name = _STD_DTYPES[dtype] = _std_name(dtype)
        return name
    if isinstance(dtype, type) and dtype in _PY_TYPES:
        return _PY_TYPES[dtype]
    if hasattr(dtype, "name") and isinstance(getattr(dtype, "name"), str) and not isinstance(dtype, np.dtype):
        dtype = dtype.name
    elif isinstance(dtype, type) and not issubclass(dtype, np.generic):  # jnp.bfloat16 and the like, as Keras
        dtype = dtype.__name__
    elif "torch" in str(dtype) or "jax.numpy" in str(dtype):  # torch.float16 / jax.numpy.bfloat16, as Keras
        dtype = str(dtype).split(".")[-1]
    return _std_name(dtype)


_PY_TYPES = {bool: "bool", int: "int32", float: "float32", complex: "complex64", str: "string"}  # as Keras's (torch backend)


def _std_name(dtype) -> str:
    if isinstance(dtype, str) and dtype in ("int", "float"):  # Keras's names of the Python scalar types
        return _PY_TYPES[int if dtype == "int" else float]
    try:
        return as_dtype(dtype).name
    except TypeError:
        if isinstance(dtype, str) and dtype in ("string", "float8_e4m3fn", "float8_e5m2"):
            return dtype  # names Keras knows where unidl has no compute dtype
        raise ValueError(f"Invalid dtype: {dtype}") from None


_FLASH_ATTENTION = None  # None: layers may use it where supported (Keras's default); False: disabled


def enable_flash_attention() -> None:
    """Let attention layers use flash attention where they can (Keras's default state: ``None``)."""
    global _FLASH_ATTENTION
    _FLASH_ATTENTION = None


def disable_flash_attention() -> None:
    """Stop attention layers from using flash attention."""
    global _FLASH_ATTENTION
    _FLASH_ATTENTION = False


def is_flash_attention_enabled():
    """``False`` after :func:`disable_flash_attention`, else ``None`` (enabled where supported), as Keras.
    unidl's attention computes the same result either way; the setting is kept for the API."""
    return _FLASH_ATTENTION


_BACKEND_NAMES = ("unidl", "torch", "jax", "tensorflow", "numpy", "openvino")


def backend() -> str:
    """The backend name: ``"unidl"`` (Keras runs on unidl's own core). Code written for one Keras backend may
    branch on this name; ``UNIDL_KERAS_BACKEND_NAME=torch`` (or another Keras backend name) makes the face
    report that name instead, so such code takes the branch it was written for. The computation is unidl's
    either way."""
    name = _os.environ.get("UNIDL_KERAS_BACKEND_NAME", "unidl")
    if name not in _BACKEND_NAMES:
        raise ValueError(f"UNIDL_KERAS_BACKEND_NAME={name!r}: expected one of {', '.join(_BACKEND_NAMES)}")
    return name


# -- debugging limits on fit/evaluate/predict (Keras's keras.config.set_max_epochs / set_max_steps_per_epoch;
#    also read from the KERAS_MAX_EPOCHS / KERAS_MAX_STEPS_PER_EPOCH environment variables) -------------------
import os as _os  # noqa: E402

_MAX_EPOCHS = int(_os.environ["KERAS_MAX_EPOCHS"]) if "KERAS_MAX_EPOCHS" in _os.environ else None
_MAX_STEPS_PER_EPOCH = (int(_os.environ["KERAS_MAX_STEPS_PER_EPOCH"]) if "KERAS_MAX_STEPS_PER_EPOCH" in _os.environ
                        else None)


def set_max_epochs(max_epochs):
    """Cap the number of epochs of every ``fit`` (``None``: no cap)."""
    global _MAX_EPOCHS
    _MAX_EPOCHS = max_epochs


def set_max_steps_per_epoch(max_steps_per_epoch):
    """Cap the steps of every epoch of ``fit``/``evaluate``/``predict`` (``None``: no cap)."""
    global _MAX_STEPS_PER_EPOCH
    _MAX_STEPS_PER_EPOCH = max_steps_per_epoch


def max_epochs():
    """The cap set by :func:`set_max_epochs` or ``KERAS_MAX_EPOCHS``, or ``None``."""
    return _MAX_EPOCHS


def max_steps_per_epoch():
    """The cap set by :func:`set_max_steps_per_epoch` or ``KERAS_MAX_STEPS_PER_EPOCH``, or ``None``."""
    return _MAX_STEPS_PER_EPOCH
