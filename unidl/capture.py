"""Captured execution: record a function's kernel calls once, replay them without ops, Tensors or Nodes.

:class:`CapturedFunction` wraps ``fn(*tensors) -> (outputs, aux)`` together with the state tensors it reads
(a block's parameters). Per input signature (shapes, dtypes, devices, which inputs and parameters require
grad, the recording and training flags) it goes through three stages:

1. **Recorded calls.** The function runs eagerly (its results are the eager results) while every kernel call
   it issues at the top level is written down: the kernel, which earlier array each operand is (an input, a
   parameter, the output of an earlier call) and every other argument by value. In-place effects that are not
   kernel calls (``setitem``, running-statistics updates, an optimizer's copy-back) are written down through
   :func:`effect`. Inside ``autograd.record()`` the outputs hang off one autograd node for the whole call, whose
   backward runs the call's own graph (the inputs as leaves) and records those kernel calls too.
2. **Validation.** The next call with that signature is recorded again and compared with the first record,
   call for call (the same kernel, the same operand sources, equal attributes and equal constant arrays). A
   difference means the function's work depends on values (Python control flow on data, fresh random draws,
   host reads): the signature then stays eager for good, with one warning.
3. **Replay.** From then on a call runs the recorded kernels on raw arrays: one list of arrays indexed by slot,
   no op dispatch, no Tensor or Node per op. Outputs get one autograd node; its backward replays the recorded
   backward calls. Because replay issues exactly the kernel calls eager execution issues, with the same
   operands, its results are bitwise those of eager execution. One rewrite is proven instead of replayed:
   relu then max-pool pools first and takes relu and relu_grad on the pooled map (:mod:`unidl.capture_fuse`
   gives the argument that the bits are the same, and falls back to the eager calls where they would not be).

Things a replay cannot reproduce make the signature eager (with the reason in the warning): an operand that
is a view of a captured array made outside a kernel, a value read on the host (``.numpy()``, ``.item()``)
from a captured array, a state tensor rebound to an array no kernel made. Higher-order gradients
(``create_graph``) through a replayed call, and a backward asking for a combination of output gradients never
recorded, run the call again eagerly from the saved inputs (refused, with an error naming the call, when the
call has in-place effects that a second run would repeat).
"""
from __future__ import annotations

import threading
import warnings
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np

from . import autograd as _autograd
from . import kernels as _kernels
from . import tensor as _tensor
from .autograd import STATE, Node
from .capture_fuse import fuse_backward, fuse_forward, slots_read
from .errors import GraphError
from .tensor import Tensor, wrap

__all__ = ["CapturedFunction", "effect", "produce", "refuse", "is_capturing", "CaptureWarning"]


class CaptureWarning(UserWarning):
    """A captured function fell back to eager execution for a signature (the message says why)."""


_LOCAL = threading.local()  # .rec: the recorder of the call this thread is capturing (None: not capturing);
# .to_host: while two records are compared, the device's own transfer for constants on its arrays


def is_capturing() -> bool:
    """True while this thread runs a call that is being recorded."""
    return getattr(_LOCAL, "rec", None) is not None


# -- the kernel wrapper ------------------------------------------------------------------------------------
# Installed in unidl.kernels' TRACING hook only while some thread records (reference counted), so eager
# execution outside a recording pays nothing. It chains to whatever wrapper was there (a kernel trace, the
# profiler), so a recorded call still shows up in those.
_INSTALL = threading.Lock()
_installed: List[Any] = [0, None, None]  # count, the wrapper we replaced, ours


def _install() -> None:
    with _INSTALL:
        if _installed[0] == 0:
            prev = _kernels.TRACING.wrap

            def ours(op: _kernels.OpDef, fn: Callable[..., Any]) -> Callable[..., Any]:
                inner = prev(op, fn) if prev is not None else fn

                def recorded(*args: Any, **kw: Any) -> Any:
                    rec = getattr(_LOCAL, "rec", None)
                    if rec is None:
                        return inner(*args, **kw)
                    if rec.depth:  # a composite's inner call: part of the call being recorded
                        rec.depth += 1
                        try:
                            return inner(*args, **kw)
                        finally:
                            rec.depth -= 1
                    spec = rec.call_spec(args, kw)
                    rec.depth = 1
                    try:
                        out = inner(*args, **kw)
                    finally:
                        rec.depth = 0
                    rec.add_call(("op", op), spec, out)
                    return out

                return recorded

            _installed[1], _installed[2] = prev, ours
            _kernels.TRACING.wrap = ours
            _tensor.HOST_READ[0] = _host_read
            _kernels.invalidate()
        _installed[0] += 1


def _uninstall() -> None:
    with _INSTALL:
        _installed[0] -= 1
        if _installed[0] == 0:
            if _kernels.TRACING.wrap is _installed[2]:
                _kernels.TRACING.wrap = _installed[1]
            _tensor.HOST_READ[0] = None
            _installed[1] = _installed[2] = None
            _kernels.invalidate()


def refuse(why: str) -> None:
    """Called by a function being recorded: it did something a replay would not repeat (``why`` is shown in
    the warning); its input signature then runs eagerly. A no-op outside a recording."""
    rec = getattr(_LOCAL, "rec", None)
    if rec is not None:
        rec.fail(why)


