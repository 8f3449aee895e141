"""``gluon.rnn`` cells: one time step at a time, and ``unroll`` over a sequence.

A cell is called as ``output, new_states = cell(x, states)`` with x (N, C) and states a list of
(N, H) arrays (``state_info`` says which). The step math is :mod:`unidl.nn.functional`'s
``simple_rnn_cell`` / ``lstm_cell`` / ``gru_cell`` with Gluon's (G*H, C) weights (``weights_layout="oi"``),
the same functions the Keras frontend uses. Parameters are named as MXNet names them
(``lstm0_i2h_weight``, ``lstm0_h2h_bias``); ``input_size=0`` infers C at the first call.
"""
from __future__ import annotations

from typing import Any, Callable, List, Optional, Sequence, Tuple, Union

import unidl
from unidl import ops
from unidl.nn import functional as F_nn

from ... import ndarray as nd
from ...base import MXNetError, check_positive
from ...ndarray.ndarray import NDArray, wrap
from ..block import Block, HybridBlock

States = List[NDArray]


def _as_list(states: Any) -> States:
    if states is None:
        return []
    return [states] if isinstance(states, NDArray) else list(states)


def _check_layout(layout: str) -> int:
    """The time axis of ``layout`` ('NTC' -> 1, 'TNC' -> 0)."""
    if layout not in ("NTC", "TNC"):
        raise ValueError(f"Invalid layout {layout}; must be one of ['TNC' or 'NTC']")
    return layout.find("T")


def _split_steps(length: int, inputs: Any, layout: str) -> Tuple[List[NDArray], int]:
    """``inputs`` (an (N, T, C)/(T, N, C) array or a list of T (N, C) arrays) as a list of steps and the
    batch size."""
    axis = _check_layout(layout)
    if isinstance(inputs, NDArray):
        if inputs.ndim != 3:
            raise ValueError(f"unroll expects a 3-D input in layout {layout}, got shape {inputs.shape}")
        if inputs.shape[axis] != length:
            raise ValueError(f"unroll: length={length} but the input has {inputs.shape[axis]} steps "
                             f"on axis {axis} (layout {layout})")
        steps = [wrap(t) for t in ops.split(inputs._t, length, axis=axis)]
        steps = [wrap(ops.squeeze(s._t, axis)) for s in steps]
    else:
        steps = list(inputs)
        if len(steps) != length:
            raise ValueError(f"unroll: length={length} but {len(steps)} input steps were given")
    return steps, steps[0].shape[0]


def _merge(outputs: List[NDArray], layout: str) -> NDArray:
    return wrap(ops.stack([o._t for o in outputs], layout.find("T")))


def _time_mask(valid_length: NDArray, length: int, dtype: Any) -> Any:
    """(T, N) float mask: 1 where step t < valid_length[n] (a unidl Tensor)."""
    t = ops.reshape(unidl.arange(length, dtype=valid_length._t.dtype, device=valid_length._t.device), (length, 1))
    return ops.astype(ops.less(t, ops.reshape(valid_length._t, (1, -1))), dtype)


def _mask_and_last(outputs: List[NDArray], all_states: List[States], valid_length: NDArray
                   ) -> Tuple[List[NDArray], States]:
    """Zero the outputs past each sequence's valid length; the states at its last valid step."""
    T = len(outputs)
    m = _time_mask(valid_length, T, outputs[0]._t.dtype)  # (T, N)
    masked = [wrap(ops.multiply(o._t, ops.expand_dims(m[t], -1))) for t, o in enumerate(outputs)]
    last = ops.one_hot(ops.astype(ops.subtract(valid_length._t, 1), "int64"), T)  # (N, T)
    states = []
    for k in range(len(all_states[0])):
        stacked = ops.stack([s[k]._t for s in all_states], 1)  # (N, T, H)
        states.append(wrap(ops.sum(ops.multiply(stacked, ops.expand_dims(ops.astype(last, stacked.dtype), -1)),
                                   axis=1)))
    return masked, states


