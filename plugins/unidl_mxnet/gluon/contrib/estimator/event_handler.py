"""Event handlers of the Gluon Estimator: mixins naming the events a handler listens to, and the
built-in handlers (stopping, metrics, validation, logging, checkpoints, early stopping, gradient update).

The Estimator calls every handler listening to an event in ascending ``priority`` (default 0); a
``batch_end``/``epoch_end`` returning True stops the batch loop/training.
"""
from __future__ import annotations

import math
import operator
import os
import time
import warnings
from typing import Any, List, Optional

from ....metric import CompositeEvalMetric, EvalMetric
from ....metric import Loss as LossMetric
from .utils import _check_metrics

__all__ = ["TrainBegin", "TrainEnd", "EpochBegin", "EpochEnd", "BatchBegin", "BatchEnd", "StoppingHandler",
           "MetricHandler", "ValidationHandler", "LoggingHandler", "CheckpointHandler", "EarlyStoppingHandler",
           "GradientUpdateHandler"]


class EventHandler:
    """Base of every handler."""


def _check_event_handlers(handlers: Any) -> List[EventHandler]:
    if isinstance(handlers, EventHandler):
        return [handlers]
    handlers = list(handlers or [])
    if not all(isinstance(h, EventHandler) for h in handlers):
        raise ValueError(f"event_handlers must be an EventHandler or a list of them, got {handlers!r}")
    return handlers


class TrainBegin(EventHandler):
    def train_begin(self, estimator: Any, *args: Any, **kwargs: Any) -> None:
        pass


class TrainEnd(EventHandler):
    def train_end(self, estimator: Any, *args: Any, **kwargs: Any) -> None:
        pass


class EpochBegin(EventHandler):
    def epoch_begin(self, estimator: Any, *args: Any, **kwargs: Any) -> None:
        pass


class EpochEnd(EventHandler):
    def epoch_end(self, estimator: Any, *args: Any, **kwargs: Any) -> bool:
        return False


class BatchBegin(EventHandler):
    def batch_begin(self, estimator: Any, *args: Any, **kwargs: Any) -> None:
        pass


class BatchEnd(EventHandler):
    def batch_end(self, estimator: Any, *args: Any, **kwargs: Any) -> bool:
        return False


class StoppingHandler(TrainBegin, BatchEnd, EpochEnd):
    """Stops training after ``max_epoch`` epochs or ``max_batch`` batches (read from the estimator)."""

    def __init__(self, max_epoch: Optional[int] = None, max_batch: Optional[int] = None):
        self.max_epoch = max_epoch
        self.max_batch = max_batch
        self.current_batch = 0
        self.current_epoch = 0
        self.stop_training = False

    def train_begin(self, estimator: Any, *args: Any, **kwargs: Any) -> None:
        self.max_epoch, self.max_batch = estimator.max_epoch, estimator.max_batch
        self.current_batch = self.current_epoch = 0

    def batch_end(self, estimator: Any, *args: Any, **kwargs: Any) -> bool:
        self.current_batch += 1
        self.stop_training = self.stop_training or self.current_batch == self.max_batch
        return self.stop_training

    def epoch_end(self, estimator: Any, *args: Any, **kwargs: Any) -> bool:
        self.current_epoch += 1
        self.stop_training = self.stop_training or self.current_epoch == self.max_epoch
        return self.stop_training


class MetricHandler(EpochBegin, BatchEnd):
    """Resets ``metrics`` each epoch and updates them after each batch (a Loss metric with the loss)."""

    def __init__(self, metrics: Any, priority: float = -1000):
        self.metrics = _check_metrics(metrics)
        self.priority = priority

    def epoch_begin(self, estimator: Any, *args: Any, **kwargs: Any) -> None:
        for metric in self.metrics:
            metric.reset()

    def batch_end(self, estimator: Any, *args: Any, **kwargs: Any) -> None:
        for metric in self.metrics:
            if isinstance(metric, LossMetric):
                metric.update(0, kwargs["loss"])
            else:
                metric.update(kwargs["label"], kwargs["pred"])


