"""``keras.layers.Conv1DTranspose``."""
from __future__ import annotations

from typing import Any, Optional

from .base_conv_transpose import BaseConvTranspose


class Conv1DTranspose(BaseConvTranspose):
    """1-d transposed convolution (the gradient of ``Conv1D`` with respect to its input), e.g. to upsample.

    Args:
        filters: number of output channels.
        kernel_size, strides, dilation_rate: an int or a 1-tuple; strides > 1 cannot be combined with dilation > 1.
        padding: 'valid' or 'same' (case-insensitive). Output size per spatial dim, with
            ``k = dilation_rate * (kernel_size - 1) + 1``: 'valid' ``(n - 1) * strides + max(k, strides)``,
            'same' ``n * strides``; with ``output_padding`` 'valid' ``(n - 1) * strides + k + output_padding``
            and 'same' ``(n - 1) * strides + k % 2 + output_padding``.
        output_padding: None or an int or a 1-tuple, each smaller than its stride.
        data_format: 'channels_last' or 'channels_first' (None: ``keras.config.image_data_format()``).
        activation, use_bias, kernel_initializer ('glorot_uniform'), bias_initializer ('zeros'),
        kernel/bias/activity regularizers, kernel/bias constraints: as ``Dense``.

    Input shape: channels_last (batch, steps, channels); channels_first (batch, channels, steps).
    Output shape: the same layout with ``filters`` channels and the sizes above.
    Weights: kernel (*kernel_size, filters, channels), bias (filters,).
    """

    def __init__(self, filters: int, kernel_size: Any, strides: Any = 1, padding: str = "valid",
                 output_padding: Any = None, data_format: Optional[str] = None, dilation_rate: Any = 1,
                 activation: Any = None, use_bias: bool = True, kernel_initializer: Any = "glorot_uniform",
                 bias_initializer: Any = "zeros", kernel_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, kernel_constraint: Any = None, bias_constraint: Any = None,
                 **kwargs: Any) -> None:
        super().__init__(1, filters, kernel_size, strides=strides, padding=padding, output_padding=output_padding,
                         data_format=data_format, dilation_rate=dilation_rate, activation=activation,
                         use_bias=use_bias, kernel_initializer=kernel_initializer, bias_initializer=bias_initializer,
                         kernel_regularizer=kernel_regularizer, bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer, kernel_constraint=kernel_constraint,
                         bias_constraint=bias_constraint, **kwargs)