def _reverse_steps(steps: List[NDArray], valid_length: Optional[NDArray]) -> List[NDArray]:
    """Steps in reverse order; with ``valid_length``, each sequence's valid part is reversed in place
    (padding stays at the end), as MXNet's SequenceReverse."""
    if valid_length is None:
        return steps[::-1]
    T = len(steps)
    x = ops.stack([s._t for s in steps], 0)  # (T, N, ...)
    n = valid_length._t
    t = ops.reshape(unidl.arange(T, dtype=n.dtype, device=n.device), (T, 1))
    src = ops.where(ops.less(t, ops.reshape(n, (1, -1))), ops.subtract(ops.subtract(ops.reshape(n, (1, -1)), 1), t),
                    ops.add(t, ops.zeros_like(ops.reshape(n, (1, -1)))))  # (T, N)
    idx = ops.astype(src, "int64")
    idx = ops.reshape(idx, idx.shape + (1,) * (x.ndim - 2))
    idx = ops.add(idx, ops.zeros_like(ops.astype(x, "int64")))
    y = ops.take_along_axis(x, idx, 0)
    return [wrap(y[i]) for i in range(T)]


class RecurrentCell(Block):
    """Base class of recurrent cells: ``forward(inputs, states) -> (output, new_states)``."""

    _alias = "rnncell"

    def __init__(self, prefix: Optional[str] = None, params: Any = None) -> None:
        super().__init__(prefix=prefix, params=params)
        self._modified = False

    def reset(self) -> None:
        """Forget per-unroll bookkeeping (kept for compatibility; nothing is cached between unrolls)."""
        for c in self._children.values():
            if isinstance(c, RecurrentCell):
                c.reset()

    def state_info(self, batch_size: int = 0) -> List[dict]:
        """Shape and layout of each state: ``[{'shape': (N, H), '__layout__': 'NC'}, ...]``."""
        raise NotImplementedError(f"{type(self).__name__} must implement state_info")

    def begin_state(self, batch_size: int = 0, func: Callable[..., NDArray] = nd.zeros, **kwargs: Any) -> States:
        """Initial states, one ``func(shape=..., **kwargs)`` per entry of ``state_info(batch_size)``."""
        if self._modified:
            raise MXNetError("After applying modifier cells (e.g. ZoneoutCell) the base cell cannot be called "
                             "directly. Call the modifier cell instead.")
        if not batch_size:
            raise MXNetError(f"{type(self).__name__}.begin_state: give batch_size (the states are (N, H)); "
                             "shape (0, H) cannot be allocated")
        out = []
        for info in self.state_info(batch_size):
            args = dict(info or {})
            args.update(kwargs)
            out.append(func(**args))
        return out

    def unroll(self, length: int, inputs: Any, begin_state: Any = None, layout: str = "NTC",
               merge_outputs: Optional[bool] = None, valid_length: Optional[NDArray] = None
               ) -> Tuple[Union[NDArray, List[NDArray]], States]:
        """Run ``length`` steps.

        Shapes: inputs (N, T, C) ('NTC') or (T, N, C) ('TNC'), or a list of T (N, C) arrays;
        begin_state as ``begin_state(N)`` (zeros when None); valid_length (N,) or None.
        Returns ``(outputs, states)``: outputs one array in ``layout`` when ``merge_outputs`` is True, a
        list of T (N, H) arrays when False (None: the form the inputs came in); with ``valid_length`` the
        outputs past each sequence's end are zero and the states are those of its last valid step.
        """
        self.reset()
        steps, batch = _split_steps(length, inputs, layout)
        states = _as_list(begin_state) if begin_state is not None else self.begin_state(batch)
        outputs: List[NDArray] = []
        all_states: List[States] = []
        for x in steps:
            out, states = self(x, states)
            outputs.append(out)
            all_states.append(states)
        if valid_length is not None:
            outputs, states = _mask_and_last(outputs, all_states, valid_length)
        if merge_outputs is None:
            merge_outputs = isinstance(inputs, NDArray)
        return (_merge(outputs, layout) if merge_outputs else outputs), states

    def forward(self, inputs: NDArray, states: States) -> Tuple[NDArray, States]:
        raise NotImplementedError(f"{type(self).__name__} must implement forward")


