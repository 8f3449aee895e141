"""``keras.optimizers.schedules``: learning-rate schedules."""
from .learning_rate_schedule import (CosineDecay, CosineDecayRestarts, ExponentialDecay, InverseTimeDecay,
                                     LearningRateSchedule, PiecewiseConstantDecay, PolynomialDecay, deserialize,
                                     serialize)

__all__ = ["LearningRateSchedule", "ExponentialDecay", "PiecewiseConstantDecay", "CosineDecay", "InverseTimeDecay",
           "PolynomialDecay", "CosineDecayRestarts", "serialize", "deserialize"]
