"""``keras.layers.LSTM`` and ``keras.layers.LSTMCell`` (Hochreiter & Schmidhuber, 1997)."""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

import unidl
from unidl import ops
from unidl.nn import functional as F
from unidl.nn import rnn_extra
from unidl.tensor import Tensor

from ... import activations
from ..layer import Layer
from .rnn import (RNN, DropoutRNNCellMixin, cell_kwargs, cell_weights_config, check_units, init_cell_weights_args,
                  layer_config, sequence_dropout, split_rnn_kwargs, last_step)


class _UnitForgetBias:
    """Bias initializer: the bias initializer everywhere except ones for the forget gate (i, f, c, o)."""

    def __init__(self, base: Any, units: int) -> None:
        self.base, self.units = base, units

    def __call__(self, shape: Any, dtype: Any = None) -> Tensor:
        u = self.units
        return ops.concatenate([unidl.tensor(self.base((u,), dtype=dtype)), unidl.ones((u,), dtype=dtype),
                                unidl.tensor(self.base((2 * u,), dtype=dtype))])


class LSTMCell(DropoutRNNCellMixin, Layer):
    """One LSTM step, gates i, f, c, o (columns of the kernels in that order).

    ``z = x @ kernel + h @ recurrent_kernel + bias``; ``i, f, o = recurrent_activation(z_i, z_f, z_o)``;
    ``c' = f * c + i * activation(z_c)``; ``h' = o * activation(c')``.

    Args:
        units: the state size (positive int).
        activation: default 'tanh'. recurrent_activation: default 'sigmoid'. use_bias: default True.
        kernel_initializer ('glorot_uniform'), recurrent_initializer ('orthogonal'), bias_initializer
        ('zeros'), unit_forget_bias (True: the forget-gate bias starts at 1), regularizers and
        constraints: as Keras.
        dropout, recurrent_dropout: fractions of the input / state units dropped when training.
        seed: seed of the dropout masks.

    Call: ``cell(inputs, states, training=None)``, inputs (batch, features), states ``[h, c]`` each
    (batch, units). Returns ``(h', [h', c'])``.
    Weights: kernel (features, 4 * units), recurrent_kernel (units, 4 * units), bias (4 * units,).
    """

    def __init__(self, units: int, activation: Any = "tanh", recurrent_activation: Any = "sigmoid",
                 use_bias: bool = True, kernel_initializer: Any = "glorot_uniform",
                 recurrent_initializer: Any = "orthogonal", bias_initializer: Any = "zeros",
                 unit_forget_bias: bool = True, kernel_regularizer: Any = None, recurrent_regularizer: Any = None,
                 bias_regularizer: Any = None, kernel_constraint: Any = None, recurrent_constraint: Any = None,
                 bias_constraint: Any = None, dropout: float = 0.0, recurrent_dropout: float = 0.0,
                 seed: Optional[int] = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.units = check_units(units)
        self.activation = activations.get(activation)
        self.recurrent_activation = activations.get(recurrent_activation)
        self.use_bias = bool(use_bias)
        self.unit_forget_bias = bool(unit_forget_bias)
        init_cell_weights_args(self, dict(locals()))
        self._init_dropout(dropout, recurrent_dropout, seed)
        self.state_size = [self.units, self.units]
        self.output_size = self.units

    def build(self, input_shape: Any) -> None:
        dim = input_shape[-1]
        if dim is None:
            raise ValueError(f"The last dimension of the inputs to layer '{self.name}' should be defined. Found None. "
                             f"Full input shape received: {tuple(input_shape)}")
        u = self.units
        self.kernel = self.add_weight(shape=(dim, 4 * u), name="kernel", initializer=self.kernel_initializer,
                                      regularizer=self.kernel_regularizer, constraint=self.kernel_constraint)
        self.recurrent_kernel = self.add_weight(shape=(u, 4 * u), name="recurrent_kernel",
                                                initializer=self.recurrent_initializer,
                                                regularizer=self.recurrent_regularizer,
                                                constraint=self.recurrent_constraint)
        if self.use_bias:
            init = _UnitForgetBias(self.bias_initializer, u) if self.unit_forget_bias else self.bias_initializer
            self.bias = self.add_weight(shape=(4 * u,), name="bias", initializer=init,
                                        regularizer=self.bias_regularizer, constraint=self.bias_constraint)
        else:
            self.bias = None
        self.built = True

    @property
    def standard_activations(self) -> bool:
        """Whether the gates use sigmoid and tanh (then the fused sequence op applies)."""
        return self.activation is activations.tanh and self.recurrent_activation is activations.sigmoid

    def get_initial_state(self, batch_size: int) -> List[Tensor]:
        return [unidl.zeros((batch_size, self.units), dtype=self.compute_dtype) for _ in range(2)]

    def call(self, inputs: Tensor, states: Any, training: Any = False) -> Tuple[Tensor, List[Tensor]]:
        if not isinstance(states, (list, tuple)) or len(states) != 2:
            raise ValueError(f"Layer '{self.name}' expects its states as a list [h, c] of two (batch, {self.units}) "
                             f"tensors; received {type(states).__name__} of length "
                             f"{len(states) if isinstance(states, (list, tuple)) else 1}.")
        h, c = states
        x, h = self._apply_dropout(inputs, h, training)
        if self.standard_activations:
            h2, c2 = F.lstm_cell(x, h, c, self.kernel, self.recurrent_kernel, self.bias)
        else:
            h2, c2 = rnn_extra.lstm_cell_act(x, h, c, self.kernel, self.recurrent_kernel, self.bias,
                                             self.activation, self.recurrent_activation)
        return h2, [h2, c2]

    def get_config(self) -> Dict[str, Any]:
        cfg = super().get_config()
        cfg.update({"units": self.units, "activation": activations.serialize(self.activation),
                    "recurrent_activation": activations.serialize(self.recurrent_activation),
                    "use_bias": self.use_bias, "unit_forget_bias": self.unit_forget_bias})
        cfg.update(cell_weights_config(self))
        cfg.update({"dropout": self.dropout, "recurrent_dropout": self.recurrent_dropout, "seed": self.seed})
        return cfg


class LSTM(RNN):
    """Long Short-Term Memory layer.

    Runs the fused whole-sequence op :func:`unidl.nn.functional.lstm` when the activations are the
    defaults and there is no recurrent dropout (input dropout uses one mask for all steps, as the
    step loop does); otherwise the cell runs step by step.

    Args:
        units, activation ('tanh'), recurrent_activation ('sigmoid'), use_bias, kernel_initializer,
        recurrent_initializer ('orthogonal'), bias_initializer, unit_forget_bias (True),
        regularizers, constraints, dropout, recurrent_dropout, seed: as :class:`LSTMCell`.
        return_sequences, return_state, go_backwards, stateful, unroll, zero_output_for_mask: as
        :class:`RNN`. use_cudnn: accepted and ignored.

    Input shape: (batch, timesteps, features).
    Output shape: (batch, timesteps, units) with ``return_sequences``, else (batch, units); with
    ``return_state``: ``output, h, c`` (each state (batch, units)).
    Weights (on the cell ``lstm_cell``): kernel (features, 4u), recurrent_kernel (u, 4u), bias (4u,).
    """

    def __init__(self, units: int, activation: Any = "tanh", recurrent_activation: Any = "sigmoid",
                 use_bias: bool = True, kernel_initializer: Any = "glorot_uniform",
                 recurrent_initializer: Any = "orthogonal", bias_initializer: Any = "zeros",
                 unit_forget_bias: bool = True, kernel_regularizer: Any = None, recurrent_regularizer: Any = None,
                 bias_regularizer: Any = None, activity_regularizer: Any = None, kernel_constraint: Any = None,
                 recurrent_constraint: Any = None, bias_constraint: Any = None, dropout: float = 0.0,
                 recurrent_dropout: float = 0.0, seed: Optional[int] = None, use_cudnn: Any = "auto",
                 **kwargs: Any) -> None:
        rnn_kwargs, kwargs = split_rnn_kwargs(kwargs)
        cell = LSTMCell(units, activation=activation, recurrent_activation=recurrent_activation, use_bias=use_bias,
                        kernel_initializer=kernel_initializer, recurrent_initializer=recurrent_initializer,
                        bias_initializer=bias_initializer, unit_forget_bias=unit_forget_bias,
                        kernel_regularizer=kernel_regularizer, recurrent_regularizer=recurrent_regularizer,
                        bias_regularizer=bias_regularizer, kernel_constraint=kernel_constraint,
                        recurrent_constraint=recurrent_constraint, bias_constraint=bias_constraint,
                        dropout=dropout, recurrent_dropout=recurrent_dropout, seed=seed, name="lstm_cell",
                        **cell_kwargs(kwargs))
        super().__init__(cell, activity_regularizer=activity_regularizer, **rnn_kwargs, **kwargs)
        self.use_cudnn = use_cudnn

    def __getattr__(self, name: str) -> Any:  # units, activation, kernel_initializer, ... live on the cell
        cell = self.__dict__.get("cell")
        if cell is not None and not name.startswith("_") and name in _CELL_ATTRS:
            return getattr(cell, name)
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def _fused(self, sequences: Tensor, states: List[Tensor], mask: Any, training: Any) -> Any:
        cell = self.cell
        if (training and cell.recurrent_dropout) or not cell.standard_activations:
            return None
        x = sequence_dropout(cell, sequences, training)
        out, h, c = F.lstm(x, states[0], states[1], cell.kernel, cell.recurrent_kernel, cell.bias,
                           reverse=self.go_backwards, mask=mask, zero_output_for_mask=self.zero_output_for_mask)
        return last_step(out, self.go_backwards), out, [h, c]

    def get_config(self) -> Dict[str, Any]:
        return layer_config(self, _CONFIG_KEYS)


_CONFIG_KEYS = ("units", "activation", "recurrent_activation", "use_bias", "kernel_initializer",
                "recurrent_initializer", "bias_initializer", "unit_forget_bias", "kernel_regularizer",
                "recurrent_regularizer", "bias_regularizer", "kernel_constraint", "recurrent_constraint",
                "bias_constraint", "dropout", "recurrent_dropout", "seed")
_CELL_ATTRS = set(_CONFIG_KEYS) | {"kernel", "recurrent_kernel", "bias"}
