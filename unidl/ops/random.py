"""Random ops: counter-based Philox4x32-10 draws, dropout and shuffle.

The draw ops take no tensor input: their attributes ``key=(k0, k1)`` and ``counter`` (128-bit int,
the first block's counter) fix the output completely, so every device gives the same bits (and the
same uniforms; normals agree to rounding). Each draw consumes whole 128-bit blocks (4 words); the
``words`` helpers say how many 32-bit words a draw uses, so a generator advances its counter by
``ceil(words / 4)`` blocks and consecutive draws never overlap. Use :mod:`unidl.random` for the
user-facing generator; these are the core ops it and the frontends build on.
"""
from __future__ import annotations

from typing import Any, Optional, Sequence, Tuple

import numpy as np

from ..autograd import STATE
from ..devices import Device, default_device, device as _device
from ..dtypes import is_floating
from ..errors import OpError
from ._core import Tensor, apply, defop

__all__ = ["random_bits", "dropout"]

RANDOM_BITS = defop("random_bits", differentiable=False,
                    doc="Philox4x32-10 words (uint32, or uint64 from word pairs) at (key, counter)")
RANDOM_UNIFORM = defop("random_uniform", differentiable=False, doc="uniform floats in [low, high)")
RANDOM_NORMAL = defop("random_normal", differentiable=False, doc="normal floats (Box-Muller), optionally truncated")
RANDOM_RANDINT = defop("random_randint", differentiable=False, doc="uniform integers in [low, high)")
RANDOM_BERNOULLI = defop("random_bernoulli", differentiable=False, doc="events with probability p")
RANDOM_PERMUTATION = defop("random_permutation", differentiable=False, doc="a random permutation of range(n)")
DROPOUT = defop("dropout", doc="x * mask (mask: 0 or 1/(1-p))")
SHUFFLE = defop("shuffle", doc="reorder along an axis by a permutation")

#: Candidate rounds per truncated-normal value (all 8 beyond 2 std: probability 1.8e-11).
TRUNC_ROUNDS = 8
_M128 = (1 << 128) - 1


def words_per_value(dtype: Any) -> int:
    """32-bit words one uniform of ``dtype`` uses (2 for float64/uint64/int64 bits, else 1)."""
    return 2 if np.dtype(dtype).itemsize == 8 else 1


