"""``mx.init``: MXNet's initializers, drawing from unidl's shared generator.

As in Gluon, an initializer fills a parameter through ``_init_weight`` whatever the parameter's name;
layers give their biases an explicit ``'zeros'`` initializer.
"""
from __future__ import annotations

from typing import Any, Dict, Type

import unidl
from unidl import ops
from unidl.nn import init as _init

from .base import MXNetError

_REGISTRY: Dict[str, Type["Initializer"]] = {}


def register(klass: Type["Initializer"]) -> Type["Initializer"]:
    """Make an initializer class creatable by its lower-case name (``init='xavier'``)."""
    _REGISTRY[klass.__name__.lower()] = klass
    return klass


class Initializer:
    """Base class: ``init(name, arr)`` fills the NDArray ``arr`` in place."""

    def __init__(self, **kwargs: Any) -> None:
        self._kwargs = kwargs

    def __call__(self, name: Any, arr: Any) -> None:
        self._init_weight(str(name), arr)

    def _init_weight(self, name: str, arr: Any) -> None:
        raise NotImplementedError(f"{type(self).__name__} must implement _init_weight")

    def dumps(self) -> str:
        import json

        return json.dumps([type(self).__name__.lower(), self._kwargs])

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in self._kwargs.items())})"


def _fill(arr: Any, t: Any) -> None:
    ops.setitem(arr._t, Ellipsis, ops.astype(t, arr._t.dtype) if t.dtype != arr._t.dtype else t)


def _float(arr: Any) -> str:
    return str(arr._t.dtype) if arr._t.dtype.kind == "f" else "float32"


@register
class Zero(Initializer):
    """Fill with 0."""

    def _init_weight(self, name: str, arr: Any) -> None:
        _fill(arr, unidl.zeros_like(arr._t))


@register
class One(Initializer):
    """Fill with 1."""

    def _init_weight(self, name: str, arr: Any) -> None:
        _fill(arr, unidl.ones_like(arr._t))


@register
class Constant(Initializer):
    """Fill with ``value``."""

    def __init__(self, value: Any) -> None:
        super().__init__(value=value)
        self.value = value

    def _init_weight(self, name: str, arr: Any) -> None:
        _fill(arr, unidl.full_like(arr._t, self.value))


@register
class Uniform(Initializer):
    """Uniform draws in [-scale, scale) (``scale`` 0.07 by default, Gluon's default initializer)."""

    def __init__(self, scale: float = 0.07) -> None:
        super().__init__(scale=scale)
        self.scale = scale

    def _init_weight(self, name: str, arr: Any) -> None:
        _fill(arr, _init.uniform(arr.shape, -self.scale, self.scale, dtype=_float(arr), device=arr._t.device))


@register
class Normal(Initializer):
    """Normal draws with mean 0 and standard deviation ``sigma`` (0.01 by default)."""

    def __init__(self, sigma: float = 0.01) -> None:
        super().__init__(sigma=sigma)
        self.sigma = sigma

    def _init_weight(self, name: str, arr: Any) -> None:
        _fill(arr, _init.normal(arr.shape, 0.0, self.sigma, dtype=_float(arr), device=arr._t.device))


def _fans(name: str, shape: tuple, who: str) -> tuple:
    """MXNet's fans for weights laid out (out, in, *kernel), with its error for vectors."""
    if len(shape) < 2:
        raise MXNetError(f"{who} initializer cannot be applied to vector {name}. It requires at least 2D.")
    return _init.compute_fans(shape, "mxnet")


