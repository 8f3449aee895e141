"""``mx.sym.Symbol``: a node of MXNet's symbolic graph, its JSON form (``-symbol.json``) and naming.

A graph is a DAG of :class:`_Node` (an op name, string attributes, input entries ``(node, output index)``);
variables are nodes with op ``"null"``. A :class:`Symbol` is a list of output entries. ``tojson`` writes
MXNet 1.9's layout: nodes in depth-first post-order from the heads (inputs visited in order), ``arg_nodes``
(the variables), ``node_row_ptr`` (the running count of every node's outputs, hidden ones included),
``heads`` and ``attrs: {"mxnet_version": ["int", 10901]}``, formatted as dmlc's JSON writer formats it.
Nothing here runs a graph (see :mod:`._executor`).
"""
from __future__ import annotations

import json
import threading
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np

from ..base import MXNetError

MXNET_VERSION = 10901
_DTYPE_FLAG = {np.float32: 0, np.float64: 1, np.float16: 2, np.uint8: 3, np.int32: 4, np.int8: 5, np.int64: 6,
               np.bool_: 7}


class _Node:
    """One graph node. ``inputs``: list of ``[node, output index, version]``; ``num_outputs`` counts hidden
    outputs (BatchNorm's mean/var) as MXNet does; only output 0 is visible to Python code."""

    __slots__ = ("op", "name", "attrs", "inputs", "num_outputs", "version")

    def __init__(self, op: str, name: str, attrs: Optional[Dict[str, str]] = None,
                 inputs: Optional[List[list]] = None, num_outputs: int = 1) -> None:
        self.op, self.name = op, name
        self.attrs: Dict[str, str] = dict(attrs or {})
        self.inputs: List[list] = list(inputs or [])
        self.num_outputs = num_outputs
        self.version = 0  # times a mutating op (BatchNorm's moving stats) took this variable

    @property
    def is_var(self) -> bool:
        return self.op == "null"


