"""LSTM train step: T=35, batch 32, 64 -> 128, forward + backward through the whole sequence + SGD.

Target (issue: nn functional): unidl's ``nn.functional.lstm`` (fused recurrence: one kernel call for the
forward of all steps, one for the backward) no slower than PyTorch eager ``torch.nn.LSTM`` at the same
thread count. The loss is ``mean(out**2)`` over the whole output sequence, so every step's gradient flows.
The op-by-op path (``fused=False``) is timed beside it to show what the fused op buys. Run e.g.
``OMP_NUM_THREADS=2 python benchmarks/bench_lstm.py``; torch is set to the same number of threads.
"""
from __future__ import annotations

import os

import numpy as np

import unidl
from unidl import ops
from unidl.nn import functional as F
from common import print_table, time_interleaved, torch_sgd_step, try_import_torch, unidl_sgd_step

T, BATCH, IN, HID = 35, 32, 64, 128
LR = 0.01


def init_params(seed: int = 0):
    """Keras-layout weights: w_ih (IN, 4H), w_hh (H, 4H), one bias (4H,); gates i, f, g, o."""
    rng = np.random.default_rng(seed)
    lim = 1 / np.sqrt(HID)
    return [rng.uniform(-lim, lim, (IN, 4 * HID)).astype(np.float32),
            rng.uniform(-lim, lim, (HID, 4 * HID)).astype(np.float32),
            rng.uniform(-lim, lim, (4 * HID,)).astype(np.float32)]


def unidl_step(params, x, fused: bool = True):
    xt = unidl.tensor(x)

    def loss(w_ih, w_hh, b):
        out, _, _ = F.lstm(xt, None, None, w_ih, w_hh, b, fused=fused)
        return ops.mean(ops.square(out))

    return unidl_sgd_step(params, loss, LR)


def torch_lstm(torch, params):
    """``torch.nn.LSTM`` holding the same weights (torch stores (4H, in); gate order i, f, g, o)."""
    w_ih, w_hh, b = params
    m = torch.nn.LSTM(IN, HID, batch_first=True)
    with torch.no_grad():
        m.weight_ih_l0.copy_(torch.tensor(w_ih.T))
        m.weight_hh_l0.copy_(torch.tensor(w_hh.T))
        m.bias_ih_l0.copy_(torch.tensor(b))
        m.bias_hh_l0.zero_()
    return m


def torch_step(torch, params, x):
    m = torch_lstm(torch, params)
    xt = torch.tensor(x)

    def loss(*_):
        out, _ = m(xt)
        return (out * out).mean()

    return torch_sgd_step(torch, list(m.parameters()), loss, LR)


def check_same_loss(torch, params, x) -> None:
    """Sanity: unidl and torch compute the same loss and gradients on the same weights."""
    ps = [unidl.tensor(p, requires_grad=True) for p in params]
    with unidl.record():
        out, _, _ = F.lstm(unidl.tensor(x), None, None, *ps)
        loss = ops.mean(ops.square(out))
    loss.backward()
    m = torch_lstm(torch, params)
    o, _ = m(torch.tensor(x))
    tl = (o * o).mean()
    tl.backward()
    np.testing.assert_allclose(float(loss.numpy()), float(tl.detach()), rtol=1e-4)
    np.testing.assert_allclose(ps[1].grad.numpy(), m.weight_hh_l0.grad.numpy().T, rtol=1e-3, atol=1e-6)


def main() -> None:
    rng = np.random.default_rng(1)
    x = rng.standard_normal((BATCH, T, IN)).astype(np.float32)
    contenders = {"unidl (fused)": unidl_step(init_params(), x),
                  "unidl (op by op)": unidl_step(init_params(), x, fused=False)}
    torch = try_import_torch()
    ref = "unidl (fused)"
    if torch is not None:
        threads = int(os.environ.get("OMP_NUM_THREADS", os.cpu_count() or 1))
        torch.set_num_threads(threads)
        check_same_loss(torch, init_params(), x)
        contenders["pytorch eager"] = torch_step(torch, init_params(), x)
        ref = "pytorch eager"
    timings = time_interleaved(contenders, rounds=15, inner=3)
    print_table(f"LSTM T={T} batch {BATCH} {IN}->{HID}, forward + backward + SGD "
                f"(threads: OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')})", timings, ref,
                target=("unidl (fused)", 1.0) if torch is not None else None)


if __name__ == "__main__":
    main()
