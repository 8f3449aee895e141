"""Sequence recognition with a bidirectional LSTM and Gluon's CTCLoss, in the shape of the training loop
of MXNet's LipNet example (example/gluon/lipnet: frames -> BiRNN -> Dense -> CTCLoss, greedy decoding).

Run unmodified with ``unidl run examples/gluon_ctc_sequence_recognition.py`` (plain ``import mxnet as mx``).
Offline note: LipNet reads the GRID video corpus, which needs a download and a video decoder; this version
makes synthetic "frames" in the script: each label symbol lasts 2-3 frames (a noisy one-hot feature
vector), separated by noise-only frames, and the model must read the symbol sequence back (CTC handles
the unknown alignment). Sizes are cut so it runs in a few seconds on a CPU.
"""
import numpy as np

import mxnet as mx
from mxnet import autograd, gluon, nd
from mxnet.gluon import nn, rnn

num_symbols, frames, feat, max_len = 5, 16, 8, 4
blank = num_symbols  # Gluon's CTCLoss uses the last class as the blank
batch_size, epochs = 32, 12
mx.random.seed(7)


def synthetic_sequences(n, seed):
    """(frames float32 (n, frames, feat), labels float32 (n, max_len) padded with -1)."""
    rng = np.random.default_rng(seed)
    x = rng.normal(0, 0.3, (n, frames, feat)).astype("float32")
    y = -np.ones((n, max_len), "float32")
    for i in range(n):
        length = rng.integers(2, max_len + 1)
        seq = rng.integers(0, num_symbols, length)
        t = rng.integers(0, 2)
        for k, s in enumerate(seq):
            span = rng.integers(2, 4)
            x[i, t:t + span, s] += 2.0
            t += span + 1  # a gap frame, so repeated symbols stay separate
        y[i, :length] = seq
    return x, y


def greedy_decode(scores):
    """Best path: argmax per frame, repeats merged, blanks dropped."""
    out = []
    for path in scores.argmax(axis=-1):
        seq = [int(k) for i, k in enumerate(path) if k != blank and (i == 0 or path[i - 1] != k)]
        out.append(seq)
    return out


class Recognizer(gluon.HybridBlock):
    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        with self.name_scope():
            self.encoder = rnn.LSTM(32, bidirectional=True, layout="NTC")
            self.dropout = nn.Dropout(0.1)
            self.decoder = nn.Dense(num_symbols + 1, flatten=False)

    def hybrid_forward(self, F, x):
        return self.decoder(self.dropout(self.encoder(x)))


train_x, train_y = synthetic_sequences(512, 0)
val_x, val_y = synthetic_sequences(128, 1)
train_iter = mx.io.NDArrayIter(train_x, train_y, batch_size, shuffle=True, last_batch_handle="discard")

net = Recognizer()
net.initialize(mx.init.Xavier())
loss_fn = gluon.loss.CTCLoss()
trainer = gluon.Trainer(net.collect_params(), "adam", {"learning_rate": 0.01})

for epoch in range(epochs):
    train_iter.reset()
    total, batches = 0.0, 0
    for batch in train_iter:
        data, label = batch.data[0], batch.label[0]
        with autograd.record():
            loss = loss_fn(net(data), label)
        loss.backward()
        trainer.step(batch_size)
        total += loss.mean().asscalar()
        batches += 1
    print("Epoch %d: CTC loss %.3f" % (epoch, total / batches))

decoded = greedy_decode(net(nd.array(val_x)).asnumpy())
truth = [[int(k) for k in row if k >= 0] for row in val_y]
accuracy = np.mean([d == t for d, t in zip(decoded, truth)])
print("Example: truth %s decoded %s" % (truth[0], decoded[0]))
print("Sequence accuracy: %.4f" % accuracy)
