"""``keras.src.metrics.metrics_utils``: the enums Keras's confusion-matrix metrics are configured with."""
from __future__ import annotations

from enum import Enum
from typing import Any


class ConfusionMatrix(str, Enum):
    TRUE_POSITIVES = "tp"
    FALSE_POSITIVES = "fp"
    TRUE_NEGATIVES = "tn"
    FALSE_NEGATIVES = "fn"


class AUCCurve(str, Enum):
    """Type of AUC curve: ROC or PR (PRGAIN is accepted by name)."""

    ROC = "ROC"
    PR = "PR"
    PRGAIN = "PRGAIN"

    @staticmethod
    def from_str(key: str) -> "AUCCurve":
        for member in AUCCurve:
            if str(key).upper() == member.value:
                return member
        raise ValueError(f'Invalid AUC curve value: "{key}". Expected values are ["PR", "ROC", "PRGAIN"]')


class AUCSummationMethod(str, Enum):
    """How the AUC's Riemann sum is taken: interpolation, majoring or minoring."""

    INTERPOLATION = "interpolation"
    MAJORING = "majoring"
    MINORING = "minoring"

    @staticmethod
    def from_str(key: str) -> "AUCSummationMethod":
        for member in AUCSummationMethod:
            if str(key).lower() == member.value:
                return member
        raise ValueError(f'Invalid AUC summation method value: "{key}". Expected values are '
                         '["interpolation", "majoring", "minoring"]')


def __getattr__(name: str) -> Any:
    # the confusion-matrix helpers live with the metrics (which import this module's enums)
    if name in ("update_confusion_matrix_variables", "filter_top_k"):
        from . import confusion_metrics

        return getattr(confusion_metrics, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
