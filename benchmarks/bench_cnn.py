"""LeNet-like CNN, one SGD train step at batch 64 on 28x28x1 inputs, on the core ops.

conv 1->6 5x5 (pad 2), relu, maxpool 2; conv 6->16 5x5, relu, maxpool 2; dense 400->120->84->10.
Target (guide): unidl at 0.7x PyTorch eager's time or better, at the same thread count
(``OMP_NUM_THREADS=2``). PyTorch is required for the ratio; without it only unidl's time is printed.
"""
from __future__ import annotations

import numpy as np

import unidl
from unidl import ops
from common import print_table, time_interleaved, torch_sgd_step, try_import_torch, unidl_sgd_step

BATCH = 64
LR = 0.01


def init_params(seed: int = 0):
    rng = np.random.default_rng(seed)

    def u(shape, fan_in):
        lim = np.sqrt(1 / fan_in)
        return rng.uniform(-lim, lim, shape).astype(np.float32)

    return [u((6, 1, 5, 5), 25), np.zeros(6, np.float32), u((16, 6, 5, 5), 150), np.zeros(16, np.float32),
            u((400, 120), 400), np.zeros(120, np.float32), u((120, 84), 120), np.zeros(84, np.float32),
            u((84, 10), 84), np.zeros(10, np.float32)]


def unidl_step(params, x, y):
    xt, yt = unidl.tensor(x), unidl.tensor(y)

    def loss(c1, cb1, c2, cb2, w1, b1, w2, b2, w3, b3):
        h = ops.max_pool2d(ops.relu(ops.conv2d(xt, c1, cb1, padding=2)), 2)
        h = ops.max_pool2d(ops.relu(ops.conv2d(h, c2, cb2)), 2)
        h = ops.reshape(h, (h.shape[0], -1))
        h = ops.relu(ops.matmul(h, w1) + b1)
        h = ops.relu(ops.matmul(h, w2) + b2)
        return ops.mean(ops.softmax_cross_entropy(ops.matmul(h, w3) + b3, yt))

    return unidl_sgd_step(params, loss, LR)


def torch_step(torch, params, x, y):
    xt, yt = torch.tensor(x), torch.tensor(y)
    F = torch.nn.functional

    def loss(c1, cb1, c2, cb2, w1, b1, w2, b2, w3, b3):
        h = F.max_pool2d(F.relu(F.conv2d(xt, c1, cb1, padding=2)), 2)
        h = F.max_pool2d(F.relu(F.conv2d(h, c2, cb2)), 2)
        h = h.reshape(h.shape[0], -1)
        h = F.relu(h @ w1 + b1)
        h = F.relu(h @ w2 + b2)
        return F.cross_entropy(h @ w3 + b3, yt)

    return torch_sgd_step(torch, params, loss, LR)


def main() -> None:
    rng = np.random.default_rng(1)
    x = rng.standard_normal((BATCH, 1, 28, 28)).astype(np.float32)
    y = rng.integers(0, 10, BATCH)
    contenders = {"unidl": unidl_step(init_params(), x, y)}
    torch = try_import_torch()
    if torch is None:
        med = time_interleaved(contenders, rounds=10, inner=3)
        print_table(f"LeNet-like CNN SGD step, batch {BATCH} (PyTorch not installed)", med, "unidl")
        return
    contenders = {"pytorch eager": torch_step(torch, init_params(), x, y), **contenders}
    med = time_interleaved(contenders, rounds=10, inner=3)
    print_table(f"LeNet-like CNN SGD step, batch {BATCH}", med, "pytorch eager", target=("unidl", 0.7))


if __name__ == "__main__":
    main()
