"""mx.np / npx behaviours that MXNet 1.9.1's own test_numpy_ndarray.py and test_numpy_gluon.py rely on.

Expected values were taken from the real MXNet 1.9.1 (run in a scratch venv), written here as literals.
"""
from __future__ import annotations

import numpy as onp
import pytest

import unidl_mxnet as mx
from unidl_mxnet import autograd, np, npx
from unidl_mxnet.base import MXNetError
from unidl_mxnet.gluon import HybridBlock


@pytest.fixture(autouse=True)
def _np_mode():
    npx.set_np()
    yield
    npx.reset_np()


# -- conversions, dtype names, creation arguments ---------------------------------------------------------

def test_nd_as_np_ndarray_shares_memory_and_as_nd_ndarray_is_identity():
    a = mx.nd.array([1, 2, 3])
    b = a.as_np_ndarray()
    assert type(b) is np.ndarray
    b[0] = 7
    assert a.asnumpy().tolist() == [7.0, 2.0, 3.0]
    assert a.as_nd_ndarray() is a


def test_dtype_names():
    assert np.bool is bool
    assert np.empty((2,), np.bool).dtype == onp.bool_
    assert np.zeros((2,), dtype="bool").dtype == onp.bool_
    assert np.NZERO == 0.0 and onp.signbit(np.NZERO)
    assert np.PZERO == 0.0 and not onp.signbit(np.PZERO)


@pytest.mark.parametrize("fn", [np.empty, np.zeros, np.ones])
def test_creation_only_c_order(fn):
    assert fn((2, 3), None, "C").shape == (2, 3)
    with pytest.raises(NotImplementedError):
        fn((2, 3), None, "F")


def test_copy_only_c_order():
    a = np.array([2, 3, 4, 5], dtype="int32")
    with pytest.raises(NotImplementedError):
        a.copy(order="F")
    assert a.copy().asnumpy().tolist() == [2, 3, 4, 5]


def test_astype_positional_order_and_checks():
    a = np.array([1.5, 2.5])
    assert a.astype("int32", "C").asnumpy().tolist() == [1, 2]
    assert a.astype("float32", copy=False) is a
    with pytest.raises(ValueError):
        a.astype("int32", order="F")


def test_format():
    assert "{:0.3g}".format(np.array(onp.pi)) == "3.14"
    assert format(np.array(0.1), ".5f") == "0.10000"
    with pytest.raises(TypeError):
        "{:30}".format(np.array([onp.pi]))
    assert "{}".format(np.array([1.5, 2.0])) == "[1.5 2. ]"


# -- Gluon outputs under use_np ------------------------------------------------------------------------------

def test_use_np_block_mixing_legacy_and_np_outputs_is_a_type_error():
    npx.reset_np()

    @mx.util.use_np
    class Mixed(HybridBlock):
        def hybrid_forward(self, F, x):
            return x.as_nd_ndarray() + x.as_nd_ndarray(), F.np.multiply(x, x)

    @mx.util.use_np
    class AllNp(HybridBlock):
        def hybrid_forward(self, F, x):
            return F.np.add(x, x), F.np.multiply(x, x)

    x = np.ones((2, 3))
    with pytest.raises(TypeError):
        Mixed()(x)
    out = AllNp()(x)
    assert [type(o) for o in out] == [np.ndarray, np.ndarray]
    assert not mx.util.is_np_array()  # the decorator's scope ends with the call


# -- autograd --------------------------------------------------------------------------------------------

def test_backward_through_a_comparison_writes_zero_gradients():
    x = np.array([1.0, 2.0, 3.0])
    x.attach_grad()
    with autograd.record():
        y = x * 3
    y.backward()
    assert x.grad.asnumpy().tolist() == [3.0, 3.0, 3.0]
    with autograd.record():
        out = x > 1.5
    out.backward()
    assert out.dtype == onp.bool_
    assert x.grad.asnumpy().tolist() == [0.0, 0.0, 0.0]


def test_integer_arrays_take_gradients():
    x = np.arange(12, dtype="int32").reshape(3, 4)
    x.attach_grad()
    with autograd.record():
        y = x[1:, ::2]
    y.backward()
    assert x.grad.dtype == onp.int32
    assert x.grad.asnumpy().tolist() == [[0, 0, 0, 0], [1, 0, 1, 0], [1, 0, 1, 0]]
    with autograd.record():
        z = (x * 2)[0]
    z.backward()
    assert x.grad.asnumpy().tolist() == [[2, 2, 2, 2], [0, 0, 0, 0], [0, 0, 0, 0]]


