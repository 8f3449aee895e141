"""``keras.layers.MultiHeadAttention`` (Vaswani et al., 2017), with Keras's EinsumDense projections."""
from __future__ import annotations

import math
import string
from typing import Any, Dict, List, Optional, Sequence, Tuple

import unidl
from unidl import ops
from unidl.nn import functional as F
from unidl.tensor import Tensor

from ... import constraints, initializers, regularizers
from ...backend.config import is_flash_attention_enabled
from ...backend.masks import get_mask
from ..core.einsum_dense import EinsumDense
from ..layer import Layer

_CHARS = string.ascii_lowercase


def _proj_equation(free: int, bound: int, out: int) -> Tuple[str, str, int]:
    """An EinsumDense equation with ``free`` kept input axes, ``bound`` contracted ones and ``out`` new
    ones, e.g. (2, 1, 2) -> ``"abc,cde->abde"``; returns (equation, bias axes, output rank)."""
    i = 0
    kept = _CHARS[i:i + free]
    i += free
    contracted = _CHARS[i:i + bound]
    i += bound
    new = _CHARS[i:i + out]
    return f"{kept}{contracted},{contracted}{new}->{kept}{new}", new, len(kept) + len(new)


def _clone(init: Any) -> Any:
    ser = initializers.serialize(init)
    return initializers.get(ser) if isinstance(ser, dict) else init


