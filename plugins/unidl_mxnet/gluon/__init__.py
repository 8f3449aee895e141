"""``mx.gluon``: blocks, parameters, layers, losses and the Trainer."""
from . import loss, nn, rnn
from .block import Block, HybridBlock
from .parameter import DeferredInitializationError, Parameter, ParameterDict
from .trainer import Trainer

__all__ = ["Block", "HybridBlock", "Parameter", "ParameterDict", "Trainer", "nn", "loss", "rnn",
           "DeferredInitializationError"]
