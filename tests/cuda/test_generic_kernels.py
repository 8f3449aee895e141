"""The device-independent parts of the cuda plugin, run on CPU.

The plugin is registered on a NumPy stand-in for CuPy (``fake_cuda``, see conftest.py), so its
device functions, its whole kernel table (the cpu kernels built with another ``xp``, the sync-free
replacements, the Philox path) and training through it run without a GPU. References: the cpu
plugin's kernels and :mod:`unidl.random` (independent code), never the cuda plugin itself.
"""
from __future__ import annotations

import os
import sys

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import unidl
from unidl import ops, plugins
from unidl.errors import DeviceMismatchError
from unidl.kernels import KERNELS

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cross_device  # noqa: E402


# -- Philox: the NumPy path of the shared round spec equals unidl.random bit for bit ----------------

@given(seed=st.integers(0, 2**64 - 1), stream=st.integers(0, 2**64 - 1), n=st.integers(0, 40),
       near=st.sampled_from([0, 2**64 - 3, 2**128 - 5]))
@settings(max_examples=30)
def test_philox_numpy_path_equals_unidl_random(seed, stream, n, near):
    from unidl.ops.random import random_bits
    from unidl_cuda.rng import philox_numpy

    g = unidl.random.Generator(seed, stream)
    counter = (g.counter + near) % 2**128  # across the 64-bit carry and the 128-bit wrap
    ref = random_bits((4 * n,), g.key, counter).numpy()
    got = philox_numpy(g.key, counter, n)
    assert got.dtype == np.uint32 and got.shape == (4 * n,)
    assert np.array_equal(got, ref)


def test_philox_known_answer():
    # Random123's published known-answer vector for philox4x32-10, counter and key all ones.
    from unidl_cuda.rng import philox_numpy

    words = philox_numpy((0xFFFFFFFF, 0xFFFFFFFF), 2**128 - 1, 1)
    assert [hex(int(w)) for w in words] == ["0x408f276d", "0x41c83b0e", "0xa20bc7c6", "0x6d5451fd"]


def test_cuda_source_is_built_from_the_same_round_spec():
    from unidl_cuda.rng import CONSTANTS, CUDA_BODY, CUDA_PREAMBLE, ROUND

    for target, expr in ROUND:
        assert f"  {target} = {expr};\n" in CUDA_BODY
    for name, value in CONSTANTS.items():
        assert f"#define {name} {value}ull" in CUDA_PREAMBLE


# -- the kernel table -------------------------------------------------------------------------------

def test_kernel_table_covers_every_cpu_op(fake_cuda):
    from unidl.xpkernels import numpy_kernels

    cpu_ops = set(numpy_kernels())  # every shared kernel, whether or not the cpu plugin registered it
    cuda_ops = {op for (op, dev), es in KERNELS.entries.items() if dev == "cuda"}
    assert cpu_ops and cuda_ops == cpu_ops
    assert plugins.RECORDS["cuda_fake"].kernels == len(cpu_ops)
    assert all(KERNELS.candidates(op, "cuda")[0].plugin == "cuda_fake" for op in cuda_ops)


def test_every_op_case_matches_the_cpu_reference(fake_cuda):
    from unidl.testing.cases import all_cases

    failures, compared = cross_device.op_case_mismatches(max_examples=2)
    assert len(set(compared)) > 100 and len(compared) >= len(all_cases())
    assert not failures, "\n".join(failures[:20])


def test_generic_replacements_equal_cpu_kernels_on_valid_input():
    from unidl.xpkernels import nn as cpu_nn
    from unidl_cuda.kernels import generic
    from unidl_cuda.kernels.checks import DeferredChecks

    rng = np.random.default_rng(0)
    checks = DeferredChecks(np)
    ours, ref = generic.kernels(np, checks), cpu_nn.kernels(np)
    logits = rng.normal(size=(6, 5, 3)).astype(np.float32)
    labels = rng.integers(0, 5, size=(6, 3))
    assert np.array_equal(ours["softmax_cross_entropy"](logits, labels, axis=1, sparse=True),
                          ref["softmax_cross_entropy"](logits, labels, axis=1, sparse=True))
    dense = rng.random((6, 5, 3)).astype(np.float32)
    assert np.array_equal(ours["softmax_cross_entropy"](logits, dense, axis=1, sparse=False),
                          ref["softmax_cross_entropy"](logits, dense, axis=1, sparse=False))
    w = rng.normal(size=(7, 4)).astype(np.float32)
    idx = rng.integers(0, 7, size=(3, 2))
    assert np.array_equal(ours["embedding"](idx, w), ref["embedding"](idx, w))
    checks.raise_pending()  # nothing flagged


