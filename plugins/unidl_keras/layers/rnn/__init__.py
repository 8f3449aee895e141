"""keras.layers: rnn layers (one per module)."""