class ValidationHandler(TrainBegin, BatchEnd, EpochEnd):
    """Runs ``eval_fn(val_data=..., batch_axis=..., event_handlers=...)`` every ``epoch_period`` epochs
    and/or every ``batch_period`` batches."""

    def __init__(self, val_data: Any, eval_fn: Any, epoch_period: Optional[int] = 1,
                 batch_period: Optional[int] = None, priority: float = -1000, event_handlers: Any = None):
        self.val_data = val_data
        self.eval_fn = eval_fn
        self.epoch_period = epoch_period
        self.batch_period = batch_period
        self.current_batch = 0
        self.current_epoch = 0
        self.priority = priority
        self.event_handlers = event_handlers

    def _evaluate(self, estimator: Any) -> None:
        self.eval_fn(val_data=self.val_data, batch_axis=estimator.batch_axis, event_handlers=self.event_handlers)

    def train_begin(self, estimator: Any, *args: Any, **kwargs: Any) -> None:
        self.current_batch = self.current_epoch = 0

    def batch_end(self, estimator: Any, *args: Any, **kwargs: Any) -> None:
        self.current_batch += 1
        if self.batch_period and self.current_batch % self.batch_period == 0:
            self._evaluate(estimator)

    def epoch_end(self, estimator: Any, *args: Any, **kwargs: Any) -> None:
        self.current_epoch += 1
        if self.epoch_period and self.current_epoch % self.epoch_period == 0:
            self._evaluate(estimator)


def _metric_summary(metrics: List[EvalMetric]) -> str:
    return ", ".join("%s: %.4f" % metric.get() for metric in metrics)


class LoggingHandler(TrainBegin, TrainEnd, EpochBegin, EpochEnd, BatchBegin, BatchEnd):
    """Logs training progress and ``metrics`` to ``estimator.logger``, per epoch (``log_interval='epoch'``)
    or every ``log_interval`` batches."""

    def __init__(self, log_interval: Any = "epoch", metrics: Any = None, priority: float = math.inf):
        if not isinstance(log_interval, int) and log_interval != "epoch":
            raise ValueError("log_interval must be either an integer or string 'epoch'")
        self.metrics = _check_metrics(metrics)
        self.batch_index = 0
        self.current_epoch = 0
        self.processed_samples = 0
        self.priority = priority
        self.log_interval = log_interval
        self.log_interval_time = 0.0

    def train_begin(self, estimator: Any, *args: Any, **kwargs: Any) -> None:
        self.train_start = time.time()
        trainer = estimator.trainer
        estimator.logger.info("Training begin: using optimizer %s with current learning rate %.4f ",
                              type(trainer.optimizer).__name__, trainer.learning_rate)
        if estimator.max_epoch:
            estimator.logger.info("Train for %d epochs.", estimator.max_epoch)
        else:
            estimator.logger.info("Train for %d batches.", estimator.max_batch)
        self.current_epoch = self.batch_index = self.processed_samples = 0
        self.log_interval_time = 0.0

    def train_end(self, estimator: Any, *args: Any, **kwargs: Any) -> None:
        msg = "Train finished using total %ds with %d epochs. " % (time.time() - self.train_start, self.current_epoch)
        estimator.logger.info((msg + _metric_summary(self.metrics)).rstrip(", "))

    def batch_begin(self, estimator: Any, *args: Any, **kwargs: Any) -> None:
        if isinstance(self.log_interval, int):
            self.batch_start = time.time()

    def batch_end(self, estimator: Any, *args: Any, **kwargs: Any) -> None:
        if isinstance(self.log_interval, int):
            self.log_interval_time += time.time() - self.batch_start
            self.processed_samples += kwargs["batch"][0].shape[0]
            if self.batch_index % self.log_interval == 0:
                msg = "[Epoch %d][Batch %d][Samples %s] time/interval: %.3fs " % (
                    self.current_epoch, self.batch_index, self.processed_samples, self.log_interval_time)
                self.log_interval_time = 0.0
                estimator.logger.info((msg + _metric_summary(self.metrics)).rstrip(", "))
        self.batch_index += 1

    def epoch_begin(self, estimator: Any, *args: Any, **kwargs: Any) -> None:
        self.epoch_start = time.time()
        if any("training" in m.name for m in self.metrics):
            estimator.logger.info("[Epoch %d] Begin, current learning rate: %.4f", self.current_epoch,
                                  estimator.trainer.learning_rate)
        else:
            estimator.logger.info("Validation Begin")

    def epoch_end(self, estimator: Any, *args: Any, **kwargs: Any) -> None:
        msg = "[Epoch %d] Finished in %.3fs, " % (self.current_epoch, time.time() - self.epoch_start)
        estimator.logger.info((msg + _metric_summary(self.metrics)).rstrip(", "))
        self.current_epoch += 1
        self.batch_index = 0


