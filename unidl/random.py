"""Deterministic random numbers: counter-based Philox4x32-10 generators.

A :class:`Generator` is keyed by ``(seed, stream)``: the Philox key is the 64-bit seed (low word,
high word) and the 128-bit block counter starts at ``stream << 64``, so each stream owns 2**64
blocks (2**66 32-bit words) before it would reach the next. Every draw takes whole 128-bit blocks
from the counter and advances it by what it used, so consecutive draws never overlap and two
generators with the same seed, stream and call sequence give the same numbers on every device:
bits are integer arithmetic, uniforms are exact conversions of bits (float32: top 24 bits times
2**-24; float64: top 53 bits of a 64-bit pair times 2**-53; float16: top 11 bits times 2**-11),
and normals are Box-Muller of those uniforms (equal to rounding across devices).

The module-level functions use the default generator (seed 0 until :func:`seed` is called) unless
given ``generator=``. Results are new tensors on ``device`` (default: the default device).
"""
from __future__ import annotations

import math
from typing import Any, Dict, Optional

import numpy as np

from .devices import Device, default_device, device as _device
from .dtypes import as_dtype, bfloat16_dtype, default_float, float32, is_bfloat16
from .capture import draw_counter as _draw_counter
from .errors import OpError
from . import ops as _ops
from .ops import random as _rops
from .tensor import Tensor

__all__ = ["Generator", "seed", "default_generator", "get_state", "set_state", "bits", "uniform",
           "normal", "truncated_normal", "bernoulli", "randint", "permutation", "shuffle", "gamma", "poisson",
           "negative_binomial", "generalized_negative_binomial", "unique_zipfian"]

_M64 = (1 << 64) - 1
_M128 = (1 << 128) - 1
_FLOATS = (np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64))
ALGORITHM = "philox4x32-10"


def _as_int(op: str, name: str, v: Any) -> int:
    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)):
        raise OpError(op, f"{name} must be an int, got {v!r}")
    return int(v)


def _seed_value(op: str, s: Any) -> int:
    """Seeds are ints in [-2**63, 2**64); negative ones are taken mod 2**64."""
    v = _as_int(op, "seed", s)
    if not -(1 << 63) <= v <= _M64:
        raise OpError(op, f"seed must be in [-2**63, 2**64), got {v}")
    return v & _M64


def _stream_value(op: str, s: Any) -> int:
    v = _as_int(op, "stream", s)
    if not 0 <= v <= _M64:
        raise OpError(op, f"stream must be in [0, 2**64), got {v}")
    return v


def _dev(device: Any) -> Device:
    return default_device() if device is None else _device(device)


def _float_dtype(op: str, dtype: Any, shape: tuple) -> np.dtype:
    dt = default_float if dtype is None else as_dtype(dtype)
    if dt not in _FLOATS and not is_bfloat16(dt):
        raise OpError(op, f"dtype must be float16, bfloat16, float32 or float64, got {dt}", shapes=(shape,))
    return dt


def _astype_bf16(t: Tensor) -> Tensor:
    return _ops.astype(t, bfloat16_dtype())


def _number(op: str, name: str, v: Any, shape: tuple) -> float:
    try:
        f = float(v)
    except (TypeError, ValueError):
        raise OpError(op, f"{name} must be a real number, got {v!r}", shapes=(shape,)) from None
    if not math.isfinite(f):
        raise OpError(op, f"{name} must be finite, got {f}", shapes=(shape,))
    return f


def _size(shape: tuple) -> int:
    n = 1
    for d in shape:
        n *= d
    return n


