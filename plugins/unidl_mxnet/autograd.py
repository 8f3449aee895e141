"""``mx.autograd``: MXNet's recording API on unidl's autograd.

``record``/``pause`` scopes, training flags, ``backward``/``grad`` on NDArrays, ``mark_variables`` and
``Function`` (custom differentiable operations with user-written forward and backward).
"""
from __future__ import annotations

import weakref
from typing import Any, List, Optional, Sequence, Union

import unidl
from unidl import autograd as _ag
from unidl.autograd import STATE, Node

from .base import MXNetError
from .ndarray.ndarray import _STALE_GRAD, NDArray, wrap

record = _ag.record
pause = _ag.pause
train_mode = _ag.train_mode
predict_mode = _ag.predict_mode
is_recording = _ag.is_recording
is_training = _ag.is_training
set_recording = _ag.set_recording
set_training = _ag.set_training


def _tensors(xs: Any) -> list:
    if xs is None:
        return None
    if isinstance(xs, NDArray):
        return [xs._t]
    return [None if x is None else x._t for x in xs]


def backward(heads: Union[NDArray, Sequence[NDArray]], head_grads: Any = None, retain_graph: bool = False,
             train_mode: bool = True) -> None:
    """Gradients of ``heads`` into the ``.grad`` of every variable (``attach_grad``) they depend on."""
    hs = _tensors(heads)
    hg = _tensors(head_grads)
    if hg is not None and len(hg) != len(hs):
        raise MXNetError(f"backward: {len(hs)} heads but {len(hg)} head gradients")
    with _ag._set(None, train_mode):
        try:
            _ag.backward(hs, hg, retain_graph=retain_graph)
        except _ag.GraphError as e:
            raise MXNetError(str(e)) from None
    _sync_marked()


# (variable tensor, gradient NDArray) pairs from mark_variables: MXNet writes gradients into the given
# arrays, while the core replaces ``Tensor.grad``; after each backward the new values are copied in
_MARKED: list = []


def _sync_marked() -> None:
    if not _MARKED:
        return
    live = []
    for ref, g in _MARKED:
        v = ref()
        if v is None:
            continue
        live.append((ref, g))
        if v.grad is not None and v.grad is not g._t:
            unidl.ops.setitem(g._t, Ellipsis, v.grad)
            v.grad = g._t
            _STALE_GRAD[v] = None  # written by this backward: fresh
    _MARKED[:] = live


def grad(heads: Union[NDArray, Sequence[NDArray]], variables: Union[NDArray, Sequence[NDArray]],
         head_grads: Any = None, retain_graph: Optional[bool] = None, create_graph: bool = False,
         train_mode: bool = True) -> List[NDArray]:
    """Gradients of ``heads`` w.r.t. ``variables``, returned as a list (``.grad`` untouched)."""
    vs = _tensors(variables)
    with _ag._set(None, train_mode):
        out = _ag.grad(_tensors(heads), vs, _tensors(head_grads), retain_graph=retain_graph,
                       create_graph=create_graph)
    # MXNet 1.9.1 returns legacy NDArrays here even under npx.set_np() (checked against the real package)
    return [wrap(g) for g in out]


def mark_variables(variables: Union[NDArray, Sequence[NDArray]], gradients: Union[NDArray, Sequence[NDArray]],
                   grad_reqs: Union[str, Sequence[str]] = "write") -> None:
    """Mark arrays as variables whose gradients go into the given gradient arrays' values."""
    vs = [variables] if isinstance(variables, NDArray) else list(variables)
    gs = [gradients] if isinstance(gradients, NDArray) else list(gradients)
    reqs = [grad_reqs] * len(vs) if isinstance(grad_reqs, str) else list(grad_reqs)
    if not len(vs) == len(gs) == len(reqs):
        raise MXNetError("mark_variables: variables, gradients and grad_reqs must have the same length")
    for v, g, r in zip(vs, gs, reqs):
        v._t._node = None
        v._t.requires_grad_(r != "null", r)
        v._t.grad = g._t
        _STALE_GRAD[v._t] = g._t
        _MARKED[:] = [(ref, h) for ref, h in _MARKED if ref() is not v._t]
        _MARKED.append((weakref.ref(v._t), g))


def get_symbol(x: NDArray) -> Any:
    """The recorded computation that produced ``x``, as an ``mx.sym.Symbol``: every array marked for
    gradients (``attach_grad`` / ``mark_variables``) it depends on is a variable (``var0``, ``var1``, ... in
    the order reached), every recorded operation a node named after it. Constants are left out."""
    from .symbol.symbol import Symbol, _Node

    if not isinstance(x, NDArray):
        raise MXNetError(f"get_symbol: expected an NDArray, got {type(x).__name__}")
    if x._t._node is None:
        raise MXNetError(f"get_symbol: the array of shape {x.shape} was not computed inside autograd.record() "
                         "from arrays marked for gradients")
    made: dict = {}
    counts: dict = {}

    def node_of(t: Any) -> Optional[_Node]:
        key = id(t)
        if key in made:
            return made[key]
        n = t._node
        if n is None:
            if not t.requires_grad:
                made[key] = None
                return None
            res = _Node("null", f"var{sum(1 for v in made.values() if v is not None and v.is_var)}")
        else:
            inputs = []
            for p in n.parents:
                if p is None:
                    continue
                child = node_of(p)
                if child is not None:
                    inputs.append([child, 0, 0])
            k = counts.get(n.op, 0)
            counts[n.op] = k + 1
            res = _Node(str(n.op), f"{n.op}{k}", inputs=inputs)
        made[key] = res
        return res

    return Symbol([(node_of(x._t), 0)])


class Function:
    """A custom differentiable operation: subclass with ``forward(*inputs)`` and ``backward(*out_grads)``.

    Both work on NDArrays outside recording; ``save_for_backward`` keeps what backward needs.
    """

    def __init__(self) -> None:
        self._saved: tuple = ()

    def save_for_backward(self, *args: Any) -> None:
        self._saved = args

    @property
    def saved_tensors(self) -> tuple:
        return self._saved

    def forward(self, *inputs: NDArray) -> Any:
        raise NotImplementedError

    def backward(self, *output_grads: NDArray) -> Any:
        raise NotImplementedError

    def __call__(self, *inputs: NDArray) -> Any:
        with pause(train_mode=is_training()):
            outputs = self.forward(*inputs)
        single = isinstance(outputs, NDArray)
        outs = [outputs] if single else list(outputs)
        parents = tuple(x._t for x in inputs)
        if STATE.recording and any(p.requires_grad for p in parents):
            fn = self
        
            def bwd(node: Node, out: Any, g: Any, index: int) -> tuple:
                # MXNet passes a gradient for every output; those not on the path get zeros
                grads = [wrap(g) if k == index else NDArray(unidl.zeros_like(o._t)) for k, o in enumerate(outs)]
                with pause():
                    res = fn.backward(*grads)
                res = [res] if isinstance(res, NDArray) else list(res)
                if len(res) != len(parents):
                    raise MXNetError(f"{type(fn).__name__}.backward returned {len(res)} gradients for "
                                     f"{len(parents)} inputs")
                return tuple(r._t for r in res)

            for i, o in enumerate(outs):
                o._t._node = Node(type(self).__name__, parents,
                                  lambda node, out, g, i=i: bwd(node, out, g, i))
                o._t.requires_grad = True
        return outs[0] if single else outs

