"""``mx.onnx.export_model``: an MXNet symbol graph (or a Gluon ``HybridBlock``) and its parameters to ONNX.

The graph (``sym``, a ``-symbol.json`` path, or a HybridBlock traced as ``export`` traces it) is walked in
topological order and each MXNet operator becomes ONNX nodes through :class:`unidl.onnx.graph.GraphBuilder`;
parameters become initializers under their own names, with their exact values. Every intermediate shape is
known first (the graph runs once on the probe batch with the SymbolBlock executor), so operators whose ONNX
form depends on a rank (``FullyConnected`` without flatten, ``BatchNorm`` on another axis) export exactly.
Before the file is written the model passes ``onnx.checker`` and ONNX Runtime's outputs match the MXNet
model's on that probe batch (max |diff| within 1e-5 times the output's magnitude); otherwise nothing is written.
"""
from __future__ import annotations

import contextlib
import os
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np

from ..base import MXNetError

__all__ = ["export_model", "get_operator_support", "SUPPORTED"]


def _np(v: Any) -> np.ndarray:
    return np.asarray(v.asnumpy() if hasattr(v, "asnumpy") else v)


def _tup(v: Any, n: int, default: int) -> List[int]:
    if v is None or v == ():
        return [default] * n
    if isinstance(v, int):
        return [v] * n
    return [int(i) for i in v]


