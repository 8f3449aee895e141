"""``Parameter.data()`` and a layer's forward always see the parameter's current array: after set_data,
load_parameters, cast, a forced re-initialization, reset_ctx and an in-place write, and under np mode."""
from __future__ import annotations

import numpy as np
import pytest

import unidl_mxnet as mx
from unidl_mxnet import autograd, gluon, nd


def _dense(units: int = 3, in_units: int = 4, **kw) -> gluon.nn.Dense:
    d = gluon.nn.Dense(units, in_units=in_units, **kw)
    d.initialize()
    return d


def _expected(x: np.ndarray, d: gluon.nn.Dense) -> np.ndarray:
    return x @ d.weight.data().asnumpy().T + d.bias.data().asnumpy()


X = np.arange(8, dtype=np.float32).reshape(2, 4) / 7


def test_data_is_one_array_and_tracks_set_data():
    d = _dense()
    a = d.weight.data()
    assert d.weight.data() is a  # one array object per data tensor, as MXNet keeps it
    d(nd.array(X))
    w = np.full((3, 4), 0.5, np.float32)
    d.weight.set_data(nd.array(w))
    np.testing.assert_array_equal(d.weight.data().asnumpy(), w)
    np.testing.assert_array_equal(d(nd.array(X)).asnumpy(), _expected(X, d))


def test_forward_tracks_load_parameters(tmp_path):
    src, dst = _dense(), _dense()
    src.weight.set_data(nd.array(np.ones((3, 4), np.float32)))
    dst(nd.array(X))  # the forward has used dst's old array
    f = str(tmp_path / "p.params")
    src.save_parameters(f)
    dst.load_parameters(f)
    np.testing.assert_array_equal(dst.weight.data().asnumpy(), np.ones((3, 4), np.float32))
    np.testing.assert_array_equal(dst(nd.array(X)).asnumpy(), src(nd.array(X)).asnumpy())


def test_forward_tracks_force_reinit_and_cast():
    d = _dense()
    d(nd.array(X))
    old = d.weight.data()
    d.initialize(mx.init.Constant(0.25), force_reinit=True)
    assert d.weight.data() is not old
    np.testing.assert_array_equal(d(nd.array(X)).asnumpy(), _expected(X, d))
    np.testing.assert_array_equal(d.weight.data().asnumpy(), np.full((3, 4), 0.25, np.float32))
    d.cast("float64")
    assert d.weight.data().dtype == np.float64
    y = d(nd.array(X, dtype="float64"))
    assert y.dtype == np.float64
    np.testing.assert_array_equal(y.asnumpy(), _expected(X.astype(np.float64), d))


def test_forward_tracks_reset_ctx_and_inplace_write():
    d = _dense()
    d(nd.array(X))
    d.collect_params().reset_ctx(mx.cpu(0))
    d.weight.data()[:] = 2.0
    np.testing.assert_array_equal(d(nd.array(X)).asnumpy(), _expected(X, d))
    assert float(d.weight.data().asnumpy()[0, 0]) == 2.0


def test_recorded_forward_after_set_data_gives_gradients_to_the_parameter():
    d = _dense(use_bias=False)
    d(nd.array(X))
    d.weight.set_data(nd.array(np.ones((3, 4), np.float32)))
    x = nd.array(X)
    with autograd.record():
        y = d(x)
    y.backward()
    np.testing.assert_allclose(d.weight.grad().asnumpy(), np.tile(X.sum(0), (3, 1)), rtol=1e-6)


def test_np_mode_parameter_keeps_its_array_type():
    from unidl_mxnet import npx

    npx.set_np()
    try:
        d = _dense()
        assert type(d.weight.data()) is mx.np.ndarray
        assert d.weight.data() is d.weight.data()
    finally:
        npx.reset_np()
    # created under np mode: still an mx.np array after it (as MXNet keeps it)
    assert type(d.weight.data()) is mx.np.ndarray
    d.initialize(force_reinit=True)  # re-created outside np mode: an NDArray now
    assert type(d.weight.data()) is nd.NDArray


@pytest.mark.parametrize("units", [1, 5])
def test_dense_flatten_of_2d_and_nd_inputs(units):
    d = gluon.nn.Dense(units)
    d.initialize()
    x3 = np.arange(24, dtype=np.float32).reshape(2, 3, 4) / 11
    y3 = d(nd.array(x3)).asnumpy()
    y2 = d(nd.array(x3.reshape(2, 12))).asnumpy()
    np.testing.assert_array_equal(y3, y2)
    with pytest.raises(mx.MXNetError, match="FullyConnected: input of shape"):
        d(nd.array(np.ones((2, 5), np.float32)))
