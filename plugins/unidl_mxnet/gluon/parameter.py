"""``gluon.Parameter`` and ``gluon.ParameterDict``: named, lazily shaped, initialized arrays.

A parameter whose shape has unknown (0) dims is initialized when its block first sees data
(deferred initialization, as Gluon does); until then ``data()`` raises Gluon's deferred-init error.
"""
from __future__ import annotations

import re
import warnings
from collections import OrderedDict
from typing import Any, Iterator, List, Optional, Sequence, Tuple

import numpy as np

import unidl
from unidl.nn import layouts
from unidl.tensor import Tensor

from .. import initializer
from ..base import MXNetError
from ..context import Context, current_context
from ..ndarray.ndarray import NDArray, wrap
from ..util import frontend_array


class DeferredInitializationError(MXNetError):
    """A parameter's data was needed before its shape was known."""


class Parameter:
    """A trainable (or auxiliary) array of a Block.

    Args:
        name: the full name (the block's prefix + the local name, e.g. ``dense0_weight``).
        grad_req: 'write', 'add' or 'null'.
        shape: may contain 0 for dims inferred from the first input.
        init: this parameter's own initializer (overrides the one given to ``initialize``).
    """

    def __init__(self, name: str, grad_req: str = "write", shape: Any = None, dtype: Any = "float32",
                 lr_mult: float = 1.0, wd_mult: float = 1.0, init: Any = None,
                 allow_deferred_init: bool = False, differentiable: bool = True, **kwargs: Any) -> None:
        self.name = name
        self._shape = (shape,) if isinstance(shape, int) else (tuple(shape) if shape is not None else None)
        self.dtype = np.dtype(dtype).type
        self.lr_mult, self.wd_mult = lr_mult, wd_mult
        self.init = init
        self._allow_deferred_init = allow_deferred_init
        self._differentiable = differentiable
        if grad_req not in ("write", "add", "null"):
            raise MXNetError(f"grad_req must be one of 'write', 'add', or 'null', but got '{grad_req}'")
        self._grad_req = grad_req if differentiable else "null"
        self._t: Optional[Tensor] = None
        #: memory order of the data (``unidl.nn.layouts``): set by layers whose weight the core keeps in
        #: another axis order than Gluon shows (Dense, RNN); None = C order
        self._order: Optional[Tuple[int, ...]] = None
        self._deferred: Optional[Tuple[Any, Any, Any]] = None
        self._ctx: Optional[Context] = None

    def __repr__(self) -> str:
        return f"Parameter {self.name} (shape={self.shape}, dtype={np.dtype(self.dtype).name})"

    # -- shape ------------------------------------------------------------------------------------
    @property
    def shape(self) -> Optional[Tuple[int, ...]]:
        return self._shape

    @shape.setter
    def shape(self, new: Sequence[int]) -> None:
        new = tuple(new)
        if self._shape is not None:
            ok = len(new) == len(self._shape) and all(o in (0, n) for o, n in zip(self._shape, new))
            if not ok:
                raise MXNetError(f"Expected shape {new} is incompatible with given shape {self._shape} "
                                 f"for Parameter '{self.name}'")
        self._shape = new

    def _shape_known(self) -> bool:
        return self._shape is not None and all(d > 0 for d in self._shape)

    # -- initialization ------------------------------------------------------------------------------
    def initialize(self, init: Any = None, ctx: Any = None, default_init: Any = None,
                   force_reinit: bool = False) -> None:
        """Allocate and fill the data on ``ctx`` (deferred when the shape is not yet known)."""
        if self._t is not None and not force_reinit:
            warnings.warn(f"Parameter '{self.name}' is already initialized, ignoring. Set force_reinit=True "
                          "to re-initialize.", stacklevel=2)
            return
        self._t = None
        ctx = ctx[0] if isinstance(ctx, (list, tuple)) else ctx
        ctx = ctx or current_context()
        if init is None:
            init = default_init if self.init is None else self.init
        self._deferred = (init, ctx, default_init)
        if not self._shape_known():
            if self._allow_deferred_init:
                return
            raise MXNetError(f"Cannot initialize Parameter '{self.name}' because it has invalid shape: "
                             f"{self._shape}.")
        self._finish_deferred_init()

    def _finish_deferred_init(self) -> None:
        if self._deferred is None:
            return
        init, ctx, _ = self._deferred
        if not self._shape_known():
            raise DeferredInitializationError(
                f"Parameter '{self.name}' has not been initialized yet because initialization was deferred. "
                "Actual initialization happens during the first forward pass. Please pass one batch of data "
                "through the network before accessing Parameters.")
        t = layouts.zeros(self._shape, self.dtype, self._order, ctx.unidl_device)
        with unidl.no_grad():
            initializer.create(init)(self.name, wrap(t))
        self._deferred = None
        self._ctx = ctx
        self._attach(t)

    def _attach(self, t: Tensor) -> None:
        self._t = t
        if self._grad_req != "null":
            t.attach_grad(self._grad_req)

    def _lay_out(self, kind: str) -> "Parameter":
        """Keep this parameter in the core's canonical memory order for ``kind`` (``unidl.nn.layouts``),
        shown in Gluon's axis order; returns self."""
        self._order = layouts.memory_order(kind, "oi", len(self._shape))
        return self

    def _check(self) -> Tensor:
        if self._t is not None:
            return self._t
        if self._deferred is not None:
            raise DeferredInitializationError(
                f"Parameter '{self.name}' has not been initialized yet because initialization was deferred. "
                "Actual initialization happens during the first forward pass. Please pass one batch of data "
                "through the network before accessing Parameters. You can also avoid deferred initialization "
                "by specifying in_units, num_features, etc., for network layers.")
        raise MXNetError(f"Parameter '{self.name}' has not been initialized. Note that you should initialize "
                         "parameters and create Trainer with Block.collect_params() instead of Block.params "
                         "because the later does not include Parameters of nested child Blocks")

    # -- access ----------------------------------------------------------------------------------------
    def data(self, ctx: Optional[Context] = None) -> NDArray:
        """The parameter's array (shared with the parameter, not a copy; ``mx.np.ndarray`` under set_np)."""
        return frontend_array(self._check())

    def list_data(self) -> List[NDArray]:
        return [self.data()]

    def grad(self, ctx: Optional[Context] = None) -> NDArray:
        """The gradient array written by the last backward."""
        t = self._check()
        if t.grad is None:
            raise MXNetError(f"Cannot get gradient array for Parameter '{self.name}' because grad_req='null'")
        return frontend_array(t.grad)

    def list_grad(self) -> List[NDArray]:
        return [self.grad()]

    def list_ctx(self) -> List[Context]:
        if self._t is None and self._deferred is not None:
            return [self._deferred[1]]
        self._check()
        return [self._ctx]

    def _load_saved(self, value: Any, ctx: Any, cast_dtype: bool, dtype_source: str) -> None:
        """Take ``value`` read from a parameter file: MXNet's shape check (0 = a dim not yet known), the
        ``cast_dtype``/``dtype_source`` rule, allocation if never initialized, then :meth:`set_data`."""
        if self.shape is not None and (len(self.shape) != len(value.shape)
                                       or any(o not in (0, n) for o, n in zip(self.shape, value.shape))):
            raise MXNetError(f"Failed loading Parameter '{self.name}' from saved params: shape incompatible "
                             f"expected {self.shape} vs saved {value.shape}")
        if cast_dtype and dtype_source == "current":
            value = value.astype(self.dtype)
        elif cast_dtype:
            self.cast(value.dtype)
        if self._t is None and self._deferred is None:
            self.initialize(ctx=ctx)  # allocate (the values are overwritten just below)
        self.set_data(value)

    def set_data(self, data: Any) -> None:
        """Replace the values (shape must match; sets the shape of a deferred parameter)."""
        arr = data if isinstance(data, NDArray) else NDArray(unidl.tensor(np.asarray(data, dtype=self.dtype)))
        self.shape = arr.shape
        if self._t is None:
            if self._deferred is None:
                raise MXNetError(f"Parameter '{self.name}' has not been initialized")
            self._finish_deferred_init()
        with unidl.no_grad():
            unidl.ops.setitem(self._t, Ellipsis, arr._t)

    def zero_grad(self) -> None:
        """Set the gradient to zeros."""
        if self._t is not None and self._t.grad is not None:
            self._t.grad = unidl.zeros_like(self._t.grad)

    @property
    def grad_req(self) -> str:
        return self._grad_req

    @grad_req.setter
    def grad_req(self, req: str) -> None:
        if req not in ("write", "add", "null"):
            raise MXNetError(f"grad_req must be one of 'write', 'add', or 'null', but got '{req}'")
        if not self._differentiable:
            req = "null"
        self._grad_req = req
        if self._t is not None:
            if req == "null":
                self._t.requires_grad, self._t.grad = False, None
            else:
                self._t.attach_grad(req)

    def cast(self, dtype: Any) -> None:
        self.dtype = np.dtype(dtype).type
        if self._t is not None:
            t = unidl.ops.astype(self._t.detach(), self.dtype).detach()
            if self._order is not None:
                t.data = layouts.relayout(t.data, self._order)
            self._attach(t)


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

    def get(self, name: str, **kwargs: Any) -> Parameter:
        """The parameter ``prefix + name``, created with ``kwargs`` if it does not exist yet."""
        full = self._prefix + name
        p = self._params.get(full)
        if p is None and self._shared is not None:
            p = self._shared._params.get(full)
            if p is not None:
                self._params[full] = p
        if p is None:
            p = self._params[full] = Parameter(full, **kwargs)
        elif "shape" in kwargs and kwargs["shape"] is not None:
            p.shape = kwargs["shape"]
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
        return sorted({c for p in self.values() for c in p.list_ctx()}, key=str)

    def save(self, filename: str, strip_prefix: str = "") -> None:
        """Write every parameter under its full name (less ``strip_prefix``) in MXNet's ``.params`` format."""
        from ..ndarray.utils import save

        arrays = OrderedDict()
        for p in self.values():
            if not p.name.startswith(strip_prefix):
                raise ValueError(f"Prefix '{strip_prefix}' is to be striped before saving, but Parameter's name "
                                 f"'{p.name}' does not start with '{strip_prefix}'.")
            arrays[p.name[len(strip_prefix):]] = p.data()
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


class ParameterLoadError(MXNetError, AssertionError):
    """``ParameterDict.load`` found missing or extra names (MXNet raises an AssertionError here)."""


def _brief(names: Any) -> str:
    keys = [repr(k) for k in names]
    return ", ".join(keys[:10]) + (f", ... ({len(keys)} in all)" if len(keys) > 10 else "")