class _Emitter:
    def __init__(self, opset: Optional[int], params: Dict[str, np.ndarray], shapes: Dict[int, Tuple[int, ...]],
                 attrs: Dict[int, Dict[str, Any]]) -> None:
        from unidl.onnx.graph import GraphBuilder

        self.b = GraphBuilder("mxnet", opset)
        self.params = params
        self.shapes = shapes
        self.attrs = attrs
        self.vals: Dict[Tuple[int, int], str] = {}
        self.inits: Dict[str, str] = {}
        self.blocks: Dict[str, Any] = {}   # _unidl_rnn node name -> its Gluon recurrent layer
        self.dynamic = False

    def param(self, name: str, fix: Any = None) -> str:
        key = name if fix is None else f"{name}#{fix.__name__}"
        if key not in self.inits:
            a = self.params[name]
            self.inits[key] = self.b.const(a if fix is None else fix(a), name)
        return self.inits[key]

    def value(self, entry: Sequence[Any]) -> str:
        node = entry[0]
        if node.is_var:
            return self.param(node.name) if node.name in self.params else self.vals[(id(node), 0)]
        return self.vals[(id(node), int(entry[1]))]

    def emit(self, n: Any) -> str:
        b, op, name = self.b, n.op, n.name
        a = self.attrs[id(n)]
        ins = [self.value(e) for e in n.inputs]
        in_nodes = [e[0] for e in n.inputs]
        shp = self.shapes.get(id(in_nodes[0])) if in_nodes else None
        rank = len(shp) if shp is not None else None
        x = ins[0] if ins else ""
        if op == "FullyConnected":
            no_bias = bool(a.get("no_bias", False)) or len(ins) < 3
            if a.get("flatten", True) or rank == 2:
                if rank != 2:
                    x = b.node("Flatten", [x], name + "/flatten", axis=1)
                return b.node("Gemm", [x, ins[1]] + ([] if no_bias else [ins[2]]), name, transB=1)
            w = self.param(in_nodes[1].name, _transposed) if in_nodes[1].is_var and in_nodes[1].name in self.params \
                else b.node("Transpose", [ins[1]], name + "/wT", perm=[1, 0])
            y = b.node("MatMul", [x, w], name + "/matmul")
            return y if no_bias else b.node("Add", [y, ins[2]], name)
        if op in ("Convolution", "Deconvolution"):
            k = len(_tup(a["kernel"], 1, 1))
            layout = a.get("layout")
            if layout not in (None, {1: "NCW", 2: "NCHW", 3: "NCDHW"}[k]):
                raise MXNetError(f"export_model: {op} '{name}' with layout {layout} has no ONNX export")
            pad = _tup(a.get("pad"), k, 0)
            no_bias = bool(a.get("no_bias", op == "Deconvolution")) or len(ins) < 3
            kw = dict(kernel_shape=_tup(a["kernel"], k, 1), strides=_tup(a.get("stride"), k, 1),
                      dilations=_tup(a.get("dilate"), k, 1), pads=pad + pad, group=int(a.get("num_group", 1)))
            if op == "Deconvolution":
                if a.get("target_shape") not in (None, (), (0,) * k):
                    raise MXNetError(f"export_model: Deconvolution '{name}' with target_shape has no ONNX export")
                kw["output_padding"] = _tup(a.get("adj"), k, 0)
            return b.node("Conv" if op == "Convolution" else "ConvTranspose", ins[:2] + ([] if no_bias else ins[2:3]),
                          name, **kw)
        if op == "Pooling":
            k = rank - 2
            ptype = a.get("pool_type", "max")
            if ptype not in ("max", "avg"):
                raise MXNetError(f"export_model: Pooling '{name}' pool_type={ptype} has no ONNX export")
            if a.get("layout") not in (None, {1: "NCW", 2: "NCHW", 3: "NCDHW"}[k]):
                raise MXNetError(f"export_model: Pooling '{name}' with layout {a.get('layout')} has no ONNX export")
            if a.get("global_pool", False):
                return b.node("GlobalMaxPool" if ptype == "max" else "GlobalAveragePool", [x], name)
            pad = _tup(a.get("pad"), k, 0)
            kw = dict(kernel_shape=_tup(a["kernel"], k, 1), strides=_tup(a.get("stride"), k, 1), pads=pad + pad,
                      ceil_mode=int(a.get("pooling_convention", "valid") == "full"))
            if ptype == "avg":
                kw["count_include_pad"] = int(bool(a.get("count_include_pad", True)))
            return b.node("MaxPool" if ptype == "max" else "AveragePool", [x], name, **kw)
        if op == "BatchNorm":
            axis = int(a.get("axis", 1)) % rank
            gamma = ins[1]
            if a.get("fix_gamma", True):
                gamma = b.const(np.ones(shp[axis], dtype=self.params.get(in_nodes[1].name, np.zeros(1, "float32")).dtype),
                                name + "/fixed_gamma")
            perm = None if axis == 1 else [0, axis] + [i for i in range(1, rank) if i != axis]
            x = b.transpose(x, perm, name + "/to_axis1")
            y = b.node("BatchNormalization", [x, gamma] + ins[2:5], name, epsilon=float(a.get("eps", 1e-3)))
            return b.transpose(y, None if perm is None else [perm.index(i) for i in range(rank)], name + "/back")
        if op == "LayerNorm":
            return b.node("LayerNormalization", ins[:3], name, axis=int(a.get("axis", -1)),
                          epsilon=float(a.get("eps", 1e-5)))
        if op == "Embedding":
            ids = b.node("Cast", [x], name + "/ids", to=7)
            return b.node("Gather", [ins[1], ids], name, axis=0)
        if op == "Activation":
            return b.activation(x, a.get("act_type", "relu"), name)
        if op == "LeakyReLU":
            t = a.get("act_type", "leaky")
            if t == "leaky":
                return b.activation(x, "leaky_relu", name, alpha=float(a.get("slope", 0.25)))
            if t == "elu":
                return b.activation(x, "elu", name, alpha=float(a.get("slope", 0.25)))
            if t == "selu":
                return b.node("Selu", [x], name)
            if t == "gelu":
                return b.activation(x, "gelu", name)
            if t == "prelu":
                g = ins[1]
                if rank > 2:
                    g = b.node("Reshape", [g, b.ints([-1] + [1] * (rank - 2), name + "/slope_shape")], name + "/slope")
                return b.node("PRelu", [x, g], name)
            raise MXNetError(f"export_model: LeakyReLU '{name}' act_type={t} has no ONNX export")
        if op in ("relu", "sigmoid", "tanh", "exp", "log", "sqrt", "abs", "negative"):
            return b.node({"relu": "Relu", "sigmoid": "Sigmoid", "tanh": "Tanh", "exp": "Exp", "log": "Log",
                           "sqrt": "Sqrt", "abs": "Abs", "negative": "Neg"}[op], [x], name)
        if op == "square":
            return b.node("Mul", [x, x], name)
        if op in ("softmax", "log_softmax", "SoftmaxActivation", "SoftmaxOutput"):
            if a.get("temperature") not in (None, 1, 1.0):
                x = b.node("Div", [x, b.scalar(float(a["temperature"]))], name + "/temperature")
            axis = int(a.get("axis", -1)) if op in ("softmax", "log_softmax") else (-1 if op == "SoftmaxActivation" else 1)
            return b.node("LogSoftmax" if op == "log_softmax" else "Softmax", [x], name, axis=axis)
        if op == "Flatten":
            return b.node("Flatten", [x], name, axis=1)
        if op in ("Dropout", "_copy", "BlockGrad", "identity", "stop_gradient"):
            return b.node("Identity", [x], name)
        if op == "Concat":
            return b.node("Concat", ins, name, axis=int(a.get("dim", 1)))
        if op == "Reshape":
            shape = list(a.get("shape", ()))
            if a.get("reverse", False) or any(int(d) < -1 for d in shape):
                # MXNet's special codes (-2, -3, -4) and reverse: the shape this graph computed, as constants
                if self.dynamic:
                    raise MXNetError(f"export_model: Reshape '{name}' with special codes {shape} / reverse has no "
                                     "ONNX export with dynamic shapes (export with dynamic=False: fixed shapes)")
                shape = list(self.shapes[id(n)])
            return b.node("Reshape", [x, b.ints(shape, name + "/shape")], name)
        if op == "transpose":
            axes = list(a.get("axes", ())) or list(range(rank))[::-1]
            return b.node("Transpose", [x], name, perm=[int(i) % rank for i in axes])
        if op == "SwapAxis":
            perm = list(range(rank))
            d1, d2 = int(a.get("dim1", 0)) % rank, int(a.get("dim2", 0)) % rank
            perm[d1], perm[d2] = perm[d2], perm[d1]
            return b.node("Transpose", [x], name, perm=perm)
        if op == "expand_dims":
            return b.node("Unsqueeze", [x, b.ints([int(a.get("axis", 0))], name + "/axes")], name)
        if op == "clip":
            return b.node("Clip", [x, b.scalar(float(a["a_min"])), b.scalar(float(a["a_max"]))], name)
        if op == "Cast":
            from unidl.onnx.graph import onnx_dtype

            return b.node("Cast", [x], name, to=onnx_dtype(a.get("dtype", "float32")))
        binary = {"Add": ("elemwise_add", "broadcast_add", "_plus", "_Plus"),
                  "Sub": ("elemwise_sub", "broadcast_sub", "_minus", "_Minus"),
                  "Mul": ("elemwise_mul", "broadcast_mul", "_mul", "_Mul"),
                  "Div": ("elemwise_div", "broadcast_div", "_div", "_Div"),
                  "Max": ("broadcast_maximum", "_maximum"), "Min": ("broadcast_minimum", "_minimum"),
                  "Pow": ("broadcast_power", "_power")}
        for onnx_op, names in binary.items():
            if op in names:
                return b.node(onnx_op, ins[:2], name)
        scalar = {"_plus_scalar": ("Add", False), "_minus_scalar": ("Sub", False), "_rminus_scalar": ("Sub", True),
                  "_mul_scalar": ("Mul", False), "_div_scalar": ("Div", False), "_rdiv_scalar": ("Div", True),
                  "_power_scalar": ("Pow", False), "_rpower_scalar": ("Pow", True), "_maximum_scalar": ("Max", False),
                  "_minimum_scalar": ("Min", False)}
        if op in scalar:
            onnx_op, rev = scalar[op]
            s = b.scalar(float(a.get("scalar", 0.0)))
            return b.node(onnx_op, [s, x] if rev else [x, s], name)
        if op in ("sum", "mean", "max", "min", "prod"):
            axis = a.get("axis", None)
            if a.get("exclude", False):
                raise MXNetError(f"export_model: {op} '{name}' with exclude=True has no ONNX export")
            axes = list(range(rank)) if axis in (None, ()) else ([axis] if isinstance(axis, int) else list(axis))
            onnx_op = {"sum": "ReduceSum", "mean": "ReduceMean", "max": "ReduceMax", "min": "ReduceMin",
                       "prod": "ReduceProd"}[op]
            return b.reduce(onnx_op, x, axes, bool(a.get("keepdims", False)), name)
        if op == "Pad":
            mode = a.get("mode", "constant")
            pw = [int(v) for v in a.get("pad_width", ())]
            pads = pw[0::2] + pw[1::2]
            return b.node("Pad", [x, b.ints(pads, name + "/pads"), b.scalar(float(a.get("constant_value", 0.0)))],
                          name, mode={"constant": "constant", "reflect": "reflect", "edge": "edge"}[mode])
        if op == "slice_axis":
            axis = int(a.get("axis", 0))
            end = a.get("end", None)
            ends = [int(end)] if end is not None else [2 ** 62]
            return b.node("Slice", [x, b.ints([int(a.get("begin", 0))], name + "/starts"), b.ints(ends, name + "/ends"),
                                    b.ints([axis], name + "/axes")], name)
        if op in ("dot", "batch_dot"):
            r1 = len(self.shapes[id(in_nodes[1])])
            ta, tb = bool(a.get("transpose_a", False)), bool(a.get("transpose_b", False))
            if op == "dot" and (rank != 2 or r1 != 2) and (ta or tb or r1 != 2):
                raise MXNetError(f"export_model: dot '{name}' of ranks {rank}, {r1} with transposes has no ONNX export")

            def t(v: str, r: int, flag: bool, tag: str) -> str:
                return b.node("Transpose", [v], f"{name}/{tag}", perm=list(range(r - 2)) + [r - 1, r - 2]) if flag else v

            return b.node("MatMul", [t(ins[0], rank, ta, "ta"), t(ins[1], r1, tb, "tb")], name)
        if op == "_unidl_rnn":
            return self.rnn(n, x)
        if op == "_zeros":
            return ""   # only as an RNN's begin state (checked there)
        if op == "RNN":
            return self.fused_rnn(n, x, a, in_nodes)
        raise MXNetError(f"export_model: operator {op} (node '{name}') has no ONNX export")

    def fused_rnn(self, n: Any, x: str, a: Dict[str, Any], in_nodes: List[Any]) -> str:
        """MXNet's fused ``RNN`` operator (flat ``parameters``, zero begin states from ``_zeros``) as one ONNX
        LSTM/GRU per layer."""
        from ..gluon.canonical import _gru_perm

        b, name = self.b, n.name
        mode = a.get("mode", "lstm")
        if mode not in ("lstm", "gru"):
            raise MXNetError(f"export_model: RNN '{name}' mode {mode} has no ONNX export (lstm, gru have)")
        p = in_nodes[1]
        if not (p.is_var and p.name in self.params):
            raise MXNetError(f"export_model: RNN '{name}': its parameters must be a parameter variable")
        for st in in_nodes[2:4]:
            if st.is_var or st.op != "_zeros":
                raise MXNetError(f"export_model: RNN '{name}': only zero begin states (_zeros) export to ONNX")
        if a.get("projection_size") not in (None, 0) or a.get("use_sequence_length", False):
            raise MXNetError(f"export_model: RNN '{name}' with projection / sequence lengths has no ONNX export")
        H, L = int(a["state_size"]), int(a.get("num_layers", 1))
        D, G = (2 if a.get("bidirectional", False) else 1), (4 if mode == "lstm" else 3)
        flat = self.params[p.name].reshape(-1)
        C = self.shapes[id(in_nodes[0])][2]
        mats, off = [], 0
        for layer in range(L):
            for _ in range(D):
                for cols in (C if layer == 0 else D * H, H):
                    mats.append(flat[off:off + G * H * cols].reshape(G * H, cols))
                    off += G * H * cols
        bias = [flat[off + i * G * H: off + (i + 1) * G * H] for i in range(2 * L * D)]
        perm = _gru_perm(H) if mode == "gru" else np.arange(G * H)   # MXNet r, z, n -> the core's z, r, h
        y = x
        for layer in range(L):
            units = []
            for d in range(D):
                k = layer * D + d
                units.append({"i2h_weight": np.ascontiguousarray(mats[2 * k][perm].T),
                              "h2h_weight": np.ascontiguousarray(mats[2 * k + 1][perm].T),
                              "i2h_bias": np.ascontiguousarray(bias[2 * k][perm]),
                              "h2h_bias": np.ascontiguousarray(bias[2 * k + 1][perm])})
            out = b.rnn(y, mode, units, H, f"{name}/l{layer}")
            out = b.node("Transpose", [out], f"{name}/l{layer}/tndh", perm=[0, 2, 1, 3])
            y = b.node("Reshape", [out, b.ints([0, 0, -1], f"{name}/l{layer}/merge_shape")], f"{name}/l{layer}/merge")
        return y

    def rnn(self, n: Any, x: str) -> str:
        """A Gluon recurrent layer (LSTM/GRU, any layers and directions) as ONNX LSTM/GRU nodes, one per layer."""
        from ..gluon.canonical import _rnn_units

        b, block = self.b, self.blocks[n.name]
        mode, H = block._mode, block._hidden_size
        if mode not in ("lstm", "gru"):
            raise MXNetError(f"export_model: recurrent layer '{block.name}' ({mode}) has no ONNX export (LSTM, GRU have)")
        units = [u.read() for u in _rnn_units(block)]
        dirs = block._dir
        y = x if block._layout == "TNC" else b.node("Transpose", [x], n.name + "/time_major", perm=[1, 0, 2])
        for i in range(block._num_layers):
            out = b.rnn(y, mode, units[i * dirs:(i + 1) * dirs], H, f"{n.name}/l{i}")     # (T, dirs, N, H)
            out = b.node("Transpose", [out], f"{n.name}/l{i}/tndh", perm=[0, 2, 1, 3])
            y = b.node("Reshape", [out, b.ints([0, 0, -1], f"{n.name}/l{i}/merge_shape")], f"{n.name}/l{i}/merge")
        return y if block._layout == "TNC" else b.node("Transpose", [y], n.name + "/batch_major", perm=[1, 0, 2])


