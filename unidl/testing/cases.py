"""Op cases: one table of input generators for every core op, shared by tests and the conformance suite.

An :class:`OpCase` says how to draw inputs for one op's *kernel* (raw arrays and attributes, the way
``unidl.ops`` hands them to ``unidl.kernels``) and, for differentiable ops, how to call the op at
the Tensor level with the same inputs (``call``), so the conformance suite can compare

* forward: the device's kernel against the NumPy reference kernel (tolerance from :data:`TOLERANCES`),
* backward: the op's gradient on the device against the gradient on the reference,
* gradcheck: the reference's gradient against float64 central finite differences.

Generators receive a :class:`Gen`, which draws through hypothesis (so failures shrink to a minimal
example) and knows the *mode*: ``forward`` (any dtype the op takes, edge values inf/nan/-0.0 where the
case allows them), ``backward`` (floating dtypes, finite values) or ``gradcheck`` (float64, small
shapes, values from a seeded generator so they sit away from kinks and ties).

Ops without a case are listed in :data:`UNCOVERED` with the reason; :func:`uncovered_ops` returns
those that have neither, which a test keeps empty so a new op cannot escape the suite silently.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import unidl
from unidl import ops
from unidl.ops.random import shuffle_by

F32, F64, I32, I64, BOOL = (np.dtype(np.float32), np.dtype(np.float64), np.dtype(np.int32),
                            np.dtype(np.int64), np.dtype(np.bool_))
FLOATS = (F32, F64)
INTS = (I32, I64)
NUMERIC = FLOATS + INTS
SPECIALS = (np.nan, np.inf, -np.inf, -0.0)
MODES = ("forward", "backward", "gradcheck")


# ----------------------------------------------------------------------------------------------
# Tolerances: ONE table, by op. An op not listed must match the reference bit for bit.

@dataclass(frozen=True)
class Tol:
    """Allowed difference ``|got - ref| <= atol + rtol * |ref|`` per float dtype; ``exact`` = bitwise."""

    name: str
    f32: Tuple[float, float] = (0.0, 0.0)  # (rtol, atol)
    f64: Tuple[float, float] = (0.0, 0.0)

    @property
    def exact(self) -> bool:
        return self.f32 == (0.0, 0.0) and self.f64 == (0.0, 0.0)

    def for_dtype(self, dt: Any) -> Tuple[float, float]:
        dt = np.dtype(dt)
        return self.f64 if dt.itemsize >= 8 else self.f32


EXACT = Tol("exact")
#: correctly rounded in IEEE 754 but with room for a few ulp in libm-style functions
TRANSCENDENTAL = Tol("transcendental", f32=(1e-6, 1e-7), f64=(1e-14, 1e-15))
#: summation order may differ (pairwise, tree, fused multiply-add)
REDUCTION = Tol("reduction", f32=(1e-5, 1e-5), f64=(1e-12, 1e-12))
#: gradients run several ops; across devices the contract is 1e-4 (ARCHITECTURE.md)
GRAD = Tol("grad", f32=(1e-4, 1e-5), f64=(1e-10, 1e-11))

_TRANS_OPS = ("exp", "log", "expm1", "log1p", "log2", "log10", "sin", "cos", "tan", "tanh", "erf", "erfc",
              "arcsin", "arccos", "arctan", "sinh", "cosh", "arcsinh", "arccosh", "arctanh",
              "sigmoid", "softplus", "elu", "selu", "gelu", "silu", "power", "leaky_relu", "hard_sigmoid",
              "random_normal")
_REDUCE_OPS = ("sum", "mean", "prod", "var", "std", "logsumexp", "cumsum", "norm", "matmul", "tensordot",
               "einsum", "softmax", "log_softmax", "softmax_cross_entropy", "norm_moments", "layer_norm",
               "batch_norm", "conv", "conv_transpose", "avg_pool", "conv_weight_grad", "avg_pool_grad",
               "index_add", "scatter_add", "take_grad", "embedding_grad", "softmax_cross_entropy_grad")
#: a recurrence over time: transcendental gates and a matmul per step, errors carried from step to step
RECURRENT = Tol("recurrent", f32=(1e-4, 1e-5), f64=(1e-10, 1e-11))
_RECURRENT_OPS = ("lstm_sequence", "lstm_sequence_grad")
#: optimizer updates keep the framework's operation order, but a device may fuse a multiply-add or
#: take sqrt/pow from its own libm: a few ulp per step
UPDATE = Tol("update", f32=(1e-6, 1e-6), f64=(1e-14, 1e-14))
_UPDATE_OPS = ("sgd_update", "adam_update", "rmsprop_update", "adagrad_update", "adadelta_update", "adamax_update",
               "nadam_update", "ftrl_update", "signum_update", "scale_update", "sgd_update_rescaled",
               "adam_update_rescaled", "rmsprop_update_rescaled", "adagrad_update_rescaled",
               "adadelta_update_rescaled", "adamax_update_rescaled", "nadam_update_rescaled")
TOLERANCES: Dict[str, Tol] = {**{o: TRANSCENDENTAL for o in _TRANS_OPS}, **{o: REDUCTION for o in _REDUCE_OPS},
                              **{o: RECURRENT for o in _RECURRENT_OPS}, **{o: UPDATE for o in _UPDATE_OPS}}


def tolerance(op: str) -> Tol:
    """The forward tolerance of ``op`` (exact unless :data:`TOLERANCES` says otherwise)."""
    return TOLERANCES.get(op, EXACT)


# ----------------------------------------------------------------------------------------------
# Samples and the generator context

@dataclass
class Sample:
    """Inputs of one kernel call: ``kernel(*args, **kwargs)``."""

    args: Tuple[Any, ...]
    kwargs: Dict[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        def show(v: Any) -> str:
            if isinstance(v, np.ndarray):
                body = np.array2string(v, threshold=40, precision=9, separator=", ")
                return f"array({body}, dtype={v.dtype}, shape={v.shape})"
            if isinstance(v, (tuple, list)) and any(isinstance(x, np.ndarray) for x in v):
                inner = ", ".join(show(x) for x in v)
                return f"({inner},)" if isinstance(v, tuple) else f"[{inner}]"
            return repr(v)

        parts = [show(a) for a in self.args] + [f"{k}={show(v)}" for k, v in self.kwargs.items()]
        return f"Sample({', '.join(parts)})"


class Gen:
    """What a case's generator draws with. ``mode`` is one of :data:`MODES`."""

    def __init__(self, data: Any, mode: str = "forward", special: bool = False) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        self.data, self.mode, self.special = data, mode, special
        self._rng: Optional[np.random.Generator] = None

    @property
    def small(self) -> bool:
        return self.mode == "gradcheck"

    def draw(self, strategy: st.SearchStrategy, label: Optional[str] = None) -> Any:
        return self.data.draw(strategy, label=label)

    def rng(self) -> np.random.Generator:
        if self._rng is None:
            self._rng = np.random.default_rng(self.draw(st.integers(0, 2 ** 32 - 1), label="seed"))
        return self._rng

    def integer(self, lo: int, hi: int, label: Optional[str] = None) -> int:
        return self.draw(st.integers(lo, hi), label)

    def choice(self, options: Sequence[Any], label: Optional[str] = None) -> Any:
        return self.draw(st.sampled_from(list(options)), label)

    def boolean(self, label: Optional[str] = None) -> bool:
        return self.draw(st.booleans(), label)

    def _limits(self, max_dims: int, max_side: int) -> Tuple[int, int]:
        return (min(max_dims, 3), min(max_side, 3)) if self.small else (max_dims, max_side)

    def shape(self, min_dims: int = 0, max_dims: int = 4, min_side: int = 0, max_side: int = 5) -> Tuple[int, ...]:
        """An array shape, size-0 and size-1 dims included (min_side=0)."""
        max_dims, max_side = self._limits(max(max_dims, min_dims), max(max_side, min_side))
        return self.draw(hnp.array_shapes(min_dims=min_dims, max_dims=max(max_dims, min_dims), min_side=min_side,
                                          max_side=max(max_side, min_side)), "shape")

    def shapes(self, n: int = 2, min_dims: int = 0, max_dims: int = 4, min_side: int = 0,
               max_side: int = 5) -> Tuple[Tuple[int, ...], ...]:
        """``n`` shapes that broadcast together."""
        max_dims, max_side = self._limits(max(max_dims, min_dims), max(max_side, min_side))
        r = self.draw(hnp.mutually_broadcastable_shapes(num_shapes=n, min_dims=min_dims, max_dims=max_dims,
                                                        min_side=min_side, max_side=max(max_side, min_side)),
                      "shapes")
        return r.input_shapes

    def dtype(self, choices: Sequence[Any] = FLOATS) -> np.dtype:
        """A dtype from ``choices`` allowed in this mode (floats for gradients, float64 for gradcheck)."""
        opts = [np.dtype(d) for d in choices]
        if self.mode == "backward":
            opts = [d for d in opts if d.kind == "f"] or opts
        elif self.mode == "gradcheck":
            opts = [F64] if any(d.kind == "f" for d in opts) else opts
        return self.choice(opts, "dtype")

    def array(self, shape: Sequence[int], dtype: Any = F64, lo: float = -4.0, hi: float = 4.0, *,
              away: float = 0.0, special: Optional[bool] = None) -> np.ndarray:
        """An array of ``shape``/``dtype`` with values in [lo, hi]; ``away`` > 0 keeps |v| >= away.

        Forward mode draws the values through hypothesis (plus inf/nan/-0.0 when the case allows
        them, unless ``special=False``); gradient modes use a seeded generator (continuous values,
        so no ties and no kinks within a finite-difference step).
        """
        dt, shape = np.dtype(dtype), tuple(int(s) for s in shape)
        if dt == BOOL:
            if self.mode == "forward":
                return self.draw(hnp.arrays(dt, shape, elements=st.booleans()), "array")
            return np.asarray(self.rng().random(shape) < 0.5)
        if dt.kind in "iu":
            ilo, ihi = int(np.ceil(lo)), int(np.floor(hi))
            if self.mode == "forward":
                el = st.integers(ilo, ihi)
                if away:
                    el = el.filter(lambda v: abs(v) >= away)
                return self.draw(hnp.arrays(dt, shape, elements=el), "array")
            a = self.rng().integers(ilo, ihi + 1, size=shape)
            if away:
                a = np.where(np.abs(a) < away, int(np.ceil(away)), a)
            return a.astype(dt)
        if self.mode == "forward":
            width = 32 if dt == F32 else 64
            if width == 32:  # bounds hypothesis accepts: exactly representable, inside [lo, hi]
                lo32, hi32 = np.float32(lo), np.float32(hi)
                lo = float(lo32 if lo32 >= lo else np.nextafter(lo32, np.float32(np.inf)))
                hi = float(hi32 if hi32 <= hi else np.nextafter(hi32, np.float32(-np.inf)))
            el = st.floats(lo, hi, allow_nan=False, allow_infinity=False, width=width)
            if away:
                el = el.filter(lambda v: abs(v) >= away)
            if self.special if special is None else special:
                el = st.one_of(el, st.sampled_from(SPECIALS))
            return self.draw(hnp.arrays(dt, shape, elements=el), "array")
        r = self.rng()
        if away:
            mag = r.uniform(max(away, 0.0), max(abs(lo), abs(hi)), size=shape)
            sign = np.where(r.random(shape) < 0.5, -1.0, 1.0) if lo < 0 else 1.0
            a = np.clip(mag * sign, lo, hi)
        else:
            a = r.uniform(lo, hi, size=shape)
        return np.asarray(a, dtype=dt)

    def axes(self, ndim: int, min_size: int = 0) -> Optional[Tuple[int, ...]]:
        """A normalised reduction axis tuple (sorted, non-negative) or None (all axes)."""
        if ndim == 0 or self.boolean("all_axes"):
            return None
        return tuple(sorted(self.draw(st.lists(st.integers(0, ndim - 1), min_size=max(min_size, 1),
                                               max_size=ndim, unique=True), "axis")))

    def index(self, shape: Sequence[int], n: int, negative: bool = True) -> np.ndarray:
        """Integer indices of ``shape`` into an axis of size ``n`` (>0), negatives allowed."""
        return self.array(shape, I64, -n if negative else 0, n - 1)


