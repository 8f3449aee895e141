"""``keras.layers.Attention``: dot-product (Luong-style) attention over [query, value(, key)]."""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

import unidl
from unidl import ops
from unidl.tensor import Tensor

from ..layer import Layer


def _bool(m: Any) -> Optional[Tensor]:
    if m is None:
        return None
    from ...backend.common import convert_to_tensor

    m = convert_to_tensor(m)
    return m if m.dtype.kind == "b" else ops.not_equal(m, 0)


class Attention(Layer):
    """Dot-product attention: ``softmax(scores(query, key)) @ value``.

    Args:
        use_scale: learn a scalar ``scale`` multiplying the scores (created in ``build``, starts at 1).
        score_mode: 'dot' (``query @ key^T``) or 'concat' (``sum(tanh(query + key))`` over features,
            times a learnt scalar ``concat_score_weight``; with ``use_scale`` the scale multiplies the
            sum inside tanh).
        dropout: dropout rate on the attention weights (when training).
        seed: seed of the dropout.

    Call arguments: ``inputs`` a list ``[query, value]`` or ``[query, value, key]`` (key defaults to
    value); ``mask`` a list ``[query_mask, value_mask]`` (B, Tq) / (B, Tv) bool (taken from the
    inputs' Keras masks when not given); ``return_attention_scores``; ``training``;
    ``use_causal_mask`` (position i attends only to positions <= i).

    Input shape: query (B, Tq, dim), value (B, Tv, dim), key (B, Tv, dim).
    Output shape: (B, Tq, dim) (and the weights (B, Tq, Tv) with ``return_attention_scores``).
    Masked query positions give zeros.
    """

    _score_modes = ("dot", "concat")

    def __init__(self, use_scale: bool = False, score_mode: str = "dot", dropout: float = 0.0,
                 seed: Optional[int] = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if score_mode not in self._score_modes:
            raise ValueError(f"Invalid value for argument score_mode. Expected one of {{'dot', 'concat'}}. "
                             f"Received: score_mode={score_mode}")
        if not 0.0 <= float(dropout) <= 1.0:
            raise ValueError(f"Argument `dropout` of {type(self).__name__} must be in [0, 1]. Received: "
                             f"dropout={dropout}")
        self.use_scale = bool(use_scale)
        self.score_mode = score_mode
        self.dropout = float(dropout)
        self.seed = seed
        from ..rnn.rnn import make_generator

        self._gen = make_generator(seed)
        self.supports_masking = True

    def build(self, input_shape: Any) -> None:
        self._validate_inputs(input_shape)
        self.scale = self.add_weight(name="scale", shape=(), initializer="ones") if self.use_scale else None
        self.concat_score_weight = (self.add_weight(name="concat_score_weight", shape=(), initializer="ones")
                                    if self.score_mode == "concat" else None)
        self.built = True

    # -- helpers ----------------------------------------------------------------------------------------
    def _validate_inputs(self, inputs: Any, mask: Any = None) -> None:
        name = type(self).__name__
        if not isinstance(inputs, (list, tuple)):
            shape = tuple(inputs.shape) if hasattr(inputs, "shape") else inputs
            raise ValueError(f"{name} layer must be called on a list of inputs, namely [query, value] or "
                             f"[query, value, key]. Received: inputs={shape}.")
        if len(inputs) not in (2, 3):
            raise ValueError(f"{name} layer accepts inputs list of length 2 or 3, namely [query, value] or "
                             f"[query, value, key]. Received length: {len(inputs)}.")
        if mask is not None:
            if not isinstance(mask, (list, tuple)):
                raise ValueError(f"{name} layer mask must be a list, namely [query_mask, value_mask]. "
                                 f"Received: mask={mask}.")
            if len(mask) < 2 or len(mask) > 3:
                raise ValueError(f"{name} layer accepts mask list of length 2 or 3. Received: mask={mask}.")

    def _calculate_scores(self, query: Tensor, key: Tensor) -> Tensor:
        """Scores (B, Tq, Tv)."""
        if self.score_mode == "dot":
            scores = ops.matmul(query, ops.swapaxes(key, -1, -2))
            return scores if self.scale is None else ops.multiply(scores, self.scale)
        s = ops.add(ops.expand_dims(query, -2), ops.expand_dims(key, -3))  # (B, Tq, Tv, dim)
        if self.scale is not None:
            s = ops.multiply(s, self.scale)
        return ops.multiply(self.concat_score_weight, ops.sum(ops.tanh(s), axis=-1))

    def _apply_scores(self, scores: Tensor, value: Tensor, scores_mask: Optional[Tensor], training: Any
                      ) -> Tuple[Tensor, Tensor]:
        if scores_mask is not None:
            big = 65504.0 if scores.dtype.name == "float16" else 1.0e9
            pad = ops.astype(ops.logical_not(scores_mask), scores.dtype)
            scores = ops.subtract(scores, ops.multiply(pad, big))
        weights = ops.softmax(scores, axis=-1)
        dropped = weights
        if training and self.dropout > 0:
            dropped = ops.dropout(weights, self.dropout, training=True, generator=self._gen)
        return ops.matmul(dropped, value), weights

    def _score_mask(self, scores: Tensor, v_mask: Optional[Tensor], use_causal_mask: bool) -> Optional[Tensor]:
        mask = None if v_mask is None else ops.expand_dims(v_mask, -2)  # (B, 1, Tv)
        if use_causal_mask:
            tq, tv = scores.shape[-2], scores.shape[-1]
            rows = ops.reshape(unidl.arange(tq, device=scores.device), (1, tq, 1))
            cols = ops.reshape(unidl.arange(tv, device=scores.device), (1, 1, tv))
            causal = ops.greater_equal(rows, cols)
            mask = causal if mask is None else ops.logical_and(mask, causal)
        return mask

    # -- calling ----------------------------------------------------------------------------------------
    def call(self, inputs: Any, mask: Any = None, training: Any = False, return_attention_scores: bool = False,
             use_causal_mask: bool = False) -> Any:
        from ...backend.common import convert_to_tensor

        self._validate_inputs(inputs, mask)
        q, v = convert_to_tensor(inputs[0]), convert_to_tensor(inputs[1])
        k = convert_to_tensor(inputs[2]) if len(inputs) > 2 else v
        if q.ndim != 3 or v.ndim != 3 or k.ndim != 3:
            raise ValueError(f"{type(self).__name__} layer '{self.name}' expects query, value and key of rank 3 "
                             f"(batch, time, dim); received shapes {tuple(q.shape)}, {tuple(v.shape)}, "
                             f"{tuple(k.shape)}.")
        if q.shape[-1] != k.shape[-1] or v.shape[1] != k.shape[1] or q.shape[0] != v.shape[0]:
            raise ValueError(f"{type(self).__name__} layer '{self.name}': expected query (B, Tq, dim), value "
                             f"(B, Tv, dim_v) and key (B, Tv, dim); received shapes {tuple(q.shape)}, "
                             f"{tuple(v.shape)}, {tuple(k.shape)}.")
        q_mask = _bool(mask[0]) if mask else None
        v_mask = _bool(mask[1]) if mask else None
        scores = self._calculate_scores(q, k)
        out, weights = self._apply_scores(scores, v, self._score_mask(scores, v_mask, use_causal_mask),
                                          bool(training))
        if q_mask is not None:
            out = ops.multiply(out, ops.astype(ops.expand_dims(q_mask, -1), out.dtype))
        return (out, weights) if return_attention_scores else out

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> Any:
        if not previous_mask or previous_mask[0] is None:
            return None
        return _bool(previous_mask[0])

    def compute_output_shape(self, input_shape: Any) -> Any:
        q, v = input_shape[0], input_shape[1]
        return tuple(q[:-1]) + (v[-1],)

    def compute_output_spec(self, inputs: Any, mask: Any = None, training: Any = None,
                            return_attention_scores: bool = False, use_causal_mask: bool = False) -> Any:
        from ...backend.keras_tensor import KerasTensor

        self._validate_inputs(inputs, mask)
        q, v = inputs[0].shape, inputs[1].shape
        out = KerasTensor(self.compute_output_shape([q, v]), self.compute_dtype)
        if return_attention_scores:
            return out, KerasTensor(tuple(q[:-1]) + (v[1],), self.compute_dtype)
        return out

    def get_config(self) -> Dict[str, Any]:
        cfg = super().get_config()
        cfg.update({"use_scale": self.use_scale, "score_mode": self.score_mode, "dropout": self.dropout,
                    "seed": self.seed})
        return cfg
