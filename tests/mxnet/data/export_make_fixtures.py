"""Regenerate the export / SymbolBlock fixtures with real MXNet 1.9.1 (see make_fixtures.py for the venv):

    /tmp/mxvenv/bin/python tests/mxnet/data/export_make_fixtures.py

Writes, beside this file, for a small CNN (Conv2D, BatchNorm with trained running stats, pools, Dense) and an
MLP with hand-written ``hybrid_forward`` arithmetic (two inputs, two outputs): ``export_<name>-symbol.json``
and ``export_<name>-0000.params`` from ``HybridBlock.export``, and ``export_<name>_io.npz`` holding the inputs
(x0, x1, ...) and MXNet's outputs (y0, y1, ...) in inference mode.
"""
import os

import mxnet as mx
import numpy as np
from mxnet import autograd, gluon, nd
from mxnet.gluon import nn

here = os.path.dirname(os.path.abspath(__file__))


def cnn():
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Conv2D(4, 3, padding=1), nn.BatchNorm(), nn.Activation("relu"), nn.MaxPool2D(),
                nn.Conv2D(6, 3, strides=2, use_bias=False, activation="relu"), nn.AvgPool2D(2, 1, 1, ceil_mode=True),
                nn.Conv2DTranspose(3, 2, strides=2, in_channels=6), nn.BatchNorm(scale=False),
                nn.GlobalAvgPool2D(), nn.Flatten(), nn.Dense(5, activation="tanh"), nn.Dropout(0.5),
                nn.LeakyReLU(0.1), nn.Dense(3))
    return net, [nd.random.normal(shape=(2, 2, 8, 8))]


class MLP(gluon.HybridBlock):
    def __init__(self, **kw):
        super().__init__(**kw)
        with self.name_scope():
            self.d1 = nn.Dense(6, flatten=False)
            self.ln = nn.LayerNorm()
            self.d2 = nn.Dense(4, activation="sigmoid")
            self.d3 = nn.Dense(3)

    def hybrid_forward(self, F, x, y):
        h = self.ln(self.d1(x))
        h = F.relu(h) + 1.5 * h - y
        h = h / 2 + F.sigmoid(h) * F.tanh(h)
        h = F.concat(h, F.clip(h, -1, 1), dim=2)
        h = F.transpose(h, axes=(0, 2, 1))
        h = F.reshape(h, shape=(0, -1))
        h = F.broadcast_add(h, F.mean(y, axis=(1, 2)).reshape((-1, 1)))
        o = self.d3(self.d2(h))
        return F.softmax(o), 2 - o


def main():
    mx.random.seed(7)
    np.random.seed(7)
    for name, (net, inputs) in (("cnn", cnn()), ("mlp", (MLP(prefix="mlp0_"), [nd.random.normal(shape=(2, 3, 5)),
                                                                                 nd.random.normal(shape=(2, 3, 6))]))):
        net.initialize(mx.init.Xavier())
        net.hybridize()
        with autograd.record():  # one training pass so BatchNorm's running statistics are not the defaults
            net(*inputs)
        outs = net(*inputs)
        outs = outs if isinstance(outs, (list, tuple)) else [outs]
        net.export(os.path.join(here, f"export_{name}"))
        arrays = {f"x{i}": a.asnumpy() for i, a in enumerate(inputs)}
        arrays.update({f"y{i}": o.asnumpy() for i, o in enumerate(outs)})
        np.savez(os.path.join(here, f"export_{name}_io.npz"), **arrays)


if __name__ == "__main__":
    main()
