"""``gluon.rnn.RNN`` / ``LSTM`` / ``GRU``: multi-layer, optionally bidirectional recurrent layers over
whole sequences (MXNet's fused RNN operator).

Each layer and direction runs :func:`unidl.nn.functional.simple_rnn` / ``lstm`` / ``gru`` time-major with
Gluon's (G*H, C) weights (``weights_layout="oi"``), the functions the Keras frontend runs too. Parameters
are named ``l0_i2h_weight``, ``l0_h2h_weight``, ``l0_i2h_bias``, ``l0_h2h_bias`` (``r0_...`` for the
reverse direction, ``l1_...`` for the second layer) under the layer's prefix; ``save_parameters`` writes
them under MXNet 1.x's structural names (``_unfused.0.i2h_weight``, ``_unfused.0.l_cell.i2h_weight``
when bidirectional), so files move both ways between this frontend and MXNet 1.9.1.
"""
from __future__ import annotations

import re
from collections import OrderedDict
from typing import Any, Callable, Dict, List, Optional, Tuple, Union

from unidl import ops
from unidl.nn import functional as F_nn
from unidl.nn import rnn_extra as _rx

from ... import ndarray as nd
from ...base import MXNetError, check_positive
from ...ndarray.ndarray import NDArray, wrap
from ..block import HybridBlock
from ..parameter import Parameter

States = List[NDArray]
_GATES = {"rnn_relu": 1, "rnn_tanh": 1, "lstm": 4, "gru": 3}


