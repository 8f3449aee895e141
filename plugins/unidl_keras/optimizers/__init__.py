"""``keras.optimizers``: the optimizers, ``get``/``serialize``/``deserialize`` and learning-rate schedules.

Every optimizer runs the update rules of :mod:`unidl.nn.optim` (``form="keras"``), the same functions
the Gluon frontend calls.
"""
from __future__ import annotations

from typing import Any, Dict, Optional

from . import legacy, schedules
from .adadelta import Adadelta
from .adafactor import Adafactor
from .adagrad import Adagrad
from .adam import Adam
from .adamax import Adamax
from .adamw import AdamW
from .base_optimizer import Optimizer
from .ftrl import Ftrl
from .lamb import Lamb
from .lion import Lion
from .loss_scale_optimizer import LossScaleOptimizer
from .multi_optimizer import MultiOptimizer, OptimizerMap
from .muon import Muon
from .nadam import Nadam
from .rmsprop import RMSprop
from .schedule_free_adamw import ScheduleFreeAdamW
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "Nadam", "Ftrl",
           "Adafactor", "Lamb", "Lion", "Muon", "ScheduleFreeAdamW",
           "LossScaleOptimizer", "MultiOptimizer", "OptimizerMap", "get", "serialize", "deserialize", "schedules", "legacy"]

ALL_OBJECTS = {cls.__name__.lower(): cls for cls in (Optimizer, SGD, Adam, AdamW, RMSprop, Adagrad, Adadelta,
                                                      Adamax, Nadam, Ftrl, Adafactor, Lamb, Lion, Muon,
                                                      ScheduleFreeAdamW, LossScaleOptimizer, MultiOptimizer)}


def serialize(optimizer: Optimizer) -> Dict[str, Any]:
    """The Keras 3 serialized form ``{'module', 'class_name', 'config', 'registered_name'}``."""
    if not isinstance(optimizer, Optimizer):
        raise ValueError(f"Could not serialize optimizer: {optimizer!r}")
    cls = type(optimizer)
    builtin = ALL_OBJECTS.get(cls.__name__.lower()) is cls
    return {"module": "keras.optimizers" if builtin else cls.__module__, "class_name": cls.__name__,
            "config": optimizer.get_config(), "registered_name": None if builtin else cls.__name__}


def deserialize(config: Dict[str, Any], custom_objects: Optional[Dict[str, Any]] = None, **kwargs: Any) -> Optimizer:
    """An optimizer from :func:`serialize`'s dict (or a Keras 2 ``{'class_name', 'config'}`` dict).

    Class names are matched case-insensitively among the built-ins; ``custom_objects`` adds others.
    """
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"Could not interpret serialized optimizer: {config!r}")
    name = config["class_name"]
    cls = (custom_objects or {}).get(name) or ALL_OBJECTS.get(str(name).lower())
    if cls is None and isinstance(getattr(schedules, str(name), None), type):  # module keras.optimizers.schedules
        return schedules.deserialize(config, custom_objects=custom_objects)
    if cls is None:
        raise ValueError(f"Unknown optimizer: '{name}'. Please ensure you are using a "
                         "`keras.utils.custom_object_scope` and that this object is included in the scope.")
    return cls.from_config(dict(config.get("config", {})), custom_objects=custom_objects)


def get(identifier: Any) -> Optimizer:
    """An optimizer from an instance (returned as is), a name (``'adam'``, case-insensitive) or a config dict."""
    if identifier is None:
        return None
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, dict):
        return deserialize(identifier)
    if isinstance(identifier, str):
        cls = ALL_OBJECTS.get(identifier.lower())
        if cls is not None and cls is not Optimizer:
            return cls()
    raise ValueError(f"Could not interpret optimizer identifier: {identifier}")
