"""bfloat16 in the core: the dtype (ml_dtypes, loaded on first use), its promotion, and kernels that compute
it in float32 and round back. Expected values are float32 NumPy results rounded to bfloat16 once."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

ml_dtypes = pytest.importorskip("ml_dtypes")

import unidl  # noqa: E402
from unidl import dtypes, ops  # noqa: E402

BF = np.dtype(ml_dtypes.bfloat16)


def _bf(a):
    return np.asarray(a, np.float32).astype(BF)


def _t(a):
    return unidl.tensor(_bf(a))


def test_as_dtype_and_predicates():
    assert dtypes.as_dtype("bfloat16") == BF
    assert dtypes.as_dtype(ml_dtypes.bfloat16) == BF
    assert dtypes.is_floating("bfloat16") and dtypes.is_floating(BF)
    assert dtypes.is_bfloat16(BF) and not dtypes.is_bfloat16("float16") and not dtypes.is_bfloat16(np.float32)
    assert not dtypes.is_floating(np.dtype([("a", "f4")]))  # another kind "V" dtype
    assert dtypes.compute_dtype("bfloat16") == np.float32
    assert dtypes.compute_dtype("float16") == np.float16
    assert dtypes.result_type(BF, np.float16) == np.float32
    assert dtypes.result_type(BF, np.int8) == BF
    with pytest.raises(TypeError, match="is not a dtype"):
        dtypes.as_dtype("bfloat17")


def test_missing_ml_dtypes_names_the_extra():
    code = ("import sys; sys.modules['ml_dtypes'] = None\n"
            "import unidl\n"
            "try:\n    unidl.tensor([1.0], dtype='bfloat16')\n"
            "except TypeError as e:\n    print('ERR', e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert "ERR" in out.stdout, out.stderr
    assert "unidl[bfloat16]" in out.stdout and "ml_dtypes" in out.stdout


def test_tensor_creation_and_ufuncs_stay_bfloat16():
    x = unidl.tensor([0.5, -1.25, 3.0], dtype="bfloat16")
    assert x.dtype == BF
    for y in (ops.exp(x), ops.tanh(x), ops.multiply(x, x), ops.add(x, 1.0), ops.sigmoid(x), ops.relu(x),
              ops.clip(x, -1.0, 1.0), ops.erf(x), ops.gelu(x)):
        assert y.dtype == BF
    np.testing.assert_array_equal(ops.clip(x, -1.0, 1.0).numpy(), _bf([0.5, -1.0, 1.0]))
    np.testing.assert_array_equal(ops.exp(x).numpy(), _bf(np.exp(np.float32([0.5, -1.25, 3.0]))))


def test_sums_accumulate_in_float32():
    v = _bf(np.full(1000, 0.1))
    s = ops.sum(unidl.tensor(v))
    assert s.dtype == BF
    assert float(s.numpy().astype(np.float32)) == float(_bf(v.astype(np.float32).sum()))  # 100.0
    # a bfloat16 accumulator stops growing at 256: 256 + 1 rounds back to 256
    assert float(ops.sum(unidl.tensor(_bf(np.ones(1024)))).numpy().astype(np.float32)) == 1024.0
    m = ops.mean(unidl.tensor(v))
    assert float(m.numpy().astype(np.float32)) == float(_bf(v.astype(np.float32).mean()))


def test_matmul_einsum_tensordot_round_once():
    rng = np.random.default_rng(0)
    a, b = _bf(rng.standard_normal((5, 7))), _bf(rng.standard_normal((7, 3)))
    want = (a.astype(np.float32) @ b.astype(np.float32)).astype(BF)
    for got in (ops.matmul(unidl.tensor(a), unidl.tensor(b)),
                ops.einsum("ij,jk->ik", unidl.tensor(a), unidl.tensor(b)),
                ops.tensordot(unidl.tensor(a), unidl.tensor(b), axes=1)):
        assert got.dtype == BF
        np.testing.assert_array_equal(got.numpy(), want)
    # bfloat16 with float32 promotes to float32, as in NumPy: no rounding to bfloat16
    mixed = ops.matmul(unidl.tensor(a), unidl.tensor(b.astype(np.float32)))
    assert mixed.dtype == np.float32
    np.testing.assert_array_equal(mixed.numpy(), a.astype(np.float32) @ b.astype(np.float32))


def test_softmax_and_layer_norm_in_float32():
    rng = np.random.default_rng(1)
    x = _bf(rng.standard_normal((4, 6)))
    x32 = x.astype(np.float32)
    e = np.exp(x32 - x32.max(axis=1, keepdims=True))
    want = (e / e.sum(axis=1, keepdims=True)).astype(BF)
    got = ops.softmax(unidl.tensor(x), axis=1)
    assert got.dtype == BF
    np.testing.assert_array_equal(got.numpy(), want)
    ln = ops.layer_norm(unidl.tensor(x), axes=(-1,), eps=1e-5)
    assert ln.dtype == BF
    mu, var = x32.mean(axis=1, keepdims=True), x32.var(axis=1, keepdims=True)
    np.testing.assert_allclose(ln.numpy().astype(np.float32), (x32 - mu) / np.sqrt(var + 1e-5), rtol=2 ** -7,
                               atol=2 ** -7)


def test_gradients_flow_in_bfloat16():
    x = unidl.tensor(_bf([0.5, -1.0, 2.0]), requires_grad=True)
    with unidl.autograd.record():
        y = ops.sum(ops.multiply(x, x))
    y.backward()
    assert x.grad.dtype == BF
    np.testing.assert_array_equal(x.grad.numpy(), _bf([1.0, -2.0, 4.0]))


def test_sgd_update_in_place_on_bfloat16():
    p = unidl.tensor(_bf([1.0, 1.0]))
    g = unidl.tensor(_bf([5.0, -5.0]))
    unidl.nn.optim.sgd(p, g, None, lr=0.1)
    np.testing.assert_array_equal(p.numpy(), _bf([0.5, 1.5]))


def test_random_draws_are_the_float32_draws_rounded():
    from unidl.random import Generator

    u32 = Generator(7).uniform(-1.0, 1.0, (64,), dtype="float32").numpy()
    u16 = Generator(7).uniform(-1.0, 1.0, (64,), dtype="bfloat16")
    assert u16.dtype == BF
    np.testing.assert_array_equal(u16.numpy(), u32.astype(BF))
    n32 = Generator(3).normal(0.0, 2.0, (33,), dtype="float32").numpy()
    n16 = Generator(3).normal(0.0, 2.0, (33,), dtype="bfloat16")
    np.testing.assert_array_equal(n16.numpy(), n32.astype(BF))
    with pytest.raises(unidl.errors.OpError, match="bfloat16"):
        Generator(0).uniform(0.0, 1.0, (2,), dtype="int32")


def test_composites_compute_bfloat16_as_their_kernels():
    """An op whose reference kernel computes bfloat16 in float32 (``dtypes.via_float32``) runs its composite
    under the same rule (same leading array arguments), so a device without the fused kernel gives its bits."""
    from unidl.kernels import OPS, namespace
    from unidl.xpkernels import numpy_kernels

    for name, kernel in numpy_kernels().items():
        comp = OPS[name].composite if name in OPS else None
        if comp is None:
            continue
        assert hasattr(comp, "via_float32") == hasattr(kernel, "via_float32"), name
        if hasattr(kernel, "via_float32"):
            assert comp.via_float32 == kernel.via_float32, name

    rng = np.random.default_rng(2)
    x = _bf(rng.standard_normal((2, 3, 4, 4)) * 3)
    ns = namespace("cpu")
    calls = [("sigmoid", (x,), {}), ("erf", (x,), {}), ("erfc", (x,), {}), ("gelu", (x,), {"approximate": False}),
             ("gelu", (x,), {"approximate": True}), ("silu", (x,), {}), ("elu", (x,), {"alpha": 1.0}),
             ("softplus", (x,), {}), ("clip", (x, -1.0, 1.0), {}), ("mean", (x,), {"axis": (1, 2)}),
             ("var", (x,), {"axis": (3,)}), ("std", (x,), {}), ("logsumexp", (x,), {"axis": (1,)}),
             ("softmax", (x,), {"axis": 1}), ("log_softmax", (x,), {"axis": -1}),
             ("max_pool", (x,), {"kernel": (2, 2), "stride": (2, 2), "padding": ((0, 0), (0, 0)), "out_size": (2, 2)}),
             ("avg_pool", (x,), {"kernel": (2, 2), "stride": (1, 1), "padding": ((1, 1), (1, 1)), "out_size": (5, 5),
                                 "count_include_pad": False})]
    for name, args, kw in calls:
        want = numpy_kernels()[name](*args, **kw)
        got = OPS[name].composite(ns, *args, **kw)
        assert got.dtype == BF and want.dtype == BF, name
        np.testing.assert_array_equal(got.view(np.uint16), want.view(np.uint16), err_msg=name)  # bitwise
