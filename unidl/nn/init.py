"""Initializers: the math of Keras 3 and MXNet 1.x weight initialisation, written once.

Every initializer is a function ``(shape, *, dtype="float32", device=None, generator=None, ...)
-> Tensor``. Random ones draw from :mod:`unidl.random` (``generator=None`` means the default
generator), so the same generator state gives the same values on every device and in both
frontends. Fan-based initializers take ``fan_in``/``fan_out`` explicitly, because Keras and MXNet
lay weights out differently; :func:`compute_fans` gives the fans each framework computes from a
shape and a layout name.

Keras names map as: ``RandomUniform`` -> :func:`uniform`, ``RandomNormal`` -> :func:`normal`,
``TruncatedNormal`` -> :func:`truncated_normal`, ``VarianceScaling`` -> :func:`variance_scaling`,
``Glorot*``/``He*``/``Lecun*`` -> the functions of those names, ``Orthogonal`` -> :func:`orthogonal`,
``Identity`` -> :func:`identity`. MXNet: ``Uniform(scale)`` -> ``uniform(-scale, scale)``,
``Normal(sigma)`` -> ``normal(0, sigma)``, ``Xavier`` -> :func:`xavier`, ``MSRAPrelu`` ->
:func:`msra_prelu`. Frontends supply their framework's defaults.
"""
from __future__ import annotations

import math
from typing import Any, Optional, Sequence, Tuple, Union

import numpy as np

from .. import ops
from .. import random as _random
from ..creation import eye as _eye
from ..creation import full as _full
from ..creation import ones as _ones
from ..creation import tensor as _tensor
from ..creation import zeros as _zeros
from ..dtypes import as_dtype
from ..tensor import Tensor

__all__ = ["orthogonal_svd", "compute_fans", "zeros", "ones", "constant", "uniform", "normal", "truncated_normal",
           "variance_scaling", "glorot_uniform", "glorot_normal", "he_uniform", "he_normal",
           "lecun_uniform", "lecun_normal", "orthogonal", "identity", "eye", "xavier", "msra_prelu",
           "TRUNCATED_NORMAL_STD"]

Shape = Union[int, Sequence[int]]

#: Standard deviation of a unit normal truncated to (-2, 2): Keras divides by it so that a
#: truncated-normal VarianceScaling draw has the requested variance.
TRUNCATED_NORMAL_STD = 0.87962566103423978

_LAYOUTS = ("keras", "mxnet")


def _shape(shape: Shape) -> Tuple[int, ...]:
    if isinstance(shape, (int, np.integer)):
        return (int(shape),)
    out = tuple(int(d) for d in shape)
    if any(d < 0 for d in out):
        raise ValueError(f"shape must have non-negative sizes, got {out}")
    return out


def compute_fans(shape: Shape, layout: str = "keras") -> Tuple[int, int]:
    """``(fan_in, fan_out)`` as the framework of ``layout`` computes them for a weight of ``shape``.

    ``layout="keras"``: Dense kernels ``(in, out)``, conv kernels ``(*k, in, out)``; as Keras 3,
    a 0-d shape gives ``(1, 1)``, a 1-d shape ``(n,)`` gives ``(n, n)``, and for ``ndim >= 2``
    ``fan_in = shape[-2] * prod(shape[:-2])``, ``fan_out = shape[-1] * prod(shape[:-2])``.

    ``layout="mxnet"``: Dense weights ``(out, in)``, conv weights ``(out, in, *k)``; as MXNet's
    ``Xavier``, ``fan_in = shape[1] * prod(shape[2:])``, ``fan_out = shape[0] * prod(shape[2:])``;
    shapes with fewer than 2 dims raise ``ValueError`` (MXNet refuses to Xavier-init vectors).
    """
    shp = _shape(shape)
    if layout not in _LAYOUTS:
        raise ValueError(f"layout must be one of {_LAYOUTS}, got {layout!r}")
    if layout == "keras":
        if len(shp) == 0:
            return 1, 1
        if len(shp) == 1:
            return shp[0], shp[0]
        receptive = int(np.prod(shp[:-2], dtype=np.int64)) if len(shp) > 2 else 1
        return shp[-2] * receptive, shp[-1] * receptive
    if len(shp) < 2:
        raise ValueError(f"MXNet computes fans only for weights with at least 2 dims, got shape {shp}")
    receptive = int(np.prod(shp[2:], dtype=np.int64)) if len(shp) > 2 else 1
    return shp[1] * receptive, shp[0] * receptive


