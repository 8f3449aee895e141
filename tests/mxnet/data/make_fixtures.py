"""Regenerate the real-MXNet fixtures of tests/mxnet (run with MXNet 1.9.1 in its own venv):

    python3 -m venv /tmp/mxvenv && /tmp/mxvenv/bin/pip install numpy==1.23.5 mxnet==1.9.1
    /tmp/mxvenv/bin/python tests/mxnet/data/make_fixtures.py

Writes, beside this file: dense_bn_mxnet191.params (save_parameters of Dense(3, in_units=2) + BatchNorm
with weight arange(6)), dense_bn_mxnet191_out.npy (that model's output for [[0.5, -1.0]]) and
list_mxnet191.nd (nd.save of a float32 (2, 2) and an int64 (1,) array).
"""
import os

import mxnet as mx
import numpy as np
from mxnet import nd
from mxnet.gluon import nn

here = os.path.dirname(os.path.abspath(__file__))
mx.random.seed(0)
net = nn.Sequential()
net.add(nn.Dense(3, in_units=2), nn.BatchNorm(in_channels=3))
net.initialize()
net[0].weight.set_data(nd.array(np.arange(6).reshape(3, 2)))
net.save_parameters(os.path.join(here, "dense_bn_mxnet191.params"))
np.save(os.path.join(here, "dense_bn_mxnet191_out.npy"), net(nd.array([[0.5, -1.0]])).asnumpy())
nd.save(os.path.join(here, "list_mxnet191.nd"), [nd.array([[1, 2], [3, 4]]), nd.array([7], dtype="int64")])
