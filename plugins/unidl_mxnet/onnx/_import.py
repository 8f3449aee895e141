"""ONNX -> a Gluon ``SymbolBlock``: ``mx.onnx.import_to_gluon``, ``import_model``, ``unidl.onnx.load(.., "mxnet")``.

The ONNX graph (read and checked by :func:`unidl.onnx.reader.read`) becomes an MXNet symbol graph, one MXNet
operator per ONNX node (``Gemm`` -> ``FullyConnected``, ``MatMul`` + ``Add`` on weights ->
``FullyConnected(flatten=False)``, ``Conv`` -> ``Convolution``, ``Gather`` on a table -> ``Embedding``, ...).
Initializers that are weights become variables, then the block's parameters, holding exactly the file's values
(``FullyConnected`` keeps (out, in): a ``MatMul`` weight is stored transposed, an exact copy). Parameters are
trainable (BatchNorm's moving statistics are auxiliary states, as in MXNet). The block runs, hybridizes,
``export`` s to ``-symbol.json`` / ``.params`` and fine-tunes like any SymbolBlock.
"""
from __future__ import annotations

import math
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from ..base import MXNetError

__all__ = ["import_graph", "import_to_gluon", "import_model", "run_model", "SUPPORTED_ONNX"]

SUPPORTED_ONNX = ("Conv", "ConvTranspose", "Gemm", "MatMul", "Add", "Sub", "Mul", "Div", "Max", "Min", "Pow", "Relu",
                  "Sigmoid", "Tanh", "Softplus", "Softsign", "Elu", "Selu", "LeakyRelu", "Gelu", "Softmax",
                  "LogSoftmax", "Exp", "Log", "Sqrt", "Abs", "Neg", "Erf", "BatchNormalization", "LayerNormalization",
                  "Gather", "Cast", "Flatten", "Reshape", "Transpose", "Concat", "MaxPool", "AveragePool",
                  "GlobalAveragePool", "GlobalMaxPool", "ReduceMean", "ReduceMax", "ReduceMin", "ReduceSum",
                  "Identity", "Dropout", "Clip", "Unsqueeze", "PRelu", "Pad", "LSTM", "GRU")

_ACT = {"Relu": "relu", "Sigmoid": "sigmoid", "Tanh": "tanh", "Softplus": "softrelu", "Softsign": "softsign"}
_UNARY = {"Exp": "exp", "Log": "log", "Sqrt": "sqrt", "Abs": "abs", "Neg": "negative", "Erf": "erf"}
_BINARY = {"Add": ("broadcast_add", "_plus_scalar", "_plus_scalar"),
           "Sub": ("broadcast_sub", "_minus_scalar", "_rminus_scalar"),
           "Mul": ("broadcast_mul", "_mul_scalar", "_mul_scalar"),
           "Div": ("broadcast_div", "_div_scalar", "_rdiv_scalar"),
           "Max": ("broadcast_maximum", "_maximum_scalar", "_maximum_scalar"),
           "Min": ("broadcast_minimum", "_minimum_scalar", "_minimum_scalar"),
           "Pow": ("broadcast_power", "_power_scalar", "_rpower_scalar")}
_DT = {"float32": "float32", "float64": "float64", "float16": "float16", "int32": "int32", "int64": "int64",
       "int8": "int8", "uint8": "uint8", "bool": "bool"}


