"""Run a Symbol graph on NDArrays with :mod:`unidl.ops` (what ``gluon.SymbolBlock`` executes).

Node attributes are MXNet's strings (``"(3, 3)"``, ``"True"``, ``"relu"``); they are read with
``ast.literal_eval`` (literals only, nothing evaluated) and fall back to the raw string. Defaults are those of
MXNet's operators (not of the Gluon layers: e.g. BatchNorm's ``eps`` 1e-3 and ``fix_gamma`` True).
"""
from __future__ import annotations

import ast
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from unidl import autograd as _ag
from unidl import ops
from unidl.errors import OpError
from unidl.nn import layers_extra as _lx

from .. import ndarray as nd
from ..base import MXNetError
from ..ndarray.ndarray import NDArray, wrap
from .symbol import _Node, _post_order


def parse_attr(v: str) -> Any:
    """MXNet's string attribute as a Python value ("(1, 1)" -> (1, 1), "relu" -> "relu")."""
    try:
        return ast.literal_eval(v)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return v


def _tup(v: Any, n: int, default: int) -> Tuple[int, ...]:
    if v is None or v == ():
        return (default,) * n
    if isinstance(v, int):
        return (v,) * n
    return tuple(int(i) for i in v)


def _check_layout(a: Dict[str, Any], nd_: int, op: str) -> None:
    layout = a.get("layout")
    if layout not in (None, {1: "NCW", 2: "NCHW", 3: "NCDHW"}.get(nd_)):
        raise MXNetError(f"{op}: layout {layout!r} is not supported; only channels-first layouts run")


def _conv(x: NDArray, w: NDArray, b: Optional[NDArray] = None, **a: Any) -> NDArray:
    k = len(_tup(a["kernel"], 1, 1))
    _check_layout(a, k, "Convolution")
    bias = None if a.get("no_bias", False) or b is None else b._t
    return wrap(ops.conv(x._t, w._t, bias, stride=_tup(a.get("stride"), k, 1), padding=_tup(a.get("pad"), k, 0),
                         dilation=_tup(a.get("dilate"), k, 1), groups=int(a.get("num_group", 1))))


def _deconv(x: NDArray, w: NDArray, b: Optional[NDArray] = None, **a: Any) -> NDArray:
    k = len(_tup(a["kernel"], 1, 1))
    _check_layout(a, k, "Deconvolution")
    if a.get("target_shape") not in (None, (), (0,) * k):
        raise MXNetError("Deconvolution: target_shape is not supported; give pad and adj instead")
    bias = None if a.get("no_bias", True) or b is None else b._t
    return wrap(ops.conv_transpose(x._t, w._t, bias, stride=_tup(a.get("stride"), k, 1),
                                   padding=_tup(a.get("pad"), k, 0), output_padding=_tup(a.get("adj"), k, 0),
                                   dilation=_tup(a.get("dilate"), k, 1), groups=int(a.get("num_group", 1))))


def _pool(x: NDArray, **a: Any) -> NDArray:
    kind = a.get("pool_type", "max")
    if kind not in ("max", "avg"):
        raise MXNetError(f"Pooling: pool_type {kind!r} is not supported (max, avg)")
    n = x.ndim - 2
    _check_layout(a, n, "Pooling")
    if a.get("global_pool", False):
        fn = ops.global_max_pool if kind == "max" else ops.global_avg_pool
        return wrap(fn(x._t, keepdims=True))
    kernel = _tup(a["kernel"], n, 1)
    stride, pad = _tup(a.get("stride"), n, 1), _tup(a.get("pad"), n, 0)
    conv = a.get("pooling_convention", "valid")
    if conv not in ("valid", "full"):
        raise MXNetError(f"Pooling: pooling_convention {conv!r} is not supported (valid, full)")
    if kind == "max":
        return wrap(ops.max_pool(x._t, kernel, stride, pad, ceil_mode=conv == "full"))
    return wrap(ops.avg_pool(x._t, kernel, stride, pad, ceil_mode=conv == "full",
                             count_include_pad=bool(a.get("count_include_pad", True))))


