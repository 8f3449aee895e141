"""mx.test_utils: tolerances per dtype, comparisons, default context, random arrays, offline download."""
import numpy as np
import pytest

import unidl_mxnet as mx
from unidl.aliases import UnsupportedAPIError
from unidl_mxnet import test_utils as tu


def test_assert_almost_equal_uses_dtype_tolerances():
    a = mx.nd.array([1.0, 2.0, 3.0])
    tu.assert_almost_equal(a, np.array([1.0, 2.0, 3.0005], dtype=np.float32))  # float32: rtol 1e-4, atol 1e-3
    with pytest.raises(AssertionError) as e:
        tu.assert_almost_equal(a, np.array([1.0, 2.0, 3.5], dtype=np.float32))
    # worst element: |3 - 3.5| / (1e-3 + 1e-4 * 3.5), MXNet's relative violation
    assert "Error %f exceeds tolerance" % (0.5 / (1e-3 + 1e-4 * 3.5)) in str(e.value)
    assert "Location of maximum error: (2,), a=3.00000000, b=3.50000000" in str(e.value)
    with pytest.raises(AssertionError):  # float64 defaults are tight: rtol 1e-5, atol 1e-20
        tu.assert_almost_equal(np.array([1.0]), np.array([1.0001]))
    tu.assert_almost_equal(np.array([1.0]), np.array([1.0001]), rtol=1e-3)


def test_almost_equal_same_and_shapes():
    assert tu.almost_equal(mx.nd.array([1.0]), np.array([1.0 + 1e-7]))
    assert not tu.almost_equal(np.array([1.0]), np.array([1.001]))
    assert tu.same(mx.nd.array([1, 2]), np.array([1, 2])) and not tu.same(np.array([1, 2]), np.array([1, 3]))
    with pytest.raises(AssertionError, match="are not equal"):
        tu.almost_equal(np.ones(2), np.ones((1, 2)), use_broadcast=False)
    assert tu.get_rtol() == 1e-5 and tu.get_atol(None, np.float32) == 1e-3
    tu.assert_exception(lambda: 1 / 0, ZeroDivisionError)
    with pytest.raises(AssertionError):
        tu.assert_exception(lambda: None, ValueError)


def test_default_context_and_set_default_context():
    assert tu.default_context() == mx.cpu()
    tu.set_default_context(mx.cpu(1))
    try:
        assert tu.default_context() == mx.cpu(1)
        assert mx.nd.zeros(2).shape == (2,)  # mx.cpu(i) is the one host CPU
    finally:
        tu.set_default_context(mx.cpu(0))


def test_rand_ndarray_is_seeded_normal():
    mx.random.seed(1)
    a = tu.rand_ndarray((200, 50))
    mx.random.seed(1)
    b = tu.rand_ndarray((200, 50))
    assert a.shape == (200, 50) and a.dtype == np.float32 and tu.same(a, b)
    assert abs(float(a.asnumpy().mean())) < 0.05 and abs(float(a.asnumpy().std()) - 1) < 0.05
    assert tu.rand_ndarray((2, 2), dtype="float64").dtype == np.float64
    sp = tu.rand_ndarray((20, 30), stype="csr", density=0.3)
    assert sp.stype == "csr" and sp.shape == (20, 30) and 0.1 < (sp.asnumpy() != 0).mean() < 0.5
    rows = tu.rand_ndarray((40, 3), stype="row_sparse", density=0.5).asnumpy()
    assert all((r != 0).all() or (r == 0).all() for r in rows)  # whole rows are zero or not
    shape = tu.rand_shape_nd(3, dim=4)
    assert len(shape) == 3 and all(1 <= s <= 4 for s in shape)


def test_download_is_offline_and_unsupported_helpers_say_why(tmp_path):
    f = tmp_path / "x.txt"
    f.write_text("hi")
    assert tu.download("http://example.com/x.txt", dirname=str(tmp_path)) == str(f)
    with pytest.raises(OSError, match="never downloads"):
        tu.download("http://example.com/y.txt", dirname=str(tmp_path))
    assert list(tu.list_gpus()) == list(range(mx.context.num_gpus()))
    with pytest.raises(UnsupportedAPIError, match="get_mnist_iterator.*MNISTIter"):
        tu.get_mnist_iterator(64, (1, 28, 28))
