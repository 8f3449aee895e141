"""``keras.layers.Conv2D``."""
from __future__ import annotations

from typing import Any, Optional

from .base_conv import BaseConv


class Conv2D(BaseConv):
    """2-d convolution: ``activation(conv(inputs, kernel) + bias)``.

    Args:
        filters: number of output channels.
        kernel_size: an int or 2 ints.
        strides: an int or 2 ints (default 1); strides > 1 cannot be combined with dilation > 1.
        padding: 'valid' or 'same' (case-insensitive). 'same' follows TensorFlow: output size
            ``ceil(input / strides)``, the odd extra padding on the high side.
        data_format: 'channels_last' or 'channels_first' (None: ``keras.config.image_data_format()``).
        dilation_rate: an int or 2 ints.
        groups: channels split into ``groups`` independent convolutions (divides channels and filters).
        activation, use_bias, kernel_initializer ('glorot_uniform'), bias_initializer ('zeros'),
        kernel/bias/activity regularizers, kernel/bias constraints: as ``Dense``.

    Input shape: channels_last (batch, rows, cols, channels); channels_first (batch, channels, rows, cols).
    Output shape: the same layout with ``filters`` channels and the convolved spatial sizes.
        lora_rank / lora_alpha: LoRA on the kernel (see enable_lora); lora_alpha defaults to lora_rank.

    Weights: kernel (*kernel_size, channels // groups, filters), bias (filters,).
    """

    def __init__(self, filters: int, kernel_size: Any, strides: Any = 1, padding: str = "valid",
                 data_format: Optional[str] = None, dilation_rate: Any = 1, groups: int = 1, activation: Any = None,
                 use_bias: bool = True, kernel_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, bias_regularizer: Any = None, activity_regularizer: Any = None,
                 kernel_constraint: Any = None, bias_constraint: Any = None, lora_rank: Optional[int] = None,
                 lora_alpha: Optional[float] = None, **kwargs: Any) -> None:
        super().__init__(2, filters, kernel_size, strides=strides, padding=padding, data_format=data_format,
                         dilation_rate=dilation_rate, groups=groups, activation=activation, use_bias=use_bias,
                         kernel_initializer=kernel_initializer, bias_initializer=bias_initializer,
                         kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer, kernel_constraint=kernel_constraint,
                         bias_constraint=bias_constraint, lora_rank=lora_rank, lora_alpha=lora_alpha, **kwargs)
