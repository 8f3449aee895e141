"""``mx.gluon.contrib``: contributed blocks. ``contrib.nn`` (Concurrent, HybridConcurrent, Identity) and
``contrib.estimator`` (Estimator, event handlers) are available; MXNet's other contrib packages load on
first access when unidl has them."""
from . import nn

__all__ = ["nn", "estimator"]


def __getattr__(name):
    if name == "estimator":
        from . import estimator

        return estimator
    if name in ("cnn", "data"):
        raise AttributeError(f"mxnet.gluon.contrib.{name} is not yet supported by unidl_mxnet")
    if name == "rnn":
        import importlib

        try:
            return importlib.import_module(__name__ + ".rnn")
        except ModuleNotFoundError:
            raise AttributeError("mxnet.gluon.contrib.rnn is not yet supported by unidl_mxnet") from None
    raise AttributeError(f"module 'mxnet.gluon.contrib' (unidl_mxnet.gluon.contrib) has no attribute {name!r}")
