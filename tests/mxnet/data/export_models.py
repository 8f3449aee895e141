"""The export / SymbolBlock fixture models, built with the ``mx`` module passed in: real MXNet 1.9.1 in
export_make_fixtures.py, unidl_mxnet in tests/mxnet/gluon/test_export.py (so this module imports neither)."""


def cnn(mx):
    """Conv2D, BatchNorm, pools, Conv2DTranspose, Dense... and its input: (net, [x (2, 2, 8, 8)])."""
    nn = mx.gluon.nn
    net = nn.HybridSequential(prefix="hybridsequential0_")
    with net.name_scope():
        net.add(nn.Conv2D(4, 3, padding=1), nn.BatchNorm(), nn.Activation("relu"), nn.MaxPool2D(),
                nn.Conv2D(6, 3, strides=2, use_bias=False, activation="relu"), nn.AvgPool2D(2, 1, 1, ceil_mode=True),
                nn.Conv2DTranspose(3, 2, strides=2, in_channels=6), nn.BatchNorm(scale=False),
                nn.GlobalAvgPool2D(), nn.Flatten(), nn.Dense(5, activation="tanh"), nn.Dropout(0.5),
                nn.LeakyReLU(0.1), nn.Dense(3))
    return net, [mx.nd.random.normal(shape=(2, 2, 8, 8))]


def mlp(mx):
    """An MLP with hand-written ``hybrid_forward`` arithmetic, two inputs and two outputs: (net, [x, y])."""
    nn = mx.gluon.nn

    class MLP(mx.gluon.HybridBlock):
        def __init__(self, **kw):
            super().__init__(**kw)
            with self.name_scope():
                self.d1 = nn.Dense(6, flatten=False)
                self.ln = nn.LayerNorm()
                self.d2 = nn.Dense(4, activation="sigmoid")
                self.d3 = nn.Dense(3)

        def hybrid_forward(self, F, x, y):
            h = self.ln(self.d1(x))
            h = F.relu(h) + 1.5 * h - y
            h = h / 2 + F.sigmoid(h) * F.tanh(h)
            h = F.concat(h, F.clip(h, -1, 1), dim=2)
            h = F.transpose(h, axes=(0, 2, 1))
            h = F.reshape(h, shape=(0, -1))
            h = F.broadcast_add(h, F.mean(y, axis=(1, 2)).reshape((-1, 1)))
            o = self.d3(self.d2(h))
            return F.softmax(o), 2 - o

    return MLP(prefix="mlp0_"), [mx.nd.random.normal(shape=(2, 3, 5)), mx.nd.random.normal(shape=(2, 3, 6))]


MODELS = {"cnn": cnn, "mlp": mlp}
