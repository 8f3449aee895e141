"""Weight mapping between a Keras model and its Gluon twin (exact: transposes, reshapes, reorders).

API (also used by ``unidl convert``)::

    keras_to_gluon(keras_model, gluon_net)   # copy every Keras weight into the Gluon twin
    gluon_to_keras(gluon_net, keras_model)   # and back
    pair_units(keras_model, gluon_net)       # the matched units, for comparing values and gradients

Both models are walked in layer order into *units* (one per weight-carrying layer, or per direction
and stack level of a recurrent layer). The units are matched one by one by kind and shape; any
mismatch raises :class:`MappingError` naming both sides. Values travel in a canonical layout,
Gluon's (the core's):

==============  ======================================  ==========================================
unit kind       Keras                                   Gluon (canonical)
==============  ======================================  ==========================================
dense           kernel (in, out), bias                  weight (out, in), bias
conv            kernel (*k, in/g, out)                  weight (out, in/g, *k)   (Conv1D/2D/3D)
                DepthwiseConv (*k, C, m)                weight (C*m, 1, *k), groups = C
                SeparableConv -> depthwise + 1x1 conv   two Conv blocks (groups=C, then 1x1)
conv_transpose  kernel (*k, out, in)                    weight (in, out, *k)
batchnorm       gamma, beta, moving_mean, moving_var    gamma, beta, running_mean, running_var
layernorm       gamma, beta                             gamma, beta
embedding       embeddings (V, D)                       weight (V, D)
lstm            kernel (I, 4H), recurrent (H, 4H),      i2h_weight (4H, I), h2h_weight (4H, H),
                one bias (4H,); gates i, f, c, o        i2h_bias, h2h_bias; gates i, f, c, o
gru             kernel (I, 3H) gates z, r, h,           i2h_weight (3H, I) gates r, z, n, ...
                bias (2, 3H) (reset_after=True only)    i2h_bias = bias[0], h2h_bias = bias[1]
attention       MultiHeadAttention: query/key/value     four Dense (flatten=False) in that order,
                kernels (D, h, k), output (h, k, D)     weights (h*k, D), (D, h*k)
generic         any other layer's weights in order      a block's own params in order (same shapes)
==============  ======================================  ==========================================

A Keras LSTM's single bias maps to ``i2h_bias = bias, h2h_bias = 0`` (exact: ``b + 0 == b``), and back
as ``i2h_bias + h2h_bias`` (one float add). Its gradient reaches both Gluon biases.
Keras Bidirectional = Gluon ``bidirectional=True`` (forward -> ``l``, backward -> ``r``); a Gluon
``num_layers=L`` layer matches L stacked Keras layers.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

__all__ = ["MappingError", "Unit", "keras_units", "gluon_units", "pair_units", "keras_to_gluon",
           "gluon_to_keras"]


class MappingError(ValueError):
    """The two models' structures do not match (kinds, order, shapes or options)."""


# --------------------------------------------------------------------------------------------------
# one side of a unit: named canonical arrays, read and written through closures
# --------------------------------------------------------------------------------------------------
@dataclass
class Unit:
    """One weight-carrying piece of a model in canonical (Gluon) layout.

    ``roles``: role name -> label of the underlying variable/parameter (for messages).
    ``read()``/``write(values)``: role -> np.ndarray in canonical layout. ``read_grads()``: role ->
    gradient in canonical layout, or None for non-trainable roles (running stats, frozen params).
    ``meta``: options that must agree (groups, gate kinds...).
    """

    kind: str
    owner: str
    roles: Dict[str, str]
    read: Callable[[], Dict[str, np.ndarray]]
    write: Callable[[Dict[str, np.ndarray]], None]
    read_grads: Callable[[], Dict[str, Optional[np.ndarray]]]
    meta: Dict[str, Any] = field(default_factory=dict)

    def describe(self) -> str:
        return f"{self.kind} '{self.owner}' ({', '.join(f'{r}={lbl}' for r, lbl in self.roles.items())})"


