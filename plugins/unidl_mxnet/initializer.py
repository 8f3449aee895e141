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

    def __eq__(self, other: Any) -> Any:
        # as MXNet: initializers of the same class with the same arguments are equal
        if not isinstance(other, Initializer):
            return NotImplemented
        return type(self) is type(other) and _same(self._kwargs, other._kwargs)

    __hash__ = None  # type: ignore[assignment]  # equal by value, so unhashable (as in MXNet)


def _same(a: Any, b: Any) -> bool:
    """``a == b`` for initializer arguments, which may hold arrays (compared by value)."""
    try:
        return bool(a == b)
    except (ValueError, TypeError):  # arrays inside: elementwise ``==`` has no single truth value
        import numpy as np

        if isinstance(a, dict) and isinstance(b, dict):
            return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
        conv = [x.asnumpy() if hasattr(x, "asnumpy") else np.asarray(x) for x in (a, b)]
        return conv[0].shape == conv[1].shape and bool((conv[0] == conv[1]).all())


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
        v = self.value
        if hasattr(v, "_t") or not _is_scalar(v):  # an array (broadcast to the parameter's shape)
            t = v._t if hasattr(v, "_t") else unidl.tensor(v, device=arr._t.device)
            try:
                _fill(arr, ops.broadcast_to(ops.to_device(t, arr._t.device), arr.shape))
            except Exception as e:  # noqa: BLE001 - the core names the shapes; say which initializer
                raise MXNetError(f"Constant initializer: value of shape {tuple(t.shape)} cannot fill parameter "
                                 f"{name} of shape {tuple(arr.shape)} ({e})") from None
            return
        _fill(arr, unidl.full_like(arr._t, v))

    def dumps(self) -> str:
        """``["constant", {"value": ...}]``; an array value is written as a (nested) list, as MXNet."""
        import json

        v = self._kwargs["value"]
        if not _is_scalar(v):
            self._kwargs["value"] = v.asnumpy().tolist() if hasattr(v, "asnumpy") else v.tolist() \
                if hasattr(v, "tolist") else v
        return json.dumps([type(self).__name__.lower(), self._kwargs])


def _is_scalar(v: Any) -> bool:
    import numpy as np

    return bool(np.isscalar(v))


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


@register
class Bilinear(Initializer):
    """Weights of a bilinear upsampling kernel for a (N, C, H, W) deconvolution weight: entry (y, x) of
    each kernel is ``(1 - |x/f - c|) * (1 - |y/f - c|)`` with ``f = ceil(W / 2)``, ``c = (2f - 1 - f % 2) / 2f``."""

    def __init__(self) -> None:
        super().__init__()

    def _init_weight(self, name: str, arr: Any) -> None:
        shape = tuple(arr.shape)
        if len(shape) != 4:
            raise MXNetError(f"Bilinear initializer needs a 4-D (N, C, H, W) weight, got {name} of shape {shape}")
        f = float(-(-shape[3] // 2))
        c = (2 * f - 1 - f % 2) / (2.0 * f)
        dev = arr._t.device

        def tent(n: int) -> Any:
            pos = unidl.arange(n, dtype="float32", device=dev)
            return ops.subtract(1.0, ops.abs(ops.subtract(ops.divide(pos, f), c)))

        # the pattern repeats along W then H of the flat index, as MXNet fills it
        kernel = ops.multiply(ops.reshape(tent(shape[2]), (shape[2], 1)), ops.reshape(tent(shape[3]), (1, shape[3])))
        _fill(arr, ops.broadcast_to(kernel, shape))


@register
class LSTMBias(Initializer):
    """An LSTM cell's (4H,) bias: zeros except the forget gate's slice [H, 2H), set to ``forget_bias``."""

    def __init__(self, forget_bias: float = 1.0) -> None:
        super().__init__(forget_bias=forget_bias)
        self.forget_bias = forget_bias

    def _init_weight(self, name: str, arr: Any) -> None:
        hidden = int(arr.shape[0] / 4)
        _fill(arr, unidl.zeros_like(arr._t))
        ops.setitem(arr._t, slice(hidden, 2 * hidden), unidl.full((hidden,) + tuple(arr.shape[1:]), self.forget_bias,
                                                                  dtype=arr._t.dtype, device=arr._t.device))


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


def create(init: Any, *args: Any, **kwargs: Any) -> Initializer:
    """An Initializer from an instance, a registered name with its arguments (``create('constant', value=1)``),
    MXNet's JSON form (``'["normal", {"sigma": 0.5}]'``, what ``dumps()`` writes) or None (Uniform)."""
    if init is None:
        return Uniform()
    if isinstance(init, (Initializer, Mixed)):
        return init
    if isinstance(init, str):
        text = init.strip()
        if text.startswith("["):
            import json

            try:
                name, params = json.loads(text)
            except (ValueError, TypeError):
                raise MXNetError(f"cannot read an initializer from {init!r}: expected '[name, {{args}}]'") from None
            if not isinstance(name, str) or not isinstance(params, dict):
                raise MXNetError(f"cannot read an initializer from {init!r}: expected '[name, {{args}}]'")
            return create(name, **params)
        if text.lower() == "fusedrnn":
            raise MXNetError("initializer 'fusedrnn' initializes the flat parameter vector of the Symbol-era "
                             "mx.rnn.FusedRNNCell, which unidl_mxnet does not have; gluon.rnn layers keep one "
                             "parameter per gate matrix (use e.g. 'xavier' and 'lstmbias')")
        klass = _REGISTRY.get(text.lower())
        if klass is None:
            raise MXNetError(f"unknown initializer {init!r}; known: {', '.join(sorted(_REGISTRY))}")
        try:
            return klass(*args, **kwargs)
        except TypeError as err:
            raise MXNetError(f"initializer {init!r}: {err}") from None
    raise MXNetError(f"cannot make an initializer from {type(init).__name__}")


__all__ = ["Initializer", "Zero", "One", "Constant", "Uniform", "Normal", "Xavier", "MSRAPrelu", "Orthogonal", "Bilinear", "LSTMBias", "Mixed", "create",
           "register"]