def _batch_norm(x: NDArray, gamma: NDArray, beta: NDArray, mean: NDArray, var: NDArray, **a: Any) -> NDArray:
    g = gamma._t
    if a.get("fix_gamma", True):
        g = ops.ones_like(g)
    training = _ag.is_training() and not a.get("use_global_stats", False)
    return wrap(ops.batch_norm(x._t, g, beta._t, mean._t, var._t, axis=int(a.get("axis", 1)), training=training,
                               momentum=float(a.get("momentum", 0.9)), eps=float(a.get("eps", 1e-3)),
                               update_running="backward"))


def _dropout(x: NDArray, **a: Any) -> NDArray:
    p = float(a.get("p", 0.5))
    on = a.get("mode", "training") == "always" or _ag.is_training()
    if not on or p == 0:
        return x
    axes = tuple(a.get("axes", ()) or ())
    noise = tuple(1 if i in axes else d for i, d in enumerate(x.shape)) if axes else None
    return wrap(ops.dropout(x._t, p, training=True, noise_shape=noise))


def _softmax_output(x: NDArray, label: Optional[NDArray] = None, **a: Any) -> NDArray:
    if a.get("multi_output", False):
        return wrap(ops.softmax(x._t, axis=1))
    if a.get("preserve_shape", False) or x.ndim <= 2:
        return wrap(ops.softmax(x._t, axis=-1))
    flat = ops.reshape(x._t, (x.shape[0], -1))
    return wrap(ops.reshape(ops.softmax(flat, axis=-1), x.shape))


def _scalar(fn: Callable[[Any, Any], Any], reverse: bool = False) -> Callable[..., NDArray]:
    def run(x: NDArray, scalar: Any = 0.0, **a: Any) -> NDArray:
        s = x._t.dtype.type(scalar)
        return wrap(fn(s, x._t) if reverse else fn(x._t, s))

    return run


def _binary(fn: Callable[[Any, Any], Any]) -> Callable[..., NDArray]:
    return lambda lhs, rhs, **a: wrap(fn(lhs._t, rhs._t))


def _unary(fn: Callable[[NDArray], NDArray]) -> Callable[..., NDArray]:
    return lambda x, **a: fn(x)


def _pad(x: NDArray, mode: str = "constant", pad_width: Sequence[int] = (), constant_value: float = 0.0,
         **a: Any) -> NDArray:
    pw = tuple(pad_width)
    if len(pw) != 2 * x.ndim:
        raise MXNetError(f"Pad: pad_width needs {2 * x.ndim} values for an input of shape {x.shape}, got {pw}")
    pairs = tuple((pw[2 * i], pw[2 * i + 1]) for i in range(x.ndim))
    return wrap(ops.pad(x._t, pairs, mode=mode, constant_value=constant_value))


def _reduce(fn: Callable[..., NDArray]) -> Callable[..., NDArray]:
    return lambda x, axis=None, keepdims=False, exclude=False, **a: fn(x, axis=axis, keepdims=keepdims,
                                                                        exclude=exclude)


_GATES = {"lstm": 4, "gru": 3, "rnn_relu": 1, "rnn_tanh": 1}


