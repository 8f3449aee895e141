"""``gluon.SymbolBlock``: a block that runs a symbol graph (``SymbolBlock.imports`` of an exported model).

The graph's variables that are not inputs become parameters named exactly as the variables (``dense0_weight``);
those an op mutates (BatchNorm's moving statistics) get ``grad_req='null'``. Parameters of unknown shape are
sized from the first input, as MXNet infers them. The graph runs with :mod:`unidl.ops`
(:mod:`unidl_mxnet.symbol._executor` lists the operators supported).
"""
from __future__ import annotations

import os
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from ..base import MXNetError
from ..ndarray.ndarray import NDArray
from ..symbol import _executor
from ..symbol.symbol import Symbol, _Node, load as _load_symbol, var as _var
from .block import HybridBlock
from .parameter import ParameterLoadError, Parameter, ParameterDict

_FLAG_DTYPE = {0: np.float32, 1: np.float64, 2: np.float16, 3: np.uint8, 4: np.int32, 5: np.int8, 6: np.int64}


def _common_prefix(names: Sequence[str]) -> str:
    if not names:
        return ""
    prefix = os.path.commonprefix(list(names))
    return prefix


def _shape_attr(node: _Node) -> Optional[Tuple[int, ...]]:
    v = node.attrs.get("__shape__")
    if v is None:
        return None
    shape = _executor.parse_attr(v)
    if isinstance(shape, (tuple, list)) and all(isinstance(d, int) and d >= 0 for d in shape):
        return tuple(shape)
    return None


#: name suffix -> initializer, as MXNet's Initializer dispatches on names for graph parameters
_SUFFIX_INIT = (("bias", "zeros"), ("gamma", "ones"), ("beta", "zeros"), ("moving_mean", "zeros"),
                ("running_mean", "zeros"), ("moving_var", "ones"), ("running_var", "ones"))


def _default_init(node: _Node) -> Optional[str]:
    init = node.attrs.get("__init__")
    if init in ("zeros", "ones"):
        return init
    for suffix, name in _SUFFIX_INIT:
        if node.name.endswith(suffix):
            return name
    return None


