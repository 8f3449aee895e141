"""Deterministic random numbers (Philox4x32-10) and dropout."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import unidl
import unidl.random as ur
from unidl.ops.random import random_bits, randint_rounds
from unidl.testing import assert_grad_close
from unidl.testing.strategies import shapes

M32 = 0xFFFFFFFF

# Published Random123 known-answer vectors (kat_vectors, "philox4x32 10"): counter words, key words, output.
KAT = [
    ((0x00000000, 0x00000000, 0x00000000, 0x00000000), (0x00000000, 0x00000000),
     (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
    ((0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF), (0xFFFFFFFF, 0xFFFFFFFF),
     (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
    ((0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344), (0xA4093822, 0x299F31D0),
     (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1)),
]


def ref_philox(key, counter):
    """Philox4x32-10 of one 128-bit counter, written from the Random123 paper's description."""
    c = [(counter >> (32 * i)) & M32 for i in range(4)]
    k = [key[0] & M32, key[1] & M32]
    for r in range(10):
        if r:
            k = [(k[0] + 0x9E3779B9) & M32, (k[1] + 0xBB67AE85) & M32]
        hi0, lo0 = divmod(0xD2511F53 * c[0], 1 << 32)
        hi1, lo1 = divmod(0xCD9E8D57 * c[2], 1 << 32)
        c = [hi1 ^ c[1] ^ k[0], lo1, hi0 ^ c[3] ^ k[1], lo0]
    return c


def ref_words(key, counter, n):
    nb = (n + 3) // 4
    w = [x for i in range(nb) for x in ref_philox(key, (counter + i) % (1 << 128))]
    return np.array(w[:n], dtype=np.uint32)


def ctr128(words):
    return sum(int(w) << (32 * i) for i, w in enumerate(words))


# -- the generator core ------------------------------------------------------------------------
@pytest.mark.parametrize("ctr,key,want", KAT)
def test_philox_known_answers(ctr, key, want):
    c = ctr128(ctr)
    # one block (small-draw path) and the first block of a long draw (vectorised path)
    assert random_bits((4,), key, c).numpy().tolist() == list(want)
    assert random_bits((4 * 40,), key, c).numpy()[:4].tolist() == list(want)
    assert ref_philox(key, c) == list(want)


@given(k0=st.integers(0, M32), k1=st.integers(0, M32),
       counter=st.one_of(st.integers(0, (1 << 128) - 1),
                         st.integers(-40, 0).map(lambda d: ((1 << 64) + d) % (1 << 128)),
                         st.integers(-40, 0).map(lambda d: ((1 << 128) + d) % (1 << 128))),
       n=st.sampled_from([0, 1, 3, 4, 5, 16, 17, 100, 163]))
@settings(max_examples=30)
def test_bits_match_reference(k0, k1, counter, n):
    """Vectorised words equal a scalar reference, including 64- and 128-bit counter carries."""
    got = random_bits((n,), (k0, k1), counter).numpy()
    assert got.dtype == np.uint32
    np.testing.assert_array_equal(got, ref_words((k0, k1), counter, n))


def test_bits_chunked_long_draw():
    # longer than one host chunk (2**14 blocks), crossing the 64-bit carry inside the draw
    c = (1 << 64) - (1 << 14) - 7
    got = random_bits((4 * ((1 << 14) + 20),), (3, 9), c).numpy().reshape(-1, 4)
    for i in (0, 1, (1 << 14) - 1, (1 << 14) + 6, (1 << 14) + 7, (1 << 14) + 19):
        assert got[i].tolist() == ref_philox((3, 9), c + i)


def test_uint64_bits_join_pairs():
    w = random_bits((8,), (1, 2), 5).numpy().astype(np.uint64)
    b = random_bits((4,), (1, 2), 5, dtype=np.uint64).numpy()
    np.testing.assert_array_equal(b, (w[0::2] << np.uint64(32)) | w[1::2])


def test_generator_key_and_stream_layout():
    g = ur.Generator(seed=(7 << 32) | 5, stream=3)
    assert g.key == (5, 7) and g.counter == 3 << 64
    got = g.bits((6,)).numpy()
    np.testing.assert_array_equal(got, ref_words((5, 7), 3 << 64, 6))
    assert g.counter == (3 << 64) + 2


