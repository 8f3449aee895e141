"""keras.layers: pooling layers (one per module)."""
