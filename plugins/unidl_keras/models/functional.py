"""Functional models: ``keras.Model(inputs, outputs)`` over a graph of layer calls on KerasTensors."""
from __future__ import annotations

from typing import Any, Dict, List, Optional

from unidl.dtypes import is_floating
from unidl.tensor import Tensor

from ..backend.keras_tensor import KerasTensor
from ..backend.masks import get_mask, set_mask
from ..layers.core.input_layer import InputLayer
from ..layers.layer import Layer, Node
from ..utils import tree
from .model import Model


def _history_node(t: KerasTensor) -> Node:
    if not isinstance(t, KerasTensor) or t._keras_history is None:
        raise ValueError(f"Output tensors of a Functional model must be the output of a Keras layer or "
                         f"keras.Input; received: {t!r}")
    layer, ni, _ = t._keras_history
    return layer._inbound_nodes[ni]


def topological_nodes(inputs: List[KerasTensor], outputs: List[KerasTensor]) -> List[Node]:
    """The nodes between ``inputs`` and ``outputs``, each after the nodes it depends on."""
    return map_graph(inputs, outputs)[0]


def map_graph(inputs: List[KerasTensor], outputs: List[KerasTensor]) -> "tuple[List[Node], List[Layer]]":
    """Nodes in execution order and layers in Keras's order: by decreasing depth from the outputs, and within
    a depth in the order a depth-first walk from the outputs (through each call's inputs in order) meets them."""
    input_ids = {id(t) for t in inputs}
    post: List[Node] = []
    state: Dict[int, int] = {}  # 1 visiting, 2 done
    layer_index: Dict[int, int] = {}

    def visit(node: Node) -> None:
        s = state.get(id(node))
        if s == 2:
            return
        if s == 1:
            raise ValueError("The functional graph has a cycle.")
        state[id(node)] = 1
        layer_index.setdefault(id(node.layer), len(layer_index))
        for t in node.input_tensors:
            if id(t) in input_ids:
                layer_index.setdefault(id(t._keras_history[0]), len(layer_index)) if t._keras_history else None
                continue
            visit(_history_node(t))
        if isinstance(node.layer, InputLayer) and not any(id(t) in input_ids for t in node.output_tensors):
            raise ValueError(f"Graph disconnected: cannot find the value of tensor {node.output_tensors[0].name} "
                             f"(input layer '{node.layer.name}') from the model's inputs. Pass it in `inputs`.")
        state[id(node)] = 2
        post.append(node)

    for t in outputs:
        if id(t) in input_ids:
            layer_index.setdefault(id(t._keras_history[0]), len(layer_index)) if t._keras_history else None
            continue
        visit(_history_node(t))
    # depths: 0 at the outputs' nodes, parent = max(child + 1)
    depth: Dict[int, int] = {}
    for node in reversed(post):
        d = depth.setdefault(id(node), 0)
        for t in node.input_tensors:
            if id(t) in input_ids or t._keras_history is None:
                continue
            p = _history_node(t)
            depth[id(p)] = max(depth.get(id(p), 0), d + 1)
    layer_depth: Dict[int, int] = {}
    layers: Dict[int, Layer] = {}
    for node in post:
        layers[id(node.layer)] = node.layer
        layer_depth[id(node.layer)] = max(layer_depth.get(id(node.layer), 0), depth[id(node)])
    for t in inputs:  # input layers given directly: one deeper than their deepest consumer
        lyr = t._keras_history[0] if t._keras_history else None
        if lyr is None or id(lyr) in layers:
            continue
        consumers = [depth[id(n)] for n in post if any(x is t for x in n.input_tensors)]
        layers[id(lyr)] = lyr
        layer_depth[id(lyr)] = (max(consumers) + 1) if consumers else 0
        layer_index.setdefault(id(lyr), len(layer_index))
    ordered = sorted(layers.values(), key=lambda L: (-layer_depth[id(L)], layer_index.get(id(L), 1 << 30)))
    return post, ordered