def test_same_seed_same_values_different_seed_or_stream_differs():
    def draw(g):
        return [g.uniform(shape=(7,)).numpy(), g.normal(shape=(3, 2), dtype="float64").numpy(),
                g.randint(0, 100, (5,)).numpy(), g.bernoulli(0.5, (9,)).numpy(), g.permutation(11).numpy()]

    a, b = draw(ur.Generator(123)), draw(ur.Generator(123))
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    c, d = draw(ur.Generator(124)), draw(ur.Generator(123, stream=1))
    assert not np.array_equal(a[0], c[0]) and not np.array_equal(a[0], d[0])
    assert not np.array_equal(a[1], c[1])


def test_state_save_restore():
    g = ur.Generator(99, stream=2)
    g.uniform(shape=(10,))
    st_ = g.get_state()
    assert st_ == {"algorithm": "philox4x32-10", "seed": 99, "stream": 2, "counter": (2 << 64) + 3}
    x = g.normal(shape=(4, 3)).numpy()
    y = g.randint(5, shape=(6,)).numpy()
    g.uniform(shape=(100,))
    g.set_state(st_)
    np.testing.assert_array_equal(g.normal(shape=(4, 3)).numpy(), x)
    np.testing.assert_array_equal(g.randint(5, shape=(6,)).numpy(), y)
    h = ur.Generator(0).set_state(st_)
    np.testing.assert_array_equal(h.bits((3,)).numpy(), g.clone().set_state(st_).bits((3,)).numpy())


def test_default_generator_seed_and_state():
    saved = ur.get_state()
    try:
        ur.seed(2024)
        a = ur.uniform(shape=(5,)).numpy()
        s = ur.get_state()
        b = ur.normal(shape=(5,)).numpy()
        ur.seed(2024)
        np.testing.assert_array_equal(ur.uniform(shape=(5,)).numpy(), a)
        ur.set_state(s)
        np.testing.assert_array_equal(ur.normal(shape=(5,)).numpy(), b)
        np.testing.assert_array_equal(ur.uniform(shape=(5,), generator=ur.Generator(2024)).numpy(), a)
        assert ur.default_generator().seed == 2024
    finally:
        ur.set_state(saved)


def test_negative_and_large_seeds():
    assert ur.Generator(-1).seed == (1 << 64) - 1
    assert ur.Generator((1 << 64) - 1).key == (M32, M32)


@given(shape=shapes(max_dims=3, max_side=6), dtype=st.sampled_from(["float16", "float32", "float64"]))
@settings(max_examples=20)
def test_counter_advances_without_overlap(shape, dtype):
    """Each draw takes the blocks after the previous one: equal to slicing one long word stream."""
    g = ur.Generator(5)
    n = int(np.prod(shape))
    wpv = 2 if dtype == "float64" else 1
    u = g.uniform(shape=shape, dtype=dtype)
    c1 = g.counter
    assert c1 == (n * wpv + 3) // 4
    v = g.bits((3,))
    assert g.counter == c1 + 1
    words = ref_words(g.key, 0, 4 * c1 + 4)
    np.testing.assert_array_equal(v.numpy(), words[4 * c1:4 * c1 + 3])
    assert u.shape == tuple(shape) and u.dtype == np.dtype(dtype)


# -- exact conversions and distributions -------------------------------------------------------
@given(shape=shapes(max_dims=3, max_side=6))
@settings(max_examples=15)
def test_uniform_is_exact_conversion_of_bits(shape):
    g = ur.Generator(11)
    n = int(np.prod(shape))
    w32 = g.clone().bits((n,)).numpy()
    np.testing.assert_array_equal(g.clone().uniform(shape=shape).numpy().ravel(),
                                  (w32 >> 8).astype(np.float64) / 2.0 ** 24)
    np.testing.assert_array_equal(g.clone().uniform(shape=shape, dtype="float16").numpy().ravel(),
                                  (w32 >> 21).astype(np.float64) / 2.0 ** 11)
    w64 = g.clone().bits((n,), dtype=np.uint64).numpy()
    np.testing.assert_array_equal(g.clone().uniform(shape=shape, dtype="float64").numpy().ravel(),
                                  (w64 >> np.uint64(11)).astype(np.float64) / 2.0 ** 53)


