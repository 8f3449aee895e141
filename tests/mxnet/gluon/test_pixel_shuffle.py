"""gluon.contrib.nn.PixelShuffle1D/2D/3D against MXNet 1.9.1 and a NumPy reshape/transpose reference."""
import os

import numpy as np
import pytest

import unidl_mxnet as mx
from unidl_mxnet.gluon.contrib.nn import PixelShuffle1D, PixelShuffle2D, PixelShuffle3D

FIX = np.load(os.path.join(os.path.dirname(__file__), "..", "data", "porting_mxnet191.npz"))


def test_pixel_shuffle_2d_matches_mxnet():
    x = mx.nd.arange(1, 25).reshape((1, 12, 1, 2))
    np.testing.assert_array_equal(PixelShuffle2D((2, 3))(x).asnumpy(), FIX["pixel_shuffle2d"])


def test_pixel_shuffle_1d_3d_and_gradient():
    x = np.arange(2 * 6 * 3, dtype=np.float32).reshape(2, 6, 3)
    ref = x.reshape(2, 3, 2, 3).transpose(0, 1, 3, 2).reshape(2, 3, 6)
    np.testing.assert_array_equal(PixelShuffle1D(2)(mx.nd.array(x)).asnumpy(), ref)
    x3 = np.arange(16 * 2, dtype=np.float32).reshape(1, 16, 1, 2, 1)
    ref3 = x3.reshape(1, 2, 2, 2, 2, 1, 2, 1).transpose(0, 1, 5, 2, 6, 3, 7, 4).reshape(1, 2, 2, 4, 2)
    np.testing.assert_array_equal(PixelShuffle3D(2)(mx.nd.array(x3)).asnumpy(), ref3)
    xin = mx.nd.array(x)
    xin.attach_grad()
    with mx.autograd.record():
        y = (PixelShuffle1D(2)(xin) * mx.nd.array(ref)).sum()
    y.backward()
    np.testing.assert_array_equal(xin.grad.asnumpy(), x)  # a permutation: the gradient is permuted back


def test_pixel_shuffle_errors():
    with pytest.raises(ValueError, match="not divisible"):
        PixelShuffle2D(2)(mx.nd.ones((1, 3, 2, 2)))
    with pytest.raises(ValueError, match="4-d input"):
        PixelShuffle2D(2)(mx.nd.ones((3, 2, 2)))