def _rnn(data: NDArray, parameters: NDArray, state: NDArray, state_cell: Optional[NDArray] = None,
         state_size: int = 0, num_layers: int = 1, bidirectional: bool = False, mode: str = "lstm", p: float = 0.0,
         **a: Any) -> NDArray:
    """MXNet's fused ``RNN`` operator: data (T, N, C); ``parameters`` the flat vector of every layer's and
    direction's i2h/h2h weights, then every bias, in that order; states (L*D, N, H) (an empty state, as
    ``_zeros`` with a 0 batch makes it, means zeros). Returns the output (T, N, D*H)."""
    from unidl.nn import functional as F_nn

    if mode not in _GATES:
        raise MXNetError(f"RNN: mode {mode!r} is not one of {sorted(_GATES)}")
    if a.get("projection_size") not in (None, 0) or a.get("use_sequence_length", False):
        raise MXNetError("RNN: projection_size and use_sequence_length are not supported")
    H, L, D, G = int(state_size), int(num_layers), 2 if bidirectional else 1, _GATES[mode]
    if data.ndim != 3:
        raise MXNetError(f"RNN: data must be (T, N, C), got shape {data.shape}")
    T, N, C = data.shape
    sizes = []
    for layer in range(L):
        inp = C if layer == 0 else D * H
        sizes += [(G * H, inp), (G * H, H)] * D
    want = sum(r * c for r, c in sizes) + 2 * L * D * G * H
    flat = parameters._t
    if flat.ndim != 1 or flat.shape[0] != want:
        raise MXNetError(f"RNN: parameters must be a vector of {want} values for {L} layer(s), {D} direction(s), "
                         f"state_size {H}, mode {mode} and {C} input features; got shape {parameters.shape}")
    pieces, off = [], 0
    for r, c in sizes:
        pieces.append(ops.reshape(ops.getitem(flat, slice(off, off + r * c)), (r, c)))
        off += r * c
    biases = []
    for _ in range(2 * L * D):
        biases.append(ops.getitem(flat, slice(off, off + G * H)))
        off += G * H
    h_all = state._t if state is not None and state.size else None
    c_all = state_cell._t if state_cell is not None and state_cell.size else None
    x = data._t
    for layer in range(L):
        outs = []
        for d in range(D):
            k = layer * D + d
            w_ih, w_hh = pieces[2 * k], pieces[2 * k + 1]
            b_ih, b_hh = biases[2 * k], biases[2 * k + 1]
            h0 = None if h_all is None else h_all[k]
            kw = dict(time_major=True, reverse=d == 1, weights_layout="oi")
            if mode == "lstm":
                y = F_nn.lstm(x, h0, None if c_all is None else c_all[k], w_ih, w_hh, b_ih, b_hh, **kw)[0]
            elif mode == "gru":
                y = F_nn.gru(x, h0, w_ih, w_hh, b_ih, b_hh, reset_after=True, gate_order="rzn", **kw)[0]
            else:
                y = F_nn.simple_rnn(x, h0, w_ih, w_hh, b_ih, b_hh, activation=mode[4:], **kw)[0]
            outs.append(y)
        x = outs[0] if D == 1 else ops.concatenate(outs, axis=2)
    return wrap(x)


def _zeros(shape: Any = (), dtype: str = "float32", **a: Any) -> NDArray:
    return nd.zeros(tuple(int(d) for d in (shape if isinstance(shape, (tuple, list)) else (shape,))), dtype=dtype)


