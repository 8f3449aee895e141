"""``keras.layers.Layer``: the base class of every layer and model.

What it does for subclasses, as Keras 3 does:
  * auto names (``dense``, ``dense_1``, ...), ``trainable``, ``dtype``;
  * tracks variables made with :meth:`add_weight`, sub-layers and metrics assigned as attributes (or in
    lists and dicts), giving ``weights``/``trainable_weights``/``non_trainable_weights`` in Keras's order;
    the flattened layer and variable lists are cached and rebuilt only after a tracking change (see
    ``_TRACK``), so a training step does not walk the layer tree;
  * builds lazily on the first call from the input shapes;
  * resolves ``training`` (explicit argument > outer call > the call signature's default) and passes
    masks between layers (``supports_masking``, ``compute_mask``);
  * on :class:`~unidl_keras.backend.KerasTensor` inputs, records a node for functional models and
    infers the output shapes by running the layer on small placeholder arrays (twice, when a dim is
    unknown, to find which output dims follow it), with the random generator restored afterwards.
"""
from __future__ import annotations

import inspect
import threading
import warnings
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

import unidl
from unidl.dtypes import is_floating
from unidl.tensor import Tensor

from ..backend import config
from ..backend.common import snake_case, unique_name
from ..backend.keras_tensor import KerasTensor
from ..backend.masks import _MASKS, get_mask, set_mask
from ..backend.name_scope import _pop, _push, current_path
from ..backend.symbolic_scope import SymbolicScope
from ..backend.variable import Variable
from ..utils import tree


class _CallContext(threading.local):
    """The ``training`` flag and depth of the outermost layer call in progress, one per thread (a ``fit`` in
    one thread and a ``predict`` in another each see their own)."""

    training: Optional[bool] = None
    depth = 0


CALL_CONTEXT = _CallContext()

_ALLOWED_KWARGS = {"input_shape", "batch_input_shape", "batch_size", "input_dim", "weights"}
_SIGS: Dict[type, Tuple[bool, bool, bool, Dict[str, Any]]] = {}


class _TrackState:
    """Process-wide change counters read by the per-layer caches.

    ``version`` moves on any change that can alter a flattened layer/variable list or the name-scope
    shortcut (a tracked list mutated or replaced, ``trainable`` or ``built`` set, a first name scope);
    ``losses`` moves whenever a loss is added to any layer's ``_losses``."""

    __slots__ = ("version", "losses")

    def __init__(self) -> None:
        self.version = 0
        self.losses = 0


_TRACK = _TrackState()


def _bump() -> None:
    _TRACK.version += 1


class _TrackedList(list):
    """A list that bumps ``_TRACK.version`` when mutated (``_layers`` and the variable lists)."""

    __slots__ = ()

    def _changed(self) -> None:
        _TRACK.version += 1

    def append(self, v: Any) -> None:
        list.append(self, v)
        self._changed()

    def extend(self, vs: Any) -> None:
        list.extend(self, vs)
        self._changed()

    def insert(self, i: Any, v: Any) -> None:
        list.insert(self, i, v)
        self._changed()

    def remove(self, v: Any) -> None:
        list.remove(self, v)
        self._changed()

    def pop(self, *i: Any) -> Any:
        out = list.pop(self, *i)
        self._changed()
        return out

    def clear(self) -> None:
        list.clear(self)
        self._changed()

    def sort(self, *a: Any, **k: Any) -> None:
        list.sort(self, *a, **k)
        self._changed()

    def reverse(self) -> None:
        list.reverse(self)
        self._changed()

    def __setitem__(self, i: Any, v: Any) -> None:
        list.__setitem__(self, i, v)
        self._changed()

    def __delitem__(self, i: Any) -> None:
        list.__delitem__(self, i)
        self._changed()

    def __iadd__(self, vs: Any) -> "_TrackedList":
        list.extend(self, vs)
        self._changed()
        return self

    def __imul__(self, n: Any) -> "_TrackedList":
        list.__imul__(self, n)
        self._changed()
        return self


class _LossList(_TrackedList):
    """A layer's ``_losses``: additions bump ``_TRACK.losses`` (clearing needs no bump: it adds nothing)."""

    __slots__ = ()

    def _changed(self) -> None:
        _TRACK.losses += 1

    def clear(self) -> None:
        list.clear(self)


_TRACKED_LISTS = {"_layers": _TrackedList, "_trainable_variables": _TrackedList,
                  "_non_trainable_variables": _TrackedList, "_losses": _LossList}


class _Cache:
    """What a layer derives from its tracked tree, valid while ``_TRACK.version`` equals ``version``:
    the flattened layers (self first, depth-first), the de-duplicated variables in Keras's order, whether
    a call may skip opening its name scope, and the ``_TRACK.losses`` count at the last loss clearing."""

    __slots__ = ("version", "layers", "variables", "scoped", "losses_cleared_at")

    def __init__(self, layer: "Layer") -> None:
        self.version = _TRACK.version
        self.layers = layer._walk_layers()
        seen, out = set(), []
        for lyr in self.layers:
            for v in lyr._own_variables():
                if id(v) not in seen:
                    seen.add(id(v))
                    out.append(v)
        self.variables = out
        # the name scope of a call is only read when something in the call creates a variable or enters a
        # layer for the first time (its parent path comes from the scope); once every layer is built and
        # has its path, a call skips it
        self.scoped = all(lyr.__dict__.get("built") and lyr.__dict__.get("_parent_path") is not None
                          for lyr in self.layers)
        self.losses_cleared_at = -1


