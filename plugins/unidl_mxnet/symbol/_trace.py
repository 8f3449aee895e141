"""Trace a Gluon HybridBlock into a Symbol graph, as MXNet does when it hybridizes, and ``export`` it.

A HybridBlock called with a Symbol (``net(mx.sym.var('data'))``) runs in its name scope (``Prefix(prefix)``,
a fresh counter per call, so ops are named ``dense0_fwd``, ``flatten0_flatten0``) with its parameters as
variables. User blocks run their ``hybrid_forward`` with ``F = mx.sym``. The built-in layers compute with
:mod:`unidl.ops` directly for speed, so each has an emitter here that records the op MXNet's own layer
records (same op, name and attributes).
"""
from __future__ import annotations

import contextlib
import threading
import warnings
from typing import Any, Callable, Dict, List, Optional

from ..base import MXNetError
from . import op as S
from .symbol import Group, NameManager, Prefix, Symbol, var

EXPORT_HINT = ("Please first call block.hybridize() and then run forward with this block at least once before "
               "calling export.")

_ctx = threading.local()


class _TraceContext:
    """Parameter variables shared across one trace (a Parameter used twice is one variable node), with the
    shapes recorded when the block first ran hybridized (MXNet writes those in ``__shape__``)."""

    def __init__(self, shapes: Optional[Dict[str, Any]] = None) -> None:
        self.shapes = shapes or {}
        self.vars: Dict[int, Symbol] = {}
        self._old = None

    def __enter__(self) -> "_TraceContext":
        self._old = getattr(_ctx, "value", None)
        _ctx.value = self
        return self

    def __exit__(self, *exc: Any) -> None:
        _ctx.value = self._old


def _param_var(p: Any) -> Symbol:
    ctx = getattr(_ctx, "value", None)
    if ctx is None:
        ctx = _ctx.value = _TraceContext()
    v = ctx.vars.get(id(p))
    if v is None:
        shape = ctx.shapes.get(p.name, p.shape)
        v = ctx.vars[id(p)] = var(p.name, shape=shape, dtype=p.dtype, lr_mult=p.lr_mult,
                                  wd_mult=p.wd_mult, init=p.init, stype="default")
    return v


def trace_call(block: Any, *args: Any) -> Any:
    """``block(*args)`` with Symbol inputs: the block's graph, built in its name scope."""
    from ..gluon.block import HybridBlock

    if hasattr(block, "_trace_symbol"):  # SymbolBlock: its graph composed onto the inputs
        return block._trace_symbol(*args)
    params = {name: _param_var(p) for name, p in block._reg_params.items() if p is not None}
    # a block made with prefix='' has no name scope of its own: its ops count on in the enclosing one
    with (contextlib.nullcontext() if block._empty_prefix else Prefix(block.prefix)):
        emit = _emitter(block)
        if emit is not None:
            return emit(block, args[0], *args[1:], **params)
        if type(block).forward is not HybridBlock.forward:  # containers (HybridSequential, Concurrent)
            return block.forward(*args)
        try:
            return block.hybrid_forward(S_MODULE(), *args, **params)
        except AttributeError as err:
            if "_t" in str(err) or "Symbol" in str(err):
                raise MXNetError(
                    f"{type(block).__name__} ({block.name}) cannot be traced into a symbol graph: its hybrid_forward "
                    f"does not go through F ({err}). Write it with F.<op> calls, or add an emitter in "
                    "unidl_mxnet/symbol/_trace.py") from None
            raise


def S_MODULE() -> Any:  # noqa: N802
    from .. import symbol

    return symbol


def _act(block: Any, y: Symbol) -> Symbol:
    return block.act(y) if getattr(block, "act", None) is not None else y


def _dense(b: Any, x: Symbol, weight: Symbol, bias: Optional[Symbol] = None) -> Symbol:
    y = S.FullyConnected(x, weight, bias, no_bias=bias is None, num_hidden=b._units, flatten=b._flatten, name="fwd")
    return _act(b, y)


