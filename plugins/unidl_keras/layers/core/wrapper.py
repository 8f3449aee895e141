"""``keras.layers.Wrapper``: the base of layers that wrap another layer (TimeDistributed, Bidirectional)."""
from __future__ import annotations

from typing import Any, Dict

from ..layer import Layer


def serialize_layer(layer: Layer) -> Dict[str, Any]:
    """A nested layer's config dict (``{"module", "class_name", "config", "registered_name"}``)."""
    try:
        from ...saving.serialization import serialize_keras_object
    except ImportError:  # the saving package is optional here: the plain Keras layout is enough
        cfg = {"module": "keras.layers", "class_name": type(layer).__name__, "config": layer.get_config(),
               "registered_name": None}
        build = layer.get_build_config()
        if build is not None:
            cfg["build_config"] = build
        return cfg
    return serialize_keras_object(layer)


def deserialize_layer(config: Any, custom_objects: Any = None) -> Layer:
    """The layer described by ``config`` (as :func:`serialize_layer` writes it); layers pass through."""
    if isinstance(config, Layer):
        return config
    try:
        from ...saving.serialization import deserialize_keras_object
    except ImportError:
        from ... import layers as layers_mod

        name = config["class_name"]
        cls = (custom_objects or {}).get(name) or getattr(layers_mod, name)
        layer = cls.from_config(config["config"])
        if config.get("build_config"):
            layer.build_from_config(config["build_config"])
        return layer
    return deserialize_keras_object(config, custom_objects=custom_objects)


class Wrapper(Layer):
    """Abstract wrapper: holds ``layer`` and builds it on first use.

    Args:
        layer: the wrapped :class:`~unidl_keras.layers.Layer` instance.
        **kwargs: base layer arguments (name, trainable, dtype).

    Input shape / Output shape: defined by the subclass. Weights: the wrapped layer's.
    """

    def __init__(self, layer: Layer, **kwargs: Any) -> None:
        if not isinstance(layer, Layer):
            raise ValueError(f"Please initialize `{type(self).__name__}` layer with a `keras.layers.Layer` "
                             f"instance. Received: {layer}")
        super().__init__(**kwargs)
        self.layer = layer

    def build(self, input_shape: Any = None) -> None:
        if not self.layer.built:
            self.layer.build(input_shape)
            self.layer.built = True
            self.layer._build_shapes = input_shape
        self.built = True

    def get_config(self) -> Dict[str, Any]:
        cfg = super().get_config()
        cfg["layer"] = serialize_layer(self.layer)
        return cfg

    @classmethod
    def from_config(cls, config: Dict[str, Any], custom_objects: Any = None) -> "Wrapper":
        config = dict(config)
        config["layer"] = deserialize_layer(config["layer"], custom_objects)
        return super().from_config(config)