class _RNNLayer(HybridBlock):
    """Shared implementation of RNN, LSTM and GRU (``mode`` picks the cell)."""

    def __init__(self, hidden_size: int, num_layers: int, layout: str, dropout: float, bidirectional: bool,
                 input_size: int, i2h_weight_initializer: Any, h2h_weight_initializer: Any,
                 i2h_bias_initializer: Any, h2h_bias_initializer: Any, mode: str, projection_size: Optional[int],
                 h2r_weight_initializer: Any, lstm_state_clip_min: Any, lstm_state_clip_max: Any,
                 lstm_state_clip_nan: bool, dtype: Any, use_sequence_length: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if layout not in ("TNC", "NTC"):
            raise ValueError(f"Invalid layout {layout}; must be one of ['TNC' or 'NTC']")
        if projection_size and mode != "lstm":
            raise MXNetError(f"{type(self).__name__}: projection_size is only for LSTM")
        if projection_size:
            check_positive(type(self).__name__, projection_size=projection_size)
        if lstm_state_clip_min is not None or lstm_state_clip_max is not None or lstm_state_clip_nan:
            raise NotImplementedError(f"{type(self).__name__}: lstm_state_clip_* is not implemented")
        if use_sequence_length:
            raise NotImplementedError(f"{type(self).__name__}: use_sequence_length is not implemented (MXNet "
                                      "honours it only with cuDNN)")
        if not isinstance(num_layers, int) or num_layers < 1:
            raise ValueError(f"num_layers must be a positive integer, got {num_layers!r}")
        if not 0 <= dropout <= 1:
            raise ValueError(f"dropout must be in [0, 1], got {dropout!r}")
        check_positive(type(self).__name__, hidden_size=hidden_size)
        self._hidden_size, self._num_layers, self._layout = hidden_size, num_layers, layout
        self._mode, self._dropout, self._dropout_arg, self._dtype = mode, float(dropout), dropout, dtype
        self._dir = 2 if bidirectional else 1
        self._input_size = input_size
        self._gates = _GATES[mode]
        self._projection_size = projection_size or None
        self._inits = (i2h_weight_initializer, h2h_weight_initializer, i2h_bias_initializer, h2h_bias_initializer)
        self._h2r_init = h2r_weight_initializer
        G = self._gates * hidden_size
        out_size = self._projection_size or hidden_size  # what each step emits (and feeds back)
        with self.name_scope():
            ni = input_size
            for i in range(num_layers):
                for j in ("l", "r")[: self._dir]:
                    self._register(f"{j}{i}_i2h_weight", (G, ni), i2h_weight_initializer)
                    self._register(f"{j}{i}_h2h_weight", (G, out_size), h2h_weight_initializer)
                    self._register(f"{j}{i}_i2h_bias", (G,), i2h_bias_initializer)
                    self._register(f"{j}{i}_h2h_bias", (G,), h2h_bias_initializer)
                    if self._projection_size:
                        self._register(f"{j}{i}_h2r_weight", (out_size, hidden_size), h2r_weight_initializer)
                ni = out_size * self._dir

    def _register(self, name: str, shape: Tuple[int, ...], init: Any) -> None:
        p = self.params.get(name, shape=shape, init=init, dtype=self._dtype, allow_deferred_init=True)
        if len(shape) == 2:
            p._lay_out("rnn")
        setattr(self, name, p)

    # -- description ------------------------------------------------------------------------------------
    def __repr__(self) -> str:
        shape = self._reg_params["l0_i2h_weight"].shape
        s = f"{type(self).__name__}({shape[1] if shape[1] else None} -> {shape[0] // self._gates}, {self._layout}"
        if self._num_layers != 1:
            s += f", num_layers={self._num_layers}"
        if self._dropout != 0:
            s += f", dropout={self._dropout_arg}"
        if self._dir == 2:
            s += ", bidirectional"
        return s + ")"

    def state_info(self, batch_size: int = 0) -> List[Dict[str, Any]]:
        """``[{'shape': (num_layers * directions, N, H), '__layout__': 'LNC', 'dtype': ...}]`` (two for LSTM)."""
        info = {"shape": (self._num_layers * self._dir, batch_size, self._hidden_size), "__layout__": "LNC",
                "dtype": self._dtype}
        infos = [dict(info) for _ in range(2 if self._mode == "lstm" else 1)]
        if self._projection_size:  # LSTMP: h holds the projection (P), c the cell (H)
            infos[0]["shape"] = (self._num_layers * self._dir, batch_size, self._projection_size)
        return infos

    def begin_state(self, batch_size: int = 0, func: Callable[..., NDArray] = nd.zeros, **kwargs: Any) -> States:
        """Initial states ``func(name=..., shape=..., **kwargs)`` for each entry of ``state_info``."""
        states = []
        for i, info in enumerate(self.state_info(batch_size)):
            info.update(kwargs)
            states.append(func(name=f"{self.prefix}h0_{i}", **info))
        return states

    def _collect_params_with_prefix(self, prefix: str = "") -> "OrderedDict[str, Parameter]":
        """Structural names as MXNet 1.x writes them for RNN layers: ``_unfused.<layer>.<gate>_<kind>``, or
        ``_unfused.<layer>.<l|r>_cell.<gate>_<kind>`` when bidirectional."""
        if prefix:
            prefix += "."
        rx = re.compile(r"([lr])(\d+)_(i2h|h2h|h2r)_(weight|bias)\Z")
        out: "OrderedDict[str, Parameter]" = OrderedDict()
        for key, p in self._reg_params.items():
            d, layer, g, t = rx.match(key).groups()
            cell = f"{d}_cell." if self._dir == 2 else ""
            out[f"{prefix}_unfused.{layer}.{cell}{g}_{t}"] = p
        for name, child in self._children.items():
            out.update(child._collect_params_with_prefix(prefix + name))
        return out

    def _unfuse(self) -> Any:
        """The layer as a stack of cells (``HybridSequentialRNNCell`` of RNNCell/LSTMCell/GRUCell, wrapped in
        BidirectionalCell when bidirectional) sharing this layer's parameters, as MXNet's ``_unfuse``."""
        from . import rnn_cell

        if self._projection_size:
            from ..contrib.rnn import LSTMPCell

            make_p = self._projection_size
        make = {"rnn_relu": lambda **kw: rnn_cell.RNNCell(self._hidden_size, activation="relu", **kw),
                "rnn_tanh": lambda **kw: rnn_cell.RNNCell(self._hidden_size, activation="tanh", **kw),
                "lstm": lambda **kw: rnn_cell.LSTMCell(self._hidden_size, **kw),
                "gru": lambda **kw: rnn_cell.GRUCell(self._hidden_size, **kw)}[self._mode]
        if self._projection_size:
            def make(**kw: Any) -> Any:
                return LSTMPCell(self._hidden_size, make_p, h2r_weight_initializer=self._h2r_init, **kw)
        stack = rnn_cell.HybridSequentialRNNCell(prefix=self.prefix, params=self.params)
        names = ("i2h_weight_initializer", "h2h_weight_initializer", "i2h_bias_initializer", "h2h_bias_initializer")
        with stack.name_scope():
            ni = self._input_size
            for i in range(self._num_layers):
                kw = dict(zip(names, self._inits), input_size=ni)
                if self._dir == 2:
                    stack.add(rnn_cell.BidirectionalCell(make(prefix=f"l{i}_", **kw), make(prefix=f"r{i}_", **kw)))
                else:
                    stack.add(make(prefix=f"l{i}_", **kw))
                if self._dropout > 0 and i != self._num_layers - 1:
                    stack.add(rnn_cell.DropoutCell(self._dropout))
                ni = (self._projection_size or self._hidden_size) * self._dir
        return stack

    # -- running ------------------------------------------------------------------------------------------
    def infer_shape(self, inputs: NDArray, *args: Any) -> None:
        G = self._gates * self._hidden_size
        for j in ("l", "r")[: self._dir]:
            self._reg_params[f"{j}0_i2h_weight"].shape = (G, inputs.shape[2])

    def forward(self, inputs: NDArray, states: Any = None, sequence_length: Any = None
                ) -> Union[NDArray, Tuple[NDArray, States]]:
        """Shapes: inputs (T, N, C) ('TNC') or (N, T, C) ('NTC'); states as ``begin_state(N)`` (a list, or
        one array for RNN/GRU) or None. Returns the output (T, N, D*H) / (N, T, D*H) — and, when states
        were given, ``(output, new_states)`` with new_states shaped as ``state_info(N)``."""
        if sequence_length is not None:
            raise NotImplementedError(f"{type(self).__name__}: sequence_length is not implemented")
        if not isinstance(inputs, NDArray) or inputs.ndim != 3:
            got = getattr(inputs, "shape", type(inputs).__name__)
            raise MXNetError(f"{type(self).__name__}: input data should be a rank-3 tensor of dim "
                             f"{'[sequence length, batch size, input size]' if self._layout == 'TNC' else '[batch size, sequence length, input size]'}"
                             f" (layout {self._layout}), got shape {got}")
        in_size = self._reg_params["l0_i2h_weight"].shape[1]
        if in_size and inputs.shape[2] != in_size:
            raise MXNetError(f"{type(self).__name__}: the input has {inputs.shape[2]} features but the layer's "
                             f"input size is {in_size} (l0_i2h_weight {self._reg_params['l0_i2h_weight'].shape})")
        batch_size = inputs.shape[self._layout.find("N")]
        skip_states = states is None
        if skip_states:
            states = self.begin_state(batch_size, ctx=inputs.context, dtype=inputs.dtype)
        if isinstance(states, NDArray):
            states = [states]
        states = list(states)
        infos = self.state_info(batch_size)
        if len(states) != len(infos):
            raise MXNetError(f"{type(self).__name__} expects {len(infos)} state array(s) "
                             f"{[i['shape'] for i in infos]}, got {len(states)}")
        for state, info in zip(states, infos):
            if state.shape != info["shape"]:
                raise ValueError(f"Invalid recurrent state shape. Expecting {info['shape']}, got {state.shape}.")
        out, new_states = HybridBlock.forward(self, inputs, states)
        return out if skip_states else (out, new_states)

    def hybrid_forward(self, F: Any, inputs: NDArray, states: States, **params: NDArray) -> Tuple[NDArray, States]:
        x = inputs._t if self._layout == "TNC" else ops.transpose(inputs._t, (1, 0, 2))
        h_all = states[0]._t
        c_all = states[1]._t if self._mode == "lstm" else None
        new_h, new_c = [], []
        for i in range(self._num_layers):
            if i > 0 and self._dropout:
                x = ops.dropout(x, self._dropout)  # follows the autograd training flag
            outs = []
            for d, j in enumerate(("l", "r")[: self._dir]):
                k = i * self._dir + d
                w = [params[f"{j}{i}_{n}"]._t for n in ("i2h_weight", "h2h_weight", "i2h_bias", "h2h_bias")]
                if self._projection_size:
                    w_hr = params[f"{j}{i}_h2r_weight"]._t
                    y, h, c = _rx.lstmp(x, h_all[k], c_all[k], w[0], w[1], w_hr, w[2], w[3], reverse=(j == "r"))
                else:
                    y, h, c = self._run(x, h_all[k], None if c_all is None else c_all[k], w, reverse=(j == "r"))
                outs.append(y)
                new_h.append(h)
                new_c.append(c)
            x = outs[0] if self._dir == 1 else ops.concatenate(outs, axis=2)
        out = x if self._layout == "TNC" else ops.transpose(x, (1, 0, 2))
        new_states = [wrap(ops.stack(new_h, 0))]
        if self._mode == "lstm":
            new_states.append(wrap(ops.stack(new_c, 0)))
        return wrap(out), new_states

    def _run(self, x: Any, h0: Any, c0: Any, w: List[Any], reverse: bool) -> Tuple[Any, Any, Any]:
        """One layer, one direction. x (T, N, C) time-major, h0/c0 (N, H) -> (out (T, N, H), h_T, c_T)."""
        w_ih, w_hh, b_ih, b_hh = w
        kw = dict(time_major=True, reverse=reverse, weights_layout="oi")
        if self._mode == "lstm":
            return F_nn.lstm(x, h0, c0, w_ih, w_hh, b_ih, b_hh, **kw)
        if self._mode == "gru":
            y, h = F_nn.gru(x, h0, w_ih, w_hh, b_ih, b_hh, reset_after=True, gate_order="rzn", **kw)
            return y, h, None
        y, h = F_nn.simple_rnn(x, h0, w_ih, w_hh, b_ih, b_hh, activation=self._mode[4:], **kw)
        return y, h, None


class RNN(_RNNLayer):
    """Elman RNN layer(s): ``h_t = activation(x_t W_i2h^T + b_i2h + h_{t-1} W_h2h^T + b_h2h)``.

    Args: hidden_size H; num_layers L; activation 'relu' (default) or 'tanh'; layout 'TNC' (default) or
    'NTC'; dropout between layers (training only); bidirectional (D = 2); input_size C (0: inferred);
    initializers for i2h/h2h weights and biases; dtype.
    Shapes: inputs (T, N, C) / (N, T, C); states [h (L*D, N, H)] -> output (T, N, D*H) / (N, T, D*H).
    """

    def __init__(self, hidden_size: int, num_layers: int = 1, activation: str = "relu", layout: str = "TNC",
                 dropout: float = 0, bidirectional: bool = False, i2h_weight_initializer: Any = None,
                 h2h_weight_initializer: Any = None, i2h_bias_initializer: Any = "zeros",
                 h2h_bias_initializer: Any = "zeros", input_size: int = 0, dtype: Any = "float32",
                 **kwargs: Any) -> None:
        if activation not in ("relu", "tanh"):
            raise ValueError(f"RNN: activation must be 'relu' or 'tanh', got {activation!r}")
        super().__init__(hidden_size, num_layers, layout, dropout, bidirectional, input_size,
                         i2h_weight_initializer, h2h_weight_initializer, i2h_bias_initializer, h2h_bias_initializer,
                         "rnn_" + activation, None, None, None, None, False, dtype, **kwargs)


class LSTM(_RNNLayer):
    """LSTM layer(s), gates i, f, c(g), o stacked in that order in the (4H, ...) weights.

    Args as :class:`RNN` (no activation); ``projection_size`` P makes it an LSTMP (each step's output
    ``h W_h2r^T``, fed back in place of h); ``lstm_state_clip_*`` raise NotImplementedError.
    Shapes: inputs (T, N, C) / (N, T, C); states [h (L*D, N, H or P), c (L*D, N, H)] ->
    output (T, N, D*H) / (N, T, D*H) (D*P with a projection).
    """

    def __init__(self, hidden_size: int, num_layers: int = 1, layout: str = "TNC", dropout: float = 0,
                 bidirectional: bool = False, input_size: int = 0, i2h_weight_initializer: Any = None,
                 h2h_weight_initializer: Any = None, i2h_bias_initializer: Any = "zeros",
                 h2h_bias_initializer: Any = "zeros", projection_size: Optional[int] = None,
                 h2r_weight_initializer: Any = None, state_clip_min: Any = None, state_clip_max: Any = None,
                 state_clip_nan: bool = False, dtype: Any = "float32", **kwargs: Any) -> None:
        super().__init__(hidden_size, num_layers, layout, dropout, bidirectional, input_size,
                         i2h_weight_initializer, h2h_weight_initializer, i2h_bias_initializer, h2h_bias_initializer,
                         "lstm", projection_size, h2r_weight_initializer, state_clip_min, state_clip_max,
                         state_clip_nan, dtype, **kwargs)


class GRU(_RNNLayer):
    """GRU layer(s) as MXNet computes them (gates r, z, n; reset applied after the recurrent matmul):
    ``n = tanh(x W_n + b_in + r * (h U_n + b_hn))``, ``h' = (1 - z) * n + z * h``.

    Args and shapes as :class:`RNN` (no activation); states [h (L*D, N, H)].
    """

    def __init__(self, hidden_size: int, num_layers: int = 1, layout: str = "TNC", dropout: float = 0,
                 bidirectional: bool = False, input_size: int = 0, i2h_weight_initializer: Any = None,
                 h2h_weight_initializer: Any = None, i2h_bias_initializer: Any = "zeros",
                 h2h_bias_initializer: Any = "zeros", dtype: Any = "float32", **kwargs: Any) -> None:
        super().__init__(hidden_size, num_layers, layout, dropout, bidirectional, input_size,
                         i2h_weight_initializer, h2h_weight_initializer, i2h_bias_initializer, h2h_bias_initializer,
                         "gru", None, None, None, None, False, dtype, **kwargs)


__all__ = ["RNN", "LSTM", "GRU"]
