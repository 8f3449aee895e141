"""Build ONNX graphs from canonical layers with ``onnx.helper`` (no hand-written protobuf).

:class:`GraphBuilder` keeps unique value names, the initializers (NumPy arrays, copied exactly) and the nodes
in order; its layer methods take weights in the core's canonical layouts (``unidl.nn.canonical``) and emit the
ONNX form: dense (in, out) -> ``MatMul`` + ``Add``; conv (O, C/groups, *K) as it is (ONNX's ``W`` layout);
recurrent weights (I, gates*H) with the core's gate orders -> ONNX ``W`` (dirs, gates*H, I) in ONNX's orders
(LSTM i, o, f, c from the core's i, f, c, o; GRU z, r, h, the same, with ``linear_before_reset=1``: the core's
GRU, like MXNet's and Keras's ``reset_after=True``, applies the reset gate after the recurrent matmul).
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from . import DEFAULT_OPSET, OnnxError, require

__all__ = ["GraphBuilder", "LSTM_TO_ONNX", "lstm_to_onnx", "lstm_from_onnx"]

#: block index permutation: ONNX LSTM gate j is the core's gate LSTM_TO_ONNX[j] (core i, f, c, o; ONNX i, o, f, c)
LSTM_TO_ONNX = (0, 3, 1, 2)


def _blocks(a: np.ndarray, order: Sequence[int], axis: int) -> np.ndarray:
    parts = np.split(a, len(order), axis=axis)
    return np.ascontiguousarray(np.concatenate([parts[i] for i in order], axis=axis))


def lstm_to_onnx(a: np.ndarray, axis: int = -1) -> np.ndarray:
    """Gate blocks along ``axis`` from the core's order (i, f, c, o) to ONNX's (i, o, f, c)."""
    return _blocks(a, LSTM_TO_ONNX, axis)


def lstm_from_onnx(a: np.ndarray, axis: int = -1) -> np.ndarray:
    """Gate blocks along ``axis`` from ONNX's order (i, o, f, c) to the core's (i, f, c, o)."""
    inv = [LSTM_TO_ONNX.index(j) for j in range(4)]
    return _blocks(a, inv, axis)


_NP_TO_ONNX = {"float32": 1, "uint8": 2, "int8": 3, "int32": 6, "int64": 7, "bool": 9, "float16": 10,
               "float64": 11}


def onnx_dtype(dtype: Any) -> int:
    name = np.dtype(dtype).name
    if name not in _NP_TO_ONNX:
        raise OnnxError(f"dtype {name} has no ONNX export here (supported: {sorted(_NP_TO_ONNX)})")
    return _NP_TO_ONNX[name]


class GraphBuilder:
    """Nodes, initializers, inputs and outputs of one ONNX graph under construction."""

    def __init__(self, name: str = "unidl", opset: Optional[int] = None) -> None:
        self.onnx = require()
        self.helper = self.onnx.helper
        self.name = name
        self.opset = int(opset or DEFAULT_OPSET)
        if self.opset < 13:
            raise OnnxError(f"opset {self.opset} is too old; unidl writes opset 13 or later (default {DEFAULT_OPSET})")
        self.nodes: List[Any] = []
        self.initializers: List[Any] = []
        self.inputs: List[Any] = []
        self.outputs: List[Any] = []
        self._used: set = set()
        self._consts: Dict[Tuple, str] = {}

    # -- names, values ----------------------------------------------------------------------------------------
    def fresh(self, hint: str) -> str:
        base = "".join(c if c.isalnum() or c in "_./:-" else "_" for c in (hint or "v")) or "v"
        name, i = base, 1
        while name in self._used:
            name, i = f"{base}_{i}", i + 1
        self._used.add(name)
        return name

    def input(self, name: str, dtype: Any, shape: Sequence[Optional[Any]]) -> str:
        """A graph input; ``None`` dims become symbolic ("batch" for axis 0, else ``<name>_d<i>``)."""
        n = self.fresh(name)
        dims = [d if d is not None else ("batch" if i == 0 else f"{n}_d{i}") for i, d in enumerate(shape)]
        self.inputs.append(self.helper.make_tensor_value_info(n, onnx_dtype(dtype), dims))
        return n

    def output(self, value: str, name: Optional[str] = None, dtype: Any = "float32",
               shape: Optional[Sequence[Optional[int]]] = None) -> str:
        """Mark ``value`` as a graph output (renamed through an Identity when ``name`` is given); a shape left
        out is inferred when the model is made (``None`` dims: symbolic)."""
        if name is not None and name != value:
            out = self.fresh(name)
            self.nodes.append(self.helper.make_node("Identity", [value], [out], name=self.fresh(out + "_out")))
            value = out
        dims = None if shape is None else [d if d is not None else ("batch" if i == 0 else f"{value}_d{i}")
                                           for i, d in enumerate(shape)]
        self.outputs.append((value, onnx_dtype(dtype), dims))
        return value

    def const(self, array: Any, hint: str = "const") -> str:
        """An initializer holding exactly ``array`` (C-contiguous copy)."""
        a = np.array(array, order="C", copy=True)   # (ascontiguousarray would make a 0-d array 1-d)
        name = self.fresh(hint)
        self.initializers.append(self.onnx.numpy_helper.from_array(a, name))
        return name

    def scalar(self, value: float, dtype: Any = "float32") -> str:
        key = (np.dtype(dtype).name, float(value))
        if key not in self._consts:
            self._consts[key] = self.const(np.asarray(value, dtype=dtype), "c_" + np.dtype(dtype).name)
        return self._consts[key]

    def ints(self, values: Sequence[int], hint: str = "shape") -> str:
        return self.const(np.asarray(list(values), dtype=np.int64), hint)

    def node(self, op: str, inputs: Sequence[str], name: str = "", outputs: int = 1, **attrs: Any) -> Any:
        """Add one node; returns its output name (or a list when ``outputs`` > 1)."""
        base = name or op.lower()
        outs = [self.fresh(base if outputs == 1 else f"{base}_out{i}") for i in range(outputs)]
        attrs = {k: v for k, v in attrs.items() if v is not None}
        self.nodes.append(self.helper.make_node(op, list(inputs), outs, name=self.fresh(base + "/" + op), **attrs))
        return outs[0] if outputs == 1 else outs

    # -- canonical layers ---------------------------------------------------------------------------------------
    def transpose(self, x: str, perm: Optional[Sequence[int]], name: str = "transpose") -> str:
        if perm is None or list(perm) == sorted(perm):
            return x
        return self.node("Transpose", [x], name, perm=[int(p) for p in perm])

    def reduce(self, op: str, x: str, axes: Sequence[int], keepdims: bool, name: str) -> str:
        """ReduceMean/Max/Min/Sum/Prod over ``axes`` (an attribute before opset 18, an input from 18; always an
        input for ReduceSum)."""
        axes = [int(a) for a in axes]
        if op == "ReduceSum" or self.opset >= 18:
            return self.node(op, [x, self.ints(axes, name + "/axes")], name, keepdims=int(bool(keepdims)))
        return self.node(op, [x], name, axes=axes, keepdims=int(bool(keepdims)))

    def dense(self, x: str, weight: np.ndarray, bias: Optional[np.ndarray], name: str) -> str:
        """x @ weight (+ bias): canonical weight (in, out)."""
        y = self.node("MatMul", [x, self.const(weight, name + "/kernel")], name + "/matmul")
        if bias is not None:
            y = self.node("Add", [y, self.const(bias, name + "/bias")], name + "/bias_add")
        return y

    def conv(self, x: str, weight: np.ndarray, bias: Optional[np.ndarray], name: str, strides: Sequence[int],
             dilations: Sequence[int], group: int = 1, pads: Optional[Sequence[int]] = None,
             auto_pad: Optional[str] = None) -> str:
        """Channels-first convolution; canonical weight (O, C/groups, *K) is ONNX's ``W``."""
        ins = [x, self.const(weight, name + "/weight")]
        if bias is not None:
            ins.append(self.const(bias, name + "/bias"))
        k = weight.ndim - 2
        return self.node("Conv", ins, name, kernel_shape=list(weight.shape[2:]), strides=list(strides),
                         dilations=list(dilations), group=int(group),
                         pads=None if auto_pad else list(pads or [0] * (2 * k)), auto_pad=auto_pad)

    def conv_transpose(self, x: str, weight: np.ndarray, bias: Optional[np.ndarray], name: str,
                       strides: Sequence[int], dilations: Sequence[int], pads: Sequence[int],
                       output_padding: Sequence[int], group: int = 1) -> str:
        """Channels-first transposed convolution; canonical weight (C_in, O/groups, *K) is ONNX's ``W``."""
        ins = [x, self.const(weight, name + "/weight")]
        if bias is not None:
            ins.append(self.const(bias, name + "/bias"))
        return self.node("ConvTranspose", ins, name, kernel_shape=list(weight.shape[2:]), strides=list(strides),
                         dilations=list(dilations), group=int(group), pads=list(pads),
                         output_padding=list(output_padding))

    def batchnorm(self, x: str, gamma: np.ndarray, beta: np.ndarray, mean: np.ndarray, var: np.ndarray,
                  epsilon: float, name: str) -> str:
        """Inference batch normalisation over axis 1."""
        return self.node("BatchNormalization", [x, self.const(gamma, name + "/gamma"), self.const(beta, name + "/beta"),
                                                self.const(mean, name + "/moving_mean"),
                                                self.const(var, name + "/moving_var")], name, epsilon=float(epsilon))

    def layernorm(self, x: str, gamma: np.ndarray, beta: Optional[np.ndarray], epsilon: float, name: str,
                  axis: int = -1) -> str:
        ins = [x, self.const(gamma, name + "/gamma")]
        if beta is not None:
            ins.append(self.const(beta, name + "/beta"))
        return self.node("LayerNormalization", ins, name, axis=int(axis), epsilon=float(epsilon))

    def embedding(self, ids: str, weight: np.ndarray, name: str, ids_dtype: str = "int64") -> str:
        if ids_dtype not in ("int32", "int64"):
            ids = self.node("Cast", [ids], name + "/ids", to=7)
        return self.node("Gather", [self.const(weight, name + "/embeddings"), ids], name, axis=0)

    def rnn(self, x_tnc: str, mode: str, units: Sequence[Dict[str, np.ndarray]], hidden: int, name: str) -> str:
        """One recurrent layer (one or two directions) on a time-major (T, N, I) input; canonical units
        (i2h_weight (I, G*H), h2h_weight (H, G*H), i2h_bias, h2h_bias (G*H,)). Returns the ONNX ``Y``
        (T, dirs, N, H)."""
        if mode == "lstm":
            fix = lstm_to_onnx
            op, extra = "LSTM", {}
        elif mode == "gru":
            fix = (lambda a, axis=-1: np.ascontiguousarray(a))   # the core's z, r, h is ONNX's order
            op, extra = "GRU", {"linear_before_reset": 1}
        else:
            raise OnnxError(f"recurrent mode {mode!r} has no ONNX export (lstm and gru have)")
        W = np.stack([fix(np.ascontiguousarray(u["i2h_weight"].T), axis=0) for u in units])
        R = np.stack([fix(np.ascontiguousarray(u["h2h_weight"].T), axis=0) for u in units])
        B = np.stack([np.concatenate([fix(u["i2h_bias"]), fix(u["h2h_bias"])]) for u in units])
        direction = "bidirectional" if len(units) == 2 else "forward"
        ins = [x_tnc, self.const(W, name + "/W"), self.const(R, name + "/R"), self.const(B, name + "/B")]
        outs = self.node(op, ins, name, outputs=2 if mode == "gru" else 3, hidden_size=int(hidden),
                         direction=direction, **extra)
        return outs[0]

    def activation(self, x: str, act: str, name: str, alpha: Optional[float] = None, axis: int = -1) -> str:
        """A named activation (canonical names, Keras's spelling): relu, sigmoid, tanh, softmax, log_softmax,
        softplus, softsign, elu, selu, gelu (erf form), gelu_tanh, silu/swish, hard_sigmoid, relu6, leaky_relu,
        exponential, mish, linear."""
        act = {"swish": "silu", "softrelu": "softplus"}.get(act, act)
        simple = {"relu": "Relu", "sigmoid": "Sigmoid", "tanh": "Tanh", "softplus": "Softplus", "softsign": "Softsign",
                  "selu": "Selu", "exponential": "Exp", "abs": "Abs"}
        if act in ("linear", None, "identity"):
            return x
        if act in simple:
            return self.node(simple[act], [x], name)
        if act == "softmax":
            return self.node("Softmax", [x], name, axis=int(axis))
        if act == "log_softmax":
            return self.node("LogSoftmax", [x], name, axis=int(axis))
        if act == "elu":
            return self.node("Elu", [x], name, alpha=float(1.0 if alpha is None else alpha))
        if act == "leaky_relu":
            return self.node("LeakyRelu", [x], name, alpha=float(0.2 if alpha is None else alpha))
        if act == "hard_sigmoid":
            return self.node("HardSigmoid", [x], name, alpha=1.0 / 6.0, beta=0.5)
        if act == "relu6":
            return self.node("Clip", [x, self.scalar(0.0), self.scalar(6.0)], name)
        if act == "silu":
            return self.node("Mul", [x, self.node("Sigmoid", [x], name + "/sigmoid")], name)
        if act == "mish":
            sp = self.node("Softplus", [x], name + "/softplus")
            return self.node("Mul", [x, self.node("Tanh", [sp], name + "/tanh")], name)
        if act == "gelu":
            e = self.node("Erf", [self.node("Div", [x, self.scalar(float(np.sqrt(2.0)))], name + "/scale")], name + "/erf")
            h = self.node("Mul", [self.node("Add", [e, self.scalar(1.0)], name + "/one"), self.scalar(0.5)], name + "/half")
            return self.node("Mul", [x, h], name)
        if act == "gelu_tanh":
            x3 = self.node("Mul", [self.node("Mul", [x, x], name + "/sq"), x], name + "/cube")
            inner = self.node("Add", [x, self.node("Mul", [x3, self.scalar(0.044715)], name + "/c")], name + "/in")
            t = self.node("Tanh", [self.node("Mul", [inner, self.scalar(float(np.sqrt(2 / np.pi)))], name + "/k")],
                          name + "/tanh")
            h = self.node("Mul", [self.node("Add", [t, self.scalar(1.0)], name + "/one"), self.scalar(0.5)], name + "/half")
            return self.node("Mul", [x, h], name)
        raise OnnxError(f"activation {act!r} ({name}) has no ONNX export")

    # -- the model -------------------------------------------------------------------------------------------------
    def model(self, producer: str = "unidl") -> Any:
        inferred: Dict[str, Any] = {}
        if any(d is None for _, _, d in self.outputs):
            probe = self.helper.make_graph(self.nodes, self.name, self.inputs, [], self.initializers)
            m = self.helper.make_model(probe, opset_imports=[self.helper.make_opsetid("", self.opset)])
            try:
                m = self.onnx.shape_inference.infer_shapes(m)
                inferred = {vi.name: vi for vi in m.graph.value_info}
            except Exception:  # noqa: BLE001 - shapes stay unknown; the checker reports real problems
                inferred = {}
        outs = []
        for value, elem, dims in self.outputs:
            if dims is None and value in inferred and inferred[value].type.tensor_type.HasField("shape"):
                vi = self.onnx.ValueInfoProto()
                vi.CopyFrom(inferred[value])
                outs.append(vi)
                continue
            outs.append(self.helper.make_tensor_value_info(value, elem, dims if dims is not None else []))
        graph = self.helper.make_graph(self.nodes, self.name, self.inputs, outs, self.initializers)
        m = self.helper.make_model(graph, producer_name=producer,
                                   opset_imports=[self.helper.make_opsetid("", self.opset)])
        m.ir_version = min(m.ir_version, 8 if self.opset <= 18 else 10)   # what ONNX Runtime 1.17+ reads
        return m
