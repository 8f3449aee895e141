"""``keras.layers.GroupNormalization``."""
from __future__ import annotations

from typing import Any, Dict

from unidl.nn.layers_extra import group_norm

from ... import constraints, initializers, regularizers
from ..layer import Layer


class GroupNormalization(Layer):
    """Splits the channels into ``groups`` and normalizes each group of each sample over the group's
    channels and every other non-batch axis (mean and biased variance; the core ``ops.layer_norm``
    on the grouped view), then applies per-channel ``gamma`` and ``beta``.

    Args:
        groups: number of groups (divides the channel count; default 32; -1: one per channel).
        axis: the channel axis (default -1). epsilon: variance fuzz (1e-3).
        center / scale, beta/gamma initializers, regularizers, constraints: as Keras.

    Input shape: any, with a defined channel dim. Output shape: the same.
    Weights: gamma, beta, each (channels,).
    """

    def __init__(self, groups: int = 32, axis: int = -1, epsilon: float = 1e-3, center: bool = True,
                 scale: bool = True, beta_initializer: Any = "zeros", gamma_initializer: Any = "ones",
                 beta_regularizer: Any = None, gamma_regularizer: Any = None, beta_constraint: Any = None,
                 gamma_constraint: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.groups = groups
        self.axis = axis
        self.epsilon = float(epsilon)
        self.center = center
        self.scale = scale
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.supports_masking = True
        self.gamma = self.beta = None

    def build(self, input_shape: Any) -> None:
        rank = len(input_shape)
        if not -rank <= self.axis < rank:
            raise ValueError(f"GroupNormalization layer '{self.name}': axis {self.axis} is out of range for an "
                             f"input of rank {rank}. Received input_shape={tuple(input_shape)}")
        dim = input_shape[self.axis]
        if dim is None:
            raise ValueError(f"Axis {self.axis} of input tensor should have a defined dimension but the layer "
                             f"received an input with shape {tuple(input_shape)}.")
        if self.groups == -1:
            self.groups = dim
        if dim < self.groups:
            raise ValueError(f"Number of groups ({self.groups}) cannot be more than the number of channels ({dim}).")
        if dim % self.groups:
            raise ValueError(f"Number of groups ({self.groups}) must be a multiple of the number of channels ({dim}).")
        if self.scale:
            self.gamma = self.add_weight(shape=(dim,), name="gamma", initializer=self.gamma_initializer,
                                         regularizer=self.gamma_regularizer, constraint=self.gamma_constraint)
        if self.center:
            self.beta = self.add_weight(shape=(dim,), name="beta", initializer=self.beta_initializer,
                                        regularizer=self.beta_regularizer, constraint=self.beta_constraint)
        self._dim = dim
        self.built = True

    def call(self, inputs: Any) -> Any:
        rank = inputs.ndim
        ax = self.axis % rank
        if inputs.shape[ax] != self._dim:
            raise ValueError(f"Input 0 of layer '{self.name}' is incompatible with the layer: expected axis "
                             f"{self.axis} of input shape to have value {self._dim}, but received input with shape "
                             f"{tuple(inputs.shape)}")
        return group_norm(inputs, self.groups, self.gamma, self.beta, eps=self.epsilon, axis=ax)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return tuple(input_shape)

    def get_config(self) -> Dict[str, Any]:
        cfg = super().get_config()
        cfg.update({
            "groups": self.groups, "axis": self.axis, "epsilon": self.epsilon, "center": self.center,
            "scale": self.scale,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "beta_regularizer": regularizers.serialize(self.beta_regularizer),
            "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
            "beta_constraint": constraints.serialize(self.beta_constraint),
            "gamma_constraint": constraints.serialize(self.gamma_constraint),
        })
        return cfg