_METRIC_CLS: List[Any] = []


def _is_metric(value: Any) -> bool:
    if not _METRIC_CLS:
        from ..metrics.metric import Metric

        _METRIC_CLS.append(Metric)
    return isinstance(value, _METRIC_CLS[0])


def _metrics_in(value: Any) -> List[Any]:
    if isinstance(value, (list, tuple)):
        return [m for x in value for m in _metrics_in(x)]
    if isinstance(value, dict):
        return [m for x in value.values() for m in _metrics_in(x)]
    return [value] if _is_metric(value) else []


_FAST: Dict[type, Tuple[bool, bool, bool, Any, bool, bool]] = {}


def _fast_info(cls: type) -> Tuple[bool, bool, bool, Any, bool, bool]:
    """What ``__call__`` needs of ``cls`` per call, cached per class: the call signature facts, the
    signature's default ``training``, and whether ``dtype``/``compute_dtype`` and ``compute_mask`` are
    Layer's own (so a call can read them without calling)."""
    takes_training, takes_mask, var_kw, defaults = _call_signature(cls)
    plain_dtype = cls.compute_dtype is Layer.compute_dtype and cls.dtype is Layer.dtype
    plain_mask = cls.compute_mask is Layer.compute_mask
    info = _FAST[cls] = (takes_training, takes_mask, var_kw, defaults.get("training"), plain_dtype, plain_mask)
    return info


def _call_signature(cls: type) -> Tuple[bool, bool, bool, Dict[str, Any]]:
    """(accepts training, accepts mask, has **kwargs, defaults) of ``cls.call``, cached per class."""
    sig = _SIGS.get(cls)
    if sig is None:
        params = inspect.signature(cls.call).parameters
        var_kw = any(p.kind is p.VAR_KEYWORD for p in params.values())
        defaults = {k: p.default for k, p in params.items() if p.default is not p.empty}
        sig = _SIGS[cls] = ("training" in params, "mask" in params, var_kw, defaults)
    return sig


class Node:
    """One call of a layer on symbolic tensors: the arguments (with KerasTensors) and the outputs."""

    def __init__(self, layer: "Layer", call_args: tuple, call_kwargs: dict, outputs: Any) -> None:
        self.layer = layer
        self.call_args = call_args
        self.call_kwargs = call_kwargs
        self.outputs = outputs
        self.output_tensors: List[KerasTensor] = [t for t in tree.flatten(outputs) if isinstance(t, KerasTensor)]
        self.input_tensors: List[KerasTensor] = [t for t in tree.flatten((call_args, call_kwargs))
                                                 if isinstance(t, KerasTensor)]
        self.parent_nodes = [t._keras_history[0]._inbound_nodes[t._keras_history[1]]
                             for t in self.input_tensors if t._keras_history is not None]