@dataclass(frozen=True)
class OpCase:
    """How to test one core op.

    Attributes:
        op: the core op name (a key of ``unidl.kernels.OPS``).
        gen: ``gen(g: Gen) -> Sample``: inputs for the raw kernel.
        call: ``call(*args, **kwargs) -> Tensor`` at the op level, with the sample's ndarray args
            turned into Tensors; None: no gradient checks (the op is not differentiable).
        wrt: positions of the args to differentiate (default: every floating ndarray arg).
        special: forward samples may hold inf, nan and -0.0 (ops that define them).
        name: the case id (default ``op``); an op may have several cases (``gelu-tanh``).
        gradcheck_tol: (rtol, atol) against finite differences.
        compose: ``compose(kernel_of) -> fn``: what the forward check calls instead of the op's own kernel,
            built from ``kernel_of(op_name)`` (the kernels of the side under test): for kernels with
            results that are not comparable across plugins (a workspace) or inputs only another kernel
            of the same plugin can make (a grad kernel fed its own forward's workspace).
    """

    op: str
    gen: Callable[[Gen], Sample]
    call: Optional[Callable[..., Any]] = None
    wrt: Optional[Tuple[int, ...]] = None
    special: bool = False
    name: str = ""
    gradcheck_tol: Tuple[float, float] = (1e-5, 1e-6)
    compose: Optional[Callable[[Callable[[str], Callable[..., Any]]], Callable[..., Any]]] = None

    @property
    def id(self) -> str:
        return self.name or self.op

    @property
    def differentiable(self) -> bool:
        return self.call is not None

    def grad_positions(self, sample: Sample) -> Tuple[int, ...]:
        floats = tuple(i for i, a in enumerate(sample.args) if isinstance(a, np.ndarray) and a.dtype.kind == "f")
        return floats if self.wrt is None else tuple(i for i in self.wrt if i in floats)


# ----------------------------------------------------------------------------------------------
# Generators (g: Gen -> Sample) and small builders

def _neg(axis: Any, ndim: int) -> Any:
    """Normalised axes rewritten as negative axes (the op-level call exercises negative axes)."""
    if axis is None:
        return None
    if isinstance(axis, int):
        return axis - ndim
    return tuple(a - ndim for a in axis)


def unary(lo: float = -4.0, hi: float = 4.0, dtypes: Sequence[Any] = FLOATS, away: float = 0.0,
          **attrs: Any) -> Callable[[Gen], Sample]:
    def gen(g: Gen) -> Sample:
        dt = g.dtype(dtypes)
        return Sample((g.array(g.shape(), dt, lo, hi, away=away),), dict(attrs))
    return gen


def binary(lo: float = -4.0, hi: float = 4.0, dtypes: Sequence[Any] = NUMERIC, away_b: float = 0.0,
           lo_b: Optional[float] = None, hi_b: Optional[float] = None) -> Callable[[Gen], Sample]:
    def gen(g: Gen) -> Sample:
        dt = g.dtype(dtypes)
        sa, sb = g.shapes(2)
        b_lo, b_hi = (lo if lo_b is None else lo_b), (hi if hi_b is None else hi_b)
        return Sample((g.array(sa, dt, lo, hi), g.array(sb, dt, b_lo, b_hi, away=away_b)))
    return gen


def _op(name: str) -> Callable[..., Any]:
    return getattr(ops, name)


def _unary_case(op: str, lo: float = -4.0, hi: float = 4.0, *, dtypes: Sequence[Any] = FLOATS,
                grad: bool = True, special: bool = True, away: float = 0.0, **kw: Any) -> OpCase:
    return OpCase(op, unary(lo, hi, dtypes, away=away), _op(op) if grad else None, special=special, **kw)


def _binary_case(op: str, *, dtypes: Sequence[Any] = NUMERIC, grad: bool = True, special: bool = True,
                 **gen_kw: Any) -> OpCase:
    return OpCase(op, binary(dtypes=dtypes, **gen_kw), _op(op) if grad else None, special=special)


