"""``gluon.Parameter`` and ``gluon.ParameterDict``: named, lazily shaped, initialized arrays.

A parameter whose shape has unknown (0) dims is initialized when its block first sees data
(deferred initialization, as Gluon does); until then ``data()`` raises Gluon's deferred-init error.
"""
from __future__ import annotations

import re
import warnings
from collections import OrderedDict
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np

import unidl
from unidl.nn import layouts
from unidl.tensor import Tensor

from .. import initializer
from ..base import MXNetError
from ..context import Context, current_context
from ..ndarray.ndarray import NDArray, wrap
from ..util import _NP, frontend_array


class DeferredInitializationError(MXNetError):
    """A parameter's data was needed before its shape was known."""


class _ParamAssert(MXNetError, AssertionError):
    """A bad argument MXNet rejects with an ``assert`` (so an AssertionError there)."""


_STYPES = ("default", "row_sparse", "csr")


def _attach_grad(t: Tensor, req: str) -> None:
    try:
        t.attach_grad(req, any_dtype=True)  # MXNet gives integer parameters gradients of their dtype
    except TypeError:  # a core without the ``any_dtype`` switch
        t.attach_grad(req)


try:  # mx.nd's context labels (cpu(i) are labels of the one host CPU) and dense-backed sparse views
    from ..ndarray.ndarray import as_stype as _nd_as_stype, placed as _placed
except ImportError:  # pragma: no cover - an mx.nd without them
    _nd_as_stype = _placed = None


def _labeled(arr: Any, ctx: Optional[Context]) -> Any:
    """``arr`` reporting ``ctx`` as its context (cpu(i) contexts are labels of the one host CPU)."""
    if ctx is not None and _placed is not None:
        _placed(arr, ctx)
    return arr


def _as_stype(arr: Any, stype: str) -> Any:
    """``arr`` as an array of storage type ``stype`` (dense-backed: the same tensor, MXNet's sparse class)."""
    if stype == "default":
        return arr
    if _nd_as_stype is not None:
        return _nd_as_stype(arr._t, stype)
    return arr.tostype(stype)


