"""keras.layers: activations layers (one per module)."""