class Symbol:
    """A symbolic value: one or more outputs of graph nodes (``Group`` makes several).

    Arithmetic with another Symbol or a Python scalar builds MXNet's ops (``elemwise_add`` named
    ``_plus<i>``, ``_mul_scalar`` named ``_mulscalar<i>``, ...); methods mirror the NDArray ones used in
    ``hybrid_forward`` (``reshape``, ``transpose``, ``mean``, ...).
    """

    __slots__ = ("_outputs",)

    def __init__(self, outputs: Sequence[Tuple[_Node, int]]) -> None:
        self._outputs: List[Tuple[_Node, int]] = list(outputs)

    # -- introspection ------------------------------------------------------------------------------------
    @property
    def name(self) -> Optional[str]:
        """The node's name for a one-output symbol (None for a group)."""
        return self._outputs[0][0].name if len(self._outputs) == 1 else None

    def attr(self, key: str) -> Optional[str]:
        return self._outputs[0][0].attrs.get(key) if len(self._outputs) == 1 else None

    def list_attr(self) -> Dict[str, str]:
        return dict(self._outputs[0][0].attrs) if len(self._outputs) == 1 else {}

    def _topo(self) -> List[_Node]:
        return _post_order([n for n, _ in self._outputs])

    def list_inputs(self) -> List[str]:
        """Names of all variables, in graph order."""
        return [n.name for n in self._topo() if n.is_var]

    def list_auxiliary_states(self) -> List[str]:
        """Variables an op mutates (BatchNorm's moving mean/var): ``aux:`` in ``.params`` files."""
        aux = _aux_nodes(self._topo())
        return [n.name for n in self._topo() if n.is_var and id(n) in aux]

    def list_arguments(self) -> List[str]:
        aux = _aux_nodes(self._topo())
        return [n.name for n in self._topo() if n.is_var and id(n) not in aux]

    def list_outputs(self) -> List[str]:
        return [_output_name(n, i) for n, i in self._outputs]

    def get_internals(self) -> "Symbol":
        """Every node's visible output (``dense0_fwd_output``, variables by name), in graph order."""
        return Symbol([(n, 0) for n in self._topo()])

    def get_children(self) -> Optional["Symbol"]:
        ins = [(e[0], e[1]) for n, _ in self._outputs for e in n.inputs]
        return Symbol(ins) if ins else None

    def __getitem__(self, index: Any) -> "Symbol":
        if isinstance(index, str):
            names = self.list_outputs()
            if index not in names:
                raise MXNetError(f"Cannot find output that matches name {index!r}; outputs are {names}")
            index = names.index(index)
        return Symbol([self._outputs[index]])

    def __len__(self) -> int:
        return len(self._outputs)

    def __iter__(self) -> Iterator["Symbol"]:
        return (Symbol([o]) for o in self._outputs)

    def __repr__(self) -> str:
        if len(self._outputs) == 1:
            return f"<Symbol {self.name}>"
        return f"<Symbol group [{', '.join(self.list_outputs())}]>"

    # -- serialization ------------------------------------------------------------------------------------
    def tojson(self, remove_amp_cast: bool = True) -> str:
        """MXNet 1.9's JSON graph (``amp_cast`` nodes are skipped when ``remove_amp_cast``)."""
        return _to_json(self._outputs, remove_amp_cast)

    def save(self, fname: str, remove_amp_cast: bool = True) -> None:
        """Write :meth:`tojson` to ``fname`` atomically."""
        from unidl.io.atomic import write_bytes_atomic

        write_bytes_atomic(fname, self.tojson(remove_amp_cast).encode("utf-8"))

    # -- arithmetic -----------------------------------------------------------------------------------------
    def _binary(self, other: Any, op: str, hint: str, scalar_op: str, scalar_hint: str) -> "Symbol":
        if isinstance(other, Symbol):
            return _create(op, [self, other], {}, None, hint)
        if isinstance(other, (int, float, np.number)):
            return _create(scalar_op, [self], {"scalar": other}, None, scalar_hint)
        return NotImplemented

    def _rscalar(self, other: Any, op: str, hint: str) -> "Symbol":
        if isinstance(other, (int, float, np.number)):
            return _create(op, [self], {"scalar": other}, None, hint)
        return NotImplemented

    def __add__(self, o: Any) -> "Symbol":
        return self._binary(o, "elemwise_add", "_plus", "_plus_scalar", "_plusscalar")

    __radd__ = __add__

    def __sub__(self, o: Any) -> "Symbol":
        return self._binary(o, "elemwise_sub", "_minus", "_minus_scalar", "_minusscalar")

    def __rsub__(self, o: Any) -> "Symbol":
        return self._rscalar(o, "_rminus_scalar", "_rminusscalar")

    def __mul__(self, o: Any) -> "Symbol":
        return self._binary(o, "elemwise_mul", "_mul", "_mul_scalar", "_mulscalar")

    __rmul__ = __mul__

    def __truediv__(self, o: Any) -> "Symbol":
        return self._binary(o, "elemwise_div", "_div", "_div_scalar", "_divscalar")

    def __rtruediv__(self, o: Any) -> "Symbol":
        return self._rscalar(o, "_rdiv_scalar", "_rdivscalar")

    def __pow__(self, o: Any) -> "Symbol":
        return self._binary(o, "_power", "_power", "_power_scalar", "_powerscalar")

    def __rpow__(self, o: Any) -> "Symbol":
        return self._rscalar(o, "_rpower_scalar", "_rpowerscalar")

    def __neg__(self) -> "Symbol":
        return self.__mul__(-1.0)

    def __bool__(self) -> bool:
        raise MXNetError("a Symbol has no truth value (it is a node of a graph, not data); hybrid_forward code "
                         "that branches on values cannot be exported")


# -- naming (MXNet's NameManager / Prefix) -------------------------------------------------------------------

class NameManager:
    """Names unnamed ops ``<hint><count>`` (one counter per hint); ``with NameManager():`` opens a scope."""

    _current = threading.local()

    def __init__(self) -> None:
        self._counter: Dict[str, int] = {}
        self._old: Optional["NameManager"] = None

    def get(self, name: Optional[str], hint: str) -> str:
        if name:
            return name
        n = self._counter.get(hint, 0)
        self._counter[hint] = n + 1
        return f"{hint}{n}"

    def __enter__(self) -> "NameManager":
        self._old = current_name_manager()
        NameManager._current.value = self
        return self

    def __exit__(self, *exc: Any) -> None:
        NameManager._current.value = self._old


