"""Shared base of ``Conv1DTranspose``/``Conv2DTranspose``/``Conv3DTranspose``.

A transposed convolution is the input-gradient of a convolution; it is computed by
:func:`unidl.ops.conv_transpose` (channels-first), the op the Gluon ``Conv*DTranspose`` layers use,
with exact transposes at the boundary for channels_last inputs and Keras's kernel layout.

Sizes follow Keras (TensorFlow's rules), per spatial dim with ``k = dilation * (kernel - 1) + 1``:
  * 'valid': ``(n - 1) * stride + k + output_padding`` where ``output_padding`` defaults to
    ``max(k, stride) - k``;
  * 'same': ``n * stride`` without ``output_padding``, else ``(n - 1) * stride + k % 2 + output_padding``.
The full transposed output ``(n - 1) * stride + k`` is cropped by ``k - 1 - left`` at the start, where
``left = min(ceil(p / 2), k - 1)`` for 'same' with ``p`` the total padding of the equivalent
stride-1 convolution (``stride + k - 2``, or ``k + k % 2 - 2 + output_padding``); 'valid' crops nothing
at the start. What remains is cropped (or zero-extended) at the end.
"""
from __future__ import annotations

from typing import Any, Dict, Optional, Tuple

from unidl import ops

from ... import activations, constraints, initializers, regularizers
from ...backend import config
from ..layer import Layer
from .base_conv import (channels_of, check_input_rank, check_positive, spatial_shape, standardize_padding,
                        standardize_tuple, with_spatial)


def transpose_output_length(n: Optional[int], kernel: int, stride: int, padding: str,
                            output_padding: Optional[int], dilation: int) -> Optional[int]:
    """Output size of one spatial dim of a transposed convolution (Keras's rule)."""
    if n is None:
        return None
    k = dilation * (kernel - 1) + 1
    if padding == "valid":
        op = max(k, stride) - k if output_padding is None else output_padding
        return (n - 1) * stride + k + op
    if output_padding is None:
        return n * stride
    return (n - 1) * stride + k % 2 + output_padding


