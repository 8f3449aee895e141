"""``keras.layers.RNN``: a recurrent layer over any cell (or list of cells), and the dropout support
shared by the built-in cells."""
from __future__ import annotations

import inspect
from typing import Any, Dict, List, Optional, Sequence, Tuple

import unidl
from unidl import ops
from unidl.nn import rnn_extra
from unidl.tensor import Tensor

from ..core.wrapper import deserialize_layer, serialize_layer
from ..layer import Layer


def flat_state_sizes(state_size: Any) -> List[int]:
    """A cell's ``state_size`` (an int, or a possibly nested list of ints) as a flat list of ints."""
    if isinstance(state_size, (list, tuple)):
        return [s for x in state_size for s in flat_state_sizes(x)]
    return [int(state_size)]


def make_generator(seed: Optional[int]) -> Any:
    """A private random generator for a layer's dropout when ``seed`` is given (else the default one)."""
    return None if seed is None else unidl.random.Generator(int(seed))


class DropoutRNNCellMixin:
    """Dropout masks fixed for a whole sequence (Keras's ``DropoutRNNCell``).

    A cell with ``dropout`` / ``recurrent_dropout`` draws one mask for its step input and one for its
    recurrent state on the first step of a sequence; :class:`RNN` resets them before each call.
    """

    def _init_dropout(self, dropout: float, recurrent_dropout: float, seed: Optional[int]) -> None:
        for nm, v in (("dropout", dropout), ("recurrent_dropout", recurrent_dropout)):
            if not 0.0 <= float(v) <= 1.0:
                raise ValueError(f"Argument `{nm}` of {type(self).__name__} should be a float in the range [0, 1]. "
                                 f"Received: {nm}={v}")
        self.dropout = min(1.0, max(0.0, float(dropout)))
        self.recurrent_dropout = min(1.0, max(0.0, float(recurrent_dropout)))
        self.seed = seed
        self._gen = make_generator(seed)
        self._dp_mask: Optional[Tensor] = None
        self._rec_dp_mask: Optional[Tensor] = None

    def _mask_like(self, x: Tensor, rate: float) -> Tensor:
        return ops.dropout(ops.ones_like(x), rate, training=True, generator=self._gen)

    def get_dropout_mask(self, step_input: Tensor) -> Optional[Tensor]:
        if not self.dropout:
            return None
        if self._dp_mask is None or self._dp_mask.shape != step_input.shape:
            self._dp_mask = self._mask_like(step_input, self.dropout)
        return self._dp_mask

    def get_recurrent_dropout_mask(self, state: Tensor) -> Optional[Tensor]:
        if not self.recurrent_dropout:
            return None
        if self._rec_dp_mask is None or self._rec_dp_mask.shape != state.shape:
            self._rec_dp_mask = self._mask_like(state, self.recurrent_dropout)
        return self._rec_dp_mask

    def reset_dropout_mask(self) -> None:
        self._dp_mask = None

    def reset_recurrent_dropout_mask(self) -> None:
        self._rec_dp_mask = None

    def _apply_dropout(self, x: Tensor, h: Tensor, training: Any) -> Tuple[Tensor, Tensor]:
        """The step input and recurrent state with this sequence's dropout masks (when training)."""
        if training:
            if self.dropout:
                x = ops.multiply(x, self.get_dropout_mask(x))
            if self.recurrent_dropout:
                h = ops.multiply(h, self.get_recurrent_dropout_mask(h))
        return x, h


def _takes(fn: Any, name: str) -> bool:
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    return name in params or any(p.kind is p.VAR_KEYWORD for p in params.values())


