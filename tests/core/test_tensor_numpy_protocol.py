"""NumPy's reduction functions on unidl Tensors (``np.min(t)`` calls ``t.min(axis=None, out=None)``)."""
from __future__ import annotations

import numpy as np
import pytest

import unidl


def test_numpy_reductions_call_the_tensor_methods():
    a = np.array([[1.0, -2.0], [3.0, 4.0]], dtype=np.float32)
    t = unidl.tensor(a)
    for fn in (np.min, np.max, np.sum, np.mean, np.prod, np.var, np.std, np.argmin, np.argmax):
        got = fn(t)
        assert isinstance(got, unidl.Tensor)
        np.testing.assert_allclose(got.numpy(), fn(a), rtol=1e-6)
    np.testing.assert_array_equal(np.max(t, axis=0).numpy(), [3.0, 4.0])
    np.testing.assert_array_equal(np.sum(t, axis=1, keepdims=True).numpy(), [[-1.0], [7.0]])
    assert np.sum(t, dtype="float64").dtype == np.float64
    assert t.sum(1).shape == (2,) and t.min(axis=0, keepdims=True).shape == (1, 2)


def test_out_is_refused_with_a_clear_error():
    with pytest.raises(TypeError, match="out= is not supported"):
        np.min(unidl.tensor([1.0, 2.0]), out=np.zeros(()))


def test_keras_backend_numpy_is_the_ops_module():
    import unidl_keras as keras

    assert keras.backend.numpy is keras.ops.numpy
    v = keras.Variable(np.array([[-1.0, 2.0]], dtype="float32"))
    assert float(np.min(v)) == -1.0
