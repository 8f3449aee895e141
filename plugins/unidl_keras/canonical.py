"""Keras models in the core's canonical terms (``unidl.nn.canonical``): weights as units, chains as specs.

:func:`units` lists a built model's weights as canonical units (read, write, gradients), so a model's
weights move to and from any other frontend's twin without a module that knows both frameworks.
:func:`describe` turns a plain chain model (one input, one output, each layer fed by the one before) of
common layers into a channels-first :class:`~unidl.nn.canonical.ModelSpec` that another frontend builds
(``unidl convert``):

========================================  ================================================================
Keras                                     spec (what the chain adds around it)
========================================  ================================================================
Dense                                     dense (flatten=False on 3-d+ input)
Conv1D/2D/3D (channels_first or _last)    conv ('same' only where Keras pads symmetrically)
MaxPooling / AveragePooling 1D/2D/3D      pool ('valid' padding)
GlobalAverage/MaxPooling 1D/2D/3D         global_pool (+ flatten to (N, C))
Flatten, Dropout, Activation, ReLU,       flatten, dropout, activation, leaky_relu; softmax / log_softmax
LeakyReLU, Softmax                        as a layer's post function
BatchNormalization                        batchnorm (axis, momentum, epsilon, center, scale)
LayerNormalization (last axis)            layernorm
Embedding                                 embedding
LSTM / GRU (reset_after=True)             rnn (+ last step when Keras returns only the last output)
Bidirectional(LSTM/GRU, concat,           rnn(bidirectional=True)
return_sequences=True)
========================================  ================================================================

Layouts. The spec is channels-first. A ``channels_last`` model's spec takes the NCHW (NCW, NCDHW) transpose of
the Keras input when its first spatial layer comes first (``input_perm``), transposes between layers otherwise
(e.g. Embedding -> Conv1D), and ``output_perm`` hands back Keras's layout. ``Flatten`` after channels_last
feature maps orders features (H, W, C) in Keras and (C, H, W) in the spec: the Dense that follows carries the
permutation (option ``source_features``), which :func:`units` applies to that kernel's rows (exact copies), so
the twin's weights work in a plain channels-first chain; that Dense then sums in another order, so such a
spec is not ``bitwise``.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from unidl.nn.canonical import LayerSpec, MappingError, ModelSpec, Unit

__all__ = ["units", "describe", "SUPPORTED", "SpecError"]

SUPPORTED = ("Dense", "Conv1D", "Conv2D", "Conv3D", "MaxPooling1D", "MaxPooling2D", "MaxPooling3D",
             "AveragePooling1D", "AveragePooling2D", "AveragePooling3D", "GlobalAveragePooling1D",
             "GlobalAveragePooling2D", "GlobalAveragePooling3D", "GlobalMaxPooling1D", "GlobalMaxPooling2D",
             "GlobalMaxPooling3D", "Flatten", "Dropout", "Activation", "ReLU", "LeakyReLU", "Softmax",
             "BatchNormalization", "LayerNormalization", "Embedding", "LSTM", "GRU", "Bidirectional")

#: Keras activations a spec layer takes as its ``activation`` option (the rest: a post function or an error)
_LAYER_ACTS = ("relu", "sigmoid", "tanh", "softplus", "softsign", "linear")


class SpecError(MappingError):
    """The Keras model has a layer (or an option, or a topology) with no canonical chain form."""


# -- units ----------------------------------------------------------------------------------------------------
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


Spec = Sequence[Tuple[str, Any, Callable[[np.ndarray], np.ndarray], Callable[[np.ndarray], np.ndarray]]]


def _unit(kind: str, owner: str, spec: Spec, meta: Optional[Dict[str, Any]] = None) -> Unit:
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


def _conv_io_to_oi(a: np.ndarray) -> np.ndarray:   # (*K, I, O) -> (O, I, *K)
    nd = a.ndim - 2
    return np.ascontiguousarray(a.transpose((nd + 1, nd) + tuple(range(nd))))


def _conv_oi_to_io(a: np.ndarray) -> np.ndarray:   # (O, I, *K) -> (*K, I, O)
    nd = a.ndim - 2
    return np.ascontiguousarray(a.transpose(tuple(range(2, nd + 2)) + (1, 0)))


def _with_bias(spec: List[Any], layer: Any) -> List[Any]:
    if getattr(layer, "bias", None) is not None:
        spec.append(("bias", layer.bias, _ident, _ident))
    return spec


def _rnn_unit(layer: Any, owner: str) -> Unit:
    from . import layers as kl

    cell = layer.cell
    if isinstance(layer, kl.LSTM):
        if cell.bias is None:
            raise MappingError(f"LSTM '{owner}': use_bias=False has no canonical form (the canonical LSTM has "
                               "biases, as Gluon's)")
        k, rk, b = cell.kernel, cell.recurrent_kernel, cell.bias

        def read() -> Dict[str, np.ndarray]:
            bb = _knp(b)
            return {"i2h_weight": _knp(k), "h2h_weight": _knp(rk), "i2h_bias": bb.copy(), "h2h_bias": np.zeros_like(bb)}

        def write(v: Dict[str, np.ndarray]) -> None:
            _kassign(k, v["i2h_weight"])
            _kassign(rk, v["h2h_weight"])
            _kassign(b, v["i2h_bias"] + v["h2h_bias"])   # one float add (exact when one of them is 0)

        def grads() -> Dict[str, Optional[np.ndarray]]:
            gb = _kgrad(b)
            return {"i2h_weight": _kgrad(k), "h2h_weight": _kgrad(rk), "i2h_bias": gb, "h2h_bias": gb}

        roles = {"i2h_weight": _vlabel(k), "h2h_weight": _vlabel(rk), "i2h_bias": _vlabel(b),
                 "h2h_bias": _vlabel(b) + " (as zero)"}
        return Unit("lstm", owner, roles, read, write, grads, {"hidden": cell.units})
    if isinstance(layer, kl.GRU):
        if not cell.reset_after:
            raise MappingError(f"GRU '{owner}': reset_after=False has no canonical form (the canonical GRU, as "
                               "MXNet's, resets after the recurrent matmul); build the Keras GRU with reset_after=True")
        if cell.bias is None:
            raise MappingError(f"GRU '{owner}': use_bias=False has no canonical form (the canonical GRU has biases)")
        k, rk, b = cell.kernel, cell.recurrent_kernel, cell.bias

        def gread() -> Dict[str, np.ndarray]:
            bb = _knp(b)
            return {"i2h_weight": _knp(k), "h2h_weight": _knp(rk), "i2h_bias": bb[0].copy(), "h2h_bias": bb[1].copy()}

        def gwrite(v: Dict[str, np.ndarray]) -> None:
            _kassign(k, v["i2h_weight"])
            _kassign(rk, v["h2h_weight"])
            _kassign(b, np.stack([v["i2h_bias"], v["h2h_bias"]]))

        def ggrads() -> Dict[str, Optional[np.ndarray]]:
            gb = _kgrad(b)
            return {"i2h_weight": _kgrad(k), "h2h_weight": _kgrad(rk),
                    "i2h_bias": None if gb is None else gb[0].copy(), "h2h_bias": None if gb is None else gb[1].copy()}

        roles = {"i2h_weight": _vlabel(k), "h2h_weight": _vlabel(rk), "i2h_bias": _vlabel(b) + "[0]",
                 "h2h_bias": _vlabel(b) + "[1]"}
        return Unit("gru", owner, roles, gread, gwrite, ggrads, {"hidden": cell.units})
    raise MappingError(f"recurrent layer '{owner}' ({type(layer).__name__}) has no canonical form "
                       "(LSTM and GRU have)")


def _depthwise_spec(kernel: Any) -> Tuple[Callable, Callable]:
    kshape = tuple(kernel.shape)   # (*K, C, m) -> conv weight (C*m, 1, *K)
    C, m = kshape[-2], kshape[-1]

    def to(a: np.ndarray) -> np.ndarray:
        return _conv_io_to_oi(a.reshape(kshape[:-2] + (1, C * m)))

    def back(a: np.ndarray) -> np.ndarray:
        return _conv_oi_to_io(a).reshape(kshape)

    return to, back


def _layer_units(layer: Any, features: Dict[str, np.ndarray]) -> List[Unit]:
    from . import layers as kl
    from .layers.convolutional.base_conv import BaseConv
    from .layers.convolutional.base_conv_transpose import BaseConvTranspose
    from .layers.convolutional.base_depthwise_conv import BaseDepthwiseConv
    from .layers.convolutional.base_separable_conv import BaseSeparableConv

    name = layer.name
    if not layer.weights:
        return []
    if isinstance(layer, kl.Dense):
        p = features.get(name)
        if p is None:
            return [_unit("dense", name, _with_bias([("weight", layer.kernel, _ident, _ident)], layer))]
        q = np.argsort(p)   # Keras input feature f is canonical feature p[f]
        rows = [("weight", layer.kernel, lambda a, q=q: np.ascontiguousarray(a[q]),
                 lambda a, p=p: np.ascontiguousarray(a[p]))]
        return [_unit("dense", name, _with_bias(rows, layer))]
    if isinstance(layer, BaseSeparableConv):
        C = int(layer.depthwise_kernel.shape[-2])
        to, back = _depthwise_spec(layer.depthwise_kernel)
        units = [_unit("conv", name + "/depthwise", [("weight", layer.depthwise_kernel, to, back)], {"groups": C})]
        spec = _with_bias([("weight", layer.pointwise_kernel, _conv_io_to_oi, _conv_oi_to_io)], layer)
        return units + [_unit("conv", name + "/pointwise", spec, {"groups": 1})]
    if isinstance(layer, BaseDepthwiseConv):
        to, back = _depthwise_spec(layer.kernel)
        spec = _with_bias([("weight", layer.kernel, to, back)], layer)
        return [_unit("conv", name, spec, {"groups": int(layer.kernel.shape[-2])})]
    if isinstance(layer, BaseConvTranspose):   # (*K, O, I) -> (I, O, *K)
        spec = _with_bias([("weight", layer.kernel, _conv_io_to_oi, _conv_oi_to_io)], layer)
        return [_unit("conv_transpose", name, spec, {"groups": 1})]
    if isinstance(layer, BaseConv):
        spec = _with_bias([("weight", layer.kernel, _conv_io_to_oi, _conv_oi_to_io)], layer)
        return [_unit("conv", name, spec, {"groups": int(getattr(layer, "groups", 1))})]
    if isinstance(layer, kl.BatchNormalization):
        spec = [(r, getattr(layer, a), _ident, _ident) for r, a in
                (("gamma", "gamma"), ("beta", "beta"), ("running_mean", "moving_mean"),
                 ("running_var", "moving_variance")) if getattr(layer, a, None) is not None]
        return [_unit("batchnorm", name, spec)]
    if isinstance(layer, kl.LayerNormalization):
        spec = [(r, getattr(layer, r), _ident, _ident) for r in ("gamma", "beta") if getattr(layer, r, None) is not None]
        return [_unit("layernorm", name, spec)]
    if isinstance(layer, kl.Embedding):
        return [_unit("embedding", name, [("weight", layer.embeddings, _ident, _ident)])]
    if isinstance(layer, kl.Bidirectional):
        return [_rnn_unit(layer.forward_layer, name + "/forward"), _rnn_unit(layer.backward_layer, name + "/backward")]
    if isinstance(layer, (kl.LSTM, kl.GRU)):
        return [_rnn_unit(layer, name)]
    if isinstance(layer, kl.MultiHeadAttention):
        out = []
        for sub in (layer.query_dense, layer.key_dense, layer.value_dense, layer.output_dense):
            ks = tuple(sub.kernel.shape)   # (D, h, k) -> (D, h*k); the output's (h, k, D) -> (h*k, D)
            flat = (-1, ks[-1]) if sub is layer.output_dense else (ks[0], -1)
            spec = [("weight", sub.kernel, lambda a, flat=flat: np.ascontiguousarray(a.reshape(flat)),
                     lambda a, ks=ks: np.ascontiguousarray(a).reshape(ks))]
            if sub.bias is not None:
                spec.append(("bias", sub.bias, lambda a: a.reshape(-1), lambda a, bs=tuple(sub.bias.shape): a.reshape(bs)))
            out.append(_unit("dense", f"{name}/{sub.name}", spec))
        return out
    sub = getattr(layer, "layers", None)   # a model nested as a layer, or a wrapper: its sub-layers
    if isinstance(sub, list) and sub:
        return [u for s in sub for u in _layer_units(s, features)]
    spec = [(f"w{i}", v, _ident, _ident) for i, v in enumerate(layer.weights)]   # a user's layer, as it is
    return [_unit("generic", name, spec, {"n": len(spec)})]


def units(model: Any, spec: Optional[ModelSpec] = None) -> List[Unit]:
    """The weight-carrying units of a built Keras model, in layer order, in canonical layout.

    With the ``spec`` :func:`describe` made of this model, a Dense that follows a channels_last Flatten
    exchanges its kernel rows in the spec's (channels-first) feature order."""
    if not getattr(model, "built", True) or (not model.weights and getattr(model, "layers", None) is None):
        raise MappingError(f"Keras model '{getattr(model, 'name', model)}' is not built: call it on data first")
    features = {}
    if spec is not None:
        features = {s.source: np.asarray(s.options["source_features"]) for s in spec.layers
                    if s.kind == "dense" and "source_features" in s.options}
    layers = getattr(model, "layers", None)
    if layers is None:
        return _layer_units(model, features)
    return [u for layer in layers for u in _layer_units(layer, features)]


