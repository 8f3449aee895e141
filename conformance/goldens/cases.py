"""The golden cases: how to build each layer/model, given a framework module.

Every builder takes the *framework module* (real ``keras`` / ``mxnet`` when the goldens are made, ``unidl_keras``
/ ``unidl_mxnet`` when they are checked), so the real framework and the unidl frontend build the same case from
the same description. This module imports only NumPy: ``make_goldens.py --framework mxnet`` imports it in a
venv that cannot import unidl.

A case's golden file holds (see ``make_goldens.py``): the weights in the framework's order with their names,
the input (and constant extra inputs such as labels), the forward output, the fixed cotangent ``r`` of the
scalar loss ``sum(output * r)``, the gradients of that loss w.r.t. the input and every trainable weight,
the weights after the forward pass (``after_*``, for layers whose training call updates state, e.g. batch
norm's moving statistics) and, for optimizer cases, the weights after two optimizer steps (``trained_*``).
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Tuple

import numpy as np

# Tolerances per check (float32). |unidl - golden| <= atol + rtol * |golden|, elementwise.
# rtol follows ARCHITECTURE.md (1e-5 forward, 1e-4 gradients); atol covers entries near zero, where float32
# summation order (different kernels, different reduction orders) leaves absolute noise of ~1e-7 per unit.
FORWARD_TOL = {"rtol": 1e-5, "atol": 1e-6}
GRAD_TOL = {"rtol": 1e-4, "atol": 1e-5}
TRAINED_TOL = {"rtol": 1e-4, "atol": 1e-5}
AFTER_TOL = {"rtol": 1e-5, "atol": 1e-6}


@dataclass
class Case:
    """One golden case.

    build(mod) -> layer/model; call(layer, x, extras, training) -> output (default ``layer(x, *extras)``,
    plus ``training=`` for Keras); input_shape / input_kind ("float", or "index" with ``high``); extras:
    list of (shape, kind, high) constant inputs (kind "label" = integer class ids stored as float32,
    "binary" = 0/1 float32); optimizer: None or (name, kwargs) for a 2-step training case; pending: reason
    the unidl frontend cannot build this case yet (the unidl check then asserts it raises).
    """
    name: str
    framework: str
    description: str
    build: Callable[[Any], Any]
    input_shape: Tuple[int, ...]
    input_kind: str = "float"
    high: int = 10
    extras: List[Tuple[Tuple[int, ...], str, int]] = field(default_factory=list)
    call: Optional[Callable[..., Any]] = None
    training: bool = False
    optimizer: Optional[Tuple[str, Dict[str, Any]]] = None
    steps: int = 2
    weight_scale: float = 0.5
    pending: Optional[str] = None
    mkldnn: bool = False  # MXNet goldens: run real MXNet with its oneDNN operators (needed by its fused RNN)
    tolerances: Dict[str, Dict[str, float]] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.framework}_{self.name}"

    def tol(self, check: str) -> Dict[str, float]:
        base = {"forward": FORWARD_TOL, "grad": GRAD_TOL, "trained": TRAINED_TOL, "after": AFTER_TOL}[check]
        return dict(self.tolerances.get(check, base))

    def seed(self) -> int:
        return zlib.crc32(self.key.encode())


def make_inputs(case: Case) -> Tuple[np.ndarray, List[np.ndarray]]:
    """The deterministic input and extra inputs of ``case`` (numpy, seeded by the case name)."""
    rng = np.random.default_rng(case.seed())
    if case.input_kind == "index":
        x = rng.integers(0, case.high, size=case.input_shape)
        x = x.astype("int32" if case.framework == "keras" else "float32")
    else:
        x = rng.standard_normal(case.input_shape).astype("float32")
    extras = []
    for shape, kind, high in case.extras:
        if kind == "label":
            extras.append(rng.integers(0, high, size=shape).astype("float32"))
        elif kind == "binary":
            extras.append(rng.integers(0, 2, size=shape).astype("float32"))
        else:
            extras.append(rng.standard_normal(shape).astype("float32"))
    return x, extras


def make_weights(case: Case, names: List[str], shapes: List[Tuple[int, ...]]) -> List[np.ndarray]:
    """Deterministic weight values for the named weights (variances positive, the rest normal * scale)."""
    rng = np.random.default_rng(case.seed() + 1)
    out = []
    for name, shape in zip(names, shapes):
        if "var" in name.lower():
            out.append(rng.uniform(0.5, 1.5, size=shape).astype("float32"))
        elif "mean" in name.lower():
            out.append((0.1 * rng.standard_normal(shape)).astype("float32"))
        else:
            out.append((case.weight_scale * rng.standard_normal(shape)).astype("float32"))
    return out


def make_cotangent(case: Case, shape: Tuple[int, ...]) -> np.ndarray:
    """The fixed random tensor ``r`` of the loss ``sum(output * r)``."""
    return np.random.default_rng(case.seed() + 2).standard_normal(shape).astype("float32")


# --------------------------------------------------------------------------------------------- Keras cases
def _k(name: str, desc: str, build: Callable, shape: Tuple[int, ...], **kw: Any) -> Case:
    return Case(name, "keras", desc, build, shape, **kw)


def _mha_call(layer: Any, x: Any, extras: List[Any], training: bool) -> Any:
    return layer(x, x, training=training)


def _keras_mlp(k: Any) -> Any:
    return k.Sequential([k.Input((6,)), k.layers.Dense(8, activation="tanh"), k.layers.Dense(3)])


def _keras_cnn(k: Any) -> Any:
    return k.Sequential([k.Input((8, 8, 2)), k.layers.Conv2D(3, 3, activation="relu"), k.layers.MaxPooling2D(),
                         k.layers.Flatten(), k.layers.Dense(4)])


KERAS_CASES: List[Case] = [
    _k("dense", "Dense(5, activation='relu') on (3, 4)", lambda k: k.layers.Dense(5, activation="relu"), (3, 4)),
    _k("conv1d", "Conv1D(4, 3, padding='causal', dilation_rate=2) on (2, 9, 3)",
       lambda k: k.layers.Conv1D(4, 3, padding="causal", dilation_rate=2), (2, 9, 3)),
    _k("conv2d_same_strides", "Conv2D(4, 3, strides=2, padding='same') on (2, 7, 7, 3)",
       lambda k: k.layers.Conv2D(4, 3, strides=2, padding="same"), (2, 7, 7, 3)),
    _k("conv2d_valid_dilation", "Conv2D(3, (3, 2), dilation_rate=2, padding='valid', activation='tanh') "
       "on (2, 8, 7, 2)", lambda k: k.layers.Conv2D(3, (3, 2), dilation_rate=2, activation="tanh"), (2, 8, 7, 2)),
    _k("depthwise_conv2d", "DepthwiseConv2D(3, depth_multiplier=2, padding='same') on (2, 6, 6, 3)",
       lambda k: k.layers.DepthwiseConv2D(3, depth_multiplier=2, padding="same"), (2, 6, 6, 3)),
    _k("separable_conv2d", "SeparableConv2D(4, 3, depth_multiplier=2) on (2, 7, 7, 3)",
       lambda k: k.layers.SeparableConv2D(4, 3, depth_multiplier=2), (2, 7, 7, 3)),
    _k("conv2d_transpose", "Conv2DTranspose(3, 3, strides=2, padding='same') on (2, 4, 5, 2)",
       lambda k: k.layers.Conv2DTranspose(3, 3, strides=2, padding="same"), (2, 4, 5, 2)),
    _k("max_pooling2d", "MaxPooling2D(2) on (2, 6, 7, 3)", lambda k: k.layers.MaxPooling2D(2), (2, 6, 7, 3)),
    # 'same' padding symmetric on both axes here: where it is not, Keras's torch backend pads by replicating
    # edges and averages them in, unlike Keras's documented (TensorFlow) rule, which unidl follows.
    _k("average_pooling2d", "AveragePooling2D(3, strides=2, padding='same') on (2, 7, 5, 2) (symmetric "
       "padding)", lambda k: k.layers.AveragePooling2D(3, strides=2, padding="same"), (2, 7, 5, 2)),
    _k("global_average_pooling2d", "GlobalAveragePooling2D() on (2, 5, 4, 3)",
       lambda k: k.layers.GlobalAveragePooling2D(), (2, 5, 4, 3)),
    _k("batch_norm_train", "BatchNormalization() training=True on (4, 5, 3): batch statistics, moving stats "
       "updated (momentum 0.99)", lambda k: k.layers.BatchNormalization(), (4, 5, 3), training=True),
    _k("batch_norm_infer", "BatchNormalization() training=False on (4, 3): moving statistics, epsilon 1e-3",
       lambda k: k.layers.BatchNormalization(), (4, 3)),
    _k("layer_norm", "LayerNormalization() on (3, 4, 5)", lambda k: k.layers.LayerNormalization(), (3, 4, 5)),
    _k("embedding", "Embedding(10, 4) on int (3, 5)", lambda k: k.layers.Embedding(10, 4), (3, 5),
       input_kind="index", high=10),
    _k("simple_rnn", "SimpleRNN(4, return_sequences=True) on (2, 5, 3)",
       lambda k: k.layers.SimpleRNN(4, return_sequences=True), (2, 5, 3)),
    _k("lstm", "LSTM(4, return_sequences=True) on (2, 5, 3)",
       lambda k: k.layers.LSTM(4, return_sequences=True), (2, 5, 3)),
    _k("gru", "GRU(4, reset_after=True) last output on (2, 5, 3)", lambda k: k.layers.GRU(4), (2, 5, 3)),
    _k("bidirectional_lstm", "Bidirectional(LSTM(3, return_sequences=True)) merge concat on (2, 4, 3)",
       lambda k: k.layers.Bidirectional(k.layers.LSTM(3, return_sequences=True)), (2, 4, 3)),
    _k("multi_head_attention", "MultiHeadAttention(num_heads=2, key_dim=3) self-attention on (2, 4, 5)",
       lambda k: k.layers.MultiHeadAttention(num_heads=2, key_dim=3), (2, 4, 5), call=_mha_call),
    _k("dropout_inference", "Dropout(0.5) training=False on (3, 4): identity",
       lambda k: k.layers.Dropout(0.5), (3, 4)),
    _k("softmax", "Activation('softmax') on (3, 5)", lambda k: k.layers.Activation("softmax"), (3, 5),
       tolerances={}),
    _k("gelu", "Activation('gelu') (exact erf form) on (3, 5)", lambda k: k.layers.Activation("gelu"), (3, 5)),
    _k("mlp_sgd", "MLP 6-8(tanh)-3, 2 steps of SGD(learning_rate=0.1, momentum=0.9) on loss sum(out * r)",
       _keras_mlp, (4, 6), training=True, optimizer=("sgd", {"learning_rate": 0.1, "momentum": 0.9})),
    _k("mlp_adam", "MLP 6-8(tanh)-3, 2 steps of Adam(learning_rate=0.01) (defaults otherwise) on loss "
       "sum(out * r)", _keras_mlp, (4, 6), training=True, optimizer=("adam", {"learning_rate": 0.01})),
    _k("cnn", "Conv2D(3,3,relu)-MaxPooling2D-Flatten-Dense(4) on (2, 8, 8, 2), forward + gradients",
       _keras_cnn, (2, 8, 8, 2)),
]


# --------------------------------------------------------------------------------------------- MXNet cases
def _m(name: str, desc: str, build: Callable, shape: Tuple[int, ...], **kw: Any) -> Case:
    return Case(name, "mxnet", desc, build, shape, **kw)


def _mx_mlp(mx: Any) -> Any:
    net = mx.gluon.nn.Sequential()
    net.add(mx.gluon.nn.Dense(8, activation="tanh"), mx.gluon.nn.Dense(3))
    return net


def _mx_cnn(mx: Any) -> Any:
    nn = mx.gluon.nn
    net = nn.Sequential()
    net.add(nn.Conv2D(3, 3, activation="relu"), nn.MaxPool2D(), nn.Dense(4))
    return net



MXNET_CASES: List[Case] = [
    _m("dense_flatten", "nn.Dense(5, activation='tanh') (flatten=True) on (3, 2, 4)",
       lambda mx: mx.gluon.nn.Dense(5, activation="tanh"), (3, 2, 4)),
    _m("conv1d", "nn.Conv1D(4, 3, strides=2, padding=1) on NCW (2, 3, 9)",
       lambda mx: mx.gluon.nn.Conv1D(4, 3, strides=2, padding=1), (2, 3, 9)),
    _m("conv2d_groups", "nn.Conv2D(4, 3, padding=1, groups=2, dilation=1) on NCHW (2, 4, 6, 5)",
       lambda mx: mx.gluon.nn.Conv2D(4, 3, padding=1, groups=2), (2, 4, 6, 5)),
    _m("conv2d_transpose", "nn.Conv2DTranspose(3, 3, strides=2, padding=1, output_padding=1) on (2, 2, 4, 5)",
       lambda mx: mx.gluon.nn.Conv2DTranspose(3, 3, strides=2, padding=1, output_padding=1), (2, 2, 4, 5)),
    _m("max_pool2d", "nn.MaxPool2D(3, strides=2, padding=1) on (2, 3, 7, 6)",
       lambda mx: mx.gluon.nn.MaxPool2D(3, strides=2, padding=1), (2, 3, 7, 6)),
    _m("avg_pool2d", "nn.AvgPool2D(2, ceil_mode=True) on (2, 3, 5, 6)",
       lambda mx: mx.gluon.nn.AvgPool2D(2, ceil_mode=True), (2, 3, 5, 6)),
    _m("global_avg_pool2d", "nn.GlobalAvgPool2D() on (2, 3, 4, 5)",
       lambda mx: mx.gluon.nn.GlobalAvgPool2D(), (2, 3, 4, 5)),
    _m("batch_norm_train", "nn.BatchNorm() under autograd.record() (train mode) on (4, 3, 3, 2): batch "
       "statistics; running stats after one step (momentum 0.9)", lambda mx: mx.gluon.nn.BatchNorm(),
       (4, 3, 3, 2), training=True),
    _m("batch_norm_infer", "nn.BatchNorm() inference on (4, 3, 2, 2): running statistics, epsilon 1e-5",
       lambda mx: mx.gluon.nn.BatchNorm(), (4, 3, 2, 2)),
    _m("layer_norm", "nn.LayerNorm() on (3, 4, 5)", lambda mx: mx.gluon.nn.LayerNorm(), (3, 4, 5)),
    _m("instance_norm", "nn.InstanceNorm() on (2, 3, 4, 5)", lambda mx: mx.gluon.nn.InstanceNorm(),
       (2, 3, 4, 5)),
    _m("embedding", "nn.Embedding(10, 4) on float indices (3, 5)", lambda mx: mx.gluon.nn.Embedding(10, 4),
       (3, 5), input_kind="index", high=10),
    _m("lstm_bidir_2layer", "rnn.LSTM(4, num_layers=2, bidirectional=True) layout TNC on (5, 2, 3)",
       lambda mx: mx.gluon.rnn.LSTM(4, num_layers=2, bidirectional=True), (5, 2, 3), weight_scale=0.4, mkldnn=True),
    _m("gru", "rnn.GRU(4) layout TNC on (5, 2, 3)", lambda mx: mx.gluon.rnn.GRU(4), (5, 2, 3), mkldnn=True),
    _m("rnn_relu", "rnn.RNN(4, activation='relu') layout TNC on (5, 2, 3)",
       lambda mx: mx.gluon.rnn.RNN(4, activation="relu"), (5, 2, 3), mkldnn=True),
    _m("softmax_ce_loss", "loss.SoftmaxCrossEntropyLoss() (sparse labels) on logits (4, 5)",
       lambda mx: mx.gluon.loss.SoftmaxCrossEntropyLoss(), (4, 5), extras=[((4,), "label", 5)]),
    _m("l2_loss", "loss.L2Loss() on (4, 3) vs (4, 3) labels", lambda mx: mx.gluon.loss.L2Loss(), (4, 3),
       extras=[((4, 3), "float", 0)]),
    _m("sigmoid_bce_loss", "loss.SigmoidBinaryCrossEntropyLoss() (from_sigmoid=False) on (4, 3)",
       lambda mx: mx.gluon.loss.SigmoidBinaryCrossEntropyLoss(), (4, 3), extras=[((4, 3), "binary", 2)]),
    _m("mlp_sgd", "MLP Dense(8,tanh)-Dense(3), 2 steps of gluon.Trainer('sgd', learning_rate=0.1, "
       "momentum=0.9), trainer.step(4) on loss sum(out * r)", _mx_mlp, (4, 6), training=True,
       optimizer=("sgd", {"learning_rate": 0.1, "momentum": 0.9})),
    _m("mlp_adam", "MLP Dense(8,tanh)-Dense(3), 2 steps of gluon.Trainer('adam', learning_rate=0.01), "
       "trainer.step(4) on loss sum(out * r)", _mx_mlp, (4, 6), training=True,
       optimizer=("adam", {"learning_rate": 0.01})),
    _m("cnn", "Conv2D(3,3,relu)-MaxPool2D-Dense(4) on (2, 2, 8, 8), forward + gradients", _mx_cnn,
       (2, 2, 8, 8)),
]

CASES: Dict[str, Case] = {c.key: c for c in KERAS_CASES + MXNET_CASES}


def get(key: str) -> Case:
    """The case named ``<framework>_<name>``."""
    try:
        return CASES[key]
    except KeyError:
        raise KeyError(f"no golden case {key!r}; known: {sorted(CASES)}") from None