class Prefix(NameManager):
    """Names every op ``prefix + name`` (a HybridBlock's scope while it is traced: ``dense0_fwd``)."""

    def __init__(self, prefix: str) -> None:
        super().__init__()
        self._prefix = prefix

    def get(self, name: Optional[str], hint: str) -> str:
        return self._prefix + super().get(name, hint)


def current_name_manager() -> NameManager:
    cur = getattr(NameManager._current, "value", None)
    if cur is None:
        cur = NameManager._current.value = NameManager()
    return cur


# -- variables and op creation ---------------------------------------------------------------------------------

def var(name: str, attr: Optional[Dict[str, str]] = None, shape: Any = None, lr_mult: Any = None,
        wd_mult: Any = None, dtype: Any = None, init: Any = None, stype: Any = None, **kwargs: Any) -> Symbol:
    """A variable (an input or a parameter) named ``name``; ``shape``, ``dtype``, ``init``, ``lr_mult`` ... are
    kept as MXNet's ``__shape__`` ... attributes."""
    if not isinstance(name, str):
        raise TypeError("Expect a string for variable `name`")
    attrs = dict(attr or {})
    if shape is not None:
        attrs["__shape__"] = str(tuple(shape))
    if lr_mult is not None:
        attrs["__lr_mult__"] = str(lr_mult)
    if wd_mult is not None:
        attrs["__wd_mult__"] = str(wd_mult)
    if dtype is not None:
        flag = _DTYPE_FLAG.get(np.dtype(dtype).type)
        if flag is None:
            raise MXNetError(f"var {name!r}: dtype {np.dtype(dtype).name} has no MXNet type flag")
        attrs["__dtype__"] = str(flag)
    if init is not None:
        attrs["__init__"] = init if isinstance(init, str) else init.dumps()
    if stype is not None:
        attrs["__storage_type__"] = str({"default": 0, "row_sparse": 1, "csr": 2}.get(stype, stype))
    for k, v in kwargs.items():
        if k.startswith("__") and k.endswith("__"):
            attrs[k] = str(v)
        else:
            raise ValueError(f"Attribute name={k} is not supported. Additional attributes must start and end "
                             "with double underscores, e.g, __yourattr__")
    return Symbol([(_Node("null", name, attrs), 0)])


Variable = var


def Group(symbols: Sequence[Symbol]) -> Symbol:  # noqa: N802 - MXNet's name
    """One symbol with the outputs of all ``symbols`` (a multi-output graph)."""
    if not symbols or not all(isinstance(s, Symbol) for s in symbols):
        raise TypeError("Expected a list of symbols as input")
    return Symbol([o for s in symbols for o in s._outputs])


def _attr_str(v: Any) -> str:
    if isinstance(v, np.generic):
        v = v.item()
    return str(v)


#: op -> function(attrs) giving the number of outputs (visible and hidden) MXNet 1.9's pip build reports
_NUM_OUTPUTS: Dict[str, Callable[[Dict[str, str]], int]] = {
    "BatchNorm": lambda a: 3, "LayerNorm": lambda a: 3, "InstanceNorm": lambda a: 3, "GroupNorm": lambda a: 3,
    "Dropout": lambda a: 2, "LRN": lambda a: 2,
    "Pooling": lambda a: 2 if a.get("pool_type", "max") == "max" else 1,
}
#: op -> indices of inputs the op mutates (auxiliary states)
AUX_INPUTS: Dict[str, Tuple[int, ...]] = {"BatchNorm": (3, 4)}


def _create(op: str, inputs: Sequence[Symbol], attrs: Dict[str, Any], name: Optional[str], hint: str,
            resolved: bool = False) -> Symbol:
    """Add an ``op`` node over ``inputs`` (one-output symbols) named by the current NameManager (``name``
    as is when ``resolved``)."""
    entries = []
    for i, s in enumerate(inputs):
        if not isinstance(s, Symbol):
            raise TypeError(f"{op}: input {i} must be a Symbol, got {type(s).__name__}")
        if len(s._outputs) != 1:
            raise MXNetError(f"{op}: input {i} is a group of {len(s._outputs)} outputs; expected one")
        entries.append(s._outputs[0])
    sattrs = {k: _attr_str(v) for k, v in attrs.items() if v is not None}
    node = _Node(op, name if resolved else current_name_manager().get(name, hint), sattrs, [],
                 _NUM_OUTPUTS.get(op, lambda a: 1)(sattrs))
    aux = AUX_INPUTS.get(op, ())
    for i, (n, idx) in enumerate(entries):
        version = 0
        if i in aux and n.is_var:
            n.version += 1
            version = n.version
        node.inputs.append([n, idx, version])
    return Symbol([(node, 0)])


