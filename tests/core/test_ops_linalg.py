"""linalg ops (matmul, dot, tensordot, einsum, outer) against NumPy, with gradient checks."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import unidl
from unidl import ops
from unidl.testing import assert_grad_close, grad_norm_fn
from unidl.testing.strategies import arrays, broadcastable_shapes, float_dtypes


def _tol(dt):
    return dict(rtol=1e-4, atol=1e-4) if np.dtype(dt) == np.float32 else dict(rtol=1e-10, atol=1e-10)


second_order = grad_norm_fn  # squared norm of all input gradients, for double backward


@st.composite
def matmul_shapes(draw, max_side=4):
    ba, bb = draw(broadcastable_shapes(2, max_dims=2, max_side=3))
    m, k, n = (draw(st.integers(0, max_side)) for _ in range(3))
    sa = (k,) if draw(st.booleans()) else ba + (m, k)
    sb = (k,) if draw(st.booleans()) else bb + (k, n)
    return sa, sb


# -- matmul ------------------------------------------------------------------------------------------

@given(shapes=matmul_shapes(), dt=float_dtypes(), data=st.data())
def test_matmul_matches_numpy(shapes, dt, data):
    sa, sb = shapes
    a, b = data.draw(arrays(dt, sa)), data.draw(arrays(dt, sb))
    got = ops.matmul(unidl.tensor(a), unidl.tensor(b))
    want = np.matmul(a, b)
    assert got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_allclose(got.numpy(), want, **_tol(dt))
    np.testing.assert_allclose((unidl.tensor(a) @ unidl.tensor(b)).numpy(), want, **_tol(dt))


def test_matmul_integers():
    a = np.arange(6).reshape(2, 3)
    b = np.arange(12).reshape(3, 4)
    got = ops.matmul(unidl.tensor(a), unidl.tensor(b))
    np.testing.assert_array_equal(got.numpy(), a @ b)
    assert got.dtype == (a @ b).dtype


@settings(max_examples=10)
@given(shapes=matmul_shapes(max_side=3), data=st.data())
def test_matmul_grad(shapes, data):
    sa, sb = shapes
    a, b = data.draw(arrays(np.float64, sa, -2, 2)), data.draw(arrays(np.float64, sb, -2, 2))
    assert_grad_close(ops.matmul, a, b)


def test_matmul_grad_one_operand_only():
    rng = np.random.default_rng(0)
    x = unidl.tensor(rng.standard_normal((3, 4)))
    w = unidl.tensor(rng.standard_normal((4, 2)), requires_grad=True)
    with unidl.record():
        y = ops.matmul(x, w)
    g = rng.standard_normal((3, 2))
    y.backward(unidl.tensor(g))
    np.testing.assert_allclose(w.grad.numpy(), x.numpy().T @ g)
    assert x.grad is None


@pytest.mark.parametrize("sa,sb", [((2, 3), (3, 4)), ((3,), (2, 3, 2)), ((2, 1, 2, 3), (3, 3, 2)), ((2, 3), (3,))])
def test_matmul_second_order(sa, sb):
    rng = np.random.default_rng(1)
    assert_grad_close(second_order(ops.matmul), rng.standard_normal(sa), rng.standard_normal(sb), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("sa,sb,what", [
    ((2, 3), (4, 5), "the last dim of a (3) must equal the second-to-last dim of b (4)"),
    ((2, 3), (4,), "the last dim of a (3) must equal the only dim of b (4)"),
    ((5, 2, 3), (4, 3, 2), "batch dimensions (5,) and (4,) do not broadcast"),
    ((), (3,), "at least 1 dimension"),
])
def test_matmul_shape_errors(sa, sb, what):
    with pytest.raises(unidl.OpError) as e:
        ops.matmul(unidl.tensor(np.ones(sa)), unidl.tensor(np.ones(sb)))
    msg = str(e.value)
    assert msg.startswith("matmul:") and what in msg
    assert str(sa) in msg and str(sb) in msg


def test_matmul_refuses_scalars():
    with pytest.raises(unidl.OpError, match="matmul"):
        ops.matmul(unidl.tensor(np.ones((2, 2))), 3.0)


# -- dot ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("sa,sb", [((), (3,)), ((2, 3), ()), ((3,), (3,)), ((2, 3), (3,)), ((3,), (3, 2)),
                                   ((2, 3), (3, 4)), ((2, 2, 3), (3, 4)), ((2, 3), (4, 3, 2)), ((1, 2, 3), (2, 3, 1)),
                                   ((0, 3), (3, 2)), ((2, 0), (0, 2))])
def test_dot_matches_numpy_and_grad(sa, sb):
    rng = np.random.default_rng(2)
    a, b = rng.standard_normal(sa), rng.standard_normal(sb)
    got = ops.dot(unidl.tensor(a), unidl.tensor(b))
    np.testing.assert_allclose(got.numpy(), np.dot(a, b), rtol=1e-10, atol=1e-12)
    assert got.shape == np.dot(a, b).shape
    assert_grad_close(ops.dot, a, b)


def test_dot_error_names_op_and_shapes():
    with pytest.raises(unidl.OpError) as e:
        ops.dot(unidl.tensor(np.ones((2, 3))), unidl.tensor(np.ones((2, 2, 4))))
    assert str(e.value).startswith("dot:") and "(2, 3)" in str(e.value) and "(2, 2, 4)" in str(e.value)


# -- tensordot ---------------------------------------------------------------------------------------

@st.composite
def tensordot_case(draw, max_side=3):
    na, nb = draw(st.integers(0, 3)), draw(st.integers(0, 3))
    nc = draw(st.integers(0, min(na, nb)))
    sides = st.integers(0, max_side)
    contracted = [draw(sides) for _ in range(nc)]
    fa = [draw(sides) for _ in range(na - nc)]
    fb = [draw(sides) for _ in range(nb - nc)]
    pa = draw(st.permutations(range(na)))
    pb = draw(st.permutations(range(nb)))
    # positions of the contracted axes inside each operand, paired in order
    ax_a, ax_b = list(pa[:nc]), list(pb[:nc])
    sa, sb = [0] * na, [0] * nb
    for i, d in zip(ax_a, contracted):
        sa[i] = d
    for j, d in zip(ax_b, contracted):
        sb[j] = d
    for i, d in zip(pa[nc:], fa):
        sa[i] = d
    for j, d in zip(pb[nc:], fb):
        sb[j] = d
    if draw(st.booleans()):  # negative axes
        ax_a = [i - na for i in ax_a]
    return tuple(sa), tuple(sb), (ax_a, ax_b)


@settings(max_examples=20)
@given(case=tensordot_case(), dt=float_dtypes(), data=st.data())
def test_tensordot_matches_numpy(case, dt, data):
    sa, sb, axes = case
    a, b = data.draw(arrays(dt, sa)), data.draw(arrays(dt, sb))
    got = ops.tensordot(unidl.tensor(a), unidl.tensor(b), axes=axes)
    want = np.tensordot(a, b, axes=axes)
    assert got.shape == want.shape
    np.testing.assert_allclose(got.numpy(), want, **_tol(dt))


@settings(max_examples=15)
@given(case=tensordot_case(max_side=2), data=st.data())
def test_tensordot_grad(case, data):
    sa, sb, axes = case
    a, b = data.draw(arrays(np.float64, sa, -2, 2)), data.draw(arrays(np.float64, sb, -2, 2))
    assert_grad_close(lambda x, y: ops.tensordot(x, y, axes=axes), a, b)


@pytest.mark.parametrize("n", [0, 1, 2])
def test_tensordot_int_axes(n):
    rng = np.random.default_rng(4)
    a, b = rng.standard_normal((2, 3, 2)), rng.standard_normal((3, 2, 2)) if n == 2 else rng.standard_normal((2, 2))
    got = ops.tensordot(unidl.tensor(a), unidl.tensor(b), axes=n)
    np.testing.assert_allclose(got.numpy(), np.tensordot(a, b, axes=n))
    assert_grad_close(lambda x, y: ops.tensordot(x, y, axes=n), a, b)


def test_tensordot_errors():
    a, b = unidl.tensor(np.ones((2, 3))), unidl.tensor(np.ones((4, 2)))
    with pytest.raises(unidl.OpError, match=r"tensordot: contracted dimensions must agree.*\(2, 3\), \(4, 2\)"):
        ops.tensordot(a, b, axes=([1], [0]))
    with pytest.raises(unidl.OpError, match="tensordot: .*same length"):
        ops.tensordot(a, b, axes=([0, 1], [1]))
    with pytest.raises(unidl.OpError, match="tensordot: axis 5 is out of range"):
        ops.tensordot(a, b, axes=([5], [1]))
    with pytest.raises(unidl.OpError, match="tensordot: axes=3"):
        ops.tensordot(a, b, axes=3)


# -- einsum ------------------------------------------------------------------------------------------

EINSUM_CASES = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("bij,bjk->bik", [(2, 2, 3), (2, 3, 2)]),
    ("i,i->", [(4,), (4,)]),
    ("i,j->ij", [(3,), (2,)]),
    ("ij->ji", [(2, 3)]),
    ("ij->", [(2, 3)]),
    ("ij->j", [(2, 3)]),
    ("ii->i", [(3, 3)]),
    ("ii->", [(3, 3)]),
    ("iij->j", [(2, 2, 3)]),
    ("ij,ij->ij", [(1, 3), (2, 3)]),
    ("ij,ij->i", [(2, 3), (2, 1)]),
    ("...ij,...jk->...ik", [(2, 1, 2, 3), (3, 3, 2)]),
    ("...i,...i->...", [(2, 3), (3,)]),
    ("i...->...i", [(2, 3, 1)]),
    ("ij,jk,kl->il", [(2, 3), (3, 2), (2, 2)]),
    ("ab,cd->abcd", [(2, 1), (1, 3)]),
    ("ij,jk->ik", [(0, 3), (3, 2)]),
    ("ij,jk->ik", [(2, 0), (0, 2)]),
]


@pytest.mark.parametrize("subs,shapes", EINSUM_CASES)
def test_einsum_matches_numpy_and_grad(subs, shapes):
    rng = np.random.default_rng(5)
    xs = [rng.standard_normal(s) for s in shapes]
    got = ops.einsum(subs, *[unidl.tensor(x) for x in xs])
    want = np.einsum(subs, *xs)
    assert got.shape == want.shape
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-10, atol=1e-12)
    assert_grad_close(lambda *ts: ops.einsum(subs, *ts), *xs)


@settings(max_examples=15)
@given(shapes=broadcastable_shapes(2, min_dims=1, max_dims=3, max_side=3), dt=float_dtypes(), data=st.data())
def test_einsum_ellipsis_broadcast(shapes, dt, data):
    sa, sb = shapes
    a, b = data.draw(arrays(dt, sa)), data.draw(arrays(dt, sb))
    got = ops.einsum("...i,...i->...", unidl.tensor(a), unidl.tensor(b))
    want = np.einsum("...i,...i->...", a, b)
    assert got.shape == want.shape
    np.testing.assert_allclose(got.numpy(), want, **_tol(dt))


def test_einsum_second_order():
    rng = np.random.default_rng(6)
    fn = second_order(lambda a, b: ops.einsum("ij,jk->ik", a, b))
    assert_grad_close(fn, rng.standard_normal((2, 3)), rng.standard_normal((3, 2)), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("subs,shapes,what", [
    ("ij,jk", [(2, 3), (3, 4)], "explicit '->'"),
    ("ij,jk->ik", [(2, 3)], "name 2 operand(s) but 1 were given"),
    ("ij->i", [(2, 3, 4)], "has 2 subscript(s) but its operand has 3"),
    ("ij,jk->ik", [(2, 3), (4, 5)], "subscript 'j' has sizes 3 and 4"),
    ("ij->k", [(2, 3)], "output subscript 'k'"),
    ("...i->i", [(2, 3)], "no '...'"),
    ("i1->i", [(2, 3)], "invalid character"),
])
def test_einsum_errors(subs, shapes, what):
    with pytest.raises(unidl.OpError) as e:
        ops.einsum(subs, *[unidl.tensor(np.ones(s)) for s in shapes])
    msg = str(e.value)
    assert msg.startswith("einsum:") and what in msg and str(shapes[0]) in msg


# -- outer -------------------------------------------------------------------------------------------

@settings(max_examples=10)
@given(sa=st.sampled_from([(), (3,), (2, 2), (0,), (1, 2)]), sb=st.sampled_from([(), (2,), (3, 1), (0,)]),
       data=st.data())
def test_outer_matches_numpy_and_grad(sa, sb, data):
    a, b = data.draw(arrays(np.float64, sa, -2, 2)), data.draw(arrays(np.float64, sb, -2, 2))
    got = ops.outer(unidl.tensor(a), unidl.tensor(b))
    np.testing.assert_allclose(got.numpy(), np.outer(a, b))
    assert_grad_close(ops.outer, a, b)
