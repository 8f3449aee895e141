"""Runs an ndops case (ndops_cases.py) on unidl_mxnet and compares it with MXNet 1.9.1's recorded
results in ndops_mxnet191.npz. Used by tests/mxnet/test_nd_ops_{sort,math,nn}.py."""
import functools
import importlib.util
import os

import numpy as np
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))


def _load(name):
    spec = importlib.util.spec_from_file_location(f"_unidl_test_{name}", os.path.join(HERE, f"{name}.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


CASES = {c["name"]: c for c in _load("ndops_cases").CASES}


@functools.lru_cache(maxsize=1)
def fixture():
    with np.load(os.path.join(HERE, "ndops_mxnet191.npz")) as f:
        return {k: f[k] for k in f.files}


def names(family):
    return [n for n, c in CASES.items() if c["family"] == family]


def check(name, rtol=1e-5, atol=1e-6, grad_rtol=1e-4, grad_atol=1e-5):
    """Run case ``name`` through ``mx.nd`` and assert outputs, gradients and updated inputs match."""
    import unidl_mxnet as mx
    from unidl_mxnet import autograd, nd

    case, data = CASES[name], fixture()
    args, kwargs, arrays = [], dict(case["kwargs"]), []
    for i, spec in enumerate(case["inputs"]):
        key = None
        if isinstance(spec, dict):
            (key, spec), = spec.items()
        if isinstance(spec, (int, float)):
            val = spec
        else:
            host = data[f"{name}/in{i}"]
            val = nd.array(host, dtype=host.dtype)
            arrays.append((i, val))
            if i in case["grad"]:
                val.attach_grad()
        if key is None:
            args.append(val)
        else:
            kwargs[key] = val
    fn = nd
    for part in case["op"].split("."):
        fn = getattr(fn, part)
    if f"{name}/error" in data:
        with pytest.raises(mx.MXNetError):
            fn(*args, **kwargs)
        return
    if case["grad"] or case["record"]:
        with autograd.record(train_mode=case["train"]):
            res = fn(*args, **kwargs)
    else:
        res = fn(*args, **kwargs)
    outs = list(res) if isinstance(res, (list, tuple)) else [res]
    n_out = len([k for k in data if k.startswith(f"{name}/out")])
    assert len(outs) == n_out, f"{name}: {len(outs)} outputs, MXNet gives {n_out}"
    for j, o in enumerate(outs):
        want = data[f"{name}/out{j}"]
        assert isinstance(o, nd.NDArray)
        assert o.shape == want.shape, f"{name} out{j}: shape {o.shape} vs MXNet {want.shape}"
        assert o.dtype == want.dtype, f"{name} out{j}: dtype {o.dtype} vs MXNet {want.dtype}"
        np.testing.assert_allclose(o.asnumpy(), want, rtol=rtol, atol=atol, err_msg=f"{name} out{j}")
    if case["grad"]:
        heads, hgs = [], []
        for j, o in enumerate(outs):
            # MXNet lets a head that does not depend on the variables (topk's indices) pass a zero gradient;
            # mx.autograd.backward here refuses such heads, so they are left out (same gradients)
            if f"{name}/hg{j}" in data and o.tensor.requires_grad:
                heads.append(o)
                hgs.append(nd.array(data[f"{name}/hg{j}"]))
        autograd.backward(heads, hgs)
        for i, val in arrays:
            if i in case["grad"]:
                np.testing.assert_allclose(val.grad.asnumpy(), data[f"{name}/grad{i}"], rtol=grad_rtol,
                                           atol=grad_atol, err_msg=f"{name} grad{i}")
    for i, val in arrays:
        if i in case["aux"]:
            np.testing.assert_allclose(val.asnumpy(), data[f"{name}/aux{i}"], rtol=rtol, atol=atol,
                                       err_msg=f"{name} aux{i}")
