"""mx.np.nonzero / unique / argwhere / flatnonzero / genfromtxt (value-dependent shapes)."""
import io
import os

import numpy as np

import unidl_mxnet as mx

FIX = np.load(os.path.join(os.path.dirname(__file__), "data", "porting_mxnet191.npz"))


def test_unique_matches_mxnet():
    res = mx.np.unique(mx.np.array([3, 1, 1, 2, 3, 3]), return_index=True, return_inverse=True, return_counts=True)
    for name, arr in zip(("values", "index", "inverse", "counts"), res):
        assert isinstance(arr, mx.np.ndarray)
        np.testing.assert_array_equal(arr.asnumpy(), FIX[f"unique_{name}"])
        assert arr.dtype == FIX[f"unique_{name}"].dtype
    assert mx.np.unique(mx.np.array([2, 2, 1])).asnumpy().tolist() == [1, 2]


def test_nonzero_family_and_genfromtxt():
    a = mx.np.array([[0, 1], [2, 0]])
    rows, cols = mx.np.nonzero(a)
    assert rows.asnumpy().tolist() == [0, 1] and cols.asnumpy().tolist() == [1, 0] and rows.dtype == np.int64
    assert mx.np.argwhere(a).asnumpy().tolist() == [[0, 1], [1, 0]]
    assert mx.np.flatnonzero(a).asnumpy().tolist() == [1, 2]
    t = mx.np.genfromtxt(io.StringIO("1,2\n3,4"), delimiter=",")
    assert isinstance(t, mx.np.ndarray) and t.dtype == np.float64 and t.asnumpy().tolist() == [[1, 2], [3, 4]]
