"""``keras.random``: random tensors from unidl's counter-based Philox generators.

``seed`` follows Keras 3:
  * an int: stateless and deterministic -- the same int gives the same numbers on every call;
  * a :class:`SeedGenerator`: draws from that generator's own stream, advancing it;
  * None: draws from unidl's default generator (``unidl.random.seed`` /
    ``keras.utils.set_random_seed`` make it reproducible).
"""
from __future__ import annotations

from typing import Any, Dict, Optional, Sequence

import numpy as np

import unidl
from unidl import ops as U
from unidl.dtypes import is_floating
from unidl.random import Generator
from unidl.tensor import Tensor

from ..backend import config
from ..ops._dtypes import to_tensor
from ..ops.node import symbolic

__all__ = ["SeedGenerator", "normal", "uniform", "truncated_normal", "randint", "dropout", "shuffle",
           "categorical", "binomial", "bernoulli"]


class SeedGenerator:
    """A random stream owned by a layer or a user: ``SeedGenerator(seed)``.

    Args:
        seed: an int; None takes one from unidl's default generator (so a global seed set with
            ``keras.utils.set_random_seed`` makes it reproducible).
        name: an optional name (for configs).
    """

    def __init__(self, seed: Optional[int] = None, name: Optional[str] = None, **kwargs: Any) -> None:
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
            raise ValueError(f"Argument `seed` must be an integer. Received: seed={seed!r}")
        if seed is None:
            seed = int(unidl.random.randint(0, 2**31 - 1, shape=()).item())
        self._initial_seed = int(seed)
        self.name = name or "seed_generator"
        self.generator = Generator(self._initial_seed)

    @property
    def state(self) -> Dict[str, Any]:
        """The generator's state (plain ints; restore with ``generator.set_state``)."""
        return self.generator.get_state()

    def next(self, ordered: bool = True) -> Tensor:
        """A fresh pair of 32-bit seeds (uint32, shape (2,)), advancing the stream."""
        return self.generator.bits((2,))

    def get_config(self) -> Dict[str, Any]:
        return {"seed": self._initial_seed}

    @classmethod
    def from_config(cls, config: Dict[str, Any]) -> "SeedGenerator":
        return cls(**config)

    def __repr__(self) -> str:
        return f"<SeedGenerator seed={self._initial_seed}>"


def generator_of(seed: Any) -> Generator:
    """The unidl Generator a ``seed`` argument designates (see the module docstring)."""
    if seed is None:
        return unidl.random.default_generator()
    if isinstance(seed, SeedGenerator):
        return seed.generator
    if isinstance(seed, Generator):
        return seed
    if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
        return Generator(int(seed))
    raise ValueError("Argument `seed` must be either an integer or an instance of `SeedGenerator`. "
                     f"Received: seed={seed!r} (of type {type(seed)})")


def _shape(shape: Any) -> tuple:
    if isinstance(shape, (int, np.integer)):
        return (int(shape),)
    return tuple(int(d) for d in shape)


def _float(dtype: Any) -> str:
    dt = config.standardize_dtype(dtype)
    if not is_floating(dt):
        raise ValueError(f"Expected a float dtype, received dtype={dtype!r}")
    return dt


def normal(shape: Any, mean: float = 0.0, stddev: float = 1.0, dtype: Any = None, seed: Any = None) -> Tensor:
    """Normal samples. Shape: ``shape``; floatx unless ``dtype``."""
    return generator_of(seed).normal(float(mean), float(stddev), _shape(shape), dtype=_float(dtype))


def uniform(shape: Any, minval: float = 0.0, maxval: float = 1.0, dtype: Any = None, seed: Any = None) -> Tensor:
    """Uniform samples in ``[minval, maxval)``. Shape: ``shape``; floatx unless ``dtype``."""
    return generator_of(seed).uniform(float(minval), float(maxval), _shape(shape), dtype=_float(dtype))


def truncated_normal(shape: Any, mean: float = 0.0, stddev: float = 1.0, dtype: Any = None,
                     seed: Any = None) -> Tensor:
    """Normal samples re-drawn beyond two standard deviations of ``mean``. Shape: ``shape``."""
    return generator_of(seed).truncated_normal(float(mean), float(stddev), _shape(shape), dtype=_float(dtype))


