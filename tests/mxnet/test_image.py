"""mx.image array helpers and mx.nd.image operators against MXNet 1.9.1 (decoding: test_image_io.py)."""
import os

import numpy as np
import pytest

import unidl_mxnet as mx
from unidl.aliases import UnsupportedAPIError

FIX = np.load(os.path.join(os.path.dirname(__file__), "data", "porting_mxnet191.npz"))
IMG = mx.nd.array(FIX["img"], dtype="uint8")


def test_mx_image_helpers_match_mxnet():
    np.testing.assert_array_equal(mx.image.imresize(IMG, 5, 4).asnumpy(), FIX["img_imresize"])
    out, rect = mx.image.center_crop(IMG, (4, 4), interp=1)
    assert rect == (2, 1, 4, 4)
    np.testing.assert_array_equal(out.asnumpy(), FIX["img_center_crop"])
    np.testing.assert_array_equal(mx.image.resize_short(IMG, 3, interp=1).asnumpy(), FIX["img_resize_short"])
    np.testing.assert_array_equal(mx.image.fixed_crop(IMG, 1, 2, 3, 2).asnumpy(), FIX["img"][2:4, 1:4])
    mx.random.seed(0)
    crop, (x0, y0, w, h) = mx.image.random_crop(IMG, (3, 3))
    np.testing.assert_array_equal(crop.asnumpy(), FIX["img"][y0:y0 + 3, x0:x0 + 3])


def test_mx_image_errors():
    with pytest.raises(UnsupportedAPIError, match="ImageIter"):
        mx.image.ImageIter
    with pytest.raises(mx.MXNetError, match="interpolation method 5"):
        mx.image.imresize(IMG, 3, 3, interp=5)
    with pytest.raises(mx.MXNetError, match="does not fit"):
        mx.image.fixed_crop(IMG, 6, 0, 4, 2)


def test_nd_image_operators_match_mxnet():
    t = mx.nd.image.to_tensor(IMG)
    np.testing.assert_allclose(t.asnumpy(), FIX["img_to_tensor"], rtol=1e-6)
    n = mx.nd.image.normalize(t, mean=(0.5, 0.4, 0.3), std=(0.2, 0.25, 0.5))
    np.testing.assert_allclose(n.asnumpy(), FIX["img_normalize"], rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(mx.nd.image.flip_left_right(IMG).asnumpy(), FIX["img"][:, ::-1])
    np.testing.assert_array_equal(mx.nd.image.flip_top_bottom(IMG).asnumpy(), FIX["img"][::-1])
    assert mx.nd.image.crop(IMG, 1, 2, 3, 2).shape == (2, 3, 3)
    flipped = mx.nd.image.random_flip_left_right(IMG).asnumpy()
    assert np.array_equal(flipped, FIX["img"]) or np.array_equal(flipped, FIX["img"][:, ::-1])
