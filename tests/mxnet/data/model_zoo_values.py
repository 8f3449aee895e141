"""Deterministic model-zoo parameter values (NumPy only), shared by model_zoo_make_fixtures.py (real MXNet
1.9.1) and tests/mxnet/gluon/test_model_zoo.py."""
import numpy as np


def det_values(index, name, shape):
    """Deterministic parameter values (float32): a sine pattern scaled by 1/sqrt(fan-in); variances positive."""
    n = int(np.prod(shape))
    v = np.sin(np.arange(n, dtype=np.float64) * 0.37 + index)
    if name.endswith("running_var"):
        v = 1.0 + 0.5 * np.abs(v)
    elif len(shape) > 1:
        v = v * np.sqrt(2.0 / np.prod(shape[1:]))
    else:
        v = 0.1 * v
    return v.reshape(shape).astype(np.float32)