class Layer:
    """Base class of layers: subclass it and implement ``build(input_shape)`` and ``call(inputs)``.

    Args:
        trainable: whether the layer's variables are trained.
        name: the layer's name (default: the snake-case class name, made unique).
        dtype: the variable and compute dtype (default ``floatx()``).
        activity_regularizer: a regularizer applied to the layer's output (added to ``losses``).
        input_shape / input_dim / batch_size: accepted for the first layer of a Sequential model.
    """

    def __new__(cls, *args: Any, **kwargs: Any) -> "Layer":
        obj = object.__new__(cls)
        d = obj.__dict__
        d["_tracking"] = True
        d["_layers"] = _TrackedList()
        d["_trainable_variables"] = _TrackedList()
        d["_non_trainable_variables"] = _TrackedList()
        d["_losses"] = _LossList()
        d["_metrics"] = []
        d["_cache"] = None
        d["_inbound_nodes"] = []
        d["built"] = False
        d["_trainable"] = True
        d["_name_set"] = False
        d["_build_shapes"] = None
        d["_parent_path"] = None
        d["_path"] = None
        # the constructor arguments when they are plain values: the config of a subclass that does not write
        # get_config (Keras's auto-config); anything else is not kept (no reference to the user's objects)
        d["_init_args"] = (args, kwargs) if _plain_values(args) and _plain_values(kwargs) else None
        return obj

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        build = cls.__dict__.get("build")
        if build is not None and not getattr(build, "_records_shape", False):
            def wrapped(self: "Layer", *args: Any, **kw: Any) -> Any:
                pushed = self._enter_name_scope()
                try:
                    self.__dict__["_path"] = current_path()
                    out = build(self, *args, **kw)
                finally:
                    if pushed:
                        _pop()
                self.__dict__["built"] = True
                if self.__dict__.get("_build_shapes") is None and args:
                    self.__dict__["_build_shapes"] = args[0] if len(args) == 1 else list(args)
                return out

            wrapped._records_shape = True  # type: ignore[attr-defined]
            wrapped.__wrapped__ = build  # type: ignore[attr-defined]
            wrapped.__doc__, wrapped.__name__ = build.__doc__, "build"
            cls.build = wrapped

    def __init__(self, *, activity_regularizer: Any = None, trainable: bool = True, dtype: Any = None,
                 autocast: bool = True, name: Optional[str] = None, **kwargs: Any) -> None:
        unknown = set(kwargs) - _ALLOWED_KWARGS
        if unknown:
            raise ValueError(f"Unrecognized keyword arguments passed to {type(self).__name__}: "
                             f"{ {k: kwargs[k] for k in sorted(unknown)} }")
        if name is not None and not isinstance(name, str):
            raise ValueError(f"Argument `name` must be a string. Received: name={name!r}")
        self.name = name or unique_name(snake_case(type(self).__name__))
        self._name_set = True
        self._trainable = bool(trainable)
        self._dtype_policy, self._dtype = _dtype_policy_of(dtype)
        self.autocast = autocast
        from .. import regularizers

        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.supports_masking = getattr(self, "supports_masking", False)
        self._input_shape_arg = None
        if "batch_input_shape" in kwargs and kwargs["batch_input_shape"] is not None:
            self._input_shape_arg = tuple(kwargs["batch_input_shape"])
        elif "input_shape" in kwargs and kwargs["input_shape"] is not None:
            self._input_shape_arg = (kwargs.get("batch_size"),) + tuple(kwargs["input_shape"])
        elif "input_dim" in kwargs and kwargs["input_dim"] is not None:
            self._input_shape_arg = (kwargs.get("batch_size"), int(kwargs["input_dim"]))
        if self._input_shape_arg is not None:
            warnings.warn("Do not pass an `input_shape`/`input_dim` argument to a layer. When using Sequential "
                          "models, prefer using an `Input(shape)` object as the first layer in the model instead.",
                          UserWarning, stacklevel=2)
        self._initial_weights = kwargs.get("weights")
        if "_build_shapes" not in self.__dict__:
            self._build_shapes: Any = None

    # -- names, flags ------------------------------------------------------------------------------------
    def _ensure_init(self) -> None:
        if not self._name_set:  # a subclass forgot super().__init__(): behave as if it had been called
            Layer.__init__(self)

    @property
    def dtype(self) -> str:
        return getattr(self, "_dtype", None) or config.floatx()

    @property
    def compute_dtype(self) -> str:
        return self.dtype

    @property
    def variable_dtype(self) -> str:
        return self.dtype

    @property
    def dtype_policy(self) -> Any:
        """The layer's :class:`keras.dtype_policies.DTypePolicy` (from ``dtype=``, else the global policy
        when one was set, else ``floatx()``)."""
        policy = getattr(self, "_dtype_policy", None)
        if policy is None:
            from ..dtype_policies import DTypePolicy

            policy = DTypePolicy(self.dtype)
        return policy

    @dtype_policy.setter
    def dtype_policy(self, value: Any) -> None:
        self._dtype_policy, self._dtype = _dtype_policy_of(value)
        mode = getattr(self._dtype_policy, "quantization_mode", None)
        if mode is not None and self.built and not getattr(self, "_is_quantized", False):
            if mode == "gptq":
                raise ValueError(f"Implicitly enabling GPTQ quantization by setting `dtype_policy` to '{value}' is "
                                 "not supported. GPTQ requires a calibration dataset and a `GPTQConfig` object.\n\n"
                                 "Please use the `.quantize('gptq', config=...)` method on the layer or model "
                                 "instead.")
            self.quantize(mode)

    @property
    def quantization_mode(self) -> Optional[str]:
        """The quantization mode of this layer (``"int8"``, ``"int4"``, ...), None if not quantized."""
        return getattr(self._path_dtype_policy(), "quantization_mode", None)

    def _path_dtype_policy(self) -> Any:
        """The policy that applies to this layer: a DTypePolicyMap's entry for the layer's path."""
        policy = self.dtype_policy
        path = self.path
        if path and hasattr(policy, "default_policy") and hasattr(policy, "_policy_map"):
            return policy[path]
        return policy

    @property
    def trainable(self) -> bool:
        return self._trainable

    @trainable.setter
    def trainable(self, value: bool) -> None:
        value = bool(value)
        self.__dict__["_trainable"] = value
        _bump()
        for v in self._trainable_variables:
            v.trainable = value
        for layer in self._layers:
            layer.trainable = value

    @property
    def path(self) -> Optional[str]:
        """The layer's name-scope path (``'sequential/dense'``), set when it is built; None before."""
        return self.__dict__.get("_path")

    def _enter_name_scope(self) -> bool:
        """Open this layer's name scope (see ``backend.name_scope``); True when a scope was pushed."""
        d = self.__dict__
        if d.get("_parent_path") is None:
            d["_parent_path"] = current_path()
            _bump()
        return _push(self.name, self, d["_parent_path"])

    # -- tracking ---------------------------------------------------------------------------------------
    def __setattr__(self, name: str, value: Any) -> None:
        kind = _TRACKED_LISTS.get(name)
        if kind is not None:
            if type(value) is not kind:
                value = kind(value)
            _bump()
            if kind is _LossList:
                _TRACK.losses += 1
        elif name == "built":
            _bump()
        if name.startswith("__") or not self.__dict__.get("_tracking", False) \
                or isinstance(getattr(type(self), name, None), property):  # a property decides (and may refuse)
            object.__setattr__(self, name, value)
            return
        for v in _layers_in(value):
            if v is not self and all(v is not x for x in self._layers):
                self._layers.append(v)
        if isinstance(value, Variable) and not name.startswith("_"):
            self._track_variable(value)
        metrics = self.__dict__.get("_metrics")
        if metrics is not None:
            for m in _metrics_in(value):
                if all(m is not x for x in metrics):
                    metrics.append(m)
        object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        value = getattr(self, name, None)
        object.__delattr__(self, name)
        if isinstance(value, Layer):
            self._layers[:] = [x for x in self._layers if x is not value]
        if _is_metric(value):
            self._metrics[:] = [x for x in self._metrics if x is not value]

    def _track_variable(self, v: Variable) -> None:
        lst = self._trainable_variables if v.trainable else self._non_trainable_variables
        if all(v is not x for x in lst):
            lst.append(v)

    def _tracking_cache(self) -> _Cache:
        """This layer's :class:`_Cache`, rebuilt when anything tracked changed since it was made."""
        c = self.__dict__.get("_cache")
        if c is None or c.version != _TRACK.version or c.layers[0] is not self:  # (a copied layer: recompute)
            c = self.__dict__["_cache"] = _Cache(self)
        return c

    @property
    def _seed_generators(self) -> list:
        """The ``SeedGenerator`` objects this layer holds as attributes (directly or in a list/tuple/dict),
        each once: Keras tracks them so that a layer's random state can be saved and counted."""
        from ..random import SeedGenerator

        out: list = []
        for value in list(self.__dict__.values()):
            items = value.values() if isinstance(value, dict) else value if isinstance(value, (list, tuple)) else (value,)
            for v in items:
                if isinstance(v, SeedGenerator) and all(v is not x for x in out):
                    out.append(v)
        return out

    def _flatten_layers(self, include_self: bool = True, recursive: bool = True) -> List["Layer"]:
        """This layer (first, with ``include_self``) and its sub-layers, depth-first, each once."""
        if recursive:
            layers = self._tracking_cache().layers
            return list(layers) if include_self else layers[1:]
        return self._walk_layers(include_self, recursive=False)

    def _walk_layers(self, include_self: bool = True, recursive: bool = True) -> List["Layer"]:
        out: List[Layer] = [self] if include_self else []
        seen = {id(self)}
        stack = list(self._layers)
        while stack:
            layer = stack.pop(0)
            if id(layer) in seen:
                continue
            seen.add(id(layer))
            out.append(layer)
            if recursive:
                stack = list(layer._layers) + stack
        return out

    # -- weights ----------------------------------------------------------------------------------------
    def add_weight(self, shape: Any = None, initializer: Any = None, dtype: Any = None, trainable: bool = True,
                   autocast: bool = True, regularizer: Any = None, constraint: Any = None,
                   aggregation: str = "none", overwrite_with_gradient: bool = False, name: Optional[str] = None,
                   **kwargs: Any) -> Variable:
        """Create a variable owned by this layer.

        Shapes: ``shape`` a tuple of ints (default ``()``). ``initializer`` a name, an Initializer or a
        callable; default ``'glorot_uniform'`` for floats, ``'zeros'`` otherwise (Keras's defaults).
        """
        from .. import constraints, initializers, regularizers

        self._ensure_init()
        shape = () if shape is None else tuple(int(d) for d in (shape if isinstance(shape, (list, tuple)) else (shape,)))
        dt = config.standardize_dtype(dtype or self.dtype)
        if initializer is None:
            initializer = "glorot_uniform" if is_floating(dt) else "zeros"
        init = initializers.get(initializer)
        pushed = _push(self.name, self, self.__dict__.get("_parent_path"))
        try:
            v = Variable(init, shape=shape, dtype=dt, trainable=trainable and self._trainable,
                         name=name or "variable", aggregation=aggregation)
        finally:
            if pushed:
                _pop()
        v.regularizer = regularizers.get(regularizer)
        v.constraint = constraints.get(constraint)
        v.overwrite_with_gradient = overwrite_with_gradient
        (self._trainable_variables if trainable else self._non_trainable_variables).append(v)
        return v

    def add_variable(self, shape: Any, initializer: Any, dtype: Any = None, trainable: bool = True,
                     autocast: bool = True, regularizer: Any = None, constraint: Any = None,
                     name: Optional[str] = None) -> Variable:
        return self.add_weight(shape=shape, initializer=initializer, dtype=dtype, trainable=trainable,
                               regularizer=regularizer, constraint=constraint, name=name)

    def _own_variables(self) -> List[Variable]:
        return list(self._trainable_variables) + list(self._non_trainable_variables)

    @property
    def variables(self) -> List[Variable]:
        return list(self._tracking_cache().variables)

    @property
    def weights(self) -> List[Variable]:
        return self.variables

    @property
    def trainable_variables(self) -> List[Variable]:
        if not self._trainable:
            return []
        c = self.__dict__["_cache"]
        if c is None or c.version != _TRACK.version or c.layers[0] is not self:
            c = self._tracking_cache()
        return [v for v in c.variables if v._trainable]

    @property
    def non_trainable_variables(self) -> List[Variable]:
        if not self._trainable:
            return self.variables
        return [v for v in self._tracking_cache().variables if not v._trainable]

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clear the gradients of this layer's variables (torch's ``Module.zero_grad``, which Keras's
        PyTorch backend exposes on every layer): set them to None, or to zeros with ``set_to_none=False``."""
        for v in self._tracking_cache().variables:
            if v.grad is not None:
                v.grad = None if set_to_none else unidl.zeros_like(v.grad)

    @property
    def metrics(self) -> List[Any]:
        """Metrics assigned as attributes of this layer and of its sub-layers."""
        out = list(self._metrics)
        for layer in self._layers:
            out.extend(layer.metrics)
        return out

    @property
    def metrics_variables(self) -> List[Variable]:
        return [v for m in self.metrics for v in m.variables]

    trainable_weights = trainable_variables
    non_trainable_weights = non_trainable_variables

    def get_weights(self) -> List[np.ndarray]:
        """The values of ``weights`` as NumPy arrays."""
        return [v.numpy() for v in self.weights]

    def set_weights(self, weights: Sequence[Any]) -> None:
        """Assign ``weights`` (arrays in the order of ``self.weights``); counts and shapes must match."""
        own = self.weights
        weights = list(weights)
        if len(weights) != len(own):
            raise ValueError(f"You called `set_weights(weights)` on layer '{self.name}' with a weight list of "
                             f"length {len(weights)}, but the layer was expecting {len(own)} weights.")
        for v, w in zip(own, weights):
            w = np.asarray(w)
            if tuple(w.shape) != tuple(v.shape):
                raise ValueError(f"Layer {self.name} weight shape {tuple(v.shape)} is not compatible with provided "
                                 f"weight shape {tuple(w.shape)}.")
            v.assign(w)

    def count_params(self) -> int:
        if not self.built:
            raise ValueError(f"You tried to call `count_params` on layer '{self.name}', but the layer isn't built. "
                             "You can build it manually via: `layer.build(input_shape)`.")
        return int(sum(int(np.prod(v.shape)) for v in self.weights))

    # -- losses -----------------------------------------------------------------------------------------
    def add_loss(self, loss: Any) -> None:
        """Add a scalar loss tensor (collected in ``losses`` and added to the training loss)."""
        self._losses.append(loss)

    @property
    def losses(self) -> List[Tensor]:
        """Losses added by ``add_loss`` (and activity regularizers) in the last call, then the weight
        regularization losses, layer by layer in ``_flatten_layers`` order."""
        out: List[Tensor] = []
        c = self.__dict__["_cache"]
        if c is None or c.version != _TRACK.version or c.layers[0] is not self:
            c = self._tracking_cache()
        for layer in c.layers:
            if layer._losses:
                out.extend(layer._losses)
            for v in layer._trainable_variables:
                if v.regularizer is not None and v._trainable:
                    out.append(v.regularizer(v))
        return out

    def _clear_losses(self) -> None:
        c = self._tracking_cache()
        if c.losses_cleared_at == _TRACK.losses:
            return  # no loss was added anywhere since this tree's lists were last emptied
        for layer in c.layers:
            if layer._losses:
                layer._losses.clear()
        c.losses_cleared_at = _TRACK.losses

    # -- building ---------------------------------------------------------------------------------------
    def build(self, input_shape: Any = None) -> None:
        """Create the weights for ``input_shape`` (a tuple with None for unknown dims); sets ``built``."""
        if self.__dict__.get("_path") is None:
            pushed = self._enter_name_scope()
            self.__dict__["_path"] = current_path()
            if pushed:
                _pop()
        self.built = True

    def _build_at_init(self) -> None:
        """Mark a stateless layer built at the end of its ``__init__`` (as Keras does), unless its class
        (or a subclass a user wrote) overrides ``build``: then the first call builds it."""
        if getattr(type(self).build, "__wrapped__", type(self).build) is Layer.build:
            self.built = True

    def _maybe_build(self, args: tuple, kwargs: dict) -> None:
        if self.built:
            return
        self._ensure_init()
        shapes = _shapes_of(args[0] if args else next(iter(kwargs.values()), None))
        params = [p for p in inspect.signature(self.build).parameters.values()
                  if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        if len(params) > 1 and all(p.name.endswith("_shape") for p in params):
            names = [p.name[:-6] for p in params]
            call_params = list(inspect.signature(self.call).parameters)
            given = dict(zip(call_params, args))
            given.update(kwargs)
            self.build(**{f"{n}_shape": _shapes_of(given[n]) for n in names if n in given})
        else:
            self.build(shapes)
        self.built = True
        self._build_shapes = shapes
        if self._initial_weights is not None:
            self.set_weights(self._initial_weights)
            self._initial_weights = None

    def compute_output_shape(self, input_shape: Any) -> Any:
        raise NotImplementedError

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> Any:
        """The output mask: the input mask for layers that ``supports_masking``, else None."""
        return previous_mask if self.supports_masking else None

    def call(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"Layer {type(self).__name__} does not have a `call()` method implemented.")

    # -- calling ----------------------------------------------------------------------------------------
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        d = self.__dict__
        if not d["_name_set"]:
            self._ensure_init()
        if not args and not kwargs:
            raise ValueError(f"Layer '{self.name}' was called with no inputs.")
        # the common eager case (tensors, arrays, flags) costs one isinstance per argument
        for a in args:
            if isinstance(a, _MAYBE_SYMBOLIC) and (isinstance(a, KerasTensor) or _any_symbolic((a,))):
                return self._symbolic_call(args, kwargs)
        if kwargs:
            for a in kwargs.values():
                if isinstance(a, _MAYBE_SYMBOLIC) and (isinstance(a, KerasTensor) or _any_symbolic((a,))):
                    return self._symbolic_call(args, kwargs)
        # eager call (inline: this runs once per layer per batch)
        cls = type(self)
        info = _FAST.get(cls) or _fast_info(cls)
        takes_training, takes_mask, var_kw, default_training, plain_dtype, plain_mask = info
        ctx = CALL_CONTEXT
        training = kwargs.get("training")
        if training is None:
            training = ctx.training
        if training is None:
            training = default_training
        if takes_training or var_kw and "training" in kwargs:
            kwargs["training"] = training
        elif "training" in kwargs:
            del kwargs["training"]  # call() does not take it: the flag still reaches nested layers
        mask = None
        masking = takes_mask or self.supports_masking
        if masking:
            mask = kwargs.get("mask")
            if mask is None and args and _MASKS:
                mask = get_mask(args[0])
            if takes_mask and mask is not None and kwargs.get("mask") is None:
                kwargs["mask"] = mask
        cache = d["_cache"]
        if cache is None or cache.version != _TRACK.version or cache.layers[0] is not self:
            cache = self._tracking_cache()
        if ctx.depth == 0 and cache.losses_cleared_at != _TRACK.losses:
            self._clear_losses()
        prev_training = ctx.training
        ctx.depth += 1
        ctx.training = training
        pushed = False if cache.scoped else self._enter_name_scope()
        try:
            if not d["built"]:
                self._maybe_build(args, kwargs)
            if self.autocast and args:
                a0 = args[0]
                dt = (d.get("_dtype") or config._FLOATX) if plain_dtype else self.compute_dtype  # = self.compute_dtype
                if isinstance(a0, Tensor):  # a float tensor not of dtype ``dt`` is cast
                    adt = a0.data.dtype
                    if adt.kind == "f" or is_floating(adt):
                        name = _DTYPE_NAMES.get(adt)
                        if name is None:
                            name = _DTYPE_NAMES[adt] = adt.name
                        if name != dt:
                            args = (_cast_floats(a0, dt),) + args[1:]
                else:
                    args = (_cast_floats(a0, dt),) + args[1:]
            outputs = self.call(*args, **kwargs)
        finally:
            if pushed:
                _pop()
            ctx.depth -= 1
            ctx.training = prev_training
        if self.activity_regularizer is not None:
            for o in tree.flatten(outputs):
                if isinstance(o, Tensor):
                    self._losses.append(unidl.ops.divide(self.activity_regularizer(o), o.shape[0] if o.ndim else 1))
        if masking or not plain_mask:
            if plain_mask:  # Layer.compute_mask, without the call
                out_mask = mask if self.supports_masking else None
            else:
                out_mask = self.compute_mask(args[0] if args else None, mask)
            if out_mask is not None:
                if isinstance(outputs, (list, tuple)) and isinstance(out_mask, (list, tuple)):
                    for o, m in zip(outputs, out_mask):
                        set_mask(o, m)
                else:
                    for o in tree.flatten(outputs):
                        set_mask(o, out_mask)
        return outputs

    def _symbolic_call(self, args: tuple, kwargs: dict) -> Any:
        in_shapes = [t.shape for t in tree.flatten((args, kwargs)) if isinstance(t, KerasTensor)]
        pushed = self._enter_name_scope()
        try:
            self._maybe_build(args, kwargs)
            outputs = self.compute_output_spec(*args, **kwargs)
        finally:
            if pushed:
                _pop()
        node = Node(self, args, dict(kwargs), outputs)
        idx = len(self._inbound_nodes)
        self._inbound_nodes.append(node)
        for i, t in enumerate(node.output_tensors):
            t._keras_history = (self, idx, i)
        self._last_io_shapes = (in_shapes, [t.shape for t in node.output_tensors])
        return outputs

    def compute_output_spec(self, *args: Any, **kwargs: Any) -> Any:
        """KerasTensors for the outputs: from ``compute_output_shape`` when a subclass defines it, else by
        running the layer on placeholder arrays (see the module docstring)."""
        if type(self).compute_output_shape is not Layer.compute_output_shape:
            first = args[0] if args else next(iter(kwargs.values()))
            shapes = self.compute_output_shape(tree.map_structure(
                lambda t: t.shape if isinstance(t, KerasTensor) else t, first))
            return _specs_from_shapes(shapes, self.compute_dtype)
        return infer_output_spec(self, args, kwargs)

    # -- shapes of the last symbolic call ----------------------------------------------------------------
    @property
    def input(self) -> Any:
        if not self._inbound_nodes:
            raise AttributeError(f"Layer '{self.name}' has never been called and thus has no defined input.")
        n = self._inbound_nodes[0]
        return n.input_tensors[0] if len(n.input_tensors) == 1 else n.input_tensors

    @property
    def output(self) -> Any:
        if not self._inbound_nodes:
            raise AttributeError(f"Layer '{self.name}' has never been called and thus has no defined output.")
        return self._inbound_nodes[0].outputs

    @property
    def input_shape(self) -> Any:
        t = self.input
        return [x.shape for x in t] if isinstance(t, list) else t.shape

    @property
    def output_shape(self) -> Any:
        return tree.map_structure(lambda t: t.shape, self.output)

    # -- config -----------------------------------------------------------------------------------------
    def get_config(self) -> Dict[str, Any]:
        """The constructor arguments (JSON-serializable), as Keras's base config."""
        policy = getattr(self, "_dtype_policy", None)
        cfg: Dict[str, Any] = {"name": self.name, "trainable": self.trainable,
                               "dtype": _dtype_config(policy.name if policy is not None else self.dtype,
                                                      type(policy).__name__ if policy is not None else "DTypePolicy")}
        if getattr(policy, "quantization_mode", None) is not None:  # {"mode": ..., "source_name": ...}
            cfg["dtype"]["config"] = policy.get_config()
        if self.activity_regularizer is not None:
            from .. import regularizers

            cfg["activity_regularizer"] = regularizers.serialize(self.activity_regularizer)
        if type(self).get_config is Layer.get_config and type(self).__init__ is not Layer.__init__:
            auto = _auto_config(self)
            if auto is not None:
                keep_name = auto.pop("__keeps_name__")
                name = cfg.pop("name")
                cfg = {**({"name": name} if keep_name else {}), **auto, **cfg}
        return cfg

    @classmethod
    def from_config(cls, config: Dict[str, Any]) -> "Layer":
        config = dict(config)
        if isinstance(config.get("dtype"), dict) and "name" in config["dtype"].get("config", {"name": None}):
            config["dtype"] = config["dtype"].get("config", {}).get("name", None)
        try:
            return cls(**config)
        except Exception as e:  # as Keras: any constructor error becomes this TypeError
            raise TypeError(f"Error when deserializing class '{cls.__name__}' using config={config}.\n\n"
                            f"Exception encountered: {e}") from e

    def get_build_config(self) -> Optional[Dict[str, Any]]:
        if self._build_shapes is not None:
            return {"input_shape": _json_shape(self._build_shapes)}
        return None

    def build_from_config(self, config: Optional[Dict[str, Any]]) -> None:
        if config and not self.built and "input_shape" in config:
            shape = config["input_shape"]
            self.build(_tuple_shape(shape))
            self.built = True
            self._build_shapes = _tuple_shape(shape)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} name={self.name}, built={self.built}>"