class Functional(Model):
    """A model defined by its symbolic inputs and outputs (Keras 3 ``Functional``).

    Args:
        inputs: a KerasTensor, a list or a dict of them (from ``keras.Input``).
        outputs: a KerasTensor, a list or a dict of them.
    """

    def __init__(self, inputs: Any, outputs: Any, name: Optional[str] = None, trainable: bool = True,
                 **kwargs: Any) -> None:
        from ..backend.common import unique_name

        Layer.__init__(self, name=name or unique_name("functional"), trainable=trainable)
        Model._init_model(self)
        flat_in, flat_out = tree.flatten(inputs), tree.flatten(outputs)
        for t in flat_in:
            if not isinstance(t, KerasTensor):
                raise ValueError(f"All `inputs` values must be KerasTensors. Received: inputs={inputs!r} including "
                                 f"invalid value {t!r} of type {type(t).__name__}")
        for t in flat_out:
            if not isinstance(t, KerasTensor):
                raise ValueError(f"All `outputs` values must be KerasTensors. Received: outputs={outputs!r} including "
                                 f"invalid value {t!r} of type {type(t).__name__}")
        if not all(_is_input_tensor(t) for t in flat_in):
            # a slice of a graph from intermediate tensors: fresh Inputs stand for them and the layer calls
            # between are replayed on those (Keras's clone_graph_nodes)
            inputs, outputs = _clone_from(inputs, outputs)
            flat_in, flat_out = tree.flatten(inputs), tree.flatten(outputs)
        self._inputs_struct = inputs
        self._outputs_struct = outputs
        self.inputs = flat_in
        self.outputs = flat_out
        try:
            self._nodes, layers = map_graph(flat_in, flat_out)
        except ValueError as e:
            if not str(e).startswith("Graph disconnected"):
                raise
            from .. import tree as ktree

            paths = ktree.flatten_with_path(outputs)
            for i, t in enumerate(flat_out):
                try:
                    map_graph(flat_in, [t])
                except ValueError:
                    path = ".".join(str(p) for p in paths[i][0]) if i < len(paths) else str(i)
                    raise ValueError(f"Output with path `{path}` is not connected to `inputs`. {e}") from None
            raise
        self._tracking = False
        self._layers = layers
        self._tracking = True
        self.built = True
        # inputs are converted per input, to each Input's dtype (_standardize_inputs), not autocast as a
        # whole (an int32 Input stays int32): Keras's `_convert_input_args = False`
        self.autocast = False
        self.output_names = [t._keras_history[0].name for t in flat_out]
        self.input_names = [t._keras_history[0].name if t._keras_history else t.name for t in flat_in]

    @property
    def layers(self) -> List[Layer]:
        """The graph's layers, inputs included; ``keras.ops`` applied to KerasTensors (``a + b``) are
        operations, not layers, as in Keras (see :attr:`operations`)."""
        from ..ops.node import OpLayer

        return [x for x in self._layers if not isinstance(x, OpLayer)]

    @layers.setter
    def layers(self, _: Any) -> None:
        raise AttributeError("`Model.layers` attribute is reserved and should not be used. Please use another name.")

    @property
    def input(self) -> Any:
        """The inputs as given to the constructor (a KerasTensor, list or dict), as Keras."""
        return self._inputs_struct

    @property
    def output(self) -> Any:
        """The outputs as given to the constructor."""
        return self._outputs_struct

    @property
    def _operations(self) -> List[Layer]:
        return list(self._layers)

    @property
    def operations(self) -> List[Layer]:
        """Every node of the graph in order: the layers and the ``keras.ops`` operations."""
        return list(self._layers)

    @property
    def input_spec(self) -> Any:
        """The spec set by assignment, else one InputSpec per input (batch axis free, a trailing axis of 1 may
        be squeezed or added), in the structure of the model's inputs."""
        if "_manual_input_spec" in self.__dict__:
            return self.__dict__["_manual_input_spec"]
        from ..layers.input_spec import InputSpec

        def spec(x: KerasTensor, name: Optional[str] = None) -> InputSpec:
            layer = x._keras_history[0] if x._keras_history else None
            shape = (None,) + tuple(x.shape)[1:] if len(x.shape) else ()
            return InputSpec(shape=shape, allow_last_axis_squeeze=True,
                             name=name if name is not None else getattr(layer, "name", x.name),
                             optional=isinstance(layer, InputLayer) and bool(getattr(layer, "optional", False)))

        if isinstance(self._inputs_struct, dict):
            if all(isinstance(v, KerasTensor) for v in self._inputs_struct.values()):
                return [spec(self._inputs_struct[k], name=k) for k in sorted(self._inputs_struct)]
            return None  # a deeply nested dict: no spec checks, as Keras
        return [spec(x) for x in self.inputs]

    @input_spec.setter
    def input_spec(self, value: Any) -> None:
        self.__dict__["_manual_input_spec"] = value

    def call(self, inputs: Any, training: Optional[bool] = None, mask: Any = None) -> Any:
        self._assert_inputs(inputs)
        return self._run_graph(inputs, training, mask)

    def _assert_inputs(self, inputs: Any) -> None:
        """Keras's checks before a Functional call: None only for optional inputs, then the input spec."""
        from ..layers.input_spec import assert_input_compatibility

        if inputs is None or (not isinstance(inputs, Tensor) and any(x is None for x in tree.flatten(inputs))):
            for x, kt in zip(tree.flatten(inputs) if inputs is not None else [None], self.inputs):
                if x is None and not _is_optional(kt):
                    raise ValueError(f"The input '{kt.name}' is not optional, but None was passed. Please provide a "
                                     "valid tensor.")
        if "_manual_input_spec" in self.__dict__:
            spec = self.__dict__["_manual_input_spec"]
        else:
            if "_derived_input_spec" not in self.__dict__:
                self.__dict__["_derived_input_spec"] = self.input_spec
            spec = self.__dict__["_derived_input_spec"]
        assert_input_compatibility(spec, inputs, self.name)

    def _standardize_inputs(self, inputs: Any) -> List[Any]:
        """``inputs`` flattened in the order of ``self.inputs`` (Keras's rules: a dict is matched by input names,
        a structure that differs from the model's warns, or raises where it cannot be reconciled), converted
        to tensors of the inputs' dtypes (``None`` kept for optional inputs) and rank-adjusted by a trailing
        axis of size 1."""
        from ..backend.common import convert_to_tensor
        from ..backend.symbolic_scope import in_symbolic_scope
        from .. import tree as ktree

        struct = self._inputs_struct
        raise_exception = False
        if isinstance(struct, list) and len(struct) == 1 and _is_tensor_like(inputs):
            inputs = [inputs]
        elif isinstance(inputs, dict) and not isinstance(struct, dict):
            if isinstance(struct, (list, tuple)) and all(isinstance(t, KerasTensor) for t in struct):
                names = [t.name for t in struct]
                if set(names) <= set(inputs):
                    inputs = [inputs[n] for n in names]
                else:
                    raise_exception = True
            elif isinstance(struct, KerasTensor):
                if struct.name in inputs:
                    inputs = [inputs[struct.name]]
                else:
                    raise_exception = True
            else:
                raise_exception = True
        if isinstance(struct, dict) and not isinstance(inputs, dict) and list(struct) != sorted(struct):
            raise_exception = True
        if not _same_structure(inputs, struct):
            expected = ktree.map_structure(lambda x: "None" if x is None else x.name, struct)
            received = ktree.map_structure(lambda x: "None" if x is None else f"Tensor(shape={tuple(x.shape)})",
                                           inputs)
            msg = ("The structure of `inputs` doesn't match the expected structure.\n"
                   f"Expected: {expected}\nReceived: inputs={received}")
            if raise_exception:
                raise ValueError(msg)
            if not in_symbolic_scope():  # shape inference replays the call: warn for the user's call only
                import warnings

                warnings.warn(msg, stacklevel=4)
        if isinstance(struct, dict) and isinstance(inputs, dict) and set(struct) < set(inputs):
            inputs = {k: inputs[k] for k in struct}  # extra entries (already warned about) are not inputs
        flat = tree.flatten(inputs)
        if len(flat) != len(self.inputs):
            raise ValueError(f"Model '{self.name}' expects {len(self.inputs)} input(s), but it received "
                             f"{len(flat)} input tensors. Inputs received: {[getattr(x, 'shape', x) for x in flat]}")
        out = []
        for i, (x, kt) in enumerate(zip(flat, self.inputs)):
            if x is None:
                out.append(None)
                continue
            if not isinstance(x, Tensor):
                x = convert_to_tensor(x, dtype=kt.dtype)
            elif x.dtype != kt.dtype and is_floating(x.dtype) and is_floating(kt.dtype):
                from unidl import ops

                x = ops.astype(x, kt.dtype)
            out.append(self._adjust_rank(x, kt, i))
        return out

    def _adjust_rank(self, x: Tensor, kt: KerasTensor, i: int) -> Tensor:
        ref = kt.shape
        rank, want = len(x.shape), len(ref)
        if rank == want:
            return x
        from unidl import ops

        if rank == want + 1 and x.shape[-1] == 1:
            return ops.squeeze(x, axis=-1)
        if rank == want - 1 and ref[-1] == 1:
            return ops.expand_dims(x, axis=-1)
        from .. import tree as ktree

        path = ".".join(str(p) for p in ktree.flatten_with_path(self._inputs_struct)[i][0])
        raise ValueError(f"Invalid input shape for input {x} with name '{kt.name}' and path '{path}'. Expected shape "
                         f"{ref}, but input has incompatible shape {tuple(x.shape)}")

    def _plan(self) -> "_Plan":
        plan = self.__dict__.get("_graph_plan")
        if plan is None or plan.nodes is not self._nodes:
            plan = self.__dict__["_graph_plan"] = _Plan(self._nodes, self._outputs_struct)
        return plan

    def _run_graph(self, inputs: Any, training: Optional[bool], mask: Any) -> Any:
        from ..backend.common import convert_to_tensor

        flat = self._standardize_inputs(inputs)
        values: Dict[int, Any] = {id(kt): x for kt, x in zip(self.inputs, flat)}
        if mask is not None:
            for kt, m in zip(self.inputs, tree.flatten(mask)):
                if values[id(kt)] is not None:
                    set_mask(values[id(kt)], m)

        plan = self._plan()
        for layer, make_args, make_kwargs, out_keys in plan.steps:
            args = make_args(values)
            kwargs = make_kwargs(values)
            if training is not None:
                recorded = kwargs.get("training")
                # the call's training flag reaches every layer; a layer called with training=False in the graph
                # stays in inference, and training=False from the caller (predict, evaluate) turns off a
                # recorded training=True -- as real Keras 3.15.1 behaves
                kwargs["training"] = training if not isinstance(recorded, bool) else (recorded and training)
            out = layer(*args, **kwargs)
            if len(out_keys) == 1 and isinstance(out, Tensor):
                values[out_keys[0]] = out
            else:
                for key, v in zip(out_keys, tree.flatten(out)):
                    values[key] = v
        out = plan.make_outputs(values)
        if type(out) in (list, tuple) and len(out) == 1:  # Keras unpacks a one-output list: outputs=[x] -> x
            return out[0]
        return out

    def compute_output_spec(self, *args: Any, **kwargs: Any) -> Any:
        return super().compute_output_spec(*args, **kwargs)

    def get_config(self) -> Dict[str, Any]:
        from ..saving.serialization import functional_config

        return functional_config(self)

    @classmethod
    def from_config(cls, config: Dict[str, Any], custom_objects: Any = None) -> "Functional":
        from ..saving.serialization import functional_from_config

        return functional_from_config(cls, config, custom_objects)


