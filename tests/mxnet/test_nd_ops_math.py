"""``mx.nd`` math ops (trig/hyperbolic, rounding, cumsum, diag, moments, indexing, logic, gradient control)
against MXNet 1.9.1 and hand computations."""
from __future__ import annotations

import importlib.util
import os

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import unidl_mxnet as mx
from unidl_mxnet import autograd, nd

_spec = importlib.util.spec_from_file_location(
    "_ndops_check_math", os.path.join(os.path.dirname(__file__), "data", "ndops_check.py"))
ndops = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ndops)


@pytest.mark.parametrize("name", ndops.names("math"))
def test_matches_mxnet(name):
    ndops.check(name)


def test_linspace_and_dtypes():
    np.testing.assert_allclose(nd.linspace(0, 1, 5).asnumpy(), [0, 0.25, 0.5, 0.75, 1.0])
    np.testing.assert_allclose(nd.linspace(0, 1, 4, endpoint=False).asnumpy(), [0, 0.25, 0.5, 0.75])
    assert nd.linspace(0, 1, 3).dtype == np.float32
    assert nd.shape_array(nd.ones((2, 3))).dtype == np.int64


def test_make_loss_ignores_head_gradient():
    x = nd.array([[1.0, 2.0], [3.0, 4.0]])
    x.attach_grad()
    with autograd.record():
        y = nd.make_loss(x, grad_scale=3.0, normalization="batch")
    y.backward(nd.array([[7.0, 7.0], [7.0, 7.0]]))
    np.testing.assert_allclose(x.grad.asnumpy(), np.full((2, 2), 1.5))


@given(hnp.arrays(np.float32, hnp.array_shapes(min_dims=1, max_dims=3, max_side=4),
                  elements=st.floats(-5, 5, width=32)), st.data())
def test_cumsum_last_entry_is_the_sum(a, data):
    axis = data.draw(st.integers(0, a.ndim - 1))
    c = nd.cumsum(nd.array(a), axis=axis).asnumpy()
    np.testing.assert_allclose(np.take(c, -1, axis=axis), a.sum(axis=axis), rtol=1e-5, atol=1e-5)


@given(hnp.arrays(np.float32, st.integers(1, 6), elements=st.floats(-4, 4, width=32)), st.integers(-3, 3))
def test_diag_roundtrip(v, k):
    m = nd.diag(nd.array(v), k=k)
    np.testing.assert_array_equal(m.asnumpy(), np.diag(v, k))
    np.testing.assert_array_equal(nd.diag(m, k=k).asnumpy(), v)


def test_bad_input_is_a_clear_error():
    with pytest.raises(mx.MXNetError, match=r"reshape_like.*\(2, 3\)"):
        nd.reshape_like(nd.ones((2, 3)), nd.ones((4,)))
    with pytest.raises(mx.MXNetError, match=r"L2Normalization.*mode"):
        nd.L2Normalization(nd.ones((2, 3)), mode="pixel")
    with pytest.raises(mx.MXNetError, match=r"scatter_nd.*\(3,\)"):
        nd.scatter_nd(nd.ones((3,)), nd.array([[0, 1]]), shape=(4,))
    with pytest.raises(mx.MXNetError, match=r"arcsin.*int32"):
        nd.arcsin(nd.ones((2,), dtype="int32"))
