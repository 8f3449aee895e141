"""``keras.layers.Permute``."""
from __future__ import annotations

from typing import Any, Dict, Sequence

from unidl import ops

from ..layer import Layer
from ._padding_utils import check_ndim


class Permute(Layer):
    """Permutes the non-batch dims: output dim ``i + 1`` is input dim ``dims[i]``.

    Args:
        dims: a permutation of ``1..n`` (the batch dim 0 is not included), e.g. ``(2, 1)``.

    Input shape: (batch, d1, ..., dn). Output shape: (batch, d_dims[0], ..., d_dims[n-1]).
    """

    def __init__(self, dims: Sequence[int], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        dims = tuple(dims)
        if sorted(dims) != list(range(1, len(dims) + 1)):
            raise ValueError("Invalid permutation argument `dims` for Permute Layer. The set of indices in `dims` "
                             f"must be consecutive and start from 1. Received dims={dims}")
        self.dims = dims

    def call(self, inputs: Any) -> Any:
        check_ndim(self, inputs.shape, len(self.dims) + 1)
        return ops.transpose(inputs, (0,) + self.dims)

    def compute_output_shape(self, input_shape: Any) -> Any:
        check_ndim(self, input_shape, len(self.dims) + 1)
        return (input_shape[0],) + tuple(input_shape[d] for d in self.dims)

    def get_config(self) -> Dict[str, Any]:
        cfg = super().get_config()
        cfg["dims"] = self.dims
        return cfg
