"""``keras.layers.Softmax``."""
from __future__ import annotations

from typing import Any, Dict

from unidl import ops

from ...backend.common import convert_to_tensor
from ..layer import Layer


def _large_negative(dtype: Any) -> float:
    return -3e4 if str(dtype) == "float16" else -1e9  # Keras's value (float16 only)


class Softmax(Layer):
    """Softmax over ``axis``, with an optional mask.

    Masked positions (mask False, or <= 0.5 for a float mask) are excluded: their logits are
    replaced by a large negative number before the softmax and their outputs set to 0 (so a fully
    masked row gives zeros).

    Args:
        axis: an int, or a tuple of ints to normalize over jointly (default -1).

    Call args: ``inputs``; ``mask`` broadcastable to ``inputs``.
    Input shape: any. Output shape: the same as the input.
    """

    def __init__(self, axis: Any = -1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.axis = axis
        self.supports_masking = True
        self.built = True
        self._build_at_init()

    def call(self, inputs: Any, mask: Any = None) -> Any:
        if mask is not None:
            mask = convert_to_tensor(mask)
            if mask.dtype.kind != "b":
                mask = ops.greater(mask, 0.5)
            inputs = ops.where(mask, inputs, _large_negative(inputs.dtype))
        if isinstance(self.axis, (tuple, list)):
            if len(self.axis) > 1:
                axes = tuple(self.axis)
                out = ops.exp(ops.subtract(inputs, ops.logsumexp(inputs, axis=axes, keepdims=True)))
            else:
                out = ops.softmax(inputs, axis=self.axis[0])
        else:
            out = ops.softmax(inputs, axis=self.axis)
        if mask is not None:
            out = ops.where(mask, out, 0.0)
        return out

    def compute_output_shape(self, input_shape: Any) -> Any:
        return tuple(input_shape)

    def get_config(self) -> Dict[str, Any]:
        cfg = super().get_config()
        cfg["axis"] = self.axis
        return cfg
