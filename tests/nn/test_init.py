"""unidl.nn.init: fans in both layouts, exact scaling formulas, draw statistics, orthogonality,
reproducibility. Reference formulas are written out here in NumPy."""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import unidl
from unidl.nn import init

TRUNC_STD = 0.87962566103423978  # std of N(0,1) truncated to (-2, 2)


def gen(seed: int = 0) -> unidl.random.Generator:
    return unidl.random.Generator(seed)


# -- fans ------------------------------------------------------------------------------------------

dims = st.integers(1, 6)


@given(k=st.lists(dims, min_size=0, max_size=3), cin=dims, cout=dims)
def test_fans_keras_and_mxnet_agree_on_the_same_layer(k, cin, cout):
    rf = int(np.prod(k)) if k else 1
    keras_shape = tuple(k) + (cin, cout)        # Dense (in, out) / conv (*k, in, out)
    mx_shape = (cout, cin) + tuple(k)           # Dense (out, in) / conv (out, in, *k)
    assert init.compute_fans(keras_shape, "keras") == (cin * rf, cout * rf)
    assert init.compute_fans(mx_shape, "mxnet") == (cin * rf, cout * rf)


def test_fans_small_shapes():
    assert init.compute_fans((), "keras") == (1, 1)
    assert init.compute_fans((7,), "keras") == (7, 7)
    assert init.compute_fans(5) == (5, 5)
    for shp in [(), (7,)]:
        with pytest.raises(ValueError):
            init.compute_fans(shp, "mxnet")
    with pytest.raises(ValueError):
        init.compute_fans((2, 3), "torch")


# -- deterministic ---------------------------------------------------------------------------------

def test_constant_family():
    np.testing.assert_array_equal(init.zeros((2, 3)).numpy(), np.zeros((2, 3), np.float32))
    np.testing.assert_array_equal(init.ones(4, dtype="float64").numpy(), np.ones(4))
    assert init.zeros((2,)).dtype == np.float32
    np.testing.assert_array_equal(init.constant((2, 2), 0.5).numpy(), np.full((2, 2), 0.5, np.float32))
    np.testing.assert_array_equal(init.constant((2, 3), [1, 2, 3]).numpy(),
                                  np.broadcast_to(np.float32([1, 2, 3]), (2, 3)))
    v = unidl.tensor(np.float32([[1], [2]]))
    out = init.constant((2, 3), v)
    np.testing.assert_array_equal(out.numpy(), np.repeat(np.float32([[1], [2]]), 3, axis=1))


def test_identity_and_eye():
    np.testing.assert_array_equal(init.identity((3, 5), gain=2.0).numpy(), 2 * np.eye(3, 5, dtype=np.float32))
    np.testing.assert_array_equal(init.eye(4, 3, k=-1).numpy(), np.eye(4, 3, -1, dtype=np.float32))
    with pytest.raises(ValueError):
        init.identity((2, 2, 2))


# -- random: statistics ----------------------------------------------------------------------------

N = 200_000


def test_uniform_stats():
    x = init.uniform((N,), -0.3, 0.7, generator=gen(1)).numpy().astype(np.float64)
    assert x.min() >= -0.3 and x.max() <= 0.7
    assert abs(x.mean() - 0.2) < 0.01
    assert abs(x.std() - 1.0 / math.sqrt(12)) < 0.01


def test_normal_stats():
    x = init.normal((N,), 1.5, 0.2, dtype="float64", generator=gen(2)).numpy()
    assert x.dtype == np.float64
    assert abs(x.mean() - 1.5) < 0.005 and abs(x.std() - 0.2) < 0.005


def test_truncated_normal_stats():
    x = init.truncated_normal((N,), -1.0, 0.5, generator=gen(3)).numpy().astype(np.float64)
    assert x.min() >= -1.0 - 2 * 0.5 - 1e-6 and x.max() <= -1.0 + 2 * 0.5 + 1e-6
    assert abs(x.mean() + 1.0) < 0.005
    assert abs(x.std() - 0.5 * TRUNC_STD) < 0.005


