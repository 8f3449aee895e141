"""``mx.metric``: evaluation metrics with MXNet 1.9.1's bookkeeping.

A metric accumulates ``sum_metric`` and ``num_inst`` over ``update(labels, preds)`` calls (labels and
predictions are NDArrays, or lists of them zipped pairwise) and ``get()`` returns ``(name, value)``.
Global counters survive ``reset_local()``. Metrics are host bookkeeping, so the arithmetic is NumPy.
"""
from __future__ import annotations

import json
import math
from collections import OrderedDict
from typing import Any, Callable, Dict, List, Optional, Tuple

import numpy

from .ndarray.ndarray import NDArray

_REGISTRY: Dict[str, type] = {}


def register(klass: type) -> type:
    """Register a metric class under its lower-cased class name (for :func:`create`)."""
    if not (isinstance(klass, type) and issubclass(klass, EvalMetric)):
        raise TypeError(f"can only register EvalMetric subclasses, got {klass!r}")
    _REGISTRY[klass.__name__.lower()] = klass
    return klass


def alias(*aliases: str) -> Callable[[type], type]:
    """Decorator registering a metric class under extra names (e.g. ``'acc'``)."""
    def reg(klass: type) -> type:
        for a in aliases:
            _REGISTRY[a.lower()] = klass
        return klass

    return reg


def _is_array(x: Any) -> bool:
    return isinstance(x, (NDArray, numpy.ndarray))


def _host(x: Any) -> numpy.ndarray:
    """An NDArray (or array-like) as a NumPy array."""
    if isinstance(x, NDArray):
        return x.asnumpy()
    if isinstance(x, numpy.ndarray):
        return x
    try:
        return numpy.asarray(x)
    except Exception:  # noqa: BLE001
        raise TypeError(f"metric: expected an NDArray, got {type(x).__name__}") from None


def check_label_shapes(labels: Any, preds: Any, wrap: bool = False, shape: bool = False) -> Tuple[Any, Any]:
    """Check that labels and predictions agree in count (``shape=False``) or in shape (``shape=True``);
    with ``wrap``, a single array becomes a one-element list. Raises ValueError on a mismatch."""
    if shape:
        label_shape, pred_shape = tuple(labels.shape), tuple(preds.shape)
    else:
        label_shape, pred_shape = len(labels), len(preds)
    if label_shape != pred_shape:
        raise ValueError(f"Shape of labels {label_shape} does not match shape of predictions {pred_shape}")
    if wrap:
        if _is_array(labels):
            labels = [labels]
        if _is_array(preds):
            preds = [preds]
    return labels, preds


class EvalMetric:
    """Base metric: subclasses implement ``update(labels, preds)`` adding to ``sum_metric``/``num_inst``
    (and their ``global_`` twins); ``get()`` is ``(name, sum_metric / num_inst)`` (nan before any update)."""

    def __init__(self, name: str, output_names: Optional[List[str]] = None,
                 label_names: Optional[List[str]] = None, **kwargs: Any) -> None:
        self.name = str(name)
        self.output_names = output_names
        self.label_names = label_names
        self._has_global_stats = kwargs.pop("has_global_stats", False)
        self._kwargs = kwargs
        self.reset()

    def __str__(self) -> str:
        return f"EvalMetric: {dict(self.get_name_value())}"

    def get_config(self) -> Dict[str, Any]:
        """The arguments that re-create this metric through :func:`create`."""
        config = self._kwargs.copy()
        config.update({"metric": type(self).__name__, "name": self.name, "output_names": self.output_names,
                       "label_names": self.label_names})
        return config

    def update_dict(self, label: Dict[str, Any], pred: Dict[str, Any]) -> None:
        """Update from name->array dicts, picking ``output_names``/``label_names`` when set."""
        preds = [pred[n] for n in self.output_names] if self.output_names is not None else list(pred.values())
        labels = [label[n] for n in self.label_names] if self.label_names is not None else list(label.values())
        self.update(labels, preds)

    def update(self, labels: Any, preds: Any) -> None:
        """Accumulate the statistics of a batch."""
        raise NotImplementedError(f"{type(self).__name__} must implement update")

    def reset(self) -> None:
        """Clear local and global statistics."""
        self.num_inst = 0
        self.sum_metric = 0.0
        self.global_num_inst = 0
        self.global_sum_metric = 0.0

    def reset_local(self) -> None:
        """Clear the local statistics only (global ones keep accumulating)."""
        self.num_inst = 0
        self.sum_metric = 0.0

    def get(self) -> Tuple[Any, Any]:
        """``(name, value)`` of the local statistics."""
        if self.num_inst == 0:
            return self.name, float("nan")
        return self.name, self.sum_metric / self.num_inst

    def get_global(self) -> Tuple[Any, Any]:
        """``(name, value)`` of the global statistics (the local ones for metrics without them)."""
        if not self._has_global_stats:
            return self.get()
        if self.global_num_inst == 0:
            return self.name, float("nan")
        return self.name, self.global_sum_metric / self.global_num_inst

    @staticmethod
    def _pairs(name: Any, value: Any) -> List[Tuple[str, Any]]:
        names = name if isinstance(name, list) else [name]
        values = value if isinstance(value, list) else [value]
        return list(zip(names, values))

    def get_name_value(self) -> List[Tuple[str, Any]]:
        """``[(name, value), ...]`` of the local statistics."""
        return self._pairs(*self.get())

    def get_global_name_value(self) -> List[Tuple[str, Any]]:
        """``[(name, value), ...]`` of the global statistics."""
        if not self._has_global_stats:
            return self.get_name_value()
        return self._pairs(*self.get_global())

    def _add(self, value: Any, count: Any) -> None:
        self.sum_metric += value
        self.global_sum_metric += value
        self.num_inst += count
        self.global_num_inst += count


