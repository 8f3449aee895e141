"""Random initializers, drawing through :mod:`unidl.nn.init` (Keras's
``keras.src.initializers.random_initializers``): ``RandomUniform``, ``RandomNormal``, ``TruncatedNormal``,
``VarianceScaling`` and its named forms, ``Orthogonal``; and ``compute_fans``.

``seed=None`` draws from the global generator (``keras.utils.set_random_seed`` seeds it), so
successive draws differ; an int ``seed`` draws from its own generator, so every call with the same
seed gives the same values (Keras 3 behaviour).
"""
from __future__ import annotations

from typing import Any, Dict, Optional, Sequence, Tuple

import unidl
from unidl.nn import init as _init

from ..backend import config
from .initializer import Initializer


class RandomInitializer(Initializer):
    """Base of the seeded initializers: ``seed`` is None, an int or a ``keras.random.SeedGenerator``."""

    def __init__(self, seed: Any = None) -> None:
        if isinstance(seed, dict):  # a serialized SeedGenerator (get_config)
            if seed.get("class_name") == "SeedGenerator":
                from ..random import SeedGenerator

                seed = SeedGenerator.from_config(dict(seed.get("config") or {}))
            else:
                from ..saving.serialization import deserialize_keras_object

                seed = deserialize_keras_object(seed)
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

    def _seed_config(self) -> Any:
        """The seed as a config value: an int or None as is, a SeedGenerator serialized."""
        if self.seed is None or isinstance(self.seed, int):
            return self.seed
        return {"module": "keras.random", "class_name": "SeedGenerator", "config": self.seed.get_config(),
                "registered_name": None}

    def get_config(self) -> Dict[str, Any]:
        return {"seed": self._seed_config()}


_Seeded = RandomInitializer


def compute_fans(shape: Sequence[int], input_axes: Optional[Sequence[int]] = None,
                 output_axes: Optional[Sequence[int]] = None) -> Tuple[int, int]:
    """``(fan_in, fan_out)`` of a weight ``shape``: the products over ``input_axes`` / ``output_axes`` when both
    are given, else Keras's rule (a kernel's receptive field times its input / output depth)."""
    shape = tuple(int(d) for d in shape)
    if input_axes is not None and output_axes is not None:
        fan_in = 1
        for a in input_axes:
            fan_in *= shape[a]
        fan_out = 1
        for a in output_axes:
            fan_out *= shape[a]
        return int(fan_in), int(fan_out)
    return _init.compute_fans(shape, "keras")


class RandomUniform(RandomInitializer):
    def __init__(self, minval: float = -0.05, maxval: float = 0.05, seed: Optional[int] = None) -> None:
        super().__init__(seed)
        self.minval, self.maxval = minval, maxval

    def __call__(self, shape: Any, dtype: Any = None) -> Any:
        return _init.uniform(shape, self.minval, self.maxval, dtype=config.standardize_dtype(dtype), generator=self._gen())

    def get_config(self) -> Dict[str, Any]:
        return {"minval": self.minval, "maxval": self.maxval, "seed": self._seed_config()}


class RandomNormal(RandomInitializer):
    def __init__(self, mean: float = 0.0, stddev: float = 0.05, seed: Optional[int] = None) -> None:
        super().__init__(seed)
        self.mean, self.stddev = mean, stddev

    def __call__(self, shape: Any, dtype: Any = None) -> Any:
        return _init.normal(shape, self.mean, self.stddev, dtype=config.standardize_dtype(dtype), generator=self._gen())

    def get_config(self) -> Dict[str, Any]:
        return {"mean": self.mean, "stddev": self.stddev, "seed": self._seed_config()}


class TruncatedNormal(RandomNormal):
    def __call__(self, shape: Any, dtype: Any = None) -> Any:
        return _init.truncated_normal(shape, self.mean, self.stddev, dtype=config.standardize_dtype(dtype),
                                      generator=self._gen())


class VarianceScaling(RandomInitializer):
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
        fan_in, fan_out = compute_fans(shape, self.input_axes, self.output_axes)
        return _init.variance_scaling(shape, self.scale, self.mode, self.distribution, fan_in=fan_in, fan_out=fan_out,
                                      dtype=config.standardize_dtype(dtype), generator=self._gen())

    def get_config(self) -> Dict[str, Any]:
        return {"scale": self.scale, "mode": self.mode, "distribution": self.distribution, "seed": self._seed_config(),
                "input_axes": self.input_axes, "output_axes": self.output_axes}


def _vs_class(name: str, scale: float, mode: str, dist: str) -> type:
    def __init__(self, seed: Optional[int] = None, input_axes: Any = None, output_axes: Any = None) -> None:
        VarianceScaling.__init__(self, scale, mode, dist, seed, input_axes, output_axes)

    def get_config(self) -> Dict[str, Any]:
        return {"seed": self._seed_config(), "input_axes": self.input_axes, "output_axes": self.output_axes}

    return type(name, (VarianceScaling,), {"__init__": __init__, "get_config": get_config,
                                           "__doc__": f"Keras ``{name}``: VarianceScaling(scale={scale}, "
                                                      f"mode='{mode}', distribution='{dist}')."})


GlorotUniform = _vs_class("GlorotUniform", 1.0, "fan_avg", "uniform")
GlorotNormal = _vs_class("GlorotNormal", 1.0, "fan_avg", "truncated_normal")
HeUniform = _vs_class("HeUniform", 2.0, "fan_in", "uniform")
HeNormal = _vs_class("HeNormal", 2.0, "fan_in", "truncated_normal")
LecunUniform = _vs_class("LecunUniform", 1.0, "fan_in", "uniform")
LecunNormal = _vs_class("LecunNormal", 1.0, "fan_in", "truncated_normal")


class Orthogonal(RandomInitializer):
    def __init__(self, gain: float = 1.0, seed: Optional[int] = None) -> None:
        super().__init__(seed)
        self.gain = gain

    def __call__(self, shape: Any, dtype: Any = None) -> Any:
        return _init.orthogonal(shape, self.gain, dtype=config.standardize_dtype(dtype), generator=self._gen())

    def get_config(self) -> Dict[str, Any]:
        return {"gain": self.gain, "seed": self._seed_config()}


OrthogonalInitializer = Orthogonal
