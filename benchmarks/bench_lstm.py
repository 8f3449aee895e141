"""LSTM train step: T=35, batch 32, 64 -> 128, forward + backward through the whole sequence + SGD.

Target (issue: nn functional): unidl's ``nn.functional.lstm`` (fused recurrence: one kernel call for the
forward of all steps, one for the backward) no slower than PyTorch eager ``torch.nn.LSTM`` at the same
thread count. The loss is ``mean(out**2)`` over the whole output sequence, so every step's gradient flows.
The op-by-op path (``fused=False``) is timed beside it to show what the fused op buys. Run e.g.
``OMP_NUM_THREADS=2 python benchmarks/bench_lstm.py``; torch is set to the same number of threads.

``--w3`` times issue 15's W3 instead: the whole training step (LSTM T35 b32 64->128, last step -> Dense(10),
SGD momentum 0.9, softmax cross-entropy) in the Gluon face (``gluon.rnn.LSTM`` TNC + ``Trainer``) and the
Keras face (``Sequential`` + ``train_on_batch``) against PyTorch eager (``nn.LSTM`` + ``optim.SGD``), and
prints median ratios against the goal (<= 1.0x PyTorch). ``--w3 --profile trace.json`` writes a Chrome trace
of ten steps per face (unidl.profiler; open in https://ui.perfetto.dev) and prints the per-op summary.
Where the time goes (1 thread, best steps, this machine): the two LSTM kernels ~70% (35 recurrent GEMMs each
way plus ~10 elementwise calls a step, the recurrent weight gradient as one GEMM), the other kernels (the input
projection and its weight gradient, one GEMM each; Dense, loss, updates) ~19%, face and autograd Python ~11%. PyTorch 2.13 on CPU runs
``nn.LSTM`` as one oneDNN primitive (``mkldnn_rnn_layer``) with the gate math fused per step. Timed alone
(1 thread, best of 150 interleaved): the LSTM backward incl. the input weight gradient is at parity with
oneDNN's (5.44 vs 5.36 ms); the forward incl. the input projection is not (4.00 vs 2.99 ms: 35 GEMMs of
(32,128)@(128,512) at ~54 us, where the (512,128)@(128,32) orientation takes ~46 us, plus ~34 us of
elementwise calls a step); the rest of the gap is face + autograd + optimizer Python (~1.5 ms a step here).
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


# -- W3 (issue 15): the whole training step of LSTM T35 b32 64->128, last step -> Dense(10), SGD momentum 0.9,
# softmax cross-entropy, float32, in both unidl faces against PyTorch eager (same data, one interleaved run).
W3_LR, W3_MOMENTUM, W3_CLASSES = 0.01, 0.9, 10


def w3_data(seed: int = 1):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((T, BATCH, IN)).astype(np.float32),      # TNC (Gluon, torch); Keras gets NTC
            rng.integers(0, W3_CLASSES, BATCH).astype(np.int64))


def w3_gluon_step(x, y):
    """unidl_mxnet: ``gluon.rnn.LSTM(128, layout="TNC")``, ``Dense(10)`` on the last step, ``Trainer`` sgd momentum."""
    import unidl_mxnet as mx
    from unidl_mxnet import autograd, gluon

    class Net(gluon.Block):
        def __init__(self, **kw):
            super().__init__(**kw)
            with self.name_scope():
                self.lstm = gluon.rnn.LSTM(HID, input_size=IN, layout="TNC")
                self.head = gluon.nn.Dense(W3_CLASSES, in_units=HID)

        def forward(self, v):
            return self.head(self.lstm(v)[-1])

    mx.random.seed(0)
    net = Net()
    net.initialize(mx.init.Xavier())
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": W3_LR, "momentum": W3_MOMENTUM})
    xd, yd = mx.nd.array(x), mx.nd.array(y.astype(np.float32))

    def step():
        with autograd.record():
            loss = loss_fn(net(xd), yd)
        loss.backward()
        trainer.step(BATCH)

    return step


def w3_keras_step(x, y):
    """unidl_keras: ``Sequential([Input((35, 64)), LSTM(128), Dense(10)])``, ``train_on_batch`` (SGD momentum)."""
    import unidl_keras as keras

    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((T, IN)), keras.layers.LSTM(HID), keras.layers.Dense(W3_CLASSES)])
    model.compile(optimizer=keras.optimizers.SGD(W3_LR, momentum=W3_MOMENTUM),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    xb, yb = np.ascontiguousarray(x.transpose(1, 0, 2)), y

    def step():
        model.train_on_batch(xb, yb)

    return step


def w3_torch_step(torch, x, y):
    nn = torch.nn

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = nn.LSTM(IN, HID)  # time-major, as TNC
            self.head = nn.Linear(HID, W3_CLASSES)

        def forward(self, v):
            return self.head(self.lstm(v)[0][-1])

    torch.manual_seed(0)
    net = Net()
    opt = torch.optim.SGD(net.parameters(), lr=W3_LR, momentum=W3_MOMENTUM)
    xt, yt = torch.tensor(x), torch.tensor(y)
    ce = torch.nn.functional.cross_entropy

    def step():
        opt.zero_grad()
        loss = ce(net(xt), yt)
        loss.backward()
        opt.step()

    return step


def w3_main(rounds: int = 15, inner: int = 3) -> dict:
    """Time W3 in both faces and PyTorch eager, interleaved; print the table and the ratios to the goal."""
    x, y = w3_data()
    contenders = {"unidl gluon (W3)": w3_gluon_step(x, y), "unidl keras train_on_batch (W3)": w3_keras_step(x, y)}
    torch = try_import_torch()
    ref = "unidl gluon (W3)"
    if torch is not None:
        torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", os.cpu_count() or 1)))
        contenders["pytorch eager (W3)"] = w3_torch_step(torch, x, y)
        ref = "pytorch eager (W3)"
    timings = time_interleaved(contenders, rounds=rounds, inner=inner)
    print_table(f"W3: LSTM T={T} b{BATCH} {IN}->{HID}, last step -> Dense({W3_CLASSES}), SGD momentum "
                f"{W3_MOMENTUM}, softmax CE; one training step", timings, ref)
    if torch is not None:
        tref = timings[ref][1]
        for name in list(contenders)[:2]:
            r = timings[name][1] / tref
            print(f"  -> {name}: median {r:.2f}x PyTorch eager ({'meets' if r <= 1.0 else 'MISSES'} the goal of 1.00x)")
    return timings


def w3_profile(path: str, steps: int = 10) -> None:
    """Write a Chrome trace (unidl.profiler) of ``steps`` W3 training steps in each face to ``path`` (the
    face's name is added before the extension) and print the per-op summary: where a step's time goes."""
    import unidl.profiler as prof

    x, y = w3_data()
    root, ext = os.path.splitext(path)
    for face, make in (("gluon", w3_gluon_step), ("keras", w3_keras_step)):
        step = make(x, y)
        for _ in range(3):
            step()
        prof.reset()
        with prof.profile(f"{root}-{face}{ext}"):
            for i in range(steps):
                with prof.scope(f"step {i}"):
                    step()
        print(f"\n{face}: {steps} W3 steps -> {root}-{face}{ext}\n{prof.summary()}")


def main() -> None:
    import sys

    if "--w3" in sys.argv:
        if "--profile" in sys.argv:
            w3_profile(sys.argv[sys.argv.index("--profile") + 1])
        else:
            w3_main()
        return
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
