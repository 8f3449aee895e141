"""``keras.initializers``: Keras 3 initializers, drawing through :mod:`unidl.nn.init`.

``seed=None`` draws from the global generator (``keras.utils.set_random_seed`` seeds it), so
successive draws differ; an int ``seed`` draws from its own generator, so every call with the same
seed gives the same values (Keras 3 behaviour).
"""
from __future__ import annotations

from typing import Any, Dict, Optional

import numpy as np

import unidl
from unidl.nn import init as _init

from ..saving.object_config import deserialize_object, get_object, serialize_object
from ..backend import config
from ..backend.common import snake_case


class Initializer:
    """Base class: ``initializer(shape, dtype=None) -> Tensor``."""

    def __call__(self, shape: Any, dtype: Any = None) -> Any:
        raise NotImplementedError

    def get_config(self) -> Dict[str, Any]:
        return {}

    @classmethod
    def from_config(cls, config: Dict[str, Any]) -> "Initializer":
        return cls(**config)

    def clone(self) -> "Initializer":
        return type(self).from_config(self.get_config())


class _Seeded(Initializer):
    def __init__(self, seed: Any = None) -> None:
        if seed is not None and not isinstance(seed, int) and type(seed).__name__ != "SeedGenerator":
            raise ValueError(f"`seed` argument should be an instance of `keras.random.SeedGenerator()` or an "
                             f"integer. Received: seed={seed}")
        self.seed = seed

    def _gen(self) -> Optional[unidl.random.Generator]:
        # an int seed: the same draw on every call (Keras 3); a SeedGenerator: its own advancing stream
        if self.seed is None:
            return None
        if isinstance(self.seed, int):
            return unidl.random.Generator(self.seed)
        from ..random import generator_of

        return generator_of(self.seed)

    def get_config(self) -> Dict[str, Any]:
        return {"seed": self.seed}


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
        return {"value": self.value}


class Identity(Initializer):
    def __init__(self, gain: float = 1.0) -> None:
        self.gain = gain

    def __call__(self, shape: Any, dtype: Any = None) -> Any:
        return _init.identity(shape, self.gain, dtype=config.standardize_dtype(dtype))

    def get_config(self) -> Dict[str, Any]:
        return {"gain": self.gain}


class RandomUniform(_Seeded):
    def __init__(self, minval: float = -0.05, maxval: float = 0.05, seed: Optional[int] = None) -> None:
        super().__init__(seed)
        self.minval, self.maxval = minval, maxval

    def __call__(self, shape: Any, dtype: Any = None) -> Any:
        return _init.uniform(shape, self.minval, self.maxval, dtype=config.standardize_dtype(dtype), generator=self._gen())

    def get_config(self) -> Dict[str, Any]:
        return {"minval": self.minval, "maxval": self.maxval, "seed": self.seed}


class RandomNormal(_Seeded):
    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: Optional[int] = None) -> None:
        super().__init__(seed)
        self.mean, self.stddev = mean, stddev

    def __call__(self, shape: Any, dtype: Any = None) -> Any:
        return _init.normal(shape, self.mean, self.stddev, dtype=config.standardize_dtype(dtype), generator=self._gen())

    def get_config(self) -> Dict[str, Any]:
        return {"mean": self.mean, "stddev": self.stddev, "seed": self.seed}


class TruncatedNormal(RandomNormal):
    def __call__(self, shape: Any, dtype: Any = None) -> Any:
        return _init.truncated_normal(shape, self.mean, self.stddev, dtype=config.standardize_dtype(dtype),
                                      generator=self._gen())


class VarianceScaling(_Seeded):
    def __init__(self, scale: float = 1.0, mode: str = "fan_in", distribution: str = "truncated_normal",
                 seed: Optional[int] = None, input_axes: Any = None, output_axes: Any = None) -> None:
        super().__init__(seed)
        if scale <= 0.0:
            raise ValueError(f"Argument `scale` must be positive float. Received: scale={scale}")
        if mode not in ("fan_in", "fan_out", "fan_avg"):
            raise ValueError(f"Invalid `mode` argument: expected one of {{'fan_in', 'fan_out', 'fan_avg'}}. "
                             f"Received: mode={mode}")
        distribution = distribution.lower()
        if distribution == "normal":
            distribution = "truncated_normal"
        if distribution not in ("uniform", "truncated_normal", "untruncated_normal"):
            raise ValueError(f"Invalid `distribution` argument: expected one of {{'uniform', 'truncated_normal', "
                             f"'untruncated_normal'}}. Received: distribution={distribution}")
        self.scale, self.mode, self.distribution = scale, mode, distribution
        # the kernel axes that count as input / output units (EinsumDense sets them from its equation)
        self.input_axes = None if input_axes is None else [int(a) for a in input_axes]
        self.output_axes = None if output_axes is None else [int(a) for a in output_axes]

    def __call__(self, shape: Any, dtype: Any = None) -> Any:
        if self.input_axes is not None and self.output_axes is not None:
            dims = tuple(int(d) for d in shape)
            fan_in = int(np.prod([dims[a] for a in self.input_axes], dtype=np.int64))
            fan_out = int(np.prod([dims[a] for a in self.output_axes], dtype=np.int64))
        else:
            fan_in, fan_out = _init.compute_fans(shape, "keras")
        return _init.variance_scaling(shape, self.scale, self.mode, self.distribution, fan_in=fan_in, fan_out=fan_out,
                                      dtype=config.standardize_dtype(dtype), generator=self._gen())

    def get_config(self) -> Dict[str, Any]:
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution, "seed": self.seed,
                "input_axes": self.input_axes, "output_axes": self.output_axes}