def test_uniform_range_and_statistics():
    u = ur.uniform(-2.0, 3.0, (20000,), generator=ur.Generator(1)).numpy()
    assert u.dtype == np.float32 and u.min() >= -2.0 and u.max() < 3.0
    assert abs(u.mean() - 0.5) < 0.06 and abs(u.var() - 25 / 12) < 0.1
    u01 = ur.uniform(shape=(20000,), dtype="float64", generator=ur.Generator(2)).numpy()
    assert 0.0 <= u01.min() and u01.max() < 1.0
    hist = np.histogram(u01, bins=10, range=(0, 1))[0]
    assert hist.min() > 1700 and hist.max() < 2300


@given(shape=shapes(max_dims=3, max_side=5), dtype=st.sampled_from(["float32", "float64"]),
       loc=st.floats(-3, 3), scale=st.floats(0, 3))
@settings(max_examples=15)
def test_normal_is_box_muller_of_uniforms(shape, dtype, loc, scale):
    g = ur.Generator(21)
    n = int(np.prod(shape))
    m = (n + 1) // 2
    u = g.clone().uniform(shape=(2 * m,), dtype=dtype).numpy().astype(np.float64)
    r = np.sqrt(-2 * np.log(1 - u[0::2]))
    z = np.stack([r * np.cos(2 * np.pi * u[1::2]), r * np.sin(2 * np.pi * u[1::2])], -1).ravel()[:n]
    got = g.normal(loc, scale, shape, dtype)
    assert got.shape == tuple(shape) and got.dtype == np.dtype(dtype)
    tol = 1e-5 if dtype == "float32" else 1e-12
    np.testing.assert_allclose(got.numpy().ravel(), loc + scale * z, rtol=tol, atol=tol * (1 + abs(loc) + scale))


def test_normal_statistics():
    z = ur.normal(1.5, 2.0, (40000,), generator=ur.Generator(3)).numpy()
    assert abs(z.mean() - 1.5) < 0.05 and abs(z.std() - 2.0) < 0.05
    assert 0.66 < np.mean(np.abs(z - 1.5) < 2.0) < 0.70  # P(|z| < 1 std) = 0.683
    h = ur.normal(shape=(1000,), dtype="float16", generator=ur.Generator(3)).numpy()
    assert h.dtype == np.float16 and np.isfinite(h).all() and abs(h.std() - 1) < 0.1


def test_truncated_normal():
    g = ur.Generator(4)
    z = g.truncated_normal(0.5, 2.0, (40000,)).numpy()
    assert np.all(np.abs(z - 0.5) <= 4.0 + 1e-5)
    # std of a standard normal truncated to [-2, 2]: sqrt(1 - 4 phi(2) / (2 Phi(2) - 1))
    phi2 = math.exp(-2) / math.sqrt(2 * math.pi)
    sd = math.sqrt(1 - 4 * phi2 / math.erf(2 / math.sqrt(2)))
    assert abs(z.std() - 2.0 * sd) < 0.04 and abs(z.mean() - 0.5) < 0.04
    # uses 8 candidates per value
    g2 = ur.Generator(4)
    g2.truncated_normal(shape=(10,))
    assert g2.counter == 8 * 10 // 4  # float32: one word per candidate
    a = ur.truncated_normal(shape=(3, 4), dtype="float64", generator=ur.Generator(8)).numpy()
    b = ur.truncated_normal(shape=(3, 4), dtype="float64", generator=ur.Generator(8)).numpy()
    np.testing.assert_array_equal(a, b)


@given(shape=shapes(max_dims=3, max_side=6), p=st.floats(0, 1))
@settings(max_examples=15)
def test_bernoulli_matches_bits(shape, p):
    g = ur.Generator(31)
    n = int(np.prod(shape))
    w = g.clone().bits((n,)).numpy().astype(np.float64)
    want = w < math.ceil(p * 2.0 ** 32)
    got = g.bernoulli(p, shape)
    assert got.dtype == np.bool_ and got.shape == tuple(shape)
    np.testing.assert_array_equal(got.numpy().ravel(), want)
    # a tensor p gives the same events
    pt = unidl.tensor(np.full(shape, p, dtype=np.float64))
    np.testing.assert_array_equal(ur.Generator(31).bernoulli(pt).numpy().ravel(), want)