# -- helpers --------------------------------------------------------------------------------------------

_MAYBE_SYMBOLIC = (KerasTensor, list, tuple, dict)
_DTYPE_NAMES: Dict[Any, str] = {}  # np.dtype -> its name (NumPy computes ``dtype.name`` in Python)


def _any_symbolic(values: Any) -> bool:
    for v in values:
        if isinstance(v, KerasTensor):
            return True
        if isinstance(v, (list, tuple)) and _any_symbolic(v):
            return True
        if isinstance(v, dict) and _any_symbolic(v.values()):
            return True
    return False


def _dtype_policy_of(dtype: Any) -> Tuple[Any, Optional[str]]:
    """``(policy or None, dtype name or None)`` for a layer's ``dtype=`` argument. None keeps the layer on
    ``floatx()`` (read when used) unless a global policy was set with ``keras.config.set_dtype_policy``."""
    from ..dtype_policies import dtype_policy as _dp

    if dtype is None:
        policy = _dp._global_policy_if_set()
        return (None, None) if policy is None else (policy, _dtype_name(policy.name))
    if isinstance(dtype, _dp.DTypePolicy):
        return dtype, _dtype_name(dtype)
    if isinstance(dtype, str) and (dtype.startswith("mixed_") or _dp._is_quantized_name(dtype)):
        policy = _dp._from_name(dtype)
        return policy, _dtype_name(policy)
    if isinstance(dtype, dict) and dtype.get("class_name", "DTypePolicy") not in ("DTypePolicy", "FloatDTypePolicy"):
        from ..dtype_policies import deserialize

        policy = deserialize(dtype)
        return policy, _dtype_name(policy)
    return None, _dtype_name(dtype)


