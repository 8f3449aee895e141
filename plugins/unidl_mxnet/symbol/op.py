"""``mx.sym`` operator functions: MXNet's op names and argument order, building graph nodes.

Each function takes its inputs (Symbols, positionally or by MXNet's argument name), then its parameters
(positionally in MXNet's order or by keyword), ``name=`` and ``attr=``. Only the parameters given become node
attributes (as MXNet records them: ``str(value)``). Ops whose weights are named inputs (``FullyConnected``,
``Convolution``, ``BatchNorm``, ...) create missing ones as variables ``<name>_weight`` etc., as MXNet does.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, Optional, Tuple

from ..base import MXNetError
from .symbol import Symbol, _create, var

#: function name -> (op, input names, positional parameter names, creates missing inputs as variables)
_SPECS: Dict[str, Tuple[str, Tuple[str, ...], Tuple[str, ...], bool]] = {
    "FullyConnected": ("FullyConnected", ("data", "weight", "bias"), ("num_hidden", "no_bias", "flatten"), True),
    "Convolution": ("Convolution", ("data", "weight", "bias"),
                    ("kernel", "stride", "dilate", "pad", "num_filter", "num_group", "workspace", "no_bias"), True),
    "Deconvolution": ("Deconvolution", ("data", "weight", "bias"),
                      ("kernel", "stride", "dilate", "pad", "adj", "target_shape", "num_filter", "num_group"), True),
    "Pooling": ("Pooling", ("data",), ("kernel", "pool_type", "global_pool", "cudnn_off", "pooling_convention",
                                       "stride", "pad"), False),
    "BatchNorm": ("BatchNorm", ("data", "gamma", "beta", "moving_mean", "moving_var"),
                  ("eps", "momentum", "fix_gamma", "use_global_stats"), True),
    "LayerNorm": ("LayerNorm", ("data", "gamma", "beta"), ("axis", "eps", "output_mean_var"), True),
    "InstanceNorm": ("InstanceNorm", ("data", "gamma", "beta"), ("eps",), True),
    "GroupNorm": ("GroupNorm", ("data", "gamma", "beta"), ("num_groups", "eps", "output_mean_var"), True),
    "Embedding": ("Embedding", ("data", "weight"), ("input_dim", "output_dim", "dtype", "sparse_grad"), True),
    "Activation": ("Activation", ("data",), ("act_type",), False),
    "LeakyReLU": ("LeakyReLU", ("data", "gamma"), ("act_type", "slope", "lower_bound", "upper_bound"), True),
    "Dropout": ("Dropout", ("data",), ("p", "mode", "axes", "cudnn_off"), False),
    "Flatten": ("Flatten", ("data",), (), False),
    "flatten": ("Flatten", ("data",), (), False),
    "SoftmaxOutput": ("SoftmaxOutput", ("data", "label"), ("grad_scale", "ignore_label", "multi_output"), True),
    "softmax": ("softmax", ("data",), ("axis", "temperature"), False),
    "log_softmax": ("log_softmax", ("data",), ("axis", "temperature"), False),
    "Reshape": ("Reshape", ("data",), ("shape", "reverse"), False),
    "reshape": ("Reshape", ("data",), ("shape", "reverse"), False),
    "transpose": ("transpose", ("data",), ("axes",), False),
    "SwapAxis": ("SwapAxis", ("data",), ("dim1", "dim2"), False),
    "swapaxes": ("SwapAxis", ("data",), ("dim1", "dim2"), False),
    "expand_dims": ("expand_dims", ("data",), ("axis",), False),
    "clip": ("clip", ("data",), ("a_min", "a_max"), False),
    "identity": ("_copy", ("data",), (), False),
    "Pad": ("Pad", ("data",), ("mode", "pad_width", "constant_value"), False),
    "pad": ("Pad", ("data",), ("mode", "pad_width", "constant_value"), False),
    "BlockGrad": ("BlockGrad", ("data",), (), False),
    "stop_gradient": ("BlockGrad", ("data",), (), False),
    "Cast": ("Cast", ("data",), ("dtype",), False),
    "cast": ("Cast", ("data",), ("dtype",), False),
}
for _n in ("sum", "mean", "max", "min", "prod"):
    _SPECS[_n] = (_n, ("data",), ("axis", "keepdims", "exclude"), False)
_SPECS["slice_axis"] = ("slice_axis", ("data",), ("axis", "begin", "end"), False)
_SPECS["RNN"] = ("RNN", ("data", "parameters", "state", "state_cell"),
                 ("state_size", "num_layers", "bidirectional", "mode", "p", "state_outputs"), False)
_SPECS["_zeros"] = ("_zeros", (), ("shape", "dtype"), False)
for _n in ("dot", "batch_dot"):
    _SPECS[_n] = (_n, ("lhs", "rhs"), ("transpose_a", "transpose_b"), False)
for _n in ("relu", "sigmoid", "tanh", "exp", "log", "sqrt", "square", "abs", "negative", "softsign", "erf"):
    _SPECS[_n] = (_n, ("data",), (), False)
for _n in ("elemwise_add", "elemwise_sub", "elemwise_mul", "elemwise_div", "broadcast_add", "broadcast_sub",
           "broadcast_mul", "broadcast_div", "broadcast_maximum", "broadcast_minimum", "broadcast_power"):
    _SPECS[_n] = (_n, ("lhs", "rhs"), (), False)
for _alias, _n in (("broadcast_plus", "broadcast_add"), ("broadcast_minus", "broadcast_sub")):
    _SPECS[_alias] = (_n, ("lhs", "rhs"), (), False)
for _n in ("_plus_scalar", "_minus_scalar", "_rminus_scalar", "_mul_scalar", "_div_scalar", "_rdiv_scalar",
           "_power_scalar", "_rpower_scalar", "_maximum_scalar", "_minimum_scalar"):
    _SPECS[_n] = (_n, ("data",), ("scalar",), False)

#: inputs that exist only under some parameters
_OPTIONAL: Dict[Tuple[str, str], Callable[[Dict[str, Any]], bool]] = {
    ("FullyConnected", "bias"): lambda a: not _true(a.get("no_bias", False)),
    ("Convolution", "bias"): lambda a: not _true(a.get("no_bias", False)),
    ("Deconvolution", "bias"): lambda a: not _true(a.get("no_bias", True)),
    ("LeakyReLU", "gamma"): lambda a: a.get("act_type", "leaky") == "prelu",
    ("RNN", "state_cell"): lambda a: a.get("mode") == "lstm",
}


def _true(v: Any) -> bool:
    return v is True or str(v).lower() in ("true", "1")


def _make(fname: str) -> Callable[..., Symbol]:
    op, input_names, params, auto = _SPECS[fname]
    hint = fname.lower()

    def fn(*args: Any, name: Optional[str] = None, attr: Optional[Dict[str, str]] = None, **kwargs: Any) -> Symbol:
        inputs: Dict[str, Symbol] = {}
        rest = list(args)
        for i, n in enumerate(input_names):
            if rest and (isinstance(rest[0], Symbol) or rest[0] is None):
                v = rest.pop(0)
                if v is not None:
                    inputs[n] = v
        for n in input_names:
            if n in kwargs:
                v = kwargs.pop(n)
                if v is not None:
                    inputs[n] = v
        if len(rest) > len(params):
            raise MXNetError(f"{fname}: too many positional arguments ({len(args)})")
        attrs = dict(zip(params, rest))
        for k in list(kwargs):
            if k in attrs:
                raise TypeError(f"{fname}() got multiple values for argument {k!r}")
        attrs.update(kwargs)
        from .symbol import current_name_manager

        node_name = current_name_manager().get(name, hint)
        ordered = []
        for n in input_names:
            if n in inputs:
                ordered.append(inputs[n])
                continue
            cond = _OPTIONAL.get((op, n))
            if cond is not None and not cond(attrs):
                continue
            if not auto or (op == "SoftmaxOutput" and n == "data"):
                raise MXNetError(f"{fname} ({node_name}): missing input {n!r}")
            ordered.append(var(f"{node_name}_{n}"))
        sym = _create(op, ordered, attrs, node_name, hint, resolved=True)
        if attr:
            sym._outputs[0][0].attrs.update({str(k): str(v) for k, v in attr.items()})
        return sym

    fn.__name__ = fname
    fn.__doc__ = (f"MXNet's ``{op}`` on Symbols: inputs {', '.join(input_names)}; parameters "
                  f"{', '.join(params) or '(none)'} (only the given ones are recorded).")
    return fn


def concat(*data: Symbol, dim: int = 1, name: Optional[str] = None) -> Symbol:
    """Join symbols along ``dim`` (op ``Concat``)."""
    return _create("Concat", list(data), {"dim": dim, "num_args": len(data)}, name, "concat")


def _scalar_or_sym(fname: str, sym_op: str, scalar_op: str, hint_scalar: str) -> Callable[..., Symbol]:
    def fn(lhs: Any, rhs: Any, name: Optional[str] = None) -> Symbol:
        if isinstance(lhs, Symbol) and isinstance(rhs, Symbol):
            return _create(sym_op, [lhs, rhs], {}, name, fname)
        if isinstance(lhs, Symbol):
            return _create(scalar_op, [lhs], {"scalar": rhs}, name, hint_scalar)
        if isinstance(rhs, Symbol):
            return _create(scalar_op, [rhs], {"scalar": lhs}, name, hint_scalar)
        raise TypeError(f"{fname}: one operand must be a Symbol")

    fn.__name__ = fname
    return fn


Concat = concat
maximum = _scalar_or_sym("maximum", "_maximum", "_maximum_scalar", "_maximumscalar")
minimum = _scalar_or_sym("minimum", "_minimum", "_minimum_scalar", "_minimumscalar")

_FUNCS = {n: _make(n) for n in _SPECS}
globals().update(_FUNCS)

__all__ = sorted(_FUNCS) + ["Concat", "concat", "maximum", "minimum"]