def _conv(b: Any, x: Symbol, weight: Symbol, bias: Optional[Symbol] = None) -> Symbol:
    layout = {1: "NCW", 2: "NCHW", 3: "NCDHW"}[b._nd]
    kw = {"kernel": b._kernel, "stride": b._strides, "dilate": b._dilation, "pad": b._padding,
          "num_filter": b._channels, "num_group": b._groups, "no_bias": bias is None, "layout": layout}
    if b._transpose:
        kw["adj"] = b.outpad
        y = S.Deconvolution(x, weight, bias, name="fwd", **kw)
    else:
        y = S.Convolution(x, weight, bias, name="fwd", **kw)
    return _act(b, y)


def _pool(b: Any, x: Symbol) -> Symbol:
    kw = {"kernel": b._pool, "stride": b._strides, "pad": b._padding, "global_pool": False, "pool_type": b._kind,
          "layout": b._layout, "pooling_convention": "full" if b._ceil else "valid"}
    if b._kind == "avg":
        kw["count_include_pad"] = b._count_include_pad
    return S.Pooling(x, name="fwd", **kw)


def _global_pool(b: Any, x: Symbol) -> Symbol:
    n = b._nd
    return S.Pooling(x, name="fwd", kernel=(1,) * n, stride=(1,) * n, pad=(0,) * n, global_pool=True,
                     pool_type=b._kind, layout=b._layout, pooling_convention="full")


def _batch_norm(b: Any, x: Symbol, gamma: Symbol, beta: Symbol, running_mean: Symbol, running_var: Symbol) -> Symbol:
    return S.BatchNorm(x, gamma, beta, running_mean, running_var, name="fwd", axis=b._axis, eps=b._eps,
                       momentum=b._momentum, fix_gamma=not b.gamma._differentiable, use_global_stats=b._global)


def _layer_norm(b: Any, x: Symbol, gamma: Symbol, beta: Symbol) -> Symbol:
    return S.LayerNorm(x, gamma=gamma, beta=beta, axis=b._axis, eps=b._eps)


def _instance_norm(b: Any, x: Symbol, gamma: Symbol, beta: Symbol) -> Symbol:
    if b._axis == 1:
        return S.InstanceNorm(x, gamma, beta, name="fwd", eps=b._epsilon)
    x = S.swapaxes(x, 1, b._axis)
    return S.swapaxes(S.InstanceNorm(x, gamma, beta, name="fwd", eps=b._epsilon), 1, b._axis)


def _group_norm(b: Any, x: Symbol, gamma: Symbol, beta: Symbol) -> Symbol:
    return S.GroupNorm(x, gamma=gamma, beta=beta, num_groups=b._num_groups, eps=b._epsilon)


def _embedding(b: Any, x: Symbol, weight: Symbol) -> Symbol:
    import numpy as np

    return S.Embedding(x, weight, name="fwd", input_dim=b._input_dim, output_dim=b._output_dim,
                       dtype=np.dtype(b.weight.dtype).name, sparse_grad=False)


def _dropout(b: Any, x: Symbol) -> Symbol:
    if b._rate > 0:
        return S.Dropout(x, p=b._rate, axes=b._axes, name="fwd", cudnn_off=False)
    return S.identity(x)


def _hybrid_lambda(b: Any, x: Symbol, *args: Symbol) -> Symbol:
    # HybridLambda('tanh') binds the mx.nd op at construction; trace the mx.sym op of that name instead
    if "HybridLambda.__init__" in getattr(b._func, "__qualname__", ""):
        fn = getattr(S_MODULE(), b._func_name, None)
        if fn is None:
            raise MXNetError(f"HybridLambda({b._func_name!r}): mx.sym has no operator {b._func_name!r} to export")
        return fn(x, *args)
    return b._func(S_MODULE(), x, *args)


def _concurrent(b: Any, x: Symbol) -> Symbol:
    return S.concat(*[c(x) for c in b._children.values()], dim=b.axis)


