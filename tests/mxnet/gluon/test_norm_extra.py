"""gluon.nn InstanceNorm and GroupNorm (and the core unidl.nn.layers_extra functions under them): MXNet 1.9.1
defaults, parameter names and shapes (GroupNorm's per-group gamma/beta), repr, errors; outputs and gradients
equal to the real MXNet's (tests/mxnet/data/layers_make_fixtures.py) and to NumPy."""
from __future__ import annotations

import os
import sys

import numpy as np
import pytest

from unidl_mxnet import nd
from unidl_mxnet.base import MXNetError
from unidl_mxnet.gluon import nn

import unidl
from unidl.nn import layers_extra

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data"))
from layers_check import check_against_mxnet, fresh_names  # noqa: E402,F401  (fresh_names: autouse)


@pytest.mark.parametrize("name, make", [
    ("instnorm", lambda: nn.InstanceNorm(scale=True)),
    ("instnorm_default", lambda: nn.InstanceNorm()),
    ("instnorm_axis", lambda: nn.InstanceNorm(axis=2, scale=True, epsilon=1e-3)),
    ("groupnorm", lambda: nn.GroupNorm(2)),
    ("groupnorm1", lambda: nn.GroupNorm(epsilon=1e-3)),
])
def test_matches_real_mxnet(name, make):
    check_against_mxnet(name, make())


def test_defaults_names_and_repr():
    i = nn.InstanceNorm()
    assert i.prefix == "instancenorm0_" and i.gamma.name == "instancenorm0_gamma" and i.beta.shape == (0,)
    assert i.gamma.grad_req == "null" and i.beta.grad_req == "write"  # scale=False by default, as MXNet
    assert repr(i) == "InstanceNorm(eps=1e-05, axis=1, center=True, scale=False, in_channels=0)"
    i.initialize()
    i(nd.ones((2, 5, 3)))
    assert i.gamma.shape == (5,)
    g = nn.GroupNorm(4)
    assert g.gamma.shape == (4,) and g.beta.shape == (4,) and g.prefix == "groupnorm0_"
    assert repr(g) == "GroupNorm(eps=1e-05, num_groups=4, center=True, scale=True)"


def test_core_group_norm_against_numpy():
    rng = np.random.RandomState(3)
    x = rng.randn(2, 6, 4).astype("float32")
    gamma, beta = rng.rand(6).astype("float32") + 0.5, rng.randn(6).astype("float32")
    xg = x.reshape(2, 3, 2, 4)
    want = ((xg - xg.mean((2, 3), keepdims=True)) / np.sqrt(xg.var((2, 3), keepdims=True) + 1e-5)).reshape(x.shape)
    want = want * gamma[:, None] + beta[:, None]  # per-channel affine (Keras / PyTorch form)
    got = layers_extra.group_norm(unidl.tensor(x), 3, unidl.tensor(gamma), unidl.tensor(beta))
    np.testing.assert_allclose(got.numpy(), want, rtol=1e-5, atol=1e-5)
    with pytest.raises(unidl.errors.OpError, match="divisible by num_groups=4"):
        layers_extra.group_norm(unidl.tensor(x), 4)


def test_core_instance_norm_against_numpy():
    rng = np.random.RandomState(4)
    x = rng.randn(2, 3, 5).astype("float32")
    want = (x - x.mean(2, keepdims=True)) / np.sqrt(x.var(2, keepdims=True) + 1e-5)
    np.testing.assert_allclose(layers_extra.instance_norm(unidl.tensor(x)).numpy(), want, rtol=1e-5, atol=1e-5)


def test_errors():
    g = nn.GroupNorm(4)
    g.initialize()
    with pytest.raises(MXNetError, match=r"GroupNorm: .*divisible by num_groups=4, got shape \(2, 6, 3\)"):
        g(nd.ones((2, 6, 3)))
    i = nn.InstanceNorm()
    i.initialize()
    with pytest.raises(MXNetError, match=r"InstanceNorm: expected an input with at least 3 dims"):
        i(nd.ones((2, 6)))
