"""Core ``argsort`` (stable, both directions) and the inverse-trigonometric / hyperbolic ops."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import unidl
from unidl import ops


@given(hnp.arrays(st.sampled_from([np.float32, np.int32, np.float64]),
                  hnp.array_shapes(min_dims=1, max_dims=3, max_side=6), elements=st.integers(-3, 3)), st.data())
def test_argsort_is_stable_in_both_directions(a, data):
    axis = data.draw(st.integers(-a.ndim, a.ndim - 1))
    desc = data.draw(st.booleans())
    got = ops.argsort(unidl.tensor(a), axis=axis, descending=desc)
    assert got.dtype == np.int64
    key = -a.astype(np.float64) if desc else a
    np.testing.assert_array_equal(got.numpy(), np.argsort(key, axis=axis, kind="stable"))


def test_argsort_errors_and_no_gradient():
    with pytest.raises(unidl.OpError, match=r"argsort.*axis 2"):
        ops.argsort(unidl.ones((2, 3)), axis=2)
    with pytest.raises(unidl.OpError, match="argsort"):
        ops.argsort(unidl.tensor(np.float32(1.0)))
    x = unidl.tensor(np.array([3.0, 1.0, 2.0]), requires_grad=True)
    with unidl.autograd.record():
        y = ops.take_along_axis(x, ops.argsort(x), axis=0)
    unidl.autograd.backward(y, unidl.tensor(np.array([1.0, 2.0, 3.0])))
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 1.0, 2.0])


_TRIG = [("arcsin", np.arcsin, lambda x: 1 / np.sqrt(1 - x * x), -0.9, 0.9),
         ("arccos", np.arccos, lambda x: -1 / np.sqrt(1 - x * x), -0.9, 0.9),
         ("arctan", np.arctan, lambda x: 1 / (1 + x * x), -5, 5),
         ("sinh", np.sinh, np.cosh, -4, 4),
         ("cosh", np.cosh, np.sinh, -4, 4),
         ("arcsinh", np.arcsinh, lambda x: 1 / np.sqrt(x * x + 1), -5, 5),
         ("arccosh", np.arccosh, lambda x: 1 / np.sqrt(x * x - 1), 1.1, 6),
         ("arctanh", np.arctanh, lambda x: 1 / (1 - x * x), -0.9, 0.9)]


@pytest.mark.parametrize("name,fwd,deriv,lo,hi", _TRIG, ids=[t[0] for t in _TRIG])
def test_inverse_trig_and_hyperbolic(name, fwd, deriv, lo, hi):
    a = np.linspace(lo, hi, 11)
    x = unidl.tensor(a, requires_grad=True)
    with unidl.autograd.record():
        y = getattr(ops, name)(x)
        total = ops.sum(y)
    np.testing.assert_allclose(y.numpy(), fwd(a), rtol=1e-14)
    unidl.autograd.backward(total)
    np.testing.assert_allclose(x.grad.numpy(), deriv(a), rtol=1e-12)
    assert getattr(ops, name)(unidl.tensor(a.astype(np.float32))).dtype == np.float32
