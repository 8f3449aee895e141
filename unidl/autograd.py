"""Define-by-run autograd with an explicit recording scope.

Ops record a :class:`Node` on their output only while recording is on (``with record():``) and some
input requires grad. ``backward`` walks the recorded graph from the heads in reverse topological
order; each node's backward function is written with ordinary ops, so with ``create_graph=True``
the gradient computation is itself recorded and can be differentiated again.

Leaf tensors receive gradients according to their ``grad_req``: 'write' (replace ``.grad``, Gluon's
default), 'add' (accumulate into ``.grad``) or 'null' (receive nothing).

**Gradient-ready hooks.** :func:`register_grad_ready` asks the engine to call back when a leaf's gradient is
final during a backward pass (every contribution accumulated and ``.grad`` written), and once more when that
backward ends; data-parallel training uses it to start reducing a bucket of gradients while backward still
runs (:mod:`unidl.grad_buckets`). With no hook registered the engine does no extra work per op, and one dict
check per leaf.
"""
from __future__ import annotations

import threading
import weakref
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple, Union

from .errors import GraphError

if TYPE_CHECKING:
    from .tensor import Tensor


class _State(threading.local):
    """The autograd flags, one pair per thread (as in torch and MXNet): a thread that records does not make
    another thread record, or apply dropout at inference. Read on every op; a new thread starts with both
    off (the class attributes)."""

    recording = False
    training = False


STATE = _State()


class Node:
    """The record of one op application on its output tensor.

    Attributes:
        op: the op name (for error messages and debugging).
        parents: the op's inputs, aligned with what ``backward`` returns (``None`` for non-tensors).
        backward: ``backward(node, out, grad_out) -> tuple`` of input gradients (``None`` where an
            input gets none); ``None`` once the graph has been freed.
        saved: whatever the op kept for its backward (attributes, masks, indices).
    """

    __slots__ = ("op", "parents", "backward", "saved")

    def __init__(self, op: str, parents: tuple, backward: Callable[..., tuple], saved: Any = None):
        self.op = op
        self.parents = parents
        self.backward = backward
        self.saved = saved

    def __repr__(self) -> str:
        return f"<Node {self.op}>"


def is_recording() -> bool:
    """True inside :func:`record` (and not inside :func:`pause`)."""
    return STATE.recording


def is_training() -> bool:
    """True when layers should behave as in training (dropout active, batch statistics)."""
    return STATE.training


@contextmanager
def _set(recording: Optional[bool], training: Optional[bool]) -> Iterator[None]:
    prev = (STATE.recording, STATE.training)
    if recording is not None:
        STATE.recording = recording
    if training is not None:
        STATE.training = training
    try:
        yield
    finally:
        STATE.recording, STATE.training = prev


def record(train_mode: bool = True):
    """Context manager: record ops for backward; ``train_mode`` also sets training behaviour."""
    return _set(True, train_mode)


def pause(train_mode: bool = False):
    """Context manager: stop recording (ops inside build no graph)."""
    return _set(False, train_mode)


def no_grad():
    """Context manager: stop recording, keep the training flag as it is."""
    return _set(False, None)


def train_mode():
    """Context manager: training behaviour without changing recording."""
    return _set(None, True)


def predict_mode():
    """Context manager: inference behaviour without changing recording."""
    return _set(None, False)


def set_recording(flag: bool) -> bool:
    """Set recording; returns the previous value."""
    prev, STATE.recording = STATE.recording, bool(flag)
    return prev


def set_training(flag: bool) -> bool:
    """Set training behaviour; returns the previous value."""
    prev, STATE.training = STATE.training, bool(flag)
    return prev


def _topo_order(heads: Sequence["Tensor"]) -> List["Tensor"]:
    """Tensors reachable from ``heads`` through recorded nodes, parents before children."""
    order: List["Tensor"] = []
    seen = set()
    for h in heads:
        if id(h) in seen:
            continue
        seen.add(id(h))
        stack: List[Tuple["Tensor", int]] = [(h, 0)]
        while stack:
            t, i = stack.pop()
            node = t._node
            parents = node.parents if node is not None else ()
            while i < len(parents):
                p = parents[i]
                i += 1
                if p is not None and p.requires_grad and id(p) not in seen:
                    seen.add(id(p))
                    stack.append((t, i))
                    stack.append((p, 0))
                    break
            else:
                order.append(t)
    return order