def randint(shape: Any, minval: int, maxval: int, dtype: Any = "int32", seed: Any = None) -> Tensor:
    """Uniform integers in ``[minval, maxval)``. Shape: ``shape``; int32 unless ``dtype``."""
    dt = config.standardize_dtype(dtype)
    if np.dtype(dt).kind not in "iu":
        raise ValueError(f"`randint` expects an integer dtype; received dtype={dtype!r}")
    return generator_of(seed).randint(int(minval), int(maxval), _shape(shape), dtype=dt)


@symbolic
def dropout(inputs: Any, rate: float, noise_shape: Any = None, seed: Any = None) -> Tensor:
    """Zero each element with probability ``rate`` and scale the rest by ``1 / (1 - rate)``.

    ``noise_shape`` (None entries take the input's size) broadcasts one mask over the other axes."""
    x = to_tensor(inputs)
    if not 0.0 <= float(rate) <= 1.0:
        raise ValueError(f"Invalid value received for argument `rate`. Expected a float value between 0 and 1. "
                         f"Received: rate={rate}")
    ns = None
    if noise_shape is not None:
        ns = tuple(x.shape[i] if d is None else int(d) for i, d in enumerate(noise_shape))
    return U.dropout(x, float(rate), training=True, generator=generator_of(seed), noise_shape=ns)


@symbolic
def shuffle(x: Any, axis: int = 0, seed: Any = None) -> Tensor:
    """``x`` with its slices along ``axis`` in random order."""
    return generator_of(seed).shuffle(to_tensor(x), int(axis))


@symbolic
def categorical(logits: Any, num_samples: int, dtype: Any = "int32", seed: Any = None) -> Tensor:
    """Class indices drawn from ``softmax(logits)`` (Gumbel-max). Shape: (B, C) -> (B, num_samples)."""
    lg = to_tensor(logits)
    if not is_floating(lg.dtype):
        lg = U.astype(lg, config.floatx())
    b, c = lg.shape
    u = generator_of(seed).uniform(0.0, 1.0, (b, int(num_samples), c), dtype=lg.dtype)
    tiny = float(np.finfo(lg.dtype).tiny)
    gumbel = U.negative(U.log(U.negative(U.log(U.clip(u, tiny, 1.0)))))
    idx = U.argmax(U.add(U.expand_dims(lg, 1), gumbel), axis=-1)
    return U.astype(idx, config.standardize_dtype(dtype))


def bernoulli(shape: Any, p: float = 0.5, dtype: Any = None, seed: Any = None) -> Tensor:
    """1 with probability ``p``, else 0. Shape: ``shape``; floatx unless ``dtype``."""
    return U.astype(generator_of(seed).bernoulli(float(p), _shape(shape)), config.standardize_dtype(dtype))


def binomial(shape: Any, counts: Any, probabilities: Any, dtype: Any = None, seed: Any = None) -> Tensor:
    """Successes among ``counts`` trials of probability ``probabilities`` (both broadcast to ``shape``),
    as a sum of Bernoulli draws. Shape: ``shape``; floatx unless ``dtype``."""
    shp = _shape(shape)
    n = to_tensor(counts)
    p = to_tensor(probabilities)
    if not is_floating(p.dtype):
        p = U.astype(p, config.floatx())
    nmax = int(np.max(n.numpy())) if n.size else 0
    if nmax <= 0:
        return unidl.zeros(shp, dtype=config.standardize_dtype(dtype))
    u = generator_of(seed).uniform(0.0, 1.0, (nmax,) + shp, dtype=p.dtype)
    trial = U.reshape(unidl.arange(nmax, dtype="int64"), (nmax,) + (1,) * len(shp))
    live = U.less(trial, U.astype(n, "int64"))
    hits = U.logical_and(U.less(u, p), live)
    return U.astype(U.sum(U.astype(hits, "int32"), axis=0), config.standardize_dtype(dtype))