# -- deterministic ---------------------------------------------------------------------------------

def zeros(shape: Shape, *, dtype: Any = "float32", device: Any = None, generator: Any = None) -> Tensor:
    """All zeros. Shape: ``shape``. (``generator`` is accepted for a uniform signature and unused.)"""
    return _zeros(_shape(shape), dtype=dtype, device=device)


def ones(shape: Shape, *, dtype: Any = "float32", device: Any = None, generator: Any = None) -> Tensor:
    """All ones. Shape: ``shape``."""
    return _ones(_shape(shape), dtype=dtype, device=device)


def constant(shape: Shape, value: Any = 0.0, *, dtype: Any = "float32", device: Any = None,
             generator: Any = None) -> Tensor:
    """``value`` everywhere: a scalar, or an array/Tensor broadcast to ``shape`` (as MXNet's
    ``Constant``; Keras takes scalars). Shape: ``shape``."""
    shp = _shape(shape)
    if isinstance(value, Tensor) or np.ndim(value) > 0:
        v = value if isinstance(value, Tensor) else _tensor(np.asarray(value), dtype=dtype, device=device)
        v = ops.astype(v, as_dtype(dtype)) if v.dtype != as_dtype(dtype) else v
        if device is not None:
            v = v.to(device)
        # a new tensor, never a view of the caller's value
        return ops.add(ops.broadcast_to(v.detach(), shp), _zeros(shp, dtype=dtype, device=v.device))
    return _full(shp, value, dtype=dtype, device=device)


def identity(shape: Shape, gain: float = 1.0, *, dtype: Any = "float32", device: Any = None,
             generator: Any = None) -> Tensor:
    """Keras ``Identity``: ``gain * eye(rows, cols)`` for a 2-D ``shape`` (rectangular allowed).
    Shape: ``(rows, cols)``; other ranks raise ``ValueError``."""
    shp = _shape(shape)
    if len(shp) != 2:
        raise ValueError(f"identity needs a 2-D shape, got {shp}")
    e = _eye(shp[0], shp[1], dtype=dtype, device=device)
    return e if gain == 1.0 else ops.multiply(e, float(gain))


def eye(n: int, m: Optional[int] = None, k: int = 0, *, gain: float = 1.0, dtype: Any = "float32",
        device: Any = None, generator: Any = None) -> Tensor:
    """``gain`` on diagonal ``k`` of an ``(n, m)`` matrix (``m`` defaults to ``n``). Shape: ``(n, m)``."""
    e = _eye(int(n), None if m is None else int(m), int(k), dtype=dtype, device=device)
    return e if gain == 1.0 else ops.multiply(e, float(gain))


# -- random ----------------------------------------------------------------------------------------

def uniform(shape: Shape, low: float = 0.0, high: float = 1.0, *, dtype: Any = "float32", device: Any = None,
            generator: Optional[_random.Generator] = None) -> Tensor:
    """Uniform in ``[low, high)`` (Keras ``RandomUniform(minval, maxval)``; MXNet
    ``Uniform(scale)`` is ``low=-scale, high=scale``). Shape: ``shape``."""
    return _random.uniform(low, high, _shape(shape), dtype, device, generator=generator)


def normal(shape: Shape, mean: float = 0.0, std: float = 1.0, *, dtype: Any = "float32", device: Any = None,
           generator: Optional[_random.Generator] = None) -> Tensor:
    """Normal with ``mean`` and standard deviation ``std`` (Keras ``RandomNormal``; MXNet
    ``Normal(sigma)`` is ``std=sigma``). Shape: ``shape``."""
    return _random.normal(mean, std, _shape(shape), dtype, device, generator=generator)


