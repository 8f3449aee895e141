"""``keras.layers.CategoryEncoding``."""
from __future__ import annotations

from typing import Any, Dict

import numpy as np

from unidl import ops as U
from unidl.tensor import Tensor

from ...ops._dtypes import cast_to, to_tensor
from ..layer import Layer


def encode_categorical(ids: Tensor, num_tokens: int, output_mode: str, dtype: str, count_weights: Any = None,
                       name: str = "CategoryEncoding") -> Tensor:
    """Integer ids (batch,) or (batch, k) -> one-hot / multi-hot / count vectors over ``num_tokens``.

    one_hot keeps a trailing axis of 1 as Keras does ((batch, 1) -> (batch, num_tokens)); multi_hot and
    count reduce over the last axis of rank-2 input (rank-1 input is one sample).
    """
    host = ids.numpy()
    if host.size and (host.min() < 0 or host.max() >= num_tokens):
        raise ValueError(f"Input values must be in the range 0 <= values < num_tokens with num_tokens={num_tokens}. "
                         f"{name} received values in [{host.min()}, {host.max()}]")
    oh = U.one_hot(cast_to(ids, "int64"), num_tokens, dtype=dtype)
    if output_mode == "one_hot":
        if ids.ndim >= 2 and ids.shape[-1] == 1:
            oh = U.squeeze(oh, -2)
        return oh
    if ids.ndim == 1:
        oh = U.expand_dims(oh, 0)
        squeeze = True
    else:
        squeeze = False
    if count_weights is not None:
        oh = U.multiply(oh, U.expand_dims(to_tensor(count_weights), -1))
    out = U.sum(oh, axis=-2)
    if output_mode == "multi_hot":
        out = cast_to(U.greater(out, 0), dtype)
    return U.squeeze(out, 0) if squeeze else out


class CategoryEncoding(Layer):
    """Encode integer category ids as one-hot, multi-hot or count vectors of length ``num_tokens``.

    Args:
        num_tokens: the number of categories (ids must be in [0, num_tokens)).
        output_mode: "multi_hot" (default), "one_hot" or "count".
    Input: (batch,) or (batch, k) ints. Output: (batch, num_tokens) floats.
    """

    def __init__(self, num_tokens: Any = None, output_mode: str = "multi_hot", sparse: bool = False,
                 **kwargs: Any) -> None:
        kwargs.setdefault("autocast", False)
        super().__init__(**kwargs)
        if output_mode not in ("count", "one_hot", "multi_hot"):
            raise ValueError(f"Unknown arg for output_mode: {output_mode}")
        if num_tokens is None:
            raise ValueError("num_tokens must be set to use this layer. If the number of tokens is not known "
                             "beforehand, use the IntegerLookup layer instead.")
        if num_tokens < 1:
            raise ValueError(f"`num_tokens` must be >= 1. Received: num_tokens={num_tokens}.")
        if sparse:
            raise NotImplementedError("CategoryEncoding(sparse=True) is not supported by unidl")
        self.num_tokens, self.output_mode, self.sparse = int(num_tokens), output_mode, sparse
        self.built = True

    def call(self, inputs: Any, count_weights: Any = None) -> Any:
        return encode_categorical(to_tensor(inputs), self.num_tokens, self.output_mode, self.compute_dtype,
                                  count_weights, type(self).__name__)

    def compute_output_shape(self, input_shape: Any) -> Any:
        s = tuple(input_shape)
        if not s:
            return (self.num_tokens,)
        if self.output_mode == "one_hot" and s[-1] != 1:
            return s + (self.num_tokens,)
        return s[:-1] + (self.num_tokens,) if len(s) > 1 else (self.num_tokens,)

    def get_config(self) -> Dict[str, Any]:
        cfg = super().get_config()
        cfg.update({"num_tokens": self.num_tokens, "output_mode": self.output_mode, "sparse": self.sparse})
        return cfg