class HybridRecurrentCell(RecurrentCell, HybridBlock):
    """A cell written as ``hybrid_forward(F, inputs, states, **params)``."""

    def forward(self, inputs: NDArray, states: Any) -> Tuple[NDArray, States]:
        return HybridBlock.forward(self, inputs, _as_list(states))


def _flat2d(x: NDArray, who: str) -> NDArray:
    """A step input as (N, C): higher ranks are flattened as MXNet's FullyConnected does."""
    if not isinstance(x, NDArray) or x.ndim < 2:
        raise MXNetError(f"{who}: expected a step input of shape (batch_size, input_size), got "
                         f"{getattr(x, 'shape', type(x).__name__)}")
    return x if x.ndim == 2 else wrap(ops.reshape(x._t, (x.shape[0], -1)))


class _GatedCell(HybridRecurrentCell):
    """Common parameter set of RNNCell/LSTMCell/GRUCell: i2h (G*H, C), h2h (G*H, H) and two biases."""

    _gates = 1

    def __init__(self, hidden_size: int, i2h_weight_initializer: Any = None, h2h_weight_initializer: Any = None,
                 i2h_bias_initializer: Any = "zeros", h2h_bias_initializer: Any = "zeros", input_size: int = 0,
                 prefix: Optional[str] = None, params: Any = None) -> None:
        super().__init__(prefix=prefix, params=params)
        check_positive(type(self).__name__, hidden_size=hidden_size)
        self._hidden_size, self._input_size = hidden_size, input_size
        G = self._gates * hidden_size
        get = self.params.get
        self.i2h_weight = get("i2h_weight", shape=(G, input_size), init=i2h_weight_initializer,
                              allow_deferred_init=True)._lay_out("rnn")
        self.h2h_weight = get("h2h_weight", shape=(G, hidden_size), init=h2h_weight_initializer,
                              allow_deferred_init=True)._lay_out("rnn")
        self.i2h_bias = get("i2h_bias", shape=(G,), init=i2h_bias_initializer, allow_deferred_init=True)
        self.h2h_bias = get("h2h_bias", shape=(G,), init=h2h_bias_initializer, allow_deferred_init=True)

    def state_info(self, batch_size: int = 0) -> List[dict]:
        return [{"shape": (batch_size, self._hidden_size), "__layout__": "NC"}] * self._n_states

    _n_states = 1

    def infer_shape(self, inputs: NDArray, *args: Any) -> None:
        x = _flat2d(inputs, type(self).__name__)
        self.i2h_weight.shape = (self._gates * self._hidden_size, x.shape[1])

    def _mapping(self) -> str:
        shape = self.i2h_weight.shape
        return f"{shape[1] if shape[1] else None} -> {shape[0]}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self._mapping()})"

    def _check_states(self, states: States) -> None:
        if len(states) != self._n_states:
            raise MXNetError(f"{type(self).__name__} expects {self._n_states} state(s) of shape "
                             f"(batch_size, {self._hidden_size}), got {len(states)}")


