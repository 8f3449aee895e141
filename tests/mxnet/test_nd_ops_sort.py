"""``mx.nd`` sorting ops (topk, sort, argsort, argmax_channel) against MXNet 1.9.1 and by their properties."""
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
    "_ndops_check_sort", os.path.join(os.path.dirname(__file__), "data", "ndops_check.py"))
ndops = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ndops)


@pytest.mark.parametrize("name", ndops.names("sort"))
def test_matches_mxnet(name):
    ndops.check(name)


_small = hnp.arrays(np.float32, hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=5),
                    elements=st.integers(-3, 3).map(float))


@given(_small, st.data())
def test_sort_is_ordered_and_a_permutation(a, data):
    axis = data.draw(st.integers(-a.ndim, a.ndim - 1))
    asc = data.draw(st.booleans())
    x = nd.array(a)
    s = nd.sort(x, axis=axis, is_ascend=asc).asnumpy()
    d = np.diff(s, axis=axis)
    assert (d >= 0).all() if asc else (d <= 0).all()
    idx = nd.argsort(x, axis=axis, is_ascend=asc)
    assert idx.dtype == np.float32
    np.testing.assert_array_equal(np.take_along_axis(a, idx.asnumpy().astype(np.int64), axis=axis), s)
    np.testing.assert_array_equal(np.sort(s, axis=axis), np.sort(a, axis=axis))


@given(_small, st.data())
def test_topk_values_are_the_head_of_sort(a, data):
    axis = data.draw(st.integers(-a.ndim, a.ndim - 1))
    k = data.draw(st.integers(1, a.shape[axis]))
    asc = data.draw(st.booleans())
    x = nd.array(a)
    v, i = nd.topk(x, axis=axis, k=k, ret_typ="both", is_ascend=asc)
    head = np.take(nd.sort(x, axis=axis, is_ascend=asc).asnumpy(), np.arange(k), axis=axis)
    np.testing.assert_array_equal(v.asnumpy(), head)
    # stable: among equal values the lower index comes first
    ref = np.argsort(a if asc else -a, axis=axis, kind="stable")
    np.testing.assert_array_equal(i.asnumpy(), np.take(ref, np.arange(k), axis=axis))
    m = nd.topk(x, axis=axis, k=k, ret_typ="mask").asnumpy()
    assert m.sum() == k * a.size // a.shape[axis]


def test_methods_match_functions():
    x = nd.array([[3, 1, 2], [0, 5, 4]])
    np.testing.assert_array_equal(x.topk(k=2).asnumpy(), nd.topk(x, k=2).asnumpy())
    np.testing.assert_array_equal(x.sort(axis=0).asnumpy(), [[0, 1, 2], [3, 5, 4]])
    np.testing.assert_array_equal(x.argsort(is_ascend=False).asnumpy(), [[0, 2, 1], [1, 2, 0]])
    np.testing.assert_array_equal(x.argmax_channel().asnumpy(), [0, 1])


def test_sort_gradient_routes_to_source_positions():
    x = nd.array([[2.0, -1.0, 5.0]])
    x.attach_grad()
    with autograd.record():
        y = nd.topk(x, k=2, ret_typ="value")
    y.backward(nd.array([[10.0, 20.0]]))
    np.testing.assert_array_equal(x.grad.asnumpy(), [[20.0, 0.0, 10.0]])


def test_bad_input_is_a_clear_error():
    x = nd.ones((2, 3))
    with pytest.raises(mx.MXNetError, match=r"topk.*k=4.*\(2, 3\)"):
        nd.topk(x, k=4)
    with pytest.raises(mx.MXNetError, match=r"sort.*axis 2.*\(2, 3\)"):
        nd.sort(x, axis=2)
    with pytest.raises(mx.MXNetError, match=r"ret_typ"):
        nd.topk(x, ret_typ="values")
