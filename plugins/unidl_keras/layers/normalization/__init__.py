"""keras.layers: normalization layers (one per module)."""