class RNNCell(_GatedCell):
    """Elman cell ``h' = activation(x W_i2h^T + b_i2h + h W_h2h^T + b_h2h)``; activation 'tanh' (default)
    or 'relu' (or any name :func:`unidl.nn.functional.get_activation` knows).

    Shapes: inputs (N, C), states [h (N, H)] -> output h' (N, H), states [h'].
    """

    _alias = "rnn"

    def __init__(self, hidden_size: int, activation: str = "tanh", i2h_weight_initializer: Any = None,
                 h2h_weight_initializer: Any = None, i2h_bias_initializer: Any = "zeros",
                 h2h_bias_initializer: Any = "zeros", input_size: int = 0, prefix: Optional[str] = None,
                 params: Any = None) -> None:
        super().__init__(hidden_size, i2h_weight_initializer, h2h_weight_initializer, i2h_bias_initializer,
                         h2h_bias_initializer, input_size, prefix, params)
        F_nn.get_activation(activation)  # unknown names fail here, not at the first step
        self._activation = activation

    def __repr__(self) -> str:
        return f"RNNCell({self._mapping()}, {self._activation})"

    def hybrid_forward(self, F: Any, inputs: NDArray, states: States, i2h_weight: NDArray, h2h_weight: NDArray,
                       i2h_bias: NDArray, h2h_bias: NDArray) -> Tuple[NDArray, States]:
        self._check_states(states)
        x = _flat2d(inputs, "RNNCell")
        h = wrap(F_nn.simple_rnn_cell(x._t, states[0]._t, i2h_weight._t, h2h_weight._t, i2h_bias._t, h2h_bias._t,
                                      activation=self._activation, weights_layout="oi"))
        return h, [h]


class LSTMCell(_GatedCell):
    """LSTM cell, gates i, f, c(g), o stacked in that order in the (4H, ...) weights.

    Shapes: inputs (N, C), states [h (N, H), c (N, H)] -> output h' (N, H), states [h', c'].
    """

    _alias = "lstm"
    _gates = 4
    _n_states = 2

    def __init__(self, hidden_size: int, i2h_weight_initializer: Any = None, h2h_weight_initializer: Any = None,
                 i2h_bias_initializer: Any = "zeros", h2h_bias_initializer: Any = "zeros", input_size: int = 0,
                 prefix: Optional[str] = None, params: Any = None, activation: str = "tanh",
                 recurrent_activation: str = "sigmoid") -> None:
        if activation != "tanh" or recurrent_activation != "sigmoid":
            raise NotImplementedError("LSTMCell: only activation='tanh' and recurrent_activation='sigmoid' "
                                      "are implemented")
        super().__init__(hidden_size, i2h_weight_initializer, h2h_weight_initializer, i2h_bias_initializer,
                         h2h_bias_initializer, input_size, prefix, params)

    def hybrid_forward(self, F: Any, inputs: NDArray, states: States, i2h_weight: NDArray, h2h_weight: NDArray,
                       i2h_bias: NDArray, h2h_bias: NDArray) -> Tuple[NDArray, States]:
        self._check_states(states)
        x = _flat2d(inputs, "LSTMCell")
        h, c = F_nn.lstm_cell(x._t, states[0]._t, states[1]._t, i2h_weight._t, h2h_weight._t, i2h_bias._t,
                              h2h_bias._t, weights_layout="oi")
        h = wrap(h)
        return h, [h, wrap(c)]


class GRUCell(_GatedCell):
    """GRU cell as MXNet computes it (gates r, z, n; the reset gate applied after the recurrent matmul):
    ``n = tanh(x W_n + b_in + r * (h U_n + b_hn))``, ``h' = (1 - z) * n + z * h``.

    Shapes: inputs (N, C), states [h (N, H)] -> output h' (N, H), states [h'].
    """

    _alias = "gru"
    _gates = 3

    def __init__(self, hidden_size: int, i2h_weight_initializer: Any = None, h2h_weight_initializer: Any = None,
                 i2h_bias_initializer: Any = "zeros", h2h_bias_initializer: Any = "zeros", input_size: int = 0,
                 prefix: Optional[str] = None, params: Any = None, activation: str = "tanh",
                 recurrent_activation: str = "sigmoid") -> None:
        super().__init__(hidden_size, i2h_weight_initializer, h2h_weight_initializer, i2h_bias_initializer,
                         h2h_bias_initializer, input_size, prefix, params)
        self._act, self._rec_act = activation, recurrent_activation

    def hybrid_forward(self, F: Any, inputs: NDArray, states: States, i2h_weight: NDArray, h2h_weight: NDArray,
                       i2h_bias: NDArray, h2h_bias: NDArray) -> Tuple[NDArray, States]:
        self._check_states(states)
        x = _flat2d(inputs, "GRUCell")
        h = wrap(F_nn.gru_cell(x._t, states[0]._t, i2h_weight._t, h2h_weight._t, i2h_bias._t, h2h_bias._t,
                               reset_after=True, gate_order="rzn", weights_layout="oi", activation=self._act,
                               recurrent_activation=self._rec_act))
        return h, [h]


