"""Read an ONNX file for import, defensively: nothing outside the model's folder is ever opened.

:func:`read` parses the file (protobuf only, nothing executed) and checks, before any face builds anything:

* external data: a tensor stored outside the file must name a plain relative path inside the model's folder
  (no absolute paths, no ``..``, no symbolic link leading out), within that file's size; it is read from
  there and nowhere else, and embedded so ONNX Runtime never opens files either;
* initializers: a supported dtype and exactly as many values as their shape declares;
* the graph: the default ONNX domain, every node input defined (a graph input, an initializer or an earlier
  node's output), no name defined twice, no cycle (the nodes are returned in topological order);
* the ONNX checker (node attributes and types against the op schemas);
* shapes: ONNX shape inference in strict mode (an initializer of the wrong shape for its op fails here);
* ops: every op a face's importer supports; one :class:`~unidl.onnx.OnnxError` lists every unsupported op with
  its node name.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np

from . import OnnxError, require

__all__ = ["Node", "Graph", "read", "MAX_BYTES"]

#: the largest model file (and external data file) read, in bytes
MAX_BYTES = 2 << 30

_DTYPES = {1: "float32", 2: "uint8", 3: "int8", 5: "int16", 6: "int32", 7: "int64", 9: "bool", 10: "float16",
           11: "float64"}


@dataclass
class Node:
    """One ONNX node: op type, name, input and output value names ('' for an omitted optional input), and
    attributes as Python values (ints, floats, strings, lists, arrays)."""

    op: str
    name: str
    inputs: List[str]
    outputs: List[str]
    attrs: Dict[str, Any] = field(default_factory=dict)


@dataclass
class Graph:
    """A checked ONNX graph: nodes in topological order, initializers as NumPy arrays, inputs/outputs as
    (name, dtype, shape with None for symbolic dims), every value's inferred shape where known, and the model's
    bytes (external data embedded) for ONNX Runtime."""

    nodes: List[Node]
    initializers: Dict[str, np.ndarray]
    inputs: List[Tuple[str, str, Tuple[Optional[int], ...]]]
    outputs: List[Tuple[str, str, Tuple[Optional[int], ...]]]
    shapes: Dict[str, Tuple[Optional[int], ...]]
    data: bytes
    opset: int
    path: str = ""

    def consumers(self, value: str) -> List[Node]:
        return [n for n in self.nodes if value in n.inputs]

    def check_ops(self, supported: Iterable[str], what: str = "unsupported ONNX ops, nothing imported") -> None:
        """One OnnxError listing every node whose op is not in ``supported`` (op and node name)."""
        _check_ops(self.nodes, supported, f"{self.path}: {what}")

    def producer(self, value: str) -> Optional[Node]:
        for n in self.nodes:
            if value in n.outputs:
                return n
        return None

    def vocab_for(self, name: str) -> int:
        """The row count of an embedding table (Gather on an initializer) fed by input ``name``, through Casts."""
        frontier = [name]
        while frontier:
            v = frontier.pop()
            for n in self.consumers(v):
                if n.op == "Gather" and len(n.inputs) > 1 and n.inputs[1] == v and n.inputs[0] in self.initializers:
                    return int(self.initializers[n.inputs[0]].shape[0])
                if n.op in ("Cast", "Identity"):
                    frontier.extend(n.outputs)
        return 0


def _check_ops(nodes: Sequence[Node], supported: Iterable[str], message: str) -> None:
    ops = set(supported)
    bad = [f"{n.op} (node '{n.name}')" for n in nodes if n.op not in ops]
    if bad:
        raise OnnxError(f"{message}: " + ", ".join(bad))


def _attr(a: Any) -> Any:
    onnx = require()
    v = onnx.helper.get_attribute_value(a)
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    if isinstance(v, (list, tuple)):
        return [x.decode("utf-8", "replace") if isinstance(x, bytes) else x for x in v]
    if a.type == onnx.AttributeProto.TENSOR:
        return onnx.numpy_helper.to_array(v)
    if a.type in (onnx.AttributeProto.GRAPH, onnx.AttributeProto.GRAPHS):
        return "<subgraph>"
    return v


def _value_info(vi: Any) -> Tuple[str, str, Tuple[Optional[int], ...]]:
    t = vi.type.tensor_type
    dtype = _DTYPES.get(t.elem_type, f"onnx-type-{t.elem_type}")
    if not t.HasField("shape"):
        return vi.name, dtype, ()
    dims = tuple(int(d.dim_value) if d.HasField("dim_value") else None for d in t.shape.dim)
    return vi.name, dtype, dims


def _external(t: Any, folder: str, where: str) -> None:
    """Replace a tensor's external-data reference by its bytes, read from inside ``folder`` only."""
    info = {e.key: e.value for e in t.external_data}
    loc = info.get("location", "")
    if not loc or os.path.isabs(loc) or loc.startswith(("/", "\\")) or ":" in loc or \
            any(part in ("..", "") for part in loc.replace("\\", "/").split("/")):
        raise OnnxError(f"{where}: initializer '{t.name}' refers to external data at {loc!r}, which is not a plain "
                        "relative path inside the model's folder; refusing to read it")
    base = os.path.realpath(folder)
    full = os.path.realpath(os.path.join(base, loc))
    if os.path.commonpath([base, full]) != base:
        raise OnnxError(f"{where}: initializer '{t.name}' refers to external data {loc!r}, which resolves outside "
                        "the model's folder; refusing to read it")
    if not os.path.isfile(full):
        raise OnnxError(f"{where}: initializer '{t.name}': its external data file {loc!r} does not exist beside "
                        "the model")
    try:
        offset = int(info.get("offset", "0") or 0)
        length = int(info["length"]) if info.get("length") else None
    except ValueError:
        raise OnnxError(f"{where}: initializer '{t.name}': bad external data offset/length {info}") from None
    size = os.path.getsize(full)
    if offset < 0 or (length is not None and (length < 0 or offset + length > size)) or offset > size or \
            size > MAX_BYTES:
        raise OnnxError(f"{where}: initializer '{t.name}': external data range (offset {offset}, length {length}) "
                        f"does not fit the file {loc!r} ({size} bytes)")
    with open(full, "rb") as f:
        f.seek(offset)
        raw = f.read(length if length is not None else size - offset)
    t.raw_data = raw
    del t.external_data[:]
    t.data_location = 0