def truncated_normal(shape: Shape, mean: float = 0.0, std: float = 1.0, *, dtype: Any = "float32",
                     device: Any = None, generator: Optional[_random.Generator] = None) -> Tensor:
    """Keras ``TruncatedNormal``: normal(mean, std) with values beyond 2 ``std`` of ``mean``
    re-drawn; ``std`` is the pre-truncation deviation (the result's is ~0.88 ``std``).
    Shape: ``shape``."""
    return _random.truncated_normal(mean, std, _shape(shape), dtype, device, generator=generator)


_MODES = ("fan_in", "fan_out", "fan_avg")
_DISTS = ("truncated_normal", "untruncated_normal", "normal", "uniform")


def _fan_value(mode: str, fan_in: Optional[float], fan_out: Optional[float]) -> float:
    need = {"fan_in": ("fan_in",), "fan_out": ("fan_out",), "fan_avg": ("fan_in", "fan_out")}[mode]
    vals = {"fan_in": fan_in, "fan_out": fan_out}
    for n in need:
        if vals[n] is None:
            raise ValueError(f"mode={mode!r} needs {n}; pass it (see compute_fans(shape, layout))")
    if mode == "fan_in":
        return float(fan_in)  # type: ignore[arg-type]
    if mode == "fan_out":
        return float(fan_out)  # type: ignore[arg-type]
    return (float(fan_in) + float(fan_out)) / 2.0  # type: ignore[arg-type]


def variance_scaling(shape: Shape, scale: float = 1.0, mode: str = "fan_in",
                     distribution: str = "truncated_normal", *, fan_in: Optional[float] = None,
                     fan_out: Optional[float] = None, dtype: Any = "float32", device: Any = None,
                     generator: Optional[_random.Generator] = None) -> Tensor:
    """Keras 3 ``VarianceScaling``: variance ``scale / max(1, n)`` with ``n`` = ``fan_in``,
    ``fan_out`` or ``(fan_in + fan_out) / 2`` by ``mode``.

    ``distribution``: ``"truncated_normal"`` draws :func:`truncated_normal` with
    ``std = sqrt(scale/n) / 0.87962566103423978`` (the std of a unit normal truncated at 2, so the
    result has the requested variance); ``"untruncated_normal"`` (alias ``"normal"``) draws
    ``normal(0, sqrt(scale/n))``; ``"uniform"`` draws ``uniform(-sqrt(3 scale/n), sqrt(3 scale/n))``.
    Shape: ``shape``. The fans the mode needs must be given.
    """
    if scale <= 0:
        raise ValueError(f"scale must be positive, got {scale}")
    if mode not in _MODES:
        raise ValueError(f"mode must be one of {_MODES}, got {mode!r}")
    if distribution not in _DISTS:
        raise ValueError(f"distribution must be one of {_DISTS}, got {distribution!r}")
    s = float(scale) / max(1.0, _fan_value(mode, fan_in, fan_out))
    if distribution == "truncated_normal":
        return truncated_normal(shape, 0.0, math.sqrt(s) / TRUNCATED_NORMAL_STD, dtype=dtype, device=device,
                                generator=generator)
    if distribution in ("untruncated_normal", "normal"):
        return normal(shape, 0.0, math.sqrt(s), dtype=dtype, device=device, generator=generator)
    limit = math.sqrt(3.0 * s)
    return uniform(shape, -limit, limit, dtype=dtype, device=device, generator=generator)


def _vs(scale: float, mode: str, dist: str):
    def init(shape: Shape, *, fan_in: Optional[float] = None, fan_out: Optional[float] = None,
             dtype: Any = "float32", device: Any = None, generator: Optional[_random.Generator] = None) -> Tensor:
        return variance_scaling(shape, scale, mode, dist, fan_in=fan_in, fan_out=fan_out, dtype=dtype,
                                device=device, generator=generator)

    return init


def glorot_uniform(shape: Shape, *, fan_in: float, fan_out: float, dtype: Any = "float32", device: Any = None,
                   generator: Optional[_random.Generator] = None) -> Tensor:
    """Keras ``GlorotUniform``: ``uniform(-l, l)``, ``l = sqrt(6 / (fan_in + fan_out))``
    (``variance_scaling(scale=1, mode="fan_avg", distribution="uniform")``). Shape: ``shape``."""
    return _vs(1.0, "fan_avg", "uniform")(shape, fan_in=fan_in, fan_out=fan_out, dtype=dtype, device=device,
                                          generator=generator)