class SymbolBlock(HybridBlock):
    """Runs the graph ``outputs`` (a Symbol or a list) with ``inputs`` (variables) as its arguments.

    ``forward(*arrays)`` takes one NDArray per input in the order of ``inputs`` and returns one NDArray per
    output (a list when there are several).
    """

    def __init__(self, outputs: Union[Symbol, Sequence[Symbol]], inputs: Union[Symbol, Sequence[Symbol]],
                 params: Optional[ParameterDict] = None) -> None:
        super().__init__(prefix="", params=None)
        self._params = ParameterDict("", params)
        inputs = [inputs] if isinstance(inputs, Symbol) else list(inputs)
        outputs = [outputs] if isinstance(outputs, Symbol) else list(outputs)
        for s in inputs:
            if not isinstance(s, Symbol) or len(s) != 1 or not s._outputs[0][0].is_var:
                raise MXNetError(f"SymbolBlock: inputs must be variables (mx.sym.var), got {s!r}")
        for s in outputs:
            if not isinstance(s, Symbol):
                raise MXNetError(f"SymbolBlock: outputs must be Symbols, got {type(s).__name__}")
        self._input_names = [s.name for s in inputs]
        out = Symbol([o for s in outputs for o in s._outputs])
        self._graph = out
        self._runner = _executor.GraphRunner(out._outputs)
        nodes = out._topo()
        known = {n.name for n in nodes if n.is_var}
        for name in self._input_names:
            if name not in known:
                raise MXNetError(f"SymbolBlock: input {name!r} is not a variable of the graph; its variables are "
                                 f"{sorted(known)}")
        label_only = self._softmax_labels(nodes)
        aux = set(out.list_auxiliary_states())
        var_nodes = [n for n in nodes if n.is_var]
        for n in [n for n in var_nodes if n.name not in aux] + [n for n in var_nodes if n.name in aux]:
            if n.name in self._input_names or n.name in label_only:
                continue
            kw: Dict[str, Any] = {"allow_deferred_init": True, "shape": _shape_attr(n)}
            flag = _executor.parse_attr(n.attrs["__dtype__"]) if "__dtype__" in n.attrs else None
            if isinstance(flag, int) and flag in _FLAG_DTYPE:
                kw["dtype"] = _FLAG_DTYPE[flag]
            if n.name in aux:
                kw["grad_req"] = "null"
            kw["init"] = _default_init(n)
            self._params.get(n.name, **kw)
        cut = len(_common_prefix(list(self._params.keys())))
        for key, p in self._params.items():
            self._reg_params[key[cut:]] = p
        self._by_name: Dict[str, Parameter] = dict(self._params.items())

    @staticmethod
    def _softmax_labels(nodes: List[_Node]) -> set:
        """Variables used only as SoftmaxOutput's label (not needed to compute its forward output)."""
        uses: Dict[str, List[Tuple[str, int]]] = {}
        for n in nodes:
            for slot, e in enumerate(n.inputs):
                if e[0].is_var:
                    uses.setdefault(e[0].name, []).append((n.op, slot))
        return {k for k, u in uses.items() if all(op == "SoftmaxOutput" and slot == 1 for op, slot in u)}

    @staticmethod
    def imports(symbol_file: str, input_names: Union[str, Sequence[str]], param_file: Optional[str] = None,
                ctx: Any = None, allow_missing: bool = False, ignore_extra: bool = False) -> "SymbolBlock":
        """Load ``symbol_file`` (a ``-symbol.json``) and, when given, the parameters in ``param_file``
        (``arg:``/``aux:`` prefixes stripped; values keep the file's dtype)."""
        sym = _load_symbol(symbol_file)
        names = [input_names] if isinstance(input_names, str) else list(input_names)
        inputs = [_var(n) for n in names]
        ret = SymbolBlock(sym, inputs)
        if param_file is not None:
            ret._load_params_file(param_file, ctx, allow_missing, ignore_extra)
        return ret

    def _load_params_file(self, filename: str, ctx: Any, allow_missing: bool, ignore_extra: bool) -> None:
        # ParameterDict.load(..., cast_dtype=True, dtype_source='saved') as MXNet's imports calls it
        from ..ndarray.utils import load

        loaded = load(filename, ctx)
        if not isinstance(loaded, dict):
            raise MXNetError(f"{filename}: the file holds an unnamed list of arrays, not parameters")
        arg_dict = {(k[4:] if k.startswith(("arg:", "aux:")) else k): v for k, v in loaded.items()}
        if not allow_missing:
            for name in self._params.keys():
                if name not in arg_dict:
                    raise ParameterLoadError(
                        f"Parameter '{name}' is missing in file '{filename}', which contains parameters: "
                        f"{_brief(arg_dict)}. Please make sure source and target networks have the same prefix.")
        for name, value in arg_dict.items():
            p = self._by_name.get(name)
            if p is None:
                if not ignore_extra:
                    raise ParameterLoadError(
                        f"Parameter '{name}' loaded from file '{filename}' is not present in ParameterDict, choices "
                        f"are: {_brief(self._params.keys())}. Set ignore_extra to True to ignore. Please make sure "
                        "source and target networks have the same prefix.")
                continue
            p.dtype = np.dtype(value.dtype).type
            if p._t is None and p._deferred is None:
                p.shape = value.shape
                p.initialize(init="zeros", ctx=ctx)
            p.set_data(value)

    def _get_var(self, node: _Node, consumer: _Node, slot: int, data_shape: Tuple[int, ...]) -> NDArray:
        v = self._feed.get(node.name)
        if v is not None:
            return v
        p = self._by_name.get(node.name)
        if p is None:
            raise MXNetError(f"SymbolBlock: variable {node.name!r} (input {slot} of {consumer.name!r}) is neither an "
                             f"input ({self._input_names}) nor a parameter")
        if p._t is None and not p._shape_known():
            shape = _executor.infer_param_shape(consumer.op, self._runner.attrs.get(id(consumer), {}), slot,
                                                data_shape)
            if shape is None:
                raise MXNetError(f"SymbolBlock: cannot infer the shape of parameter {p.name!r} (input {slot} of "
                                 f"{consumer.op} {consumer.name!r}); load its value first")
            p.shape = shape
        if p._t is None and p._deferred is not None:
            p._finish_deferred_init()
        return p.data()

    def forward(self, x: Any, *args: Any) -> Any:
        arrays = (x,) + args
        if len(arrays) != len(self._input_names):
            raise MXNetError(f"SymbolBlock: expected {len(self._input_names)} inputs {self._input_names}, got "
                             f"{len(arrays)}")
        for name, a in zip(self._input_names, arrays):
            if not isinstance(a, NDArray):
                raise MXNetError(f"SymbolBlock: input {name!r} must be an NDArray, got {type(a).__name__}")
        self._feed = dict(zip(self._input_names, arrays))
        try:
            outs = self._runner.run(self._get_var)
        finally:
            self._feed = {}
        return outs[0] if len(outs) == 1 else outs

    def _trace_symbol(self, *inputs: Symbol) -> Any:
        """The graph composed onto ``inputs`` (used when this block is traced for export)."""
        from ..symbol._trace import _param_var

        feed = dict(zip(self._input_names, [s._outputs[0] for s in inputs]))
        for name, p in self._by_name.items():
            feed[name] = _param_var(p)._outputs[0]
        copies: Dict[int, _Node] = {}

        def entry(node: _Node, idx: int) -> Tuple[_Node, int]:
            if node.is_var:
                return feed.get(node.name, (node, idx))
            return copies[id(node)], idx

        for n in self._graph._topo():
            if n.is_var:
                continue
            c = _Node(n.op, n.name, n.attrs, [], n.num_outputs)
            for e in n.inputs:
                src, i = entry(e[0], e[1])
                c.inputs.append([src, i, e[2]])
            copies[id(n)] = c
        outs = [Symbol([entry(n, i)]) for n, i in self._graph._outputs]
        return outs[0] if len(outs) == 1 else outs

    def hybrid_forward(self, F: Any, x: Any, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError("SymbolBlock runs its graph in forward")


def _brief(names: Any) -> str:
    keys = list(names)
    return ", ".join(keys[:10]) + (f", ... ({len(keys)} in all)" if len(keys) > 10 else "")


__all__ = ["SymbolBlock"]
