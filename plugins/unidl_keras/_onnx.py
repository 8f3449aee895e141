"""Keras models to and from ONNX (``model.export(path, format="onnx")``, ``unidl.onnx.load(path, "keras")``).

Export walks the functional graph (a Sequential model's graph once built) in execution order and emits each
layer call through :class:`unidl.onnx.graph.GraphBuilder`, with the layer's weights as canonical units
(:mod:`unidl_keras.canonical`). ONNX convolutions, pools and batch norms are channels-first: a
``channels_last`` layer is wrapped in transposes (ONNX Runtime removes adjacent pairs). The batch dimension is
symbolic. Before writing, the model is checked and run by ONNX Runtime against ``model(x, training=False)``.

Import builds a functional Keras model from an ONNX graph read by :func:`unidl.onnx.reader.read`: one Keras
layer per ONNX node (``Conv`` -> ``Conv{1,2,3}D(data_format="channels_first")``, ``Gemm``/``MatMul`` + ``Add``
-> ``Dense``, ...), weights written exactly through the same canonical units.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

from unidl.onnx import OnnxError

__all__ = ["export_onnx", "import_graph", "run_model", "SUPPORTED_LAYERS", "SUPPORTED_ONNX"]

SUPPORTED_LAYERS = ("InputLayer", "Dense", "Conv1D", "Conv2D", "Conv3D", "Conv1DTranspose", "Conv2DTranspose",
                    "Conv3DTranspose", "DepthwiseConv1D", "DepthwiseConv2D", "SeparableConv1D", "SeparableConv2D",
                    "MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "AveragePooling1D", "AveragePooling2D",
                    "AveragePooling3D", "GlobalAveragePooling1D", "GlobalAveragePooling2D", "GlobalAveragePooling3D",
                    "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D", "BatchNormalization",
                    "LayerNormalization", "Embedding", "Activation", "ReLU", "LeakyReLU", "ELU", "Softmax",
                    "Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "GaussianNoise",
                    "GaussianDropout", "AlphaDropout", "ActivityRegularization", "Identity", "Flatten", "Reshape",
                    "Permute", "ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D", "Concatenate", "Add", "Subtract", "Multiply", "Average", "Maximum", "Minimum",
                    "LSTM", "GRU", "Bidirectional", "MultiHeadAttention", "Sequential", "Functional")

_IDENTITY = ("Dropout", "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "GaussianNoise",
             "GaussianDropout", "AlphaDropout", "ActivityRegularization", "Identity")


def _act_name(fn: Any) -> str:
    if fn is None:
        return "linear"
    return getattr(fn, "__name__", str(fn))


def _cf(nd: int) -> Tuple[int, ...]:
    return (0, nd + 1) + tuple(range(1, nd + 1))


def _cl(nd: int) -> Tuple[int, ...]:
    return (0,) + tuple(range(2, nd + 2)) + (1,)


def _np(v: Any) -> np.ndarray:
    return np.asarray(v.numpy())


class _Exporter:
    def __init__(self, model: Any, opset: Optional[int]) -> None:
        from unidl.onnx.graph import GraphBuilder

        self.model = model
        self.b = GraphBuilder(model.name, opset)
        self.unsupported: List[str] = []

    # -- graph walk ------------------------------------------------------------------------------------------------
    def run(self, input_shapes: Sequence[Tuple], input_dtypes: Sequence[str]) -> None:
        model = self.model
        graph = _graph(model)
        names = [self.b.input(getattr(t, "name", None) or f"input_{i}", dt, shape)
                 for i, (t, shape, dt) in enumerate(zip(graph.inputs, input_shapes, input_dtypes))]
        outs = self.emit_graph(graph, names)
        if self.unsupported:
            raise OnnxError("the Keras model has layers with no ONNX export: " + "; ".join(self.unsupported))
        for i, (o, t) in enumerate(zip(outs, graph.outputs)):
            shape = [None] + [None if d is None else int(d) for d in tuple(t.shape)[1:]]
            self.b.output(o, f"output_{i}", str(getattr(t, "dtype", "float32")), shape)

    def emit_graph(self, graph: Any, in_values: Sequence[str]) -> List[str]:
        from .models.functional import map_graph

        vals: Dict[int, str] = {id(t): v for t, v in zip(graph.inputs, in_values)}
        nodes, _ = map_graph(graph.inputs, graph.outputs)
        outer, self._vals = getattr(self, "_vals", None), vals
        try:
            self._emit_nodes(nodes, vals)
        finally:
            self._vals = outer
        return [vals.get(id(t), "") for t in graph.outputs]

    def _emit_nodes(self, nodes: List[Any], vals: Dict[int, str]) -> None:
        for node in nodes:
            layer = node.layer
            if type(layer).__name__ == "InputLayer":
                continue
            xs = [vals.get(id(t), "?") for t in node.input_tensors]   # "?": after an unsupported layer
            try:
                ys = self.layer(layer, node, xs)
            except OnnxError as e:   # listed; the walk goes on so that one error names every such layer
                self.unsupported.append(str(e))
                ys = ["?"] * len(node.output_tensors)
            if isinstance(ys, str):
                ys = [ys]
            for t, y in zip(node.output_tensors, ys):
                vals[id(t)] = y

    # -- layers ---------------------------------------------------------------------------------------------------
    def layer(self, layer: Any, node: Any, xs: List[str]) -> Any:
        from . import canonical

        b, cls, name = self.b, type(layer).__name__, layer.name
        in_shapes = [tuple(t.shape) for t in node.input_tensors]
        x = xs[0] if xs else ""
        if hasattr(layer, "layers") and hasattr(layer, "inputs") and cls in ("Sequential", "Functional"):
            return self.emit_graph(_graph(layer), xs)
        if cls in _IDENTITY:
            return b.node("Identity", [x], name)
        if cls == "Dense":
            (u,) = canonical._layer_units(layer, {})
            w = u.read()
            y = b.dense(x, w["weight"], w.get("bias"), name)
            return b.activation(y, _act_name(layer.activation), name + "/act")
        if cls in ("Conv1D", "Conv2D", "Conv3D", "DepthwiseConv1D", "DepthwiseConv2D", "SeparableConv1D",
                   "SeparableConv2D", "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose"):
            return self.conv(layer, x, in_shapes[0])
        if "Pooling" in cls:
            return self.pool(layer, x, in_shapes[0])
        if cls == "BatchNormalization":
            return self.batchnorm(layer, x, in_shapes[0])
        if cls == "LayerNormalization":
            axes = list(layer.axis) if isinstance(layer.axis, (list, tuple)) else [layer.axis]
            if len(axes) != 1 or axes[0] % len(in_shapes[0]) != len(in_shapes[0]) - 1 or getattr(layer, "rms_scaling", False):
                raise OnnxError(f"{cls} '{name}': only normalisation over the last axis (no rms_scaling) exports")
            C = int(in_shapes[0][-1])
            g = _np(layer.gamma) if layer.gamma is not None else np.ones((C,), "float32")
            be = _np(layer.beta) if layer.beta is not None else None
            return b.layernorm(x, g, be, float(layer.epsilon), name)
        if cls == "Embedding":
            return b.embedding(x, _np(layer.embeddings), name, str(node.input_tensors[0].dtype))
        if cls == "Activation":
            return b.activation(x, _act_name(layer.activation), name)
        if cls == "Softmax":
            ax = layer.axis if not isinstance(layer.axis, (list, tuple)) else layer.axis[0]
            return b.activation(x, "softmax", name, axis=int(ax))
        if cls == "LeakyReLU":
            return b.activation(x, "leaky_relu", name, alpha=float(layer.negative_slope))
        if cls == "ELU":
            return b.activation(x, "elu", name, alpha=float(layer.alpha))
        if cls == "ReLU":
            if float(layer.negative_slope or 0) or float(layer.threshold or 0):
                raise OnnxError(f"ReLU '{name}': negative_slope/threshold have no ONNX export here")
            if layer.max_value is not None:
                return b.node("Clip", [x, b.scalar(0.0), b.scalar(float(layer.max_value))], name)
            return b.node("Relu", [x], name)
        if cls in ("ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D"):
            nd = len(in_shapes[0]) - 2
            pads = [tuple(int(v) for v in p) for p in layer.padding]
            axes = list(range(1, nd + 1)) if layer.data_format == "channels_last" else list(range(2, nd + 2))
            begin, end = [0] * (nd + 2), [0] * (nd + 2)
            for ax, (pb, pe) in zip(axes, pads):
                begin[ax], end[ax] = pb, pe
            return b.node("Pad", [x, b.ints(begin + end, name + "/pads")], name, mode="constant")
        if cls == "Flatten":
            if len(in_shapes[0]) == 2:
                return b.node("Identity", [x], name)
            return b.node("Flatten", [x], name, axis=1)
        if cls == "Reshape":
            return b.node("Reshape", [x, b.ints([0] + [int(d) for d in layer.target_shape], name + "/shape")], name)
        if cls == "Permute":
            return b.node("Transpose", [x], name, perm=[0] + [int(d) for d in layer.dims])
        if cls == "Concatenate":
            return b.node("Concat", xs, name, axis=int(layer.axis) % len(in_shapes[0]))
        if cls in ("Add", "Subtract", "Multiply", "Maximum", "Minimum", "Average"):
            op = {"Add": "Add", "Subtract": "Sub", "Multiply": "Mul", "Maximum": "Max", "Minimum": "Min",
                  "Average": "Add"}[cls]
            if op in ("Max", "Min"):
                y = b.node(op, xs, name)
            else:
                y = xs[0]
                for i, other in enumerate(xs[1:]):
                    y = b.node(op, [y, other], f"{name}/{i}" if len(xs) > 2 else name)
            if cls == "Average":
                y = b.node("Div", [y, b.scalar(float(len(xs)))], name + "/mean")
            return y
        if cls in ("LSTM", "GRU", "Bidirectional"):
            return self.rnn(layer, x)
        if cls == "MultiHeadAttention":
            return self.mha(layer, node, xs, in_shapes)
        from .ops.node import OpLayer

        if isinstance(layer, OpLayer):
            return self.op(layer, node)
        if _user_layer(layer):
            return self.user_layer(layer, node, xs)
        raise OnnxError(f"{cls} '{name}'")

    # -- keras.ops calls and user layers --------------------------------------------------------------------------
    def _operand(self, a: Any, vals: Dict[int, str], name: str, dtype: str) -> str:
        from .backend.keras_tensor import KerasTensor

        if isinstance(a, KerasTensor):
            return vals[id(a)]
        if isinstance(a, (bool, int, float)):
            return self.b.const(np.asarray(a, dtype=dtype), name)
        arr = _np(a)
        if arr.dtype.kind not in "biuf":
            raise OnnxError(f"operand of dtype {arr.dtype} has no ONNX export here")
        return self.b.const(arr if arr.dtype.kind != "f" else arr.astype(dtype, copy=False), name)

    def op(self, layer: Any, node: Any) -> str:
        """One ``keras.ops`` call of a functional graph (``x + b``, ``keras.ops.tanh(x)``, ...): an ONNX node
        whose non-symbolic operands (variables, arrays, numbers) become initializers."""
        b, name, op = self.b, layer.name, layer.op_name
        vals = self._vals
        args, kwargs = list(node.call_args), dict(node.call_kwargs)
        kwargs.pop("training", None)
        dtype = str(node.output_tensors[0].dtype) if node.output_tensors else "float32"
        if op in _OP_BINARY and len(args) == 2 and not kwargs:
            ins = [self._operand(a, vals, f"{name}/in{i}", dtype) for i, a in enumerate(args)]
            return b.node(_OP_BINARY[op], ins, name)
        if op in _OP_UNARY and len(args) == 1 and not kwargs:
            return b.node(_OP_UNARY[op], [self._operand(args[0], vals, name + "/in", dtype)], name)
        if op in _OP_ACTIVATION and len(args) == 1 and set(kwargs) <= {"axis"}:
            extra = {"axis": int(kwargs["axis"])} if "axis" in kwargs else {}
            return b.activation(self._operand(args[0], vals, name + "/in", dtype), _OP_ACTIVATION[op], name, **extra)
        raise OnnxError(f"keras.ops.{op} '{name}' (with these arguments)")

    def user_layer(self, layer: Any, node: Any, xs: List[str]) -> List[str]:
        """A user's Layer subclass: its ``call`` is run once on fresh KerasTensors, which records the
        ``keras.ops`` it applies (with its variables as constants); that small graph is exported."""
        from types import SimpleNamespace

        from .backend.keras_tensor import KerasTensor
        from .utils import tree

        fresh = {id(t): KerasTensor(t.shape, t.dtype) for t in node.input_tensors}
        swap = (lambda a: fresh.get(id(a), a))  # noqa: E731
        args = tree.map_structure(swap, list(node.call_args))
        kwargs = tree.map_structure(swap, dict(node.call_kwargs))
        kwargs.pop("training", None)
        kwargs.pop("mask", None)
        try:
            out = layer.call(*args, **kwargs)
        except Exception as e:  # noqa: BLE001 - any failure means the call cannot be traced symbolically
            raise OnnxError(f"{type(layer).__name__} '{layer.name}': its call() could not be traced on symbolic "
                            f"inputs ({type(e).__name__}: {e})") from e
        outs = [t for t in tree.flatten(out)]
        if not all(isinstance(t, KerasTensor) for t in outs):
            raise OnnxError(f"{type(layer).__name__} '{layer.name}': its call() returned a value that does not "
                            "depend on its inputs")
        sub = SimpleNamespace(inputs=[fresh[id(t)] for t in node.input_tensors], outputs=outs)
        return self.emit_graph(sub, xs)

    def conv(self, layer: Any, x: str, in_shape: Tuple) -> str:
        from . import canonical

        b, cls, name = self.b, type(layer).__name__, layer.name
        nd = layer.rank
        cl = layer.data_format == "channels_last"
        if cl:
            x = b.transpose(x, _cf(nd), name + "/to_channels_first")
        units = canonical._layer_units(layer, {})
        pad = layer.padding
        strides, dil = list(layer.strides), list(layer.dilation_rate)
        if "Transpose" in cls:
            (u,) = units
            w = u.read()
            k = w["weight"].shape[2:]
            opad = getattr(layer, "output_padding", None)
            if pad == "valid":
                pads = [0] * (2 * nd)
                outp = [0] * nd if opad is None else list(opad)
            else:   # Keras 'same': output = input * stride; total padding k - stride, the extra at the end
                tot = [max(int(kk) - int(s), 0) for kk, s in zip(k, strides)]
                pads = [t // 2 for t in tot] + [t - t // 2 for t in tot]
                outp = [max(int(s) - int(kk), 0) for kk, s in zip(k, strides)] if opad is None else list(opad)
            y = b.conv_transpose(x, w["weight"], w.get("bias"), name, strides, dil, pads, outp)
        else:
            if pad == "causal":
                k = units[0].read()["weight"].shape[2:]
                left = (int(k[0]) - 1) * dil[0]
                kw = {"pads": [left, 0]}
            elif pad == "same":
                k = units[0].read()["weight"].shape[2:]
                sp = tuple(in_shape[1:-1] if cl else in_shape[2:])
                if any(d is None for d in sp):
                    if any(d != 1 for d in dil):
                        raise OnnxError(f"{cls} '{name}': padding='same' with dilation needs known spatial sizes")
                    kw = {"auto_pad": "SAME_UPPER"}
                else:   # explicit pads (ONNX Runtime has no SAME auto_pad with dilation)
                    tot = [max((-(-int(i) // int(s)) - 1) * int(s) + (int(kk) - 1) * int(dd) + 1 - int(i), 0)
                           for i, kk, s, dd in zip(sp, k, strides, dil)]
                    kw = {"pads": [t // 2 for t in tot] + [t - t // 2 for t in tot]}
            else:
                kw = {"pads": [0] * (2 * nd)}
            y = x
            for j, u in enumerate(units):
                w = u.read()
                y = b.conv(y, w["weight"], w.get("bias"), u.owner, strides if j == 0 else [1] * nd,
                           dil if j == 0 else [1] * nd, u.meta.get("groups", 1),
                           **(kw if j == 0 else {"pads": [0] * (2 * nd)}))
        y = b.activation(y, _act_name(layer.activation), name + "/act")
        if cl:
            y = b.transpose(y, _cl(nd), name + "/to_channels_last")
        return y

    def pool(self, layer: Any, x: str, in_shape: Tuple) -> str:
        b, cls, name = self.b, type(layer).__name__, layer.name
        nd = len(in_shape) - 2
        cl = layer.data_format == "channels_last"
        if cls.startswith("Global"):
            axes = list(range(1, nd + 1)) if cl else list(range(2, nd + 2))
            op = "ReduceMean" if "Average" in cls else "ReduceMax"
            return b.reduce(op, x, axes, bool(layer.keepdims), name)
        if cl:
            x = b.transpose(x, _cf(nd), name + "/to_channels_first")
        kw: Dict[str, Any] = {"kernel_shape": list(layer.pool_size), "strides": list(layer.strides)}
        if layer.padding == "same":
            kw["auto_pad"] = "SAME_UPPER"
        else:
            kw["pads"] = [0] * (2 * nd)
        y = b.node("MaxPool" if "Max" in cls else "AveragePool", [x], name, **kw)
        if cl:
            y = b.transpose(y, _cl(nd), name + "/to_channels_last")
        return y

    def batchnorm(self, layer: Any, x: str, in_shape: Tuple) -> str:
        b, name = self.b, layer.name
        axes = list(layer.axis) if isinstance(layer.axis, (list, tuple)) else [layer.axis]
        ndim = len(in_shape)
        if len(axes) != 1:
            raise OnnxError(f"BatchNormalization '{name}': normalising over axes {axes} has no ONNX export")
        a = axes[0] % ndim
        C = int(in_shape[a])
        g = _np(layer.gamma) if layer.gamma is not None else np.ones((C,), "float32")
        be = _np(layer.beta) if layer.beta is not None else np.zeros((C,), "float32")
        perm = None
        if a != 1:
            perm = [0, a] + [i for i in range(1, ndim) if i != a]
            x = b.transpose(x, perm, name + "/to_channels_first")
        y = b.batchnorm(x, g, be, _np(layer.moving_mean), _np(layer.moving_variance), float(layer.epsilon), name)
        if perm is not None:
            y = b.transpose(y, [perm.index(i) for i in range(ndim)], name + "/back")
        return y

    def rnn(self, layer: Any, x: str) -> str:
        from . import canonical

        b, name = self.b, layer.name
        inner, bidir = layer, False
        if type(layer).__name__ == "Bidirectional":
            inner, bidir = layer.forward_layer, True
            if layer.merge_mode != "concat":
                raise OnnxError(f"Bidirectional '{name}': merge_mode='{layer.merge_mode}' has no ONNX export (concat has)")
        cell = inner.cell
        mode = type(inner).__name__.lower()
        for opt in ("go_backwards", "return_state", "stateful"):
            if bool(getattr(inner, opt, False)):
                raise OnnxError(f"{type(layer).__name__} '{name}': {opt}=True has no ONNX export")
        if _act_name(cell.activation) != "tanh" or _act_name(cell.recurrent_activation) != "sigmoid":
            raise OnnxError(f"{type(layer).__name__} '{name}': only tanh/sigmoid activations export")
        if bidir and not inner.return_sequences:
            raise OnnxError(f"Bidirectional '{name}': return_sequences=False has no ONNX export here")
        units = [u.read() for u in canonical._layer_units(layer, {})]
        xt = b.transpose(x, (1, 0, 2), name + "/time_major")
        y = b.rnn(xt, mode, units, int(cell.units), name)             # (T, dirs, N, H)
        y = b.transpose(y, (2, 0, 1, 3), name + "/batch_major")        # (N, T, dirs, H)
        y = b.node("Reshape", [y, b.ints([0, 0, -1], name + "/shape")], name + "/merge")
        if not inner.return_sequences:
            y = b.node("Gather", [y, b.const(np.asarray(-1, np.int64), name + "/last")], name + "/last_step", axis=1)
        return y

    def mha(self, layer: Any, node: Any, xs: List[str], in_shapes: List[Tuple]) -> str:
        b, name = self.b, layer.name
        if len(xs) not in (2, 3) or node.call_kwargs.get("attention_mask") is not None or \
                node.call_kwargs.get("return_attention_scores") or getattr(layer, "_attention_axes", None) not in (None, (1,)):
            raise OnnxError(f"MultiHeadAttention '{name}': only query/value(/key) calls without masks export")
        q_in, v_in = xs[0], xs[1]
        k_in = xs[2] if len(xs) == 3 else v_in
        heads, kd = int(layer.num_heads), int(layer.key_dim)
        vd = int(layer.value_dim or kd)

        def proj(sub: Any, x: str, tag: str, d: int) -> str:
            w = _np(sub.kernel).reshape(sub.kernel.shape[0], -1)
            bias = None if sub.bias is None else _np(sub.bias).reshape(-1)
            y = b.dense(x, w, bias, f"{name}/{tag}")
            y = b.node("Reshape", [y, b.ints([0, 0, heads, d], f"{name}/{tag}/heads")], f"{name}/{tag}/split")
            return b.node("Transpose", [y], f"{name}/{tag}/bhtd", perm=[0, 2, 1, 3])

        q = proj(layer.query_dense, q_in, "query", kd)
        k = proj(layer.key_dense, k_in, "key", kd)
        v = proj(layer.value_dense, v_in, "value", vd)
        q = b.node("Mul", [q, b.scalar(float(1.0 / np.sqrt(kd)))], f"{name}/scale")
        kt = b.node("Transpose", [k], f"{name}/kT", perm=[0, 1, 3, 2])
        s = b.node("MatMul", [q, kt], f"{name}/scores")
        p = b.node("Softmax", [s], f"{name}/softmax", axis=-1)
        o = b.node("MatMul", [p, v], f"{name}/context")
        o = b.node("Transpose", [o], f"{name}/bthd", perm=[0, 2, 1, 3])
        o = b.node("Reshape", [o, b.ints([0, 0, heads * vd], f"{name}/merge_shape")], f"{name}/merge")
        od = layer.output_dense
        w = _np(od.kernel).reshape(-1, od.kernel.shape[-1])
        return b.dense(o, w, None if od.bias is None else _np(od.bias).reshape(-1), f"{name}/output")


#: keras.ops exported one to one (the op's name -> the ONNX operator)
_OP_BINARY = {"add": "Add", "subtract": "Sub", "multiply": "Mul", "divide": "Div", "true_divide": "Div",
              "maximum": "Max", "minimum": "Min", "power": "Pow", "matmul": "MatMul"}
_OP_UNARY = {"tanh": "Tanh", "exp": "Exp", "log": "Log", "sqrt": "Sqrt", "abs": "Abs", "negative": "Neg",
             "erf": "Erf", "floor": "Floor", "ceil": "Ceil", "sin": "Sin", "cos": "Cos", "reciprocal": "Reciprocal",
             "sign": "Sign"}
#: keras.ops exported through the graph builder's activations
_OP_ACTIVATION = {"relu": "relu", "sigmoid": "sigmoid", "softplus": "softplus", "softmax": "softmax",
                  "silu": "silu", "elu": "elu", "selu": "selu", "log_softmax": "log_softmax"}


def _user_layer(layer: Any) -> bool:
    """Whether ``layer`` runs user code: a ``Lambda``, or a user's subclass (defined outside unidl_keras) with its
    own ``call``."""
    from .layers.layer import Layer

    cls = type(layer)
    if cls.__name__ == "Lambda" and cls.__module__.startswith("unidl_keras."):
        return True   # the user's function, applied to KerasTensors, records keras.ops as any user call does
    return (isinstance(layer, Layer) and not cls.__module__.startswith("unidl_keras.")
            and cls.call is not Layer.call and not hasattr(layer, "inputs"))


def _graph(model: Any) -> Any:
    """The functional graph of a Keras model (a built Sequential's inner graph)."""
    if type(model).__name__ == "Sequential" or getattr(model, "_functional", None) is not None:
        g = getattr(model, "_functional", None)
        if g is None:
            raise OnnxError(f"Sequential model '{model.name}' is not built: give it an Input or call it on data first")
        return g
    if not hasattr(model, "inputs") or not getattr(model, "outputs", None):
        raise OnnxError(f"Keras model '{getattr(model, 'name', model)}' has no functional graph (a subclassed "
                        "model): only Sequential and functional models export to ONNX")
    return model


def _vocab(graph: Any, t: Any) -> int:
    from .models.functional import map_graph

    nodes, _ = map_graph(graph.inputs, graph.outputs)
    for n in nodes:
        if type(n.layer).__name__ == "Embedding" and any(x is t for x in n.input_tensors):
            return int(n.layer.input_dim)
    return 0


def export_onnx(model: Any, path: Optional[str], opset_version: Optional[int] = None,
                input_signature: Any = None, verbose: bool = False) -> Any:
    """Export a built Sequential/functional Keras model to ONNX at ``path`` after checking it (see the module
    docstring). Returns the :class:`unidl.onnx.check.Report`."""
    from unidl.onnx.check import probe_for, verify_and_write

    graph = _graph(model)
    shapes, dtypes = [], []
    sig = None
    if input_signature is not None:
        sig = list(input_signature) if isinstance(input_signature, (list, tuple)) else [input_signature]
        if len(sig) != len(graph.inputs):
            raise ValueError(f"input_signature has {len(sig)} entries; the model takes {len(graph.inputs)} inputs")
    for i, t in enumerate(graph.inputs):
        spec = sig[i] if sig is not None else t
        shape = [None if d is None else int(d) for d in spec.shape]
        shape[0] = None   # the batch dimension is symbolic
        shapes.append(tuple(shape))
        dtypes.append(str(getattr(spec, "dtype", "float32")))
    ex = _Exporter(model, opset_version)
    ex.run(shapes, dtypes)
    probes = [probe_for(s, d, vocab=_vocab(graph, t)) for s, d, t in zip(shapes, dtypes, graph.inputs)]

    def reference(xs: List[np.ndarray]) -> List[np.ndarray]:
        y = model(xs[0] if len(xs) == 1 else xs, training=False)
        ys = y if isinstance(y, (list, tuple)) else [y]
        return [np.asarray(v.numpy() if hasattr(v, "numpy") else v) for v in ys]

    report = verify_and_write(ex.b.model("unidl-keras"), path, reference, probes)
    if verbose:
        print(report)
    return report


# -- import ---------------------------------------------------------------------------------------------------------
from ._onnx_import import SUPPORTED_ONNX  # noqa: E402,F401 - the ONNX ops the Keras import builds


def import_graph(graph: Any) -> Any:
    from ._onnx_import import build

    return build(graph)


def run_model(model: Any, probes: List[np.ndarray]) -> List[np.ndarray]:
    y = model(probes[0] if len(probes) == 1 else probes, training=False)
    ys = y if isinstance(y, (list, tuple)) else [y]
    return [np.asarray(v.numpy() if hasattr(v, "numpy") else v) for v in ys]