class RNN(Layer):
    """A recurrent layer: runs ``cell`` over the time axis of its input.

    Args:
        cell: an RNN cell (a layer with ``call(inputs, states, training=None) -> (output, new_states)``
            and a ``state_size`` attribute), or a list of cells (stacked with StackedRNNCells).
        return_sequences: return the whole output sequence (default: only the last output).
        return_state: also return the final states (``output, *states``).
        go_backwards: process the sequence from the last step to the first; the returned sequence is
            in processing order (reversed).
        stateful: keep the final states of a call as the initial states of the next (the batch size
            must be static; :meth:`reset_states` clears them).
        unroll: accepted for compatibility (the loop always runs step by step or fused).
        zero_output_for_mask: output zeros at masked steps (default: repeat the previous output).

    Call arguments: ``sequences`` (batch, time, features); ``initial_state`` a list of state tensors
    (or one tensor); ``mask`` (batch, time) bool (from an upstream Embedding(mask_zero=True) or
    Masking layer); ``training``.

    Input shape: (batch, timesteps, features).
    Output shape: (batch, timesteps, units) with ``return_sequences``, else (batch, units); with
    ``return_state`` followed by each state (batch, state_size).
    """

    def __init__(self, cell: Any, return_sequences: bool = False, return_state: bool = False,
                 go_backwards: bool = False, stateful: bool = False, unroll: bool = False,
                 zero_output_for_mask: bool = False, **kwargs: Any) -> None:
        if isinstance(cell, (list, tuple)):
            from .stacked_rnn_cells import StackedRNNCells

            cell = StackedRNNCells(cell)
        if not callable(getattr(cell, "call", None)):
            raise ValueError(f"Argument `cell` should have a `call` method. Received: cell={cell}")
        if not hasattr(cell, "state_size"):
            raise ValueError("The RNN cell should have a `state_size` attribute (single integer or list of integers, "
                             f"one integer per RNN state). Received: cell={cell}")
        super().__init__(**kwargs)
        self.cell = cell
        self.return_sequences = bool(return_sequences)
        self.return_state = bool(return_state)
        self.go_backwards = bool(go_backwards)
        self.stateful = bool(stateful)
        self.unroll = bool(unroll)
        self.zero_output_for_mask = bool(zero_output_for_mask)
        self.supports_masking = True
        self._states: Optional[List[Tensor]] = None

    # -- sizes ------------------------------------------------------------------------------------------
    @property
    def state_size(self) -> List[int]:
        return flat_state_sizes(self.cell.state_size)

    @property
    def output_size(self) -> int:
        out = getattr(self.cell, "output_size", None)
        return int(out) if out is not None else self.state_size[0]

    # -- building ---------------------------------------------------------------------------------------
    def _check_sequences_shape(self, shape: Sequence[Any]) -> None:
        if len(shape) < 3:
            raise ValueError(f"Input 0 of layer '{self.name}' is incompatible with the layer: expected ndim=3, "
                             f"found ndim={len(shape)}. Full shape received: {tuple(shape)}")

    def build(self, sequences_shape: Any, initial_state_shape: Any = None) -> None:
        sequences_shape = tuple(sequences_shape)
        self._check_sequences_shape(sequences_shape)
        if self.stateful and sequences_shape[0] is None:
            raise ValueError("When using `stateful=True` in a RNN, the batch size must be static. Found dynamic "
                             f"batch size: sequence.shape={sequences_shape}")
        step_shape = (sequences_shape[0],) + sequences_shape[2:]
        if isinstance(self.cell, Layer) and not self.cell.built:
            self.cell.build(step_shape)
            self.cell.built = True
            self.cell._build_shapes = step_shape
        self.built = True

    # -- states -----------------------------------------------------------------------------------------
    def get_initial_state(self, batch_size: int, like: Optional[Tensor] = None) -> List[Tensor]:
        """Zero states, one (batch_size, size) tensor per entry of the cell's state size."""
        get = getattr(self.cell, "get_initial_state", None)
        if callable(get):
            states = get(batch_size)
            return list(states) if isinstance(states, (list, tuple)) else [states]
        dt = self.compute_dtype
        return [unidl.zeros((batch_size, s), dtype=dt) for s in self.state_size]

    def reset_states(self) -> None:
        """Forget the states carried between calls of a stateful layer."""
        self._states = None

    reset_state = reset_states

    @property
    def states(self) -> Optional[List[Tensor]]:
        return self._states

    def _initial_states(self, sequences: Tensor, initial_state: Any) -> List[Tensor]:
        n = sequences.shape[0]
        if initial_state is None:
            if self.stateful and self._states is not None and self._states[0].shape[0] == n:
                return list(self._states)
            return [ops.astype(s, sequences.dtype) if s.dtype != sequences.dtype else s
                    for s in self.get_initial_state(n)]
        states = list(initial_state) if isinstance(initial_state, (list, tuple)) else [initial_state]
        sizes = self.state_size
        if len(states) != len(sizes):
            raise ValueError(f"Layer '{self.name}' expects {len(sizes)} initial state(s) (state sizes {sizes}), "
                             f"but it received {len(states)} initial state tensor(s).")
        from ...backend.common import convert_to_tensor

        out = []
        for i, (s, size) in enumerate(zip(states, sizes)):
            s = convert_to_tensor(s, dtype=sequences.dtype)
            if s.shape != (n, size):
                raise ValueError(f"Layer '{self.name}': initial_state[{i}] has shape {tuple(s.shape)}, but the "
                                 f"expected shape is ({n}, {size}) (batch size, state size {size}).")
            out.append(s)
        return out

    # -- the loop ---------------------------------------------------------------------------------------
    def _fused(self, sequences: Tensor, states: List[Tensor], mask: Optional[Tensor], training: Any
               ) -> Optional[Tuple[Tensor, Tensor, List[Tensor]]]:
        """A whole-sequence fast path (LSTM, GRU, SimpleRNN override it); None runs the cell step by step.

        Returns ``(last_output, outputs, final_states)`` with outputs aligned with the input time axis."""
        return None

    def inner_loop(self, sequences: Tensor, states: List[Tensor], mask: Optional[Tensor], training: Any
                   ) -> Tuple[Tensor, Tensor, List[Tensor]]:
        cell = self.cell
        for reset in ("reset_dropout_mask", "reset_recurrent_dropout_mask"):
            if callable(getattr(cell, reset, None)):
                getattr(cell, reset)()
        fast = self._fused(sequences, states, mask, training)
        if fast is not None:
            return fast
        pass_training = _takes(cell.call, "training")

        def step(x: Tensor, st: List[Tensor]) -> Tuple[Tensor, Any]:
            out, new = cell.call(x, st, training=training) if pass_training else cell.call(x, st)
            return out, (list(new) if isinstance(new, (list, tuple)) else [new])

        return rnn_extra.rnn_loop(step, sequences, states, mask=mask, reverse=self.go_backwards,
                                  zero_output_for_mask=self.zero_output_for_mask)

    def call(self, sequences: Any, initial_state: Any = None, mask: Any = None, training: Any = False) -> Any:
        from ...backend.common import convert_to_tensor

        sequences = convert_to_tensor(sequences)
        self._check_sequences_shape(sequences.shape)
        if isinstance(mask, (list, tuple)):
            mask = mask[0]
        if mask is not None:
            mask = convert_to_tensor(mask)
            if tuple(mask.shape) != tuple(sequences.shape[:2]):
                raise ValueError(f"Layer '{self.name}': the mask has shape {tuple(mask.shape)}, but the expected "
                                 f"shape is {tuple(sequences.shape[:2])} (batch, timesteps) for inputs of shape "
                                 f"{tuple(sequences.shape)}.")
            if mask.dtype.kind != "b":
                mask = ops.not_equal(mask, 0)
        if sequences.shape[1] == 0:
            raise ValueError(f"Layer '{self.name}' received a sequence with no time steps: inputs shape "
                             f"{tuple(sequences.shape)}.")
        states = self._initial_states(sequences, initial_state)
        last, outputs, states = self.inner_loop(sequences, states, mask, bool(training))
        if self.stateful:
            self._states = [s.detach() for s in states]
        if self.return_sequences:
            output = ops.flip(outputs, 1) if self.go_backwards else outputs
        else:
            output = last
        if self.return_state:
            return (output, *states)
        return output

    def compute_mask(self, inputs: Any, previous_mask: Any = None) -> Any:
        if isinstance(previous_mask, (list, tuple)):
            previous_mask = previous_mask[0]
        out = previous_mask if self.return_sequences else None
        if self.return_state:
            return [out] + [None] * len(self.state_size)
        return out

    def compute_output_shape(self, sequences_shape: Any, initial_state_shape: Any = None) -> Any:
        sequences_shape = tuple(sequences_shape)
        n, t = sequences_shape[0], sequences_shape[1]
        out = (n, t, self.output_size) if self.return_sequences else (n, self.output_size)
        if self.return_state:
            return [out] + [(n, s) for s in self.state_size]
        return out

    def get_config(self) -> Dict[str, Any]:
        cfg = super().get_config()
        cfg.update({"return_sequences": self.return_sequences, "return_state": self.return_state,
                    "go_backwards": self.go_backwards, "stateful": self.stateful, "unroll": self.unroll,
                    "zero_output_for_mask": self.zero_output_for_mask})
        if "cell" in inspect.signature(type(self).__init__).parameters:
            cfg["cell"] = serialize_layer(self.cell)
        return cfg

    @classmethod
    def from_config(cls, config: Dict[str, Any], custom_objects: Any = None) -> "RNN":
        config = dict(config)
        if "cell" in config:
            config["cell"] = deserialize_layer(config["cell"], custom_objects)
        return super().from_config(config)