def _dtype_name(dtype: Any) -> Optional[str]:
    if dtype is None:
        return None
    if hasattr(dtype, "default_policy") and hasattr(dtype, "_policy_map"):  # a DTypePolicyMap
        dtype = dtype.default_policy
    if hasattr(dtype, "quantization_mode") and hasattr(dtype, "compute_dtype"):  # a DTypePolicy
        # a quantized policy ("int8_from_float32") keeps the dtypes of its source policy
        dtype = getattr(dtype, "_source_name", None) or dtype.name
    if isinstance(dtype, dict):
        dtype = dtype.get("config", {}).get("name")
    if isinstance(dtype, str) and dtype.startswith("mixed_"):
        return config.floatx()
    return config.standardize_dtype(dtype)


def _dtype_config(name: str, class_name: str = "DTypePolicy") -> Dict[str, Any]:
    return {"module": "keras", "class_name": class_name, "config": {"name": name}, "registered_name": None}


def _layers_in(value: Any) -> List[Layer]:
    if isinstance(value, Layer):
        return [value]
    if isinstance(value, (list, tuple)):
        return [v for x in value for v in _layers_in(x)]
    if isinstance(value, dict):
        return [v for x in value.values() for v in _layers_in(x)]
    return []


def _shapes_of(x: Any) -> Any:
    if isinstance(x, (KerasTensor, Tensor)) or hasattr(x, "shape") and not isinstance(x, (list, tuple, dict)):
        return tuple(x.shape)
    if isinstance(x, (list, tuple)):
        return [_shapes_of(v) for v in x]
    if isinstance(x, dict):
        return {k: _shapes_of(v) for k, v in x.items()}
    return None


