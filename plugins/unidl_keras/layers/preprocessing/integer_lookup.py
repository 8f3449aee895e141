"""``keras.layers.IntegerLookup``."""
from __future__ import annotations

from typing import Any, Optional

from .index_lookup import IndexLookup


class IntegerLookup(IndexLookup):
    """Map integer values to contiguous indices: 0 = OOV (token -1), then the vocabulary.

    Args as :class:`StringLookup`, with ``mask_token``/``oov_token`` integers (None / -1).
    Input: int array, any shape. Output: int64 indices, or (batch, vocab_size) encodings.
    """

    _is_string = False

    def __init__(self, max_tokens: Optional[int] = None, num_oov_indices: int = 1, mask_token: Any = None,
                 oov_token: int = -1, output_mode: str = "int", sparse: bool = False, vocabulary: Any = None,
                 vocabulary_dtype: str = "int64", idf_weights: Any = None, invert: bool = False,
                 name: Optional[str] = None, **kwargs: Any) -> None:
        if oov_token is None:
            raise ValueError("`oov_token` for IntegerLookup must be an int. Received: oov_token=None")
        super().__init__(max_tokens=max_tokens, num_oov_indices=num_oov_indices, mask_token=mask_token,
                         oov_token=oov_token, vocabulary_dtype=vocabulary_dtype, vocabulary=vocabulary,
                         idf_weights=idf_weights, invert=invert, output_mode=output_mode, sparse=sparse,
                         name=name, **kwargs)