def glorot_normal(shape: Shape, *, fan_in: float, fan_out: float, dtype: Any = "float32", device: Any = None,
                  generator: Optional[_random.Generator] = None) -> Tensor:
    """Keras ``GlorotNormal``: truncated normal, std ``sqrt(2 / (fan_in + fan_out)) / 0.8796...``.
    Shape: ``shape``."""
    return _vs(1.0, "fan_avg", "truncated_normal")(shape, fan_in=fan_in, fan_out=fan_out, dtype=dtype,
                                                   device=device, generator=generator)


def he_uniform(shape: Shape, *, fan_in: float, dtype: Any = "float32", device: Any = None,
               generator: Optional[_random.Generator] = None) -> Tensor:
    """Keras ``HeUniform``: ``uniform(-l, l)``, ``l = sqrt(6 / fan_in)``. Shape: ``shape``."""
    return _vs(2.0, "fan_in", "uniform")(shape, fan_in=fan_in, dtype=dtype, device=device, generator=generator)


def he_normal(shape: Shape, *, fan_in: float, dtype: Any = "float32", device: Any = None,
              generator: Optional[_random.Generator] = None) -> Tensor:
    """Keras ``HeNormal``: truncated normal, std ``sqrt(2 / fan_in) / 0.8796...``. Shape: ``shape``."""
    return _vs(2.0, "fan_in", "truncated_normal")(shape, fan_in=fan_in, dtype=dtype, device=device,
                                                  generator=generator)


def lecun_uniform(shape: Shape, *, fan_in: float, dtype: Any = "float32", device: Any = None,
                  generator: Optional[_random.Generator] = None) -> Tensor:
    """Keras ``LecunUniform``: ``uniform(-l, l)``, ``l = sqrt(3 / fan_in)``. Shape: ``shape``."""
    return _vs(1.0, "fan_in", "uniform")(shape, fan_in=fan_in, dtype=dtype, device=device, generator=generator)


def lecun_normal(shape: Shape, *, fan_in: float, dtype: Any = "float32", device: Any = None,
                 generator: Optional[_random.Generator] = None) -> Tensor:
    """Keras ``LecunNormal``: truncated normal, std ``sqrt(1 / fan_in) / 0.8796...``. Shape: ``shape``."""
    return _vs(1.0, "fan_in", "truncated_normal")(shape, fan_in=fan_in, dtype=dtype, device=device,
                                                  generator=generator)


def orthogonal(shape: Shape, gain: float = 1.0, *, dtype: Any = "float32", device: Any = None,
               generator: Optional[_random.Generator] = None) -> Tensor:
    """Keras ``Orthogonal``: an orthogonal matrix from the QR decomposition of a normal draw.

    The weight is viewed as ``(rows, cols) = (prod(shape[:-1]), shape[-1])``; a standard normal
    of shape ``(max(rows, cols), min(rows, cols))`` is drawn from ``generator`` in ``dtype``, its
    reduced QR taken (on the host, in float64: init is not a hot path), ``Q``'s columns multiplied
    by ``sign(diag(R))`` (so the result is uniformly distributed), transposed when
    ``rows < cols``, reshaped to ``shape`` and scaled by ``gain``. So rows (or columns, whichever
    are fewer) are orthonormal. Shape: ``shape`` (at least 2-D, else ``ValueError``).
    """
    shp = _shape(shape)
    if len(shp) < 2:
        raise ValueError(f"orthogonal needs a shape with at least 2 dims, got {shp}")
    rows = int(np.prod(shp[:-1], dtype=np.int64))
    cols = shp[-1]
    flat = (max(rows, cols), min(rows, cols))
    a = normal(flat, 0.0, 1.0, dtype=dtype, device=device, generator=generator)
    host = np.asarray(a.numpy(), dtype=np.float64)
    q, r = np.linalg.qr(host)
    q = q * np.sign(np.diagonal(r))[None, :]
    if rows < cols:
        q = q.T
    q = (float(gain) * q).reshape(shp).astype(as_dtype(dtype))
    return _tensor(q, device=a.device)


