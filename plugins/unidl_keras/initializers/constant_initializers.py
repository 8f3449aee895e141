"""Constant initializers: ``Zeros``, ``Ones``, ``Constant``, ``Identity``, ``STFT`` (Keras's
``keras.src.initializers.constant_initializers``)."""
from __future__ import annotations

from typing import Any, Dict

from unidl.nn import init as _init

from ..backend import config
from .initializer import Initializer


class Zeros(Initializer):
    def __call__(self, shape: Any, dtype: Any = None) -> Any:
        return _init.zeros(shape, dtype=config.standardize_dtype(dtype))


class Ones(Initializer):
    def __call__(self, shape: Any, dtype: Any = None) -> Any:
        return _init.ones(shape, dtype=config.standardize_dtype(dtype))


class Constant(Initializer):
    def __init__(self, value: float = 0.0) -> None:
        self.value = value

    def __call__(self, shape: Any, dtype: Any = None) -> Any:
        return _init.constant(shape, self.value, dtype=config.standardize_dtype(dtype))

    def get_config(self) -> Dict[str, Any]:
        from ..saving.serialization import serialize_keras_object

        return {"value": serialize_keras_object(self.value)}

    @classmethod
    def from_config(cls, config: Dict[str, Any]) -> "Constant":
        from ..saving.serialization import deserialize_keras_object

        return cls(deserialize_keras_object(config["value"]))


class Identity(Initializer):
    def __init__(self, gain: float = 1.0) -> None:
        self.gain = gain

    def __call__(self, shape: Any, dtype: Any = None) -> Any:
        return _init.identity(shape, self.gain, dtype=config.standardize_dtype(dtype))

    def get_config(self) -> Dict[str, Any]:
        return {"gain": self.gain}


class STFT(Initializer):
    """Kernels of a short-time Fourier transform as a convolution: shape ``(frame_length, input_channels,
    fft_length)`` gets ``cos`` (``side="real"``) or ``sin`` (``"imag"``) of ``-2 pi t f / ((fft_length - 1) * 2)``,
    times the ``window`` (a SciPy window name, a sequence of ``frame_length`` values, or None) divided by its
    L2 norm (``scaling="density"``) or its sum (``"spectrum"``; None: undivided). ``periodic``: the periodic
    form of a named window.
    """

    def __init__(self, side: str = "real", window: Any = "hann", scaling: Any = "density",
                 periodic: bool = False) -> None:
        if side not in ("real", "imag"):
            raise ValueError(f"side should be 'real' or 'imag', not {side}")
        if isinstance(window, str):
            _named_window(window, 1, False)  # raises for an unknown window name
        if scaling is not None and scaling not in ("density", "spectrum"):
            raise ValueError(f"Scaling is invalid, it must be `None`, 'density' or 'spectrum'. Received "
                             f"scaling={scaling}")
        self.side = side
        self.window = window
        self.scaling = scaling
        self.periodic = periodic

    def __call__(self, shape: Any, dtype: Any = None) -> Any:
        from unidl import ops
        from unidl.creation import arange, tensor

        from ..backend.common import convert_to_tensor

        dt = config.standardize_dtype(dtype)
        frame_length, _, fft_length = (int(d) for d in shape)
        win = None
        scale: Any = None
        if self.window is not None:
            w = _named_window(self.window, frame_length, self.periodic) if isinstance(self.window, str) \
                else self.window
            win = ops.astype(convert_to_tensor(w), dt)
            if win.ndim != 1 or win.shape[-1] != frame_length:
                raise ValueError(f"The shape of `window` must be equal to [frame_length].Received: window "
                                 f"shape={tuple(win.shape)}")
            win = ops.reshape(win, (frame_length, 1, 1))
            if self.scaling == "density":
                scale = ops.sqrt(ops.sum(ops.square(win)))
            elif self.scaling == "spectrum":
                scale = ops.sum(ops.abs(win))
        freq = ops.divide(ops.reshape(arange(fft_length, dtype=dt), (1, 1, fft_length)), float((fft_length - 1) * 2))
        time = ops.reshape(arange(frame_length, dtype=dt), (frame_length, 1, 1))
        pi = ops.arccos(tensor(-1.0, dtype=dt))
        args = ops.multiply(ops.multiply(ops.multiply(time, -2.0), freq), pi)
        kernel = ops.cos(args) if self.side == "real" else ops.sin(args)
        if win is not None:
            kernel = ops.multiply(kernel, win)
            if scale is not None:
                kernel = ops.divide(kernel, scale)
        return kernel

    def get_config(self) -> Dict[str, Any]:
        return {"side": self.side, "window": self.window, "periodic": self.periodic, "scaling": self.scaling}


def _named_window(name: str, length: int, periodic: bool) -> Any:
    """The SciPy window ``name`` of ``length`` samples (a host array: constant data, as Keras takes it)."""
    try:
        import scipy.signal
    except ImportError as e:  # pragma: no cover - scipy ships with the test environment
        raise ImportError(f"STFT: the named window {name!r} needs SciPy (pip install scipy), or pass the window "
                          "values as a sequence") from e
    return scipy.signal.get_window(name, length, periodic)