def _count(t: Any) -> int:
    """How many values a TensorProto actually holds."""
    onnx = require()
    if t.HasField("raw_data"):
        dt = _DTYPES.get(t.data_type)
        return len(t.raw_data) // np.dtype(dt).itemsize if dt else -1
    T = onnx.TensorProto
    fields = {T.FLOAT: t.float_data, T.DOUBLE: t.double_data, T.INT64: t.int64_data, T.INT32: t.int32_data,
              T.INT8: t.int32_data, T.UINT8: t.int32_data, T.INT16: t.int32_data, T.BOOL: t.int32_data,
              T.FLOAT16: t.int32_data}
    return len(fields[t.data_type]) if t.data_type in fields else -1


def _initializer(t: Any, where: str) -> np.ndarray:
    onnx = require()
    if t.data_type not in _DTYPES:
        raise OnnxError(f"{where}: initializer '{t.name}' has ONNX data type {t.data_type}, which unidl does not "
                        f"import (supported: {sorted(_DTYPES.values())})")
    shape = tuple(int(d) for d in t.dims)
    if any(d < 0 for d in shape):
        raise OnnxError(f"{where}: initializer '{t.name}' has a negative dimension in its shape {shape}")
    want = int(np.prod(shape, dtype=np.int64)) if shape else 1
    have = _count(t)
    if have != want or (t.HasField("raw_data") and len(t.raw_data) % np.dtype(_DTYPES[t.data_type]).itemsize):
        raise OnnxError(f"{where}: initializer '{t.name}' declares shape {shape} ({want} values) but holds "
                        f"{have} values")
    try:
        a = onnx.numpy_helper.to_array(t)
    except Exception as e:  # noqa: BLE001 - a malformed tensor of any kind
        raise OnnxError(f"{where}: initializer '{t.name}' cannot be read: {e}") from None
    return np.array(a, order="C", copy=True)


