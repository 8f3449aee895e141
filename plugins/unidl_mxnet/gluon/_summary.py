"""``Block.summary(*inputs)``: run the block once on ``inputs`` and print MXNet 1.9's table — one row per
layer in the order the layers finish their forward (children before the parent that called them;
Sequential containers themselves are not listed), with the output shapes and the parameter counts,
then the totals (trainable / non-trainable, and parameters shared between layers)."""
from __future__ import annotations

from collections import OrderedDict
from typing import Any, Dict, List, Tuple

from ..ndarray.ndarray import NDArray

_LINE = "{:>20}  {:>42} {:>15}"


def _shapes(x: Any) -> Any:
    """NDArrays replaced by their shapes; tuples and lists become lists (as MXNet's regrouping does)."""
    if isinstance(x, (list, tuple)):
        return [_shapes(i) for i in x]
    if isinstance(x, NDArray):
        return tuple(int(d) for d in x.shape)
    return x


def shape_str(args: Any) -> str:
    """The "Output Shape" text of ``args``: ``(2, 10)`` for one array, ``(2, 5), [(1, 2), (1, 2)]`` for a
    (possibly nested) sequence of arrays (the outer brackets are dropped)."""
    s = _shapes(args)
    return str(s)[1:-1] if isinstance(s, list) else str(s)


class _Symbol:
    """Stands for the Symbol MXNet's shape-inference trace passes through a layer (printed as its repr)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"<Symbol {self.name}>"


def _walk(block: Any, out: List[Any]) -> None:
    out.append(block)
    for child in block._children.values():
        _walk(child, out)


def print_summary(net: Any, *inputs: Any) -> None:
    """Print the summary of ``net`` run on ``inputs`` (the net must be initialized)."""
    from .block import HybridBlock
    from .nn.basic_layers import HybridSequential, Sequential

    rows: "OrderedDict[str, Dict[str, Any]]" = OrderedDict()
    rows["Input"] = {"output_shape": shape_str(inputs), "n_params": 0, "trainable": 0, "shared": 0}
    seen: set = set()

    def record(block: Any, outputs: Any) -> None:
        key = f"{type(block).__name__}-{len(rows)}"
        n = trainable = shared = 0
        for p in block.params.values():
            size = p.data().size
            n += size
            trainable += 0 if p.grad_req == "null" else size
            if id(p) in seen:
                shared += size
            else:
                seen.add(id(p))
        rows[key] = {"output_shape": shape_str(outputs), "n_params": n, "trainable": trainable, "shared": shared}

    def wrap_forward(block: Any) -> Any:
        inner = block.forward  # the bound method (or an instance attribute already there)

        def forward(*args: Any, **kwargs: Any) -> Any:
            if isinstance(block, HybridBlock) and any(p._t is None and p._deferred is not None
                                                      for p in block._reg_params.values()):
                _symbolic_pass(block)
            out = inner(*args, **kwargs)
            record(block, out)
            return out

        return forward

    def _symbolic_pass(block: Any) -> None:
        # MXNet infers deferred shapes by tracing hybrid_forward with Symbols, so the children of such a
        # block (e.g. a Dense's Activation) report once with a Symbol "<Symbol prefix_fwd>" first
        for child in block._children.values():
            if isinstance(child, HybridBlock):
                _symbolic_pass(child)
                if not isinstance(child, (Sequential, HybridSequential)):
                    record(child, _Symbol(f"{child.prefix}fwd"))

    blocks: List[Any] = []
    _walk(net, blocks)
    patched: List[Tuple[Any, bool, Any]] = []
    try:
        for b in blocks:
            if isinstance(b, (Sequential, HybridSequential)):
                continue
            had = "forward" in b.__dict__
            patched.append((b, had, b.__dict__.get("forward")))
            object.__setattr__(b, "forward", wrap_forward(b))
        net(*inputs)
        total = trainable = shared = 0
        lines = ["-" * 80, _LINE.format("Layer (type)", "Output Shape", "Param #"), "=" * 80]
        for name, r in rows.items():
            lines.append(_LINE.format(name, str(r["output_shape"]), r["n_params"]))
            total += r["n_params"]
            trainable += r["trainable"]
            shared += r["shared"]
        lines += ["=" * 80,
                  "Parameters in forward computation graph, duplicate included",
                  f"   Total params: {total}",
                  f"   Trainable params: {trainable}",
                  f"   Non-trainable params: {total - trainable}",
                  f"Shared params in forward computation graph: {shared}",
                  f"Unique parameters in model: {total - shared}",
                  "-" * 80]
        print("\n".join(lines))
    finally:
        for b, had, old in reversed(patched):  # a block listed twice was wrapped twice
            if had:
                object.__setattr__(b, "forward", old)
            else:
                b.__dict__.pop("forward", None)


__all__ = ["print_summary", "shape_str"]
