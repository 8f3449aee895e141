"""``keras.backend``: settings, conversions, variables, and the Keras-2 era ``K.*`` functions."""
from .common import (clear_session, convert_to_numpy, convert_to_tensor, get_uid, is_float_dtype, is_int_dtype,
                     is_tensor, snake_case, unique_name)
from .config import (backend, epsilon, floatx, image_data_format, set_epsilon, set_floatx,
                     set_image_data_format, standardize_data_format, standardize_dtype)
from .keras_tensor import KerasTensor, is_keras_tensor
from .symbolic_scope import SymbolicScope, in_symbolic_scope
from .device_scope import device
from .variable import Variable, is_variable
from .keras2 import *  # noqa: E402,F401,F403  (the Keras-2 era K.* functions)

# what Keras's backends declare: unidl has neither sparse nor ragged tensors, nor complex dtypes
SUPPORTS_SPARSE_TENSORS = False
SUPPORTS_RAGGED_TENSORS = False
SUPPORTS_COMPLEX_DTYPES = False


def compute_output_spec(fn, *args, **kwargs):
    """The KerasTensor(s) ``fn(*args, **kwargs)`` would return for KerasTensor arguments (found by
    running ``fn`` on placeholder arrays, as a layer's symbolic call does)."""
    from ..layers.layer import infer_output_spec

    return infer_output_spec(fn, args, kwargs)


def set_keras_mask(x, mask):
    """Attach ``mask`` to tensor ``x`` (None removes it), as Keras's ``x._keras_mask``."""
    from .masks import set_mask

    set_mask(x, mask)


def get_keras_mask(x):
    """The mask attached to tensor ``x``, or None."""
    from .masks import get_mask

    return get_mask(x)


def __getattr__(name: str):
    # keras.src.backend.random is the backend's random module: here, keras.random
    if name == "random":
        from .. import random

        return random
    if name == "numpy":  # keras.src.backend.numpy is the backend's NumPy-like ops: here, keras.ops.numpy
        from ..ops import numpy

        return numpy
    if name == "result_type":  # keras.backend.result_type(*dtypes) -> a dtype name
        from .dtypes import result_type

        return result_type
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
