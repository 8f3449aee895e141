"""Regenerate ndops_mxnet191.npz, the real-MXNet expectations of the ``mx.nd`` operator tests
(tests/mxnet/test_nd_ops_*.py); the cases are in ndops_cases.py beside this file:

    /tmp/mxvenv/bin/python tests/mxnet/data/ndops_make_fixtures.py

For case NAME the file holds NAME/in{i} (inputs), NAME/out{j} (outputs), NAME/hg{j} (head gradients),
NAME/grad{i} (input gradients), NAME/aux{i} (inputs after the call, for ops that update them), or
NAME/error (a 0-d string) when MXNet refused the case.
"""
import os
import sys

# oneDNN (MKLDNN) refuses dilated deconvolution and crashes on some pooling; the reference kernels don't
os.environ["MXNET_MKLDNN_ENABLED"] = "0"
import mxnet as mx
import numpy as np
from mxnet import autograd, nd

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
from ndops_cases import CASES, make_input  # noqa: E402


def resolve(path):
    obj = nd
    for part in path.split("."):
        obj = getattr(obj, part)
    return obj


def run(case, rng, out):
    name = case["name"]
    args, kwargs, arrays = [], dict(case["kwargs"]), []
    for i, spec in enumerate(case["inputs"]):
        key = None
        if isinstance(spec, dict):
            (key, spec), = spec.items()
        if isinstance(spec, (int, float)):
            val = spec
        else:
            host = make_input(spec, rng)
            out[f"{name}/in{i}"] = host
            val = nd.array(host, dtype=host.dtype)
            arrays.append((i, val))
            if i in case["grad"]:
                val.attach_grad()
        if key is None:
            args.append(val)
        else:
            kwargs[key] = val
    fn = resolve(case["op"])
    if case["grad"] or case["record"]:
        with autograd.record(train_mode=case["train"]):
            res = fn(*args, **kwargs)
    else:
        res = fn(*args, **kwargs)
    outs = list(res) if isinstance(res, (list, tuple)) else [res]
    for j, o in enumerate(outs):
        out[f"{name}/out{j}"] = o.asnumpy()
    if case["grad"]:
        heads, hgs = [], []
        for j, o in enumerate(outs):
            if np.dtype(o.dtype).kind == "f":
                hg = rng.standard_normal(o.shape).astype(o.dtype)
                out[f"{name}/hg{j}"] = hg
                heads.append(o)
                hgs.append(nd.array(hg, dtype=hg.dtype))
        autograd.backward(heads, hgs)
        for i, val in arrays:
            if i in case["grad"]:
                out[f"{name}/grad{i}"] = val.grad.asnumpy()
    for i, val in arrays:
        if i in case["aux"]:
            out[f"{name}/aux{i}"] = val.asnumpy()


def main():
    out = {}
    for k, case in enumerate(CASES):
        rng = np.random.RandomState(1000 + k)
        try:
            run(case, rng, out)
        except mx.base.MXNetError as e:
            print("refused:", case["name"], str(e)[-400:])
            out[f"{case['name']}/error"] = np.array(str(e).splitlines()[0])
    np.savez_compressed(os.path.join(here, "ndops_mxnet191.npz"), **out)
    print(len(CASES), "cases")


if __name__ == "__main__":
    main()