_IMPL: Dict[str, Callable[..., NDArray]] = {
    "RNN": _rnn, "_zeros": _zeros,
    "FullyConnected": lambda x, w, b=None, num_hidden=0, no_bias=False, flatten=True, **a: nd.FullyConnected(
        x, w, None if no_bias else b, num_hidden=num_hidden, no_bias=no_bias, flatten=flatten),
    "Convolution": _conv, "Deconvolution": _deconv, "Pooling": _pool, "BatchNorm": _batch_norm,
    "Activation": lambda x, act_type="relu", **a: nd.Activation(x, act_type=act_type),
    "LeakyReLU": lambda x, gamma=None, **a: nd.LeakyReLU(x, gamma, **a),
    "Flatten": lambda x, **a: wrap(ops.flatten(x._t)),
    "Dropout": _dropout,
    "Embedding": lambda x, w, **a: wrap(ops.embedding(x._t, w._t)),
    "LayerNorm": lambda x, g, b, axis=-1, eps=1e-5, **a: wrap(ops.layer_norm(x._t, g._t, b._t, axes=(int(axis),),
                                                                                 eps=float(eps))),
    "InstanceNorm": lambda x, g, b, eps=1e-3, **a: wrap(_lx.instance_norm(x._t, g._t, b._t, axis=1,
                                                                             eps=float(eps))),
    "GroupNorm": lambda x, g, b, num_groups=1, eps=1e-5, **a: wrap(_lx.group_norm(x._t, int(num_groups), g._t, b._t,
                                                                                     eps=float(eps))),
    "softmax": lambda x, axis=-1, temperature=None, **a: nd.softmax(x, axis=axis, temperature=temperature),
    "log_softmax": lambda x, axis=-1, temperature=None, **a: nd.log_softmax(x, axis=axis, temperature=temperature),
    "SoftmaxOutput": _softmax_output, "SoftmaxActivation": lambda x, **a: wrap(ops.softmax(x._t, axis=-1)),
    "Concat": lambda *xs, dim=1, **a: nd.concat(*xs, dim=dim),
    "Reshape": lambda x, shape=(), reverse=False, **a: nd.reshape(x, shape, reverse=reverse),
    "transpose": lambda x, axes=(), **a: nd.transpose(x, axes),
    "SwapAxis": lambda x, dim1=0, dim2=0, **a: nd.swapaxes(x, dim1, dim2),
    "expand_dims": lambda x, axis=0, **a: nd.expand_dims(x, axis),
    "clip": lambda x, a_min=None, a_max=None, **a: nd.clip(x, a_min, a_max),
    "_copy": lambda x, **a: x, "BlockGrad": lambda x, **a: wrap(x._t.detach()),
    "Pad": _pad, "Cast": lambda x, dtype="float32", **a: wrap(ops.astype(x._t, dtype)),
    "slice_axis": lambda x, axis=0, begin=0, end=None, **a: nd.slice_axis(x, int(axis), int(begin),
                                                                           None if end is None else int(end)),
    "dot": lambda a_, b_, transpose_a=False, transpose_b=False, **a: nd.dot(a_, b_, transpose_a=bool(transpose_a),
                                                                            transpose_b=bool(transpose_b)),
    "batch_dot": lambda a_, b_, transpose_a=False, transpose_b=False, **a: nd.batch_dot(
        a_, b_, transpose_a=bool(transpose_a), transpose_b=bool(transpose_b)),
}
for _name in ("sum", "mean", "max", "min", "prod"):
    _IMPL[_name] = _reduce(getattr(nd, _name))
for _name in ("relu", "sigmoid", "tanh", "exp", "log", "sqrt", "square", "abs", "negative"):
    _IMPL[_name] = _unary(getattr(nd, _name))
for _names, _fn in ((("elemwise_add", "broadcast_add", "_plus", "_Plus"), ops.add),
                    (("elemwise_sub", "broadcast_sub", "_minus", "_Minus"), ops.subtract),
                    (("elemwise_mul", "broadcast_mul", "_mul", "_Mul"), ops.multiply),
                    (("elemwise_div", "broadcast_div", "_div", "_Div"), ops.divide),
                    (("broadcast_maximum", "_maximum"), ops.maximum), (("broadcast_minimum", "_minimum"), ops.minimum),
                    (("broadcast_power", "_power"), ops.power)):
    for _name in _names:
        _IMPL[_name] = _binary(_fn)
for _name, _fn, _rev in (("_plus_scalar", ops.add, False), ("_minus_scalar", ops.subtract, False),
                         ("_rminus_scalar", ops.subtract, True), ("_mul_scalar", ops.multiply, False),
                         ("_div_scalar", ops.divide, False), ("_rdiv_scalar", ops.divide, True),
                         ("_power_scalar", ops.power, False), ("_rpower_scalar", ops.power, True),
                         ("_maximum_scalar", ops.maximum, False), ("_minimum_scalar", ops.minimum, False)):
    _IMPL[_name] = _scalar(_fn, _rev)

SUPPORTED_OPS = tuple(sorted(_IMPL))