def _same_pads(in_sp: Sequence[Optional[int]], k: Sequence[int], s: Sequence[int], d: Sequence[int],
               upper: bool, op: str, name: str) -> List[int]:
    if any(v is None for v in in_sp):
        raise MXNetError(f"ONNX import: {op} '{name}' uses auto_pad SAME with unknown spatial sizes")
    tot = [max((math.ceil(i / st) - 1) * st + (kk - 1) * dd + 1 - i, 0) for i, kk, st, dd in zip(in_sp, k, s, d)]
    small = [t // 2 for t in tot]
    big = [t - t // 2 for t in tot]
    return (small + big) if upper else (big + small)


class _Builder:
    def __init__(self, graph: Any) -> None:
        from ..symbol import op as S
        from ..symbol.symbol import var

        self.g, self.S, self.var = graph, S, var
        self.vals: Dict[str, Any] = {}
        self.params: Dict[str, np.ndarray] = {}
        self.used: set = set()
        self.skip: set = set()

    def pname(self, hint: str) -> str:
        base = "".join(c if c.isalnum() or c in "_." else "_" for c in hint) or "param"
        name, i = base, 1
        while name in self.used:
            name, i = f"{base}_{i}", i + 1
        self.used.add(name)
        return name

    def weight(self, array: np.ndarray, hint: str) -> Any:
        name = self.pname(hint)
        a = np.array(array, order="C", copy=True)
        self.params[name] = a
        return self.var(name, shape=a.shape, dtype=a.dtype)

    def init(self, name: str) -> Optional[np.ndarray]:
        return self.g.initializers.get(name)

    def val(self, name: str) -> Any:
        if name in self.vals:
            return self.vals[name]
        a = self.init(name)
        if a is None:
            raise MXNetError(f"ONNX import: value '{name}' is not available")
        self.vals[name] = self.weight(a, name)
        return self.vals[name]

    def shape(self, name: str) -> Optional[Tuple]:
        return self.g.shapes.get(name)

    def scalar(self, name: str) -> Optional[float]:
        a = self.init(name)
        return float(a.reshape(())) if a is not None and a.size == 1 else None

    def pad_split(self, n: Any, k: int, in_name: str, kernel: Sequence[int], strides: Sequence[int],
                  dil: Sequence[int]) -> Tuple[Any, List[int]]:
        """(input, symmetric pads) for a conv/pool; asymmetric padding becomes an explicit Pad first."""
        auto = n.attrs.get("auto_pad", "NOTSET")
        if auto in ("SAME_UPPER", "SAME_LOWER"):
            sp = (self.shape(in_name) or (None,) * (k + 2))[2:]
            pads = _same_pads(sp, kernel, strides, dil, auto == "SAME_UPPER", n.op, n.name)
        elif auto == "VALID":
            pads = [0] * (2 * k)
        else:
            pads = [int(p) for p in n.attrs.get("pads", [0] * (2 * k))]
        x = self.val(in_name)
        begin, end = pads[:k], pads[k:]
        if begin == end:
            return x, begin
        if n.op == "MaxPool":
            raise MXNetError(f"ONNX import: MaxPool '{n.name}' with asymmetric padding {pads} has no MXNet form")
        if n.op == "AveragePool" and n.attrs.get("count_include_pad", 0) == 0:
            raise MXNetError(f"ONNX import: AveragePool '{n.name}' excluding asymmetric padding {pads} has no MXNet "
                             "form")
        pw = [0, 0, 0, 0] + [v for pair in zip(begin, end) for v in pair]
        return self.S.Pad(x, mode="constant", pad_width=tuple(pw), constant_value=0.0, name=n.name + "_pad"), [0] * k

    def node(self, n: Any) -> Any:
        S, op, name, a = self.S, n.op, n.name, n.attrs
        ins = n.inputs
        if op in ("Identity", "Dropout"):
            return self.val(ins[0])
        if op == "Conv" or op == "ConvTranspose":
            w = self.init(ins[1])
            if w is None:
                raise MXNetError(f"ONNX import: {op} '{name}' needs its weight W as an initializer")
            k = w.ndim - 2
            kernel = [int(v) for v in a.get("kernel_shape", w.shape[2:])]
            strides = [int(v) for v in a.get("strides", [1] * k)]
            dil = [int(v) for v in a.get("dilations", [1] * k)]
            group = int(a.get("group", 1))
            bias = ins[2] if len(ins) > 2 and ins[2] else None
            kw = dict(kernel=tuple(kernel), stride=tuple(strides), dilate=tuple(dil), num_group=group,
                      no_bias=bias is None, layout={1: "NCW", 2: "NCHW", 3: "NCDHW"}[k], name=name)
            if op == "Conv":
                x, pad = self.pad_split(n, k, ins[0], kernel, strides, dil)
                return S.Convolution(x, self.val(ins[1]), None if bias is None else self.val(bias), pad=tuple(pad),
                                     num_filter=int(w.shape[0]), **kw)
            pads = [int(p) for p in a.get("pads", [0] * (2 * k))]
            if pads[:k] != pads[k:] or a.get("auto_pad", "NOTSET") not in ("NOTSET", "VALID") or "output_shape" in a:
                raise MXNetError(f"ONNX import: ConvTranspose '{name}' with asymmetric pads / auto_pad / output_shape "
                                 "has no MXNet form")
            return S.Deconvolution(self.val(ins[0]), self.val(ins[1]), None if bias is None else self.val(bias),
                                   pad=tuple(pads[:k]), adj=tuple(int(v) for v in a.get("output_padding", [0] * k)),
                                   num_filter=int(w.shape[1]) * group, **kw)
        if op == "Gemm":
            w = self.init(ins[1])
            if w is None or a.get("transA", 0) or float(a.get("alpha", 1.0)) != 1.0 or float(a.get("beta", 1.0)) != 1.0:
                raise MXNetError(f"ONNX import: Gemm '{name}' imports only as x @ W(+C) with W an initializer "
                                 "(transA=0, alpha=beta=1)")
            wt = w if a.get("transB", 0) else np.ascontiguousarray(w.T)
            weight = self.weight(wt, ins[1])
            bias = ins[2] if len(ins) > 2 and ins[2] else None
            b = None
            if bias is not None:
                c = self.init(bias)
                if c is None or c.size != wt.shape[0]:
                    raise MXNetError(f"ONNX import: Gemm '{name}': C must be a ({wt.shape[0]},) initializer")
                b = self.weight(c.reshape(-1), bias)
            return S.FullyConnected(self.val(ins[0]), weight, b, num_hidden=int(wt.shape[0]), no_bias=b is None,
                                    flatten=True, name=name)
        if op == "MatMul":
            w = self.init(ins[1])
            if w is None and self.init(ins[0]) is None:
                r0, r1 = len(self.shape(ins[0]) or ()), len(self.shape(ins[1]) or ())
                if r0 == r1 == 2:
                    return S.dot(self.val(ins[0]), self.val(ins[1]), name=name)
                if r0 == r1 and r0 >= 3:
                    return S.batch_dot(self.val(ins[0]), self.val(ins[1]), name=name)
                raise MXNetError(f"ONNX import: MatMul '{name}' of ranks {r0} and {r1} has no MXNet form")
            if w is None or w.ndim != 2:
                raise MXNetError(f"ONNX import: MatMul '{name}' imports only with a 2-d weight initializer")
            users = self.g.consumers(n.outputs[0])
            bias = None
            if len(users) == 1 and users[0].op == "Add" and n.outputs[0] in users[0].inputs:
                other = [v for v in users[0].inputs if v != n.outputs[0]]
                c = self.init(other[0]) if len(other) == 1 else None
                if c is not None and c.shape in ((w.shape[1],), (1, w.shape[1])):
                    bias = (other[0], c.reshape(-1))
                    self.skip.add(id(users[0]))
            weight = self.weight(np.ascontiguousarray(w.T), ins[1])
            b = None if bias is None else self.weight(bias[1], bias[0])
            y = S.FullyConnected(self.val(ins[0]), weight, b, num_hidden=int(w.shape[1]), no_bias=b is None,
                                 flatten=False, name=name)
            if bias is not None:
                self.vals[users[0].outputs[0]] = y
            return y
        if op in _BINARY:
            full, sc, rsc = _BINARY[op]
            s0, s1 = self.scalar(ins[0]), self.scalar(ins[1])
            if s1 is not None and ins[0] not in self.g.initializers:
                return getattr(S, sc)(self.val(ins[0]), scalar=s1, name=name)
            if s0 is not None and ins[1] not in self.g.initializers:
                return getattr(S, rsc)(self.val(ins[1]), scalar=s0, name=name)
            return getattr(S, full)(self.val(ins[0]), self.val(ins[1]), name=name)
        if op in _ACT:
            return S.Activation(self.val(ins[0]), act_type=_ACT[op], name=name)
        if op in _UNARY:
            return getattr(S, _UNARY[op])(self.val(ins[0]), name=name)
        if op == "LeakyRelu":
            return S.LeakyReLU(self.val(ins[0]), act_type="leaky", slope=float(a.get("alpha", 0.01)), name=name)
        if op == "Elu":
            return S.LeakyReLU(self.val(ins[0]), act_type="elu", slope=float(a.get("alpha", 1.0)), name=name)
        if op == "Selu":
            if abs(float(a.get("alpha", 1.67326319)) - 1.6732632) > 1e-5 or abs(float(a.get("gamma", 1.05070102)) - 1.0507010) > 1e-5:
                raise MXNetError(f"ONNX import: Selu '{name}' with non-standard alpha/gamma has no MXNet form")
            return S.LeakyReLU(self.val(ins[0]), act_type="selu", name=name)
        if op == "Gelu":
            if a.get("approximate", "none") != "none":
                raise MXNetError(f"ONNX import: Gelu '{name}' approximate={a['approximate']} has no MXNet form")
            return S.LeakyReLU(self.val(ins[0]), act_type="gelu", name=name)
        if op == "PRelu":
            slope = self.init(ins[1])
            if slope is None:
                raise MXNetError(f"ONNX import: PRelu '{name}' needs its slope as an initializer")
            return S.LeakyReLU(self.val(ins[0]), self.weight(slope.reshape(-1), ins[1]), act_type="prelu", name=name)
        if op in ("Softmax", "LogSoftmax"):
            axis = int(a.get("axis", -1))
            return (S.softmax if op == "Softmax" else S.log_softmax)(self.val(ins[0]), axis=axis, name=name)
        if op == "BatchNormalization":
            if len(n.outputs) > 1 and any(n.outputs[1:]):
                raise MXNetError(f"ONNX import: BatchNormalization '{name}' in training mode (extra outputs)")
            return S.BatchNorm(*[self.val(v) for v in ins[:5]], eps=float(a.get("epsilon", 1e-5)),
                               momentum=float(a.get("momentum", 0.9)), fix_gamma=False, axis=1, name=name)
        if op == "LayerNormalization":
            shp = self.shape(ins[0])
            axis = int(a.get("axis", -1))
            if shp is not None and axis % len(shp) != len(shp) - 1:
                raise MXNetError(f"ONNX import: LayerNormalization '{name}' over axes from {axis} has no MXNet form "
                                 "(the last axis only)")
            g = self.init(ins[1])
            beta = self.val(ins[2]) if len(ins) > 2 and ins[2] else self.weight(np.zeros_like(g), name + "_beta")
            return S.LayerNorm(self.val(ins[0]), self.val(ins[1]), beta, axis=-1,
                               eps=float(a.get("epsilon", 1e-5)), name=name)
        if op == "Gather" and self.init(ins[0]) is None:
            idx, shp = self.init(ins[1]), self.shape(ins[0])
            axis = int(a.get("axis", 0))
            if idx is None or idx.ndim != 0 or shp is None or axis % len(shp) == 0 or \
                    any(d is None for d in shp[axis % len(shp) + 1:]):
                raise MXNetError(f"ONNX import: Gather '{name}' of a tensor imports only with a constant scalar index "
                                 "on a non-batch axis with known trailing dims")
            axis %= len(shp)
            i = int(idx)
            y = S.slice_axis(self.val(ins[0]), axis=axis, begin=i, end=None if i == -1 else i + 1, name=name + "_take")
            rest = [int(d) for d in shp[axis + 1:]]
            return S.Reshape(y, shape=tuple([0] * axis + rest), name=name)
        if op == "Gather":
            table = self.init(ins[0])
            if table is None or int(a.get("axis", 0)) != 0 or table.ndim != 2:
                raise MXNetError(f"ONNX import: Gather '{name}' imports only as an embedding (a 2-d table initializer, "
                                 "axis 0)")
            return S.Embedding(self.val(ins[1]), self.val(ins[0]), input_dim=int(table.shape[0]),
                               output_dim=int(table.shape[1]), dtype=str(table.dtype), name=name)
        if op == "Cast":
            to = int(a.get("to", 1))
            if to in (6, 7) and all(c.op == "Gather" and c.inputs[1] == n.outputs[0] for c in
                                    self.g.consumers(n.outputs[0])):
                return self.val(ins[0])   # ids for an embedding: MXNet takes them in any dtype
            names = {1: "float32", 11: "float64", 10: "float16", 6: "int32", 7: "int64", 3: "int8", 2: "uint8"}
            if to not in names:
                raise MXNetError(f"ONNX import: Cast '{name}' to ONNX type {to} has no MXNet form")
            return S.Cast(self.val(ins[0]), dtype=names[to], name=name)
        if op == "Flatten":
            axis = int(a.get("axis", 1))
            if axis == 1:
                return S.Flatten(self.val(ins[0]), name=name)
            shp = self.shape(ins[0])
            if shp is None or any(d is None for d in shp[axis:]) or axis == 0:
                raise MXNetError(f"ONNX import: Flatten '{name}' at axis {axis} needs known trailing dims")
            return S.Reshape(self.val(ins[0]), shape=tuple([0] * axis + [int(np.prod(shp[axis:]))]) if axis > 1
                             else (0, -1), name=name)
        if op == "Reshape":
            shape = self.init(ins[1])
            if shape is None or int(a.get("allowzero", 0)):
                raise MXNetError(f"ONNX import: Reshape '{name}' needs a constant shape (and allowzero=0)")
            return S.Reshape(self.val(ins[0]), shape=tuple(int(v) for v in shape), name=name)
        if op == "Transpose":
            perm = a.get("perm")
            return S.transpose(self.val(ins[0]), axes=tuple(int(p) for p in perm) if perm else (), name=name)
        if op == "Concat":
            return S.concat(*[self.val(v) for v in ins], dim=int(a["axis"]), name=name)
        if op == "Unsqueeze":
            axes = self.init(ins[1]) if len(ins) > 1 else np.asarray(a.get("axes", []))
            if axes is None or axes.size != 1:
                raise MXNetError(f"ONNX import: Unsqueeze '{name}' imports with one constant axis")
            return S.expand_dims(self.val(ins[0]), axis=int(axes.reshape(-1)[0]), name=name)
        if op == "Clip":
            lo = self.scalar(ins[1]) if len(ins) > 1 and ins[1] else float(a.get("min", -3.4e38))
            hi = self.scalar(ins[2]) if len(ins) > 2 and ins[2] else float(a.get("max", 3.4e38))
            if lo is None or hi is None:
                raise MXNetError(f"ONNX import: Clip '{name}' needs constant bounds")
            return S.clip(self.val(ins[0]), a_min=lo, a_max=hi, name=name)
        if op in ("MaxPool", "AveragePool"):
            k = len(a["kernel_shape"])
            kernel = [int(v) for v in a["kernel_shape"]]
            strides = [int(v) for v in a.get("strides", [1] * k)]
            if any(int(v) != 1 for v in a.get("dilations", [1] * k)) or a.get("storage_order", 0):
                raise MXNetError(f"ONNX import: {op} '{name}' with dilations/storage_order has no MXNet form")
            x, pad = self.pad_split(n, k, ins[0], kernel, strides, [1] * k)
            kw: Dict[str, Any] = {}
            if op == "AveragePool":
                kw["count_include_pad"] = bool(a.get("count_include_pad", 0))
            return S.Pooling(x, kernel=tuple(kernel), stride=tuple(strides), pad=tuple(pad),
                             pool_type="max" if op == "MaxPool" else "avg",
                             pooling_convention="full" if a.get("ceil_mode", 0) else "valid", name=name, **kw)
        if op in ("GlobalAveragePool", "GlobalMaxPool"):
            shp = self.shape(ins[0])
            k = (len(shp) - 2) if shp else 2
            return S.Pooling(self.val(ins[0]), kernel=(1,) * k, global_pool=True,
                             pool_type="avg" if op == "GlobalAveragePool" else "max", name=name)
        if op in ("ReduceMean", "ReduceMax", "ReduceMin", "ReduceSum"):
            axes = a.get("axes")
            if len(ins) > 1 and ins[1]:
                c = self.init(ins[1])
                if c is None:
                    raise MXNetError(f"ONNX import: {op} '{name}' needs constant axes")
                axes = [int(v) for v in c.reshape(-1)]
            fn = {"ReduceMean": S.mean, "ReduceMax": S.max, "ReduceMin": S.min, "ReduceSum": S.sum}[op]
            return fn(self.val(ins[0]), axis=None if not axes else tuple(int(v) for v in axes),
                      keepdims=bool(a.get("keepdims", 1)), name=name)
        if op == "Pad":
            pads = self.init(ins[1])
            if pads is None or a.get("mode", "constant") not in ("constant", "reflect", "edge"):
                raise MXNetError(f"ONNX import: Pad '{name}' needs constant pads")
            r = pads.size // 2
            pw = tuple(int(v) for pair in zip(pads[:r], pads[r:]) for v in pair)
            cv = self.scalar(ins[2]) if len(ins) > 2 and ins[2] else 0.0
            return S.Pad(self.val(ins[0]), mode=a.get("mode", "constant"), pad_width=pw, constant_value=cv or 0.0,
                         name=name)
        if op in ("LSTM", "GRU"):
            return self.rnn(n)
        raise MXNetError(f"ONNX import: op {op} (node '{name}') has no MXNet form")

    def rnn(self, n: Any) -> Any:
        """ONNX LSTM/GRU -> MXNet's fused ``RNN`` operator (time-major, as ONNX): one flat ``parameters``
        vector (every direction's i2h/h2h weights, then biases, MXNet's gate orders: LSTM i, f, c, o; GRU r, z,
        n), zero states from ``_zeros`` with the batch left to inference; its (T, N, D*H) output is reshaped and
        transposed to ONNX's Y (T, D, N, H)."""
        from unidl.onnx.graph import lstm_from_onnx

        S, a, ins, op, name = self.S, n.attrs, n.inputs, n.op, n.name
        if any(o for o in n.outputs[1:]) and any(self.g.consumers(o) for o in n.outputs[1:] if o):
            raise MXNetError(f"ONNX import: {op} '{name}': its final-state outputs Y_h/Y_c have no MXNet form")
        W, R = self.init(ins[1]), self.init(ins[2])
        if W is None or R is None or any(v for v in ins[4:]):
            raise MXNetError(f"ONNX import: {op} '{name}' needs W, R (and B) as initializers and no sequence_lens / "
                             "initial states / peepholes")
        H = int(a.get("hidden_size", R.shape[-1]))
        G = 4 if op == "LSTM" else 3
        direction = a.get("direction", "forward")
        D = 2 if direction == "bidirectional" else 1
        default_acts = (["Sigmoid", "Tanh", "Tanh"] if op == "LSTM" else ["Sigmoid", "Tanh"]) * D
        if direction == "reverse" or W.shape[:2] != (D, G * H) or R.shape != (D, G * H, H) or \
                a.get("activations", default_acts) != default_acts or a.get("clip") is not None or \
                int(a.get("input_forget", 0)) or int(a.get("layout", 0)) or \
                (op == "GRU" and int(a.get("linear_before_reset", 0)) != 1):
            raise MXNetError(f"ONNX import: {op} '{name}' (direction {direction}, W {W.shape}, activations, clip, "
                             "layout, linear_before_reset) has no MXNet form")
        B = self.init(ins[3]) if len(ins) > 3 and ins[3] else np.zeros((D, 2 * G * H), W.dtype)
        if B is None or B.shape != (D, 2 * G * H):
            raise MXNetError(f"ONNX import: {op} '{name}' needs B as a ({D}, {2 * G * H}) initializer")
        if op == "LSTM":
            fix = lambda v: lstm_from_onnx(v, 0)   # noqa: E731 - ONNX i, o, f, c -> MXNet i, f, c, o
        else:
            order = [1, 0, 2]   # ONNX z, r, h -> MXNet r, z, n

            def fix(v: np.ndarray) -> np.ndarray:
                parts = np.split(v, 3, axis=0)
                return np.concatenate([parts[i] for i in order], axis=0)
        ws = [fix(m[d]).reshape(-1) for d in range(D) for m in (W, R)]
        bs = [fix(B[d][k * G * H:(k + 1) * G * H]) for d in range(D) for k in (0, 1)]
        flat = np.ascontiguousarray(np.concatenate(ws + bs))
        params = self.weight(flat, name + "_parameters")
        state = S._zeros(shape=(D, 0, H), dtype=str(W.dtype), name=name + "_begin_state")
        args = [self.val(ins[0]), params, state] + ([state] if op == "LSTM" else [])
        y = S.RNN(*args, state_size=H, num_layers=1, bidirectional=D == 2, mode=op.lower(), p=0.0,
                  state_outputs=False, name=name)
        y = S.Reshape(y, shape=(0, 0, D, H), name=name + "_split_directions")
        return S.transpose(y, axes=(0, 2, 1, 3), name=name + "_y")


def import_graph(graph: Any) -> Any:
    """The SymbolBlock of a checked :class:`unidl.onnx.reader.Graph` (parameters set to the file's values)."""
    from ..gluon.symbol_block import SymbolBlock
    from ..ndarray import array
    from ..symbol.symbol import Group

    graph.check_ops(SUPPORTED_ONNX, "ONNX ops with no MXNet import")
    b = _Builder(graph)
    inputs = []
    for name, _dtype, _shape in graph.inputs:
        v = b.var(name)
        b.used.add(name)
        b.vals[name] = v
        inputs.append(v)
    for n in graph.nodes:
        if id(n) in b.skip:
            continue
        y = b.node(n)
        if n.outputs[0] not in b.vals:
            b.vals[n.outputs[0]] = y
    outs = [b.val(name) for name, _, _ in graph.outputs]
    sym = outs[0] if len(outs) == 1 else Group(outs)
    net = SymbolBlock(sym, inputs)
    params = {p.name: p for p in net.collect_params().values()}
    for name, arr in b.params.items():
        p = params.get(name)
        if p is None:
            continue   # a constant the graph does not use
        p.shape = arr.shape
        p.initialize()
        p.set_data(array(arr, dtype=arr.dtype))
    return net


def run_model(net: Any, probes: List[np.ndarray]) -> List[np.ndarray]:
    from ..ndarray import array

    out = net(*[array(p, dtype=p.dtype if p.dtype.kind == "f" else "float32") for p in probes])
    outs = out if isinstance(out, (list, tuple)) else [out]
    return [o.asnumpy() for o in outs]


def import_to_gluon(model_file: str, ctx: Any = None) -> Any:
    """The ONNX model at ``model_file`` as a Gluon ``SymbolBlock`` (trainable parameters with the file's
    values), checked against ONNX Runtime on a probe batch."""
    import unidl.onnx

    return unidl.onnx.load(model_file, face="mxnet")


def import_model(model_file: str) -> Tuple[Any, Dict[str, Any], Dict[str, Any]]:
    """``(sym, arg_params, aux_params)`` of the ONNX model at ``model_file`` (MXNet 1.x's
    ``mx.contrib.onnx.import_model``)."""
    net = import_to_gluon(model_file)
    aux = set(net._graph.list_auxiliary_states())
    args, auxs = {}, {}
    for p in net.collect_params().values():
        (auxs if p.name in aux else args)[p.name] = p.data()
    return net._graph, args, auxs
