"""Shared base of ``SeparableConv1D``/``SeparableConv2D``.

A depthwise convolution (``groups = channels``, ``depth_multiplier`` kernels per channel, with the
layer's strides, padding and dilation) followed by a pointwise (1x1) convolution mixing the
``channels * depth_multiplier`` results into ``filters`` outputs; both through
:func:`unidl.nn.functional.conv_nd`.
"""
from __future__ import annotations

from typing import Any, Dict, Optional

from unidl.nn import functional as F

from ... import activations, constraints, initializers, regularizers
from .base_conv import BaseConv, channels_of, check_positive
from .base_depthwise_conv import depthwise_as_grouped


class BaseSeparableConv(BaseConv):
    """N-d depthwise-separable convolution.

    Args:
        rank: number of spatial dims.
        depth_multiplier: depthwise outputs per input channel.
        filters: number of output channels.
        kernel_size, strides, padding ('valid'/'same'), data_format, dilation_rate, activation, use_bias:
            as ``Conv2D`` (they apply to the depthwise step; the pointwise step is a 1x1 convolution).
        depthwise_*/pointwise_*/bias_*: initializers, regularizers and constraints of the three weights.

    Weights: ``depthwise_kernel`` ``(*kernel_size, channels, depth_multiplier)``, ``pointwise_kernel``
    ``(1, ..., 1, channels * depth_multiplier, filters)``, ``bias`` ``(filters,)``.
    """

    def __init__(self, rank: int, depth_multiplier: int, filters: int, kernel_size: Any, strides: Any = 1,
                 padding: str = "valid", data_format: Optional[str] = None, dilation_rate: Any = 1,
                 activation: Any = None, use_bias: bool = True, depthwise_initializer: Any = "glorot_uniform",
                 pointwise_initializer: Any = "glorot_uniform", bias_initializer: Any = "zeros",
                 depthwise_regularizer: Any = None, pointwise_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, depthwise_constraint: Any = None, pointwise_constraint: Any = None,
                 bias_constraint: Any = None, **kwargs: Any) -> None:
        self.depth_multiplier = check_positive("depth_multiplier", depth_multiplier)
        super().__init__(rank, filters, kernel_size, strides=strides, padding=padding, data_format=data_format,
                         dilation_rate=dilation_rate, groups=1, activation=activation, use_bias=use_bias,
                         kernel_initializer=depthwise_initializer, bias_initializer=bias_initializer,
                         kernel_regularizer=depthwise_regularizer, bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer, kernel_constraint=depthwise_constraint,
                         bias_constraint=bias_constraint, **kwargs)
        self.depthwise_initializer = self.kernel_initializer
        self.depthwise_regularizer = self.kernel_regularizer
        self.depthwise_constraint = self.kernel_constraint
        self.pointwise_initializer = initializers.get(pointwise_initializer)
        self.pointwise_regularizer = regularizers.get(pointwise_regularizer)
        self.pointwise_constraint = constraints.get(pointwise_constraint)

    def _allows_causal(self) -> bool:
        return False

    def _checks_strides_with_dilation(self) -> bool:
        return False

    def _kernel_shape_for(self, input_shape: Any) -> Any:
        return self.kernel_size + (channels_of(input_shape, self.data_format), self.depth_multiplier)

    def build(self, input_shape: Any) -> None:
        c = self._input_channels(input_shape)
        self._in_channels = c
        self.depthwise_kernel = self.add_weight(
            name="depthwise_kernel", shape=self.kernel_size + (c, self.depth_multiplier),
            initializer=self.depthwise_initializer, regularizer=self.depthwise_regularizer,
            constraint=self.depthwise_constraint)._lay_out("depthwise")
        self.pointwise_kernel = self.add_weight(
            name="pointwise_kernel", shape=(1,) * self.rank + (c * self.depth_multiplier, self.filters),
            initializer=self.pointwise_initializer, regularizer=self.pointwise_regularizer,
            constraint=self.pointwise_constraint)._lay_out("conv")
        self.bias = (self.add_weight(name="bias", shape=(self.filters,), initializer=self.bias_initializer,
                                     regularizer=self.bias_regularizer, constraint=self.bias_constraint)
                     if self.use_bias else None)
        self.built = True

    def call(self, inputs: Any) -> Any:
        self._check_call_input(inputs.shape)
        self._spatial_out(inputs.shape)
        c = self._in_channels
        dw = depthwise_as_grouped(self.depthwise_kernel, c, self.depth_multiplier)
        y = F.conv_nd(inputs, dw, None, stride=self.strides, padding=self.padding, dilation=self.dilation_rate,
                      groups=c, data_format=self.data_format, kernel_layout="oi")
        y = F.conv_nd(y, self.pointwise_kernel, self.bias, stride=1, padding="valid", dilation=1, groups=1,
                      data_format=self.data_format, kernel_layout="io")
        return y if self.activation is activations.linear else self.activation(y)

    def get_config(self) -> Dict[str, Any]:
        cfg = super(BaseConv, self).get_config()
        cfg.pop("activity_regularizer", None)
        cfg.update({
            "depth_multiplier": self.depth_multiplier, "filters": self.filters, "kernel_size": self.kernel_size,
            "strides": self.strides, "padding": self.padding, "data_format": self.data_format,
            "dilation_rate": self.dilation_rate, "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "depthwise_initializer": initializers.serialize(self.depthwise_initializer),
            "pointwise_initializer": initializers.serialize(self.pointwise_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "depthwise_regularizer": regularizers.serialize(self.depthwise_regularizer),
            "pointwise_regularizer": regularizers.serialize(self.pointwise_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "depthwise_constraint": constraints.serialize(self.depthwise_constraint),
            "pointwise_constraint": constraints.serialize(self.pointwise_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        })
        return cfg
