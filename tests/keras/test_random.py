"""keras.random: seed semantics (int seeds stateless, SeedGenerator streams, None from unidl's
default generator), shapes and dtypes, and loose moments of the distributions."""
from __future__ import annotations

import numpy as np
import pytest

import unidl
import unidl_keras as keras

R = keras.random


def _np(x):
    return np.asarray(keras.ops.convert_to_numpy(x))


def test_int_seed_is_deterministic_and_stateless():
    a = _np(R.normal((5,), seed=7))
    b = _np(R.normal((5,), seed=7))
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, _np(R.normal((5,), seed=8)))


def test_seed_generator_advances_and_is_reproducible():
    g1, g2 = R.SeedGenerator(42), R.SeedGenerator(42)
    a1, a2 = _np(R.uniform((4,), seed=g1)), _np(R.uniform((4,), seed=g1))
    assert not np.array_equal(a1, a2)
    np.testing.assert_array_equal(a1, _np(R.uniform((4,), seed=g2)))
    np.testing.assert_array_equal(a2, _np(R.uniform((4,), seed=g2)))
    assert g1.get_config() == {"seed": 42}


def test_none_seed_uses_unidl_default_generator():
    unidl.random.seed(3)
    a = _np(R.normal((4,)))
    unidl.random.seed(3)
    np.testing.assert_array_equal(a, _np(R.normal((4,))))


def test_invalid_seed_raises():
    with pytest.raises(ValueError):
        R.uniform((2,), seed=1.5)


def test_shapes_dtypes_and_moments():
    n = R.normal((20000,), mean=2.0, stddev=3.0, seed=1)
    assert n.dtype == np.float32 and n.shape == (20000,)
    a = _np(n)
    assert abs(a.mean() - 2.0) < 0.1 and abs(a.std() - 3.0) < 0.1
    u = _np(R.uniform((20000,), minval=-1.0, maxval=3.0, seed=2))
    assert u.min() >= -1.0 and u.max() < 3.0 and abs(u.mean() - 1.0) < 0.05
    t = _np(R.truncated_normal((20000,), stddev=1.0, seed=3))
    assert np.abs(t).max() <= 2.0 and 0.8 < t.std() < 0.9  # std of a N(0,1) truncated at 2 sigma: 0.88
    r = R.randint((1000,), 3, 7, seed=4)
    assert r.dtype == np.int32
    assert set(np.unique(_np(r))) == {3, 4, 5, 6}
    assert R.normal((2, 3), dtype="float64", seed=0).dtype == np.float64


def test_dropout_scales_survivors_and_drops_about_rate():
    x = np.ones((100, 100), np.float32)
    y = _np(R.dropout(x, 0.25, seed=5))
    assert set(np.unique(y)) <= {0.0, np.float32(1 / 0.75)}
    assert abs((y == 0).mean() - 0.25) < 0.03
    col = _np(R.dropout(x, 0.5, noise_shape=(1, None), seed=6))
    assert (col == col[0]).all()  # one mask shared over axis 0


def test_shuffle_is_a_permutation():
    x = np.arange(10)
    y = _np(R.shuffle(x, seed=9))
    assert sorted(y.tolist()) == list(range(10)) and not np.array_equal(y, x)


def test_categorical_follows_logits():
    logits = np.log(np.array([[0.7, 0.2, 0.1], [0.0001, 0.0001, 0.9998]], np.float32))
    s = _np(R.categorical(logits, 4000, seed=11))
    assert s.shape == (2, 4000) and s.dtype == np.int32
    freq = np.bincount(s[0], minlength=3) / 4000
    np.testing.assert_allclose(freq, [0.7, 0.2, 0.1], atol=0.03)
    assert (s[1] == 2).mean() > 0.99


def test_binomial_mean():
    b = _np(R.binomial((5000,), counts=10, probabilities=0.3, seed=2))
    assert b.min() >= 0 and b.max() <= 10 and abs(b.mean() - 3.0) < 0.1
