"""gluon.nn Lambda / HybridLambda and gluon.contrib.nn Concurrent / HybridConcurrent / Identity: names,
repr, errors as MXNet 1.9.1 and outputs equal to the real MXNet's (tests/mxnet/data/layers_make_fixtures.py)."""
from __future__ import annotations

import os
import sys

import numpy as np
import pytest

from unidl_mxnet import nd
from unidl_mxnet.gluon import nn

from unidl_mxnet import gluon
from unidl_mxnet.gluon.contrib import nn as cnn

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data"))
from layers_check import check_against_mxnet, fresh_names  # noqa: E402,F401  (fresh_names: autouse)


def test_lambdas_match_real_mxnet():
    check_against_mxnet("lambda", nn.Lambda("tanh"))
    check_against_mxnet("hlambda", nn.HybridLambda(lambda F, x: F.LeakyReLU(x, slope=0.1)))


def test_hybrid_concurrent_matches_real_mxnet():
    conc = cnn.HybridConcurrent(axis=1)
    with conc.name_scope():
        conc.add(nn.Dense(3), nn.Dense(2, activation="relu"), cnn.Identity())
    assert conc.prefix == "hybridconcurrent0_" and conc[0].prefix == "hybridconcurrent0_dense0_"
    check_against_mxnet("hconcurrent", conc)


def test_concurrent_joins_outputs_on_axis():
    c = cnn.Concurrent(axis=0)
    c.add(nn.Lambda(lambda x: x * 2), cnn.Identity())
    x = nd.array([[1.0, 2.0]])
    np.testing.assert_array_equal(c(x).asnumpy(), [[2.0, 4.0], [1.0, 2.0]])
    assert gluon.contrib.nn.Identity is cnn.Identity


def test_lambda_names_repr_and_errors():
    def double(x):
        return x * 2

    assert nn.Lambda("tanh").prefix == "lambda0_" and nn.HybridLambda("tanh").prefix == "hybridlambda0_"
    assert repr(nn.Lambda("tanh")) == "Lambda(tanh)" and repr(nn.Lambda(double)) == "Lambda(double)"
    assert repr(nn.HybridLambda("relu")) == "HybridLambda(relu)"
    assert repr(nn.HybridLambda(lambda F, x: x)) == "HybridLambda(<lambda>)"
    np.testing.assert_allclose(nn.HybridLambda("relu")(nd.array([-1.0, 2.0])).asnumpy(), [0.0, 2.0])
    np.testing.assert_allclose(nn.Lambda(double)(nd.array([1.5])).asnumpy(), [3.0])
    with pytest.raises(AssertionError, match="Function name no_such_op is not found in ndarray."):
        nn.Lambda("no_such_op")
    with pytest.raises(ValueError, match="Unrecognized function in lambda: 3"):
        nn.HybridLambda(3)
    with pytest.raises(AttributeError, match="contrib.cnn is not yet supported"):
        gluon.contrib.cnn