def create(metric: Any, *args: Any, **kwargs: Any) -> EvalMetric:
    """A metric from a name or alias (``'acc'``, ``'ce'``, ``'top_k_accuracy'``, ...), a metric instance
    (returned as is), a callable ``feval(label, pred)`` (a :class:`CustomMetric`), a list of those (a
    :class:`CompositeEvalMetric`), a config dict or its JSON."""
    if callable(metric) and not isinstance(metric, EvalMetric):
        return CustomMetric(metric, *args, **kwargs)
    if isinstance(metric, list):
        composite = CompositeEvalMetric()
        for child in metric:
            composite.add(create(child, *args, **kwargs))
        return composite
    return _create(metric, *args, **kwargs)


def _create(name: Any, /, *args: Any, **kwargs: Any) -> EvalMetric:
    if isinstance(name, EvalMetric):
        if args or kwargs:
            raise ValueError("metric is already an instance. Additional arguments are invalid")
        return name
    if isinstance(name, dict):
        kwargs = dict(name)
        return _create(kwargs.pop("metric"), **kwargs)
    if not isinstance(name, str):
        raise TypeError(f"metric must be a name, an EvalMetric, a callable or a list, got {type(name).__name__}")
    if name.startswith("["):
        name, kw = json.loads(name)
        return _create(name, **kw)
    if name.startswith("{"):
        return _create(json.loads(name))
    klass = _REGISTRY.get(name.lower())
    if klass is None:
        raise ValueError(f"metric {name!r} is not registered; known names: {', '.join(sorted(_REGISTRY))}")
    return klass(*args, **kwargs)