def _comparison(mode: str, monitor: EvalMetric, who: str) -> Any:
    """np.less/np.greater-like comparison for ``mode``. MXNet 1.9.1's 'auto' always picks "greater"
    (with a warning), whatever the metric; unidl keeps that so training stops at the same epoch."""
    if mode not in ("auto", "min", "max"):
        warnings.warn(f"{who} mode {mode} is unknown, fallback to auto mode.", RuntimeWarning)
        mode = "auto"
    if mode == "min":
        return operator.lt
    if mode == "auto":
        warnings.warn(f"`greater` operator will be used to determine if {monitor.get()[0]} has improved. "
                      "Please specify `mode='min'` to use the `less` operator. Specify `mode='max' to disable "
                      "this warning.`")
    return operator.gt


class CheckpointHandler(TrainBegin, BatchEnd, EpochEnd):
    """Saves ``<prefix>-epoch{E}batch{B}.params/.states`` every ``epoch_period`` epochs or ``batch_period``
    batches (keeping the last ``max_checkpoints``), ``<prefix>-best.*`` when ``monitor`` improves
    (``save_best``), ``<prefix>-symbol.json`` for a hybridized net, and can resume from the latest."""

    def __init__(self, model_dir: str, model_prefix: str = "model", monitor: Optional[EvalMetric] = None,
                 verbose: int = 0, save_best: bool = False, mode: str = "auto", epoch_period: Optional[int] = 1,
                 batch_period: Optional[int] = None, max_checkpoints: int = 5, resume_from_checkpoint: bool = False):
        self.monitor = monitor
        self.verbose = verbose
        os.makedirs(model_dir, exist_ok=True)
        self.model_dir = model_dir
        self.model_prefix = model_prefix
        self.save_best = save_best
        if save_best and not isinstance(monitor, EvalMetric):
            raise ValueError("To save best model only, please provide one of the metric objects from "
                             "estimator.train_metrics and estimator.val_metrics as monitor.")
        self.epoch_period = epoch_period
        self.batch_period = batch_period
        self.current_batch = 0
        self.current_epoch = 0
        self.max_checkpoints = max_checkpoints
        self.resume_from_checkpoint = resume_from_checkpoint
        self.saved_checkpoints: List[str] = []
        self.trained_epoch = self.trained_batch = -1
        if save_best:
            self.monitor_op = _comparison(mode, monitor, "ModelCheckpoint")
            self.best = math.inf if self.monitor_op is operator.lt else -math.inf

    def train_begin(self, estimator: Any, *args: Any, **kwargs: Any) -> None:
        self.current_epoch = self.current_batch = 0
        if self.save_best:
            self.best = math.inf if self.monitor_op is operator.lt else -math.inf
        if self.resume_from_checkpoint:
            why = ("To resume from a checkpoint, save with the same kind of period you train by: train by epochs "
                   "with epoch_period set and batch_period None, or by batches with batch_period set and "
                   "epoch_period None.")
            if estimator.max_batch:
                assert self.batch_period and not self.epoch_period, why
            if estimator.max_epoch:
                assert self.epoch_period and not self.batch_period, why
            self._resume_from_checkpoint(estimator)

    def batch_end(self, estimator: Any, *args: Any, **kwargs: Any) -> None:
        if self.current_batch == 0:
            self._save_symbol(estimator)
        if self.batch_period and (self.current_batch + 1) % self.batch_period == 0:
            self._save_checkpoint(estimator)
        self.current_batch += 1

    def epoch_end(self, estimator: Any, *args: Any, **kwargs: Any) -> None:
        if self.epoch_period and (self.current_epoch + 1) % self.epoch_period == 0:
            self._save_checkpoint(estimator)
        self.current_epoch += 1

    def _save_checkpoint(self, estimator: Any) -> None:
        epoch, batch = self.current_epoch, self.current_batch
        if self.resume_from_checkpoint:
            epoch += self.trained_epoch + 1
            batch += self.trained_batch + (0 if estimator.max_epoch else 1)
        prefix = "%s-epoch%dbatch%d" % (self.model_prefix, epoch, batch)
        self._save_params_and_trainer(estimator, prefix)
        if self.verbose > 0:
            estimator.logger.info("[Epoch %d] CheckpointHandler: trained total %d batches, saving model at %s "
                                  "with prefix: %s", self.current_epoch, self.current_batch + 1, self.model_dir, prefix)
        if not self.save_best:
            return
        name, value = self.monitor.get()
        if math.isnan(value):
            warnings.warn(RuntimeWarning(f"Skipping save best because {name} is not updated; pass one of the metric "
                                         "objects estimator.train_metrics and estimator.val_metrics as monitor"))
        elif self.monitor_op(value, self.best):
            previous, self.best = self.best, value
            self._save_params_and_trainer(estimator, self.model_prefix + "-best")
            if self.verbose > 0:
                estimator.logger.info("[Epoch %d] CheckpointHandler: %s improved from %0.5f to %0.5f, updating best "
                                      "model at %s", self.current_epoch, name, previous, value, self.model_dir)
        elif self.verbose > 0:
            estimator.logger.info("[Epoch %d] CheckpointHandler: %s did not improve from %0.5f, skipping updating "
                                  "best model", self.current_epoch, name, self.best)

    def _save_symbol(self, estimator: Any) -> None:
        from ....symbol._trace import trace_block

        path = os.path.join(self.model_dir, self.model_prefix + "-symbol.json")
        net = estimator.net
        if getattr(net, "_active", False) and getattr(net, "_graph_shapes", None) is not None:
            trace_block(net, net._graph_nargs, net._graph_shapes).save(path)
        else:
            estimator.logger.info("Model architecture(symbol file) is not saved, please use HybridBlock to construct "
                                  "your model, and call net.hybridize() before passing to Estimator in order to save "
                                  "model architecture as %s.", path)

    def _save_params_and_trainer(self, estimator: Any, prefix: str) -> None:
        estimator.net.save_parameters(os.path.join(self.model_dir, prefix + ".params"))
        estimator.trainer.save_states(os.path.join(self.model_dir, prefix + ".states"))
        if "best" not in prefix:
            self.saved_checkpoints.append(prefix)
        if len(self.saved_checkpoints) > self.max_checkpoints:
            oldest = self.saved_checkpoints.pop(0)
            for fname in os.listdir(self.model_dir):
                if fname.startswith(oldest):
                    os.remove(os.path.join(self.model_dir, fname))

    def _resume_from_checkpoint(self, estimator: Any) -> None:
        prefix = self.model_prefix + "-epoch"
        self.trained_epoch = self._find_max_iteration(self.model_dir, prefix, "epoch", "batch", self.saved_checkpoints)
        prefix += str(self.trained_epoch)
        self.trained_batch = self._find_max_iteration(self.model_dir, prefix, "batch", ".params")
        if self.trained_epoch == -1:
            todo = "%d batches" % estimator.max_batch if estimator.max_batch else "%d epochs" % estimator.max_epoch
            estimator.logger.info("CheckpointHandler: No checkpoint found, training from scratch for " + todo)
            return
        msg = "CheckpointHandler: Checkpoint resumed from epoch %d batch %d, continue to train for " % (
            self.trained_epoch, self.trained_batch)
        if estimator.max_epoch:
            if self.trained_epoch >= estimator.max_epoch - 1:
                raise ValueError("Found checkpoint with maximum number of epoch %d reached, please specify "
                                 "resume_from_checkpoint=False (default value) if you want to train from scratch."
                                 % estimator.max_epoch)
            estimator.max_epoch -= self.trained_epoch + 1
            msg += "%d epochs " % estimator.max_epoch
        if estimator.max_batch:
            if self.trained_batch >= estimator.max_batch - 1:
                raise ValueError("Found checkpoint with maximum number of batch %d reached, please specify "
                                 "resume_from_checkpoint=False (default value) if you want to train from scratch."
                                 % self.trained_batch)
            estimator.max_batch -= self.trained_batch + 1
            msg += "%d batches " % estimator.max_batch
        stem = os.path.join(self.model_dir, "%s-epoch%dbatch%d" % (self.model_prefix, self.trained_epoch,
                                                                   self.trained_batch))
        for suffix in (".params", ".states"):
            assert os.path.exists(stem + suffix), f"Failed to load checkpoint, {stem + suffix} does not exist"
        estimator.net.load_parameters(stem + ".params", ctx=estimator.context)
        estimator.trainer.load_states(stem + ".states")
        estimator.logger.warning(msg)

    @staticmethod
    def _find_max_iteration(folder: str, prefix: str, start: str, end: str,
                            saved_checkpoints: Optional[List[str]] = None) -> int:
        best = -1
        for fname in os.listdir(folder):
            if not (fname.startswith(prefix) and ".params" in fname):
                continue
            if saved_checkpoints:
                saved_checkpoints.append(fname[:fname.find(".params")])
            try:
                best = max(best, int(fname[fname.find(start) + len(start):fname.find(end)]))
            except ValueError:
                raise ValueError("Error parsing checkpoint file: checkpoints must be named "
                                 "{model_name}-epoch{epoch_number}batch{batch_number}.params, each with a .states "
                                 "file beside it") from None
        return best


