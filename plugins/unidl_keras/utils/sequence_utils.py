"""``pad_sequences``: lists of sequences to one padded NumPy array (keras.utils)."""
from __future__ import annotations

from typing import Any, Optional, Sequence

import numpy as np


def pad_sequences(sequences: Sequence[Any], maxlen: Optional[int] = None, dtype: Any = "int32",
                  padding: str = "pre", truncating: str = "pre", value: Any = 0.0) -> np.ndarray:
    """Pad (and truncate) sequences to a common length.

    Shapes: N sequences of lengths L_i (each item may itself be an array of shape S) ->
    (N, maxlen, *S); ``maxlen`` defaults to the longest sequence. ``padding``/``truncating``:
    'pre' (at the start) or 'post' (at the end).
    """
    if not hasattr(sequences, "__len__"):
        raise ValueError("`sequences` must be iterable.")
    if padding not in ("pre", "post"):
        raise ValueError(f'`padding` type "{padding}" not understood')
    if truncating not in ("pre", "post"):
        raise ValueError(f'`truncating` type "{truncating}" not understood')
    lengths, item_shape = [], None
    for s in sequences:
        if not hasattr(s, "__len__"):
            raise ValueError(f"`sequences` must be a list of iterables. Found non-iterable: {s!r}")
        lengths.append(len(s))
        if item_shape is None and len(s):
            item_shape = np.asarray(s).shape[1:]
    item_shape = item_shape or ()
    if maxlen is None:
        maxlen = max(lengths, default=0)
    dt = np.dtype(dtype)
    if isinstance(value, str) and dt.kind not in "USO":
        raise ValueError(f"`dtype` {dtype} is not compatible with `value`'s type: {type(value)}\n"
                         "You should set `dtype=object` for variable length strings.")
    out = np.full((len(sequences), int(maxlen)) + tuple(item_shape), value, dtype=dt)
    for i, s in enumerate(sequences):
        if not len(s) or maxlen == 0:
            continue
        a = np.asarray(s, dtype=dt)
        a = a[-maxlen:] if truncating == "pre" else a[:maxlen]
        if a.shape[1:] != tuple(item_shape):
            raise ValueError(f"Shape of sample {a.shape[1:]} of sequence at position {i} is different from "
                             f"expected shape {tuple(item_shape)}")
        if padding == "post":
            out[i, :len(a)] = a
        else:
            out[i, -len(a):] = a
    return out