def _reduce(op: str, dtypes: Sequence[Any] = NUMERIC, nonempty: bool = False, grad: bool = True,
            lo: float = -4.0, hi: float = 4.0, grad_min_side: int = 0, **extra: Callable[[Gen], Any]) -> OpCase:
    def gen(g: Gen) -> Sample:
        dt = g.dtype(dtypes)
        min_side = grad_min_side if g.mode != "forward" else 0
        shape = g.shape(min_dims=1 if min_side else 0, min_side=max(min_side, 1 if nonempty else 0))
        kw = {"axis": g.axes(len(shape)), "keepdims": g.boolean("keepdims")}
        kw.update({k: f(g) for k, f in extra.items()})
        return Sample((g.array(shape, dt, lo, hi),), kw)

    fn = _op(op)

    def call(x: Any, axis: Any, keepdims: bool, **kw: Any) -> Any:
        return fn(x, axis=_neg(axis, x.ndim), keepdims=keepdims, **kw)

    return OpCase(op, gen, call if grad else None, special=True)


def _arg_reduce(op: str) -> OpCase:
    def gen(g: Gen) -> Sample:
        shape = g.shape(min_side=1)
        axis = None if not shape or g.boolean("flat") else g.integer(0, len(shape) - 1, "axis")
        return Sample((g.array(shape, g.dtype(NUMERIC)),), {"axis": axis, "keepdims": g.boolean("keepdims")})
    return OpCase(op, gen)


def _argsort_gen(g: Gen) -> Sample:
    shape = g.shape(min_dims=1)
    # small integers make ties, which the stable order must keep
    return Sample((g.array(shape, g.dtype(NUMERIC), -3, 3),),
                  {"axis": g.integer(0, len(shape) - 1, "axis"), "descending": g.boolean("descending")})


def _nonzero_gen(g: Gen) -> Sample:
    # values in [-1, 1] of an integer-valued draw: many exact zeros
    return Sample((g.array(g.shape(), g.dtype(NUMERIC), -1, 1),))


def _cumsum(g: Gen) -> Sample:
    shape = g.shape(min_dims=1)
    return Sample((g.array(shape, g.dtype(NUMERIC)),),
                  {"axis": g.integer(0, len(shape) - 1, "axis"), "reverse": g.boolean("reverse")})


def _norm_gen(g: Gen) -> Sample:
    shape = g.shape()
    kw = {"axis": g.axes(len(shape)), "keepdims": g.boolean("keepdims"), "ord": g.choice([1, 2, np.inf], "ord")}
    return Sample((g.array(shape, g.dtype(FLOATS), away=0.1 if g.mode != "forward" else 0.0),), kw)


def _logical(op: str, n: int) -> OpCase:
    def gen(g: Gen) -> Sample:
        shapes = g.shapes(n)
        dt = g.choice([BOOL, BOOL, I32, F64], "dtype")
        return Sample(tuple(g.array(s, dt, -1, 1) for s in shapes))
    return OpCase(op, gen, special=True)


def _where(g: Gen) -> Sample:
    sc, sa, sb = g.shapes(3)
    dt = g.dtype(NUMERIC)
    return Sample((g.array(sc, BOOL), g.array(sa, dt), g.array(sb, dt)))


def _clip(g: Gen) -> Sample:
    dt = g.dtype(NUMERIC)
    lo = g.integer(-3, 0, "lo")
    return Sample((g.array(g.shape(), dt), lo, lo + g.integer(0, 4, "width")))  # np.clip takes them by position


def _astype(g: Gen) -> Sample:
    src = g.dtype(NUMERIC + (BOOL,))
    dst = g.dtype(NUMERIC + (BOOL,)) if g.mode == "forward" else src
    x = g.array(g.shape(), src, -100, 100, special=False)
    return Sample((x,), {"dtype": dst})


def _reshape(g: Gen) -> Sample:
    shape = g.shape()
    size = int(np.prod(shape))
    new = g.choice([(size,), tuple(reversed(shape)), (1,) + tuple(shape), tuple(shape) + (1,)], "new_shape")
    return Sample((g.array(shape, g.dtype(NUMERIC)),), {"shape": new})


def _broadcast_to(g: Gen) -> Sample:
    shape = g.shape(max_dims=3)
    target = tuple(g.integer(0, 3, "lead") if s == 1 else s for s in shape)
    target = tuple(g.draw(st.lists(st.integers(0, 3), max_size=2), "new_dims")) + target
    return Sample((g.array(shape, g.dtype(NUMERIC)),), {"shape": target})


def _transpose(g: Gen) -> Sample:
    shape = g.shape()
    axes = tuple(g.draw(st.permutations(range(len(shape))), "axes"))
    return Sample((g.array(shape, g.dtype(NUMERIC)),), {"axes": axes})


def _join(stack: bool) -> Callable[[Gen], Sample]:
    def gen(g: Gen) -> Sample:
        base = g.shape(min_dims=0 if stack else 1, max_dims=3)
        nd = len(base) + (1 if stack else 0)
        axis = g.integer(0, nd - 1, "axis")
        dt = g.dtype(NUMERIC)
        xs = []
        for _ in range(g.integer(1, 3, "count")):
            s = list(base)
            if not stack:
                s[axis] = g.integer(0, 3, "size")
            xs.append(g.array(s, dt))
        return Sample(tuple(xs), {"axis": axis})
    return gen


def _join_call(stack: bool) -> Callable[..., Any]:
    fn = ops.stack if stack else ops.concatenate

    def call(*xs: Any, axis: int) -> Any:
        return fn(list(xs), axis=axis - (xs[0].ndim + (1 if stack else 0)))
    return call


def _slices(g: Gen, shape: Sequence[int]) -> Tuple[Tuple[int, int, int], ...]:
    out = []
    for n in shape:
        a = g.integer(0, n, "start")
        out.append((a, g.integer(a, n, "stop"), g.integer(1, 2, "step")))
    return tuple(out)


def _slice(g: Gen) -> Sample:
    shape = g.shape()
    return Sample((g.array(shape, g.dtype(NUMERIC)),), {"slices": _slices(g, shape)})


def _slice_call(x: Any, slices: Any) -> Any:
    return ops.getitem(x, tuple(slice(*t) for t in slices))


def _pad(g: Gen) -> Sample:
    shape = g.shape(min_dims=1, max_dims=3)
    widths = tuple((g.integer(0, 2, "lo"), g.integer(0, 2, "hi")) for _ in shape)
    mode = g.choice(["constant", "edge"] if all(shape) else ["constant"], "mode")
    return Sample((g.array(shape, g.dtype(NUMERIC)),),
                  {"pad_width": widths, "mode": mode, "constant_value": g.integer(-2, 2, "value")})


def _tile(g: Gen) -> Sample:
    shape = g.shape(max_dims=3)
    reps = tuple(g.integer(0, 3, "rep") for _ in shape)
    return Sample((g.array(shape, g.dtype(NUMERIC)),), {"reps": reps})


def _repeat(g: Gen) -> Sample:
    shape = g.shape(max_dims=3)
    axis = None if not shape or g.boolean("flat") else g.integer(0, len(shape) - 1, "axis")
    return Sample((g.array(shape, g.dtype(NUMERIC)),), {"repeats": g.integer(0, 3, "repeats"), "axis": axis})


def _repeat_call(x: Any, repeats: int, axis: Any) -> Any:
    return ops.repeat(x, repeats, axis=_neg(axis, x.ndim))


def _flip(g: Gen) -> Sample:
    shape = g.shape()
    return Sample((g.array(shape, g.dtype(NUMERIC)),), {"axis": g.axes(len(shape))})


def _matmul(g: Gen) -> Sample:
    dt = g.dtype(NUMERIC)
    n, k, m = (g.integer(0 if not g.small else 1, 4, d) for d in "nkm")
    kind = g.choice(["mm", "batched", "vec-mat", "mat-vec", "vec-vec"], "kind")
    if kind == "batched":
        ba, bb = g.shapes(2, max_dims=2, max_side=3)
        sa, sb = ba + (n, k), bb + (k, m)
    else:
        sa = (k,) if kind.startswith("vec") else (n, k)
        sb = (k,) if kind.endswith("vec") else (k, m)
    return Sample((g.array(sa, dt, -3, 3), g.array(sb, dt, -3, 3)))


