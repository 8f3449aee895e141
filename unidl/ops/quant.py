"""Quantization arithmetic: exact integer matrix products, rounding to float8 grids, float8 scaling
statistics, and a way to give a value computed outside autograd an explicit gradient.

* ``int_matmul`` / ``int_einsum``: products of integer tensors (int8 / uint8 / int16 / int32) with int32
  results, as int8 GEMMs accumulate. The kernels run a float64 GEMM, whose integer sums are exact while
  they stay below 2**53 (for int8 operands: any contraction length under 2**38), so NumPy and CuPy give
  the same bits without an integer BLAS.
* ``float8_round``: rounds to the nearest value of ``float8_e4m3fn`` / ``float8_e5m2`` (ties to even,
  subnormals included) and returns it in the input's dtype; values must already be within the format's
  range (callers clip first, as Keras does).
* ``float8_scale`` / ``float8_amax_history``: the delayed-scaling statistics of float8 training.
* ``attach_gradient``: ``y`` (computed without recording) gets a node whose backward is ``grad_fn(g)``;
  used for straight-through estimators of quantized layers and for variables updated by "gradient"
  overwrite (float8 scales).
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

from ..autograd import STATE, Node
from ..errors import OpError
from ._core import Tensor, apply, defop, wrap

__all__ = ["int_matmul", "int_einsum", "float8_round", "float8_scale", "float8_amax_history",
           "attach_gradient", "FLOAT8_FORMATS"]

INT_MATMUL = defop("int_matmul", doc="integer matrix product with int32 result (exact float64 accumulation)",
                   differentiable=False)
INT_EINSUM = defop("int_einsum", doc="integer einsum with int32 result (exact float64 accumulation)",
                   differentiable=False)
FLOAT8_ROUND = defop("float8_round", doc="round to the nearest float8 (e4m3fn / e5m2) value, ties to even",
                     differentiable=False)

# format -> (mantissa bits, exponent of the smallest normal, largest finite value)
FLOAT8_FORMATS = {"float8_e4m3fn": (3, -6, 448.0), "float8_e5m2": (2, -14, 57344.0)}
_INT_KINDS = ("int8", "uint8", "int16", "uint16", "int32")


def _check_int(op: str, *xs: Any) -> None:
    for x in xs:
        if not isinstance(x, Tensor):
            raise OpError(op, f"expected unidl Tensors, got {type(x).__name__}")
        if x.dtype.name not in _INT_KINDS:
            raise OpError(op, f"expected integer operands ({', '.join(_INT_KINDS)}), got {x.dtype.name}",
                          shapes=[t.shape for t in xs], dtypes=[t.dtype for t in xs])


def int_matmul(a: Tensor, b: Tensor) -> Tensor:
    """Integer matrix product with an int32 result (``matmul`` semantics, batch dims broadcast).

    Shapes: (..., M, K) @ (..., K, N) -> (..., M, N); 2-D and N-D operands as ``matmul``.
    Not differentiable (give the float path a gradient with :func:`attach_gradient`).
    """
    _check_int("int_matmul", a, b)
    if a.ndim < 1 or b.ndim < 1 or a.shape[-1] != (b.shape[-2] if b.ndim > 1 else b.shape[0]):
        raise OpError("int_matmul", "inner dimensions must agree: the last dim of a must equal the "
                      "second-to-last dim of b", shapes=(a.shape, b.shape))
    return apply(INT_MATMUL, None, (a, b))


def int_einsum(subscripts: str, a: Tensor, b: Tensor) -> Tensor:
    """Einsum of two integer tensors with an int32 result (explicit ``'ab,bc->ac'`` form)."""
    _check_int("int_einsum", a, b)
    if "->" not in subscripts:
        raise OpError("int_einsum", f"expected an explicit '->' equation, got {subscripts!r}")
    return apply(INT_EINSUM, None, (a, b), {"subscripts": subscripts.replace(" ", "")})


def float8_round(x: Tensor, fmt: str) -> Tensor:
    """``x`` rounded to the nearest ``fmt`` value (``'float8_e4m3fn'`` or ``'float8_e5m2'``), in x's dtype.

    Matches a cast to the float8 type and back for values within the format's range (ties to even,
    subnormals included); clip larger magnitudes first. Not differentiable.
    """
    if fmt not in FLOAT8_FORMATS:
        raise OpError("float8_round", f"unknown float8 format {fmt!r}; expected one of {sorted(FLOAT8_FORMATS)}")
    if not isinstance(x, Tensor) or x.dtype.kind != "f":
        raise OpError("float8_round", f"expected a floating-point Tensor, got {getattr(x, 'dtype', type(x))}")
    mbits, emin, _ = FLOAT8_FORMATS[fmt]
    return apply(FLOAT8_ROUND, None, (x,), {"mbits": mbits, "emin": emin})


def float8_scale(amax: Tensor, scale: Tensor, dtype_max: Any, margin: int = 0) -> Tensor:
    """The next delayed-scaling factor: ``1 / (dtype_max / amax / 2**margin)`` where ``amax`` is positive
    and finite, else ``scale`` unchanged (Transformer Engine's ``update_fp8_metas``)."""
    from . import elementwise as E

    inv = E.reciprocal(scale)
    pos = E.greater(amax, 0.0)
    safe = E.where(pos, amax, 1.0)  # no 1/0 warning where amax is 0
    sf = E.divide(E.divide(dtype_max, safe), 2 ** margin)
    sf = E.where(pos, sf, inv)
    sf = E.where(E.isfinite(amax), sf, inv)
    return E.reciprocal(sf)


def float8_amax_history(x: Tensor, amax_history: Tensor) -> Tensor:
    """The history rolled left by one with ``max(|x|)`` written at position 0 (shape (L,))."""
    from .. import ops as U

    amax = U.abs(x) if x.dtype == amax_history.dtype else U.abs(x).astype(amax_history.dtype)
    amax = U.reshape(U.max(amax), (1,))
    # roll(-1) then position 0 := amax: [amax, h[2], ..., h[L-1], h[0]]
    return U.concatenate([amax, amax_history[2:], amax_history[:1]], axis=0)


def attach_gradient(y: Tensor, parents: Sequence[Any], grad_fn: Callable[[Tensor], Sequence[Any]]) -> Tensor:
    """``y`` (a value computed outside the tape) as a new tensor whose gradient flows to ``parents``:
    the backward of ``parents[i]`` is ``grad_fn(g)[i]`` (written with ops; ``None`` for none).

    Records only while autograd records and some parent requires grad; otherwise returns ``y``.
    """
    parents = tuple(p if isinstance(p, Tensor) else None for p in parents)
    if not STATE.recording or not any(p is not None and p.requires_grad for p in parents):
        return y
    out = wrap(y.data, y.device)

    def bwd(node: Node, out_: Tensor, g: Tensor) -> tuple:
        grads = tuple(grad_fn(g))
        if len(grads) != len(node.parents):
            raise OpError("attach_gradient", f"grad_fn returned {len(grads)} gradients for "
                          f"{len(node.parents)} parents")
        return grads

    out._node = Node("attach_gradient", parents, bwd)
    out.requires_grad = True
    return out
