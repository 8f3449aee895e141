"""Shared base of ``DepthwiseConv1D``/``DepthwiseConv2D``.

A depthwise convolution filters each input channel on its own with ``depth_multiplier`` kernels:
it is :func:`unidl.nn.functional.conv_nd` with ``groups = channels`` and the Keras kernel
``(*k, channels, depth_multiplier)`` viewed as ``(*k, 1, channels * depth_multiplier)`` (output
channel ``c * depth_multiplier + m``, as Keras orders them).
"""
from __future__ import annotations

from typing import Any, Dict, Optional

from unidl import ops
from unidl.nn import functional as F

from ... import activations, constraints, initializers, regularizers
from .base_conv import BaseConv, channels_of, check_input_rank, check_positive, with_spatial


class BaseDepthwiseConv(BaseConv):
    """N-d depthwise convolution.

    Args:
        rank: number of spatial dims.
        depth_multiplier: output channels per input channel (positive int).
        kernel_size, strides, padding ('valid'/'same'), data_format, dilation_rate, activation, use_bias:
            as ``Conv2D``.
        depthwise_initializer/regularizer/constraint: for the kernel; bias_*: for the bias.

    Weights: ``kernel`` ``(*kernel_size, channels, depth_multiplier)`` (also readable as
    ``depthwise_kernel``), ``bias`` ``(channels * depth_multiplier,)``.
    """

    def __init__(self, rank: int, depth_multiplier: int, kernel_size: Any, strides: Any = 1,
                 padding: str = "valid", data_format: Optional[str] = None, dilation_rate: Any = 1,
                 activation: Any = None, use_bias: bool = True, depthwise_initializer: Any = "glorot_uniform",
                 bias_initializer: Any = "zeros", depthwise_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, depthwise_constraint: Any = None, bias_constraint: Any = None,
                 **kwargs: Any) -> None:
        self.depth_multiplier = check_positive("depth_multiplier", depth_multiplier)
        super().__init__(rank, None, kernel_size, strides=strides, padding=padding, data_format=data_format,
                         dilation_rate=dilation_rate, groups=1, activation=activation, use_bias=use_bias,
                         kernel_initializer=depthwise_initializer, bias_initializer=bias_initializer,
                         kernel_regularizer=depthwise_regularizer, bias_regularizer=bias_regularizer,
                         activity_regularizer=activity_regularizer, kernel_constraint=depthwise_constraint,
                         bias_constraint=bias_constraint, **kwargs)

    def _allows_causal(self) -> bool:
        return False

    def _checks_strides_with_dilation(self) -> bool:
        return False

    @property
    def depthwise_kernel(self) -> Any:
        return self.kernel

    @property
    def depthwise_initializer(self) -> Any:
        return self.kernel_initializer

    def _kernel_shape_for(self, input_shape: Any) -> Any:
        return self.kernel_size + (channels_of(input_shape, self.data_format), self.depth_multiplier)

    def compute_output_shape(self, input_shape: Any) -> Any:
        check_input_rank(self, input_shape, self.rank + 2)
        c = channels_of(input_shape, self.data_format)
        return with_spatial(input_shape, self._spatial_out(input_shape),
                            None if c is None else c * self.depth_multiplier, self.data_format)

    def build(self, input_shape: Any) -> None:
        c = self._input_channels(input_shape)
        self._in_channels = c
        self.kernel = self.add_weight(name="kernel", shape=self.kernel_size + (c, self.depth_multiplier),
                                      initializer=self.kernel_initializer, regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)._lay_out("depthwise")
        self.bias = (self.add_weight(name="bias", shape=(c * self.depth_multiplier,),
                                     initializer=self.bias_initializer, regularizer=self.bias_regularizer,
                                     constraint=self.bias_constraint)
                     if self.use_bias else None)
        self.built = True

    def convolution_op(self, inputs: Any, kernel: Any, bias: Any = None) -> Any:
        c = self._in_channels
        return F.conv_nd(inputs, depthwise_as_grouped(kernel, c, self.depth_multiplier), bias, stride=self.strides,
                         padding=self.padding, dilation=self.dilation_rate, groups=c, data_format=self.data_format,
                         kernel_layout="oi")

    def get_config(self) -> Dict[str, Any]:
        cfg = super(BaseConv, self).get_config()
        cfg.pop("activity_regularizer", None)
        cfg.update({
            "depth_multiplier": self.depth_multiplier, "kernel_size": self.kernel_size, "strides": self.strides,
            "padding": self.padding, "data_format": self.data_format, "dilation_rate": self.dilation_rate,
            "activation": activations.serialize(self.activation), "use_bias": self.use_bias,
            "depthwise_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "depthwise_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "depthwise_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        })
        return cfg


def depthwise_as_grouped(kernel: Any, channels: int, multiplier: int) -> Any:
    """A Keras depthwise kernel (*K, C, M) as the grouped-convolution weight (C*M, 1, *K) of ``conv``.

    The kernel is kept in the core's depthwise memory order (C, M, *K) (``unidl.nn.layouts``), so this is a
    transpose to that contiguous memory and a reshape of it: a view, with the strides Gluon's
    ``Conv2D(groups=C)`` weight has."""
    nd = kernel.ndim - 2
    w = ops.transpose(kernel, (nd, nd + 1) + tuple(range(nd)))
    return ops.reshape(w, (channels * multiplier, 1) + tuple(kernel.shape[:nd]))