# -- containers -----------------------------------------------------------------------------------------

class SequentialRNNCell(RecurrentCell):
    """Cells stacked: each step's output is the next cell's input; the states are all cells' states
    concatenated in order."""

    _alias = "sequentialrnncell"

    def add(self, cell: RecurrentCell) -> None:
        self.register_child(cell)

    def __getitem__(self, i: int) -> RecurrentCell:
        return list(self._children.values())[i]

    def __len__(self) -> int:
        return len(self._children)

    def __repr__(self) -> str:
        body = "\n".join(f"({k}): {c!r}" for k, c in self._children.items())
        return f"{type(self).__name__}(\n{body}\n)"

    def state_info(self, batch_size: int = 0) -> List[dict]:
        return [i for c in self._children.values() for i in c.state_info(batch_size)]

    def begin_state(self, batch_size: int = 0, func: Callable[..., NDArray] = nd.zeros, **kwargs: Any) -> States:
        return [s for c in self._children.values() for s in c.begin_state(batch_size, func, **kwargs)]

    def forward(self, inputs: NDArray, states: Any) -> Tuple[NDArray, States]:
        states = _as_list(states)
        want = len(self.state_info())
        if len(states) != want:
            raise MXNetError(f"{type(self).__name__} expects {want} states, got {len(states)}")
        new: States = []
        p = 0
        for cell in self._children.values():
            n = len(cell.state_info())
            inputs, st = cell(inputs, states[p:p + n])
            new.extend(st)
            p += n
        return inputs, new

    def unroll(self, length: int, inputs: Any, begin_state: Any = None, layout: str = "NTC",
               merge_outputs: Optional[bool] = None, valid_length: Optional[NDArray] = None
               ) -> Tuple[Union[NDArray, List[NDArray]], States]:
        """Unroll each cell over the whole sequence in turn (so a BidirectionalCell may be inside)."""
        self.reset()
        _, batch = _split_steps(length, inputs, layout)
        states = _as_list(begin_state) if begin_state is not None else self.begin_state(batch)
        new: States = []
        p = 0
        cells = list(self._children.values())
        for i, cell in enumerate(cells):
            n = len(cell.state_info())
            merge = None if i < len(cells) - 1 else merge_outputs
            inputs, st = cell.unroll(length, inputs, states[p:p + n], layout, merge, valid_length)
            new.extend(st)
            p += n
        return inputs, new


class HybridSequentialRNNCell(SequentialRNNCell, HybridBlock):
    """SequentialRNNCell of hybrid cells (runs imperatively, same results)."""

    _alias = "hybridsequentialrnncell"
    forward = SequentialRNNCell.forward


