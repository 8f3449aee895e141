"""``mx.nd.CachedOp``: call a Symbol graph like a function, imperatively and under autograd."""
from __future__ import annotations

from typing import Any, List, Optional, Sequence, Union

from ..base import MXNetError
from .ndarray import NDArray


class CachedOp:
    """``CachedOp(sym, flags=())(*args, out=None)``: run ``sym`` with one NDArray per ``sym.list_inputs()``
    entry, in that order (data and parameters alike), returning an NDArray (or a list for several outputs).

    Runs on the face's graph executor (the one SymbolBlock uses); ``flags`` (MXNet's static_alloc,
    static_shape, ...) are accepted and have no effect.
    """

    def __init__(self, sym: Any, flags: Sequence[Any] = (), thread_safe: bool = False) -> None:
        from ..gluon.symbol_block import SymbolBlock
        from ..symbol.symbol import Symbol, var

        if not isinstance(sym, Symbol):
            raise MXNetError(f"CachedOp: expected an mx.sym.Symbol, got {type(sym).__name__}")
        self._inputs = sym.list_inputs()
        self._block = SymbolBlock(sym, [var(n) for n in self._inputs])
        self._n_out = len(sym.list_outputs())

    def __call__(self, *args: NDArray, out: Optional[Union[NDArray, List[NDArray]]] = None,
                 default_ctx: Any = None) -> Any:
        if len(args) != len(self._inputs):
            raise MXNetError(f"CachedOp: the graph takes {len(self._inputs)} input(s) {self._inputs}, "
                             f"got {len(args)}")
        result = self._block(*args)
        if out is None:
            return result
        outs = out if isinstance(out, (list, tuple)) else [out]
        results = result if isinstance(result, (list, tuple)) else [result]
        for o, r in zip(outs, results):
            o[:] = r
        return out
