"""Shared by tests/cuda/test_generic_kernels.py (the cuda plugin on a NumPy stand-in) and test_gpu.py (on a
GPU): every op case run on the cuda kernel and the cpu reference, and a small MLP trained on a device."""
from __future__ import annotations

from typing import Callable, List, Optional, Tuple

import numpy as np


def op_case_mismatches(max_examples: int) -> Tuple[List[str], List[str]]:
    """Run each case of ``unidl.testing.cases`` forward on the cuda kernel and the cpu reference kernel with the
    same drawn inputs (``max_examples`` per case); returns (failure messages, the op of each comparison)."""
    from hypothesis import HealthCheck, given, settings, strategies as st
    from unidl.testing.cases import Gen, all_cases, tolerance
    from unidl_conformance.kernels.harness import case_kernels, compare_outputs, run_kernel

    failures: List[str] = []
    compared: List[str] = []

    def checker(case):
        dev_fn, ref_fn = case_kernels(case, "cuda")

        @given(st.data())
        @settings(max_examples=max_examples, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        def check(data):
            sample = case.gen(Gen(data, "forward", case.special))
            ref, ref_err = run_kernel(ref_fn, sample, "cpu")
            got, got_err = run_kernel(dev_fn, sample, "cuda")
            compared.append(case.op)
            if (ref_err is None) != (got_err is None):
                failures.append(f"{case.id}: cpu raised {ref_err!r}, cuda raised {got_err!r}")
            elif ref_err is None:
                out = compare_outputs(ref, got, tolerance(case.op))
                if not out.ok:
                    failures.append(f"{case.id}: {out.message}")

        return check

    for case in all_cases():
        checker(case)()
    return failures, compared


def train_mlp(device: str, n: int, d: int, hidden: int, classes: int, scale: float, act: Callable, dropout: float,
              nesterov: bool, steps: int = 3, sync: bool = True) -> Optional[Tuple[List[float], List[np.ndarray]]]:
    """``steps`` training steps of an MLP (x (n, d) -> ``act`` -> dropout -> ``classes`` logits, softmax cross
    entropy; weights by SGD with momentum, biases by Adam) on ``device``, all inputs from fixed seeds. Returns
    (losses, final parameters) as host values, or None when not ``sync`` (nothing is read back)."""
    import unidl
    from unidl import ops

    rng = np.random.default_rng(1)
    x = unidl.tensor(rng.normal(size=(n, d)).astype(np.float32), device=device)
    y = unidl.tensor(rng.integers(0, classes, size=n), device=device)
    shapes = [(d, hidden), (hidden,), (hidden, classes), (classes,)]
    ps = [unidl.tensor(rng.normal(scale=scale, size=s).astype(np.float32), device=device, requires_grad=True)
          for s in shapes]
    ms = [unidl.tensor(np.zeros(s, np.float32), device=device) for s in shapes]
    vs = [unidl.tensor(np.zeros(s, np.float32), device=device) for s in shapes]
    gen, losses = unidl.random.Generator(5), []
    for step in range(1, steps + 1):
        with unidl.record():
            h = ops.dropout(act(ops.matmul(x, ps[0]) + ps[1]), dropout, training=True, generator=gen)
            loss = ops.mean(ops.softmax_cross_entropy(ops.matmul(h, ps[2]) + ps[3], y))
        loss.backward()
        for i, p in enumerate(ps):
            if i % 2:
                ops.adam_update(p, p.grad, ms[i], vs[i], lr=1e-2, step=step, beta1=0.9, beta2=0.999, epsilon=1e-7)
            else:
                ops.sgd_update(p, p.grad, ms[i], lr=0.1, momentum=0.9, nesterov=nesterov)
        losses.append(loss)
    return ([float(v.numpy()) for v in losses], [p.numpy() for p in ps]) if sync else None
