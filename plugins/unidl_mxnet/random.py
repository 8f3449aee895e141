"""``mx.random`` / ``mx.nd.random``: seeding and draws from unidl's deterministic generator.

``mx.random.seed(s)`` seeds the same generator ``keras.utils.set_random_seed`` seeds, so a Gluon model and
its Keras twin draw the same numbers.

As in MXNet 1.9.1, distribution parameters are either all numbers (then ``shape`` defaults to ``(1,)`` and
``ctx`` picks the device) or all NDArrays (then each output has shape ``params.shape + shape``: one draw set
per parameter element, MXNet's ``sample_*`` operators). Floating results are float32 unless ``dtype`` is
given; ``out=`` receives the result. The ``*_like`` functions draw an array of ``data``'s shape and dtype.
The distributions themselves are :mod:`unidl.random` / :mod:`unidl.random_dists`.
"""
from __future__ import annotations

from numbers import Number
from typing import Any, List, Optional, Sequence, Tuple

import numpy as np

import unidl
import unidl.random as _r
from unidl import ops

from .base import MXNetError
from .context import Context, current_context

_NUMBERS = (Number, np.generic)
_FLOAT_DTYPES = ("float16", "float32", "float64")


class DistributionParameterError(MXNetError, AssertionError):
    """Distribution parameters of mixed kinds (MXNet asserts they are all numbers or all NDArrays)."""


class DistributionParameterTypeError(MXNetError, ValueError):
    """A distribution parameter that is neither a number nor an NDArray (MXNet raises ValueError)."""


def seed(seed_state: int, ctx: Any = "all") -> None:
    """Seed the generator (one generator serves every context, so ``ctx`` is accepted and ignored)."""
    if not isinstance(seed_state, (int, np.integer)) or isinstance(seed_state, bool):
        raise MXNetError(f"random.seed: seed_state must be an int, got {type(seed_state).__name__}")
    _r.seed(int(seed_state))


def _dev(ctx: Optional[Context]):
    return (ctx or current_context()).unidl_device


def _wrap(t):
    from .ndarray.ndarray import wrap

    return wrap(t)


def _nd():
    from .ndarray.ndarray import NDArray

    return NDArray


