"""Train steps on the GPU: unidl's ``cuda`` device vs PyTorch CUDA, in one run.

Models: MLP 784-256-128-10 (batch 256), LeNet-like CNN on 28x28x1 (batch 256), LSTM T=35, in 64,
hidden 128 (batch 256). Each step is forward, loss, backward and an SGD update (unidl: the fused
``sgd_update`` kernel), timed with a device synchronisation after every step. Without CuPy and a
GPU (or without CUDA PyTorch) it says so and exits 0. Run: ``python benchmarks/bench_gpu.py``.
"""
from __future__ import annotations

import sys

import numpy as np

import unidl
from unidl import ops
from unidl.nn import functional as F
from common import print_table, time_interleaved, try_import_torch

BATCH, LR = 256, 0.01


def _u(rng, shape, fan_in):
    lim = np.sqrt(1 / fan_in)
    return rng.uniform(-lim, lim, shape).astype(np.float32)


def mlp_params(rng):
    return [_u(rng, (784, 256), 784), np.zeros(256, np.float32), _u(rng, (256, 128), 256), np.zeros(128, np.float32),
            _u(rng, (128, 10), 128), np.zeros(10, np.float32)]


def cnn_params(rng):
    return [_u(rng, (6, 1, 5, 5), 25), np.zeros(6, np.float32), _u(rng, (16, 6, 5, 5), 150), np.zeros(16, np.float32),
            _u(rng, (400, 120), 400), np.zeros(120, np.float32), _u(rng, (120, 84), 120), np.zeros(84, np.float32),
            _u(rng, (84, 10), 84), np.zeros(10, np.float32)]


def lstm_params(rng):
    return [_u(rng, (64, 512), 128), _u(rng, (128, 512), 128), _u(rng, (512,), 128)]


def mlp_unidl(x, y, W1, b1, W2, b2, W3, b3):
    h = ops.relu(ops.matmul(x, W1) + b1)
    h = ops.relu(ops.matmul(h, W2) + b2)
    return ops.mean(ops.softmax_cross_entropy(ops.matmul(h, W3) + b3, y))


def cnn_unidl(x, y, c1, cb1, c2, cb2, w1, b1, w2, b2, w3, b3):
    h = ops.max_pool2d(ops.relu(ops.conv2d(x, c1, cb1, padding=2)), 2)
    h = ops.max_pool2d(ops.relu(ops.conv2d(h, c2, cb2)), 2)
    h = ops.reshape(h, (h.shape[0], -1))
    h = ops.relu(ops.matmul(h, w1) + b1)
    h = ops.relu(ops.matmul(h, w2) + b2)
    return ops.mean(ops.softmax_cross_entropy(ops.matmul(h, w3) + b3, y))


def lstm_unidl(x, y, w_ih, w_hh, b):
    out, _, _ = F.lstm(x, None, None, w_ih, w_hh, b, time_major=True)
    return ops.mean(ops.square(out))


def unidl_step(loss_fn, params, x, y):
    dev = unidl.device("cuda")
    ps = [unidl.tensor(p, device=dev, requires_grad=True) for p in params]
    xt = unidl.tensor(x, device=dev)
    yt = None if y is None else unidl.tensor(y, device=dev)

    def step():
        with unidl.record():
            loss = loss_fn(xt, yt, *ps)
        loss.backward()
        for p in ps:
            ops.sgd_update(p, p.grad, lr=LR)
        dev.synchronize()

    return step


def torch_models(torch):
    Fn = torch.nn.functional

    def mlp(x, y, W1, b1, W2, b2, W3, b3):
        h = Fn.relu(x @ W1 + b1)
        h = Fn.relu(h @ W2 + b2)
        return Fn.cross_entropy(h @ W3 + b3, y)

    def cnn(x, y, c1, cb1, c2, cb2, w1, b1, w2, b2, w3, b3):
        h = Fn.max_pool2d(Fn.relu(Fn.conv2d(x, c1, cb1, padding=2)), 2)
        h = Fn.max_pool2d(Fn.relu(Fn.conv2d(h, c2, cb2)), 2).flatten(1)
        h = Fn.relu(h @ w1 + b1)
        h = Fn.relu(h @ w2 + b2)
        return Fn.cross_entropy(h @ w3 + b3, y)

    return mlp, cnn


def torch_step(torch, loss_fn, params, x, y):
    dev = torch.device("cuda")
    ps = [torch.tensor(p, device=dev, requires_grad=True) for p in params]
    xt = torch.tensor(x, device=dev)
    yt = None if y is None else torch.tensor(y, device=dev)

    def step():
        loss = loss_fn(xt, yt, *ps)
        for p in ps:
            p.grad = None
        loss.backward()
        with torch.no_grad():
            for p in ps:
                p -= LR * p.grad
        torch.cuda.synchronize()

    return step


def torch_lstm_step(torch, params, x):
    w_ih, w_hh, b = params
    m = torch.nn.LSTM(64, 128, batch_first=False).cuda()
    with torch.no_grad():
        m.weight_ih_l0.copy_(torch.tensor(w_ih.T))
        m.weight_hh_l0.copy_(torch.tensor(w_hh.T))
        m.bias_ih_l0.copy_(torch.tensor(b))
        m.bias_hh_l0.zero_()
    xt = torch.tensor(x, device="cuda")

    def step():
        out, _ = m(xt)
        loss = (out * out).mean()
        m.zero_grad(set_to_none=True)
        loss.backward()
        with torch.no_grad():
            for p in m.parameters():
                p -= LR * p.grad
        torch.cuda.synchronize()

    return step


def main() -> int:
    from unidl.devices import DEVICES

    unidl.device("cpu")  # load plugins
    kind = DEVICES.types.get("cuda")
    if kind is None or not kind.is_available():
        why = kind.unavailable_reason if kind is not None else "the unidl_cuda plugin is not registered"
        print(f"bench_gpu: skipped, no unidl cuda device ({why})")
        return 0
    torch = try_import_torch()
    has_torch = torch is not None and torch.cuda.is_available()
    if not has_torch:
        print("bench_gpu: PyTorch with CUDA is not installed; timing unidl only")
    rng = np.random.default_rng(0)
    mlp_x, mlp_y = rng.normal(size=(BATCH, 784)).astype(np.float32), rng.integers(0, 10, BATCH)
    cnn_x, cnn_y = rng.normal(size=(BATCH, 1, 28, 28)).astype(np.float32), rng.integers(0, 10, BATCH)
    lstm_x = rng.normal(size=(35, BATCH, 64)).astype(np.float32)  # (T, N, C)
    cases = [("MLP 784-256-128-10", mlp_unidl, mlp_params(rng), mlp_x, mlp_y, 0),
             ("CNN LeNet 28x28", cnn_unidl, cnn_params(rng), cnn_x, cnn_y, 1),
             ("LSTM T=35 64->128", lstm_unidl, lstm_params(rng), lstm_x, None, 2)]
    tmodels = torch_models(torch) if has_torch else None
    for title, fn, params, x, y, k in cases:
        contenders = {"unidl cuda": unidl_step(fn, params, x, y)}
        if has_torch:
            contenders["torch cuda"] = (torch_lstm_step(torch, params, x) if k == 2
                                        else torch_step(torch, tmodels[k], params, x, y))
        t = time_interleaved(contenders, rounds=10, inner=5, warmup=3)
        print_table(f"{title}, batch {BATCH}, one SGD train step on {kind.name}", t,
                    reference="torch cuda" if has_torch else "unidl cuda")
    return 0


if __name__ == "__main__":
    sys.exit(main())