def _rebuild(s: Any) -> Any:
    """A function ``values -> s`` with each KerasTensor ``t`` in ``s`` replaced by ``values[id(t)]`` and the
    containers rebuilt, as ``tree.map_structure`` would (computed once per graph, not per call)."""
    if isinstance(s, KerasTensor):
        key = id(s)
        return lambda values: values[key]
    if isinstance(s, dict):
        items = [(k, _rebuild(v)) for k, v in s.items()]
        return lambda values: {k: f(values) for k, f in items}
    if isinstance(s, (list, tuple)):
        cls = type(s)
        if cls in (list, tuple) and all(isinstance(v, KerasTensor) for v in s):
            keys = [id(v) for v in s]
            if cls is tuple:
                return lambda values: tuple([values[k] for k in keys])
            return lambda values: [values[k] for k in keys]
        fns = [_rebuild(v) for v in s]
        if hasattr(s, "_fields"):
            return lambda values: cls(*(f(values) for f in fns))
        return lambda values: cls(f(values) for f in fns)
    return lambda values: s


class _Plan:
    """What ``Functional`` runs per call, precomputed from its nodes: per layer call the layer, argument
    builders and the keys of its outputs (so a call does no graph walking and no structure mapping)."""

    __slots__ = ("nodes", "steps", "make_outputs")

    def __init__(self, nodes: List[Node], outputs_struct: Any) -> None:
        self.nodes = nodes
        self.steps = [(node.layer, _rebuild(node.call_args), _rebuild(node.call_kwargs),
                       [id(kt) for kt in node.output_tensors])
                      for node in nodes if not isinstance(node.layer, InputLayer)]
        self.make_outputs = _rebuild(outputs_struct)