# -- shared by the built-in cells and their layers ------------------------------------------------------

_WEIGHT_ARGS = ("kernel_initializer", "recurrent_initializer", "bias_initializer", "kernel_regularizer",
                "recurrent_regularizer", "bias_regularizer", "kernel_constraint", "recurrent_constraint",
                "bias_constraint")


def init_cell_weights_args(cell: Layer, kwargs: Dict[str, Any]) -> None:
    """Set the initializer / regularizer / constraint attributes of a built-in cell from ``kwargs``."""
    from ... import constraints, initializers, regularizers

    for name in _WEIGHT_ARGS:
        getter = (initializers if name.endswith("initializer") else
                  regularizers if name.endswith("regularizer") else constraints).get
        setattr(cell, name, getter(kwargs[name]))


def cell_weights_config(cell: Layer) -> Dict[str, Any]:
    from ... import constraints, initializers, regularizers

    out = {}
    for name in _WEIGHT_ARGS:
        ser = (initializers if name.endswith("initializer") else
               regularizers if name.endswith("regularizer") else constraints).serialize
        out[name] = ser(getattr(cell, name))
    return out


def check_units(units: Any) -> int:
    if not isinstance(units, int) or isinstance(units, bool) or units <= 0:
        raise ValueError(f"Received an invalid value for argument `units`, expected a positive integer, "
                         f"got {units}.")
    return units


