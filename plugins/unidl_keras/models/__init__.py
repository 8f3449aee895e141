"""``keras.models``: Model, Sequential, load_model, clone_model, model_from_json."""
from .functional import Functional
from .model import Model
from .sequential import Sequential


def load_model(filepath, custom_objects=None, compile=True, safe_mode=True):
    """Load a model saved by ``model.save`` (``.keras``) or a Keras 2 ``.h5`` file."""
    from ..saving.saving_api import load_model as _load

    return _load(filepath, custom_objects=custom_objects, compile=compile, safe_mode=safe_mode)


def model_from_json(json_string, custom_objects=None):
    import json

    from ..saving.serialization import deserialize_keras_object

    return deserialize_keras_object(json.loads(json_string), custom_objects=custom_objects)


def clone_model(model, input_tensors=None, clone_function=None):
    """A new model with the same architecture and freshly initialized weights."""
    from ..saving.serialization import deserialize_keras_object, serialize_keras_object

    return deserialize_keras_object(serialize_keras_object(model))


__all__ = ["Model", "Sequential", "Functional", "load_model", "model_from_json", "clone_model"]
