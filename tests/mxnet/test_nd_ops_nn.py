"""``mx.nd`` neural-network ops (Convolution, Deconvolution, Pooling, norms, Dropout, Embedding, Sequence*,
loss-output layers, UpSampling) against MXNet 1.9.1 and by their properties."""
from __future__ import annotations

import importlib.util
import os

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import unidl_mxnet as mx
from unidl_mxnet import autograd, nd

_spec = importlib.util.spec_from_file_location(
    "_ndops_check_nn", os.path.join(os.path.dirname(__file__), "data", "ndops_check.py"))
ndops = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ndops)


@pytest.mark.parametrize("name", ndops.names("nn"))
def test_matches_mxnet(name):
    ndops.check(name, rtol=1e-5, atol=1e-5)


@given(st.integers(1, 5), st.integers(1, 4), st.lists(st.integers(0, 5), min_size=1, max_size=4), st.floats(-3, 3))
def test_sequence_mask_keeps_the_first_steps(t, c, lengths, value):
    b = len(lengths)
    x = np.arange(t * b * c, dtype=np.float32).reshape(t, b, c) + 1
    out = nd.SequenceMask(nd.array(x), nd.array(lengths), use_sequence_length=True, value=value).asnumpy()
    for j, n in enumerate(lengths):
        np.testing.assert_array_equal(out[:n, j], x[:n, j])
        np.testing.assert_array_equal(out[n:, j], np.float32(value))


def test_sequence_last_without_lengths_is_the_last_step():
    x = np.arange(24, dtype=np.float32).reshape(4, 3, 2)
    np.testing.assert_array_equal(nd.SequenceLast(nd.array(x)).asnumpy(), x[-1])
    np.testing.assert_array_equal(nd.SequenceLast(nd.array(x), axis=1).asnumpy(), x[:, -1])


def test_dropout_modes_and_axes():
    x = nd.ones((50, 40))
    assert (nd.Dropout(x, p=0.5).asnumpy() == 1).all()  # not training: identity
    y = nd.Dropout(x, p=0.5, mode="always").asnumpy()
    assert set(np.unique(y)) <= {0.0, 2.0} and 0.3 < (y == 0).mean() < 0.7
    with autograd.record():
        z = nd.Dropout(x, p=0.25, axes=(1,)).asnumpy()
    assert set(np.unique(z)) <= {0.0, np.float32(1 / 0.75)}
    assert (z == z[:, :1]).all()  # one mask value per row


def test_batchnorm_defaults_fix_gamma_and_predict_mode_keeps_stats():
    x = nd.array(np.random.RandomState(0).randn(4, 2, 3).astype(np.float32))
    gamma, beta = nd.array([5.0, 5.0]), nd.zeros((2,))
    mm, mv = nd.zeros((2,)), nd.ones((2,))
    y = nd.BatchNorm(x, gamma, beta, mm, mv)  # inference: moving stats, gamma fixed to 1
    np.testing.assert_allclose(y.asnumpy(), x.asnumpy() / np.sqrt(1 + 1e-3), rtol=1e-6)
    np.testing.assert_array_equal(mm.asnumpy(), [0, 0])


def test_bad_input_is_a_clear_error():
    x = nd.ones((1, 3, 5, 5))
    with pytest.raises(mx.MXNetError, match=r"Convolution.*\(4, 2, 3, 3\).*\(1, 3, 5, 5\)"):
        nd.Convolution(x, nd.ones((4, 2, 3, 3)), kernel=(3, 3), num_filter=4, no_bias=True)
    with pytest.raises(mx.MXNetError, match=r"Pooling.*pool_type"):
        nd.Pooling(x, kernel=(2, 2), pool_type="median")
    with pytest.raises(mx.MXNetError, match=r"Deconvolution.*no_bias"):
        nd.Deconvolution(x, nd.ones((3, 2, 3, 3)), nd.ones((2,)), kernel=(3, 3), num_filter=2)
    with pytest.raises(mx.MXNetError, match=r"BatchNorm.*gamma.*\(3,\)"):
        nd.BatchNorm(x, nd.ones((2,)), nd.ones((3,)), nd.ones((3,)), nd.ones((3,)))
    with pytest.raises(mx.MXNetError, match=r"SequenceMask.*sequence_length"):
        nd.SequenceMask(nd.ones((4, 2)), nd.array([1, 2, 3]), use_sequence_length=True)