def _json_shape(s: Any) -> Any:
    if isinstance(s, tuple):
        return list(s)
    if isinstance(s, list):
        return [_json_shape(v) for v in s]
    if isinstance(s, dict):
        return {k: _json_shape(v) for k, v in s.items()}
    return s


def _tuple_shape(s: Any) -> Any:
    if isinstance(s, (list, tuple)) and all(v is None or isinstance(v, int) for v in s):
        return tuple(s)
    if isinstance(s, (list, tuple)):
        return [_tuple_shape(v) for v in s]
    if isinstance(s, dict):
        return {k: _tuple_shape(v) for k, v in s.items()}
    return s


def _cast_floats(x: Any, dtype: str) -> Any:
    """Float tensors in ``x`` cast to the layer's compute dtype (Keras autocast); others unchanged."""
    if isinstance(x, Tensor):
        if is_floating(x.dtype) and x.dtype.name != dtype:
            return unidl.ops.astype(x, dtype)
        return x
    if isinstance(x, np.ndarray):
        from ..backend.common import convert_to_tensor

        return _cast_floats(convert_to_tensor(x), dtype)
    if isinstance(x, (list, tuple)) and not hasattr(x, "_fields"):
        return type(x)(_cast_floats(v, dtype) for v in x)
    if isinstance(x, dict):
        return {k: _cast_floats(v, dtype) for k, v in x.items()}
    return x