@register
@alias("composite")
class CompositeEvalMetric(EvalMetric):
    """Several metrics updated together; ``get()`` returns lists of names and values."""

    def __init__(self, metrics: Optional[List[Any]] = None, name: str = "composite",
                 output_names: Optional[List[str]] = None, label_names: Optional[List[str]] = None) -> None:
        super().__init__(name, output_names=output_names, label_names=label_names, has_global_stats=True)
        self.metrics = [create(m) for m in (metrics or [])]

    def add(self, metric: Any) -> None:
        """Append a metric (anything :func:`create` accepts)."""
        self.metrics.append(create(metric))

    def get_metric(self, index: int) -> EvalMetric:
        """The child metric at ``index``."""
        try:
            return self.metrics[index]
        except IndexError:
            raise ValueError(f"Metric index {index} is out of range 0 and {len(self.metrics)}") from None

    def update_dict(self, labels: Dict[str, Any], preds: Dict[str, Any]) -> None:
        if self.label_names is not None:
            labels = OrderedDict(i for i in labels.items() if i[0] in self.label_names)
        if self.output_names is not None:
            preds = OrderedDict(i for i in preds.items() if i[0] in self.output_names)
        for m in self.metrics:
            m.update_dict(labels, preds)

    def update(self, labels: Any, preds: Any) -> None:
        for m in self.metrics:
            m.update(labels, preds)

    def reset(self) -> None:
        for m in getattr(self, "metrics", []):
            m.reset()

    def reset_local(self) -> None:
        for m in self.metrics:
            m.reset_local()

    def _collect(self, getter: str) -> Tuple[List[str], List[Any]]:
        names: List[str] = []
        values: List[Any] = []
        for m in self.metrics:
            name, value = getattr(m, getter)()
            names.extend(name if isinstance(name, list) else [name])
            values.extend(value if isinstance(value, list) else [value])
        return names, values

    def get(self) -> Tuple[List[str], List[Any]]:
        return self._collect("get")

    def get_global(self) -> Tuple[List[str], List[Any]]:
        return self._collect("get_global")

    def get_config(self) -> Dict[str, Any]:
        config = super().get_config()
        config["metrics"] = [m.get_config() for m in self.metrics]
        return config


@register
@alias("acc")
class Accuracy(EvalMetric):
    """Fraction of correct predictions. Predictions shaped unlike the labels are class scores and are
    reduced by argmax over ``axis`` (default 1)."""

    def __init__(self, axis: int = 1, name: str = "accuracy", output_names: Optional[List[str]] = None,
                 label_names: Optional[List[str]] = None) -> None:
        super().__init__(name, axis=axis, output_names=output_names, label_names=label_names,
                         has_global_stats=True)
        self.axis = axis

    def update(self, labels: Any, preds: Any) -> None:
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            label, pred = _host(label), _host(pred)
            if pred.shape != label.shape:
                if not -pred.ndim <= self.axis < max(pred.ndim, 1):
                    raise ValueError(f"Accuracy: axis {self.axis} is out of range for predictions of shape "
                                     f"{pred.shape} (labels {label.shape})")
                pred = numpy.argmax(pred, axis=self.axis)
            pred = pred.astype("int32").ravel()
            label = label.astype("int32").ravel()
            check_label_shapes(label, pred)
            self._add(int((pred == label).sum()), len(pred))


@register
@alias("top_k_accuracy", "top_k_acc")
class TopKAccuracy(EvalMetric):
    """Fraction of samples whose label is among the ``top_k`` highest-scoring classes (``top_k > 1``;
    name ``top_k_accuracy_<k>``). Predictions are (N, classes)."""

    def __init__(self, top_k: int = 1, name: str = "top_k_accuracy", output_names: Optional[List[str]] = None,
                 label_names: Optional[List[str]] = None) -> None:
        super().__init__(name, top_k=top_k, output_names=output_names, label_names=label_names,
                         has_global_stats=True)
        self.top_k = top_k
        if self.top_k <= 1:
            raise AssertionError("Please use Accuracy if top_k is no more than 1")
        self.name += f"_{self.top_k}"

    def update(self, labels: Any, preds: Any) -> None:
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            pred = _host(pred).astype("float32")
            if pred.ndim > 2:
                raise ValueError(f"TopKAccuracy: predictions should be no more than 2 dims, got shape {pred.shape}")
            label = _host(label).astype("int32")
            check_label_shapes(label, pred)
            n = pred.shape[0]
            k = min(self.top_k, pred.shape[-1]) if pred.size else 1
            order = numpy.argpartition(pred, -k) if pred.size else pred.astype("int64")
            if pred.ndim == 1:  # MXNet compares the partition indices directly (and only locally)
                self.sum_metric += int((order.ravel() == label.ravel()).sum())
            else:
                classes = pred.shape[1]
                hits = sum(int((order[:, classes - 1 - j] == label.ravel()).sum()) for j in range(k))
                self.sum_metric += hits
                self.global_sum_metric += hits
            self.num_inst += n
            self.global_num_inst += n