def _transposed(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a.T)


#: MXNet operators with an ONNX export
SUPPORTED = ("FullyConnected", "Convolution", "Deconvolution", "Pooling", "BatchNorm", "LayerNorm", "Embedding",
             "Activation", "LeakyReLU", "relu", "sigmoid", "tanh", "exp", "log", "sqrt", "abs", "negative", "square",
             "softmax", "log_softmax", "SoftmaxActivation", "SoftmaxOutput", "Flatten", "Dropout", "_copy",
             "BlockGrad", "identity", "Concat", "Reshape", "transpose", "SwapAxis", "expand_dims", "clip", "Cast",
             "elemwise_add", "broadcast_add", "_plus", "_Plus", "elemwise_sub", "broadcast_sub", "_minus", "_Minus",
             "elemwise_mul", "broadcast_mul", "_mul", "_Mul", "elemwise_div", "broadcast_div", "_div", "_Div",
             "broadcast_maximum", "_maximum", "broadcast_minimum", "_minimum", "broadcast_power", "_power",
             "_plus_scalar", "_minus_scalar", "_rminus_scalar", "_mul_scalar", "_div_scalar", "_rdiv_scalar",
             "_power_scalar", "_rpower_scalar", "_maximum_scalar", "_minimum_scalar", "sum", "mean", "max", "min",
             "prod", "Pad", "slice_axis", "dot", "batch_dot", "RNN", "_zeros")


