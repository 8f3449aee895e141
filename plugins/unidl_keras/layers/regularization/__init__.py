"""keras.layers: regularization layers (one per module)."""
