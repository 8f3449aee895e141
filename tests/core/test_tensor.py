"""Tensor creation and the Tensor object itself, compared with NumPy."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import unidl
from unidl.testing import strategies as ust

ALL_DTYPES = [np.float16, np.float32, np.float64, np.int8, np.int32, np.int64, np.uint8, np.bool_]
any_dtype = st.sampled_from(ALL_DTYPES)


def same(t: unidl.Tensor, ref: np.ndarray) -> None:
    """``t`` equals ``ref`` in values, shape and dtype."""
    assert isinstance(t, unidl.Tensor)
    assert t.dtype == ref.dtype, (t.dtype, ref.dtype)
    assert t.shape == ref.shape
    np.testing.assert_array_equal(t.numpy(), ref)


# -- creation ---------------------------------------------------------------------------------------

@given(data=st.data(), shape=ust.shapes(max_dims=4), dtype=any_dtype)
def test_tensor_from_numpy_keeps_dtype_and_copies(data, shape, dtype):
    a = data.draw(ust.arrays(dtype, shape))
    t = unidl.tensor(a)
    same(t, a)
    assert t.device is unidl.device("cpu") and t.ndim == a.ndim and t.size == a.size
    if a.size:
        before = a.copy()
        t.data[...] = 0 if dtype != np.bool_ else False
        np.testing.assert_array_equal(a, before)  # tensor() copied
    assert unidl.from_numpy(a).data is a  # from_numpy shares on cpu
    assert unidl.as_tensor(t) is t


def test_default_dtypes():
    same(unidl.tensor(1.5), np.array(1.5, np.float32))
    same(unidl.tensor([1.0, 2.0]), np.array([1.0, 2.0], np.float32))
    same(unidl.tensor([[1, 2], [3, 4]]), np.array([[1, 2], [3, 4]], np.int64))
    same(unidl.tensor(7), np.array(7, np.int64))
    same(unidl.tensor([True, False]), np.array([True, False]))
    same(unidl.tensor([1, 2.5]), np.array([1, 2.5], np.float32))
    same(unidl.tensor(np.float64(2.0)), np.array(2.0, np.float64))  # NumPy scalars keep their dtype
    same(unidl.tensor(np.arange(3, dtype=np.int32)), np.arange(3, dtype=np.int32))
    same(unidl.tensor([1, 2], dtype="float16"), np.array([1, 2], np.float16))
    same(unidl.tensor(np.ones(2), dtype=np.int8), np.ones(2, np.int8))
    same(unidl.tensor([]), np.array([], np.float32))
    t = unidl.tensor([1.0, 2.0])
    same(unidl.tensor(t), t.numpy())
    same(unidl.tensor(t, dtype="float64"), t.numpy().astype(np.float64))
    with pytest.raises(TypeError, match="cannot make a tensor"):
        unidl.tensor([object()])
    with pytest.raises(TypeError, match="not a dtype"):
        unidl.tensor([1.0], dtype="notadtype")


@given(shape=ust.shapes(max_dims=4), dtype=st.sampled_from([None] + ALL_DTYPES))
def test_zeros_ones_full_empty(shape, dtype):
    ref_dt = np.float32 if dtype is None else dtype
    same(unidl.zeros(shape, dtype=dtype), np.zeros(shape, ref_dt))
    same(unidl.ones(shape, dtype=dtype), np.ones(shape, ref_dt))
    same(unidl.full(shape, 3, dtype=dtype), np.full(shape, 3, np.int64 if dtype is None else dtype))
    e = unidl.empty(shape, dtype=dtype)
    assert e.shape == tuple(shape) and e.dtype == ref_dt


def test_filled_defaults_and_int_shape():
    same(unidl.zeros(3), np.zeros(3, np.float32))
    same(unidl.ones(np.int64(2)), np.ones(2, np.float32))
    same(unidl.full((2,), 2.5), np.full((2,), 2.5, np.float32))
    same(unidl.full((2,), True), np.full((2,), True))
    same(unidl.full((2,), np.int16(4)), np.full((2,), 4, np.int16))
    same(unidl.zeros(()), np.zeros((), np.float32))


@given(start=st.integers(-20, 20), stop=st.one_of(st.none(), st.integers(-20, 20)),
       step=st.integers(-4, 4).filter(bool))
def test_arange_ints(start, stop, step):
    if stop is None:
        same(unidl.arange(start), np.arange(start).astype(np.int64))
        same(unidl.arange(start, step=abs(step)), np.arange(0, start, abs(step)).astype(np.int64))
    else:
        same(unidl.arange(start, stop, step), np.arange(start, stop, step).astype(np.int64))


@given(start=st.floats(-5, 5), length=st.floats(0, 5), step=st.floats(0.25, 2))
def test_arange_floats(start, length, step):
    ref = np.arange(start, start + length, step).astype(np.float32)
    same(unidl.arange(start, start + length, step), ref)
    same(unidl.arange(start, start + length, step, dtype="float64"), np.arange(start, start + length, step))


@given(start=st.floats(-5, 5), stop=st.floats(-5, 5), num=st.integers(0, 7), endpoint=st.booleans())
def test_linspace(start, stop, num, endpoint):
    same(unidl.linspace(start, stop, num, endpoint=endpoint),
         np.linspace(start, stop, num, endpoint=endpoint).astype(np.float32))
    same(unidl.linspace(start, stop, num, dtype="float64"), np.linspace(start, stop, num))


@given(n=st.integers(0, 5), m=st.one_of(st.none(), st.integers(0, 5)), k=st.integers(-3, 3))
def test_eye(n, m, k):
    same(unidl.eye(n, m, k), np.eye(n, m, k, dtype=np.float32))
    same(unidl.eye(n, m, k, dtype="int32"), np.eye(n, m, k, dtype=np.int32))


@given(data=st.data(), shape=ust.shapes(max_dims=3), dtype=any_dtype)
def test_like_functions(data, shape, dtype):
    a = data.draw(ust.arrays(dtype, shape))
    t = unidl.tensor(a)
    same(unidl.zeros_like(t), np.zeros_like(a))
    same(unidl.ones_like(t), np.ones_like(a))
    same(unidl.full_like(t, 1), np.full_like(a, 1))
    same(unidl.zeros_like(t, dtype="float64"), np.zeros(shape, np.float64))
    assert unidl.empty_like(t).shape == a.shape and unidl.empty_like(t).dtype == a.dtype
    assert unidl.zeros_like(t).device is t.device


# -- getting values out -----------------------------------------------------------------------------

@given(data=st.data(), shape=ust.shapes(max_dims=3), dtype=any_dtype)
def test_host_conversions(data, shape, dtype):
    a = data.draw(ust.arrays(dtype, shape))
    t = unidl.tensor(a)
    np.testing.assert_array_equal(t.numpy(), a)
    np.testing.assert_array_equal(np.asarray(t), a)
    assert np.asarray(t).dtype == a.dtype
    assert np.asarray(t, dtype=np.float64).dtype == np.float64
    assert t.tolist() == a.tolist()
    if a.ndim == 0:
        with pytest.raises(TypeError):
            len(t)
        with pytest.raises(TypeError):
            iter(t)
    else:
        assert len(t) == a.shape[0]
        rows = list(t)
        assert len(rows) == a.shape[0]
        for r, ra in zip(rows, a):
            same(r, np.asarray(ra))
    if a.size == 1:
        assert t.item() == a.item() and type(t.item()) is type(a.item())
        assert bool(t) == bool(a.reshape(()))
        if dtype != np.bool_:
            assert float(t) == float(a.reshape(())) and int(t) == int(a.reshape(()))
    else:
        with pytest.raises(ValueError, match=f"{a.size} elements"):
            t.item()
        with pytest.raises(ValueError, match="ambiguous"):
            bool(t)


def test_index_dunder():
    assert [10, 20, 30][unidl.tensor(1)] == 20
    with pytest.raises(TypeError, match="integer"):
        [1, 2][unidl.tensor(1.0)]


# -- devices ----------------------------------------------------------------------------------------

def test_devices():
    cpu = unidl.device("cpu")
    assert cpu is unidl.device("cpu:0") is unidl.device(("cpu", 0)) is unidl.device(cpu)
    assert cpu is unidl.default_device()
    assert str(cpu) == "cpu" and repr(cpu) == "device('cpu')" and cpu.type == "cpu" and cpu.index == 0
    with pytest.raises(unidl.UnidlError, match=r"'cpu:3' does not exist; 1 'cpu' device"):
        unidl.device("cpu:3")
    with pytest.raises(unidl.UnidlError, match="unknown device type 'nosuch'.*cpu"):
        unidl.device("nosuch")
    with pytest.raises(ValueError, match="bad device index"):
        unidl.device("cpu:x")
    with pytest.raises(TypeError, match="expected a string"):
        unidl.device(3)
    with pytest.raises(unidl.UnidlError, match="nosuch"):
        unidl.tensor([1.0], device="nosuch")
    t = unidl.tensor([1.0, 2.0], device="cpu")
    assert t.to("cpu") is t and t.cpu() is t and t.to(cpu) is t
    assert unidl.zeros(2, device="cpu").device is cpu


def test_device_pickles_by_name():
    import pickle

    assert pickle.loads(pickle.dumps(unidl.device("cpu"))) is unidl.device("cpu")


# -- repr and operators -----------------------------------------------------------------------------

def test_repr():
    assert repr(unidl.tensor([1.0, 2.5])) == "tensor([1. , 2.5], dtype=float32)"
    assert repr(unidl.tensor(3)) == "tensor(3, dtype=int64)"
    r = repr(unidl.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True))
    assert r.startswith("tensor([[1., 2.],") and r.endswith("dtype=float32, requires_grad=True)")
    assert "\n        [3., 4.]]" in r  # continuation lines align under the first row


@settings(max_examples=25)
@given(data=st.data(), shape=ust.shapes(max_dims=3, min_side=1),
       dtype=st.sampled_from([np.float32, np.float64]), s=st.floats(0.5, 4))
def test_operators_with_scalars_on_both_sides(data, shape, dtype, s):
    a = data.draw(ust.arrays(dtype, shape, 0.5, 4))
    t = unidl.tensor(a)
    sc = dtype(s)  # scalars keep the tensor's dtype (NEP 50 weak scalars)
    for got, ref in [(t + s, a + sc), (s + t, sc + a), (t - s, a - sc), (s - t, sc - a),
                     (t * s, a * sc), (s * t, sc * a), (t / s, a / sc), (s / t, sc / a), (-t, -a)]:
        assert got.dtype == a.dtype
        np.testing.assert_allclose(got.numpy(), ref, rtol=1e-6)
    for got, ref in [(t > s, a > sc), (s > t, sc > a), (t <= s, a <= sc), (t == t, a == a), (t != s, a != sc)]:
        same(got, np.asarray(ref))


def test_operators_between_tensors_broadcast():
    a, b = np.arange(6.0).reshape(2, 3), np.array([1.0, 2.0, 4.0])
    same(unidl.tensor(a, dtype="float64") + unidl.tensor(b, dtype="float64"), a + b)
    same(unidl.tensor(b, dtype="float64") / unidl.tensor(a + 1, dtype="float64"), b / (a + 1))
    with pytest.raises(unidl.OpError, match=r"add.*\(2, 3\).*\(2,\)"):
        unidl.tensor(a) + unidl.tensor([1.0, 2.0])
    with pytest.raises(unidl.OpError, match="multiply"):
        unidl.tensor(a) * "text"


# -- requires_grad ----------------------------------------------------------------------------------

@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_requires_grad_on_floats(dtype):
    t = unidl.tensor([1.0], dtype=dtype, requires_grad=True)
    assert t.requires_grad and t.is_leaf and t.grad is None and t.grad_req == "write"
    assert unidl.Tensor([1.0], dtype=dtype, requires_grad=True).requires_grad


@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "bool"])
def test_requires_grad_refused_for_non_floats(dtype):
    with pytest.raises(unidl.GraphError, match=f"floating-point.*{dtype}"):
        unidl.tensor([1], dtype=dtype, requires_grad=True)
    with pytest.raises(unidl.GraphError, match=dtype):
        unidl.zeros(2, dtype=dtype).requires_grad_()