@pytest.mark.parametrize("key", [(), slice(None), Ellipsis])
def test_whole_array_assignment_while_recording_makes_a_copy_in_the_graph(key):
    x = np.zeros((3, 4), dtype="int32")
    y = np.ones((4,))
    y.attach_grad()
    with autograd.record():
        x[key] = y
    x.backward()
    assert x.dtype == onp.int32
    assert y.grad.asnumpy().tolist() == [3.0, 3.0, 3.0, 3.0]


def test_assignment_while_recording_errors_as_mxnet():
    x = np.zeros((3, 4))
    y = np.ones((4,))
    y.attach_grad()
    with pytest.raises(MXNetError, match="Inplace operations"):
        with autograd.record():
            x[0] = y
    x = np.zeros((3, 4))
    with pytest.raises(MXNetError, match="Inplace operations"):
        with autograd.record():
            x[[0, 1]] = y
    leaf = np.ones((3, 4))
    leaf.attach_grad()
    with pytest.raises(MXNetError, match="already in a computational graph"):
        with autograd.record():
            leaf[0] = 5
    with pytest.raises(MXNetError, match="already in a computational graph"):
        with autograd.record():
            leaf += 1
    x = np.zeros((3, 4))
    with autograd.record():  # constants into an array outside the graph: fine
        x[0] = 5
    assert x.asnumpy()[0].tolist() == [5.0] * 4


# -- memory sharing --------------------------------------------------------------------------------------

def test_reshape_is_a_copy():
    x = np.arange(12)
    X = x.reshape(3, 4)
    X[:2, :] = 12
    assert x.asnumpy().tolist() == list(range(12))
    assert X.asnumpy()[0].tolist() == [12.0] * 4


@pytest.mark.parametrize("view, shares", [
    (lambda x: x[1], True),
    (lambda x: x[-1], True),
    (lambda x: x[1:3], True),
    (lambda x: x[1, 1:3], True),
    (lambda x: x[1, 2], True),
    (lambda x: x[...], True),
    (lambda x: x[None], True),
    (lambda x: x[()], True),
    (lambda x: x[:, 1:3], False),
    (lambda x: x[:, 1], False),
    (lambda x: x[..., 1], False),
    (lambda x: x[::-1], False),
    (lambda x: x[[0, 1]], False),
    (lambda x: x.reshape(12), False),
    (lambda x: x.reshape(3, 4), False),
    (lambda x: x.T, False),
    (lambda x: np.split(x, 3)[0], False),
    (lambda x: npx.reshape(x, (12,)), False),
    (lambda x: np.expand_dims(x, 0), False),
    (lambda x: np.transpose(x), False),
    (lambda x: x.flatten(), False),
    (lambda x: x.astype("float32", copy=False), True),
    (lambda x: x.as_nd_ndarray(), True),
    (lambda x: x.detach(), True),
])
def test_which_results_share_memory_as_in_mxnet(view, shares):
    x = np.arange(12.0).reshape(3, 4)
    v = view(x)
    v[() if v.ndim == 0 else Ellipsis] = -1
    assert bool((x.asnumpy() == -1).any()) is shares


def test_single_element_index_is_a_0d_view_with_bounds_checked():
    x = np.arange(12.0).reshape(3, 4)
    v = x[1, 2]
    assert v.shape == ()
    v += 100
    assert x.asnumpy()[1, 2] == 106.0
    assert float(x[-3, -4]) == 0.0
    with pytest.raises(IndexError):
        x[3, 0]


# -- in-place operators and out= -------------------------------------------------------------------------

def test_inplace_on_0d_arrays():
    c = np.array(0.5)
    x = np.array(1.0)
    got = []
    for _ in range(3):
        x -= 2 * np.cos(c * x)
        got.append(float(x))
    assert x.shape == ()
    onp.testing.assert_allclose(got, [-0.7551651, -2.6142821, -3.1355047], rtol=1e-6)


