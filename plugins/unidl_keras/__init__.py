"""unidl_keras: Keras 3's API on the unidl core (``import unidl_keras as keras``).

Layers, models, training, optimizers, losses, metrics, callbacks and saving follow Keras 3's names,
defaults, shapes and messages; every layer computes with :mod:`unidl.nn` / :mod:`unidl.ops`, the same
functions the Gluon frontend calls. Registered as a frontend plugin standing in for ``keras`` and
``tensorflow.keras`` (for ``unidl run``).
"""
from __future__ import annotations

import importlib
from typing import Any

import unidl

from . import activations, backend, constraints, initializers, layers, models, regularizers
from .backend import KerasTensor, Variable
from .backend.name_scope import name_scope
from .backend.symbolic_scope import SymbolicScope
from .backend.device_scope import device
from .backend.config import epsilon, floatx, image_data_format, set_epsilon, set_floatx, set_image_data_format
from .layers import Input, InputLayer, Layer
from .models import Model, Sequential

__version__ = "3.15.1"  # the Keras version whose behaviour this frontend follows
version = lambda: __version__  # noqa: E731

_LAZY = ("ops", "optimizers", "losses", "metrics", "callbacks", "utils", "random", "saving", "datasets",
         "config", "tree", "applications", "preprocessing", "mixed_precision", "dtype_policies", "export", "legacy",
         "quantizers", "distribution")

__all__ = ["Input", "InputLayer", "Layer", "Model", "Sequential", "Variable", "KerasTensor", "name_scope", "SymbolicScope", "device", "activations", "backend",
           "constraints", "initializers", "layers", "models", "regularizers", "version", "__version__",
           "Loss", "Metric", "Optimizer", *_LAZY]


_CLASSES = {"Loss": "losses", "Metric": "metrics", "Optimizer": "optimizers", "Quantizer": "quantizers"}


def __getattr__(name: str) -> Any:
    if name in _CLASSES:
        value = getattr(importlib.import_module(f"{__name__}.{_CLASSES[name]}"), name)
        globals()[name] = value
        return value
    if name in _LAZY:
        mod = importlib.import_module(f"{__name__}.{name}")
        globals()[name] = mod
        return mod
    raise AttributeError(f"module 'keras' has no attribute '{name}'")


def _inventory():
    """Public names this frontend implements, as ``keras.<path>`` strings (for ``unidl port``)."""
    import importlib.util

    # a lazy sub-module is listed only where it exists (``keras.applications`` is not there yet)
    names = [f"keras.{n}" for n in __all__ if not n.startswith("_")
             and (n not in _LAZY or importlib.util.find_spec(f"{__name__}.{n}") is not None)]
    names += [f"keras.layers.{n}" for n in layers.__all__]
    for sub in ("ops", "optimizers", "losses", "metrics", "callbacks", "utils", "random", "initializers",
                "activations", "regularizers", "constraints", "models", "saving"):
        try:
            mod = importlib.import_module(f"{__name__}.{sub}")
        except ImportError:
            continue
        names += [f"keras.{sub}.{n}" for n in getattr(mod, "__all__", [n for n in dir(mod) if not n.startswith("_")])
                  if not getattr(mod.__dict__.get(n), "_unidl_unsupported", False)]
    return names


@unidl.hookimpl
def unidl_register_frontends(registry):
    registry.add("keras", package="unidl_keras", provides=("keras", "tensorflow.keras", "tf_keras"),
                 framework_version=__version__, inventory=_inventory,
                 canonical="unidl_keras.canonical")
    # Keras 2 scale-out under `unidl run`/`unidl launch`: tf.distribute strategies (the `tensorflow` stand-in) and
    # Horovod's Keras API (`import horovod.keras as hvd`, `import horovod.tensorflow.keras as hvd`), over MPI
    registry.add("tensorflow.distribute", package="unidl_keras.distribute", provides=("tensorflow.distribute",),
                 framework_version="2.15")
    registry.add("horovod.keras", package="unidl_keras.horovod", provides=("horovod.keras",),
                 framework_version="0.28.1")
    registry.add("horovod.tensorflow", package="unidl_keras.horovod.tensorflow", provides=("horovod.tensorflow",),
                 framework_version="0.28.1")