def test_bernoulli_rate_dtype_and_broadcast():
    b = ur.bernoulli(0.3, (20000,), dtype="float32", generator=ur.Generator(5)).numpy()
    assert b.dtype == np.float32 and set(np.unique(b)) <= {0.0, 1.0} and abs(b.mean() - 0.3) < 0.02
    assert ur.bernoulli(0.0, (50,)).numpy().sum() == 0 and ur.bernoulli(1.0, (50,)).numpy().all()
    p = unidl.tensor(np.array([[0.0], [1.0], [0.5]]))
    e = ur.bernoulli(p, (3, 4000), generator=ur.Generator(6)).numpy()
    assert not e[0].any() and e[1].all() and abs(e[2].mean() - 0.5) < 0.04


def test_randint_matches_rejection_reference():
    for lo, hi, dt in [(0, 10, "int64"), (-5, 3, "int8"), (0, 2 ** 40 + 3, "int64"), (-2 ** 63, 2 ** 63 - 1, "int64"),
                       (3, 4, "int32"), (0, 2 ** 63 + 1, "uint64"), (0, 2 ** 64, "uint64")]:
        g = ur.Generator(41)
        k = randint_rounds(lo, hi)
        n = 50
        x = g.clone().bits((k * n,), dtype=np.uint64).numpy().reshape(k, n)
        r = hi - lo
        lim = (1 << 64) - (1 << 64) % r if r < (1 << 64) else 1 << 64
        want = []
        for j in range(n):
            col = [int(v) for v in x[:, j]]
            v = next((c for c in col if c < lim), col[-1])
            want.append(lo + v % r)
        got = g.randint(lo, hi, (n,), dtype=dt)
        assert got.dtype == np.dtype(dt)
        assert got.numpy().tolist() == want
        assert g.counter == (2 * k * n + 3) // 4


def test_randint_rounds():
    assert randint_rounds(0, 8) == 1 and randint_rounds(0, 2 ** 64) == 1
    assert randint_rounds(0, 10) == 2 and randint_rounds(0, 2 ** 32 - 1) == 2
    assert randint_rounds(-2 ** 63, 2 ** 63 - 1) == 2
    assert randint_rounds(0, 2 ** 63 + 1) == 64  # reject probability ~ 1/2 per round


def test_randint_statistics_and_dtypes():
    r = ur.randint(-3, 7, (30000,), generator=ur.Generator(9)).numpy()
    assert r.min() == -3 and r.max() == 6
    counts = np.bincount(r + 3, minlength=10)
    assert counts.min() > 2700 and counts.max() < 3300
    assert ur.randint(5, shape=(100,)).numpy().max() < 5
    u8 = ur.randint(0, 256, (1000,), dtype="uint8", generator=ur.Generator(1)).numpy()
    assert u8.dtype == np.uint8 and u8.max() > 200
    full = ur.randint(0, 2 ** 64, (4,), dtype="uint64").numpy()
    assert full.dtype == np.uint64
    assert ur.randint(3, 4, (0, 2)).shape == (0, 2)


@given(n=st.integers(0, 60))
@settings(max_examples=20)
def test_permutation_is_a_permutation(n):
    p = ur.permutation(n, generator=ur.Generator(n)).numpy()
    assert p.dtype == np.int64 and p.shape == (n,)
    np.testing.assert_array_equal(np.sort(p), np.arange(n))


def test_permutation_is_uniform_enough():
    g = ur.Generator(0)
    first = [int(g.permutation(4).numpy()[0]) for _ in range(2000)]
    counts = np.bincount(first, minlength=4)
    assert counts.min() > 420 and counts.max() < 580
    assert not np.array_equal(ur.permutation(50, generator=ur.Generator(1)).numpy(), np.arange(50))