class MultiHeadAttention(Layer):
    """Multi-head attention: ``softmax(Q K^T / sqrt(key_dim)) V`` per head, then an output projection.

    Args:
        num_heads: the number of heads.
        key_dim: the size of each head for query and key.
        value_dim: the size of each head for value (default ``key_dim``).
        dropout: dropout rate on the attention weights (when training).
        use_bias: whether the projections have biases.
        output_shape: the output size(s) without the batch and attended axes (default: the query's
            last dim); an int or a tuple.
        attention_axes: the axes attention runs over (default: every axis but batch, heads and features).
        kernel_initializer ('glorot_uniform'), bias_initializer ('zeros'), kernel/bias regularizers
        and constraints: given to the four EinsumDense sub-layers.
        seed: seed of the dropout.

    Call arguments: ``query`` (B, T, dim), ``value`` (B, S, dim), ``key`` (B, S, dim; default
    ``value``), ``attention_mask`` (B, T, S) bool (True = attend), ``return_attention_scores``,
    ``training``, ``use_causal_mask``; ``query_mask``/``value_mask``/``key_mask`` (default: the Keras
    masks carried by the inputs, e.g. from ``Embedding(mask_zero=True)``).

    Input shape: query (B, *T, q_dim), value (B, *S, v_dim) of the same rank.
    Output shape: (B, *T, *output_shape); the scores (B, h, T, S) (for more attended axes
    (B, *other, h, *T_attn, *S_attn)).
    Weights (sub-layers query, key, value, attention_output): query/kernel (q_dim, h, key_dim),
    query/bias (h, key_dim), key/kernel, key/bias, value/kernel (v_dim, h, value_dim),
    value/bias, attention_output/kernel (h, value_dim, *output_shape), attention_output/bias.
    """

    def __init__(self, num_heads: int, key_dim: int, value_dim: Optional[int] = None, dropout: float = 0.0,
                 use_bias: bool = True, output_shape: Any = None, attention_axes: Any = None,
                 flash_attention: Any = None, kernel_initializer: Any = "glorot_uniform",
                 bias_initializer: Any = "zeros", kernel_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, kernel_constraint: Any = None, bias_constraint: Any = None,
                 seed: Optional[int] = None, use_gate: bool = False, sliding_window: Any = None,
                 **kwargs: Any) -> None:
        super().__init__(activity_regularizer=activity_regularizer, **kwargs)
        for nm, v in (("num_heads", num_heads), ("key_dim", key_dim)):
            if not isinstance(v, int) or isinstance(v, bool) or v <= 0:
                raise ValueError(f"Argument `{nm}` of MultiHeadAttention must be a positive integer. "
                                 f"Received: {nm}={v}")
        if value_dim is not None and (not isinstance(value_dim, int) or value_dim <= 0):
            raise ValueError(f"Argument `value_dim` of MultiHeadAttention must be a positive integer or None. "
                             f"Received: value_dim={value_dim}")
        if not 0.0 <= float(dropout) <= 1.0:
            raise ValueError(f"Argument `dropout` of MultiHeadAttention must be in [0, 1]. Received: dropout={dropout}")
        if use_gate or sliding_window is not None:
            raise ValueError(f"MultiHeadAttention '{self.name}': `use_gate=True` and `sliding_window` are not "
                             "supported by this frontend.")
        self.supports_masking = True
        self.num_heads = num_heads
        self.key_dim = key_dim
        self.value_dim = value_dim if value_dim is not None else key_dim
        self.dropout = float(dropout)
        self.use_bias = bool(use_bias)
        self.use_gate = False
        self.sliding_window = None
        self.flash_attention = flash_attention
        # as Keras: None defers to keras.config (enabled unless disabled); unidl computes the same attention
        # either way, but keeps Keras's restrictions of the flash path
        self._flash_attention = flash_attention or is_flash_attention_enabled()
        if self._flash_attention and self.dropout > 0.0:
            raise ValueError("Dropout is not supported when flash attention is enabled. Please set dropout to 0.0 "
                             "to use flash attention.")
        if output_shape is not None and not isinstance(output_shape, int):
            output_shape = tuple(output_shape)
        self._output_shape = output_shape
        if isinstance(attention_axes, int):
            attention_axes = (attention_axes,)
        elif attention_axes is not None:
            attention_axes = tuple(attention_axes)
        self._attention_axes = attention_axes
        self.kernel_initializer = initializers.get(kernel_initializer)
        self.bias_initializer = initializers.get(bias_initializer)
        self.kernel_regularizer = regularizers.get(kernel_regularizer)
        self.bias_regularizer = regularizers.get(bias_regularizer)
        self.kernel_constraint = constraints.get(kernel_constraint)
        self.bias_constraint = constraints.get(bias_constraint)
        self.seed = seed
        from ..rnn.rnn import make_generator

        self._gen = make_generator(seed)
        self._shapes_dict: Optional[Dict[str, Any]] = None

    @property
    def attention_axes(self) -> Any:
        return self._attention_axes

    # -- building ---------------------------------------------------------------------------------------
    def _dense(self, name: str, equation: str, out_shape: Sequence[Any], bias_axes: str) -> EinsumDense:
        return EinsumDense(equation, output_shape=tuple(out_shape), bias_axes=bias_axes if self.use_bias else None,
                           kernel_initializer=_clone(self.kernel_initializer),
                           bias_initializer=_clone(self.bias_initializer), kernel_regularizer=self.kernel_regularizer,
                           bias_regularizer=self.bias_regularizer, kernel_constraint=self.kernel_constraint,
                           bias_constraint=self.bias_constraint, name=name, dtype=self.dtype)

    def build(self, query_shape: Any, value_shape: Any, key_shape: Any = None) -> None:
        query_shape, value_shape = tuple(query_shape), tuple(value_shape)
        key_shape = value_shape if key_shape is None else tuple(key_shape)
        for nm, s in (("query", query_shape), ("value", value_shape), ("key", key_shape)):
            if len(s) < 3:
                raise ValueError(f"MultiHeadAttention '{self.name}' expects {nm} of rank >= 3 (batch, time..., "
                                 f"features); received {nm} shape {s}")
            if s[-1] is None:
                raise ValueError(f"MultiHeadAttention '{self.name}': the last dimension of {nm} must be defined. "
                                 f"Received {nm} shape {s}")
        if not len(query_shape) == len(value_shape) == len(key_shape):
            raise ValueError(f"MultiHeadAttention '{self.name}': query, value and key must have the same rank. "
                             f"Received query {query_shape}, value {value_shape}, key {key_shape}")
        r = len(query_shape)
        axes = self._attention_axes
        if axes is None:
            axes = tuple(range(1, r - 1))
        norm = tuple(sorted(a % r for a in axes))
        if any(a == 0 or a == r - 1 for a in norm) or len(set(norm)) != len(norm):
            raise ValueError(f"MultiHeadAttention '{self.name}': `attention_axes` {self._attention_axes} must name "
                             f"distinct axes between the batch and feature axes of a rank-{r} query.")
        self._attention_axes = norm
        self._shapes_dict = {"query_shape": query_shape, "value_shape": value_shape}
        if key_shape is not value_shape:
            self._shapes_dict["key_shape"] = key_shape
        out_shape = query_shape[-1] if self._output_shape is None else self._output_shape
        out_shape = (out_shape,) if isinstance(out_shape, int) else tuple(out_shape)
        self._out_dims = out_shape
        eq, bias, _ = _proj_equation(r - 1, 1, 2)
        self.query_dense = self._dense("query", eq, [None] * (r - 2) + [self.num_heads, self.key_dim], bias)
        self.query_dense.build(query_shape)
        self.key_dense = self._dense("key", eq, [None] * (r - 2) + [self.num_heads, self.key_dim], bias)
        self.key_dense.build(key_shape)
        self.value_dense = self._dense("value", eq, [None] * (r - 2) + [self.num_heads, self.value_dim], bias)
        self.value_dense.build(value_shape)
        eq, bias, _ = _proj_equation(r - 1, 2, len(out_shape))
        self.output_dense = self._dense("attention_output", eq, [None] * (r - 2) + list(out_shape), bias)
        self.output_dense.build(query_shape[:-1] + (self.num_heads, self.value_dim))
        for d in (self.query_dense, self.key_dense, self.value_dense, self.output_dense):
            d.built = True
        self.built = True

    def get_build_config(self) -> Optional[Dict[str, Any]]:
        if self._shapes_dict is None:
            return None
        return {"shapes_dict": {k: list(v) for k, v in self._shapes_dict.items()}}

    def build_from_config(self, config: Optional[Dict[str, Any]]) -> None:
        if config and not self.built and "shapes_dict" in config:
            self.build(**{k: tuple(v) for k, v in config["shapes_dict"].items()})
            self.built = True

    # -- calling ----------------------------------------------------------------------------------------
    def _auto_mask(self, query: Tensor, value: Tensor, key: Tensor, query_mask: Any, value_mask: Any,
                   key_mask: Any, attention_mask: Any) -> Any:
        """The attention mask combined with the inputs' Keras masks: (B, T, S) bool or None."""
        auto = None
        if query_mask is not None:
            auto = ops.expand_dims(_as_bool(query_mask), -1)            # (B, T, 1)
        for m in (value_mask, key_mask):
            if m is not None:
                m = ops.expand_dims(_as_bool(m), -2)                    # (B, 1, S)
                auto = m if auto is None else ops.logical_and(auto, m)
        if attention_mask is not None:
            am = _as_bool(attention_mask)
            auto = am if auto is None else ops.logical_and(am, auto)
        return auto

    def call(self, query: Any, value: Any, key: Any = None, query_mask: Any = None, value_mask: Any = None,
             key_mask: Any = None, attention_mask: Any = None, return_attention_scores: bool = False,
             training: Any = None, use_causal_mask: bool = False) -> Any:
        from ...backend.common import convert_to_tensor

        if self._flash_attention and return_attention_scores:
            raise ValueError("Returning attention scores is not supported when flash attention is enabled. "
                             "Please disable flash attention to access attention scores.")
        query, value = convert_to_tensor(query), convert_to_tensor(value)
        key = value if key is None else convert_to_tensor(key)
        self._check_inputs(query, value, key)
        # as Keras: the query's mask is the one it carries; value/key masks are arguments or carried
        query_mask = get_mask(query)
        if value_mask is None:
            value_mask = get_mask(value)
        if key_mask is None and key is not value:
            key_mask = get_mask(key)
        if attention_mask is not None:
            attention_mask = convert_to_tensor(attention_mask)
        mask = self._auto_mask(query, value, key, query_mask, value_mask, key_mask, attention_mask)
        r = query.ndim
        axes = self._attention_axes
        other = [a for a in range(1, r - 1) if a not in axes]
        perm = [0] + other + list(axes) + [r - 1]
        q, v, k = (self._fold(t, perm, len(other)) for t in (query, value, key))
        if mask is not None:
            mask = self._fold_mask(mask, query, value, perm, other)
        if use_causal_mask:
            tq, tv = q.shape[-2], v.shape[-2]
            rows = ops.reshape(unidl.arange(tq, device=q.device), (tq, 1))
            cols = ops.reshape(unidl.arange(tv, device=q.device), (1, tv))
            causal = ops.greater_equal(rows, cols)
            mask = causal if mask is None else ops.logical_and(mask, causal)
        wo, bo = self.output_dense.kernel, self.output_dense.bias
        n_out = len(self._out_dims)
        if n_out != 1:
            wo = ops.reshape(wo, (self.num_heads, self.value_dim, -1))
            bo = None if bo is None else ops.reshape(bo, (-1,))
        out, scores = F.multi_head_attention(
            q, v, k, wq=self.query_dense.kernel, wk=self.key_dense.kernel, wv=self.value_dense.kernel, wo=wo,
            bq=self.query_dense.bias, bk=self.key_dense.bias, bv=self.value_dense.bias, bo=bo,
            num_heads=self.num_heads, key_dim=self.key_dim, value_dim=self.value_dim, attention_mask=mask,
            dropout=self.dropout, generator=self._gen, training=bool(training), return_attention_scores=True)
        # (F's masked softmax gives masked positions weight 0, as Keras: a query position with nothing to
        # attend to outputs the output bias alone, not a uniform average)
        # unfold: (B, *other, Tq, out) -> (B, *T, *output_shape)
        b_other = [query.shape[a] for a in [0] + other]
        tq = [query.shape[a] for a in axes]
        tv = [value.shape[a] for a in axes]
        out = ops.reshape(out, tuple(b_other + tq + list(self._out_dims)))
        if other:
            inv = [0] * (r - 1)
            for i, p in enumerate(perm[:-1]):
                inv[p] = i
            out = ops.transpose(out, tuple(inv) + tuple(range(r - 1, out.ndim)))
        if not return_attention_scores:
            return out
        scores = ops.reshape(scores, tuple(b_other + [self.num_heads] + tq + tv))
        return out, scores

    def _fold(self, t: Tensor, perm: List[int], n_other: int) -> Tensor:
        """(B, *T, D) -> (B, *other, prod(attended), D)."""
        if perm != list(range(t.ndim)):
            t = ops.transpose(t, tuple(perm))
        lead = tuple(t.shape[:1 + n_other])
        return ops.reshape(t, lead + (-1, t.shape[-1]))

    def _fold_mask(self, mask: Tensor, query: Tensor, value: Tensor, perm: List[int], other: List[int]) -> Tensor:
        axes = self._attention_axes
        if query.ndim == 3:
            return mask
        # full mask shape: (B, *other, *T_attn, *S_attn)
        full = tuple([query.shape[a] for a in [0] + other] + [query.shape[a] for a in axes]
                     + [value.shape[a] for a in axes])
        while mask.ndim < len(full):
            mask = ops.expand_dims(mask, -2 * len(axes) - 1)
        mask = ops.broadcast_to(mask, full)
        n_lead = 1 + len(other)
        return ops.reshape(mask, full[:n_lead] + (-1, int(math.prod(full[n_lead + len(axes):]))))

    def _check_inputs(self, query: Tensor, value: Tensor, key: Tensor) -> None:
        q, v, k = self._shapes_dict["query_shape"], self._shapes_dict["value_shape"], \
            self._shapes_dict.get("key_shape", self._shapes_dict["value_shape"])
        for nm, t, want in (("query", query, q), ("value", value, v), ("key", key, k)):
            if t.ndim != len(want) or t.shape[-1] != want[-1]:
                raise ValueError(f"MultiHeadAttention '{self.name}' was built for {nm} of shape {want}; received "
                                 f"{nm} of shape {tuple(t.shape)}")
        for a in self._attention_axes:
            if value.shape[a] != key.shape[a]:
                raise ValueError(f"MultiHeadAttention '{self.name}': value and key must have the same length on "
                                 f"the attended axes. Received value shape {tuple(value.shape)}, key shape "
                                 f"{tuple(key.shape)}")
        for a in range(query.ndim - 1):
            if a not in self._attention_axes and query.shape[a] != value.shape[a]:
                raise ValueError(f"MultiHeadAttention '{self.name}': query and value must agree on the batch and "
                                 f"non-attended axes. Received query shape {tuple(query.shape)}, value shape "
                                 f"{tuple(value.shape)}")

    def compute_output_shape(self, query_shape: Any, value_shape: Any = None, key_shape: Any = None) -> Any:
        out = query_shape[-1] if self._output_shape is None else self._output_shape
        out = (out,) if isinstance(out, int) else tuple(out)
        return tuple(query_shape[:-1]) + out

    def compute_output_spec(self, query: Any, value: Any, key: Any = None, query_mask: Any = None,
                            value_mask: Any = None, key_mask: Any = None, attention_mask: Any = None,
                            return_attention_scores: bool = False, training: Any = None,
                            use_causal_mask: bool = False) -> Any:
        from ...backend.keras_tensor import KerasTensor

        out = KerasTensor(self.compute_output_shape(query.shape), self.compute_dtype)
        if not return_attention_scores:
            return out
        r = len(query.shape)
        axes = self._attention_axes
        other = [a for a in range(1, r - 1) if a not in axes]
        shape = ([query.shape[a] for a in [0] + other] + [self.num_heads] + [query.shape[a] for a in axes]
                 + [value.shape[a] for a in axes])
        return out, KerasTensor(shape, self.compute_dtype)

    def get_config(self) -> Dict[str, Any]:
        cfg = super().get_config()
        cfg.update({
            "num_heads": self.num_heads, "key_dim": self.key_dim, "value_dim": self.value_dim,
            "dropout": self.dropout, "use_bias": self.use_bias, "use_gate": self.use_gate,
            "output_shape": self._output_shape, "attention_axes": self._attention_axes,
            "sliding_window": self.sliding_window,
            "kernel_initializer": initializers.serialize(self.kernel_initializer),
            "bias_initializer": initializers.serialize(self.bias_initializer),
            "kernel_regularizer": regularizers.serialize(self.kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self.bias_regularizer),
            "activity_regularizer": regularizers.serialize(self.activity_regularizer),
            "kernel_constraint": constraints.serialize(self.kernel_constraint),
            "bias_constraint": constraints.serialize(self.bias_constraint),
            "seed": self.seed,
        })
        return cfg


def _as_bool(m: Any) -> Tensor:
    from ...backend.common import convert_to_tensor

    m = convert_to_tensor(m)
    return m if m.dtype.kind == "b" else ops.not_equal(m, 0)
