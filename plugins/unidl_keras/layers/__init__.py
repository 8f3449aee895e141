"""``keras.layers``: every layer, imported on first use from its module (one public layer per file,
mirroring ``keras/src/layers/<family>/<layer>.py``)."""
from __future__ import annotations

import importlib
from typing import Any, Dict

from .layer import Layer

# public name -> module (relative to this package)
_WHERE: Dict[str, str] = {
    # core
    "Input": "core.input_layer", "InputLayer": "core.input_layer", "InputSpec": "input_spec", "Dense": "core.dense",
    "Lambda": "core.lambda_layer", "Embedding": "core.embedding", "Masking": "core.masking",
    "Identity": "core.identity", "EinsumDense": "core.einsum_dense", "Wrapper": "core.wrapper",
    # activations
    "Activation": "activations.activation", "ReLU": "activations.relu", "LeakyReLU": "activations.leaky_relu",
    "PReLU": "activations.prelu", "ELU": "activations.elu", "Softmax": "activations.softmax",
    # convolutional
    "Conv1D": "convolutional.conv1d", "Conv2D": "convolutional.conv2d", "Conv3D": "convolutional.conv3d",
    "Conv1DTranspose": "convolutional.conv1d_transpose", "Conv2DTranspose": "convolutional.conv2d_transpose",
    "Conv3DTranspose": "convolutional.conv3d_transpose", "SeparableConv1D": "convolutional.separable_conv1d",
    "SeparableConv2D": "convolutional.separable_conv2d", "DepthwiseConv1D": "convolutional.depthwise_conv1d",
    "DepthwiseConv2D": "convolutional.depthwise_conv2d",
    # pooling
    "MaxPooling1D": "pooling.max_pooling1d", "MaxPooling2D": "pooling.max_pooling2d",
    "MaxPooling3D": "pooling.max_pooling3d", "AveragePooling1D": "pooling.average_pooling1d",
    "AveragePooling2D": "pooling.average_pooling2d", "AveragePooling3D": "pooling.average_pooling3d",
    "GlobalMaxPooling1D": "pooling.global_max_pooling1d", "GlobalMaxPooling2D": "pooling.global_max_pooling2d",
    "GlobalMaxPooling3D": "pooling.global_max_pooling3d",
    "GlobalAveragePooling1D": "pooling.global_average_pooling1d",
    "GlobalAveragePooling2D": "pooling.global_average_pooling2d",
    "GlobalAveragePooling3D": "pooling.global_average_pooling3d",
    "AdaptiveAveragePooling1D": "pooling.adaptive_average_pooling1d",
    "AdaptiveAveragePooling2D": "pooling.adaptive_average_pooling2d",
    "AdaptiveAveragePooling3D": "pooling.adaptive_average_pooling3d",
    "AdaptiveMaxPooling1D": "pooling.adaptive_max_pooling1d", "AdaptiveMaxPooling2D": "pooling.adaptive_max_pooling2d",
    "AdaptiveMaxPooling3D": "pooling.adaptive_max_pooling3d",
    # reshaping
    "Flatten": "reshaping.flatten", "Reshape": "reshaping.reshape", "Permute": "reshaping.permute",
    "RepeatVector": "reshaping.repeat_vector", "ZeroPadding1D": "reshaping.zero_padding1d",
    "ZeroPadding2D": "reshaping.zero_padding2d", "ZeroPadding3D": "reshaping.zero_padding3d",
    "UpSampling1D": "reshaping.up_sampling1d", "UpSampling2D": "reshaping.up_sampling2d",
    "UpSampling3D": "reshaping.up_sampling3d", "Cropping1D": "reshaping.cropping1d",
    "Cropping2D": "reshaping.cropping2d", "Cropping3D": "reshaping.cropping3d",
    # merging (classes and their functional forms)
    "Add": "merging.add", "add": "merging.add", "Subtract": "merging.subtract", "subtract": "merging.subtract",
    "Multiply": "merging.multiply", "multiply": "merging.multiply", "Average": "merging.average",
    "average": "merging.average", "Maximum": "merging.maximum", "maximum": "merging.maximum",
    "Minimum": "merging.minimum", "minimum": "merging.minimum", "Concatenate": "merging.concatenate",
    "concatenate": "merging.concatenate", "Dot": "merging.dot", "dot": "merging.dot",
    # normalization
    "BatchNormalization": "normalization.batch_normalization",
    "LayerNormalization": "normalization.layer_normalization",
    "GroupNormalization": "normalization.group_normalization",
    "UnitNormalization": "normalization.unit_normalization",
    # regularization
    "Dropout": "regularization.dropout", "SpatialDropout1D": "regularization.spatial_dropout",
    "SpatialDropout2D": "regularization.spatial_dropout", "SpatialDropout3D": "regularization.spatial_dropout",
    "GaussianNoise": "regularization.gaussian_noise", "GaussianDropout": "regularization.gaussian_dropout",
    "AlphaDropout": "regularization.alpha_dropout",
    "ActivityRegularization": "regularization.activity_regularization",
    # recurrent
    "RNN": "rnn.rnn", "SimpleRNN": "rnn.simple_rnn", "SimpleRNNCell": "rnn.simple_rnn", "LSTM": "rnn.lstm",
    "LSTMCell": "rnn.lstm", "GRU": "rnn.gru", "GRUCell": "rnn.gru", "StackedRNNCells": "rnn.stacked_rnn_cells",
    "Bidirectional": "rnn.bidirectional", "TimeDistributed": "rnn.time_distributed",
    # attention
    "MultiHeadAttention": "attention.multi_head_attention", "Attention": "attention.attention",
    "AdditiveAttention": "attention.additive_attention",
    # preprocessing
    "Normalization": "preprocessing.normalization", "Rescaling": "preprocessing.rescaling",
    "CategoryEncoding": "preprocessing.category_encoding", "Discretization": "preprocessing.discretization",
    "StringLookup": "preprocessing.string_lookup", "IntegerLookup": "preprocessing.integer_lookup",
    "TextVectorization": "preprocessing.text_vectorization",
    "Resizing": "preprocessing.image_preprocessing.resizing",
    "CenterCrop": "preprocessing.image_preprocessing.center_crop",
    "RandomFlip": "preprocessing.image_preprocessing.random_flip",
    "RandomRotation": "preprocessing.image_preprocessing.random_rotation",
    "RandomZoom": "preprocessing.image_preprocessing.random_zoom",
    "RandomTranslation": "preprocessing.image_preprocessing.random_translation",
    "RandomContrast": "preprocessing.image_preprocessing.random_contrast",
}

__all__ = ["Layer"] + sorted(_WHERE)


def __getattr__(name: str) -> Any:
    mod = _WHERE.get(name)
    if mod is None:
        raise AttributeError(f"module 'keras.layers' has no attribute '{name}'")
    value = getattr(importlib.import_module(f"{__name__}.{mod}"), name)
    globals()[name] = value
    return value


def __dir__() -> list:
    return __all__


def serialize(layer: Layer) -> Dict[str, Any]:
    from ..saving.serialization import serialize_keras_object

    return serialize_keras_object(layer)


def deserialize(config: Dict[str, Any], custom_objects: Any = None) -> Layer:
    from ..saving.serialization import deserialize_keras_object

    return deserialize_keras_object(config, custom_objects=custom_objects)
