"""``keras.layers.Dot`` / ``dot``: batched dot products."""
from __future__ import annotations

import string
from typing import Any, Dict, List, Tuple

from unidl import ops

from ...backend.common import convert_to_tensor
from ..layer import Layer


def l2_normalize(x: Any, axis: int, epsilon: float = 1e-7) -> Any:
    """``x / max(||x||_2, epsilon)`` along ``axis`` (as ``keras.ops.normalize``)."""
    norm = ops.sqrt(ops.sum(ops.square(x), axis=axis, keepdims=True))
    return ops.divide(x, ops.maximum(norm, epsilon))


def batch_dot(x: Any, y: Any, axes: Tuple[int, int]) -> Any:
    """Per sample: contract ``x``'s axis ``axes[0]`` with ``y``'s axis ``axes[1]``. Shapes:
    (B, *a) and (B, *b) -> (B, *a without axes[0], *b without axes[1]); a (B,) result becomes (B, 1)."""
    letters = iter(string.ascii_letters[1:])
    xs = ["a"] + [next(letters) for _ in range(x.ndim - 1)]
    ys = ["a"] + [next(letters) for _ in range(y.ndim - 1)]
    ys[axes[1]] = xs[axes[0]]
    out = [c for i, c in enumerate(xs) if i != axes[0]] + [c for i, c in enumerate(ys) if i not in (0, axes[1])]
    r = ops.einsum(f"{''.join(xs)},{''.join(ys)}->{''.join(out)}", x, y)
    return ops.expand_dims(r, 1) if r.ndim == 1 else r


class Dot(Layer):
    """Dot product of two tensors along ``axes``, sample by sample.

    Args:
        axes: an int (the same axis of both inputs) or a pair ``(axis_of_x, axis_of_y)``; not 0
            (the batch axis). Negative values count from the end.
        normalize: if True, L2-normalize both inputs along their axis first (cosine similarity).

    Input shape: a list of 2 tensors (B, ...). Output shape: (B, remaining x dims, remaining y
    dims), or (B, 1) when nothing remains.
    """

    def __init__(self, axes: Any, normalize: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if isinstance(axes, (list, tuple)):
            if len(axes) != 2 or not all(isinstance(a, int) for a in axes):
                raise ValueError(f"Invalid format for argument `axes`: list/tuple must have exactly 2 integers. "
                                 f"Received: axes={axes}")
            axes = tuple(axes)
        elif not isinstance(axes, int) or isinstance(axes, bool):
            raise TypeError(f"Invalid type for argument `axes`: it should be a list or an int. Received: axes={axes}")
        self.axes = axes
        self.normalize = normalize
        self.supports_masking = True

    def _axes(self, r1: int, r2: int) -> List[int]:
        pair = (self.axes, self.axes) if isinstance(self.axes, int) else self.axes
        return [pair[0] % r1 if pair[0] < 0 else pair[0], pair[1] % r2 if pair[1] < 0 else pair[1]]

    def _check(self, input_shape: Any) -> List[tuple]:
        if not isinstance(input_shape, (list, tuple)) or len(input_shape) != 2 or \
                not all(isinstance(s, (list, tuple)) for s in input_shape):
            raise ValueError(f"A `Dot` layer should be called on a list of 2 inputs. Received: input_shape={input_shape}")
        s1, s2 = (tuple(s) for s in input_shape)
        if s1[0] is not None and s2[0] is not None and s1[0] != s2[0]:
            raise ValueError(f"Dot layer '{self.name}': the inputs must have the same batch size. Received: "
                             f"input_shape={[s1, s2]}")
        a1, a2 = self._axes(len(s1), len(s2))
        if not (1 <= a1 < len(s1) and 1 <= a2 < len(s2)):
            raise ValueError(f"Dot layer '{self.name}': `axes` must name a non-batch axis of each input. Received: "
                             f"axes={self.axes}, input shapes {s1}, {s2}")
        if s1[a1] is not None and s2[a2] is not None and s1[a1] != s2[a2]:
            raise ValueError(f"Incompatible input shapes: axis values {s1[a1]} (at axis {a1}) != {s2[a2]} (at axis "
                             f"{a2}). Full input shapes: {s1}, {s2}")
        return [s1, s2]

    def compute_output_shape(self, input_shape: Any) -> Any:
        s1, s2 = self._check(input_shape)
        a1, a2 = self._axes(len(s1), len(s2))
        out = [d for i, d in enumerate(s1) if i != a1] + [d for i, d in enumerate(s2) if i not in (0, a2)]
        return tuple(out) if len(out) > 1 else tuple(out) + (1,)

    def call(self, inputs: Any) -> Any:
        if not isinstance(inputs, (list, tuple)):
            raise ValueError(f"A `Dot` layer should be called on a list of 2 inputs. Received: "
                             f"input_shape={tuple(getattr(inputs, 'shape', ()))}")
        inputs = [convert_to_tensor(x) for x in inputs]
        self._check([tuple(x.shape) for x in inputs])
        x1, x2 = inputs
        a1, a2 = self._axes(x1.ndim, x2.ndim)
        if self.normalize:
            x1, x2 = l2_normalize(x1, a1), l2_normalize(x2, a2)
        return batch_dot(x1, x2, (a1, a2))

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> Any:
        return None

    def get_config(self) -> Dict[str, Any]:
        cfg = super().get_config()
        cfg.update({"axes": self.axes, "normalize": self.normalize})
        return cfg


def dot(inputs: Any, axes: Any = -1, **kwargs: Any) -> Any:
    """Functional form of :class:`Dot`: ``dot([x1, x2], axes, normalize=False)``."""
    return Dot(axes=axes, **kwargs)(inputs)