@pytest.mark.parametrize("mode", ["fan_in", "fan_out", "fan_avg"])
@pytest.mark.parametrize("dist", ["truncated_normal", "untruncated_normal", "uniform"])
def test_variance_scaling_hits_the_variance(mode, dist):
    fan_in, fan_out, scale = 300, 120, 2.0
    n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[mode]
    want_std = math.sqrt(scale / n)
    x = init.variance_scaling((N,), scale, mode, dist, fan_in=fan_in, fan_out=fan_out,
                              generator=gen(4)).numpy().astype(np.float64)
    assert abs(x.mean()) < 0.01 * want_std * 10
    assert abs(x.std() / want_std - 1) < 0.02
    if dist == "uniform":
        assert np.abs(x).max() <= math.sqrt(3 * scale / n) * (1 + 1e-6)
    if dist == "truncated_normal":
        assert np.abs(x).max() <= 2 * want_std / TRUNC_STD * (1 + 1e-6)


def test_variance_scaling_exact_parameters():
    """Same generator state: variance_scaling is exactly the underlying draw with Keras's numbers."""
    fi, fo = 50, 30
    g = gen(5)
    s = 3.0 / max(1.0, (fi + fo) / 2.0)
    a = init.variance_scaling((7, 9), 3.0, "fan_avg", "truncated_normal", fan_in=fi, fan_out=fo, generator=g.clone())
    b = init.truncated_normal((7, 9), 0.0, math.sqrt(s) / TRUNC_STD, generator=g.clone())
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    a = init.variance_scaling((7, 9), 3.0, "fan_in", "uniform", fan_in=fi, generator=g.clone())
    lim = math.sqrt(3.0 * 3.0 / fi)
    b = init.uniform((7, 9), -lim, lim, generator=g.clone())
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    # max(1, n) guard: a fan below 1 acts as 1
    a = init.variance_scaling((5,), 1.0, "fan_in", "untruncated_normal", fan_in=0, generator=g.clone())
    b = init.normal((5,), 0.0, 1.0, generator=g.clone())
    np.testing.assert_array_equal(a.numpy(), b.numpy())


@pytest.mark.parametrize("name,scale,mode,dist", [
    ("glorot_uniform", 1.0, "fan_avg", "uniform"), ("glorot_normal", 1.0, "fan_avg", "truncated_normal"),
    ("he_uniform", 2.0, "fan_in", "uniform"), ("he_normal", 2.0, "fan_in", "truncated_normal"),
    ("lecun_uniform", 1.0, "fan_in", "uniform"), ("lecun_normal", 1.0, "fan_in", "truncated_normal")])
def test_named_variance_scalings(name, scale, mode, dist):
    shape = (3, 3, 8, 16)
    fi, fo = init.compute_fans(shape)
    g = gen(6)
    kw = {"fan_in": fi, "fan_out": fo} if name.startswith("glorot") else {"fan_in": fi}
    a = getattr(init, name)(shape, generator=g.clone(), **kw)
    b = init.variance_scaling(shape, scale, mode, dist, fan_in=fi, fan_out=fo, generator=g.clone())
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert a.shape == shape and a.dtype == np.float32


def test_missing_fan_is_an_error():
    with pytest.raises(ValueError, match="fan_out"):
        init.variance_scaling((3, 4), mode="fan_avg", fan_in=3)
    with pytest.raises(ValueError):
        init.variance_scaling((3, 4), mode="fan_sum", fan_in=3)


@pytest.mark.parametrize("factor_type", ["avg", "in", "out"])
def test_xavier(factor_type):
    shape = (64, 32, 3, 3)                       # MXNet conv (out, in, kh, kw)
    fi, fo = init.compute_fans(shape, "mxnet")
    assert (fi, fo) == (32 * 9, 64 * 9)
    factor = {"avg": (fi + fo) / 2.0, "in": fi, "out": fo}[factor_type]
    s = math.sqrt(3.0 / factor)
    g = gen(7)
    x = init.xavier(shape, "uniform", factor_type, 3.0, fan_in=fi, fan_out=fo, generator=g.clone())
    np.testing.assert_array_equal(x.numpy(), init.uniform(shape, -s, s, generator=g.clone()).numpy())
    xn = x.numpy().astype(np.float64)
    assert np.abs(xn).max() <= s and abs(xn.std() / (s / math.sqrt(3)) - 1) < 0.03
    s2 = math.sqrt(2.0 / factor)
    y = init.xavier(shape, "gaussian", factor_type, 2.0, fan_in=fi, fan_out=fo, generator=g.clone())
    np.testing.assert_array_equal(y.numpy(), init.normal(shape, 0.0, s2, generator=g.clone()).numpy())
    with pytest.raises(ValueError):
        init.xavier(shape, "normal", factor_type, fan_in=fi, fan_out=fo)