# -- specs ------------------------------------------------------------------------------------------------------
def _cf_perm(nd_: int) -> Tuple[int, ...]:      # channels_last -> channels_first axes
    return (0, nd_ + 1) + tuple(range(1, nd_ + 1))


def _cl_perm(nd_: int) -> Tuple[int, ...]:      # channels_first -> channels_last axes
    return (0,) + tuple(range(2, nd_ + 2)) + (1,)


def _act_name(fn: Any) -> str:
    return "linear" if fn is None else getattr(fn, "__name__", str(fn))


def _tuple(v: Any, n: int) -> Tuple[int, ...]:
    return tuple(int(a) for a in v) if isinstance(v, (tuple, list)) else (int(v),) * n


def _shape(t: Any) -> Tuple[Optional[int], ...]:
    return tuple(None if d is None else int(d) for d in t.shape)


def _chain_layers(model: Any) -> List[Any]:
    """The model's layers (InputLayer excluded), checked to form one chain input -> ... -> output."""
    from .layers.core.input_layer import InputLayer
    from .models.functional import Functional

    name = getattr(model, "name", "model")
    layers = getattr(model, "layers", None)
    if layers is None:
        raise SpecError(f"'{name}' ({type(model).__name__}) is not a Sequential or functional Keras model")
    inputs, outputs = getattr(model, "inputs", None), getattr(model, "outputs", None)
    if not inputs:
        raise SpecError(f"Keras model '{name}' is not built (its input shape is unknown): give it an Input "
                        "or call it on data before converting")
    if len(inputs) != 1 or len(outputs) != 1:
        raise SpecError(f"Keras model '{name}' has {len(inputs)} inputs and {len(outputs)} outputs; only "
                        "single-input, single-output chains have a canonical chain form")
    chain = [layer for layer in layers if not isinstance(layer, InputLayer)]
    if isinstance(model, Functional) and type(model).__name__ != "Sequential":
        prev = inputs[0]
        for layer in chain:
            nodes = getattr(layer, "_inbound_nodes", [])
            if len(nodes) != 1 or len(nodes[0].input_tensors) != 1 or nodes[0].input_tensors[0] is not prev:
                raise SpecError(f"Keras model '{name}' is not a plain chain at layer '{layer.name}' "
                                f"({type(layer).__name__}): branches, merges and shared layers have no automatic "
                                "twin (write the twin by hand and move the weights with the canonical units)")
            prev = nodes[0].output_tensors[0]
        if prev is not outputs[0]:
            raise SpecError(f"Keras model '{name}' is not a plain chain: its output is not the last layer's")
    if not chain:
        raise SpecError(f"Keras model '{name}' has no layers to convert")
    return chain