class DropoutCell(HybridRecurrentCell):
    """Dropout on each step's input while training (no states). ``axes`` share one mask along them.

    Shapes: inputs (N, C) -> (N, C); states [] -> [].
    """

    _alias = "dropout"

    def __init__(self, rate: float, axes: Sequence[int] = (), prefix: Optional[str] = None,
                 params: Any = None) -> None:
        super().__init__(prefix=prefix, params=params)
        if not isinstance(rate, (int, float)) or not 0 <= rate <= 1:
            raise MXNetError(f"DropoutCell: rate must be a number in [0, 1], got {rate!r}")
        self._rate, self._axes = float(rate), tuple(axes)

    def __repr__(self) -> str:
        return f"DropoutCell(rate={self._rate}, axes={self._axes})"

    def state_info(self, batch_size: int = 0) -> List[dict]:
        return []

    def begin_state(self, batch_size: int = 0, func: Callable[..., NDArray] = nd.zeros, **kwargs: Any) -> States:
        return []

    def hybrid_forward(self, F: Any, inputs: NDArray, states: States) -> Tuple[NDArray, States]:
        if self._rate == 0:
            return inputs, states
        noise = tuple(1 if i in self._axes else d for i, d in enumerate(inputs.shape)) if self._axes else None
        return wrap(ops.dropout(inputs._t, self._rate, noise_shape=noise)), states

    def unroll(self, length: int, inputs: Any, begin_state: Any = None, layout: str = "NTC",
               merge_outputs: Optional[bool] = None, valid_length: Optional[NDArray] = None
               ) -> Tuple[Union[NDArray, List[NDArray]], States]:
        """Dropout on the whole sequence at once when it comes as one array (same distribution)."""
        if isinstance(inputs, NDArray) and merge_outputs is not False and valid_length is None:
            _split_steps(length, inputs, layout)  # validates
            out, _ = self(inputs, [])
            return out, []
        return super().unroll(length, inputs, begin_state, layout, merge_outputs, valid_length)


class ModifierCell(RecurrentCell):
    """A cell wrapping ``base_cell`` and changing its behaviour; it shares the base cell's parameters and
    states. Named ``<base prefix><alias>`` (``gru0_residualcell``) as MXNet names it."""

    def __init__(self, base_cell: RecurrentCell) -> None:
        if base_cell._modified:
            raise MXNetError(f"Cell {base_cell.name} is already modified. One cell cannot be modified twice")
        base_cell._modified = True
        super().__init__(prefix=base_cell.prefix + self._alias, params=None)
        self.base_cell = base_cell

    @property
    def params(self) -> Any:
        return self.base_cell.params

    def state_info(self, batch_size: int = 0) -> List[dict]:
        return self.base_cell.state_info(batch_size)

    def begin_state(self, batch_size: int = 0, func: Callable[..., NDArray] = nd.zeros, **kwargs: Any) -> States:
        self.base_cell._modified = False
        try:
            return self.base_cell.begin_state(batch_size, func, **kwargs)
        finally:
            self.base_cell._modified = True

    def _base_step(self, inputs: NDArray, states: States) -> Tuple[NDArray, States]:
        return self.base_cell(inputs, states)


class ResidualCell(ModifierCell):
    """``output = base_cell(x) + x`` (the base cell's output size must equal the input size)."""

    _alias = "residualcell"

    def __repr__(self) -> str:
        return f"ResidualCell({self.base_cell!r})"

    def forward(self, inputs: NDArray, states: Any) -> Tuple[NDArray, States]:
        out, st = self._base_step(inputs, _as_list(states))
        if out.shape != inputs.shape:
            raise MXNetError(f"ResidualCell: the base cell's output {out.shape} must have the input's shape "
                             f"{inputs.shape}")
        return wrap(ops.add(out._t, inputs._t)), st


class ZoneoutCell(ModifierCell):
    """Zoneout (Krueger et al. 2016) while training: each unit keeps its previous output with probability
    ``zoneout_outputs`` and its previous state with probability ``zoneout_states``. The masks come from
    :func:`unidl.ops.dropout` on the default generator; outside training the base cell runs unchanged."""

    _alias = "zoneoutcell"

    def __init__(self, base_cell: RecurrentCell, zoneout_outputs: float = 0.0, zoneout_states: float = 0.0) -> None:
        if isinstance(base_cell, BidirectionalCell):
            raise MXNetError("BidirectionalCell doesn't support zoneout since it doesn't support step. "
                             "Please add ZoneoutCell to the cells underneath instead.")
        if isinstance(base_cell, SequentialRNNCell):
            raise MXNetError("Bidirectional SequentialRNNCell doesn't support zoneout. "
                             "Please add ZoneoutCell to the cells underneath instead.")
        super().__init__(base_cell)
        self.zoneout_outputs, self.zoneout_states = zoneout_outputs, zoneout_states
        self._prev_output: Optional[NDArray] = None

    def __repr__(self) -> str:
        return f"ZoneoutCell(p_out={self.zoneout_outputs}, p_state={self.zoneout_states}, {self.base_cell!r})"

    def reset(self) -> None:
        super().reset()
        self._prev_output = None

    def forward(self, inputs: NDArray, states: Any) -> Tuple[NDArray, States]:
        states = _as_list(states)
        out, new = self._base_step(inputs, states)

        def keep_new(p: float, like: Any) -> Any:  # True where the new value is kept
            return ops.not_equal(ops.dropout(ops.ones_like(like), p), 0)

        prev = self._prev_output._t if self._prev_output is not None else ops.zeros_like(out._t)
        o = wrap(ops.where(keep_new(self.zoneout_outputs, out._t), out._t, prev)) if self.zoneout_outputs else out
        if self.zoneout_states:
            new = [wrap(ops.where(keep_new(self.zoneout_states, n._t), n._t, s._t)) for n, s in zip(new, states)]
        self._prev_output = o
        return o, new