# -- deferred index checks ----------------------------------------------------------------------------

def test_bad_indices_raise_at_the_next_synchronisation(fake_cuda):
    w = unidl.tensor(np.arange(12, dtype=np.float32).reshape(6, 2), device="cuda")
    out = ops.embedding(unidl.tensor(np.array([0, 6]), device="cuda"), w)  # no host wait here
    with pytest.raises(IndexError, match=r"detected at this synchronisation.*embedding: indices must be in \[0, 6\)"):
        out.numpy()
    assert out.numpy().shape == (2, 2)  # reported once; the device is usable again
    logits = unidl.tensor(np.zeros((2, 3), np.float32), device="cuda")
    loss = ops.softmax_cross_entropy(logits, unidl.tensor(np.array([1, -1]), device="cuda"))
    with pytest.raises(IndexError, match=r"softmax_cross_entropy: labels must be class indices in \[0, 3\)"):
        unidl.device("cuda").synchronize()
    ok = ops.take(w, unidl.tensor(np.array([1, -6]), device="cuda"), axis=0)
    assert ok.numpy().tolist() == [[2.0, 3.0], [0.0, 1.0]]
    del loss


def test_checks_unit():
    from unidl_cuda.kernels.checks import DeferredChecks

    c = DeferredChecks(np)
    c.check_range(np.array([0, 1, 2]), 0, 3, "a")
    c.raise_pending()
    c.check_range(np.array([3]), 0, 3, "op x: out of range")
    c.check_range(np.array([1]), 0, 3, "op y")
    with pytest.raises(IndexError, match="op x: out of range") as e:
        c.raise_pending()
    assert "op y" not in str(e.value)
    c.raise_pending()


# -- random draws, devices, training --------------------------------------------------------------------

def test_random_draws_on_cuda_equal_cpu(fake_cuda):
    def draws(device):
        g = unidl.random.Generator(42, 7)
        return [g.bits((9,), device=device), g.bits((5,), dtype=np.uint64, device=device),
                g.uniform(shape=(33,), device=device), g.uniform(-2, 3, shape=(4, 5), dtype="float64", device=device),
                g.normal(shape=(7,), device=device), g.truncated_normal(shape=(11,), device=device),
                g.randint(3, 1000, shape=(13,), device=device), g.bernoulli(0.3, shape=(17,), device=device),
                g.permutation(10, device=device),
                ops.dropout(unidl.tensor(np.ones((5, 6), np.float32), device=device), 0.5, training=True, generator=g)]

    for a, b in zip(draws("cuda"), draws("cpu")):
        assert a.device.type == "cuda"
        assert a.dtype == b.dtype and np.array_equal(a.numpy(), b.numpy())


def test_ops_on_mixed_devices_name_both(fake_cuda):
    a = unidl.tensor(np.ones((2, 3), np.float32))
    b = unidl.tensor(np.ones((3, 2), np.float32), device="cuda")
    with pytest.raises(DeviceMismatchError, match=r"matmul: inputs are on different devices: cpu and cuda:0"):
        ops.matmul(a, b)
    with pytest.raises(DeviceMismatchError, match=r"add: inputs are on different devices: cpu and cuda:0"):
        a + b.reshape((2, 3))
    assert b.to("cpu").device.type == "cpu" and (a + b.reshape((2, 3)).to("cpu")).numpy().sum() == 12


def _mlp_steps(device):
    return cross_device.train_mlp(device, n=16, d=8, hidden=32, classes=4, scale=0.3, act=ops.gelu, dropout=0.25,
                                  nesterov=True)


def test_training_step_on_cuda_equals_cpu(fake_cuda):
    l_cuda, p_cuda = _mlp_steps("cuda")
    l_cpu, p_cpu = _mlp_steps("cpu")
    assert l_cuda == l_cpu
    for a, b in zip(p_cuda, p_cpu):
        assert np.array_equal(a, b)
