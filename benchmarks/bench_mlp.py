"""MLP 784-256-128-10, one SGD train step at batch 128 (forward, softmax cross-entropy, backward, update).

Target (guide and issue 2): unidl within 1.3x of the same step hand-written in NumPy. PyTorch eager is
timed in the same run when installed. Run with the thread count you want to compare at, e.g.
``OMP_NUM_THREADS=2 python benchmarks/bench_mlp.py`` (the targets are stated for 2 CPU cores).
"""
from __future__ import annotations

import numpy as np

import unidl
from unidl import ops
from common import print_table, time_interleaved, torch_sgd_step, try_import_torch, unidl_sgd_step

SIZES = (784, 256, 128, 10)
BATCH = 128
LR = 0.01


def init_params(seed: int = 0):
    rng = np.random.default_rng(seed)
    params = []
    for fan_in, fan_out in zip(SIZES[:-1], SIZES[1:]):
        lim = np.sqrt(6 / (fan_in + fan_out))
        params.append(rng.uniform(-lim, lim, (fan_in, fan_out)).astype(np.float32))
        params.append(np.zeros(fan_out, np.float32))
    return params


def numpy_step(params, x, y):
    """The hand-written reference: forward, loss, backward and SGD in plain NumPy."""
    W1, b1, W2, b2, W3, b3 = params
    n = x.shape[0]
    rows = np.arange(n)

    def step():
        z1 = x @ W1 + b1
        h1 = np.maximum(z1, 0)
        z2 = h1 @ W2 + b2
        h2 = np.maximum(z2, 0)
        z3 = h2 @ W3 + b3
        m = z3.max(axis=1, keepdims=True)
        e = np.exp(z3 - m)
        s = e.sum(axis=1, keepdims=True)
        loss = float(np.mean(np.log(s[:, 0]) + m[:, 0] - z3[rows, y]))
        d3 = e / s
        d3[rows, y] -= 1
        d3 /= n
        gW3 = h2.T @ d3
        gb3 = d3.sum(0)
        d2 = (d3 @ W3.T) * (z2 > 0)
        gW2 = h1.T @ d2
        gb2 = d2.sum(0)
        d1 = (d2 @ W2.T) * (z1 > 0)
        gW1 = x.T @ d1
        gb1 = d1.sum(0)
        for p, g in zip(params, (gW1, gb1, gW2, gb2, gW3, gb3)):
            p -= LR * g
        return loss

    return step


def unidl_step(params, x, y):
    xt, yt = unidl.tensor(x), unidl.tensor(y)

    def loss(W1, b1, W2, b2, W3, b3):
        h1 = ops.relu(ops.matmul(xt, W1) + b1)
        h2 = ops.relu(ops.matmul(h1, W2) + b2)
        return ops.mean(ops.softmax_cross_entropy(ops.matmul(h2, W3) + b3, yt))

    return unidl_sgd_step(params, loss, LR)


def torch_step(torch, params, x, y):
    xt, yt = torch.tensor(x), torch.tensor(y)
    F = torch.nn.functional

    def loss(W1, b1, W2, b2, W3, b3):
        h1 = F.relu(xt @ W1 + b1)
        h2 = F.relu(h1 @ W2 + b2)
        return F.cross_entropy(h2 @ W3 + b3, yt)

    return torch_sgd_step(torch, params, loss, LR)


def main() -> None:
    rng = np.random.default_rng(1)
    x = rng.standard_normal((BATCH, SIZES[0])).astype(np.float32)
    y = rng.integers(0, SIZES[-1], BATCH)
    contenders = {"numpy (hand-written)": numpy_step(init_params(), x, y),
                  "unidl": unidl_step(init_params(), x, y)}
    torch = try_import_torch()
    if torch is not None:
        contenders["pytorch eager"] = torch_step(torch, init_params(), x, y)
    med = time_interleaved(contenders, rounds=20, inner=5)
    print_table(f"MLP {'-'.join(map(str, SIZES))} SGD step, batch {BATCH}", med, "numpy (hand-written)",
                target=("unidl", 1.3))


if __name__ == "__main__":
    main()
