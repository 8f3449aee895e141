"""``keras.layers.SpatialDropout1D``, ``SpatialDropout2D`` and ``SpatialDropout3D``: dropout of
whole feature maps (one mask value per sample and channel)."""
from __future__ import annotations

from typing import Any, Dict, Optional, Tuple

from ...backend import config
from .dropout import Dropout


class _SpatialDropout(Dropout):
    _ndim = 3

    def __init__(self, rate: float, seed: Optional[int] = None, name: Optional[str] = None, dtype: Any = None,
                 data_format: Any = "channels_last") -> None:
        super().__init__(rate=rate, seed=seed, name=name, dtype=dtype)
        self.data_format = config.standardize_data_format(data_format)

    def _noise_shape(self, inputs: Any) -> Tuple[int, ...]:
        shape = inputs.shape
        ch = shape[-1] if self.data_format == "channels_last" else shape[1]
        ones = (1,) * (self._ndim - 2)
        return (shape[0],) + ones + (ch,) if self.data_format == "channels_last" else (shape[0], ch) + ones

    def _check(self, shape: Any) -> None:
        if len(shape) != self._ndim:
            raise ValueError(f"Input 0 of layer '{self.name}' is incompatible with the layer: expected "
                             f"ndim={self._ndim}, found ndim={len(shape)}. Full shape received: {tuple(shape)}")

    def call(self, inputs: Any, training: Any = False) -> Any:
        self._check(inputs.shape)
        return super().call(inputs, training=training)

    def compute_output_shape(self, input_shape: Any) -> Any:
        self._check(input_shape)
        return tuple(input_shape)

    def get_config(self) -> Dict[str, Any]:
        cfg = {"rate": self.rate, "seed": self.seed, "name": self.name}
        if self._ndim > 3:
            cfg["data_format"] = self.data_format
        return cfg


class SpatialDropout1D(_SpatialDropout):
    """Drops entire 1D feature maps: one mask value per (sample, channel), shared over the steps.

    Args:
        rate: the drop probability in [0, 1]. seed: an int, or None for unidl's default generator.

    Call args: ``inputs``, ``training``.
    Input shape: (batch, steps, channels). Output shape: the same.
    """

    _ndim = 3

    def __init__(self, rate: float, seed: Optional[int] = None, name: Optional[str] = None, dtype: Any = None) -> None:
        super().__init__(rate, seed=seed, name=name, dtype=dtype)


class SpatialDropout2D(_SpatialDropout):
    """Drops entire 2D feature maps (one mask value per sample and channel).

    Args:
        rate: the drop probability in [0, 1]. seed: an int or None.
        data_format: ``'channels_last'`` (batch, rows, cols, channels) or ``'channels_first'``;
            default ``keras.config.image_data_format()``.

    Input shape: 4D. Output shape: the same.
    """

    _ndim = 4

    def __init__(self, rate: float, data_format: Any = None, seed: Optional[int] = None, name: Optional[str] = None,
                 dtype: Any = None) -> None:
        super().__init__(rate, seed=seed, name=name, dtype=dtype, data_format=data_format)


class SpatialDropout3D(_SpatialDropout):
    """Drops entire 3D feature maps (one mask value per sample and channel).

    Args:
        rate: the drop probability in [0, 1]. seed: an int or None.
        data_format: ``'channels_last'`` or ``'channels_first'``; default
            ``keras.config.image_data_format()``.

    Input shape: 5D. Output shape: the same.
    """

    _ndim = 5

    def __init__(self, rate: float, data_format: Any = None, seed: Optional[int] = None, name: Optional[str] = None,
                 dtype: Any = None) -> None:
        super().__init__(rate, seed=seed, name=name, dtype=dtype, data_format=data_format)