class Parameter:
    """A trainable (or auxiliary) array of a Block.

    The data is one copy per context given to ``initialize`` (``list_data()``, ``data(ctx)``); Gluon's
    Trainer keeps the copies equal (it sums their gradients before updating).

    Args:
        name: the full name (the block's prefix + the local name, e.g. ``dense0_weight``).
        grad_req: 'write', 'add' or 'null'.
        shape: may contain 0 for dims inferred from the first input.
        init: this parameter's own initializer (overrides the one given to ``initialize``).
        stype, grad_stype: storage types of the data and the gradient ('default', 'row_sparse', 'csr');
            sparse storage is dense-backed (same values, MXNet's access rules).
    """

    _nd: Any = None

    def __init__(self, name: str, grad_req: str = "write", shape: Any = None, dtype: Any = np.float32,
                 lr_mult: float = 1.0, wd_mult: float = 1.0, init: Any = None,
                 allow_deferred_init: bool = False, differentiable: bool = True, stype: str = "default",
                 grad_stype: str = "default") -> None:
        if grad_stype not in _STYPES:
            raise _ParamAssert(f"grad_stype for Parameter '{name}' must be one of 'default', 'row_sparse', or 'csr', "
                               f"but got '{grad_stype}'")
        if stype not in _STYPES:
            raise _ParamAssert(f"stype for Parameter '{name}' must be one of 'default', 'row_sparse', or 'csr', "
                               f"but got '{stype}'")
        self.name = name
        self._shape = (shape,) if isinstance(shape, int) else (tuple(shape) if shape is not None else None)
        self._dtype = np.dtype(dtype).type
        self._dtype_as_given = dtype  # MXNet prints the dtype as passed ('float32', or <class 'numpy.float32'>)
        self.lr_mult, self.wd_mult = lr_mult, wd_mult
        self.init = init
        self._allow_deferred_init = allow_deferred_init
        self._differentiable = differentiable
        self._stype, self._grad_stype = stype, grad_stype
        if grad_req not in ("write", "add", "null"):
            raise _ParamAssert(f"grad_req must be one of 'write', 'add', or 'null', but got '{grad_req}'")
        self._grad_req = grad_req if differentiable else "null"
        #: the data, one tensor per context of ``_ctx_list`` (None until initialized)
        self._ts: Optional[List[Tensor]] = None
        self._ctx_list: Optional[List[Context]] = None
        self._ctx_index: Dict[Context, int] = {}
        #: memory order of the data (``unidl.nn.layouts``): set by layers whose weight the core keeps in
        #: another axis order than Gluon shows (Dense, RNN); None = C order
        self._order: Optional[Tuple[int, ...]] = None
        #: (init, ctx list, default_init, data or None) while initialization waits for the shape
        self._deferred: Optional[Tuple[Any, Any, Any, Any]] = None
        self._trainer: Any = None
        self._var: Any = None
        self._nd = None  # the array ``data()`` gave for the one context (see there)

    def __repr__(self) -> str:
        return f"Parameter {self.name} (shape={self.shape}, dtype={self._dtype_as_given})"

    # -- facts ------------------------------------------------------------------------------------
    @property
    def shape(self) -> Optional[Tuple[int, ...]]:
        if self._shape is None or not _np_shape():
            return self._shape
        return tuple(d if d != 0 else -1 for d in self._shape)  # numpy shape semantics: unknown is -1

    @shape.setter
    def shape(self, new: Sequence[int]) -> None:
        new = tuple(new)
        if self._shape is not None:
            ok = len(new) == len(self._shape) and all(o in (-1, 0, n) for o, n in zip(self._shape, new))
            if not ok:
                raise MXNetError(f"Expected shape {new} is incompatible with given shape {self._shape} "
                                 f"for Parameter '{self.name}'")
        self._shape = new

    def _shape_known(self) -> bool:
        return self._shape is not None and all(d > 0 for d in self._shape)

    @property
    def dtype(self) -> Any:
        return self._dtype

    @dtype.setter
    def dtype(self, dtype: Any) -> None:
        self.cast(dtype)

    @property
    def stype(self) -> str:
        return self._stype

    @property
    def grad_stype(self) -> str:
        return self._grad_stype

    @property
    def _t(self) -> Optional[Tensor]:
        """The data tensor of the first context (None until initialized)."""
        ts = self._ts
        return ts[0] if ts else None

    @property
    def _data(self) -> Optional[List[Any]]:
        """The data arrays, one per context (MXNet's attribute; sparse parameters give sparse arrays)."""
        if self._ts is None:
            return None
        return [_as_stype(_labeled(self._front(t), c), self._stype) for t, c in zip(self._ts, self._ctx_list)]

    @property
    def _grad(self) -> Optional[List[Any]]:
        """The gradient arrays, one per context; None when grad_req is 'null' or before initialization."""
        if self._ts is None or self._grad_req == "null":
            return None
        return [_as_stype(_labeled(self._front(t.grad), c), self._grad_stype)
                for t, c in zip(self._ts, self._ctx_list) if t.grad is not None] or None

    # -- initialization ------------------------------------------------------------------------------
    def initialize(self, init: Any = None, ctx: Any = None, default_init: Any = None,
                   force_reinit: bool = False) -> None:
        """Allocate and fill the data on ``ctx`` (a Context or a list of them: one copy per context;
        deferred when the shape is not yet known)."""
        if self._ts is not None and not force_reinit:
            warnings.warn(f"Parameter '{self.name}' is already initialized, ignoring. Set force_reinit=True "
                          "to re-initialize.", stacklevel=2)
            return
        self._ts = None
        ctx = _ctx_list(ctx)
        if init is None:
            init = default_init if self.init is None else self.init
        self._deferred = (init, ctx, default_init, None)
        if not self._shape_known():
            if self._allow_deferred_init:
                return
            self._deferred = None
            raise MXNetError(f"Cannot initialize Parameter '{self.name}' because it has invalid shape: "
                             f"{self._shape}.")
        self._finish_deferred_init()

    def _finish_deferred_init(self) -> None:
        if self._deferred is None:
            return
        init, ctx, default_init, data = self._deferred
        if not self._shape_known():
            raise DeferredInitializationError(
                f"Parameter '{self.name}' has not been initialized yet because initialization was deferred. "
                "Actual initialization happens during the first forward pass. Please pass one batch of data "
                "through the network before accessing Parameters.")
        t = layouts.zeros(self._shape, self._dtype, self._order, ctx[0].unidl_device)
        with unidl.no_grad():
            if data is None:
                # an mx.np.ndarray under npx.set_np(), as MXNet hands custom _init_weight
                initializer.create(default_init if init is None else init)(self.name, frontend_array(t))
            else:
                unidl.ops.setitem(t, Ellipsis, _tensor_of(data, t))
        self._deferred = None
        self._init_impl(t, ctx)

    def _front(self, t: Tensor) -> Any:
        """``t`` as the array type fixed when the data was created (``mx.np.ndarray`` if that was under
        ``npx.set_np()`` or in a ``use_np`` scope, else ``NDArray``), as MXNet keeps it."""
        np_array = getattr(self, "_np_array", None)
        if np_array is None:
            return frontend_array(t)
        if np_array:
            from ..numpy.multiarray import _wrap

            return _wrap(t)
        return NDArray(t)

    def _init_impl(self, t: Tensor, ctx_list: List[Context]) -> None:
        """Take ``t`` as the data on ``ctx_list[0]`` and copies of it on the other contexts."""
        self._np_array = _NP.array
        self._nd = None
        ts = [t]
        for c in ctx_list[1:]:
            ts.append(self._copy_to(t, c))
        self._ctx_list = list(ctx_list)
        self._ctx_index = {}
        for i, c in enumerate(self._ctx_list):
            self._ctx_index.setdefault(c, i)
        for x, c in zip(ts, self._ctx_list):
            if self._grad_req != "null":
                _attach_grad(x, self._grad_req)
            _labeled(wrap(x), c)
        self._ts = ts

    def _copy_to(self, t: Tensor, ctx: Context) -> Tensor:
        out = layouts.zeros(t.shape, t.dtype, self._order, ctx.unidl_device)
        with unidl.no_grad():
            unidl.ops.setitem(out, Ellipsis, unidl.ops.to_device(t.detach(), out.device))
        return out

    def _attach(self, t: Tensor) -> None:
        """Replace the data with ``t`` on the parameter's (first) context."""
        ctx = self._ctx_list or [current_context()]
        self._init_impl(t, ctx)

    def _lay_out(self, kind: str) -> "Parameter":
        """Keep this parameter in the core's canonical memory order for ``kind`` (``unidl.nn.layouts``),
        shown in Gluon's axis order; returns self."""
        self._order = layouts.memory_order(kind, "oi", len(self._shape))
        return self

    def _not_ready(self) -> MXNetError:
        if self._deferred is not None:
            return DeferredInitializationError(
                f"Parameter '{self.name}' has not been initialized yet because initialization was deferred. "
                "Actual initialization happens during the first forward pass. Please pass one batch of data "
                "through the network before accessing Parameters. You can also avoid deferred initialization "
                "by specifying in_units, num_features, etc., for network layers.")
        return MXNetError(f"Parameter '{self.name}' has not been initialized. Note that you should initialize "
                          "parameters and create Trainer with Block.collect_params() instead of Block.params "
                          "because the later does not include Parameters of nested child Blocks")

    def _check(self) -> Tensor:
        ts = self._ts
        if ts is not None:
            return ts[0]
        raise self._not_ready()

    def _index(self, ctx: Optional[Context]) -> int:
        """Which copy serves ``ctx`` (None: the only one, or the current context's)."""
        ts = self._ts
        if ts is None:
            raise self._not_ready()
        if ctx is None:
            if len(ts) == 1:
                return 0
            ctx = current_context()
        i = self._ctx_index.get(ctx)
        if i is None:
            raise MXNetError(f"Parameter '{self.name}' was not initialized on context {ctx}. It was only "
                             f"initialized on {self._ctx_list}.")
        return i

    def _tensor(self, ctx: Optional[Context] = None) -> Tensor:
        """The data tensor for ``ctx`` (what layers compute with)."""
        ts = self._ts
        if ts is not None and len(ts) == 1 and (ctx is None or ctx in self._ctx_index):
            return ts[0]
        return ts[self._index(ctx)] if ts is not None else self._check()

    # -- access ----------------------------------------------------------------------------------------
    def data(self, ctx: Optional[Context] = None) -> NDArray:
        """The parameter's array on ``ctx`` (shared with the parameter, not a copy; ``mx.np.ndarray`` under
        set_np). Sparse parameters are read with :meth:`row_sparse_data`."""
        if self._stype != "default":
            raise MXNetError(f"Cannot return a copy of Parameter '{self.name}' on ctx {ctx} via data() because its "
                             f"storage type is {self._stype}. Please use row_sparse_data() instead.")
        ts = self._ts
        if ts is not None and len(ts) == 1 and ctx is None:  # the common case: one context
            # one array object per data tensor, as MXNet keeps it (``data() is data()``); it is made anew
            # whenever the tensor is (initialize, cast, load, reset_ctx: a new ``_ts``)
            t = ts[0]
            a = self._nd
            if a is None or a._t is not t:
                a = self._nd = self._front(t)
            return a
        i = self._index(ctx)
        return _labeled(self._front(self._ts[i]), self._ctx_list[i])

    def list_data(self) -> List[NDArray]:
        """The arrays on every context, in the order of initialization."""
        if self._stype != "default":
            raise MXNetError(f"Cannot return copies of Parameter '{self.name}' on all contexts via list_data() "
                             f"because its storage type is {self._stype}. Please use row_sparse_data() instead.")
        if self._ts is None:
            raise self._not_ready()
        return [_labeled(self._front(t), c) for t, c in zip(self._ts, self._ctx_list)]

    def row_sparse_data(self, row_id: Any) -> Any:
        """The row_sparse parameter on ``row_id``'s context, keeping only the rows in ``row_id`` (pulled from
        the Trainer's kvstore)."""
        if self._stype != "row_sparse":
            raise MXNetError(f"Cannot return a copy of Parameter {self.name} via row_sparse_data() because its "
                             f"storage type is {self._stype}. Please use data() instead.")
        return self._get_row_sparse(row_id.context if hasattr(row_id, "context") else None, row_id)[0]

    def list_row_sparse_data(self, row_id: Any) -> List[Any]:
        """The row_sparse parameter on every context, keeping only the rows in ``row_id``."""
        if self._stype != "row_sparse":
            raise MXNetError(f"Cannot return copies of Parameter '{self.name}' on all contexts via "
                             f"list_row_sparse_data() because its storage type is {self._stype}. Please use "
                             "data() instead.")
        return self._get_row_sparse(list, row_id)

    def _get_row_sparse(self, ctx: Any, row_id: Any) -> List[Any]:
        from ..ndarray.ndarray import NDArray as _ND

        if not isinstance(row_id, _ND):
            raise TypeError(f"row_id must have NDArray type, but {type(row_id)} is given")
        if not self._trainer:
            raise MXNetError(f"Cannot get row_sparse data for Parameter '{self.name}' when no Trainer is created "
                             "with it.")
        idx = list(range(len(self._ts))) if ctx is list else [self._index(ctx)] if self._ts is not None \
            else self._check()
        outs = [wrap(self._ts[i]) for i in idx]
        self._trainer._row_sparse_pull(self, outs, row_id)
        return [_as_stype(_labeled(self._front(self._ts[i]), self._ctx_list[i]), "row_sparse") for i in idx]

    def grad(self, ctx: Optional[Context] = None) -> NDArray:
        """The gradient array written by the last backward (on ``ctx``)."""
        if self._ts is not None and self._grad_req == "null":
            raise MXNetError(f"Cannot get gradient array for Parameter '{self.name}' because grad_req='null'")
        i = self._index(ctx)
        g = self._ts[i].grad
        if g is None:
            raise MXNetError(f"Cannot get gradient array for Parameter '{self.name}' because grad_req='null'")
        return _as_stype(_labeled(self._front(g), self._ctx_list[i]), self._grad_stype)

    def list_grad(self) -> List[NDArray]:
        """The gradient arrays on every context, in the order of initialization."""
        if self._ts is not None and self._grad_req == "null":
            raise MXNetError(f"Cannot get gradient array for Parameter '{self.name}' because grad_req='null'")
        if self._ts is None:
            raise self._not_ready()
        return [_as_stype(_labeled(self._front(t.grad), c), self._grad_stype)
                for t, c in zip(self._ts, self._ctx_list)]

    def list_ctx(self) -> List[Context]:
        """The contexts this parameter is initialized on."""
        if self._ts is None:
            if self._deferred is not None:
                return list(self._deferred[1])
            raise MXNetError(f"Parameter '{self.name}' has not been initialized")
        return list(self._ctx_list)

    def reset_ctx(self, ctx: Any) -> None:
        """Move the parameter to ``ctx`` (a Context or a list): the copies become the mean of the current ones."""
        ctx = _ctx_list(ctx)
        if self._ts is not None:
            with unidl.no_grad():
                self._init_impl(self._copy_to(self._reduce_tensor(), ctx[0]), ctx)
        elif self._deferred is not None:
            init, _, default_init, data = self._deferred
            self._deferred = (init, ctx, default_init, data)
        else:
            raise MXNetError(f"Cannot reset context for Parameter '{self.name}' because it has not been "
                             "initialized.")

    def _reduce_tensor(self) -> Tensor:
        """The mean of the copies (the one copy when there is one), on the first copy's device."""
        self._check()
        ts = self._ts
        if len(ts) == 1:
            return ts[0].detach()
        with unidl.no_grad():
            total = ts[0].detach()
            for t in ts[1:]:
                total = unidl.ops.add(total, unidl.ops.to_device(t.detach(), total.device))
            return unidl.ops.astype(unidl.ops.divide(total, len(ts)), total.dtype)

    def _reduce(self) -> NDArray:
        """The parameter's value as one array (the mean of the copies), as MXNet's ``_reduce``."""
        return wrap(self._reduce_tensor())

    def _load_saved(self, value: Any, ctx: Any, cast_dtype: bool, dtype_source: str) -> None:
        """Take ``value`` read from a parameter file: MXNet's shape check (0 = a dim not yet known), the
        ``cast_dtype``/``dtype_source`` rule, allocation if never initialized, then :meth:`set_data`."""
        if self._shape is not None and (len(self._shape) != len(value.shape)
                                        or any(o not in (-1, 0, n) for o, n in zip(self._shape, value.shape))):
            raise MXNetError(f"Failed loading Parameter '{self.name}' from saved params: shape incompatible "
                             f"expected {self.shape} vs saved {value.shape}")
        if cast_dtype and dtype_source == "current":
            value = value.astype(self._dtype)
        elif cast_dtype:
            self.cast(value.dtype)
        self.shape = value.shape
        if self._ts is None:
            if self._deferred is not None:
                ctx = self._deferred[1]
            elif ctx is None:
                ctx = [Context("cpu", 0)]
            ctx = _ctx_list(ctx)
            t = layouts.zeros(self._shape, self._dtype, self._order, ctx[0].unidl_device)
            with unidl.no_grad():
                unidl.ops.setitem(t, Ellipsis, _tensor_of(value, t))
            self._deferred = None
            self._init_impl(t, ctx)
            return
        self.set_data(value)

    def set_data(self, data: Any) -> None:
        """Replace the values on every context (shape must match; sets the shape of a deferred parameter)."""
        arr = data if hasattr(data, "_t") else NDArray(unidl.tensor(np.asarray(data, dtype=self._dtype)))
        self.shape = arr.shape
        if self._ts is None:
            if self._deferred is None:
                raise MXNetError(f"Parameter '{self.name}' has not been initialized")
            self._deferred = self._deferred[:3] + (arr,)
            if self._shape_known():
                self._finish_deferred_init()
            return
        tr = self._trainer
        if tr is not None and tr._kv_initialized and tr._update_on_kvstore and self not in tr._params_to_init:
            tr._reset_kvstore()  # the kvstore's copy is stale now
        with unidl.no_grad():
            for t in self._ts:
                unidl.ops.setitem(t, Ellipsis, _tensor_of(arr, t))

    def zero_grad(self) -> None:
        """Set the gradient to zeros (in place) on every context."""
        if self._ts is None or self._grad_req == "null":
            return
        with unidl.no_grad():
            for t in self._ts:
                if t.grad is not None:
                    unidl.ops.setitem(t.grad, Ellipsis, unidl.zeros_like(t.grad))

    @property
    def grad_req(self) -> str:
        return self._grad_req

    @grad_req.setter
    def grad_req(self, req: str) -> None:
        if req not in ("write", "add", "null"):
            raise _ParamAssert(f"grad_req must be one of 'write', 'add', or 'null', but got '{req}'")
        if not self._differentiable:
            req = "null"
        self._grad_req = req
        for t in self._ts or ():
            if req == "null":
                t.requires_grad, t.grad = False, None
                t._node = None
            else:
                _attach_grad(t, req)

    def _set_trainer(self, trainer: Any) -> None:
        """Remember the Trainer that updates this parameter (one only for sparse parameters)."""
        if self._stype != "default" and self._trainer and trainer and self._trainer is not trainer:
            raise MXNetError(f"Failed to set the trainer for Parameter '{self.name}' because it was already set. "
                             f"More than one trainers for a {self._stype} Parameter is not supported.")
        self._trainer = trainer

    def var(self) -> Any:
        """The ``mx.sym`` variable standing for this parameter in a graph."""
        if self._var is None:
            from .. import symbol

            self._var = symbol.var(self.name, shape=self.shape, dtype=self._dtype, lr_mult=self.lr_mult,
                                   wd_mult=self.wd_mult, init=self.init, stype=self._stype)
        return self._var

    def cast(self, dtype: Any) -> None:
        """Cast the data (and gradient) on every context to ``dtype``."""
        self._dtype = np.dtype(dtype).type
        self._dtype_as_given = dtype
        if self._ts is None:
            return
        ts = []
        for t in self._ts:
            c = unidl.ops.astype(t.detach(), self._dtype).detach()
            if self._order is not None:
                c.data = layouts.relayout(c.data, self._order)
            ts.append(c)
        for x, c in zip(ts, self._ctx_list):
            if self._grad_req != "null":
                _attach_grad(x, self._grad_req)
            _labeled(wrap(x), c)
        self._ts = ts
        self._nd = None


