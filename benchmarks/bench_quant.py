"""Quantized Keras Dense against the float32 layer: one inference call at batch 128, 784 -> 256 (unidl_keras).

Contenders, timed interleaved in one process: the float32 Dense, the same layer after ``quantize("int8")``
(int8 x int8 -> int32 through the core's int_matmul: an exact float64 GEMM), after ``quantize("int4")``
(packed int4 kernel, unpacked per call), and after ``quantize("float8")``. Printed: each one's best and
median time and the ratio to float32. Run: ``python benchmarks/bench_quant.py``.
"""
from __future__ import annotations

import numpy as np

import unidl_keras as keras
from common import print_table, time_interleaved

BATCH, IN, OUT = 128, 784, 256


def layer(mode):
    keras.utils.set_random_seed(0)
    d = keras.layers.Dense(OUT)
    d.build((None, IN))
    if mode != "float32":
        d.quantize(mode)
    return d


def main() -> None:
    x = np.random.default_rng(0).standard_normal((BATCH, IN)).astype(np.float32)
    contenders = {}
    for mode in ("float32", "int8", "int4", "float8"):
        d = layer(mode)
        contenders[f"Dense {mode}"] = (lambda d=d: d(x))
    timings = time_interleaved(contenders, rounds=15, inner=10)
    print_table(f"keras Dense {IN}->{OUT}, batch {BATCH}, inference", timings, reference="Dense float32")


if __name__ == "__main__":
    main()
