"""``keras.layers.StackedRNNCells``: several RNN cells run as one (each feeds the next)."""
from __future__ import annotations

from typing import Any, Dict, List, Sequence, Tuple

from unidl.tensor import Tensor

from ..core.wrapper import deserialize_layer, serialize_layer
from ..layer import Layer
from .rnn import _takes, flat_state_sizes


class StackedRNNCells(Layer):
    """A stack of RNN cells behaving as a single cell: each step's output of cell k is the step input of
    cell k + 1.

    Args:
        cells: a list of RNN cells (each with ``call`` and ``state_size``).

    ``state_size``: the cells' state sizes, flattened in order; ``output_size``: the last cell's.
    Call: ``cell(inputs, states, training=None)`` with inputs (batch, features) and the flat list of
    all the cells' states (a list of per-cell lists is accepted too). Returns ``(output, new_states)``.
    Weights: each cell's weights, in order.
    """

    def __init__(self, cells: Sequence[Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        cells = list(cells)
        if not cells:
            raise ValueError("StackedRNNCells expects a non-empty list of cells.")
        for cell in cells:
            if not callable(getattr(cell, "call", None)):
                raise ValueError(f"All cells must have a `call` method. Received cell without a `call` method: {cell}")
            if not hasattr(cell, "state_size"):
                raise ValueError(f"All cells must have a `state_size` attribute. Received cell without a "
                                 f"`state_size`: {cell}")
        self.cells = cells

    @property
    def state_size(self) -> List[int]:
        return [s for c in self.cells for s in flat_state_sizes(c.state_size)]

    @property
    def output_size(self) -> int:
        last = self.cells[-1]
        out = getattr(last, "output_size", None)
        return int(out) if out is not None else flat_state_sizes(last.state_size)[0]

    def build(self, input_shape: Any) -> None:
        shape = tuple(input_shape)
        for cell in self.cells:
            if isinstance(cell, Layer) and not cell.built:
                cell.build(shape)
                cell.built = True
                cell._build_shapes = shape
            out = getattr(cell, "output_size", None)
            out = int(out) if out is not None else flat_state_sizes(cell.state_size)[0]
            shape = shape[:-1] + (out,)
        self.built = True

    def get_initial_state(self, batch_size: int) -> List[Tensor]:
        import unidl

        return [unidl.zeros((batch_size, s), dtype=self.compute_dtype) for s in self.state_size]

    def call(self, inputs: Tensor, states: Sequence[Any], training: Any = False) -> Tuple[Tensor, List[Tensor]]:
        counts = [len(flat_state_sizes(c.state_size)) for c in self.cells]
        states = list(states)
        if len(states) == len(self.cells) and any(isinstance(s, (list, tuple)) for s in states):
            states = [t for s in states for t in (s if isinstance(s, (list, tuple)) else [s])]
        if len(states) != sum(counts):
            raise ValueError(f"Layer '{self.name}' expects {sum(counts)} states ({counts} per cell); "
                             f"received {len(states)}.")
        x, new_states, i = inputs, [], 0
        for cell, n in zip(self.cells, counts):
            st = states[i:i + n]
            i += n
            x, new = cell.call(x, st, training=training) if _takes(cell.call, "training") else cell.call(x, st)
            new_states.extend(new if isinstance(new, (list, tuple)) else [new])
        return x, new_states

    def get_config(self) -> Dict[str, Any]:
        cfg = super().get_config()
        cfg["cells"] = [serialize_layer(c) for c in self.cells]
        return cfg

    @classmethod
    def from_config(cls, config: Dict[str, Any], custom_objects: Any = None) -> "StackedRNNCells":
        config = dict(config)
        config["cells"] = [deserialize_layer(c, custom_objects) for c in config["cells"]]
        return super().from_config(config)
