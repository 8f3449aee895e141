"""``keras.layers.Discretization``."""
from __future__ import annotations

from typing import Any, Dict, Optional, Sequence

import numpy as np

from unidl import ops as U
from unidl.tensor import Tensor

from ...ops._dtypes import cast_to, to_tensor
from ..layer import Layer
from ._adapt_utils import batches
from .category_encoding import encode_categorical


class Discretization(Layer):
    """Bucket values by ``bin_boundaries``: ``x < b[0]`` -> 0, ``b[i-1] <= x < b[i]`` -> i, ``x >= b[-1]`` -> len(b).

    Args:
        bin_boundaries: sorted boundaries; or ``num_bins`` with ``adapt(data)`` (quantile boundaries).
        output_mode: "int" (default), "one_hot", "multi_hot" or "count".
    """

    def __init__(self, bin_boundaries: Optional[Sequence[float]] = None, num_bins: Optional[int] = None,
                 epsilon: float = 0.01, output_mode: str = "int", sparse: bool = False, dtype: Any = None,
                 name: Optional[str] = None) -> None:
        super().__init__(name=name, autocast=False, dtype=dtype)
        if bin_boundaries is not None and num_bins is not None:
            raise ValueError(f"Both `num_bins` and `bin_boundaries` should not be set. Received: "
                             f"num_bins={num_bins} and bin_boundaries={bin_boundaries}")
        if output_mode not in ("int", "one_hot", "multi_hot", "count"):
            raise ValueError(f"Invalid value for argument `output_mode`. Received: output_mode={output_mode}")
        self.bin_boundaries = list(bin_boundaries) if bin_boundaries is not None else None
        self.num_bins, self.epsilon, self.output_mode, self.sparse = num_bins, epsilon, output_mode, sparse
        self.built = True

    def adapt(self, data: Any) -> None:
        """Boundaries at the ``num_bins`` quantiles of ``data`` (exact quantiles, computed on the host)."""
        if self.num_bins is None:
            raise ValueError("Cannot adapt a Discretization layer that has been initialized with "
                             "`bin_boundaries`, use `num_bins` instead.")
        values = np.concatenate([b.reshape(-1).astype(np.float64) for b in batches(data, "Discretization")])
        qs = np.linspace(0, 1, self.num_bins + 1)[1:-1]
        self.bin_boundaries = np.quantile(values, qs).tolist()

    def call(self, inputs: Any) -> Any:
        if self.bin_boundaries is None:
            raise ValueError("You need to either pass the `bin_boundaries` argument at construction time or call "
                             "`adapt(dataset)` before you can start using the `Discretization` layer.")
        x = to_tensor(inputs)
        b = np.asarray(self.bin_boundaries, dtype=np.dtype(x.dtype) if np.dtype(x.dtype).kind == "f" else np.float64)
        xb = U.expand_dims(x if np.dtype(x.dtype).kind == "f" else cast_to(x, "float64"), -1)
        ids = cast_to(U.sum(cast_to(U.greater_equal(xb, Tensor._from_any(b, x.device)), "int64"), axis=-1), "int64")
        if self.output_mode == "int":
            return ids
        return encode_categorical(ids, len(self.bin_boundaries) + 1, self.output_mode, "float32", None,
                                  "Discretization")

    def get_config(self) -> Dict[str, Any]:
        cfg = super().get_config()
        cfg.update({"bin_boundaries": self.bin_boundaries, "num_bins": self.num_bins, "epsilon": self.epsilon,
                    "output_mode": self.output_mode, "sparse": self.sparse})
        return cfg