class Generator:
    """A Philox4x32-10 stream: key from ``seed``, 128-bit counter starting at ``stream << 64``.

    Methods draw tensors and advance the counter by the blocks they used. State is three ints
    (:meth:`get_state`/:meth:`set_state`), so it can be saved with a checkpoint.
    """

    __slots__ = ("_seed", "_stream", "_key", "_counter")

    def __init__(self, seed: int = 0, stream: int = 0) -> None:
        self._seed = _seed_value("Generator", seed)
        self._stream = _stream_value("Generator", stream)
        self._key = (self._seed & 0xFFFFFFFF, self._seed >> 32)
        self._counter = self._stream << 64

    # -- state ---------------------------------------------------------------------------------
    @property
    def seed(self) -> int:
        return self._seed

    @property
    def stream(self) -> int:
        return self._stream

    @property
    def key(self) -> tuple:
        """The Philox key words ``(k0, k1)``."""
        return self._key

    @property
    def counter(self) -> int:
        """The 128-bit counter of the next block to be drawn."""
        return self._counter

    def get_state(self) -> Dict[str, Any]:
        """``{"algorithm", "seed", "stream", "counter"}``: plain ints, restorable by :meth:`set_state`."""
        return {"algorithm": ALGORITHM, "seed": self._seed, "stream": self._stream, "counter": self._counter}

    def set_state(self, state: Dict[str, Any]) -> "Generator":
        """Restore a state from :meth:`get_state`; returns self."""
        if not isinstance(state, dict) or state.get("algorithm", ALGORITHM) != ALGORITHM:
            raise OpError("set_state", f"expected a {ALGORITHM} state dict from get_state(), got {state!r:.100}")
        try:
            s, st, c = state["seed"], state["stream"], state["counter"]
        except KeyError as e:
            raise OpError("set_state", f"state is missing {e}") from None
        s, st = _seed_value("set_state", s), _stream_value("set_state", st)
        c = _as_int("set_state", "counter", c)
        if not 0 <= c <= _M128:
            raise OpError("set_state", f"counter must be in [0, 2**128), got {c}")
        self._seed, self._stream, self._key, self._counter = s, st, (s & 0xFFFFFFFF, s >> 32), c
        return self

    def manual_seed(self, seed: int, stream: Optional[int] = None) -> "Generator":
        """Re-key with ``seed`` (and ``stream``, default unchanged) and reset the counter; returns self."""
        self.__init__(seed, self._stream if stream is None else stream)  # type: ignore[misc]
        return self

    def clone(self) -> "Generator":
        """An independent generator in the same state (it will draw the same numbers)."""
        g = Generator.__new__(Generator)
        g._seed, g._stream, g._key, g._counter = self._seed, self._stream, self._key, self._counter
        return g

    def __repr__(self) -> str:
        return f"Generator(seed={self._seed}, stream={self._stream}, counter={self._counter:#x})"

    def _take(self, words: int) -> int:
        """Reserve ``ceil(words/4)`` blocks; returns the counter of the first."""
        c = self._counter
        self._counter = (c + ((words + 3) >> 2)) & _M128
        return _draw_counter(self, c, words)

    # -- draws ---------------------------------------------------------------------------------
    def bits(self, shape: Any = (), dtype: Any = np.uint32, device: Any = None) -> Tensor:
        """Raw Philox words, uint32 (or uint64 from pairs). Shape: ``shape``."""
        shape = _rops.normalize_shape("random_bits", shape)
        dt = np.dtype(dtype)
        if dt not in (np.uint32, np.uint64):
            raise OpError("random_bits", f"dtype must be uint32 or uint64, got {dt}", shapes=(shape,))
        c = self._take(_size(shape) * _rops.words_per_value(dt))
        return _rops.draw(_rops.RANDOM_BITS, _dev(device),
                          {"shape": shape, "key": self._key, "counter": c, "dtype": dt})

    def uniform(self, low: float = 0.0, high: float = 1.0, shape: Any = (), dtype: Any = None,
                device: Any = None) -> Tensor:
        """Uniform floats in [low, high) (``high`` itself only by rounding of ``low + (high-low)*u``).

        Shape: ``shape``; dtype float32 unless given (float16/32/64). One word per value (two for
        float64); with low=0, high=1 the values are the exact bit conversions.
        """
        shape = _rops.normalize_shape("uniform", shape)
        dt = _float_dtype("uniform", dtype, shape)
        lo, hi = _number("uniform", "low", low, shape), _number("uniform", "high", high, shape)
        if hi < lo:
            raise OpError("uniform", f"expected low <= high, got low={lo}, high={hi}", shapes=(shape,))
        if is_bfloat16(dt):  # drawn as float32 (the same words and values), rounded once
            return _astype_bf16(self.uniform(lo, hi, shape, float32, device))
        c = self._take(_size(shape) * _rops.words_per_value(dt))
        return _rops.draw(_rops.RANDOM_UNIFORM, _dev(device),
                          {"shape": shape, "key": self._key, "counter": c, "dtype": dt, "low": lo, "high": hi})

    def _normal(self, op: str, loc: Any, scale: Any, shape: Any, dtype: Any, device: Any, rounds: int) -> Tensor:
        shape = _rops.normalize_shape(op, shape)
        dt = _float_dtype(op, dtype, shape)
        mu, sd = _number(op, "loc", loc, shape), _number(op, "scale", scale, shape)
        if sd < 0:
            raise OpError(op, f"scale must be >= 0, got {sd}", shapes=(shape,))
        if is_bfloat16(dt):  # drawn as float32 (the same words and values), rounded once
            return _astype_bf16(self._normal(op, mu, sd, shape, float32, device, rounds))
        c = self._take(_rops.normal_words(_size(shape), dt, rounds))
        return _rops.draw(_rops.RANDOM_NORMAL, _dev(device),
                          {"shape": shape, "key": self._key, "counter": c, "dtype": dt, "loc": mu, "scale": sd,
                           "rounds": rounds})

    def normal(self, loc: float = 0.0, scale: float = 1.0, shape: Any = (), dtype: Any = None,
               device: Any = None) -> Tensor:
        """Normal floats, mean ``loc``, standard deviation ``scale``. Shape: ``shape``.

        Box-Muller on pairs of uniforms (``sqrt(-2 log(1-u1)) * (cos, sin)(2 pi u2)``), computed in
        the output dtype (float32 for float16); uses the words of ``2*ceil(n/2)`` uniforms.
        """
        return self._normal("normal", loc, scale, shape, dtype, device, 0)

    def truncated_normal(self, loc: float = 0.0, scale: float = 1.0, shape: Any = (), dtype: Any = None,
                         device: Any = None) -> Tensor:
        """Normal values more than 2 std from ``loc`` re-drawn (Keras' ``TruncatedNormal``).

        Deterministic re-drawing: each value gets ``TRUNC_ROUNDS`` (8) normal candidates and takes
        the first within 2 std, which is exactly the truncated distribution except when all 8 miss
        (probability 1.8e-11), where the last candidate is clipped to +-2 std. Uses 8x the words of
        :meth:`normal`. Note ``scale`` is the std before truncation (as in Keras).
        """
        return self._normal("truncated_normal", loc, scale, shape, dtype, device, _rops.TRUNC_ROUNDS)

    def bernoulli(self, p: Any = 0.5, shape: Any = None, dtype: Any = np.bool_, device: Any = None) -> Tensor:
        """True (1) with probability ``p``: a float in [0, 1] or a float Tensor broadcast to ``shape``.

        Shape: ``shape`` (default: ``p``'s shape, or ``()``); dtype bool unless given. An element is
        an event when its 32-bit word ``w`` has ``w * 2**-32 < p`` (exact in float64 on every device).
        """
        dt = as_dtype(dtype)
        if isinstance(p, Tensor):
            shp = p.shape if shape is None else _rops.normalize_shape("bernoulli", shape)
            if not p.dtype.kind == "f":
                raise OpError("bernoulli", "p must be a float tensor", shapes=(p.shape,), dtypes=(p.dtype,))
            try:
                ok = np.broadcast_shapes(p.shape, shp) == shp
            except ValueError:
                ok = False
            if not ok:
                raise OpError("bernoulli", f"p of shape {p.shape} does not broadcast to shape {shp}",
                              shapes=(p.shape,))
            dev = p.device if device is None else _dev(device)
            if dev is not p.device:
                p = p.to(dev)
            c = self._take(_size(shp))
            return _rops.apply(_rops.RANDOM_BERNOULLI, None, (p,),
                               {"shape": shp, "key": self._key, "counter": c, "dtype": dt})
        shp = _rops.normalize_shape("bernoulli", () if shape is None else shape)
        prob = _number("bernoulli", "p", p, shp)
        if not 0.0 <= prob <= 1.0:
            raise OpError("bernoulli", f"p must be in [0, 1], got {prob}", shapes=(shp,))
        c = self._take(_size(shp))
        return _rops.draw(_rops.RANDOM_BERNOULLI, _dev(device),
                          {"shape": shp, "key": self._key, "counter": c, "prob": prob, "dtype": dt})

    def _bernoulli_mask(self, shape: tuple, p: float, dtype: Any, device: Device) -> Tensor:
        """Dropout's mask (no validation; 0 < p <= 1): 0 with probability p, else 1/(1-p)."""
        c = self._take(_size(shape))
        scale = 0.0 if p >= 1.0 else 1.0 / (1.0 - p)
        return _rops.draw(_rops.RANDOM_BERNOULLI, device,
                          {"shape": shape, "key": self._key, "counter": c, "prob": p, "dtype": dtype,
                           "true_value": 0.0, "false_value": scale})

    def randint(self, low: int, high: Optional[int] = None, shape: Any = (), dtype: Any = np.int64,
                device: Any = None) -> Tensor:
        """Uniform integers in [low, high) (``randint(n)``: [0, n)), unbiased. Shape: ``shape``.

        Rejection sampling on 64-bit draws with a fixed number of rounds per value (2 for ranges
        below 2**32), chosen so that all rounds reject with probability <= 2**-64; uses
        ``2 * rounds`` words per value.
        """
        if high is None:
            low, high = 0, low
        shape = _rops.normalize_shape("randint", shape)
        lo, hi = _as_int("randint", "low", low), _as_int("randint", "high", high)
        dt = as_dtype(dtype)
        if dt.kind not in "iu":
            raise OpError("randint", f"dtype must be an integer dtype, got {dt}", shapes=(shape,))
        if lo >= hi:
            raise OpError("randint", f"empty range: expected low < high, got low={lo}, high={hi}", shapes=(shape,))
        info = np.iinfo(dt)
        if lo < int(info.min) or hi - 1 > int(info.max):
            raise OpError("randint", f"[{lo}, {hi}) does not fit in {dt}", shapes=(shape,))
        rounds = _rops.randint_rounds(lo, hi)
        c = self._take(_size(shape) * 2 * rounds)
        return _rops.draw(_rops.RANDOM_RANDINT, _dev(device),
                          {"shape": shape, "key": self._key, "counter": c, "low": lo, "high": hi, "dtype": dt,
                           "rounds": rounds})

    def permutation(self, n: Any, device: Any = None) -> Tensor:
        """A random permutation of ``range(n)`` as int64, shape (n,); given a Tensor, a shuffled copy
        along axis 0 (as NumPy). Sorts 64-bit random keys; uses 2 words per element."""
        if isinstance(n, Tensor):
            return self.shuffle(n, 0)
        n = _as_int("permutation", "n", n)
        if n < 0:
            raise OpError("permutation", f"n must be >= 0, got {n}")
        c = self._take(2 * n)
        return _rops.draw(_rops.RANDOM_PERMUTATION, _dev(device),
                          {"n": n, "key": self._key, "counter": c, "dtype": np.dtype(np.int64)})

    def shuffle(self, x: Tensor, axis: int = 0) -> Tensor:
        """``x`` with its slices along ``axis`` in random order (a new tensor; differentiable in x)."""
        if not isinstance(x, Tensor):
            raise OpError("shuffle", f"expected a unidl Tensor, got {type(x).__name__}")
        if x.ndim == 0:
            raise OpError("shuffle", "cannot shuffle a 0-d tensor", shapes=(x.shape,))
        ax = _as_int("shuffle", "axis", axis)
        if not -x.ndim <= ax < x.ndim:
            raise OpError("shuffle", f"axis {ax} out of range for {x.ndim}-d input", shapes=(x.shape,))
        perm = self.permutation(x.shape[ax], device=x.device)
        return _rops.shuffle_by(x, perm, ax)


