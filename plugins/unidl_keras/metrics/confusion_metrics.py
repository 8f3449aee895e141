"""Threshold metrics: confusion counts (TP/FP/TN/FN), Precision, Recall and AUC.

A prediction is positive at threshold ``t`` when ``y_pred > t`` (strictly); a label is positive when
it is non-zero. Counts are weighted by ``sample_weight`` and accumulated per threshold in Variables.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence

import numpy as np

from unidl import ops
from unidl.tensor import Tensor

from ..backend import config
from ..backend.common import convert_to_tensor
from ..losses.loss import divide_no_nan, squeeze_or_expand_to_same_rank
from .metric import Metric
from .metrics_utils import AUCCurve, AUCSummationMethod

#: Score given to entries outside the top-k (Keras's value).
NEG_INF = -1e10
TP, FP, TN, FN = "tp", "fp", "tn", "fn"


def _to_list(x: Any) -> List[Any]:
    return list(x) if isinstance(x, (list, tuple, np.ndarray)) else [x]


def parse_init_thresholds(thresholds: Any, default_threshold: float = 0.5) -> List[float]:
    """The thresholds as a list (``None`` -> ``[default_threshold]``); each given one must lie in [0, 1]."""
    if thresholds is not None:
        bad = [t for t in _to_list(thresholds) if t is None or t < 0 or t > 1]
        if bad:
            raise ValueError(f"Threshold values must be in [0, 1]. Received: {bad}")
        return [float(t) for t in _to_list(thresholds)]
    return [float(default_threshold)]


def is_evenly_distributed_thresholds(thresholds: Sequence[float]) -> bool:
    """Whether ``thresholds`` are ``i / (n - 1)`` for ``i = 0..n-1`` (n >= 3), up to the fuzz factor."""
    n = len(thresholds)
    if n < 3:
        return False
    return bool(np.allclose(np.asarray(thresholds, dtype=np.float64), np.arange(n) / (n - 1), atol=config.epsilon()))


def filter_top_k(x: Tensor, k: int) -> Tensor:
    """``x`` with every entry outside its row's ``k`` largest (last axis) replaced by ``NEG_INF``.

    Exactly ``k`` entries per row stay, as Keras's ``ops.top_k`` mask: among equal values the first
    ones (lowest index) are kept, so ties never widen the prediction set.
    """
    k = int(k)
    n = x.shape[-1]
    if k >= n:
        return x
    idx = ops.argsort(x, axis=-1, descending=True)[..., :k]  # stable: ties keep the lowest index first
    keep = ops.greater(ops.sum(ops.one_hot(idx, n, dtype=x.dtype), axis=-2), 0)
    return ops.where(keep, x, ops.full_like(x, NEG_INF))


def update_confusion_matrix_variables(variables: Dict[str, Any], y_true: Any, y_pred: Any, thresholds: Sequence[float],
                                      top_k: Optional[int] = None, class_id: Optional[int] = None,
                                      sample_weight: Any = None, multi_label: bool = False, label_weights: Any = None,
                                      clip_predictions: bool = False) -> None:
    """Add this batch's weighted confusion counts at each threshold into ``variables`` ({'tp': var, ...}).

    Shapes: y_true, y_pred (B, ...) (a trailing size-1 axis on either is aligned); sample_weight
    broadcastable to y_pred. Without ``multi_label`` the entries are pooled -> counts (T,); with it,
    y_pred (B, L) -> counts (T, L). ``clip_predictions`` clips y_pred to [0, 1] first (AUC's even grid).
    """
    dtype = next(iter(variables.values())).dtype
    p = convert_to_tensor(y_pred, dtype=dtype)
    t = convert_to_tensor(y_true, dtype=dtype)
    p, t = squeeze_or_expand_to_same_rank(p, t)
    if sample_weight is not None:
        sw = ops.expand_dims(convert_to_tensor(sample_weight, dtype=dtype), -1)
        _, sw = squeeze_or_expand_to_same_rank(t, sw, expand_rank_1=False)
    else:
        sw = None
    if top_k is not None:
        p = filter_top_k(p, top_k)
    if class_id is not None:
        if p.ndim == 1:
            raise ValueError("When class_id is provided, y_pred must be a 2D array with shape (num_samples, "
                             f"num_classes), found shape: {tuple(p.shape)}")
        p = p[..., class_id, None]
        t = t[..., class_id, None]
    if clip_predictions:
        p = ops.clip(p, 0.0, 1.0)
    if t.shape != p.shape:
        t = ops.broadcast_to(t, p.shape)
    w = None
    if sw is not None:
        w = ops.broadcast_to(sw, p.shape)
    if label_weights is not None and not multi_label:
        lw = ops.broadcast_to(convert_to_tensor(label_weights, dtype=dtype), p.shape)
        w = lw if w is None else ops.multiply(w, lw)
    thr = convert_to_tensor(np.asarray(thresholds, dtype=np.float64), dtype=dtype)
    if multi_label:  # (B, L) -> thresholds on a leading axis: (T, B, L), summed over B
        pe, te = ops.expand_dims(p, 0), ops.expand_dims(ops.not_equal(t, 0), 0)
        th = ops.reshape(thr, (-1, 1, 1))
        we = None if w is None else ops.expand_dims(w, 0)
    else:  # pooled: (T, N)
        pe, te = ops.reshape(p, (1, -1)), ops.reshape(ops.not_equal(t, 0), (1, -1))
        th = ops.reshape(thr, (-1, 1))
        we = None if w is None else ops.reshape(w, (1, -1))
    pred_pos = ops.greater(pe, th)
    pred_neg = ops.logical_not(pred_pos)
    label_neg = ops.logical_not(te)
    conds = {TP: (te, pred_pos), FP: (label_neg, pred_pos), TN: (label_neg, pred_neg), FN: (te, pred_neg)}
    for key, var in variables.items():
        if key not in conds:
            raise ValueError(f"Invalid confusion matrix key: {key!r}; expected one of {list(conds)}")
        both = ops.logical_and(*conds[key])
        counts = ops.astype(both, dtype)
        if we is not None:
            counts = ops.multiply(counts, we)
        var.assign_add(ops.sum(counts, axis=1))


class _ConfusionMatrixConditionCount(Metric):
    """The weighted count of one confusion-matrix cell at each threshold."""

    _cond = TP

    def __init__(self, thresholds: Any = None, name: Optional[str] = None, dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.thresholds = parse_init_thresholds(thresholds, default_threshold=0.5)
        self._even = is_evenly_distributed_thresholds(self.thresholds)
        self.accumulator = self.add_variable(shape=(len(self.thresholds),), initializer="zeros", name="accumulator")

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        update_confusion_matrix_variables({self._cond: self.accumulator}, y_true, y_pred, self.thresholds,
                                          sample_weight=sample_weight, clip_predictions=self._even)

    def result(self) -> Tensor:
        acc = self.accumulator._plain()
        return acc[0] if len(self.thresholds) == 1 else acc

    def get_config(self) -> Dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype, "thresholds": self.init_thresholds}


class TruePositives(_ConfusionMatrixConditionCount):
    """Weighted count of positive labels predicted positive (``y_pred > threshold``)."""
    _cond = TP

    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(thresholds=thresholds, name=name, dtype=dtype)


class FalsePositives(_ConfusionMatrixConditionCount):
    """Weighted count of negative labels predicted positive."""
    _cond = FP

    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(thresholds=thresholds, name=name, dtype=dtype)


class TrueNegatives(_ConfusionMatrixConditionCount):
    """Weighted count of negative labels predicted negative."""
    _cond = TN

    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(thresholds=thresholds, name=name, dtype=dtype)


class FalseNegatives(_ConfusionMatrixConditionCount):
    """Weighted count of positive labels predicted negative."""
    _cond = FN

    def __init__(self, thresholds=None, name=None, dtype=None):
        super().__init__(thresholds=thresholds, name=name, dtype=dtype)


class _PrecisionRecall(Metric):
    _second = FP
    _second_name = "false_positives"

    def __init__(self, thresholds: Any = None, top_k: Optional[int] = None, class_id: Optional[int] = None,
                 name: Optional[str] = None, dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)
        self.init_thresholds = thresholds
        self.top_k = top_k
        self.class_id = class_id
        default = 0.5 if top_k is None else NEG_INF
        self.thresholds = parse_init_thresholds(thresholds, default_threshold=default)
        self._even = is_evenly_distributed_thresholds(self.thresholds)
        n = len(self.thresholds)
        self.true_positives = self.add_variable(shape=(n,), initializer="zeros", name="true_positives")
        setattr(self, self._second_name, self.add_variable(shape=(n,), initializer="zeros", name=self._second_name))

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        update_confusion_matrix_variables({TP: self.true_positives, self._second: getattr(self, self._second_name)},
                                          y_true, y_pred, self.thresholds, top_k=self.top_k, class_id=self.class_id,
                                          sample_weight=sample_weight, clip_predictions=self._even)

    def result(self) -> Tensor:
        tp = self.true_positives._plain()
        other = getattr(self, self._second_name)._plain()
        r = divide_no_nan(tp, ops.add(tp, other))
        return r[0] if len(self.thresholds) == 1 else r

    def get_config(self) -> Dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype, "thresholds": self.init_thresholds, "top_k": self.top_k,
                "class_id": self.class_id}


class Precision(_PrecisionRecall):
    """``TP / (TP + FP)`` at each threshold (default 0.5; with ``top_k``, the top-k entries are positive).

    Args:
        thresholds: a float or list of floats in [0, 1]; the result has one value per threshold
            (a scalar for one).
        top_k: only the ``k`` highest predictions per row count as positive.
        class_id: only this class's column is scored.
    """
    _second, _second_name = FP, "false_positives"


class Recall(_PrecisionRecall):
    """``TP / (TP + FN)`` at each threshold; arguments as :class:`Precision`."""
    _second, _second_name = FN, "false_negatives"


_CURVES = {"roc": "ROC", "pr": "PR", "prgain": "PRGAIN"}
_SUMMATIONS = {"interpolation": "interpolation", "majoring": "majoring", "minoring": "minoring"}


class AUC(Metric):
    """Area under the ROC or PR curve, from confusion counts at ``num_thresholds`` thresholds.

    Args:
        num_thresholds: thresholds evenly spaced in [0, 1] (the end ones moved by the fuzz factor
            to -eps and 1 + eps, so predictions of exactly 0 or 1 are handled).
        curve: 'ROC' (true-positive rate against false-positive rate) or 'PR' (precision against recall)
            or 'PRGAIN'.
        summation_method: 'interpolation' (trapezoids for ROC; Davis & Goadrich's interpolation for
            PR), 'minoring' or 'majoring' (lower / upper Riemann sums).
        thresholds: explicit interior thresholds (overrides ``num_thresholds``).
        multi_label: y_pred (B, L): one curve per label, averaged (weighted by ``label_weights``).
        label_weights: per-label weights (pooled: weight the entries; multi-label: weight the average).
        from_logits: apply a sigmoid to ``y_pred`` first.
    """

    def __init__(self, num_thresholds: int = 200, curve: str = "ROC", summation_method: str = "interpolation",
                 name: Optional[str] = None, dtype: Any = None, thresholds: Any = None, multi_label: bool = False,
                 num_labels: Optional[int] = None, label_weights: Any = None, from_logits: bool = False) -> None:
        c = _CURVES.get(str(getattr(curve, "value", curve)).lower())
        if c is None:
            raise ValueError(f'Invalid AUC curve value: "{curve}". Expected values are ["PR", "ROC", "PRGAIN"]')
        s = _SUMMATIONS.get(str(getattr(summation_method, "value", summation_method)).lower())
        if s is None:
            raise ValueError(f'Invalid AUC summation method value: "{summation_method}". Expected values are '
                             '["interpolation", "majoring", "minoring"]')
        self._init_from_thresholds = thresholds is not None
        if thresholds is not None:
            inner = sorted(float(t) for t in _to_list(thresholds))
            self.num_thresholds = len(inner) + 2
            self._even = is_evenly_distributed_thresholds([0.0] + inner + [1.0])
        else:
            if num_thresholds <= 1:
                raise ValueError(f"Argument `num_thresholds` must be an integer > 1. "
                                 f"Received: num_thresholds={num_thresholds}")
            self.num_thresholds = int(num_thresholds)
            inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self._even = True
        eps = config.epsilon()
        self._thresholds = np.array([0.0 - eps] + inner + [1.0 + eps])
        self.curve = AUCCurve(c)  # str enums, as Keras's metrics_utils (they still equal "PR", "ROC", ...)
        self.summation_method = AUCSummationMethod(s)
        super().__init__(name=name, dtype=dtype)
        self.multi_label = bool(multi_label)
        self.num_labels = num_labels
        self.label_weights = None if label_weights is None else convert_to_tensor(label_weights, dtype=self.dtype)
        self._from_logits = bool(from_logits)
        self._built = False
        if self.multi_label:
            if num_labels:
                self._build((None, num_labels))
        else:
            if num_labels:
                raise ValueError("`num_labels` is needed only when `multi_label` is True.")
            self._build(None)

    @property
    def thresholds(self) -> List[float]:
        """All thresholds, including the -eps and 1 + eps ends."""
        return list(self._thresholds)

    def _build(self, shape: Any) -> None:
        if self.multi_label:
            if len(shape) != 2:
                raise ValueError(f"`y_pred` must have rank 2 when `multi_label=True`. Found rank {len(shape)}. "
                                 f"Full shape received for `y_pred`: {shape}")
            self._num_labels = int(shape[1])
            vshape: tuple = (self.num_thresholds, self._num_labels)
        else:
            vshape = (self.num_thresholds,)
        self.true_positives = self.add_variable(shape=vshape, initializer="zeros", name="true_positives")
        self.false_positives = self.add_variable(shape=vshape, initializer="zeros", name="false_positives")
        self.true_negatives = self.add_variable(shape=vshape, initializer="zeros", name="true_negatives")
        self.false_negatives = self.add_variable(shape=vshape, initializer="zeros", name="false_negatives")
        self._built = True

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        p = convert_to_tensor(y_pred)
        if not self._built:
            self._build(p.shape)
        if self._from_logits:
            p = ops.sigmoid(p)
        update_confusion_matrix_variables(
            {TP: self.true_positives, TN: self.true_negatives, FP: self.false_positives, FN: self.false_negatives},
            y_true, p, self._thresholds, sample_weight=sample_weight, multi_label=self.multi_label,
            label_weights=None if self.multi_label else self.label_weights, clip_predictions=self._even)

    def _by_label(self, per_label: Tensor) -> Tensor:
        if not self.multi_label:
            return ops.sum(per_label)
        by_label = ops.sum(per_label, axis=0)
        if self.label_weights is None:
            return ops.mean(by_label)
        return divide_no_nan(ops.sum(ops.multiply(by_label, self.label_weights)), ops.sum(self.label_weights))

    def interpolate_pr_auc(self) -> Tensor:
        """PR-AUC with precision interpolated between thresholds as TP varies linearly with TP + FP
        (Davis & Goadrich 2006)."""
        tp, fp, fn = (v._plain() for v in (self.true_positives, self.false_positives, self.false_negatives))
        n = self.num_thresholds
        dtp = ops.subtract(tp[: n - 1], tp[1:])
        pos = ops.add(tp, fp)
        dp = ops.subtract(pos[: n - 1], pos[1:])
        slope = divide_no_nan(dtp, ops.maximum(dp, 0.0))
        intercept = ops.subtract(tp[1:], ops.multiply(slope, pos[1:]))
        both = ops.logical_and(ops.greater(pos[: n - 1], 0), ops.greater(pos[1:], 0))
        ratio = ops.where(both, divide_no_nan(pos[: n - 1], ops.maximum(pos[1:], 0.0)), ops.ones_like(pos[1:]))
        inc = divide_no_nan(ops.multiply(slope, ops.add(dtp, ops.multiply(intercept, ops.log(ratio)))),
                            ops.maximum(ops.add(tp[1:], fn[1:]), 0.0))
        return self._by_label(inc)

    def result(self) -> Tensor:
        if self.curve == "PR" and self.summation_method == "interpolation":
            return self.interpolate_pr_auc()
        tp, fp, tn, fn = (v._plain() for v in (self.true_positives, self.false_positives, self.true_negatives,
                                                self.false_negatives))
        recall = divide_no_nan(tp, ops.add(tp, fn))
        if self.curve == "ROC":
            x, y = divide_no_nan(fp, ops.add(fp, tn)), recall
        elif self.curve == "PR":
            x, y = recall, divide_no_nan(tp, ops.add(tp, fp))
        else:  # PRGAIN
            scale = divide_no_nan(ops.add(tp, fn), ops.add(tn, fp))
            tp_zero = ops.equal(tp, 0.0)
            rg = ops.subtract(1.0, ops.multiply(scale, divide_no_nan(fn, tp)))
            pg = ops.subtract(1.0, ops.multiply(scale, divide_no_nan(fp, tp)))
            x = ops.maximum(ops.where(tp_zero, ops.zeros_like(rg), rg), 0.0)
            y = ops.where(tp_zero, ops.ones_like(pg), pg)
        n = self.num_thresholds
        if self.summation_method == "interpolation":
            heights = ops.divide(ops.add(y[: n - 1], y[1:]), 2.0)
        elif self.summation_method == "minoring":
            heights = ops.minimum(y[: n - 1], y[1:])
        else:
            heights = ops.maximum(y[: n - 1], y[1:])
        return self._by_label(ops.multiply(ops.subtract(x[: n - 1], x[1:]), heights))

    def reset_state(self) -> None:
        if self._built:
            for v in (self.true_positives, self.false_positives, self.true_negatives, self.false_negatives):
                v.assign(ops.zeros_like(v._plain()))

    def get_config(self) -> Dict[str, Any]:
        lw = self.label_weights
        cfg = {"name": self.name, "dtype": self.dtype, "num_thresholds": self.num_thresholds, "curve": self.curve.value,
               "summation_method": self.summation_method.value, "multi_label": self.multi_label,
               "num_labels": self.num_labels, "label_weights": None if lw is None else lw.numpy().tolist(),
               "from_logits": self._from_logits}
        if self._init_from_thresholds:
            cfg["thresholds"] = self.thresholds[1:-1]
        return cfg

# the direction of improvement Keras gives these metrics (EarlyStopping / ModelCheckpoint mode='auto')
Precision._direction = "up"
Recall._direction = "up"
AUC._direction = "up"


class SensitivitySpecificityBase(Metric):
    """Base of the metrics that maximise one rate subject to a floor on another, over ``num_thresholds``
    thresholds evenly spread over [0, 1] (``[0.5]`` for one). Keeps TP, FP, TN, FN per threshold."""

    def __init__(self, value: float, num_thresholds: int = 200, class_id: Optional[int] = None,
                 name: Optional[str] = None, dtype: Any = None) -> None:
        super().__init__(name=name, dtype=dtype)
        self._direction = "up"
        if num_thresholds <= 0:
            raise ValueError(f"Argument `num_thresholds` must be an integer > 0. Received: num_thresholds={num_thresholds}")
        self.value = value
        self.class_id = class_id
        if num_thresholds == 1:
            self.thresholds = [0.5]
            self._thresholds_distributed_evenly = False
        else:
            inner = [(i + 1) * 1.0 / (num_thresholds - 1) for i in range(num_thresholds - 2)]
            self.thresholds = [0.0] + inner + [1.0]
            self._thresholds_distributed_evenly = True
        n = len(self.thresholds)
        self.true_positives = self.add_variable(shape=(n,), initializer="zeros", name="true_positives")
        self.false_positives = self.add_variable(shape=(n,), initializer="zeros", name="false_positives")
        self.true_negatives = self.add_variable(shape=(n,), initializer="zeros", name="true_negatives")
        self.false_negatives = self.add_variable(shape=(n,), initializer="zeros", name="false_negatives")

    def update_state(self, y_true: Any, y_pred: Any, sample_weight: Any = None) -> None:
        update_confusion_matrix_variables({TP: self.true_positives, TN: self.true_negatives,
                                           FP: self.false_positives, FN: self.false_negatives},
                                          y_true, y_pred, self.thresholds, class_id=self.class_id,
                                          sample_weight=sample_weight,
                                          clip_predictions=self._thresholds_distributed_evenly)

    def _rates(self):
        tp, fp = self.true_positives._plain(), self.false_positives._plain()
        tn, fn = self.true_negatives._plain(), self.false_negatives._plain()
        return tp, fp, tn, fn

    def _find_max_under_constraint(self, constrained: Tensor, dependent: Tensor, predicate: Any) -> Tensor:
        """``max(dependent where predicate(constrained, value), else 0)``, at least 0."""
        feasible = predicate(constrained, self.value)
        picked = ops.where(feasible, dependent, ops.zeros_like(dependent))
        return ops.maximum(ops.max(picked), 0.0)

    def get_config(self) -> Dict[str, Any]:
        return {"name": self.name, "dtype": self.dtype, "class_id": self.class_id}


def _in_unit_range(arg: str, value: float) -> None:
    if value < 0 or value > 1:
        raise ValueError(f"Argument `{arg}` must be in the range [0, 1]. Received: {arg}={value}")


class SensitivityAtSpecificity(SensitivitySpecificityBase):
    """The best sensitivity (recall) among the thresholds whose specificity is >= ``specificity``."""

    def __init__(self, specificity: float, num_thresholds: int = 200, class_id: Optional[int] = None,
                 name: Optional[str] = None, dtype: Any = None) -> None:
        _in_unit_range("specificity", specificity)
        self.specificity = specificity
        self.num_thresholds = num_thresholds
        super().__init__(specificity, num_thresholds=num_thresholds, class_id=class_id, name=name, dtype=dtype)

    def result(self) -> Tensor:
        tp, fp, tn, fn = self._rates()
        sens = divide_no_nan(tp, ops.add(tp, fn))
        spec = divide_no_nan(tn, ops.add(tn, fp))
        return self._find_max_under_constraint(spec, sens, ops.greater_equal)

    def get_config(self) -> Dict[str, Any]:
        return {**super().get_config(), "num_thresholds": self.num_thresholds, "specificity": self.specificity}


class SpecificityAtSensitivity(SensitivitySpecificityBase):
    """The best specificity among the thresholds whose sensitivity (recall) is >= ``sensitivity``."""

    def __init__(self, sensitivity: float, num_thresholds: int = 200, class_id: Optional[int] = None,
                 name: Optional[str] = None, dtype: Any = None) -> None:
        _in_unit_range("sensitivity", sensitivity)
        self.sensitivity = sensitivity
        self.num_thresholds = num_thresholds
        super().__init__(sensitivity, num_thresholds=num_thresholds, class_id=class_id, name=name, dtype=dtype)

    def result(self) -> Tensor:
        tp, fp, tn, fn = self._rates()
        sens = divide_no_nan(tp, ops.add(tp, fn))
        spec = divide_no_nan(tn, ops.add(tn, fp))
        return self._find_max_under_constraint(sens, spec, ops.greater_equal)

    def get_config(self) -> Dict[str, Any]:
        return {**super().get_config(), "num_thresholds": self.num_thresholds, "sensitivity": self.sensitivity}


class PrecisionAtRecall(SensitivitySpecificityBase):
    """The best precision among the thresholds whose recall is >= ``recall``."""

    def __init__(self, recall: float, num_thresholds: int = 200, class_id: Optional[int] = None,
                 name: Optional[str] = None, dtype: Any = None) -> None:
        _in_unit_range("recall", recall)
        self.recall = recall
        self.num_thresholds = num_thresholds
        super().__init__(value=recall, num_thresholds=num_thresholds, class_id=class_id, name=name, dtype=dtype)

    def result(self) -> Tensor:
        tp, fp, tn, fn = self._rates()
        recalls = divide_no_nan(tp, ops.add(tp, fn))
        precisions = divide_no_nan(tp, ops.add(tp, fp))
        return self._find_max_under_constraint(recalls, precisions, ops.greater_equal)

    def get_config(self) -> Dict[str, Any]:
        return {**super().get_config(), "num_thresholds": self.num_thresholds, "recall": self.recall}


class RecallAtPrecision(SensitivitySpecificityBase):
    """The best recall among the thresholds whose precision is >= ``precision``."""

    def __init__(self, precision: float, num_thresholds: int = 200, class_id: Optional[int] = None,
                 name: Optional[str] = None, dtype: Any = None) -> None:
        _in_unit_range("precision", precision)
        self.precision = precision
        self.num_thresholds = num_thresholds
        super().__init__(value=precision, num_thresholds=num_thresholds, class_id=class_id, name=name, dtype=dtype)

    def result(self) -> Tensor:
        tp, fp, tn, fn = self._rates()
        recalls = divide_no_nan(tp, ops.add(tp, fn))
        precisions = divide_no_nan(tp, ops.add(tp, fp))
        return self._find_max_under_constraint(precisions, recalls, ops.greater_equal)

    def get_config(self) -> Dict[str, Any]:
        return {**super().get_config(), "num_thresholds": self.num_thresholds, "precision": self.precision}
