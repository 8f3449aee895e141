"""Shared by the gluon.nn layer tests (tests/mxnet/gluon/test_conv_transpose.py, test_activations.py,
test_norm_extra.py, test_lambda.py): the real-MXNet fixtures of layers_make_fixtures.py, a checker that runs a
block on a case's input and parameters and compares output and gradients with MXNet's, and an autouse fixture
giving each test fresh block names (import it into the test module to use it)."""
import os

import numpy as np
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
FIX = np.load(os.path.join(HERE, "layers_mxnet191.npz"))


@pytest.fixture(autouse=True)
def fresh_names(monkeypatch):
    """Block name counters start from zero in each test, as in the fixture script's fresh process."""
    from unidl_mxnet.gluon import block

    monkeypatch.setattr(block, "_global_counter", {})


def check_against_mxnet(name, net, tol=1e-5, input_grad=True):
    """Run ``net`` with case ``name``'s parameters and input; compare output and gradients with MXNet's
    (the input gradient only when ``input_grad``)."""
    from unidl_mxnet import autograd, nd

    x = nd.array(FIX[f"{name}__x"])
    net.initialize()
    net(x)
    params = net._collect_params_with_prefix()
    keys = sorted(k[len(name) + 5:] for k in FIX.files if k.startswith(f"{name}__p__"))
    assert sorted(params) == keys
    for k in keys:
        assert params[k].shape == FIX[f"{name}__p__{k}"].shape
        params[k].set_data(nd.array(FIX[f"{name}__p__{k}"]))
    x.attach_grad()
    with autograd.record():
        out = net(x)
        loss = (out * nd.array(FIX[f"{name}__head"])).sum()
    loss.backward()
    np.testing.assert_allclose(out.asnumpy(), FIX[f"{name}__out"], rtol=tol, atol=tol)
    if input_grad:
        np.testing.assert_allclose(x.grad.asnumpy(), FIX[f"{name}__gx"], rtol=tol, atol=tol)
    for k in keys:
        if f"{name}__g__{k}" in FIX.files:
            np.testing.assert_allclose(params[k].grad().asnumpy(), FIX[f"{name}__g__{k}"], rtol=tol, atol=tol)
