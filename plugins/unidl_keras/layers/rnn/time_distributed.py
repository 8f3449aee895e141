"""``keras.layers.TimeDistributed``: apply a layer to every time step of a sequence."""
from __future__ import annotations

from typing import Any

from unidl import ops
from unidl.tensor import Tensor

from ...utils import tree
from ..core.wrapper import Wrapper
from ..layer import Layer, _call_signature


class TimeDistributed(Wrapper):
    """Applies ``layer`` independently to each slice ``inputs[:, t]``.

    The time steps are folded into the batch (one call of ``layer`` on (batch * timesteps, ...)), so
    the wrapped layer's weights are shared by all steps.

    Args:
        layer: the layer to apply (a :class:`~unidl_keras.layers.Layer` instance).

    Input shape: (batch, timesteps, ...) (at least 3 dims).
    Output shape: (batch, timesteps, ...) with the trailing dims of ``layer``'s output.
    Weights: the wrapped layer's.
    """

    def __init__(self, layer: Layer, **kwargs: Any) -> None:
        if not isinstance(layer, Layer):
            raise ValueError(f"Please initialize `TimeDistributed` layer with a `keras.layers.Layer` instance. "
                             f"Received: {layer}")
        super().__init__(layer, **kwargs)
        self.supports_masking = True

    def _check(self, shape: Any) -> None:
        if not isinstance(shape, (tuple, list)) or len(shape) < 3:
            raise ValueError("`TimeDistributed` Layer should be passed an `input_shape` with at least 3 dimensions, "
                             f"received: {tuple(shape) if isinstance(shape, (list, tuple)) else shape}")

    def build(self, input_shape: Any) -> None:
        self._check(tuple(input_shape))
        child = (input_shape[0],) + tuple(input_shape[2:])
        super().build(child)

    def call(self, inputs: Tensor, training: Any = None, mask: Any = None) -> Any:
        self._check(tuple(inputs.shape))
        n, t = inputs.shape[0], inputs.shape[1]
        flat = ops.reshape(inputs, (n * t,) + tuple(inputs.shape[2:]))
        takes_training, takes_mask, var_kw, _ = _call_signature(type(self.layer))
        kwargs = {}
        if takes_training or var_kw:
            kwargs["training"] = training
        if takes_mask and mask is not None:
            kwargs["mask"] = ops.reshape(mask, (n * t,) + tuple(mask.shape[2:]))
        out = self.layer(flat, **kwargs)

        def unfold(y: Any) -> Any:
            if isinstance(y, Tensor) and y.ndim >= 1 and y.shape[0] == n * t:
                return ops.reshape(y, (n, t) + tuple(y.shape[1:]))
            return y

        return tree.map_structure(unfold, out)

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> Any:
        return previous_mask
