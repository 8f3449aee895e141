"""``keras.Model``: a Layer with training (``compile``/``fit``/...), ``summary`` and saving.

``keras.Model(inputs, outputs)`` returns a :class:`~unidl_keras.models.functional.Functional`;
subclass ``Model`` and define ``call`` for a subclassed model.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional

from ..layers.layer import Layer
from ..trainers.trainer import Trainer


def _functional_args(args: tuple, kwargs: dict) -> bool:
    return (len(args) == 2 or (len(args) == 1 and "outputs" in kwargs)
            or ("inputs" in kwargs and "outputs" in kwargs))


def _inject_functional(cls: type) -> type:
    """``cls`` with ``Functional`` in place of ``Model`` among its bases (recursively)."""
    from .functional import Functional

    if cls is Model:
        return Functional
    if cls is object or cls is Functional:
        return cls
    bases = tuple(_inject_functional(b) for b in cls.__bases__)
    if bases != cls.__bases__:
        cls.__bases__ = bases
    return cls


class Model(Trainer, Layer):
    """A trainable model. Functional: ``Model(inputs, outputs, name=None)``; subclassed: define ``call``."""

    def __new__(cls, *args: Any, **kwargs: Any) -> "Model":
        if cls is Model and _functional_args(args, kwargs):
            from .functional import Functional

            return Functional.__new__(Functional, *args, **kwargs)
        return super().__new__(cls)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if _functional_args(args, kwargs):
            from .functional import Functional

            if not isinstance(self, Functional):
                # a Model subclass built from (inputs, outputs), e.g. keras.io's CustomModel with its own
                # train_step: as Keras does, the class becomes a Functional subclass
                _inject_functional(type(self))
            Functional.__init__(self, *args, **kwargs)
            return
        trainable = kwargs.pop("trainable", True)
        name = kwargs.pop("name", None)
        dtype = kwargs.pop("dtype", None)
        Layer.__init__(self, name=name, trainable=trainable, dtype=dtype, **kwargs)
        self._init_model()

    def _init_model(self) -> None:
        Trainer._init_trainer(self)

    def __reduce__(self):
        """Pickles as a ``.keras`` archive in memory, as Keras does; unpickling loads it with
        ``load_model`` (safe mode: a pickle cannot make the loader run code a config names)."""
        from ..saving.saving_api import model_to_archive_bytes

        return (_unpickle_model, (model_to_archive_bytes(self),))

    @property
    def layers(self) -> List[Layer]:
        return [x for x in self._layers]

    @layers.setter
    def layers(self, _: Any) -> None:
        raise AttributeError("`Model.layers` attribute is reserved and should not be used. Please use another name.")

    @classmethod
    def from_config(cls, config: Dict[str, Any], custom_objects: Any = None) -> "Model":
        """As Keras: a functional model's config (``layers``, ``input_layers``, ``output_layers``) given to
        ``Model.from_config`` rebuilds the functional model; any other config goes to the constructor."""
        if cls is Model and isinstance(config, dict) and {"layers", "input_layers", "output_layers"} <= set(config):
            from .functional import Functional

            return Functional.from_config(config, custom_objects=custom_objects)
        return super().from_config(config)

    def get_layer(self, name: Optional[str] = None, index: Optional[int] = None) -> Layer:
        """A layer by ``name`` or by ``index`` (in ``layers`` order)."""
        if index is not None and name is not None:
            raise ValueError(f"Provide only a layer name or a layer index. Received: index={index}, name={name}.")
        if index is not None:
            if len(self.layers) <= index:
                raise ValueError(f"Was asked to retrieve layer at index {index} but model only has "
                                 f"{len(self.layers)} layers.")
            return self.layers[index]
        if name is not None:
            for layer in self.layers:
                if layer.name == name:
                    return layer
            raise ValueError(f"No such layer: {name}. Existing layers are: {[x.name for x in self.layers]}.")
        raise ValueError("Provide either a layer name or layer index at `get_layer`.")

    def quantize(self, mode: Any = None, config: Any = None, filters: Any = None, **kwargs: Any) -> None:
        """Quantize the weights of every quantizable layer (Dense, EinsumDense, Embedding): ``mode`` is
        ``"int8"``, ``"int4"`` or ``"float8"`` (or a ``keras.quantizers.QuantizationConfig`` as ``config``);
        ``filters``: a regex, list of regexes or callable selecting layers by name."""
        from ..quantizers.utils import quantize_model

        quantize_model(self, mode, config, filters, **kwargs)

    # -- state trees: every variable by its path, nested at "/" ------------------------------------------
    def get_state_tree(self, value_format: str = "backend_tensor") -> Dict[str, Any]:
        """``{"trainable_variables", "non_trainable_variables", ["optimizer_variables",] "metrics_variables"}``,
        each a dict nested by the parts of the variables' paths (``{"dense": {"kernel": value}}``); values are
        tensors (``"backend_tensor"``) or NumPy arrays (``"numpy_array"``)."""
        tree_: Dict[str, Any] = {
            "trainable_variables": _nested_by_path(self.trainable_variables, value_format),
            "non_trainable_variables": _nested_by_path(self.non_trainable_variables, value_format)}
        if self.optimizer is not None:
            tree_["optimizer_variables"] = _nested_by_path(self.optimizer.variables, value_format)
        tree_["metrics_variables"] = _nested_by_path(self.metrics_variables, value_format)
        return tree_

    def set_state_tree(self, state_tree: Dict[str, Any]) -> None:
        """Assign the values of a state tree (as :meth:`get_state_tree` returns) to the variables with those paths."""
        groups = {"trainable_variables": lambda: self.trainable_variables,
                  "non_trainable_variables": lambda: self.non_trainable_variables,
                  "optimizer_variables": lambda: self.optimizer.variables if self.optimizer is not None else [],
                  "metrics_variables": lambda: self.metrics_variables}
        for key, sub in state_tree.items():
            if key not in groups:
                raise ValueError(f"Unknown variable name: {key}")
            by_path = {v.path: v for v in groups[key]()}
            for path, value in _flat_by_path(sub).items():
                var = by_path.get(path)
                if var is not None:
                    var.assign(value)

    def summary(self, line_length: Optional[int] = None, positions: Any = None, print_fn: Any = None,
                expand_nested: bool = False, show_trainable: bool = False, layer_range: Any = None) -> None:
        """Print Keras's summary table (layers, output shapes, parameter counts and totals)."""
        from ..utils.summary_utils import print_summary

        print_summary(self, line_length=line_length, positions=positions, print_fn=print_fn,
                      expand_nested=expand_nested, show_trainable=show_trainable, layer_range=layer_range)

    # -- saving (implemented in unidl_keras.saving) ---------------------------------------------------------
    def save(self, filepath: Any, overwrite: bool = True, zipped: Optional[bool] = None, **kwargs: Any) -> None:
        """Save the whole model: ``.keras`` (Keras 3 zip archive) or legacy ``.h5``."""
        from ..saving.saving_api import save_model

        save_model(self, filepath, overwrite=overwrite, zipped=zipped, **kwargs)

    def save_weights(self, filepath: Any, overwrite: bool = True, **kwargs: Any) -> None:
        """Save the weights to a ``.weights.h5`` file in Keras 3's layout."""
        from ..saving.saving_api import save_weights

        save_weights(self, filepath, overwrite=overwrite, **kwargs)

    def load_weights(self, filepath: Any, skip_mismatch: bool = False, **kwargs: Any) -> None:
        """Load weights from ``.weights.h5``, ``.keras`` or a legacy Keras 2 ``.h5`` file."""
        from ..saving.saving_api import load_weights

        load_weights(self, filepath, skip_mismatch=skip_mismatch, **kwargs)

    def export(self, filepath: Any, format: str = "tf_saved_model", verbose: Optional[bool] = None,
               input_signature: Any = None, **kwargs: Any) -> None:
        """Export the model for inference: ``format="onnx"`` writes an ONNX file (opset ``opset_version``,
        default 17; symbolic batch dimension) after ``onnx.checker`` and ONNX Runtime agree with this model on a
        probe batch (unidl.onnx; needs ``unidl[onnx]``). Other formats (TF SavedModel, OpenVINO) need
        TensorFlow / OpenVINO and are not available here."""
        allowed = ("tf_saved_model", "onnx", "openvino")
        if format not in allowed:
            raise ValueError(f"Unrecognized format={format}. Supported formats are: {list(allowed)}.")
        if format == "tf_saved_model":
            raise NotImplementedError("`export_saved_model` only currently supports the tensorflow, jax and torch "
                                      "backends. unidl exports format='onnx' (model.export(path, format='onnx')).")
        if format != "onnx":
            raise NotImplementedError(f"model.export(format={format!r}) needs a backend this runtime does not "
                                      "have; use format='onnx'")
        unknown = set(kwargs) - {"opset_version"}
        if unknown:
            raise TypeError(f"export(format='onnx') got unexpected keyword arguments {sorted(unknown)}")
        from .._onnx import export_onnx

        report = export_onnx(self, str(filepath), kwargs.get("opset_version"), input_signature)
        if verbose or verbose is None:
            print(f"Saved artifact at '{filepath}'. {report}")

    def get_config(self) -> Dict[str, Any]:
        cfg = Layer.get_config(self)
        return cfg

    def to_json(self, **kwargs: Any) -> str:
        import json

        from ..saving.serialization import serialize_keras_object

        return json.dumps(serialize_keras_object(self), **kwargs)


