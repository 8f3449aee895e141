"""unidl's file format for optimizer / Trainer states (``Trainer.save_states``, ``Updater.get_states``).

MXNet pickles its states (a dict ``index -> state`` and the optimizer object). Unpickling can run any code,
so unidl neither writes nor reads pickles; it writes **MXNet's own NDArray-dict file** (the ``nd.save``
format, :mod:`unidl.io.mxnet_params`), which ``mx.nd.load`` (real MXNet's too) can open:

* every state array under the key ``"<index>:<slot>"``: ``<index>`` is the optimizer index (the
  parameter's position in the Trainer), ``<slot>`` the dotted position inside the state tuple (``"0"``,
  ``"1"``, ``"0.1"`` for nested tuples; ``"state"`` for a state that is one array);
* one uint8 array under ``"__unidl_trainer_states__"``: UTF-8 JSON
  ``{"format": "unidl-mxnet-trainer-states", "version": 1, "states": [[index, tree], ...],
  "optimizer": null | {...}}``. ``tree`` rebuilds each state: ``null`` (None), ``{"array": key}``,
  ``{"tuple": [tree, ...]}`` or ``{"list": [...]}``. ``"optimizer"`` (with ``dump_optimizer``) holds the
  optimizer's registered name, its plain-valued attributes (learning rate, wd, hyper-parameters, Nadam's
  ``m_schedule``, multipliers, ...), the per-index update counts and the ``lr_scheduler``'s class and
  attributes. Containers in attributes are encoded as ``{"list"|"tuple": [...]}`` and
  ``{"dict": [[key, value], ...]}`` (so int keys stay ints); Gluon ``param_dict`` is never saved (as in MXNet).

The whole file is written through ``unidl.io.atomic`` by the caller.
"""
from __future__ import annotations

import copy
import json
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from unidl.io import mxnet_params

from ..base import MXNetError
from ..ndarray.ndarray import NDArray, from_any

HEADER_KEY = "__unidl_trainer_states__"
FORMAT = "unidl-mxnet-trainer-states"
VERSION = 1
_SKIP_ATTRS = {"param_dict", "sym_info", "_all_index_update_counts", "_index_update_count", "lr_scheduler"}


class TrainerStatesError(MXNetError):
    """A states file that unidl cannot (or will not) read."""


# -- plain values <-> JSON -------------------------------------------------------------------------
_NO = object()


def _enc(v: Any) -> Any:
    """A JSON-able encoding of a plain value, or ``_NO`` for values that are not plain (arrays, objects)."""
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    if isinstance(v, np.generic) and v.dtype.kind in "biuf":
        return v.item()
    if isinstance(v, (list, tuple)):
        items = [_enc(x) for x in v]
        if any(x is _NO for x in items):
            return _NO
        return {"tuple" if isinstance(v, tuple) else "list": items}
    if isinstance(v, dict):
        pairs = [[_enc(k), _enc(x)] for k, x in v.items()]
        if any(k is _NO or x is _NO for k, x in pairs):
            return _NO
        return {"dict": pairs}
    return _NO


def _dec(v: Any) -> Any:
    if isinstance(v, dict):
        if "list" in v:
            return [_dec(x) for x in v["list"]]
        if "tuple" in v:
            return tuple(_dec(x) for x in v["tuple"])
        if "dict" in v:
            return {_dec(k): _dec(x) for k, x in v["dict"]}
        raise TrainerStatesError(f"trainer states: bad encoded value {v!r}")
    return v


def _plain_attrs(obj: Any) -> Dict[str, Any]:
    out = {}
    for k, v in vars(obj).items():
        if k in _SKIP_ATTRS:
            continue
        e = _enc(v)
        if e is not _NO:
            out[k] = e
    return out


# -- writing ----------------------------------------------------------------------------------------
def _check_index(index: Any) -> None:
    if not isinstance(index, (int, str)) or isinstance(index, bool):
        raise TrainerStatesError(f"save_states: optimizer index {index!r} must be an int or a str")