def test_inplace_keeps_dtype_and_shape_or_errors():
    z = np.arange(4, dtype="int32")
    z += 1.7  # the scalar is cast to the array's dtype
    assert z.asnumpy().tolist() == [1, 2, 3, 4] and z.dtype == onp.int32
    with pytest.raises(MXNetError, match="Type inconsistent"):
        z += np.ones(4)
    with pytest.raises(MXNetError, match="Type inconsistent"):
        z /= 2
    f = np.ones(4)
    f += np.arange(4, dtype="int32")
    assert f.asnumpy().tolist() == [1.0, 2.0, 3.0, 4.0]
    with pytest.raises(MXNetError, match="Shape inconsistent"):
        f += np.ones((2, 4))
    with pytest.raises(MXNetError, match="expected float32, got int32"):
        np.add(np.ones(4), np.ones(4), out=np.zeros(4, dtype="int32"))


def test_assignment_drops_extra_leading_unit_dims():
    a = np.zeros((3, 4))
    a[2] = np.ones((1, 1))
    assert a.asnumpy().tolist() == [[0.0] * 4, [0.0] * 4, [1.0] * 4]
    a = np.zeros((3, 4))
    a[1:] = onp.ones((1, 1, 4))
    assert a.asnumpy().sum() == 8.0


def test_bad_boolean_mask_is_an_index_error():
    arr = np.ones((5, 4, 3))
    with pytest.raises(IndexError):
        arr[np.array([True], dtype=np.bool_)]
    with pytest.raises(IndexError):
        arr[np.zeros((4, 4), dtype=bool)]


# -- np.random.multinomial ---------------------------------------------------------------------------------

@pytest.mark.parametrize("pvals", [[0.0, 0.1, 0.2, 0.3, 0.4], "array"])
def test_multinomial_counts(pvals):
    p = [0.0, 0.1, 0.2, 0.3, 0.4]
    pv = np.array(p) if pvals == "array" else pvals
    one = np.random.multinomial(10000, pv)
    assert one.shape == (5,) and one.dtype == onp.int64
    assert int(one.sum()) == 10000 and int(one[0]) == 0
    onp.testing.assert_allclose(one.asnumpy() / 10000.0, p, atol=0.05)
    many = np.random.multinomial(20, pv, size=(2, 3))
    assert many.shape == (2, 3, 5)
    assert (many.asnumpy().sum(-1) == 20).all()
    assert np.random.multinomial(20, pv, size=()).shape == (5,)
    assert np.random.multinomial(20, pv, size=0).shape == (0, 5)
    assert np.random.multinomial(20, [], size=(2,)).shape == (2, 0)


def test_multinomial_rejects_bad_pvals():
    with pytest.raises(MXNetError, match="sum"):
        np.random.multinomial(10, [0.5, 0.9]).asnumpy()  # MXNet raises when the result is read
    with pytest.raises(MXNetError, match="sum"):
        np.random.multinomial(10, np.array([0.5, 0.9])).asnumpy()
    with pytest.raises(ValueError, match="too deep"):
        np.random.multinomial(10, [[0.5, 0.5]])
    with pytest.raises(ValueError, match="numpy ndarray"):
        np.random.multinomial(10, onp.array([0.5, 0.5]))


# -- npx.save / npx.load -----------------------------------------------------------------------------------

def test_npx_save_load_keeps_0d_and_zero_size_shapes(tmp_path):
    arrays = [np.array(5, dtype="int64"), np.zeros((2, 0, 1), dtype="int64"), np.arange(6.0).reshape(2, 3)]
    for a in arrays:
        f = str(tmp_path / "one.npy")
        npx.save(f, a)
        back = npx.load(f)
        assert isinstance(back, list) and len(back) == 1
        assert type(back[0]) is np.ndarray
        assert back[0].shape == a.shape and back[0].dtype == a.dtype
        assert onp.array_equal(back[0].asnumpy(), a.asnumpy())
    f = str(tmp_path / "dict.npy")
    npx.save(f, {"a": arrays[0], "b": arrays[2]})
    back = npx.load(f)
    assert sorted(back) == ["a", "b"] and back["a"].shape == ()


