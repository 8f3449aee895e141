"""``keras.layers.TextVectorization``: standardize, split, (n-grams), then index with a StringLookup.

String processing runs on the host in Python (``re``), as data-pipeline work; the index encodings go
through :class:`~.string_lookup.StringLookup`.
"""
from __future__ import annotations

import collections
import re
import string
from typing import Any, Callable, Dict, List, Optional

import numpy as np

from unidl.tensor import Tensor

from ...ops._dtypes import to_tensor
from ..layer import Layer
from ._adapt_utils import batches
from .string_lookup import StringLookup

_PUNCT = re.compile("[%s]" % re.escape(string.punctuation))


class TextVectorization(Layer):
    """Turn strings into token indices (``output_mode="int"``) or bag-of-words vectors.

    Args:
        max_tokens: the vocabulary size cap, including the mask ("") and OOV ("[UNK]") tokens.
        standardize: "lower_and_strip_punctuation" (default), "lower", "strip_punctuation", None, or a
            callable on a NumPy array of str.
        split: "whitespace" (default), "character", None, or a callable on one str returning tokens.
        ngrams: None, an int n (all 1..n grams) or a tuple of n values.
        output_mode: "int", "multi_hot", "count" or "tf_idf".
        output_sequence_length: for "int": pad with 0 / truncate to this length (else the batch's longest).
        vocabulary, idf_weights: a fixed vocabulary instead of ``adapt``.
    Input: (batch,) or (batch, 1) strings. Output: (batch, length) int64 or (batch, vocab_size) float32.
    """

    def __init__(self, max_tokens: Optional[int] = None, standardize: Any = "lower_and_strip_punctuation",
                 split: Any = "whitespace", ngrams: Any = None, output_mode: str = "int",
                 output_sequence_length: Optional[int] = None, pad_to_max_tokens: bool = False,
                 vocabulary: Any = None, idf_weights: Any = None, sparse: bool = False, ragged: bool = False,
                 encoding: str = "utf-8", name: Optional[str] = None, **kwargs: Any) -> None:
        kwargs.setdefault("autocast", False)
        super().__init__(name=name, **kwargs)
        if output_mode not in ("int", "multi_hot", "count", "tf_idf"):
            raise ValueError(f"Invalid value for argument `output_mode`. Expected one of ('int', 'multi_hot', "
                             f"'count', 'tf_idf'). Received: output_mode={output_mode}")
        if output_sequence_length is not None and output_mode != "int":
            raise ValueError(f"`output_sequence_length` must not be set if `output_mode` is not 'int'. Received: "
                             f"output_sequence_length={output_sequence_length}.")
        if ragged:
            raise NotImplementedError("TextVectorization(ragged=True) is not supported by unidl")
        if isinstance(ngrams, int):
            ngrams = tuple(range(1, ngrams + 1))
        self.max_tokens, self.standardize, self.split, self.ngrams = max_tokens, standardize, split, ngrams
        self.output_mode, self.output_sequence_length = output_mode, output_sequence_length
        self.pad_to_max_tokens, self.sparse, self.encoding = pad_to_max_tokens, sparse, encoding
        self._lookup = StringLookup(max_tokens=max_tokens, mask_token="", vocabulary=vocabulary,
                                    idf_weights=idf_weights, output_mode=output_mode,
                                    pad_to_max_tokens=pad_to_max_tokens, name=f"{self.name}_lookup")
        self.built = True

    # -- text processing ----------------------------------------------------------------------------------
    def _standardize(self, texts: np.ndarray) -> List[str]:
        s = self.standardize
        if callable(s):
            out = s(texts)
            out = out.numpy() if isinstance(out, Tensor) else np.asarray(out)
            return [t.decode(self.encoding) if isinstance(t, bytes) else str(t) for t in out.reshape(-1).tolist()]
        res = []
        for t in texts.reshape(-1).tolist():
            t = t.decode(self.encoding) if isinstance(t, bytes) else str(t)
            if s in ("lower", "lower_and_strip_punctuation"):
                t = t.lower()
            if s in ("strip_punctuation", "lower_and_strip_punctuation"):
                t = _PUNCT.sub("", t)
            elif s not in (None, "lower"):
                raise ValueError(f"Unknown value for `standardize`: {s}")
            res.append(t)
        return res

    def _tokens(self, text: str) -> List[str]:
        sp = self.split
        if sp is None:
            toks = [text]
        elif sp == "whitespace":
            toks = text.split()
        elif sp == "character":
            toks = list(text)
        elif callable(sp):
            toks = [t.decode(self.encoding) if isinstance(t, bytes) else str(t) for t in sp(text)]
        else:
            raise ValueError(f"Unknown value for `split`: {sp}")
        if self.ngrams:
            toks = [" ".join(toks[i:i + n]) for n in self.ngrams for i in range(len(toks) - n + 1)]
        return toks

    def _docs(self, inputs: Any) -> List[List[str]]:
        arr = inputs.numpy() if isinstance(inputs, Tensor) else np.asarray(inputs)
        if arr.ndim == 2 and arr.shape[1] == 1:
            arr = arr[:, 0]
        elif arr.ndim > 1:
            raise ValueError(f"TextVectorization expects (batch,) or (batch, 1) string inputs, got shape {arr.shape}")
        return [self._tokens(t) for t in self._standardize(np.atleast_1d(arr))]

    # -- vocabulary -----------------------------------------------------------------------------------------
    def adapt(self, data: Any, batch_size: Any = None, steps: Optional[int] = None) -> None:
        """Learn the vocabulary (and IDF weights for "tf_idf") from strings: an array, or batches of them."""
        counts: collections.Counter = collections.Counter()
        docs_c: collections.Counter = collections.Counter()
        n = 0
        for b in batches(data, "TextVectorization"):
            for toks in self._docs(b):
                counts.update(toks)
                docs_c.update(set(toks))
                n += 1
        counts.pop("", None)
        self._lookup._finish_adapt(counts, docs_c, n)

    def set_vocabulary(self, vocabulary: Any, idf_weights: Any = None) -> None:
        self._lookup.set_vocabulary(vocabulary, idf_weights)

    def get_vocabulary(self, include_special_tokens: bool = True) -> List[str]:
        return self._lookup.get_vocabulary(include_special_tokens)

    def vocabulary_size(self) -> int:
        return self._lookup.vocabulary_size()

    def call(self, inputs: Any) -> Any:
        docs = self._docs(inputs)
        if self.output_mode == "int":
            length = self.output_sequence_length
            if length is None:
                length = max((len(d) for d in docs), default=0)
            ids = np.zeros((len(docs), length), dtype=np.int64)
            for i, d in enumerate(docs):
                d = d[:length]
                if d:
                    ids[i, :len(d)] = self._lookup._lookup(np.asarray(d, dtype=object))
            return to_tensor(ids)
        rows = [self._lookup._lookup(np.asarray(d, dtype=object)) if d else np.zeros(0, np.int64) for d in docs]
        width = max((len(r) for r in rows), default=0)
        ids = np.zeros((len(rows), max(width, 1)), dtype=np.int64)  # padding: the mask index 0, dropped below
        for i, r in enumerate(rows):
            ids[i, :len(r)] = r
        out = self._lookup._encode(ids)
        from unidl import ops as U

        keep = np.ones(out.shape[-1], np.float32)
        keep[0] = 0.0  # Keras's bag-of-words modes never count the mask token
        return U.multiply(out, Tensor._from_any(keep, out.device))

    def compute_output_shape(self, input_shape: Any) -> Any:
        b = tuple(input_shape)[:1] or (None,)
        if self.output_mode == "int":
            return b + (self.output_sequence_length,)
        depth = self.max_tokens if self.pad_to_max_tokens and self.max_tokens else None
        return b + (depth,)

    def compute_output_spec(self, *args: Any, **kwargs: Any) -> Any:
        from ...backend.keras_tensor import KerasTensor

        shape = self.compute_output_shape(args[0].shape)
        if self.output_mode != "int" and shape[-1] is None and self._lookup._vocab is not None:
            shape = shape[:-1] + (self.vocabulary_size(),)
        return KerasTensor(shape, dtype="int64" if self.output_mode == "int" else "float32")

    def get_config(self) -> Dict[str, Any]:
        cfg = super().get_config()
        cfg.update({"max_tokens": self.max_tokens,
                    "standardize": self.standardize if not callable(self.standardize) else None,
                    "split": self.split if not callable(self.split) else None, "ngrams": self.ngrams,
                    "output_mode": self.output_mode, "output_sequence_length": self.output_sequence_length,
                    "pad_to_max_tokens": self.pad_to_max_tokens, "sparse": self.sparse,
                    "vocabulary": self._lookup._vocab, "encoding": self.encoding,
                    "idf_weights": None if self._lookup.idf_weights is None else self._lookup.idf_weights.tolist()})
        return cfg