def _shape(shape: Any) -> tuple:
    if shape is None or shape == ():
        return (1,)
    return (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(int(d) for d in shape)


def _extra_shape(shape: Any) -> tuple:
    """The per-parameter sample shape of an NDArray-parameter draw (none when not given)."""
    if shape is None or shape == ():
        return ()
    return (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(int(d) for d in shape)


def _float_dtype(op: str, dtype: Any) -> np.dtype:
    dt = np.dtype("float32" if dtype is None else dtype)
    if dt.name not in _FLOAT_DTYPES:
        raise MXNetError(f"random.{op}: dtype must be one of None, 'float16', 'float32', 'float64', got "
                         f"{dt.name!r}")
    return dt


def _out(op: str, res: Any, out: Any) -> Any:
    if out is None:
        return res
    NDArray = _nd()
    if not isinstance(out, NDArray) or tuple(out.shape) != tuple(res.shape):
        raise MXNetError(f"random.{op}: out= must be an NDArray of the result's shape {tuple(res.shape)}, got "
                         f"{getattr(out, 'shape', type(out).__name__)}")
    out[:] = res.astype(out.dtype) if res.dtype != out.dtype else res
    return out


def _kind(op: str, params: Sequence[Any]) -> bool:
    """True when the parameters are NDArrays, False when numbers (MXNet's ``_random_helper`` rules)."""
    NDArray = _nd()
    first = params[0]
    if isinstance(first, NDArray):
        for p in params[1:]:
            if not isinstance(p, NDArray):
                raise DistributionParameterError(
                    f"random.{op}: Distribution parameters must all have the same type, but got both "
                    f"{type(first)} and {type(p)}.")
        return True
    if isinstance(first, _NUMBERS):
        for p in params[1:]:
            if not isinstance(p, _NUMBERS):
                raise DistributionParameterError(
                    f"random.{op}: Distribution parameters must all have the same type, but got both "
                    f"{type(first)} and {type(p)}.")
        return False
    raise DistributionParameterTypeError(f"random.{op}: Distribution parameters must be either NDArray or numbers, "
                                         f"but got {type(first)}.")


def _param_tensors(op: str, params: Sequence[Any], extra: tuple) -> Tuple[List[Any], tuple, Any]:
    """NDArray parameters as float64 tensors shaped ``p.shape + (1,) * len(extra)``; the output shape."""
    base = tuple(params[0].shape)
    for p in params[1:]:
        if tuple(p.shape) != base:
            raise MXNetError(f"random.{op}: the parameter arrays must have one shape, got "
                             f"{[tuple(q.shape) for q in params]}")
    ts = [ops.reshape(ops.astype(p._t.detach(), np.float64), base + (1,) * len(extra)) for p in params]
    return ts, base + extra, params[0]._t.device


def _draw(op: str, params: Sequence[Any], shape: Any, dtype: Any, ctx: Optional[Context], out: Any,
          sample: Any) -> Any:
    """Run ``sample(params, out_shape, float dtype, device)`` with MXNet's parameter rules."""
    dt = _float_dtype(op, dtype)
    if _kind(op, params):
        ts, out_shape, dev = _param_tensors(op, params, _extra_shape(shape))
        res = sample(ts, out_shape, dt, dev)
    else:
        if shape is None and out is not None:
            shape = tuple(out.shape)
        res = sample([float(p) for p in params], _shape(shape), dt, _dev(ctx))
    return _out(op, _wrap(res), out)


def _affine(x: Any, scale: Any, shift: Any, dt: np.dtype) -> Any:
    """``x * scale + shift`` in float64 for array parameters, cast to ``dt``."""
    y = ops.add(ops.multiply(ops.astype(x, np.float64), scale), shift)
    return ops.astype(y, dt)


def uniform(low: Any = 0.0, high: Any = 1.0, shape: Any = None, dtype: Any = None,
            ctx: Optional[Context] = None, out: Any = None, **kwargs: Any) -> Any:
    """Uniform draws in [low, high)."""
    def sample(p, shp, dt, dev):
        lo, hi = p
        if isinstance(lo, float):
            if hi < lo:
                raise MXNetError(f"random.uniform: low must be <= high, got low={lo}, high={hi}")
            return _r.uniform(lo, hi, shp, dtype=dt, device=dev)
        u = _r.uniform(0.0, 1.0, shp, dtype=np.float64, device=dev)
        return _affine(u, ops.subtract(hi, lo), lo, dt)
    return _draw("uniform", [low, high], shape, dtype, ctx, out, sample)


def normal(loc: Any = 0.0, scale: Any = 1.0, shape: Any = None, dtype: Any = None,
           ctx: Optional[Context] = None, out: Any = None, **kwargs: Any) -> Any:
    """Normal draws with mean ``loc`` and standard deviation ``scale``."""
    def sample(p, shp, dt, dev):
        mu, sd = p
        if isinstance(mu, float):
            if sd < 0:
                raise MXNetError(f"random.normal: scale must be >= 0, got {sd}")
            return _r.normal(mu, sd, shp, dtype=dt, device=dev)
        z = _r.normal(0.0, 1.0, shp, dtype=np.float64, device=dev)
        return _affine(z, sd, mu, dt)
    return _draw("normal", [loc, scale], shape, dtype, ctx, out, sample)


def randn(*shape: int, **kwargs: Any) -> Any:
    """Normal draws of shape ``shape`` (``loc``, ``scale``, ``dtype``, ``ctx``, ``out`` by keyword)."""
    loc = kwargs.pop("loc", 0.0)
    scale = kwargs.pop("scale", 1.0)
    return normal(loc, scale, shape if shape else None, **kwargs)


def randint(low: int, high: int, shape: Any = None, dtype: Any = None, ctx: Optional[Context] = None,
            out: Any = None, **kwargs: Any) -> Any:
    """Integers in [low, high) (int32 unless ``dtype``: int32 or int64). Parameters must be numbers."""
    if not isinstance(low, _NUMBERS) or not isinstance(high, _NUMBERS):
        raise DistributionParameterTypeError("random.randint: low and high must be integers, got "
                                             f"{type(low).__name__} and {type(high).__name__}")
    dt = np.dtype("int32" if dtype is None else dtype)
    if dt.name not in ("int32", "int64"):
        raise MXNetError(f"random.randint: dtype must be one of None, 'int32', 'int64', got {dt.name!r}")
    if int(low) >= int(high):
        raise MXNetError(f"random.randint: low must be < high, got low={low}, high={high}")
    if shape is None and out is not None:
        shape = tuple(out.shape)
    return _out("randint", _wrap(_r.randint(int(low), int(high), _shape(shape), dtype=dt, device=_dev(ctx))), out)


def exponential(scale: Any = 1.0, shape: Any = None, dtype: Any = None, ctx: Optional[Context] = None,
                out: Any = None, **kwargs: Any) -> Any:
    """Exponential draws with mean ``scale`` (``-scale * log(1 - u)`` for uniform ``u``)."""
    def sample(p, shp, dt, dev):
        (sc,) = p
        if isinstance(sc, float) and sc <= 0:
            raise MXNetError(f"random.exponential: scale must be > 0, got {sc}")
        cdt = np.float64 if dt == np.float64 or not isinstance(sc, float) else np.float32
        u = _r.uniform(0.0, 1.0, shp, dtype=cdt, device=dev)
        e = ops.negative(ops.log1p(ops.negative(u)))
        return ops.astype(ops.multiply(e, sc if not isinstance(sc, float) else u.dtype.type(sc)), dt)
    return _draw("exponential", [scale], shape, dtype, ctx, out, sample)


def gamma(alpha: Any = 1.0, beta: Any = 1.0, shape: Any = None, dtype: Any = None, ctx: Optional[Context] = None,
          out: Any = None, **kwargs: Any) -> Any:
    """Gamma draws with shape ``alpha`` and scale ``beta`` (mean ``alpha * beta``)."""
    return _draw("gamma", [alpha, beta], shape, dtype, ctx, out,
                 lambda p, shp, dt, dev: _checked(_r.gamma, "gamma", p, shp, dt, dev))


def poisson(lam: Any = 1.0, shape: Any = None, dtype: Any = None, ctx: Optional[Context] = None,
            out: Any = None, **kwargs: Any) -> Any:
    """Poisson draws with rate ``lam``, as floats."""
    return _draw("poisson", [lam], shape, dtype, ctx, out,
                 lambda p, shp, dt, dev: _checked(_r.poisson, "poisson", p, shp, dt, dev))


def negative_binomial(k: Any = 1, p: Any = 1, shape: Any = None, dtype: Any = None, ctx: Optional[Context] = None,
                      out: Any = None, **kwargs: Any) -> Any:
    """Negative binomial draws (failures before the ``k``-th success, success probability ``p``), as floats."""
    return _draw("negative_binomial", [k, p], shape, dtype, ctx, out,
                 lambda q, shp, dt, dev: _checked(_r.negative_binomial, "negative_binomial", q, shp, dt, dev))


def generalized_negative_binomial(mu: Any = 1, alpha: Any = 1, shape: Any = None, dtype: Any = None,
                                  ctx: Optional[Context] = None, out: Any = None, **kwargs: Any) -> Any:
    """Draws with mean ``mu`` and variance ``mu + alpha * mu**2`` (Poisson(mu) for alpha 0), as floats."""
    return _draw("generalized_negative_binomial", [mu, alpha], shape, dtype, ctx, out,
                 lambda q, shp, dt, dev: _checked(_r.generalized_negative_binomial, "generalized_negative_binomial",
                                                  q, shp, dt, dev))


def _checked(fn: Any, op: str, params: List[Any], shape: tuple, dt: np.dtype, dev: Any) -> Any:
    try:
        return fn(*params, shape=shape, dtype=dt, device=dev)
    except unidl.errors.OpError as e:
        raise MXNetError(f"random.{op}: {e}") from None


# -- *_like: draws of data's shape and dtype (mx.nd.random.*_like) ---------------------------------------
def _like(op: str, fn: Any, data: Any, params: Sequence[Any], out: Any) -> Any:
    NDArray = _nd()
    if not isinstance(data, NDArray):
        raise MXNetError(f"random.{op}: data must be an NDArray, got {type(data).__name__}")
    dt = np.dtype(data.dtype)
    if dt.name not in _FLOAT_DTYPES:
        raise MXNetError(f"random.{op}: data must have a float dtype, got {dt.name}")
    return fn(*params, shape=tuple(data.shape), dtype=dt, ctx=data.context, out=out)


def uniform_like(data: Any = None, low: float = 0.0, high: float = 1.0, out: Any = None, **kwargs: Any) -> Any:
    """Uniform draws in [low, high) of ``data``'s shape and dtype."""
    return _like("uniform_like", uniform, data, [float(low), float(high)], out)


def normal_like(data: Any = None, loc: float = 0.0, scale: float = 1.0, out: Any = None, **kwargs: Any) -> Any:
    """Normal draws of ``data``'s shape and dtype."""
    return _like("normal_like", normal, data, [float(loc), float(scale)], out)


def gamma_like(data: Any = None, alpha: float = 1.0, beta: float = 1.0, out: Any = None, **kwargs: Any) -> Any:
    """Gamma draws of ``data``'s shape and dtype."""
    return _like("gamma_like", gamma, data, [float(alpha), float(beta)], out)


def exponential_like(data: Any = None, lam: float = 1.0, out: Any = None, **kwargs: Any) -> Any:
    """Exponential draws with rate ``lam`` (mean ``1 / lam``) of ``data``'s shape and dtype."""
    if float(lam) <= 0:
        raise MXNetError(f"random.exponential_like: lam must be > 0, got {lam}")
    return _like("exponential_like", exponential, data, [1.0 / float(lam)], out)


def poisson_like(data: Any = None, lam: float = 1.0, out: Any = None, **kwargs: Any) -> Any:
    """Poisson draws of ``data``'s shape and dtype."""
    return _like("poisson_like", poisson, data, [float(lam)], out)


def negative_binomial_like(data: Any = None, k: float = 1, p: float = 1, out: Any = None, **kwargs: Any) -> Any:
    """Negative binomial draws of ``data``'s shape and dtype."""
    return _like("negative_binomial_like", negative_binomial, data, [float(k), float(p)], out)


def generalized_negative_binomial_like(data: Any = None, mu: float = 1, alpha: float = 1, out: Any = None,
                                       **kwargs: Any) -> Any:
    """Generalized negative binomial draws of ``data``'s shape and dtype."""
    return _like("generalized_negative_binomial_like", generalized_negative_binomial, data,
                 [float(mu), float(alpha)], out)


def multinomial(data: Any, shape: Any = (), get_prob: bool = False, dtype: Any = "int32", out: Any = None,
                **kwargs: Any) -> Any:
    """Category draws from the probabilities ``data`` (..., K) (each row sums to 1): shape
    data.shape[:-1] + shape. ``get_prob`` also returns the log-probability of each draw."""
    p = data._t
    if p.ndim < 1 or p.shape[-1] < 1:
        raise MXNetError(f"random.multinomial: data must have shape (..., K) with K >= 1, got {p.shape}")
    extra = _extra_shape(shape)
    k = p.shape[-1]
    cdf = ops.cumsum(p.detach(), axis=-1)
    lead = p.shape[:-1]
    u = _r.uniform(0.0, 1.0, lead + extra, dtype=p.dtype, device=p.device)
    cdf_b = ops.reshape(cdf, lead + (1,) * len(extra) + (k,))
    idx = ops.sum(ops.astype(ops.less_equal(cdf_b, ops.expand_dims(u, -1)), "int64"), axis=-1)
    idx = ops.clip(idx, 0, k - 1)
    res = _out("multinomial", _wrap(ops.astype(idx, dtype)), out)
    if not get_prob:
        return res
    flat_p = ops.reshape(p, lead + (1,) * len(extra) + (k,))
    flat_p = ops.broadcast_to(flat_p, lead + extra + (k,))
    picked = ops.take_along_axis(flat_p, ops.expand_dims(idx, -1), axis=-1)
    return [res, _wrap(ops.log(ops.squeeze(picked, -1)))]


def shuffle(data: Any, **kwargs: Any) -> Any:
    """A copy of ``data`` with its first axis shuffled."""
    return _wrap(_r.shuffle(data._t))


def _sample_unique_zipfian(range_max: int, shape: Any = None, out: Any = None, **kwargs: Any) -> Any:
    """``shape = (batch, num_sampled)`` distinct classes per row from the log-uniform (Zipfian) distribution
    over [0, range_max), drawn until ``num_sampled`` distinct ones are seen; returns ``[classes (int64),
    num_trials (int64, shape (batch,))]`` (MXNet's ``_sample_unique_zipfian``)."""
    shp = _extra_shape(shape)
    if len(shp) != 2:
        raise MXNetError(f"_sample_unique_zipfian: shape must be (batch_size, num_sampled), got {shape!r}")
    try:
        classes, trials = _r.unique_zipfian(int(range_max), shp[1], shp[0], device=_dev(None))
    except unidl.errors.OpError as e:
        raise MXNetError(f"_sample_unique_zipfian: {e}") from None
    return [_wrap(classes), _wrap(trials)]


__all__ = ["seed", "uniform", "normal", "randn", "randint", "exponential", "gamma", "poisson", "negative_binomial",
           "generalized_negative_binomial", "multinomial", "shuffle", "uniform_like", "normal_like", "gamma_like",
           "exponential_like", "poisson_like", "negative_binomial_like", "generalized_negative_binomial_like",
           "unidl"]
