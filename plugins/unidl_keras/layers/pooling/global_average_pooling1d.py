"""``keras.layers.GlobalAveragePooling1D``."""
from __future__ import annotations

from typing import Any, Optional

from unidl import ops

from ...backend.common import convert_to_tensor
from ..convolutional.base_conv import check_input_rank
from .base_global_pooling import BaseGlobalPooling


class GlobalAveragePooling1D(BaseGlobalPooling):
    """Mean over all steps of each channel.

    Args:
        data_format: 'channels_last' or 'channels_first' (None: ``keras.config.image_data_format()``).
        keepdims: keep the spatial dims with size 1 (default False).

    Call arguments:
        inputs: the sequence.
        mask: optional (batch, steps) booleans, True for real steps: the mean is taken over those
            steps only (a row with no True step divides by zero, as Keras).

    Input shape: (batch, steps, channels) or (batch, channels, steps).
    Output shape: (batch, channels); with keepdims (batch, 1, channels) or (batch, channels, 1).
    """

    def __init__(self, data_format: Optional[str] = None, keepdims: bool = False, **kwargs: Any) -> None:
        super().__init__(pool_dimensions=1, pool_mode="average", data_format=data_format, keepdims=keepdims,
                         **kwargs)
        self.supports_masking = True

    def call(self, inputs: Any, mask: Any = None) -> Any:
        if mask is None:
            return super().call(inputs)
        check_input_rank(self, inputs.shape, 3)
        mask = convert_to_tensor(mask)
        steps_axis = 1 if self.data_format == "channels_last" else 2
        if tuple(mask.shape) != (inputs.shape[0], inputs.shape[steps_axis]):
            raise ValueError(f"Layer \"{self.name}\": the mask must have shape (batch, steps) = "
                             f"{(inputs.shape[0], inputs.shape[steps_axis])} for inputs of shape "
                             f"{tuple(inputs.shape)}; received a mask of shape {tuple(mask.shape)}")
        m = ops.expand_dims(ops.astype(mask, inputs.dtype), 2 if steps_axis == 1 else 1)
        total = ops.sum(ops.multiply(inputs, m), axis=steps_axis, keepdims=self.keepdims)
        return ops.divide(total, ops.sum(m, axis=steps_axis, keepdims=self.keepdims))

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> Any:
        return None