@given(shape=shapes(min_dims=1, max_dims=3, max_side=4), data=st.data())
@settings(max_examples=15)
def test_shuffle_reorders_one_axis(shape, data):
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    x = np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape)
    g = ur.Generator(17)
    perm = g.clone().permutation(shape[axis]).numpy()
    got = ur.shuffle(unidl.tensor(x), axis, generator=g).numpy()
    np.testing.assert_array_equal(got, np.take(x, perm, axis=axis))
    t = ur.permutation(unidl.tensor(x), generator=ur.Generator(17))
    np.testing.assert_array_equal(t.numpy(), np.take(x, ur.Generator(17).permutation(shape[0]).numpy(), axis=0))


def test_shuffle_gradient():
    x = np.random.default_rng(0).standard_normal((4, 3))
    for axis in (0, 1, -1):
        assert_grad_close(lambda t: ur.shuffle(t, axis, generator=ur.Generator(3)), x)


def test_draws_are_not_recorded():
    with unidl.record():
        for t in (ur.uniform(shape=(3,)), ur.normal(shape=(3,)), ur.bernoulli(0.5, (3,))):
            assert not t.requires_grad and t._node is None


# -- dropout -------------------------------------------------------------------------------------
def test_dropout_identity_cases():
    x = unidl.tensor(np.ones((3, 4), np.float32))
    assert unidl.ops.dropout(x, 0.5) is x  # not training (default outside record)
    assert unidl.ops.dropout(x, 0.5, training=False) is x
    assert unidl.ops.dropout(x, 0.0, training=True) is x
    with unidl.record(train_mode=False):
        assert unidl.ops.dropout(x, 0.5) is x
    z = unidl.ops.dropout(x, 1.0, training=True)
    assert z.shape == x.shape and z.dtype == x.dtype and not z.numpy().any()


@given(shape=shapes(max_dims=3, max_side=6), p=st.floats(0.01, 0.99),
       dtype=st.sampled_from(["float16", "float32", "float64"]))
@settings(max_examples=15)
def test_dropout_mask_matches_bits_and_scales(shape, p, dtype):
    x = np.random.default_rng(1).uniform(1, 2, shape).astype(dtype)
    g = ur.Generator(77)
    w = g.clone().bits((x.size,)).numpy().astype(np.float64).reshape(shape)
    keep = w >= math.ceil(p * 2.0 ** 32)
    want = np.where(keep, x * np.asarray(1.0 / (1.0 - p), dtype=dtype), 0).astype(dtype)
    got = unidl.ops.dropout(unidl.tensor(x), p, training=True, generator=g)
    assert got.dtype == np.dtype(dtype) and got.shape == tuple(shape)
    np.testing.assert_array_equal(got.numpy(), want)


def test_dropout_rate_and_expectation():
    x = unidl.tensor(np.ones((200, 100), np.float32))
    y = unidl.ops.dropout(x, 0.3, training=True, generator=ur.Generator(2)).numpy()
    kept = y != 0
    assert abs(kept.mean() - 0.7) < 0.02
    np.testing.assert_allclose(y[kept], 1 / 0.7, rtol=1e-6)
    assert abs(y.mean() - 1.0) < 0.03


def test_dropout_same_seed_same_mask_and_advances():
    x = unidl.tensor(np.ones((8, 9), np.float32))
    g1, g2 = ur.Generator(5), ur.Generator(5)
    a1 = unidl.ops.dropout(x, 0.5, training=True, generator=g1).numpy()
    a2 = unidl.ops.dropout(x, 0.5, training=True, generator=g2).numpy()
    np.testing.assert_array_equal(a1, a2)
    b1 = unidl.ops.dropout(x, 0.5, training=True, generator=g1).numpy()
    assert not np.array_equal(a1, b1)  # the counter moved on
    assert g1.counter == 2 * math.ceil(72 / 4)
    saved = ur.get_state()
    try:
        ur.seed(5)
        with unidl.record():  # training from the recording scope, default generator
            np.testing.assert_array_equal(unidl.ops.dropout(x, 0.5).numpy(), a1)
    finally:
        ur.set_state(saved)


