"""``keras.layers.Rescaling``."""
from __future__ import annotations

from typing import Any, Dict

import numpy as np

from unidl import ops as U
from unidl.tensor import Tensor

from ...ops._dtypes import cast_to, to_tensor
from ..layer import Layer


class Rescaling(Layer):
    """``inputs * scale + offset`` in the layer's compute dtype (e.g. ``Rescaling(1/255)`` for [0, 1] images).

    Args:
        scale: a float or an array broadcast against the inputs (per channel).
        offset: a float or an array.
    Input: any shape, any numeric dtype. Output: the same shape, float.
    """

    def __init__(self, scale: Any, offset: Any = 0.0, **kwargs: Any) -> None:
        kwargs.setdefault("autocast", False)
        super().__init__(**kwargs)
        self.scale, self.offset = scale, offset
        self.supports_masking = True

    def call(self, inputs: Any) -> Any:
        x = to_tensor(inputs)
        dt = self.compute_dtype
        if x.dtype != np.dtype(dt):
            x = cast_to(x, dt)
        s = np.asarray(self.scale, dtype=dt)
        o = np.asarray(self.offset, dtype=dt)
        out = U.multiply(x, Tensor._from_any(s, x.device)) if s.shape else U.multiply(x, float(s))
        if o.shape or float(o) != 0.0:
            out = U.add(out, Tensor._from_any(o, x.device)) if o.shape else U.add(out, float(o))
        elif not o.shape:
            out = U.add(out, 0.0)  # keep Keras's x * scale + offset arithmetic (adds -0.0 -> 0.0 alike)
        return out

    def compute_output_shape(self, input_shape: Any) -> Any:
        return tuple(input_shape)

    def get_config(self) -> Dict[str, Any]:
        cfg = super().get_config()
        s, o = self.scale, self.offset
        cfg.update({"scale": s.tolist() if isinstance(s, np.ndarray) else s,
                    "offset": o.tolist() if isinstance(o, np.ndarray) else o})
        return cfg