def _host_read(a: Any) -> None:
    rec = getattr(_LOCAL, "rec", None)
    if rec is not None and id(a) in rec.slot_of:
        rec.fail("a captured value was read on the host (.numpy(), .item(), bool()): the call's work may "
                 "depend on values")


def produce(fn: Callable[..., Any], *args: Any) -> Any:
    """``fn(*args)``, a function of arrays that is not a kernel call (a copy a face makes for its semantics),
    written down when this thread is recording a call so a replay computes it too; returns its result."""
    rec = getattr(_LOCAL, "rec", None)
    if rec is None or rec.depth:
        return fn(*args)
    spec = rec.call_spec(args, {})
    rec.depth = 1
    try:
        out = fn(*args)
    finally:
        rec.depth = 0
    rec.add_call(("fn", fn), spec, out)
    return out


def effect(fn: Callable[..., None], *args: Any) -> None:
    """Run ``fn(*args)``, an in-place effect on arrays that is not a kernel call (an assignment into an
    array, a running-statistics update), and write it down when this thread is recording a call, so a
    replay repeats it. Ops that write into arrays outside kernels must go through here."""
    produce(fn, *args)
    rec = getattr(_LOCAL, "rec", None)
    if rec is not None and not rec.depth:
        rec.effects = True


# -- recording ---------------------------------------------------------------------------------------------

class DrawCounter(int):
    """The counter a generator hands out for a draw while a call is recorded: an int (the kernel sees the
    value), which also says where it came from, so a replay takes a fresh counter from that generator (and
    its key as it is then) and draws the numbers eager execution would have drawn."""

    gen: Any = None
    words = 0


def draw_counter(gen: Any, counter: int, words: int) -> int:
    """``counter`` as :mod:`unidl.random` hands it out: marked when this thread is recording a call."""
    rec = getattr(_LOCAL, "rec", None)
    if rec is None or rec.depth:
        return counter
    c = DrawCounter(counter)
    c.gen, c.words = gen, words
    return c


def _is_array(v: Any) -> bool:
    return not isinstance(v, (np.generic, type)) and hasattr(v, "strides") and hasattr(v, "dtype") \
        and hasattr(v, "shape")


class _Recorder:
    """What one recorded call did: slots for its arrays and the calls between them.

    A spec says where an argument comes from: ``("s", slot, path)`` an array made earlier (``path``: indices
    into a kernel's tuple result), ``("c", value)`` a constant, ``("l", type, [specs])`` a list or tuple
    holding some of those, ``("d", [(key, spec)])`` a dict.
    """

    def __init__(self, device_type: str) -> None:
        self.device_type = device_type
        self.depth = 0
        self.slot_of: Dict[int, Tuple[int, Tuple[int, ...]]] = {}
        self.keep: List[Any] = []  # the arrays met, held so their ids stay theirs while recording
        self.calls: List[Tuple[Any, Any, int]] = []  # (("op", OpDef) or ("fn", function), (args, kw) spec, slot)
        self.nslots = 0
        self.failed: Optional[str] = None
        self.effects = False
        self.backwarded = False  # a backward through the recorded call has run (and was recorded)

    def fail(self, why: str) -> None:
        if self.failed is None:
            self.failed = why

    def new_slot(self, arr: Any = None) -> int:
        s = self.nslots
        self.nslots += 1
        if arr is not None:
            self.bind(arr, s, ())
        return s

    def bind(self, v: Any, slot: int, path: Tuple[int, ...]) -> None:
        if _is_array(v) or isinstance(v, np.generic):  # a kernel's NumPy scalar result (ufuncs on 0-d arrays)
            self.slot_of[id(v)] = (slot, path)
            self.keep.append(v)
        elif isinstance(v, (tuple, list)):
            for i, x in enumerate(v):
                self.bind(x, slot, path + (i,))

    def spec(self, v: Any) -> Any:
        if type(v) is DrawCounter:
            return ("r", v.gen, v.words)
        if isinstance(v, np.generic):  # a scalar some kernel returned, or a constant
            s = self.slot_of.get(id(v))
            return ("c", v) if s is None else ("s", s[0], s[1])
        if _is_array(v):
            s = self.slot_of.get(id(v))
            if s is not None:
                return ("s", s[0], s[1])
            b = getattr(v, "base", None)
            while b is not None:
                if id(b) in self.slot_of:
                    self.fail(f"an operand of shape {tuple(v.shape)} is a view of a captured array made "
                              "outside a kernel")
                    break
                b = getattr(b, "base", None)
            self.keep.append(v)
            return ("c", v)
        if isinstance(v, (list, tuple)) and any(_has_array(x) for x in v):
            return ("l", type(v), [self.spec(x) for x in v])
        if isinstance(v, dict) and any(_has_array(x) for x in v.values()):
            return ("d", [(k, self.spec(x)) for k, x in v.items()])
        return ("c", v)

    def call_spec(self, args: Sequence[Any], kw: Dict[str, Any]) -> Any:
        kws = [(k, self.spec(v)) for k, v in kw.items()]
        draw = next((s for _, s in kws if s[0] == "r"), None)
        if draw is not None:  # a draw: its key is the generator's at the time of each call
            kws = [(k, ("k", draw[1]) if k == "key" else s) for k, s in kws]
        return ([self.spec(a) for a in args], kws)

    def add_call(self, what: Any, spec: Any, out: Any) -> None:
        slot = self.new_slot()
        self.bind(out, slot, ())
        self.calls.append((what, spec, slot))


