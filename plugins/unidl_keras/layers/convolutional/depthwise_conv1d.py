"""``keras.layers.DepthwiseConv1D``."""
from __future__ import annotations

from typing import Any, Optional

from .base_depthwise_conv import BaseDepthwiseConv


class DepthwiseConv1D(BaseDepthwiseConv):
    """1-d depthwise convolution: each input channel convolved on its own with ``depth_multiplier`` kernels.

    Args:
        kernel_size, strides, dilation_rate: an int or a 1-tuple.
        padding: 'valid' or 'same' (TensorFlow's rule, as ``Conv1D``).
        depth_multiplier: output channels per input channel (default 1).
        data_format: 'channels_last' or 'channels_first' (None: ``keras.config.image_data_format()``).
        activation, use_bias, depthwise_initializer ('glorot_uniform'), bias_initializer ('zeros'),
        depthwise/bias/activity regularizers, depthwise/bias constraints: as ``Conv1D``'s kernel ones.

    Input shape: channels_last (batch, steps, channels); channels_first (batch, channels, steps).
    Output shape: the same layout with ``channels * depth_multiplier`` channels (channel
    ``c * depth_multiplier + m`` is input channel c's m-th filter).
    Weights: kernel (*kernel_size, channels, depth_multiplier), bias (channels * depth_multiplier,).
    """

    def __init__(self, kernel_size: Any, strides: Any = 1, padding: str = "valid", depth_multiplier: int = 1,
                 data_format: Optional[str] = None, dilation_rate: Any = 1, activation: Any = None,
                 use_bias: bool = True, depthwise_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 depthwise_regularizer: Any = None, bias_regularizer: Any = None, activity_regularizer: Any = None,
                 depthwise_constraint: Any = None, bias_constraint: Any = None, **kwargs: Any) -> None:
        super().__init__(1, depth_multiplier, kernel_size, strides=strides, padding=padding,
                         data_format=data_format, dilation_rate=dilation_rate, activation=activation,
                         use_bias=use_bias, depthwise_initializer=depthwise_initializer,
                         bias_initializer=bias_initializer, depthwise_regularizer=depthwise_regularizer,
                         bias_regularizer=bias_regularizer, activity_regularizer=activity_regularizer,
                         depthwise_constraint=depthwise_constraint, bias_constraint=bias_constraint, **kwargs)
