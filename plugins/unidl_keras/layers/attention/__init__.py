"""keras.layers: attention layers (one per module)."""