_default = Generator(0)


def default_generator() -> Generator:
    """The generator the module-level functions and dropout use when not given one."""
    return _default


def seed(s: int, stream: int = 0) -> None:
    """Re-key the default generator with ``(s, stream)`` and reset its counter."""
    _default.manual_seed(s, stream)


def get_state() -> Dict[str, Any]:
    """The default generator's state (see :meth:`Generator.get_state`)."""
    return _default.get_state()


def set_state(state: Dict[str, Any]) -> None:
    """Restore the default generator's state."""
    _default.set_state(state)


def _gen(generator: Optional[Generator]) -> Generator:
    return _default if generator is None else generator


def bits(shape: Any = (), dtype: Any = np.uint32, device: Any = None, generator: Optional[Generator] = None) -> Tensor:
    """Raw Philox words; see :meth:`Generator.bits`."""
    return _gen(generator).bits(shape, dtype, device)


def uniform(low: float = 0.0, high: float = 1.0, shape: Any = (), dtype: Any = None, device: Any = None,
            generator: Optional[Generator] = None) -> Tensor:
    """Uniform floats in [low, high); see :meth:`Generator.uniform`."""
    return _gen(generator).uniform(low, high, shape, dtype, device)


def normal(loc: float = 0.0, scale: float = 1.0, shape: Any = (), dtype: Any = None, device: Any = None,
           generator: Optional[Generator] = None) -> Tensor:
    """Normal floats; see :meth:`Generator.normal`."""
    return _gen(generator).normal(loc, scale, shape, dtype, device)


