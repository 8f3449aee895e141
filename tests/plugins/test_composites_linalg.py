"""The composites of unidl/ops/composite_linalg.py beyond the conformance cases: einsum's other subscript forms,
long FFTs (four-step and Bluestein), singular matrices, large random draws and the sorted segment path, each
run on the cpu and on the example device (only the primitive tier native) against NumPy or the reference
kernels."""
from __future__ import annotations

import numpy as np
import pytest

from unidl.devices import DEVICES
from unidl.kernels import OPS, namespace
from unidl.plugins import ensure_loaded
from unidl.xpkernels import random as xp_random, special as xp_special

import unidl.ops.composite_linalg as cl

DEVICES_UNDER_TEST = ("cpu", "example")


@pytest.fixture(autouse=True, scope="module")
def _plugins():
    ensure_loaded()


def run(op, device, *arrays, **attrs):
    """Op ``op``'s composite on ``device``: the arrays moved there, the results brought back."""
    kind = DEVICES.types[device]
    out = OPS[op].composite(namespace(device), *[kind.from_host(a, 0) for a in arrays], **attrs)
    if isinstance(out, tuple):
        return tuple(np.asarray(kind.to_host(o)) for o in out)
    return np.asarray(kind.to_host(out))


def same_bits(a, b):
    def raw(x):
        return np.ascontiguousarray(x).reshape(-1).view(np.uint8)

    return a.dtype == b.dtype and a.shape == b.shape and np.array_equal(raw(a), raw(b))


@pytest.mark.parametrize("device", DEVICES_UNDER_TEST)
@pytest.mark.parametrize("subscripts,shapes", [
    ("ii->i", [(3, 3)]), ("ii", [(3, 3)]), ("ij,jk", [(2, 3), (3, 4)]), ("ba", [(2, 3)]),
    ("...ij,...jk->...ik", [(5, 2, 3), (3, 4)]), ("i...,i", [(3, 2), (3,)]), ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 5)]),
    ("iij,jk->ik", [(3, 3, 2), (2, 4)]), ("ij,j->ij", [(2, 1), (3,)]), ("abc,cd,ad->b", [(2, 3, 4), (4, 5), (2, 5)]),
    (",->", [(), ()]), ("ij,jk->ik", [(2, 0), (0, 4)])])
def test_einsum_forms_match_numpy(device, subscripts, shapes):
    rng = np.random.default_rng(0)
    ints = [rng.integers(-3, 4, s).astype(np.int32) for s in shapes]
    assert same_bits(run("einsum", device, *ints, subscripts=subscripts), np.asarray(np.einsum(subscripts, *ints)))
    flags = [rng.random(s) < 0.5 for s in shapes]
    assert same_bits(run("einsum", device, *flags, subscripts=subscripts), np.asarray(np.einsum(subscripts, *flags)))
    floats = [rng.standard_normal(s) for s in shapes]
    np.testing.assert_allclose(run("einsum", device, *floats, subscripts=subscripts), np.einsum(subscripts, *floats),
                               rtol=1e-12, atol=1e-12)


def test_int_einsum_is_exact_for_long_contractions():
    rng = np.random.default_rng(1)
    a, b = rng.integers(-128, 128, (3, 4, 2000), dtype=np.int8), rng.integers(-128, 128, (2000, 5), dtype=np.int8)
    want = np.einsum("btd,df->btf", a.astype(np.int64), b.astype(np.int64)).astype(np.int32)
    assert same_bits(run("int_einsum", "example", a, b, subscripts="btd,df->btf"), want)
    assert same_bits(run("int_matmul", "example", a, b), want)


@pytest.mark.parametrize("device", DEVICES_UNDER_TEST)
@pytest.mark.parametrize("shape,axes", [((1000,), (0,)), ((3, 300), (1,)), ((2, 1024), (1,)), ((1009,), (0,)),
                                        ((2, 802), (1,)), ((300, 3), (0, 1))])