def normal_words(n: int, dtype: Any, rounds: int = 0) -> int:
    """Words ``n`` normals use: Box-Muller pairs of uniforms (float16 is computed in float32)."""
    m = n * rounds if rounds else n
    wdt = np.float32 if np.dtype(dtype) == np.float16 else dtype
    return 2 * ((m + 1) // 2) * words_per_value(wdt)


def randint_rounds(low: int, high: int) -> int:
    """Rejection rounds for [low, high): enough that all rounds reject with probability <= 2**-64."""
    r = high - low
    rem = (1 << 64) % r if r < (1 << 64) else 0
    if rem == 0:
        return 1
    # reject probability q = rem / 2**64 per round; need q**k <= 2**-64
    bits = 64 - rem.bit_length()  # a lower bound on -log2(q); >= 1 since rem < 2**63
    return min(64, -(-64 // bits))


def normalize_shape(op: str, shape: Any) -> Tuple[int, ...]:
    """``shape`` (int or sequence of non-negative ints) as a tuple; OpError naming ``op`` otherwise."""
    try:
        if isinstance(shape, (int, np.integer)):
            out: Tuple[int, ...] = (int(shape),)
        else:
            out = tuple(int(d) for d in shape)
            if any(isinstance(d, (float, bool)) for d in shape):
                raise TypeError
    except TypeError:
        raise OpError(op, f"shape must be an int or a sequence of ints, got {shape!r}") from None
    if any(d < 0 for d in out):
        raise OpError(op, f"shape must have non-negative sizes, got {out}", shapes=(out,))
    return out


def draw(op: Any, device: Optional[Device], attrs: dict) -> Tensor:
    """Run a draw op (no tensor inputs) on ``device`` with ``attrs`` (which include key and counter)."""
    return apply(op, None, (), attrs, device=device)


def random_bits(shape: Any, key: Tuple[int, int], counter: int, dtype: Any = np.uint32,
                device: Any = None) -> Tensor:
    """Philox4x32-10 output words at ``counter, counter+1, ...`` with ``key``. Shape: ``shape``.

    ``dtype`` uint32 gives the words in order (x0..x3 of each block); uint64 joins consecutive
    pairs (first word high). Uses ``ceil(n * words_per_value(dtype) / 4)`` blocks.
    """
    shape = normalize_shape("random_bits", shape)
    dt = np.dtype(dtype)
    if dt not in (np.uint32, np.uint64):
        raise OpError("random_bits", f"dtype must be uint32 or uint64, got {dt}", shapes=(shape,))
    dev = default_device() if device is None else _device(device)
    return draw(RANDOM_BITS, dev, {"shape": shape, "key": (int(key[0]), int(key[1])),
                                   "counter": int(counter) & _M128, "dtype": dt})


def _dropout_bwd(node, out, g):
    from .elementwise import multiply

    return (multiply(g, node.parents[1]), None)


_random_module: Any = None


def _default_generator() -> Any:
    global _random_module
    if _random_module is None:
        from .. import random as r

        _random_module = r
    return _random_module.default_generator()


def _noise_shape(noise_shape: Sequence[int], x: Tensor) -> Tuple[int, ...]:
    ns = normalize_shape("dropout", noise_shape)
    if len(ns) != x.ndim or any(n != d and n != 1 for n, d in zip(ns, x.shape)):
        raise OpError("dropout", f"noise_shape {ns} must have x's rank with each size 1 or x's size",
                      shapes=(x.shape,))
    return ns


def dropout(x: Tensor, p: float = 0.5, training: Optional[bool] = None, generator: Any = None,
            noise_shape: Optional[Sequence[int]] = None) -> Tensor:
    """Inverted dropout: zero each element with probability ``p``, scale the rest by ``1/(1-p)``.

    Shapes: x (...) -> (...). ``training=None`` follows :func:`unidl.autograd.is_training`; when
    not training or ``p == 0`` it returns ``x`` itself; ``p == 1`` gives zeros. ``noise_shape``
    (x's rank, each size 1 or x's) draws one mask value per broadcast group (Keras' noise_shape).
    The mask comes from ``generator`` (default: :func:`unidl.random.default_generator`), so the
    same seed and call sequence give the same masks on every device. Gradient: ``g * mask``.
    """
    if not isinstance(x, Tensor):
        raise OpError("dropout", f"expected a unidl Tensor, got {type(x).__name__}")
    if not is_floating(x.dtype):
        raise OpError("dropout", "expected a floating-point tensor", shapes=(x.shape,), dtypes=(x.dtype,))
    try:
        p = float(p)
    except (TypeError, ValueError):
        raise OpError("dropout", f"p must be a float in [0, 1], got {p!r}", shapes=(x.shape,)) from None
    if not 0.0 <= p <= 1.0:
        raise OpError("dropout", f"p must be in [0, 1], got {p}", shapes=(x.shape,))
    ms = x.shape if noise_shape is None else _noise_shape(noise_shape, x)
    if p == 0.0 or not (STATE.training if training is None else training):
        return x
    gen = _default_generator() if generator is None else generator
    mask = gen._bernoulli_mask(ms, p, x.dtype, x.device)
    return apply(DROPOUT, _dropout_bwd, (x, mask))


def _shuffle_bwd(node, out, g):
    return (shuffle_by(g, node.parents[1], node.saved["axis"], not node.saved["inverse"]), None)


def shuffle_by(x: Tensor, perm: Tensor, axis: int = 0, inverse: bool = False) -> Tensor:
    """``x`` reordered along ``axis``: ``out[..., i, ...] = x[..., perm[i], ...]`` (``inverse``: by
    the inverse permutation). Differentiable in ``x``. Shapes: x (..., n, ...), perm (n,) -> x's."""
    if x.ndim == 0:
        raise OpError("shuffle", "cannot shuffle a 0-d tensor", shapes=(x.shape,))
    ax = axis + x.ndim if axis < 0 else axis
    if not 0 <= ax < x.ndim:
        raise OpError("shuffle", f"axis {axis} out of range for {x.ndim}-d input", shapes=(x.shape,))
    if perm.shape != (x.shape[ax],):
        raise OpError("shuffle", f"permutation of shape {perm.shape} does not match axis {axis}",
                      shapes=(x.shape, perm.shape))
    return apply(SHUFFLE, _shuffle_bwd, (x, perm), {"axis": ax, "inverse": bool(inverse)})
