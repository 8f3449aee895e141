"""gluon.contrib.estimator: fit is the hand-written Gluon loop, handlers fire as in MXNet 1.9.1."""
import os

import numpy as np
import pytest

import unidl_mxnet as mx
from unidl_mxnet import autograd, gluon
from unidl_mxnet.gluon import nn
from unidl_mxnet.gluon.contrib.estimator import (BatchEnd, CheckpointHandler, EarlyStoppingHandler, EpochEnd,
                                                 Estimator, GradientUpdateHandler, LoggingHandler, MetricHandler)


def _data(n=12, batch=4):
    rng = np.random.RandomState(0)
    x = rng.uniform(size=(n, 3)).astype(np.float32)
    y = rng.randint(0, 4, size=(n,)).astype(np.float32)
    return gluon.data.DataLoader(gluon.data.ArrayDataset(mx.nd.array(x), mx.nd.array(y)), batch_size=batch)


def _net():
    net = nn.HybridSequential()
    net.add(nn.Dense(8, activation="relu", in_units=3), nn.Dense(4, in_units=8))
    net.initialize(mx.init.Xavier())
    return net


def _copy_params(src, dst):
    for a, b in zip(src.collect_params().values(), dst.collect_params().values()):
        b.set_data(a.data().copy())


def test_fit_equals_the_hand_written_loop_bitwise():
    mx.random.seed(1)
    net_a, net_b = _net(), _net()
    _copy_params(net_a, net_b)
    loss = gluon.loss.SoftmaxCrossEntropyLoss()
    data = _data()

    trainer_a = gluon.Trainer(net_a.collect_params(), "sgd", {"learning_rate": 0.1, "momentum": 0.9})
    est = Estimator(net_a, loss, trainer=trainer_a, context=mx.cpu())
    est.fit(data, epochs=2)

    trainer_b = gluon.Trainer(net_b.collect_params(), "sgd", {"learning_rate": 0.1, "momentum": 0.9})
    for _ in range(2):
        for x, y in data:
            with autograd.record():
                out = loss(net_b(x), y)
            out.backward()
            trainer_b.step(x.shape[0])

    for a, b in zip(net_a.collect_params().values(), net_b.collect_params().values()):
        assert np.array_equal(a.data().asnumpy(), b.data().asnumpy()), a.name
    names = [m.name for m in est.train_metrics]
    assert names == ["training accuracy", "training softmaxcrossentropyloss"]
    assert [m.name for m in est.val_metrics] == ["validation accuracy", "validation softmaxcrossentropyloss"]


def test_fit_by_batches_stops_after_that_many_steps():
    class Count(BatchEnd):
        n = 0

        def batch_end(self, estimator, *args, **kwargs):
            Count.n += 1

    est = Estimator(_net(), gluon.loss.SoftmaxCrossEntropyLoss(), trainer=None)
    est.fit(_data(), batches=5, event_handlers=[Count()])  # 3 batches per epoch
    assert Count.n == 5


def test_fit_refuses_non_dataloader_input_and_ambiguous_length():
    est = Estimator(_net(), gluon.loss.SoftmaxCrossEntropyLoss(), trainer=None)
    with pytest.raises(ValueError, match="DataLoader"):
        est.fit([mx.nd.ones((4, 3))], epochs=1)
    with pytest.raises(ValueError, match="exactly one of epochs or batches"):
        est.fit(_data(), epochs=1, batches=2)
    with pytest.raises(ValueError, match="gluon.loss.Loss"):
        Estimator(_net(), "mse")
    with pytest.raises(ValueError, match="context"):
        Estimator(_net(), gluon.loss.SoftmaxCrossEntropyLoss(), context="cpu")


def test_default_handlers_run_in_priority_order():
    est = Estimator(_net(), gluon.loss.SoftmaxCrossEntropyLoss(), trainer=None)
    est.max_epoch, est.max_batch = 1, None
    handlers = est._prepare_default_handlers(val_data=None, event_handlers=None)
    assert [type(h).__name__ for h in handlers] == ["GradientUpdateHandler", "MetricHandler", "StoppingHandler",
                                                    "LoggingHandler"]


def test_handler_with_a_foreign_metric_is_refused():
    est = Estimator(_net(), gluon.loss.SoftmaxCrossEntropyLoss(), trainer=None)
    with pytest.raises(ValueError, match="outside of the known training and validation metrics"):
        est.fit(_data(), epochs=1, event_handlers=[LoggingHandler(metrics=[mx.metric.RMSE()])])


def test_early_stopping_stops_when_the_monitor_stops_improving():
    est = Estimator(_net(), gluon.loss.SoftmaxCrossEntropyLoss(), trainer=None)
    monitor = est.train_metrics[0]  # accuracy, at most 1: never above the baseline
    stop = EarlyStoppingHandler(monitor=monitor, patience=2, mode="max", baseline=2.0)
    est.fit(_data(), epochs=10, event_handlers=[stop])
    assert stop.current_epoch == 2 and stop.stopped_epoch == 1 and stop.stop_training


def test_checkpoints_are_written_and_rotated(tmp_path):
    net = _net()
    net.hybridize()
    est = Estimator(net, gluon.loss.SoftmaxCrossEntropyLoss(), trainer=None)
    ckpt = CheckpointHandler(str(tmp_path), model_prefix="m", epoch_period=1, max_checkpoints=2)
    est.fit(_data(), epochs=3, event_handlers=[ckpt])
    files = sorted(os.listdir(tmp_path))
    assert "m-symbol.json" in files
    assert [f for f in files if f.endswith(".params")] == ["m-epoch1batch6.params", "m-epoch2batch9.params"]
    assert "m-epoch1batch6.states" in files

    resumed = Estimator(net, gluon.loss.SoftmaxCrossEntropyLoss(), trainer=None)
    again = CheckpointHandler(str(tmp_path), model_prefix="m", epoch_period=1, resume_from_checkpoint=True)
    resumed.fit(_data(), epochs=5, event_handlers=[again])
    assert resumed.max_epoch == 2  # 3 of 5 epochs were already trained
    assert "m-epoch4batch15.params" in os.listdir(tmp_path)  # numbering continues from the checkpoint


def test_gradient_update_handler_steps_with_the_summed_batch_size():
    steps = []

    class Recording(GradientUpdateHandler):
        def batch_end(self, estimator, *args, **kwargs):
            steps.append(sum(v.shape[0] for v in kwargs["loss"]))
            super().batch_end(estimator, *args, **kwargs)

    est = Estimator(_net(), gluon.loss.SoftmaxCrossEntropyLoss(), trainer=None)
    est.fit(_data(n=10), epochs=1, event_handlers=[Recording(), MetricHandler(est.train_metrics)])
    assert steps == [4, 4, 2]


def test_epoch_end_returning_true_stops_training():
    class StopNow(EpochEnd):
        def epoch_end(self, estimator, *args, **kwargs):
            return True

    class Count(BatchEnd):
        n = 0

        def batch_end(self, estimator, *args, **kwargs):
            Count.n += 1

    Estimator(_net(), gluon.loss.SoftmaxCrossEntropyLoss(), trainer=None).fit(_data(), epochs=4, event_handlers=[StopNow(), Count()])
    assert Count.n == 3
