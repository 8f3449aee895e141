"""``keras.src.backend.common.dtypes``: Keras's dtype name lists and ``result_type`` (dtype names)."""
from __future__ import annotations

from typing import Any

from . import config

BOOL_TYPES = ("bool",)
INT_TYPES = ("uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32", "int64")
FLOAT_TYPES = ("bfloat16", "float16", "float32", "float64")
WEAK_TYPES = ("int", "float")
COMPLEX_TYPES = ("complex64", "complex128")
FLOAT8_TYPES = ("float8_e4m3fn", "float8_e5m2")
# every dtype name Keras 3 knows (unidl computes in the NumPy ones: not bfloat16, float8 or string)
ALLOWED_DTYPES = ("float16", "float32", "float64", "uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32",
                  "int64", "bfloat16", "bool", "string", "float8_e4m3fn", "float8_e5m2", "complex64", "complex128")
PYTHON_DTYPES_MAP = {bool: "bool", int: "int32", float: "float32", str: "string", "int": "int32",
                     complex: "complex64"}


def result_type(*dtypes: Any) -> str:
    """The dtype name Keras's promotion gives for combining ``dtypes`` (tensors, dtypes or Python scalars)."""
    from ..ops._dtypes import result_type as _result_type

    return config.standardize_dtype(_result_type(*dtypes))