def _emitters() -> Dict[type, Callable[..., Any]]:
    from ..gluon import nn
    from ..gluon.contrib.nn import HybridConcurrent
    from ..gluon.nn import activations as A
    from ..gluon.nn import conv_layers as C

    return {
        nn.Dense: _dense, C._Conv: _conv, C._Pool: _pool, C._GlobalPool: _global_pool, nn.BatchNorm: _batch_norm,
        nn.LayerNorm: _layer_norm, nn.InstanceNorm: _instance_norm, nn.GroupNorm: _group_norm,
        nn.Embedding: _embedding, HybridConcurrent: _concurrent, nn.Dropout: _dropout, nn.HybridLambda: _hybrid_lambda,
        nn.Activation: lambda b, x: S.Activation(x, act_type=b._act_type, name="fwd"),
        nn.LeakyReLU: lambda b, x: S.LeakyReLU(x, act_type="leaky", slope=b._alpha, name="fwd"),
        A.PReLU: lambda b, x, alpha: S.LeakyReLU(x, gamma=alpha, act_type="prelu", name="fwd"),
        A.ELU: lambda b, x: S.LeakyReLU(x, act_type="elu", slope=b._alpha),
        A.SELU: lambda b, x: S.LeakyReLU(x, act_type="selu", name="fwd"),
        A.GELU: lambda b, x: S.LeakyReLU(x, act_type="gelu", name="fwd"),
        A.Swish: lambda b, x: x * S.sigmoid(b._beta * x, name="fwd"),
        C.ReflectionPad2D: lambda b, x: S.pad(x, mode="reflect", pad_width=b._padding),
    }


_EMITTERS: Optional[Dict[type, Callable[..., Any]]] = None


def _emitter(block: Any) -> Optional[Callable[..., Any]]:
    global _EMITTERS
    if _EMITTERS is None:
        _EMITTERS = _emitters()
    for klass in type(block).__mro__:
        fn = _EMITTERS.get(klass)
        if fn is not None:
            return fn
    return None


def _flatten_outputs(out: Any) -> List[Symbol]:
    if isinstance(out, Symbol):
        return [out]
    if isinstance(out, (list, tuple)):
        return [s for o in out for s in _flatten_outputs(o)]
    raise MXNetError(f"export: the block returned {type(out).__name__}, expected Symbols")


def trace_block(block: Any, num_inputs: int = 1, shapes: Optional[Dict[str, Any]] = None) -> Symbol:
    """The graph of ``block`` over inputs ``data`` (one input) or ``data0``, ``data1``, ... (several)."""
    names = ["data"] if num_inputs == 1 else [f"data{i}" for i in range(num_inputs)]
    with _TraceContext(shapes), NameManager():
        out = block(*[var(n) for n in names])
    outs = _flatten_outputs(out)
    return outs[0] if len(outs) == 1 else Group(outs)


def export_block(block: Any, path: str, epoch: int = 0, remove_amp_cast: bool = True) -> None:
    """``HybridBlock.export``: ``path-symbol.json`` and ``path-%04d.params`` (``arg:``/``aux:`` names)."""
    if not getattr(block, "_active", False) or getattr(block, "_graph_shapes", None) is None:
        raise RuntimeError(EXPORT_HINT)
    from ..ndarray.utils import save

    sym = trace_block(block, block._graph_nargs, block._graph_shapes)
    args, aux = set(sym.list_arguments()), set(sym.list_auxiliary_states())
    params = {p.name: p for p in block.collect_params().values()}
    out = {}
    for name in sym.list_inputs():
        p = params.get(name)
        if p is None:
            continue  # an input (data, data0, ...)
        out[("arg:" if name in args else "aux:") + name] = p.data()
    for name in params:
        if name not in args and name not in aux:
            warnings.warn(f'Parameter "{name}" is not found in the graph. ', stacklevel=3)
    sym.save(f"{path}-symbol.json", remove_amp_cast=remove_amp_cast)
    save("%s-%04d.params" % (path, epoch), out)


__all__ = ["trace_call", "trace_block", "export_block", "EXPORT_HINT"]
