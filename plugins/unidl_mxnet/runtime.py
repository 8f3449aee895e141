"""``mx.runtime``: which build features this runtime has (MXNet's ``Features``), as unidl sees them."""
from __future__ import annotations

from collections import OrderedDict
from typing import List

from .context import num_gpus

# MXNet's feature names; unidl's kernels are NumPy (CPU) and CuPy (CUDA), nothing else is compiled in.
_FEATURES = ("CUDA", "CUDNN", "NCCL", "CUDA_RTC", "TENSORRT", "CPU_SSE", "CPU_SSE2", "CPU_SSE3", "CPU_SSE4_1",
             "CPU_SSE4_2", "CPU_SSE4A", "CPU_AVX", "CPU_AVX2", "OPENMP", "SSE", "F16C", "JEMALLOC", "BLAS_OPEN",
             "BLAS_ATLAS", "BLAS_MKL", "BLAS_APPLE", "LAPACK", "MKLDNN", "OPENCV", "CAFFE", "PROFILER",
             "DIST_KVSTORE", "CXX14", "INT64_TENSOR_SIZE", "SIGNAL_HANDLER", "DEBUG", "TVM_OP")


class Feature:
    """One build feature: ``name`` and whether it is ``enabled``."""

    def __init__(self, name: str, enabled: bool):
        self.name = name
        self.enabled = enabled

    def __repr__(self) -> str:
        return ("✔ " if self.enabled else "✖ ") + self.name


def feature_list() -> List[Feature]:
    """Every known feature with its state."""
    cuda = num_gpus() > 0
    on = {"CUDA": cuda, "BLAS_OPEN": True, "LAPACK": True, "INT64_TENSOR_SIZE": True, "CXX14": True,
          "SIGNAL_HANDLER": True}
    return [Feature(n, bool(on.get(n, False))) for n in _FEATURES]


class Features(OrderedDict):
    """Mapping of feature name -> :class:`Feature`; ``is_enabled(name)`` raises RuntimeError for an unknown name."""

    def __init__(self):
        super().__init__((f.name, f) for f in feature_list())

    def __repr__(self) -> str:
        return str(list(self.values()))

    def is_enabled(self, feature_name: str) -> bool:
        name = feature_name.upper()
        if name not in self:
            raise RuntimeError(f"Feature '{feature_name}' is unknown, known features are: {list(self.keys())}")
        return self[name].enabled
