"""The shared base of the image layers: layout handling, Keras's ``factor`` rules and the random draws.

Random layers draw their parameters (angles, zooms, flips) from unidl's counter-based generator — the
layer's own when ``seed`` is an int — and only when ``training`` is true; at inference they return
their input unchanged, as in Keras.
"""
from __future__ import annotations

import math
from typing import Any, Dict, Optional, Sequence, Tuple

import numpy as np

import unidl
from unidl import ops as U
from unidl.tensor import Tensor

from ....backend import config
from ....ops._dtypes import cast_to, to_tensor
from ...layer import Layer
from ...regularization._dropout_utils import make_generator


def standardize_data_format(data_format: Optional[str]) -> str:
    df = data_format or config.image_data_format()
    if df not in ("channels_last", "channels_first"):
        raise ValueError(f"The `data_format` argument must be one of {{'channels_first', 'channels_last'}}. "
                         f"Received: data_format={data_format}")
    return df


class BaseImagePreprocessingLayer(Layer):
    """Base of the image layers: ``call(images, training)`` on rank-3 or rank-4 images.

    Subclasses implement ``transform_images(x, training)`` on float NHWC tensors.
    """

    _FACTOR_BOUNDS: Tuple[float, float] = (-1.0, 1.0)
    _USE_BASE_FACTOR = True

    def __init__(self, factor: Any = None, data_format: Optional[str] = None, seed: Optional[int] = None,
                 **kwargs: Any) -> None:
        kwargs.setdefault("autocast", False)
        super().__init__(**kwargs)
        self.data_format = standardize_data_format(data_format)
        self.seed = seed
        self.generator = make_generator(seed)
        self.supports_masking = False
        if factor is not None:
            self._set_factor(factor)
        self.built = True

    def _set_factor(self, factor: Any) -> None:
        lo_b, hi_b = self._FACTOR_BOUNDS
        msg = (f"The `factor` argument should be a number (or a list of two numbers) in the range [{lo_b}, {hi_b}]. "
               f"Received: factor={factor}")
        if isinstance(factor, (tuple, list)):
            if len(factor) != 2 or factor[0] > hi_b or factor[1] < lo_b:
                raise ValueError(msg)
            lower, upper = sorted(float(f) for f in factor)
        elif isinstance(factor, (int, float)) and not isinstance(factor, bool):
            if factor < lo_b or factor > hi_b:
                raise ValueError(msg)
            f = abs(float(factor))
            lower, upper = (-f, f) if lo_b < 0 else (lo_b, f)
        else:
            raise ValueError(msg)
        self.factor = (lower, upper)

    # -- helpers for subclasses --------------------------------------------------------------------------
    def _uniform(self, low: float, high: float, shape: Tuple[int, ...]) -> np.ndarray:
        """Host float32 values drawn uniformly from [low, high) with the layer's generator."""
        return unidl.random.uniform(low, high, shape=shape, dtype="float32", generator=self.generator).numpy()

    def call(self, inputs: Any, training: Any = True) -> Any:
        x = to_tensor(inputs)
        if x.ndim not in (3, 4):
            raise ValueError(f"Layer {type(self).__name__} expected images of rank 3 or 4 (height, width, channels "
                             f"with an optional batch axis), got input of shape {tuple(x.shape)}")
        dtype = x.dtype
        if np.dtype(dtype).kind != "f":
            x = cast_to(x, config.floatx())
        unbatched = x.ndim == 3
        if unbatched:
            x = U.expand_dims(x, 0)
        cf = self.data_format == "channels_first"
        if cf:
            x = U.transpose(x, (0, 2, 3, 1))
        y = self.transform_images(x, bool(training))
        if y is x and not cf and not unbatched:
            return y
        if cf:
            y = U.transpose(y, (0, 3, 1, 2))
        if unbatched:
            y = U.squeeze(y, 0)
        return y

    def transform_images(self, x: Tensor, training: bool) -> Tensor:  # pragma: no cover - abstract
        raise NotImplementedError

    def compute_output_shape(self, input_shape: Any) -> Any:
        return tuple(input_shape)

    def get_config(self) -> Dict[str, Any]:
        cfg = super().get_config()
        cfg.update({"data_format": self.data_format})
        return cfg


def affine_matrix(angle_deg: np.ndarray, height: int, width: int, translate_x: Any = 0.0, translate_y: Any = 0.0,
                  scale: Any = 1.0) -> np.ndarray:
    """Keras's (B, 8) rotation/translation/scale transforms about the image centre (float32)."""
    angle = angle_deg.astype(np.float32) * np.float32(math.pi / 180.0)
    cx = np.float32(0.5) * (np.float32(width) - 1)
    cy = np.float32(0.5) * (np.float32(height) - 1)
    cos_t, sin_t = np.cos(angle), np.sin(angle)
    scale = np.asarray(scale, np.float32)
    a0 = scale * cos_t
    a1 = scale * -sin_t
    a2 = np.asarray(translate_x, np.float32) + cx - cx * a0 - cy * a1
    b0 = scale * sin_t
    b1 = scale * cos_t
    b2 = np.asarray(translate_y, np.float32) + cy - cx * b0 - cy * b1
    n = angle.shape[0]
    z = np.zeros(n, np.float32)
    return np.stack([a0, a1, a2, b0, b1, b2, z, z], axis=1).astype(np.float32)


def sized_output_shape(input_shape: Any, height: int, width: int, data_format: str) -> Tuple[Any, ...]:
    """``input_shape`` (rank 3 or 4) with its height and width axes replaced by ``height`` and ``width``."""
    s = list(input_shape)
    h_axis = -2 if data_format == "channels_first" else -3
    s[h_axis], s[h_axis + 1] = height, width
    return tuple(s)


def check_fill(layer: str, fill_mode: str, interpolation: str) -> None:
    from unidl.nn.image import FILL_MODES, INTERPOLATIONS

    if fill_mode not in FILL_MODES:
        raise NotImplementedError(f"Unknown `fill_mode` {fill_mode}. Expected of one {FILL_MODES}.")
    if interpolation not in INTERPOLATIONS:
        raise NotImplementedError(f"Unknown `interpolation` {interpolation}. Expected of one {INTERPOLATIONS}.")
