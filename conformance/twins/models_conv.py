"""Convolutional twins. The Keras twins use ``data_format="channels_first"`` so both frameworks run the
core's NCHW conv/pool/batch-norm on the same memory layout (see zoo.py "Layout" for why); ``cnn_nhwc``
is the one twin in Keras's default channels_last, fed the NHWC transpose of the Gluon input.
"""
from __future__ import annotations

from typing import Any

import unidl_keras as keras
from unidl_mxnet import gluon
from unidl_mxnet.gluon import nn

L = keras.layers
CF = "channels_first"


def keras_lenet(shape: tuple = (1, 12, 12), classes: int = 10) -> Any:
    return keras.Sequential([
        keras.Input(shape), L.Conv2D(4, 3, activation="relu", data_format=CF), L.MaxPooling2D(2, data_format=CF),
        L.Conv2D(8, 3, activation="relu", data_format=CF), L.Flatten(), L.Dense(16, activation="relu"),
        L.Dense(classes)])


def gluon_lenet(classes: int = 10) -> Any:
    net = nn.HybridSequential()
    net.add(nn.Conv2D(4, 3, activation="relu"), nn.MaxPool2D(2), nn.Conv2D(8, 3, activation="relu"), nn.Flatten(),
            nn.Dense(16, activation="relu"), nn.Dense(classes))
    return net


def keras_cnn_bn(shape: tuple = (3, 8, 8), classes: int = 10) -> Any:
    return keras.Sequential([
        keras.Input(shape), L.Conv2D(8, 3, padding="same", use_bias=False, data_format=CF),
        L.BatchNormalization(axis=1), L.Activation("relu"), L.MaxPooling2D(2, data_format=CF), L.Flatten(),
        L.Dense(classes)])


def gluon_cnn_bn(classes: int = 10) -> Any:
    net = nn.HybridSequential()
    # Keras's BatchNormalization defaults (momentum 0.99, epsilon 1e-3), not Gluon's (0.9, 1e-5)
    net.add(nn.Conv2D(8, 3, padding=1, use_bias=False), nn.BatchNorm(momentum=0.99, epsilon=1e-3),
            nn.Activation("relu"), nn.MaxPool2D(2), nn.Flatten(), nn.Dense(classes))
    return net


def keras_resnet_block(shape: tuple = (4, 8, 8), channels: int = 8, classes: int = 10) -> Any:
    inp = keras.Input(shape)
    x = L.Conv2D(channels, 3, padding="same", use_bias=False, data_format=CF)(inp)
    x = L.BatchNormalization(axis=1)(x)
    x = L.Activation("relu")(x)
    x = L.Conv2D(channels, 3, padding="same", use_bias=False, data_format=CF)(x)
    x = L.BatchNormalization(axis=1)(x)
    s = L.Conv2D(channels, 1, use_bias=False, data_format=CF)(inp)
    s = L.BatchNormalization(axis=1)(s)
    x = L.Activation("relu")(L.Add()([x, s]))
    x = L.GlobalAveragePooling2D(data_format=CF)(x)
    return keras.Model(inp, L.Dense(classes)(x))


class BasicBlock(gluon.HybridBlock):
    """ResNet v1 basic block with a 1x1 projection shortcut (as gluon.model_zoo writes it)."""

    def __init__(self, channels: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        with self.name_scope():
            # registered in the order Keras's functional model lists its layers (by graph depth:
            # conv1, bn1, conv2, the shortcut conv, bn2, the shortcut bn): the mapping pairs layers in order
            self.conv1 = nn.Conv2D(channels, 3, padding=1, use_bias=False)
            self.bn1 = nn.BatchNorm(momentum=0.99, epsilon=1e-3)
            self.conv2 = nn.Conv2D(channels, 3, padding=1, use_bias=False)
            self.down = nn.Conv2D(channels, 1, use_bias=False)
            self.bn2 = nn.BatchNorm(momentum=0.99, epsilon=1e-3)
            self.down_bn = nn.BatchNorm(momentum=0.99, epsilon=1e-3)

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        y = F.Activation(self.bn1(self.conv1(x)), act_type="relu")
        y = self.bn2(self.conv2(y))
        s = self.down_bn(self.down(x))
        return F.Activation(y + s, act_type="relu")


def gluon_resnet_block(channels: int = 8, classes: int = 10) -> Any:
    net = nn.HybridSequential()
    net.add(BasicBlock(channels), nn.GlobalAvgPool2D(), nn.Dense(classes))
    return net


def keras_sepconv(shape: tuple = (4, 8, 8), classes: int = 10) -> Any:
    return keras.Sequential([
        keras.Input(shape), L.SeparableConv2D(8, 3, padding="same", activation="relu", data_format=CF),
        L.GlobalAveragePooling2D(data_format=CF), L.Dense(classes)])


def gluon_sepconv(in_channels: int = 4, classes: int = 10) -> Any:
    net = nn.HybridSequential()
    net.add(nn.Conv2D(in_channels, 3, padding=1, groups=in_channels, use_bias=False),   # depthwise
            nn.Conv2D(8, 1, activation="relu"),                                          # pointwise
            nn.GlobalAvgPool2D(), nn.Dense(classes))
    return net


def keras_autoencoder(shape: tuple = (1, 8, 8)) -> Any:
    return keras.Sequential([
        keras.Input(shape), L.Conv2D(4, 4, strides=2, padding="same", activation="relu", data_format=CF),
        L.Conv2DTranspose(1, 4, strides=2, padding="same", data_format=CF)])


def gluon_autoencoder() -> Any:
    net = nn.HybridSequential()
    # Keras 'same' with kernel 4, stride 2 pads/crops 1 on each side: Gluon's symmetric padding=1.
    # (With an odd total, e.g. kernel 3, Keras puts the extra on the high side, which Gluon cannot.)
    net.add(nn.Conv2D(4, 4, strides=2, padding=1, activation="relu"), nn.Conv2DTranspose(1, 4, strides=2, padding=1))
    return net


def keras_cnn_nhwc(shape: tuple = (8, 8, 3), classes: int = 10) -> Any:
    return keras.Sequential([keras.Input(shape), L.Conv2D(8, 3, activation="relu"), L.GlobalAveragePooling2D(),
                             L.Dense(classes)])


class ChannelsLastCNN(gluon.HybridBlock):
    """A Gluon net fed NHWC images, as a user porting channels-last data writes it: the input is viewed as
    NCHW (a transpose, no copy) and the layers are Gluon's channels-first ones."""

    def __init__(self, classes: int = 10, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        with self.name_scope():
            self.body = nn.HybridSequential()
            self.body.add(nn.Conv2D(8, 3, activation="relu"), nn.GlobalAvgPool2D(), nn.Dense(classes))

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return self.body(F.transpose(x, axes=(0, 3, 1, 2)))


def gluon_cnn_nhwc(classes: int = 10) -> Any:
    return ChannelsLastCNN(classes)
