"""MobileNet (v1): a strided 3x3 convolution, then 13 depthwise-separable blocks (3x3 depthwise conv + BN +
ReLU6, 1x1 pointwise conv + BN + ReLU6), then an optional classifier (Howard et al., 2017,
arXiv:1704.04861). Layer names and order follow Keras's ``keras.applications.mobilenet``, so a Keras
weights file for the same configuration loads by name or order."""
from __future__ import annotations

from typing import Any, Optional

from .. import layers
from ..backend.config import image_data_format
from ..backend.keras_tensor import KerasTensor
from . import imagenet_utils

# (pointwise filters, strides) of blocks 1..13
_BLOCKS = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), (512, 1), (512, 1), (512, 1), (512, 1),
           (512, 1), (1024, 2), (1024, 1)]


def _source_inputs(t: Any) -> Any:
    """The Input tensors ``t`` is computed from (``t`` itself when it is an input)."""
    from ..layers.core.input_layer import InputLayer

    hist = getattr(t, "_keras_history", None)
    if not hist:
        return [t]
    layer, node_index, _ = hist
    if isinstance(layer, InputLayer) or not getattr(layer, "_inbound_nodes", None):
        return [t]
    node = layer._inbound_nodes[node_index]
    out: list = []
    for x in node.input_tensors:
        for s in _source_inputs(x):
            if all(s is not y for y in out):
                out.append(s)
    return out


def _conv_block(x: Any, filters: int, alpha: float, channel_axis: int, strides: int = 2) -> Any:
    x = layers.Conv2D(int(filters * alpha), (3, 3), padding="same", use_bias=False, strides=(strides, strides),
                      name="conv1")(x)
    x = layers.BatchNormalization(axis=channel_axis, name="conv1_bn")(x)
    return layers.ReLU(6.0, name="conv1_relu")(x)


def _depthwise_block(x: Any, filters: int, alpha: float, depth_multiplier: int, strides: int, block: int,
                     channel_axis: int) -> Any:
    if strides != 1:  # pad bottom/right by one, then a "valid" strided conv (TF's "same" for even sizes)
        x = layers.ZeroPadding2D(((0, 1), (0, 1)), name=f"conv_pad_{block}")(x)
    x = layers.DepthwiseConv2D((3, 3), padding="same" if strides == 1 else "valid", depth_multiplier=depth_multiplier,
                               strides=(strides, strides), use_bias=False, name=f"conv_dw_{block}")(x)
    x = layers.BatchNormalization(axis=channel_axis, name=f"conv_dw_{block}_bn")(x)
    x = layers.ReLU(6.0, name=f"conv_dw_{block}_relu")(x)
    x = layers.Conv2D(int(filters * alpha), (1, 1), padding="same", use_bias=False, strides=(1, 1),
                      name=f"conv_pw_{block}")(x)
    x = layers.BatchNormalization(axis=channel_axis, name=f"conv_pw_{block}_bn")(x)
    return layers.ReLU(6.0, name=f"conv_pw_{block}_relu")(x)


def MobileNet(input_shape: Any = None, alpha: float = 1.0, depth_multiplier: int = 1, dropout: float = 1e-3,
              include_top: bool = True, weights: Any = "imagenet", input_tensor: Any = None,
              pooling: Optional[str] = None, classes: int = 1000, classifier_activation: Any = "softmax",
              name: Optional[str] = None) -> Any:
    """The MobileNet architecture as a functional model.

    Args:
        input_shape: image shape without the batch axis (default 224x224x3 with a classifier on top, any size
            otherwise; at least 32x32).
        alpha: width multiplier of every layer's filters.
        depth_multiplier: depthwise convolution channel multiplier.
        dropout: dropout rate before the classifier.
        include_top: whether to end with the 1x1-convolution classifier.
        weights: ``None`` (random initialization) or the path of a weights file. ``"imagenet"`` is refused:
            pretrained weights are not downloaded.
        input_tensor: a KerasTensor to use as the image input.
        pooling: without the top, ``"avg"`` or ``"max"`` global pooling of the last feature map, or ``None``.
        classes: number of classes (with ``include_top``).
        classifier_activation: activation of the classifier (``"softmax"`` by default).
        name: model name (default ``mobilenet_{alpha:.2f}_{rows}``).
    """
    from ..models.functional import Functional

    imagenet_utils.check_weights(weights, include_top, classes)
    data_format = image_data_format()
    first = data_format == "channels_first"
    if input_shape is None:
        default_size = 224
    else:
        rows, cols = (input_shape[1], input_shape[2]) if first else (input_shape[0], input_shape[1])
        default_size = rows if rows == cols and rows in (128, 160, 192, 224) else 224
    input_shape = imagenet_utils.obtain_input_shape(input_shape, default_size=default_size, min_size=32,
                                                    data_format=data_format, require_flatten=include_top,
                                                    weights=weights)
    rows = input_shape[1] if first else input_shape[0]
    if input_tensor is None:
        img_input = layers.Input(shape=input_shape)
    elif isinstance(input_tensor, KerasTensor):
        img_input = input_tensor
    else:
        img_input = layers.Input(tensor=input_tensor, shape=input_shape)
    channel_axis = 1 if first else -1

    x = _conv_block(img_input, 32, alpha, channel_axis)
    for block, (filters, strides) in enumerate(_BLOCKS, start=1):
        x = _depthwise_block(x, filters, alpha, depth_multiplier, strides, block, channel_axis)

    if include_top:
        x = layers.GlobalAveragePooling2D(keepdims=True)(x)
        x = layers.Dropout(dropout, name="dropout")(x)
        x = layers.Conv2D(classes, (1, 1), padding="same", name="conv_preds")(x)
        x = layers.Reshape((classes,), name="reshape_2")(x)
        imagenet_utils.validate_activation(classifier_activation, weights)
        x = layers.Activation(activation=classifier_activation, name="predictions")(x)
    elif pooling == "avg":
        x = layers.GlobalAveragePooling2D()(x)
    elif pooling == "max":
        x = layers.GlobalMaxPooling2D()(x)

    inputs = _source_inputs(input_tensor) if input_tensor is not None else img_input
    model = Functional(inputs, x, name=name or f"mobilenet_{alpha:0.2f}_{rows}")
    if weights is not None:
        model.load_weights(weights)
    return model


def preprocess_input(x: Any, data_format: Optional[str] = None) -> Any:
    """Scale pixels from [0, 255] to [-1, 1], as MobileNet expects."""
    return imagenet_utils.preprocess_input(x, data_format=data_format, mode="tf")