def orthogonal_svd(shape: Shape, scale: float = 1.414, rand_type: str = "uniform", *, dtype: Any = "float32",
                   device: Any = None, generator: Optional[_random.Generator] = None) -> Tensor:
    """MXNet ``Orthogonal``: orthonormal rows or columns from the SVD of a random matrix (Saxe et al. 2013).

    The weight is viewed as ``(nout, nin) = (shape[0], prod(shape[1:]))``; a draw of that shape
    (uniform in [-1, 1) for ``rand_type='uniform'``, standard normal for ``'normal'``) is decomposed as
    ``u s v`` (reduced SVD, on the host in float64: init is not a hot path); ``u`` is kept when it has the
    draw's shape (nout <= nin is false), else ``v``; the result is ``scale *`` it, reshaped to ``shape``.
    Shape: ``shape`` (at least 2-D, else ``ValueError``).
    """
    shp = _shape(shape)
    if len(shp) < 2:
        raise ValueError(f"orthogonal_svd needs a shape with at least 2 dims, got {shp}")
    if rand_type not in ("uniform", "normal"):
        raise ValueError(f"orthogonal_svd: rand_type must be 'uniform' or 'normal', got {rand_type!r}")
    flat = (shp[0], int(np.prod(shp[1:], dtype=np.int64)))
    draw = (uniform(flat, -1.0, 1.0, dtype=dtype, device=device, generator=generator) if rand_type == "uniform"
            else normal(flat, 0.0, 1.0, dtype=dtype, device=device, generator=generator))
    host = np.asarray(draw.numpy(), dtype=np.float64)
    u, _, v = np.linalg.svd(host, full_matrices=False)
    q = u if u.shape == host.shape else v
    return _tensor((float(scale) * q).reshape(shp).astype(as_dtype(dtype)), device=draw.device)


def xavier(shape: Shape, rnd_type: str = "uniform", factor_type: str = "avg", magnitude: float = 3.0, *,
           fan_in: float, fan_out: float, dtype: Any = "float32", device: Any = None,
           generator: Optional[_random.Generator] = None) -> Tensor:
    """MXNet ``Xavier``: ``s = sqrt(magnitude / factor)`` with ``factor`` = ``(fan_in + fan_out)/2``,
    ``fan_in`` or ``fan_out`` for ``factor_type`` ``"avg"``/``"in"``/``"out"``; then
    ``uniform(-s, s)`` (``rnd_type="uniform"``) or ``normal(0, s)`` (``"gaussian"``).

    MXNet's fans come from ``compute_fans(shape, "mxnet")``. Unlike Keras there is no ``max(1, .)``
    guard (a zero factor raises). Shape: ``shape``.
    """
    if factor_type == "avg":
        factor = (float(fan_in) + float(fan_out)) / 2.0
    elif factor_type == "in":
        factor = float(fan_in)
    elif factor_type == "out":
        factor = float(fan_out)
    else:
        raise ValueError(f"factor_type must be 'avg', 'in' or 'out', got {factor_type!r}")
    if factor <= 0:
        raise ValueError(f"xavier needs a positive {factor_type} fan, got {factor}")
    s = math.sqrt(float(magnitude) / factor)
    if rnd_type == "uniform":
        return uniform(shape, -s, s, dtype=dtype, device=device, generator=generator)
    if rnd_type == "gaussian":
        return normal(shape, 0.0, s, dtype=dtype, device=device, generator=generator)
    raise ValueError(f"rnd_type must be 'uniform' or 'gaussian', got {rnd_type!r}")


def msra_prelu(shape: Shape, factor_type: str = "avg", slope: float = 0.25, *, fan_in: float, fan_out: float,
               dtype: Any = "float32", device: Any = None,
               generator: Optional[_random.Generator] = None) -> Tensor:
    """MXNet ``MSRAPrelu``: :func:`xavier` with ``rnd_type="gaussian"`` and
    ``magnitude = 2 / (1 + slope**2)``. Shape: ``shape``."""
    magnitude = 2.0 / (1.0 + float(slope) ** 2)
    return xavier(shape, "gaussian", factor_type, magnitude, fan_in=fan_in, fan_out=fan_out, dtype=dtype,
                  device=device, generator=generator)