def transpose_crops(kernel: int, stride: int, padding: str, output_padding: Optional[int],
                    dilation: int) -> Tuple[int, int]:
    """(crop at the start, crop at the end) of the full transposed output; a negative end crop extends it."""
    k = dilation * (kernel - 1) + 1
    if padding == "valid":
        op = max(k, stride) - k if output_padding is None else output_padding
        return 0, -op
    total = stride + k - 2 if output_padding is None else k + k % 2 - 2 + output_padding
    left = min(total // 2 + total % 2, k - 1)
    return k - 1 - left, k - 1 - (total - left)


class BaseConvTranspose(Layer):
    """N-d transposed convolution ``activation(conv_transpose(inputs, kernel) + bias)``.

    Args:
        rank: number of spatial dims.
        filters: number of output channels.
        kernel_size, strides, dilation_rate: an int or ``rank`` ints; strides > 1 cannot be combined
            with a dilation rate > 1.
        padding: 'valid' or 'same' (see the module docstring for the output sizes).
        output_padding: None or an int / ``rank`` ints, each smaller than its stride: extra size at the end.
        data_format: 'channels_last' or 'channels_first' (None: ``keras.config.image_data_format()``).
        activation, use_bias, initializers, regularizers, constraints: as ``Conv2D``.

    Weights: ``kernel`` ``(*kernel_size, filters, channels)``, ``bias`` ``(filters,)``.
    """

    def __init__(self, rank: int, filters: int, kernel_size: Any, strides: Any = 1, padding: str = "valid",
                 output_padding: Any = None, data_format: Optional[str] = None, dilation_rate: Any = 1,
                 activation: Any = None, use_bias: bool = True, kernel_initializer: Any = "glorot_uniform",
                 bias_initializer: Any = "zeros", kernel_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, kernel_constraint: Any = None, bias_constraint: Any = None,
                 **kwargs: Any) -> None:
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        self.rank = rank
        self.filters = check_positive("filters", filters)
        self.kernel_size = standardize_tuple(kernel_size, rank, "kernel_size")
        self.strides = standardize_tuple(strides, rank, "strides")
        self.dilation_rate = standardize_tuple(dilation_rate, rank, "dilation_rate")
        self.padding = standardize_padding(padding)
        self.output_padding = (None if output_padding is None
                               else standardize_tuple(output_padding, rank, "output_padding", allow_zero=True))
        self.data_format = config.standardize_data_format(data_format)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        if max(self.strides) > 1 and max(self.dilation_rate) > 1:
            raise ValueError(f"`strides > 1` not supported in conjunction with `dilation_rate > 1`. "
                             f"Received: strides={self.strides} and dilation_rate={self.dilation_rate}")
        if self.output_padding is not None:
            for i, (p, s) in enumerate(zip(self.output_padding, self.strides)):
                if p >= s:
                    raise ValueError(f"`output_padding` must be strictly less than `strides` for all dimensions. "
                                     f"At dimension {i}, `output_padding` is {p} but `strides` is {s}. Received: "
                                     f"output_padding={self.output_padding}, strides={self.strides}")

    def _output_paddings(self) -> Tuple[Optional[int], ...]:
        return self.output_padding if self.output_padding is not None else (None,) * self.rank

    def compute_output_shape(self, input_shape: Any) -> Any:
        check_input_rank(self, input_shape, self.rank + 2)
        out = tuple(transpose_output_length(n, k, s, self.padding, op, d) for n, k, s, op, d in
                    zip(spatial_shape(input_shape, self.data_format), self.kernel_size, self.strides,
                        self._output_paddings(), self.dilation_rate))
        return with_spatial(input_shape, out, self.filters, self.data_format)

    def build(self, input_shape: Any) -> None:
        check_input_rank(self, input_shape, self.rank + 2)
        c = channels_of(input_shape, self.data_format)
        if c is None:
            raise ValueError(f"The channel dimension of the inputs to layer \"{self.name}\" should be defined. "
                             f"Found None. Full input shape received: {tuple(input_shape)}")
        self._in_channels = int(c)
        self.kernel = self.add_weight(name="kernel", shape=self.kernel_size + (self.filters, int(c)),
                                      initializer=self.kernel_initializer, regularizer=self.kernel_regularizer,
                                      constraint=self.kernel_constraint)._lay_out("conv_transpose")
        self.bias = (self.add_weight(name="bias", shape=(self.filters,), initializer=self.bias_initializer,
                                     regularizer=self.bias_regularizer, constraint=self.bias_constraint)
                     if self.use_bias else None)
        self.built = True

    def call(self, inputs: Any) -> Any:
        shape = inputs.shape
        check_input_rank(self, shape, self.rank + 2)
        c = channels_of(shape, self.data_format)
        if c != self._in_channels:
            axis = -1 if self.data_format == "channels_last" else 1
            raise ValueError(f"Input 0 of layer \"{self.name}\" is incompatible with the layer: expected axis {axis} "
                             f"of input shape to have value {self._in_channels}, but received input with shape "
                             f"{tuple(shape)}")
        nd = self.rank
        pads, extra = [], []
        for k, s, op, d in zip(self.kernel_size, self.strides, self._output_paddings(), self.dilation_rate):
            lo, hi = transpose_crops(k, s, self.padding, op, d)
            pads.append((lo, max(hi, 0)))
            extra.append(max(-hi, 0))
        x = inputs
        if self.data_format == "channels_last":
            x = ops.transpose(x, (0, nd + 1) + tuple(range(1, nd + 1)))
        w = ops.transpose(self.kernel, (nd + 1, nd) + tuple(range(nd)))  # (*k, O, C) -> (C, O, *k)
        y = ops.conv_transpose(x, w, self.bias, stride=self.strides, padding=tuple(pads),
                               output_padding=tuple(extra), dilation=self.dilation_rate)
        if self.data_format == "channels_last":
            y = ops.transpose(y, (0,) + tuple(range(2, nd + 2)) + (1,))
        return y if self.activation is activations.linear else self.activation(y)

    def get_config(self) -> Dict[str, Any]:
        cfg = super().get_config()
        cfg.pop("activity_regularizer", None)
        cfg.update({
            "filters": self.filters, "kernel_size": self.kernel_size, "strides": self.strides,
            "padding": self.padding, "output_padding": self.output_padding, "data_format": self.data_format,
            "dilation_rate": self.dilation_rate, "activation": activations.serialize(self.activation),
            "use_bias": self.use_bias,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
        })
        return cfg
