"""``gluon.model_zoo``: MXNet 1.9's model-zoo networks (``vision``) with MXNet's block structure and
parameter names, so the ``.params`` files of MXNet's model store load with strict names."""
from . import model_store, vision

__all__ = ["vision", "model_store"]
