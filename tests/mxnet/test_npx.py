"""mx.npx: the NumPy-mode switch, npx operators against MXNet 1.9.1 fixtures, npx.reshape, save/load."""
from __future__ import annotations

import os
import sys

import numpy as onp
import pytest

import unidl_mxnet as mx
from unidl_mxnet import np, npx

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "data"))
import np_cases  # noqa: E402
from np_check import HERE, META, check_case, scope  # noqa: E402


@pytest.fixture(autouse=True)
def _np_mode():
    npx.set_np()
    yield
    npx.reset_np()


@pytest.mark.parametrize("name", [n for n in np_cases.CASES if n.startswith("npx_")])
def test_matches_mxnet(name):
    check_case(name)


@pytest.mark.parametrize("name", [n for n in np_cases.ERRORS if n.startswith("npx_")])
def test_rejects_what_mxnet_rejects(name):
    with pytest.raises(mx.MXNetError, match="npx.reshape"):
        eval(np_cases.ERRORS[name], scope())
    assert META["errors"][name] == "MXNetError"


def test_set_np_and_reset_np():
    assert npx.is_np_array() and npx.is_np_shape()
    npx.reset_np()
    assert not npx.is_np_array() and not npx.is_np_shape()
    assert not mx.util.is_np_array()
    npx.set_np(shape=True, array=False)
    assert npx.is_np_shape() and not npx.is_np_array()
    with pytest.raises(ValueError):
        npx.set_np(shape=False, array=True)


def test_use_np_decorates_functions_and_classes():
    npx.reset_np()

    @npx.use_np
    def inside():
        return npx.is_np_array()

    @npx.use_np
    class Thing:
        def state(self):
            return npx.is_np_array(), npx.is_np_shape()

    assert inside() is True and Thing().state() == (True, True)
    assert not npx.is_np_array()  # restored afterwards
    with mx.util.np_array():
        assert npx.is_np_array()
    assert not npx.is_np_array()


def test_contexts_and_waitall():
    assert npx.cpu() == mx.cpu() and npx.num_gpus() == mx.context.num_gpus()
    assert npx.current_context() == mx.cpu()
    npx.waitall()


def test_save_load_roundtrip(tmp_path):
    f = str(tmp_path / "arrays.npx")
    npx.save(f, {"a": np.arange(3), "b": np.array([[1, 2]], dtype="int64")})
    got = npx.load(f)
    assert sorted(got) == ["a", "b"] and all(isinstance(v, np.ndarray) for v in got.values())
    onp.testing.assert_array_equal(got["a"].asnumpy(), [0.0, 1.0, 2.0])
    assert got["b"].dtype == onp.int64 and got["b"].shape == (1, 2)
    npx.save(f, [np.ones(2), np.zeros((2, 2))])
    lst = npx.load(f)
    assert [a.shape for a in lst] == [(2,), (2, 2)] and isinstance(lst[0], np.ndarray)


def test_load_reads_a_file_written_by_mxnet():
    got = npx.load(os.path.join(HERE, "list_mxnet191.nd"))  # nd.save of MXNet 1.9.1: same format as npx.save
    assert isinstance(got, list) and isinstance(got[0], np.ndarray)
    onp.testing.assert_array_equal(got[0].asnumpy(), [[1, 2], [3, 4]])
    assert got[1].dtype == onp.int64 and got[1].tolist() == [7]


def test_softmax_with_length_masks_the_tail():
    x = np.array([[1.0, 2.0, 3.0], [1.0, 1.0, 1.0]])
    out = npx.softmax(x, length=np.array([2, 3], dtype="int32"), use_length=True)
    e = onp.exp([1.0, 2.0])
    onp.testing.assert_allclose(out.asnumpy(), [list(e / e.sum()) + [0.0], [1 / 3] * 3], rtol=1e-6)


def test_activation_rejects_unknown_type():
    with pytest.raises(mx.MXNetError, match="act_type"):
        npx.activation(np.ones(2), act_type="swishy")


def test_npx_ops_keep_autograd():
    x = np.array([[1.0, -2.0], [3.0, 0.5]])
    x.attach_grad()
    with mx.autograd.record():
        y = npx.relu(x).sum() + npx.log_softmax(x).sum()
    y.backward()
    sm = onp.exp(x.asnumpy()) / onp.exp(x.asnumpy()).sum(axis=1, keepdims=True)
    want = (x.asnumpy() > 0).astype("float32") + (1 - 2 * sm)
    onp.testing.assert_allclose(x.grad.asnumpy(), want, rtol=1e-5)