def truncated_normal(loc: float = 0.0, scale: float = 1.0, shape: Any = (), dtype: Any = None, device: Any = None,
                     generator: Optional[Generator] = None) -> Tensor:
    """Normals re-drawn beyond 2 std (Keras semantics); see :meth:`Generator.truncated_normal`."""
    return _gen(generator).truncated_normal(loc, scale, shape, dtype, device)


def bernoulli(p: Any = 0.5, shape: Any = None, dtype: Any = np.bool_, device: Any = None,
              generator: Optional[Generator] = None) -> Tensor:
    """Events with probability ``p``; see :meth:`Generator.bernoulli`."""
    return _gen(generator).bernoulli(p, shape, dtype, device)


def randint(low: int, high: Optional[int] = None, shape: Any = (), dtype: Any = np.int64, device: Any = None,
            generator: Optional[Generator] = None) -> Tensor:
    """Unbiased integers in [low, high); see :meth:`Generator.randint`."""
    return _gen(generator).randint(low, high, shape, dtype, device)


def permutation(n: Any, device: Any = None, generator: Optional[Generator] = None) -> Tensor:
    """A random permutation of ``range(n)`` (or a shuffled copy of a Tensor along axis 0)."""
    return _gen(generator).permutation(n, device)


def shuffle(x: Tensor, axis: int = 0, generator: Optional[Generator] = None) -> Tensor:
    """``x`` shuffled along ``axis`` (a new tensor); see :meth:`Generator.shuffle`."""
    return _gen(generator).shuffle(x, axis)


