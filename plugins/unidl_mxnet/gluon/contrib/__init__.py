"""``mx.gluon.contrib``: contributed blocks. ``contrib.nn`` (Concurrent, HybridConcurrent, Identity) is
available; MXNet's other contrib packages (rnn, cnn, data, estimator) are not yet."""
from . import nn

__all__ = ["nn"]


def __getattr__(name):
    if name in ("rnn", "cnn", "data", "estimator"):
        raise AttributeError(f"mxnet.gluon.contrib.{name} is not yet supported by unidl_mxnet")
    raise AttributeError(f"module 'mxnet.gluon.contrib' (unidl_mxnet.gluon.contrib) has no attribute {name!r}")
