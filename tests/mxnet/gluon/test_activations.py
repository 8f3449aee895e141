"""gluon.nn activation blocks (LeakyReLU, PReLU, ELU, SELU, GELU, Swish, Activation): names, parameters,
repr and errors as MXNet 1.9.1; outputs and gradients equal to the real MXNet's (fixtures written by
tests/mxnet/data/layers_make_fixtures.py) and to NumPy formulas written here."""
from __future__ import annotations

import os
import sys

import numpy as np
import pytest

from unidl_mxnet import autograd, nd
from unidl_mxnet.base import MXNetError
from unidl_mxnet.gluon import nn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data"))
from layers_check import FIX, check_against_mxnet, fresh_names  # noqa: E402,F401  (fresh_names: autouse)


@pytest.mark.parametrize("name, make", [
    ("leakyrelu", lambda: nn.LeakyReLU(0.1)),
    ("prelu", lambda: nn.PReLU()),
    ("prelu_c", lambda: nn.PReLU(in_channels=3)),
    ("elu", lambda: nn.ELU(0.7)),
    ("gelu", lambda: nn.GELU()),
    ("swish", lambda: nn.Swish(1.5)),
])
def test_matches_real_mxnet(name, make):
    check_against_mxnet(name, make())


def test_selu_forward_matches_mxnet_and_gradient_is_the_true_derivative():
    # MXNet 1.9's SELU backward computes scale * (out + alpha) for x < 0 (out already scaled), which is not
    # the derivative scale * alpha * exp(x); unidl keeps the true derivative, so only the forward is compared
    check_against_mxnet("selu", nn.SELU(), input_grad=False)
    x = nd.array(FIX["selu__x"])
    x.attach_grad()
    with autograd.record():
        y = nn.SELU()(x)
    y.backward(nd.array(FIX["selu__head"]))
    a, s, xv = 1.6732632423543772, 1.0507009873554805, FIX["selu__x"]
    want = FIX["selu__head"] * s * np.where(xv > 0, 1.0, a * np.exp(xv))
    np.testing.assert_allclose(x.grad.asnumpy(), want, rtol=1e-5, atol=1e-6)
    pos = xv > 0  # where x > 0 both agree with MXNet
    np.testing.assert_allclose(x.grad.asnumpy()[pos], FIX["selu__gx"][pos], rtol=1e-5)


def test_values_against_numpy_formulas():
    x = np.linspace(-3, 3, 13).astype("float32").reshape(1, 13)
    xa = nd.array(x)
    np.testing.assert_allclose(nn.LeakyReLU(0.2)(xa).asnumpy(), np.where(x >= 0, x, 0.2 * x), rtol=1e-6)
    np.testing.assert_allclose(nn.ELU(0.5)(xa).asnumpy(), np.where(x > 0, x, 0.5 * np.expm1(x)), rtol=1e-6,
                               atol=1e-7)
    np.testing.assert_allclose(nn.Swish(2.0)(xa).asnumpy(), x / (1 + np.exp(-2 * x)), rtol=1e-6, atol=1e-7)
    a, s = 1.6732632423543772, 1.0507009873554805
    np.testing.assert_allclose(nn.SELU()(xa).asnumpy(), s * np.where(x > 0, x, a * np.expm1(x)), rtol=1e-6,
                               atol=1e-7)


def test_prelu_parameter_and_initializer():
    p = nn.PReLU(in_channels=4)
    assert p.prefix == "prelu0_" and p.alpha.name == "prelu0_alpha" and p.alpha.shape == (4,)
    import unidl_mxnet as mx

    p.initialize(mx.init.Xavier())  # alpha keeps its own Constant(0.25)
    np.testing.assert_array_equal(p.alpha.data().asnumpy(), np.full(4, 0.25, "float32"))
    x = nd.array(-np.ones((2, 4, 3), "float32"))
    np.testing.assert_allclose(p(x).asnumpy(), -0.25 * np.ones((2, 4, 3)))
    with pytest.raises(MXNetError, match=r"PReLU: alpha has 4 channels but the input of shape \(2, 3\)"):
        p(nd.ones((2, 3)))


def test_names_repr_and_errors():
    assert nn.Activation("relu").prefix == "relu0_" and nn.Activation("tanh").prefix == "tanh0_"
    assert nn.Activation("relu").prefix == "relu1_"
    assert [nn.LeakyReLU(0.1).prefix, nn.ELU().prefix, nn.SELU().prefix, nn.GELU().prefix, nn.Swish().prefix] == \
        ["leakyrelu0_", "elu0_", "selu0_", "gelu0_", "swish0_"]
    assert repr(nn.LeakyReLU(0.1)) == "LeakyReLU(0.1)" and repr(nn.Activation("relu")) == "Activation(relu)"
    assert repr(nn.PReLU()) == "PReLU(\n\n)" and repr(nn.GELU()) == "GELU(\n\n)"
    with pytest.raises(AssertionError, match="must be no less than 0"):
        nn.LeakyReLU(-0.1)
    net = nn.HybridSequential()
    with net.name_scope():
        net.add(nn.Dense(3, activation="relu"), nn.Activation("sigmoid"))
    assert net[0].act.prefix == "hybridsequential0_dense0_relu_" and net[1].prefix == "hybridsequential0_sigmoid0_"
