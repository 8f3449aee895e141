"""``keras.layers.Embedding``."""
from __future__ import annotations

import warnings
from typing import Any, Dict

from unidl import ops

from ... import constraints, initializers, regularizers
from ..layer import Layer


class Embedding(Layer):
    """Turns non-negative integer indices into dense vectors: ``embeddings[inputs]``.

    Args:
        input_dim: vocabulary size (largest index + 1), a positive int.
        output_dim: size of each vector, a positive int.
        embeddings_initializer: initializer of the table (default ``'uniform'``: U(-0.05, 0.05)).
        embeddings_regularizer, embeddings_constraint, activity_regularizer: as Keras.
        mask_zero: if True, index 0 is padding: the output mask is ``inputs != 0``.
        weights: optional initial table ``[array (input_dim, output_dim)]``.
        input_length: Keras 2 argument, accepted and ignored (with a warning).

    Input shape: (batch, ...) of integers. Output shape: (batch, ..., output_dim).
    Weights: embeddings (input_dim, output_dim).
    """

    def __init__(self, input_dim: int, output_dim: int, embeddings_initializer: Any = "uniform",
                 embeddings_regularizer: Any = None, embeddings_constraint: Any = None, mask_zero: bool = False,
                 weights: Any = None, lora_rank: Any = None, lora_alpha: Any = None, **kwargs: Any) -> None:
        if "input_length" in kwargs:
            kwargs.pop("input_length")
            warnings.warn("Argument `input_length` is deprecated. Just remove it.", UserWarning, stacklevel=2)
        kwargs.pop("quantization_config", None)
        super().__init__(**kwargs)
        for arg, v in (("input_dim", input_dim), ("output_dim", output_dim)):
            if isinstance(v, bool) or not isinstance(v, int) or v <= 0:
                raise ValueError(f"`{arg}` must be a positive integer. Received: {arg}={v} (of type "
                                 f"{type(v).__name__}).")
        if lora_rank:
            raise NotImplementedError("Embedding: LoRA (`lora_rank`) is not supported by this frontend.")
        self.input_dim = input_dim
        self.output_dim = output_dim
        self.embeddings_initializer = initializers.get(embeddings_initializer)
        self.embeddings_regularizer = regularizers.get(embeddings_regularizer)
        self.embeddings_constraint = constraints.get(embeddings_constraint)
        self.mask_zero = bool(mask_zero)
        self.supports_masking = self.mask_zero
        self._initial_embeddings = weights

    def build(self, input_shape: Any = None) -> None:
        if self.built:
            return
        self.embeddings = self.add_weight(shape=(self.input_dim, self.output_dim),
                                          initializer=self.embeddings_initializer, name="embeddings",
                                          regularizer=self.embeddings_regularizer,
                                          constraint=self.embeddings_constraint, trainable=True)
        self.built = True
        if self._initial_embeddings is not None:
            w = self._initial_embeddings
            self.set_weights(w if isinstance(w, (list, tuple)) else [w])
            self._initial_embeddings = None

    def call(self, inputs: Any) -> Any:
        if inputs.dtype.kind not in "iu":
            inputs = ops.astype(inputs, "int32")
        try:
            return ops.embedding(inputs, self.embeddings)
        except Exception as e:  # out-of-range indices: say which layer and what was expected
            raise ValueError(f"Embedding layer '{self.name}' received indices outside [0, {self.input_dim}) "
                             f"(input_dim={self.input_dim}); input shape {tuple(inputs.shape)}. {e}") from e

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> Any:
        if not self.mask_zero:
            return None
        return ops.not_equal(inputs, 0)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return tuple(input_shape) + (self.output_dim,)

    def get_config(self) -> Dict[str, Any]:
        cfg = super().get_config()
        cfg.update({
            "input_dim": self.input_dim, "output_dim": self.output_dim,
            "embeddings_initializer": initializers.serialize(self.embeddings_initializer),
            "embeddings_regularizer": regularizers.serialize(self.embeddings_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "embeddings_constraint": constraints.serialize(self.embeddings_constraint),
            "mask_zero": self.mask_zero, "quantization_config": None,
        })
        return cfg
