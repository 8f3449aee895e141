"""``keras.utils.timeseries_dataset_from_array``: sliding windows over an array, batched."""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from .dataset_utils import BatchDataset, _as_batch_value


def timeseries_dataset_from_array(data: Any, targets: Any, sequence_length: int, sequence_stride: int = 1,
                                  sampling_rate: int = 1, batch_size: Optional[int] = 128, shuffle: bool = False,
                                  seed: Optional[int] = None, start_index: Optional[int] = None,
                                  end_index: Optional[int] = None) -> BatchDataset:
    """Windows ``data[i : i + sequence_length * sampling_rate : sampling_rate]`` for starts
    ``i = start_index, start_index + sequence_stride, ...``, paired with ``targets[i]`` (when given).

    Returns batches of shape (batch, sequence_length, *data.shape[1:]) (and (batch, *targets.shape[1:])),
    the last batch possibly smaller; ``batch_size=None`` yields unbatched windows.
    """
    data = np.asarray(data)
    if sampling_rate <= 0:
        raise ValueError(f"`sampling_rate` must be higher than 0. Received: sampling_rate={sampling_rate}")
    if sequence_stride <= 0:
        raise ValueError(f"`sequence_stride` must be higher than 0. Received: sequence_stride={sequence_stride}")
    if sequence_length <= 0:
        raise ValueError(f"`sequence_length` must be higher than 0. Received: sequence_length={sequence_length}")
    if start_index is not None and (start_index < 0 or start_index >= len(data)):
        raise ValueError(f"`start_index` must be 0 <= start_index < {len(data)}. Received: start_index={start_index}")
    if end_index is not None and (end_index <= 0 or (start_index is not None and end_index <= start_index)
                                  or end_index > len(data)):
        raise ValueError(f"`end_index` must be higher than `start_index` and at most {len(data)}. "
                         f"Received: end_index={end_index}")
    start = start_index or 0
    end = len(data) if end_index is None else end_index
    if targets is not None:
        targets = np.asarray(targets)
        if len(targets) != len(data):
            raise ValueError(f"Expected data and targets to have the same number of time steps (axis=0). "
                             f"Received: data.shape={data.shape}, targets.shape={targets.shape}")
    span = (sequence_length - 1) * sampling_rate + 1
    n_win = max(0, -(-(end - start - span + 1) // sequence_stride)) if end - start >= span else 0
    starts = start + np.arange(n_win) * sequence_stride
    if shuffle:
        starts = np.random.default_rng(seed).permutation(starts)
    offsets = np.arange(sequence_length) * sampling_rate
    bs = batch_size or 1
    count = -(-n_win // bs)

    def make(i: int) -> Any:
        s = starts[i * bs:(i + 1) * bs] if batch_size else starts[i:i + 1]
        x = data[s[:, None] + offsets]
        if not batch_size:
            x = x[0]
        if targets is None:
            return _as_batch_value(x)
        y = targets[s] if batch_size else targets[s[0]]
        return _as_batch_value(x), _as_batch_value(y)

    return BatchDataset(count, make)
