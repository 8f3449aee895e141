"""``gluon.Block`` and ``gluon.HybridBlock``: containers of parameters and child blocks, named as MXNet
names them (``dense0_``, ``mlp0_dense1_weight``), with deferred shape inference on first call.

``hybridize()`` is accepted and runs the block imperatively (same results); graph capture is later work.
"""
from __future__ import annotations

import re
import threading
from collections import OrderedDict
from typing import Any, Dict, Optional

from .. import ndarray as nd
from ..base import MXNetError
from ..ndarray.ndarray import NDArray
from .parameter import DeferredInitializationError, Parameter, ParameterDict

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
    return cls.__name__.lower()


class Block:
    """Base class of layers and models: override ``forward(*args)``; children assigned as attributes
    (or added with ``register_child``) are collected with their parameters."""

    def __init__(self, prefix: Optional[str] = None, params: Optional[ParameterDict] = None) -> None:
        self._empty_prefix = prefix == ""
        self._prefix, self._params = _BlockScope.create(prefix, params, _hint(type(self)))
        self._name = self._prefix[:-1] if self._prefix.endswith("_") else self._prefix
        self._scope = _BlockScope(self)
        self._children: "OrderedDict[str, Block]" = OrderedDict()
        self._reg_params: "OrderedDict[str, Parameter]" = OrderedDict()

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, Block):
            self.register_child(value, name)
        elif isinstance(value, Parameter):
            self.__dict__.setdefault("_reg_params", OrderedDict())[name] = value
        super().__setattr__(name, value)

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

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.forward(*args, **kwargs)

    def forward(self, *args: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement forward")


class HybridBlock(Block):
    """A block written as ``hybrid_forward(F, x, *args, **params)`` where ``F`` is ``mx.nd`` and the
    registered parameters arrive as keyword arguments. Unknown parameter shapes are inferred from the
    first input through ``infer_shape`` (layers implement it)."""

    def forward(self, x: Any, *args: Any) -> Any:
        params = {}
        for name, p in self._reg_params.items():
            try:
                params[name] = p.data()
            except DeferredInitializationError:
                self.infer_shape(x, *args)
                for q in self._reg_params.values():
                    q._finish_deferred_init()
                params[name] = p.data()
        return self.hybrid_forward(nd, x, *args, **params)

    def infer_shape(self, *args: Any) -> None:
        raise DeferredInitializationError(
            f"{type(self).__name__} has parameters of unknown shape and does not implement infer_shape; "
            "give the shapes (e.g. in_units) when creating it")

    def hybrid_forward(self, F: Any, x: Any, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must implement hybrid_forward")


__all__ = ["Block", "HybridBlock", "NDArray", "MXNetError"]
