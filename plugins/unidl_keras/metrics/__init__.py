"""``keras.metrics``: stateful metric classes, per-sample metric functions, lookup by name (``get``)."""
from __future__ import annotations

import inspect
from typing import Any, Dict, Optional

from ..backend.common import snake_case
from ..losses.losses import categorical_focal_crossentropy
from ..losses.losses import (binary_crossentropy, binary_focal_crossentropy, categorical_crossentropy,
                             categorical_hinge, hinge, huber, kl_divergence, log_cosh, mean_absolute_error,
                             mean_absolute_percentage_error, mean_squared_error, mean_squared_logarithmic_error,
                             poisson, sparse_categorical_crossentropy, squared_hinge)
from .accuracy_metrics import (Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy,
                               SparseTopKCategoricalAccuracy, TopKCategoricalAccuracy, accuracy, binary_accuracy,
                               categorical_accuracy, sparse_categorical_accuracy, sparse_top_k_categorical_accuracy,
                               top_k_categorical_accuracy)
from .confusion_metrics import (AUC, FalseNegatives, FalsePositives, Precision, PrecisionAtRecall, Recall,
                                RecallAtPrecision, SensitivityAtSpecificity, SpecificityAtSensitivity, TrueNegatives,
                                TruePositives)
from .correlation_metrics import (ConcordanceCorrelation, PearsonCorrelation, concordance_correlation,
                                  pearson_correlation)
from .f_score_metrics import F1Score, FBetaScore
from .hinge_metrics import CategoricalHinge, Hinge, SquaredHinge
from .iou_metrics import IoU, BinaryIoU, MeanIoU, OneHotIoU, OneHotMeanIoU
from .metric import Metric
from .probabilistic_metrics import (BinaryCrossentropy, CategoricalCrossentropy, KLDivergence, Poisson,
                                    SparseCategoricalCrossentropy)
from .reduction_metrics import Mean, MeanMetricWrapper, Sum
from .regression_metrics import (CosineSimilarity, LogCoshError, MeanAbsoluteError, MeanAbsolutePercentageError,
                                 MeanSquaredError, MeanSquaredLogarithmicError, R2Score, RootMeanSquaredError)

_CLASSES = [Metric, Mean, Sum, MeanMetricWrapper, MeanSquaredError, RootMeanSquaredError, MeanAbsoluteError,
            MeanAbsolutePercentageError, MeanSquaredLogarithmicError, CosineSimilarity, LogCoshError, AUC,
            FalseNegatives, FalsePositives, Precision, Recall, TrueNegatives, TruePositives, Hinge, SquaredHinge,
            CategoricalHinge, KLDivergence, Poisson, BinaryCrossentropy, CategoricalCrossentropy,
            SparseCategoricalCrossentropy, Accuracy, BinaryAccuracy, CategoricalAccuracy, SparseCategoricalAccuracy,
            TopKCategoricalAccuracy, SparseTopKCategoricalAccuracy, SensitivityAtSpecificity,
            SpecificityAtSensitivity, PrecisionAtRecall, RecallAtPrecision, R2Score, F1Score, FBetaScore, IoU,
            BinaryIoU, MeanIoU, OneHotIoU, OneHotMeanIoU, PearsonCorrelation, ConcordanceCorrelation]
_FUNCTIONS = [binary_accuracy, categorical_accuracy, sparse_categorical_accuracy, top_k_categorical_accuracy,
              sparse_top_k_categorical_accuracy, binary_crossentropy, binary_focal_crossentropy,
              categorical_crossentropy, sparse_categorical_crossentropy, categorical_hinge, hinge, squared_hinge,
              huber, kl_divergence, log_cosh, mean_absolute_error, mean_absolute_percentage_error,
              mean_squared_error, mean_squared_logarithmic_error, poisson, categorical_focal_crossentropy,
              pearson_correlation, concordance_correlation]

#: name -> class, as Keras 3 resolves ``get(name)``: class names and their snake_case (plus short aliases).
ALL_OBJECTS_DICT: Dict[str, Any] = {c.__name__: c for c in _CLASSES}
ALL_OBJECTS_DICT.update({snake_case(c.__name__): c for c in _CLASSES})
ALL_OBJECTS_DICT.update({"bce": BinaryCrossentropy, "BCE": BinaryCrossentropy, "mse": MeanSquaredError,
                         "MSE": MeanSquaredError, "mae": MeanAbsoluteError, "MAE": MeanAbsoluteError,
                         "mape": MeanAbsolutePercentageError, "MAPE": MeanAbsolutePercentageError,
                         "msle": MeanSquaredLogarithmicError, "MSLE": MeanSquaredLogarithmicError})
_FN_BY_NAME: Dict[str, Any] = {f.__name__: f for f in _FUNCTIONS}
_FN_BY_NAME["accuracy"] = accuracy

__all__ = [c.__name__ for c in _CLASSES] + [f.__name__ for f in _FUNCTIONS] + ["get", "serialize", "deserialize"]


def serialize(metric: Any) -> Any:
    """A config dict for a ``Metric`` instance or a metric function (None -> None)."""
    from ..saving.object_config import serialize_object

    return serialize_object(metric, "keras.metrics", "metric", Metric)


def _deserialize_fn(config: Any) -> Any:
    """A function from a serialized function entry (metric or loss function names)."""
    name = config.get("config") if isinstance(config, dict) else config
    fn = _FN_BY_NAME.get(name)
    if fn is None:
        from .. import losses

        fn = losses.deserialize(config)
    return fn


def deserialize(config: Any, custom_objects: Optional[Dict[str, Any]] = None) -> Any:
    """A ``Metric`` instance or metric function from :func:`serialize`'s output or a name."""
    custom = custom_objects or {}
    if isinstance(config, str):
        obj = custom.get(config) or ALL_OBJECTS_DICT.get(config) or _FN_BY_NAME.get(config)
        if obj is None:
            raise ValueError(f"Could not interpret metric identifier: {config}")
        return obj() if inspect.isclass(obj) else obj
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"Could not interpret metric identifier: {config}")
    if config["class_name"] == "function":
        name = config.get("config")
        if name in custom:
            return custom[name]
        return _deserialize_fn(config)
    cls = custom.get(config["class_name"]) or ALL_OBJECTS_DICT.get(config["class_name"])
    if cls is None or not inspect.isclass(cls):
        raise ValueError(f"Could not interpret metric identifier: {config}")
    return cls.from_config(dict(config.get("config") or {}))


def get(identifier: Any) -> Any:
    """A metric from None, a name (``'accuracy'``, ``'mse'``, ``'auc'``, ``'CategoricalAccuracy'``: an
    instance), a config dict, a ``Metric`` instance or class, or a callable (returned as is).

    Raises ValueError for anything else (``Could not interpret metric identifier: ...``).
    """
    from ..saving.object_config import get_object

    return get_object(identifier, ALL_OBJECTS_DICT, "metric", deserialize, base=object)