def _tensordot(g: Gen) -> Sample:
    dt = g.dtype(NUMERIC)
    common = g.shape(max_dims=2, max_side=3)
    ra, rb = g.shape(max_dims=2, max_side=3), g.shape(max_dims=2, max_side=3)
    c = len(common)
    axes = (tuple(range(len(ra), len(ra) + c)), tuple(range(c)))
    return Sample((g.array(ra + common, dt, -3, 3), g.array(common + rb, dt, -3, 3)), {"axes": axes})


_EINSUM = {"ij,jk->ik": ("ij", "jk"), "bij,bjk->bik": ("bij", "bjk"), "i,i->": ("i", "i"), "ij->ji": ("ij",),
           "ij,ij->i": ("ij", "ij"), "i,j->ij": ("i", "j"), "bhqd,bhkd->bhqk": ("bhqd", "bhkd")}


def _einsum(g: Gen) -> Sample:
    subs = g.choice(sorted(_EINSUM), "subscripts")
    letters = sorted(set("".join(_EINSUM[subs])))
    size = {c: g.integer(1 if g.small else 0, 3, c) for c in letters}
    dt = g.dtype(NUMERIC)
    return Sample(tuple(g.array([size[c] for c in t], dt, -3, 3) for t in _EINSUM[subs]), {"subscripts": subs})


def _einsum_call(*xs: Any, subscripts: str) -> Any:
    return ops.einsum(subscripts, *xs)


def _softmax(g: Gen) -> Sample:
    shape = g.shape(min_dims=1)
    return Sample((g.array(shape, g.dtype(FLOATS), -8, 8),), {"axis": g.integer(0, len(shape) - 1, "axis")})


def _softmax_call(fn: Callable[..., Any]) -> Callable[..., Any]:
    return lambda x, axis: fn(x, axis=_neg(axis, x.ndim))


def _sce(g: Gen) -> Sample:
    shape = g.shape(min_dims=1, max_dims=3, min_side=1)
    axis = len(shape) - 1 if g.small else g.integer(0, len(shape) - 1, "axis")
    sparse = g.boolean("sparse")
    dt = g.dtype(FLOATS)
    logits = g.array(shape, dt, -6, 6, special=False)
    rest = shape[:axis] + shape[axis + 1:]
    if sparse:
        labels = g.array(rest, I64, 0, shape[axis] - 1)
    else:
        p = g.array(shape, dt, 0, 1, special=False)
        labels = (p / np.maximum(p.sum(axis=axis, keepdims=True), 1e-3)).astype(dt)
    return Sample((logits, labels), {"axis": axis, "sparse": sparse})


def _sce_call(logits: Any, labels: Any, axis: int, sparse: bool) -> Any:
    return ops.softmax_cross_entropy(logits, labels, axis=_neg(axis, logits.ndim), sparse=sparse)


def _embedding(g: Gen) -> Sample:
    rows = g.integer(1, 5, "rows")
    dt = g.dtype(FLOATS)
    return Sample((g.array(g.shape(max_dims=2), I64, 0, rows - 1), g.array((rows, g.integer(0, 3, "dim")), dt)))


def _getitem(g: Gen) -> Sample:
    shape = g.shape(min_dims=1, max_dims=3)
    key: List[Any] = []
    for n in shape:
        kind = g.choice(["slice", "int", "array", "full"] if n else ["slice", "full"], "key")
        if kind == "slice":
            a = g.integer(0, n, "start")
            key.append(slice(a, g.integer(a, n, "stop"), g.integer(1, 2, "step")))
        elif kind == "int":
            key.append(g.integer(-n, n - 1, "int"))
        elif kind == "array":
            key.append(g.index((g.integer(0, 3, "len"),), n))
        else:
            key.append(slice(None))
    if sum(isinstance(k, np.ndarray) for k in key) > 1:  # several arrays must broadcast: keep one
        first = next(i for i, k in enumerate(key) if isinstance(k, np.ndarray))
        key = [k if i == first or not isinstance(k, np.ndarray) else slice(None) for i, k in enumerate(key)]
    if g.boolean("newaxis"):
        key.insert(g.integer(0, len(key), "at"), None)
    return Sample((g.array(shape, g.dtype(NUMERIC)),), {"key": tuple(key)})


def _getitem_call(x: Any, key: tuple) -> Any:
    return ops.getitem(x, key)


def _take(g: Gen) -> Sample:
    shape = g.shape(min_dims=1, max_dims=3, min_side=1)
    axis = None if g.boolean("flat") else g.integer(0, len(shape) - 1, "axis")
    n = int(np.prod(shape)) if axis is None else shape[axis]
    mode = g.choice(["raise", "wrap", "clip"], "mode")
    lo, hi = (-n, n - 1) if mode == "raise" else (-2 * n, 2 * n)
    idx = g.array(g.shape(max_dims=2), I64, lo, hi)
    return Sample((g.array(shape, g.dtype(NUMERIC)), idx), {"axis": axis, "mode": mode})


def _take_call(x: Any, indices: Any, axis: Any, mode: str) -> Any:
    return ops.take(x, indices, axis=_neg(axis, x.ndim), mode=mode)


def _take_along(g: Gen) -> Sample:
    shape = g.shape(min_dims=1, max_dims=3, min_side=1)
    axis = g.integer(0, len(shape) - 1, "axis")
    ishape = tuple(g.integer(0, 3, "k") if i == axis else n for i, n in enumerate(shape))
    n = shape[axis]
    return Sample((g.array(shape, g.dtype(NUMERIC)), g.array(ishape, I64, -n, n - 1)), {"axis": axis, "mode": "raise"})


def _take_along_call(x: Any, indices: Any, axis: int, mode: str) -> Any:
    return ops.take_along_axis(x, indices, axis=_neg(axis, x.ndim), mode=mode)


def _one_hot(g: Gen) -> Sample:
    depth = g.integer(0, 5, "depth")
    return Sample((g.array(g.shape(max_dims=2), I64, -1, depth),),
                  {"depth": depth, "on_value": g.choice([1, 5], "on"), "off_value": g.choice([0, -1], "off"),
                   "dtype": g.dtype(NUMERIC)})


def _moments(g: Gen) -> Sample:
    shape = g.shape(min_dims=1, max_dims=4)
    return Sample((g.array(shape, g.dtype(FLOATS)),), {"axes": g.axes(len(shape), 1) or tuple(range(len(shape)))})


def _normalize(batch: bool) -> Callable[[Gen], Sample]:
    def gen(g: Gen) -> Sample:
        shape = g.shape(min_dims=2, max_dims=4, min_side=1)
        dt = g.dtype(FLOATS)
        if batch:
            axes = tuple(i for i in range(len(shape)) if i != 1)
        else:
            axes = tuple(range(len(shape) - 1, len(shape)))
        pshape = tuple(1 if i in axes else n for i, n in enumerate(shape)) if batch else \
            tuple(n if i in axes else 1 for i, n in enumerate(shape))
        stat_shape = pshape if batch else tuple(1 if i in axes else n for i, n in enumerate(shape))
        params = tuple(d for d in pshape if d != 1) or (1,)
        x = g.array(shape, dt, special=False)
        gamma, beta = g.array(params, dt, 0.5, 2.0), g.array(params, dt)
        mean, var = g.array(stat_shape, dt), g.array(stat_shape, dt, 0.1, 3.0)
        return Sample((x, gamma, beta, mean, var), {"pshape": pshape, "eps": 1e-5})
    return gen


def _layer_norm_call(x: Any, gamma: Any, beta: Any, mean: Any, var: Any, pshape: Any, eps: float) -> Any:
    return ops.layer_norm(x, gamma.reshape(x.shape[-1:]), beta.reshape(x.shape[-1:]), axes=-1, eps=eps)


def _batch_norm_call(x: Any, gamma: Any, beta: Any, mean: Any, var: Any, pshape: Any, eps: float) -> Any:
    c = (x.shape[1],)
    return ops.batch_norm(x, gamma.reshape(c), beta.reshape(c), None, None, axis=1 - x.ndim, training=True, eps=eps)