def _has_array(v: Any) -> bool:
    if _is_array(v):
        return True
    if isinstance(v, (list, tuple)):
        return any(_has_array(x) for x in v)
    if isinstance(v, dict):
        return any(_has_array(x) for x in v.values())
    return False


def _same_value(a: Any, b: Any) -> bool:
    if _is_array(a) or _is_array(b):
        if not (_is_array(a) and _is_array(b)) or a.dtype != b.dtype or tuple(a.shape) != tuple(b.shape):
            return False
        ha = np.ascontiguousarray(_to_host(a))
        hb = np.ascontiguousarray(_to_host(b))
        return ha.tobytes() == hb.tobytes() and tuple(a.strides) == tuple(b.strides)
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return a.hex() == b.hex() if a == a else b != b
    if isinstance(a, np.generic):
        return a.dtype == b.dtype and a.tobytes() == b.tobytes()
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same_value(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same_value(a[k], b[k]) for k in a)
    try:
        return bool(a == b)
    except Exception:  # noqa: BLE001 - an uncomparable attribute: treat as different (stay eager)
        return False


def _to_host(a: Any) -> np.ndarray:
    if isinstance(a, np.ndarray):
        return a
    get = getattr(a, "get", None)
    if callable(get):  # CuPy
        return get()
    to_host = getattr(_LOCAL, "to_host", None)  # the recording device's own transfer (a plugin's arrays)
    return np.asarray(a if to_host is None else to_host(a))


def _device_to_host(device_type: str) -> Optional[Callable[[Any], Any]]:
    """The registered ``to_host`` of ``device_type``: constants on a plugin's device compare on the host."""
    from .devices import DEVICES

    kind = DEVICES.types.get(device_type)
    return None if kind is None else kind.to_host


def _same_spec(a: Any, b: Any) -> bool:
    if a[0] != b[0]:
        return False
    if a[0] == "s":
        return a[1] == b[1] and a[2] == b[2]
    if a[0] == "r":
        return a[1] is b[1] and a[2] == b[2]
    if a[0] == "k":
        return a[1] is b[1]
    if a[0] == "c":
        return _same_value(a[1], b[1])
    if a[0] == "l":
        return a[1] is b[1] and len(a[2]) == len(b[2]) and all(_same_spec(x, y) for x, y in zip(a[2], b[2]))
    return [k for k, _ in a[1]] == [k for k, _ in b[1]] and all(_same_spec(x, y) for (_, x), (_, y) in zip(a[1], b[1]))


def _same_calls(a: Sequence[Any], b: Sequence[Any]) -> Optional[str]:
    """None when two records made the same calls, else the first difference, for the warning."""
    if len(a) != len(b):
        return f"{len(a)} calls, then {len(b)}"
    for i, ((wa, sa, oa), (wb, sb, ob)) in enumerate(zip(a, b)):
        name = wa[1].name if wa[0] == "op" else getattr(wa[1], "__name__", "effect")
        if wa[0] != wb[0] or wa[1] is not wb[1] or oa != ob:
            return f"call {i} ({name}) is a different call"
        if len(sa[0]) != len(sb[0]):
            return f"call {i} ({name}) has {len(sa[0])} operands, then {len(sb[0])}"
        for j, (x, y) in enumerate(zip(sa[0], sb[0])):
            if not _same_spec(x, y):
                return f"call {i} ({name}) operand {j} is {_describe_spec(x)}, then {_describe_spec(y)}"
        if [k for k, _ in sa[1]] != [k for k, _ in sb[1]]:
            return f"call {i} ({name}) has different attributes"
        for (k, x), (_, y) in zip(sa[1], sb[1]):
            if not _same_spec(x, y):
                return f"call {i} ({name}) attribute {k} is {_describe_spec(x)}, then {_describe_spec(y)}"
    return None


def _describe_spec(spec: Any) -> str:
    if spec[0] == "s":
        return f"slot {spec[1]}{list(spec[2]) if spec[2] else ''}"
    if spec[0] == "c":
        v = spec[1]
        if _is_array(v):
            return f"a constant array {tuple(v.shape)} {v.dtype}"
        return f"{v!r:.60}"
    return {"l": "a list", "d": "a dict", "r": "a draw counter", "k": "a draw key"}[spec[0]]


# -- the compiled plan ---------------------------------------------------------------------------------------

def _pick(v: Any, *path: int) -> Any:
    for i in path:
        v = v[i]
    return v


def _build_list(kind: type, *items: Any) -> Any:
    return kind(items)


def _build_dict(keys: Tuple[Any, ...], *vals: Any) -> Any:
    return dict(zip(keys, vals))


