"""``mx.gluon.rnn``: recurrent layers (RNN, LSTM, GRU over whole sequences) and cells (one step at a
time, ``unroll`` over a sequence), computed by :mod:`unidl.nn.functional`'s recurrent functions."""
from .rnn_cell import (BidirectionalCell, DropoutCell, GRUCell, HybridRecurrentCell, HybridSequentialRNNCell,
                       LSTMCell, ModifierCell, RecurrentCell, ResidualCell, RNNCell, SequentialRNNCell,
                       ZoneoutCell)
from .rnn_layer import GRU, LSTM, RNN

__all__ = ["RNN", "LSTM", "GRU", "RecurrentCell", "HybridRecurrentCell", "RNNCell", "LSTMCell", "GRUCell",
           "SequentialRNNCell", "HybridSequentialRNNCell", "DropoutCell", "ModifierCell", "ResidualCell",
           "ZoneoutCell", "BidirectionalCell"]