def _random(op: str, **extra: Callable[[Gen], Any]) -> OpCase:
    def gen(g: Gen) -> Sample:
        kw = {"shape": g.shape(max_dims=3), "key": (g.integer(0, 2 ** 32 - 1, "k0"), g.integer(0, 2 ** 32 - 1, "k1")),
              "counter": g.integer(0, 2 ** 40, "counter")}
        kw.update({k: f(g) for k, f in extra.items()})
        return Sample((), kw)
    return OpCase(op, gen)


def _permutation(g: Gen) -> Sample:
    return Sample((), {"n": g.integer(0, 20, "n"), "key": (g.integer(0, 2 ** 32 - 1, "k0"), 7),
                       "counter": g.integer(0, 2 ** 40, "counter")})


def _dropout(g: Gen) -> Sample:
    dt = g.dtype(FLOATS)
    sx, sm = g.shapes(2)
    return Sample((g.array(sx, dt), g.array(sm, dt, 0, 2)))


def _shuffle(g: Gen) -> Sample:
    shape = g.shape(min_dims=1, max_dims=3)
    axis = g.integer(0, len(shape) - 1, "axis")
    perm = np.asarray(g.draw(st.permutations(range(shape[axis])), "perm"), dtype=np.int64)
    return Sample((g.array(shape, g.dtype(NUMERIC)), perm), {"axis": axis, "inverse": g.boolean("inverse")})


