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
# every dtype name Keras 3 knows (unidl computes in the NumPy ones and bfloat16 (ml_dtypes); not float8 or string)
ALLOWED_DTYPES = ("float16", "float32", "float64", "uint8", "uint16", "uint32", "uint64", "int8", "int16", "int32",
                  "int64", "bfloat16", "bool", "string", "float8_e4m3fn", "float8_e5m2", "complex64", "complex128")
PYTHON_DTYPES_MAP = {bool: "bool", int: "int32", float: "float32", str: "string", "int": "int32",
                     complex: "complex64"}


def result_type(*dtypes: Any) -> str:
    """The dtype name Keras's promotion lattice gives for combining ``dtypes`` (dtypes, dtype names, tensors,
    or the Python types ``int``/``float``, which are weak): ``("int32", "float16") -> "float16"``,
    ``("bfloat16", "float16") -> "float32"``, ``("int8", int) -> "int8"``. As Keras's, 64-bit results come back
    as their 32-bit types (``("int64",) -> "int32"``); no argument gives floatx."""
    from ..ops._dtypes import promote_names

    if not dtypes:
        return config.floatx()
    strong, weak = set(), []
    for d in dtypes:
        if d is int or d is float:
            weak.append("int" if d is int else "float")
            continue
        name = config.standardize_dtype(getattr(d, "dtype", d) if not isinstance(d, (str, type)) else d)
        if name in FLOAT8_TYPES:
            raise ValueError("There is no implicit conversions from float8 dtypes to others. You must cast it "
                             f"internally. Received: {dtypes}")
        strong.add(name)
    return promote_names(strong, weak, wide=False)
