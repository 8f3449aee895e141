"""The models whose ``Block.summary`` text layers_make_fixtures.py records with real MXNet 1.9.1 and
tests/mxnet/gluon/test_summary.py compares, built with the ``mx`` module passed in (this module imports
neither framework). ``models(mx)``: name -> make() returning (net, inputs), in the fixture script's order."""


def models(mx):
    nn, rnn, cnn, nd = mx.gluon.nn, mx.gluon.rnn, mx.gluon.contrib.nn, mx.nd

    def mlp():
        net = nn.HybridSequential()
        with net.name_scope():
            net.add(nn.Dense(32, activation="relu"), nn.Dropout(0.5), nn.Dense(10))
        return net, (nd.ones((2, 20)),)

    def cnn_model():
        net = nn.HybridSequential()
        with net.name_scope():
            net.add(nn.Conv2D(8, 3, padding=1, activation="relu"), nn.BatchNorm(), nn.MaxPool2D(),
                    nn.Conv2DTranspose(4, 2, strides=2), nn.PReLU(), nn.GlobalAvgPool2D(), nn.Flatten(),
                    nn.Dense(10))
        return net, (nd.ones((1, 3, 16, 16)),)

    class Shared(mx.gluon.Block):
        """A custom block: a shared Dense used twice, a concurrent branch and an LSTM returning states."""

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            with self.name_scope():
                self.dense = nn.Dense(6, in_units=6)
                self.branch = cnn.HybridConcurrent(axis=1)
                self.branch.add(nn.Dense(3), cnn.Identity())
                self.lstm = rnn.LSTM(5, layout="NTC")

        def forward(self, x):
            y = self.dense(self.dense(x))
            y = self.branch(y)
            out, states = self.lstm(y.expand_dims(1), self.lstm.begin_state(batch_size=x.shape[0]))
            return out, states

    return {"mlp": mlp, "cnn": cnn_model, "shared": lambda: (Shared(), (nd.ones((2, 6)),))}
