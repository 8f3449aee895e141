"""``keras.layers.Dropout``."""
from __future__ import annotations

from typing import Any, Dict, Optional, Sequence, Tuple

from unidl import ops

from ..layer import Layer
from ._dropout_utils import check_rate, concrete_noise_shape, make_generator  # noqa: F401 - old import path


class Dropout(Layer):
    """Inverted dropout: in training, zeroes each entry with probability ``rate`` and scales the
    rest by ``1 / (1 - rate)``; identity otherwise. Computed with the core ``ops.dropout`` (as
    Gluon's Dropout).

    Args:
        rate: the drop probability, in [0, 1].
        noise_shape: the shape of the binary mask (broadcast over the input; None entries take the
            input's dims), e.g. ``(batch, 1, features)`` to drop the same features at every step.
        seed: an int for a generator of the layer's own; None draws from unidl's default generator.

    Call args: ``inputs``, ``training`` (dropout only when True).
    Input shape: any. Output shape: the same.
    """

    def __init__(self, rate: float, noise_shape: Optional[Sequence[Any]] = None, seed: Optional[int] = None,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rate = check_rate(rate)
        self.noise_shape = None if noise_shape is None else tuple(noise_shape)
        self.seed = seed
        self.generator = make_generator(seed)
        self.supports_masking = True
        self.built = True
        self._build_at_init()

    def _noise_shape(self, inputs: Any) -> Optional[Tuple[int, ...]]:
        return concrete_noise_shape(self.noise_shape, inputs)

    def call(self, inputs: Any, training: Any = False) -> Any:
        if training and self.rate > 0:
            return ops.dropout(inputs, self.rate, training=True, generator=self.generator,
                               noise_shape=self._noise_shape(inputs))
        return inputs

    def compute_output_shape(self, input_shape: Any) -> Any:
        return tuple(input_shape)

    def get_config(self) -> Dict[str, Any]:
        cfg = super().get_config()
        cfg.update({"rate": self.rate, "seed": self.seed, "noise_shape": self.noise_shape})
        return cfg
