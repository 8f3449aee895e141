"""``mx.nd.random`` / ``mx.random``: shapes, dtypes, ranges, moments and seeding (MXNet's own draws are
not reproduced: unidl has one counter-based generator shared with the Keras frontend)."""
from __future__ import annotations

import numpy as np
import pytest

import unidl_mxnet as mx
from unidl_mxnet import autograd, nd


def test_shapes_and_dtypes_follow_mxnet_defaults():
    assert nd.random.uniform(shape=(2, 3)).shape == (2, 3)
    assert nd.random.uniform().shape == (1,)
    assert nd.random.normal(shape=4).dtype == np.float32
    assert nd.random.randint(0, 5, shape=(3,)).dtype == np.int32
    assert nd.random.randn(2, 3).shape == (2, 3)
    assert nd.random.exponential(shape=(2,)).dtype == np.float32
    assert nd.random.multinomial(nd.array([0.5, 0.5])).dtype == np.int32


def test_moments_and_ranges():
    mx.random.seed(7)
    u = nd.random.uniform(-2, 3, shape=(20000,)).asnumpy()
    assert u.min() >= -2 and u.max() < 3 and abs(u.mean() - 0.5) < 0.05
    n = nd.random.normal(1.0, 2.0, shape=(20000,)).asnumpy()
    assert abs(n.mean() - 1.0) < 0.05 and abs(n.std() - 2.0) < 0.05
    e = nd.random.exponential(scale=2.0, shape=(20000,)).asnumpy()
    assert e.min() >= 0 and abs(e.mean() - 2.0) < 0.08
    r = nd.random.randint(-3, 4, shape=(5000,)).asnumpy()
    assert r.min() == -3 and r.max() == 3


def test_multinomial_frequencies_and_get_prob():
    mx.random.seed(1)
    probs = nd.array([[0.1, 0.6, 0.3], [1.0, 0.0, 0.0]])
    s = nd.random.multinomial(probs, shape=4000).asnumpy()
    assert s.shape == (2, 4000)
    np.testing.assert_allclose(np.bincount(s[0], minlength=3) / 4000, [0.1, 0.6, 0.3], atol=0.03)
    assert (s[1] == 0).all()
    draws, logp = nd.random.multinomial(probs, get_prob=True)
    np.testing.assert_allclose(logp.asnumpy(), np.log(probs.asnumpy()[[0, 1], draws.asnumpy()]), rtol=1e-6)


def test_seed_reproduces_and_shuffle_permutes():
    mx.random.seed(3)
    a = nd.random.exponential(shape=(5,)).asnumpy()
    mx.random.seed(3)
    np.testing.assert_array_equal(nd.random.exponential(shape=(5,)).asnumpy(), a)
    x = nd.arange(10).reshape((5, 2))
    y = nd.random.shuffle(x).asnumpy()
    assert sorted(map(tuple, y)) == sorted(map(tuple, x.asnumpy()))


def test_bad_input_is_a_clear_error():
    with pytest.raises(mx.MXNetError, match="exponential"):
        nd.random.exponential(scale=0.0)
    with pytest.raises(mx.MXNetError, match="multinomial"):
        nd.random.multinomial(nd.array(np.zeros((2, 0), np.float32)))
