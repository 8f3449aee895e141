"""``mx.gluon.contrib.rnn``: contributed recurrent cells. ``LSTMPCell`` (an LSTM step with a recurrent
projection) is available; the convolutional cells and VariationalDropoutCell raise a named error."""
from __future__ import annotations

from typing import Any, List, Optional, Tuple

from unidl.nn import rnn_extra as _rx

from ...base import MXNetError, check_positive, unsupported_attrs
from ...ndarray.ndarray import NDArray, wrap
from ..rnn.rnn_cell import HybridRecurrentCell, _flat2d

__all__ = ["LSTMPCell"]

States = List[NDArray]


class LSTMPCell(HybridRecurrentCell):
    """LSTM cell with a projection (gates i, f, c(g), o, as LSTMCell):
    ``c' = f * c + i * g``, ``h = o * tanh(c')``, output and recurrent state ``r' = h W_h2r^T``.

    Parameters: i2h_weight (4H, C), h2h_weight (4H, P), h2r_weight (P, H), i2h_bias / h2h_bias (4H,).
    Shapes: inputs (N, C), states [r (N, P), c (N, H)] -> output r' (N, P), states [r', c'].
    """

    _alias = "lstmp"

    def __init__(self, hidden_size: int, projection_size: int, i2h_weight_initializer: Any = None,
                 h2h_weight_initializer: Any = None, h2r_weight_initializer: Any = None,
                 i2h_bias_initializer: Any = "zeros", h2h_bias_initializer: Any = "zeros", input_size: int = 0,
                 prefix: Optional[str] = None, params: Any = None) -> None:
        super().__init__(prefix=prefix, params=params)
        check_positive("LSTMPCell", hidden_size=hidden_size, projection_size=projection_size)
        self._hidden_size, self._projection_size, self._input_size = hidden_size, projection_size, input_size
        G = 4 * hidden_size
        get = self.params.get
        self.i2h_weight = get("i2h_weight", shape=(G, input_size), init=i2h_weight_initializer,
                              allow_deferred_init=True)._lay_out("rnn")
        self.h2h_weight = get("h2h_weight", shape=(G, projection_size), init=h2h_weight_initializer,
                              allow_deferred_init=True)._lay_out("rnn")
        self.h2r_weight = get("h2r_weight", shape=(projection_size, hidden_size), init=h2r_weight_initializer,
                              allow_deferred_init=True)._lay_out("rnn")
        self.i2h_bias = get("i2h_bias", shape=(G,), init=i2h_bias_initializer, allow_deferred_init=True)
        self.h2h_bias = get("h2h_bias", shape=(G,), init=h2h_bias_initializer, allow_deferred_init=True)

    def state_info(self, batch_size: int = 0) -> List[dict]:
        return [{"shape": (batch_size, self._projection_size), "__layout__": "NC"},
                {"shape": (batch_size, self._hidden_size), "__layout__": "NC"}]

    def infer_shape(self, inputs: NDArray, *args: Any) -> None:
        self.i2h_weight.shape = (4 * self._hidden_size, _flat2d(inputs, "LSTMPCell").shape[1])

    def __repr__(self) -> str:
        shape = self.i2h_weight.shape
        return f"LSTMPCell({shape[1] if shape[1] else None} -> {shape[0]} -> {self._projection_size})"

    def hybrid_forward(self, F: Any, inputs: NDArray, states: States, i2h_weight: NDArray, h2h_weight: NDArray,
                       h2r_weight: NDArray, i2h_bias: NDArray, h2h_bias: NDArray) -> Tuple[NDArray, States]:
        if len(states) != 2:
            raise MXNetError(f"LSTMPCell expects 2 states [(batch_size, {self._projection_size}), "
                             f"(batch_size, {self._hidden_size})], got {len(states)}")
        x = _flat2d(inputs, "LSTMPCell")
        r, c = _rx.lstmp_cell(x._t, states[0]._t, states[1]._t, i2h_weight._t, h2h_weight._t, h2r_weight._t,
                              i2h_bias._t, h2h_bias._t)
        r = wrap(r)
        return r, [r, wrap(c)]


_NOT_YET = "not implemented in unidl_mxnet yet; use the gluon.rnn cells"
__getattr__ = unsupported_attrs("mxnet.gluon.contrib.rnn", {
    name: _NOT_YET for name in ("Conv1DRNNCell", "Conv2DRNNCell", "Conv3DRNNCell", "Conv1DLSTMCell",
                                "Conv2DLSTMCell", "Conv3DLSTMCell", "Conv1DGRUCell", "Conv2DGRUCell",
                                "Conv3DGRUCell", "VariationalDropoutCell")})
