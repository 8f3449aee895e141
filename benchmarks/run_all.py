"""Run every core benchmark in one process and print their tables (``python benchmarks/run_all.py``)."""
from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench_cnn  # noqa: E402
import bench_gluon  # noqa: E402
import bench_keras_fit  # noqa: E402
import bench_lstm  # noqa: E402
import bench_mlp  # noqa: E402
import bench_ops  # noqa: E402

if __name__ == "__main__":
    print(f"threads: OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}, "
          f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', 'unset')}")
    for mod in (bench_ops, bench_mlp, bench_cnn, bench_lstm, bench_keras_fit, bench_gluon):
        mod.main()