class BidirectionalCell(RecurrentCell):
    """Runs ``l_cell`` forward and ``r_cell`` backward over the sequence; outputs concatenated on the
    feature axis ([forward, backward]), states ``l_cell``'s then ``r_cell``'s. Only ``unroll`` works
    (a single step has no direction)."""

    _alias = "bidirectional"

    def __init__(self, l_cell: RecurrentCell, r_cell: RecurrentCell, output_prefix: str = "bi_") -> None:
        super().__init__(prefix="", params=None)
        self.register_child(l_cell, "l_cell")
        self.register_child(r_cell, "r_cell")
        self._output_prefix = output_prefix

    def __repr__(self) -> str:
        return f"BidirectionalCell(forward={self._children['l_cell']!r}, backward={self._children['r_cell']!r})"

    def forward(self, inputs: Any, states: Any) -> Any:
        raise NotImplementedError("Bidirectional cannot be stepped. Please use unroll")

    def state_info(self, batch_size: int = 0) -> List[dict]:
        return [i for c in self._children.values() for i in c.state_info(batch_size)]

    def begin_state(self, batch_size: int = 0, func: Callable[..., NDArray] = nd.zeros, **kwargs: Any) -> States:
        return [s for c in self._children.values() for s in c.begin_state(batch_size, func, **kwargs)]

    def unroll(self, length: int, inputs: Any, begin_state: Any = None, layout: str = "NTC",
               merge_outputs: Optional[bool] = None, valid_length: Optional[NDArray] = None
               ) -> Tuple[Union[NDArray, List[NDArray]], States]:
        """As :meth:`RecurrentCell.unroll`; outputs (.., H_l + H_r). With ``valid_length`` the backward
        cell reads each sequence's valid part reversed."""
        self.reset()
        steps, batch = _split_steps(length, inputs, layout)
        states = _as_list(begin_state) if begin_state is not None else self.begin_state(batch)
        l_cell, r_cell = self._children["l_cell"], self._children["r_cell"]
        nl = len(l_cell.state_info())
        l_out, l_st = l_cell.unroll(length, steps, states[:nl], layout, False, valid_length)
        r_out, r_st = r_cell.unroll(length, _reverse_steps(steps, valid_length), states[nl:], layout, False,
                                    valid_length)
        r_out = _reverse_steps(r_out, valid_length)
        outputs = [wrap(ops.concatenate([a._t, b._t], axis=1)) for a, b in zip(l_out, r_out)]
        if merge_outputs is None:
            merge_outputs = isinstance(inputs, NDArray)
        return (_merge(outputs, layout) if merge_outputs else outputs), list(l_st) + list(r_st)


__all__ = ["RecurrentCell", "HybridRecurrentCell", "RNNCell", "LSTMCell", "GRUCell", "SequentialRNNCell",
           "HybridSequentialRNNCell", "DropoutCell", "ModifierCell", "ResidualCell", "ZoneoutCell",
           "BidirectionalCell"]