class EarlyStoppingHandler(TrainBegin, EpochEnd, TrainEnd):
    """Stops training when ``monitor`` has not improved by ``min_delta`` for ``patience`` epochs."""

    def __init__(self, monitor: EvalMetric, min_delta: float = 0, patience: int = 0, mode: str = "auto",
                 baseline: Optional[float] = None):
        if not isinstance(monitor, EvalMetric):
            raise ValueError("Please provide one of the metric objects from estimator.train_metrics and "
                             "estimator.val_metrics as monitor.")
        if isinstance(monitor, CompositeEvalMetric):
            raise ValueError("CompositeEvalMetric is not supported for EarlyStoppingHandler, please specify a "
                             "simple metric instead.")
        self.monitor = monitor
        self.baseline = baseline
        self.patience = patience
        self.wait = 0
        self.stopped_epoch = 0
        self.current_epoch = 0
        self.stop_training = False
        self.monitor_op = _comparison(mode, monitor, "EarlyStopping")
        self.min_delta = min_delta if self.monitor_op is operator.gt else -min_delta

    def train_begin(self, estimator: Any, *args: Any, **kwargs: Any) -> None:
        self.wait = self.stopped_epoch = self.current_epoch = 0
        self.stop_training = False
        if self.baseline is not None:
            self.best = self.baseline
        else:
            self.best = math.inf if self.monitor_op is operator.lt else -math.inf

    def epoch_end(self, estimator: Any, *args: Any, **kwargs: Any) -> bool:
        name, value = self.monitor.get()
        if math.isnan(value):
            warnings.warn(RuntimeWarning(f"{name} is not updated; pass one of the metric objects from "
                                         "estimator.train_metrics and estimator.val_metrics as monitor."))
        elif self.monitor_op(value - self.min_delta, self.best):
            self.best = value
            self.wait = 0
        else:
            self.wait += 1
            if self.wait >= self.patience:
                self.stopped_epoch = self.current_epoch
                self.stop_training = True
        self.current_epoch += 1
        return self.stop_training

    def train_end(self, estimator: Any, *args: Any, **kwargs: Any) -> None:
        if self.stopped_epoch > 0:
            estimator.logger.info("[Epoch %d] EarlyStoppingHandler: early stopping due to %s not improving",
                                  self.stopped_epoch, self.monitor.get()[0])


class GradientUpdateHandler(BatchEnd):
    """Calls ``estimator.trainer.step(batch size)`` after each batch (the batch size summed over contexts)."""

    def __init__(self, priority: float = -2000):
        self.priority = priority

    def batch_end(self, estimator: Any, *args: Any, **kwargs: Any) -> None:
        loss = kwargs["loss"]
        losses = loss if isinstance(loss, list) else [loss]
        estimator.trainer.step(sum(value.shape[0] for value in losses))