def _run(heads: Sequence["Tensor"], head_grads: Sequence[Any], retain_graph: bool, create_graph: bool,
         capture: Optional[Dict[int, int]] = None) -> Optional[List[Any]]:
    from . import ops
    from .tensor import Tensor

    for h in heads:
        if not h.requires_grad:
            raise GraphError(
                f"backward: the tensor of shape {h.shape} does not require grad: it was not computed inside "
                "autograd.record() from a tensor that requires grad (attach_grad / requires_grad=True)"
            )
        if h._node is not None and h._node.backward is None:
            raise GraphError(_FREED)
    grads: Dict[int, Any] = {}
    for h, g in zip(heads, head_grads):
        if g is None:
            g = ops.ones_like(h)
        elif not isinstance(g, Tensor):
            g = Tensor._from_any(g, h.device, h.dtype)
        elif g.shape != h.shape:
            raise GraphError(f"backward: head gradient has shape {g.shape}, expected {h.shape} (the head's shape)")
        grads[id(h)] = grads[id(h)] + g if id(h) in grads else g
    # Roots of arrays already handed out (head gradients, earlier leaves' .grad): a leaf given one of
    # them again gets a copy, so updating one .grad in place cannot change another or the caller's.
    claimed = {id(_root(g.data)) for g in grads.values()}
    captured: List[Any] = [None] * len(capture) if capture is not None else []
    ready = _READY if capture is None else None  # gradient-ready hooks (a snapshot; empty when unused)
    fired: List["GradReadyHooks"] = []
    order = _topo_order(heads)
    pop = grads.pop
    get = grads.get
    with _set(create_graph, None):
        for t in reversed(order):
            tid = id(t)
            g = pop(tid, None)
            if g is None:
                continue
            if capture is not None and tid in capture:
                captured[capture[tid]] = g
            node = t._node
            if node is None:
                if capture is None:
                    _write_leaf_grad(t, g, create_graph, claimed)
                    if ready:
                        _fire_ready(ready, tid, t, fired)
                continue
            bwd = node.backward
            if bwd is None:
                raise GraphError(_FREED)
            for p, pg in zip(node.parents, bwd(node, t, g)):
                if pg is None or p is None or not p.requires_grad:
                    continue
                k = id(p)
                prev = get(k)
                grads[k] = pg if prev is None else prev + pg
            if not retain_graph:
                node.backward = None
                node.saved = None
    for hooks in fired:
        if hooks.on_end is not None and hooks.active:
            hooks.on_end()
    return captured if capture is not None else None


# -- gradient-ready hooks ---------------------------------------------------------------------------
# id(leaf) -> (weakref to the leaf, weakref to its GradReadyHooks, index of the leaf in that registration).
# Replaced as a whole under _READY_LOCK (copy on write), never mutated, so a backward running in another thread
# reads a consistent snapshot without taking the lock.
_READY: Dict[int, Tuple[Any, Any, int]] = {}
_READY_LOCK = threading.Lock()


class GradReadyHooks:
    """One registration of :func:`register_grad_ready`; :meth:`remove` unregisters it.

    Attributes:
        leaves: the registered leaf tensors, in the order given.
        on_ready: ``on_ready(index)``, called when ``leaves[index]``'s gradient is final in a backward.
        on_end: ``on_end()`` or None, called when a backward in which ``on_ready`` fired returns.
        active: False once removed (or displaced by a later registration of one of its leaves).
    """

    __slots__ = ("leaves", "on_ready", "on_end", "active", "__weakref__")

    def __init__(self, leaves: List["Tensor"], on_ready: Callable[[int], None],
                 on_end: Optional[Callable[[], None]]) -> None:
        self.leaves, self.on_ready, self.on_end, self.active = leaves, on_ready, on_end, True

    def remove(self) -> None:
        """Unregister (idempotent): the engine no longer calls this registration's callbacks."""
        global _READY
        with _READY_LOCK:
            self.active = False
            if any(e[1]() is self for e in _READY.values()):
                _READY = {k: e for k, e in _READY.items() if e[1]() is not self and e[1]() is not None}

    def __repr__(self) -> str:
        return f"<GradReadyHooks on {len(self.leaves)} leaves{'' if self.active else ' (removed)'}>"