# -- distributions composed of the draws above (unidl.random_dists) --------------------------------------
def gamma(alpha: Any = 1.0, scale: Any = 1.0, shape: Any = (), dtype: Any = None, device: Any = None,
          generator: Optional[Generator] = None) -> Tensor:
    """Gamma draws (shape ``alpha``, scale ``scale``; numbers or float Tensors broadcasting to ``shape``);
    see :func:`unidl.random_dists.gamma`."""
    from . import random_dists

    return random_dists.gamma(_gen(generator), alpha, scale, shape, dtype, device)


def poisson(lam: Any = 1.0, shape: Any = (), dtype: Any = None, device: Any = None,
            generator: Optional[Generator] = None) -> Tensor:
    """Poisson draws as floats; see :func:`unidl.random_dists.poisson`."""
    from . import random_dists

    return random_dists.poisson(_gen(generator), lam, shape, dtype, device)


def negative_binomial(k: Any = 1.0, p: Any = 1.0, shape: Any = (), dtype: Any = None, device: Any = None,
                      generator: Optional[Generator] = None) -> Tensor:
    """Failures before the k-th success, as floats; see :func:`unidl.random_dists.negative_binomial`."""
    from . import random_dists

    return random_dists.negative_binomial(_gen(generator), k, p, shape, dtype, device)


def generalized_negative_binomial(mu: Any = 1.0, alpha: Any = 1.0, shape: Any = (), dtype: Any = None,
                                  device: Any = None, generator: Optional[Generator] = None) -> Tensor:
    """Over-dispersed counts (mean mu, variance mu + alpha mu^2), as floats; see
    :func:`unidl.random_dists.generalized_negative_binomial`."""
    from . import random_dists

    return random_dists.generalized_negative_binomial(_gen(generator), mu, alpha, shape, dtype, device)


def unique_zipfian(range_max: int, num_sampled: int, batch: int = 1, device: Any = None,
                   generator: Optional[Generator] = None) -> Any:
    """Distinct log-uniform classes per row and the draws it took; see :func:`unidl.random_dists.unique_zipfian`."""
    from . import random_dists

    return random_dists.unique_zipfian(_gen(generator), range_max, num_sampled, batch, device)
