"""ONNX -> a functional Keras model (``unidl.onnx.load(path, face="keras")``, ``unidl convert m.onnx m.keras``).

One Keras layer per ONNX node, channels-first where ONNX is (``Conv`` -> ``Conv2D(data_format="channels_first")``
...), weights written through the canonical units of :mod:`unidl_keras.canonical` so they are exactly the file's
values (a ``Gemm`` with ``transB=1`` or a ``MatMul`` weight is transposed exactly into Keras's (in, out) kernel).
Ops with no Keras layer (arithmetic with a constant, ``Div``) become :class:`OnnxConstantOp` /
:class:`OnnxBinaryOp` layers, registered for ``.keras`` saving. The model is trainable: every weight is a Keras
variable (BatchNormalization's moving statistics non-trainable, as in Keras).
"""
from __future__ import annotations

import math
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from unidl.onnx import OnnxError

from .layers.layer import Layer
from .saving.object_registration import register_keras_serializable

__all__ = ["build", "SUPPORTED_ONNX", "OnnxConstantOp", "OnnxBinaryOp"]

SUPPORTED_ONNX = ("Conv", "ConvTranspose", "Gemm", "MatMul", "Add", "Sub", "Mul", "Div", "Max", "Min", "Pow", "Relu",
                  "Sigmoid", "Tanh", "Softplus", "Softsign", "Elu", "Selu", "LeakyRelu", "Gelu", "HardSigmoid",
                  "Softmax", "LogSoftmax", "Exp", "BatchNormalization", "LayerNormalization", "Gather", "Cast",
                  "Flatten", "Reshape", "Transpose", "Concat", "MaxPool", "AveragePool", "GlobalAveragePool",
                  "GlobalMaxPool", "ReduceMean", "ReduceMax", "Identity", "Dropout", "Clip", "Pad", "LSTM", "GRU", "Slice")

_BIN = {"Add": "add", "Sub": "subtract", "Mul": "multiply", "Div": "divide", "Max": "maximum", "Min": "minimum",
        "Pow": "power"}


def _broadcast(a: Tuple, b: Tuple) -> Tuple:
    """NumPy broadcasting of two shapes with None (unknown) dims."""
    n = max(len(a), len(b))
    a, b = (1,) * (n - len(a)) + tuple(a), (1,) * (n - len(b)) + tuple(b)
    return tuple(y if x == 1 else x if y == 1 else (x if x is not None else y) for x, y in zip(a, b))


def _apply(op: str, a: Any, b: Any) -> Any:
    from . import ops

    return getattr(ops, op)(a, b)


