"""unidl: one deep-learning runtime with two faces (Keras and MXNet/Gluon) on one core.

The core — Tensor, autograd, op dispatch, devices, the deterministic generator — lives here and
imports no plugin; kernels, devices and frontends arrive through the ``unidl`` entry-point group.
"""
from __future__ import annotations

import pluggy

hookimpl = pluggy.HookimplMarker("unidl")

from . import autograd, dtypes, ops, random, trace  # noqa: E402
from .autograd import no_grad, pause, record  # noqa: E402
from .aliases import install_aliases, uninstall_aliases  # noqa: E402
from .creation import (arange, as_tensor, empty, empty_like, eye, from_numpy, full, full_like,  # noqa: E402
                       linspace, ones, ones_like, tensor, zeros, zeros_like)
from .devices import Device, default_device, device, set_default_device  # noqa: E402
from .errors import (DeviceMismatchError, GraphError, KernelNotFoundError, OpError, PluginError,  # noqa: E402
                     UnidlError)
from .kernels import Decline  # noqa: E402
from .tensor import Tensor  # noqa: E402

__version__ = "0.1.0"

__all__ = ["Tensor", "tensor", "as_tensor", "from_numpy", "zeros", "ones", "full", "empty", "arange",
           "linspace", "eye", "zeros_like", "ones_like", "full_like", "empty_like", "device", "Device",
           "default_device", "set_default_device", "record", "pause", "no_grad", "autograd", "ops",
           "dtypes", "random", "hookimpl", "Decline", "UnidlError", "OpError", "DeviceMismatchError",
           "GraphError", "KernelNotFoundError", "PluginError", "install_aliases", "uninstall_aliases"]
