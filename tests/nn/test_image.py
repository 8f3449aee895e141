"""unidl.nn.image: resize weights, affine warps and patches against NumPy references."""
import numpy as np
from hypothesis import given, settings, strategies as st

import unidl
from unidl.nn import image as I


@given(st.integers(1, 9), st.integers(1, 9), st.sampled_from(["bilinear", "nearest"]))
@settings(max_examples=30, deadline=None)
def test_resize_weights_rows_are_convex_combinations(n_in, n_out, interp):
    w = I.resize_weights(n_in, n_out, interp)
    assert w.shape == (n_out, n_in)
    np.testing.assert_allclose(w.sum(axis=1), 1.0)
    assert (w >= 0).all()
    if n_in == n_out:
        np.testing.assert_allclose(w, np.eye(n_in))


def test_bilinear_upsampling_by_two_hand_computed():
    x = unidl.tensor(np.array([0.0, 4.0], "float32").reshape(1, 1, 2, 1))
    out = I.resize(x, (1, 4)).numpy().reshape(-1)
    # sources (i + 0.5) / 2 - 0.5 = -0.25 (clamped to 0), 0.25, 0.75, 1.25 (upper index clamped)
    np.testing.assert_allclose(out, [0.0, 1.0, 3.0, 4.0])


@given(st.integers(2, 6), st.integers(2, 6), st.integers(-3, 3), st.integers(-3, 3),
       st.sampled_from([("wrap", "wrap"), ("reflect", "symmetric"), ("mirror", "reflect"), ("nearest", "edge")]))
@settings(max_examples=40, deadline=None)
def test_integer_shifts_match_numpy_padding_modes(h, w, dy, dx, modes):
    fill, np_mode = modes
    x = np.arange(h * w, dtype="float32").reshape(1, h, w, 1)
    t = np.array([1, 0, -dx, 0, 1, -dy, 0, 0], "float32")  # out(y, x) = in(y - dy, x - dx)
    got = I.affine_transform(unidl.tensor(x), t, "bilinear", fill).numpy()[0, :, :, 0]
    p = 3
    padded = np.pad(x[0, :, :, 0], p, mode=np_mode)
    want = padded[p - dy:p - dy + h, p - dx:p - dx + w]
    np.testing.assert_array_equal(got, want)


def test_constant_fill_and_gradient_flow():
    x = unidl.tensor(np.ones((1, 3, 3, 2), "float32"), requires_grad=True)
    t = np.array([1, 0, 1.5, 0, 1, 0, 0, 0], "float32")  # sample 1.5 columns to the right
    with unidl.record():
        y = I.affine_transform(x, t, "bilinear", "constant", 0.0)
        s = unidl.ops.sum(y)
    s.backward()
    np.testing.assert_allclose(y.numpy()[0, :, :, 0], [[1, 0.5, 0]] * 3)
    assert x.grad.numpy().sum() == np.float32(1.5 * 3 * 2)


def test_extract_patches_order_is_row_col_channel():
    x = np.arange(4 * 4 * 2, dtype="float32").reshape(1, 4, 4, 2)
    p = I.extract_patches(unidl.tensor(x), (2, 2), (2, 2)).numpy()
    np.testing.assert_array_equal(p[0, 1, 0], x[0, 2:4, 0:2, :].reshape(-1))