def _specs_from_shapes(shapes: Any, dtype: str) -> Any:
    if isinstance(shapes, (tuple, list)) and all(d is None or isinstance(d, (int, np.integer)) for d in shapes):
        return KerasTensor(shapes, dtype)
    if isinstance(shapes, dict):
        return {k: _specs_from_shapes(v, dtype) for k, v in shapes.items()}
    return type(shapes)(_specs_from_shapes(s, dtype) for s in shapes)


_FILL = ((1, 32), (2, 33))  # (batch, other unknown dims) sizes of the two placeholder runs


def _placeholder(t: KerasTensor, run: int, xp: Any = np) -> Tensor:
    b, o = _FILL[run]
    shape = tuple((b if i == 0 else o) if d is None else d for i, d in enumerate(t.shape))
    return unidl.zeros(shape, dtype=t.dtype)


def infer_output_spec(layer: Any, args: tuple, kwargs: dict) -> Any:
    """Output KerasTensors of ``layer(*args, **kwargs)`` found by running it on placeholders."""
    flat = tree.flatten((args, kwargs))
    runs = 2 if any(isinstance(t, KerasTensor) and None in t.shape for t in flat) else 1
    results = []
    state = unidl.random.get_state()
    saved_losses = [list(x._losses) for x in layer._flatten_layers()] if isinstance(layer, Layer) else None
    try:
        for r in range(runs):
            def sub(t: Any, r: int = r) -> Any:
                return _placeholder(t, r) if isinstance(t, KerasTensor) else t

            a = tree.map_structure(sub, args)
            k = tree.map_structure(sub, kwargs)
            if isinstance(layer, Layer) and _call_signature(type(layer))[0]:
                k["training"] = False
            prev, CALL_CONTEXT.training = CALL_CONTEXT.training, False
            try:
                with unidl.no_grad(), SymbolicScope():
                    out = layer.call(*a, **k) if isinstance(layer, Layer) else layer(*a, **k)
            except Exception as e:
                name = getattr(layer, "name", type(layer).__name__)
                shapes = [t.shape for t in flat if isinstance(t, KerasTensor)]
                if hasattr(e, "add_note"):
                    e.add_note(f"Exception encountered when calling {type(layer).__name__}.call() "
                               f"(layer '{name}') on symbolic inputs of shape {shapes}.")
                raise
            finally:
                CALL_CONTEXT.training = prev
            results.append(out)
    finally:
        unidl.random.set_state(state)
        if saved_losses is not None:
            for x, ls in zip(layer._flatten_layers(), saved_losses):
                x._losses[:] = ls

    def spec(*outs: Any) -> Any:
        o = outs[0]
        if not isinstance(o, Tensor):
            return o
        shape = list(o.shape)
        if len(outs) > 1:
            for i, (d0, d1) in enumerate(zip(o.shape, outs[1].shape)):
                if d0 != d1:
                    shape[i] = None
        return KerasTensor(shape, o.dtype.name)

    if runs == 1:
        return tree.map_structure(spec, results[0])
    flat0, flat1 = tree.flatten(results[0]), tree.flatten(results[1])
    return tree.pack_sequence_as(results[0], [spec(a, b) for a, b in zip(flat0, flat1)])