# -------------------------------------------------------------------------------- Keras side ------
def _knp(v: Any) -> np.ndarray:
    return np.asarray(v.numpy())


def _kgrad(v: Any) -> Optional[np.ndarray]:
    if not getattr(v, "trainable", True):
        return None
    g = getattr(v, "grad", None)
    return None if g is None else np.asarray(g.numpy())


def _kassign(v: Any, a: np.ndarray) -> None:
    want = tuple(v.shape)
    if tuple(a.shape) != want:
        raise MappingError(f"Keras variable '{_vlabel(v)}' has shape {want}, got an array of shape {a.shape}")
    v.assign(np.ascontiguousarray(a, dtype=np.dtype(str(v.dtype))))


def _vlabel(v: Any) -> str:
    return str(getattr(v, "path", None) or getattr(v, "name", "?"))


def _simple_keras_unit(kind: str, owner: str, spec: Sequence[Tuple[str, Any, Callable, Callable]],
                       meta: Optional[Dict[str, Any]] = None) -> Unit:
    """spec: (role, variable, to_canonical, from_canonical)."""
    def read() -> Dict[str, np.ndarray]:
        return {r: to(_knp(v)) for r, v, to, _ in spec}

    def write(vals: Dict[str, np.ndarray]) -> None:
        for r, v, _, back in spec:
            _kassign(v, back(vals[r]))

    def read_grads() -> Dict[str, Optional[np.ndarray]]:
        out = {}
        for r, v, to, _ in spec:
            g = _kgrad(v)
            out[r] = None if g is None else to(g)
        return out

    return Unit(kind, owner, {r: _vlabel(v) for r, v, _, _ in spec}, read, write, read_grads, meta or {})


def _ident(a: np.ndarray) -> np.ndarray:
    return a


