"""keras.layers: core layers (one per module)."""
