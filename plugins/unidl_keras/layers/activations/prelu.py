"""``keras.layers.PReLU``."""
from __future__ import annotations

from typing import Any, Dict, List, Optional

from unidl import ops

from ... import constraints, initializers, regularizers
from ..layer import Layer


class PReLU(Layer):
    """Parametric ReLU: ``f(x) = x`` for ``x >= 0``, ``alpha * x`` otherwise, with a learned ``alpha``.

    Args:
        alpha_initializer: initializer of alpha (default ``'Zeros'``).
        alpha_regularizer, alpha_constraint: as Keras.
        shared_axes: axes (1-based, not the batch axis) along which alpha is shared, e.g. ``[1, 2]``
            for one alpha per channel of (batch, height, width, channels) images.

    Input shape: any (rank >= 2). Output shape: the same as the input.
    Weights: alpha, of the input shape without the batch dim, with 1 on the shared axes.
    """

    def __init__(self, alpha_initializer: Any = "Zeros", alpha_regularizer: Any = None, alpha_constraint: Any = None,
                 shared_axes: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.supports_masking = True
        self.alpha_initializer = initializers.get(alpha_initializer)
        self.alpha_regularizer = regularizers.get(alpha_regularizer)
        self.alpha_constraint = constraints.get(alpha_constraint)
        if shared_axes is None:
            self.shared_axes: Optional[List[int]] = None
        elif isinstance(shared_axes, (list, tuple)):
            self.shared_axes = list(shared_axes)
        else:
            self.shared_axes = [shared_axes]

    def build(self, input_shape: Any) -> None:
        param_shape = list(input_shape[1:])
        for ax in self.shared_axes or ():
            if not isinstance(ax, int) or not 1 <= ax <= len(param_shape):
                raise ValueError(f"PReLU layer '{self.name}': each of `shared_axes` must be an axis in "
                                 f"[1, {len(param_shape)}] of the input of shape {tuple(input_shape)}. "
                                 f"Received: shared_axes={self.shared_axes}")
            param_shape[ax - 1] = 1
        if any(d is None for d in param_shape):
            raise ValueError(f"PReLU layer '{self.name}' needs every non-shared input dimension defined. Received "
                             f"input_shape={tuple(input_shape)}, shared_axes={self.shared_axes}")
        self.alpha = self.add_weight(shape=tuple(param_shape), name="alpha", initializer=self.alpha_initializer,
                                     regularizer=self.alpha_regularizer, constraint=self.alpha_constraint)
        self.built = True

    def call(self, inputs: Any) -> Any:
        pos = ops.relu(inputs)
        neg = ops.multiply(ops.negative(self.alpha), ops.relu(ops.negative(inputs)))
        return ops.add(pos, neg)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return tuple(input_shape)

    def get_config(self) -> Dict[str, Any]:
        cfg = super().get_config()
        cfg.update({
            "alpha_initializer": initializers.serialize(self.alpha_initializer),
            "alpha_regularizer": regularizers.serialize(self.alpha_regularizer),
            "alpha_constraint": constraints.serialize(self.alpha_constraint),
            "shared_axes": self.shared_axes,
        })
        return cfg
