"""``keras.saving``: whole-model and weights files, config (de)serialization, custom objects.

Files move both ways between real Keras 3 and unidl: ``.keras`` archives, ``.weights.h5`` stores and
legacy Keras 2 ``.h5`` files. Nothing is ever unpickled; code-carrying configs need ``safe_mode=False``.
"""
from .errors import LoadError
from .object_registration import (CustomObjectScope, custom_object_scope, get_custom_objects, get_registered_name,
                                   get_registered_object, register_keras_serializable)
from .safe_mode import SafeModeScope, enable_unsafe_deserialization, in_safe_mode
from .saving_api import load_model, load_weights, save_model, save_weights
from .serialization import deserialize_keras_object, serialize_keras_object

__all__ = ["save_model", "load_model", "save_weights", "load_weights", "register_keras_serializable",
           "get_registered_object", "get_registered_name", "get_custom_objects", "custom_object_scope",
           "CustomObjectScope", "serialize_keras_object", "deserialize_keras_object", "SafeModeScope",
           "in_safe_mode", "enable_unsafe_deserialization", "LoadError"]
