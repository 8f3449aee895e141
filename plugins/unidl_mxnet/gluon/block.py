"""``gluon.Block`` and ``gluon.HybridBlock``: containers of parameters and child blocks, named as MXNet
names them (``dense0_``, ``mlp0_dense1_weight``), with deferred shape inference on first call.

``hybridize()`` captures the block: per input signature its kernel calls (forward and backward) are recorded
and then replayed without per-op dispatch (``unidl.capture``), bitwise equal to running it imperatively.
"""
from __future__ import annotations

import re
import threading
import warnings
from collections import OrderedDict
from typing import Any, Dict, Optional

from .. import ndarray as nd
from unidl.capture import CapturedFunction, is_capturing
from unidl.errors import UnidlError

from ..base import MXNetError, as_mxnet_error
from ..ndarray.ndarray import NDArray
from ..util import _NP, to_frontend as _to_frontend
from .parameter import DeferredInitializationError, Parameter, ParameterDict
from ..symbol.symbol import Symbol as _Symbol

try:  # the context labels of the host CPU's contexts (cpu(i), cpu_shared(i)), kept by mx.nd
    from ..ndarray.ndarray import _CTX, placed as _placed
except ImportError:  # pragma: no cover - an mx.nd without labels: every CPU array is cpu(0)
    _CTX, _placed = {}, None
#: the labels' dict itself: ``__call__`` tests it for emptiness without a Python-level ``__bool__`` call
_CTX_D = getattr(_CTX, "_d", _CTX)
_PARAM_DATA = Parameter.data

_global_counter: Dict[str, int] = {}
_counter_lock = threading.Lock()


class _BlockScope:
    """The scope of ``with block.name_scope():`` — children created inside get the block's prefix."""

    _current = threading.local()

    def __init__(self, block: "Block") -> None:
        self._block = block
        self._counter: Dict[str, int] = {}
        self._old: Optional["_BlockScope"] = None

    @staticmethod
    def create(prefix: Optional[str], params: Optional[ParameterDict], hint: str):
        current = getattr(_BlockScope._current, "value", None)
        if current is None:
            if prefix is None:
                with _counter_lock:
                    n = _global_counter.get(hint, 0)
                    _global_counter[hint] = n + 1
                prefix = f"{hint}{n}_"
            params = ParameterDict(prefix) if params is None else ParameterDict(params.prefix, params)
            return prefix, params
        if prefix is None:
            n = current._counter.get(hint, 0)
            current._counter[hint] = n + 1
            prefix = f"{hint}{n}_"
        parent = current._block.params
        params = ParameterDict(parent.prefix + prefix, parent._shared) if params is None else \
            ParameterDict(params.prefix, params)
        return current._block.prefix + prefix, params

    def __enter__(self) -> "_BlockScope":
        if self._block._empty_prefix:
            return self
        self._old = getattr(_BlockScope._current, "value", None)
        _BlockScope._current.value = self
        return self

    def __exit__(self, *exc: Any) -> None:
        if self._block._empty_prefix:
            return
        _BlockScope._current.value = self._old


def _hint(cls: type) -> str:
    # MXNet names some blocks by a short alias (LSTMCell -> "lstm"), the rest by the lower-cased class name
    return getattr(cls, "_alias", None) or cls.__name__.lower()


