"""Gluon blocks in the core's canonical terms (``unidl.nn.canonical``): weights as units, specs as blocks.

:func:`units` lists an initialized block's parameters as canonical units (read, write, gradients), so they
move to and from any other frontend's twin without a module that knows both frameworks. :func:`build` makes
the Gluon block of a canonical chain (:class:`~unidl.nn.canonical.ModelSpec`): the standard Gluon layers a
Gluon user would write, registered as children ``"0"``, ``"1"``, ... in the spec's order, so
``save_parameters`` names the parameters as a ``HybridSequential`` of the same layers would (``0.weight``...).

Gluon shows some parameters in another axis order than the canonical one (Dense (out, in), recurrent
weights (gates*H, in) with GRU gates r, z, n); units translate with exact transposes and gathers.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Tuple

import numpy as np

from unidl.nn.canonical import MappingError, ModelSpec, Unit

__all__ = ["units", "build"]

# canonical activation name -> Gluon Activation act_type (None: identity)
_ACT = {"relu": "relu", "sigmoid": "sigmoid", "tanh": "tanh", "softplus": "softrelu", "softsign": "softsign",
        "linear": None}


# -- units ----------------------------------------------------------------------------------------------------
def _gnp(p: Any) -> np.ndarray:
    return p.data().asnumpy()


def _gassign(p: Any, a: np.ndarray) -> None:
    from ..ndarray import array

    if tuple(p.shape) != tuple(a.shape):
        raise MappingError(f"Gluon parameter '{p.name}' has shape {tuple(p.shape)}, got an array of shape {a.shape}")
    p.set_data(array(np.ascontiguousarray(a), dtype=p.data().dtype))


def _ggrad(p: Any) -> Optional[np.ndarray]:
    return None if p.grad_req == "null" else p.grad().asnumpy()


def _T(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a.T)


def _ident(a: np.ndarray) -> np.ndarray:
    return a


def _gru_perm(H: int) -> np.ndarray:
    """Index that reorders MXNet's r, z, n gate blocks as the core's z, r, h (and is its own inverse)."""
    return np.concatenate([np.arange(H, 2 * H), np.arange(0, H), np.arange(2 * H, 3 * H)])


def _unit(kind: str, owner: str, params: Dict[str, Tuple[Any, Callable, Callable]],
          meta: Optional[Dict[str, Any]] = None) -> Unit:
    """params: role -> (parameter, to_canonical, from_canonical); None parameters are left out."""
    params = {r: v for r, v in params.items() if v[0] is not None}

    def read() -> Dict[str, np.ndarray]:
        return {r: to(_gnp(p)) for r, (p, to, _) in params.items()}

    def write(vals: Dict[str, np.ndarray]) -> None:
        for r, (p, _, back) in params.items():
            _gassign(p, back(vals[r]))

    def read_grads() -> Dict[str, Optional[np.ndarray]]:
        out = {}
        for r, (p, to, _) in params.items():
            g = _ggrad(p)
            out[r] = None if g is None else to(g)
        return out

    return Unit(kind, owner, {r: p.name for r, (p, _, _) in params.items()}, read, write, read_grads, meta or {})


def _plain(**params: Any) -> Dict[str, Tuple[Any, Callable, Callable]]:
    return {r: (p, _ident, _ident) for r, p in params.items()}


def _rnn_units(block: Any) -> List[Unit]:
    mode, H = block._mode, block._hidden_size
    if mode not in ("lstm", "gru"):
        raise MappingError(f"Gluon recurrent layer '{block.name}' ({mode}) has no canonical form (LSTM and GRU have)")
    if mode == "gru":
        p = _gru_perm(H)
        w_to, w_back = (lambda a: _T(a[p])), (lambda a: _T(a)[p])   # rows r, z, n <-> columns z, r, h
        b_to = b_back = (lambda a: np.ascontiguousarray(a[p]))
    else:
        w_to = w_back = _T
        b_to = b_back = _ident
    out = []
    for i in range(block._num_layers):
        for j in ("l", "r")[: block._dir]:
            reg = block._reg_params
            params = {n: (reg[f"{j}{i}_{n}"], w_to, w_back) for n in ("i2h_weight", "h2h_weight")}
            params.update({n: (reg[f"{j}{i}_{n}"], b_to, b_back) for n in ("i2h_bias", "h2h_bias")})
            out.append(_unit(mode, f"{block.name}[{j}{i}]", params, {"hidden": H}))
    return out


def _block_units(block: Any) -> List[Unit]:
    from . import nn
    from .nn.conv_layers import _Conv
    from .rnn.rnn_layer import _RNNLayer

    name = block.name
    if isinstance(block, nn.Dense):   # weight (out, in) -> canonical (in, out)
        return [_unit("dense", name, {"weight": (block.weight, _T, _T), **_plain(bias=block.bias)})]
    if "Transpose" in type(block).__name__ and hasattr(block, "weight"):   # nn.Conv1DTranspose ...
        return [_unit("conv_transpose", name, _plain(weight=block.weight, bias=getattr(block, "bias", None)),
                      {"groups": int(getattr(block, "_groups", 1))})]
    if isinstance(block, _Conv):
        return [_unit("conv", name, _plain(weight=block.weight, bias=block.bias), {"groups": int(block._groups)})]
    if isinstance(block, nn.BatchNorm):
        return [_unit("batchnorm", name, _plain(gamma=block.gamma, beta=block.beta, running_mean=block.running_mean,
                                                running_var=block.running_var))]
    if isinstance(block, nn.LayerNorm):
        return [_unit("layernorm", name, _plain(gamma=block.gamma, beta=block.beta))]
    if isinstance(block, nn.Embedding):
        return [_unit("embedding", name, _plain(weight=block.weight))]
    if isinstance(block, _RNNLayer):
        return _rnn_units(block)
    out: List[Unit] = []
    own = dict(block._reg_params)
    if own:
        out.append(_unit("generic", name, {f"w{i}": (p, _ident, _ident) for i, p in enumerate(own.values())},
                         {"n": len(own)}))
    for child in block._children.values():
        out.extend(_block_units(child))
    return out


def units(net: Any) -> List[Unit]:
    """The weight-carrying units of an initialized Gluon block, in registration order, in canonical layout."""
    for p in net.collect_params().values():
        try:
            p.data()
        except Exception as e:  # noqa: BLE001 - deferred init: shapes unknown until the first forward
            raise MappingError(f"Gluon parameter '{p.name}' is not initialized ({type(e).__name__}); call "
                               "net.initialize() and run one forward pass first") from None
    return _block_units(net)


# -- building ----------------------------------------------------------------------------------------------------
Fn = Callable[[Any], Any]


def _post(name: Optional[str]) -> Optional[Fn]:
    from .. import ndarray as nd

    if name is None:
        return None
    if name == "softmax":
        return lambda x: nd.softmax(x, axis=-1)
    if name == "log_softmax":
        return lambda x: nd.log_softmax(x, axis=-1)
    if name == "flatten":
        return lambda x: nd.flatten(x)
    if name == "last_step":
        return lambda x: nd.flatten(nd.slice_axis(x, axis=1, begin=-1, end=None))
    raise MappingError(f"unknown post function {name!r} in a canonical spec")


def _block(kind: str, o: Dict[str, Any]) -> Any:
    from . import nn, rnn

    if kind == "dense":
        return nn.Dense(o["units"], activation=_ACT[o["activation"]], use_bias=o["use_bias"], flatten=o["flatten"],
                        in_units=o["in_units"])
    if kind == "conv":
        return getattr(nn, f"Conv{o['rank']}D")(o["filters"], o["kernel"], strides=o["strides"], padding=o["padding"],
                                                dilation=o["dilation"], groups=o["groups"],
                                                activation=_ACT[o["activation"]], use_bias=o["use_bias"],
                                                in_channels=o["in_channels"])
    if kind == "pool":
        return getattr(nn, f"{'MaxPool' if o['op'] == 'max' else 'AvgPool'}{o['rank']}D")(o["pool"], strides=o["strides"])
    if kind == "global_pool":
        return getattr(nn, f"{'GlobalMaxPool' if o['op'] == 'max' else 'GlobalAvgPool'}{o['rank']}D")()
    if kind == "batchnorm":
        return nn.BatchNorm(axis=o["axis"], momentum=o["momentum"], epsilon=o["epsilon"], center=o["center"],
                            scale=o["scale"], in_channels=o["in_channels"])
    if kind == "layernorm":
        return nn.LayerNorm(axis=-1, epsilon=o["epsilon"], center=o["center"], scale=o["scale"],
                            in_channels=o["in_channels"])
    if kind == "embedding":
        return nn.Embedding(o["input_dim"], o["output_dim"])
    if kind == "rnn":
        return getattr(rnn, o["mode"].upper())(o["units"], layout="NTC", bidirectional=o["bidirectional"],
                                               input_size=o["input_size"])
    if kind == "dropout":
        return nn.Dropout(o["rate"])
    if kind == "flatten":
        return nn.Flatten()
    if kind == "activation":
        return nn.Activation(_ACT[o["name"]])
    if kind == "leaky_relu":
        return nn.LeakyReLU(o["alpha"])
    if kind == "identity":
        return nn.HybridLambda(lambda F, x: x)
    raise MappingError(f"a canonical spec layer of kind {kind!r} has no Gluon block")


def build(spec: ModelSpec, initialize: bool = True) -> Any:
    """The Gluon block of a canonical chain: its children ``"0"``, ``"1"``, ... run in order, with the spec's
    transposes before and functions after them; initialized unless ``initialize=False`` (every shape is known).
    Its input is the spec's (channels-first) input: apply ``spec.input_perm`` to the source model's input."""
    from . import nn

    class CanonicalChain(nn.HybridSequential):
        """A chain of Gluon layers with the layout changes and output functions its spec names."""

        def __init__(self) -> None:
            super().__init__()
            self._around: List[Tuple[Optional[Tuple[int, ...]], Optional[Fn]]] = []

        def forward(self, x: Any) -> Any:
            for block, (pre, post) in zip(self._children.values(), self._around):
                if pre is not None:
                    x = x.transpose(pre)
                x = block(x)
                if post is not None:
                    x = post(x)
            return x

    net = CanonicalChain()
    for layer in spec.layers:
        net.add(_block(layer.kind, layer.options))
        net._around.append((layer.pre, _post(layer.post)))
    if initialize:
        net.initialize()
    return net