def test_dropout_noise_shape():
    x = unidl.tensor(np.ones((6, 5, 4), np.float32))
    y = unidl.ops.dropout(x, 0.5, training=True, generator=ur.Generator(1), noise_shape=(6, 1, 4)).numpy()
    assert (y == y[:, :1, :]).all()
    with pytest.raises(unidl.OpError, match=r"dropout.*\(6, 5, 4\)"):
        unidl.ops.dropout(x, 0.5, training=True, noise_shape=(6, 2, 4))


@given(p=st.sampled_from([0.2, 0.5, 0.9]), shape=st.sampled_from([(5,), (2, 3), (1, 4, 1), (0, 3)]))
@settings(max_examples=8)
def test_dropout_gradient(p, shape):
    x = np.random.default_rng(2).standard_normal(shape)
    assert_grad_close(lambda t: unidl.ops.dropout(t, p, training=True, generator=ur.Generator(9)), x)
    # and the gradient is exactly g * mask / (1 - p)
    t = unidl.tensor(x, requires_grad=True)
    with unidl.record():
        y = unidl.ops.dropout(t, p, generator=ur.Generator(9))
    g = np.random.default_rng(3).standard_normal(shape)
    y.backward(unidl.tensor(g))
    mask = (y.numpy() != 0) if x.size else np.zeros(shape, bool)
    np.testing.assert_allclose(t.grad.numpy(), np.where(mask, g / (1 - p), 0), rtol=1e-12)


def test_dropout_p1_gradient_is_zero():
    assert_grad_close(lambda t: unidl.ops.dropout(t, 1.0, training=True), np.ones((2, 3)))


# -- errors --------------------------------------------------------------------------------------
def test_errors_name_op_and_shapes():
    x = unidl.tensor(np.ones((2, 3), np.float32))
    with pytest.raises(unidl.OpError, match=r"dropout: p must be in \[0, 1\].*\(2, 3\)"):
        unidl.ops.dropout(x, 1.5, training=True)
    with pytest.raises(unidl.OpError, match=r"dropout.*floating.*\(2, 3\)"):
        unidl.ops.dropout(unidl.tensor(np.ones((2, 3), np.int64)), 0.5, training=True)
    with pytest.raises(unidl.OpError, match=r"uniform: dtype.*\(4,\)"):
        ur.uniform(shape=(4,), dtype="int32")
    with pytest.raises(unidl.OpError, match=r"uniform: expected low <= high.*\(3,\)"):
        ur.uniform(2.0, 1.0, (3,))
    with pytest.raises(unidl.OpError, match=r"normal: scale must be >= 0.*\(2, 2\)"):
        ur.normal(0.0, -1.0, (2, 2))
    with pytest.raises(unidl.OpError, match=r"uniform: shape must have non-negative sizes.*\(2, -1\)"):
        ur.uniform(shape=(2, -1))
    with pytest.raises(unidl.OpError, match=r"randint: empty range.*\(5,\)"):
        ur.randint(3, 3, (5,))
    with pytest.raises(unidl.OpError, match=r"randint: \[0, 300\) does not fit in uint8"):
        ur.randint(0, 300, (2,), dtype="uint8")
    with pytest.raises(unidl.OpError, match="randint: dtype"):
        ur.randint(0, 3, (2,), dtype="float32")
    with pytest.raises(unidl.OpError, match=r"bernoulli: p must be in \[0, 1\].*\(3,\)"):
        ur.bernoulli(1.5, (3,))
    with pytest.raises(unidl.OpError, match=r"bernoulli: p of shape \(2,\) does not broadcast.*\(2,\)"):
        ur.bernoulli(unidl.tensor(np.array([0.1, 0.2])), (3,))
    with pytest.raises(unidl.OpError, match="permutation: n must be >= 0"):
        ur.permutation(-1)
    with pytest.raises(unidl.OpError, match=r"shuffle: axis 2 out of range.*\(2, 3\)"):
        ur.shuffle(x, 2)
    with pytest.raises(unidl.OpError, match="Generator: seed"):
        ur.Generator(2 ** 64)
    with pytest.raises(unidl.OpError, match="set_state"):
        ur.Generator(0).set_state({"seed": 1})
    with pytest.raises(unidl.OpError, match="random_bits: dtype"):
        random_bits((2,), (0, 0), 0, dtype=np.int32)