class _BinaryClassificationMetrics:
    """Confusion counts (local and global) for binary classification from (N, 2) scores."""

    def __init__(self) -> None:
        self.reset_stats()

    def update_binary_stats(self, label: Any, pred: Any, op: str = "F1") -> None:
        pred = _host(pred)
        label = _host(label).astype("int32")
        if pred.ndim != 2:
            raise ValueError(f"{op}: predictions must be (N, 2) class scores, got shape {pred.shape}")
        pred_label = numpy.argmax(pred, axis=1)
        check_label_shapes(label, pred)
        if len(numpy.unique(label)) > 2:
            raise ValueError(f"{op} currently only supports binary classification.")
        pred_true, label_true = pred_label == 1, label.ravel() == 1
        tp = int((pred_true & label_true).sum())
        fp = int((pred_true & ~label_true).sum())
        fn = int((~pred_true & label_true).sum())
        tn = int((~pred_true & ~label_true).sum())
        self.true_positives += tp
        self.false_positives += fp
        self.false_negatives += fn
        self.true_negatives += tn
        self.global_true_positives += tp
        self.global_false_positives += fp
        self.global_false_negatives += fn
        self.global_true_negatives += tn

    @staticmethod
    def _ratio(a: int, b: int) -> float:
        return float(a) / (a + b) if a + b > 0 else 0.0

    @staticmethod
    def _f(p: float, r: float) -> float:
        return 2 * p * r / (p + r) if p + r > 0 else 0.0

    @property
    def precision(self) -> float:
        return self._ratio(self.true_positives, self.false_positives)

    @property
    def recall(self) -> float:
        return self._ratio(self.true_positives, self.false_negatives)

    @property
    def global_precision(self) -> float:
        return self._ratio(self.global_true_positives, self.global_false_positives)

    @property
    def global_recall(self) -> float:
        return self._ratio(self.global_true_positives, self.global_false_negatives)

    @property
    def fscore(self) -> float:
        return self._f(self.precision, self.recall)

    @property
    def global_fscore(self) -> float:
        return self._f(self.global_precision, self.global_recall)

    @property
    def total_examples(self) -> int:
        return self.true_positives + self.false_positives + self.false_negatives + self.true_negatives

    @property
    def global_total_examples(self) -> int:
        return (self.global_true_positives + self.global_false_positives + self.global_false_negatives
                + self.global_true_negatives)

    def matthewscc(self, use_global: bool = False) -> float:
        """Matthews correlation; zero factors of the denominator are left out (MXNet's convention)."""
        pre = "global_" if use_global else ""
        if not getattr(self, pre + "total_examples"):
            return 0.0
        tp, fp, fn, tn = (float(getattr(self, pre + k)) for k in
                          ("true_positives", "false_positives", "false_negatives", "true_negatives"))
        denom = 1.0
        for t in (tp + fp, tp + fn, tn + fp, tn + fn):
            if t != 0.0:
                denom *= t
        return (tp * tn - fp * fn) / math.sqrt(denom)

    def local_reset_stats(self) -> None:
        self.true_positives = self.false_positives = self.false_negatives = self.true_negatives = 0

    def reset_stats(self) -> None:
        self.local_reset_stats()
        self.global_true_positives = self.global_false_positives = 0
        self.global_false_negatives = self.global_true_negatives = 0


class _BinaryMetric(EvalMetric):
    """F1 / MCC: ``average='macro'`` averages the per-update score; 'micro' scores the pooled counts."""

    def __init__(self, name: str, output_names: Optional[List[str]], label_names: Optional[List[str]],
                 average: str) -> None:
        self.average = average
        self.metrics = _BinaryClassificationMetrics()
        super().__init__(name, output_names=output_names, label_names=label_names, has_global_stats=True)

    def _score(self, use_global: bool) -> float:
        raise NotImplementedError

    def update(self, labels: Any, preds: Any) -> None:
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            self.metrics.update_binary_stats(label, pred, type(self).__name__)
        m = self.metrics
        if self.average == "macro":
            self.sum_metric += self._score(False)
            self.global_sum_metric += self._score(True)
            self.num_inst += 1
            self.global_num_inst += 1
            m.reset_stats()
        else:
            self.sum_metric = self._score(False) * m.total_examples
            self.global_sum_metric = self._score(True) * m.global_total_examples
            self.num_inst = m.total_examples
            self.global_num_inst = m.global_total_examples

    def reset(self) -> None:
        self.sum_metric = 0.0
        self.num_inst = 0
        self.global_sum_metric = 0.0
        self.global_num_inst = 0
        self.metrics.reset_stats()

    def reset_local(self) -> None:
        self.sum_metric = 0.0
        self.num_inst = 0
        self.metrics.local_reset_stats()