# -- graph walks and JSON ----------------------------------------------------------------------------------------

def _post_order(heads: Sequence[_Node]) -> List[_Node]:
    """Depth-first post-order from ``heads`` (inputs in order), each node once — nnvm's DFSVisit."""
    order: List[_Node] = []
    seen = set()
    for h in heads:
        if id(h) in seen:
            continue
        stack = [(h, 0)]
        seen.add(id(h))
        while stack:
            node, i = stack.pop()
            if i < len(node.inputs):
                stack.append((node, i + 1))
                child = node.inputs[i][0]
                if id(child) not in seen:
                    seen.add(id(child))
                    stack.append((child, 0))
            else:
                order.append(node)
    return order


def _aux_nodes(nodes: Sequence[_Node]) -> set:
    return {id(n.inputs[i][0]) for n in nodes for i in AUX_INPUTS.get(n.op, ()) if i < len(n.inputs)}


def _output_name(node: _Node, index: int) -> str:
    if node.is_var:
        return node.name
    return f"{node.name}_output" if index == 0 else f"{node.name}_output{index}"


def _skip_amp(entry: Tuple[_Node, int], remove: bool) -> Tuple[_Node, int]:
    node, idx = entry
    while remove and node.op in ("amp_cast", "amp_multicast") and node.inputs:
        node, idx = node.inputs[idx if node.op == "amp_multicast" else 0][:2]
    return node, idx


def _to_json(outputs: Sequence[Tuple[_Node, int]], remove_amp_cast: bool) -> str:
    heads = [_skip_amp(o, remove_amp_cast) for o in outputs]
    # walk with amp casts bypassed: rebuild the order over "effective" inputs
    order: List[_Node] = []
    index: Dict[int, int] = {}
    eff: Dict[int, List[Tuple[_Node, int, int]]] = {}

    def inputs_of(n: _Node) -> List[Tuple[_Node, int, int]]:
        if id(n) not in eff:
            eff[id(n)] = [(*_skip_amp((e[0], e[1]), remove_amp_cast), e[2]) for e in n.inputs]
        return eff[id(n)]

    for h, _ in heads:
        if id(h) in index:
            continue
        stack = [(h, 0)]
        index[id(h)] = -1
        while stack:
            node, i = stack.pop()
            ins = inputs_of(node)
            if i < len(ins):
                stack.append((node, i + 1))
                child = ins[i][0]
                if id(child) not in index:
                    index[id(child)] = -1
                    stack.append((child, 0))
            else:
                index[id(node)] = len(order)
                order.append(node)
    nodes = []
    for n in order:
        d: Dict[str, Any] = {"op": n.op, "name": n.name}
        if n.attrs:
            d["attrs"] = dict(sorted(n.attrs.items()))
        d["inputs"] = [[index[id(c)], i, v] for c, i, v in inputs_of(n)]
        nodes.append(d)
    row = [0]
    for n in order:
        row.append(row[-1] + n.num_outputs)
    graph = {"nodes": nodes, "arg_nodes": [i for i, n in enumerate(order) if n.is_var], "node_row_ptr": row,
             "heads": [[index[id(n)], i, 0] for n, i in heads], "attrs": {"mxnet_version": ["int", MXNET_VERSION]}}
    return _dmlc_dumps(graph, 0)


