"""Shape kernels.

Written against ``xp`` so CuPy can reuse them. Slices arrive as one (start, stop, step) triple per
axis, already normalised by the op.
"""
from __future__ import annotations

from typing import Any, Callable, Dict


def kernels(xp: Any) -> Dict[str, Callable[..., Any]]:
    def reshape(x, shape):
        return x.reshape(shape)  # (the method np.reshape / cupy.reshape call, without their wrappers)

    def broadcast_to(x, shape):
        return xp.broadcast_to(x, shape)

    def transpose(x, axes):
        return x.transpose(axes)  # (the method np.transpose / cupy.transpose call, without their wrappers)

    def concatenate(*xs, axis):
        return xp.concatenate(xs, axis=axis)

    def stack(*xs, axis):
        return xp.stack(xs, axis=axis)

    def slice_(x, slices):
        return x[tuple(slice(*t) for t in slices)]

    def slice_grad(g, shape, slices):
        out = xp.zeros(shape, dtype=g.dtype)
        out[tuple(slice(*t) for t in slices)] = g
        return out

    def pad(x, pad_width, mode, constant_value):
        if mode == "constant":
            return xp.pad(x, pad_width, mode="constant", constant_values=constant_value)
        return xp.pad(x, pad_width, mode=mode)

    def tile(x, reps):
        return xp.tile(x, reps)

    def repeat(x, repeats, axis):
        return xp.repeat(x, repeats if isinstance(repeats, int) else list(repeats), axis=axis)

    def flip(x, axis):
        return xp.flip(x, axis=axis)

    return {"reshape": reshape, "broadcast_to": broadcast_to, "transpose": transpose,
            "concatenate": concatenate, "stack": stack, "slice": slice_, "slice_grad": slice_grad, "pad": pad,
            "tile": tile, "repeat": repeat, "flip": flip}