def infer_param_shape(op: str, a: Dict[str, Any], slot: int, x_shape: Tuple[int, ...]) -> Optional[Tuple[int, ...]]:
    """The shape of input ``slot`` of ``op`` (a weight) given its data input's shape, for deferred parameters."""
    if op == "FullyConnected":
        n = int(a.get("num_hidden", 0))
        if slot == 1:
            in_units = 1
            for d in (x_shape[1:] if a.get("flatten", True) else x_shape[-1:]):
                in_units *= d
            return (n, in_units)
        return (n,)
    if op in ("Convolution", "Deconvolution"):
        k, f, g = _tup(a["kernel"], 1, 1), int(a.get("num_filter", 0)), int(a.get("num_group", 1))
        if slot == 2:
            return (f,)
        return (f, x_shape[1] // g) + k if op == "Convolution" else (x_shape[1], f // g) + k
    if op in ("BatchNorm", "InstanceNorm"):
        return (x_shape[int(a.get("axis", 1))],)
    if op == "LayerNorm":
        return (x_shape[int(a.get("axis", -1))],)
    if op == "GroupNorm":
        return (int(a.get("num_groups", 1)),)
    if op == "Embedding":
        return (int(a["input_dim"]), int(a["output_dim"]))
    if op == "LeakyReLU":
        return (x_shape[1],)
    return None


class GraphRunner:
    """Evaluates a graph's outputs. ``get_var(node, consumer, slot, data_shape)`` supplies variable values."""

    def __init__(self, outputs: Sequence[Tuple[_Node, int]]) -> None:
        self.outputs = list(outputs)
        self.order = _post_order([n for n, _ in self.outputs])
        self.attrs: Dict[int, Dict[str, Any]] = {}
        for n in self.order:
            if n.is_var:
                continue
            if n.op not in _IMPL:
                raise MXNetError(f"SymbolBlock: operator {n.op!r} (node {n.name!r}) is not supported by unidl_mxnet; "
                                 f"supported operators: {', '.join(SUPPORTED_OPS)}")
            self.attrs[id(n)] = {k: parse_attr(v) for k, v in n.attrs.items()
                                 if not (k.startswith("__") and k.endswith("__"))}
        for n in self.order:
            for e in n.inputs:
                if e[1] != 0 and not e[0].is_var:
                    raise MXNetError(f"SymbolBlock: node {n.name!r} uses hidden output {e[1]} of {e[0].name!r} "
                                     f"({e[0].op}); only the first output of an operator can be computed")
        for n, i in self.outputs:
            if i != 0:
                raise MXNetError(f"SymbolBlock: output {i} of {n.name!r} ({n.op}) is a hidden output; only the "
                                 "first output of an operator can be computed")

    def run(self, get_var: Callable[[_Node, _Node, int, Tuple[int, ...]], NDArray]) -> List[NDArray]:
        values: Dict[int, NDArray] = {}
        for n in self.order:
            if n.is_var:
                continue
            args: List[NDArray] = []
            try:
                for slot, e in enumerate(n.inputs):
                    src = e[0]
                    if src.is_var:
                        args.append(get_var(src, n, slot, args[0].shape if args else ()))
                    else:
                        args.append(values[id(src)])
                if n.op == "SoftmaxOutput":
                    args = args[:1]
                values[id(n)] = _IMPL[n.op](*args, **self.attrs[id(n)])
            except (OpError, MXNetError, ValueError, TypeError, KeyError, IndexError, ArithmeticError,
                    RecursionError, MemoryError) as err:   # a graph's attributes are a file's: any of these is its fault
                raise MXNetError(f"SymbolBlock: node {n.name!r} ({n.op}) failed on inputs of shapes "
                                 f"{[a.shape for a in args]}: {type(err).__name__}: {err}") from None
        out = []
        for n, _ in self.outputs:
            if n.is_var:
                out.append(get_var(n, n, 0, ()))
            else:
                out.append(values[id(n)])
        return out


__all__ = ["GraphRunner", "parse_attr", "infer_param_shape", "SUPPORTED_OPS"]
