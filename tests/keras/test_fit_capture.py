"""Keras ``fit``/``train_on_batch``/``predict`` capture the model's forward (with the compiled loss in training steps;
unidl.capture): results are bitwise those of ``jit_compile=False`` (eager), and a model whose call adds losses stays
eager with one warning."""
import warnings

import numpy as np
import pytest

import unidl
import unidl_keras as keras
from unidl.capture import CaptureWarning


def _model(kind, jit):
    keras.utils.set_random_seed(5)
    if kind == "mlp_bn_dropout":
        layers = [keras.Input((12,)), keras.layers.Dense(16, activation="relu"), keras.layers.Dropout(0.3),
                  keras.layers.BatchNormalization(), keras.layers.Dense(4)]
        x = np.random.default_rng(0).standard_normal((8, 12)).astype(np.float32)
    elif kind == "cnn":
        layers = [keras.Input((10, 10, 1)), keras.layers.Conv2D(4, 3, activation="relu"), keras.layers.MaxPooling2D(2),
                  keras.layers.Flatten(), keras.layers.Dense(4)]
        x = np.random.default_rng(0).standard_normal((8, 10, 10, 1)).astype(np.float32)
    else:
        layers = [keras.Input((6, 5)), keras.layers.LSTM(7), keras.layers.Dense(4)]
        x = np.random.default_rng(0).standard_normal((8, 6, 5)).astype(np.float32)
    m = keras.Sequential(layers)
    m.compile(optimizer=keras.optimizers.SGD(0.05, momentum=0.9),
              loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), jit_compile=jit)
    return m, x, np.random.default_rng(1).integers(0, 4, 8)


@pytest.mark.parametrize("kind", ["mlp_bn_dropout", "cnn", "lstm"])
def test_captured_training_is_bitwise_eager_training(kind):
    res = []
    for jit in (False, "auto"):
        m, x, y = _model(kind, jit)
        with warnings.catch_warnings():
            warnings.simplefilter("error", CaptureWarning)
            losses = [m.train_on_batch(x, y) for _ in range(4)]
            hist = m.fit(x, y, batch_size=4, epochs=2, shuffle=False, verbose=0).history["loss"]
            pred = m.predict(x, verbose=0)
        res.append((losses, hist, [v.numpy() for v in m.variables], pred))
        caps = m.__dict__["_unidl_capture"]
        if jit == "auto":
            with unidl.autograd.record():  # fit's step (forward and loss captured together): recording, training
                assert caps["train_loss"].mode(keras.ops.convert_to_tensor(x[:4]),
                                               keras.ops.convert_to_tensor(y[:4])) == "replay"
        else:
            assert caps is None
    (l0, h0, v0, p0), (l1, h1, v1, p1) = res
    assert l0 == l1 and h0 == h1
    assert all(np.array_equal(a, b) for a, b in zip(v0, v1)) and len(v0) == len(v1)
    assert np.array_equal(p0, p1)


@pytest.mark.parametrize("reg", ["kernel_regularizer", "activity_regularizer"])
def test_a_model_adding_losses_is_not_replayed_and_trains_as_eager(reg):
    def make(**compile_kw):
        keras.utils.set_random_seed(5)
        m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, **{reg: keras.regularizers.L2(0.1)})])
        m.compile(optimizer="sgd", loss="mse", **compile_kw)
        return m

    m, eager = make(), make(run_eagerly=True)
    x, y = np.arange(12, dtype=np.float32).reshape(4, 3) / 10, np.zeros((4, 2), np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CaptureWarning)  # (an activity regularizer is found on the first call)
        for _ in range(4):
            assert m.train_on_batch(x, y) == eager.train_on_batch(x, y)
    assert all(np.array_equal(a, b) for a, b in zip(m.get_weights(), eager.get_weights()))
    cap = m.__dict__["_unidl_capture"]["train_loss"]
    with unidl.autograd.record():
        assert cap is False or cap.mode(keras.ops.convert_to_tensor(x), keras.ops.convert_to_tensor(y)) == "eager"


def test_captured_cnn_step_takes_relu_grad_on_the_pooled_map(relu_pool_folds):
    m, x, y = _model("cnn", "auto")
    for _ in range(3):
        m.train_on_batch(x, y)
    with unidl.trace.kernel_trace() as calls:
        m.train_on_batch(x, y)
    shapes = [c.operands[0][2] for c in calls if c.op == "relu_grad" and not c.depth]
    # conv (8, 8, 8, 4) pooled by 2, in the pooling kernel's (N, C, H, W); eager's full map without the fold
    assert shapes == [(8, 4, 4, 4) if relu_pool_folds else (8, 8, 8, 4)]
