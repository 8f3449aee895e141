"""``fit`` step time of Keras-style models: unidl_keras vs Keras 3 (torch backend) vs PyTorch eager.

Three models, each trained with SGD through ``model.fit`` over a few batches (time per batch):
  * MLP 784-256-128-10, batch 128;
  * LeNet-like CNN on 28x28x1 (Conv2D 6 5x5 same, MaxPool, Conv2D 16 5x5, MaxPool, Dense 120-84-10), batch 64;
  * LSTM (seq 35, batch 32, 64 -> 128) + Dense 10.
Keras 3 joins when ``import keras`` works with ``KERAS_BACKEND=torch`` (run this file with a Python that has
it, e.g. ``KERAS_BACKEND=torch /path/to/venv/bin/python benchmarks/bench_keras_fit.py``); PyTorch eager
joins when torch is installed (a hand-written loop: forward, cross entropy, backward, SGD). One run,
interleaved rounds, best of each (see common.py).
"""
from __future__ import annotations

import os

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "torch")

from common import print_table, time_interleaved, try_import_torch  # noqa: E402

STEPS = 4  # batches per fit call


def _models(k):
    """Model builders for a Keras-compatible module ``k`` (unidl_keras or keras)."""
    L = k.layers
    return {
        "MLP 784-256-128-10 b128": (lambda: k.Sequential([k.Input((784,)), L.Dense(256, activation="relu"),
                                                          L.Dense(128, activation="relu"), L.Dense(10)]),
                                    (784,), 128),
        "LeNet CNN 28x28x1 b64": (lambda: k.Sequential([
            k.Input((28, 28, 1)), L.Conv2D(6, 5, padding="same", activation="relu"), L.MaxPooling2D(2),
            L.Conv2D(16, 5, activation="relu"), L.MaxPooling2D(2), L.Flatten(), L.Dense(120, activation="relu"),
            L.Dense(84, activation="relu"), L.Dense(10)]), (28, 28, 1), 64),
        "LSTM T35 b32 64->128": (lambda: k.Sequential([k.Input((35, 64)), L.LSTM(128), L.Dense(10)]), (35, 64), 32),
    }


def _fit_step(k, build, shape, batch, x, y):
    model = build()
    model.compile(optimizer=k.optimizers.SGD(0.01),
                  loss=k.losses.SparseCategoricalCrossentropy(from_logits=True))

    def step():
        model.fit(x, y, batch_size=batch, epochs=1, verbose=0, shuffle=False)

    return step


def _torch_step(torch, name, x, y):
    nn = torch.nn
    if name.startswith("MLP"):
        net = nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))
        xt = torch.tensor(x)
    elif name.startswith("LeNet"):
        net = nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(),
                            nn.MaxPool2d(2), nn.Flatten(), nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84),
                            nn.ReLU(), nn.Linear(84, 10))
        xt = torch.tensor(x.transpose(0, 3, 1, 2).copy())
    else:
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.lstm = nn.LSTM(64, 128, batch_first=True)
                self.out = nn.Linear(128, 10)

            def forward(self, v):
                return self.out(self.lstm(v)[0][:, -1])

        net = Net()
        xt = torch.tensor(x)
    yt = torch.tensor(y)
    opt = torch.optim.SGD(net.parameters(), lr=0.01)
    lossf = nn.CrossEntropyLoss()
    batch = {"M": 128, "L": 64}.get(name[0], 32) if not name.startswith("LSTM") else 32

    def step():
        for i in range(STEPS):
            opt.zero_grad()
            loss = lossf(net(xt[i * batch:(i + 1) * batch]), yt[i * batch:(i + 1) * batch])
            loss.backward()
            opt.step()

    return step


def main() -> None:
    import unidl_keras

    try:
        import keras as real_keras  # noqa: F401
        if real_keras.backend.backend() != "torch":
            real_keras = None
    except Exception:  # noqa: BLE001 - not installed: leave it out
        real_keras = None
    torch = try_import_torch()
    rng = np.random.default_rng(0)
    for name, (build, shape, batch) in _models(unidl_keras).items():
        x = rng.standard_normal((STEPS * batch,) + shape).astype(np.float32)
        y = rng.integers(0, 10, STEPS * batch)
        contenders = {"unidl_keras fit": _fit_step(unidl_keras, build, shape, batch, x, y)}
        if real_keras is not None:
            kb = _models(real_keras)[name][0]
            contenders["keras 3 (torch) fit"] = _fit_step(real_keras, kb, shape, batch, x, y)
        if torch is not None:
            contenders["pytorch eager loop"] = _torch_step(torch, name, x, y)
        t = time_interleaved(contenders, rounds=8, inner=1, warmup=2)
        ref = "pytorch eager loop" if torch is not None else "unidl_keras fit"
        print_table(f"{name}: time per fit call of {STEPS} batches (per batch = /{STEPS})", t, ref)


if __name__ == "__main__":
    main()
