"""The twin zoo: one :class:`TwinCase` per model pair, listed in :data:`TWINS`.

A case builds both models, makes a batch in the Gluon layout (NCHW, NTC, ...), and says how the
Keras twin sees it. ``unidl conform --suite twins`` lists :func:`all_cases`; a plugin adds its own
twins through the ``unidl_conformance_cases`` hook (``registry.add(TwinCase(...))``), which
:func:`all_cases` picks up (every registered object with ``suite == "twins"``).

Layout decision. The image twins build the Keras model with ``data_format="channels_first"``: the
Keras conv/pool/batch-norm layers then call the same core ops on the same NCHW memory as Gluon. In
Keras's default channels_last, ``Flatten`` orders features H, W, C, so the following Dense kernel
would need a row permutation (a different model), and the activations live in NHWC memory. The
``cnn_nhwc`` twin keeps one channels_last model (conv + global average pooling): both faces are fed
the same NHWC batch, and the Gluon twin views it as NCHW (a transpose, as a user porting
channels-last data writes it), so every conv and pooling kernel receives the same strided operand
in both faces (the ``kernel_calls`` check proves it).

Batch size is 8 everywhere (a power of two: Keras's mean and Gluon's ``/batch_size`` are then the
same exact scaling).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, List, Tuple

import numpy as np

from . import models_conv as mc
from . import models_dense as md
from . import models_seq as ms

__all__ = ["TwinCase", "TWINS", "all_cases", "get_case", "BATCH"]

BATCH = 8


def _identity(a: Any) -> Any:
    return a


@dataclass(frozen=True)
class TwinCase:
    """A Keras model and its Gluon twin.

    ``keras()`` returns a built Keras model, ``gluon()`` an un-initialized Gluon net. ``data(rng)``
    returns ``(x, y)`` in the Gluon layout; ``to_keras(x)`` gives the Keras input (e.g. NHWC
    transpose) and ``keras_out(y_pred)`` the Keras output in the Gluon layout. ``loss``:
    "sparse_ce" (Keras SparseCategoricalCrossentropy(from_logits=True) vs Gluon
    SoftmaxCrossEntropyLoss) or "mse" (Keras MeanSquaredError vs Gluon L2Loss(weight=2)).
    ``int_inputs``: the inputs are token ids (int32 for Keras, float32 for Gluon, as each is fed).
    ``pending``: a reason when the twin cannot run yet (its tests then fail with it, never skip).
    """

    name: str
    keras: Callable[[], Any]
    gluon: Callable[[], Any]
    data: Callable[[np.random.RandomState], Tuple[np.ndarray, np.ndarray]]
    loss: str = "sparse_ce"
    to_keras: Callable[[np.ndarray], np.ndarray] = _identity
    keras_out: Callable[[np.ndarray], np.ndarray] = _identity
    int_inputs: bool = False
    lr: float = 0.05
    description: str = ""
    pending: str = ""
    suite: str = field(default="twins", repr=False)


# -- data ---------------------------------------------------------------------------------------------
def _labels(rng: np.random.RandomState, classes: int) -> np.ndarray:
    return rng.randint(0, classes, size=(BATCH,)).astype("int32")


def features(f: int = 16, classes: int = 10) -> Callable:
    return lambda rng: (rng.randn(BATCH, f).astype("float32"), _labels(rng, classes))


def images(shape: Tuple[int, ...], classes: int = 10) -> Callable:
    return lambda rng: (rng.randn(BATCH, *shape).astype("float32"), _labels(rng, classes))


def sequences(steps: int, f: int, classes: int = 4) -> Callable:
    return lambda rng: (rng.randn(BATCH, steps, f).astype("float32"), _labels(rng, classes))


def tokens(steps: int, vocab: int, classes: int = 4) -> Callable:
    return lambda rng: (rng.randint(0, vocab, size=(BATCH, steps)).astype("int32"), _labels(rng, classes))


def autoencode(shape: Tuple[int, ...]) -> Callable:
    def make(rng: np.random.RandomState) -> Tuple[np.ndarray, np.ndarray]:
        x = rng.rand(BATCH, *shape).astype("float32")
        return x, x.copy()
    return make


TWINS: List[TwinCase] = [
    TwinCase("mlp", md.keras_mlp, md.gluon_mlp, features(), description="Dense-ReLU-Dense-ReLU-Dense"),
    TwinCase("mlp_dropout", md.keras_mlp_dropout, md.gluon_mlp_dropout, features(),
             description="MLP with Dropout(0.5): both draw the mask from unidl's default generator"),
    TwinCase("lenet", mc.keras_lenet, mc.gluon_lenet, images((1, 12, 12)),
             description="Conv-ReLU-MaxPool-Conv-ReLU-Flatten-Dense-Dense (Keras channels_first)"),
    TwinCase("cnn_bn", mc.keras_cnn_bn, mc.gluon_cnn_bn, images((3, 8, 8)),
             description="Conv-BatchNorm(momentum 0.99, eps 1e-3)-ReLU-MaxPool-Dense"),
    TwinCase("resnet_block", mc.keras_resnet_block, mc.gluon_resnet_block, images((4, 8, 8)),
             description="ResNet basic block with projection shortcut: Keras functional Add / Gluon HybridBlock"),
    TwinCase("sepconv", mc.keras_sepconv, mc.gluon_sepconv, images((4, 8, 8)),
             description="Keras SeparableConv2D / Gluon Conv2D(groups=C) + 1x1 Conv2D"),
    TwinCase("text_cnn", ms.keras_text_cnn, ms.gluon_text_cnn, tokens(16, 50), int_inputs=True,
             description="Embedding-Conv1D-GlobalMaxPool-Dense (Keras channels_last, Gluon transposes to NCW)"),
    TwinCase("lstm", ms.keras_lstm, ms.gluon_lstm, sequences(6, 5),
             description="LSTM(16) last step - Dense (Gluon layout NTC, h2h_bias frozen at 0)"),
    TwinCase("gru", ms.keras_gru, ms.gluon_gru, sequences(6, 5),
             description="GRU(16, reset_after=True) last step - Dense (gate order z,r,h vs r,z,n)"),
    TwinCase("bilstm", ms.keras_bilstm, ms.gluon_bilstm, sequences(6, 5),
             description="Bidirectional LSTM(8) sequences - max over time - Dense"),
    TwinCase("autoencoder", mc.keras_autoencoder, mc.gluon_autoencoder, autoencode((1, 8, 8)), loss="mse",
             description="Conv2D(stride 2) - Conv2DTranspose(stride 2), MSE vs L2Loss(weight=2)"),
    TwinCase("attention", ms.keras_attention, ms.gluon_attention, sequences(8, 16),
             description="LayerNorm(x + MultiHeadAttention(x, x)) - mean over time - Dense; Gluon twin from "
                         "Dense + batch_dot + softmax"),
    TwinCase("custom_layer", md.keras_custom, md.gluon_custom, features(classes=4),
             description="a user's Layer (build/call) and its HybridBlock twin"),
    TwinCase("cnn_nhwc", mc.keras_cnn_nhwc, mc.gluon_cnn_nhwc, images((8, 8, 3)),
             description="NHWC images: Keras channels_last Conv-ReLU-GlobalAvgPool-Dense; the Gluon twin "
                         "transposes its input to NCHW"),
]


def all_cases(include_plugins: bool = True) -> List[TwinCase]:
    """The built-in twins plus those plugins registered through ``unidl_conformance_cases``."""
    cases = list(TWINS)
    if include_plugins:
        try:
            from unidl import plugins

            plugins.ensure_loaded()
            cases += [c for c in plugins.CASES.cases if getattr(c, "suite", None) == "twins"
                      and isinstance(c, TwinCase)]
        except Exception:  # a broken plugin is reported by `unidl plugins`; the built-in zoo still runs
            pass
    seen, out = set(), []
    for c in cases:
        if c.name not in seen:
            seen.add(c.name)
            out.append(c)
    return out


def get_case(name: str) -> TwinCase:
    for c in all_cases():
        if c.name == name:
            return c
    raise KeyError(f"no twin named {name!r}; known: {[c.name for c in all_cases()]}")