def get_operator_support(opset_version: Optional[int] = None) -> List[str]:
    """The MXNet operators this exporter translates (as MXNet's ``get_operator_support``)."""
    return sorted(SUPPORTED)


@contextlib.contextmanager
def _rnn_emitter() -> Iterator[Dict[str, Any]]:
    """While a block is traced for ONNX export, Gluon recurrent layers become ``_unidl_rnn`` nodes over their
    parameters (the exporter emits ONNX LSTM/GRU from the layer itself); ``HybridBlock.export`` is unchanged."""
    from ..gluon.rnn.rnn_layer import _RNNLayer
    from ..symbol import _trace
    from ..symbol.symbol import _create

    blocks: Dict[str, Any] = {}

    def emit(b: Any, x: Any, *states: Any, **params: Any) -> Any:
        if states:
            raise MXNetError(f"export_model: recurrent layer '{b.name}' called with explicit states has no ONNX export")
        y = _create("_unidl_rnn", [x] + [params[k] for k in sorted(params)], {"mode": b._mode}, "fwd", "rnn")
        blocks[y.name] = b
        return y

    if _trace._EMITTERS is None:
        _trace._EMITTERS = _trace._emitters()
    old = _trace._EMITTERS
    _trace._EMITTERS = dict(old)
    _trace._EMITTERS[_RNNLayer] = emit
    try:
        yield blocks
    finally:
        _trace._EMITTERS = old


