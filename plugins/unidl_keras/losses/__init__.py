"""``keras.losses``: loss classes, function forms, and lookup by name/config (``get``)."""
from __future__ import annotations

import inspect
from typing import Any, Dict, Optional

from .loss import Loss, reduce_weighted_values, squeeze_or_expand_to_same_rank, standardize_reduction  # noqa: F401
from .losses import (BinaryCrossentropy, BinaryFocalCrossentropy, CategoricalCrossentropy, CategoricalHinge,
                     CosineSimilarity, Hinge, Huber, KLDivergence, LogCosh, LossFunctionWrapper, MeanAbsoluteError,
                     MeanAbsolutePercentageError, MeanSquaredError, MeanSquaredLogarithmicError, Poisson,
                     SparseCategoricalCrossentropy, SquaredHinge, binary_crossentropy, binary_focal_crossentropy,
                     categorical_crossentropy, categorical_hinge, cosine_similarity, hinge, huber, kl_divergence,
                     log_cosh, mean_absolute_error, mean_absolute_percentage_error, mean_squared_error,
                     mean_squared_logarithmic_error, poisson, sparse_categorical_crossentropy, squared_hinge)
from .losses import (CTC, CategoricalFocalCrossentropy, CategoricalGeneralizedCrossEntropy, Circle, Dice, Tversky,
                     categorical_focal_crossentropy, categorical_generalized_cross_entropy, circle, ctc, dice,
                     tversky)

_CLASSES = [Loss, LossFunctionWrapper, KLDivergence, Poisson, BinaryCrossentropy, BinaryFocalCrossentropy,
            CategoricalCrossentropy, SparseCategoricalCrossentropy, MeanSquaredError, MeanAbsoluteError,
            MeanAbsolutePercentageError, MeanSquaredLogarithmicError, CosineSimilarity, LogCosh, Huber, Hinge,
            SquaredHinge, CategoricalHinge, CategoricalFocalCrossentropy, Dice, Tversky, Circle,
            CategoricalGeneralizedCrossEntropy, CTC]
_FUNCTIONS = [kl_divergence, poisson, binary_crossentropy, binary_focal_crossentropy, categorical_crossentropy,
              sparse_categorical_crossentropy, mean_squared_error, mean_absolute_error,
              mean_absolute_percentage_error, mean_squared_logarithmic_error, cosine_similarity, log_cosh, huber,
              hinge, squared_hinge, categorical_hinge, categorical_focal_crossentropy, dice, tversky, circle,
              categorical_generalized_cross_entropy, ctc]

#: name -> class or function, as Keras 3 resolves ``get(name)``.
ALL_OBJECTS_DICT: Dict[str, Any] = {o.__name__: o for o in _CLASSES + _FUNCTIONS}
for _alias, _fn in {"bce": binary_crossentropy, "kld": kl_divergence, "mae": mean_absolute_error,
                    "mse": mean_squared_error, "mape": mean_absolute_percentage_error,
                    "msle": mean_squared_logarithmic_error}.items():
    ALL_OBJECTS_DICT[_alias] = ALL_OBJECTS_DICT[_alias.upper()] = _fn
# Keras-2 era names still met in old code.
ALL_OBJECTS_DICT.update({"logcosh": log_cosh, "kullback_leibler_divergence": kl_divergence})

# Short names for the function forms (``keras.losses.mse(...)`` etc.).
mse = MSE = mean_squared_error
mae = MAE = mean_absolute_error
mape = MAPE = mean_absolute_percentage_error
msle = MSLE = mean_squared_logarithmic_error
kld = KLD = kl_divergence
bce = BCE = binary_crossentropy

__all__ = [o.__name__ for o in _CLASSES + _FUNCTIONS] + ["get", "serialize", "deserialize", "Reduction"]


def serialize(loss: Any) -> Any:
    """A config dict for a ``Loss`` instance or a loss function (None -> None)."""
    from ..saving.object_config import serialize_object

    return serialize_object(loss, "keras.losses", "loss", Loss)


def deserialize(config: Any, custom_objects: Optional[Dict[str, Any]] = None) -> Any:
    """A ``Loss`` instance or loss function from :func:`serialize`'s output or a name."""
    custom = custom_objects or {}
    if isinstance(config, str):
        obj = custom.get(config) or ALL_OBJECTS_DICT.get(config)
        if obj is None:
            raise ValueError(f"Could not interpret loss identifier: {config}")
        return obj() if inspect.isclass(obj) else obj
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"Could not interpret loss identifier: {config}")
    cls_name = config["class_name"]
    if cls_name in ("function", "builtins.function"):
        name = config.get("config")
        fn = custom.get(name) or ALL_OBJECTS_DICT.get(name)
        if fn is None or inspect.isclass(fn):
            raise ValueError(f"Could not interpret loss identifier: {config}")
        return fn
    cls = custom.get(cls_name) or ALL_OBJECTS_DICT.get(cls_name)
    if cls is None or not inspect.isclass(cls):
        raise ValueError(f"Could not interpret loss identifier: {config}")
    return cls.from_config(dict(config.get("config") or {}))


def get(identifier: Any) -> Any:
    """A loss from None, a name (``'mse'``, ``'categorical_crossentropy'``: the function;
    ``'MeanSquaredError'``: an instance), a config dict, a ``Loss`` instance or class, or a callable.

    Raises ValueError for anything else (``Could not interpret loss identifier: ...``).
    """
    from ..saving.object_config import get_object

    return get_object(identifier, ALL_OBJECTS_DICT, "loss", deserialize, base=object)


class Reduction:
    """The reduction names (``keras.losses.Reduction``-style constants)."""
    NONE = "none"
    SUM = "sum"
    SUM_OVER_BATCH_SIZE = "sum_over_batch_size"
    MEAN = "mean"
    MEAN_WITH_SAMPLE_WEIGHT = "mean_with_sample_weight"

    @classmethod
    def all(cls):
        return ("sum_over_batch_size", "sum", "none", "mean", "mean_with_sample_weight")


