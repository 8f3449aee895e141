"""Reshaping layers: Flatten, Reshape, Permute, RepeatVector, ZeroPadding, UpSampling, Cropping."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import unidl_keras as keras
from unidl.testing.gradcheck import assert_grad_close

L = keras.layers
RNG = np.random.default_rng(0)
X3 = RNG.standard_normal((2, 3, 4)).astype("float32")
X4 = RNG.standard_normal((2, 3, 4, 5)).astype("float32")
X5 = RNG.standard_normal((1, 2, 3, 4, 2)).astype("float32")


def roundtrip(layer):
    cfg = layer.get_config()
    again = type(layer).from_config(cfg)
    assert again.get_config() == cfg
    return again


def test_flatten_channels_last_and_first():
    np.testing.assert_allclose(L.Flatten()(X4).numpy(), X4.reshape(2, -1))
    np.testing.assert_allclose(L.Flatten(data_format="channels_first")(X4).numpy(),
                               X4.transpose(0, 2, 3, 1).reshape(2, -1))
    assert L.Flatten()(np.ones((3,), "float32")).shape == (3, 1)
    assert L.Flatten()(keras.Input((3, 4))).shape == (None, 12)
    assert L.Flatten()(keras.Input((None, 4))).shape == (None, None)
    roundtrip(L.Flatten(data_format="channels_first"))


def test_reshape_values_inference_and_errors():
    np.testing.assert_allclose(L.Reshape((4, 3))(X3).numpy(), X3.reshape(2, 4, 3))
    np.testing.assert_allclose(L.Reshape((-1, 2))(X3).numpy(), X3.reshape(2, 6, 2))
    assert L.Reshape((-1, 2))(keras.Input((None, 4))).shape == (None, None, 2)
    assert roundtrip(L.Reshape((6, 2))).target_shape == (6, 2)
    with pytest.raises(ValueError, match="at most one unknown dimension"):
        L.Reshape((-1, -1))
    with pytest.raises(ValueError, match=r"total size of the tensor must be unchanged. Received: input_shape=\(3, 4\)"):
        L.Reshape((5, 3))(keras.Input((3, 4)))
    with pytest.raises(ValueError, match="cannot by divided"):
        L.Reshape((5, -1))(X3)
    with pytest.raises(TypeError, match="target_shape"):
        L.Reshape(3)


def test_permute_and_gradient():
    np.testing.assert_allclose(L.Permute((2, 1))(X3).numpy(), X3.transpose(0, 2, 1))
    assert L.Permute((3, 1, 2))(keras.Input((3, 4, 5))).shape == (None, 5, 3, 4)
    layer = L.Permute((2, 1), dtype="float64")
    assert_grad_close(lambda t: layer(t), X3.astype("float64"))
    roundtrip(layer)
    with pytest.raises(ValueError, match="must be consecutive and start from 1"):
        L.Permute((1, 3))
    with pytest.raises(ValueError, match="expected ndim=3, found ndim=4"):
        L.Permute((2, 1))(X4)


def test_repeat_vector():
    x = X3[:, 0]
    np.testing.assert_allclose(L.RepeatVector(3)(x).numpy(), np.repeat(x[:, None], 3, axis=1))
    assert L.RepeatVector(5)(keras.Input((4,))).shape == (None, 5, 4)
    assert roundtrip(L.RepeatVector(2)).n == 2
    with pytest.raises(TypeError, match="Expected an integer value for `n`"):
        L.RepeatVector(2.5)
    with pytest.raises(ValueError, match="expected ndim=2, found ndim=3"):
        L.RepeatVector(2)(X3)


@given(st.integers(0, 2), st.integers(0, 2))
def test_zero_padding1d(a, b):
    y = L.ZeroPadding1D((a, b))(X3).numpy()
    np.testing.assert_allclose(y, np.pad(X3, ((0, 0), (a, b), (0, 0))))


def test_zero_padding_2d_3d_formats_config_errors():
    np.testing.assert_allclose(L.ZeroPadding2D(((1, 2), 3))(X4).numpy(), np.pad(X4, ((0, 0), (1, 2), (3, 3), (0, 0))))
    np.testing.assert_allclose(L.ZeroPadding2D(1, data_format="channels_first")(X4).numpy(),
                               np.pad(X4, ((0, 0), (0, 0), (1, 1), (1, 1))))
    np.testing.assert_allclose(L.ZeroPadding3D((1, 0, 2))(X5).numpy(),
                               np.pad(X5, ((0, 0), (1, 1), (0, 0), (2, 2), (0, 0))))
    np.testing.assert_allclose(L.ZeroPadding1D(1, data_format="channels_first")(X3).numpy(),
                               np.pad(X3, ((0, 0), (0, 0), (1, 1))))
    assert L.ZeroPadding2D(((1, 2), (0, 1)))(keras.Input((None, 4, 5))).shape == (None, None, 5, 5)
    assert roundtrip(L.ZeroPadding2D(2)).padding == ((2, 2), (2, 2))
    roundtrip(L.ZeroPadding1D(3))
    roundtrip(L.ZeroPadding3D())
    with pytest.raises(ValueError, match="must be a tuple of 2 integers. Received padding=\\(1, 2, 3\\)"):
        L.ZeroPadding1D((1, 2, 3))
    with pytest.raises(ValueError, match="do not satisfy `value >= 0`"):
        L.ZeroPadding1D(-1)
    with pytest.raises(ValueError, match="`padding` should have two elements"):
        L.ZeroPadding2D((1, 2, 3))
    with pytest.raises(ValueError, match="expected ndim=4, found ndim=3"):
        L.ZeroPadding2D(1)(X3)


def test_cropping_1d_2d_3d():
    np.testing.assert_allclose(L.Cropping1D((1, 1))(X3).numpy(), X3[:, 1:2])
    np.testing.assert_allclose(L.Cropping2D(((1, 0), (1, 2)))(X4).numpy(), X4[:, 1:, 1:2])
    np.testing.assert_allclose(L.Cropping2D(1, data_format="channels_first")(X4).numpy(), X4[:, :, 1:3, 1:4])
    np.testing.assert_allclose(L.Cropping3D(((0, 1), (1, 1), (0, 2)))(X5).numpy(), X5[:, 0:1, 1:2, 0:2])
    assert L.Cropping2D(((1, 1), (0, 0)))(keras.Input((None, 4, 5))).shape == (None, None, 4, 5)
    assert roundtrip(L.Cropping1D(2)).cropping == ((2, 2),)
    roundtrip(L.Cropping2D(((1, 2), (3, 4))))
    roundtrip(L.Cropping3D())
    layer = L.Cropping1D((1, 0), dtype="float64")
    assert_grad_close(lambda t: layer(t), X3.astype("float64"))
    with pytest.raises(ValueError, match="must be smaller than the input length.*cropping=\\(2, 2\\)"):
        L.Cropping1D((2, 2))(keras.Input((3, 4)))
    with pytest.raises(ValueError, match="should be smaller than the corresponding spatial dimension"):
        L.Cropping2D(((2, 2), (0, 0)))(keras.Input((3, 4, 5)))
    with pytest.raises(ValueError, match="data_format"):
        L.Cropping2D(data_format="foo")


def test_upsampling_nearest():
    np.testing.assert_allclose(L.UpSampling1D(3)(X3).numpy(), np.repeat(X3, 3, axis=1))
    np.testing.assert_allclose(L.UpSampling2D((2, 3))(X4).numpy(), np.repeat(np.repeat(X4, 2, 1), 3, 2))
    np.testing.assert_allclose(L.UpSampling2D(2, data_format="channels_first")(X4).numpy(),
                               np.repeat(np.repeat(X4, 2, 2), 2, 3))
    np.testing.assert_allclose(L.UpSampling3D((1, 2, 1))(X5).numpy(), np.repeat(X5, 2, 2))
    assert L.UpSampling2D()(keras.Input((None, 4, 3))).shape == (None, None, 8, 3)
    assert roundtrip(L.UpSampling2D(3, interpolation="bilinear")).size == (3, 3)
    roundtrip(L.UpSampling1D(2))
    roundtrip(L.UpSampling3D())
    with pytest.raises(ValueError, match="must be a tuple of 2 integers. Received size=\\(2, 2, 2\\)"):
        L.UpSampling2D(size=(2, 2, 2))
    with pytest.raises(ValueError, match="expected ndim=3, found ndim=2"):
        L.UpSampling1D(2)(X3[:, 0])


def bilinear_ref(img, sy, sx):
    """Half-pixel-center bilinear resize of (H, W) by integer factors, edges clamped."""
    def weights(n, s):
        src = np.clip((np.arange(n * s) + 0.5) / s - 0.5, 0, n - 1)
        lo = np.floor(src).astype(int)
        hi = np.minimum(lo + 1, n - 1)
        return lo, hi, src - lo
    h, w = img.shape
    ly, hy, wy = weights(h, sy)
    lx, hx, wx = weights(w, sx)
    rows = img[ly] * (1 - wy)[:, None] + img[hy] * wy[:, None]
    return rows[:, lx] * (1 - wx) + rows[:, hx] * wx


def test_upsampling2d_bilinear_values_and_gradient():
    img = np.arange(6, dtype="float32").reshape(2, 3)
    y = L.UpSampling2D((2, 3), interpolation="bilinear")(img[None, :, :, None]).numpy()[0, :, :, 0]
    np.testing.assert_allclose(y, bilinear_ref(img, 2, 3), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(y[0, :3], [0.0, 0.0, 1.0 / 3.0], rtol=1e-6)  # clamped edge, then 1/3 steps
    layer = L.UpSampling2D(2, interpolation="bilinear", dtype="float64")
    assert_grad_close(lambda t: layer(t), RNG.standard_normal((1, 2, 2, 1)))
    with pytest.raises(ValueError, match="interpolation"):
        L.UpSampling2D(interpolation="foo")


def test_reshaping_stack_in_sequential():
    model = keras.Sequential([keras.Input((4, 4, 2)), L.ZeroPadding2D(1), L.Cropping2D(1), L.UpSampling2D(),
                              L.Flatten(), L.RepeatVector(2), L.Permute((2, 1)), L.Reshape((-1,))])
    assert model.output_shape == (None, 2 * 8 * 8 * 2)
    x = RNG.standard_normal((3, 4, 4, 2)).astype("float32")
    flat = np.repeat(np.repeat(x, 2, 1), 2, 2).reshape(3, -1)
    expected = np.repeat(flat[:, None], 2, 1).transpose(0, 2, 1).reshape(3, -1)
    np.testing.assert_allclose(model(x).numpy(), expected)
