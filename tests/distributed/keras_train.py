"""A small Keras job trained data-parallel (``unidl launch -n 2 keras_train.py MODE OPT OUT``) or as its
single-process twin (``unidl run keras_train.py ref OPT OUT``): the twin runs both ranks' micro-batches in one
process, adds their gradients in rank order, divides by the number of ranks and applies the optimizer.

MODE: ``dataparallel`` (keras.distribution.DataParallel), ``mirrored`` (tf.distribute.MirroredStrategy scope),
``multi_gpu`` (keras.utils.multi_gpu_model), ``horovod`` (horovod.keras: each rank reads its own shard, a
DistributedOptimizer and BroadcastGlobalVariablesCallback) or ``ref``. Writes the final weights (and, for the
parallel modes, rank 1's too) to OUT, and prints each rank's last epoch logs.
"""
import sys

import numpy as np

import keras

mode, opt_name, out = sys.argv[1], sys.argv[2], sys.argv[3]
RANKS, PER_RANK, STEPS = 2, 8, 4
OPTS = {"sgd": lambda: keras.optimizers.SGD(0.1, momentum=0.9), "adam": lambda: keras.optimizers.Adam(0.01)}

rng = np.random.default_rng(7)
X = rng.standard_normal((STEPS, RANKS * PER_RANK, 6)).astype(np.float32)
Y = rng.integers(0, 3, (STEPS, RANKS * PER_RANK)).astype(np.int32)
rank, size = 0, 1


def build():
    return keras.Sequential([keras.Input((6,)), keras.layers.Dense(16, activation="relu"), keras.layers.Dense(3)])


def compile_(model, optimizer):
    model.compile(optimizer, keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])


keras.utils.set_random_seed(100)
callbacks = []
if mode == "horovod":
    import horovod.keras as hvd

    hvd.init()
    rank, size = hvd.rank(), hvd.size()
    keras.utils.set_random_seed(100 + rank)        # different weights: the broadcast callback syncs them
    model = build()
    compile_(model, hvd.DistributedOptimizer(OPTS[opt_name]()))
    callbacks = [hvd.callbacks.BroadcastGlobalVariablesCallback(0), hvd.callbacks.MetricAverageCallback()]
    x = X[:, rank * PER_RANK:(rank + 1) * PER_RANK].reshape(-1, 6)    # this rank's shard of every step
    y = Y[:, rank * PER_RANK:(rank + 1) * PER_RANK].reshape(-1)
    batch = PER_RANK
elif mode == "mirrored":
    import tensorflow as tf

    strategy = tf.distribute.MirroredStrategy()
    rank, size = keras.distribution.DataParallel().process_id, strategy.num_replicas_in_sync
    with strategy.scope():
        model = build()
        compile_(model, OPTS[opt_name]())
    x, y, batch = X.reshape(-1, 6), Y.reshape(-1), RANKS * PER_RANK
else:
    if mode == "dataparallel":
        dp = keras.distribution.DataParallel(devices=keras.distribution.list_devices())
        keras.distribution.set_distribution(dp)
        rank, size = dp.process_id, dp.num_processes
    model = build()
    if mode == "multi_gpu":
        model = keras.utils.multi_gpu_model(model, gpus=2)
        rank, size = keras.distribution.DataParallel().process_id, keras.distribution.get_device_count()
    compile_(model, OPTS[opt_name]())
    x, y, batch = X.reshape(-1, 6), Y.reshape(-1), RANKS * PER_RANK

if mode == "ref":
    import unidl

    model.optimizer.build(model.trainable_variables)
    tv = model.trainable_variables
    for step in range(STEPS):
        total = None
        for r in range(RANKS):                        # the ranks' micro-batches, added in rank order
            sl = slice(r * PER_RANK, (r + 1) * PER_RANK)
            with unidl.autograd.record():
                loss = model.compute_loss(x=X[step, sl], y=Y[step, sl], y_pred=model(X[step, sl], training=True))
            loss.backward()
            g = [v.grad.numpy().copy() for v in tv]
            for v in tv:
                v.grad = None
            total = g if total is None else [a + b for a, b in zip(total, g)]
        grads = [unidl.tensor(a / a.dtype.type(RANKS)) for a in total]
        model.optimizer.apply(grads, tv)
else:
    h = model.fit(x, y, batch_size=batch, epochs=1, shuffle=False, verbose=0, callbacks=callbacks)
    last = {k: v[-1] for k, v in h.history.items()}
    print(f"rank {rank} logs " + " ".join(f"{k}={v:.6f}" for k, v in sorted(last.items())))

arrays = {f"w{i}": v.numpy() for i, v in enumerate(model.weights)}
np.savez(out if rank == 0 else out + f".rank{rank}.npz", **arrays)
from unidl.grad_buckets import stats  # noqa: E402

print(f"rank {rank} overlap rounds {stats['rounds']} fallbacks {stats['fallbacks']}")
print(f"rank {rank} of {size} done")