def _topo(nodes: List[Node], known: Iterable[str], where: str) -> List[Node]:
    """Nodes in dependency order; errors for undefined inputs, values defined twice, and cycles."""
    known = set(known)
    producer: Dict[str, int] = {}
    for i, n in enumerate(nodes):
        for o in n.outputs:
            if not o:
                continue
            if o in producer or o in known:
                raise OnnxError(f"{where}: value '{o}' is defined twice (by node '{n.name}' and earlier)")
            producer[o] = i
    for n in nodes:
        for v in n.inputs:
            if v and v not in known and v not in producer:
                raise OnnxError(f"{where}: node '{n.name}' ({n.op}) reads '{v}', which is not a graph input, an "
                                "initializer or any node's output (a missing initializer?)")
    order: List[Node] = []
    state = [0] * len(nodes)   # 0 new, 1 on the stack, 2 done
    for start in range(len(nodes)):
        if state[start]:
            continue
        stack = [(start, 0)]
        state[start] = 1
        path = [start]
        while stack:
            i, k = stack.pop()
            deps = [producer[v] for v in nodes[i].inputs if v in producer]
            if k < len(deps):
                stack.append((i, k + 1))
                j = deps[k]
                if state[j] == 1:
                    cyc = (path[path.index(j):] + [j])[::-1]   # in data-flow order
                    raise OnnxError(f"{where}: the graph has a cycle through nodes "
                                    + " -> ".join(f"'{nodes[c].name}' ({nodes[c].op})" for c in cyc))
                if state[j] == 0:
                    state[j] = 1
                    stack.append((j, 0))
                    path.append(j)
            else:
                state[i] = 2
                order.append(nodes[i])
                path.pop()
    return order


def read(path: str, supported: Optional[Sequence[str]] = None) -> Graph:
    """Read and check the ONNX model at ``path`` (see the module docstring). ``supported``: the ops the caller
    can import (default: :data:`unidl.onnx.reader.SUPPORTED`)."""
    onnx = require()
    where = str(path)
    if not os.path.isfile(path):
        raise OnnxError(f"{where}: no such file")
    if os.path.getsize(path) > MAX_BYTES:
        raise OnnxError(f"{where}: larger than {MAX_BYTES} bytes")
    with open(path, "rb") as f:
        raw = f.read()
    try:
        model = onnx.load_model_from_string(raw)
    except Exception as e:  # noqa: BLE001 - protobuf decode errors
        raise OnnxError(f"{where}: not an ONNX model ({type(e).__name__}: {e})") from None
    g = model.graph
    if not g.node and not g.output:
        raise OnnxError(f"{where}: not an ONNX model (no graph)")
    opsets = {o.domain or "": int(o.version) for o in model.opset_import}
    opset = opsets.get("", opsets.get("ai.onnx", 0))
    if not opset:
        raise OnnxError(f"{where}: the model imports no version of the default ONNX domain")
    if len(g.sparse_initializer):
        raise OnnxError(f"{where}: sparse initializers are not supported")
    folder = os.path.dirname(os.path.abspath(path))
    for t in g.initializer:
        if t.data_location == onnx.TensorProto.EXTERNAL or len(t.external_data):
            _external(t, folder, where)
    for n in g.node:
        for a in n.attribute:
            if a.type == onnx.AttributeProto.TENSOR and (a.t.data_location == onnx.TensorProto.EXTERNAL
                                                         or len(a.t.external_data)):
                _external(a.t, folder, where)
    inits: Dict[str, np.ndarray] = {}
    for t in g.initializer:
        if t.name in inits:
            raise OnnxError(f"{where}: initializer '{t.name}' is defined twice")
        inits[t.name] = _initializer(t, where)
    inputs = [_value_info(vi) for vi in g.input if vi.name not in inits]
    outputs = [_value_info(vi) for vi in g.output]
    nodes = []
    for i, n in enumerate(g.node):
        name = n.name or f"{n.op_type}_{i}"
        if n.domain not in ("", "ai.onnx"):
            nodes.append(Node(f"{n.domain}::{n.op_type}", name, list(n.input), list(n.output)))
            continue
        nodes.append(Node(n.op_type, name, list(n.input), list(n.output), {a.name: _attr(a) for a in n.attribute}))
    nodes = _fuse(_topo(nodes, [v[0] for v in inputs] + list(inits), where), inits)
    for name, _, _ in outputs:
        if name not in inits and name not in {v[0] for v in inputs} and not any(name in n.outputs for n in nodes):
            raise OnnxError(f"{where}: graph output '{name}' is not computed by any node")
    _check_ops(nodes, supported if supported is not None else SUPPORTED,
               f"{where}: unsupported ONNX ops, nothing imported")
    data = model.SerializeToString()
    try:
        onnx.checker.check_model(model)
    except Exception as e:  # noqa: BLE001 - ValidationError and friends
        raise OnnxError(f"{where}: onnx.checker rejects the model: {type(e).__name__}: {e}") from None
    try:
        inferred = onnx.shape_inference.infer_shapes(model, check_type=True, strict_mode=True, data_prop=True)
    except Exception as e:  # noqa: BLE001 - InferenceError and friends
        raise OnnxError(f"{where}: shapes do not check: {type(e).__name__}: {e}") from None
    shapes = {}
    for vi in list(inferred.graph.value_info) + list(inferred.graph.input) + list(inferred.graph.output):
        name, _, dims = _value_info(vi)
        if vi.type.tensor_type.HasField("shape"):
            shapes[name] = dims
    for k, v in inits.items():
        shapes[k] = tuple(v.shape)
    return Graph(nodes, inits, inputs, outputs, shapes, data, opset, where)