class Constant(Parameter):
    """A parameter that training never changes (``grad_req`` is always 'null'; ``set_data`` still works).

    ``Constant('const', [[1, 2], [3, 4]])`` or ``self.params.get_constant('const', value)`` in a Block.
    """

    def __init__(self, name: str, value: Any) -> None:
        if not hasattr(value, "_t"):
            from ..ndarray.ndarray import from_any

            value = from_any(value)  # mx.nd.array: float32 unless the source is an NDArray
        self.value = value
        super().__init__(name, grad_req="null", shape=value.shape, dtype=value.dtype, init=_ConstantInit(value))

    def __repr__(self) -> str:
        return f"Constant {self.name} (shape={self.shape}, dtype={self.dtype})"

    @property
    def grad_req(self) -> str:
        return "null"

    @grad_req.setter
    def grad_req(self, req: str) -> None:
        if req != "null":
            warnings.warn(f'Constant parameter "{self.name}" does not support grad_req other than "null", and new '
                          f'value "{req}" is ignored.')


class _ConstantInit(initializer.Initializer):
    """Fills a Constant's array with its value."""

    def __init__(self, value: Any) -> None:
        super().__init__()
        self._value = value

    def _init_weight(self, name: str, arr: Any) -> None:
        unidl.ops.setitem(arr._t, Ellipsis, _tensor_of(self._value, arr._t))


