"""Build the Gluon twin of a Keras model automatically (used by ``unidl convert``; the suite may use it too).

:func:`build_gluon_twin` takes a built Keras ``Sequential`` or functional model that is a plain chain
(one input, one output, each layer fed by the one before) of common layers and returns a :class:`Twin`:
a Gluon block whose children are the standard Gluon layers a Gluon user would write, registered as
``"0"``, ``"1"``, ... in Keras layer order (``InputLayer`` excluded), so ``save_parameters`` names its
parameters as a ``HybridSequential`` of the same layers would (``0.weight``, ``3.bias``, ...).

========================================  ================================================================
Keras                                     Gluon child (and what the twin's forward adds around it)
========================================  ================================================================
Dense                                     nn.Dense(in_units=..., flatten=False on 3-d+ input)
Conv1D/2D/3D (channels_first or _last)    nn.Conv{1,2,3}D ('same' only where Keras pads symmetrically)
MaxPooling / AveragePooling 1D/2D/3D      nn.MaxPool / nn.AvgPool ('valid' padding)
GlobalAverage/MaxPooling 1D/2D/3D         nn.GlobalAvgPool / GlobalMaxPool (+ flatten to (N, C))
Flatten, Dropout, Activation, ReLU,       nn.Flatten, nn.Dropout, nn.Activation, nn.LeakyReLU; softmax and
LeakyReLU, Softmax                        other functions Gluon has no block for: nn.HybridLambda
BatchNormalization                        nn.BatchNorm(axis, momentum, epsilon, center, scale) as Keras's
LayerNormalization (last axis)            nn.LayerNorm(epsilon as Keras's)
Embedding                                 nn.Embedding
LSTM / GRU (reset_after=True)             rnn.LSTM / rnn.GRU(layout="NTC") (+ last step when Keras
                                          returns only the last output)
Bidirectional(LSTM/GRU, concat,           rnn.LSTM/GRU(bidirectional=True)
return_sequences=True)
========================================  ================================================================

Layouts. The twin works in Gluon's layout: channels on axis 1. A Keras ``channels_last`` model's twin
takes the NCHW (NCW, NCDHW) transpose of the Keras input when its first spatial layer comes first,
transposes inside its forward otherwise (e.g. Embedding -> Conv1D), and hands back Keras's layout.
``Flatten`` after channels_last feature maps orders features (H, W, C) in Keras and (C, H, W) in
Gluon: the Dense that follows gets its input columns permuted by :func:`keras_to_twin` /
:func:`twin_to_keras` (exact copies), so the ``.params`` works in a plain Gluon ``HybridSequential``;
that Dense then sums in another order, so such a twin's outputs agree to rounding, not bitwise.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, List, Optional, Sequence, Tuple

import numpy as np

from . import mapping
from .mapping import MappingError

__all__ = ["TwinBuildError", "Twin", "build_gluon_twin", "keras_to_twin", "twin_to_keras", "probe_input",
           "compare_outputs", "SUPPORTED"]

SUPPORTED = ("Dense", "Conv1D", "Conv2D", "Conv3D", "MaxPooling1D", "MaxPooling2D", "MaxPooling3D",
             "AveragePooling1D", "AveragePooling2D", "AveragePooling3D", "GlobalAveragePooling1D",
             "GlobalAveragePooling2D", "GlobalAveragePooling3D", "GlobalMaxPooling1D", "GlobalMaxPooling2D",
             "GlobalMaxPooling3D", "Flatten", "Dropout", "Activation", "ReLU", "LeakyReLU", "Softmax",
             "BatchNormalization", "LayerNormalization", "Embedding", "LSTM", "GRU", "Bidirectional")

# Keras activation name -> Gluon Activation act_type (None: identity)
_GLUON_ACT = {"relu": "relu", "sigmoid": "sigmoid", "tanh": "tanh", "softplus": "softrelu", "softsign": "softsign",
              "linear": None}


class TwinBuildError(MappingError):
    """The Keras model has a layer (or an option, or a topology) the builder has no Gluon twin for."""


Fn = Callable[[Any], Any]


@dataclass
class Twin:
    """A Keras model's Gluon twin and how to feed it.

    ``net``: the Gluon block (children ``"0"``, ``"1"``, ... in Keras layer order), initialized.
    ``to_gluon(x)`` / ``to_keras(y)``: Keras input -> Gluon input; Gluon output -> Keras layout (NumPy).
    ``fixups``: (child name, Keras layer name, permutation ``p``) for each Dense after a channels_last
    Flatten: Keras input feature ``f`` is Gluon input feature ``p[f]``.
    ``bitwise``: whether the two models run the same arithmetic (no permuted Dense).
    ``input_dtype``, ``input_shape`` (without the batch axis), ``vocab`` (token ids for an Embedding input).
    """

    net: Any
    to_gluon: Fn
    to_keras: Fn
    fixups: List[Tuple[str, str, np.ndarray]] = field(default_factory=list)
    input_dtype: str = "float32"
    input_shape: Tuple[int, ...] = ()
    vocab: int = 0

    @property
    def bitwise(self) -> bool:
        return not self.fixups


def _cf_perm(nd_: int) -> Tuple[int, ...]:      # channels_last -> channels_first axes
    return (0, nd_ + 1) + tuple(range(1, nd_ + 1))


def _cl_perm(nd_: int) -> Tuple[int, ...]:      # channels_first -> channels_last axes
    return (0,) + tuple(range(2, nd_ + 2)) + (1,)


def _act_name(fn: Any) -> str:
    return "linear" if fn is None else getattr(fn, "__name__", str(fn))


def _tuple(v: Any, n: int) -> Tuple[int, ...]:
    return tuple(int(a) for a in v) if isinstance(v, (tuple, list)) else (int(v),) * n


def _chain_layers(model: Any) -> List[Any]:
    """The model's layers (InputLayer excluded), checked to form one chain input -> ... -> output."""
    from unidl_keras.layers.core.input_layer import InputLayer
    from unidl_keras.models.functional import Functional

    name = getattr(model, "name", "model")
    layers = getattr(model, "layers", None)
    if layers is None:
        raise TwinBuildError(f"'{name}' ({type(model).__name__}) is not a Sequential or functional Keras model")
    inputs, outputs = getattr(model, "inputs", None), getattr(model, "outputs", None)
    if not inputs:
        raise TwinBuildError(f"Keras model '{name}' is not built (its input shape is unknown): give it an Input "
                             "or call it on data before converting")
    if len(inputs) != 1 or len(outputs) != 1:
        raise TwinBuildError(f"Keras model '{name}' has {len(inputs)} inputs and {len(outputs)} outputs; only "
                             "single-input, single-output chains have an automatic Gluon twin")
    chain = [layer for layer in layers if not isinstance(layer, InputLayer)]
    if isinstance(model, Functional) and type(model).__name__ != "Sequential":
        prev = inputs[0]
        for layer in chain:
            nodes = getattr(layer, "_inbound_nodes", [])
            if len(nodes) != 1 or len(nodes[0].input_tensors) != 1 or nodes[0].input_tensors[0] is not prev:
                raise TwinBuildError(f"Keras model '{name}' is not a plain chain at layer '{layer.name}' "
                                     f"({type(layer).__name__}): branches, merges and shared layers have no "
                                     "automatic Gluon twin (write the twin by hand and use the twin mapper)")
            prev = nodes[0].output_tensors[0]
        if prev is not outputs[0]:
            raise TwinBuildError(f"Keras model '{name}' is not a plain chain: its output is not the last layer's")
    if not chain:
        raise TwinBuildError(f"Keras model '{name}' has no layers to convert")
    return chain


