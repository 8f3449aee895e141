"""keras.layers: merging layers (one per module)."""
