"""A small Gluon job trained data-parallel (``unidl launch -n 2 gluon_train.py MODE OPT OUT``) or as its
single-process twin (``python gluon_train.py ref OPT OUT``): the twin runs both ranks' micro-batches in one
process and accumulates their gradients in rank order (``grad_req='add'``), then takes the same step.

MODE: ``dist_sync`` (update on the kvstore), ``dist_sync_noukv`` (update on the workers), ``horovod``
(``horovod.mxnet.DistributedTrainer``), ``ref2`` (the twin of ``horovod``: one process, the Trainer sees the
batch of both ranks) or ``ref``. Writes the final parameters (and, for the dist modes, rank 1's too) to OUT.
"""
import sys

import numpy as np

import mxnet as mx
from mxnet import autograd, gluon

mode, opt_name, out = sys.argv[1], sys.argv[2], sys.argv[3]
RANKS, PER_RANK, STEPS = 2, 8, 4
OPTS = {"sgd": ("sgd", {"learning_rate": 0.1, "momentum": 0.9, "wd": 1e-4}),
        "adam": ("adam", {"learning_rate": 0.01})}

if mode == "horovod":
    import horovod.mxnet as hvd

    hvd.init()
    rank, size = hvd.rank(), hvd.size()
elif mode.startswith("dist"):
    kv = mx.kv.create("dist_sync")
    rank, size = kv.rank, kv.num_workers
else:
    rank, size = 0, 1

rng = np.random.default_rng(7)
X = rng.standard_normal((STEPS, RANKS * PER_RANK, 6)).astype(np.float32)
Y = rng.integers(0, 3, (STEPS, RANKS * PER_RANK)).astype(np.float32)

# Horovod ranks start from different weights (broadcast_parameters syncs them before training); a dist_sync
# store takes rank 0's weights at the first step, after that step's gradients, so as in MXNet every rank seeds
# the same
mx.random.seed(100 + (rank if mode == "horovod" else 0))
net = gluon.nn.HybridSequential()
net.add(gluon.nn.Dense(16, activation="relu", in_units=6), gluon.nn.Dense(3, in_units=16))
net.initialize(mx.init.Xavier())
loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
name, kwargs = OPTS[opt_name]
params = net.collect_params()

if mode == "horovod":
    hvd.broadcast_parameters(params, root_rank=0)
    trainer = hvd.DistributedTrainer(params, name, dict(kwargs))
elif mode.startswith("dist"):
    trainer = gluon.Trainer(params, name, dict(kwargs), kvstore=kv,
                            update_on_kvstore=False if mode.endswith("noukv") else None)
else:
    trainer = gluon.Trainer(params, name, dict(kwargs))
    for p in params.values():
        p.grad_req = "add"

for step in range(STEPS):
    if mode.startswith("ref"):
        for p in params.values():
            p.zero_grad()
        for r in range(RANKS):      # the ranks' micro-batches, accumulated in rank order
            sl = slice(r * PER_RANK, (r + 1) * PER_RANK)
            with autograd.record():
                loss = loss_fn(net(mx.nd.array(X[step, sl])), mx.nd.array(Y[step, sl]))
            loss.backward()
        trainer.step(PER_RANK * (RANKS if mode == "ref2" else 1))
    else:
        sl = slice(rank * PER_RANK, (rank + 1) * PER_RANK)
        with autograd.record():
            loss = loss_fn(net(mx.nd.array(X[step, sl])), mx.nd.array(Y[step, sl]))
        loss.backward()
        trainer.step(PER_RANK)

arrays = {k: v.data().asnumpy() for k, v in sorted(params.items())}
np.savez(out if rank == 0 else out + f".rank{rank}.npz", **arrays)
from unidl.grad_buckets import stats  # noqa: E402

print(f"rank {rank} overlap rounds {stats['rounds']} fallbacks {stats['fallbacks']}")
print(f"rank {rank} of {size} done")
