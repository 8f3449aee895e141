"""``keras.layers.BatchNormalization``."""
from __future__ import annotations

from typing import Any, Dict

from unidl import ops
from unidl.nn import functional as F

from ... import constraints, initializers, regularizers
from ..layer import Layer


class BatchNormalization(Layer):
    """Normalizes each channel with batch statistics in training and moving statistics otherwise.

    ``y = gamma * (x - mean) / sqrt(var + epsilon) + beta``. In training (``training=True`` and
    the layer trainable) mean/var are the batch mean and biased variance over every axis but
    ``axis``, and ``moving = moving * momentum + batch_stat * (1 - momentum)``. Otherwise (inference,
    or ``trainable=False``, as Keras 3) the moving statistics are used. The arithmetic is the core
    ``ops.batch_norm`` (the one Gluon's BatchNorm calls).

    Args:
        axis: the channel axis (int, default -1).
        momentum: moving-average momentum (0.99). epsilon: variance fuzz (1e-3).
        center / scale: whether to add beta / multiply by gamma.
        beta_initializer ('zeros'), gamma_initializer ('ones'), moving_mean_initializer ('zeros'),
        moving_variance_initializer ('ones'), beta/gamma regularizers and constraints: as Keras.

    Call args: ``inputs``, ``training``, ``mask`` (in training, masked entries are left out of the
    batch statistics).
    Input shape: any, with a defined ``axis`` dim. Output shape: the same.
    Weights: gamma, beta (trainable), moving_mean, moving_variance (non-trainable), each (C,); with
    ``renorm=True`` (batch renormalisation, ``unidl.nn.functional.batch_renorm``; ``renorm_clipping`` keys
    rmin/rmax/dmax, ``renorm_momentum``) also moving_stddev, renorm_mean and renorm_stddev.
    """

    def __init__(self, axis: int = -1, momentum: float = 0.99, epsilon: float = 1e-3, center: bool = True,
                 scale: bool = True, beta_initializer: Any = "zeros", gamma_initializer: Any = "ones",
                 moving_mean_initializer: Any = "zeros", moving_variance_initializer: Any = "ones",
                 beta_regularizer: Any = None, gamma_regularizer: Any = None, beta_constraint: Any = None,
                 gamma_constraint: Any = None, synchronized: bool = False, renorm: bool = False,
                 renorm_clipping: Any = None, renorm_momentum: float = 0.99, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(axis, bool) or not isinstance(axis, int):
            raise TypeError(f"BatchNormalization layer '{self.name}': `axis` must be one int (the channel axis). "
                            f"Received: axis={axis!r}")
        if renorm:
            renorm_clipping = dict(renorm_clipping or {})
            keys = ["rmax", "rmin", "dmax"]
            if set(renorm_clipping) - set(keys):
                raise ValueError(f"Received invalid keys for `renorm_clipping` argument: {renorm_clipping}. "
                                 f"Supported values: {keys}.")
            rmax, rmin, dmax = (renorm_clipping.get(k) for k in keys)
            if rmax is not None and rmin is not None and rmax < rmin:
                raise ValueError("rmax should be greater than rmin in the `renorm_clipping` argument. "
                                 f"Received: rmax={rmax}, rmin={rmin}.")
            if dmax is not None and dmax < 0:
                raise ValueError(f"dmax should be non-negative in the `renorm_clipping` argument. Received: dmax={dmax}.")
        self.axis = axis
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        self.center = center
        self.scale = scale
        self.synchronized = synchronized
        self.renorm, self.renorm_clipping, self.renorm_momentum = renorm, renorm_clipping, renorm_momentum
        self.beta_initializer = initializers.get(beta_initializer)
        self.gamma_initializer = initializers.get(gamma_initializer)
        self.moving_mean_initializer = initializers.get(moving_mean_initializer)
        self.moving_variance_initializer = initializers.get(moving_variance_initializer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_constraint = constraints.get(beta_constraint)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.supports_masking = True
        self.gamma = self.beta = None

    def build(self, input_shape: Any) -> None:
        rank = len(input_shape)
        if not -rank <= self.axis < rank:
            raise ValueError(f"BatchNormalization layer '{self.name}': axis {self.axis} is out of range for an input "
                             f"of rank {rank}. Received input_shape={tuple(input_shape)}")
        dim = input_shape[self.axis]
        if dim is None:
            raise ValueError(f"Axis {self.axis} of input tensor should have a defined dimension but the layer "
                             f"received an input with shape {tuple(input_shape)}.")
        shape = (int(dim),)
        if self.scale:
            self.gamma = self.add_weight(shape=shape, name="gamma", initializer=self.gamma_initializer,
                                         regularizer=self.gamma_regularizer, constraint=self.gamma_constraint)
        if self.center:
            self.beta = self.add_weight(shape=shape, name="beta", initializer=self.beta_initializer,
                                        regularizer=self.beta_regularizer, constraint=self.beta_constraint)
        self.moving_mean = self.add_weight(shape=shape, name="moving_mean", initializer=self.moving_mean_initializer,
                                           trainable=False)
        self.moving_variance = self.add_weight(shape=shape, name="moving_variance",
                                               initializer=self.moving_variance_initializer, trainable=False)
        if self.renorm:
            # Keras tracks the inference stddev too (moving_variance is derived from it) and a separate pair of
            # renorm statistics; the stddevs start at sqrt of the variance initializer's values
            def stddev_init(shape: Any, dtype: Any = None) -> Any:
                return ops.sqrt(self.moving_variance_initializer(shape, dtype=dtype))

            self.moving_stddev = self.add_weight(shape=shape, name="moving_stddev", initializer=stddev_init,
                                                 trainable=False)
            self.renorm_mean = self.add_weight(shape=shape, name="renorm_mean",
                                               initializer=self.moving_mean_initializer, trainable=False)
            self.renorm_stddev = self.add_weight(shape=shape, name="renorm_stddev", initializer=stddev_init,
                                                 trainable=False)
        self._dim = int(dim)
        self.built = True

    def call(self, inputs: Any, training: Any = None, mask: Any = None) -> Any:
        rank = inputs.ndim
        if not -rank <= self.axis < rank or inputs.shape[self.axis] != self._dim:
            raise ValueError(f"Input 0 of layer '{self.name}' is incompatible with the layer: expected axis "
                             f"{self.axis} of input shape to have value {self._dim}, but received input with shape "
                             f"{tuple(inputs.shape)}")
        train = bool(training) and self.trainable
        if train and self.renorm:
            clip = self.renorm_clipping or {}
            return F.batch_renorm(inputs, self.gamma, self.beta, self.moving_mean, self.moving_variance,
                                  self.moving_stddev, self.renorm_mean, self.renorm_stddev, axis=self.axis,
                                  momentum=self.momentum, renorm_momentum=self.renorm_momentum, eps=self.epsilon,
                                  rmin=clip.get("rmin"), rmax=clip.get("rmax"), dmax=clip.get("dmax"))
        if train and mask is not None:
            return F.masked_batch_norm(inputs, mask, self.gamma, self.beta, self.moving_mean, self.moving_variance,
                                       axis=self.axis, momentum=self.momentum, eps=self.epsilon)
        return ops.batch_norm(inputs, self.gamma, self.beta, self.moving_mean, self.moving_variance,
                              axis=self.axis, training=train, momentum=self.momentum, eps=self.epsilon)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return tuple(input_shape)

    def get_config(self) -> Dict[str, Any]:
        cfg = super().get_config()
        cfg.update({
            "axis": self.axis, "momentum": self.momentum, "epsilon": self.epsilon, "center": self.center,
            "scale": self.scale,
            "beta_initializer": initializers.serialize(self.beta_initializer),
            "gamma_initializer": initializers.serialize(self.gamma_initializer),
            "moving_mean_initializer": initializers.serialize(self.moving_mean_initializer),
            "moving_variance_initializer": initializers.serialize(self.moving_variance_initializer),
            "beta_regularizer": regularizers.serialize(self.beta_regularizer),
            "gamma_regularizer": regularizers.serialize(self.gamma_regularizer),
            "beta_constraint": constraints.serialize(self.beta_constraint),
            "gamma_constraint": constraints.serialize(self.gamma_constraint),
            "synchronized": self.synchronized, "renorm": self.renorm, "renorm_clipping": self.renorm_clipping,
            "renorm_momentum": self.renorm_momentum,
        })
        return cfg