class _Describer:
    """Walks the Keras chain, tracking whether the chain's tensor has Keras's layout ("same") or has the
    channels moved from last to axis 1 ("cf"), and whether features are in a permuted flatten order."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self.layers: List[LayerSpec] = []
        self.state = "same"
        self.in_perm: Optional[Tuple[int, ...]] = None
        self.flat_perm: Optional[np.ndarray] = None   # pending permutation for the next Dense
        self.permuted = False

    def _err(self, layer: Any, why: str) -> SpecError:
        return SpecError(f"layer '{layer.name}' ({type(layer).__name__}): {why}")

    def _to_cf(self, ndim: int) -> Optional[Tuple[int, ...]]:
        """Make the tensor channels-first before a channels_last spatial layer; returns the transpose."""
        if self.state == "cf":
            return None
        self.state = "cf"
        perm = _cf_perm(ndim - 2)
        if not self.layers:       # the chain's own input: take it channels-first
            self.in_perm = perm
            return None
        return perm

    def _to_same(self, ndim: int) -> Optional[Tuple[int, ...]]:
        if self.state == "same":
            return None
        self.state = "same"
        return _cl_perm(ndim - 2)

    def _check_no_flat_perm(self, layer: Any) -> None:
        if self.flat_perm is not None:
            raise self._err(layer, "comes between a Flatten of channels_last feature maps and its Dense; only "
                                   "Dropout and Activation may (the features are in C, H, W order there)")

    def _act(self, layer: Any, fn: Any) -> Tuple[str, Optional[str]]:
        """A Keras activation -> (the layer's activation option, a post function or None)."""
        name = _act_name(fn)
        if name in _LAYER_ACTS:
            return name, None
        if name in ("softmax", "log_softmax"):
            return "linear", name
        raise self._err(layer, f"activation '{name}' has no canonical form here (supported: "
                               f"{', '.join(sorted(set(_LAYER_ACTS) | {'softmax', 'log_softmax'}))})")

    def add(self, layer: Any, kind: str, options: Optional[Dict[str, Any]] = None,
            pre: Optional[Tuple[int, ...]] = None, post: Optional[str] = None) -> None:
        self.layers.append(LayerSpec(kind, dict(options or {}), pre, post, layer.name))

    def layer(self, layer: Any) -> None:
        from . import layers as kl

        cls = type(layer).__name__
        in_shape = _shape(layer.input)
        ndim = len(in_shape)
        if isinstance(layer, kl.Dense):
            act, post = self._act(layer, layer.activation)
            pre = self._to_same(ndim)
            opts = {"units": int(layer.units), "activation": act, "use_bias": bool(layer.use_bias),
                    "flatten": ndim <= 2, "in_units": int(in_shape[-1])}
            if self.flat_perm is not None:
                opts["source_features"] = tuple(int(i) for i in self.flat_perm)
                self.flat_perm = None
                self.permuted = True
            self.add(layer, "dense", opts, pre, post)
            return
        if isinstance(layer, kl.Dropout) and cls == "Dropout":
            self.add(layer, "dropout", {"rate": float(layer.rate)})
            return
        if cls in ("Activation", "ReLU", "LeakyReLU", "Softmax"):
            self._activation_layer(layer, cls)
            return
        if cls == "Flatten":
            if self.state == "cf" and ndim > 2:
                spatial, C = in_shape[1:-1], in_shape[-1]
                # Keras feature f = (h*W + w)*C + c; channels-first feature (c*H + h)*W + w
                self.flat_perm = np.arange(int(np.prod(in_shape[1:]))).reshape((C,) + spatial).transpose(
                    tuple(range(1, len(spatial) + 1)) + (0,)).reshape(-1)
            else:
                self._check_no_flat_perm(layer)
            self.state = "same"
            self.add(layer, "flatten")
            return
        self._check_no_flat_perm(layer)
        if cls in ("Conv1D", "Conv2D", "Conv3D"):
            self._conv(layer, in_shape)
        elif cls in ("MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "AveragePooling1D", "AveragePooling2D",
                     "AveragePooling3D"):
            self._pool(layer, in_shape)
        elif cls.startswith(("GlobalAveragePooling", "GlobalMaxPooling")) and cls[-2:] in ("1D", "2D", "3D"):
            self._global_pool(layer, in_shape)
        elif cls == "BatchNormalization":
            self._batchnorm(layer, in_shape)
        elif cls == "LayerNormalization":
            self._layernorm(layer, in_shape)
        elif cls == "Embedding":
            if getattr(layer, "mask_zero", False):
                raise self._err(layer, "mask_zero=True has no canonical chain form (the chain passes no masks)")
            if self.state != "same":
                raise self._err(layer, "an Embedding after channels_last feature maps has no canonical chain form")
            self.add(layer, "embedding", {"input_dim": int(layer.input_dim), "output_dim": int(layer.output_dim)})
        elif cls in ("LSTM", "GRU", "Bidirectional"):
            self._rnn(layer, in_shape)
        else:
            raise self._err(layer, f"no canonical chain form for this layer; supported: {', '.join(SUPPORTED)}")

    def _activation_layer(self, layer: Any, cls: str) -> None:
        if cls == "ReLU":
            if (getattr(layer, "max_value", None) is not None or float(getattr(layer, "negative_slope", 0.0))
                    or float(getattr(layer, "threshold", 0.0))):
                raise self._err(layer, "only ReLU() with default arguments has a canonical form")
            self.add(layer, "activation", {"name": "relu"})
            return
        if cls == "LeakyReLU":
            alpha = getattr(layer, "negative_slope", getattr(layer, "alpha", None))
            self.add(layer, "leaky_relu", {"alpha": float(alpha)})
            return
        if cls == "Softmax":
            if getattr(layer, "axis", -1) != -1 or self.state != "same":
                raise self._err(layer, "only Softmax over the last axis has a canonical form")
            self.add(layer, "identity", post="softmax")
            return
        act, post = self._act(layer, layer.activation)
        if post is not None and self.state != "same":
            raise self._err(layer, f"'{_act_name(layer.activation)}' over channels_last feature maps has no "
                                   "canonical form (it would run over another axis)")
        if post is not None or act == "linear":
            self.add(layer, "identity", post=post)
        else:
            self.add(layer, "activation", {"name": act})

    def _spatial_padding(self, layer: Any, k: Tuple[int, ...], s: Tuple[int, ...], d: Tuple[int, ...],
                         spatial: Tuple) -> Tuple[int, ...]:
        pad = layer.padding
        if pad == "valid":
            return (0,) * len(k)
        if pad != "same":
            raise self._err(layer, f"padding='{pad}' has no canonical form (use 'valid' or 'same')")
        out = []
        for n, kk, ss, dd in zip(spatial, k, s, d):
            if n is None:
                raise self._err(layer, "padding='same' needs known spatial sizes (give the model an Input shape)")
            eff = (kk - 1) * dd + 1
            total = max((-(-n // ss) - 1) * ss + eff - n, 0)
            if total % 2:
                raise self._err(layer, f"padding='same' pads {total} on an axis of size {n} (kernel {kk}, stride "
                                       f"{ss}): Keras puts the odd element at the end, a symmetric padding cannot")
            out.append(total // 2)
        return tuple(out)

    def _channels_first(self, layer: Any, ndim: int) -> Tuple[Optional[Tuple[int, ...]], bool]:
        if getattr(layer, "data_format", "channels_last") == "channels_first":
            return self._to_same(ndim), True
        return self._to_cf(ndim), False

    def _conv(self, layer: Any, in_shape: Tuple) -> None:
        n = int(type(layer).__name__[-2])
        pre, cf = self._channels_first(layer, len(in_shape))
        spatial = in_shape[2:] if cf else in_shape[1:-1]
        C = in_shape[1] if cf else in_shape[-1]
        k, s, d = (_tuple(layer.kernel_size, n), _tuple(layer.strides, n), _tuple(layer.dilation_rate, n))
        pad = self._spatial_padding(layer, k, s, d, spatial)
        act, post = self._act(layer, layer.activation)
        if post is not None:
            raise self._err(layer, f"activation '{_act_name(layer.activation)}' on a convolution has no canonical form")
        self.add(layer, "conv", {"rank": n, "filters": int(layer.filters), "kernel": k, "strides": s, "padding": pad,
                                 "dilation": d, "groups": int(getattr(layer, "groups", 1)), "activation": act,
                                 "use_bias": bool(layer.use_bias), "in_channels": int(C)}, pre)

    def _pool(self, layer: Any, in_shape: Tuple) -> None:
        cls = type(layer).__name__
        n = int(cls[-2])
        if layer.padding != "valid":
            raise self._err(layer, f"padding='{layer.padding}' has no canonical form (Keras 'same' pooling excludes "
                                   "the padding); use 'valid'")
        pre, _ = self._channels_first(layer, len(in_shape))
        p = _tuple(layer.pool_size, n)
        s = _tuple(layer.strides if layer.strides is not None else layer.pool_size, n)
        self.add(layer, "pool", {"op": "max" if cls.startswith("Max") else "avg", "rank": n, "pool": p, "strides": s},
                 pre)

    def _global_pool(self, layer: Any, in_shape: Tuple) -> None:
        cls = type(layer).__name__
        if getattr(layer, "keepdims", False):
            raise self._err(layer, "keepdims=True has no canonical chain form here")
        pre, _ = self._channels_first(layer, len(in_shape))
        self.state = "same"     # (N, C) after the flatten: no layout left
        self.add(layer, "global_pool", {"op": "max" if "Max" in cls else "avg", "rank": int(cls[-2])}, pre, "flatten")

    def _batchnorm(self, layer: Any, in_shape: Tuple) -> None:
        axes = list(layer.axis) if isinstance(layer.axis, (list, tuple)) else [layer.axis]
        if len(axes) != 1:
            raise self._err(layer, f"normalising over axes {axes} has no canonical form (one axis only)")
        ndim = len(in_shape)
        a = axes[0] % ndim
        if self.state == "cf":
            if a != ndim - 1:
                raise self._err(layer, f"axis {layer.axis} of channels_last feature maps has no canonical form "
                                       "(only the channel axis)")
            a = 1
        self.add(layer, "batchnorm", {"axis": a, "momentum": float(layer.momentum), "epsilon": float(layer.epsilon),
                                      "center": bool(layer.center), "scale": bool(layer.scale),
                                      "in_channels": int(in_shape[axes[0]])})

    def _layernorm(self, layer: Any, in_shape: Tuple) -> None:
        axes = list(layer.axis) if isinstance(layer.axis, (list, tuple)) else [layer.axis]
        ndim = len(in_shape)
        if len(axes) != 1 or axes[0] % ndim != ndim - 1 or self.state != "same" or getattr(layer, "rms_scaling", False):
            raise self._err(layer, "only normalisation over the last axis (no rms_scaling) has a canonical form")
        self.add(layer, "layernorm", {"epsilon": float(layer.epsilon), "center": bool(layer.center),
                                      "scale": bool(layer.scale), "in_channels": int(in_shape[-1])})

    def _rnn(self, layer: Any, in_shape: Tuple) -> None:
        cls = type(layer).__name__
        inner, bidir = layer, False
        if cls == "Bidirectional":
            inner, bidir = layer.forward_layer, True
            if layer.merge_mode != "concat":
                raise self._err(layer, f"merge_mode='{layer.merge_mode}' has no canonical form (it concatenates)")
            if not inner.return_sequences:
                raise self._err(layer, "return_sequences=False has no canonical form (Keras returns the backward "
                                       "direction's final state, at time step 0); use return_sequences=True")
        icls = type(inner).__name__
        if icls not in ("LSTM", "GRU"):
            raise self._err(layer, f"recurrent layer {icls} has no canonical form (LSTM and GRU have)")
        cell = inner.cell
        for opt in ("go_backwards", "return_state", "stateful"):
            if bool(getattr(inner, opt, False)):
                raise self._err(layer, f"{opt}=True has no canonical form")
        if _act_name(cell.activation) != "tanh" or _act_name(cell.recurrent_activation) != "sigmoid":
            raise self._err(layer, "only activation='tanh' and recurrent_activation='sigmoid' have a canonical form")
        if icls == "GRU" and not cell.reset_after:
            raise self._err(layer, "GRU(reset_after=False) has no canonical form (it resets after the matmul)")
        if getattr(cell, "use_bias", True) is False:
            raise self._err(layer, "use_bias=False has no canonical form (the canonical recurrent layers have biases)")
        if float(getattr(cell, "dropout", 0.0)) or float(getattr(cell, "recurrent_dropout", 0.0)):
            raise self._err(layer, "dropout / recurrent_dropout have no canonical form")
        pre = self._to_same(len(in_shape))
        self.add(layer, "rnn", {"mode": icls.lower(), "units": int(cell.units), "bidirectional": bidir,
                                "input_size": int(in_shape[-1])}, pre, None if inner.return_sequences else "last_step")

    def finish(self, out_ndim: int) -> ModelSpec:
        if self.flat_perm is not None:
            raise SpecError(f"Keras model '{self.model.name}' ends with a Flatten of channels_last feature maps: "
                            "its output order (H, W, C) has no canonical form")
        inp = self.model.inputs[0]
        first = self.layers[0] if self.layers else None
        vocab = int(first.options["input_dim"]) if first is not None and first.kind == "embedding" else 0
        return ModelSpec(tuple(self.layers), self.in_perm, _cl_perm(out_ndim - 2) if self.state == "cf" else None,
                         tuple(_shape(inp)[1:]), str(getattr(inp, "dtype", "float32")), vocab, not self.permuted)


def describe(model: Any) -> ModelSpec:
    """The canonical chain of a built Keras chain model (see the module docstring for the layers it knows).
    Raises :class:`SpecError` naming the first layer it cannot describe."""
    d = _Describer(model)
    for layer in _chain_layers(model):
        d.layer(layer)
    return d.finish(len(_shape(model.outputs[0])))
