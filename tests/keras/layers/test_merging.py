"""Merging layers and their functional forms."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import unidl
import unidl_keras as keras
from unidl.testing.gradcheck import assert_grad_close
from unidl_keras.backend.masks import get_mask, set_mask

L = keras.layers
RNG = np.random.default_rng(0)
A = RNG.standard_normal((2, 3, 4)).astype("float32")
B = RNG.standard_normal((2, 3, 4)).astype("float32")
C = RNG.standard_normal((2, 4)).astype("float32")

pair = arrays(np.float32, (2, 2, 3), elements=st.floats(-5, 5, width=32))

ELEMWISE = [(L.Add, keras.layers.add, lambda xs: sum(xs)),
            (L.Multiply, keras.layers.multiply, lambda xs: np.prod(xs, axis=0)),
            (L.Average, keras.layers.average, lambda xs: np.mean(xs, axis=0)),
            (L.Maximum, keras.layers.maximum, lambda xs: np.max(xs, axis=0)),
            (L.Minimum, keras.layers.minimum, lambda xs: np.min(xs, axis=0))]


@pytest.mark.parametrize("cls,fn,ref", ELEMWISE)
@given(a=pair, b=pair, c=pair)
def test_elementwise_merges(cls, fn, ref, a, b, c):
    np.testing.assert_allclose(cls()([a, b, c]).numpy(), ref([a, b, c]), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(fn([a, b]).numpy(), ref([a, b]), rtol=1e-5, atol=1e-6)


def test_subtract_and_broadcast_of_lower_rank_input():
    np.testing.assert_allclose(L.Subtract()([A, B]).numpy(), A - B)
    np.testing.assert_allclose(keras.layers.subtract([A, C]).numpy(), A - C[:, None, :])
    np.testing.assert_allclose(L.Add()([A, A[:, :1]]).numpy(), A + A[:, :1])


def test_merge_symbolic_shapes_and_functional_model():
    a, b, d = keras.Input((3, 4)), keras.Input((1, 4)), keras.Input((4,))
    assert L.Add()([a, b]).shape == (None, 3, 4)
    assert L.Multiply()([a, d]).shape == (None, 3, 4)
    out = keras.layers.average([a, b])
    model = keras.Model([a, b], out)
    y = model([A, A[:, :1]])
    np.testing.assert_allclose(y.numpy(), (A + A[:, :1]) / 2, rtol=1e-6)


def test_merge_errors():
    a, b = keras.Input((3, 4)), keras.Input((5, 4))
    with pytest.raises(ValueError, match=r"incompatible shapes. Received shapes \(3, 4\) and \(5, 4\)"):
        L.Add()([a, b])
    with pytest.raises(ValueError, match="should be called on a list of inputs"):
        L.Add()(a)
    with pytest.raises(ValueError, match="`Subtract` layer should be called on exactly 2 inputs"):
        L.Subtract()([a, a, a])
    with pytest.raises(ValueError, match="different batch sizes"):
        L.Maximum()([np.ones((2, 3), "float32"), np.ones((3, 3), "float32")])


def test_merge_gradients():
    layer = L.Multiply(dtype="float64")
    assert_grad_close(lambda x, y: layer([x, y]), A.astype("float64"), B.astype("float64"))
    mx = L.Maximum(dtype="float64")
    assert_grad_close(lambda x, y: mx([x, y]), A.astype("float64"), B.astype("float64"))


def _masked(x, m):
    t = unidl.tensor(x)
    set_mask(t, unidl.tensor(np.array(m)))
    return t


def test_merge_output_mask_is_any_and_masked_values():
    a = np.full((1, 3, 2), -2.0, "float32")
    b = np.full((1, 3, 2), -4.0, "float32")
    ma, mb = [[False, False, True]], [[False, True, False]]
    out = L.Add()([_masked(a, ma), _masked(b, mb)])
    np.testing.assert_allclose(out.numpy(), a + b)  # Add ignores masks
    np.testing.assert_array_equal(get_mask(out).numpy(), np.logical_or(ma, mb))
    # Maximum / Minimum skip masked entries; where every input is masked the first input is kept
    mx = L.Maximum()([_masked(a, ma), _masked(b, mb)]).numpy()[0, :, 0]
    mn = L.Minimum()([_masked(a, ma), _masked(b, mb)]).numpy()[0, :, 0]
    np.testing.assert_allclose(mx, [-2.0, -4.0, -2.0])
    np.testing.assert_allclose(mn, [-2.0, -4.0, -2.0])
    # Multiply: masked entries count as 1, fully masked positions give 0
    mul = L.Multiply()([_masked(a, ma), _masked(b, mb)]).numpy()[0, :, 0]
    np.testing.assert_allclose(mul, [0.0, -4.0, -2.0])
    mul2 = L.Multiply()([_masked(a, ma), unidl.tensor(b)]).numpy()[0, :, 0]
    np.testing.assert_allclose(mul2, [-4.0, -4.0, 8.0])


def test_concatenate_values_shapes_config():
    np.testing.assert_allclose(L.Concatenate()([A, B]).numpy(), np.concatenate([A, B], -1))
    np.testing.assert_allclose(keras.layers.concatenate([A, B], axis=1).numpy(), np.concatenate([A, B], 1))
    a, b = keras.Input((3, 4)), keras.Input((5, 4))
    assert L.Concatenate(axis=1)([a, b]).shape == (None, 8, 4)
    assert L.Concatenate(axis=1)([a, keras.Input((None, 4))]).shape == (None, None, 4)
    layer = L.Concatenate(axis=1)
    assert L.Concatenate.from_config(layer.get_config()).axis == 1
    with pytest.raises(ValueError, match="requires inputs with matching shapes except for the concatenation axis"):
        L.Concatenate()([a, b])
    with pytest.raises(ValueError, match="requires inputs with matching shapes"):
        L.Concatenate(axis=1)([a, keras.Input((4,))])
    layer64 = L.Concatenate(axis=1, dtype="float64")
    assert_grad_close(lambda x, y: layer64([x, y]), A.astype("float64"), B[:, :2].astype("float64"))


def test_concatenate_mask_rule():
    a = np.ones((1, 3, 2), "float32")
    ma = [[True, False, True]]
    out = L.Concatenate(axis=1)([_masked(a, ma), unidl.tensor(a)])
    np.testing.assert_array_equal(get_mask(out).numpy(), [[True, False, True, True, True, True]])
    out2 = L.Concatenate()([_masked(a, ma), _masked(a, [[False, False, True]])])
    np.testing.assert_array_equal(get_mask(out2).numpy(), [[True, False, True]])
    assert get_mask(L.Concatenate()([unidl.tensor(a), unidl.tensor(a)])) is None


def batch_dot_ref(x, y, ax):
    r = np.stack([np.tensordot(x[i], y[i], axes=(ax[0] - 1, ax[1] - 1)) for i in range(x.shape[0])])
    return r[:, None] if r.ndim == 1 else r


def test_dot_values_shapes():
    x, y = A, RNG.standard_normal((2, 5, 4)).astype("float32")
    np.testing.assert_allclose(L.Dot(axes=(2, 2))([x, y]).numpy(), batch_dot_ref(x, y, (2, 2)), rtol=1e-5)
    np.testing.assert_allclose(L.Dot(axes=-1)([x, x]).numpy(), batch_dot_ref(x, x, (2, 2)), rtol=1e-5)
    np.testing.assert_allclose(L.Dot(axes=(2, 1))([x, C]).numpy(), batch_dot_ref(x, C, (2, 1)), rtol=1e-5)
    np.testing.assert_allclose(keras.layers.dot([C, C], axes=1).numpy(), (C * C).sum(1, keepdims=True), rtol=1e-5)
    a, b, d = keras.Input((3, 4)), keras.Input((5, 4)), keras.Input((4,))
    assert L.Dot(axes=(2, 2))([a, b]).shape == (None, 3, 5)
    assert L.Dot(axes=1)([d, d]).shape == (None, 1)
    assert L.Dot.from_config(L.Dot((1, 2), normalize=True).get_config()).axes == (1, 2)


def test_dot_normalize_is_cosine_and_gradient():
    x, y = C, RNG.standard_normal((2, 4)).astype("float32")
    cos = (x * y).sum(1) / np.linalg.norm(x, axis=1) / np.linalg.norm(y, axis=1)
    np.testing.assert_allclose(L.Dot(1, normalize=True)([x, y]).numpy()[:, 0], cos, rtol=1e-5)
    tiny = np.array([[1e-8, 0.0]], "float32")  # norm clamped at 1e-7
    np.testing.assert_allclose(L.Dot(1, normalize=True)([tiny, np.array([[1.0, 0.0]], "float32")]).numpy(), [[0.1]],
                               rtol=1e-5)
    layer = L.Dot(axes=(2, 1), dtype="float64")
    assert_grad_close(lambda p, q: layer([p, q]), A.astype("float64"), C.astype("float64"))


def test_dot_errors():
    a, b = keras.Input((3, 4)), keras.Input((5, 4))
    with pytest.raises(ValueError, match=r"axis values 4 \(at axis 2\) != 5 \(at axis 1\)"):
        L.Dot(axes=(2, 1))([a, b])
    with pytest.raises(ValueError, match="should be called on a list of 2 inputs"):
        L.Dot(axes=1)([a, a, a])
    with pytest.raises(ValueError, match="exactly 2 integers"):
        L.Dot(axes=(1, 2, 3))