def model_from_json(json_string: str, custom_objects: Any = None) -> Any:
    """``keras.models.model_from_json`` (Keras defines it in ``keras.src.models.model``)."""
    from . import model_from_json as _from_json

    return _from_json(json_string, custom_objects=custom_objects)


def _unpickle_model(archive: bytes) -> Model:
    import io

    from ..saving.saving_api import load_model

    return load_model(io.BytesIO(archive))


def _nested_by_path(variables: List[Any], value_format: str) -> Dict[str, Any]:
    if value_format not in ("backend_tensor", "numpy_array"):
        raise ValueError("Invalid `value_format` argument. Expected one of {'numpy_array', 'backend_tensor'}. "
                         f"Received: value_format={value_format}")
    flat: Dict[str, Any] = {}
    for v in variables:
        if v.path in flat:
            raise ValueError(f"The following variable path is found twice in the model: '{v.path}'. "
                             "`get_state_tree()` can only be called when all variable paths are unique. Make sure to "
                             "give unique names to your layers (and other objects).")
        flat[v.path] = v.numpy() if value_format == "numpy_array" else v.value
    nested: Dict[str, Any] = {}
    for path, value in flat.items():
        parts = path.split("/")
        node = nested
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return nested


def _flat_by_path(nested: Dict[str, Any], prefix: str = "") -> Dict[str, Any]:
    out: Dict[str, Any] = {}
    for key, value in nested.items():
        if isinstance(value, dict):
            out.update(_flat_by_path(value, f"{prefix}{key}/"))
        else:
            out[prefix + key] = value
    return out
