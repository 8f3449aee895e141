"""``gluon.nn``: neural-network layers."""
from ..block import Block, HybridBlock
from .basic_layers import Activation, Dense, Dropout, Flatten, HybridSequential, Sequential

__all__ = ["Block", "HybridBlock", "Sequential", "HybridSequential", "Dense", "Activation", "Dropout", "Flatten"]
