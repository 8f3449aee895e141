"""Twins built from Dense layers: an MLP, an MLP with Dropout, and a user's custom layer.

Each ``keras_*`` function returns a built Keras model, each ``gluon_*`` an un-initialized Gluon net,
written as a user of each framework would write them.
"""
from __future__ import annotations

from typing import Any

import unidl_keras as keras
from unidl_mxnet import gluon
from unidl_mxnet.gluon import nn


def keras_mlp(features: int = 16, classes: int = 10) -> Any:
    return keras.Sequential([keras.Input((features,)), keras.layers.Dense(32, activation="relu"),
                             keras.layers.Dense(32, activation="relu"), keras.layers.Dense(classes)])


def gluon_mlp(classes: int = 10) -> Any:
    net = nn.HybridSequential()
    net.add(nn.Dense(32, activation="relu"), nn.Dense(32, activation="relu"), nn.Dense(classes))
    return net


def keras_mlp_dropout(features: int = 16, classes: int = 10) -> Any:
    return keras.Sequential([keras.Input((features,)), keras.layers.Dense(32, activation="relu"),
                             keras.layers.Dropout(0.5), keras.layers.Dense(classes)])


def gluon_mlp_dropout(classes: int = 10) -> Any:
    net = nn.HybridSequential()
    net.add(nn.Dense(32, activation="relu"), nn.Dropout(0.5), nn.Dense(classes))
    return net


# -- a user's custom layer: y = alpha * tanh(x @ w + b) -------------------------------------------------
class KerasScaledTanh(keras.layers.Layer):
    """A user's Keras layer with ``build``/``call``: ``alpha * tanh(x @ w + b)``; w (in, units)."""

    def __init__(self, units: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape: Any) -> None:
        self.w = self.add_weight(shape=(input_shape[-1], self.units), initializer="glorot_uniform", name="w")
        self.b = self.add_weight(shape=(self.units,), initializer="zeros", name="b")
        self.alpha = self.add_weight(shape=(1,), initializer="ones", name="alpha")

    def call(self, x: Any) -> Any:
        return keras.ops.tanh(keras.ops.matmul(x, self.w) + self.b) * self.alpha


class GluonScaledTanh(gluon.HybridBlock):
    """Its Gluon twin: a HybridBlock with the same three parameters in the same layout."""

    def __init__(self, units: int, in_units: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        with self.name_scope():
            self.w = self.params.get("w", shape=(in_units, units))
            self.b = self.params.get("b", shape=(units,), init="zeros")
            self.alpha = self.params.get("alpha", shape=(1,), init="ones")

    def hybrid_forward(self, F: Any, x: Any, w: Any, b: Any, alpha: Any) -> Any:
        return F.broadcast_mul(F.tanh(F.broadcast_add(F.dot(x, w), b)), alpha)


def keras_custom(features: int = 16, classes: int = 4) -> Any:
    return keras.Sequential([keras.Input((features,)), keras.layers.Dense(16, activation="relu"),
                             KerasScaledTanh(8), keras.layers.Dense(classes)])


def gluon_custom(classes: int = 4) -> Any:
    net = nn.HybridSequential()
    net.add(nn.Dense(16, activation="relu"), GluonScaledTanh(8, in_units=16), nn.Dense(classes))
    return net
