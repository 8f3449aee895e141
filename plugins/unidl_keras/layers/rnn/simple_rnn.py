"""``keras.layers.SimpleRNN`` and ``keras.layers.SimpleRNNCell`` (a fully connected Elman RNN)."""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

import unidl
from unidl.nn import functional as F
from unidl.tensor import Tensor

from ... import activations
from ..layer import Layer
from .rnn import (RNN, DropoutRNNCellMixin, cell_kwargs, cell_weights_config, check_units, init_cell_weights_args,
                  last_step, layer_config, sequence_dropout, split_rnn_kwargs)


class SimpleRNNCell(DropoutRNNCellMixin, Layer):
    """One step of a SimpleRNN: ``h' = activation(x @ kernel + h @ recurrent_kernel + bias)``.

    Args:
        units: the state and output size (positive int).
        activation: default 'tanh'. use_bias: default True.
        kernel_initializer ('glorot_uniform'), recurrent_initializer ('orthogonal'),
        bias_initializer ('zeros'), kernel/recurrent/bias regularizers and constraints: as Keras.
        dropout, recurrent_dropout: fractions (0 to 1) of the input / state units dropped when training.
        seed: seed of the dropout masks.

    Call: ``cell(inputs, states, training=None)`` with inputs (batch, features) and states
    ``[h]`` (batch, units). Returns ``(h', [h'])``.
    Weights: kernel (features, units), recurrent_kernel (units, units), bias (units,).
    """

    def __init__(self, units: int, activation: Any = "tanh", use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform", recurrent_initializer: Any = "orthogonal",
                 bias_initializer: Any = "zeros", kernel_regularizer: Any = None, recurrent_regularizer: Any = None,
                 bias_regularizer: Any = None, kernel_constraint: Any = None, recurrent_constraint: Any = None,
                 bias_constraint: Any = None, dropout: float = 0.0, recurrent_dropout: float = 0.0,
                 seed: Optional[int] = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.units = check_units(units)
        self.activation = activations.get(activation)
        self.use_bias = bool(use_bias)
        init_cell_weights_args(self, dict(locals()))
        self._init_dropout(dropout, recurrent_dropout, seed)
        self.state_size = self.units
        self.output_size = self.units

    def build(self, input_shape: Any) -> None:
        dim = input_shape[-1]
        if dim is None:
            raise ValueError(f"The last dimension of the inputs to layer '{self.name}' should be defined. Found None. "
                             f"Full input shape received: {tuple(input_shape)}")
        self.kernel = self.add_weight(shape=(dim, self.units), name="kernel", initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        self.recurrent_kernel = self.add_weight(shape=(self.units, self.units), name="recurrent_kernel",
                                                initializer=self.recurrent_initializer,
                                                regularizer=self.recurrent_regularizer,
                                                constraint=self.recurrent_constraint)
        self.bias = (self.add_weight(shape=(self.units,), name="bias", initializer=self.bias_initializer,
                                     regularizer=self.bias_regularizer, constraint=self.bias_constraint)
                     if self.use_bias else None)
        self.built = True

    def get_initial_state(self, batch_size: int) -> List[Tensor]:
        return [unidl.zeros((batch_size, self.units), dtype=self.compute_dtype)]

    def call(self, inputs: Tensor, states: Any, training: Any = False) -> Tuple[Tensor, Any]:
        nested = isinstance(states, (list, tuple))
        h = states[0] if nested else states
        x, h = self._apply_dropout(inputs, h, training)
        out = F.simple_rnn_cell(x, h, self.kernel, self.recurrent_kernel, self.bias, activation=self.activation)
        return out, ([out] if nested else out)

    def get_config(self) -> Dict[str, Any]:
        cfg = super().get_config()
        cfg.update({"units": self.units, "activation": activations.serialize(self.activation),
                    "use_bias": self.use_bias})
        cfg.update(cell_weights_config(self))
        cfg.update({"dropout": self.dropout, "recurrent_dropout": self.recurrent_dropout, "seed": self.seed})
        return cfg


class SimpleRNN(RNN):
    """A fully connected RNN whose output is fed back as its state.

    Args:
        units, activation ('tanh'), use_bias, initializers, regularizers, constraints, dropout,
        recurrent_dropout, seed: as :class:`SimpleRNNCell`.
        return_sequences, return_state, go_backwards, stateful, unroll, zero_output_for_mask: as
        :class:`RNN`.

    Input shape: (batch, timesteps, features).
    Output shape: (batch, timesteps, units) with ``return_sequences``, else (batch, units); with
    ``return_state`` also the final state (batch, units).
    Weights (on the cell): kernel, recurrent_kernel, bias.
    """

    def __init__(self, units: int, activation: Any = "tanh", use_bias: bool = True,
                 kernel_initializer: Any = "glorot_uniform", recurrent_initializer: Any = "orthogonal",
                 bias_initializer: Any = "zeros", kernel_regularizer: Any = None, recurrent_regularizer: Any = None,
                 bias_regularizer: Any = None, activity_regularizer: Any = None, kernel_constraint: Any = None,
                 recurrent_constraint: Any = None, bias_constraint: Any = None, dropout: float = 0.0,
                 recurrent_dropout: float = 0.0, seed: Optional[int] = None, **kwargs: Any) -> None:
        rnn_kwargs, kwargs = split_rnn_kwargs(kwargs)
        cell = SimpleRNNCell(units, activation=activation, use_bias=use_bias, kernel_initializer=kernel_initializer,
                             recurrent_initializer=recurrent_initializer, bias_initializer=bias_initializer,
                             kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
                             bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
                             recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint,
                             dropout=dropout, recurrent_dropout=recurrent_dropout, seed=seed,
                             name="simple_rnn_cell", **cell_kwargs(kwargs))
        super().__init__(cell, activity_regularizer=activity_regularizer, **rnn_kwargs, **kwargs)

    def __getattr__(self, name: str) -> Any:  # units, activation, kernel_initializer, ... live on the cell
        cell = self.__dict__.get("cell")
        if cell is not None and not name.startswith("_") and name in _CELL_ATTRS:
            return getattr(cell, name)
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def _fused(self, sequences: Tensor, states: List[Tensor], mask: Any, training: Any) -> Any:
        cell = self.cell
        if training and cell.recurrent_dropout:
            return None
        x = sequence_dropout(cell, sequences, training)
        out, h = F.simple_rnn(x, states[0], cell.kernel, cell.recurrent_kernel, cell.bias,
                              activation=cell.activation, reverse=self.go_backwards, mask=mask,
                              zero_output_for_mask=self.zero_output_for_mask)
        return last_step(out, self.go_backwards), out, [h]

    def get_config(self) -> Dict[str, Any]:
        return layer_config(self, _CONFIG_KEYS)


_CONFIG_KEYS = ("units", "activation", "use_bias", "kernel_initializer", "recurrent_initializer", "bias_initializer",
                "kernel_regularizer", "recurrent_regularizer", "bias_regularizer", "kernel_constraint",
                "recurrent_constraint", "bias_constraint", "dropout", "recurrent_dropout")
_CELL_ATTRS = set(_CONFIG_KEYS) | {"seed", "kernel", "recurrent_kernel", "bias"}