class _Compiler:
    """Turns a record into instructions ``(fn, args, subs, kw, out)``: call ``fn(*args, **kw)`` after putting
    ``S[slot]`` at each ``(position, slot)`` of ``subs`` into ``args``, and store the result in ``S[out]``.

    A backward record numbers its slots on from the forward record's; the forward plan's helper slots (tuple
    items, built lists) sit there, so recorded slots from ``shift_from`` on move up by ``shift``."""

    def __init__(self, nslots: int, device_type: str, shift_from: Optional[int] = None, shift: int = 0,
                 picked: Optional[Dict[Any, int]] = None) -> None:
        self.nslots = nslots
        self.device_type = device_type
        self.shift_from, self.shift = shift_from, shift
        self.instrs: List[Tuple[Callable[..., Any], list, list, dict, int]] = []
        self.ops: List[Any] = []
        self.picked: Dict[Tuple[int, Tuple[int, ...]], int] = dict(picked or {})

    def moved(self, s: int) -> int:
        return s + self.shift if self.shift_from is not None and s >= self.shift_from else s

    def slot(self, spec: Any) -> Tuple[bool, Any]:
        """(True, slot) for an argument that comes from the slots, (False, value) for a constant."""
        tag = spec[0]
        if tag == "c":
            return False, spec[1]
        if tag == "s":
            s0 = self.moved(spec[1])
            if not spec[2]:
                return True, s0
            key = (s0, spec[2])
            s = self.picked.get(key)
            if s is None:
                s = self.picked[key] = self.emit(_pick, [("s", spec[1], ()), *[("c", i) for i in spec[2]]], [])
            return True, s
        if tag == "l":
            return True, self.emit(_build_list, [("c", spec[1]), *spec[2]], [])
        keys = tuple(k for k, _ in spec[1])
        return True, self.emit(_build_dict, [("c", keys), *[s for _, s in spec[1]]], [])

    def emit(self, fn: Callable[..., Any], args: Sequence[Any], kw: Sequence[Tuple[str, Any]],
             out: Optional[int] = None, op: Any = None) -> int:
        template, subs = [], []
        for i, a in enumerate(args):
            from_slot, v = self.slot(a)
            template.append(None if from_slot else v)
            if from_slot:
                subs.append((i, v))
        kwc = {}
        kw_slots = []
        draw = next((a for _, a in kw if a[0] == "r"), None)
        if draw is not None:
            fn = _Draw(fn, op, self.device_type, draw[1], draw[2])
            op = None
            kw = [(k, a) for k, a in kw if a[0] not in "rk"]
        for k, a in kw:
            from_slot, v = self.slot(a)
            if from_slot:
                kw_slots.append((k, v))
            else:
                kwc[k] = v
        if kw_slots:  # an array passed by keyword (rare): pass it positionally through a small adapter
            fn = _KeywordArrays(fn, op, self.device_type, len(template), tuple(k for k, _ in kw_slots))
            op = None
            for _, s in kw_slots:
                subs.append((len(template), s))
                template.append(None)
        if out is None:
            out = self.nslots
            self.nslots += 1
        else:
            out = self.moved(out)
        self.instrs.append((fn, template, subs, kwc, out))
        self.ops.append(op)
        return out


class _Adapter:
    """A kernel called in a way a plain instruction cannot say; calls the traced kernel while a trace is open."""

    def __init__(self, fn: Callable[..., Any], op: Any, device_type: str) -> None:
        self.fn, self.op, self.device_type = fn, op, device_type

    def kernel(self) -> Callable[..., Any]:
        if _kernels.TRACING.wrap is not None and self.op is not None:
            return self.op.kernel(self.device_type)
        return self.fn


class _KeywordArrays(_Adapter):
    """A kernel taking its last arguments (arrays) by keyword."""

    def __init__(self, fn: Callable[..., Any], op: Any, device_type: str, n: int, names: Tuple[str, ...]) -> None:
        super().__init__(fn, op, device_type)
        self.n, self.names = n, names

    def __call__(self, *a: Any, **k: Any) -> Any:
        return self.kernel()(*a[:self.n], **dict(zip(self.names, a[self.n:])), **k)


class _Draw(_Adapter):
    """A random draw: each call takes the generator's key and a fresh counter, as the eager draw did."""

    def __init__(self, fn: Callable[..., Any], op: Any, device_type: str, gen: Any, words: int) -> None:
        super().__init__(fn, op, device_type)
        self.gen, self.words = gen, words

    def __call__(self, *a: Any, **k: Any) -> Any:
        return self.kernel()(*a, key=self.gen._key, counter=self.gen._take(self.words), **k)


class _Plan:
    """Compiled instructions over one slot list of ``nslots`` entries: ``(fn, args, subs, kw, out, free)``,
    where ``free`` lists the slots no later instruction reads (dropped at once, as eager execution drops
    an intermediate nobody holds, so the allocator reuses warm memory)."""

    __slots__ = ("instrs", "nslots", "ops", "reads")

    def __init__(self, comp: _Compiler, keep: Sequence[int] = (), first: int = 0) -> None:
        self.nslots = comp.nslots
        self.ops = comp.ops  # per instruction: its OpDef, or None (effects, helpers): to route through a trace
        self.reads = {s for ins in comp.instrs for _, s in ins[2]}
        self.instrs: list = []
        self.free(comp.instrs, keep, first)

    def free(self, instrs: Sequence[Any], keep: Sequence[int], first: int) -> None:
        """Set the drop lists: slots from ``first`` on, not in ``keep``, after their last reader."""
        last: Dict[int, int] = {}
        for k, ins in enumerate(instrs):
            for _, s in ins[2]:
                last[s] = k
            last.setdefault(ins[4], k)
        keep = set(keep)
        drops: List[List[int]] = [[] for _ in instrs]
        for s, k in last.items():
            if s >= first and s not in keep:
                drops[k].append(s)
        self.instrs = [(fn, args, subs, kw, out, tuple(d)) for (fn, args, subs, kw, out, *_), d in zip(instrs, drops)]