@register
class F1(_BinaryMetric):
    """Binary F1 score of (N, 2) class scores against 0/1 labels."""

    def __init__(self, name: str = "f1", output_names: Optional[List[str]] = None,
                 label_names: Optional[List[str]] = None, average: str = "macro") -> None:
        super().__init__(name, output_names, label_names, average)

    def _score(self, use_global: bool) -> float:
        return self.metrics.global_fscore if use_global else self.metrics.fscore


@register
class MCC(_BinaryMetric):
    """Binary Matthews correlation coefficient of (N, 2) class scores against 0/1 labels."""

    def __init__(self, name: str = "mcc", output_names: Optional[List[str]] = None,
                 label_names: Optional[List[str]] = None, average: str = "macro") -> None:
        super().__init__(name, output_names, label_names, average)

    def _score(self, use_global: bool) -> float:
        return self.metrics.matthewscc(use_global)


@register
class Perplexity(EvalMetric):
    """``exp(mean(-log p[label]))`` over all positions whose label is not ``ignore_label``; ``pred``
    holds probabilities over ``axis`` (default last) and has ``label.size`` rows."""

    def __init__(self, ignore_label: Optional[int], axis: int = -1, name: str = "perplexity",
                 output_names: Optional[List[str]] = None, label_names: Optional[List[str]] = None) -> None:
        super().__init__(name, ignore_label=ignore_label, output_names=output_names, label_names=label_names,
                         has_global_stats=True)
        self.ignore_label = ignore_label
        self.axis = axis

    def update(self, labels: Any, preds: Any) -> None:
        labels, preds = check_label_shapes(labels, preds, True)
        loss, num = 0.0, 0
        for label, pred in zip(labels, preds):
            label, pred = _host(label), _host(pred)
            if pred.ndim == 0 or label.size * pred.shape[self.axis] != pred.size:
                raise ValueError(f"Perplexity: shape mismatch: labels {label.shape} vs. predictions {pred.shape} "
                                 f"(expected label.size == pred.size / pred.shape[{self.axis}])")
            label = label.reshape(-1)
            probs = numpy.moveaxis(pred, self.axis, -1).reshape(label.size, -1)
            idx = numpy.clip(label.astype("int64"), 0, probs.shape[1] - 1)
            picked = probs[numpy.arange(label.size), idx]
            if self.ignore_label is not None:
                ignore = (label == self.ignore_label).astype(picked.dtype)
                num -= int(ignore.sum())
                picked = picked * (1 - ignore) + ignore
            loss -= float(numpy.log(numpy.maximum(picked.dtype.type(1e-10), picked)).sum())
            num += picked.size
        self._add(loss, num)

    def get(self) -> Tuple[str, float]:
        if self.num_inst == 0:
            return self.name, float("nan")
        return self.name, math.exp(self.sum_metric / self.num_inst)

    def get_global(self) -> Tuple[str, float]:
        if self.global_num_inst == 0:
            return self.name, float("nan")
        return self.name, math.exp(self.global_sum_metric / self.global_num_inst)


def _regression_pair(op: str, label: Any, pred: Any) -> Tuple[numpy.ndarray, numpy.ndarray]:
    """Host label/pred with 1-D arrays made (N, 1), checked to broadcast (as MXNet computes them)."""
    label, pred = _host(label), _host(pred)
    if label.ndim == 1:
        label = label.reshape(label.shape[0], 1)
    if pred.ndim == 1:
        pred = pred.reshape(pred.shape[0], 1)
    try:
        numpy.broadcast_shapes(label.shape, pred.shape)
    except ValueError:
        raise ValueError(f"{op}: shape of labels {label.shape} does not match shape of predictions "
                         f"{pred.shape}") from None
    return label, pred


