"""Regenerate the export / SymbolBlock fixtures with real MXNet 1.9.1 (see make_fixtures.py for the venv):

    /tmp/mxvenv/bin/python tests/mxnet/data/export_make_fixtures.py

Writes, beside this file, for a small CNN (Conv2D, BatchNorm with trained running stats, pools, Dense) and an
MLP with hand-written ``hybrid_forward`` arithmetic (two inputs, two outputs): ``export_<name>-symbol.json``
and ``export_<name>-0000.params`` from ``HybridBlock.export``, and ``export_<name>_io.npz`` holding the inputs
(x0, x1, ...) and MXNet's outputs (y0, y1, ...) in inference mode. The models are in export_models.py.
"""
import os

import mxnet as mx
import numpy as np
from mxnet import autograd

from export_models import MODELS

here = os.path.dirname(os.path.abspath(__file__))


def main():
    mx.random.seed(7)
    np.random.seed(7)
    built = [(name, build(mx)) for name, build in MODELS.items()]  # all inputs drawn before any initialization
    for name, (net, inputs) in built:
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