def dumps(states: Dict[Any, Any], optimizer: Any = None) -> bytes:
    """``states`` (index -> None / NDArray / nested tuples of them) and optionally ``optimizer`` as file bytes."""
    arrays: Dict[str, np.ndarray] = {}

    def tree(index: Any, s: Any, path: List[int]) -> Any:
        if s is None:
            return None
        if isinstance(s, NDArray):
            key = f"{index}:{'.'.join(map(str, path)) or 'state'}"
            arrays[key] = s.asnumpy()
            return {"array": key}
        if isinstance(s, (tuple, list)):
            return {"tuple" if isinstance(s, tuple) else "list": [tree(index, x, path + [i]) for i, x in enumerate(s)]}
        raise TrainerStatesError(f"save_states: cannot store optimizer state of type {type(s).__name__} "
                                 f"(index {index!r}); states must be NDArrays, None or tuples of them")

    entries = []
    for index, s in states.items():
        _check_index(index)
        entries.append([index, tree(index, s, [])])
    header = {"format": FORMAT, "version": VERSION, "states": entries,
              "optimizer": None if optimizer is None else _dump_optimizer(optimizer)}
    if HEADER_KEY in arrays:
        raise TrainerStatesError(f"save_states: an optimizer index collides with the reserved key {HEADER_KEY!r}")
    arrays[HEADER_KEY] = np.frombuffer(json.dumps(header).encode("utf-8"), dtype=np.uint8).copy()
    return mxnet_params.dumps(list(arrays.values()), list(arrays.keys()))


def _dump_optimizer(opt: Any) -> Dict[str, Any]:
    from .optimizer import Optimizer

    name = type(opt).__name__.lower()
    if Optimizer.opt_registry.get(name) is not type(opt):
        raise TrainerStatesError(f"save_states: optimizer class {type(opt).__name__} is not registered "
                                 "(decorate it with mx.optimizer.register)")
    sched = getattr(opt, "lr_scheduler", None)
    return {"name": name, "attrs": _plain_attrs(opt),
            "index_update_count": _enc(dict(opt._index_update_count)),
            "lr_scheduler": None if sched is None else {"class": type(sched).__name__, "attrs": _plain_attrs(sched)}}


# -- reading ----------------------------------------------------------------------------------------
def loads(data: bytes, name: str = "<states>") -> Tuple[Dict[Any, Any], Optional[Dict[str, Any]]]:
    """Parse file bytes into ``(states, optimizer dump or None)``; refuses pickles (MXNet's own files)."""
    if data[:1] == b"\x80" or data[:1] in (b"(", b"}", b"]"):
        raise TrainerStatesError(
            f"{name}: this looks like a states file written by real MXNet's Trainer.save_states, which is a Python "
            "pickle. unidl never unpickles files (unpickling can run arbitrary code), so MXNet optimizer states "
            "cannot be loaded; load the parameters (load_parameters) and start the optimizer afresh, or save the "
            "states again from unidl_mxnet.")
    try:
        arrays, names = mxnet_params.loads(data, name)
    except mxnet_params.ParamsFormatError as e:
        raise TrainerStatesError(f"{name}: not a trainer states file: {e}") from None
    if names is None or HEADER_KEY not in names:
        raise TrainerStatesError(f"{name}: an MXNet NDArray file, but not a trainer states file written by "
                                 f"unidl_mxnet (no {HEADER_KEY!r} entry)")
    by_name = dict(zip(names, arrays))
    try:
        header = json.loads(bytes(np.asarray(by_name[HEADER_KEY], dtype=np.uint8)).decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError) as e:   # RecursionError: absurd nesting
        raise TrainerStatesError(f"{name}: corrupt trainer states header: {type(e).__name__}: {e}") from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise TrainerStatesError(f"{name}: unknown trainer states format {header.get('format')!r}"
                                 if isinstance(header, dict) else f"{name}: corrupt trainer states header")
    if header.get("version") != VERSION:
        raise TrainerStatesError(f"{name}: trainer states version {header.get('version')!r} is not supported "
                                 f"(this unidl reads version {VERSION})")

    def build(t: Any) -> Any:
        if t is None:
            return None
        if "array" in t:
            a = by_name.get(t["array"])
            if a is None:
                raise TrainerStatesError(f"{name}: state array {t['array']!r} is missing from the file")
            return from_any(a, dtype=a.dtype)
        if "tuple" in t:
            return tuple(build(x) for x in t["tuple"])
        if "list" in t:
            return [build(x) for x in t["list"]]
        raise TrainerStatesError(f"{name}: bad state entry {t!r}")

    entries = header.get("states")
    if not isinstance(entries, list) or not all(isinstance(e, list) and len(e) == 2 and isinstance(e[0], int)
                                                and not isinstance(e[0], bool) for e in entries):
        raise TrainerStatesError(f"{name}: corrupt trainer states header: 'states' must be a list of "
                                 "[parameter index, state] pairs")
    try:
        states = {index: build(t) for index, t in entries}
    except (TypeError, KeyError, AttributeError, RecursionError) as e:
        raise TrainerStatesError(f"{name}: corrupt trainer states header: {type(e).__name__}: {e}") from None
    dump = header.get("optimizer")
    if dump is not None and not isinstance(dump, dict):
        raise TrainerStatesError(f"{name}: corrupt trainer states header: 'optimizer' must be an object")
    return states, dump


