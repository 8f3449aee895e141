"""The shared vocabulary layer behind ``StringLookup`` and ``IntegerLookup`` (Keras's IndexLookup).

Vocabulary building and token -> index mapping are host-side data work (NumPy / Python dicts); the
encoded outputs ("one_hot", "multi_hot", "count", "tf_idf") are computed with :mod:`unidl.ops`.
Index layout, as in Keras: ``[mask_token]`` (when set) + ``num_oov_indices`` OOV slots + the vocabulary.
"""
from __future__ import annotations

import collections
from typing import Any, Dict, List, Optional

import numpy as np

from unidl import ops as U
from unidl.tensor import Tensor

from ...ops._dtypes import to_tensor
from ..layer import Layer
from ._adapt_utils import batches
from .category_encoding import encode_categorical

OUTPUT_MODES = ("int", "one_hot", "multi_hot", "count", "tf_idf")


class IndexLookup(Layer):
    """Map tokens to integer indices through a vocabulary (given, or learned by ``adapt``)."""

    _is_string = True

    def __init__(self, max_tokens: Optional[int], num_oov_indices: int, mask_token: Any, oov_token: Any,
                 vocabulary_dtype: str, vocabulary: Any = None, idf_weights: Any = None, invert: bool = False,
                 output_mode: str = "int", sparse: bool = False, pad_to_max_tokens: bool = False,
                 **kwargs: Any) -> None:
        kwargs.setdefault("autocast", False)
        super().__init__(**kwargs)
        name = type(self).__name__
        if max_tokens is not None and max_tokens <= 1:
            raise ValueError(f"If set, `max_tokens` must be greater than 1. Received: max_tokens={max_tokens}")
        if num_oov_indices < 0:
            raise ValueError(f"`num_oov_indices` must be greater than or equal to 0. Received: {num_oov_indices}")
        if num_oov_indices > 1:
            raise NotImplementedError(f"{name}: num_oov_indices > 1 (hashed OOV buckets) is not supported by unidl")
        if output_mode == "binary":  # Keras's older name for multi_hot (the structured-data example uses it)
            output_mode = "multi_hot"
        if output_mode not in OUTPUT_MODES:
            raise ValueError(f"Invalid value for argument `output_mode`. Expected one of {OUTPUT_MODES}. "
                             f"Received: output_mode={output_mode}")
        if invert and output_mode != "int":
            raise ValueError(f"`output_mode` must be `'int'` when `invert` is true. Received: output_mode={output_mode}")
        if sparse:
            raise NotImplementedError(f"{name}(sparse=True) is not supported by unidl")
        self.max_tokens, self.num_oov_indices = max_tokens, int(num_oov_indices)
        self.mask_token, self.oov_token = mask_token, oov_token
        self.vocabulary_dtype, self.invert, self.output_mode = vocabulary_dtype, invert, output_mode
        self.sparse, self.pad_to_max_tokens = sparse, pad_to_max_tokens
        self._vocab: Optional[List[Any]] = None
        self.idf_weights = None
        if vocabulary is not None:
            self.set_vocabulary(vocabulary, idf_weights)
        self.built = True

    # -- vocabulary -------------------------------------------------------------------------------------
    def _special(self) -> List[Any]:
        s = [self.mask_token] if self.mask_token is not None else []
        return s + [self.oov_token] * self.num_oov_indices

    def _norm(self, v: Any) -> Any:
        if self._is_string:
            return v.decode("utf-8") if isinstance(v, bytes) else str(v)
        return int(v)

    def set_vocabulary(self, vocabulary: Any, idf_weights: Any = None) -> None:
        """Use ``vocabulary`` (tokens without the mask/OOV slots, or starting with them as Keras allows)."""
        vocab = [self._norm(v) for v in (np.asarray(vocabulary).reshape(-1).tolist()
                                          if not isinstance(vocabulary, list) else vocabulary)]
        special = self._special()
        if special and vocab[:len(special)] == special:
            vocab = vocab[len(special):]
        if len(set(vocab)) != len(vocab):
            dup = [t for t, c in collections.Counter(vocab).items() if c > 1]
            raise ValueError(f"The passed vocabulary has at least one repeated term. Please uniquify your dataset. "
                             f"The repeated terms are: {dup}")
        if self.mask_token is not None and self.mask_token in vocab:
            raise ValueError(f"Found reserved mask token at unexpected location in `vocabulary`. Note that passed "
                             f"`vocabulary` does not need to include the OOV and mask tokens. Received: mask_token="
                             f"{self.mask_token} at vocabulary index {vocab.index(self.mask_token)}")
        self._vocab = vocab
        if self.output_mode == "tf_idf":
            if idf_weights is None:
                raise ValueError("`idf_weights` must be set if output_mode is 'tf_idf'.")
            w = np.asarray(idf_weights, dtype=np.float32).reshape(-1)
            if len(w) == len(vocab):  # weights for the vocabulary only: the special slots get their mean
                w = np.concatenate([np.full(len(special), w.mean() if len(w) else 0.0, np.float32), w])
            self.idf_weights = w
        self._index = {t: i + len(special) for i, t in enumerate(vocab)}

    def get_vocabulary(self, include_special_tokens: bool = True) -> List[Any]:
        vocab = list(self._vocab or [])
        return self._special() + vocab if include_special_tokens else vocab

    def vocabulary_size(self) -> int:
        return len(self.get_vocabulary())

    def _token_lists(self, data: Any) -> List[List[Any]]:
        """One token list per document (a row of a batch; an element of a rank-1 batch)."""
        docs: List[List[Any]] = []
        for b in batches(data, type(self).__name__):
            rows = b.reshape(b.shape[0], -1) if b.ndim >= 1 else b.reshape(1, 1)
            docs.extend([self._norm(v) for v in row.tolist()] for row in rows)
        return docs

    def adapt(self, data: Any, steps: Optional[int] = None) -> None:
        """Learn the vocabulary: tokens by decreasing frequency (ties: the larger token first, as Keras sorts)."""
        counts: collections.Counter = collections.Counter()
        docs: collections.Counter = collections.Counter()
        n_docs = 0
        for toks in self._token_lists(data):
            counts.update(toks)
            n_docs += 1
            docs.update(set(toks))
        self._finish_adapt(counts, docs, n_docs)

    def _finish_adapt(self, counts: collections.Counter, docs: collections.Counter, n_docs: int) -> None:
        special = self._special()
        for t in (self.mask_token, self.oov_token):
            counts.pop(t, None)
        tokens = sorted(counts, key=lambda t: (counts[t], t), reverse=True)
        if self.max_tokens is not None:
            tokens = tokens[:max(self.max_tokens - len(special), 0)]
        idf = None
        if self.output_mode == "tf_idf":
            idf = np.log(1.0 + n_docs / (1.0 + np.asarray([docs[t] for t in tokens], np.float64)))
        self.set_vocabulary(tokens, idf)

    # -- mapping ----------------------------------------------------------------------------------------
    def _lookup(self, arr: np.ndarray) -> np.ndarray:
        if self._vocab is None:
            raise ValueError(f"{type(self).__name__} has no vocabulary: pass `vocabulary=` or call `adapt()` first.")
        oov = (1 if self.mask_token is not None else 0) if self.num_oov_indices else -1
        mask = self.mask_token
        flat = [self._norm(v) for v in arr.reshape(-1).tolist()]
        out = np.empty(len(flat), dtype=np.int64)
        for i, t in enumerate(flat):
            j = self._index.get(t)
            if j is None:
                if mask is not None and t == mask:
                    j = 0
                elif oov < 0:
                    raise ValueError(f"{type(self).__name__}: token {t!r} is not in the vocabulary and "
                                     f"num_oov_indices=0")
                else:
                    j = oov
            out[i] = j
        return out.reshape(arr.shape)

    def _encode(self, ids: np.ndarray, device: Any = None) -> Any:
        t = Tensor._from_any(ids, device) if device is not None else to_tensor(ids)
        if self.output_mode == "int":
            return t
        depth = self.max_tokens if self.pad_to_max_tokens and self.max_tokens else self.vocabulary_size()
        mode = "count" if self.output_mode == "tf_idf" else self.output_mode
        out = encode_categorical(t, depth, mode, "float32", None, type(self).__name__)
        if self.output_mode == "tf_idf":
            w = np.zeros(depth, np.float32)
            w[:len(self.idf_weights)] = self.idf_weights
            out = U.multiply(out, Tensor._from_any(w, out.device))
        return out

    def call(self, inputs: Any) -> Any:
        if self.invert:
            ids = inputs.numpy() if isinstance(inputs, Tensor) else np.asarray(inputs)
            vocab = np.asarray(self.get_vocabulary(), dtype=object)
            out = vocab[np.clip(ids, 0, len(vocab) - 1)]
            return out.astype(str) if self._is_string else to_tensor(out.astype(np.int64))
        host = inputs.numpy() if isinstance(inputs, Tensor) else np.asarray(inputs)
        return self._encode(self._lookup(host))

    def get_config(self) -> Dict[str, Any]:
        cfg = super().get_config()
        cfg.update({"max_tokens": self.max_tokens, "num_oov_indices": self.num_oov_indices,
                    "mask_token": self.mask_token, "oov_token": self.oov_token, "invert": self.invert,
                    "output_mode": self.output_mode, "sparse": self.sparse,
                    "pad_to_max_tokens": self.pad_to_max_tokens, "vocabulary": self._vocab,
                    "idf_weights": None if self.idf_weights is None else self.idf_weights.tolist(),
                    "vocabulary_dtype": self.vocabulary_dtype})
        return cfg
