"""Per-thread state, as in torch and MXNet: autograd's recording/training flags and Keras's call context
belong to the thread that set them; plugin loading is safe from several threads at once; trainings in two
threads give the bits they give one after the other."""
from __future__ import annotations

import subprocess
import sys
import threading

import numpy as np
import pytest

import unidl
import unidl_keras as keras
import unidl_mxnet as mx
from unidl_mxnet import autograd, gluon, nd


def _in_thread(fn):
    out, err = {}, []

    def run():
        try:
            out["v"] = fn()
        except BaseException as e:  # noqa: BLE001 - re-raised in the caller
            err.append(e)

    t = threading.Thread(target=run)
    t.start()
    t.join(60)
    if err:
        raise err[0]
    return out.get("v")


def test_a_thread_that_does_not_record_sees_no_recording_and_no_training():
    x = unidl.tensor(np.ones((4, 256), np.float32))
    with unidl.record():
        assert unidl.autograd.is_recording() and unidl.autograd.is_training()
        flags = _in_thread(lambda: (unidl.autograd.is_recording(), unidl.autograd.is_training()))
        kept = _in_thread(lambda: unidl.ops.dropout(x, 0.5).numpy())   # inference there: no mask
    assert flags == (False, False)
    assert np.array_equal(kept, x.numpy())
    assert not unidl.autograd.is_recording()


def test_plugins_load_safely_from_two_threads_at_first_use():
    code = """
import threading, unidl
barrier = threading.Barrier(2)
errors = []
def use():
    barrier.wait()
    try:
        (unidl.tensor([1.0, 2.0]) + 1.0).numpy()
    except Exception as e:
        errors.append(repr(e))
ts = [threading.Thread(target=use) for _ in range(2)]
[t.start() for t in ts]
[t.join() for t in ts]
print("errors:", errors)
"""
    for _ in range(5):   # fresh processes: the first use is the race
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
        assert out.returncode == 0 and out.stdout.strip() == "errors: []", out.stdout + out.stderr


def _gluon_net(seed):
    mx.random.seed(seed)
    net = gluon.nn.HybridSequential()
    net.add(gluon.nn.Dense(16, activation="relu"), gluon.nn.Dense(3))
    net.initialize(mx.init.Xavier())
    net(nd.zeros((2, 8)))
    return net


def _gluon_train(net, seed):
    rng = np.random.RandomState(seed)
    x, y = nd.array(rng.rand(32, 8)), nd.array(rng.randint(0, 3, 32))
    trainer = gluon.Trainer(net.collect_params(), "sgd", {"learning_rate": 0.1, "momentum": 0.9})
    loss_fn = gluon.loss.SoftmaxCrossEntropyLoss()
    for _ in range(20):
        with autograd.record():
            loss = loss_fn(net(x), y)
        loss.backward()
        trainer.step(32)
    return [p.data().asnumpy() for p in net.collect_params().values()]


def _keras_model(seed):
    keras.utils.set_random_seed(seed)
    m = keras.Sequential([keras.Input((8,)), keras.layers.Dense(16, activation="relu"), keras.layers.Dense(3)])
    m.compile(optimizer=keras.optimizers.SGD(0.1, momentum=0.9),
              loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return m


def _keras_train(m, seed):
    rng = np.random.RandomState(seed)
    m.fit(rng.rand(64, 8).astype("float32"), rng.randint(0, 3, 64), batch_size=8, epochs=10, shuffle=False,
          verbose=0)
    return m.get_weights()


def _in_parallel(jobs):
    results, errors = [None] * len(jobs), []
    barrier = threading.Barrier(len(jobs))

    def run(i, fn):
        try:
            barrier.wait()
            results[i] = fn()
        except BaseException as e:  # noqa: BLE001 - re-raised below
            errors.append(e)

    ts = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(jobs)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(300)
    if errors:
        raise errors[0]
    return results


def _same(a, b):
    return len(a) == len(b) and all(x.tobytes() == y.tobytes() for x, y in zip(a, b))


@pytest.mark.parametrize("face", ["gluon", "keras"])
def test_two_trainings_in_two_threads_equal_the_same_trainings_in_turn(face):
    build, train = (_gluon_net, _gluon_train) if face == "gluon" else (_keras_model, _keras_train)
    alone = [train(build(s), s) for s in (1, 2)]
    models = [build(s) for s in (1, 2)]
    together = _in_parallel([lambda m=m, s=s: train(m, s) for m, s in zip(models, (1, 2))])
    assert _same(alone[0], together[0]) and _same(alone[1], together[1])
    assert not _same(alone[0], alone[1])


def test_predict_in_one_thread_during_fit_in_another_and_fit_after():
    m = _keras_model(3)
    x = np.random.RandomState(4).rand(16, 8).astype("float32")
    ref = m.predict(x, verbose=0)
    stop = threading.Event()
    preds = []

    def predict_loop():
        while not stop.is_set():
            preds.append(m.predict(x, verbose=0).shape)

    t = threading.Thread(target=predict_loop)
    t.start()
    try:
        _keras_train(m, 5)
    finally:
        stop.set()
        t.join(60)
    assert preds and all(s == ref.shape for s in preds)
    _keras_train(m, 6)          # the call depth came back to 0: later fits work
    other = _keras_model(7)
    _keras_train(other, 7)