def check_states(states: Dict[Any, Any], reference: Any, name: str) -> None:
    """Refuse loaded ``states`` that do not have the structure the optimizer would create for the Trainer's own
    parameters: ``reference(index)`` is that structure, or None for an index the Trainer has no parameter at.
    Each state must nest alike (tuples, lists, None where the optimizer keeps none) with arrays of the same
    shape and dtype, so a file cannot make ``step()`` fail later."""
    def same(got: Any, want: Any, where: str) -> None:
        if want is None or got is None:
            if (want is None) != (got is None):
                raise TrainerStatesError(f"{name}: {where} is {'missing' if got is None else 'unexpected'} (the "
                                         "optimizer keeps " + ("none" if want is None else "an array") + " there)")
            return
        if isinstance(want, (tuple, list)):
            if not isinstance(got, (tuple, list)) or len(got) != len(want):
                raise TrainerStatesError(f"{name}: {where} should hold {len(want)} entries, the file has "
                                         f"{len(got) if isinstance(got, (tuple, list)) else 'an array'}")
            for i, (g, w) in enumerate(zip(got, want)):
                same(g, w, f"{where}[{i}]")
            return
        if isinstance(got, (tuple, list)) or tuple(got.shape) != tuple(want.shape) or got.dtype != want.dtype:
            what = "a tuple" if isinstance(got, (tuple, list)) else f"{tuple(got.shape)} {np.dtype(got.dtype).name}"
            raise TrainerStatesError(f"{name}: {where} is {what}, but the optimizer keeps "
                                     f"{tuple(want.shape)} {np.dtype(want.dtype).name} there")

    for index, st in states.items():
        want = reference(index)
        if want is NO_PARAMETER:
            raise TrainerStatesError(f"{name}: the file has a state for parameter index {index!r}, which this "
                                     "Trainer does not have")
        same(st, want, f"the state of parameter {index}")


#: what ``check_states``'s ``reference`` returns for an index the Trainer has no parameter at
NO_PARAMETER = object()


def _set_attrs(obj: Any, attrs: Dict[str, Any], what: str) -> None:
    """Set plain attributes read from a file; names must be data attributes (no dunders, methods, properties)."""
    if not isinstance(attrs, dict):
        raise TrainerStatesError(f"trainer states: the {what} attributes must be an object")
    have = vars(obj)
    for k, v in attrs.items():
        if not isinstance(k, str) or not k.isidentifier() or k.startswith("__") or hasattr(type(obj), k):
            raise TrainerStatesError(f"trainer states: refusing to set {what} attribute {k!r}")
        v = _dec(v)
        if k in have and not _same_kind(have[k], v):
            raise TrainerStatesError(f"trainer states: {what} attribute {k!r} is {type(v).__name__} {v!r:.60}, but "
                                     f"the {what} keeps a {type(have[k]).__name__} there")
        setattr(obj, k, v)


