"""gluon.nn Conv1D/2D/3DTranspose, 3-d pooling and ReflectionPad2D: shapes, names, repr and errors as MXNet
1.9.1, and outputs / gradients equal to the real MXNet's (fixtures written by
tests/mxnet/data/layers_make_fixtures.py)."""
from __future__ import annotations

import os
import sys

import numpy as np
import pytest

from unidl_mxnet import nd
from unidl_mxnet.base import MXNetError
from unidl_mxnet.gluon import nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data"))
from layers_check import check_against_mxnet, fresh_names  # noqa: E402,F401  (fresh_names: autouse)


@pytest.mark.parametrize("name, make", [
    ("conv1dT", lambda: nn.Conv1DTranspose(4, 3, strides=2, padding=1, output_padding=1, in_channels=3)),
    ("conv2dT", lambda: nn.Conv2DTranspose(6, (3, 2), strides=(2, 1), padding=(1, 0), output_padding=(1, 0),
                                           dilation=(1, 2), groups=2, in_channels=4, activation="tanh")),
    ("conv2dT_deferred", lambda: nn.Conv2DTranspose(5, 3, use_bias=False)),
    ("conv3dT", lambda: nn.Conv3DTranspose(2, 2, strides=2, padding=(0, 1, 0), in_channels=3)),
    ("reflpad", lambda: nn.ReflectionPad2D(2)),
    ("reflpad8", lambda: nn.ReflectionPad2D((0, 0, 0, 0, 1, 2, 3, 0))),
    ("maxpool3d", lambda: nn.MaxPool3D(3, strides=2, padding=1, ceil_mode=True)),
    ("avgpool3d", lambda: nn.AvgPool3D((2, 3, 2), strides=(1, 2, 2), padding=(1, 1, 0))),
    ("avgpool3d_nopad", lambda: nn.AvgPool3D(3, strides=2, padding=1, ceil_mode=True, count_include_pad=False)),
    ("avgpool3d_ceil", lambda: nn.AvgPool3D(3, 2, 1, True)),
    ("gmaxpool3d", lambda: nn.GlobalMaxPool3D()),
    ("gavgpool3d", lambda: nn.GlobalAvgPool3D()),
])
def test_matches_real_mxnet(name, make):
    check_against_mxnet(name, make())


def test_transpose_weight_layout_deferred_in_channels_and_names():
    layer = nn.Conv2DTranspose(6, 3, strides=2, padding=1, output_padding=1)
    assert layer.prefix == "conv0_" and layer.weight.name == "conv0_weight"
    assert layer.weight.shape == (0, 6, 3, 3) and layer.bias.shape == (6,)
    layer.initialize()
    y = layer(nd.ones((2, 4, 5, 5)))
    assert layer.weight.shape == (4, 6, 3, 3)  # (in, out/groups, kh, kw) as MXNet
    assert y.shape == (2, 6, 10, 10)  # (5 - 1) * 2 - 2 + 3 + 1
    g = nn.Conv3DTranspose(4, 2, groups=2, in_channels=6)
    assert g.weight.shape == (6, 2, 2, 2, 2)


def test_transpose_matches_hand_scatter():
    # a transposed conv scatters each input value times the kernel into the output (stride 2, no padding)
    rng = np.random.RandomState(1)
    x, w = rng.randn(1, 2, 3).astype("float32"), rng.randn(2, 3, 2).astype("float32")
    layer = nn.Conv1DTranspose(3, 2, strides=2, in_channels=2, use_bias=False)
    layer.initialize()
    layer.weight.set_data(nd.array(w))
    want = np.zeros((1, 3, 6), "float32")
    for c in range(2):
        for i in range(3):
            want[0, :, 2 * i:2 * i + 2] += x[0, c, i] * w[c]
    np.testing.assert_allclose(layer(nd.array(x)).asnumpy(), want, rtol=1e-6, atol=1e-6)


def test_reprs_follow_mxnet():
    assert repr(nn.Conv2DTranspose(6, 3, strides=2, output_padding=1, padding=1)) == \
        "Conv2DTranspose(6 -> 0, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1))"
    assert repr(nn.Conv2DTranspose(6, 3, groups=2, in_channels=4)) == \
        "Conv2DTranspose(3 -> 4, kernel_size=(3, 3), stride=(1, 1), groups=2)"
    assert repr(nn.Conv2D(4, 3, activation="relu", use_bias=False)) == \
        "Conv2D(None -> 4, kernel_size=(3, 3), stride=(1, 1), bias=False, Activation(relu))"
    assert repr(nn.MaxPool3D()) == ("MaxPool3D(size=(2, 2, 2), stride=(2, 2, 2), padding=(0, 0, 0), "
                                    "ceil_mode=False, global_pool=False, pool_type=max, layout=NCDHW)")
    assert repr(nn.GlobalAvgPool3D()) == ("GlobalAvgPool3D(size=(1, 1, 1), stride=(1, 1, 1), padding=(0, 0, 0), "
                                          "ceil_mode=True, global_pool=True, pool_type=avg, layout=NCDHW)")
    assert nn.MaxPool3D().prefix == "pool2_" and nn.GlobalMaxPool3D().prefix == "pool3_"  # 2 made above
    assert nn.ReflectionPad2D(1).prefix == "reflectionpad2d0_"


def test_pool3d_argument_order_is_mxnets():
    # MaxPool3D / AvgPool3D take ceil_mode before layout (unlike the 1-d and 2-d pools)
    p = nn.AvgPool3D(2, 2, 0, True)
    assert p(nd.ones((1, 1, 3, 3, 3))).shape == (1, 1, 2, 2, 2)


def test_errors_name_the_layer_and_shapes():
    layer = nn.Conv2DTranspose(4, 3, strides=2, output_padding=2)
    layer.initialize()
    with pytest.raises(MXNetError, match="Conv2DTranspose.*output_padding"):
        layer(nd.ones((1, 2, 4, 4)))
    bad = nn.Conv2DTranspose(4, 3)
    bad.initialize()
    with pytest.raises(MXNetError, match=r"Conv2DTranspose: expected input of 4 dims.*\(1, 2, 4\)"):
        bad(nd.ones((1, 2, 4)))
    with pytest.raises(MXNetError, match="layout 'NWC' is not supported; only 'NCW'"):
        nn.Conv1DTranspose(4, 3, layout="NWC")  # MXNet 1.9.1: 1-D convolutions take NCW only
    with pytest.raises(MXNetError, match="padding .* must be smaller than its size"):
        nn.ReflectionPad2D(3)(nd.ones((1, 1, 3, 3)))
    with pytest.raises(MXNetError, match="MaxPool3D: expected input of 5 dims"):
        nn.MaxPool3D()(nd.ones((1, 1, 4, 4)))
    # MXNet would make a window lying wholly in the padding (values -3.4e38 / NaN there)
    with pytest.raises(MXNetError, match="lies wholly in the padding"):
        nn.MaxPool3D(2, strides=2, padding=1, ceil_mode=True)(nd.ones((1, 1, 5, 4, 5)))
    with pytest.raises(MXNetError, match="MaxPool2D.*lies wholly in the padding"):
        nn.MaxPool2D(2, strides=2, padding=1, ceil_mode=True)(nd.ones((1, 1, 5, 5)))