def _compile(calls: Sequence[Any], device_type: str, comp: _Compiler) -> None:
    for what, (args, kw), out in calls:
        if what[0] == "op":
            comp.emit(_kernels.resolve(what[1], device_type), args, kw, out, what[1])
        else:
            comp.emit(what[1], args, kw, out)


def _execute(plan: _Plan, S: list, device_type: str) -> None:
    if _kernels.TRACING.wrap is None:
        for fn, args, subs, kw, out, free in plan.instrs:
            if subs:
                args = args.copy()
                for i, s in subs:
                    args[i] = S[s]
            S[out] = fn(*args, **kw) if kw else fn(*args)
            for s in free:
                S[s] = None
        return
    # a kernel trace or the profiler is open: go through the op tables so they see each call
    for (fn, args, subs, kw, out, free), op in zip(plan.instrs, plan.ops):
        if op is not None:
            fn = op.kernel(device_type)
        if subs:
            args = args.copy()
            for i, s in subs:
                args[i] = S[s]
        S[out] = fn(*args, **kw)
        for s in free:
            S[s] = None


# -- per-signature state ---------------------------------------------------------------------------------------

class _Backward:
    """The recorded backward for one combination of output gradients (``heads``: the outputs given one)."""

    __slots__ = ("calls", "head_slots", "head_meta", "grads", "trusted", "plan", "grad_slots")

    def __init__(self, calls: list, head_slots: List[int], head_meta: list, grads: List[Any]) -> None:
        self.calls, self.head_slots, self.head_meta, self.grads = calls, head_slots, head_meta, grads
        self.trusted = False
        self.plan: Optional[_Plan] = None
        self.grad_slots: List[Optional[int]] = []


class _Entry:
    """One input signature of a captured function."""

    __slots__ = ("calls", "nslots", "outs", "out_rg", "writes", "aux", "effects", "eager", "plan", "picked",
                 "out_slots", "write_slots", "backwards", "fwd_instrs", "plan_first", "pooled_first",
                 "replayed")

    def __init__(self) -> None:
        self.calls: Optional[list] = None  # the first record's calls (None: nothing recorded yet)
        self.nslots = 0
        self.outs: list = []  # output specs
        self.out_rg: List[bool] = []  # which outputs require grad
        self.writes: List[Tuple[int, Any]] = []  # (state index, spec) of state tensors given a new array
        self.aux: Any = None
        self.effects = False
        self.eager: Optional[str] = None  # why this signature runs eagerly, once it does
        self.plan: Optional[_Plan] = None  # the forward, once a second record matched the first
        self.picked: Dict[Any, int] = {}
        self.out_slots: List[Tuple[bool, Any]] = []
        self.write_slots: List[Tuple[int, int]] = []
        self.backwards: Dict[Tuple[int, ...], _Backward] = {}
        self.fwd_instrs: list = []
        self.plan_first = 0
        self.pooled_first: frozenset = frozenset()  # relu output slots the forward plan pools before relu
        self.replayed = False  # whether the forward plan has been replayed


class _PackGrad:
    """The gradients reaching a captured call's outputs, gathered by the engine's ``+`` into one value."""

    __slots__ = ("g",)

    def __init__(self, g: Dict[int, Tensor]) -> None:
        self.g = g

    def __add__(self, other: "_PackGrad") -> "_PackGrad":
        g = dict(self.g)
        for k, v in other.g.items():
            g[k] = g[k] + v if k in g else v
        return _PackGrad(g)


def _out_backward(node: Node, out: Tensor, g: Tensor) -> tuple:
    return (_PackGrad({node.saved: g}),)


def _same_grads(a: List[Any], b: List[Any]) -> bool:
    return len(a) == len(b) and all((x is None) == (y is None) and (x is None or _same_spec(x, y))
                                    for x, y in zip(a, b))


def _feed_one_another(outs: Sequence[Tensor]) -> bool:
    """Whether some output is reachable from another through the recorded graph."""
    ids = {id(o) for o in outs}
    for o in outs:
        seen, stack = set(), [o]
        while stack:
            t = stack.pop()
            node = t._node
            if node is None:
                continue
            for p in node.parents:
                if p is None or id(p) in seen:
                    continue
                if id(p) in ids:
                    return True
                seen.add(id(p))
                stack.append(p)
    return False