def _check_input_shape(model: Functional, kt: KerasTensor, x: Tensor) -> None:
    shape = tuple(x.shape)
    want = kt.shape
    if len(shape) != len(want) or any(w is not None and w != s for w, s in zip(want, shape)):
        raise ValueError(f"Input {kt.name} of layer \"{model.name}\" is incompatible with the layer: "
                         f"expected shape={want}, found shape={shape}")


def _is_optional(kt: KerasTensor) -> bool:
    layer = kt._keras_history[0] if kt._keras_history else None
    return not isinstance(layer, InputLayer) or bool(getattr(layer, "optional", False))


def _is_tensor_like(x: Any) -> bool:
    return isinstance(x, Tensor) or (hasattr(x, "shape") and hasattr(x, "dtype") and not isinstance(x, dict))


def _same_structure(a: Any, b: Any) -> bool:
    """Whether ``a`` and ``b`` nest the same way (lists and tuples alike; dict keys must match)."""
    if isinstance(b, dict):
        return isinstance(a, dict) and set(a) == set(b) and all(_same_structure(a[k], b[k]) for k in b)
    if isinstance(b, (list, tuple)):
        return (isinstance(a, (list, tuple)) and not isinstance(a, dict) and len(a) == len(b)
                and all(_same_structure(x, y) for x, y in zip(a, b)))
    return not isinstance(a, (list, tuple, dict))


