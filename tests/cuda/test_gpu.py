"""GPU tests of the cuda plugin (marked ``gpu``; skipped where CuPy or a GPU is missing).

Verify on a GPU machine (CUDA 12 driver), from the repository root::

    python -m pip install -e ".[test]" cupy-cuda12x
    unidl plugins                                   # cuda: loaded, device type cuda "available (N)"
    python -m pytest -q -p no:cacheprovider tests/cuda/ -rs           # all cuda tests, none skipped
    python -m pytest -q -p no:cacheprovider tests/cuda/test_gpu.py -m gpu -v
    python -m pytest -p unidl_conformance.pytest_plugin --pyargs unidl_conformance --unidl-device cuda
    python benchmarks/bench_gpu.py                  # MLP / CNN / LSTM train steps vs PyTorch CUDA

(The entry point ``cuda = "unidl_cuda"`` must be in pyproject.toml for ``unidl plugins``; these tests
register the plugin themselves, so they run either way.)
"""
from __future__ import annotations

import os
import sys

import numpy as np
import pytest

import unidl
from unidl import ops, plugins
from unidl.kernels import OPS

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cross_device  # noqa: E402

pytestmark = pytest.mark.gpu


@pytest.fixture
def gpu(isolated):
    """The real cuda plugin, freshly registered; yields the cupy module."""
    import cupy
    import unidl_cuda
    from unidl_cuda.plugin import CudaPlugin

    unidl_cuda._PLUGIN = CudaPlugin()
    rec = plugins.register(unidl_cuda, name="cuda", module="unidl_cuda")
    assert rec.status == "loaded" and rec.kernels > 100, rec.error
    yield cupy


