"""``keras.layers`` preprocessing layers (mirroring ``keras/src/layers/preprocessing``)."""
