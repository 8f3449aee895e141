"""mx.nd.contrib.AdaptiveAvgPooling2D as MXNet 1.9.1 (values and gradients printed by real MXNet)."""
from __future__ import annotations

import numpy as np
import pytest

import unidl_mxnet as mx
from unidl_mxnet import autograd, gluon


def _x():
    return mx.nd.array(np.arange(2 * 3 * 5 * 7, dtype="float32").reshape(2, 3, 5, 7))


def test_output_sizes_and_values():
    x = _x()
    assert mx.nd.contrib.AdaptiveAvgPooling2D(x).shape == (2, 3, 1, 1)
    assert mx.nd.contrib.AdaptiveAvgPooling2D(x, output_size=3).shape == (2, 3, 3, 3)
    np.testing.assert_array_equal(mx.nd.contrib.AdaptiveAvgPooling2D(x, output_size=(2, 4)).asnumpy()[0, 0],
                                  [[7.5, 9.0, 11.0, 12.5], [21.5, 23.0, 25.0, 26.5]])
    np.testing.assert_array_equal(mx.nd.contrib.AdaptiveAvgPooling2D(x, output_size=(3, 3)).asnumpy()[1, 2],
                                  [[179.5, 181.5, 183.5], [190.0, 192.0, 194.0], [200.5, 202.5, 204.5]])


def test_gradient_spreads_over_overlapping_windows():
    x = _x()
    x.attach_grad()
    with autograd.record():
        y = mx.nd.contrib.AdaptiveAvgPooling2D(x, output_size=(2, 4))
    y.backward(mx.nd.ones_like(y))
    np.testing.assert_allclose(x.grad.asnumpy()[0, 0, 2], [1 / 3, 5 / 9, 2 / 9, 4 / 9, 2 / 9, 5 / 9, 1 / 3], rtol=1e-6)
    np.testing.assert_allclose(x.grad.asnumpy()[0, 0, 0], [1 / 6, 5 / 18, 1 / 9, 2 / 9, 1 / 9, 5 / 18, 1 / 6], rtol=1e-6)


def test_in_a_hybridized_block_and_bad_input():
    class Pool(gluon.HybridBlock):
        def hybrid_forward(self, F, x):
            return F.contrib.AdaptiveAvgPooling2D(x, output_size=2)

    net = Pool()
    net.initialize()
    net.hybridize()
    assert net(mx.nd.ones((1, 2, 4, 4))).asnumpy().tolist() == [[[[1.0, 1.0], [1.0, 1.0]]] * 2]
    with pytest.raises(mx.base.MXNetError, match="4-D"):
        mx.nd.contrib.AdaptiveAvgPooling2D(mx.nd.ones((2, 3, 4)))