def _dmlc_dumps(v: Any, indent: int, key: Optional[str] = None) -> str:
    """dmlc::JSONWriter's layout: objects over one line when they hold more than one entry, arrays when
    they hold more than 10 elements or non-scalar elements (except node inputs and heads)."""
    pad = "  " * (indent + 1)
    end = "  " * indent
    if isinstance(v, dict):
        if len(v) > 1:
            items = [f"{pad}{json.dumps(k)}: {_dmlc_dumps(x, indent + 1, k)}" for k, x in v.items()]
            return "{\n" + ", \n".join(items) + "\n" + end + "}"
        return "{" + ", ".join(f"{json.dumps(k)}: {_dmlc_dumps(x, indent + 1, k)}" for k, x in v.items()) + "}"
    if isinstance(v, list):
        if key == "nodes" or (key not in ("inputs", "heads", "mxnet_version") and len(v) > 10):
            return "[\n" + ", \n".join(pad + _dmlc_dumps(x, indent + 1) for x in v) + "\n" + end + "]"
        return "[" + ", ".join(_dmlc_dumps(x, indent + 1, None) for x in v) + "]"
    return json.dumps(v)


def _parse_json(text: str, source: str = "<string>") -> Symbol:
    """Build a Symbol from MXNet's JSON graph text (``json.loads`` only; nothing is evaluated)."""
    try:
        g = json.loads(text)
    except (ValueError, TypeError, RecursionError) as err:   # RecursionError: absurdly deep nesting
        raise MXNetError(f"{source}: not a valid symbol JSON file: {type(err).__name__}: {err}") from None
    if not isinstance(g, dict) or not isinstance(g.get("nodes"), list) or not isinstance(g.get("heads"), list):
        raise MXNetError(f"{source}: not an MXNet symbol graph (expected an object with 'nodes' and 'heads')")
    nodes: List[_Node] = []
    for i, d in enumerate(g["nodes"]):
        if not isinstance(d, dict) or not isinstance(d.get("op"), str) or not isinstance(d.get("name"), str):
            raise MXNetError(f"{source}: node {i} must be an object with string 'op' and 'name'")
        attrs = d.get("attrs", d.get("attr", d.get("param", {}))) or {}
        if not isinstance(attrs, dict):
            raise MXNetError(f"{source}: node {i} ({d['name']}): 'attrs' must be an object")
        node = _Node(d["op"], d["name"], {str(k): str(v) for k, v in attrs.items()})
        node.num_outputs = _NUM_OUTPUTS.get(node.op, lambda a: 1)(node.attrs) if not node.is_var else 1
        inputs = d.get("inputs", [])
        if not isinstance(inputs, list):
            raise MXNetError(f"{source}: node {i} ({d['name']}): 'inputs' must be a list of [node, output, version]")
        for e in inputs:
            if not (isinstance(e, list) and 2 <= len(e) <= 3 and all(isinstance(x, int) for x in e)
                    and 0 <= e[0] < i):
                raise MXNetError(f"{source}: node {i} ({d['name']}): bad input entry {e!r} (expected "
                                 "[node index < this node's, output index, version])")
            node.inputs.append([nodes[e[0]], e[1], e[2] if len(e) == 3 else 0])
        nodes.append(node)
    heads = []
    for e in g["heads"]:
        if not (isinstance(e, list) and len(e) >= 2 and all(isinstance(x, int) for x in e[:2])
                and 0 <= e[0] < len(nodes) and e[1] >= 0):
            raise MXNetError(f"{source}: bad head entry {e!r}")
        heads.append((nodes[e[0]], int(e[1])))
    if not heads:
        raise MXNetError(f"{source}: the graph has no outputs ('heads' is empty)")
    return Symbol(heads)


def load_json(json_str: str) -> Symbol:
    """A Symbol from the text of a ``-symbol.json`` file."""
    if not isinstance(json_str, str):
        raise TypeError("fname required to be string")
    return _parse_json(json_str)


def load(fname: str) -> Symbol:
    """A Symbol from a ``-symbol.json`` file (MXNet's JSON graph)."""
    if not isinstance(fname, str):
        raise TypeError("fname required to be a string")
    try:
        with open(fname, "r", encoding="utf-8") as f:
            text = f.read()
    except OSError as err:
        raise MXNetError(f"cannot read symbol file {fname!r}: {err.strerror}") from None
    except UnicodeDecodeError as err:
        raise MXNetError(f"{fname}: not a valid symbol JSON file: it is not UTF-8 text ({err})") from None
    return _parse_json(text, fname)


__all__ = ["Symbol", "var", "Variable", "Group", "load", "load_json", "NameManager", "Prefix"]
