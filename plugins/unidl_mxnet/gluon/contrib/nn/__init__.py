"""``mx.gluon.contrib.nn``: Concurrent, HybridConcurrent and Identity."""
from .basic_layers import Concurrent, HybridConcurrent, Identity

__all__ = ["Concurrent", "HybridConcurrent", "Identity"]
