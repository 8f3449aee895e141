"""``keras.Sequential``: a plain stack of layers, each with one input and one output."""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence

from ..backend.common import unique_name
from ..backend.keras_tensor import KerasTensor
from ..layers.core.input_layer import Input, InputLayer
from ..layers.layer import _FAST, CALL_CONTEXT, Layer, _call_signature, _fast_info
from .model import Model


class Sequential(Model):
    """``Sequential(layers=None, name=None)``: layers run one after another.

    The input shape comes from a leading ``keras.Input``/``InputLayer``, a first layer's
    ``input_shape``/``input_dim``, or the first batch of data; once known, every layer is built and
    its output shape recorded (for ``summary``) by one symbolic pass.
    """

    def __init__(self, layers: Optional[Sequence[Layer]] = None, trainable: bool = True,
                 name: Optional[str] = None) -> None:
        Layer.__init__(self, name=name or unique_name("sequential"), trainable=trainable)
        self._init_model()
        self.__dict__["_input_layer"] = None
        self.__dict__["_functional"] = None
        if layers:
            for layer in layers:
                self.add(layer, rebuild=False)
            self._maybe_rebuild()

    # -- editing ----------------------------------------------------------------------------------------
    def add(self, layer: Any, rebuild: bool = True) -> None:
        """Append a layer (or a ``keras.Input`` tensor / InputLayer as the first item)."""
        if isinstance(layer, KerasTensor) and layer._keras_history and isinstance(layer._keras_history[0], InputLayer):
            layer = layer._keras_history[0]
        if isinstance(layer, InputLayer):
            if self._input_layer is not None or self._layers:
                raise ValueError(f"Sequential model '{self.name}' has already been configured to use an input; "
                                 f"an InputLayer can only be the first layer.")
            self.__dict__["_input_layer"] = layer
        elif not isinstance(layer, Layer):
            raise ValueError(f"Only instances of `keras.Layer` can be added to a Sequential model. Received: {layer!r} "
                             f"(of type {type(layer).__name__})")
        else:
            if any(layer is x for x in self._layers):
                raise ValueError(f"Layer '{layer.name}' is already in Sequential model '{self.name}'.")
            names = {x.name for x in self._layers}
            if layer.name in names:
                raise ValueError(f"All layers added to a Sequential model should have unique names. Name '{layer.name}' "
                                 f"is already the name of a layer in this model. Update the `name` argument to pass a "
                                 f"unique name.")
            if not self._layers and self._input_layer is None and getattr(layer, "_input_shape_arg", None) is not None:
                self.__dict__["_input_layer"] = InputLayer(batch_shape=layer._input_shape_arg)
            self._tracking = False
            self._layers.append(layer)
            self._tracking = True
        self.built = False
        self.__dict__["_functional"] = None
        if rebuild:
            self._maybe_rebuild()

    def pop(self, rebuild: bool = True) -> Layer:
        """Remove and return the last layer."""
        if not self._layers:
            raise TypeError("There are no layers in the model.")
        layer = self._layers.pop()
        self.built = False
        self.__dict__["_functional"] = None
        if rebuild:
            self._maybe_rebuild()
        return layer

    @property
    def layers(self) -> List[Layer]:
        return list(self._layers)

    @layers.setter
    def layers(self, _: Any) -> None:
        raise AttributeError("`Sequential.layers` attribute is reserved and should not be used. Use `add()` and "
                             "`pop()` to change the layers in this model.")

    # -- building ---------------------------------------------------------------------------------------
    def _maybe_rebuild(self) -> None:
        if self._input_layer is not None and self._layers:
            self.build(self._input_layer.batch_shape)
        elif self._layers and len(self._layers) > 1 and _known_input_shape(self._layers[0]) is not None:
            # a first layer that knows its input (a built functional or Sequential model), as Keras
            self.build(_known_input_shape(self._layers[0]))

    def build(self, input_shape: Any = None) -> None:
        if input_shape is None:
            if self._input_layer is None:
                raise ValueError("You must provide an `input_shape` argument.")
            input_shape = self._input_layer.batch_shape
        if isinstance(input_shape, dict) or (isinstance(input_shape, (list, tuple)) and input_shape
                                             and isinstance(input_shape[0], (list, tuple, dict))):
            return  # not a single input: the model runs its layers one after another without a graph
        input_shape = tuple(input_shape)
        if not self._layers:
            raise ValueError(f"Sequential model {self.name} cannot be built because it has no layers. Call "
                             "`model.add(layer)`.")
        if (self._input_layer is not None and not self.__dict__.get("_input_from_data")
                and tuple(self._input_layer.batch_shape) != input_shape):
            raise ValueError(f"Sequential model '{self.name}' has already been configured to use input shape "
                             f"{tuple(self._input_layer.batch_shape)}. You cannot build it with input_shape "
                             f"{input_shape}")
        if self._input_layer is None or tuple(self._input_layer.batch_shape) != input_shape:
            dtype = self._input_layer.dtype if self._input_layer is not None else None
            self.__dict__["_input_layer"] = InputLayer(batch_shape=input_shape, dtype=dtype)
        x = inp = self._input_layer.output
        for layer in self._layers:
            positional = _required_positional(layer)
            if len(positional) > 1:
                raise ValueError("Layers added to a Sequential model can only have a single positional argument, the "
                                 f"input tensor. Layer {type(layer).__name__} has multiple positional arguments: "
                                 f"{positional}")
            try:
                x = layer(x)
            except NotImplementedError:
                return  # a layer whose output shape cannot be inferred: build from data instead
        if not isinstance(x, KerasTensor):
            return
        from .functional import Functional

        self.__dict__["_functional"] = Functional.__new__(Functional)
        Functional.__init__(self._functional, inp, x, name=self.name + "_graph")
        self._build_shapes = input_shape
        self.built = True

    def _maybe_build(self, args: tuple, kwargs: dict) -> None:
        if self.built:
            return
        x = args[0] if args else None
        if not self._layers:
            raise ValueError(f"Sequential model {self.name} cannot be built because it has no layers. Call "
                             "`model.add(layer)`.")
        if isinstance(x, (dict, list, tuple)):
            return  # nested inputs: no graph, the layers run one after another (as Keras)
        if x is None or not hasattr(x, "shape"):
            raise ValueError(f"Sequential model '{self.name}' cannot be built from {x!r}")
        shape = (None,) + tuple(x.shape[1:])
        dtype = getattr(x, "dtype", None)
        dtype = dtype if isinstance(dtype, str) else getattr(dtype, "name", None)
        if self._input_layer is None:
            self.__dict__["_input_layer"] = InputLayer(batch_shape=shape, dtype=dtype if dtype and dtype.startswith(("int", "uint")) else None)
            self.__dict__["_input_from_data"] = True
        self.build(self._input_layer.batch_shape if self._input_layer is not None else shape)
        self.built = True

    def call(self, inputs: Any, training: Optional[bool] = None, mask: Any = None) -> Any:
        x = inputs
        if training is None or training is CALL_CONTEXT.training:
            # reached through __call__, which already set the flag a layer's call reads by default; only a
            # call(**kwargs) without a `training` parameter still gets it passed, as before
            for layer in self._layers:
                info = _FAST.get(type(layer)) or _fast_info(type(layer))
                x = layer(x, training=training) if training is not None and info[2] and not info[0] else layer(x)
            return x
        for layer in self._layers:
            x = layer(x, training=training) if _takes_training(layer) else layer(x)
        return x

    @property
    def input_shape(self) -> Any:
        if self._functional is None:
            raise AttributeError(f"Sequential model '{self.name}' has no defined input shape yet.")
        return self._input_layer.batch_shape

    @property
    def output_shape(self) -> Any:
        if self._functional is None:
            raise AttributeError(f"Sequential model '{self.name}' has no defined output shape yet.")
        return self._functional.outputs[0].shape

    @property
    def inputs(self) -> List[KerasTensor]:
        if self._functional is None:
            raise AttributeError(f"Sequential model '{self.name}' has no defined inputs yet.")
        return self._functional.inputs

    @property
    def outputs(self) -> List[KerasTensor]:
        if self._functional is None:
            raise AttributeError(f"Sequential model '{self.name}' has no defined outputs yet.")
        return self._functional.outputs

    @property
    def input(self) -> Any:
        return self._functional.inputs[0] if self._functional is not None else Layer.input.fget(self)

    @property
    def output(self) -> Any:
        return self._functional.outputs[0] if self._functional is not None else Layer.output.fget(self)

    def compute_output_spec(self, *args: Any, **kwargs: Any) -> Any:
        from ..layers.layer import infer_output_spec

        return infer_output_spec(self, args, kwargs)

    def compute_output_shape(self, input_shape: Any) -> Any:
        """The output shape for ``input_shape``: through the built graph, else layer by layer."""
        if self._functional is not None:
            from ..layers.layer import infer_output_spec

            out = infer_output_spec(self, (KerasTensor(tuple(input_shape)),), {})
            return tuple(out.shape) if isinstance(out, KerasTensor) else out
        for layer in self._layers:
            input_shape = layer.compute_output_shape(input_shape)
        return input_shape

    def get_config(self) -> Dict[str, Any]:
        from ..saving.serialization import sequential_config

        return sequential_config(self)

    @classmethod
    def from_config(cls, config: Dict[str, Any], custom_objects: Any = None) -> "Sequential":
        from ..saving.serialization import sequential_from_config

        return sequential_from_config(cls, config, custom_objects)


def _takes_training(layer: Layer) -> bool:
    t, _, kw, _ = _call_signature(type(layer))
    return t or kw


def _known_input_shape(layer: Any) -> Any:
    """The batch input shape of a layer that has one defined (a built model), else None."""
    try:
        shape = layer.input_shape
    except (AttributeError, ValueError):
        return None
    if isinstance(shape, tuple) and all(d is None or isinstance(d, int) for d in shape):
        return shape
    return None


def _required_positional(layer: Any) -> List[str]:
    """The names of ``layer.call``'s positional parameters without defaults (Keras allows one)."""
    import inspect

    try:
        params = inspect.signature(layer.call).parameters.values()
    except (TypeError, ValueError):
        return []
    return [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.default is p.empty]
