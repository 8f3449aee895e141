"""Files written by the real MXNet 1.9.1 (tests/mxnet/data, made by make_fixtures.py there) load here."""
from __future__ import annotations

import os

import numpy as np

from unidl_mxnet import nd
from unidl_mxnet.gluon import nn

DATA = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data")


def test_save_parameters_file_from_mxnet_loads_and_gives_mxnet_output():
    net = nn.Sequential()
    net.add(nn.Dense(3), nn.BatchNorm())
    net.initialize()
    net.load_parameters(os.path.join(DATA, "dense_bn_mxnet191.params"))
    np.testing.assert_array_equal(net[0].weight.data().asnumpy(), np.arange(6).reshape(3, 2))
    out = net(nd.array([[0.5, -1.0]])).asnumpy()
    np.testing.assert_allclose(out, np.load(os.path.join(DATA, "dense_bn_mxnet191_out.npy")), rtol=1e-6)


def test_our_file_is_byte_identical_to_mxnets(tmp_path):
    net = nn.Sequential()
    net.add(nn.Dense(3, in_units=2), nn.BatchNorm(in_channels=3))
    net.initialize()
    net.load_parameters(os.path.join(DATA, "dense_bn_mxnet191.params"))
    ours = tmp_path / "ours.params"
    net.save_parameters(str(ours))
    with open(os.path.join(DATA, "dense_bn_mxnet191.params"), "rb") as f:
        assert ours.read_bytes() == f.read()


def test_nd_save_list_from_mxnet():
    got = nd.load(os.path.join(DATA, "list_mxnet191.nd"))
    assert isinstance(got, list) and [a.dtype for a in got] == [np.float32, np.int64]
    np.testing.assert_array_equal(got[0].asnumpy(), [[1, 2], [3, 4]])
    assert got[1].asnumpy().tolist() == [7]
