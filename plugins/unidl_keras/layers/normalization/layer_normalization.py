"""``keras.layers.LayerNormalization``."""
from __future__ import annotations

from typing import Any, Dict, List

from unidl import ops

from ... import constraints, initializers, regularizers
from ..layer import Layer


class LayerNormalization(Layer):
    """Normalizes each sample over ``axis``: ``gamma * (x - mean) / sqrt(var + epsilon) + beta``
    (mean and biased variance over ``axis``), with the core ``ops.layer_norm`` (as Gluon's LayerNorm).

    Args:
        axis: an int or a list of ints to normalize over (default -1).
        epsilon: variance fuzz (1e-3). center / scale: whether to use beta / gamma.
        rms_scaling: if True, ``x * gamma / sqrt(var + epsilon)`` (no centering, no beta; the
            variance is still taken about the mean, as Keras 3).
        beta_initializer ('zeros'), gamma_initializer ('ones'), regularizers, constraints: as Keras.

    Input shape: any. Output shape: the same.
    Weights: gamma, beta, shaped as the normalized dims.
    """

    def __init__(self, axis: Any = -1, epsilon: float = 1e-3, center: bool = True, scale: bool = True,
                 rms_scaling: bool = False, beta_initializer: Any = "zeros", gamma_initializer: Any = "ones",
                 beta_regularizer: Any = None, gamma_regularizer: Any = None, beta_constraint: Any = None,
                 gamma_constraint: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(axis, (list, tuple)):
            self.axis: Any = list(axis)
        elif isinstance(axis, int) and not isinstance(axis, bool):
            self.axis = axis
        else:
            raise TypeError("Expected an int or a list/tuple of ints for the argument 'axis', but received: "
                            f"{axis!r}")
        self.epsilon = float(epsilon)
        self.center = center
        self.scale = scale
        self.rms_scaling = rms_scaling
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.supports_masking = True
        self.gamma = self.beta = None

    def _axes(self, rank: int, input_shape: Any) -> List[int]:
        axes = self.axis if isinstance(self.axis, list) else [self.axis]
        for a in axes:
            if not -rank <= a < rank:
                raise ValueError(f"LayerNormalization layer '{self.name}': axis {a} is out of range for an input of "
                                 f"rank {rank}. Received input_shape={tuple(input_shape)}")
        return [a % rank for a in axes]

    def build(self, input_shape: Any) -> None:
        axes = self._axes(len(input_shape), input_shape)
        shape = tuple(input_shape[a] for a in axes)
        if any(d is None for d in shape):
            raise ValueError(f"LayerNormalization layer '{self.name}': the normalized axes {axes} must have defined "
                             f"dimensions. Received input_shape={tuple(input_shape)}")
        if self.scale or self.rms_scaling:
            self.gamma = self.add_weight(shape=shape, name="gamma", initializer=self.gamma_initializer,
                                         regularizer=self.gamma_regularizer, constraint=self.gamma_constraint)
        if self.center and not self.rms_scaling:
            self.beta = self.add_weight(shape=shape, name="beta", initializer=self.beta_initializer,
                                        regularizer=self.beta_regularizer, constraint=self.beta_constraint)
        self.built = True

    def call(self, inputs: Any) -> Any:
        axes = self._axes(inputs.ndim, inputs.shape)
        ordered = tuple(sorted(axes))
        want = tuple(inputs.shape[a] for a in ordered)
        gamma = None if self.gamma is None else ops.reshape(self.gamma, want)
        beta = None if self.beta is None else ops.reshape(self.beta, want)
        if self.rms_scaling:
            var = ops.var(inputs, axis=ordered, keepdims=True)
            y = ops.divide(inputs, ops.sqrt(ops.add(var, self.epsilon)))
            pshape = tuple(d if i in ordered else 1 for i, d in enumerate(inputs.shape))
            return y if gamma is None else ops.multiply(y, ops.reshape(gamma, pshape))
        return ops.layer_norm(inputs, gamma, beta, axes=ordered, eps=self.epsilon)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return tuple(input_shape)

    def get_config(self) -> Dict[str, Any]:
        cfg = super().get_config()
        cfg.update({
            "axis": self.axis, "epsilon": self.epsilon, "center": self.center, "scale": self.scale,
            "rms_scaling": self.rms_scaling,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "beta_regularizer": regularizers.serialize(self.beta_regularizer),
            "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
            "beta_constraint": constraints.serialize(self.beta_constraint),
            "gamma_constraint": constraints.serialize(self.gamma_constraint),
        })
        return cfg