def _scalar(inits: Dict[str, np.ndarray], name: str) -> Optional[float]:
    a = inits.get(name)
    return float(a.reshape(())) if a is not None and a.size == 1 else None


def _fuse(nodes: List[Node], inits: Dict[str, np.ndarray]) -> List[Node]:
    """Recognise GELU written out (x * 0.5 * (1 + erf(x / sqrt 2))) and give it as one ``Gelu`` node (ONNX 20's
    op name), so each face imports it as its own gelu."""
    out_of = {o: n for n in nodes for o in n.outputs}
    uses: Dict[str, int] = {}
    for n in nodes:
        for v in n.inputs:
            uses[v] = uses.get(v, 0) + 1
    drop = set()
    result = []
    for n in nodes:
        if n.op == "Mul" and len(n.inputs) == 2:
            for x, h in (n.inputs, n.inputs[::-1]):
                hn = out_of.get(h)
                if hn is None or hn.op != "Mul" or _scalar(inits, hn.inputs[1]) != 0.5:
                    continue
                an = out_of.get(hn.inputs[0])
                if an is None or an.op != "Add" or _scalar(inits, an.inputs[1]) != 1.0:
                    continue
                en = out_of.get(an.inputs[0])
                if en is None or en.op != "Erf":
                    continue
                dn = out_of.get(en.inputs[0])
                if dn is None or dn.op != "Div" or dn.inputs[0] != x or \
                        abs((_scalar(inits, dn.inputs[1]) or 0) - float(np.sqrt(2.0))) > 1e-6:
                    continue
                chain = [hn, an, en, dn]
                if any(uses.get(c.outputs[0], 0) != 1 for c in chain):
                    continue
                drop.update(id(c) for c in chain)
                n = Node("Gelu", n.name, [x], list(n.outputs), {"approximate": "none"})
                break
        result.append(n)
    return [n for n in result if id(n) not in drop]


#: ONNX ops that both faces import
SUPPORTED = ("Conv", "ConvTranspose", "Gemm", "MatMul", "Add", "Sub", "Mul", "Div", "Max", "Min", "Relu", "Sigmoid",
             "Tanh", "Softplus", "Softsign", "Elu", "Selu", "LeakyRelu", "Gelu", "Softmax", "LogSoftmax", "Exp",
             "BatchNormalization", "LayerNormalization", "Gather", "Cast", "Flatten", "Reshape", "Transpose",
             "Concat", "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool", "ReduceMean", "ReduceMax",
             "Identity", "Dropout", "Clip", "Erf", "Div", "HardSigmoid", "Squeeze", "Unsqueeze", "LSTM", "GRU")