def register_grad_ready(leaves: Sequence["Tensor"], on_ready: Callable[[int], None],
                        on_end: Optional[Callable[[], None]] = None) -> GradReadyHooks:
    """Call ``on_ready(i)`` when ``leaves[i]``'s gradient is final during a backward, and ``on_end()`` when
    that backward returns.

    "Final" means the engine has added every contribution to the leaf and written ``leaves[i].grad`` (by its
    ``grad_req``): in the reverse topological walk a leaf comes after every op that reads it. A leaf that gets
    no gradient in a backward (not reached, or ``grad_req='null'``) is not reported; ``on_end`` lets the
    caller deal with those. ``autograd.grad`` (which leaves ``.grad`` alone) reports nothing. The callbacks run
    in the thread that runs backward, inside it; an exception they raise propagates out of backward.

    A leaf belongs to one registration at a time: registering it again displaces the earlier registration
    as a whole (it becomes inactive, :attr:`GradReadyHooks.active` is False). The engine holds the leaves
    and the returned object weakly: drop the object (or call ``remove()``) to stop the calls.
    """
    global _READY
    hooks = GradReadyHooks(list(leaves), on_ready, on_end)
    me = weakref.ref(hooks)
    with _READY_LOCK:
        table = {k: e for k, e in _READY.items() if e[0]() is not None and e[1]() is not None}
        ids = {id(t) for t in hooks.leaves}
        displaced = {table[k][1]() for k in ids if k in table}
        for old in displaced:
            old.active = False
        if displaced:
            table = {k: e for k, e in table.items() if e[1]() not in displaced}
        for i, t in enumerate(hooks.leaves):
            if id(t) in table and table[id(t)][1]() is hooks:
                raise ValueError(f"register_grad_ready: leaf {i} (shape {t.shape}) is given twice")
            table[id(t)] = (weakref.ref(t), me, i)
        _READY = table
    return hooks


def _fire_ready(ready: Dict[int, Tuple[Any, Any, int]], tid: int, t: "Tensor", fired: List[GradReadyHooks]) -> None:
    e = ready.get(tid)
    if e is None or e[0]() is not t or t.grad_req == "null":
        return
    hooks = e[1]()
    if hooks is None or not hooks.active:
        return
    if hooks not in fired:
        fired.append(hooks)
    hooks.on_ready(e[2])


_FREED = ("backward: the graph through this tensor was already freed by an earlier backward; "
          "pass retain_graph=True to the first backward to run backward through it again")


def _root(a: Any) -> Any:
    while getattr(a, "base", None) is not None:
        a = a.base
    return a


def _write_leaf_grad(t: "Tensor", g: "Tensor", create_graph: bool, claimed: set) -> None:
    req = t.grad_req
    if req == "null":
        return
    if not create_graph and g._node is not None:
        g = g.detach()
    if g.dtype != t.dtype:
        g = g.astype(t.dtype)
    if req == "add" and t.grad is not None:
        t.grad = t.grad + g
        return
    if not create_graph:
        root = id(_root(g.data))
        flags = getattr(g.data, "flags", None)
        if root in claimed or (flags is not None and not getattr(flags, "writeable", True)):
            # shared, or a read-only broadcast view (e.g. from sum's backward): give the leaf its own array
            g = g.detach()
            g.data = g.data.copy(order="K")  # "K": a gradient laid out like its canonical parameter stays so
        else:
            claimed.add(root)
    t.grad = g


def backward(heads: Union["Tensor", Sequence["Tensor"]], head_grads: Any = None, retain_graph: bool = False,
             create_graph: bool = False) -> None:
    """Compute gradients of ``heads`` with respect to every leaf that requires grad.

    Args:
        heads: a tensor or a list of tensors.
        head_grads: matching gradients (default: ones of each head's shape).
        retain_graph: keep the graph so backward can run through it again.
        create_graph: record the backward computation (for higher-order gradients).
    """
    heads_l, hg = _as_lists(heads, head_grads)
    _run(heads_l, hg, retain_graph or create_graph, create_graph)


def grad(heads: Union["Tensor", Sequence["Tensor"]], variables: Union["Tensor", Sequence["Tensor"]],
         head_grads: Any = None, retain_graph: Optional[bool] = None, create_graph: bool = False) -> List["Tensor"]:
    """Gradients of ``heads`` with respect to ``variables``, returned (``.grad`` is left untouched).

    Returns:
        a list with one tensor per variable (zeros where a variable does not influence the heads).
    """
    from . import ops

    heads_l, hg = _as_lists(heads, head_grads)
    single = not isinstance(variables, (list, tuple))
    vars_l = [variables] if single else list(variables)
    if retain_graph is None:
        retain_graph = create_graph
    capture = {id(v): i for i, v in enumerate(vars_l)}
    out = _run(heads_l, hg, retain_graph, create_graph, capture) or []
    return [g if g is not None else ops.zeros_like(v) for g, v in zip(out, vars_l)]


def _as_lists(heads: Any, head_grads: Any) -> Tuple[list, list]:
    if isinstance(heads, (list, tuple)):
        heads_l = list(heads)
        hg = list(head_grads) if head_grads is not None else [None] * len(heads_l)
    else:
        heads_l, hg = [heads], [head_grads]
    if len(hg) != len(heads_l):
        raise GraphError(f"backward: {len(heads_l)} heads but {len(hg)} head gradients")
    return heads_l, hg
