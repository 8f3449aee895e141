"""Shared by tests/mxnet/test_np.py and test_npx.py: the MXNet 1.9.1 fixtures of np_make_fixtures.py and a
checker that evaluates a case of np_cases.py with unidl_mxnet and compares it with MXNet's result."""
import json
import os

import numpy as onp

import np_cases

HERE = os.path.dirname(os.path.abspath(__file__))
FIX = onp.load(os.path.join(HERE, "np_mxnet191.npz"))
with open(os.path.join(HERE, "np_mxnet191.json")) as _f:
    META = json.load(_f)


def scope():
    """The names the case expressions use: ``np``, ``npx`` and the arrays of ``np_cases.SETUP``."""
    from unidl_mxnet import np, npx

    sc = {"np": np, "npx": npx}
    exec(np_cases.SETUP, sc)
    return sc


def check_case(name: str) -> None:
    """Evaluate case ``name`` and compare values, shapes and dtypes with MXNet's."""
    from unidl_mxnet import np

    res = eval(np_cases.CASES[name], scope())
    if isinstance(res, (list, tuple)):
        got = list(res)
        want = [FIX[f"case/{name}/{i}"] for i in range(len(got))]
        assert f"case/{name}/{len(got)}" not in FIX, f"{name}: MXNet returned more arrays"
    else:
        got, want = [res], [FIX[f"case/{name}"]]
    for g, w in zip(got, want):
        assert isinstance(g, np.ndarray), f"{name}: got {type(g).__name__}"
        a = g.asnumpy()
        assert a.dtype == w.dtype, f"{name}: dtype {a.dtype}, MXNet {w.dtype}"
        assert a.shape == w.shape, f"{name}: shape {a.shape}, MXNet {w.shape}"
        onp.testing.assert_allclose(a, w, rtol=1e-5, atol=1e-6, err_msg=name)
