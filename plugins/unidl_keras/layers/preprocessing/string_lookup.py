"""``keras.layers.StringLookup``."""
from __future__ import annotations

from typing import Any, Optional

from .index_lookup import IndexLookup


class StringLookup(IndexLookup):
    """Map strings to indices: 0 = ``"[UNK]"`` (OOV), then the vocabulary (by frequency after ``adapt``).

    Args (as Keras): max_tokens, num_oov_indices (0 or 1), mask_token (None), oov_token ("[UNK]"),
    vocabulary, idf_weights, invert (indices -> strings), output_mode ("int", "one_hot", "multi_hot",
    "count", "tf_idf"), pad_to_max_tokens.
    Input: array of str/bytes, any shape. Output: int64 indices of that shape, or (batch, vocab_size).
    """

    def __init__(self, max_tokens: Optional[int] = None, num_oov_indices: int = 1, mask_token: Any = None,
                 oov_token: str = "[UNK]", vocabulary: Any = None, idf_weights: Any = None, invert: bool = False,
                 output_mode: str = "int", pad_to_max_tokens: bool = False, sparse: bool = False,
                 encoding: str = "utf-8", name: Optional[str] = None, **kwargs: Any) -> None:
        self.encoding = encoding
        super().__init__(max_tokens=max_tokens, num_oov_indices=num_oov_indices, mask_token=mask_token,
                         oov_token=oov_token, vocabulary_dtype="string", vocabulary=vocabulary,
                         idf_weights=idf_weights, invert=invert, output_mode=output_mode, sparse=sparse,
                         pad_to_max_tokens=pad_to_max_tokens, name=name, **kwargs)
