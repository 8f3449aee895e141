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
from ...backend.masks import get_mask, set_mask
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


def _attention_equations(rank: int, attn_axes: Tuple[int, ...]) -> Tuple[str, str, int]:
    """Keras's einsum equations on projected (B, *T, N, H) tensors of ``rank`` dims: key·query ->
    scores (B, *other, N, *T_attn, *S_attn), and scores·value -> (B, *T, N, H); with the scores' rank."""
    target = _CHARS[:rank]
    batch = [i for i in range(rank) if i not in attn_axes and i != rank - 1]  # includes the heads axis
    source, offset = "", rank
    for i in range(rank):
        if i in batch or i == rank - 1:
            source += target[i]
        else:
            source += _CHARS[offset]
            offset += 1
    product = "".join([target[i] for i in batch] + [target[i] for i in attn_axes] + [source[i] for i in attn_axes])
    return f"{source},{target}->{product}", f"{product},{source}->{target}", len(product)


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
        sliding_window: None, or a positive int: each query position attends only to key positions
            less than ``sliding_window`` away (a symmetric band; with ``use_causal_mask`` the causal window).
        flash_attention: None (follow ``keras.config``) or a bool; unidl computes the same attention
            either way, with Keras's restrictions (no dropout, no returned scores).
        kernel_initializer ('glorot_uniform'), bias_initializer ('zeros'), kernel/bias regularizers,
        activity_regularizer and constraints: given to the EinsumDense sub-layers.
        use_gate: also project the query to a sigmoid gate (N, value_dim) that multiplies the attention
            output before the output projection (sub-layer ``gate``).
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
                 sliding_window: Any = None, flash_attention: Any = None, kernel_initializer: Any = "glorot_uniform",
                 bias_initializer: Any = "zeros", kernel_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, kernel_constraint: Any = None, bias_constraint: Any = None,
                 use_gate: bool = False, seed: Optional[int] = None, **kwargs: Any) -> None:
        for nm, v in (("num_heads", num_heads), ("key_dim", key_dim)):
            if not isinstance(v, int) or isinstance(v, bool) or v <= 0:
                raise ValueError(f"Received an invalid value for argument `{nm}`, expected a positive integer. "
                                 f"Received: {nm}={v}")
        if value_dim is not None and (not isinstance(value_dim, int) or isinstance(value_dim, bool)
                                      or value_dim <= 0):
            raise ValueError("Received an invalid value for argument `value_dim`, expected a positive integer or "
                             f"`None`. Received: value_dim={value_dim}")
        super().__init__(**kwargs)  # as Keras: the activity regularizer goes to the sub-layers only
        self._activity_regularizer = regularizers.get(activity_regularizer)
        if not 0.0 <= float(dropout) <= 1.0:
            raise ValueError(f"Argument `dropout` of MultiHeadAttention must be in [0, 1]. Received: dropout={dropout}")
        self.supports_masking = True
        self._num_heads = num_heads
        self._key_dim = key_dim
        self._value_dim = value_dim if value_dim else key_dim
        self._dropout = dropout
        self._use_bias = use_bias
        self._use_gate = use_gate
        if output_shape:
            if isinstance(output_shape, int):
                output_shape = (output_shape,)
            try:
                output_shape = tuple(output_shape)
            except TypeError:
                raise ValueError(f"Invalid `output_shape`: {output_shape}. When specified, the `output_shape` should "
                                 "be of type tuple, list, or int.") from None
        self._output_shape = output_shape
        self.flash_attention = flash_attention
        # as Keras: None defers to keras.config (enabled unless disabled); unidl computes the same attention
        # either way, but keeps Keras's restrictions of the flash path
        self._flash_attention = flash_attention or is_flash_attention_enabled()
        self._kernel_initializer = initializers.get(kernel_initializer)
        self._bias_initializer = initializers.get(bias_initializer)
        self._kernel_regularizer = regularizers.get(kernel_regularizer)
        self._bias_regularizer = regularizers.get(bias_regularizer)
        self._kernel_constraint = constraints.get(kernel_constraint)
        self._bias_constraint = constraints.get(bias_constraint)
        if isinstance(attention_axes, int):
            attention_axes = (attention_axes,)
        elif attention_axes and not isinstance(attention_axes, (list, tuple)):
            raise ValueError(f"`attention_axes` must be an int, list, or tuple.Received: attention_axes={attention_axes}")
        elif attention_axes:
            attention_axes = tuple(attention_axes)  # (a list comes back from a JSON config as a tuple config)
        self._attention_axes = attention_axes
        if sliding_window is not None and (not isinstance(sliding_window, int) or isinstance(sliding_window, bool)
                                           or sliding_window <= 0):
            raise ValueError(f"`sliding_window` must be `None` or a positive integer. Received: "
                             f"sliding_window={sliding_window}")
        self._sliding_window = sliding_window
        self.seed = seed
        self._inverse_sqrt_key_dim = 1.0 / math.sqrt(float(self._key_dim))
        if self._flash_attention and self._dropout > 0.0:
            raise ValueError("Dropout is not supported when flash attention is enabled. Please set dropout to 0.0 "
                             "to use flash attention.")
        from ..rnn.rnn import make_generator

        self._gen = make_generator(seed)
        self._shapes_dict: Optional[Dict[str, Any]] = None

    # Keras's read-only views of the arguments (``output_shape`` is not one: it would clash with Layer's)
    num_heads = property(lambda self: self._num_heads)
    key_dim = property(lambda self: self._key_dim)
    value_dim = property(lambda self: self._value_dim)
    dropout = property(lambda self: self._dropout)
    use_bias = property(lambda self: self._use_bias)
    attention_axes = property(lambda self: self._attention_axes)
    query_dense = property(lambda self: self._query_dense)
    key_dense = property(lambda self: self._key_dense)
    value_dense = property(lambda self: self._value_dense)
    output_dense = property(lambda self: self._output_dense)

    # -- building ---------------------------------------------------------------------------------------
    def _get_common_kwargs_for_sublayer(self) -> Dict[str, Any]:
        return dict(kernel_regularizer=self._kernel_regularizer, bias_regularizer=self._bias_regularizer,
                    activity_regularizer=self._activity_regularizer, kernel_constraint=self._kernel_constraint,
                    bias_constraint=self._bias_constraint, dtype=self.dtype_policy,
                    kernel_initializer=_clone(self._kernel_initializer),
                    bias_initializer=_clone(self._bias_initializer))

    def _dense(self, name: str, equation: str, out_shape: Sequence[Any], bias_axes: str,
               **extra: Any) -> EinsumDense:
        return EinsumDense(equation, output_shape=tuple(out_shape), bias_axes=bias_axes if self._use_bias else None,
                           name=name, **extra, **self._get_common_kwargs_for_sublayer())

    @staticmethod
    def _check_value_key(value_shape: Sequence[Any], key_shape: Sequence[Any]) -> None:
        if tuple(value_shape[1:-1]) != tuple(key_shape[1:-1]):
            raise ValueError("All dimensions of `value` and `key`, except the last one, must be equal. Received: "
                             f"value_shape={tuple(value_shape)} and key_shape={tuple(key_shape)}")

    def build(self, query_shape: Any, value_shape: Any, key_shape: Any = None) -> None:
        query_shape, value_shape = tuple(query_shape), tuple(value_shape)
        key_shape = value_shape if key_shape is None else tuple(key_shape)
        self._check_value_key(value_shape, key_shape)
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
        norm = tuple(a if a >= 0 else r + a for a in axes)  # Keras: a negative axis counts from the feature axis
        if any(a <= 0 or a >= r - 1 for a in norm) or len(set(norm)) != len(norm):
            raise ValueError(f"MultiHeadAttention '{self.name}': `attention_axes` {self._attention_axes} must name "
                             f"distinct axes between the batch and feature axes of a rank-{r} query.")
        self._shapes_dict = {"query_shape": query_shape, "value_shape": value_shape}
        if key_shape is not value_shape:
            self._shapes_dict["key_shape"] = key_shape
        out_shape = self._output_shape or (query_shape[-1],)
        self._out_dims = tuple(out_shape)
        eq, bias, _ = _proj_equation(r - 1, 1, 2)
        lead = [None] * (r - 2)
        # Keras's creation order (also the order of ``weights``): query, key, gate, value, output
        self._query_dense = self._dense("query", eq, lead + [self._num_heads, self._key_dim], bias)
        self._query_dense.build(query_shape)
        self._key_dense = self._dense("key", eq, lead + [self._num_heads, self._key_dim], bias)
        self._key_dense.build(key_shape)
        if self._use_gate:
            self._gate_dense = self._dense("gate", eq, lead + [self._num_heads, self._value_dim], bias,
                                           activation="sigmoid")
            self._gate_dense.build(query_shape)
        self._value_dense = self._dense("value", eq, lead + [self._num_heads, self._value_dim], bias)
        self._value_dense.build(value_shape)
        self._build_attention(r + 1, norm)
        eq, bias, _ = _proj_equation(r - 1, 2, len(self._out_dims))
        self._output_dense = self._dense("attention_output", eq, lead + list(self._out_dims), bias)
        self._output_dense.build(query_shape[:-1] + (self._num_heads, self._value_dim))
        for d in self._dense_layers():
            d.built = True
        self.built = True

    def _build_attention(self, rank: int, axes: Tuple[int, ...]) -> None:
        """The einsum equations, Softmax and Dropout of Keras's attention on projected (B, *T, N, H)
        tensors of ``rank`` dims (the state ``_compute_attention`` uses)."""
        from ..activations.softmax import Softmax
        from ..regularization.dropout import Dropout

        self._attention_axes = axes
        self._dot_product_equation, self._combine_equation, scores_rank = _attention_equations(rank, axes)
        norm_axes = tuple(range(scores_rank - len(axes), scores_rank))
        self._softmax = Softmax(axis=norm_axes, dtype=self.dtype_policy)
        self._dropout_layer = Dropout(rate=self._dropout, dtype=self.dtype_policy, seed=self.seed)

    def _dense_layers(self) -> List[EinsumDense]:
        out = [self._query_dense, self._key_dense]
        if self._use_gate:
            out.append(self._gate_dense)
        return out + [self._value_dense, self._output_dense]

    def get_build_config(self) -> Optional[Dict[str, Any]]:
        if self._shapes_dict is None:
            return None
        return {"shapes_dict": {k: list(v) for k, v in self._shapes_dict.items()}}

    def build_from_config(self, config: Optional[Dict[str, Any]]) -> None:
        if config and not self.built and "shapes_dict" in config:
            self.build(**{k: tuple(v) for k, v in config["shapes_dict"].items()})
            self.built = True

    # -- masks (Keras's helpers; shapes broadcastable to (B, T, S)) ------------------------------------------
    def _compute_attention_mask(self, query: Any, value: Any, query_mask: Any = None, value_mask: Any = None,
                                key_mask: Any = None, attention_mask: Any = None,
                                use_causal_mask: bool = False) -> Any:
        """The attention mask merged with the inputs' masks ([B, T, 1] query, [B, 1, S] value/key), the
        causal mask and the sliding-window band ([1, T, S] each), by logical AND; None when there is none."""
        auto = None
        if query_mask is not None:
            auto = ops.expand_dims(_as_bool(query_mask), -1)
        for m in (value_mask, key_mask):
            if m is not None:
                m = ops.expand_dims(_as_bool(m), -2)
                auto = m if auto is None else ops.logical_and(auto, m)
        if use_causal_mask:
            m = self._compute_causal_mask(query, value)
            auto = m if auto is None else ops.logical_and(auto, m)
        if self._sliding_window is not None:
            m = self._compute_sliding_window_mask(query, value)
            auto = m if auto is None else ops.logical_and(auto, m)
        if attention_mask is not None:
            attention_mask = _as_bool(attention_mask)
        if auto is not None:
            attention_mask = auto if attention_mask is None else ops.logical_and(attention_mask, auto)
        return attention_mask

    @staticmethod
    def _lengths(query: Any, value: Any) -> Tuple[int, int]:
        tq = query.shape[1]
        return tq, (tq if value is None else value.shape[1])

    def _compute_causal_mask(self, query: Any, value: Any = None) -> Tensor:
        """(1, T, S) bool, True on and below the diagonal (T, S: axis 1 of query and value)."""
        tq, tv = self._lengths(query, value)
        dev = getattr(query, "device", None)
        rows = ops.reshape(unidl.arange(tq, device=dev), (1, tq, 1))
        cols = ops.reshape(unidl.arange(tv, device=dev), (1, 1, tv))
        return ops.greater_equal(rows, cols)

    def _compute_sliding_window_mask(self, query: Any, value: Any = None) -> Tensor:
        """(1, T, S) bool band: True where ``|t - s| < sliding_window``."""
        tq, tv = self._lengths(query, value)
        dev = getattr(query, "device", None)
        rows = ops.reshape(unidl.arange(tq, device=dev), (1, tq, 1))
        cols = ops.reshape(unidl.arange(tv, device=dev), (1, 1, tv))
        return ops.less(ops.abs(ops.subtract(rows, cols)), self._sliding_window)

    def _expand_mask(self, mask: Tensor, scores_rank: int) -> Tensor:
        """A mask with axes added from the heads axis on (Keras's rule) until it has ``scores_rank`` dims."""
        axis = -len(self._attention_axes) * 2 - 1
        while mask.ndim < scores_rank:
            mask = ops.expand_dims(mask, axis)
        return mask

    # -- attention on projected tensors (Keras's override point) --------------------------------------------
    def _masked_softmax(self, attention_scores: Tensor, attention_mask: Any = None) -> Tensor:
        if attention_mask is not None:
            attention_mask = self._expand_mask(_as_bool(attention_mask), attention_scores.ndim)
        return self._softmax(attention_scores, mask=attention_mask)

    def _compute_attention(self, query: Any, key: Any, value: Any, attention_mask: Any = None, training: Any = None,
                           return_attention_scores: bool = False, use_causal_mask: bool = False) -> Any:
        """Dot-product attention of projected ``query`` (B, *T, N, key_dim), ``key`` (B, *S, N, key_dim) and
        ``value`` (B, *S, N, value_dim) -> (output (B, *T, N, value_dim), scores (B, *other, N, *T, *S)).
        The scores are None where Keras's fused kernel would run (no dropout, no scores asked, 4-D)."""
        from ...backend.common import convert_to_tensor

        if self._flash_attention and return_attention_scores:
            raise ValueError("Returning attention scores is not supported when flash attention is enabled. "
                             "Please disable flash attention to access attention scores.")
        query, key, value = (convert_to_tensor(t) for t in (query, key, value))
        fused_in_keras = not (self._dropout > 0.0 or return_attention_scores or query.ndim != 4)
        if use_causal_mask:
            causal = self._compute_causal_mask(query, value)
            attention_mask = causal if attention_mask is None else ops.logical_and(_as_bool(attention_mask), causal)
        query = ops.multiply(query, self._inverse_sqrt_key_dim)
        scores = ops.einsum(self._dot_product_equation, key, query)
        scores = self._masked_softmax(scores, attention_mask)
        weights = self._dropout_layer(scores, training=training) if self._dropout > 0.0 else scores
        out = ops.einsum(self._combine_equation, weights, value)
        return out, (None if fused_in_keras else scores)

    # -- calling ----------------------------------------------------------------------------------------
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
        overridden = type(self)._compute_attention is not MultiHeadAttention._compute_attention
        # causal masking alone: Keras's fused causal kernel (the mask is not materialized)
        causal_only = (use_causal_mask and query_mask is None and value_mask is None and key_mask is None
                       and attention_mask is None and self._sliding_window is None and not overridden)
        if causal_only:
            mask = None
        else:
            mask = self._compute_attention_mask(query, value, query_mask=query_mask, value_mask=value_mask,
                                                key_mask=key_mask, attention_mask=attention_mask,
                                                use_causal_mask=use_causal_mask)
        r = query.ndim
        axes = self._attention_axes
        other = [a for a in range(1, r - 1) if a not in axes]
        scores_rank = 2 + len(other) + 2 * len(axes)
        full = None if mask is None else self._expand_mask(mask, scores_rank)
        fused = (not overridden and not self._use_gate
                 and not any(getattr(d, "lora_enabled", False) or getattr(d, "quantization_mode", None)
                             for d in self._dense_layers())
                 and (full is None or full.shape[1 + len(other)] == 1)
                 and not (causal_only and r != 3))
        if fused:
            out, scores = self._fused(query, value, key, full, causal_only, training, other)
        else:
            if causal_only and r != 3:  # Keras's manual path builds the causal mask from axis 1
                mask, causal_only = self._compute_causal_mask(query, value), False
            gate = self._gate_dense(query) if self._use_gate else None
            q, k, v = self._query_dense(query), self._key_dense(key), self._value_dense(value)
            extra = {"use_causal_mask": True} if causal_only else {}
            out, scores = self._compute_attention(q, k, v, mask, training, return_attention_scores, **extra)
            out = self._output_dense(out if gate is None else ops.multiply(out, gate))
        if query_mask is not None:  # the output carries the query's mask (also when passed as query=...)
            set_mask(out, query_mask)
        return (out, scores) if return_attention_scores else out

    def _fused(self, query: Tensor, value: Tensor, key: Tensor, mask: Any, causal: bool, training: Any,
               other: List[int]) -> Tuple[Tensor, Tensor]:
        """The same attention in one core call (:func:`unidl.nn.functional.multi_head_attention`, the op
        sequence of the Gluon twin): the attended axes folded into one, the mask (already broadcastable
        to the scores, equal over heads) folded alike."""
        r = query.ndim
        axes = self._attention_axes
        perm = [0] + other + list(axes) + [r - 1]
        q, v, k = (self._fold(t, perm, len(other)) for t in (query, value, key))
        if mask is not None:
            mask = self._fold_mask(mask, query, value, other)
        wo, bo = self._output_dense.kernel, self._output_dense.bias
        if len(self._out_dims) != 1:
            wo = ops.reshape(wo, (self._num_heads, self._value_dim, -1))
            bo = None if bo is None else ops.reshape(bo, (-1,))
        out, scores = F.multi_head_attention(
            q, v, k, wq=self._query_dense.kernel, wk=self._key_dense.kernel, wv=self._value_dense.kernel, wo=wo,
            bq=self._query_dense.bias, bk=self._key_dense.bias, bv=self._value_dense.bias, bo=bo,
            num_heads=self._num_heads, key_dim=self._key_dim, value_dim=self._value_dim, attention_mask=mask,
            use_causal_mask=causal, dropout=float(self._dropout), generator=self._dropout_layer.generator,
            training=bool(training), return_attention_scores=True)
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
        scores = ops.reshape(scores, tuple(b_other + [self._num_heads] + tq + tv))
        return out, scores

    def _fold(self, t: Tensor, perm: List[int], n_other: int) -> Tensor:
        """(B, *T, D) -> (B, *other, prod(attended), D)."""
        if perm != list(range(t.ndim)):
            t = ops.transpose(t, tuple(perm))
        lead = tuple(t.shape[:1 + n_other])
        return ops.reshape(t, lead + (-1, t.shape[-1]))

    def _fold_mask(self, mask: Tensor, query: Tensor, value: Tensor, other: List[int]) -> Tensor:
        """A mask of the scores' rank (B, *other, 1, *T_attn, *S_attn) -> (B, *other, prod(T), prod(S))."""
        axes = self._attention_axes
        n_lead = 1 + len(other)
        full = tuple([query.shape[a] for a in [0] + other] + [1] + [query.shape[a] for a in axes]
                     + [value.shape[a] for a in axes])
        mask = ops.broadcast_to(mask, full)
        return ops.reshape(mask, full[:n_lead] + (int(math.prod(full[n_lead + 1:n_lead + 1 + len(axes)])),
                                                  int(math.prod(full[n_lead + 1 + len(axes):]))))

    def _check_inputs(self, query: Tensor, value: Tensor, key: Tensor) -> None:
        q, v, k = self._shapes_dict["query_shape"], self._shapes_dict["value_shape"], \
            self._shapes_dict.get("key_shape", self._shapes_dict["value_shape"])
        self._check_value_key(value.shape, key.shape)
        for nm, t, want in (("query", query, q), ("value", value, v), ("key", key, k)):
            if t.ndim != len(want) or t.shape[-1] != want[-1]:
                raise ValueError(f"MultiHeadAttention '{self.name}' was built for {nm} of shape {want}; received "
                                 f"{nm} of shape {tuple(t.shape)}")
        for a in range(query.ndim - 1):
            if a not in self._attention_axes and query.shape[a] != value.shape[a]:
                raise ValueError(f"MultiHeadAttention '{self.name}': query and value must agree on the batch and "
                                 f"non-attended axes. Received query shape {tuple(query.shape)}, value shape "
                                 f"{tuple(value.shape)}")

    def compute_output_shape(self, query_shape: Any, value_shape: Any = None, key_shape: Any = None) -> Any:
        query_shape = tuple(query_shape)
        if value_shape is not None:
            value_shape = tuple(value_shape)
            self._check_value_key(value_shape, value_shape if key_shape is None else tuple(key_shape))
        if self._output_shape:
            return query_shape[:-1] + tuple(self._output_shape)
        return query_shape

    def compute_output_spec(self, query: Any, value: Any, key: Any = None, query_mask: Any = None,
                            value_mask: Any = None, key_mask: Any = None, attention_mask: Any = None,
                            return_attention_scores: bool = False, training: Any = None,
                            use_causal_mask: bool = False) -> Any:
        from ...backend.keras_tensor import KerasTensor

        out = KerasTensor(self.compute_output_shape(query.shape, value.shape,
                                                    None if key is None else key.shape), self.compute_dtype)
        if not return_attention_scores:
            return out
        r = len(query.shape)
        axes = self._attention_axes
        other = [a for a in range(1, r - 1) if a not in axes]
        shape = ([query.shape[a] for a in [0] + other] + [self._num_heads] + [query.shape[a] for a in axes]
                 + [value.shape[a] for a in axes])
        return out, KerasTensor(shape, self.compute_dtype)

    def get_config(self) -> Dict[str, Any]:
        cfg = super().get_config()
        cfg.update({
            "num_heads": self._num_heads, "key_dim": self._key_dim, "value_dim": self._value_dim,
            "dropout": self._dropout, "use_bias": self._use_bias, "use_gate": self._use_gate,
            "output_shape": self._output_shape, "attention_axes": self._attention_axes,
            "sliding_window": self._sliding_window,
            "kernel_initializer": initializers.serialize(self._kernel_initializer),
            "bias_initializer": initializers.serialize(self._bias_initializer),
            "kernel_regularizer": regularizers.serialize(self._kernel_regularizer),
            "bias_regularizer": regularizers.serialize(self._bias_regularizer),
            "activity_regularizer": regularizers.serialize(self._activity_regularizer),
            "kernel_constraint": constraints.serialize(self._kernel_constraint),
            "bias_constraint": constraints.serialize(self._bias_constraint),
            "seed": self.seed,
        })
        return cfg


def _as_bool(m: Any) -> Tensor:
    from ...backend.common import convert_to_tensor

    m = convert_to_tensor(m)
    return m if m.dtype.kind == "b" else ops.not_equal(m, 0)
