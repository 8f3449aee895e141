"""``keras.layers.GRU`` and ``keras.layers.GRUCell`` (Cho et al., 2014)."""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

import unidl
from unidl.nn import functional as F
from unidl.tensor import Tensor

from ... import activations
from ..layer import Layer
from .rnn import (RNN, DropoutRNNCellMixin, cell_kwargs, cell_weights_config, check_units, init_cell_weights_args,
                  last_step, layer_config, sequence_dropout, split_rnn_kwargs)


class GRUCell(DropoutRNNCellMixin, Layer):
    """One GRU step; kernel columns are the update (z), reset (r) and candidate (h) blocks.

    With ``reset_after=True`` (default): ``hh = activation(x W_h + b_h + r * (h U_h + rb_h))``;
    otherwise ``hh = activation(x W_h + b_h + (r * h) U_h)``. Then ``h' = z * h + (1 - z) * hh``.

    Args:
        units: the state size (positive int).
        activation ('tanh'), recurrent_activation ('sigmoid'), use_bias (True),
        kernel_initializer ('glorot_uniform'), recurrent_initializer ('orthogonal'),
        bias_initializer ('zeros'), regularizers, constraints: as Keras.
        dropout, recurrent_dropout, seed: dropout of the input / state units when training.
        reset_after: where the reset gate applies (see above).

    Call: ``cell(inputs, states, training=None)`` with inputs (batch, features), states ``[h]``.
    Returns ``(h', [h'])``.
    Weights: kernel (features, 3u), recurrent_kernel (u, 3u), bias (2, 3u) with ``reset_after``
    (input and recurrent biases), else (3u,).
    """

    def __init__(self, units: int, activation: Any = "tanh", recurrent_activation: Any = "sigmoid",
                 use_bias: bool = True, kernel_initializer: Any = "glorot_uniform",
                 recurrent_initializer: Any = "orthogonal", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, recurrent_regularizer: Any = None, bias_regularizer: Any = None,
                 kernel_constraint: Any = None, recurrent_constraint: Any = None, bias_constraint: Any = None,
                 dropout: float = 0.0, recurrent_dropout: float = 0.0, reset_after: bool = True,
                 seed: Optional[int] = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.units = check_units(units)
        self.activation = activations.get(activation)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.use_bias = bool(use_bias)
        self.reset_after = bool(reset_after)
        init_cell_weights_args(self, dict(locals()))
        self._init_dropout(dropout, recurrent_dropout, seed)
        self.state_size = self.units
        self.output_size = self.units

    def build(self, input_shape: Any) -> None:
        dim = input_shape[-1]
        if dim is None:
            raise ValueError(f"The last dimension of the inputs to layer '{self.name}' should be defined. Found None. "
                             f"Full input shape received: {tuple(input_shape)}")
        u = self.units
        self.kernel = self.add_weight(shape=(dim, 3 * u), name="kernel", initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        self.recurrent_kernel = self.add_weight(shape=(u, 3 * u), name="recurrent_kernel",
                                                initializer=self.recurrent_initializer,
                                                regularizer=self.recurrent_regularizer,
                                                constraint=self.recurrent_constraint)
        self.bias = (self.add_weight(shape=(2, 3 * u) if self.reset_after else (3 * u,), name="bias",
                                     initializer=self.bias_initializer, regularizer=self.bias_regularizer,
                                     constraint=self.bias_constraint)
                     if self.use_bias else None)
        self.built = True

    def biases(self) -> Tuple[Optional[Tensor], Optional[Tensor]]:
        """(input bias, recurrent bias) as the functional GRU takes them."""
        if self.bias is None:
            return None, None
        if self.reset_after:
            return self.bias[0], self.bias[1]
        return self.bias, None

    def get_initial_state(self, batch_size: int) -> List[Tensor]:
        return [unidl.zeros((batch_size, self.units), dtype=self.compute_dtype)]

    def call(self, inputs: Tensor, states: Any, training: Any = False) -> Tuple[Tensor, Any]:
        nested = isinstance(states, (list, tuple))
        h = states[0] if nested else states
        x, h = self._apply_dropout(inputs, h, training)
        b_ih, b_hh = self.biases()
        out = F.gru_cell(x, h, self.kernel, self.recurrent_kernel, b_ih, b_hh, reset_after=self.reset_after,
                         gate_order="zrh", activation=self.activation,
                         recurrent_activation=self.recurrent_activation)
        return out, ([out] if nested else out)

    def get_config(self) -> Dict[str, Any]:
        cfg = super().get_config()
        cfg.update({"units": self.units, "activation": activations.serialize(self.activation),
                    "recurrent_activation": activations.serialize(self.recurrent_activation),
                    "use_bias": self.use_bias})
        cfg.update(cell_weights_config(self))
        cfg.update({"dropout": self.dropout, "recurrent_dropout": self.recurrent_dropout,
                    "reset_after": self.reset_after, "seed": self.seed})
        return cfg


class GRU(RNN):
    """Gated Recurrent Unit layer (Keras 3: ``reset_after=True`` by default).

    Runs the functional whole-sequence GRU (:func:`unidl.nn.functional.gru`) unless recurrent dropout
    is active in training, when the cell runs step by step.

    Args:
        units, activation, recurrent_activation, use_bias, initializers, regularizers, constraints,
        dropout, recurrent_dropout, reset_after, seed: as :class:`GRUCell`.
        return_sequences, return_state, go_backwards, stateful, unroll, zero_output_for_mask: as
        :class:`RNN`. use_cudnn: accepted and ignored.

    Input shape: (batch, timesteps, features).
    Output shape: (batch, timesteps, units) with ``return_sequences``, else (batch, units); with
    ``return_state`` also the final state (batch, units).
    Weights (on the cell ``gru_cell``): kernel, recurrent_kernel, bias.
    """

    def __init__(self, units: int, activation: Any = "tanh", recurrent_activation: Any = "sigmoid",
                 use_bias: bool = True, kernel_initializer: Any = "glorot_uniform",
                 recurrent_initializer: Any = "orthogonal", bias_initializer: Any = "zeros",
                 kernel_regularizer: Any = None, recurrent_regularizer: Any = None, bias_regularizer: Any = None,
                 activity_regularizer: Any = None, kernel_constraint: Any = None, recurrent_constraint: Any = None,
                 bias_constraint: Any = None, dropout: float = 0.0, recurrent_dropout: float = 0.0,
                 seed: Optional[int] = None, reset_after: bool = True, use_cudnn: Any = "auto",
                 **kwargs: Any) -> None:
        rnn_kwargs, kwargs = split_rnn_kwargs(kwargs)
        cell = GRUCell(units, activation=activation, recurrent_activation=recurrent_activation, use_bias=use_bias,
                       kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
                       bias_initializer=bias_initializer, kernel_regularizer=kernel_regularizer,
                       recurrent_regularizer=recurrent_regularizer, bias_regularizer=bias_regularizer,
                       kernel_constraint=kernel_constraint, recurrent_constraint=recurrent_constraint,
                       bias_constraint=bias_constraint, dropout=dropout, recurrent_dropout=recurrent_dropout,
                       reset_after=reset_after, seed=seed, name="gru_cell", **cell_kwargs(kwargs))
        super().__init__(cell, activity_regularizer=activity_regularizer, **rnn_kwargs, **kwargs)
        self.use_cudnn = use_cudnn

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
        b_ih, b_hh = cell.biases()
        out, h = F.gru(x, states[0], cell.kernel, cell.recurrent_kernel, b_ih, b_hh, reset_after=cell.reset_after,
                       gate_order="zrh", reverse=self.go_backwards, mask=mask,
                       zero_output_for_mask=self.zero_output_for_mask, activation=cell.activation,
                       recurrent_activation=cell.recurrent_activation)
        return last_step(out, self.go_backwards), out, [h]

    def get_config(self) -> Dict[str, Any]:
        return layer_config(self, _CONFIG_KEYS)


_CONFIG_KEYS = ("units", "activation", "recurrent_activation", "use_bias", "kernel_initializer",
                "recurrent_initializer", "bias_initializer", "kernel_regularizer", "recurrent_regularizer",
                "bias_regularizer", "kernel_constraint", "recurrent_constraint", "bias_constraint", "dropout",
                "recurrent_dropout", "reset_after", "seed")
_CELL_ATTRS = set(_CONFIG_KEYS) | {"kernel", "recurrent_kernel", "bias"}