class Block:
    """Base class of layers and models: override ``forward(*args)``; children assigned as attributes
    (or added with ``register_child``) are collected with their parameters."""

    def __init__(self, prefix: Optional[str] = None, params: Optional[ParameterDict] = None) -> None:
        self._empty_prefix = prefix == ""
        self._prefix, self._params = _BlockScope.create(
            prefix, params, getattr(self, "_instance_alias", None) or _hint(type(self)))  # Activation: "relu"
        self._name = self._prefix[:-1] if self._prefix.endswith("_") else self._prefix
        self._scope = _BlockScope(self)
        self._children: "OrderedDict[str, Block]" = OrderedDict()
        self._reg_params: "OrderedDict[str, Parameter]" = OrderedDict()
        self._forward_hooks: "OrderedDict[int, Any]" = OrderedDict()
        self._forward_pre_hooks: "OrderedDict[int, Any]" = OrderedDict()

    def __setattr__(self, name: str, value: Any) -> None:
        existing = self.__dict__.get(name, None)
        if isinstance(existing, (Parameter, Block)) and not isinstance(value, type(existing)):
            raise TypeError(f"Changing attribute type for {name} from {type(existing)} to {type(value)}"
                            "is not allowed.")
        if isinstance(value, Block):
            self.register_child(value, name)
        elif isinstance(value, Parameter):
            self.__dict__.setdefault("_reg_params", OrderedDict())[name] = value
        super().__setattr__(name, value)

    def _check_container_with_block(self) -> None:
        """Warn about lists/tuples/dicts attributes holding Blocks that were never registered as children."""
        children = set(map(id, self._children.values()))

        def unregistered(data: Any) -> bool:
            if isinstance(data, (list, tuple)):
                return any(unregistered(e) for e in data)
            if isinstance(data, dict):
                return any(unregistered(v) for v in data.values())
            return isinstance(data, Block) and id(data) not in children

        for k, v in self.__dict__.items():
            if isinstance(v, (list, tuple, dict)) and not (k.startswith("__") or k == "_children") and unregistered(v):
                warnings.warn(f'"{type(self).__name__}.{k}" is an unregistered container with Blocks. Note that '
                              "Blocks inside the list, tuple or dict will not be registered automatically. Make sure "
                              "to register them using register_child() or switching to nn.Sequential/"
                              "nn.HybridSequential instead. ", stacklevel=3)

    def register_forward_pre_hook(self, hook: Any) -> Any:
        """Call ``hook(block, inputs)`` before every forward; returns a handle whose ``detach()`` removes it."""
        from .utils import HookHandle

        handle = HookHandle()
        handle.attach(self._forward_pre_hooks, hook)
        return handle

    def register_forward_hook(self, hook: Any) -> Any:
        """Call ``hook(block, inputs, output)`` after every forward; returns a handle whose ``detach()`` removes
        it."""
        from .utils import HookHandle

        handle = HookHandle()
        handle.attach(self._forward_hooks, hook)
        return handle

    def apply(self, fn: Any) -> "Block":
        """Call ``fn(block)`` on every descendant (children first) and then on this block; returns self."""
        for c in self._children.values():
            c.apply(fn)
        fn(self)
        return self

    def register_op_hook(self, callback: Any, monitor_all: bool = False) -> None:
        """Install ``callback(name, op_name, array)`` on the operators of the hybridized descendants."""
        for c in self._children.values():
            c.register_op_hook(callback, monitor_all)

    def __repr__(self) -> str:
        if not self._children:
            return f"{type(self).__name__}()"
        body = "\n".join(f"  ({k}): " + repr(b).replace("\n", "\n  ") for k, b in self._children.items())
        return f"{type(self).__name__}(\n{body}\n)"

    @property
    def prefix(self) -> str:
        return self._prefix

    @property
    def name(self) -> str:
        return self._name

    @property
    def params(self) -> ParameterDict:
        """This block's own parameters (not its children's; see ``collect_params``)."""
        return self._params

    def name_scope(self) -> _BlockScope:
        """``with self.name_scope():`` — children created inside are named under this block's prefix."""
        return self._scope

    def register_child(self, block: "Block", name: Optional[str] = None) -> None:
        self._children[name if name is not None else str(len(self._children))] = block

    def collect_params(self, select: Optional[str] = None) -> ParameterDict:
        """This block's and its descendants' parameters; ``select`` is a regex on their names."""
        self._check_container_with_block()
        out = ParameterDict(self._params.prefix)
        rx = re.compile(select) if select else None

        def visit(b: "Block") -> None:
            for p in list(b._params.values()) + list(b._reg_params.values()):
                if rx is None or rx.match(p.name):
                    out._params.setdefault(p.name, p)
            for c in b._children.values():
                visit(c)

        visit(self)
        return out

    def initialize(self, init: Any = None, ctx: Any = None, verbose: bool = False,
                   force_reinit: bool = False) -> None:
        """Initialize all parameters (``mx.init.Uniform()`` unless ``init`` is given)."""
        self.collect_params().initialize(init, ctx, verbose, force_reinit)

    def _collect_params_with_prefix(self, prefix: str = "") -> "OrderedDict[str, Parameter]":
        """Parameters by structural name (``0.weight``, ``encoder.1.gamma``), as ``save_parameters`` names them."""
        if prefix:
            prefix += "."
        out: "OrderedDict[str, Parameter]" = OrderedDict((prefix + k, v) for k, v in self._reg_params.items())
        for name, child in self._children.items():
            out.update(child._collect_params_with_prefix(prefix + name))
        return out

    def save_parameters(self, filename: str, deduplicate: bool = False) -> None:
        """Write the parameters under their structural names in MXNet's ``.params`` format (atomically)."""
        from ..ndarray.utils import save

        params = self._collect_params_with_prefix()
        if deduplicate:
            seen: Dict[int, str] = {}
            params = OrderedDict((k, v) for k, v in params.items() if seen.setdefault(id(v), k) == k)
        save(filename, {k: v._reduce() for k, v in params.items()})

    def load_parameters(self, filename: str, ctx: Any = None, allow_missing: bool = False,
                        ignore_extra: bool = False, cast_dtype: bool = False, dtype_source: str = "current") -> None:
        """Load a ``.params`` file: structural names (``save_parameters``), or, when no name contains '.',
        the legacy prefix names (``save_params``); ``arg:``/``aux:`` prefixes of ``export`` are accepted."""
        from ..ndarray.utils import load

        # read onto the first context; each Parameter copies to every context it lives on
        loaded = load(filename, ctx[0] if isinstance(ctx, (list, tuple)) and ctx else ctx)
        if not isinstance(loaded, dict):
            raise MXNetError(f"{filename}: the file holds an unnamed list of arrays, not parameters")
        loaded = {k[4:] if k.startswith(("arg:", "aux:")) else k: v for k, v in loaded.items()}
        if loaded and not any("." in k for k in loaded):
            params = OrderedDict((p.name, p) for p in self.collect_params().values())
            loaded = {self.prefix + k if not k.startswith(self.prefix) else k: v for k, v in loaded.items()}
        else:
            params = self._collect_params_with_prefix()
        if not allow_missing:
            # a shared parameter is saved once (``deduplicate=True``) under any one of its names
            names_of: Dict[int, list] = {}
            for name, p in params.items():
                names_of.setdefault(id(p), []).append(name)
            for name, p in params.items():
                if not any(n in loaded for n in names_of[id(p)]):
                    raise MXNetError(
                        f"Parameter '{name}' is missing in file '{filename}', which contains parameters: "
                        f"{_brief(loaded)}. Set allow_missing=True to ignore missing parameters.")
        for name, value in loaded.items():
            if name not in params:
                if ignore_extra:
                    continue
                raise MXNetError(
                    f"Parameter '{name}' loaded from file '{filename}' is not present in ParameterDict, which "
                    f"contains parameters {_brief(params)}. Set ignore_extra=True to ignore.")
            params[name]._load_saved(value, ctx, cast_dtype, dtype_source)

    def hybridize(self, active: bool = True, **kwargs: Any) -> None:
        """Accepted for compatibility; blocks run imperatively with identical results."""
        for c in self._children.values():
            c.hybridize(active, **kwargs)

    def cast(self, dtype: Any) -> None:
        for c in self._children.values():
            c.cast(dtype)
        for p in self._params.values():
            p.cast(dtype)

    def zero_grad(self) -> None:
        self.collect_params().zero_grad()

    def summary(self, *inputs: Any) -> None:
        """Print MXNet's summary table (output shape and parameter count of every layer) for ``inputs``."""
        from ._summary import print_summary

        def not_hybridized(block: "Block") -> None:
            if isinstance(block, HybridBlock) and block._active:
                raise AssertionError(f'"{block.name}" must not be hybridized to print summary.')

        self.apply(not_hybridized)
        print_summary(self, *inputs)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self._forward_pre_hooks or self._forward_hooks or (_CTX_D and args):
            return self._call_slow(args, kwargs)
        try:
            out = self.forward(*args, **kwargs)
        except UnidlError as err:  # engine errors reach Gluon users as MXNetError, as in MXNet
            raise as_mxnet_error(err) from err.__cause__
        return _to_frontend(out) if _NP.array else out  # mx.np arrays under npx.set_np()

    def _call_slow(self, args: tuple, kwargs: dict) -> Any:
        """``__call__`` with hooks, or with an input on a labelled context (cpu(i), i > 0): the ops inside run
        on the one host CPU, and their outputs report the input's context, as MXNet's would."""
        for hook in list(self._forward_pre_hooks.values()):
            hook(self, args)
        ctx = _input_ctx(args)
        try:
            if ctx is None:
                out = self.forward(*args, **kwargs)
            else:
                _CALL_CTX.stack = getattr(_CALL_CTX, "stack", []) + [ctx]
                try:
                    out = self.forward(*args, **kwargs)
                finally:
                    _CALL_CTX.stack = _CALL_CTX.stack[:-1]
                _place_outputs(out, ctx)
        except UnidlError as err:
            raise as_mxnet_error(err) from err.__cause__
        if _NP.array:
            out = _to_frontend(out)
        for hook in list(self._forward_hooks.values()):
            hook(self, args, out)
        return out

    def forward(self, *args: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement forward")


_CALL_CTX = threading.local()


def _input_ctx(args: tuple) -> Any:
    """The context label of the first array input, when it is one (cpu(i), i > 0; cpu_shared ...)."""
    for a in args:
        t = getattr(a, "_t", None)
        if t is not None:
            return _CTX.get(t)
    return None


def _place_outputs(out: Any, ctx: Any) -> None:
    if isinstance(out, (list, tuple)):
        for o in out:
            _place_outputs(o, ctx)
    elif hasattr(out, "_t") and _placed is not None and _CTX.get(out._t) is None:
        _placed(out, ctx)


def _param_ctx(x: Any, p: Parameter) -> Any:
    """The context whose copy of ``p`` serves input ``x``: x's own, else that of the enclosing block call
    (an op between blocks loses the label of the host-CPU context it ran for)."""
    c = x.context if hasattr(x, "context") else None
    if c is not None and c in p._ctx_index:
        return c
    stack = getattr(_CALL_CTX, "stack", None)
    if stack and stack[-1] in p._ctx_index:
        return stack[-1]
    return c


def _brief(names: Any) -> str:
    keys = list(names)
    return ", ".join(keys[:10]) + (f", ... ({len(keys)} in all)" if len(keys) > 10 else "")


_new_nd = object.__new__


def _flatten(out: Any, flat: list) -> Any:
    """The structure of a block's output (arrays replaced by their place in ``flat``, which gets their tensors)."""
    if type(out) is NDArray:
        flat.append(out._t)
        return "a"
    if isinstance(out, (list, tuple)):
        return (type(out), tuple(_flatten(o, flat) for o in out))
    if isinstance(out, NDArray):  # a sparse or mx.np subclass: kept whole (its type is part of the structure)
        flat.append(out._t)
        return ("t", type(out))
    return ("v", out)


def _unflatten(outs: Any, structure: Any) -> Any:
    if structure == "a":
        a = _new_nd(NDArray)
        a._t = next(outs)
        return a
    if structure[0] == "t":
        a = _new_nd(structure[1])
        a._t = next(outs)
        return a
    if structure[0] == "v":
        return structure[1]
    return structure[0](_unflatten(outs, s) for s in structure[1])


class HybridBlock(Block):
    """A block written as ``hybrid_forward(F, x, *args, **params)`` where ``F`` is ``mx.nd`` and the
    registered parameters arrive as keyword arguments. Unknown parameter shapes are inferred from the
    first input through ``infer_shape`` (layers implement it)."""

    _active = False  # hybridized
    _callback: Any = None  # register_op_hook's callback
    _monitor_all = False
    _graph_shapes: Optional[Dict[str, Any]] = None  # parameter shapes at the first hybridized call (for export)
    _graph_nargs = 1

    _captured: Optional[CapturedFunction] = None  # the hybridized call (unidl.capture), made on first use
    _captured_params: Optional[list] = None

    def hybridize(self, active: bool = True, **kwargs: Any) -> None:
        """Mark this block and its children hybridized: calls are captured per input signature (shapes,
        dtypes, context, autograd mode) and replayed without per-op dispatch, with results bitwise equal to
        imperative execution (``static_alloc``/``static_shape`` are accepted; replay always reuses its plan).
        A block whose work depends on values (Python control flow on data, random draws such as Dropout in
        training) runs imperatively for that signature, with one ``unidl.capture.CaptureWarning``. The next
        call also records what ``export`` needs, as MXNet builds its graph on that call."""
        self._active = active
        self._graph_shapes = None
        self._captured = None
        self._captured_params = None
        super().hybridize(active, **kwargs)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if args and isinstance(args[0], _Symbol):  # symbolic call: build the graph (mx.sym / export)
            from ..symbol._trace import trace_call

            return trace_call(self, *args)
        if self._active and self._graph_shapes is None:
            self._graph_shapes = {p.name: p.shape for p in self.collect_params().values()}
            self._graph_nargs = len(args)
        if self._forward_pre_hooks or self._forward_hooks or (_CTX_D and args) or self._callback is not None:
            return self._call_slow(args, kwargs)
        try:
            if self._active and not kwargs and args and not is_capturing():
                out = self._call_captured(args)
            else:
                out = self.forward(*args, **kwargs)
        except UnidlError as err:  # engine errors reach Gluon users as MXNetError, as in MXNet
            raise as_mxnet_error(err) from err.__cause__
        return _to_frontend(out) if _NP.array else out

    def _call_captured(self, args: tuple) -> Any:
        """The hybridized call: through the block's CapturedFunction when every input is a dense NDArray and
        every parameter is initialized on one context; imperatively otherwise."""
        params = self._captured_params
        if params is None:
            params = self._captured_params = list(self.collect_params().values())
        for p in params:
            ts = p._ts
            if ts is None or len(ts) != 1:
                return self.forward(*args)
        tensors = []
        for a in args:
            if type(a) is not NDArray:
                return self.forward(*args)
            tensors.append(a._t)
        cap = self._captured
        if cap is None:
            cap = self._captured = CapturedFunction(self._captured_forward, self._captured_state,
                                                    f"hybridized {self.name}")
        outs, structure = cap(*tensors)
        return _unflatten(iter(outs), structure)

    def _captured_state(self) -> list:
        return [p._ts[0] for p in self._captured_params]

    def _captured_forward(self, *tensors: Any) -> Any:
        args = []
        for t in tensors:
            a = _new_nd(NDArray)
            a._t = t
            args.append(a)
        out = self.forward(*args)
        flat: list = []
        return flat, _flatten(out, flat)

    def export(self, path: str, epoch: int = 0, remove_amp_cast: bool = True) -> None:
        """Write ``path-symbol.json`` (MXNet 1.9's JSON graph, input ``data`` or ``data0``, ``data1``, ...) and
        ``path-%04d.params`` (``arg:``/``aux:`` names) after ``hybridize()`` and one forward call."""
        from ..symbol._trace import export_block

        export_block(self, path, epoch, remove_amp_cast)

    def forward(self, x: Any, *args: Any) -> Any:
        params = {}
        for name, p in self._reg_params.items():
            ts = p._ts
            if ts is not None and len(ts) == 1:  # one context: the array data() gave last time, while current
                a = p._nd
                params[name] = a if a is not None and a._t is ts[0] and type(p).data is _PARAM_DATA else p.data()
                continue
            try:
                ts = p._ts
                params[name] = p.data() if ts is None or len(ts) == 1 else p.data(_param_ctx(x, p))
            except DeferredInitializationError:
                self.infer_shape(x, *args)
                for q in self._reg_params.values():
                    q._finish_deferred_init()
                ts = p._ts
                params[name] = p.data() if ts is None or len(ts) == 1 else p.data(_param_ctx(x, p))
        return self.hybrid_forward(nd, x, *args, **params)

    def infer_shape(self, *args: Any) -> None:
        raise DeferredInitializationError(
            f"{type(self).__name__} has parameters of unknown shape and does not implement infer_shape; "
            "give the shapes (e.g. in_units) when creating it")

    def hybrid_forward(self, F: Any, x: Any, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement hybrid_forward")


__all__ = ["Block", "HybridBlock", "NDArray", "MXNetError"]