def _same_kind(current: Any, value: Any) -> bool:
    """Whether a value read from a file may replace ``current``: a value of the same kind (numbers for numbers,
    strings for strings, ...); where the attribute is unset (None, e.g. ``clip_gradient``), None or a number."""
    def kind(x: Any) -> str:
        if x is None:
            return "none"
        if isinstance(x, bool):
            return "bool"
        if isinstance(x, (int, float, np.number)):
            return "number"
        return type(x).__name__
    if current is None:
        return kind(value) in ("none", "number")
    if kind(current) != kind(value):
        return False
    if isinstance(value, dict):   # lr_mult, wd_mult, idx2name: int/str keys, number/str values
        return all(kind(k) in ("number", "str") and kind(v) in ("number", "str") for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return all(kind(v) == "number" for v in value)
    return True


def _check_counts(counts: Any) -> Dict[Any, int]:
    if not isinstance(counts, dict) or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0
                                               for v in counts.values()):
        raise TrainerStatesError("trainer states: 'index_update_count' must map parameter indices to counts")
    return counts


def restore_optimizer(dump: Dict[str, Any], current: Any) -> Any:
    """The optimizer described by ``dump``: a copy of ``current`` updated from it when it is of the dumped class,
    else a new instance of the registered class (as MXNet's unpickled optimizer replaces the Trainer's)."""
    from .. import lr_scheduler as lrs
    from .optimizer import Optimizer

    try:
        return _restore(dump, current, lrs, Optimizer)
    except TrainerStatesError:
        raise
    except (TypeError, ValueError, KeyError, AttributeError, RecursionError) as e:
        raise TrainerStatesError(f"trainer states: corrupt optimizer entry: {type(e).__name__}: {e}") from None


def _restore(dump: Dict[str, Any], current: Any, lrs: Any, Optimizer: Any) -> Any:  # noqa: N803
    name = dump.get("name")
    klass = Optimizer.opt_registry.get(name) if isinstance(name, str) else None
    if klass is None:
        raise TrainerStatesError(f"trainer states: optimizer {name!r} is not registered")
    # a copy: the Trainer keeps its optimizer untouched until the whole file has been checked
    opt = copy.copy(current) if type(current) is klass else klass()
    _set_attrs(opt, dump.get("attrs", {}), "optimizer")
    counts = _check_counts(_dec(dump.get("index_update_count", {"dict": []})))
    opt._all_index_update_counts = {0: counts}
    opt._index_update_count = counts
    sd = dump.get("lr_scheduler")
    if sd is None:
        opt.lr_scheduler = None
    else:
        cls = getattr(lrs, sd.get("class", ""), None)
        if not (isinstance(cls, type) and issubclass(cls, lrs.LRScheduler)):
            raise TrainerStatesError(f"trainer states: unknown lr_scheduler class {sd.get('class')!r}")
        sched = getattr(current, "lr_scheduler", None)
        sched = copy.copy(sched) if type(sched) is cls else object.__new__(cls)
        _set_attrs(sched, sd.get("attrs", {}), "lr_scheduler")
        opt.lr_scheduler = sched
        try:   # a scheduler rebuilt from a file must compute a rate
            float(sched(int(getattr(opt, "num_update", 0))))
        except (TypeError, ValueError, KeyError, AttributeError, IndexError, ArithmeticError) as e:
            raise TrainerStatesError(f"trainer states: the lr_scheduler read from the file does not work "
                                     f"({type(e).__name__}: {e})") from None
    return opt


__all__ = ["dumps", "loads", "restore_optimizer", "check_states", "TrainerStatesError", "HEADER_KEY"]
