"""``Estimator``: Gluon's ``fit``/``evaluate`` loop around a net, a loss, metrics and a Trainer."""
from __future__ import annotations

import copy
import logging
import sys
import warnings
from typing import Any, List, Optional

from ....context import Context, cpu, gpu, num_gpus
from ....metric import Loss as LossMetric
from ...data import DataLoader
from ...loss import Loss
from ...trainer import Trainer
from .batch_processor import BatchProcessor
from .event_handler import (BatchBegin, BatchEnd, EpochBegin, EpochEnd, GradientUpdateHandler, LoggingHandler,
                            MetricHandler, StoppingHandler, TrainBegin, TrainEnd, ValidationHandler,
                            _check_event_handlers)
from .utils import _check_handler_metric_ref, _check_metrics, _suggest_metric_for_loss

__all__ = ["Estimator"]

_DATALOADER_ONLY = ("Estimator only supports a gluon.data.DataLoader as input; wrap a DataIter or NDArrays in a "
                    "gluon.data.DataLoader (e.g. over gluon.data.ArrayDataset)")


class Estimator:
    """Train and evaluate ``net`` with ``loss``.

    Args:
        net: the Block to train. loss: a ``gluon.loss.Loss``.
        train_metrics / val_metrics: an EvalMetric or a list (default: what the loss suggests plus the
            loss itself; validation metrics default to copies of the training ones).
        initializer: used when ``net`` is not initialized yet. trainer: a ``gluon.Trainer`` (default SGD,
            learning rate 0.001, with a warning). context: a Context or list (default gpu(0) if any, else cpu).
        val_net / val_loss: used by ``evaluate`` instead of ``net``/``loss``.
        batch_processor: an object with ``fit_batch`` and ``evaluate_batch`` (default BatchProcessor()).

    ``logger`` is a ``logging.Logger`` writing INFO and above to stdout.
    """

    logger: Optional[logging.Logger] = None

    def __init__(self, net: Any, loss: Any, train_metrics: Any = None, val_metrics: Any = None,
                 initializer: Any = None, trainer: Optional[Trainer] = None, context: Any = None,
                 val_net: Any = None, val_loss: Any = None, batch_processor: Any = None):
        self.net = net
        self.loss = self._check_loss(loss)
        self._train_metrics = _check_metrics(train_metrics)
        self._val_metrics = _check_metrics(val_metrics)
        self._add_default_training_metrics()
        self._add_validation_metrics()
        self.val_loss = self._check_loss(val_loss) if val_loss is not None else self.loss
        self.val_net = val_net if val_net is not None else self.net
        self.logger = logging.Logger(name="Estimator", level=logging.INFO)
        self.logger.addHandler(logging.StreamHandler(sys.stdout))
        self.context = self._check_context(context)
        self._initialize(initializer)
        self.trainer = self._check_trainer(trainer)
        self.batch_processor = self._check_batch_processor(batch_processor)
        self.max_epoch: Optional[int] = None
        self.max_batch: Optional[int] = None
        self.batch_axis = 0

    # -- argument checks ---------------------------------------------------------------------------------
    @staticmethod
    def _check_loss(loss: Any) -> Loss:
        if not isinstance(loss, Loss):
            raise ValueError(f"loss must be a gluon.loss.Loss, got {loss!r}")
        return loss

    @staticmethod
    def _check_context(context: Any) -> List[Context]:
        gpus = num_gpus()
        available = [gpu(i) for i in range(gpus)]
        if context:
            if isinstance(context, Context):
                context = [context]
            elif not (isinstance(context, list) and all(isinstance(c, Context) for c in context)):
                raise ValueError("context must be an mx.Context or a list of them, e.g. mx.cpu() or "
                                 f"[mx.gpu(0), mx.gpu(1)], got {context!r}")
            for ctx in context:
                assert ctx in available or ctx.device_type == "cpu", (
                    f"{ctx} is not available; use mx.cpu() or one of: {', '.join(str(c) for c in available)}")
            return list(context)
        if gpus > 1:
            warnings.warn("You have multiple GPUs, gpu(0) will be used by default. To use all of them, give "
                          "context as a list, e.g. context=[mx.gpu(0), mx.gpu(1)]")
        return [gpu(0)] if gpus else [cpu()]

    @staticmethod
    def _check_batch_processor(batch_processor: Any) -> Any:
        if batch_processor is None:
            return BatchProcessor()
        if not (callable(getattr(batch_processor, "fit_batch", None))
                and callable(getattr(batch_processor, "evaluate_batch", None))):
            raise ValueError("a custom batch processor must have fit_batch() and evaluate_batch() methods")
        return batch_processor

    def _is_initialized(self) -> bool:
        for param in self.net.collect_params().values():
            try:
                param.list_ctx()
            except RuntimeError:
                return False
        return True

    def _initialize(self, initializer: Any) -> None:
        if not self._is_initialized():
            if initializer:
                self.net.initialize(init=initializer, ctx=self.context)
            else:
                self.net.initialize(ctx=self.context)
        elif initializer:
            warnings.warn("Network already fully initialized, skipping initialization. You don't need to pass "
                          "initializer if you already initialized your net. Use net.initialize(init=..., "
                          "force_reinit=True) to re-initialize.")

    def _check_trainer(self, trainer: Any) -> Trainer:
        if not trainer:
            warnings.warn("No trainer specified, default SGD optimizer with learning rate 0.001 is used.")
            return Trainer(self.net.collect_params(), "sgd", {"learning_rate": 0.001})
        if not isinstance(trainer, Trainer):
            raise ValueError(f"trainer must be a gluon.Trainer, got {trainer!r}")
        return trainer

    def _get_data_and_label(self, batch: Any, ctx: List[Context], batch_axis: int = 0) -> Any:
        return BatchProcessor()._get_data_and_label(batch, ctx, batch_axis)

    # -- metrics ----------------------------------------------------------------------------------------
    def _add_default_training_metrics(self) -> None:
        if not self._train_metrics:
            suggested = _suggest_metric_for_loss(self.loss)
            if suggested is not None:
                self._train_metrics = [suggested]
            self._train_metrics.append(LossMetric(self.loss.name.rstrip("1234567890")))
        for metric in self._train_metrics:
            metric.name = "training " + metric.name

    def _add_validation_metrics(self) -> None:
        if not self._val_metrics:
            self._val_metrics = [copy.deepcopy(m) for m in self._train_metrics]
        for metric in self._val_metrics:
            metric.name = (metric.name.replace("training", "validation") if "training" in metric.name
                           else "validation " + metric.name)

    @property
    def train_metrics(self) -> list:
        return self._train_metrics

    @property
    def val_metrics(self) -> list:
        return self._val_metrics

    # -- loops ------------------------------------------------------------------------------------------
    def evaluate(self, val_data: Any, batch_axis: int = 0, event_handlers: Any = None) -> None:
        """Run ``val_net``/``val_loss`` over ``val_data`` (a DataLoader), updating ``val_metrics``."""
        if not isinstance(val_data, DataLoader):
            raise ValueError(_DATALOADER_ONLY)
        for metric in self.val_metrics:
            metric.reset()
        handlers = self._prepare_default_validation_handlers(event_handlers)
        _, epoch_begin, batch_begin, batch_end, epoch_end, _ = self._categorize_handlers(handlers)
        for h in epoch_begin:
            h.epoch_begin(self)
        for batch in val_data:
            for h in batch_begin:
                h.batch_begin(self, batch=batch)
            _, label, pred, loss = self.batch_processor.evaluate_batch(self, batch, batch_axis)
            for h in batch_end:
                h.batch_end(self, batch=batch, pred=pred, label=label, loss=loss)
        for h in epoch_end:
            h.epoch_end(self)

    def fit(self, train_data: Any, val_data: Any = None, epochs: Optional[int] = None, event_handlers: Any = None,
            batches: Optional[int] = None, batch_axis: int = 0) -> None:
        """Train on ``train_data`` (a DataLoader) for exactly one of ``epochs`` or ``batches``, validating
        on ``val_data`` after each epoch when given."""
        if not isinstance(train_data, DataLoader):
            raise ValueError(_DATALOADER_ONLY)
        if (not epochs) == (not batches):
            raise ValueError("fit needs exactly one of epochs or batches (train by number of epochs or by number "
                             "of batches)")
        self.max_epoch, self.max_batch, self.batch_axis = epochs, batches, batch_axis
        handlers = self._prepare_default_handlers(val_data, event_handlers)
        train_begin, epoch_begin, batch_begin, batch_end, epoch_end, train_end = self._categorize_handlers(handlers)
        for h in train_begin:
            h.train_begin(self)
        while True:
            for h in epoch_begin:
                h.epoch_begin(self)
            for batch in train_data:
                for h in batch_begin:
                    h.batch_begin(self, batch=batch)
                _, label, pred, loss = self.batch_processor.fit_batch(self, batch, batch_axis)
                # every handler sees the batch end, even after one asks to stop
                stop = [h.batch_end(self, batch=batch, pred=pred, label=label, loss=loss) for h in batch_end]
                if any(stop):
                    break
            if any([h.epoch_end(self) for h in epoch_end]):
                break
        for h in train_end:
            h.train_end(self)

    # -- handlers ---------------------------------------------------------------------------------------
    def _with_defaults(self, handlers: list, defaults: list, known: list) -> list:
        mixing = bool(handlers) and bool(defaults)
        handlers.extend(defaults)
        if mixing:
            for h in handlers:
                _check_handler_metric_ref(h, known)
        handlers.sort(key=lambda h: getattr(h, "priority", 0))
        return handlers

    def _prepare_default_handlers(self, val_data: Any, event_handlers: Any) -> list:
        handlers = _check_event_handlers(event_handlers)

        def has(kind: type) -> bool:
            return any(isinstance(h, kind) for h in handlers)

        defaults: list = [StoppingHandler(self.max_epoch, self.max_batch)]
        if not has(GradientUpdateHandler):
            defaults.append(GradientUpdateHandler())
        if not has(MetricHandler):
            defaults.append(MetricHandler(metrics=self.train_metrics))
        if not has(ValidationHandler) and val_data:
            defaults.append(ValidationHandler(val_data=val_data, eval_fn=self.evaluate))
        if not has(LoggingHandler):
            defaults.append(LoggingHandler(metrics=self.train_metrics))
        return self._with_defaults(handlers, defaults, self.train_metrics + self.val_metrics)

    def _prepare_default_validation_handlers(self, event_handlers: Any) -> list:
        handlers = _check_event_handlers(event_handlers)
        defaults: list = []
        if not any(isinstance(h, MetricHandler) for h in handlers):
            defaults.append(MetricHandler(metrics=self.val_metrics))
        if not any(isinstance(h, LoggingHandler) for h in handlers):
            defaults.append(LoggingHandler(metrics=self.val_metrics))
        return self._with_defaults(handlers, defaults, self.val_metrics)

    @staticmethod
    def _categorize_handlers(event_handlers: list) -> tuple:
        """(train_begin, epoch_begin, batch_begin, batch_end, epoch_end, train_end) handler lists."""
        kinds = (TrainBegin, EpochBegin, BatchBegin, BatchEnd, EpochEnd, TrainEnd)
        return tuple([h for h in event_handlers if isinstance(h, kind)] for kind in kinds)