def _pool_common(g: Gen) -> Tuple[Tuple[int, ...], Dict[str, Any]]:
    nd = g.integer(1, 2, "spatial_dims")
    kernel = tuple(g.integer(1, 3, "k") for _ in range(nd))
    stride = tuple(g.integer(1, 2, "s") for _ in range(nd))
    padding = tuple((g.integer(0, k // 2, "lo"), g.integer(0, k // 2, "hi")) for k in kernel)
    size = tuple(k + g.integer(0, 3, "extra") for k in kernel)
    out = tuple((n + lo + hi - k) // s + 1 for n, k, s, (lo, hi) in zip(size, kernel, stride, padding))
    shape = (g.integer(1, 2, "n"), g.integer(1, 2, "c")) + size
    return shape, {"kernel": kernel, "stride": stride, "padding": padding, "out_size": out}


def _max_pool(g: Gen) -> Sample:
    shape, kw = _pool_common(g)
    return Sample((g.array(shape, g.dtype(FLOATS)),), kw)


def _avg_pool(g: Gen) -> Sample:
    shape, kw = _pool_common(g)
    kw["count_include_pad"] = g.boolean("count_include_pad")
    return Sample((g.array(shape, g.dtype(FLOATS)),), kw)


def _max_pool_call(x: Any, kernel: Any, stride: Any, padding: Any, out_size: Any) -> Any:
    return ops.max_pool(x, kernel, stride, padding)


def _avg_pool_call(x: Any, kernel: Any, stride: Any, padding: Any, out_size: Any, count_include_pad: bool) -> Any:
    return ops.avg_pool(x, kernel, stride, padding, count_include_pad=count_include_pad)


def _conv(g: Gen) -> Sample:
    nd = g.integer(1, 2, "spatial_dims")
    groups = g.integer(1, 2, "groups")
    cin, cout = groups * g.integer(1, 2, "cin"), groups * g.integer(1, 2, "cout")
    ksize = tuple(g.integer(1, 3, "k") for _ in range(nd))
    stride = tuple(g.integer(1, 2, "s") for _ in range(nd))
    dilation = tuple(g.integer(1, 2, "d") for _ in range(nd))
    padding = tuple((g.integer(0, 1, "lo"), g.integer(0, 1, "hi")) for _ in range(nd))
    size = tuple(d * (k - 1) + 1 + g.integer(0, 3, "extra") for k, d in zip(ksize, dilation))
    dt = g.dtype(FLOATS)
    x = g.array((g.integer(1, 2, "n"), cin) + size, dt, -2, 2)
    w = g.array((cout, cin // groups) + ksize, dt, -2, 2)
    b = g.array((cout,), dt, -2, 2) if g.boolean("bias") else None
    return Sample((x, w, b), {"stride": stride, "padding": padding, "dilation": dilation, "groups": groups})


def _conv_call(x: Any, w: Any, b: Any, stride: Any, padding: Any, dilation: Any, groups: int) -> Any:
    return ops.conv(x, w, b, stride=stride, padding=padding, dilation=dilation, groups=groups)


def _conv_transpose(g: Gen) -> Sample:
    nd = g.integer(1, 2, "spatial_dims")
    groups = g.integer(1, 2, "groups")
    cin, og = groups * g.integer(1, 2, "cin"), g.integer(1, 2, "cout_per_group")
    ksize = tuple(g.integer(1, 3, "k") for _ in range(nd))
    stride = tuple(g.integer(1, 2, "s") for _ in range(nd))
    dilation = tuple(g.integer(1, 2, "d") for _ in range(nd))
    size = tuple(g.integer(1, 3, "size") for _ in range(nd))
    padding, out_pad = [], []
    for n, k, s, d in zip(size, ksize, stride, dilation):
        full = (n - 1) * s + d * (k - 1) + 1
        lo, hi = g.integer(0, 1, "lo"), g.integer(0, 1, "hi")
        padding.append((lo, hi) if lo + hi < full else (0, 0))
        out_pad.append(g.integer(0, max(s, d) - 1, "output_padding"))
    dt = g.dtype(FLOATS)
    x = g.array((g.integer(1, 2, "n"), cin) + size, dt, -2, 2)
    w = g.array((cin, og) + ksize, dt, -2, 2)
    b = g.array((og * groups,), dt, -2, 2) if g.boolean("bias") else None
    return Sample((x, w, b), {"stride": stride, "padding": tuple(padding), "output_padding": tuple(out_pad),
                              "dilation": dilation, "groups": groups})


def _conv_transpose_call(x: Any, w: Any, b: Any, stride: Any, padding: Any, output_padding: Any, dilation: Any,
                         groups: int) -> Any:
    return ops.conv_transpose(x, w, b, stride=stride, padding=padding, output_padding=output_padding,
                              dilation=dilation, groups=groups)


def _conv_wgrad(g: Gen) -> Sample:
    s = _conv(g)
    x, w, _ = s.args
    kw = s.kwargs
    ksize = w.shape[2:]
    out = tuple((n + lo + hi - d * (k - 1) - 1) // st + 1 for n, k, st, d, (lo, hi) in
                zip(x.shape[2:], ksize, kw["stride"], kw["dilation"], kw["padding"]))
    gy = g.array((x.shape[0], w.shape[0]) + out, x.dtype, -2, 2)
    return Sample((x, gy), dict(kw, kernel_size=ksize))


def _conv_wgrad_call(x: Any, gy: Any, stride: Any, padding: Any, dilation: Any, groups: int, kernel_size: Any) -> Any:
    return ops.conv_weight_grad(x, gy, kernel_size, stride=stride, padding=padding, dilation=dilation, groups=groups)


def _np_max_pool(x: np.ndarray, kernel: Sequence[int], stride: Sequence[int], padding: Sequence[Tuple[int, int]],
                 out: Sequence[int]) -> np.ndarray:
    """Independent NumPy max pool (windows padded with -inf), for the inputs of the max-pool adjoints."""
    xp_ = np.pad(x, ((0, 0), (0, 0)) + tuple(padding), constant_values=-np.inf)
    y = np.empty(x.shape[:2] + tuple(out), dtype=x.dtype)
    axes = tuple(range(2, 2 + len(out)))
    for pos in np.ndindex(*out):
        win = tuple(slice(p * s, p * s + k) for p, s, k in zip(pos, stride, kernel))
        y[(slice(None), slice(None)) + pos] = xp_[(slice(None), slice(None)) + win].max(axis=axes)
    return y


def _max_pool_adjoint(gather: bool) -> Callable[[Gen], Sample]:
    def gen(g: Gen) -> Sample:
        shape, kw = _pool_common(g)
        dt = g.dtype(FLOATS)
        x = g.array(shape, dt, -3, 3) if g.mode != "forward" else g.array(shape, dt, -2, 2, special=False)
        out = kw.pop("out_size")
        y = _np_max_pool(x, kw["kernel"], kw["stride"], kw["padding"], out)
        gg = g.array(shape if gather else shape[:2] + tuple(out), dt)
        return Sample((x, y, gg), kw)
    return gen


def _avg_pool_grad(g: Gen) -> Sample:
    shape, kw = _pool_common(g)
    out = kw.pop("out_size")
    kw.update(in_size=tuple(shape[2:]), count_include_pad=g.boolean("count_include_pad"))
    return Sample((g.array(shape[:2] + tuple(out), g.dtype(FLOATS)),), kw)


def _slice_grad(g: Gen) -> Sample:
    shape = g.shape()
    slices = _slices(g, shape)
    out = np.empty(shape)[tuple(slice(*t) for t in slices)].shape
    return Sample((g.array(out, g.dtype(NUMERIC)),), {"shape": tuple(shape), "slices": slices})


def _take_grad(g: Gen) -> Sample:
    x, idx = (s := _take(g)).args
    axis, mode = s.kwargs["axis"], s.kwargs["mode"]
    out = idx.shape if axis is None else x.shape[:axis] + idx.shape + x.shape[axis + 1:]
    return Sample((g.array(out, x.dtype), idx), {"shape": x.shape, "axis": axis, "mode": mode})


def _embedding_grad(g: Gen) -> Sample:
    idx, w = _embedding(g).args
    return Sample((idx, g.array(idx.shape + w.shape[1:], w.dtype)), {"num_rows": w.shape[0]})


def _relu_grad_sample(g: Gen) -> Sample:
    """A gradient and a relu output of its shape (>= 0, zeros included; NaN/inf where the mode allows)."""
    dt = g.dtype(FLOATS)
    shape = g.shape()
    out = g.array(shape, dt, -2, 4)
    return Sample((g.array(shape, dt), np.where(out < 0, dt.type(0), out).astype(dt)))


def _sce_grad(g: Gen) -> Sample:
    shape = g.shape(min_dims=1, max_dims=3, min_side=1)
    axis = g.integer(0, len(shape) - 1, "axis")
    dt = g.dtype(FLOATS)
    rest = shape[:axis] + shape[axis + 1:]
    return Sample((g.array(shape, dt, -6, 6), g.array(rest, I64, 0, shape[axis] - 1), g.array(rest, dt)),
                  {"axis": axis})


def _index_add(g: Gen) -> Sample:
    from unidl.ops.index import _normalize_key

    x, key = (s := _getitem(g)).args[0], s.kwargs["key"]
    if x.dtype == BOOL:
        x = x.astype(I32)
    k, basic = _normalize_key("index_add", unidl.tensor(x), key)
    picked = x[key].shape
    values = g.array(picked, x.dtype)
    return Sample((x if g.boolean("has_x") else None, values), {"key": k, "shape": x.shape, "basic": basic})


def _scatter_add(g: Gen) -> Sample:
    x, idx = (s := _take_along(g)).args
    axis = s.kwargs["axis"]
    flat = g.boolean("flat")
    mode = g.choice(["raise", "clip", "wrap"], "mode")
    n = x.size if flat else x.shape[axis]
    if flat:
        idx = g.array((g.integer(0, 4, "k"),), I64, -n, n - 1)
    if mode != "raise":
        idx = idx + g.choice([0, n, -2 * n], "shift")  # out of range: clipped or wrapped
    upd = g.array(idx.shape, x.dtype)
    return Sample((x if g.boolean("has_x") else None, idx, upd),
                  {"axis": None if flat else axis, "mode": mode, "shape": x.shape})


def _lstm_inputs(g: Gen) -> Tuple[Tuple[Any, ...], Dict[str, Any]]:
    T, N, H = g.integer(1, 3, "T"), g.integer(1, 2, "N"), g.integer(1, 2, "H")
    dt = g.dtype(FLOATS)
    xw = g.array((T, N, 4 * H), dt, -2, 2)
    h0, c0 = g.array((N, H), dt, -1, 1), g.array((N, H), dt, -1, 1)
    w = g.array((H, 4 * H), dt, -1, 1)
    mask = g.array((T, N), BOOL) if g.boolean("masked") else None
    return (xw, h0, c0, w, mask), {"reverse": g.boolean("reverse")}


def _lstm(g: Gen) -> Sample:
    args, kw = _lstm_inputs(g)
    return Sample(args, kw)


def _lstm_call(xw: Any, h0: Any, c0: Any, w: Any, mask: Any, reverse: bool) -> Any:
    return ops.lstm_sequence(xw, h0, c0, w, mask, reverse=reverse)


def _lstm_fwd(kernel_of: Callable[[str], Callable[..., Any]]) -> Callable[..., Any]:
    fwd = kernel_of("lstm_sequence")
    # the workspace is the plugin's own business: only Y (h_t and c_t) is compared
    return lambda xw, h0, c0, w, mask, reverse: fwd(xw, h0, c0, w, mask, reverse)[0]


def _lstm_grad(g: Gen) -> Sample:
    (xw, h0, c0, w, mask), kw = _lstm_inputs(g)
    gy = g.array((2,) + xw.shape[:2] + (h0.shape[1],), xw.dtype, -1, 1)
    return Sample((gy, xw, h0, c0, w, mask), kw)


def _lstm_bwd(kernel_of: Callable[[str], Callable[..., Any]]) -> Callable[..., Any]:
    fwd, bwd = kernel_of("lstm_sequence"), kernel_of("lstm_sequence_grad")

    def run(gy: Any, xw: Any, h0: Any, c0: Any, w: Any, mask: Any, reverse: bool) -> Any:
        y, ws = fwd(xw, h0, c0, w, mask, reverse)  # the grad kernel gets its own plugin's workspace
        return bwd(gy, xw, h0, c0, w, y, ws, mask, reverse=reverse)
    return run


# optimizer updates: param, grad, states (None where the variant has none) + scalar hyper-parameters

def _upd_arrays(g: Gen, ranges: Sequence[Optional[Tuple[float, float]]]) -> Tuple[Any, ...]:
    """param and grad, then one state per range (None: the state is absent)."""
    # min_dims=1: the cpu kernels' ``out=`` calls refuse 0-d parameters (NumPy scalars)
    shape, dt = g.shape(min_dims=1, max_dims=2, max_side=4), g.dtype(FLOATS)
    arrs = [g.array(shape, dt, -2, 2, special=False), g.array(shape, dt, -2, 2, special=False)]
    return tuple(arrs + [None if r is None else g.array(shape, dt, r[0], r[1], special=False) for r in ranges])


def _mx_common(g: Gen, form: str) -> Dict[str, Any]:
    """``wd``, and the rescaled form's gradient scale and clip."""
    if form == "keras":
        return {"wd": g.choice([0.0, 0.01], "wd")}
    return {"wd": g.choice([0.0, 0.01], "wd"), "rescale_grad": g.choice([1.0, 0.5], "rescale_grad"),
            "clip_gradient": g.choice([None, 1.0], "clip_gradient")}


# each generator takes the form: "keras" for ``<rule>_update``, "mxnet" for ``<rule>_update_rescaled``
def _sgd(g: Gen, form: str) -> Sample:
    has_mom = g.boolean("momentum")
    args = _upd_arrays(g, [(-1, 1) if has_mom else None])
    kw = dict(lr=g.choice([0.1, 0.01], "lr"), momentum=0.9 if has_mom else 0.0,
              nesterov=has_mom and g.boolean("nesterov"), **_mx_common(g, form))
    if form == "mxnet":
        kw["aggregated"] = not has_mom and g.boolean("aggregated")
    return Sample(args, kw)


def _adam(g: Gen, form: str) -> Sample:
    amsgrad = form == "keras" and g.boolean("amsgrad")
    args = _upd_arrays(g, [(-1, 1), (0, 1)] + ([(0, 1) if amsgrad else None] if form == "keras" else []))
    return Sample(args, dict(lr=0.01, step=g.integer(1, 5, "step"), beta1=0.9, beta2=0.999, epsilon=1e-7,
                             **_mx_common(g, form)))


def _rmsprop(g: Gen, form: str) -> Sample:
    centered = g.boolean("centered")
    has_mom = centered if form == "mxnet" else g.boolean("momentum")
    args = _upd_arrays(g, [(1, 3), (-1, 1) if centered else None, (-1, 1) if has_mom else None])
    kw = dict(lr=0.01, rho=0.9, momentum=0.9 if has_mom else 0.0, epsilon=1e-7, **_mx_common(g, form))
    if form == "mxnet":
        kw["clip_weights"] = g.choice([None, 1.5], "clip_weights")
    return Sample(args, kw)


def _adagrad(g: Gen, form: str) -> Sample:
    return Sample(_upd_arrays(g, [(0, 2)]), dict(lr=0.01, epsilon=1e-7, **_mx_common(g, form)))


def _adadelta(g: Gen, form: str) -> Sample:
    return Sample(_upd_arrays(g, [(0, 2), (0, 2)]), dict(lr=1.0, rho=0.95, epsilon=1e-6, **_mx_common(g, form)))


def _adamax(g: Gen, form: str) -> Sample:
    return Sample(_upd_arrays(g, [(-1, 1), (0.5, 2)]), dict(lr=0.002, step=g.integer(1, 5, "step"), beta1=0.9,
                                                            beta2=0.999, epsilon=1e-7, **_mx_common(g, form)))


def _nadam(g: Gen, form: str) -> Sample:
    kw = dict(lr=0.002, step=g.integer(1, 5, "step"), momentum_cache=g.choice([0.45, 0.2], "momentum_cache"),
              beta1=0.9, beta2=0.999, epsilon=1e-7, **_mx_common(g, form))
    if form == "mxnet":
        kw["schedule_decay"] = 0.004
    return Sample(_upd_arrays(g, [(-1, 1), (0, 1)]), kw)


def _ftrl(g: Gen) -> Sample:
    return Sample(_upd_arrays(g, [(-1, 1), (0, 2)]), dict(lr=0.1, lamda1=g.choice([0.01, 0.5], "lamda1"), beta=1.0,
                                                          **_mx_common(g, "mxnet")))


def _signum(g: Gen) -> Sample:
    has_mom = g.boolean("momentum")
    return Sample(_upd_arrays(g, [(-1, 1) if has_mom else None]), dict(
        lr=0.01, momentum=0.9 if has_mom else 0.0, wd_lh=g.choice([0.0, 0.01], "wd_lh"), **_mx_common(g, "mxnet")))


def _scale(g: Gen) -> Sample:
    dt = g.dtype(FLOATS)
    x = g.array(g.shape(max_dims=2, max_side=4), dt, special=False)
    s = g.array((1,), dt, -2, 2) if g.boolean("array_scale") else g.choice([0.5, -3.0], "scale")
    return Sample((x, s))


# ----------------------------------------------------------------------------------------------
# The table

def _build() -> List[OpCase]:
    c: List[OpCase] = []
    # arithmetic (int dtypes too); denominators kept away from 0 so integer division is defined
    for op in ("add", "subtract", "multiply", "maximum", "minimum"):
        c.append(_binary_case(op))
    c.append(_binary_case("divide", dtypes=FLOATS, away_b=0.25))
    c.append(_binary_case("floor_divide", away_b=1, grad=False))
    c.append(_binary_case("mod", away_b=1, grad=False))
    c.append(OpCase("power", binary(0.25, 3, FLOATS, lo_b=-2, hi_b=2), ops.power, special=True))
    for op in ("equal", "not_equal", "greater", "greater_equal", "less", "less_equal"):
        c.append(OpCase(op, binary(-2, 2), special=True))
    for op in ("logical_and", "logical_or", "logical_xor"):
        c.append(_logical(op, 2))
    c.append(_logical("logical_not", 1))
    for op in ("isnan", "isinf", "isfinite"):
        c.append(_unary_case(op, grad=False))
    # unary, int dtypes where NumPy keeps them
    for op in ("negative", "abs", "square", "relu"):
        c.append(_unary_case(op, dtypes=NUMERIC))
    c.append(_unary_case("sign", dtypes=NUMERIC, grad=False))
    c.append(OpCase("relu_grad", _relu_grad_sample, _op("relu_grad"), wrt=(0,), special=True))
    for op in ("floor", "ceil", "trunc"):
        c.append(_unary_case(op, grad=False))
    c.append(OpCase("round", unary(-4, 4, FLOATS, decimals=0), special=True))
    c.append(OpCase("round", unary(-4, 4, FLOATS, decimals=2), special=True, name="round-decimals"))
    # transcendental (domains chosen so the gradient is finite)
    for op, lo, hi in (("exp", -6, 6), ("expm1", -6, 6), ("sin", -6, 6), ("cos", -6, 6), ("tan", -1.4, 1.4),
                       ("tanh", -6, 6), ("erf", -5, 5), ("erfc", -5, 5), ("sigmoid", -12, 12),
                       ("softplus", -12, 12), ("selu", -4, 4), ("silu", -6, 6)):
        c.append(_unary_case(op, lo, hi))
    for op in ("log", "log2", "log10", "sqrt"):
        c.append(_unary_case(op, 0.05, 8))
    c.append(_unary_case("log1p", -0.9, 8))
    for op, lo, hi in (("arcsin", -0.9, 0.9), ("arccos", -0.9, 0.9), ("arctan", -6, 6), ("sinh", -5, 5),
                       ("cosh", -5, 5), ("arcsinh", -6, 6), ("arccosh", 1.1, 8), ("arctanh", -0.9, 0.9)):
        c.append(_unary_case(op, lo, hi))
    c.append(_unary_case("reciprocal", -4, 4, away=0.25))
    c.append(OpCase("leaky_relu", unary(negative_slope=0.2), lambda x, negative_slope: ops.leaky_relu(x, negative_slope),
                    special=True))
    c.append(OpCase("elu", unary(alpha=1.5), lambda x, alpha: ops.elu(x, alpha), special=True))
    c.append(OpCase("gelu", unary(approximate=False), lambda x, approximate: ops.gelu(x, approximate), special=True))
    c.append(OpCase("gelu", unary(approximate=True), lambda x, approximate: ops.gelu(x, approximate), special=True,
                    name="gelu-tanh"))
    c.append(OpCase("hard_sigmoid", unary(alpha=0.2, beta=0.5),
                    lambda x, alpha, beta: ops.hard_sigmoid(x, alpha, beta), special=True))
    c.append(OpCase("clip", _clip, lambda x, lo, hi: ops.clip(x, lo, hi), special=True))
    c.append(OpCase("where", _where, ops.where, wrt=(1, 2), special=True))
    c.append(OpCase("astype", _astype, lambda x, dtype: ops.astype(x, dtype)))
    # reductions
    for op in ("sum", "mean", "prod", "logsumexp"):
        c.append(_reduce(op, lo=-2 if op == "prod" else -4, hi=2 if op == "prod" else 4))
    for op in ("max", "min"):
        c.append(_reduce(op, nonempty=True))
    for op in ("var", "std"):
        # the gradient of a zero variance is a kink (std) or needs ddof < n: gradients use >= 2 values
        c.append(_reduce(op, dtypes=FLOATS, grad_min_side=2, ddof=lambda g: g.choice([0, 1], "ddof")))
    for op in ("all", "any"):
        c.append(_reduce(op, dtypes=(BOOL, I32, F32), grad=False))
    c.append(_arg_reduce("argmax"))
    c.append(_arg_reduce("argmin"))
    c.append(OpCase("argsort", _argsort_gen))
    c.append(OpCase("nonzero", _nonzero_gen))
    c.append(OpCase("cumsum", _cumsum, lambda x, axis, reverse: ops.cumsum(x, axis=axis - x.ndim, reverse=reverse),
                    special=True))
    c.append(OpCase("norm", _norm_gen, lambda x, axis, keepdims, ord: ops.norm(
        x, ord=ord, axis=_neg(axis, x.ndim), keepdims=keepdims), special=True))
    # shape and arrangement
    c.append(OpCase("reshape", _reshape, lambda x, shape: ops.reshape(x, shape), special=True))
    c.append(OpCase("broadcast_to", _broadcast_to, lambda x, shape: ops.broadcast_to(x, shape), special=True))
    c.append(OpCase("transpose", _transpose, lambda x, axes: ops.transpose(x, axes), special=True))
    c.append(OpCase("concatenate", _join(False), _join_call(False), special=True))
    c.append(OpCase("stack", _join(True), _join_call(True), special=True))
    c.append(OpCase("slice", _slice, _slice_call, special=True))
    c.append(OpCase("pad", _pad, lambda x, pad_width, mode, constant_value: ops.pad(
        x, pad_width, mode=mode, constant_value=constant_value), special=True))
    c.append(OpCase("tile", _tile, lambda x, reps: ops.tile(x, reps), special=True))
    c.append(OpCase("repeat", _repeat, _repeat_call, special=True))
    c.append(OpCase("flip", _flip, lambda x, axis: ops.flip(x, _neg(axis, x.ndim)), special=True))
    # indexing
    c.append(OpCase("getitem", _getitem, _getitem_call, special=True))
    c.append(OpCase("take", _take, _take_call, wrt=(0,), special=True))
    c.append(OpCase("take_along_axis", _take_along, _take_along_call, wrt=(0,), special=True))
    c.append(OpCase("one_hot", _one_hot))
    # linear algebra and nn
    c.append(OpCase("matmul", _matmul, ops.matmul))
    c.append(OpCase("tensordot", _tensordot, lambda a, b, axes: ops.tensordot(a, b, axes)))
    c.append(OpCase("einsum", _einsum, _einsum_call))
    c.append(OpCase("softmax", _softmax, _softmax_call(ops.softmax)))
    c.append(OpCase("log_softmax", _softmax, _softmax_call(ops.log_softmax)))
    c.append(OpCase("softmax_cross_entropy", _sce, _sce_call, wrt=(0,)))
    c.append(OpCase("embedding", _embedding, ops.embedding, wrt=(1,)))
    c.append(OpCase("norm_moments", _moments))
    c.append(OpCase("layer_norm", _normalize(False), _layer_norm_call, wrt=(0, 1, 2), gradcheck_tol=(1e-4, 1e-6)))
    c.append(OpCase("batch_norm", _normalize(True), _batch_norm_call, wrt=(0, 1, 2), gradcheck_tol=(1e-4, 1e-6)))
    c.append(OpCase("conv", _conv, _conv_call, wrt=(0, 1, 2)))
    c.append(OpCase("max_pool", _max_pool, _max_pool_call))
    c.append(OpCase("avg_pool", _avg_pool, _avg_pool_call))
    # random streams must be bit-identical on every device
    fl = lambda g: g.dtype(FLOATS)  # noqa: E731
    c.append(_random("random_bits", dtype=lambda g: g.choice([np.uint32, np.uint64], "dtype")))
    c.append(_random("random_uniform", dtype=fl, low=lambda g: g.choice([0.0, -2.0], "low"),
                     high=lambda g: g.choice([1.0, 3.0], "high")))
    c.append(_random("random_normal", dtype=fl, loc=lambda g: g.choice([0.0, 1.0], "loc"),
                     scale=lambda g: g.choice([1.0, 0.5], "scale"), rounds=lambda g: g.choice([0, 4], "rounds")))
    c.append(_random("random_randint", dtype=lambda g: g.choice([np.int32, np.int64], "dtype"),
                     low=lambda g: g.integer(-5, 0, "low"), high=lambda g: g.integer(1, 100, "high"),
                     rounds=lambda g: g.choice([1, 4], "rounds")))
    c.append(_random("random_bernoulli", prob=lambda g: g.choice([0.0, 0.3, 1.0], "prob"),
                     dtype=lambda g: g.choice([np.bool_, np.float32], "dtype")))
    c.append(OpCase("random_permutation", _permutation))
    c.append(OpCase("dropout", _dropout, special=True))
    c.append(OpCase("shuffle", _shuffle, shuffle_by, wrt=(0,), special=True))
    # adjoint / backward kernels a device plugin may override (forward comparison; their own
    # gradients are run by the gradient checks of the forward ops)
    c.append(OpCase("conv_transpose", _conv_transpose, _conv_transpose_call, wrt=(0, 1, 2)))
    c.append(OpCase("conv_weight_grad", _conv_wgrad, _conv_wgrad_call, wrt=(0, 1)))
    c.append(OpCase("max_pool_grad", _max_pool_adjoint(False)))
    c.append(OpCase("max_pool_gather", _max_pool_adjoint(True)))
    c.append(OpCase("avg_pool_grad", _avg_pool_grad))
    c.append(OpCase("slice_grad", _slice_grad, special=True))
    c.append(OpCase("take_grad", _take_grad))
    c.append(OpCase("embedding_grad", _embedding_grad))
    c.append(OpCase("softmax_cross_entropy_grad", _sce_grad))
    c.append(OpCase("index_add", _index_add))
    c.append(OpCase("scatter_add", _scatter_add))
    # the fused LSTM: forward (Y only; the workspace is the plugin's) with gradients through its
    # fused backward, and the backward kernel fed by its own plugin's forward
    c.append(OpCase("lstm_sequence", _lstm, _lstm_call, wrt=(0, 1, 2, 3), compose=_lstm_fwd,
                    gradcheck_tol=(1e-4, 1e-6)))
    c.append(OpCase("lstm_sequence_grad", _lstm_grad, compose=_lstm_bwd))
    # optimizer updates (in place: the harness hands each side its own copies)
    for rule, gen in (("sgd", _sgd), ("adam", _adam), ("rmsprop", _rmsprop), ("adagrad", _adagrad),
                      ("adadelta", _adadelta), ("adamax", _adamax), ("nadam", _nadam)):
        c.append(OpCase(f"{rule}_update", functools.partial(gen, form="keras")))
        c.append(OpCase(f"{rule}_update_rescaled", functools.partial(gen, form="mxnet")))
    for op, gen in (("ftrl_update", _ftrl), ("signum_update", _signum), ("scale_update", _scale)):
        c.append(OpCase(op, gen))
    from .cases_elementwise import build as _elementwise_extra  # arctan2, hypot, bitwise ops, gcd, i0, ...
    c.extend(_elementwise_extra())
    from .cases_spectral import build as _spectral  # fft/rfft/irfft, erfinv, inv, slogdet
    c.extend(_spectral())
    from .cases_quant import build as _quant  # int_matmul, int_einsum, float8_round
    c.extend(_quant())
    return c


#: Every built-in op case. Plugins add more through the ``unidl_conformance_cases`` hook.
CASES: List[OpCase] = _build()

#: Ops deliberately without a case of their own, with the reason (keep it short and true).
UNCOVERED: Dict[str, str] = {}


def all_cases() -> List[OpCase]:
    """The built-in cases plus those registered by plugins (``unidl_conformance_cases``)."""
    from unidl.plugins import CASES as REGISTERED, ensure_loaded

    ensure_loaded()
    extra = [c for c in REGISTERED.cases if isinstance(c, OpCase)]
    return list(CASES) + extra


def uncovered_ops(cases: Optional[Sequence[OpCase]] = None) -> List[str]:
    """Core ops with neither a case nor an entry in :data:`UNCOVERED` (should be empty)."""
    from unidl.kernels import OPS, _ensure_ops_defined

    _ensure_ops_defined()
    have = {c.op for c in (all_cases() if cases is None else cases)}
    return sorted(op for op in OPS if op not in have and op not in UNCOVERED)


def to_tensors(sample: Sample, wrt: Sequence[int], device: Any = None) -> Tuple[List[Any], List[Any]]:
    """The sample's args with ndarrays as Tensors on ``device``; those at ``wrt`` require grad.

    Returns (args, the tensors that require grad in ``wrt`` order).
    """
    args: List[Any] = []
    leaves: List[Any] = []
    for i, a in enumerate(sample.args):
        if isinstance(a, np.ndarray):
            t = unidl.tensor(a, device=device, requires_grad=i in wrt)
            args.append(t)
            if i in wrt:
                leaves.append(t)
        else:
            args.append(a)
    return args, leaves