@register
class Xavier(Initializer):
    """Scale ``sqrt(magnitude / factor)`` with factor the fan average, fan-in or fan-out; ``rnd_type``
    uniform in [-scale, scale] or gaussian with that standard deviation."""

    def __init__(self, rnd_type: str = "uniform", factor_type: str = "avg", magnitude: float = 3) -> None:
        super().__init__(rnd_type=rnd_type, factor_type=factor_type, magnitude=magnitude)
        if rnd_type not in ("uniform", "gaussian"):
            raise MXNetError(f"Xavier: unknown random type {rnd_type!r}; expected 'uniform' or 'gaussian'")
        if factor_type not in ("avg", "in", "out"):
            raise MXNetError(f"Xavier: incorrect factor type {factor_type!r}; expected 'avg', 'in' or 'out'")
        self.rnd_type, self.factor_type, self.magnitude = rnd_type, factor_type, float(magnitude)

    def _init_weight(self, name: str, arr: Any) -> None:
        fan_in, fan_out = _fans(name, arr.shape, type(self).__name__)
        _fill(arr, _init.xavier(arr.shape, self.rnd_type, self.factor_type, self.magnitude, fan_in=fan_in,
                                fan_out=fan_out, dtype=_float(arr), device=arr._t.device))


@register
class MSRAPrelu(Xavier):
    """He-style initialization for PReLU nets: gaussian, magnitude ``2 / (1 + slope**2)``."""

    def __init__(self, factor_type: str = "avg", slope: float = 0.25) -> None:
        super().__init__("gaussian", factor_type, 2.0 / (1 + slope ** 2))
        self._kwargs = {"factor_type": factor_type, "slope": slope}


@register
class Orthogonal(Initializer):
    """Orthogonal weights: the (nout, nin) view has orthonormal rows or columns, times ``scale``;
    ``rand_type`` 'uniform' or 'normal' is the draw the SVD starts from."""

    def __init__(self, scale: float = 1.414, rand_type: str = "uniform") -> None:
        super().__init__(scale=scale, rand_type=rand_type)
        if rand_type not in ("uniform", "normal"):
            raise MXNetError(f"Orthogonal: unknown random type {rand_type!r}; expected 'uniform' or 'normal'")
        self.scale, self.rand_type = scale, rand_type

    def _init_weight(self, name: str, arr: Any) -> None:
        if arr.ndim < 2:
            raise MXNetError(f"Orthogonal initializer cannot be applied to vector {name}. It requires at least 2D.")
        _fill(arr, _init.orthogonal_svd(arr.shape, self.scale, self.rand_type, dtype=_float(arr),
                                        device=arr._t.device))


_REGISTRY["zeros"] = Zero
_REGISTRY["ones"] = One


class Mixed:
    """Pick an initializer by parameter name: the first of ``patterns`` (regular expressions matched at
    the start of the name, as ``re.match``) that matches chooses the same-position entry of
    ``initializers``. End with ``'.*'`` to give a default."""

    def __init__(self, patterns: Any, initializers: Any) -> None:
        import re

        patterns, initializers = list(patterns), list(initializers)
        if len(patterns) != len(initializers):
            raise MXNetError(f"Mixed: {len(patterns)} patterns but {len(initializers)} initializers")
        self.map = [(re.compile(p), create(i)) for p, i in zip(patterns, initializers)]

    def __call__(self, name: Any, arr: Any) -> None:
        for prog, init in self.map:
            if prog.match(str(name)):
                init(name, arr)
                return
        raise ValueError(f"Parameter name {name} did not match any pattern. Consider adding a \".*\" pattern "
                         "at the end with a default Initializer.")

    def __repr__(self) -> str:
        return f"Mixed({[p.pattern for p, _ in self.map]}, {[i for _, i in self.map]})"


def create(init: Any) -> Initializer:
    """An Initializer from an instance, a registered name ('zeros', 'xavier', ...) or None (Uniform)."""
    if init is None:
        return Uniform()
    if isinstance(init, (Initializer, Mixed)):
        return init
    if isinstance(init, str):
        klass = _REGISTRY.get(init.lower())
        if klass is None:
            raise MXNetError(f"unknown initializer {init!r}; known: {', '.join(sorted(_REGISTRY))}")
        return klass()
    raise MXNetError(f"cannot make an initializer from {type(init).__name__}")


__all__ = ["Initializer", "Zero", "One", "Constant", "Uniform", "Normal", "Xavier", "MSRAPrelu", "Orthogonal", "Mixed", "create",
           "register"]
