"""``mx.gluon.contrib.estimator``: Gluon's high-level ``fit`` loop (Estimator, event handlers, batch processor).

``Estimator(net, loss, train_metrics, trainer=...).fit(train_data, val_data, epochs=...)`` runs the same
record/backward/``Trainer.step`` sequence a hand-written Gluon loop runs, with MXNet 1.9.1's event-handler
protocol (train/epoch/batch begin and end, handler priorities, default handlers) around it.
"""
from . import batch_processor, estimator, event_handler
from .batch_processor import BatchProcessor
from .estimator import Estimator
from .event_handler import (BatchBegin, BatchEnd, CheckpointHandler, EarlyStoppingHandler, EpochBegin, EpochEnd,
                            GradientUpdateHandler, LoggingHandler, MetricHandler, StoppingHandler, TrainBegin,
                            TrainEnd, ValidationHandler)

__all__ = ["Estimator", "BatchProcessor"] + event_handler.__all__