def test_npx_load_reads_a_file_written_by_mxnet(tmp_path):
    # npx.save('f', {'a': np.array(5.), 'b': np.ones((2,))}) under npx.set_np() in MXNet 1.9.1
    raw = bytes.fromhex(
        "120100000000000000000000000000000200000000000000cafa93f900000000000000000100000000000000000000000000a040"
        "cafa93f9000000000100000002000000000000000100000000000000000000000000803f0000803f020000000000000001000000"
        "0000000061010000000000000062")
    f = tmp_path / "mx.npy"
    f.write_bytes(raw)
    back = npx.load(str(f))
    assert back["a"].shape == () and float(back["a"]) == 5.0
    assert back["b"].asnumpy().tolist() == [1.0, 1.0]
    npx.save(str(tmp_path / "again.npy"), {"a": back["a"], "b": back["b"]})
    assert (tmp_path / "again.npy").read_bytes() == raw


def test_npx_save_load_need_np_mode(tmp_path):
    a = np.ones(2)
    npx.reset_np()
    with pytest.raises(ValueError, match="legacy mode"):
        npx.save(str(tmp_path / "x.npy"), a)
    npx.set_np()
    with pytest.raises(TypeError):
        npx.save(str(tmp_path / "x.npy"), [mx.nd.ones(2)])


# -- split family, F.np ------------------------------------------------------------------------------------

def test_split_family_shapes():
    x = np.arange(24.0).reshape(2, 3, 4)
    shapes = lambda parts: [p.shape for p in parts]  # noqa: E731
    assert shapes(np.hsplit(x, 2)) == [(2, 2, 4), (2, 1, 4)]
    assert shapes(np.hsplit(np.arange(6.0), 3)) == [(2,), (2,), (2,)]
    assert shapes(np.vsplit(x, 2)) == [(1, 3, 4), (1, 3, 4)]
    assert shapes(np.dsplit(x, [1, 3])) == [(2, 3, 1), (2, 3, 2), (2, 3, 1)]
    assert shapes(np.array_split(np.arange(7.0), 3)) == [(3,), (2,), (2,)]
    with pytest.raises(ValueError, match="equal division"):
        np.split(x, 3, axis=2)
    with pytest.raises(ValueError, match="2 or more dimensions"):
        np.vsplit(np.arange(6.0), 2)
    with pytest.raises(ValueError, match="3 or more dimensions"):
        np.dsplit(np.ones((2, 3)), 2)


def test_F_np_in_hybrid_forward_is_mx_np():
    class Split(HybridBlock):
        def hybrid_forward(self, F, x):
            return F.np.concatenate(F.np.hsplit(x, 3)[1:], axis=1)

    out = Split()(np.arange(6.0).reshape(2, 3))
    assert type(out) is np.ndarray
    assert out.asnumpy().tolist() == [[1.0, 2.0], [4.0, 5.0]]


# -- Parameters and initializers under np mode ---------------------------------------------------------------

def test_custom_initializer_gets_np_arrays_under_set_np():
    seen = []

    class Ones(mx.init.Initializer):
        def _init_weight(self, name, arr):
            seen.append(type(arr))
            arr[:] = 1

    net = mx.gluon.nn.Dense(3, in_units=2)
    net.initialize(Ones())
    assert seen == [np.ndarray]
    assert type(net.weight.data()) is np.ndarray
    assert net.weight.data().asnumpy().tolist() == [[1.0, 1.0]] * 3


def test_parameter_keeps_the_array_type_it_was_created_with():
    npx.reset_np()
    legacy = mx.gluon.nn.Dense(3, in_units=2)
    legacy.initialize()
    npx.set_np()
    assert type(legacy.weight.data()) is mx.nd.NDArray
    assert type(legacy.weight.grad()) is mx.nd.NDArray
    p = mx.gluon.Parameter("w", shape=(2,))
    p.initialize()
    npx.reset_np()
    assert type(p.data()) is np.ndarray and type(p.list_data()[0]) is np.ndarray and type(p.grad()) is np.ndarray


def test_use_np_block_creates_np_parameters_outside_np_mode():
    npx.reset_np()

    @mx.util.use_np
    class Dot(HybridBlock):
        def __init__(self):
            super().__init__()
            with self.name_scope():
                self.w = self.params.get("w", shape=(3, 4))

        def hybrid_forward(self, F, x, w):
            return F.np.dot(x, w)

    net = Dot()
    net.initialize()
    out = net(np.ones((2, 3)))
    assert type(out) is np.ndarray and out.shape == (2, 4)
    assert not mx.util.is_np_array()
    assert all(type(v.data()) is np.ndarray for v in net.collect_params().values())