@register_keras_serializable(package="unidl_onnx")
class OnnxConstantOp(Layer):
    """``x <op> constant`` (or ``constant <op> x`` with ``constant_first``) for an ONNX arithmetic node with a
    constant operand; the constant is part of the config (not a weight)."""

    def __init__(self, op: str, constant: Any, constant_first: bool = False, dtype_name: str = "float32",
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.op = op
        self.constant = np.asarray(constant, dtype=dtype_name)
        self.constant_first = bool(constant_first)
        self.dtype_name = dtype_name
        self.built = True

    def call(self, x: Any) -> Any:
        from . import ops

        c = ops.convert_to_tensor(self.constant)
        return _apply(self.op, c, x) if self.constant_first else _apply(self.op, x, c)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return _broadcast(tuple(input_shape), self.constant.shape)

    def get_config(self) -> Dict[str, Any]:
        cfg = super().get_config()
        cfg.update(op=self.op, constant=self.constant.tolist(), constant_first=self.constant_first,
                   dtype_name=self.dtype_name)
        return cfg


@register_keras_serializable(package="unidl_onnx")
class OnnxBinaryOp(Layer):
    """``a <op> b`` for two tensors (ONNX ``Div``, ``Pow``, broadcasting arithmetic)."""

    def __init__(self, op: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.op = op
        self.built = True

    def call(self, inputs: Any) -> Any:
        a, b = inputs
        return _apply(self.op, a, b)

    def compute_output_shape(self, input_shape: Any) -> Any:
        a, b = tuple(input_shape[0]), tuple(input_shape[1])
        if self.op == "matmul":
            return _broadcast(a[:-2], b[:-2]) + (a[-2], b[-1])
        return _broadcast(a, b)

    def get_config(self) -> Dict[str, Any]:
        cfg = super().get_config()
        cfg.update(op=self.op)
        return cfg


def _same_pads(in_sp: Sequence[Optional[int]], k: Sequence[int], s: Sequence[int], d: Sequence[int]) -> Optional[List[int]]:
    if any(v is None for v in in_sp):
        return None
    tot = [max((math.ceil(i / st) - 1) * st + (kk - 1) * dd + 1 - i, 0) for i, kk, st, dd in zip(in_sp, k, s, d)]
    return [t // 2 for t in tot] + [t - t // 2 for t in tot]


class _Deferred:
    """A value Keras cannot hold as it is because its batch axis is not first (time-major sequences around ONNX
    LSTM/GRU nodes): ``base.transpose(perm)``, where ``base`` is a batch-first Keras tensor (N, T, C), seen as
    (N, T, D, H) when ``split`` = (D, H). Transposes compose into ``perm``; the reshapes that merge or split
    the direction axis of time-major values change ``split``; once ``perm`` is the identity the value is a Keras
    tensor again."""

    def __init__(self, base: Any, perm: Sequence[int], split: Optional[Tuple[int, int]], node: str) -> None:
        self.base, self.perm, self.split, self.node = base, tuple(perm), split, node


@register_keras_serializable(package="unidl_onnx")
class OnnxTakeStep(Layer):
    """``x[:, index]`` along ``axis`` (ONNX ``Gather`` with a constant scalar index on a non-batch axis)."""

    def __init__(self, index: int, axis: int = 1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.index, self.axis = int(index), int(axis)
        self.built = True

    def call(self, x: Any) -> Any:
        from . import ops

        return ops.take(x, self.index, axis=self.axis)

    def compute_output_shape(self, input_shape: Any) -> Any:
        s = list(input_shape)
        del s[self.axis]
        return tuple(s)

    def get_config(self) -> Dict[str, Any]:
        cfg = super().get_config()
        cfg.update(index=self.index, axis=self.axis)
        return cfg


@register_keras_serializable(package="unidl_onnx")
class OnnxBatchReshape(Layer):
    """Reshape including the batch axis to a fixed ``shape`` (ONNX ``Reshape`` that folds another axis into the
    batch or splits it out, as Gluon's multi-head attention does); valid for the export's batch size."""

    def __init__(self, shape: Sequence[int], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.shape = tuple(int(d) for d in shape)
        self.built = True

    def call(self, x: Any) -> Any:
        from . import ops

        if int(np.prod(x.shape)) != int(np.prod(self.shape)):
            raise ValueError(f"OnnxBatchReshape '{self.name}': the ONNX graph reshapes the batch axis for a fixed "
                             f"batch; input of shape {tuple(x.shape)} cannot become {self.shape}")
        return ops.reshape(x, self.shape)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return self.shape

    def get_config(self) -> Dict[str, Any]:
        cfg = super().get_config()
        cfg.update(shape=list(self.shape))
        return cfg


@register_keras_serializable(package="unidl_onnx")
class OnnxSlice(Layer):
    """``x[..., start:end, ...]`` along one non-batch ``axis`` (ONNX ``Slice`` with constant bounds, step 1)."""

    def __init__(self, start: int, end: int, axis: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.start, self.end, self.axis = int(start), int(end), int(axis)
        self.built = True

    def _range(self, n: int) -> Tuple[int, int]:
        return slice(self.start, self.end).indices(n)[:2]

    def call(self, x: Any) -> Any:
        from . import ops

        a, b = self._range(int(x.shape[self.axis]))
        return ops.take(x, np.arange(a, max(a, b)), axis=self.axis)

    def compute_output_shape(self, input_shape: Any) -> Any:
        s = list(input_shape)
        if s[self.axis] is not None:
            a, b = self._range(int(s[self.axis]))
            s[self.axis] = max(b - a, 0)
        return tuple(s)

    def get_config(self) -> Dict[str, Any]:
        cfg = super().get_config()
        cfg.update(start=self.start, end=self.end, axis=self.axis)
        return cfg


class _Builder:
    def __init__(self, graph: Any) -> None:
        from . import layers

        self.g, self.L = graph, layers
        self.vals: Dict[str, Any] = {}
        self.writes: List[Tuple[Any, Dict[str, np.ndarray]]] = []
        self.skip: set = set()
        self.used: set = set()

    def lname(self, hint: str) -> str:
        base = "".join(c if c.isalnum() or c in "_" else "_" for c in hint).strip("_").lower() or "onnx"
        name, i = base, 1
        while name in self.used:
            name, i = f"{base}_{i}", i + 1
        self.used.add(name)
        return name

    def init(self, name: str) -> Optional[np.ndarray]:
        return self.g.initializers.get(name)

    def scalar(self, name: str) -> Optional[float]:
        a = self.init(name)
        return float(a.reshape(())) if a is not None and a.size == 1 else None

    def shape(self, name: str) -> Optional[Tuple]:
        return self.g.shapes.get(name)

    def val(self, name: str) -> Any:
        if name not in self.vals:
            raise OnnxError(f"ONNX import: value '{name}' is a constant where Keras needs a tensor")
        v = self.vals[name]
        if isinstance(v, _Deferred):
            if v.perm[0] != 0:
                raise OnnxError(f"ONNX import: the output of node '{v.node}' (batch axis at position "
                                f"{v.perm.index(0)}) is used in a way Keras cannot express; ONNX LSTM/GRU import "
                                "needs batch-first values around the time-major recurrent nodes")
            v = self.vals[name] = self.resolve(v)
        return v

    def resolve(self, v: "_Deferred") -> Any:
        """The Keras tensor of a batch-first deferred value."""
        t = v.base
        if v.split is not None:
            T = self.keras_shape(v.base)[1]
            if T is None:
                raise OnnxError(f"ONNX import: splitting the directions after node '{v.node}' needs a known sequence "
                                "length")
            t = self.L.Reshape((T,) + v.split, name=self.lname(v.node + "_directions"))(t)
        if v.perm != tuple(range(len(v.perm))):
            t = self.L.Permute(v.perm[1:], name=self.lname(v.node + "_permute"))(t)
        return t

    def call(self, layer: Any, x: Any, weights: Optional[Dict[str, np.ndarray]] = None) -> Any:
        y = layer(x)
        if weights is not None:
            self.writes.append((layer, weights))
        return y

    @staticmethod
    def keras_shape(t: Any) -> Tuple:
        return tuple(t.shape)

    def rnn(self, n: Any) -> Any:
        """ONNX LSTM/GRU (time-major) -> Keras LSTM/GRU(return_sequences=True), possibly Bidirectional, on the
        batch-first tensor behind the time-major input; the output Y (T, D, N, H) stays deferred as that layer's
        (N, T, D*H) output seen through a transpose."""
        x = self.vals.get(n.inputs[0])
        if not isinstance(x, _Deferred) or x.perm != (1, 0, 2) or x.split is not None:
            raise OnnxError(f"ONNX import: {n.op} '{n.name}' must take a batch-first tensor transposed to time-major "
                            "(Transpose perm (1, 0, 2))")
        layer, weights = rnn_layer(n, self.g, self.lname(n.name[: -len(n.op) - 1] if n.name.endswith("/" + n.op)
                                                           else n.name), self.L)
        y = layer(x.base)
        self.writes.append((layer, weights))   # a list: one canonical unit per direction
        D = 2 if n.attrs.get("direction", "forward") == "bidirectional" else 1
        H = int(n.attrs.get("hidden_size", 0)) or int(self.keras_shape(y)[-1]) // D
        return _Deferred(y, (1, 2, 0, 3), (D, H), n.name)   # (T, D, N, H) of (N, T, D, H)

    def padded(self, n: Any, x: Any, k: int, kernel: Sequence[int], strides: Sequence[int], dil: Sequence[int]
               ) -> Tuple[Any, str]:
        """(input, Keras padding) for a conv/pool, with a ZeroPadding layer first where ONNX pads otherwise."""
        a = n.attrs
        auto = a.get("auto_pad", "NOTSET")
        if auto == "SAME_UPPER":
            return x, "same"
        if auto == "VALID":
            return x, "valid"
        if auto == "SAME_LOWER":
            raise OnnxError(f"ONNX import: {n.op} '{n.name}' with auto_pad SAME_LOWER has no Keras form")
        pads = [int(p) for p in a.get("pads", [0] * (2 * k))]
        if not any(pads):
            return x, "valid"
        sp = (self.shape(n.inputs[0]) or (None,) * (k + 2))[2:]
        if pads == _same_pads(sp, kernel, strides, dil) and not (n.op == "AveragePool" and a.get("count_include_pad", 0)):
            return x, "same"
        if n.op == "Conv" and k == 1 and pads[1] == 0 and pads[0] == (kernel[0] - 1) * dil[0]:
            return x, "causal"
        if n.op == "MaxPool" or (n.op == "AveragePool" and not a.get("count_include_pad", 0)):
            raise OnnxError(f"ONNX import: {n.op} '{n.name}' with padding {pads} has no Keras form")
        pad = getattr(self.L, f"ZeroPadding{k}D")
        pw = tuple((b, e) for b, e in zip(pads[:k], pads[k:]))
        return pad(pw[0] if k == 1 else pw, data_format="channels_first", name=self.lname(n.name + "_pad"))(x), "valid"

    def node(self, n: Any) -> Any:
        L, op, a, ins = self.L, n.op, n.attrs, n.inputs
        name = self.lname(n.name[: -len(op) - 1] if n.name.endswith("/" + op) else n.name)
        if op in ("Identity", "Dropout"):
            return self.val(ins[0])
        if op in ("Conv", "ConvTranspose"):
            w = self.init(ins[1])
            if w is None:
                raise OnnxError(f"ONNX import: {op} '{n.name}' needs its weight W as an initializer")
            k = w.ndim - 2
            kernel = [int(v) for v in a.get("kernel_shape", w.shape[2:])]
            strides = [int(v) for v in a.get("strides", [1] * k)]
            dil = [int(v) for v in a.get("dilations", [1] * k)]
            group = int(a.get("group", 1))
            bias = self.init(ins[2]) if len(ins) > 2 and ins[2] else None
            if len(ins) > 2 and ins[2] and bias is None:
                raise OnnxError(f"ONNX import: {op} '{n.name}' needs its bias as an initializer")
            x = self.val(ins[0])
            wts = {"weight": w} if bias is None else {"weight": w, "bias": bias}
            if op == "ConvTranspose":
                pads = [int(p) for p in a.get("pads", [0] * (2 * k))]
                opad = [int(v) for v in a.get("output_padding", [0] * k)]
                tot = [max(kk - s, 0) for kk, s in zip(kernel, strides)]   # Keras 'same' (output = input * stride)
                same = pads == [t // 2 for t in tot] + [t - t // 2 for t in tot] and \
                    opad == [max(s - kk, 0) for kk, s in zip(kernel, strides)] and all(d == 1 for d in dil)
                crop = any(pads) and not same   # valid transposed conv, then crop the pads off
                if (crop and k == 1) or group != 1 or a.get("auto_pad", "NOTSET") not in ("NOTSET", "VALID") \
                        or "output_shape" in a or any(o >= s for o, s in zip(opad, strides)):
                    raise OnnxError(f"ONNX import: ConvTranspose '{n.name}' with pads {pads}/groups/auto_pad has no "
                                    "Keras form")
                if same:
                    opad = [0] * k
                layer = getattr(L, f"Conv{k}DTranspose")(int(w.shape[1]), kernel, strides=strides,
                                                         padding="same" if same and any(pads + opad) and not crop
                                                         else "valid",
                                                         output_padding=opad if any(opad) else None,
                                                         dilation_rate=dil, data_format="channels_first",
                                                         use_bias=bias is not None, name=name)
                y = self.call(layer, x, wts)
                if crop:
                    cr = tuple(zip(pads[:k], pads[k:]))
                    y = getattr(L, f"Cropping{k}D")(cr, data_format="channels_first", name=self.lname(name + "_crop"))(y)
                return y
            x, padding = self.padded(n, x, k, kernel, strides, dil)
            layer = getattr(L, f"Conv{k}D")(int(w.shape[0]), kernel, strides=strides, padding=padding,
                                            dilation_rate=dil, groups=group, data_format="channels_first",
                                            use_bias=bias is not None, name=name)
            return self.call(layer, x, wts)
        if op == "Gemm":
            w = self.init(ins[1])
            if w is None or a.get("transA", 0) or float(a.get("alpha", 1.0)) != 1.0 or float(a.get("beta", 1.0)) != 1.0:
                raise OnnxError(f"ONNX import: Gemm '{n.name}' imports only as x @ W(+C) with W an initializer")
            kern = np.ascontiguousarray(w.T) if a.get("transB", 0) else w
            c = self.init(ins[2]) if len(ins) > 2 and ins[2] else None
            if c is not None and c.size != kern.shape[1]:
                raise OnnxError(f"ONNX import: Gemm '{n.name}': C of shape {c.shape} is not a bias of {kern.shape[1]}")
            layer = L.Dense(int(kern.shape[1]), use_bias=c is not None, name=name)
            return self.call(layer, self.val(ins[0]), {"weight": kern} if c is None else
                             {"weight": kern, "bias": c.reshape(-1)})
        if op == "MatMul":
            w = self.init(ins[1])
            if w is None and self.init(ins[0]) is None:
                return OnnxBinaryOp("matmul", name=name)([self.val(ins[0]), self.val(ins[1])])
            if w is None or w.ndim != 2:
                raise OnnxError(f"ONNX import: MatMul '{n.name}' imports only with a 2-d weight initializer")
            users = self.g.consumers(n.outputs[0])
            bias = None
            if len(users) == 1 and users[0].op == "Add":
                other = [v for v in users[0].inputs if v != n.outputs[0]]
                c = self.init(other[0]) if len(other) == 1 else None
                if c is not None and c.shape in ((w.shape[1],), (1, w.shape[1])):
                    bias = c.reshape(-1)
                    self.skip.add(id(users[0]))
            layer = L.Dense(int(w.shape[1]), use_bias=bias is not None, name=name)
            y = self.call(layer, self.val(ins[0]), {"weight": w} if bias is None else {"weight": w, "bias": bias})
            if bias is not None:
                self.vals[users[0].outputs[0]] = y
            return y
        if op in _BIN:
            c0, c1 = self.init(ins[0]), self.init(ins[1])
            if c0 is None and c1 is None:
                xs = [self.val(ins[0]), self.val(ins[1])]
                s0, s1 = self.shape(ins[0]), self.shape(ins[1])
                merge = {"Add": "Add", "Sub": "Subtract", "Mul": "Multiply", "Max": "Maximum", "Min": "Minimum"}
                if op in merge and s0 is not None and s0 == s1:
                    return getattr(L, merge[op])(name=name)(xs)
                return OnnxBinaryOp(_BIN[op], name=name)(xs)
            if c0 is not None and c1 is not None:
                raise OnnxError(f"ONNX import: {op} '{n.name}' of two constants")
            const, first = (c1, False) if c1 is not None else (c0, True)
            x = self.val(ins[1] if first else ins[0])
            return OnnxConstantOp(_BIN[op], const.tolist(), first, str(const.dtype), name=name)(x)
        acts = {"Relu": "relu", "Sigmoid": "sigmoid", "Tanh": "tanh", "Softplus": "softplus", "Softsign": "softsign",
                "Selu": "selu", "Exp": "exponential", "Gelu": "gelu"}
        if op in acts:
            if op == "Gelu" and a.get("approximate", "none") != "none":
                raise OnnxError(f"ONNX import: Gelu '{n.name}' approximate={a['approximate']} has no Keras form here")
            return L.Activation(acts[op], name=name)(self.val(ins[0]))
        if op == "HardSigmoid":
            if abs(float(a.get("alpha", 0.2)) - 1 / 6) > 1e-6 or float(a.get("beta", 0.5)) != 0.5:
                raise OnnxError(f"ONNX import: HardSigmoid '{n.name}' with alpha {a.get('alpha')} has no Keras form")
            return L.Activation("hard_sigmoid", name=name)(self.val(ins[0]))
        if op == "LeakyRelu":
            return L.LeakyReLU(negative_slope=float(a.get("alpha", 0.01)), name=name)(self.val(ins[0]))
        if op == "Elu":
            return L.ELU(alpha=float(a.get("alpha", 1.0)), name=name)(self.val(ins[0]))
        if op == "Softmax":
            return L.Softmax(axis=int(a.get("axis", -1)), name=name)(self.val(ins[0]))
        if op == "LogSoftmax":
            shp = self.shape(ins[0])
            if int(a.get("axis", -1)) not in (-1, (len(shp) - 1) if shp else -1):
                raise OnnxError(f"ONNX import: LogSoftmax '{n.name}' over axis {a.get('axis')} has no Keras form")
            return L.Activation("log_softmax", name=name)(self.val(ins[0]))
        if op == "Clip":
            lo = self.scalar(ins[1]) if len(ins) > 1 and ins[1] else None
            hi = self.scalar(ins[2]) if len(ins) > 2 and ins[2] else None
            if lo != 0.0:
                raise OnnxError(f"ONNX import: Clip '{n.name}' imports only as ReLU(max_value) (min 0)")
            return L.ReLU(max_value=hi, name=name)(self.val(ins[0]))
        if op == "BatchNormalization":
            if len(n.outputs) > 1 and any(n.outputs[1:]):
                raise OnnxError(f"ONNX import: BatchNormalization '{n.name}' in training mode (extra outputs)")
            ws = [self.init(v) for v in ins[1:5]]
            if any(w is None for w in ws):
                raise OnnxError(f"ONNX import: BatchNormalization '{n.name}' needs its four tensors as initializers")
            layer = L.BatchNormalization(axis=1, epsilon=float(a.get("epsilon", 1e-5)),
                                         momentum=float(a.get("momentum", 0.9)), name=name)
            return self.call(layer, self.val(ins[0]), dict(zip(("gamma", "beta", "running_mean", "running_var"), ws)))
        if op == "LayerNormalization":
            shp = self.shape(ins[0])
            if shp is None or int(a.get("axis", -1)) % len(shp) != len(shp) - 1:
                raise OnnxError(f"ONNX import: LayerNormalization '{n.name}' imports over the last axis only")
            g = self.init(ins[1])
            be = self.init(ins[2]) if len(ins) > 2 and ins[2] else None
            layer = L.LayerNormalization(axis=-1, epsilon=float(a.get("epsilon", 1e-5)), center=be is not None,
                                         name=name)
            return self.call(layer, self.val(ins[0]), {"gamma": g} if be is None else {"gamma": g, "beta": be})
        if op in ("LSTM", "GRU"):
            return self.rnn(n)
        if op == "Slice":
            starts, ends, axes, steps = (self.init(ins[i]) if len(ins) > i and ins[i] else None for i in (1, 2, 3, 4))
            shp = self.shape(ins[0])
            if starts is None or ends is None or starts.size != 1 or shp is None or \
                    (steps is not None and int(steps.reshape(-1)[0]) != 1):
                raise OnnxError(f"ONNX import: Slice '{n.name}' imports with constant bounds on one axis, step 1")
            axis = int(axes.reshape(-1)[0]) % len(shp) if axes is not None else 0
            if axis == 0:
                raise OnnxError(f"ONNX import: Slice '{n.name}' along the batch axis has no Keras form")
            end = int(min(int(ends.reshape(-1)[0]), 2 ** 31 - 1))
            return OnnxSlice(int(starts.reshape(-1)[0]), end, axis, name=name)(self.val(ins[0]))
        if op == "Gather" and self.init(ins[0]) is None:
            idx = self.init(ins[1])
            axis = int(a.get("axis", 0))
            if idx is None or idx.ndim != 0 or axis == 0:
                raise OnnxError(f"ONNX import: Gather '{n.name}' of a tensor imports only with a constant scalar "
                                "index on a non-batch axis")
            return OnnxTakeStep(int(idx), axis, name=name)(self.val(ins[0]))
        if op == "Gather":
            table = self.init(ins[0])
            if table is None or int(a.get("axis", 0)) != 0 or table.ndim != 2:
                raise OnnxError(f"ONNX import: Gather '{n.name}' imports only as an embedding (2-d table, axis 0)")
            layer = L.Embedding(int(table.shape[0]), int(table.shape[1]), name=name)
            return self.call(layer, self.val(ins[1]), {"weight": table})
        if op == "Cast":
            to = int(a.get("to", 1))
            if to in (6, 7) and all(c.op == "Gather" and c.inputs[1] == n.outputs[0]
                                    for c in self.g.consumers(n.outputs[0])):
                return self.val(ins[0])
            raise OnnxError(f"ONNX import: Cast '{n.name}' has no Keras form (only ids into an embedding)")
        if op == "Pad":
            pads = self.init(ins[1]) if len(ins) > 1 and ins[1] else None
            cval = self.scalar(ins[2]) if len(ins) > 2 and ins[2] else 0.0
            shp = self.shape(ins[0])
            if pads is None or a.get("mode", "constant") != "constant" or cval != 0.0 or shp is None:
                raise OnnxError(f"ONNX import: Pad '{n.name}' imports only as zero padding with constant pads")
            r = len(shp)
            pb, pe = [int(v) for v in pads[:r]], [int(v) for v in pads[r:]]
            nd = r - 2
            if pb[:2] == [0, 0] and pe[:2] == [0, 0]:
                fmt, sl = "channels_first", slice(2, r)
            elif pb[0] == pb[-1] == pe[0] == pe[-1] == 0:
                fmt, sl = "channels_last", slice(1, r - 1)
            else:
                raise OnnxError(f"ONNX import: Pad '{n.name}' pads the batch or channel axis")
            pw = tuple(zip(pb[sl], pe[sl]))
            if nd < 1 or nd > 3 or any(v < 0 for v in pb + pe):
                raise OnnxError(f"ONNX import: Pad '{n.name}' of a rank-{r} tensor has no Keras form")
            return getattr(L, f"ZeroPadding{nd}D")(pw[0] if nd == 1 else pw, data_format=fmt, name=name)(
                self.val(ins[0]))
        if op == "Flatten":
            if int(a.get("axis", 1)) != 1:
                raise OnnxError(f"ONNX import: Flatten '{n.name}' at axis {a.get('axis')} has no Keras form")
            return L.Flatten(name=name)(self.val(ins[0]))
        if op == "Reshape":
            shape = self.init(ins[1])
            src = self.shape(ins[0])
            if shape is None:
                raise OnnxError(f"ONNX import: Reshape '{n.name}' needs a constant shape")
            shape = [int(v) for v in shape]
            src_v = self.vals.get(ins[0])
            if isinstance(src_v, _Deferred) and src_v.perm[:2] == (1, 0):
                # time-major (T, N, ...): merging or splitting the direction axis keeps the batch at position 1
                if src_v.split is not None and src_v.perm == (1, 0, 2, 3) and shape == [0, 0, -1]:
                    return _Deferred(src_v.base, (1, 0, 2), None, n.name)
                if src_v.split is None and src_v.perm == (1, 0, 2) and len(shape) == 4 and shape[:2] == [0, 0] \
                        and self.keras_shape(src_v.base)[-1] == shape[2] * shape[3]:
                    return _Deferred(src_v.base, (1, 0, 2, 3), (shape[2], shape[3]), n.name)
            if not shape or shape[0] != 0:
                out = self.shape(n.outputs[0])
                if out is not None and src is not None and None not in (out[0], src[0]) and out[0] != src[0]:
                    if any(d is None for d in out):
                        raise OnnxError(f"ONNX import: Reshape '{n.name}' from {tuple(src)} to {tuple(out)} merges "
                                        "or splits the batch axis with unknown dims, which Keras cannot express")
                    # the batch axis is merged with or split from another (heads folded into the batch, as
                    # Gluon's attention does): a fixed-shape reshape, for the export's batch size
                    return OnnxBatchReshape(out, name=name)(self.val(ins[0]))
                if out is None or any(d is None for d in out[1:]):
                    raise OnnxError(f"ONNX import: Reshape '{n.name}' to {shape} changes the batch axis")
                target = list(out[1:])
            else:
                target = []
                for i, d in enumerate(shape[1:], 1):
                    if d == 0:
                        if src is None or src[i] is None:
                            raise OnnxError(f"ONNX import: Reshape '{n.name}' copies an unknown dim")
                        d = src[i]
                    target.append(d)
            return L.Reshape(tuple(target), name=name)(self.val(ins[0]))
        if op == "Transpose":
            perm = [int(p) for p in a.get("perm", [])]
            src = self.vals.get(ins[0])
            if isinstance(src, _Deferred):
                composed = tuple(src.perm[i] for i in perm) if len(perm) == len(src.perm) else None
                if composed is None:
                    raise OnnxError(f"ONNX import: Transpose '{n.name}' with perm {perm} of a rank-{len(src.perm)} "
                                    "value")
                return _Deferred(src.base, composed, src.split, n.name)
            if perm == [1, 0, 2]:
                return _Deferred(self.val(ins[0]), perm, None, n.name)   # time-major, for an ONNX LSTM/GRU
            if not perm or perm[0] != 0:
                raise OnnxError(f"ONNX import: Transpose '{n.name}' with perm {perm} moves the batch axis")
            return L.Permute(tuple(perm[1:]), name=name)(self.val(ins[0]))
        if op == "Concat":
            axis = int(a["axis"])
            if axis == 0:
                raise OnnxError(f"ONNX import: Concat '{n.name}' along the batch axis has no Keras form")
            return L.Concatenate(axis=axis, name=name)([self.val(v) for v in ins])
        if op in ("MaxPool", "AveragePool"):
            k = len(a["kernel_shape"])
            kernel = [int(v) for v in a["kernel_shape"]]
            strides = [int(v) for v in a.get("strides", [1] * k)]
            sp = (self.shape(ins[0]) or (None,) * (k + 2))[2:]
            exact = all(d is not None and (d - kk) % st == 0 for d, kk, st in zip(sp, kernel, strides)) and \
                not any(int(p) for p in a.get("pads", [0]))   # ceil_mode changes nothing then
            if (a.get("ceil_mode", 0) and not exact) or any(int(v) != 1 for v in a.get("dilations", [1] * k)):
                raise OnnxError(f"ONNX import: {op} '{n.name}' with ceil_mode/dilations has no Keras form")
            x, padding = self.padded(n, self.val(ins[0]), k, kernel, strides, [1] * k)
            cls = getattr(L, f"{'MaxPooling' if op == 'MaxPool' else 'AveragePooling'}{k}D")
            return cls(pool_size=kernel, strides=strides, padding=padding, data_format="channels_first", name=name)(x)
        if op in ("GlobalAveragePool", "GlobalMaxPool", "ReduceMean", "ReduceMax"):
            shp = self.shape(ins[0])
            if shp is None:
                raise OnnxError(f"ONNX import: {op} '{n.name}' needs a known input rank")
            r = len(shp)
            keep = True
            if op.startswith("Global"):
                fmt = "channels_first"
            else:
                axes = a.get("axes")
                if len(ins) > 1 and ins[1]:
                    c = self.init(ins[1])
                    axes = None if c is None else [int(v) for v in c.reshape(-1)]
                axes = sorted(int(v) % r for v in (axes or []))
                keep = bool(a.get("keepdims", 1))
                if axes == list(range(2, r)):
                    fmt = "channels_first"
                elif axes == list(range(1, r - 1)):
                    fmt = "channels_last"
                else:
                    raise OnnxError(f"ONNX import: {op} '{n.name}' over axes {axes} has no Keras form (global pooling)")
            avg = op in ("GlobalAveragePool", "ReduceMean")
            cls = getattr(L, f"Global{'Average' if avg else 'Max'}Pooling{r - 2}D")
            return cls(data_format=fmt, keepdims=keep, name=name)(self.val(ins[0]))
        raise OnnxError(f"ONNX import: op {op} (node '{n.name}') has no Keras form")


def rnn_layer(n: Any, graph: Any, name: str, L: Any) -> Tuple[Any, List[Dict[str, np.ndarray]]]:
    """The Keras layer of an ONNX LSTM/GRU node and its weights as canonical units (one per direction)."""
    from unidl.onnx.graph import lstm_from_onnx

    a, ins, op = n.attrs, n.inputs, n.op
    W = graph.initializers.get(ins[1]) if len(ins) > 1 else None
    R = graph.initializers.get(ins[2]) if len(ins) > 2 else None
    if W is None or R is None:
        raise OnnxError(f"ONNX import: {op} '{n.name}' needs W and R as initializers")
    if any(v for v in ins[4:]):
        raise OnnxError(f"ONNX import: {op} '{n.name}' with sequence_lens / initial states / peepholes has no Keras "
                        "form")
    H = int(a.get("hidden_size", R.shape[-1]))
    gates = 4 if op == "LSTM" else 3
    direction = a.get("direction", "forward")
    dirs = 2 if direction == "bidirectional" else 1
    if direction == "reverse" or W.shape[0] != dirs or W.shape[1] != gates * H or R.shape[1:] != (gates * H, H):
        raise OnnxError(f"ONNX import: {op} '{n.name}': direction {direction} with W {W.shape}, R {R.shape} has no "
                        "Keras form")
    default_acts = (["Sigmoid", "Tanh", "Tanh"] if op == "LSTM" else ["Sigmoid", "Tanh"]) * dirs
    if a.get("activations", default_acts) != default_acts or a.get("clip") is not None or \
            int(a.get("input_forget", 0)) or int(a.get("layout", 0)):
        raise OnnxError(f"ONNX import: {op} '{n.name}' with other activations / clip / input_forget / layout has no "
                        "Keras form")
    if op == "GRU" and int(a.get("linear_before_reset", 0)) != 1:
        raise OnnxError(f"ONNX import: GRU '{n.name}' with linear_before_reset=0 has no Keras form (Keras's "
                        "reset_after=True GRU resets after the recurrent matmul: linear_before_reset=1)")
    B = graph.initializers.get(ins[3]) if len(ins) > 3 and ins[3] else np.zeros((dirs, 2 * gates * H), W.dtype)
    if B is None or B.shape != (dirs, 2 * gates * H):
        raise OnnxError(f"ONNX import: {op} '{n.name}' needs B as a ({dirs}, {2 * gates * H}) initializer")
    fix = (lambda v, axis=-1: lstm_from_onnx(v, axis)) if op == "LSTM" else (lambda v, axis=-1: np.ascontiguousarray(v))
    units = []
    for d in range(dirs):
        units.append({"i2h_weight": np.ascontiguousarray(fix(W[d], 0).T),
                      "h2h_weight": np.ascontiguousarray(fix(R[d], 0).T),
                      "i2h_bias": fix(B[d][: gates * H]), "h2h_bias": fix(B[d][gates * H:])})
    cls = L.LSTM if op == "LSTM" else L.GRU
    if dirs == 2:
        layer = L.Bidirectional(cls(H, return_sequences=True), merge_mode="concat", name=name)
    else:
        layer = cls(H, return_sequences=True, name=name)
    return layer, units


def build(graph: Any) -> Any:
    """The functional Keras model of a checked :class:`unidl.onnx.reader.Graph`."""
    from . import canonical
    from .models.functional import Functional
    from . import Input

    graph.check_ops(SUPPORTED_ONNX, "ONNX ops with no Keras import")
    b = _Builder(graph)
    inputs = []
    for name, dtype, shape in graph.inputs:
        if not shape:
            raise OnnxError(f"ONNX import: input '{name}' has no shape")
        t = Input(shape=tuple(shape[1:]), dtype=dtype, name=b.lname(name))
        b.vals[name] = t
        inputs.append(t)
    for n in graph.nodes:
        if id(n) in b.skip:
            continue
        y = b.node(n)
        if n.outputs[0] not in b.vals:
            b.vals[n.outputs[0]] = y
    outs = [b.val(name) for name, _, _ in graph.outputs]
    model = Functional(inputs[0] if len(inputs) == 1 else inputs, outs[0] if len(outs) == 1 else outs,
                       name=b.lname(graph.path.rsplit("/", 1)[-1].split(".")[0] or "onnx_model"))
    for layer, weights in b.writes:
        units = canonical._layer_units(layer, {})
        weights = weights if isinstance(weights, list) else [weights]
        if len(units) != len(weights):
            raise OnnxError(f"ONNX import: internal error: {layer.name} has {len(units)} weight units")
        for u, w in zip(units, weights):
            if set(u.roles) != set(w):
                raise OnnxError(f"ONNX import: layer '{layer.name}' has weights {sorted(u.roles)}, the file gives "
                                f"{sorted(w)}")
            u.write(w)
    return model
