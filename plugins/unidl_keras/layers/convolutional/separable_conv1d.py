"""``keras.layers.SeparableConv1D``."""
from __future__ import annotations

from typing import Any, Optional

from .base_separable_conv import BaseSeparableConv


class SeparableConv1D(BaseSeparableConv):
    """1-d depthwise-separable convolution: a depthwise convolution, then a pointwise (1x1) one.

    Args:
        filters: number of output channels.
        kernel_size, strides, dilation_rate: an int or a 1-tuple (for the depthwise step).
        padding: 'valid' or 'same' (TensorFlow's rule, as ``Conv1D``).
        data_format: 'channels_last' or 'channels_first' (None: ``keras.config.image_data_format()``).
        depth_multiplier: depthwise outputs per input channel (default 1).
        activation, use_bias; depthwise_/pointwise_/bias_ initializer ('glorot_uniform', 'glorot_uniform',
        'zeros'), regularizer and constraint; activity_regularizer.

    Input shape: channels_last (batch, steps, channels); channels_first (batch, channels, steps).
    Output shape: the same layout with ``filters`` channels and the convolved spatial sizes.
    Weights: depthwise_kernel (*kernel_size, channels, depth_multiplier),
    pointwise_kernel (1, channels * depth_multiplier, filters), bias (filters,).
    """

    def __init__(self, filters: int, kernel_size: Any, strides: Any = 1, padding: str = "valid",
                 data_format: Optional[str] = None, dilation_rate: Any = 1, depth_multiplier: int = 1,
                 activation: Any = None, use_bias: bool = True, depthwise_initializer: Any = "glorot_uniform",
                 pointwise_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 depthwise_regularizer: Any = None, pointwise_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, depthwise_constraint: Any = None, pointwise_constraint: Any = None,
                 bias_constraint: Any = None, **kwargs: Any) -> None:
        super().__init__(1, depth_multiplier, filters, kernel_size, strides=strides, padding=padding,
                         data_format=data_format, dilation_rate=dilation_rate, activation=activation,
                         use_bias=use_bias, depthwise_initializer=depthwise_initializer,
                         pointwise_initializer=pointwise_initializer, bias_initializer=bias_initializer,
                         depthwise_regularizer=depthwise_regularizer, pointwise_regularizer=pointwise_regularizer,
                         bias_regularizer=bias_regularizer, activity_regularizer=activity_regularizer,
                         depthwise_constraint=depthwise_constraint, pointwise_constraint=pointwise_constraint,
                         bias_constraint=bias_constraint, **kwargs)
