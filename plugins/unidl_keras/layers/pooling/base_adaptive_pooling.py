"""Shared base of the ``AdaptiveAveragePooling*D``/``AdaptiveMaxPooling*D`` layers.

Computed by :func:`unidl.ops.adaptive_avg_pool` / :func:`unidl.ops.adaptive_max_pool` (channels-first
core composites: output position i of a dim of size n pools inputs ``floor(i n / o)`` to
``ceil((i + 1) n / o) - 1``, as Keras's torch backend), with exact transposes at the boundary for
channels_last inputs.
"""
from __future__ import annotations

from typing import Any, Dict, Optional, Tuple

from unidl import ops

from ...backend import config
from ..convolutional.base_conv import check_input_rank
from ..layer import Layer
from .base_pooling import to_channels_first, to_channels_last

_DIM_NAMES = {1: "1 integer", 2: "(height, width) tuple", 3: "(depth, height, width) tuple"}


def output_size_tuple(output_size: Any, nd: int) -> Tuple[int, ...]:
    """``output_size`` (an int or ``nd`` ints) as a tuple, with Keras's errors."""
    if isinstance(output_size, int):
        return (output_size,) * nd
    if isinstance(output_size, (tuple, list)):
        if len(output_size) == nd:
            return tuple(output_size)
        if nd == 1:
            raise ValueError(f"For 1D input, `output_size` tuple must have length 1. Received: {output_size}")
    kind = "tuple of 1 integer" if nd == 1 else _DIM_NAMES[nd]
    raise TypeError(f"`output_size` must be an integer or {kind}. Received: {output_size} of type "
                    f"{type(output_size)}")


class BaseAdaptivePooling(Layer):
    """Average or max pooling of every spatial dim to a fixed size.

    Args:
        output_size: the normalized spatial output size (a tuple of ``pool_dimensions`` ints).
        data_format: 'channels_last' or 'channels_first' (None: ``keras.config.image_data_format()``).
    """

    pool_mode = "average"

    def __init__(self, output_size: Tuple[int, ...], data_format: Optional[str] = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.output_size = output_size
        self.data_format = data_format or config.image_data_format()
        if self.data_format not in {"channels_first", "channels_last"}:
            raise ValueError(f"Invalid data_format: {self.data_format}. Expected 'channels_first' or "
                             "'channels_last'.")

    def compute_output_shape(self, input_shape: Any) -> Any:
        if self.data_format == "channels_last":
            return (input_shape[0], *self.output_size, input_shape[-1])
        return (input_shape[0], input_shape[1], *self.output_size)

    def call(self, inputs: Any) -> Any:
        nd = len(self.output_size)
        check_input_rank(self, inputs.shape, nd + 2)
        last = self.data_format == "channels_last"
        x = to_channels_first(inputs, nd) if last else inputs
        fn = ops.adaptive_max_pool if self.pool_mode == "max" else ops.adaptive_avg_pool
        y = fn(x, self.output_size)
        return to_channels_last(y, nd) if last else y

    def get_config(self) -> Dict[str, Any]:
        cfg = super().get_config()
        cfg.update({"output_size": self.output_size, "data_format": self.data_format})
        return cfg