def _T(a: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(a.T)


def _conv_io_to_oi(a: np.ndarray) -> np.ndarray:   # (*K, I, O) -> (O, I, *K)
    nd = a.ndim - 2
    return np.ascontiguousarray(a.transpose((nd + 1, nd) + tuple(range(nd))))


def _conv_oi_to_io(a: np.ndarray) -> np.ndarray:   # (O, I, *K) -> (*K, I, O)
    nd = a.ndim - 2
    return np.ascontiguousarray(a.transpose(tuple(range(2, nd + 2)) + (1, 0)))


def _gru_perm(H: int) -> np.ndarray:
    """Index that reorders Keras's z, r, h blocks into MXNet's r, z, n (and is its own inverse)."""
    return np.concatenate([np.arange(H, 2 * H), np.arange(0, H), np.arange(2 * H, 3 * H)])


def _keras_rnn_unit(layer: Any, owner: str) -> Unit:
    from unidl_keras import layers as kl

    cell = layer.cell
    if isinstance(layer, kl.LSTM):
        if cell.bias is None:
            raise MappingError(f"LSTM '{owner}': use_bias=False has no Gluon twin (Gluon's LSTM always has biases)")
        k, rk, b = cell.kernel, cell.recurrent_kernel, cell.bias

        def read() -> Dict[str, np.ndarray]:
            bb = _knp(b)
            return {"i2h_weight": _T(_knp(k)), "h2h_weight": _T(_knp(rk)), "i2h_bias": bb.copy(),
                    "h2h_bias": np.zeros_like(bb)}

        def write(v: Dict[str, np.ndarray]) -> None:
            _kassign(k, _T(v["i2h_weight"]))
            _kassign(rk, _T(v["h2h_weight"]))
            _kassign(b, v["i2h_bias"] + v["h2h_bias"])

        def grads() -> Dict[str, Optional[np.ndarray]]:
            gk, grk, gb = _kgrad(k), _kgrad(rk), _kgrad(b)
            return {"i2h_weight": None if gk is None else _T(gk), "h2h_weight": None if grk is None else _T(grk),
                    "i2h_bias": gb, "h2h_bias": gb}

        roles = {"i2h_weight": _vlabel(k), "h2h_weight": _vlabel(rk), "i2h_bias": _vlabel(b),
                 "h2h_bias": _vlabel(b) + " (as zero)"}
        return Unit("lstm", owner, roles, read, write, grads, {"hidden": cell.units})
    if isinstance(layer, kl.GRU):
        if not cell.reset_after:
            raise MappingError(f"GRU '{owner}': reset_after=False has no Gluon twin (MXNet's GRU resets after "
                               "the recurrent matmul); build the Keras GRU with reset_after=True")
        if cell.bias is None:
            raise MappingError(f"GRU '{owner}': use_bias=False has no Gluon twin (Gluon's GRU always has biases)")
        H = cell.units
        p = _gru_perm(H)
        k, rk, b = cell.kernel, cell.recurrent_kernel, cell.bias

        def read() -> Dict[str, np.ndarray]:
            bb = _knp(b)
            return {"i2h_weight": _T(_knp(k)[:, p]), "h2h_weight": _T(_knp(rk)[:, p]),
                    "i2h_bias": bb[0][p].copy(), "h2h_bias": bb[1][p].copy()}

        def write(v: Dict[str, np.ndarray]) -> None:
            _kassign(k, _T(v["i2h_weight"])[:, p])
            _kassign(rk, _T(v["h2h_weight"])[:, p])
            _kassign(b, np.stack([v["i2h_bias"][p], v["h2h_bias"][p]]))

        def grads() -> Dict[str, Optional[np.ndarray]]:
            gk, grk, gb = _kgrad(k), _kgrad(rk), _kgrad(b)
            return {"i2h_weight": None if gk is None else _T(gk[:, p]),
                    "h2h_weight": None if grk is None else _T(grk[:, p]),
                    "i2h_bias": None if gb is None else gb[0][p].copy(),
                    "h2h_bias": None if gb is None else gb[1][p].copy()}

        roles = {"i2h_weight": _vlabel(k), "h2h_weight": _vlabel(rk), "i2h_bias": _vlabel(b) + "[0]",
                 "h2h_bias": _vlabel(b) + "[1]"}
        return Unit("gru", owner, roles, read, write, grads, {"hidden": H})
    raise MappingError(f"recurrent layer '{owner}' ({type(layer).__name__}) has no Gluon twin mapping "
                       "(LSTM and GRU are supported)")


def _keras_layer_units(layer: Any) -> List[Unit]:
    from unidl_keras import layers as kl
    from unidl_keras.layers.convolutional.base_conv import BaseConv
    from unidl_keras.layers.convolutional.base_conv_transpose import BaseConvTranspose
    from unidl_keras.layers.convolutional.base_depthwise_conv import BaseDepthwiseConv
    from unidl_keras.layers.convolutional.base_separable_conv import BaseSeparableConv

    name = layer.name
    if not layer.weights:
        return []
    if isinstance(layer, kl.Dense):
        spec = [("weight", layer.kernel, _T, _T)]
        if layer.bias is not None:
            spec.append(("bias", layer.bias, _ident, _ident))
        return [_simple_keras_unit("dense", name, spec)]
    if isinstance(layer, BaseSeparableConv):
        dk = layer.depthwise_kernel
        kshape = tuple(dk.shape)  # (*K, C, m)
        C, m = kshape[-2], kshape[-1]

        def dw_to(a: np.ndarray) -> np.ndarray:
            return _conv_io_to_oi(a.reshape(kshape[:-2] + (1, C * m)))

        def dw_back(a: np.ndarray) -> np.ndarray:
            return _conv_oi_to_io(a).reshape(kshape)

        units = [_simple_keras_unit("conv", name + "/depthwise", [("weight", dk, dw_to, dw_back)],
                                    {"groups": C})]
        spec = [("weight", layer.pointwise_kernel, _conv_io_to_oi, _conv_oi_to_io)]
        if layer.bias is not None:
            spec.append(("bias", layer.bias, _ident, _ident))
        units.append(_simple_keras_unit("conv", name + "/pointwise", spec, {"groups": 1}))
        return units
    if isinstance(layer, BaseDepthwiseConv):
        dk = layer.kernel
        kshape = tuple(dk.shape)
        C, m = kshape[-2], kshape[-1]

        def d_to(a: np.ndarray) -> np.ndarray:
            return _conv_io_to_oi(a.reshape(kshape[:-2] + (1, C * m)))

        def d_back(a: np.ndarray) -> np.ndarray:
            return _conv_oi_to_io(a).reshape(kshape)

        spec = [("weight", dk, d_to, d_back)]
        if layer.bias is not None:
            spec.append(("bias", layer.bias, _ident, _ident))
        return [_simple_keras_unit("conv", name, spec, {"groups": C})]
    if isinstance(layer, BaseConvTranspose):
        spec = [("weight", layer.kernel, _conv_io_to_oi, _conv_oi_to_io)]  # (*K, O, I) -> (I, O, *K)
        if layer.bias is not None:
            spec.append(("bias", layer.bias, _ident, _ident))
        return [_simple_keras_unit("conv_transpose", name, spec, {"groups": 1})]
    if isinstance(layer, BaseConv):
        spec = [("weight", layer.kernel, _conv_io_to_oi, _conv_oi_to_io)]
        if layer.bias is not None:
            spec.append(("bias", layer.bias, _ident, _ident))
        return [_simple_keras_unit("conv", name, spec, {"groups": int(getattr(layer, "groups", 1))})]
    if isinstance(layer, kl.BatchNormalization):
        spec = [(r, getattr(layer, a), _ident, _ident) for r, a in
                (("gamma", "gamma"), ("beta", "beta"), ("running_mean", "moving_mean"),
                 ("running_var", "moving_variance")) if getattr(layer, a, None) is not None]
        return [_simple_keras_unit("batchnorm", name, spec)]
    if isinstance(layer, kl.LayerNormalization):
        spec = [(r, getattr(layer, r), _ident, _ident) for r in ("gamma", "beta") if getattr(layer, r, None) is not None]
        return [_simple_keras_unit("layernorm", name, spec)]
    if isinstance(layer, kl.Embedding):
        return [_simple_keras_unit("embedding", name, [("weight", layer.embeddings, _ident, _ident)])]
    if isinstance(layer, kl.Bidirectional):
        return [_keras_rnn_unit(layer.forward_layer, name + "/forward"),
                _keras_rnn_unit(layer.backward_layer, name + "/backward")]
    if isinstance(layer, (kl.LSTM, kl.GRU)):
        return [_keras_rnn_unit(layer, name)]
    if isinstance(layer, kl.MultiHeadAttention):
        units = []
        for sub in (layer.query_dense, layer.key_dense, layer.value_dense, layer.output_dense):
            ks = tuple(sub.kernel.shape)
            if sub is layer.output_dense:   # (h, k, D) -> (h*k, D) -> weight (D, h*k)
                def to(a: np.ndarray, ks=ks) -> np.ndarray:
                    return _T(a.reshape(-1, ks[-1]))

                def back(a: np.ndarray, ks=ks) -> np.ndarray:
                    return _T(a).reshape(ks)
            else:                           # (D, h, k) -> (D, h*k) -> weight (h*k, D)
                def to(a: np.ndarray, ks=ks) -> np.ndarray:
                    return _T(a.reshape(ks[0], -1))

                def back(a: np.ndarray, ks=ks) -> np.ndarray:
                    return _T(a).reshape(ks)
            spec = [("weight", sub.kernel, to, back)]
            if sub.bias is not None:
                spec.append(("bias", sub.bias, lambda a: a.reshape(-1),
                             lambda a, bs=tuple(sub.bias.shape): a.reshape(bs)))
            units.append(_simple_keras_unit("dense", f"{name}/{sub.name}", spec))
        return units
    # a model nested as a layer, or a wrapper: its sub-layers
    sub = getattr(layer, "layers", None)
    if isinstance(sub, list) and sub:
        return [u for s in sub for u in _keras_layer_units(s)]
    # a user's layer: its own weights in creation order
    spec = [(f"w{i}", v, _ident, _ident) for i, v in enumerate(layer.weights)]
    return [_simple_keras_unit("generic", name, spec, {"n": len(spec)})]


def keras_units(model: Any) -> List[Unit]:
    """The weight-carrying units of a (built) Keras model, in layer order."""
    if not getattr(model, "built", True) or (not model.weights and getattr(model, "layers", None) is None):
        raise MappingError(f"Keras model '{getattr(model, 'name', model)}' is not built: call it on data first")
    layers = getattr(model, "layers", None)
    if layers is None:
        return _keras_layer_units(model)
    return [u for layer in layers for u in _keras_layer_units(layer)]


# -------------------------------------------------------------------------------- Gluon side ------
def _gnp(p: Any) -> np.ndarray:
    return p.data().asnumpy()


def _gassign(p: Any, a: np.ndarray) -> None:
    from unidl_mxnet import nd

    if tuple(p.shape) != tuple(a.shape):
        raise MappingError(f"Gluon parameter '{p.name}' has shape {tuple(p.shape)}, got an array of shape {a.shape}")
    p.set_data(nd.array(np.ascontiguousarray(a), dtype=p.data().dtype))


def _ggrad(p: Any) -> Optional[np.ndarray]:
    if p.grad_req == "null":
        return None
    return p.grad().asnumpy()


def _gluon_param_unit(kind: str, owner: str, params: Dict[str, Any], meta: Optional[Dict[str, Any]] = None) -> Unit:
    params = {r: p for r, p in params.items() if p is not None}

    def read() -> Dict[str, np.ndarray]:
        return {r: _gnp(p) for r, p in params.items()}

    def write(vals: Dict[str, np.ndarray]) -> None:
        for r, p in params.items():
            _gassign(p, vals[r])

    def read_grads() -> Dict[str, Optional[np.ndarray]]:
        return {r: _ggrad(p) for r, p in params.items()}

    return Unit(kind, owner, {r: p.name for r, p in params.items()}, read, write, read_grads, meta or {})


def _check_initialized(block: Any) -> None:
    for p in block.collect_params().values():
        try:
            p.data()
        except Exception as e:  # deferred init: shapes unknown until the first forward
            raise MappingError(f"Gluon parameter '{p.name}' is not initialized ({type(e).__name__}); call "
                               "net.initialize() and run one forward pass first") from None


def _gluon_block_units(block: Any) -> List[Unit]:
    from unidl_mxnet.gluon import nn
    from unidl_mxnet.gluon.nn.conv_layers import _Conv
    from unidl_mxnet.gluon.rnn.rnn_layer import _RNNLayer

    name = block.name
    cls = type(block).__name__
    if isinstance(block, nn.Dense):
        return [_gluon_param_unit("dense", name, {"weight": block.weight, "bias": block.bias})]
    if "Transpose" in cls and hasattr(block, "weight"):   # nn.Conv1DTranspose / Conv2DTranspose / Conv3DTranspose
        return [_gluon_param_unit("conv_transpose", name, {"weight": block.weight, "bias": getattr(block, "bias", None)},
                                  {"groups": int(getattr(block, "_groups", 1))})]
    if isinstance(block, _Conv):
        return [_gluon_param_unit("conv", name, {"weight": block.weight, "bias": block.bias},
                                  {"groups": int(block._groups)})]
    if isinstance(block, nn.BatchNorm):
        p = {"gamma": block.gamma, "beta": block.beta, "running_mean": block.running_mean,
             "running_var": block.running_var}
        return [_gluon_param_unit("batchnorm", name, p)]
    if isinstance(block, nn.LayerNorm):
        return [_gluon_param_unit("layernorm", name, {"gamma": block.gamma, "beta": block.beta})]
    if isinstance(block, nn.Embedding):
        return [_gluon_param_unit("embedding", name, {"weight": block.weight})]
    if isinstance(block, _RNNLayer):
        if block._mode not in ("lstm", "gru"):
            raise MappingError(f"Gluon recurrent layer '{name}' ({block._mode}) has no Keras twin mapping "
                               "(LSTM and GRU are supported)")
        units = []
        for i in range(block._num_layers):
            for j in ("l", "r")[: block._dir]:
                p = {n: block._reg_params[f"{j}{i}_{n}"] for n in ("i2h_weight", "h2h_weight", "i2h_bias", "h2h_bias")}
                units.append(_gluon_param_unit(block._mode, f"{name}[{j}{i}]", p, {"hidden": block._hidden_size}))
        return units
    units: List[Unit] = []
    own = dict(block._reg_params)
    if own:
        units.append(_gluon_param_unit("generic", name, {f"w{i}": p for i, p in enumerate(own.values())},
                                       {"n": len(own)}))
    for child in block._children.values():
        units.extend(_gluon_block_units(child))
    return units


def gluon_units(net: Any) -> List[Unit]:
    """The weight-carrying units of an initialized Gluon block, in registration order."""
    _check_initialized(net)
    return _gluon_block_units(net)


# ------------------------------------------------------------------------------------ pairing -----
def pair_units(keras_model: Any, gluon_net: Any) -> List[Tuple[Unit, Unit]]:
    """Keras and Gluon units matched in order; :class:`MappingError` when kinds, roles, options or
    shapes disagree (the message names both sides and lists the two structures)."""
    ku, gu = keras_units(keras_model), gluon_units(gluon_net)

    def listing() -> str:
        rows = [f"  {i}: keras {k.kind} '{k.owner}'" if k else f"  {i}: keras -" for i, k in enumerate(ku)]
        rows += [f"  {i}: gluon {g.kind} '{g.owner}'" for i, g in enumerate(gu)]
        return "\n".join(rows)

    if len(ku) != len(gu):
        raise MappingError(f"the models do not match: the Keras model has {len(ku)} weight-carrying units and the "
                           f"Gluon net {len(gu)}:\n{listing()}")
    pairs = []
    for i, (k, g) in enumerate(zip(ku, gu)):
        where = f"unit {i}: Keras {k.describe()} vs Gluon {g.describe()}"
        if k.kind != g.kind:
            raise MappingError(f"the models do not match at {where}: kinds differ ({k.kind} vs {g.kind}); units are "
                               f"paired in layer order (Keras functional models list layers by graph depth):\n"
                               f"{listing()}")
        if set(k.roles) != set(g.roles):
            raise MappingError(f"the models do not match at {where}: weights {sorted(k.roles)} vs {sorted(g.roles)} "
                               "(use_bias / center / scale differ?)")
        for key in set(k.meta) | set(g.meta):
            if k.meta.get(key) != g.meta.get(key):
                raise MappingError(f"the models do not match at {where}: {key} {k.meta.get(key)} vs {g.meta.get(key)}")
        kv, gv = k.read(), g.read()
        for r in k.roles:
            if kv[r].shape != gv[r].shape:
                raise MappingError(f"the models do not match at {where}: '{r}' has shape {kv[r].shape} on the Keras "
                                   f"side (in Gluon layout) and {gv[r].shape} on the Gluon side")
        pairs.append((k, g))
    return pairs


def keras_to_gluon(keras_model: Any, gluon_net: Any) -> None:
    """Copy every weight of ``keras_model`` into ``gluon_net`` (both built/initialized), exactly."""
    for k, g in pair_units(keras_model, gluon_net):
        g.write(k.read())


def gluon_to_keras(gluon_net: Any, keras_model: Any) -> None:
    """Copy every parameter of ``gluon_net`` into ``keras_model`` (both built/initialized), exactly
    (an LSTM's two Gluon biases become one Keras bias: ``i2h_bias + h2h_bias``)."""
    for k, g in pair_units(keras_model, gluon_net):
        k.write(g.read())
