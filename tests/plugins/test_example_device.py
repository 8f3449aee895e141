"""The example device plugin (plugins/unidl_example_device): a device with only the primitive tier runs a
Keras and a Gluon model end to end through the core's composites, with no op falling back to the cpu, and
gives the cpu's numbers; its memory is not readable without a transfer; ``unidl plugins --coverage``."""
from __future__ import annotations

import contextlib
import subprocess
import sys

import numpy as np
import pytest

import unidl
from unidl import devices, kernels
from unidl.primitives import PRIMITIVES, coverage

example = pytest.importorskip("unidl_example_device")


@pytest.fixture
def no_host_fallback(monkeypatch):
    """Fail any op that would run on the cpu through host copies on the example device."""
    real = kernels._host_fallback

    def refuse(op, device_type):
        if device_type != "example":
            return real(op, device_type)

        def fail(*a, **k):
            raise AssertionError(f"op '{op.name}' fell back to the cpu on the example device")
        return fail

    monkeypatch.setattr(kernels, "_host_fallback", refuse)
    kernels.invalidate()
    yield
    kernels.invalidate()


@contextlib.contextmanager
def on(device):
    old = devices.default_device()
    dev = devices.set_default_device(device)
    try:
        yield dev
    finally:
        devices.set_default_device(old)


def _data():
    rs = np.random.RandomState(0)
    return rs.randn(32, 6).astype("float32"), rs.randint(0, 3, size=32)


def _keras_run(device):
    import unidl_keras as keras

    x, y = _data()
    with on(device):
        keras.utils.set_random_seed(3)
        model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(16, activation="relu"),
                                  keras.layers.Dropout(0.25), keras.layers.Dense(3)])
        model.compile(optimizer=keras.optimizers.Adam(0.01),
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
        hist = model.fit(x, y, batch_size=8, epochs=2, verbose=0, shuffle=False)
        pred = model.predict(x, verbose=0)
        kinds = {type(v.data).__name__ for v in model.weights}
        return hist.history["loss"], np.asarray(pred), [np.asarray(w) for w in model.get_weights()], kinds


def test_keras_model_trains_on_example_as_on_cpu(no_host_fallback):
    loss_ex, pred_ex, w_ex, kinds = _keras_run("example")
    assert kinds == {"ExampleArray"}
    loss_cpu, pred_cpu, w_cpu, _ = _keras_run("cpu")
    np.testing.assert_allclose(loss_ex, loss_cpu, rtol=1e-6)
    np.testing.assert_allclose(pred_ex, pred_cpu, rtol=1e-5, atol=1e-6)
    for a, b in zip(w_ex, w_cpu):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def _gluon_run(ctx_name):
    import unidl_mxnet as mx
    from unidl_mxnet import autograd, gluon, nd

    x, y = _data()
    ctx = mx.cpu() if ctx_name == "cpu" else mx.Context(ctx_name)
    mx.random.seed(5)
    net = gluon.nn.HybridSequential()
    net.add(gluon.nn.Conv2D(4, 3, padding=1, activation="relu"), gluon.nn.BatchNorm(),
            gluon.nn.MaxPool2D(2), gluon.nn.Dense(3))
    net.initialize(mx.init.Xavier(), ctx=ctx)
    xi = nd.array(np.tile(x[:, None, :, None], (1, 2, 1, 6)), ctx=ctx)  # (32, 2, 6, 6) images
    yi = nd.array(y, ctx=ctx)
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1, "momentum": 0.9})
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    losses = []
    for i in range(0, 32, 8):
        with autograd.record():
            loss = loss_fn(net(xi[i:i + 8]), yi[i:i + 8])
        loss.backward()
        trainer.step(8)
        losses.append(float(loss.mean().asscalar()))
    out = net(xi)
    kind = type(out._t.data).__name__ if hasattr(out, "_t") else type(out.data).__name__
    return losses, out.asnumpy(), kind


def test_gluon_model_trains_on_example_as_on_cpu(no_host_fallback):
    loss_ex, out_ex, kind = _gluon_run("example")
    assert kind == "ExampleArray"
    loss_cpu, out_cpu, _ = _gluon_run("cpu")
    np.testing.assert_allclose(loss_ex, loss_cpu, rtol=1e-5)
    np.testing.assert_allclose(out_ex, out_cpu, rtol=1e-4, atol=1e-5)


def test_device_memory_needs_a_transfer():
    t = unidl.tensor([1.0, 2.0], device="example")
    assert isinstance(t.data, example.ExampleArray)
    with pytest.raises(TypeError, match="transfer"):
        np.asarray(t.data)
    np.testing.assert_array_equal(t.numpy(), [1.0, 2.0])  # the registered to_host
    np.testing.assert_array_equal((t * 2 + 1).numpy(), [3.0, 5.0])


def test_plugin_implements_only_the_primitive_tier():
    assert set(example.PRIMITIVE_KERNELS) == set(PRIMITIVES)
    cov = coverage("example")
    assert {op for op, c in cov.items() if c["path"] == "native"} == set(PRIMITIVES)
    for op in ("softmax", "conv", "batch_norm", "lstm_sequence", "adam_update", "random_normal"):
        assert cov[op]["path"] == "composite", (op, cov[op])
    # everything else runs on the device through a composite: nothing falls back to the cpu, nothing is missing
    assert {op for op, c in cov.items() if c["path"] != "composite"} == set(PRIMITIVES)


def test_coverage_command():
    res = subprocess.run([sys.executable, "-m", "unidl", "plugins", "--coverage", "example"], capture_output=True,
                         text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    out = res.stdout
    assert "Op coverage on device type 'example'" in out
    assert f"native (a kernel registered for the device): {len(PRIMITIVES)}" in out
    assert "by example: abs*, add*" in out
    assert "composite (the core's definition" in out and "lstm_sequence" in out
    assert "fallback (runs on the cpu through host copies" in out
    assert f"primitive tier (*): {len(PRIMITIVES)} of {len(PRIMITIVES)} native" in out
    bad = subprocess.run([sys.executable, "-m", "unidl", "plugins", "--coverage", "nosuchdevice"],
                         capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2 and "no plugin registers device type 'nosuchdevice'" in bad.stdout
