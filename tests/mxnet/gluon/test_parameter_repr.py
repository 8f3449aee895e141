"""Parameter prints its dtype as it was given, as MXNet 1.9.1 does (d2l's custom-layer chapter shows it)."""
import numpy as np

import unidl_mxnet as mx
from unidl_mxnet.gluon import nn


def test_default_dtype_prints_as_the_numpy_class_and_layer_dtypes_as_strings():
    assert repr(mx.gluon.Parameter("w", shape=(2,))) == "Parameter w (shape=(2,), dtype=<class 'numpy.float32'>)"
    assert repr(mx.gluon.Parameter("w", shape=(2,), dtype="float64")) == "Parameter w (shape=(2,), dtype=float64)"
    dense = nn.Dense(3, in_units=2, prefix="d_")
    assert repr(dense.weight) == "Parameter d_weight (shape=(3, 2), dtype=float32)"
    dense.cast("float16")
    assert repr(dense.weight) == "Parameter d_weight (shape=(3, 2), dtype=float16)"
    assert mx.gluon.Parameter("w", shape=(2,)).dtype is np.float32