class _Regression(EvalMetric):
    def __init__(self, name: str, output_names: Optional[List[str]], label_names: Optional[List[str]]) -> None:
        super().__init__(name, output_names=output_names, label_names=label_names, has_global_stats=True)

    @staticmethod
    def _value(diff: numpy.ndarray) -> Any:
        raise NotImplementedError

    def update(self, labels: Any, preds: Any) -> None:
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            label, pred = _regression_pair(type(self).__name__, label, pred)
            self._add(self._value(label - pred), 1)


@register
class MAE(_Regression):
    """Mean absolute error, averaged per update (each batch counts once)."""

    def __init__(self, name: str = "mae", output_names: Optional[List[str]] = None,
                 label_names: Optional[List[str]] = None) -> None:
        super().__init__(name, output_names, label_names)

    @staticmethod
    def _value(diff: numpy.ndarray) -> Any:
        return numpy.abs(diff).mean()


@register
class MSE(_Regression):
    """Mean squared error, averaged per update (each batch counts once)."""

    def __init__(self, name: str = "mse", output_names: Optional[List[str]] = None,
                 label_names: Optional[List[str]] = None) -> None:
        super().__init__(name, output_names, label_names)

    @staticmethod
    def _value(diff: numpy.ndarray) -> Any:
        return (diff ** 2.0).mean()


@register
class RMSE(_Regression):
    """Root mean squared error of each update, averaged over updates."""

    def __init__(self, name: str = "rmse", output_names: Optional[List[str]] = None,
                 label_names: Optional[List[str]] = None) -> None:
        super().__init__(name, output_names, label_names)

    @staticmethod
    def _value(diff: numpy.ndarray) -> Any:
        return numpy.sqrt((diff ** 2.0).mean())


class _Likelihood(EvalMetric):
    def __init__(self, eps: float, name: str, output_names: Optional[List[str]],
                 label_names: Optional[List[str]]) -> None:
        super().__init__(name, eps=eps, output_names=output_names, label_names=label_names, has_global_stats=True)
        self.eps = eps

    def update(self, labels: Any, preds: Any) -> None:
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            label, pred = _host(label).ravel(), _host(pred)
            if pred.ndim != 2 or label.shape[0] != pred.shape[0]:
                raise ValueError(f"{type(self).__name__}: expected (N, classes) probabilities and N labels, got "
                                 f"predictions {pred.shape} and labels {label.shape}")
            cls = numpy.int64(label) if label.ndim == 0 else label.astype(numpy.int64)
            if cls.size and (cls.min() < 0 or cls.max() >= pred.shape[1]):
                raise ValueError(f"{type(self).__name__}: labels must be class indices in [0, {pred.shape[1]}), "
                                 f"got values in [{cls.min()}, {cls.max()}]")
            prob = pred[numpy.arange(label.shape[0]), cls]
            self._add((-numpy.log(prob + self.eps)).sum(), label.shape[0])


@register
@alias("ce")
class CrossEntropy(_Likelihood):
    """Mean of ``-log(p[label] + eps)`` over samples; ``pred`` is (N, classes) probabilities."""

    def __init__(self, eps: float = 1e-12, name: str = "cross-entropy", output_names: Optional[List[str]] = None,
                 label_names: Optional[List[str]] = None) -> None:
        super().__init__(eps, name, output_names, label_names)


@register
@alias("nll_loss")
class NegativeLogLikelihood(_Likelihood):
    """Mean negative log likelihood ``-log(p[label] + eps)``; ``pred`` is (N, classes) probabilities."""

    def __init__(self, eps: float = 1e-12, name: str = "nll-loss", output_names: Optional[List[str]] = None,
                 label_names: Optional[List[str]] = None) -> None:
        super().__init__(eps, name, output_names, label_names)