def test_msra_prelu():
    fi, fo = 100, 40
    g = gen(8)
    slope = 0.25
    a = init.msra_prelu((200, 100), "in", slope, fan_in=fi, fan_out=fo, generator=g.clone())
    std = math.sqrt(2.0 / (1 + slope ** 2) / fi)
    np.testing.assert_array_equal(a.numpy(), init.normal((200, 100), 0.0, std, generator=g.clone()).numpy())
    assert abs(a.numpy().astype(np.float64).std() / std - 1) < 0.02


# -- orthogonal ------------------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(6, 6), (10, 4), (4, 10), (3, 3, 2, 5), (2, 3, 40)])
def test_orthogonal(shape):
    g = gen(9)
    gain = 1.7
    w = init.orthogonal(shape, gain, dtype="float64", generator=g.clone()).numpy()
    assert w.shape == shape
    rows, cols = int(np.prod(shape[:-1])), shape[-1]
    m = w.reshape(rows, cols) / gain
    if rows >= cols:
        np.testing.assert_allclose(m.T @ m, np.eye(cols), atol=1e-10)
    else:
        np.testing.assert_allclose(m @ m.T, np.eye(rows), atol=1e-10)
    # the sign-corrected QR of the same normal draw, written out here
    a = init.normal((max(rows, cols), min(rows, cols)), 0.0, 1.0, dtype="float64", generator=g.clone()).numpy()
    q, r = np.linalg.qr(a)
    q = q @ np.diag(np.sign(np.diag(r)))
    want = (q.T if rows < cols else q).reshape(shape) * gain
    np.testing.assert_allclose(w, want, rtol=1e-12, atol=1e-12)
    # sign correction: Q^T A has a positive diagonal
    assert np.all(np.diag(q.T @ a) > 0)


def test_orthogonal_needs_2d():
    with pytest.raises(ValueError):
        init.orthogonal((5,))


# -- reproducibility -------------------------------------------------------------------------------

RANDOM = [
    lambda g: init.uniform((4, 5), -1, 1, generator=g),
    lambda g: init.normal((4, 5), 0, 1, generator=g),
    lambda g: init.truncated_normal((4, 5), 0, 1, generator=g),
    lambda g: init.glorot_uniform((4, 5), fan_in=4, fan_out=5, generator=g),
    lambda g: init.he_normal((4, 5), fan_in=4, generator=g),
    lambda g: init.orthogonal((4, 5), generator=g),
    lambda g: init.xavier((4, 5), fan_in=5, fan_out=4, generator=g),
]


@pytest.mark.parametrize("i", range(len(RANDOM)))
def test_reproducible(i):
    f = RANDOM[i]
    a, b = f(gen(42)).numpy(), f(gen(42)).numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, f(gen(43)).numpy())
    g = gen(42)
    f(g)
    assert not np.array_equal(a, f(g).numpy())  # the generator advanced


def test_default_generator_and_device():
    unidl.random.seed(123)
    a = init.glorot_normal((3, 4), fan_in=3, fan_out=4).numpy()
    unidl.random.seed(123)
    b = init.glorot_normal((3, 4), fan_in=3, fan_out=4, device="cpu")
    assert str(b.device).startswith("cpu")
    np.testing.assert_array_equal(a, b.numpy())


@pytest.mark.gpu
def test_same_values_on_gpu():
    a = init.glorot_uniform((16, 8), fan_in=16, fan_out=8, device="cpu", generator=gen(5)).numpy()
    b = init.glorot_uniform((16, 8), fan_in=16, fan_out=8, device="cuda", generator=gen(5)).numpy()
    np.testing.assert_array_equal(a, b)
    c = init.orthogonal((16, 8), device="cpu", generator=gen(5)).numpy()
    d = init.orthogonal((16, 8), device="cuda", generator=gen(5)).numpy()
    np.testing.assert_allclose(c, d, atol=1e-5)
