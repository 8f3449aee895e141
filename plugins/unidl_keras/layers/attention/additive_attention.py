"""``keras.layers.AdditiveAttention``: Bahdanau-style attention over [query, value(, key)]."""
from __future__ import annotations

from typing import Any, Dict, Optional

from unidl import ops
from unidl.tensor import Tensor

from .attention import Attention


class AdditiveAttention(Attention):
    """Additive attention: scores ``sum(scale * tanh(query_i + key_j))`` over the feature axis, then
    ``softmax(scores) @ value``.

    Args:
        use_scale: learn a per-feature ``scale`` (dim,) (starts at 1); default True.
        dropout: dropout rate on the attention weights (when training).
        seed: seed of the dropout.

    Call arguments, masks, input and output shapes: as :class:`Attention` (query and key must have
    the same last dim).
    Weights: scale (dim,) with ``use_scale``.
    """

    def __init__(self, use_scale: bool = True, dropout: float = 0.0, seed: Optional[int] = None,
                 **kwargs: Any) -> None:
        super().__init__(use_scale=use_scale, dropout=dropout, seed=seed, **kwargs)

    def build(self, input_shape: Any) -> None:
        self._validate_inputs(input_shape)
        dim = input_shape[0][-1]
        if dim is None:
            raise ValueError(f"AdditiveAttention '{self.name}': the last dimension of the query must be defined. "
                             f"Received query shape {tuple(input_shape[0])}")
        self.scale = (self.add_weight(name="scale", shape=(dim,), initializer="glorot_uniform")
                      if self.use_scale else None)
        self.concat_score_weight = None
        self.built = True

    def _calculate_scores(self, query: Tensor, key: Tensor) -> Tensor:
        s = ops.tanh(ops.add(ops.expand_dims(query, -2), ops.expand_dims(key, -3)))  # (B, Tq, Tv, dim)
        if self.scale is not None:
            s = ops.multiply(self.scale, s)
        return ops.sum(s, axis=-1)

    def get_config(self) -> Dict[str, Any]:
        cfg = super().get_config()
        del cfg["score_mode"]
        return cfg