_PLAIN = (str, int, float, bool, type(None))


def _plain_values(x: Any, depth: int = 0) -> bool:
    """Whether ``x`` holds only str/int/float/bool/None (in lists, tuples and dicts), as Keras's auto-config."""
    if isinstance(x, _PLAIN):
        return True
    if depth > 8:
        return False
    if isinstance(x, (list, tuple)):
        return all(_plain_values(v, depth + 1) for v in x)
    if isinstance(x, dict):
        return all(isinstance(k, str) and _plain_values(v, depth + 1) for k, v in x.items())
    return False


def _auto_config(layer: "Layer") -> Optional[Dict[str, Any]]:
    """The constructor arguments of a Layer subclass that does not define get_config: positional ones named by
    ``__init__``'s parameters; ``name`` left out when ``__init__`` could not take it back."""
    init_args = layer.__dict__.get("_init_args")
    if init_args is None:
        return None
    args, kwargs = init_args
    try:
        params = inspect.signature(type(layer).__init__).parameters
    except (TypeError, ValueError):
        return None
    names = [p.name for p in params.values() if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)][1:]
    if len(args) > len(names):
        return None
    out = dict(zip(names, args))
    out.update(kwargs)
    takes_kwargs = any(p.kind is p.VAR_KEYWORD for p in params.values())
    keeps_name = "name" in params or takes_kwargs
    if not keeps_name:  # __init__ could not take it back
        out.pop("name", None)
    cfg = {k: (list(v) if isinstance(v, tuple) else v) for k, v in out.items()}
    cfg["__keeps_name__"] = keeps_name
    return cfg
