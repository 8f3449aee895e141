"""Canonical parameter layouts: the one memory order the core keeps each kind of parameter in.

The layer math (:mod:`unidl.nn.functional`, :mod:`unidl.ops`) takes every parameter in one *canonical*
axis order, C-contiguous, so every GEMM and convolution kernel receives it with the same strides and
transpose flags whichever frontend built the layer:

=================  =========================  ====================  =========================
kind               canonical (math) order     Keras shows           Gluon shows
=================  =========================  ====================  =========================
``dense``          (in, out)                  (in, out)             (out, in)
``rnn``            (in, gates*H)              (in, gates*H)         (gates*H, in)
``conv``           (O, C/groups, *K)          (*K, C/groups, O)     (O, C/groups, *K)
``conv_transpose`` (C_in, O/groups, *K)       (*K, O/groups, C_in)  (C_in, O/groups, *K)
``depthwise``      (C, M, *K) = conv (C*M, 1, *K)  (*K, C, M)       (C*M, 1, *K)
=================  =========================  ====================  =========================

A frontend whose API shows a parameter in another order keeps it as a *permuted view of canonical
memory* (:func:`zeros`, :func:`relayout`): its users see their framework's shape, and the layer hands
the math the exact transpose of that view, which is the C-contiguous canonical array again, at no
cost. Gradients come back the same way (the gradient of that transpose is a view of the canonical
gradient), and the optimizers' in-place updates keep the memory order. So no training step copies a
parameter into another layout, and both frontends issue the same kernel calls (``unidl.trace``).
Embeddings and the 1-D parameters (biases, norms) have one order in both frameworks.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, Optional, Sequence, Tuple

from ..devices import Device, default_device
from ..tensor import Tensor, wrap

__all__ = ["memory_order", "zeros", "relayout", "KINDS"]

Order = Tuple[int, ...]


def _identity(nd: int) -> Order:
    return tuple(range(nd))


def _swap2(nd: int) -> Order:
    return (1, 0)


def _kernel_last(nd: int) -> Order:
    """(*K, a, b) shown; memory (b, a, *K)."""
    k = nd - 2
    return (k + 1, k) + tuple(range(k))


def _depthwise(nd: int) -> Order:
    """(*K, C, M) shown; memory (C, M, *K), which is conv's (C*M, 1, *K)."""
    k = nd - 2
    return (k, k + 1) + tuple(range(k))


#: kind -> {a frontend's layout name -> memory order of its axes, outermost first, given the rank}
KINDS: Dict[str, Dict[str, Callable[[int], Order]]] = {
    "dense": {"io": _identity, "oi": _swap2},
    "rnn": {"io": _identity, "oi": _swap2},
    "conv": {"oi": _identity, "io": _kernel_last},
    "conv_transpose": {"oi": _identity, "io": _kernel_last},
    "depthwise": {"oi": _identity, "io": _depthwise},
}


def memory_order(kind: str, layout: str, ndim: int) -> Optional[Order]:
    """The memory order (the shown axes, outermost first) in which a frontend keeps a parameter of
    ``kind`` that it shows in ``layout`` ("io": input axis before output axis, kernel dims first for
    convolutions, as Keras; "oi": output first, as Gluon) with ``ndim`` dims. None when that is plain
    C order (nothing to do)."""
    try:
        order = KINDS[kind][layout](ndim)
    except KeyError:
        raise ValueError(f"unknown parameter layout {kind!r}/{layout!r}; known: "
                         f"{ {k: sorted(v) for k, v in KINDS.items()} }") from None
    return None if order == _identity(ndim) else order


def _inverse(order: Sequence[int]) -> Order:
    inv = [0] * len(order)
    for i, a in enumerate(order):
        inv[a] = i
    return tuple(inv)


def zeros(shape: Sequence[int], dtype: Any, order: Optional[Order], device: Optional[Device] = None) -> Tensor:
    """Zeros of the shown ``shape`` whose memory is C-contiguous in ``order`` (None: plain C order)."""
    dev = device or default_device()
    shape = tuple(int(d) for d in shape)
    if order is None:
        return wrap(dev.xp.zeros(shape, dtype=dtype), dev)
    mem = dev.xp.zeros(tuple(shape[a] for a in order), dtype=dtype)
    return wrap(mem.transpose(_inverse(order)), dev)


def relayout(array: Any, order: Optional[Order]) -> Any:
    """A copy of a backend ``array`` (shown axes) whose memory is C-contiguous in ``order``; the array
    itself when it already is (or ``order`` is None and it is C-contiguous)."""
    if order is None:
        return array if array.flags.c_contiguous else array.copy()
    mem = array.transpose(order)
    if not mem.flags.c_contiguous:
        mem = mem.copy()
    return mem.transpose(_inverse(order))


def has_order(t: Any, order: Optional[Order]) -> bool:
    """Whether a Tensor's (or backend array's) memory is C-contiguous in ``order``."""
    a = t.data if isinstance(t, Tensor) else t
    return bool((a if order is None else a.transpose(order)).flags.c_contiguous)