def test_long_ffts_match_numpy(device, shape, axes):
    """Lengths over the direct limit: four-step splits (1000, 300, 1024), Bluestein (1009 prime, 802 = 2 * 401)."""
    rng = np.random.default_rng(2)
    re, im = rng.standard_normal(shape), rng.standard_normal(shape)
    for inverse in (False, True):
        c = re + 1j * im
        want = np.fft.ifftn(c, axes=axes) if inverse else np.fft.fftn(c, axes=axes)
        got = run("fft", device, re, im, axes=axes, inverse=inverse)
        np.testing.assert_allclose(got, np.stack([want.real, want.imag]), rtol=1e-12, atol=1e-11)
    x = re.reshape(-1)[:shape[-1]]
    for n in (shape[-1], 600, 1009):
        w = np.fft.rfft(x, n=n)
        np.testing.assert_allclose(run("rfft", device, x, n=n), np.stack([w.real, w.imag]), rtol=1e-12, atol=1e-11)
        np.testing.assert_allclose(run("irfft", device, re, im, n=n), np.fft.irfft(re + 1j * im, n=n), rtol=1e-12,
                                   atol=1e-12)


@pytest.mark.parametrize("device", DEVICES_UNDER_TEST)
def test_singular_matrices_as_the_reference(device):
    a = np.array([[[1.0, 2.0], [2.0, 4.0]], [[0.0, 1.0], [1.0, 0.0]]])
    got = run("slogdet", device, a)
    sign, logabs = np.linalg.slogdet(a)
    assert same_bits(got, np.stack([sign, logabs]))
    with pytest.raises(np.linalg.LinAlgError):
        run("inv", device, a)
    np.testing.assert_array_equal(run("inv", device, a[1:]), np.linalg.inv(a[1:]))


@pytest.mark.parametrize("device", DEVICES_UNDER_TEST)
def test_random_draws_equal_the_reference_stream(device):
    ref = xp_random.kernels(np)
    key, counter = (12345, 678), 2 ** 70 - 3
    for n in (0, 1, 2, 255, 1000, 4096):
        kw = dict(n=n, key=key, counter=counter, dtype=np.dtype(np.int64))
        assert same_bits(run("random_permutation", device, **kw), ref["random_permutation"](**kw))
    for low, high, rounds in ((-5, 95, 2), (0, 3, 4), (-2 ** 63, 2 ** 63 - 1, 64), (7, 7 + (1 << 40) + 11, 2),
                              (-(1 << 62), 1 << 62, 1)):
        kw = dict(shape=(1000,), key=key, counter=counter, low=low, high=high, dtype=np.dtype(np.int64), rounds=rounds)
        assert same_bits(run("random_randint", device, **kw), ref["random_randint"](**kw))


def test_uint64_mod_is_exact():
    rng = np.random.default_rng(3)
    K = namespace("cpu")
    for r in (3, 7, 100, 2 ** 32 - 1, 2 ** 53 + 3, 2 ** 63 + 5, 2 ** 64 - 1):
        x = rng.integers(0, 2 ** 64, 5000, dtype=np.uint64)
        x[:4] = [0, 2 ** 64 - 1, r - 1, (2 ** 64 - 1) // r * r]
        assert np.array_equal(cl._umod(K, x, r), np.array([int(v) % r for v in x], dtype=np.uint64))


@pytest.mark.parametrize("device", DEVICES_UNDER_TEST)
def test_segment_reduce_sorted_path(device, monkeypatch):
    """Past the one-hot limit: max/min bitwise (NaN, +-0 ties as the sequential scatter), products within tolerance."""
    monkeypatch.setattr(cl, "_ONE_HOT_LIMIT", 0)
    ref = xp_special.kernels(np)["segment_reduce"]
    rng = np.random.default_rng(4)
    data = rng.standard_normal((700, 3)).astype(np.float32)
    data.flat[rng.integers(0, data.size, 40)] = np.tile(np.array([np.nan, -0.0, 0.0, np.inf], np.float32), 10)
    ids = rng.integers(-1, 41, 700)
    with np.errstate(all="ignore"):
        for kind in ("max", "min", "sum"):
            assert same_bits(run("segment_reduce", device, data, ids, num_segments=40, kind=kind),
                             ref(data.copy(), ids, 40, kind))
        ints = rng.integers(-3, 4, (700, 2)).astype(np.int32)
        assert same_bits(run("segment_reduce", device, ints, ids, num_segments=40, kind="prod"),
                         ref(ints.copy(), ids, 40, "prod"))
        small = rng.uniform(0.5, 1.5, (700, 3))
        np.testing.assert_allclose(run("segment_reduce", device, small, ids, num_segments=40, kind="prod"),
                                   ref(small.copy(), ids, 40, "prod"), rtol=1e-12)
