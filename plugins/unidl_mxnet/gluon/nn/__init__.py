"""``gluon.nn``: neural-network layers."""
from ..block import Block, HybridBlock
from .basic_layers import Activation, Dense, Dropout, Flatten, HybridSequential, Sequential
from .conv_layers import (AvgPool1D, AvgPool2D, Conv1D, Conv2D, Conv3D, GlobalAvgPool1D, GlobalAvgPool2D,
                          GlobalMaxPool1D, GlobalMaxPool2D, MaxPool1D, MaxPool2D)
from .norm_layers import BatchNorm, Embedding, LayerNorm

__all__ = ["Block", "HybridBlock", "Sequential", "HybridSequential", "Dense", "Activation", "Dropout", "Flatten",
           "Conv1D", "Conv2D", "Conv3D", "MaxPool1D", "MaxPool2D", "AvgPool1D", "AvgPool2D", "GlobalMaxPool1D",
           "GlobalMaxPool2D", "GlobalAvgPool1D", "GlobalAvgPool2D", "BatchNorm", "LayerNorm", "Embedding"]