@register
@alias("pearsonr")
class PearsonCorrelation(EvalMetric):
    """Pearson correlation of flattened predictions and labels: 'macro' averages the per-update
    coefficient, 'micro' pools every value seen (streaming means and sums of squares)."""

    def __init__(self, name: str = "pearsonr", output_names: Optional[List[str]] = None,
                 label_names: Optional[List[str]] = None, average: str = "macro") -> None:
        self.average = average
        super().__init__(name, output_names=output_names, label_names=label_names, has_global_stats=True)

    def reset_micro(self) -> None:
        self._sse_p = self._mean_p = self._sse_l = self._mean_l = 0.0
        self._pred_nums = self._label_nums = 0
        self._conv = 0.0

    def reset(self) -> None:
        super().reset()
        if self.average == "micro":
            self.reset_micro()

    @staticmethod
    def _streamed(values: numpy.ndarray, count: int, mean: float, m2: float) -> Tuple[int, float, float]:
        count += len(values)
        delta = values - mean
        mean += numpy.sum(delta / count)
        m2 += numpy.sum(delta * (values - mean))
        return count, mean, m2

    def update(self, labels: Any, preds: Any) -> None:
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            check_label_shapes(label, pred, False, True)
            label = _host(label).ravel().astype(numpy.float64)
            pred = _host(pred).ravel().astype(numpy.float64)
            if self.average == "macro":
                self._add(numpy.corrcoef(pred, label)[0, 1], 1)
            else:
                self.num_inst += 1
                self.global_num_inst += 1
                self._label_nums, self._mean_l, self._sse_l = self._streamed(
                    label, self._label_nums, self._mean_l, self._sse_l)
                self._conv = self._conv + numpy.sum((label - self._mean_l) * (pred - self._mean_p))
                self._pred_nums, self._mean_p, self._sse_p = self._streamed(
                    pred, self._pred_nums, self._mean_p, self._sse_p)

    def get(self) -> Tuple[str, Any]:
        if self.num_inst == 0:
            return self.name, float("nan")
        if self.average == "macro":
            return self.name, self.sum_metric / self.num_inst
        n = self._label_nums
        return self.name, self._conv / ((n - 1) * numpy.sqrt(self._sse_p / (n - 1))
                                        * numpy.sqrt(self._sse_l / (n - 1)))


@register
class PCC(EvalMetric):
    """Multiclass Matthews correlation from the K x K confusion matrix ``C`` (rows: predicted class, columns:
    true class), with ``n = sum(C)``, ``x = C.sum(1)``, ``y = C.sum(0)``::

        pcc = sum(diag(C) * n - x * y) / sqrt(sum(x * (n - x)) * sum(y * (n - y)))     (nan if a factor is 0)

    For two classes it equals :class:`MCC`. Predictions shaped unlike the labels are class scores (argmax over
    axis 1); otherwise they are class indices. ``K`` starts at 2 and grows with the largest class seen.
    ``get()`` is the coefficient of everything since the last reset (``num_inst`` counts updates).
    """

    def __init__(self, name: str = "pcc", output_names: Optional[List[str]] = None,
                 label_names: Optional[List[str]] = None, has_global_stats: bool = True) -> None:
        self.k = 2
        super().__init__(name=name, output_names=output_names, label_names=label_names,
                         has_global_stats=has_global_stats)

    def _grow(self, inc: int) -> None:
        self.lcm = numpy.pad(self.lcm, ((0, inc), (0, inc)), "constant")
        self.gcm = numpy.pad(self.gcm, ((0, inc), (0, inc)), "constant")
        self.k += inc

    @staticmethod
    def _calc_mcc(cmat: numpy.ndarray) -> float:
        n = cmat.sum()
        x, y = cmat.sum(axis=1), cmat.sum(axis=0)
        cov_xx, cov_yy = numpy.sum(x * (n - x)), numpy.sum(y * (n - y))
        if cov_xx == 0 or cov_yy == 0:
            return float("nan")
        cov_xy = numpy.sum(cmat.diagonal() * n - x * y)
        return cov_xy / (cov_xx * cov_yy) ** 0.5

    def update(self, labels: Any, preds: Any) -> None:
        labels, preds = check_label_shapes(labels, preds, True)
        for label, pred in zip(labels, preds):
            label = _host(label).astype("int32")
            pred = _host(pred)
            pred = pred.argmax(axis=1) if pred.shape != label.shape else pred.astype("int32")
            if pred.size:
                n = int(max(pred.max(), label.max()))
                if n >= self.k:
                    self._grow(n + 1 - self.k)
            bcm = numpy.zeros((self.k, self.k))
            numpy.add.at(bcm, (pred.ravel(), label.ravel()), 1)
            self.lcm += bcm
            self.gcm += bcm
        self.num_inst += 1
        self.global_num_inst += 1

    @property
    def sum_metric(self) -> float:
        return self._calc_mcc(self.lcm) * self.num_inst

    @sum_metric.setter
    def sum_metric(self, value: float) -> None:   # the base class's reset assigns it; the matrix is the state
        pass

    @property
    def global_sum_metric(self) -> float:
        return self._calc_mcc(self.gcm) * self.global_num_inst

    @global_sum_metric.setter
    def global_sum_metric(self, value: float) -> None:
        pass

    def reset(self) -> None:
        self.global_num_inst = 0
        self.gcm = numpy.zeros((self.k, self.k))
        self.reset_local()

    def reset_local(self) -> None:
        self.num_inst = 0
        self.lcm = numpy.zeros((self.k, self.k))