def split_rnn_kwargs(kwargs: Dict[str, Any]) -> Tuple[Dict[str, Any], Dict[str, Any]]:
    """(RNN layer arguments, the rest) from a built-in recurrent layer's keyword arguments."""
    names = ("return_sequences", "return_state", "go_backwards", "stateful", "unroll", "zero_output_for_mask")
    rnn = {k: kwargs.pop(k) for k in names if k in kwargs}
    return rnn, kwargs


def cell_kwargs(kwargs: Dict[str, Any]) -> Dict[str, Any]:
    """The base-layer arguments a built-in layer shares with its cell (dtype, trainable)."""
    return {k: kwargs[k] for k in ("dtype", "trainable") if k in kwargs}


def sequence_dropout(cell: Any, sequences: Tensor, training: Any) -> Tensor:
    """``sequences`` times the cell's input dropout mask (one mask for every step, as the step loop)."""
    if not training or not getattr(cell, "dropout", 0.0):
        return sequences
    m = cell.get_dropout_mask(sequences[:, 0])
    return ops.multiply(sequences, ops.expand_dims(m, 1))


def last_step(outputs: Tensor, reverse: bool) -> Tensor:
    """The output of the last processed step of an aligned (N, T, H) sequence."""
    return outputs[:, 0] if reverse else outputs[:, outputs.shape[1] - 1]


def layer_config(layer: RNN, cell_keys: Sequence[str]) -> Dict[str, Any]:
    """A built-in recurrent layer's config: the RNN flags and its cell's arguments (Keras's key order)."""
    from ... import regularizers

    cfg = RNN.get_config(layer)
    cell_cfg = layer.cell.get_config()
    for k in cell_keys:
        cfg[k] = cell_cfg[k]
    cfg["activity_regularizer"] = regularizers.serialize(layer.activity_regularizer)
    return cfg