def test_every_op_case_matches_cpu(gpu):
    failures, _ = cross_device.op_case_mismatches(max_examples=5)
    assert not failures, "\n".join(failures[:30])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fused_activations_and_sce_grad_match_cpu(gpu, dtype):
    from unidl.xpkernels import all_kernels as cpu_all

    cp, ref = gpu, cpu_all(np)
    dev = {op: OPS[op].kernel("cuda") for op in OPS}
    x = np.concatenate([np.linspace(-30, 30, 2001), [0.0, -0.0, np.inf, -np.inf, np.nan]]).astype(dtype)
    tol = 1e-6 if dtype == np.float32 else 1e-13
    for op, kw in [("sigmoid", {}), ("silu", {}), ("selu", {}), ("softplus", {}), ("erf", {}), ("erfc", {}),
                   ("elu", {"alpha": 0.7}), ("leaky_relu", {"negative_slope": 0.2}),
                   ("hard_sigmoid", {"alpha": 0.2, "beta": 0.5}), ("gelu", {"approximate": False}),
                   ("gelu", {"approximate": True})]:
        np.testing.assert_allclose(cp.asnumpy(dev[op](cp.asarray(x), **kw)), ref[op](x, **kw), rtol=tol, atol=tol,
                                   err_msg=op)
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(64, 10)).astype(dtype)
    labels = rng.integers(0, 10, 64)
    g = rng.random(64).astype(dtype)
    got = dev["softmax_cross_entropy_grad"](cp.asarray(logits), cp.asarray(labels), cp.asarray(g), axis=1)
    np.testing.assert_allclose(cp.asnumpy(got), ref["softmax_cross_entropy_grad"](logits, labels, g, axis=1),
                               rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("op, states, attrs", [
    ("sgd_update", 0, dict(momentum=0.0, nesterov=False, wd=0.0)),
    ("sgd_update", 1, dict(momentum=0.9, nesterov=False, wd=0.01)),
    ("sgd_update", 1, dict(momentum=0.9, nesterov=True, wd=0.0)),
    ("sgd_update_rescaled", 1, dict(momentum=0.9, nesterov=False, wd=1e-4, rescale_grad=1.0, clip_gradient=0.5,
                                    aggregated=False)),
    ("sgd_update_rescaled", 0, dict(momentum=0.0, nesterov=False, wd=1e-4, rescale_grad=1.0, clip_gradient=None,
                                    aggregated=True)),
    ("adam_update", 2, dict(step=3, beta1=0.9, beta2=0.999, epsilon=1e-7, wd=0.004)),
    ("adam_update_rescaled", 2, dict(step=3, beta1=0.9, beta2=0.999, epsilon=1e-8, wd=1e-4, rescale_grad=0.5,
                                     clip_gradient=None)),
])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fused_optimizer_updates_are_bitwise_cpu(gpu, op, states, attrs, dtype):
    from unidl.xpkernels import all_kernels as cpu_all

    cp = gpu
    rng = np.random.default_rng(3)
    p, g = rng.normal(size=(257, 3)).astype(dtype), rng.normal(size=(257, 3)).astype(dtype)
    st_ = [np.abs(rng.normal(size=(257, 3))).astype(dtype) for _ in range(states)]
    full = dict(lr=0.01, **attrs)
    if op == "adam_update":
        args = [st_[0], st_[1], None]
    elif op == "adam_update_rescaled":
        args = [st_[0], st_[1]]
    else:
        args = [st_[0] if states else None]
    ref = cpu_all(np)[op](p.copy(), g, *[None if a is None else a.copy() for a in args], **full)
    dp = cp.asarray(p)
    dargs = [None if a is None else cp.asarray(a) for a in args]
    out = OPS[op].kernel("cuda")(dp, cp.asarray(g), *dargs, **full)
    assert out[0] is dp  # in place
    for r, o in zip(ref, out):
        assert np.array_equal(cp.asnumpy(o), r)


def test_rng_bit_identity(gpu):
    from unidl_cuda.rng import device_philox, philox_numpy

    cp = gpu
    philox = device_philox(cp)
    for counter in (0, 12345, 2**64 - 7, 2**128 - 9, (5 << 64) + 99):
        assert np.array_equal(cp.asnumpy(philox((7, 2**32 - 1), counter, 1000)), philox_numpy((7, 2**32 - 1), counter, 1000))

    def draws(device):
        g = unidl.random.Generator(42, 7)
        return [g.bits((999,), device=device), g.uniform(shape=(1001,), device=device),
                g.uniform(shape=(33,), dtype="float64", device=device), g.randint(3, 1000, shape=(513,), device=device),
                g.bernoulli(0.3, shape=(1025,), device=device), g.permutation(300, device=device),
                ops.dropout(unidl.tensor(np.ones((31, 17), np.float32), device=device), 0.4, training=True,
                            generator=g)]

    for a, b in zip(draws("cuda"), draws("cpu")):
        assert a.device.type == "cuda" and np.array_equal(a.numpy(), b.numpy())
    n_gpu = unidl.random.Generator(1).normal(shape=(999,), device="cuda").numpy()
    np.testing.assert_allclose(n_gpu, unidl.random.Generator(1).normal(shape=(999,)).numpy(), rtol=1e-5, atol=1e-6)


def _mlp(device, steps=3, sync=True):
    return cross_device.train_mlp(device, n=64, d=32, hidden=64, classes=10, scale=0.2, act=ops.relu, dropout=0.2,
                                  nesterov=False, steps=steps, sync=sync)


def test_mlp_training_on_cuda_equals_cpu(gpu):
    l_gpu, p_gpu = _mlp("cuda")
    l_cpu, p_cpu = _mlp("cpu")
    np.testing.assert_allclose(l_gpu, l_cpu, rtol=1e-5)
    for a, b in zip(p_gpu, p_cpu):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_training_step_does_not_wait_for_the_gpu(gpu, monkeypatch):
    import cupyx

    cp = gpu
    _mlp("cuda", steps=1)  # compile the kernels first
    calls = []
    real = cp.asnumpy
    monkeypatch.setattr(cp, "asnumpy", lambda *a, **k: calls.append(1) or real(*a, **k))
    with cupyx.allow_synchronize(False):  # raises cupyx.DeviceSynchronized on any host wait
        _mlp("cuda", steps=2, sync=False)
    assert calls == []
    cp.cuda.Device(0).synchronize()


def test_deferred_index_error_on_gpu(gpu):
    w = unidl.tensor(np.ones((5, 2), np.float32), device="cuda")
    out = ops.embedding(unidl.tensor(np.array([1, 5]), device="cuda"), w)
    with pytest.raises(IndexError, match=r"embedding: indices must be in \[0, 5\)"):
        out.numpy()
