"""Regenerate tests/mxnet/data/model_zoo_params.json and model_zoo_outputs_mxnet191.npz with real MXNet 1.9.1
(see make_fixtures.py for the venv):

    /tmp/mxvenv/bin/python tests/mxnet/data/model_zoo_make_fixtures.py

model_zoo_params.json: for each model-zoo architecture (default 1000 classes), the names and shapes of
``collect_params()`` after a forward of a (1, 3, 224, 224) input (``inferred``) and, per parameter, a bit mask of
the dims still 0 before that forward (``deferred``: bit d set when dim d was unknown at construction).
model_zoo_outputs_mxnet191.npz: outputs of a few small models (classes=10, 32x32 input) whose parameters are
set by ``det_values`` of model_zoo_values.py (the test sets the same values), in inference mode.
"""
import json
import os

import mxnet as mx
import numpy as np
from mxnet.gluon.model_zoo import vision

from model_zoo_values import det_values

here = os.path.dirname(os.path.abspath(__file__))
NAMES = ["resnet18_v1", "resnet34_v1", "resnet50_v1", "resnet101_v1", "resnet152_v1", "resnet18_v2",
         "resnet34_v2", "resnet50_v2", "resnet101_v2", "resnet152_v2", "vgg11", "vgg13", "vgg16", "vgg19",
         "vgg11_bn", "vgg13_bn", "vgg16_bn", "vgg19_bn", "alexnet", "densenet121", "densenet161", "densenet169",
         "densenet201", "squeezenet1.0", "squeezenet1.1", "mobilenet1.0", "mobilenet0.75", "mobilenet0.5",
         "mobilenet0.25", "mobilenetv2_1.0", "mobilenetv2_0.75", "mobilenetv2_0.5", "mobilenetv2_0.25"]
NUMERIC = ["resnet18_v1", "resnet18_v2", "mobilenet0.25", "mobilenetv2_0.25"]


def main():
    table = {}
    for name in NAMES:
        net = vision.get_model(name)
        declared = [p.shape for p in net.collect_params().values()]
        net.initialize()
        net(mx.nd.zeros((1, 3, 224, 224)))
        params = list(net.collect_params().values())
        table[name] = {"names": [p.name for p in params], "inferred": [list(p.shape) for p in params],
                       "deferred": [sum(1 << d for d, s in enumerate(sh) if s == 0) for sh in declared]}
        print(name, len(params))
    with open(os.path.join(here, "model_zoo_params.json"), "w") as f:
        json.dump(table, f, separators=(",", ":"))
    x = np.sin(np.arange(2 * 3 * 32 * 32) * 0.11).reshape(2, 3, 32, 32).astype(np.float32)
    out = {"x": x}
    for name in NUMERIC:
        net = vision.get_model(name, classes=10)
        net.initialize()
        net(mx.nd.array(x))
        for i, p in enumerate(net.collect_params().values()):
            p.set_data(mx.nd.array(det_values(i, p.name, p.shape)))
        out[name] = net(mx.nd.array(x)).asnumpy()
    np.savez(os.path.join(here, "model_zoo_outputs_mxnet191.npz"), **out)


if __name__ == "__main__":
    main()