@register
class Loss(EvalMetric):
    """Mean of the values of loss outputs (labels are ignored): ``sum(pred) / pred.size``."""

    def __init__(self, name: str = "loss", output_names: Optional[List[str]] = None,
                 label_names: Optional[List[str]] = None) -> None:
        super().__init__(name, output_names=output_names, label_names=label_names, has_global_stats=True)

    def update(self, _: Any, preds: Any) -> None:
        if _is_array(preds):
            preds = [preds]
        for pred in preds:
            pred = _host(pred)
            self._add(float(pred.sum(dtype=pred.dtype if pred.dtype.kind == "f" else None)), pred.size)


@register
class Torch(Loss):
    """Alias of :class:`Loss` named 'torch'."""

    def __init__(self, name: str = "torch", output_names: Optional[List[str]] = None,
                 label_names: Optional[List[str]] = None) -> None:
        super().__init__(name, output_names, label_names)


@register
class Caffe(Loss):
    """Alias of :class:`Loss` named 'caffe'."""

    def __init__(self, name: str = "caffe", output_names: Optional[List[str]] = None,
                 label_names: Optional[List[str]] = None) -> None:
        super().__init__(name, output_names, label_names)


@register
class CustomMetric(EvalMetric):
    """A metric from ``feval(label, pred)`` on NumPy arrays, returning a value (counted once) or a
    ``(sum_metric, num_inst)`` pair. Name defaults to ``feval.__name__`` (``custom(<lambda>)``)."""

    def __init__(self, feval: Callable[[numpy.ndarray, numpy.ndarray], Any], name: Optional[str] = None,
                 allow_extra_outputs: bool = False, output_names: Optional[List[str]] = None,
                 label_names: Optional[List[str]] = None) -> None:
        if name is None:
            name = feval.__name__
            if "<" in name:
                name = f"custom({name})"
        super().__init__(name, feval=feval, allow_extra_outputs=allow_extra_outputs, output_names=output_names,
                         label_names=label_names, has_global_stats=True)
        self._feval = feval
        self._allow_extra_outputs = allow_extra_outputs

    def update(self, labels: Any, preds: Any) -> None:
        if not self._allow_extra_outputs:
            labels, preds = check_label_shapes(labels, preds, True)
        elif _is_array(labels) or _is_array(preds):
            labels = [labels] if _is_array(labels) else labels
            preds = [preds] if _is_array(preds) else preds
        for pred, label in zip(preds, labels):
            value = self._feval(_host(label), _host(pred))
            if isinstance(value, tuple):
                self._add(value[0], value[1])
            else:
                self._add(value, 1)

    def get_config(self) -> Dict[str, Any]:
        raise NotImplementedError("CustomMetric cannot be serialized")


def np(numpy_feval: Callable[[numpy.ndarray, numpy.ndarray], Any], name: Optional[str] = None,
       allow_extra_outputs: bool = False) -> CustomMetric:
    """A :class:`CustomMetric` from a function of NumPy ``(label, pred)``, named after the function."""
    def feval(label: numpy.ndarray, pred: numpy.ndarray) -> Any:
        return numpy_feval(label, pred)

    feval.__name__ = numpy_feval.__name__
    return CustomMetric(feval, name, allow_extra_outputs)


__all__ = ["EvalMetric", "CompositeEvalMetric", "Accuracy", "TopKAccuracy", "F1", "MCC", "Perplexity", "MAE", "MSE",
           "RMSE", "CrossEntropy", "NegativeLogLikelihood", "PearsonCorrelation", "PCC", "Loss", "Torch", "Caffe",
           "CustomMetric", "create", "np", "register", "alias", "check_label_shapes"]