def _shape(t: Any) -> Tuple[Optional[int], ...]:
    return tuple(None if d is None else int(d) for d in t.shape)


class _Builder:
    """Walks the Keras chain, tracking whether the Gluon tensor has Keras's layout ("same") or has the
    channels moved from last to axis 1 ("cf"), and whether features are in a permuted flatten order."""

    def __init__(self, model: Any) -> None:
        import unidl_mxnet as mx

        self.mx = mx
        self.model = model
        self.children: List[Tuple[Any, Optional[Fn], Optional[Fn]]] = []   # (block, pre, post)
        self.state = "same"
        self.in_perm: Optional[Tuple[int, ...]] = None   # transpose of the Keras input for the Gluon input
        self.flat_perm: Optional[np.ndarray] = None      # pending permutation for the next Dense
        self.fixups: List[Tuple[str, str, np.ndarray]] = []

    # -- layout helpers --------------------------------------------------------------------------------
    def _err(self, layer: Any, why: str) -> TwinBuildError:
        return TwinBuildError(f"layer '{layer.name}' ({type(layer).__name__}): {why}")

    def _to_cf(self, ndim: int) -> Optional[Fn]:
        """Make the Gluon tensor channels-first before a channels_last spatial layer; returns a pre-transform."""
        if self.state == "cf":
            return None
        self.state = "cf"
        perm = _cf_perm(ndim - 2)
        if not self.children:           # the twin's own input: feed Gluon its natural layout
            self.in_perm = perm
            return None
        return lambda x, perm=perm: x.transpose(perm)

    def _to_same(self, ndim: int) -> Optional[Fn]:
        if self.state == "same":
            return None
        self.state = "same"
        perm = _cl_perm(ndim - 2)
        return lambda x, perm=perm: x.transpose(perm)

    def _check_no_flat_perm(self, layer: Any) -> None:
        if self.flat_perm is not None:
            raise self._err(layer, "comes between a Flatten of channels_last feature maps and its Dense; only "
                                   "Dropout and Activation may (the features are in Gluon's C, H, W order there)")

    def _act(self, layer: Any, fn: Any) -> Tuple[Optional[str], Optional[Fn]]:
        """Keras activation -> (Gluon act_type for a layer's activation argument, or a post-function)."""
        name = _act_name(fn)
        if name in _GLUON_ACT:
            return _GLUON_ACT[name], None
        nd = self.mx.nd
        if name == "softmax":
            return None, lambda x: nd.softmax(x, axis=-1)
        if name == "log_softmax":
            return None, lambda x: nd.log_softmax(x, axis=-1)
        raise self._err(layer, f"activation '{name}' has no Gluon twin here (supported: "
                               f"{', '.join(sorted(set(_GLUON_ACT) | {'softmax', 'log_softmax'}))})")

    def add(self, block: Any, pre: Optional[Fn] = None, post: Optional[Fn] = None) -> None:
        self.children.append((block, pre, post))

    # -- layers ----------------------------------------------------------------------------------------
    def layer(self, layer: Any) -> None:
        from unidl_keras import layers as kl

        nn, rnn = self.mx.gluon.nn, self.mx.gluon.rnn
        cls = type(layer).__name__
        in_shape = _shape(layer.input)
        ndim = len(in_shape)
        if isinstance(layer, kl.Dense):
            act, post = self._act(layer, layer.activation)
            pre = self._to_same(ndim)
            block = nn.Dense(layer.units, activation=act, use_bias=layer.use_bias, flatten=ndim <= 2,
                             in_units=int(in_shape[-1]))
            if self.flat_perm is not None:
                self.fixups.append((str(len(self.children)), layer.name, self.flat_perm))
                self.flat_perm = None
            self.add(block, pre, post)
            return
        if isinstance(layer, (kl.Dropout,)) and cls == "Dropout":
            self.add(nn.Dropout(float(layer.rate)))
            return
        if cls in ("Activation", "ReLU", "LeakyReLU", "Softmax"):
            self._activation_layer(layer, cls)
            return
        if cls == "Flatten":
            if self.state == "cf" and ndim > 2:
                spatial = in_shape[1:-1]
                C = in_shape[-1]
                # Keras feature f = (h*W + w)*C + c; Gluon feature (c*H + h)*W + w
                self.flat_perm = np.arange(int(np.prod(in_shape[1:]))).reshape((C,) + spatial).transpose(
                    tuple(range(1, len(spatial) + 1)) + (0,)).reshape(-1)
            else:
                self._check_no_flat_perm(layer)
            self.state = "same"
            self.add(nn.Flatten())
            return
        self._check_no_flat_perm(layer)
        if cls in ("Conv1D", "Conv2D", "Conv3D"):
            self._conv(layer, in_shape)
            return
        if cls in ("MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "AveragePooling1D", "AveragePooling2D",
                   "AveragePooling3D"):
            self._pool(layer, in_shape)
            return
        if cls.startswith(("GlobalAveragePooling", "GlobalMaxPooling")) and cls[-2:] in ("1D", "2D", "3D"):
            self._global_pool(layer, in_shape)
            return
        if cls == "BatchNormalization":
            self._batchnorm(layer, in_shape)
            return
        if cls == "LayerNormalization":
            self._layernorm(layer, in_shape)
            return
        if cls == "Embedding":
            if getattr(layer, "mask_zero", False):
                raise self._err(layer, "mask_zero=True has no Gluon twin (Gluon layers take no masks)")
            if self.state != "same":
                raise self._err(layer, "an Embedding after channels_last feature maps has no Gluon twin")
            self.add(nn.Embedding(int(layer.input_dim), int(layer.output_dim)))
            return
        if cls in ("LSTM", "GRU", "Bidirectional"):
            self._rnn(layer, in_shape)
            return
        raise self._err(layer, f"no automatic Gluon twin for this layer; supported: {', '.join(SUPPORTED)}")

    def _activation_layer(self, layer: Any, cls: str) -> None:
        nn, nd = self.mx.gluon.nn, self.mx.nd
        if cls == "ReLU":
            if (getattr(layer, "max_value", None) is not None or float(getattr(layer, "negative_slope", 0.0))
                    or float(getattr(layer, "threshold", 0.0))):
                raise self._err(layer, "only ReLU() with default arguments has a Gluon twin")
            self.add(nn.Activation("relu"))
            return
        if cls == "LeakyReLU":
            alpha = getattr(layer, "negative_slope", getattr(layer, "alpha", None))
            self.add(nn.LeakyReLU(float(alpha)))
            return
        if cls == "Softmax":
            axis = getattr(layer, "axis", -1)
            if axis != -1 or self.state != "same":
                raise self._err(layer, "only Softmax over the last axis has a Gluon twin")
            self.add(nn.HybridLambda(lambda F, x: F.softmax(x, axis=-1)))
            return
        act, post = self._act(layer, layer.activation)
        if post is not None:
            if self.state != "same":
                raise self._err(layer, f"'{_act_name(layer.activation)}' over channels_last feature maps has no "
                                       "Gluon twin (it would run over another axis)")
            self.add(nn.HybridLambda(lambda F, x, post=post: post(x)))
        elif act is None:
            self.add(nn.HybridLambda(lambda F, x: x))
        else:
            self.add(nn.Activation(act))

    def _spatial_padding(self, layer: Any, in_shape: Tuple, k: Tuple[int, ...], s: Tuple[int, ...],
                         d: Tuple[int, ...], spatial: Tuple) -> Tuple[int, ...]:
        pad = layer.padding
        if pad == "valid":
            return (0,) * len(k)
        if pad != "same":
            raise self._err(layer, f"padding='{pad}' has no Gluon twin (use 'valid' or 'same')")
        out = []
        for n, kk, ss, dd in zip(spatial, k, s, d):
            if n is None:
                raise self._err(layer, "padding='same' needs known spatial sizes (give the model an Input shape)")
            eff = (kk - 1) * dd + 1
            total = max((-(-n // ss) - 1) * ss + eff - n, 0)
            if total % 2:
                raise self._err(layer, f"padding='same' pads {total} on an axis of size {n} (kernel {kk}, stride "
                                       f"{ss}): Keras puts the odd element at the end, Gluon pads symmetrically")
            out.append(total // 2)
        return tuple(out)

    def _channels_first(self, layer: Any, ndim: int) -> Tuple[Optional[Fn], bool]:
        fmt = getattr(layer, "data_format", "channels_last")
        if fmt == "channels_first":
            return self._to_same(ndim), True
        return self._to_cf(ndim), False

    def _conv(self, layer: Any, in_shape: Tuple) -> None:
        nn = self.mx.gluon.nn
        n = int(type(layer).__name__[-2])
        pre, cf = self._channels_first(layer, len(in_shape))
        spatial = in_shape[2:] if cf else in_shape[1:-1]
        C = in_shape[1] if cf else in_shape[-1]
        k, s, d = (_tuple(layer.kernel_size, n), _tuple(layer.strides, n), _tuple(layer.dilation_rate, n))
        pad = self._spatial_padding(layer, in_shape, k, s, d, spatial)
        act, post = self._act(layer, layer.activation)
        if post is not None:
            raise self._err(layer, f"activation '{_act_name(layer.activation)}' on a convolution has no Gluon twin")
        block = getattr(nn, f"Conv{n}D")(int(layer.filters), k, strides=s, padding=pad, dilation=d,
                                         groups=int(getattr(layer, "groups", 1)), activation=act,
                                         use_bias=bool(layer.use_bias), in_channels=int(C))
        self.add(block, pre)

    def _pool(self, layer: Any, in_shape: Tuple) -> None:
        nn = self.mx.gluon.nn
        cls = type(layer).__name__
        n = int(cls[-2])
        if layer.padding != "valid":
            raise self._err(layer, f"padding='{layer.padding}' has no Gluon twin (Keras 'same' pooling excludes the "
                                   "padding, Gluon counts it); use 'valid'")
        pre, _ = self._channels_first(layer, len(in_shape))
        kind = "MaxPool" if cls.startswith("Max") else "AvgPool"
        p = _tuple(layer.pool_size, n)
        s = _tuple(layer.strides if layer.strides is not None else layer.pool_size, n)
        self.add(getattr(nn, f"{kind}{n}D")(p, strides=s), pre)

    def _global_pool(self, layer: Any, in_shape: Tuple) -> None:
        nn, nd = self.mx.gluon.nn, self.mx.nd
        cls = type(layer).__name__
        n = int(cls[-2])
        if getattr(layer, "keepdims", False):
            raise self._err(layer, "keepdims=True has no Gluon twin here")
        pre, _ = self._channels_first(layer, len(in_shape))
        kind = "GlobalMaxPool" if "Max" in cls else "GlobalAvgPool"
        self.state = "same"     # (N, C) after the flatten below: no layout left
        self.add(getattr(nn, f"{kind}{n}D")(), pre, lambda x: nd.flatten(x))

    def _batchnorm(self, layer: Any, in_shape: Tuple) -> None:
        nn = self.mx.gluon.nn
        axis = layer.axis
        axes = list(axis) if isinstance(axis, (list, tuple)) else [axis]
        if len(axes) != 1:
            raise self._err(layer, f"normalising over axes {axes} has no Gluon twin (one axis only)")
        ndim = len(in_shape)
        a = axes[0] % ndim
        if self.state == "cf":
            if a != ndim - 1:
                raise self._err(layer, f"axis {axis} of channels_last feature maps has no Gluon twin (only the "
                                       "channel axis)")
            a = 1
        block = nn.BatchNorm(axis=a, momentum=float(layer.momentum), epsilon=float(layer.epsilon),
                             center=bool(layer.center), scale=bool(layer.scale), in_channels=int(in_shape[axes[0]]))
        self.add(block)

    def _layernorm(self, layer: Any, in_shape: Tuple) -> None:
        axis = layer.axis
        axes = list(axis) if isinstance(axis, (list, tuple)) else [axis]
        ndim = len(in_shape)
        if len(axes) != 1 or axes[0] % ndim != ndim - 1 or self.state != "same" or getattr(layer, "rms_scaling", False):
            raise self._err(layer, "only normalisation over the last axis (no rms_scaling) has a Gluon twin")
        self.add(self.mx.gluon.nn.LayerNorm(axis=-1, epsilon=float(layer.epsilon), center=bool(layer.center),
                                            scale=bool(layer.scale), in_channels=int(in_shape[-1])))

    def _rnn(self, layer: Any, in_shape: Tuple) -> None:
        rnn, nd = self.mx.gluon.rnn, self.mx.nd
        cls = type(layer).__name__
        inner, bidir = layer, False
        if cls == "Bidirectional":
            inner, bidir = layer.forward_layer, True
            if layer.merge_mode != "concat":
                raise self._err(layer, f"merge_mode='{layer.merge_mode}' has no Gluon twin (Gluon concatenates)")
            if not inner.return_sequences:
                raise self._err(layer, "return_sequences=False has no Gluon twin (Keras returns the backward "
                                       "direction's final state, at time step 0); use return_sequences=True")
        icls = type(inner).__name__
        if icls not in ("LSTM", "GRU"):
            raise self._err(layer, f"recurrent layer {icls} has no Gluon twin (LSTM and GRU are supported)")
        cell = inner.cell
        for opt, want in (("go_backwards", False), ("return_state", False), ("stateful", False)):
            if bool(getattr(inner, opt, False)) != want:
                raise self._err(layer, f"{opt}=True has no Gluon twin")
        if _act_name(cell.activation) != "tanh" or _act_name(cell.recurrent_activation) != "sigmoid":
            raise self._err(layer, "only activation='tanh' and recurrent_activation='sigmoid' have a Gluon twin")
        if icls == "GRU" and not cell.reset_after:
            raise self._err(layer, "GRU(reset_after=False) has no Gluon twin (MXNet resets after the matmul)")
        if getattr(cell, "use_bias", True) is False:
            raise self._err(layer, "use_bias=False has no Gluon twin (Gluon's recurrent layers always have biases)")
        if float(getattr(cell, "dropout", 0.0)) or float(getattr(cell, "recurrent_dropout", 0.0)):
            raise self._err(layer, "dropout / recurrent_dropout have no Gluon twin")
        pre = self._to_same(len(in_shape))
        block = getattr(rnn, icls)(int(cell.units), layout="NTC", bidirectional=bidir, input_size=int(in_shape[-1]))
        post = None
        if not inner.return_sequences:
            post = lambda x: nd.flatten(nd.slice_axis(x, axis=1, begin=-1, end=None))   # noqa: E731
        self.add(block, pre, post)

    # -- result ----------------------------------------------------------------------------------------
    def finish(self, out_ndim: int) -> Twin:
        if self.flat_perm is not None:
            raise TwinBuildError(f"Keras model '{self.model.name}' ends with a Flatten of channels_last feature "
                                 "maps: its output order (H, W, C) has no Gluon twin")
        net = _TwinBlock(self.mx, self.children)
        in_perm = self.in_perm
        out_perm = _cl_perm(out_ndim - 2) if self.state == "cf" else None

        def to_gluon(x: np.ndarray) -> np.ndarray:
            return np.ascontiguousarray(x.transpose(in_perm)) if in_perm is not None else x

        def to_keras(y: np.ndarray) -> np.ndarray:
            return np.ascontiguousarray(y.transpose(out_perm)) if out_perm is not None else y

        inp = self.model.inputs[0]
        dtype = str(getattr(inp, "dtype", "float32"))
        vocab = 0
        first = self.children[0][0] if self.children else None
        if type(first).__name__ == "Embedding":
            vocab = int(first.weight.shape[0])
        return Twin(net, to_gluon, to_keras, list(self.fixups), dtype, tuple(_shape(inp)[1:]), vocab)


def _TwinBlock(mx: Any, children: Sequence[Tuple[Any, Optional[Fn], Optional[Fn]]]) -> Any:
    """A HybridSequential whose forward applies the layout/activation transforms around each child."""
    class KerasTwin(mx.gluon.nn.HybridSequential):
        """Gluon twin of a Keras chain: children ``0..n-1`` run in order, with transposes where Keras's
        channels_last layout needs them and activations Gluon layers lack."""

        def __init__(self) -> None:
            super().__init__()
            self._around: List[Tuple[Optional[Fn], Optional[Fn]]] = []

        def forward(self, x: Any) -> Any:
            for block, (pre, post) in zip(self._children.values(), self._around):
                if pre is not None:
                    x = pre(x)
                x = block(x)
                if post is not None:
                    x = post(x)
            return x

    net = KerasTwin()
    for block, pre, post in children:
        net.add(block)
        net._around.append((pre, post))
    return net


def build_gluon_twin(keras_model: Any, initialize: bool = True) -> Twin:
    """The Gluon twin of a built Keras chain model (see the module docstring for the layers it knows).

    The twin's parameters are initialized (shapes are all known from the Keras model); copy the weights
    with :func:`keras_to_twin`. Raises :class:`TwinBuildError` naming the first layer it cannot twin.
    """
    b = _Builder(keras_model)
    for layer in _chain_layers(keras_model):
        b.layer(layer)
    twin = b.finish(len(_shape(keras_model.outputs[0])))
    if initialize:
        twin.net.initialize()
    return twin


def keras_to_twin(keras_model: Any, twin: Twin) -> None:
    """Copy the Keras weights into the twin (the suite's mapper, then the Flatten permutations)."""
    mapping.keras_to_gluon(keras_model, twin.net)
    nd = _nd()
    for child, _, p in twin.fixups:
        w = twin.net._children[child].weight
        q = np.argsort(p)
        w.set_data(nd.array(np.ascontiguousarray(w.data().asnumpy()[:, q]), dtype=w.data().dtype))


def twin_to_keras(twin: Twin, keras_model: Any) -> None:
    """Copy the twin's parameters into the Keras model (the suite's mapper, then the Flatten permutations)."""
    mapping.gluon_to_keras(twin.net, keras_model)
    by_name = {layer.name: layer for layer in keras_model.layers}
    for _, lname, p in twin.fixups:
        k = by_name[lname].kernel
        k.assign(np.ascontiguousarray(np.asarray(k.numpy())[p]))


def _nd() -> Any:
    from unidl_mxnet import nd

    return nd


def probe_input(twin: Twin, batch: int = 4, seed: int = 0) -> np.ndarray:
    """A fixed probe batch in the Keras layout: standard normal floats, or token ids below the vocabulary."""
    rng = np.random.default_rng(seed)
    shape = (batch,) + tuple(8 if d is None else d for d in twin.input_shape)
    if "int" in twin.input_dtype or twin.vocab:
        return rng.integers(0, max(twin.vocab, 2), size=shape).astype(
            twin.input_dtype if "int" in twin.input_dtype else "int32")
    return rng.standard_normal(shape).astype(twin.input_dtype)


def compare_outputs(keras_model: Any, twin: Twin, x: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """(Keras output, Gluon output in Keras's layout) for the Keras-layout batch ``x``, inference mode."""
    nd = _nd()
    yk = keras_model(x, training=False)
    yk = np.asarray(yk.numpy() if hasattr(yk, "numpy") else yk)
    xg = twin.to_gluon(x)
    yg = twin.to_keras(twin.net(nd.array(xg, dtype="float32" if "int" in str(xg.dtype) else str(xg.dtype))).asnumpy())
    return yk, yg
