"""gluon.utils: split_data / split_and_load, clip_global_norm (values checked against real MXNet 1.9.1 and
NumPy), check_sha1 and the offline download."""
from __future__ import annotations

import hashlib
import math

import numpy as np
import pytest

import unidl_mxnet as mx
from unidl_mxnet import gluon, nd
from unidl_mxnet.gluon import utils


def test_split_data_even_uneven_and_axis():
    x = nd.array(np.arange(21).reshape(7, 3))
    parts = utils.split_data(x, 3, even_split=False)
    assert [p.shape for p in parts] == [(3, 3), (2, 3), (2, 3)]  # as MXNet 1.9.1
    np.testing.assert_array_equal(np.concatenate([p.asnumpy() for p in parts]), x.asnumpy())
    y = nd.array(np.arange(14).reshape(2, 7))
    parts = utils.split_data(y, 3, batch_axis=1, even_split=False)
    assert [p.shape for p in parts] == [(2, 3), (2, 2), (2, 2)]
    np.testing.assert_array_equal(np.concatenate([p.asnumpy() for p in parts], axis=1), y.asnumpy())
    with pytest.raises(ValueError, match=r"cannot be evenly split into 3 slices along axis 0"):
        utils.split_data(x, 3)
    assert len(utils.split_data(nd.zeros((6, 2)), 3)) == 3


def test_split_and_load():
    ctx = [mx.cpu(0), mx.cpu(0)]
    out = gluon.utils.split_and_load(np.arange(8, dtype=np.float32).reshape(4, 2), ctx)
    assert len(out) == 2 and all(isinstance(o, nd.NDArray) for o in out)
    np.testing.assert_array_equal(out[1].asnumpy(), [[4, 5], [6, 7]])
    one = utils.split_and_load(nd.ones((3, 2)), [mx.cpu()])
    assert len(one) == 1 and one[0].shape == (3, 2)
    with pytest.raises(ValueError, match="evenly"):
        utils.split_and_load(nd.ones((3, 2)), ctx)


@pytest.mark.filterwarnings("ignore:invalid value encountered")
def test_clip_global_norm_matches_mxnet_and_numpy():
    a0, b0 = np.arange(6, dtype=np.float32).reshape(2, 3), np.array([[3.0, 4.0]], np.float32)
    a, b = nd.array(a0), nd.array(b0)
    total = utils.clip_global_norm([a, b], 5.0)
    assert isinstance(total, np.float32) and total == np.float32(8.944272)  # real MXNet 1.9.1
    ref_total = math.sqrt((a0.astype(np.float64) ** 2).sum() + (b0.astype(np.float64) ** 2).sum())
    scale = 5.0 / (ref_total + 1e-8)
    np.testing.assert_allclose(a.asnumpy(), a0 * scale, rtol=1e-6)
    np.testing.assert_allclose(b.asnumpy(), [[1.6770511, 2.236068]], rtol=1e-6)  # real MXNet 1.9.1
    c = nd.ones((2,))
    t = utils.clip_global_norm([c], 5.0, check_isfinite=False)
    assert isinstance(t, nd.NDArray) and t.shape == (1,)
    np.testing.assert_allclose(t.asnumpy(), [math.sqrt(2)], rtol=1e-6)
    np.testing.assert_array_equal(c.asnumpy(), [1, 1])  # under the limit: unchanged
    with pytest.warns(UserWarning, match="nan or inf"):
        utils.clip_global_norm([nd.array([np.inf, 1.0])], 1.0)


def test_check_sha1_and_offline_download(tmp_path):
    f = tmp_path / "w.params"
    f.write_bytes(b"abc")
    digest = hashlib.sha1(b"abc").hexdigest()
    assert utils.check_sha1(str(f), digest) and not utils.check_sha1(str(f), "0" * 40)
    assert utils.download("http://example.com/w.params", path=str(tmp_path)) == str(f)
    assert utils.download("http://example.com/x", path=str(f), sha1_hash=digest) == str(f)
    with pytest.raises(OSError, match="never downloads.*does not exist"):
        utils.download("http://example.com/missing.bin", path=str(tmp_path))
    with pytest.raises(OSError, match="SHA-1 does not match"):
        utils.download("http://example.com/w.params", path=str(tmp_path), sha1_hash="0" * 40)
    with pytest.raises(OSError, match="overwrite=True"):
        utils.download("http://example.com/w.params", path=str(tmp_path), overwrite=True)


def test_misc_helpers():
    assert utils.shape_is_known((2, 3)) and not utils.shape_is_known((0, 3)) and not utils.shape_is_known(None)
    assert utils._brief_print_list(range(10)) == "'0', '1', '2', ..., '6', '7', '8', '9'"  # MXNet's slicing