def _is_input_tensor(t: KerasTensor) -> bool:
    hist = t._keras_history
    return bool(hist) and isinstance(hist[0], InputLayer)


def _clone_from(inputs: Any, outputs: Any) -> "tuple[Any, Any]":
    """``inputs``/``outputs`` with each non-Input tensor of ``inputs`` replaced by a new ``keras.Input`` of its
    shape and dtype, and the layer calls between them replayed on the new inputs."""
    from ..layers.core.input_layer import Input

    flat_in, flat_out = tree.flatten(inputs), tree.flatten(outputs)
    nodes, _ = map_graph(flat_in, flat_out)
    mapping: Dict[int, Any] = {}
    new_in = []
    for t in flat_in:
        if _is_input_tensor(t):
            new = t
        else:
            new = Input(batch_shape=tuple(t.shape), dtype=t.dtype)
        mapping[id(t)] = new
        new_in.append(new)

    def sub(x: Any) -> Any:
        return mapping.get(id(x), x) if isinstance(x, KerasTensor) else x

    for node in nodes:
        if isinstance(node.layer, InputLayer):
            continue
        args = tree.map_structure(sub, node.call_args)
        kwargs = tree.map_structure(sub, node.call_kwargs)
        out = node.layer(*args, **kwargs)
        for old, new in zip(node.output_tensors, tree.flatten(out)):
            mapping[id(old)] = new
    return (tree.pack_sequence_as(inputs, new_in) if not isinstance(inputs, KerasTensor) else new_in[0],
            tree.map_structure(sub, outputs))
