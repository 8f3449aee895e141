"""One small classifier trained data-parallel on 2 ranks from the Keras face or from the Gluon face
(``unidl launch -n 2 twin_train.py keras|gluon OPT OUT``), from the same weights and data: Keras through
``keras.distribution.DataParallel`` (fit's batch is the global batch, gradients averaged), Gluon through a
``dist_sync`` kvstore (gradients summed, ``trainer.step(global batch)``). Writes rank 0's final weights in
Keras's layout (kernels (in, out)) to OUT."""
import sys

import numpy as np

face, opt_name, out = sys.argv[1], sys.argv[2], sys.argv[3]
RANKS, PER_RANK, STEPS = 2, 8, 4
GLOBAL = RANKS * PER_RANK
rng = np.random.default_rng(7)
X = rng.standard_normal((STEPS, GLOBAL, 6)).astype(np.float32)
Y = rng.integers(0, 3, (STEPS, GLOBAL)).astype(np.int32)
w = np.random.default_rng(3)
W1, B1 = (w.standard_normal((6, 16)) * 0.4).astype(np.float32), (w.standard_normal(16) * 0.1).astype(np.float32)
W2, B2 = (w.standard_normal((16, 3)) * 0.4).astype(np.float32), (w.standard_normal(3) * 0.1).astype(np.float32)

if face == "keras":
    import keras

    keras.distribution.set_distribution(keras.distribution.DataParallel())
    model = keras.Sequential([keras.Input((6,)), keras.layers.Dense(16, activation="relu"), keras.layers.Dense(3)])
    model.set_weights([W1, B1, W2, B2])
    opt = keras.optimizers.SGD(0.1, momentum=0.9) if opt_name == "sgd" else keras.optimizers.Adam(0.01, epsilon=1e-7)
    model.compile(opt, keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    model.fit(X.reshape(-1, 6), Y.reshape(-1), batch_size=GLOBAL, shuffle=False, epochs=1, verbose=0)
    rank = keras.distribution.DataParallel().process_id
    weights = [v.numpy() for v in model.weights]
else:
    import mxnet as mx
    from mxnet import autograd, gluon

    kv = mx.kv.create("dist_sync")
    rank = kv.rank
    net = gluon.nn.HybridSequential()
    net.add(gluon.nn.Dense(16, activation="relu", in_units=6), gluon.nn.Dense(3, in_units=16))
    net.initialize()
    d0, d1 = net[0], net[1]
    for p, v in ((d0.weight, W1.T), (d0.bias, B1), (d1.weight, W2.T), (d1.bias, B2)):
        p.set_data(mx.nd.array(np.ascontiguousarray(v)))
    args = {"learning_rate": 0.1, "momentum": 0.9} if opt_name == "sgd" else {"learning_rate": 0.01, "epsilon": 1e-7}
    trainer = gluon.Trainer(net.collect_params(), "sgd" if opt_name == "sgd" else "adam", args, kvstore=kv)
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    sl = slice(rank * PER_RANK, (rank + 1) * PER_RANK)
    for step in range(STEPS):
        with autograd.record():
            loss = loss_fn(net(mx.nd.array(X[step, sl])), mx.nd.array(Y[step, sl].astype(np.float32)))
        loss.backward()
        trainer.step(GLOBAL)
    weights = [d0.weight.data().asnumpy().T, d0.bias.data().asnumpy(), d1.weight.data().asnumpy().T,
               d1.bias.data().asnumpy()]

if rank == 0:
    np.savez(out, **{f"w{i}": np.ascontiguousarray(a) for i, a in enumerate(weights)})
print(f"{face} rank {rank} done")
