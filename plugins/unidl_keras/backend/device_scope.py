"""``keras.device(name)``: a scope in which new tensors and variables are created on that device.

Keras's device names are accepted as they are written for its backends: ``"cpu"``, ``"cpu:0"``, TF's
``"CPU:0"`` / ``"GPU:1"``, torch's ``"cuda:0"``; ``gpu`` means unidl's ``cuda`` device type. Inside the scope
unidl's default device is the named one; the previous default is restored on exit.
"""
from __future__ import annotations

import contextlib
from typing import Any, Iterator


def _unidl_spec(device_name: Any) -> Any:
    if not isinstance(device_name, str):
        return device_name
    name = device_name.strip().lower()
    if name.startswith("/"):  # "/device:GPU:0", "/job:localhost/device:CPU:0" (TF spellings)
        name = name.rsplit("device:", 1)[-1]
    kind, _, index = name.partition(":")
    if kind == "gpu":
        kind = "cuda"
    return f"{kind}:{index}" if index else kind


@contextlib.contextmanager
def device(device_name: Any) -> Iterator[Any]:
    """Create tensors and variables on ``device_name`` inside the ``with`` block."""
    from unidl import devices

    before = devices.default_device()
    dev = devices.set_default_device(_unidl_spec(device_name))
    try:
        yield dev
    finally:
        devices.set_default_device(before)
