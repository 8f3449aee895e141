"""``keras.initializers``: Keras 3 initializers, drawing through :mod:`unidl.nn.init`.

The classes live where Keras keeps them: :mod:`.initializer` (the base), :mod:`.constant_initializers`
and :mod:`.random_initializers`; this package adds lookup by name/config (``get``).
"""
from __future__ import annotations

from typing import Any, Dict

from ..backend.common import snake_case
from ..saving.object_config import deserialize_object, get_object, serialize_object
from .constant_initializers import STFT, Constant, Identity, Ones, Zeros
from .initializer import Initializer
from .random_initializers import (GlorotNormal, GlorotUniform, HeNormal, HeUniform, LecunNormal, LecunUniform,
                                  Orthogonal, RandomInitializer, RandomNormal, RandomUniform, TruncatedNormal,
                                  VarianceScaling, compute_fans)

OrthogonalInitializer = Orthogonal
IdentityInitializer = Identity
STFTInitializer = STFT

_CLASSES = [Zeros, Ones, Constant, Identity, RandomUniform, RandomNormal, TruncatedNormal, VarianceScaling,
            GlorotUniform, GlorotNormal, HeUniform, HeNormal, LecunUniform, LecunNormal, Orthogonal, STFT]
_BY_NAME: Dict[str, type] = {}
for _c in _CLASSES:
    _BY_NAME[_c.__name__] = _c
    _BY_NAME[snake_case(_c.__name__)] = _c
_BY_NAME.update({"zero": Zeros, "one": Ones, "uniform": RandomUniform, "normal": RandomNormal,
                 "random_uniform": RandomUniform, "random_normal": RandomNormal, "orthogonal": Orthogonal,
                 "identity": Identity, "OrthogonalInitializer": Orthogonal, "IdentityInitializer": Identity,
                 "STFTInitializer": STFT, "stft": STFT})
del _c

# function-style aliases (keras.initializers.glorot_uniform(...) returns an instance)
zeros, ones, constant = Zeros, Ones, Constant
glorot_uniform, glorot_normal, he_uniform, he_normal = GlorotUniform, GlorotNormal, HeUniform, HeNormal
lecun_uniform, lecun_normal, orthogonal, random_uniform, random_normal = (LecunUniform, LecunNormal, Orthogonal,
                                                                          RandomUniform, RandomNormal)
truncated_normal, variance_scaling, identity, stft = TruncatedNormal, VarianceScaling, Identity, STFT


def serialize(initializer: Any) -> Any:
    return serialize_object(initializer, "keras.initializers", "initializer", Initializer)


def deserialize(config: Any, custom_objects: Any = None) -> Initializer:
    return deserialize_object(config, _BY_NAME, "initializer", custom_objects)


def get(identifier: Any) -> Any:
    """An initializer from a name ('glorot_uniform', 'GlorotUniform'), a config dict, an instance, a callable, or
    a tensor / NumPy array (its own value, for exactly its shape)."""
    import numpy as np

    from unidl.tensor import Tensor

    if isinstance(identifier, (Tensor, np.ndarray, np.generic)):
        value = identifier

        def initialize_fn(shape: Any, dtype: Any = None) -> Any:
            from unidl import ops

            from ..backend import config
            from ..backend.common import convert_to_tensor

            if tuple(int(d) for d in shape) != tuple(value.shape):
                raise ValueError(f"Expected `shape` to be {tuple(value.shape)} for direct tensor as initializer. "
                                 f"Received shape={tuple(shape)}")
            return ops.astype(convert_to_tensor(value), config.standardize_dtype(dtype))

        return initialize_fn
    return get_object(identifier, _BY_NAME, "initializer", deserialize, Initializer)