def _tensor_of(value: Any, like: Tensor) -> Tensor:
    """``value`` (an NDArray / mx.np array) as a tensor on ``like``'s device with its dtype."""
    t = value._t if hasattr(value, "_t") else unidl.tensor(np.asarray(value), device=like.device)
    if t.device is not like.device:
        t = unidl.ops.to_device(t.detach(), like.device)
    if t.dtype != like.dtype:
        t = unidl.ops.astype(t, like.dtype)
    return t


def _ctx_list(ctx: Any) -> List[Context]:
    if ctx is None:
        return [current_context()]
    if isinstance(ctx, Context):
        return [ctx]
    ctx = list(ctx)
    if not ctx or not all(isinstance(c, Context) for c in ctx):
        raise MXNetError(f"ctx must be a Context or a non-empty list of Contexts, got {ctx!r}")
    return ctx


def _np_shape() -> bool:
    from ..util import is_np_shape

    return is_np_shape()


class ParameterDict:
    """An ordered name -> Parameter mapping with a common prefix (``Block.params``)."""

    def __init__(self, prefix: str = "", shared: Optional["ParameterDict"] = None) -> None:
        self._prefix = prefix
        self._params: "OrderedDict[str, Parameter]" = OrderedDict()
        self._shared = shared

    @property
    def prefix(self) -> str:
        return self._prefix

    def __getitem__(self, key: str) -> Parameter:
        return self._params[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._params)

    def __len__(self) -> int:
        return len(self._params)

    def __contains__(self, key: str) -> bool:
        return key in self._params

    def keys(self):
        return self._params.keys()

    def values(self):
        return self._params.values()

    def items(self):
        return self._params.items()

    def __repr__(self) -> str:
        body = "\n".join(f"  {p!r}" for p in self.values())
        return f"{self.prefix} (\n{body}\n)" if body else f"{self.prefix} (\n)"

    def _get_impl(self, full: str) -> Optional[Parameter]:
        p = self._params.get(full)
        if p is None and self._shared is not None:
            p = self._shared._params.get(full)
            if p is not None:
                self._params[full] = p
        return p

    def get(self, name: str, **kwargs: Any) -> Parameter:
        """The parameter ``prefix + name`` (also looked up in the shared dict), created with ``kwargs`` if it does
        not exist yet. For an existing one, each given attribute must agree with the stored one; shapes agree
        where both dims are known, and unknown (0) dims are filled from the other."""
        full = self._prefix + name
        p = self._get_impl(full)
        if p is None:
            p = self._params[full] = Parameter(full, **kwargs)
            return p
        for k, v in kwargs.items():
            existing = getattr(p, k, None)
            if existing is None:
                if hasattr(p, k) or k in ("shape", "init"):
                    setattr(p, k, v)
                continue
            if k == "shape" and v is not None:
                v = (v,) if isinstance(v, int) else tuple(v)
                old = p._shape
                if len(v) == len(old) and all(a == b or a <= 0 or b <= 0 for a, b in zip(v, old)):
                    p._shape = tuple(b if a <= 0 else a for a, b in zip(v, old))
                    continue
            elif k == "dtype" and v is not None and np.dtype(v) == np.dtype(existing):
                continue
            elif k == "stype" and v == p._stype or k == "grad_stype" and v == p._grad_stype:
                continue
            if v is not None and not _equal(v, existing):
                raise _ParamAssert(f"Cannot retrieve Parameter '{full}' because desired attribute does not match "
                                   f"with stored for attribute '{k}': desired '{v}' vs stored '{existing}'.")
        return p

    def get_constant(self, name: str, value: Any = None) -> "Constant":
        """The Constant ``prefix + name``, created with ``value`` if it does not exist yet (a given ``value`` must
        equal an existing constant's)."""
        full = self._prefix + name
        p = self._get_impl(full)
        if p is None:
            if value is None:
                raise KeyError(f"No constant named '{full}'. Please specify value if you want to create a new "
                               "constant.")
            p = self._params[full] = Constant(full, value)
        elif value is not None:
            if not isinstance(p, Constant):
                raise _ParamAssert(f"Parameter '{full}' already exists but it is not a constant.")
            v = value.asnumpy() if hasattr(value, "asnumpy") else np.asarray(value)
            if p.shape != v.shape or not (p.value.asnumpy() == v).all():
                raise _ParamAssert(f"Constant '{full}' already exists but it's value doesn't match new value")
        return p

    def update(self, other: "ParameterDict") -> None:
        for k, v in other.items():
            if k in self._params and self._params[k] is not v:
                raise MXNetError(f"Cannot update self with other because they have different Parameters with "
                                 f"the same name '{k}'")
            self._params[k] = v

    def initialize(self, init: Any = None, ctx: Any = None, verbose: bool = False,
                   force_reinit: bool = False) -> None:
        """Initialize every parameter: its own ``init`` if it has one, else ``init`` (Uniform by default)."""
        default = initializer.create(init)
        for p in self.values():
            p.initialize(None, ctx, default, force_reinit=force_reinit)

    def zero_grad(self) -> None:
        for p in self.values():
            p.zero_grad()

    def setattr(self, name: str, value: Any) -> None:
        for p in self.values():
            setattr(p, name, value)

    def select(self, pattern: Optional[str]) -> "ParameterDict":
        out = ParameterDict(self._prefix)
        rx = re.compile(pattern) if pattern else None
        for k, v in self.items():
            if rx is None or rx.match(k):
                out._params[k] = v
        return out

    def list_ctx(self) -> List[Context]:
        """The contexts of the parameters (each once, in first-seen order)."""
        out: List[Context] = []
        for p in self.values():
            for c in p.list_ctx():
                if c not in out:
                    out.append(c)
        return out

    def reset_ctx(self, ctx: Any) -> None:
        """Move every parameter to ``ctx`` (a Context or a list of them)."""
        for p in self.values():
            p.reset_ctx(ctx)

    def save(self, filename: str, strip_prefix: str = "") -> None:
        """Write every parameter under its full name (less ``strip_prefix``) in MXNet's ``.params`` format."""
        from ..ndarray.utils import save

        arrays = OrderedDict()
        for p in self.values():
            if not p.name.startswith(strip_prefix):
                raise ValueError(f"Prefix '{strip_prefix}' is to be striped before saving, but Parameter's name "
                                 f"'{p.name}' does not start with '{strip_prefix}'.")
            arrays[p.name[len(strip_prefix):]] = p._reduce()
        save(filename, arrays)

    def load(self, filename: str, ctx: Any = None, allow_missing: bool = False, ignore_extra: bool = False,
             restore_prefix: str = "", cast_dtype: bool = False, dtype_source: str = "current") -> None:
        """Load a ``.params`` file saved by :meth:`save` (names are full parameter names, prefixed with
        ``restore_prefix``; ``arg:``/``aux:`` prefixes of ``export`` are accepted)."""
        from ..ndarray.utils import load

        if restore_prefix:
            for name in self.keys():
                if not name.startswith(restore_prefix):
                    raise ParameterLoadError(f"restore_prefix is '{restore_prefix}' but Parameters name "
                                             f"'{name}' does not start with '{restore_prefix}'.")
        loaded = load(filename, ctx)
        if not isinstance(loaded, dict):
            raise MXNetError(f"{filename}: the file holds an unnamed list of arrays, not parameters")
        self.load_dict(loaded, ctx, allow_missing, ignore_extra, restore_prefix, filename, cast_dtype,
                       dtype_source)

    def load_dict(self, param_dict: dict, ctx: Any = None, allow_missing: bool = False,
                  ignore_extra: bool = False, restore_prefix: str = "", filename: Optional[str] = None,
                  cast_dtype: bool = False, dtype_source: str = "current") -> None:
        """Set parameters from a name -> NDArray dict (see :meth:`load`)."""
        cut = len(restore_prefix)
        arrays = {restore_prefix + (k[4:] if k.startswith(("arg:", "aux:")) else k): v
                  for k, v in param_dict.items()}
        where = f"file: {filename}" if filename else "param_dict"
        if not allow_missing:
            for name in self.keys():
                if name not in arrays:
                    raise ParameterLoadError(
                        f"Parameter '{name[cut:]}' is missing in {where}, which contains parameters: "
                        f"{_brief(arrays)}. Please make sure source and target networks have the same prefix.")
        for name, value in arrays.items():
            if name not in self._params:
                if ignore_extra:
                    continue
                raise ParameterLoadError(
                    f"Parameter '{name[cut:]}' loaded from {where} is not present in ParameterDict, choices are: "
                    f"{_brief(self._params)}. Set ignore_extra to True to ignore. Please make sure source and "
                    "target networks have the same prefix.")
            self._params[name]._load_saved(value, ctx, cast_dtype, dtype_source)


def _equal(a: Any, b: Any) -> bool:
    try:
        return bool(a == b)
    except (ValueError, TypeError):
        return a is b


class ParameterLoadError(MXNetError, AssertionError):
    """``ParameterDict.load`` found missing or extra names (MXNet raises an AssertionError here)."""


def _brief(names: Any) -> str:
    keys = [repr(k) for k in names]
    return ", ".join(keys[:10]) + (f", ... ({len(keys)} in all)" if len(keys) > 10 else "")
