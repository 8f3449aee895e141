"""Sequence twins: a Conv1D text classifier, LSTM, GRU, bidirectional LSTM, and a LayerNorm +
multi-head-attention block (Gluon 1.9 has no attention layer: the Gluon twin is a user's HybridBlock
of Dense + batch_dot + softmax).

Gluon's LSTM has two biases (i2h, h2h) where Keras has one; the mapping puts Keras's bias in i2h_bias
and zeros in h2h_bias, and the Gluon twins freeze h2h_bias (``grad_req='null'``) so both models keep
the same function while training (two trainable biases would each get the full gradient).
"""
from __future__ import annotations

import math
from typing import Any

import unidl_keras as keras
from unidl_mxnet import gluon
from unidl_mxnet.gluon import nn, rnn

L = keras.layers


def keras_text_cnn(seq: int = 16, vocab: int = 50, classes: int = 4) -> Any:
    return keras.Sequential([keras.Input((seq,), dtype="int32"), L.Embedding(vocab, 8),
                             L.Conv1D(8, 3, activation="relu"), L.GlobalMaxPooling1D(), L.Dense(classes)])


class TextCNN(gluon.HybridBlock):
    def __init__(self, vocab: int = 50, classes: int = 4, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        with self.name_scope():
            self.embed = nn.Embedding(vocab, 8)
            self.conv = nn.Conv1D(8, 3, activation="relu")
            self.pool = nn.GlobalMaxPool1D()
            self.out = nn.Dense(classes)

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        e = F.transpose(self.embed(x), axes=(0, 2, 1))   # (N, T, E) -> (N, E, T)
        return self.out(self.pool(self.conv(e)))


def gluon_text_cnn(classes: int = 4) -> Any:
    return TextCNN(classes=classes)


def _freeze_h2h_bias(block: Any) -> None:
    block.collect_params(".*h2h_bias").setattr("grad_req", "null")


def keras_lstm(steps: int = 6, features: int = 5, classes: int = 4) -> Any:
    return keras.Sequential([keras.Input((steps, features)), L.LSTM(16), L.Dense(classes)])


class LastStep(gluon.HybridBlock):
    """An RNN layer (layout NTC) followed by a Dense on the last step's output."""

    def __init__(self, layer: Any, classes: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        with self.name_scope():
            self.rnn = layer
            self.out = nn.Dense(classes)

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return self.out(F.slice_axis(self.rnn(x), axis=1, begin=-1, end=None))


def gluon_lstm(classes: int = 4) -> Any:
    net = LastStep(rnn.LSTM(16, layout="NTC"), classes)
    _freeze_h2h_bias(net)
    return net


def keras_gru(steps: int = 6, features: int = 5, classes: int = 4) -> Any:
    return keras.Sequential([keras.Input((steps, features)), L.GRU(16), L.Dense(classes)])


def gluon_gru(classes: int = 4) -> Any:
    return LastStep(rnn.GRU(16, layout="NTC"), classes)


def keras_bilstm(steps: int = 6, features: int = 5, classes: int = 4) -> Any:
    return keras.Sequential([keras.Input((steps, features)), L.Bidirectional(L.LSTM(8, return_sequences=True)),
                             L.GlobalMaxPooling1D(), L.Dense(classes)])


class BiLSTMMax(gluon.HybridBlock):
    def __init__(self, classes: int = 4, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        with self.name_scope():
            self.rnn = rnn.LSTM(8, layout="NTC", bidirectional=True)
            self.pool = nn.GlobalMaxPool1D()
            self.out = nn.Dense(classes)

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return self.out(self.pool(F.transpose(self.rnn(x), axes=(0, 2, 1))))   # max over time of (N, C, T)


def gluon_bilstm(classes: int = 4) -> Any:
    net = BiLSTMMax(classes)
    _freeze_h2h_bias(net)
    return net


def keras_attention(steps: int = 8, dim: int = 16, heads: int = 2, classes: int = 4) -> Any:
    inp = keras.Input((steps, dim))
    att = L.MultiHeadAttention(num_heads=heads, key_dim=dim // heads)(inp, inp)
    x = L.LayerNormalization()(L.Add()([inp, att]))
    x = L.GlobalAveragePooling1D()(x)
    return keras.Model(inp, L.Dense(classes)(x))


class SelfAttentionBlock(gluon.HybridBlock):
    """Post-norm self-attention: ``LayerNorm(x + MHA(x, x))`` with per-head scaled dot products."""

    def __init__(self, dim: int = 16, heads: int = 2, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._heads, self._head_dim = heads, dim // heads
        with self.name_scope():
            self.query = nn.Dense(dim, flatten=False)
            self.key = nn.Dense(dim, flatten=False)
            self.value = nn.Dense(dim, flatten=False)
            self.proj = nn.Dense(dim, flatten=False)
            self.norm = nn.LayerNorm(epsilon=1e-3)   # Keras's LayerNormalization epsilon

    def _split(self, F: Any, x: Any) -> Any:       # (B, T, h*d) -> (B*h, T, d)
        h, d = self._heads, self._head_dim
        return x.reshape((0, 0, h, d)).transpose((0, 2, 1, 3)).reshape((-3, 0, 0))

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        h, d = self._heads, self._head_dim
        q = self._split(F, self.query(x)) * (1.0 / math.sqrt(d))
        k = self._split(F, self.key(x))
        v = self._split(F, self.value(x))
        att = F.softmax(F.batch_dot(q, k, transpose_b=True), axis=-1)
        ctx = F.batch_dot(att, v)                                      # (B*h, T, d)
        ctx = ctx.reshape((-4, -1, h, 0, 0)).transpose((0, 2, 1, 3)).reshape((0, 0, -1))   # (B, T, h*d)
        return self.norm(x + self.proj(ctx))


class AttentionClassifier(gluon.HybridBlock):
    def __init__(self, classes: int = 4, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        with self.name_scope():
            self.block = SelfAttentionBlock()
            self.pool = nn.GlobalAvgPool1D()
            self.out = nn.Dense(classes)

    def hybrid_forward(self, F: Any, x: Any) -> Any:
        return self.out(self.pool(F.transpose(self.block(x), axes=(0, 2, 1))))   # mean over time of (N, C, T)


def gluon_attention(classes: int = 4) -> Any:
    return AttentionClassifier(classes)