def _load_params(params: Any) -> Dict[str, np.ndarray]:
    from ..ndarray.utils import load

    if isinstance(params, (str, os.PathLike)):
        params = load(str(params))
    if isinstance(params, (list, tuple)):
        if len(params) != 2 or not all(isinstance(p, dict) for p in params):
            raise MXNetError("export_model: params as a list must be [arg_params, aux_params]")
        merged: Dict[str, Any] = {}
        merged.update(params[0])
        merged.update(params[1])
        params = merged
    if not isinstance(params, dict):
        raise MXNetError(f"export_model: params must be a dict, a [arg_params, aux_params] list or a .params path, "
                         f"got {type(params).__name__}")
    return {(k[4:] if k.startswith(("arg:", "aux:")) else k): _np(v) for k, v in params.items()}


def _vocab(sym: Any, name: str) -> int:
    from ..symbol._executor import parse_attr

    for n in sym._topo():
        if n.op == "Embedding" and n.inputs and n.inputs[0][0].name == name:
            return int(parse_attr(n.attrs.get("input_dim", "0")))
    return 0


def export_model(sym: Any, params: Any = None, in_shapes: Optional[Sequence[Sequence[int]]] = None,
                 in_types: Any = np.float32, onnx_file_path: str = "model.onnx", verbose: bool = False,
                 dynamic: bool = False, dynamic_input_shapes: Optional[Sequence[Sequence[Optional[int]]]] = None,
                 run_shape_inference: bool = False, input_type: Any = None, input_shape: Any = None,
                 opset_version: Optional[int] = None) -> str:
    """Export an MXNet model to ONNX and return ``onnx_file_path``.

    ``sym``: a Symbol, a ``-symbol.json`` path, or a (hybridizable) Gluon block (then ``params`` may be None:
    the block's own parameters are used). ``params``: a dict of name -> NDArray (``arg:``/``aux:`` prefixes
    allowed), ``[arg_params, aux_params]``, or a ``.params`` path. ``in_shapes``: one shape per data input;
    ``in_types``: one dtype or one per input. ``dynamic``: symbolic input dims (``dynamic_input_shapes`` gives
    them with None for the symbolic ones; all dims when not given). ``input_type``/``input_shape``: the old
    names of ``in_types``/``in_shapes``. The ONNX opset is ``opset_version`` (default 17).

    The model is checked with ``onnx.checker`` and run by ONNX Runtime against the MXNet model on a probe batch
    of ``in_shapes`` before anything is written; a failure raises :class:`unidl.onnx.OnnxError` (a ValueError)
    and writes nothing."""
    from unidl.onnx import OnnxError
    from unidl.onnx.check import probe_for, verify_and_write

    from ..gluon.block import Block
    from ..ndarray import array
    from ..symbol._executor import _IMPL, parse_attr
    from ..symbol.symbol import _post_order
    from ..symbol._trace import trace_block
    from ..symbol.symbol import Symbol, load as load_symbol

    if input_type is not None:
        in_types = input_type
    if input_shape is not None:
        in_shapes = input_shape
    if in_shapes is None:
        raise MXNetError("export_model: in_shapes is required (one shape per data input)")
    in_shapes = [tuple(int(d) for d in s) for s in in_shapes]
    types = list(in_types) if isinstance(in_types, (list, tuple)) else [in_types] * len(in_shapes)
    if len(types) != len(in_shapes):
        raise MXNetError(f"export_model: {len(in_shapes)} input shapes but {len(types)} input types")
    types = [np.dtype(t).name for t in types]

    block = None
    rnn_blocks: Dict[str, Any] = {}
    if isinstance(sym, Block):
        block = sym
        if not hasattr(block, "hybridize"):
            raise MXNetError("export_model: a Gluon block must be a HybridBlock to export")
        try:
            plist = list(block.collect_params().values())
            if any(p._data is None for p in plist if hasattr(p, "_data")):
                block(*[array(np.zeros(s, dtype=t)) for s, t in zip(in_shapes, types)])
        except Exception:  # noqa: BLE001 - a deferred-init forward is best effort; reading the data says why
            pass
        with _rnn_emitter() as rnn_blocks:
            sym = trace_block(block, len(in_shapes))
        pd: Dict[str, Any] = {}
        for p in block.collect_params().values():
            try:
                pd[p.name] = p.data()
            except Exception as e:  # noqa: BLE001
                raise MXNetError(f"export_model: parameter '{p.name}' is not initialized ({e}); call "
                                 "initialize() and run one forward pass first") from None
        params = pd if params is None else params
    elif isinstance(sym, (str, os.PathLike)):
        sym = load_symbol(str(sym))
    if not isinstance(sym, Symbol):
        raise MXNetError(f"export_model: sym must be a Symbol, a -symbol.json path or a HybridBlock, got "
                         f"{type(sym).__name__}")
    if params is None:
        raise MXNetError("export_model: params is required with a Symbol")
    pvals = _load_params(params)
    data_names = [n for n in sym.list_inputs() if n not in pvals]
    if len(data_names) != len(in_shapes):
        raise MXNetError(f"export_model: the graph has {len(data_names)} data inputs {data_names} (variables without "
                         f"parameters) but {len(in_shapes)} shapes were given")
    order = _post_order([n for n, _ in sym._outputs])
    attrs = {id(n): {k: parse_attr(v) for k, v in n.attrs.items() if not (k.startswith("__") and k.endswith("__"))}
             for n in order if not n.is_var}
    unsupported = [f"{n.op} (node '{n.name}')" for n in order if not n.is_var and n.op not in SUPPORTED
                   and not (n.op == "_unidl_rnn" and n.name in rnn_blocks)]
    if unsupported:
        raise OnnxError("export_model: operators with no ONNX export: " + ", ".join(unsupported))

    probes = [probe_for(s, t, batch=s[0] if s else 1, vocab=_vocab(sym, nm))
              for s, t, nm in zip(in_shapes, types, data_names)]
    # run the graph once on the probe: every node's shape (and the reference outputs for a Symbol)
    feeds = {nm: array(p, dtype=p.dtype if p.dtype.kind == "f" else "float32") for nm, p in zip(data_names, probes)}
    pnd = {k: array(v, dtype=v.dtype) for k, v in pvals.items()}
    values: Dict[int, Any] = {}
    shapes: Dict[int, Tuple[int, ...]] = {}
    for n in order:
        if n.is_var:
            v = feeds.get(n.name, pnd.get(n.name))
            if v is None:
                raise OnnxError(f"export_model: variable '{n.name}' is neither a data input nor in params")
            values[id(n)] = v
        else:
            args = [values[id(e[0])] for e in n.inputs]
            if n.op == "SoftmaxOutput":
                args = args[:1]
            if n.op == "_unidl_rnn":
                values[id(n)] = rnn_blocks[n.name](args[0])
            else:
                values[id(n)] = _IMPL[n.op](*args, **attrs[id(n)])
        shapes[id(n)] = tuple(values[id(n)].shape)
    ref_sym = [values[id(n)].asnumpy() for n, _ in sym._outputs]

    em = _Emitter(opset_version, pvals, shapes, attrs)
    em.blocks = rnn_blocks
    em.dynamic = bool(dynamic)
    for i, (nm, s, t) in enumerate(zip(data_names, in_shapes, types)):
        if dynamic:
            dyn = dynamic_input_shapes[i] if dynamic_input_shapes is not None else [None] * len(s)
            shape = [None if d is None else int(d) for d in dyn]
        else:
            shape = list(s)
        node = next(n for n in order if n.is_var and n.name == nm)
        em.vals[(id(node), 0)] = em.b.input(nm, t, shape)
    errors = []
    for n in order:
        if n.is_var:
            continue
        if any(not e[0].is_var and (id(e[0]), int(e[1])) not in em.vals for e in n.inputs):
            continue   # after a node that failed (already listed)
        try:
            em.vals[(id(n), 0)] = em.emit(n)
        except (MXNetError, OnnxError, KeyError) as e:
            errors.append(str(e))
    if errors:
        raise OnnxError("export_model: " + "; ".join(errors))
    for i, (n, idx) in enumerate(sym._outputs):
        em.b.output(em.value((n, idx)), f"{n.name}_output" if len(sym._outputs) == 1 else f"{n.name}_output{i}",
                    str(ref_sym[i].dtype))

    def reference(xs: List[np.ndarray]) -> List[np.ndarray]:
        if block is None:
            return ref_sym
        out = block(*[array(x, dtype=x.dtype if x.dtype.kind == "f" else "float32") for x in xs])
        outs = out if isinstance(out, (list, tuple)) else [out]
        return [o.asnumpy() for o in outs]

    report = verify_and_write(em.b.model("unidl-mxnet"), str(onnx_file_path), reference, probes)
    if verbose:
        print(report)
    return str(onnx_file_path)