def _vs_class(name: str, scale: float, mode: str, dist: str) -> type:
    def __init__(self, seed: Optional[int] = None, input_axes: Any = None, output_axes: Any = None) -> None:
        VarianceScaling.__init__(self, scale, mode, dist, seed, input_axes, output_axes)

    def get_config(self) -> Dict[str, Any]:
        return {"seed": self.seed, "input_axes": self.input_axes, "output_axes": self.output_axes}

    return type(name, (VarianceScaling,), {"__init__": __init__, "get_config": get_config,
                                           "__doc__": f"Keras ``{name}``: VarianceScaling(scale={scale}, "
                                                      f"mode='{mode}', distribution='{dist}')."})


GlorotUniform = _vs_class("GlorotUniform", 1.0, "fan_avg", "uniform")
GlorotNormal = _vs_class("GlorotNormal", 1.0, "fan_avg", "truncated_normal")
HeUniform = _vs_class("HeUniform", 2.0, "fan_in", "uniform")
HeNormal = _vs_class("HeNormal", 2.0, "fan_in", "truncated_normal")
LecunUniform = _vs_class("LecunUniform", 1.0, "fan_in", "uniform")
LecunNormal = _vs_class("LecunNormal", 1.0, "fan_in", "truncated_normal")


class Orthogonal(_Seeded):
    def __init__(self, gain: float = 1.0, seed: Optional[int] = None) -> None:
        super().__init__(seed)
        self.gain = gain

    def __call__(self, shape: Any, dtype: Any = None) -> Any:
        return _init.orthogonal(shape, self.gain, dtype=config.standardize_dtype(dtype), generator=self._gen())

    def get_config(self) -> Dict[str, Any]:
        return {"gain": self.gain, "seed": self.seed}


OrthogonalInitializer = Orthogonal
IdentityInitializer = Identity

_CLASSES = [Zeros, Ones, Constant, Identity, RandomUniform, RandomNormal, TruncatedNormal, VarianceScaling,
            GlorotUniform, GlorotNormal, HeUniform, HeNormal, LecunUniform, LecunNormal, Orthogonal]
_BY_NAME: Dict[str, type] = {}
for _c in _CLASSES:
    _BY_NAME[_c.__name__] = _c
    _BY_NAME[snake_case(_c.__name__)] = _c
_BY_NAME.update({"zero": Zeros, "one": Ones, "uniform": RandomUniform, "normal": RandomNormal,
                 "random_uniform": RandomUniform, "random_normal": RandomNormal, "orthogonal": Orthogonal,
                 "identity": Identity, "OrthogonalInitializer": Orthogonal, "IdentityInitializer": Identity})
del _c

# function-style aliases (keras.initializers.glorot_uniform(...) returns an instance)
zeros, ones, constant = Zeros, Ones, Constant
glorot_uniform, glorot_normal, he_uniform, he_normal = GlorotUniform, GlorotNormal, HeUniform, HeNormal
lecun_uniform, lecun_normal, orthogonal, random_uniform, random_normal = (LecunUniform, LecunNormal, Orthogonal,
                                                                          RandomUniform, RandomNormal)
truncated_normal, variance_scaling, identity = TruncatedNormal, VarianceScaling, Identity


def serialize(initializer: Any) -> Any:
    return serialize_object(initializer, "keras.initializers", "initializer", Initializer)


def deserialize(config: Any, custom_objects: Any = None) -> Initializer:
    return deserialize_object(config, _BY_NAME, "initializer", custom_objects)


def get(identifier: Any) -> Any:
    """An initializer from a name ('glorot_uniform', 'GlorotUniform'), a config dict, an instance or a callable."""
    return get_object(identifier, _BY_NAME, "initializer", deserialize, Initializer)