class CapturedFunction:
    """``fn`` captured per input signature (see the module docstring).

    Args:
        fn: ``fn(*inputs) -> (outputs, aux)``: ``inputs`` and ``outputs`` are lists of Tensors, ``aux`` any
            Python value returned as it is (the face's output structure); it must not depend on values.
        state: ``state() -> list of Tensors``, the tensors ``fn`` reads besides its inputs (parameters), in a
            fixed order; read on every call.
        name: for the autograd node, errors and warnings.
    """

    def __init__(self, fn: Callable[..., Tuple[List[Tensor], Any]], state: Callable[[], Sequence[Tensor]],
                 name: str = "captured") -> None:
        self.fn = fn
        self.state = state
        self.name = name
        self.entries: Dict[Any, _Entry] = {}

    def clear(self) -> None:
        """Forget every capture (after the function or its state changed shape or meaning)."""
        self.entries = {}

    def mode(self, *inputs: Tensor) -> str:
        """How a call on ``inputs`` would run now: 'record', 'replay' or 'eager' (for tests and tools)."""
        params = list(self.state())
        e = self.entries.get(self._key(inputs, params))
        if e is None:
            return "record"
        return "eager" if e.eager is not None else "replay" if self._can_replay(e, inputs, params) else "record"

    @staticmethod
    def _key(inputs: Sequence[Tensor], params: Sequence[Tensor]) -> Any:
        return (tuple((t.shape, t.dtype, t.device, t.requires_grad) for t in inputs),
                tuple((p.shape, p.dtype, p.device, p.requires_grad) for p in params), STATE.recording,
                STATE.training)

    @staticmethod
    def _can_replay(e: _Entry, inputs: Sequence[Tensor], params: Sequence[Tensor]) -> bool:
        if e.plan is None:
            return False
        if not STATE.recording or not (any(t.requires_grad for t in inputs) or any(p.requires_grad for p in params)):
            return True
        return any(b.trusted for b in e.backwards.values())

    def __call__(self, *inputs: Tensor) -> Tuple[List[Tensor], Any]:
        """Run the function on ``inputs`` (Tensors); returns ``(outputs, aux)`` as ``fn`` does."""
        params = list(self.state())
        key = self._key(inputs, params)
        e = self.entries.get(key)
        if e is None:
            e = self.entries[key] = _Entry()
        dev = inputs[0].device if inputs else (params[0].device if params else None)
        if self._can_replay(e, inputs, params):
            return self._replay(e, inputs, params, dev)
        if e.eager is not None or dev is None or getattr(_LOCAL, "rec", None) is not None:
            return self.fn(*inputs)
        return self._record(e, inputs, params, dev)

    # -- recorded calls ----------------------------------------------------------------------------------
    def _record(self, e: _Entry, inputs: Sequence[Tensor], params: Sequence[Tensor], dev: Any) -> Any:
        rec = _Recorder(dev.type)
        standins = []
        for t in inputs:
            s = wrap(t.data, t.device)
            s.requires_grad = t.requires_grad
            standins.append(s)
            rec.new_slot(t.data)
        for p in params:
            rec.new_slot(p.data)
        before = [p.data for p in params]
        _install()
        _LOCAL.rec = rec
        try:
            outs, aux = self.fn(*standins)
        finally:
            _LOCAL.rec = None
            _uninstall()
        outs = list(outs)
        if not all(isinstance(o, Tensor) for o in outs):
            rec.fail("an output is not a tensor")
        elif STATE.recording and sum(o.requires_grad for o in outs) > 1 and _feed_one_another(outs):
            rec.fail("an output is computed from another output inside the call, so eager backward would add "
                     "their gradients in an order one node for the call cannot reproduce")
        out_specs = [rec.spec(o.data) for o in outs] if rec.failed is None else []
        writes = []
        for i, p in enumerate(params):
            if p.data is not before[i]:
                s = rec.spec(p.data)
                if s[0] != "s":
                    rec.fail(f"state tensor {i} (shape {p.shape}) was given an array no kernel made")
                writes.append((i, s))
        if rec.failed is None and e.calls is not None:
            _LOCAL.to_host = dev.kind.to_host
            try:
                diff = _same_calls(e.calls, rec.calls)
                if diff is None and not _same_grads(out_specs, e.outs):
                    diff = "the outputs come from different calls"
                if diff is None and (len(writes) != len(e.writes) or any(
                        a[0] != b[0] or not _same_spec(a[1], b[1]) for a, b in zip(writes, e.writes))):
                    diff = "different state tensors were written"
                if diff is None and not _same_value(aux, e.aux):
                    diff = "the output structure differs"
            finally:
                _LOCAL.to_host = None
            if diff is not None:
                rec.fail(f"two calls with the same signature did different work ({diff}): the work depends on "
                         "values (control flow on data, random draws)")
        if rec.failed is not None:
            if e.eager is None:
                self._go_eager(e, rec.failed)
        elif e.calls is None:
            e.calls, e.nslots, e.outs, e.writes, e.aux, e.effects = list(rec.calls), rec.nslots, out_specs, writes, aux, \
                rec.effects
            e.out_rg = [o.requires_grad for o in outs]
        elif e.plan is None:
            e.plan_first = len(inputs) + len(params)
            self._compile_forward(e, e.calls, rec.device_type)
        if not STATE.recording or not any(o.requires_grad for o in outs) or (
                rec.failed is not None and not any(t.requires_grad for t in inputs)):
            # (a failed record whose inputs need no gradient keeps the plain eager graph: other tensors the call
            # made, such as a layer's losses, may share it)
            rec.keep = []
            rec.slot_of = {}
            return outs, aux
        # one node for the call, whose backward runs the call's own graph (recording it while this works)
        return self._pack(inputs, params, outs, (rec, outs, standins, e), self._backward_recorded), aux

    def _compile_forward(self, e: _Entry, calls: Sequence[Any], device_type: str) -> None:
        """The forward plan from ``calls`` (the record, or a rewrite of it)."""
        comp = _Compiler(e.nslots, device_type)
        _compile(calls, device_type, comp)
        e.out_slots = [comp.slot(s) for s in e.outs]
        e.write_slots = [(i, comp.slot(s)[1]) for i, s in e.writes]
        e.picked = dict(comp.picked)
        e.fwd_instrs = list(comp.instrs)
        e.plan = _Plan(comp, self._forward_keep(e), e.plan_first)

    @staticmethod
    def _forward_keep(e: _Entry) -> List[int]:
        """Forward slots that outlive the forward: outputs, state writes, and what a trusted backward reads."""
        keep = [v for from_slot, v in e.out_slots if from_slot] + [s for _, s in e.write_slots]
        for b in e.backwards.values():
            if b.trusted:
                keep.extend(b.plan.reads)
        return keep

    def _go_eager(self, e: _Entry, why: str) -> None:
        e.eager = why
        e.calls = None
        e.plan = None
        e.backwards = {}
        e.pooled_first = frozenset()
        e.replayed = False
        warnings.warn(f"{self.name}: runs eagerly for this input signature: {why}", CaptureWarning, stacklevel=5)

    def _pack(self, inputs: Sequence[Tensor], params: Sequence[Tensor], outs: List[Tensor], saved: Any,
              bwd: Callable[..., tuple], rg: Optional[List[bool]] = None) -> List[Tensor]:
        dev = outs[0].device if outs else inputs[0].device
        pack = wrap(None, dev)
        pack.requires_grad = True
        pack._node = Node(self.name, tuple(inputs) + tuple(params), bwd, saved)
        res = []
        for i, o in enumerate(outs):
            if not (o.requires_grad if rg is None else rg[i]):
                res.append(o)
                continue
            t = o if rg is not None else wrap(o.data, o.device)
            t.requires_grad = True
            t._node = Node(self.name, (pack,), _out_backward, i)
            res.append(t)
        return res

    def _backward_recorded(self, node: Node, pack: Tensor, pg: _PackGrad) -> tuple:
        rec, outs, standins, e = node.saved
        heads = sorted(i for i in pg.g if outs[i].requires_grad)
        leaves = standins + list(node.parents[len(standins):])
        capture = {id(t): k for k, t in enumerate(leaves)}
        hs, hg = [outs[i] for i in heads], [pg.g[i] for i in heads]
        if STATE.recording:  # create_graph: the gradients' graph must reach the real inputs
            return self._differentiate_on_inputs(node, pg, e, node.parents[:len(standins)], STATE.training)
        if e.eager is not None or rec.backwarded:
            # (the graph is kept: other tensors made in the call, e.g. losses, may use it; a second backward
            # through the call, under retain_graph, runs its graph again unrecorded)
            return tuple(_autograd._run(hs, hg, True, False, capture))
        first = len(rec.calls)
        head_slots = [rec.new_slot(g.data) for g in hg]
        _install()
        _LOCAL.rec = rec
        try:
            # the call's graph is kept for a second backward (the outer retain_graph); it goes with this node
            grads = _autograd._run(hs, hg, True, False, capture)
        finally:
            _LOCAL.rec = None
            _uninstall()
            rec.backwarded = True
        grad_specs = [None if g is None else rec.spec(g.data) for g in grads]
        if rec.failed is not None:
            if e.eager is None:
                self._go_eager(e, rec.failed)
        else:
            self._note_backward(e, tuple(heads), rec.calls[first:], head_slots, [(g.shape, g.dtype) for g in hg],
                                grad_specs, rec.device_type)
        rec.keep = []
        rec.slot_of = {}
        return tuple(grads)

    def _note_backward(self, e: _Entry, heads: Tuple[int, ...], calls: list, head_slots: List[int],
                       head_meta: list, grad_specs: List[Any], device_type: str) -> None:
        have = e.backwards.get(heads)
        if have is None:
            e.backwards[heads] = _Backward(calls, head_slots, head_meta, grad_specs)
            return
        if have.trusted:
            return
        _LOCAL.to_host = _device_to_host(device_type)
        try:
            diff = _same_calls(have.calls, calls)
            if diff is None and (have.head_slots != head_slots or have.head_meta != head_meta
                                 or not _same_grads(have.grads, grad_specs)):
                diff = "the gradients come from different calls"
        finally:
            _LOCAL.to_host = None
        if diff is not None:
            self._go_eager(e, f"two backward passes with the same signature did different work ({diff})")
            return
        if e.plan is None:  # trusted once the forward is (a later matching backward compiles it)
            return
        if e.pooled_first:
            return  # the forward plan pools before relu: only the backward it was rewritten with reads it
        nrec = max([e.nslots] + [s + 1 for s in head_slots] + [c[2] + 1 for c in calls])
        calls, sites = fuse_backward(e.calls, calls, device_type, list(slots_read(grad_specs)), nrec)
        if sites and not e.replayed and not any(b.trusted for b in e.backwards.values()):
            # the first backward compiled, before any replay (a replay in flight holds slots of the plan as it
            # is): the forward may pool before its relu (its plan is rebuilt)
            fwd_reads = slots_read(list(e.outs) + [w for _, w in e.writes])
            both = fuse_forward(e.calls, calls, sites, device_type, list(fwd_reads))
            if both is not None:
                fwd_calls, calls, e.pooled_first = both
                self._compile_forward(e, fwd_calls, device_type)
        nrec = max([nrec] + [c[2] + 1 for c in calls])
        fwd = e.plan.nslots
        comp = _Compiler(fwd + nrec - e.nslots, device_type, shift_from=e.nslots, shift=fwd - e.nslots, picked=e.picked)
        _compile(calls, device_type, comp)
        have.head_slots = [comp.moved(s) for s in head_slots]
        have.grad_slots = [None if s is None else comp.slot(s)[1] for s in have.grads]
        have.plan = _Plan(comp, [s for s in have.grad_slots if s is not None], fwd)
        have.trusted = True
        e.plan.free(e.fwd_instrs, self._forward_keep(e), e.plan_first)  # keep what this backward reads

    # -- replay ----------------------------------------------------------------------------------------------
    def _replay(self, e: _Entry, inputs: Sequence[Tensor], params: Sequence[Tensor], dev: Any) -> Any:
        plan = e.plan
        e.replayed = True
        S: list = [None] * plan.nslots
        n = len(inputs)
        for i, t in enumerate(inputs):
            S[i] = t.data
        for j, p in enumerate(params):
            S[n + j] = p.data
        _execute(plan, S, dev.type)
        for i, s in e.write_slots:
            params[i].data = S[s]
        outs = [wrap(S[v] if from_slot else v, dev) for from_slot, v in e.out_slots]
        if STATE.recording and any(e.out_rg):
            outs = self._pack(inputs, params, outs, (S, e, dev, n, STATE.training), self._backward_replayed,
                              e.out_rg)
        return outs, e.aux

    def _backward_replayed(self, node: Node, pack: Tensor, pg: _PackGrad) -> tuple:
        S, e, dev, n_in, _ = node.saved
        heads = tuple(sorted(pg.g))
        b = e.backwards.get(heads)
        if b is None or not b.trusted or STATE.recording or any(
                (pg.g[i].shape, pg.g[i].dtype) != m for i, m in zip(heads, b.head_meta)):
            return self._backward_again(node, pg)
        S = S + [None] * (b.plan.nslots - len(S))
        for slot, i in zip(b.head_slots, heads):
            S[slot] = pg.g[i].data
        _execute(b.plan, S, dev.type)
        return tuple(None if s is None else wrap(S[s], dev) for s in b.grad_slots)

    def _backward_again(self, node: Node, pg: _PackGrad) -> tuple:
        """A backward the replayed call has no trusted record of (other outputs given gradients, or a
        higher-order gradient): run the call again eagerly on its saved inputs and differentiate that."""
        S, e, dev, n_in, training = node.saved
        params = list(node.parents[n_in:])
        if STATE.recording:
            return self._differentiate_on_inputs(node, pg, e, node.parents[:n_in], training)
        if e.effects:
            raise GraphError(
                f"{self.name}: backward asks for gradients of outputs {sorted(pg.g)} (or a higher-order gradient), "
                "which the captured call never recorded, and the call has in-place effects (running statistics) "
                "that running it again would repeat; hybridize(False) runs it eagerly")
        if any(p.data is not S[n_in + j] for j, p in enumerate(params)):
            raise GraphError(f"{self.name}: a parameter was given a new array between the captured call and its "
                             "backward; run backward before updating parameters")
        standins = []
        for k, t in enumerate(node.parents[:n_in]):
            s = wrap(S[k], dev)
            s.requires_grad = t.requires_grad
            standins.append(s)
        with _autograd.record(training):
            outs, _ = self.fn(*standins)
        outs = list(outs)
        heads = sorted(i for i in pg.g if outs[i].requires_grad)
        capture = {id(t): k for k, t in enumerate(standins + params)}
        with _autograd.pause():
            return tuple(_autograd._run([outs[i] for i in heads], [pg.g[i] for i in heads], False, False, capture))

    def _differentiate_on_inputs(self, node: Node, pg: _PackGrad, e: _Entry, inputs: Sequence[Tensor],
                                 training: bool) -> tuple:
        """Gradients with their own graph (``create_graph``): run the call again on the real inputs, so the
        graph of the gradients reaches them, and differentiate that."""
        if e.effects:
            raise GraphError(f"{self.name}: a higher-order gradient needs the call run again, and its in-place "
                             "effects (running statistics) would repeat; hybridize(False) runs it eagerly")
        params = list(node.parents[len(inputs):])
        with _autograd.record(training):
            outs, _ = self.fn(*inputs)
        outs = list(outs)
        heads = sorted(i for i in pg.g if outs[i].requires_grad)
        capture = {id(t): k for k, t in enumerate(list(inputs) + params)}
        # retain_graph: the walk reaches the inputs' own graph, which the outer backward still needs
        return tuple(_autograd._run([outs[i] for i in heads], [pg.g[i] for i in heads], True, True, capture))
