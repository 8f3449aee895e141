"""keras.layers: reshaping layers (one per module)."""
