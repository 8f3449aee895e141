"""keras.layers: convolutional layers (one per module)."""
